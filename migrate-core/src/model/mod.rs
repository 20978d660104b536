//! The schema model: what the snapshot stores and what the diff compares.
//!
//! The model holds no spans and no intent (renames, drops, escape hatches); those live in
//! [`crate::declare`]. Everything here is plain data with a canonical serde form, so the
//! snapshot file is byte-identical for the same schema. A column's type is a [`PgType`] or a
//! declared enum; the model also answers what a type change costs
//! ([`ColumnType::is_binary_coercible_to`], [`ColumnType::converts_losslessly_to`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

mod pgtype;
mod type_sql;

pub use pgtype::{NumericSize, PgType, RangeKind, TypeSpellingError};
pub use type_sql::InvalidType;

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
        crate::sql::push_quoted(&mut out, &self.schema, '"');
        out.push('.');
        crate::sql::push_quoted(&mut out, &self.name, '"');
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

/// The whole declared (or accepted) schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Tables keyed by `schema.name`, so the order is canonical.
    pub tables: BTreeMap<String, Table>,
    /// Enum types keyed by `schema.name`.
    pub enums: BTreeMap<String, EnumType>,
    /// Tables this release dropped (`#[migrate(drop)]`), sorted: the struct's `drop` is still
    /// welcome in the builds of this release; once the next release is planned it is stale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped_tables: Vec<QualifiedName>,
}

impl Schema {
    /// Finds a table by its qualified name.
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(&name.key())
    }

    /// Finds an enum by the Rust type name that declared it.
    pub fn enum_by_rust_name(&self, rust_name: &str) -> Option<&EnumType> {
        self.enums.values().find(|e| e.rust_name == rust_name)
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Qualified table name.
    pub name: QualifiedName,
    /// The Rust struct that declares it (informational; renaming the struct changes nothing).
    pub rust_name: String,
    /// The old name, when this release renamed the table (see [`Column::renamed_from`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Columns in physical order: the order of creation, later additions appended.
    pub columns: Vec<Column>,
    /// Primary-key column names, in key order. Empty when the table has none.
    pub primary_key: Vec<String>,
    /// Unique constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uniques: Vec<Unique>,
    /// Indexes (not backing a constraint), sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// CHECK constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// Foreign keys, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Columns this release dropped (`drop_column`), sorted: like [`Schema::dropped_tables`],
    /// the hint stays welcome for the release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped_columns: Vec<String>,
}

impl Table {
    /// Finds a column by its SQL name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Sorts every constraint list by name, the canonical order.
    pub fn canonicalize(&mut self) {
        self.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.checks.sort_by(|a, b| a.name.cmp(&b.name));
        self.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// SQL column name.
    pub name: String,
    /// Canonical SQL type (PostgreSQL's `format_type` spelling).
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Whether NULL is allowed (`Option<T>` fields).
    pub nullable: bool,
    /// Default expression, normalised SQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity: bool,
    /// The `backfill = "…"` value of a NOT NULL column added without a default (C4): what
    /// existing rows, and the old binary's inserts, get until contract. Kept in the snapshot
    /// for the release that added the column only, so the declaration stays valid there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<String>,
    /// The old name, when this release renamed the column: a `renamed_from` hint that matches
    /// it is still welcome in the next build; one release later it is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The declared `convert(…)` of a type change (C10), kept for the release that changed the
    /// type only, like [`Column::backfill`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convert: Option<Conversion>,
}

/// A declared conversion for a type change with no lossless cast (C10): two SQL expressions
/// over the column, each giving its value in the other type. The shadow column's trigger runs
/// them while both binaries write.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conversion {
    /// The accepted (old) value → the declared (new) type, e.g. `trim(code)::integer`.
    pub to_new: String,
    /// The new value → the old type, e.g. `code::text`.
    pub to_old: String,
}

/// A column type: a built-in type in PostgreSQL's canonical spelling, or a declared enum.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// A built-in or extension type, spelled as `format_type` prints it (`character varying(80)`).
    Builtin {
        /// The type without array brackets.
        ty: PgType,
        /// Number of array dimensions (`text[]` is 1).
        array_dims: u8,
    },
    /// A PostgreSQL enum declared with `#[derive(PgEnum)]`.
    Enum {
        /// The enum type's qualified name.
        name: QualifiedName,
        /// Number of array dimensions.
        array_dims: u8,
    },
}

impl ColumnType {
    /// A scalar built-in type.
    pub fn builtin(ty: PgType) -> Self {
        ColumnType::Builtin { ty, array_dims: 0 }
    }

    /// Parses a built-in or extension type as SQL writes it (`varchar(80)`, `int[]`): see
    /// [`PgType::parse_sql`].
    pub fn parse_sql(text: &str) -> Result<Self, InvalidType> {
        PgType::parse_sql(text).map(|(ty, array_dims)| ColumnType::Builtin { ty, array_dims })
    }

