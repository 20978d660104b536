//! What PostgreSQL 15 accepts between built-in types, as far as a declaration decides it: which
//! types exist, which foreign keys it can implement, which index methods have an operator class
//! for a type, and which literal defaults a column takes. Each answer was checked on the server;
//! a type these tables do not know (one an extension provides) is never refused here.

use crate::model::{ColumnType, NumericSize, PgType};

/// A built-in scalar's group of types that compare with each other in one btree operator
/// family (cross-type equality operators exist), or through an implicit cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Integer,
    Float,
    Numeric,
    Text,
    DateTime,
    Network,
    Other,
}

fn family(ty: &PgType) -> Family {
    use PgType as T;
    match ty {
        T::SmallInt | T::Integer | T::BigInt => Family::Integer,
        T::Real | T::DoublePrecision => Family::Float,
        T::Numeric(_) => Family::Numeric,
        T::Text | T::Varchar(_) | T::Char(_) | T::Name => Family::Text,
        T::Date | T::Timestamp { .. } => Family::DateTime,
        T::Inet | T::Cidr => Family::Network,
        T::Money
        | T::Boolean
        | T::Bytea
        | T::Uuid
        | T::Time { .. }
        | T::Interval(_)
        | T::Json
        | T::Jsonb
        | T::JsonPath
        | T::Xml
        | T::MacAddr
        | T::MacAddr8
        | T::Point
        | T::Line
        | T::Lseg
        | T::Box
        | T::Path
        | T::Polygon
        | T::Circle
        | T::TsVector
        | T::TsQuery
        | T::Bit(_)
        | T::BitVarying(_)
        | T::Range(_)
        | T::Multirange(_)
        | T::Oid
        | T::RegClass
        | T::RegType
        | T::RegProc
        | T::RegProcedure
        | T::RegNamespace
        | T::RegRole
        | T::PgLsn
        | T::PgSnapshot
        | T::TxidSnapshot
        | T::Xid
        | T::Xid8
        | T::Cid
        | T::Tid
        | T::Other(_) => Family::Other,
    }
}

/// Whether PostgreSQL can implement a foreign key from a column of type `fk` to one of type
/// `pk`: an equality operator between them in the referenced index's operator family, or an
/// implicit cast from `fk` to `pk` (`integer` → `bigint`, `integer` → `numeric`, `varchar` →
/// `text` are accepted; `text` → `integer`, `numeric` → `integer`, `real` → `numeric`, `json`
/// → `jsonb` and `bigint[]` → `integer[]` are refused). `None` when it cannot tell (a type of
/// an extension, an unresolved enum).
pub fn foreign_key_compatible(fk: &ColumnType, pk: &ColumnType) -> Option<bool> {
    match (fk, pk) {
        (ColumnType::Enum { name: a, .. }, _) | (_, ColumnType::Enum { name: a, .. })
            if a.schema == "?" =>
        {
            None
        }
        (ColumnType::Enum { name: a, .. }, ColumnType::Enum { name: b, .. }) => Some(a == b),
        (ColumnType::Enum { .. }, ColumnType::Builtin { ty, .. })
        | (ColumnType::Builtin { ty, .. }, ColumnType::Enum { .. }) => {
            ty.is_builtin().then_some(false)
        }
        (
            ColumnType::Builtin {
                ty: a,
                array_dims: da,
            },
            ColumnType::Builtin {
                ty: b,
                array_dims: db,
            },
        ) => {
            if !a.is_builtin() || !b.is_builtin() {
                return (a == b && (*da > 0) == (*db > 0)).then_some(true);
            }
            // PostgreSQL does not tell `int[]` from `int[][]`, but arrays compare only with
            // arrays of the very same element type.
            match (*da > 0, *db > 0) {
                (true, true) => return Some(a.same_base_type(b)),
                (false, false) => {}
                _ => return Some(false),
            }
            if a.same_base_type(b) {
                return Some(true);
            }
            let (fa, fb) = (family(a), family(b));
            Some(match (fa, fb) {
                _ if fa == fb && fa != Family::Other => true,
                // Implicit casts from the referencing type to the referenced one (pg_cast
                // with context 'i').
                (Family::Integer, Family::Numeric | Family::Float) => true,
                (Family::Numeric, Family::Float) => true,
                _ => matches!(
                    (a, b),
                    (
                        PgType::Time {
                            with_time_zone: false,
                            ..
                        },
                        PgType::Time {
                            with_time_zone: true,
                            ..
                        } | PgType::Interval(_)
                    ) | (PgType::MacAddr, PgType::MacAddr8)
                        | (PgType::MacAddr8, PgType::MacAddr)
                        | (PgType::Bit(_), PgType::BitVarying(_))
                        | (PgType::BitVarying(_), PgType::Bit(_))
                ),
            })
        }
    }
}

