//! PostgreSQL's built-in column types as data, and the facts the planner needs about them.
//!
//! [`PgType`]'s `Display` is the canonical spelling (what `format_type` prints) and
//! [`PgType::from_canonical`] reads it back, so the snapshot stores exactly the text it always
//! has. A spelling that names none of the built-ins (an extension's type, or text the snapshot
//! validation refuses later) is kept verbatim in [`PgType::Other`]. This file depends on std
//! only: the SQL syntax of types (`varchar(80)`, `int8`) is parsed in `migrate-core`, which
//! has an SQL parser.

use std::fmt;

/// The modifiers of `numeric(p,s)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumericSize {
    /// Total number of significant digits.
    pub precision: u32,
    /// Digits after the decimal point.
    pub scale: u32,
}

/// The element type of a built-in range (`int4range`) or multirange (`int4multirange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeKind {
    /// `integer` bounds. sqlx: `PgRange<i32>`.
    Int4,
    /// `bigint` bounds. sqlx: `PgRange<i64>`.
    Int8,
    /// `numeric` bounds. sqlx: `PgRange<rust_decimal::Decimal>` or `PgRange<BigDecimal>`.
    Num,
    /// `timestamp without time zone` bounds. sqlx: `PgRange<chrono::NaiveDateTime>`.
    Ts,
    /// `timestamp with time zone` bounds. sqlx: `PgRange<chrono::DateTime<Utc>>`.
    TsTz,
    /// `date` bounds. sqlx: `PgRange<chrono::NaiveDate>`.
    Date,
}

impl RangeKind {
    /// Every kind, in declaration order.
    pub const ALL: [RangeKind; 6] = [
        RangeKind::Int4,
        RangeKind::Int8,
        RangeKind::Num,
        RangeKind::Ts,
        RangeKind::TsTz,
        RangeKind::Date,
    ];

    /// The spelling before `range` / `multirange`.
    fn prefix(self) -> &'static str {
        match self {
            RangeKind::Int4 => "int4",
            RangeKind::Int8 => "int8",
            RangeKind::Num => "num",
            RangeKind::Ts => "ts",
            RangeKind::TsTz => "tstz",
            RangeKind::Date => "date",
        }
    }
}