    /// Reads the snapshot's spelling back (`integer[]`, `enum public.status`), the inverse of
    /// `Display`; a built-in spelling goes through [`PgType::from_canonical`].
    pub fn from_canonical(text: &str) -> Result<Self, TypeSpellingError> {
        let mut base = text;
        let mut array_dims = 0u8;
        while let Some(inner) = base.strip_suffix("[]") {
            base = inner;
            array_dims = array_dims
                .checked_add(1)
                .filter(|d| *d <= 6)
                .ok_or_else(|| TypeSpellingError::TooManyArrayDims(text.to_owned()))?;
        }
        if let Some(qualified) = base.strip_prefix("enum ") {
            let (schema, name) = qualified
                .split_once('.')
                .ok_or_else(|| TypeSpellingError::UnqualifiedEnum(qualified.to_owned()))?;
            return Ok(ColumnType::Enum {
                name: QualifiedName::new(schema, name),
                array_dims,
            });
        }
        Ok(ColumnType::Builtin {
            ty: PgType::from_canonical(base)?,
            array_dims,
        })
    }

    /// The same type wrapped in one more array dimension.
    pub fn array_of(self) -> Self {
        match self {
            ColumnType::Builtin { ty, array_dims } => ColumnType::Builtin {
                ty,
                array_dims: array_dims.saturating_add(1),
            },
            ColumnType::Enum { name, array_dims } => ColumnType::Enum {
                name,
                array_dims: array_dims.saturating_add(1),
            },
        }
    }

    /// The SQL to write in DDL: built-ins verbatim, enums quoted and qualified.
    pub fn sql(&self) -> String {
        let (mut sql, dims) = match self {
            ColumnType::Builtin { ty, array_dims } => (ty.to_string(), *array_dims),
            ColumnType::Enum { name, array_dims } => (name.sql(), *array_dims),
        };
        for _ in 0..dims {
            sql.push_str("[]");
        }
        sql
    }

    /// Whether changing a column from this type to `to` is metadata only (catalog row C9):
    /// built-ins of the same array dimensions where [`PgType::coerces_binary_to`] says so.
    pub fn is_binary_coercible_to(&self, to: &ColumnType) -> bool {
        match (self, to) {
            (
                ColumnType::Builtin {
                    ty: from,
                    array_dims: a,
                },
                ColumnType::Builtin {
                    ty: to,
                    array_dims: b,
                },
            ) => a == b && from.coerces_binary_to(to),
            (from, to) => from == to,
        }
    }

    /// Conversions the shadow-column plan (C10) makes on its own: every value of this type has
    /// exactly one `to` value, reached by a cast that cannot fail ([`PgType::converts_losslessly_to`]
    /// for built-ins of the same array dimensions; an enum to `text` or unbounded `character
    /// varying`). The way back (the new binary's writes, mirrored into the old column) may
    /// fail for values the old type cannot hold, which is the plan's warning.
    pub fn converts_losslessly_to(&self, to: &ColumnType) -> bool {
        match (self, to) {
            (
                ColumnType::Enum { array_dims: a, .. },
                ColumnType::Builtin {
                    ty: PgType::Text | PgType::Varchar(None),
                    array_dims: b,
                },
            ) => a == b,
            (
                ColumnType::Builtin {
                    ty: from,
                    array_dims: a,
                },
                ColumnType::Builtin {
                    ty: to,
                    array_dims: b,
                },
            ) => a == b && from.converts_losslessly_to(to),
            (from, to) => from == to,
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Builtin { ty, array_dims } => {
                write!(f, "{ty}")?;
                (0..*array_dims).try_for_each(|_| f.write_str("[]"))
            }
            ColumnType::Enum { name, array_dims } => {
                write!(f, "enum {name}")?;
                (0..*array_dims).try_for_each(|_| f.write_str("[]"))
            }
        }
    }
}

impl std::str::FromStr for ColumnType {
    type Err = TypeSpellingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ColumnType::from_canonical(text)
    }
}

impl Serialize for ColumnType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The Display text, written straight into the output (no intermediate String).
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ColumnType::from_canonical(&text).map_err(serde::de::Error::custom)
    }
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unique {
    /// Constraint name.
    pub name: String,
    /// Column names in key order.
    pub columns: Vec<String>,
}

/// One key of an index: a column or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKey {
    /// A plain column.
    Column(String),
    /// An expression such as `lower(email)`, normalised SQL.
    Expr(String),
}

impl Index {
    /// The unique btree index over these columns: what a UNIQUE or PRIMARY KEY constraint is
    /// built on.
    pub fn unique_btree(name: impl Into<String>, columns: &[String]) -> Index {
        Index {
            name: name.into(),
            keys: columns.iter().cloned().map(IndexKey::Column).collect(),
            unique: true,
            method: "btree".into(),
            predicate: None,
        }
    }
}