/// The index methods whose default operator class covers a type (from `pg_opclass` of
/// PostgreSQL 15); `None` for a type these tables do not know.
fn index_methods(ty: &ColumnType) -> Option<&'static [&'static str]> {
    use PgType as T;
    const ALL_SCALAR: &[&str] = &["btree", "hash", "brin"];
    let (ty, dims) = match ty {
        ColumnType::Enum { array_dims: 0, .. } => return Some(&["btree", "hash"]),
        ColumnType::Enum { .. } => return Some(&["btree", "hash", "gin"]),
        ColumnType::Builtin { ty, array_dims } => (ty, *array_dims),
    };
    if !ty.is_builtin() {
        return None;
    }
    if dims > 0 {
        return Some(&["btree", "hash", "gin"]);
    }
    Some(match ty {
        T::Text | T::Varchar(_) | T::Name => &["btree", "hash", "brin", "spgist"],
        T::Inet | T::Cidr => &["btree", "hash", "brin", "spgist"],
        T::Jsonb => &["btree", "hash", "gin"],
        T::Json | T::Xml | T::JsonPath | T::Line | T::Lseg | T::Path => &[],
        T::TsVector => &["btree", "gin", "gist"],
        T::TsQuery => &["btree", "gist"],
        T::Point | T::Polygon => &["gist", "spgist"],
        T::Box => &["gist", "spgist", "brin"],
        T::Circle => &["gist"],
        T::Boolean => &["btree", "hash"],
        T::Money => &["btree"],
        T::Range(_) => &["btree", "hash", "gist", "spgist", "brin"],
        T::Multirange(_) => &["btree", "hash", "gist"],
        T::Bit(_) | T::BitVarying(_) => &["btree", "brin"],
        T::RegClass
        | T::RegType
        | T::RegProc
        | T::RegProcedure
        | T::RegNamespace
        | T::RegRole
        | T::Oid => &["btree", "hash", "brin"],
        T::PgSnapshot | T::TxidSnapshot | T::Cid => &[],
        T::SmallInt
        | T::Integer
        | T::BigInt
        | T::Real
        | T::DoublePrecision
        | T::Numeric(_)
        | T::Char(_)
        | T::Bytea
        | T::Uuid
        | T::Date
        | T::Time { .. }
        | T::Timestamp { .. }
        | T::Interval(_)
        | T::MacAddr
        | T::MacAddr8
        | T::PgLsn
        | T::Xid
        | T::Xid8
        | T::Tid => ALL_SCALAR,
        T::Other(_) => return None,
    })
}

/// Whether index method `method` can index a column of type `ty` with its default operator
/// class; `None` when the type is not a built-in these tables know.
pub fn method_indexes(method: &str, ty: &ColumnType) -> Option<bool> {
    index_methods(ty).map(|m| m.contains(&method))
}

/// The methods that can index `ty`, for the help text.
pub fn methods_for(ty: &ColumnType) -> Vec<&'static str> {
    index_methods(ty).map(<[_]>::to_vec).unwrap_or_default()
}

/// What a literal default is, as PostgreSQL types it before assigning it to the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralType {
    /// A quoted string: its type is the column's, if the text is valid input for it.
    Unknown(String),
    /// A number: integer when it has no point or exponent (and fits), numeric otherwise.
    Number {
        /// Whether it has no point or exponent and fits a bigint.
        integer: bool,
    },
    /// `true` / `false`.
    Boolean,
    /// An explicit cast to this canonical type.
    Cast(ColumnType),
}

