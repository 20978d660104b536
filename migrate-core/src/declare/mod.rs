//! Stage 1, *declare*: the derive input (a struct or enum with `#[migrate(...)]` attributes)
//! becomes a declaration that keeps the span of every attribute, plus the declared intent
//! (renames, drops, escape hatches) that the snapshot model does not hold.
//!
//! The derive and the build helper both call [`parse_table`] and [`parse_enum`]: there is one
//! attribute parser. Every attribute error is collected, so one build shows them all.

mod attr;
pub mod pgtypes;
mod resolve;
pub mod types;

use proc_macro2::Span;

use crate::model::{FkAction, QualifiedName};
pub use attr::{parse_enum, parse_table};
pub use resolve::{
    NameIndex, RelationKind, Resolved, check_enum_defaults, check_foreign_key_types,
};
pub use types::DeclaredType;

/// A value with the span of the tokens that declared it.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was declared.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs a value with a span.
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

/// A struct with `#[derive(Table)]`, as declared.
#[derive(Debug, Clone)]
pub struct DeclaredTable {
    /// The Rust struct name.
    pub rust_name: String,
    /// The struct's identifier span (used for table-level diagnostics).
    pub span: Span,
    /// The table's qualified name.
    pub name: QualifiedName,
    /// Columns in declaration order (skipped fields left out).
    pub fields: Vec<DeclaredField>,
    /// The primary key, from the struct attribute or from field attributes.
    pub primary_key: Option<Spanned<Vec<Spanned<String>>>>,
    /// Unique constraints.
    pub uniques: Vec<DeclaredUnique>,
    /// Indexes.
    pub indexes: Vec<DeclaredIndex>,
    /// CHECK constraints.
    pub checks: Vec<DeclaredCheck>,
    /// Foreign keys.
    pub foreign_keys: Vec<DeclaredForeignKey>,
    /// `renamed_from = "old_table"`: the table was renamed.
    pub renamed_from: Option<Spanned<String>>,
    /// `drop`: the table is on its way out.
    pub drop: Option<Span>,
    /// `drop_column = "x"`: columns on their way out.
    pub drop_columns: Vec<Spanned<String>>,
    /// `allow_unsafe = "reason"` on the struct.
    pub allow_unsafe: Option<Spanned<String>>,
}

impl DeclaredTable {
    /// Finds a field by its SQL column name or, failing that, its Rust name.
    pub fn field(&self, name: &str) -> Option<&DeclaredField> {
        self.fields
            .iter()
            .find(|f| f.column == name)
            .or_else(|| self.fields.iter().find(|f| f.rust_name == name))
    }

    /// The primary-key column names (SQL names), as declared.
    pub fn primary_key_columns(&self) -> Vec<String> {
        self.primary_key
            .iter()
            .flat_map(|pk| pk.value.iter())
            .map(|c| {
                self.field(&c.value)
                    .map_or_else(|| c.value.clone(), |f| f.column.clone())
            })
            .collect()
    }
}

/// One field of a table struct.
#[derive(Debug, Clone)]
pub struct DeclaredField {
    /// The Rust field name.
    pub rust_name: String,
    /// The field's identifier span.
    pub span: Span,
    /// The field type's span.
    pub ty_span: Span,
    /// The SQL column name.
    pub column: String,
    /// The column type.
    pub ty: DeclaredType,
    /// Span of `column_type = "…"` when declared.
    pub column_type_span: Option<Span>,
    /// `extension = "citext"`: the `column_type` is provided by this PostgreSQL extension, so it
    /// is not refused as unknown (the extension must be installed before the migrations run).
    pub extension: Option<Spanned<String>>,
    /// Whether the column is nullable (`Option<T>`).
    pub nullable: bool,
    /// `default = "…"`, normalised SQL.
    pub default: Option<Spanned<String>>,
    /// `identity`.
    pub identity: bool,
    /// `backfill = "…"`, normalised SQL: the value for existing rows of a new NOT NULL column.
    pub backfill: Option<Spanned<String>>,
    /// `convert(to_new = "…", to_old = "…")`: the conversion of a type change (C10) that has
    /// no lossless cast, both ways.
    pub convert: Option<Spanned<crate::model::Conversion>>,
    /// `compute(with = "path", from(..))`: the value is computed by a Rust function of other
    /// fields, on every write of the accessors and, for rows an older binary wrote, on read
    /// and by the backfill.
    pub compute: Option<Spanned<DeclaredCompute>>,
    /// `renamed_from = "old"`.
    pub renamed_from: Option<Spanned<String>>,
    /// `allow_unsafe = "reason"`.
    pub allow_unsafe: Option<Spanned<String>>,
}