/// A PostgreSQL column type other than a declared enum, without array dimensions.
///
/// Each variant's doc names the sqlx Rust type that decodes it (features of sqlx such as
/// `chrono`, `uuid`, `rust_decimal` where needed); "no sqlx type" means it reads only through
/// a cast to `text` (`String`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PgType {
    /// `smallint`. sqlx: `i16`.
    SmallInt,
    /// `integer`. sqlx: `i32`.
    Integer,
    /// `bigint`. sqlx: `i64`.
    BigInt,
    /// `real`. sqlx: `f32`.
    Real,
    /// `double precision`. sqlx: `f64`.
    DoublePrecision,
    /// `numeric` or `numeric(p,s)`. sqlx: `rust_decimal::Decimal` or `bigdecimal::BigDecimal`.
    Numeric(Option<NumericSize>),
    /// `money`. sqlx: `sqlx::postgres::types::PgMoney`.
    Money,
    /// `boolean`. sqlx: `bool`.
    Boolean,
    /// `text`. sqlx: `String`.
    Text,
    /// `character varying` or `character varying(n)`. sqlx: `String`.
    Varchar(Option<u32>),
    /// `character(n)` (blank-padded). sqlx: `String`.
    Char(u32),
    /// `name`. sqlx: `String`.
    Name,
    /// `bytea`. sqlx: `Vec<u8>`.
    Bytea,
    /// `uuid`. sqlx: `uuid::Uuid`.
    Uuid,
    /// `date`. sqlx: `chrono::NaiveDate` or `time::Date`.
    Date,
    /// `time[(p)] with[out] time zone`. sqlx: `chrono::NaiveTime` or `time::Time` without a
    /// zone, `sqlx::postgres::types::PgTimeTz` with one.
    Time {
        /// Fractional-second digits, when declared (6 otherwise).
        precision: Option<u32>,
        /// `with time zone` (`timetz`).
        with_time_zone: bool,
    },
    /// `timestamp[(p)] with[out] time zone`. sqlx: `chrono::NaiveDateTime` or
    /// `time::PrimitiveDateTime` without a zone, `chrono::DateTime<Utc>` or
    /// `time::OffsetDateTime` with one.
    Timestamp {
        /// Fractional-second digits, when declared (6 otherwise).
        precision: Option<u32>,
        /// `with time zone` (`timestamptz`).
        with_time_zone: bool,
    },
    /// `interval` or `interval(p)`. sqlx: `sqlx::postgres::types::PgInterval`.
    Interval(Option<u32>),
    /// `json`. sqlx: `serde_json::Value` or `sqlx::types::Json<T>`.
    Json,
    /// `jsonb`. sqlx: `serde_json::Value` or `sqlx::types::Json<T>`.
    Jsonb,
    /// `jsonpath`. No sqlx type.
    JsonPath,
    /// `xml`. No sqlx type.
    Xml,
    /// `inet`. sqlx: `ipnetwork::IpNetwork`, `ipnet::IpNet` or `std::net::IpAddr`.
    Inet,
    /// `cidr`. sqlx: `ipnetwork::IpNetwork` or `ipnet::IpNet`.
    Cidr,
    /// `macaddr`. sqlx: `mac_address::MacAddress`.
    MacAddr,
    /// `macaddr8`. No sqlx type.
    MacAddr8,
    /// `point`. sqlx: `sqlx::postgres::types::PgPoint`.
    Point,
    /// `line`. sqlx: `sqlx::postgres::types::PgLine`.
    Line,
    /// `lseg`. sqlx: `sqlx::postgres::types::PgLSeg`.
    Lseg,
    /// `box`. sqlx: `sqlx::postgres::types::PgBox`.
    Box,
    /// `path`. sqlx: `sqlx::postgres::types::PgPath`.
    Path,
    /// `polygon`. sqlx: `sqlx::postgres::types::PgPolygon`.
    Polygon,
    /// `circle`. sqlx: `sqlx::postgres::types::PgCircle`.
    Circle,
    /// `tsvector`. No sqlx type.
    TsVector,
    /// `tsquery`. No sqlx type.
    TsQuery,
    /// `bit` or `bit(n)`. sqlx: `bit_vec::BitVec`.
    Bit(Option<u32>),
    /// `bit varying` or `bit varying(n)` (`varbit`). sqlx: `bit_vec::BitVec`.
    BitVarying(Option<u32>),
    /// A built-in range (`int4range`, …). sqlx: `sqlx::postgres::types::PgRange<T>`, `T` as
    /// [`RangeKind`] says.
    Range(RangeKind),
    /// A built-in multirange (`int4multirange`, …). No sqlx type.
    Multirange(RangeKind),
    /// `oid`. sqlx: `sqlx::postgres::types::Oid`.
    Oid,
    /// `regclass`. No sqlx type (cast to `oid` for `Oid`).
    RegClass,
    /// `regtype`. No sqlx type (cast to `oid` for `Oid`).
    RegType,
    /// `regproc`. No sqlx type (cast to `oid` for `Oid`).
    RegProc,
    /// `regprocedure`. No sqlx type (cast to `oid` for `Oid`).
    RegProcedure,
    /// `regnamespace`. No sqlx type (cast to `oid` for `Oid`).
    RegNamespace,
    /// `regrole`. No sqlx type (cast to `oid` for `Oid`).
    RegRole,
    /// `pg_lsn`. No sqlx type.
    PgLsn,
    /// `pg_snapshot`. No sqlx type.
    PgSnapshot,
    /// `txid_snapshot`. No sqlx type.
    TxidSnapshot,
    /// `xid`. No sqlx type.
    Xid,
    /// `xid8`. No sqlx type.
    Xid8,
    /// `cid`. No sqlx type.
    Cid,
    /// `tid`. No sqlx type.
    Tid,
    /// Any other type, spelled as declared (lower-cased, modifiers included): one an extension
    /// provides (`citext`, `geometry(point,4326)`), an enum named by `column_type`, or a
    /// spelling the snapshot validation refuses. Never the spelling of a variant above. sqlx:
    /// the extension's type where sqlx has one (`PgCiText`, `PgLTree`, `PgHstore`, `PgCube`),
    /// otherwise none.
    Other(String),
}

