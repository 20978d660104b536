//! A column type as SQL writes it (`varchar(80)`, `int8`, `timestamptz`, `numeric(12, 2)[]`)
//! read into a [`PgType`] and its array dimensions, with PostgreSQL's refusals as typed errors.
//! The types are the contract's; reading SQL needs sqlparser, so it is an extension trait
//! ([`ParseSqlType`]) of this crate.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use crate::sql::Memo;
use migrate_contract::model::{ColumnType, NumericSize, PgType};

/// Why a declared column type is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidType {
    /// sqlparser cannot read it as a type.
    #[error(transparent)]
    Syntax(#[from] ParserError),
    /// Text after a complete type.
    #[error("unexpected `{0}` after the type")]
    Trailing(String),
    /// More than PostgreSQL's 6 array dimensions.
    #[error("PostgreSQL arrays have at most 6 dimensions")]
    TooManyArrayDims,
    /// `int[3]`: sizes that PostgreSQL ignores.
    #[error("declare array columns with `[]`; PostgreSQL does not enforce array sizes")]
    SizedArray,
    /// A `(` without its `)`.
    #[error("unbalanced parentheses in the type")]
    UnbalancedParentheses,
    /// Text after the modifiers' `)`.
    #[error("unexpected `{0}` after the type modifiers")]
    AfterModifiers(String),
    /// More modifiers than the type takes (none, for most built-ins).
    #[error("`{base}` takes at most {max} modifier(s)")]
    TooManyModifiers {
        /// The type as written, without modifiers.
        base: String,
        /// How many it takes.
        max: usize,
    },
    /// A built-in's modifier that is not a number.
    #[error("`{0}` is not a valid type modifier")]
    BadModifier(String),
    /// `varchar(0)`, `char(0)`.
    #[error(
        "`{0}(0)` is refused by PostgreSQL (the length must be at least 1); use `text` for no limit"
    )]
    ZeroLength(String),
    /// A length over PostgreSQL's 10485760.
    #[error("`{base}({length})` is over PostgreSQL's limit of 10485760; use `text`")]
    TooLong {
        /// The type as written, without modifiers.
        base: String,
        /// The declared length.
        length: u32,
    },
    /// `serial` and its kin are not types.
    #[error("`{0}` is not a real type; declare the column as an integer with `identity`")]
    Serial(String),
    /// A quoted or otherwise unusual name, which would be written into DDL as it is.
    #[error("`{0}` is not a plain type name; declare a type by its unquoted name")]
    NotPlainName(String),
    /// A modifier of an extension's type that is neither a word nor a number.
    #[error("`{0}` is not a plain type modifier")]
    NotPlainModifier(String),
}

/// PostgreSQL's limit on `character varying(n)` and `character(n)`.
const MAX_LENGTH: u32 = 10_485_760;

/// Reads a column type as SQL writes it (`varchar(80)`, `int8`, `numeric(12, 2)[]`). Bring it
/// into scope (`use migrate_core::model::ParseSqlType as _;`) to call `PgType::parse_sql` or
/// `ColumnType::parse_sql`.
pub trait ParseSqlType: Sized {
    /// What the text is read into.
    type Parsed;

    /// Parses a column type as SQL writes it, into PostgreSQL's canonical form: `int8` is
    /// [`PgType::BigInt`], `varchar(80)` prints `character varying(80)`.
    fn parse_sql(text: &str) -> Result<Self::Parsed, InvalidType>;
}

impl ParseSqlType for PgType {
    /// The type and its number of array dimensions.
    type Parsed = (PgType, u8);

    fn parse_sql(text: &str) -> Result<(PgType, u8), InvalidType> {
        thread_local! {
            static TYPES: Memo<Result<(PgType, u8), InvalidType>> = Memo::default();
        }
        TYPES.with(|memo| memo.get_or(text, || parse(text)))
    }
}

impl ParseSqlType for ColumnType {
    /// A built-in or extension type (enums are named by their Rust type, not parsed).
    type Parsed = ColumnType;

    fn parse_sql(text: &str) -> Result<ColumnType, InvalidType> {
        PgType::parse_sql(text).map(|(ty, array_dims)| ColumnType::Builtin { ty, array_dims })
    }
}

fn parse(text: &str) -> Result<(PgType, u8), InvalidType> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text)?;
    let data_type = parser.parse_data_type()?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(InvalidType::Trailing(next.token.to_string()));
    }
    from_printed(&data_type.to_string())
}

