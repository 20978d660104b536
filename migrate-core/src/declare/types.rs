//! Rust type → PostgreSQL type mapping for fields without an explicit `column_type`.

use syn::{GenericArgument, PathArguments, Type};

use crate::model::{ColumnType, PgType};

/// What a field's Rust type says about its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredType {
    /// A known SQL type.
    Sql(ColumnType),
    /// A type the derive cannot map by itself: expected to be a `#[derive(PgEnum)]` enum,
    /// resolved by name later (and checked by a trait bound in the generated code).
    RustEnum {
        /// The last path segment, e.g. `OrderStatus`.
        ident: String,
        /// Array dimensions (`Vec<OrderStatus>` is 1).
        array_dims: u8,
    },
}

/// The mapping of a field's type: the column type and whether it is `Option<_>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedType {
    /// The column type.
    pub ty: DeclaredType,
    /// `Option<T>` maps to a nullable column.
    pub nullable: bool,
}

/// Why a field's Rust type has no column type of its own. Each message names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RustTypeError {
    /// `Option<Option<T>>`.
    #[error("`Option<Option<_>>` has no column form; use a single `Option<_>`")]
    NestedOption,
    /// A type no rule maps (a generic container, a tuple, a lower-case name).
    #[error("no PostgreSQL type for `{0}`; declare one with `#[migrate(column_type = \"…\")]`")]
    Unmapped(String),
    /// A well-known crate's type name without its crate path (`Uuid`).
    #[error(
        "`{ident}` is ambiguous here: the derive sees this struct, not the `use` that names `{ident}`, so it cannot tell `{krate}::{ident}` from another type of that name; write the full path (`{krate}::{ident}`), or declare `#[migrate(column_type = \"{sql_type}\")]`"
    )]
    Ambiguous {
        /// The bare type name.
        ident: String,
        /// The crate that usually provides it.
        krate: &'static str,
        /// The column type it maps to with its path.
        sql_type: PgType,
    },
    /// An unsigned (or oddly sized) integer: PostgreSQL has none.
    #[error(
        "PostgreSQL has no `{0}` type; use i16, i32 or i64, or declare `#[migrate(column_type = \"…\")]`"
    )]
    NoSuchInteger(String),
}

/// Peels `Option<T>` off a type: returns the inner type and whether it was optional.
pub fn peel_option(ty: &Type) -> (&Type, bool) {
    match last_segment(ty) {
        Some(Segment {
            ident,
            arg: Some(inner),
            ..
        }) if ident == "Option" => (inner, true),
        _ => (ty, false),
    }
}

/// Maps a Rust field type onto a column type. The error text names the fix.
pub fn map_rust_type(ty: &Type) -> Result<MappedType, RustTypeError> {
    let outer = last_segment(ty);
    let (inner, nullable) = match outer {
        Some(Segment {
            ref ident,
            arg: Some(inner),
            ..
        }) if ident == "Option" => (inner, true),
        _ => (ty, false),
    };
    let segment = if nullable { last_segment(inner) } else { outer };
    if nullable && segment.as_ref().is_some_and(|s| s.ident == "Option") {
        return Err(RustTypeError::NestedOption);
    }
    Ok(MappedType {
        ty: map_scalar_or_array(inner, segment)?,
        nullable,
    })
}

/// The last path segment of a type, looked at once: its identifier as text (each comparison
/// of a compiler identifier with a string would print it again) and its generic argument when
/// it has exactly one type argument.
struct Segment<'a> {
    ident: String,
    arg: Option<&'a Type>,
    has_generics: bool,
    /// The first segment (the crate) of a path of several, `None` for a single identifier.
    krate: Option<String>,
}

