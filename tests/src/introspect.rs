//! Test wrappers over the product's introspection ([`migrate_runtime::introspect`]): they read
//! through a pool and panic where the product returns errors, so a test reads in one line.

use migrate_core::model::Schema;
use migrate_runtime::introspect::{comparable, schema_drift};
use sqlx::PgPool;

/// Reads every table and enum of the given schemas ([`migrate_runtime::introspect::introspect`]
/// on a connection of `pool`); panics on an error.
pub async fn introspect(pool: &PgPool, schemas: &[&str]) -> Schema {
    let mut conn = pool.acquire().await.expect("a connection from the pool");
    migrate_runtime::introspect::introspect(&mut conn, schemas)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Panics, saying what differs and showing both sides, unless the live schema equals the
/// declared one ([`schema_drift`] finds nothing).
pub fn assert_same_schema(live: &Schema, declared: &Schema) {
    if let Some(drift) = schema_drift(live, declared) {
        panic!(
            "{drift}--- declared ---\n{}\n--- database ---\n{}",
            serde_json::to_string_pretty(&comparable(declared)).expect("serialises"),
            serde_json::to_string_pretty(&comparable(live)).expect("serialises")
        );
    }
}