/// A snapshot type spelling that is not a type at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeSpellingError {
    /// An empty string (or `[]` alone).
    #[error("empty column type")]
    Empty,
    /// More array brackets than PostgreSQL allows.
    #[error("`{0}` has more than 6 array dimensions")]
    TooManyArrayDims(String),
    /// `enum x` without its schema.
    #[error("enum type `{0}` must be `schema.name`")]
    UnqualifiedEnum(String),
}

/// The types spelled by one keyword (no modifiers), each with its spelling.
const KEYWORDS: &[(PgType, &str)] = &[
    (PgType::SmallInt, "smallint"),
    (PgType::Integer, "integer"),
    (PgType::BigInt, "bigint"),
    (PgType::Real, "real"),
    (PgType::DoublePrecision, "double precision"),
    (PgType::Money, "money"),
    (PgType::Boolean, "boolean"),
    (PgType::Text, "text"),
    (PgType::Name, "name"),
    (PgType::Bytea, "bytea"),
    (PgType::Uuid, "uuid"),
    (PgType::Date, "date"),
    (PgType::Json, "json"),
    (PgType::Jsonb, "jsonb"),
    (PgType::JsonPath, "jsonpath"),
    (PgType::Xml, "xml"),
    (PgType::Inet, "inet"),
    (PgType::Cidr, "cidr"),
    (PgType::MacAddr, "macaddr"),
    (PgType::MacAddr8, "macaddr8"),
    (PgType::Point, "point"),
    (PgType::Line, "line"),
    (PgType::Lseg, "lseg"),
    (PgType::Box, "box"),
    (PgType::Path, "path"),
    (PgType::Polygon, "polygon"),
    (PgType::Circle, "circle"),
    (PgType::TsVector, "tsvector"),
    (PgType::TsQuery, "tsquery"),
    (PgType::Oid, "oid"),
    (PgType::RegClass, "regclass"),
    (PgType::RegType, "regtype"),
    (PgType::RegProc, "regproc"),
    (PgType::RegProcedure, "regprocedure"),
    (PgType::RegNamespace, "regnamespace"),
    (PgType::RegRole, "regrole"),
    (PgType::PgLsn, "pg_lsn"),
    (PgType::PgSnapshot, "pg_snapshot"),
    (PgType::TxidSnapshot, "txid_snapshot"),
    (PgType::Xid, "xid"),
    (PgType::Xid8, "xid8"),
    (PgType::Cid, "cid"),
    (PgType::Tid, "tid"),
];

impl PgType {
    /// Reads a canonical spelling back (the snapshot's `type`, without array brackets). Every
    /// text comes back as the value that prints it: a built-in's canonical spelling as its
    /// variant, anything else (an extension's type, a non-canonical spelling the snapshot
    /// validation then refuses) as [`PgType::Other`], unchanged.
    pub fn from_canonical(text: &str) -> Result<PgType, TypeSpellingError> {
        if text.is_empty() {
            return Err(TypeSpellingError::Empty);
        }
        if let Some((ty, _)) = KEYWORDS.iter().find(|(_, spelling)| *spelling == text) {
            return Ok(ty.clone());
        }
        // A candidate read loosely, kept only if it prints the text back exactly.
        let candidate = Self::structured(text).filter(|ty| ty.to_string() == text);
        Ok(candidate.unwrap_or_else(|| PgType::Other(text.to_owned())))
    }

