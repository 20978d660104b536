//! The crate applications depend on.
//!
//! Declare tables with `#[derive(Table)]` and PostgreSQL enums with `#[derive(PgEnum)]`; a
//! `build.rs` calling `migrate_build::compile()` turns the difference from the checked-in
//! snapshot into migrations. The attribute reference is in the repository README.
//!
//! Each struct also gets typed accessors bound to its release's views ([`access`]: insert,
//! fetch, update, delete, upsert, `FromRow`), and [`access::Binding`] (`BINDING`) opens pools
//! tagged with the release, which contract waits for.
//!
//! At run time, [`migrator`] applies the embedded plans (`PLANS`, see [`include_schema!`])
//! phase by phase: expand, backfill, contract, under one runner lock, with a tracking schema,
//! lock-timeout retries and resumable backfills. [`introspect`] reads a live database back
//! into the schema model and says how it differs from the declared one, and [`runner`] walks
//! one backfill job or rolls back one phase on a connection you own. Both use sqlx (PostgreSQL, tokio) and the serde-only [`contract`];
//! no SQL parser or `syn` is linked into the application (those run only inside the derive
//! macros, at compile time).
//!
//! ```
//! use migrate_runtime::{PgEnum, Table};
//!
//! #[derive(Table)]
//! #[migrate(table_name = "users")]
//! pub struct User {
//!     #[migrate(primary_key, identity)]
//!     pub id: i64,
//!     #[migrate(unique, column_type = "varchar(320)")]
//!     pub email: String,
//!     pub nickname: Option<String>,
//! }
//! ```

pub use migrate_macros::{PgEnum, Table};

pub mod access;
pub mod introspect;
pub mod migrator;
pub mod release_tag;
pub mod runner;

/// The sqlx the generated accessors are written against; name it in your own code to be sure
/// both agree.
pub use sqlx;

/// The derives and the accessor traits, for `use migrate_runtime::prelude::*;`.
pub mod prelude {
    pub use crate::access::{Keyed, NewRecord, Record};
    pub use crate::{PgEnum, Table};
}

/// The plan contract: the typed, versioned plan data (`migrations/plans/NNNN.json`) a runner
/// reads with [`contract::Plan::from_json`]. Serde-only: reading plans compiles no SQL parser.
pub use migrate_contract as contract;

/// Implemented by `#[derive(Table)]`.
pub trait Table {
    /// The PostgreSQL schema of the physical table.
    const SCHEMA: &'static str;
    /// The table name.
    const TABLE: &'static str;
    /// Column names in declaration order.
    const COLUMNS: &'static [&'static str];
    /// The view this binary's release reads and writes the table through, qualified and
    /// quoted for hand-written SQL: `"release_0004"."users"`.
    const VIEW: &'static str;
    /// Its columns computed by a Rust function (`compute(..)`), for the runner's backfill:
    /// pass them to `Migrator::computing`.
    const COMPUTED: &'static [&'static dyn access::ComputeJob] = &[];
}

/// Implemented by `#[derive(PgEnum)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no PostgreSQL column type",
    label = "no SQL type for this field",
    note = "derive it with `#[derive(PgEnum)]` if it is an enum, or declare the type on the field: `#[migrate(column_type = \"…\")]`"
)]
pub trait PgEnum:
    Sized
    + 'static
    + sqlx::Type<sqlx::Postgres>
    + for<'q> sqlx::Encode<'q, sqlx::Postgres>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::postgres::PgHasArrayType
{
    /// The schema of the enum type.
    const SCHEMA: &'static str;
    /// The enum type's name.
    const TYPE_NAME: &'static str;
    /// The qualified, quoted name: `"public"."status"`.
    const SQL_NAME: &'static str;
    /// Labels in declaration order.
    const LABELS: &'static [&'static str];
    /// This value's label.
    fn label(&self) -> &'static str;
    /// The value for a label, if it is one of [`PgEnum::LABELS`].
    fn from_label(label: &str) -> Option<Self>;
}

/// Includes what the build helper generated for this crate (`OUT_DIR/migrate_schema.rs`):
/// `RELEASE`, `VIEWS_SCHEMA`, `PLAN_SUMMARY`, `PENDING`, `PLANS` (every accepted release's
/// plan data, for [`migrator::Migrator::embedded`]) and `BINDING` (the release the crate's
/// accessors are bound to, an [`access::Binding`]).
#[macro_export]
macro_rules! include_schema {
    () => {
        include!(concat!(env!("OUT_DIR"), "/migrate_schema.rs"));
    };
}