/// The printed type (lower-cased) without its array brackets, and how many there were.
fn array_dims(printed: &str) -> Result<(String, u8), InvalidType> {
    let mut text = printed.trim().to_ascii_lowercase();
    let mut dims = 0u8;
    while let Some(inner) = text.strip_suffix("[]") {
        text = inner.trim_end().to_owned();
        dims = dims
            .checked_add(1)
            .filter(|d| *d <= 6)
            .ok_or(InvalidType::TooManyArrayDims)?;
    }
    if text.contains('[') {
        return Err(InvalidType::SizedArray);
    }
    Ok((text, dims))
}

/// Splits `name(m1, m2)` into the name and its modifiers, trimmed.
fn modifiers(text: &str) -> Result<(String, Vec<String>), InvalidType> {
    let Some(open) = text.find('(') else {
        return Ok((text.trim().to_owned(), Vec::new()));
    };
    let close = text
        .rfind(')')
        .filter(|close| *close > open)
        .ok_or(InvalidType::UnbalancedParentheses)?;
    let after = text[close + 1..].trim();
    if !after.is_empty() {
        return Err(InvalidType::AfterModifiers(after.to_owned()));
    }
    let mods = text[open + 1..close]
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    Ok((text[..open].trim().to_owned(), mods))
}

/// Maps the printed form of a parsed type onto the type `format_type` would name.
fn from_printed(printed: &str) -> Result<(PgType, u8), InvalidType> {
    let (text, dims) = array_dims(printed)?;
    let with_time_zone = text.contains(" with time zone");
    let text = text
        .replace(" with time zone", "")
        .replace(" without time zone", "");
    let (base, mods) = modifiers(&text)?;
    let numbers = |max: usize| -> Result<Vec<u32>, InvalidType> {
        if mods.len() > max {
            return Err(InvalidType::TooManyModifiers {
                base: base.clone(),
                max,
            });
        }
        mods.iter()
            .map(|m| {
                m.parse::<u32>()
                    .map_err(|_| InvalidType::BadModifier(m.clone()))
            })
            .collect()
    };
    let one = |max_length: bool| -> Result<Option<u32>, InvalidType> {
        let n = numbers(1)?.first().copied();
        if max_length { length(&base, n) } else { Ok(n) }
    };
    let ty = match base.as_str() {
        "smallint" | "int2" => PgType::SmallInt,
        "integer" | "int" | "int4" => PgType::Integer,
        "bigint" | "int8" => PgType::BigInt,
        "real" | "float4" => PgType::Real,
        "double precision" | "float8" | "double" => PgType::DoublePrecision,
        "float" => match numbers(1)?.first() {
            Some(p) if *p <= 24 => PgType::Real,
            _ => PgType::DoublePrecision,
        },
        "boolean" | "bool" => PgType::Boolean,
        "text" => PgType::Text,
        "varchar" | "character varying" => PgType::Varchar(one(true)?),
        "char" | "character" | "bpchar" => PgType::Char(one(true)?.unwrap_or(1)),
        "numeric" | "decimal" | "dec" => PgType::Numeric(match numbers(2)?.as_slice() {
            [] => None,
            [precision] => Some(NumericSize {
                precision: *precision,
                scale: 0,
            }),
            [precision, scale, ..] => Some(NumericSize {
                precision: *precision,
                scale: *scale,
            }),
        }),
        "timestamp" => PgType::Timestamp {
            precision: one(false)?,
            with_time_zone,
        },
        "timestamptz" => PgType::Timestamp {
            precision: one(false)?,
            with_time_zone: true,
        },
        "time" => PgType::Time {
            precision: one(false)?,
            with_time_zone,
        },
        "timetz" => PgType::Time {
            precision: one(false)?,
            with_time_zone: true,
        },
        "interval" => PgType::Interval(one(false)?),
        "bit" => PgType::Bit(one(false)?),
        "bit varying" | "varbit" => PgType::BitVarying(one(false)?),
        "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2" => {
            return Err(InvalidType::Serial(base));
        }
        other => match PgType::from_canonical(other) {
            // Any other built-in is one keyword and takes no modifier.
            Ok(builtin) if builtin.is_builtin() => {
                numbers(0)?;
                builtin
            }
            _ => PgType::Other(other_type(other, &mods)?),
        },
    };
    Ok((ty, dims))
}

/// A type this module does not know is written into DDL as it is spelled: only plain words (a
/// schema-qualified name at most) and plain modifiers, nothing quoted.
fn other_type(name: &str, mods: &[String]) -> Result<String, InvalidType> {
    let plain = |t: &str, extra: &[char]| {
        t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c))
    };
    if !plain(name, &[' ', '.']) {
        return Err(InvalidType::NotPlainName(name.to_owned()));
    }
    if let Some(bad) = mods
        .iter()
        .find(|m| !(plain(m, &[]) || m.bytes().all(|b| b.is_ascii_digit()) && !m.is_empty()))
    {
        return Err(InvalidType::NotPlainModifier(bad.clone()));
    }
    Ok(if mods.is_empty() {
        name.to_owned()
    } else {
        format!("{name}({})", mods.join(","))
    })
}

