//! Rust type → PostgreSQL type mapping for fields without an explicit `column_type`.

use syn::{GenericArgument, PathArguments, Type};

use crate::model::ColumnType;

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
pub fn map_rust_type(ty: &Type) -> Result<MappedType, String> {
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
        return Err("`Option<Option<_>>` has no column form; use a single `Option<_>`".into());
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

fn map_scalar_or_array(ty: &Type, segment: Option<Segment<'_>>) -> Result<DeclaredType, String> {
    let Some(segment) = segment else {
        return Err(format!(
            "no PostgreSQL type for `{}`; declare one with `#[migrate(column_type = \"…\")]`",
            type_text(ty)
        ));
    };
    if segment.ident == "Vec"
        && let Some(elem) = segment.arg
    {
        let elem_segment = last_segment(elem);
        if elem_segment.as_ref().is_some_and(|s| s.ident == "u8") {
            return Ok(DeclaredType::Sql(ColumnType::builtin("bytea")));
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
    let builtin = |name: &str| Ok(DeclaredType::Sql(ColumnType::builtin(name)));
    if let Some((crates, sql_type)) = WELL_KNOWN
        .iter()
        .find(|(name, ..)| *name == ident)
        .map(|(_, c, t)| (c, t))
    {
        match &segment.krate {
            Some(krate) if crates.contains(&krate.as_str()) => return builtin(sql_type),
            // Another crate's (or this crate's) type of that name: not the well-known one.
            Some(_) => {}
            None => {
                return Err(format!(
                    "`{ident}` is ambiguous here: the derive sees this struct, not the `use` that names `{ident}`, so it cannot tell `{}::{ident}` from another type of that name; write the full path (`{}::{ident}`), or declare `#[migrate(column_type = \"{sql_type}\")]`",
                    crates[0], crates[0]
                ));
            }
        }
    }
    match ident.as_str() {
        "i16" => builtin("smallint"),
        "i32" => builtin("integer"),
        "i64" => builtin("bigint"),
        "f32" => builtin("real"),
        "f64" => builtin("double precision"),
        "bool" => builtin("boolean"),
        "String"
            if segment
                .krate
                .as_deref()
                .is_none_or(|k| ["std", "alloc"].contains(&k)) =>
        {
            builtin("text")
        }
        "str" => builtin("text"),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i128" | "isize" => Err(format!(
            "PostgreSQL has no `{ident}` type; use i16, i32 or i64, \
             or declare `#[migrate(column_type = \"…\")]`"
        )),
        _ if ident.starts_with(|c: char| c.is_ascii_uppercase()) && !segment.has_generics => {
            Ok(DeclaredType::RustEnum {
                ident,
                array_dims: 0,
            })
        }
        _ => Err(format!(
            "no PostgreSQL type for `{}`; declare one with `#[migrate(column_type = \"…\")]`",
            type_text(ty)
        )),
    }
}

/// Types of well-known crates, mapped only when named by a path through one of those crates
/// (`uuid::Uuid`, `chrono::DateTime<Utc>`, `sqlx::types::Uuid`): a bare `Uuid` could be any type
/// a `use` or a local definition brings in, and the derive sees neither.
const WELL_KNOWN: &[(&str, &[&str], &str)] = &[
    ("Uuid", &["uuid", "sqlx"], "uuid"),
    ("NaiveDate", &["chrono", "sqlx"], "date"),
    ("Date", &["time", "sqlx"], "date"),
    ("NaiveTime", &["chrono", "sqlx"], "time without time zone"),
    ("Time", &["time", "sqlx"], "time without time zone"),
    (
        "NaiveDateTime",
        &["chrono", "sqlx"],
        "timestamp without time zone",
    ),
    (
        "PrimitiveDateTime",
        &["time", "sqlx"],
        "timestamp without time zone",
    ),
    ("DateTime", &["chrono", "sqlx"], "timestamp with time zone"),
    (
        "OffsetDateTime",
        &["time", "sqlx"],
        "timestamp with time zone",
    ),
    ("Value", &["serde_json"], "jsonb"),
    ("JsonValue", &["sqlx"], "jsonb"),
    ("Json", &["sqlx"], "jsonb"),
    ("Decimal", &["rust_decimal", "sqlx"], "numeric"),
    ("BigDecimal", &["bigdecimal", "sqlx"], "numeric"),
    ("IpNetwork", &["ipnetwork", "sqlx"], "inet"),
    ("IpAddr", &["std", "core"], "inet"),
    ("IpInet", &["sqlx"], "inet"),
    ("PgInterval", &["sqlx"], "interval"),
];

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

    fn map(src: &str) -> Result<MappedType, String> {
        map_rust_type(&syn::parse_str(src).unwrap())
    }

    #[test]
    fn maps_the_documented_types() {
        let sql = |name: &str, nullable| {
            Ok(MappedType {
                ty: DeclaredType::Sql(ColumnType::builtin(name)),
                nullable,
            })
        };
        assert_eq!(map("i64"), sql("bigint", false));
        assert_eq!(map("Option<String>"), sql("text", true));
        assert_eq!(map("Vec<u8>"), sql("bytea", false));
        assert_eq!(
            map("chrono::DateTime<chrono::Utc>"),
            sql("timestamp with time zone", false)
        );
        assert_eq!(map("serde_json::Value"), sql("jsonb", false));
        assert_eq!(map("rust_decimal::Decimal"), sql("numeric", false));
        assert_eq!(
            map("Vec<i32>"),
            Ok(MappedType {
                ty: DeclaredType::Sql(ColumnType::builtin("integer").array_of()),
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
        assert!(map("u32").unwrap_err().contains("no `u32` type"));
        assert!(map("Option<Option<i32>>").is_err());
        assert!(
            map("HashMap<String, i32>")
                .unwrap_err()
                .contains("column_type")
        );
        assert!(map("(i32, i32)").is_err());
    }

    #[test]
    fn well_known_types_are_mapped_by_their_full_path_only() {
        assert_eq!(
            map("uuid::Uuid").unwrap().ty,
            DeclaredType::Sql(ColumnType::builtin("uuid"))
        );
        assert_eq!(
            map("sqlx::types::Uuid").unwrap().ty,
            DeclaredType::Sql(ColumnType::builtin("uuid"))
        );
        assert_eq!(
            map("std::string::String").unwrap().ty,
            DeclaredType::Sql(ColumnType::builtin("text"))
        );
        // A bare name could be a local type: refused, asking for the path or `column_type`.
        let bare = map("Uuid").unwrap_err();
        assert!(
            bare.contains("uuid::Uuid") && bare.contains("column_type"),
            "{bare}"
        );
        assert!(map("Value").unwrap_err().contains("serde_json::Value"));
        assert!(
            map("DateTime<Utc>")
                .unwrap_err()
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
        assert!(map("toml::Value").unwrap().ty != DeclaredType::Sql(ColumnType::builtin("jsonb")));
        assert!(
            map("my::String").is_ok_and(|m| m.ty != DeclaredType::Sql(ColumnType::builtin("text")))
        );
    }
}