    /// The types with modifiers, a zone or a range kind, read loosely.
    fn structured(text: &str) -> Option<PgType> {
        for kind in RangeKind::ALL {
            if let Some(rest) = text.strip_prefix(kind.prefix()) {
                match rest {
                    "range" => return Some(PgType::Range(kind)),
                    "multirange" => return Some(PgType::Multirange(kind)),
                    _ => {}
                }
            }
        }
        let (head, zone) = if let Some(head) = text.strip_suffix(" with time zone") {
            (head, Some(true))
        } else if let Some(head) = text.strip_suffix(" without time zone") {
            (head, Some(false))
        } else {
            (text, None)
        };
        let (base, modifiers) = match head.split_once('(') {
            Some((base, rest)) => (base, Some(rest.strip_suffix(')')?)),
            None => (head, None),
        };
        let one = |m: Option<&str>| -> Option<Option<u32>> {
            m.map(|m| m.parse().ok())
                .map_or(Some(None), |n| n.map(Some))
        };
        Some(match (base, zone) {
            ("time", Some(with_time_zone)) => PgType::Time {
                precision: one(modifiers)?,
                with_time_zone,
            },
            ("timestamp", Some(with_time_zone)) => PgType::Timestamp {
                precision: one(modifiers)?,
                with_time_zone,
            },
            (_, Some(_)) => return None,
            ("numeric", None) => PgType::Numeric(match modifiers {
                None => None,
                Some(m) => {
                    let (p, s) = m.split_once(',')?;
                    Some(NumericSize {
                        precision: p.parse().ok()?,
                        scale: s.parse().ok()?,
                    })
                }
            }),
            ("character varying", None) => PgType::Varchar(one(modifiers)?),
            ("character", None) => PgType::Char(one(modifiers)??),
            ("interval", None) => PgType::Interval(one(modifiers)?),
            ("bit", None) => PgType::Bit(one(modifiers)?),
            ("bit varying", None) => PgType::BitVarying(one(modifiers)?),
            _ => return None,
        })
    }

    /// Whether this is one of PostgreSQL's built-in types (not [`PgType::Other`]).
    pub fn is_builtin(&self) -> bool {
        !matches!(self, PgType::Other(_))
    }

    /// Whether two types are the same type but for their modifiers (`character varying(10)`
    /// and `character varying(20)`; `time` and `time(3)`, but not `timetz`).
    pub fn same_base_type(&self, other: &PgType) -> bool {
        use PgType as T;
        match (self, other) {
            (T::Numeric(_), T::Numeric(_))
            | (T::Varchar(_), T::Varchar(_))
            | (T::Char(_), T::Char(_))
            | (T::Interval(_), T::Interval(_))
            | (T::Bit(_), T::Bit(_))
            | (T::BitVarying(_), T::BitVarying(_)) => true,
            (
                T::Time {
                    with_time_zone: a, ..
                },
                T::Time {
                    with_time_zone: b, ..
                },
            )
            | (
                T::Timestamp {
                    with_time_zone: a, ..
                },
                T::Timestamp {
                    with_time_zone: b, ..
                },
            ) => a == b,
            (a, b) => a == b,
        }
    }

    /// Whether changing a column from this type to `to` is metadata only, with no rewrite and
    /// no scan (catalog row C9): `character varying(n)` to a longer one, to unbounded or to
    /// `text`; `text` to unbounded `character varying`; `numeric` to more precision at the
    /// same scale, or to unconstrained `numeric`; `timestamp`, `time` or `interval` to more
    /// fractional digits, keeping the zone; `cidr` to `inet`. A type coerces to itself.
    pub fn coerces_binary_to(&self, to: &PgType) -> bool {
        use PgType as T;
        // Fractional-second digits; PostgreSQL's default is 6.
        let digits = |p: &Option<u32>| p.unwrap_or(6);
        match (self, to) {
            (from, to) if from == to => true,
            (T::Varchar(_), T::Varchar(None) | T::Text) | (T::Text, T::Varchar(None)) => true,
            (T::Varchar(Some(from)), T::Varchar(Some(to))) => to >= from,
            (T::Numeric(_), T::Numeric(None)) => true,
            (T::Numeric(Some(from)), T::Numeric(Some(to))) => {
                to.scale == from.scale && to.precision >= from.precision
            }
            (
                T::Timestamp {
                    precision: fp,
                    with_time_zone: fz,
                },
                T::Timestamp {
                    precision: tp,
                    with_time_zone: tz,
                },
            )
            | (
                T::Time {
                    precision: fp,
                    with_time_zone: fz,
                },
                T::Time {
                    precision: tp,
                    with_time_zone: tz,
                },
            ) => fz == tz && digits(tp) >= digits(fp),
            (T::Interval(fp), T::Interval(tp)) => digits(tp) >= digits(fp),
            (T::Cidr, T::Inet) => true,
            _ => false,
        }
    }

