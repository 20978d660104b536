//! What the generated accessors stand on.
//!
//! `#[derive(Table)]` gives a struct, bound to one release's schema of views:
//! - [`Record`]: `insert`, and `FromRow` for custom queries;
//! - [`Keyed`], when it has a primary key: `fetch`, `fetch_optional`, `update`, `delete`,
//!   `upsert`, and `upsert_on` a declared unique constraint (a `Conflict` constant per
//!   constraint, `User::ON_EMAIL`);
//! - [`NewRecord`] on a generated `New<Struct>`, when some column is left to the database (an
//!   identity or a default): its fields are the other columns, and `insert` returns the row.
//!
//! Every statement names the view with its schema (`"release_0004"."users"`), so no
//! `search_path` can send it elsewhere, and every method takes any executor: a pool, a
//! connection or a transaction. The statements are constants the derive wrote; the methods
//! are defined once, here, so a crate with hundreds of tables compiles them once.
//!
//! [`Binding`] is the crate's release (`BINDING`, from `include_schema!`): its schema, a
//! qualified name per table, and the pool set-up that tags connections with the release.
//!
//! ```no_run
//! use migrate_runtime::prelude::*;
//!
//! #[derive(Table, Debug)]
//! #[migrate(table_name = "users")]
//! pub struct User {
//!     #[migrate(primary_key, identity)]
//!     pub id: i64,
//!     #[migrate(unique)]
//!     pub email: String,
//! }
//!
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), sqlx::Error> {
//! let user = NewUser { email: "ada@example.com".into() }.insert(&pool).await?;
//! let same = User::fetch(&pool, &user.id).await?;
//! let mut tx = pool.begin().await?;
//! User { email: "ada@example.org".into(), ..same }.update(&mut *tx).await?;
//! tx.commit().await?;
//! # Ok(()) }
//! ```

mod binding;
mod computed;
mod enums;

use std::future::Future;
use std::marker::PhantomData;

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Arguments as _, FromRow, PgExecutor};

pub use binding::{BindError, Binding};
pub use computed::{ComputeJob, PlanQuery};
pub use enums::{
    EnumColumn, Shape, decode_enum, encode_enum, enum_array_compatible, enum_column,
    enum_compatible,
};

use crate::Table;

/// A struct whose rows the generated statements insert and read.
pub trait Record: Table + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static {
    /// `INSERT` of every column, `$1..$n` in declaration order, returning the row.
    const INSERT: &'static str;

    /// Binds every column, in declaration order.
    fn bind_row(&self, arguments: &mut PgArguments) -> Result<(), BoxDynError>;

    /// Inserts this row (every column, as given) and returns it as stored.
    fn insert<'e, E: PgExecutor<'e> + 'e>(
        &self,
        executor: E,
    ) -> impl Future<Output = Result<Self, sqlx::Error>> + Send + use<'e, E, Self> {
        fetch_one(executor, Self::INSERT, row_arguments(self))
    }
}

/// A record with a primary key.
pub trait Keyed: Record {
    /// The key as callers pass it: the key field's type, or a tuple of them in key order.
    type Key: Sync;
    /// `SELECT … WHERE key = $1..$k`.
    const FETCH: &'static str;
    /// `UPDATE … WHERE key`, every column bound as for [`Record::INSERT`].
    const UPDATE: &'static str;
    /// `DELETE … WHERE key = $1..$k`.
    const DELETE: &'static str;
    /// `INSERT … ON CONFLICT (key) DO UPDATE`, every column bound.
    const UPSERT: &'static str;

    /// Binds a key.
    fn bind_key(key: &Self::Key, arguments: &mut PgArguments) -> Result<(), BoxDynError>;

    /// The row with this key; [`sqlx::Error::RowNotFound`] when there is none.
    fn fetch<'e, E: PgExecutor<'e> + 'e>(
        executor: E,
        key: &Self::Key,
    ) -> impl Future<Output = Result<Self, sqlx::Error>> + Send + use<'e, E, Self> {
        fetch_one(executor, Self::FETCH, key_arguments::<Self>(key))
    }

    /// The row with this key, if there is one.
    fn fetch_optional<'e, E: PgExecutor<'e> + 'e>(
        executor: E,
        key: &Self::Key,
    ) -> impl Future<Output = Result<Option<Self>, sqlx::Error>> + Send + use<'e, E, Self> {
        fetch_optional(executor, Self::FETCH, key_arguments::<Self>(key))
    }

    /// Writes every column of the row with this row's key and returns it as stored; `None`
    /// when no row has the key.
    fn update<'e, E: PgExecutor<'e> + 'e>(
        &self,
        executor: E,
    ) -> impl Future<Output = Result<Option<Self>, sqlx::Error>> + Send + use<'e, E, Self> {
        fetch_optional(executor, Self::UPDATE, row_arguments(self))
    }

    /// Deletes the row with this key; whether there was one.
    fn delete<'e, E: PgExecutor<'e> + 'e>(
        executor: E,
        key: &Self::Key,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send + use<'e, E, Self> {
        let arguments = key_arguments::<Self>(key);
        async move {
            let done = executor
                .execute(sqlx::query_with(Self::DELETE, arguments?))
                .await?;
            Ok(done.rows_affected() > 0)
        }
    }

    /// Inserts the row, or updates every other column of the row with its key.
    fn upsert<'e, E: PgExecutor<'e> + 'e>(
        &self,
        executor: E,
    ) -> impl Future<Output = Result<Self, sqlx::Error>> + Send + use<'e, E, Self> {
        fetch_one(executor, Self::UPSERT, row_arguments(self))
    }

    /// Inserts the row, or updates every other column of the row that has its values in a
    /// declared unique constraint's columns (`User::ON_EMAIL`).
    fn upsert_on<'e, E: PgExecutor<'e> + 'e>(
        &self,
        executor: E,
        target: Conflict<Self>,
    ) -> impl Future<Output = Result<Self, sqlx::Error>> + Send + use<'e, E, Self> {
        fetch_one(executor, target.sql, row_arguments(self))
    }
}