fn last_segment(ty: &Type) -> Option<Segment<'_>> {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            let segment = p.path.segments.last()?;
            let (arg, has_generics) = match &segment.arguments {
                PathArguments::AngleBracketed(args) => {
                    let mut types = args.args.iter().filter_map(|a| match a {
                        GenericArgument::Type(t) => Some(t),
                        _ => None,
                    });
                    let first = types.next();
                    (first.filter(|_| types.next().is_none()), true)
                }
                PathArguments::Parenthesized(_) => (None, true),
                PathArguments::None => (None, false),
            };
            let krate = (p.path.segments.len() > 1)
                .then(|| p.path.segments.first().map(|s| s.ident.to_string()))
                .flatten();
            Some(Segment {
                ident: segment.ident.to_string(),
                arg,
                has_generics,
                krate,
            })
        }
        Type::Reference(r) => last_segment(&r.elem),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn map_scalar_or_array(
    ty: &Type,
    segment: Option<Segment<'_>>,
) -> Result<DeclaredType, RustTypeError> {
    let Some(segment) = segment else {
        return Err(RustTypeError::Unmapped(type_text(ty)));
    };
    if segment.ident == "Vec"
        && let Some(elem) = segment.arg
    {
        let elem_segment = last_segment(elem);
        if elem_segment.as_ref().is_some_and(|s| s.ident == "u8") {
            return Ok(DeclaredType::Sql(ColumnType::builtin(PgType::Bytea)));
        }
        return Ok(match map_scalar_or_array(elem, elem_segment)? {
            DeclaredType::Sql(t) => DeclaredType::Sql(t.array_of()),
            DeclaredType::RustEnum { ident, array_dims } => DeclaredType::RustEnum {
                ident,
                array_dims: array_dims.saturating_add(1),
            },
        });
    }
    let ident = segment.ident;
    let builtin = |ty: PgType| Ok(DeclaredType::Sql(ColumnType::builtin(ty)));
    if let Some((crates, sql_type)) = WELL_KNOWN
        .iter()
        .find(|(name, ..)| *name == ident)
        .map(|(_, c, t)| (c, t))
    {
        match &segment.krate {
            Some(krate) if crates.contains(&krate.as_str()) => return builtin(sql_type.clone()),
            // Another crate's (or this crate's) type of that name: not the well-known one.
            Some(_) => {}
            None => {
                return Err(RustTypeError::Ambiguous {
                    ident,
                    krate: crates[0],
                    sql_type: sql_type.clone(),
                });
            }
        }
    }
    match ident.as_str() {
        "i16" => builtin(PgType::SmallInt),
        "i32" => builtin(PgType::Integer),
        "i64" => builtin(PgType::BigInt),
        "f32" => builtin(PgType::Real),
        "f64" => builtin(PgType::DoublePrecision),
        "bool" => builtin(PgType::Boolean),
        "String"
            if segment
                .krate
                .as_deref()
                .is_none_or(|k| ["std", "alloc"].contains(&k)) =>
        {
            builtin(PgType::Text)
        }
        "str" => builtin(PgType::Text),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i128" | "isize" => {
            Err(RustTypeError::NoSuchInteger(ident))
        }
        _ if ident.starts_with(|c: char| c.is_ascii_uppercase()) && !segment.has_generics => {
            Ok(DeclaredType::RustEnum {
                ident,
                array_dims: 0,
            })
        }
        _ => Err(RustTypeError::Unmapped(type_text(ty))),
    }
}

/// Types of well-known crates, mapped only when named by a path through one of those crates
/// (`uuid::Uuid`, `chrono::DateTime<Utc>`, `sqlx::types::Uuid`): a bare `Uuid` could be any type
/// a `use` or a local definition brings in, and the derive sees neither.
const WELL_KNOWN: &[(&str, &[&str], PgType)] = &[
    ("Uuid", &["uuid", "sqlx"], PgType::Uuid),
    ("NaiveDate", &["chrono", "sqlx"], PgType::Date),
    ("Date", &["time", "sqlx"], PgType::Date),
    ("NaiveTime", &["chrono", "sqlx"], TIME),
    ("Time", &["time", "sqlx"], TIME),
    ("NaiveDateTime", &["chrono", "sqlx"], TIMESTAMP),
    ("PrimitiveDateTime", &["time", "sqlx"], TIMESTAMP),
    ("DateTime", &["chrono", "sqlx"], TIMESTAMPTZ),
    ("OffsetDateTime", &["time", "sqlx"], TIMESTAMPTZ),
    ("Value", &["serde_json"], PgType::Jsonb),
    ("JsonValue", &["sqlx"], PgType::Jsonb),
    ("Json", &["sqlx"], PgType::Jsonb),
    ("Decimal", &["rust_decimal", "sqlx"], PgType::Numeric(None)),
    ("BigDecimal", &["bigdecimal", "sqlx"], PgType::Numeric(None)),
    ("IpNetwork", &["ipnetwork", "sqlx"], PgType::Inet),
    ("IpAddr", &["std", "core"], PgType::Inet),
    ("IpInet", &["sqlx"], PgType::Inet),
    ("PgInterval", &["sqlx"], PgType::Interval(None)),
];

const TIME: PgType = PgType::Time {
    precision: None,
    with_time_zone: false,
};
const TIMESTAMP: PgType = PgType::Timestamp {
    precision: None,
    with_time_zone: false,
};
const TIMESTAMPTZ: PgType = PgType::Timestamp {
    precision: None,
    with_time_zone: true,
};