    /// Whether every value of this type has exactly one value of `to`, reached by a cast that
    /// cannot fail (what a C10 shadow column mirrors on its own): wider integers; integers to
    /// a `numeric` with room for their digits; `numeric` to more digits on both sides of the
    /// point; `smallint` and `integer` to the floats that hold them exactly; `real` to
    /// `double precision`; `date` to `timestamp`; and to `text` or unbounded `character
    /// varying` from the types whose text output is exact and independent of the session.
    pub fn converts_losslessly_to(&self, to: &PgType) -> bool {
        use PgType as T;
        match (self, to) {
            (from, to) if from == to => true,
            (from, to) if from.integer_digits().is_some() && to.integer_digits().is_some() => {
                to.integer_digits() > from.integer_digits()
            }
            (from, T::Numeric(size)) if from.integer_digits().is_some() => size
                .is_none_or(|s| Some(s.precision.saturating_sub(s.scale)) >= from.integer_digits()),
            (T::Numeric(_), T::Numeric(None)) => true,
            (T::Numeric(None), T::Numeric(Some(_))) => false,
            (T::Numeric(Some(from)), T::Numeric(Some(to))) => {
                to.precision.saturating_sub(to.scale) >= from.precision.saturating_sub(from.scale)
                    && to.scale >= from.scale
            }
            // Exact in the wider mantissa (24 bits for real, 53 for double precision).
            (T::SmallInt, T::Real | T::DoublePrecision)
            | (T::Integer | T::Real, T::DoublePrecision)
            | (
                T::Date,
                T::Timestamp {
                    precision: None,
                    with_time_zone: false,
                },
            ) => true,
            (from, T::Text | T::Varchar(None)) => from.exact_text_output(),
            _ => false,
        }
    }

    /// Decimal digits an integer type needs: smallint 5, integer 10, bigint 19.
    fn integer_digits(&self) -> Option<u32> {
        match self {
            PgType::SmallInt => Some(5),
            PgType::Integer => Some(10),
            PgType::BigInt => Some(19),
            _ => None,
        }
    }

    /// Whether the text output is exact and the same in every session. Dates, times and
    /// intervals follow DateStyle, TimeZone and IntervalStyle, floats extra_float_digits,
    /// `character(n)` loses its padding, and json has no equality for a trigger to compare.
    fn exact_text_output(&self) -> bool {
        use PgType as T;
        match self {
            T::SmallInt | T::Integer | T::BigInt | T::Numeric(_) | T::Boolean | T::Uuid => true,
            T::Jsonb => true,
            T::Real
            | T::DoublePrecision
            | T::Money
            | T::Text
            | T::Varchar(_)
            | T::Char(_)
            | T::Name
            | T::Bytea
            | T::Date
            | T::Time { .. }
            | T::Timestamp { .. }
            | T::Interval(_)
            | T::Json
            | T::JsonPath
            | T::Xml
            | T::Inet
            | T::Cidr
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
            | T::Other(_) => false,
        }
    }

