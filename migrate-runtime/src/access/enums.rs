//! `#[derive(PgEnum)]` enums as their PostgreSQL enum type in sqlx. The derive writes the
//! `Type`, `Encode`, `Decode` and `PgHasArrayType` impls (the orphan rule forbids one blanket
//! impl here), each calling these functions.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgTypeKind, PgValueRef};
use sqlx::{Decode, Encode, TypeInfo as _};

use crate::PgEnum;

/// Whether a column's type is this enum: by name, as the server reports it (`typname`, not
/// qualified), or as the declared qualified name (before the server has resolved it).
pub fn enum_compatible<T: PgEnum>(ty: &PgTypeInfo) -> bool {
    names_type::<T>(ty.name())
}

/// Whether `name`, as PostgreSQL prints a type (`mood`, `public.mood`, `"Odd Name"`,
/// `"public"."mood"`), is this enum's type.
fn names_type<T: PgEnum>(name: &str) -> bool {
    match identifier_parts(name).as_slice() {
        [name] => name == T::TYPE_NAME,
        [schema, name] => schema == T::SCHEMA && name == T::TYPE_NAME,
        _ => false,
    }
}

/// A dotted name's parts, unquoted (`""` inside quotes is one `"`).
fn identifier_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quoted = false;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                part.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    parts.push(part);
    parts
}

/// Whether a column's type is an array of this enum (`Vec<T>`).
pub fn enum_array_compatible<T: PgEnum>(ty: &PgTypeInfo) -> bool {
    if let PgTypeKind::Array(element) = ty.kind() {
        return enum_compatible::<T>(element);
    }
    ty.name().strip_suffix("[]").is_some_and(names_type::<T>)
}

/// Writes the value's label: an enum's binary form is its label's text.
pub fn encode_enum<T: PgEnum>(
    value: &T,
    buf: &mut PgArgumentBuffer,
) -> Result<IsNull, BoxDynError> {
    <&str as Encode<'_, sqlx::Postgres>>::encode(value.label(), buf)
}

/// Reads a label back, refusing one the enum does not declare (a label a newer release added,
/// say) with a message that names both.
pub fn decode_enum<T: PgEnum>(value: PgValueRef<'_>) -> Result<T, BoxDynError> {
    let label = <&str as Decode<'_, sqlx::Postgres>>::decode(value)?;
    T::from_label(label).ok_or_else(|| {
        format!(
            "`{label}` is not a label of {} (it has {}): the database holds a value this binary's release does not declare",
            T::SQL_NAME,
            T::LABELS.join(", ")
        )
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::identifier_parts;

    #[test]
    fn type_names_split_into_unquoted_parts() {
        assert_eq!(identifier_parts("mood"), ["mood"]);
        assert_eq!(identifier_parts("public.mood"), ["public", "mood"]);
        assert_eq!(identifier_parts("\"public\".\"mood\""), ["public", "mood"]);
        assert_eq!(
            identifier_parts("\"a.b\".\"say \"\"hi\"\"\""),
            ["a.b", "say \"hi\""]
        );
    }
}