/// A type as the user wrote it, without the token spacing `quote` adds.
fn type_text(ty: &Type) -> String {
    quote::quote!(#ty)
        .to_string()
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" :: ", "::")
        .replace(" ,", ",")
        .replace("& ", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(src: &str) -> Result<MappedType, RustTypeError> {
        map_rust_type(&syn::parse_str(src).unwrap())
    }

    #[test]
    fn maps_the_documented_types() {
        let sql = |ty: PgType, nullable| {
            Ok(MappedType {
                ty: DeclaredType::Sql(ColumnType::builtin(ty)),
                nullable,
            })
        };
        assert_eq!(map("i64"), sql(PgType::BigInt, false));
        assert_eq!(map("Option<String>"), sql(PgType::Text, true));
        assert_eq!(map("Vec<u8>"), sql(PgType::Bytea, false));
        assert_eq!(
            map("chrono::DateTime<chrono::Utc>"),
            sql(TIMESTAMPTZ, false)
        );
        assert_eq!(map("serde_json::Value"), sql(PgType::Jsonb, false));
        assert_eq!(
            map("rust_decimal::Decimal"),
            sql(PgType::Numeric(None), false)
        );
        assert_eq!(
            map("Vec<i32>"),
            Ok(MappedType {
                ty: DeclaredType::Sql(ColumnType::builtin(PgType::Integer).array_of()),
                nullable: false
            })
        );
        assert_eq!(
            map("Option<Vec<Status>>"),
            Ok(MappedType {
                ty: DeclaredType::RustEnum {
                    ident: "Status".into(),
                    array_dims: 1
                },
                nullable: true
            })
        );
    }

    #[test]
    fn refuses_types_without_a_column_form() {
        assert!(
            map("u32")
                .unwrap_err()
                .to_string()
                .contains("no `u32` type")
        );
        assert!(map("Option<Option<i32>>").is_err());
        assert!(
            map("HashMap<String, i32>")
                .unwrap_err()
                .to_string()
                .contains("column_type")
        );
        assert!(map("(i32, i32)").is_err());
    }

    /// The words the UI expectations (tests/ui/fail/*.stderr) hold.
    #[test]
    fn messages_are_the_ones_users_see() {
        let message = |src: &str| map(src).unwrap_err().to_string();
        assert_eq!(
            message("Uuid"),
            "`Uuid` is ambiguous here: the derive sees this struct, not the `use` that names `Uuid`, so it cannot tell `uuid::Uuid` from another type of that name; write the full path (`uuid::Uuid`), or declare `#[migrate(column_type = \"uuid\")]`"
        );
        assert_eq!(
            message("Value"),
            "`Value` is ambiguous here: the derive sees this struct, not the `use` that names `Value`, so it cannot tell `serde_json::Value` from another type of that name; write the full path (`serde_json::Value`), or declare `#[migrate(column_type = \"jsonb\")]`"
        );
        assert!(
            message("DateTime<Utc>")
                .ends_with("`#[migrate(column_type = \"timestamp with time zone\")]`")
        );
        assert_eq!(
            message("u32"),
            "PostgreSQL has no `u32` type; use i16, i32 or i64, or declare `#[migrate(column_type = \"…\")]`"
        );
        assert_eq!(
            message("HashMap<String, String>"),
            "no PostgreSQL type for `HashMap<String, String>`; declare one with `#[migrate(column_type = \"…\")]`"
        );
        assert_eq!(map("Option<Option<i32>>"), Err(RustTypeError::NestedOption));
    }

    #[test]
    fn well_known_types_are_mapped_by_their_full_path_only() {
        assert_eq!(
            map("uuid::Uuid").unwrap().ty,
            DeclaredType::Sql(ColumnType::builtin(PgType::Uuid))
        );
        assert_eq!(
            map("sqlx::types::Uuid").unwrap().ty,
            DeclaredType::Sql(ColumnType::builtin(PgType::Uuid))
        );
        assert_eq!(
            map("std::string::String").unwrap().ty,
            DeclaredType::Sql(ColumnType::builtin(PgType::Text))
        );
        // A bare name could be a local type: refused, asking for the path or `column_type`.
        let bare = map("Uuid").unwrap_err().to_string();
        assert!(
            bare.contains("uuid::Uuid") && bare.contains("column_type"),
            "{bare}"
        );
        assert!(
            map("Value")
                .unwrap_err()
                .to_string()
                .contains("serde_json::Value")
        );
        assert!(
            map("DateTime<Utc>")
                .unwrap_err()
                .to_string()
                .contains("chrono::DateTime")
        );
        // Another crate's type of a well-known name is not the well-known one.
        assert_eq!(
            map("crate::types::Uuid").unwrap().ty,
            DeclaredType::RustEnum {
                ident: "Uuid".into(),
                array_dims: 0
            }
        );
        assert!(
            map("toml::Value").unwrap().ty != DeclaredType::Sql(ColumnType::builtin(PgType::Jsonb))
        );
        assert!(
            map("my::String")
                .is_ok_and(|m| m.ty != DeclaredType::Sql(ColumnType::builtin(PgType::Text)))
        );
    }
}