    /// The spelling of a type without modifiers, a zone or a range kind.
    fn keyword(&self) -> Option<&'static str> {
        use PgType as T;
        Some(match self {
            T::SmallInt => "smallint",
            T::Integer => "integer",
            T::BigInt => "bigint",
            T::Real => "real",
            T::DoublePrecision => "double precision",
            T::Money => "money",
            T::Boolean => "boolean",
            T::Text => "text",
            T::Name => "name",
            T::Bytea => "bytea",
            T::Uuid => "uuid",
            T::Date => "date",
            T::Json => "json",
            T::Jsonb => "jsonb",
            T::JsonPath => "jsonpath",
            T::Xml => "xml",
            T::Inet => "inet",
            T::Cidr => "cidr",
            T::MacAddr => "macaddr",
            T::MacAddr8 => "macaddr8",
            T::Point => "point",
            T::Line => "line",
            T::Lseg => "lseg",
            T::Box => "box",
            T::Path => "path",
            T::Polygon => "polygon",
            T::Circle => "circle",
            T::TsVector => "tsvector",
            T::TsQuery => "tsquery",
            T::Oid => "oid",
            T::RegClass => "regclass",
            T::RegType => "regtype",
            T::RegProc => "regproc",
            T::RegProcedure => "regprocedure",
            T::RegNamespace => "regnamespace",
            T::RegRole => "regrole",
            T::PgLsn => "pg_lsn",
            T::PgSnapshot => "pg_snapshot",
            T::TxidSnapshot => "txid_snapshot",
            T::Xid => "xid",
            T::Xid8 => "xid8",
            T::Cid => "cid",
            T::Tid => "tid",
            T::Numeric(_)
            | T::Varchar(_)
            | T::Char(_)
            | T::Time { .. }
            | T::Timestamp { .. }
            | T::Interval(_)
            | T::Bit(_)
            | T::BitVarying(_)
            | T::Range(_)
            | T::Multirange(_)
            | T::Other(_) => return None,
        })
    }
}

impl fmt::Display for PgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sized = |f: &mut fmt::Formatter<'_>, base: &str, n: &Option<u32>| match n {
            Some(n) => write!(f, "{base}({n})"),
            None => f.write_str(base),
        };
        let zoned = |f: &mut fmt::Formatter<'_>, base: &str, p: &Option<u32>, with: bool| {
            sized(f, base, p)?;
            f.write_str(if with {
                " with time zone"
            } else {
                " without time zone"
            })
        };
        match self {
            PgType::Numeric(None) => f.write_str("numeric"),
            PgType::Numeric(Some(NumericSize { precision, scale })) => {
                write!(f, "numeric({precision},{scale})")
            }
            PgType::Varchar(n) => sized(f, "character varying", n),
            PgType::Char(n) => write!(f, "character({n})"),
            PgType::Time {
                precision,
                with_time_zone,
            } => zoned(f, "time", precision, *with_time_zone),
            PgType::Timestamp {
                precision,
                with_time_zone,
            } => zoned(f, "timestamp", precision, *with_time_zone),
            PgType::Interval(p) => sized(f, "interval", p),
            PgType::Bit(n) => sized(f, "bit", n),
            PgType::BitVarying(n) => sized(f, "bit varying", n),
            PgType::Range(kind) => write!(f, "{}range", kind.prefix()),
            PgType::Multirange(kind) => write!(f, "{}multirange", kind.prefix()),
            PgType::Other(text) => f.write_str(text),
            keyword => f.write_str(keyword.keyword().unwrap_or_default()),
        }
    }
}