/// `compute(with = "crate::slug::of_title", from(title))`: a column whose value a Rust function
/// computes from other fields of the same struct.
#[derive(Debug, Clone)]
pub struct DeclaredCompute {
    /// The function's path, spanned on the attribute's string: the derive calls it.
    pub function: proc_macro2::TokenStream,
    /// The path as text (`crate::slug::of_title`): plain identifiers and `::` only.
    pub function_text: String,
    /// The fields it reads, by Rust name, in argument order.
    pub from: Vec<Spanned<String>>,
}

impl DeclaredField {
    /// Whether the field's Rust type maps to no SQL type by itself and no `column_type` is
    /// declared: the derive takes it for a `#[derive(PgEnum)]` enum, and checks that it is one.
    pub fn takes_pg_enum(&self) -> bool {
        matches!(self.ty, DeclaredType::RustEnum { .. }) && self.column_type_span.is_none()
    }
}

/// A declared unique constraint.
#[derive(Debug, Clone)]
pub struct DeclaredUnique {
    /// Explicit name, if any.
    pub name: Option<String>,
    /// Columns.
    pub columns: Vec<Spanned<String>>,
    /// The attribute's span.
    pub span: Span,
}

/// One declared index key.
#[derive(Debug, Clone)]
pub enum DeclaredKey {
    /// A column, by SQL or Rust name.
    Column(Spanned<String>),
    /// An expression, normalised SQL.
    Expr(Spanned<String>),
}

/// A declared index.
#[derive(Debug, Clone)]
pub struct DeclaredIndex {
    /// Explicit name, if any.
    pub name: Option<String>,
    /// Keys.
    pub keys: Vec<DeclaredKey>,
    /// `unique`.
    pub unique: bool,
    /// Access method, `btree` unless declared.
    pub method: String,
    /// `where = "…"`, normalised SQL.
    pub predicate: Option<String>,
    /// The attribute's span.
    pub span: Span,
}

/// A declared CHECK constraint.
#[derive(Debug, Clone)]
pub struct DeclaredCheck {
    /// Explicit name, if any.
    pub name: Option<String>,
    /// The column it was declared on, for the generated name.
    pub column: Option<String>,
    /// The expression, normalised SQL.
    pub expr: String,
    /// The attribute's span.
    pub span: Span,
}

/// A declared foreign key.
#[derive(Debug, Clone)]
pub struct DeclaredForeignKey {
    /// Explicit name, if any.
    pub name: Option<String>,
    /// Referencing columns.
    pub columns: Vec<Spanned<String>>,
    /// Referenced table.
    pub references: QualifiedName,
    /// Referenced columns; empty means the referenced table's primary key.
    pub referenced_columns: Vec<String>,
    /// ON DELETE.
    pub on_delete: FkAction,
    /// ON UPDATE.
    pub on_update: FkAction,
    /// Spans of `on_delete` and `on_update`, when declared.
    pub action_spans: [Option<Span>; 2],
    /// The attribute's span.
    pub span: Span,
}

/// An enum with `#[derive(PgEnum)]`, as declared.
#[derive(Debug, Clone)]
pub struct DeclaredEnum {
    /// The Rust enum name.
    pub rust_name: String,
    /// The enum identifier's span.
    pub span: Span,
    /// The PostgreSQL type name.
    pub name: QualifiedName,
    /// Labels with the span of their variant, in declaration order.
    pub values: Vec<Spanned<String>>,
}

impl DeclaredEnum {
    /// The model form of this enum.
    pub fn to_model(&self) -> crate::model::EnumType {
        crate::model::EnumType {
            name: self.name.clone(),
            rust_name: self.rust_name.clone(),
            values: self.values.iter().map(|v| v.value.clone()).collect(),
        }
    }
}

/// Converts a Rust identifier (`OrderItem`, `createdAt`) to snake_case (`order_item`).
pub fn snake_case(ident: &str) -> String {
    let ident = ident.trim_start_matches("r#");
    let mut out = String::new();
    let chars: Vec<char> = ident.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        if ch.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_handles_acronyms() {
        assert_eq!(snake_case("OrderItem"), "order_item");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("user_id"), "user_id");
        assert_eq!(snake_case("Pending"), "pending");
        assert_eq!(snake_case("r#type"), "type");
    }
}
