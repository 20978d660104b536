//! `#[derive(PgEnum)]` enums as their PostgreSQL enum type in sqlx. The derive writes the
//! `Type`, `Encode`, `Decode` and `PgHasArrayType` impls (the orphan rule forbids one blanket
//! impl here), each calling these functions.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgArguments, PgRow, PgTypeInfo, PgTypeKind, PgValueRef};
use sqlx::{Arguments as _, Decode, Encode, Row as _, TypeInfo as _};

use crate::PgEnum;

/// How the accessors bind and read a field whose type the derive took for a
/// `#[derive(PgEnum)]` enum (a type it does not know, with no `column_type`). The derive calls
/// [`enum_column`] with the enum inside the field's `Option`/`Vec`, spanned on it; that call is
/// the only place the bound is checked (the shapes it returns are plain function pointers), so
/// a type that is no PgEnum gets one error, the derive's.
pub struct EnumColumn<T> {
    plain: Shape<T>,
    option: Shape<Option<T>>,
    vec: Shape<Vec<T>>,
    option_vec: Shape<Option<Vec<T>>>,
}

/// Binding and reading one shape of field (`T`, `Option<T>`, `Vec<T>`, `Option<Vec<T>>`).
pub struct Shape<F> {
    bind: fn(&F, &mut PgArguments) -> Result<(), BoxDynError>,
    read: fn(&PgRow, &str) -> Result<F, sqlx::Error>,
}

impl<F> Shape<F> {
    /// Binds the field's value.
    pub fn bind(&self, arguments: &mut PgArguments, value: &F) -> Result<(), BoxDynError> {
        (self.bind)(value, arguments)
    }

    /// Reads the field from a row's column.
    pub fn read(&self, row: &PgRow, column: &str) -> Result<F, sqlx::Error> {
        (self.read)(row, column)
    }
}

/// The one bound every use of an enum field checks.
pub fn enum_column<T: PgEnum>() -> EnumColumn<T> {
    EnumColumn {
        plain: Shape {
            bind: |value, arguments| arguments.add(value),
            read: |row, column| row.try_get(column),
        },
        option: Shape {
            bind: |value, arguments| arguments.add(value),
            read: |row, column| row.try_get(column),
        },
        vec: Shape {
            bind: |value, arguments| arguments.add(value),
            read: |row, column| row.try_get(column),
        },
        option_vec: Shape {
            bind: |value, arguments| arguments.add(value),
            read: |row, column| row.try_get(column),
        },
    }
}

impl<T> EnumColumn<T> {
    /// A field of the enum itself.
    pub fn plain(&self) -> &Shape<T> {
        &self.plain
    }
    /// An `Option` of it.
    pub fn option(&self) -> &Shape<Option<T>> {
        &self.option
    }
    /// A `Vec` of it (an array column).
    pub fn vec(&self) -> &Shape<Vec<T>> {
        &self.vec
    }
    /// An `Option<Vec>` of it (a nullable array column).
    pub fn option_vec(&self) -> &Shape<Option<Vec<T>>> {
        &self.option_vec
    }
}

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