/// The columns of a row whose identity and defaulted columns the database fills: the
/// generated `New<Struct>`.
pub trait NewRecord: Send + Sync {
    /// The row it becomes.
    type Record: Record;
    /// `INSERT` of its columns, `$1..$m` in declaration order, returning the whole row.
    const INSERT: &'static str;

    /// Binds its columns, in declaration order.
    fn bind_new(&self, arguments: &mut PgArguments) -> Result<(), BoxDynError>;

    /// Inserts it and returns the row, with what the database filled in.
    fn insert<'e, E: PgExecutor<'e> + 'e>(
        &self,
        executor: E,
    ) -> impl Future<Output = Result<Self::Record, sqlx::Error>> + Send + use<'e, E, Self> {
        let mut arguments = PgArguments::default();
        let bound = self.bind_new(&mut arguments).map(|()| arguments);
        fetch_one(executor, Self::INSERT, bound.map_err(sqlx::Error::Encode))
    }
}

/// A unique constraint an upsert resolves conflicts on: a constant the derive gives the struct
/// per declared constraint.
pub struct Conflict<T> {
    sql: &'static str,
    record: PhantomData<fn() -> T>,
}

impl<T> Conflict<T> {
    /// The upsert statement for this target. Used by generated code.
    #[doc(hidden)]
    pub const fn new(sql: &'static str) -> Self {
        Self {
            sql,
            record: PhantomData,
        }
    }

    /// The statement an upsert on this target runs.
    pub const fn sql(&self) -> &'static str {
        self.sql
    }
}

impl<T> Clone for Conflict<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Conflict<T> {}

impl<T> std::fmt::Debug for Conflict<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Conflict").field(&self.sql).finish()
    }
}

fn row_arguments<T: Record>(row: &T) -> Result<PgArguments, sqlx::Error> {
    let mut arguments = PgArguments::default();
    row.bind_row(&mut arguments).map_err(sqlx::Error::Encode)?;
    Ok(arguments)
}

fn key_arguments<T: Keyed>(key: &T::Key) -> Result<PgArguments, sqlx::Error> {
    let mut arguments = PgArguments::default();
    T::bind_key(key, &mut arguments).map_err(sqlx::Error::Encode)?;
    Ok(arguments)
}

/// A field type sqlx can write to and read from PostgreSQL. Every column field's type needs
/// it; the message says which sqlx feature provides the usual ones.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written to PostgreSQL by sqlx, so this field has no accessor",
    label = "sqlx has no `Encode`/`Decode` for this type",
    note = "types from other crates need the sqlx feature of that crate in your Cargo.toml: `sqlx = {{ version = \"0.8\", features = [\"uuid\", \"chrono\", \"json\", \"rust_decimal\"] }}` (`time`, `bigdecimal`, `ipnetwork`, `mac_address`, `bit-vec` likewise)",
    note = "your own type needs `#[derive(PgEnum)]` (an enum) or `#[derive(sqlx::Type)]`"
)]
pub trait ColumnValue:
    sqlx::Type<sqlx::Postgres> + for<'q> sqlx::Encode<'q, sqlx::Postgres>
{
}

impl<T> ColumnValue for T where
    T: sqlx::Type<sqlx::Postgres> + for<'q> sqlx::Encode<'q, sqlx::Postgres>
{
}

/// Binds one value; used by generated code, so it names no sqlx trait itself.
#[doc(hidden)]
pub fn bind<T: ColumnValue>(arguments: &mut PgArguments, value: &T) -> Result<(), BoxDynError> {
    arguments.add(value)
}

async fn fetch_one<'e, E: PgExecutor<'e> + 'e, T: Record>(
    executor: E,
    sql: &'static str,
    arguments: Result<PgArguments, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    let row = executor
        .fetch_one(sqlx::query_with(sql, arguments?))
        .await?;
    T::from_row(&row)
}

async fn fetch_optional<'e, E: PgExecutor<'e> + 'e, T: Record>(
    executor: E,
    sql: &'static str,
    arguments: Result<PgArguments, sqlx::Error>,
) -> Result<Option<T>, sqlx::Error> {
    let row = executor
        .fetch_optional(sqlx::query_with(sql, arguments?))
        .await?;
    row.as_ref().map(T::from_row).transpose()
}
