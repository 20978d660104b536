//! Schema-qualified names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A schema-qualified name (`public.users`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    /// The PostgreSQL schema (`public` unless declared).
    pub schema: String,
    /// The table or type name.
    pub name: String,
}

impl QualifiedName {
    /// Builds a qualified name.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// The quoted SQL form, `"schema"."name"`.
    pub fn sql(&self) -> String {
        let mut out = String::with_capacity(self.schema.len() + self.name.len() + 5);
        crate::quote::push_quoted(&mut out, &self.schema, '"');
        out.push('.');
        crate::quote::push_quoted(&mut out, &self.name, '"');
        out
    }

    /// The key used in snapshot maps: `schema.name`.
    pub fn key(&self) -> String {
        let mut key = String::with_capacity(self.schema.len() + self.name.len() + 1);
        key.push_str(&self.schema);
        key.push('.');
        key.push_str(&self.name);
        key
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}