impl std::str::FromStr for PgType {
    type Err = TypeSpellingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PgType::from_canonical(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every variant but `Other`, with a few modifiers each.
    fn samples() -> Vec<PgType> {
        let mut all: Vec<PgType> = KEYWORDS.iter().map(|(t, _)| t.clone()).collect();
        for n in [None, Some(1), Some(80)] {
            all.push(PgType::Varchar(n));
            all.push(PgType::Interval(n));
            all.push(PgType::Bit(n));
            all.push(PgType::BitVarying(n));
            for with_time_zone in [false, true] {
                all.push(PgType::Time {
                    precision: n,
                    with_time_zone,
                });
                all.push(PgType::Timestamp {
                    precision: n,
                    with_time_zone,
                });
            }
        }
        all.extend([PgType::Char(1), PgType::Char(64), PgType::Numeric(None)]);
        all.push(PgType::Numeric(Some(NumericSize {
            precision: 9,
            scale: 6,
        })));
        for kind in RangeKind::ALL {
            all.extend([PgType::Range(kind), PgType::Multirange(kind)]);
        }
        all
    }

    #[test]
    fn keywords_agree_with_display() {
        for (ty, spelling) in KEYWORDS {
            assert_eq!(ty.keyword(), Some(*spelling));
            assert_eq!(ty.to_string(), *spelling);
        }
    }

    #[test]
    fn every_variant_round_trips_through_its_spelling() {
        for ty in samples() {
            let text = ty.to_string();
            assert_eq!(PgType::from_canonical(&text), Ok(ty.clone()), "{text}");
            assert!(ty.is_builtin(), "{text}");
        }
    }

    #[test]
    fn spellings_match_format_type() {
        let cases = [
            (PgType::Varchar(Some(80)), "character varying(80)"),
            (PgType::Char(2), "character(2)"),
            (
                PgType::Numeric(Some(NumericSize {
                    precision: 12,
                    scale: 2,
                })),
                "numeric(12,2)",
            ),
            (
                PgType::Timestamp {
                    precision: Some(3),
                    with_time_zone: true,
                },
                "timestamp(3) with time zone",
            ),
            (
                PgType::Time {
                    precision: None,
                    with_time_zone: false,
                },
                "time without time zone",
            ),
            (PgType::Interval(Some(2)), "interval(2)"),
            (PgType::BitVarying(Some(5)), "bit varying(5)"),
            (PgType::Range(RangeKind::TsTz), "tstzrange"),
            (PgType::Multirange(RangeKind::Date), "datemultirange"),
            (PgType::DoublePrecision, "double precision"),
        ];
        for (ty, text) in cases {
            assert_eq!(ty.to_string(), text);
        }
    }

    #[test]
    fn unknown_and_non_canonical_spellings_pass_through_unchanged() {
        for text in [
            "citext",
            "public.citext",
            "geometry(point,4326)",
            "vector(3)",
            "interval year to month",
            "numeric(10)",
            "numeric(010,2)",
            "numeric(10, 2)",
            "character varying(+5)",
            "character",
            "int",
            "varbit",
            "timestamptz",
            "time(3)",
            "text; DELETE FROM posts; --",
            "int4rangex",
        ] {
            let ty = PgType::from_canonical(text).unwrap();
            assert_eq!(ty, PgType::Other(text.to_owned()), "{text}");
            assert_eq!(ty.to_string(), text);
            assert!(!ty.is_builtin());
        }
        assert_eq!(PgType::from_canonical(""), Err(TypeSpellingError::Empty));
    }

    fn any_type() -> impl Strategy<Value = PgType> {
        let n = proptest::option::of(0u32..100_000);
        prop_oneof![
            proptest::sample::select(samples()),
            n.clone().prop_map(PgType::Varchar),
            (0u32..10_485_761).prop_map(PgType::Char),
            (0u32..1000, 0u32..1000).prop_map(|(precision, scale)| PgType::Numeric(Some(
                NumericSize { precision, scale }
            ))),
            (n.clone(), any::<bool>()).prop_map(|(precision, with_time_zone)| PgType::Time {
                precision,
                with_time_zone
            }),
            (n.clone(), any::<bool>()).prop_map(|(precision, with_time_zone)| {
                PgType::Timestamp {
                    precision,
                    with_time_zone,
                }
            }),
            n.clone().prop_map(PgType::Interval),
            n.clone().prop_map(PgType::Bit),
            n.prop_map(PgType::BitVarying),
        ]
    }

    proptest! {
        #[test]
        fn display_and_from_canonical_round_trip(ty in any_type()) {
            let text = ty.to_string();
            prop_assert_eq!(PgType::from_canonical(&text), Ok(ty));
        }

        #[test]
        fn any_text_reads_back_as_itself(text in "[a-z0-9 (),._;]{1,40}") {
            let ty = PgType::from_canonical(&text).unwrap();
            prop_assert_eq!(ty.to_string(), text);
        }
    }

    fn t(text: &str) -> PgType {
        let ty = PgType::from_canonical(text).unwrap();
        assert!(ty.is_builtin(), "{text} is not canonical");
        ty
    }

    /// Catalog row C9, rule by rule.
    #[test]
    fn binary_coercible_follows_catalog_row_c9() {
        let yes = |a: &str, b: &str| assert!(t(a).coerces_binary_to(&t(b)), "{a} → {b}");
        let no = |a: &str, b: &str| assert!(!t(a).coerces_binary_to(&t(b)), "{a} ↛ {b}");
        // varchar(n) → varchar(m ≥ n), unbounded varchar or text; varchar ↔ text.
        yes("character varying(80)", "character varying(120)");
        yes("character varying(80)", "character varying(80)");
        yes("character varying(80)", "character varying");
        yes("character varying(80)", "text");
        yes("character varying", "text");
        yes("text", "character varying");
        no("character varying(120)", "character varying(80)");
        no("character varying", "character varying(80)");
        no("text", "character varying(200)");
        no("character(3)", "text");
        no("character(3)", "character(4)");
        // numeric: precision up at the same scale, or unconstrained.
        yes("numeric(10,2)", "numeric(12,2)");
        yes("numeric(10,2)", "numeric");
        no("numeric(10,2)", "numeric(12,3)");
        no("numeric(12,2)", "numeric(10,2)");
        no("numeric", "numeric(12,2)");
        // timestamp / time / interval precision up, same zone (6 when not declared).
        yes(
            "timestamp(3) without time zone",
            "timestamp without time zone",
        );
        yes("timestamp(6) with time zone", "timestamp with time zone");
        yes("time(2) with time zone", "time(4) with time zone");
        yes("interval(3)", "interval");
        no(
            "timestamp without time zone",
            "timestamp(3) without time zone",
        );
        no("timestamp without time zone", "timestamp with time zone");
        no("time without time zone", "time with time zone");
        no("interval", "interval(3)");
        no("timestamp without time zone", "time without time zone");
        // cidr → inet, not back.
        yes("cidr", "inet");
        no("inet", "cidr");
        // Anything else rewrites.
        no("integer", "bigint");
        no("text", "integer");
        no("json", "jsonb");
        no("date", "timestamp without time zone");
        let citext = PgType::Other("citext".into());
        assert!(citext.coerces_binary_to(&citext));
        assert!(!citext.coerces_binary_to(&PgType::Text));
        assert!(!PgType::Text.coerces_binary_to(&citext));
    }

    #[test]
    fn lossless_conversions_widen_and_never_fail() {
        let yes = |a: &str, b: &str| assert!(t(a).converts_losslessly_to(&t(b)), "{a} → {b}");
        let no = |a: &str, b: &str| assert!(!t(a).converts_losslessly_to(&t(b)), "{a} ↛ {b}");
        yes("smallint", "integer");
        yes("integer", "bigint");
        yes("integer", "numeric(12,2)");
        yes("bigint", "numeric");
        yes("bigint", "numeric(19,0)");
        yes("numeric(10,2)", "numeric(14,4)");
        yes("numeric(10,2)", "numeric");
        yes("smallint", "real");
        yes("integer", "double precision");
        yes("real", "double precision");
        yes("date", "timestamp without time zone");
        for from in ["integer", "numeric(5,2)", "boolean", "uuid", "jsonb"] {
            yes(from, "text");
            yes(from, "character varying");
            no(from, "character varying(20)");
        }
        no("bigint", "integer");
        no("integer", "numeric(8,0)");
        no("numeric(10,2)", "numeric(12,1)");
        no("numeric", "numeric(12,2)");
        no("integer", "real");
        no("bigint", "double precision");
        no("double precision", "real");
        no("text", "integer");
        no("text", "character varying(20)");
        no("character(3)", "text");
        no("json", "text");
        no("date", "text");
        no("double precision", "text");
        no("timestamp without time zone", "timestamp with time zone");
        no("date", "timestamp with time zone");
        no("cidr", "inet");
    }

    #[test]
    fn base_types_ignore_modifiers_but_not_zones() {
        assert!(t("character varying(10)").same_base_type(&t("character varying")));
        assert!(t("numeric(3,1)").same_base_type(&t("numeric")));
        assert!(t("time(3) with time zone").same_base_type(&t("time with time zone")));
        assert!(!t("time with time zone").same_base_type(&t("time without time zone")));
        assert!(!t("bit").same_base_type(&t("bit varying")));
        assert!(!t("int4range").same_base_type(&t("int8range")));
    }
}