impl IndexKey {
    /// The SQL for this key inside `CREATE INDEX … (…)`.
    pub fn sql(&self) -> String {
        match self {
            IndexKey::Column(c) => crate::sql::quote_ident(c),
            IndexKey::Expr(e) => format!("({e})"),
        }
    }
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Index name.
    pub name: String,
    /// Keys in order.
    pub keys: Vec<IndexKey>,
    /// Whether it is a unique index.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// Access method (`btree`, `gin`, `gist`, `brin`, `hash`, …).
    pub method: String,
    /// Partial-index predicate, normalised SQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Constraint name.
    pub name: String,
    /// The boolean expression, normalised SQL.
    pub expr: String,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// Constraint name.
    pub name: String,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub references: QualifiedName,
    /// Referenced columns (the referenced table's primary key unless declared).
    pub referenced_columns: Vec<String>,
    /// ON DELETE action.
    #[serde(default, skip_serializing_if = "FkAction::is_default")]
    pub on_delete: FkAction,
    /// ON UPDATE action.
    #[serde(default, skip_serializing_if = "FkAction::is_default")]
    pub on_update: FkAction,
}

/// A referential action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    /// `NO ACTION` (PostgreSQL's default).
    #[default]
    NoAction,
    /// `RESTRICT`.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl FkAction {
    /// Parses the attribute spelling (`cascade`, `set null`, `set_null`, …), case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['_', '-'], " ")
            .as_str()
        {
            "no action" => Some(FkAction::NoAction),
            "restrict" => Some(FkAction::Restrict),
            "cascade" => Some(FkAction::Cascade),
            "set null" => Some(FkAction::SetNull),
            "set default" => Some(FkAction::SetDefault),
            _ => None,
        }
    }

    /// The SQL keyword(s).
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    fn is_default(&self) -> bool {
        *self == FkAction::NoAction
    }
}

/// A PostgreSQL enum type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    /// Qualified type name.
    pub name: QualifiedName,
    /// The Rust enum that declares it.
    pub rust_name: String,
    /// Labels in declaration order (PostgreSQL sorts enum values by this order).
    pub values: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> ColumnType {
        ColumnType::parse_sql(text).unwrap()
    }

    fn status(array_dims: u8) -> ColumnType {
        ColumnType::Enum {
            name: QualifiedName::new("public", "status"),
            array_dims,
        }
    }

    #[test]
    fn column_type_spellings_round_trip() {
        for ty in [
            t("varchar(80)[]"),
            t("int[][]"),
            t("numeric(9,6)"),
            t("citext[]"),
            status(0),
            status(2),
        ] {
            let text = ty.to_string();
            assert_eq!(ColumnType::from_canonical(&text), Ok(ty.clone()), "{text}");
            assert_eq!(text.parse::<ColumnType>(), Ok(ty));
        }
        assert_eq!(t("text[]").sql(), "text[]");
        assert_eq!(status(1).sql(), "\"public\".\"status\"[]");
    }

    #[test]
    fn malformed_snapshot_spellings_are_typed_errors() {
        assert_eq!(
            ColumnType::from_canonical(""),
            Err(TypeSpellingError::Empty)
        );
        assert_eq!(
            ColumnType::from_canonical("[]"),
            Err(TypeSpellingError::Empty)
        );
        assert_eq!(
            ColumnType::from_canonical("integer[][][][][][][]"),
            Err(TypeSpellingError::TooManyArrayDims(
                "integer[][][][][][][]".into()
            ))
        );
        assert_eq!(
            ColumnType::from_canonical("enum status"),
            Err(TypeSpellingError::UnqualifiedEnum("status".into()))
        );
    }

    #[test]
    fn coercions_need_the_same_array_dimensions() {
        assert!(t("varchar(80)[]").is_binary_coercible_to(&t("text[]")));
        assert!(!t("varchar(80)[]").is_binary_coercible_to(&t("text")));
        assert!(!t("varchar(80)").is_binary_coercible_to(&t("text[]")));
        assert!(!status(0).is_binary_coercible_to(&t("text")));
        assert!(status(0).is_binary_coercible_to(&status(0)));
        assert!(t("int[]").converts_losslessly_to(&t("bigint[]")));
        assert!(!t("int").converts_losslessly_to(&t("bigint[]")));
        assert!(!t("int[]").converts_losslessly_to(&t("bigint")));
    }

    #[test]
    fn enums_convert_losslessly_to_unbounded_text_only() {
        assert!(status(0).converts_losslessly_to(&t("text")));
        assert!(status(0).converts_losslessly_to(&t("varchar")));
        assert!(status(1).converts_losslessly_to(&t("text[]")));
        assert!(!status(0).converts_losslessly_to(&t("varchar(20)")));
        assert!(!status(1).converts_losslessly_to(&t("text")));
        assert!(!t("text").converts_losslessly_to(&status(0)));
        let other = ColumnType::Enum {
            name: QualifiedName::new("public", "other"),
            array_dims: 0,
        };
        assert!(!status(0).converts_losslessly_to(&other));
    }
}
