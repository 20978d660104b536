//! The schema model: what the snapshot stores and what the diff compares.
//!
//! The data types and their pure type facts live in the contract crate
//! ([`migrate_contract::model`]), so the runtime can read a live database back into them
//! without compiling an SQL parser; they are re-exported here, so `crate::model::X` names
//! them. What needs sqlparser stays in this crate: reading a type as SQL writes it
//! ([`ParseSqlType`]). The model holds no spans and no intent (renames, drops, escape
//! hatches); those live in [`crate::declare`].

mod type_sql;

pub use migrate_contract::model::{
    Check, Column, ColumnType, Conversion, EnumType, FkAction, ForeignKey, Index, IndexKey,
    NumericSize, PgType, QualifiedName, RangeKind, Schema, Table, TypeSpellingError, Unique,
};
pub use type_sql::{InvalidType, ParseSqlType};