/// Why a literal default fits its column's type but not its size, or `None` when it fits or
/// these rules cannot tell: an integer out of the type's range, a number with more integer
/// digits than `numeric(p,s)` keeps, a string longer than `character varying(n)` or
/// `character(n)` holds. The table takes such a default, and then every insert that uses it
/// fails.
pub fn value_out_of_range(text: &str, column: &ColumnType) -> Option<String> {
    use sqlparser::ast::{Expr, UnaryOperator, Value};
    let ColumnType::Builtin { ty, array_dims: 0 } = column else {
        return None;
    };
    let parsed = crate::sql::parse_expr(text).ok()?;
    let (number, string) = match &parsed {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => (Some(n.clone()), None),
            Value::SingleQuotedString(t) | Value::EscapedStringLiteral(t) => {
                (None, Some(t.clone()))
            }
            _ => return None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => (Some(format!("-{n}")), None),
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    let value = number.as_deref().or(string.as_deref()).map(str::trim)?;
    match ty {
        PgType::SmallInt | PgType::Integer | PgType::BigInt => {
            let (min, max) = integer_range(ty)?;
            // PostgreSQL rounds a fraction to the nearest integer, halves away from zero.
            let (negative, digits) = rounded_digits(value, 0)?;
            let v = digits.parse::<i128>().ok()?;
            let v = if negative { -v } else { v };
            (v < min || v > max).then(|| format!("{value} is out of the range of type {ty}"))
        }
        PgType::Numeric(Some(NumericSize { precision, scale })) => {
            let (precision, scale) = (*precision, *scale);
            // numeric(p, s) with s > p (PostgreSQL 15) keeps no digit before the point; these
            // rules leave it to the server.
            let whole = precision.checked_sub(scale)? as usize;
            let (_, digits) = rounded_digits(value, scale as usize)?;
            let before_point = digits.len().saturating_sub(scale as usize);
            let before_point = digits[..before_point].trim_start_matches('0').len();
            (before_point > whole).then(|| {
                format!(
                    "{value}, rounded to {scale} decimal(s), needs more than the {whole} digit(s) before the point that {column} keeps"
                )
            })
        }
        PgType::Varchar(Some(length)) | PgType::Char(length) => {
            let length = *length;
            // Both drop trailing spaces beyond their length instead of refusing them.
            let raw = string.as_deref().or(number.as_deref()).unwrap_or(value);
            let kept = raw.trim_end_matches(' ');
            (kept.chars().count() > length as usize).then(|| {
                format!(
                    "'{value}' has {} characters, more than the {length} that {column} holds",
                    kept.chars().count()
                )
            })
        }
        _ => None,
    }
}

/// The values an integer type holds.
fn integer_range(ty: &PgType) -> Option<(i128, i128)> {
    match ty {
        PgType::SmallInt => Some((i16::MIN.into(), i16::MAX.into())),
        PgType::Integer => Some((i32::MIN.into(), i32::MAX.into())),
        PgType::BigInt => Some((i64::MIN.into(), i64::MAX.into())),
        _ => None,
    }
}

/// A plain decimal number (`-12.345`, no exponent) rounded half away from zero to `scale`
/// decimals: its sign and its digits, the last `scale` of them after the point. `None` for any
/// other text (an exponent, a stray character), which the caller leaves to the server.
fn rounded_digits(value: &str, scale: usize) -> Option<(bool, String)> {
    let (negative, rest) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let (whole, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut digits: Vec<u8> = whole.bytes().collect();
    digits.extend(fraction.bytes().take(scale));
    digits.extend(std::iter::repeat_n(
        b'0',
        scale.saturating_sub(fraction.len()),
    ));
    if fraction.as_bytes().get(scale).is_some_and(|d| *d >= b'5') {
        // Carry the rounding up through the digits; a carry out of the first adds one.
        let mut carry = true;
        for d in digits.iter_mut().rev() {
            if !carry {
                break;
            }
            if *d == b'9' {
                *d = b'0';
            } else {
                *d += 1;
                carry = false;
            }
        }
        if carry {
            digits.insert(0, b'1');
        }
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    Some((negative, String::from_utf8(digits).ok()?))
}

/// Why PostgreSQL refuses `literal` as the default of a column of type `column`, or `None`
/// when it takes it or these tables cannot tell.
pub fn default_refusal(literal: &LiteralType, column: &ColumnType) -> Option<String> {
    let ColumnType::Builtin { ty, array_dims } = column else {
        // An enum takes a quoted label (checked against its labels where they are known) or a
        // cast to itself; a number, a boolean or a built-in type has no cast to it.
        let from = match literal {
            LiteralType::Unknown(_) => return None,
            LiteralType::Number { integer: true } => "integer".to_owned(),
            LiteralType::Number { integer: false } => "numeric".to_owned(),
            LiteralType::Boolean => "boolean".to_owned(),
            LiteralType::Cast(to) if to == column => return None,
            LiteralType::Cast(ColumnType::Builtin { ty, .. }) if ty.is_builtin() => ty.to_string(),
            LiteralType::Cast(_) => return None,
        };
        return Some(format!(
            "column is of type {column} but its default is of type {from}, and PostgreSQL has no assignment cast between them; write a label as a quoted string"
        ));
    };
    if !ty.is_builtin() {
        return None;
    }
    let scalar = *array_dims == 0;
    let target = family(ty);
    let textual = target == Family::Text && scalar;
    let numeric_target =
        scalar && matches!(target, Family::Integer | Family::Float | Family::Numeric);
    let type_mismatch = |from: &str| {
        Some(format!(
            "column is of type {column} but its default is of type {from}, and PostgreSQL has no assignment cast between them"
        ))
    };
    match literal {
        LiteralType::Unknown(text) => {
            if !scalar {
                return (!text.trim_start().starts_with('{'))
                    .then(|| format!("`'{text}'` is not an array literal (`'{{…}}'`)"));
            }
            (!valid_input(text, ty))
                .then(|| format!("`'{text}'` is not valid input for type {column}"))
        }
        LiteralType::Number { integer } => {
            if numeric_target || textual || (*ty == PgType::Money && scalar) {
                None
            } else {
                type_mismatch(if *integer { "integer" } else { "numeric" })
            }
        }
        LiteralType::Boolean => {
            if textual || (*ty == PgType::Boolean && scalar) {
                None
            } else {
                type_mismatch("boolean")
            }
        }
        LiteralType::Cast(from) => {
            if from == column {
                return None;
            }
            let ColumnType::Builtin {
                ty: from_ty,
                array_dims: from_dims,
            } = from
            else {
                return (!textual)
                    .then(|| type_mismatch(&from.to_string()))
                    .flatten();
            };
            if !from_ty.is_builtin() {
                return None;
            }
            let assignable = if *from_dims != *array_dims {
                textual
            } else {
                textual || scalar_assignable(from_ty, ty)
            };
            if assignable {
                None
            } else {
                type_mismatch(&from.to_string())
            }
        }
    }
}

/// Whether a quoted literal is valid input for a built-in scalar type, where these rules can
/// tell (numbers, booleans, uuids, json); `true` for the others.
fn valid_input(text: &str, ty: &PgType) -> bool {
    match ty {
        PgType::SmallInt | PgType::Integer | PgType::BigInt => {
            let Some((min, max)) = integer_range(ty) else {
                return true;
            };
            text.trim()
                .parse::<i128>()
                .is_ok_and(|v| v <= max && v >= min)
        }
        PgType::Real | PgType::DoublePrecision | PgType::Numeric(_) => {
            let t = text.trim().to_ascii_lowercase();
            t.parse::<f64>().is_ok()
                || ["nan", "infinity", "-infinity", "+infinity", "inf", "-inf"]
                    .contains(&t.as_str())
        }
        PgType::Boolean => {
            // Unique prefixes of true/false/yes/no, and on/off/1/0, in any case.
            let t = text.trim().to_ascii_lowercase();
            ["on", "of", "off", "1", "0"].contains(&t.as_str())
                || (!t.is_empty()
                    && ["true", "false", "yes", "no"]
                        .iter()
                        .any(|w| w.starts_with(&t)))
        }
        PgType::Uuid => valid_uuid(text),
        PgType::Json | PgType::Jsonb => serde_json::from_str::<serde_json::Value>(text).is_ok(),
        _ => true,
    }
}

/// Whether `pg_cast` of PostgreSQL 15 has an implicit or assignment cast (or the types share a
/// family whose members cast to each other), for built-ins other than the string types (which
/// every type casts to on assignment). Modifiers do not matter.
fn scalar_assignable(from: &PgType, to: &PgType) -> bool {
    use PgType as T;
    let (ff, ft) = (family(from), family(to));
    let numeric = |f: Family| matches!(f, Family::Integer | Family::Float | Family::Numeric);
    let time = |with_time_zone| T::Time {
        precision: None,
        with_time_zone,
    };
    // The pairs below name types without modifiers.
    let (from, to) = (without_modifiers(from), without_modifiers(to));
    from == to
        || (ff == ft && ff != Family::Other)
        || (numeric(ff) && numeric(ft))
        || matches!(
            (&from, &to),
            (T::Json, T::Jsonb)
                | (T::Jsonb, T::Json)
                | (T::Cidr, T::Inet)
                | (T::MacAddr, T::MacAddr8)
                | (T::MacAddr8, T::MacAddr)
                | (T::Bit(_), T::BitVarying(_))
                | (T::BitVarying(_), T::Bit(_))
                | (
                    T::Timestamp {
                        with_time_zone: true,
                        ..
                    },
                    T::Time { .. }
                )
                | (
                    T::Timestamp {
                        with_time_zone: false,
                        ..
                    },
                    T::Time {
                        with_time_zone: false,
                        ..
                    }
                )
                | (T::Time { .. }, T::Time { .. })
                | (T::Integer | T::BigInt | T::Numeric(_), T::Money)
                | (T::Money, T::Numeric(_))
                | (T::Box, T::Polygon)
                | (T::Point, T::Box)
                | (T::Path, T::Polygon)
                | (T::Polygon, T::Path)
        )
        || (from == time(false) && to == T::Interval(None))
        || (from == T::Interval(None) && to == time(false))
}

/// The type with its modifiers cleared (`character varying(80)` → `character varying`,
/// `time(3) with time zone` → `time with time zone`); `character(n)` becomes `character(1)`.
fn without_modifiers(ty: &PgType) -> PgType {
    match ty {
        PgType::Numeric(_) => PgType::Numeric(None),
        PgType::Varchar(_) => PgType::Varchar(None),
        PgType::Char(_) => PgType::Char(1),
        PgType::Interval(_) => PgType::Interval(None),
        PgType::Bit(_) => PgType::Bit(None),
        PgType::BitVarying(_) => PgType::BitVarying(None),
        PgType::Time { with_time_zone, .. } => PgType::Time {
            precision: None,
            with_time_zone: *with_time_zone,
        },
        PgType::Timestamp { with_time_zone, .. } => PgType::Timestamp {
            precision: None,
            with_time_zone: *with_time_zone,
        },
        other => other.clone(),
    }
}

fn valid_uuid(text: &str) -> bool {
    let t = text.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(t);
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ParseSqlType as _;

    fn ty(name: &str) -> ColumnType {
        ColumnType::parse_sql(name).unwrap()
    }

    #[test]
    fn defaults_too_large_for_their_column_are_refused() {
        assert!(value_out_of_range("300000", &ty("smallint")).is_some());
        assert!(value_out_of_range("-32768", &ty("smallint")).is_none());
        assert!(value_out_of_range("100", &ty("numeric(3,2)")).is_some());
        assert!(value_out_of_range("9.99", &ty("numeric(3,2)")).is_none());
        assert!(value_out_of_range("'toolong'", &ty("varchar(2)")).is_some());
        assert!(value_out_of_range("'ab   '", &ty("varchar(2)")).is_none());
        assert!(value_out_of_range("'abc'", &ty("char(3)")).is_none());
        assert!(value_out_of_range("now()", &ty("integer")).is_none());
        assert!(value_out_of_range("999999999999999999", &ty("numeric(18,0)")).is_none());
        assert!(value_out_of_range("999999999999999.99", &ty("numeric(17,2)")).is_none());
        assert!(value_out_of_range("9.995", &ty("numeric(3,2)")).is_some());
        assert!(value_out_of_range("-9.99", &ty("numeric(3,2)")).is_none());
        assert!(value_out_of_range("9223372036854775808", &ty("bigint")).is_some());
        assert!(value_out_of_range("-9223372036854775808", &ty("bigint")).is_none());
        assert!(value_out_of_range("1", &ty("numeric(2,5)")).is_none());
        assert!(value_out_of_range("32767.4", &ty("smallint")).is_none());
        assert!(value_out_of_range("32767.5", &ty("smallint")).is_some());
    }

    #[test]
    fn foreign_keys_follow_postgres_operator_families_and_implicit_casts() {
        let ok = |a: &str, b: &str| foreign_key_compatible(&ty(a), &ty(b));
        assert_eq!(ok("bigint", "integer"), Some(true));
        assert_eq!(ok("integer", "bigint"), Some(true));
        assert_eq!(ok("smallint", "bigint"), Some(true));
        assert_eq!(ok("integer", "numeric"), Some(true));
        assert_eq!(ok("integer", "double precision"), Some(true));
        assert_eq!(ok("numeric", "double precision"), Some(true));
        assert_eq!(ok("character varying(10)", "text"), Some(true));
        assert_eq!(ok("text", "character(3)"), Some(true));
        assert_eq!(
            ok("timestamp with time zone", "date"),
            Some(true),
            "datetime family"
        );
        assert_eq!(ok("text", "integer"), Some(false));
        assert_eq!(ok("numeric", "integer"), Some(false));
        assert_eq!(ok("real", "integer"), Some(false));
        assert_eq!(ok("real", "numeric"), Some(false));
        assert_eq!(ok("text", "uuid"), Some(false));
        assert_eq!(ok("json", "jsonb"), Some(false));
        assert_eq!(
            ok("time with time zone", "time without time zone"),
            Some(false)
        );
        assert_eq!(
            ok("time without time zone", "time with time zone"),
            Some(true)
        );
        assert_eq!(ok("citext", "text"), None);
        assert_eq!(
            foreign_key_compatible(&ty("bigint").array_of(), &ty("integer").array_of()),
            Some(false)
        );
        assert_eq!(
            foreign_key_compatible(&ty("character varying").array_of(), &ty("text").array_of()),
            Some(false)
        );
    }

    #[test]
    fn index_methods_need_a_default_operator_class() {
        assert_eq!(method_indexes("gin", &ty("bigint")), Some(false));
        assert_eq!(method_indexes("gin", &ty("jsonb")), Some(true));
        assert_eq!(method_indexes("gin", &ty("integer").array_of()), Some(true));
        assert_eq!(method_indexes("gist", &ty("text")), Some(false));
        assert_eq!(method_indexes("btree", &ty("json")), Some(false));
        assert_eq!(method_indexes("spgist", &ty("text")), Some(true));
        assert_eq!(method_indexes("gin", &ty("citext")), None);
    }

    #[test]
    fn literal_defaults_must_fit_the_column() {
        let refuse = |l: LiteralType, c: &str| default_refusal(&l, &ty(c)).is_some();
        assert!(refuse(LiteralType::Unknown("abc".into()), "integer"));
        assert!(!refuse(LiteralType::Unknown("12".into()), "integer"));
        assert!(refuse(LiteralType::Unknown("40000".into()), "smallint"));
        assert!(refuse(LiteralType::Boolean, "integer"));
        assert!(!refuse(LiteralType::Number { integer: true }, "text"));
        assert!(!refuse(LiteralType::Number { integer: false }, "integer"));
        assert!(refuse(LiteralType::Cast(ty("text")), "integer"));
        assert!(refuse(LiteralType::Number { integer: true }, "boolean"));
        assert!(refuse(LiteralType::Unknown("not json".into()), "jsonb"));
        assert!(refuse(LiteralType::Unknown("zz".into()), "uuid"));
        assert!(refuse(LiteralType::Number { integer: true }, "date"));
        assert!(!refuse(LiteralType::Unknown("{}".into()), "jsonb"));
        assert!(!refuse(LiteralType::Unknown("yes".into()), "boolean"));
        assert!(!refuse(LiteralType::Unknown("anything".into()), "citext"));
        let status = ColumnType::Enum {
            name: crate::model::QualifiedName::new("public", "status"),
            array_dims: 0,
        };
        assert!(default_refusal(&LiteralType::Number { integer: true }, &status).is_some());
        assert!(default_refusal(&LiteralType::Cast(ty("text")), &status).is_some());
        assert!(default_refusal(&LiteralType::Unknown("open".into()), &status).is_none());
        assert!(default_refusal(&LiteralType::Cast(status.clone()), &status).is_none());
    }
}