/// A character type's length: PostgreSQL refuses 0 and anything over 10485760.
fn length(base: &str, n: Option<u32>) -> Result<Option<u32>, InvalidType> {
    match n {
        Some(0) => Err(InvalidType::ZeroLength(base.to_owned())),
        Some(length) if length > MAX_LENGTH => Err(InvalidType::TooLong {
            base: base.to_owned(),
            length,
        }),
        _ => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> Result<(String, u8), InvalidType> {
        PgType::parse_sql(text).map(|(ty, dims)| (ty.to_string(), dims))
    }

    #[test]
    fn canonical_types_match_format_type() {
        let cases = [
            ("int", "integer", 0),
            ("INT8", "bigint", 0),
            ("varchar(80)", "character varying(80)", 0),
            ("character varying", "character varying", 0),
            ("numeric(12, 2)", "numeric(12,2)", 0),
            ("decimal(10)", "numeric(10,0)", 0),
            ("timestamptz", "timestamp with time zone", 0),
            (
                "timestamp(3) with time zone",
                "timestamp(3) with time zone",
                0,
            ),
            ("timestamp", "timestamp without time zone", 0),
            ("timetz(4)", "time(4) with time zone", 0),
            ("float(10)", "real", 0),
            ("float", "double precision", 0),
            ("bpchar(3)", "character(3)", 0),
            ("varbit(5)", "bit varying(5)", 0),
            ("text[]", "text", 1),
            ("int[][]", "integer", 2),
            ("citext", "citext", 0),
            ("Geometry(Point, 4326)", "geometry(point,4326)", 0),
            ("bool", "boolean", 0),
            ("char", "character(1)", 0),
            ("int4range", "int4range", 0),
        ];
        for (input, name, dims) in cases {
            assert_eq!(canonical(input), Ok((name.to_owned(), dims)), "{input}");
        }
    }

    #[test]
    fn the_canonical_spelling_reads_back_as_the_same_type() {
        for input in [
            "varchar(80)",
            "numeric(9,6)",
            "timestamptz(3)",
            "citext",
            "money",
        ] {
            let (ty, _) = PgType::parse_sql(input).unwrap();
            assert_eq!(PgType::from_canonical(&ty.to_string()), Ok(ty));
        }
    }

    #[test]
    fn column_types_carry_their_array_dimensions() {
        let ty = ColumnType::parse_sql("varchar(80)[][]").unwrap();
        assert_eq!(ty.to_string(), "character varying(80)[][]");
        assert_eq!(ColumnType::from_canonical(&ty.to_string()), Ok(ty));
        assert!(
            ColumnType::parse_sql("varchar(80)")
                .unwrap()
                .is_binary_coercible_to(&ColumnType::parse_sql("text").unwrap())
        );
    }

    #[test]
    fn malformed_types_are_errors_not_panics() {
        assert!(PgType::parse_sql("\"a)(b\"").is_err());
        assert_eq!(
            PgType::parse_sql("int[][][][][][][]"),
            Err(InvalidType::TooManyArrayDims)
        );
        assert_eq!(PgType::parse_sql("int[3]"), Err(InvalidType::SizedArray));
    }

    #[test]
    fn serial_and_garbage_types_are_errors() {
        assert_eq!(
            PgType::parse_sql("serial"),
            Err(InvalidType::Serial("serial".into()))
        );
        assert!(
            PgType::parse_sql("serial")
                .unwrap_err()
                .to_string()
                .contains("identity")
        );
        assert_eq!(
            PgType::parse_sql("varchar(").unwrap_err().to_string(),
            "sql parser error: Expected: literal int, found: EOF"
        );
        assert!(PgType::parse_sql("int garbage").is_err());
        assert_eq!(
            PgType::parse_sql("varchar(0)").unwrap_err().to_string(),
            "`varchar(0)` is refused by PostgreSQL (the length must be at least 1); use `text` for no limit"
        );
        assert_eq!(
            PgType::parse_sql("\"Money\"").unwrap_err().to_string(),
            "`\"money\"` is not a plain type name; declare a type by its unquoted name"
        );
    }

    #[test]
    fn built_ins_without_modifiers_refuse_them() {
        assert_eq!(
            PgType::parse_sql("money(2)").unwrap_err().to_string(),
            "`money` takes at most 0 modifier(s)"
        );
        assert_eq!(
            canonical("vector(3)"),
            Ok(("vector(3)".to_owned(), 0)),
            "an extension's type keeps its modifiers"
        );
    }
}
