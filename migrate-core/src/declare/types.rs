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
            Some(Segment {
                ident: segment.ident.to_string(),
                arg,
                has_generics,
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
    match ident.as_str() {
        "i16" => builtin("smallint"),
        "i32" => builtin("integer"),
        "i64" => builtin("bigint"),
        "f32" => builtin("real"),
        "f64" => builtin("double precision"),
        "bool" => builtin("boolean"),
        "String" | "str" => builtin("text"),
        "Uuid" => builtin("uuid"),
        "NaiveDate" | "Date" => builtin("date"),
        "NaiveTime" | "Time" => builtin("time without time zone"),
        "NaiveDateTime" | "PrimitiveDateTime" => builtin("timestamp without time zone"),
        "DateTime" | "OffsetDateTime" => builtin("timestamp with time zone"),
        "Value" | "JsonValue" | "Json" => builtin("jsonb"),
        "Decimal" | "BigDecimal" => builtin("numeric"),
        "IpNetwork" | "IpAddr" | "IpInet" => builtin("inet"),
        "PgInterval" => builtin("interval"),
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
}
