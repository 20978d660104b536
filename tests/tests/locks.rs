//! The locking claims, observed on PostgreSQL rather than asserted from the plan's text.
//!
//! 1. Every generated transactional step is run in a transaction and the locks its session holds
//!    on existing tables are read from `pg_locks`: none may be stronger than the plan declares.
//! 2. With a writer holding an open transaction on the table, a naive statement queues an
//!    ACCESS EXCLUSIVE or SHARE request that blocks every other writer behind it, while the
//!    generated form lets them through.

use std::time::Duration;

use migrate_core::plan::{CatalogRow, LockMode, Phase, Plan};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{Scenario, apply_source, run_backfills};
use sqlx::Connection;

/// PostgreSQL's lock modes, weakest first, as `pg_locks.mode` spells them.
const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

fn rank(mode: &str) -> usize {
    MODES
        .iter()
        .position(|m| *m == mode)
        .unwrap_or_else(|| panic!("unknown lock mode {mode}"))
}

fn declared_rank(mode: LockMode) -> usize {
    rank(match mode {
        LockMode::AccessExclusive => "AccessExclusiveLock",
        LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
        LockMode::Share => "ShareLock",
        LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
    })
}

/// Runs each transactional step of `phase` in a transaction of its own, reads the locks it
/// holds on ordinary tables, checks them against the plan, and commits.
async fn check_phase(db: &TestDb, plan: &Plan, phase: Phase) -> usize {
    let mut conn = db.connection().await;
    let mut checked = 0;
    let mut backfilled = false;
    for step in plan.steps.iter().filter(|s| s.phase == phase) {
        if step.gate.is_some() && !backfilled {
            // The step waits for backfills (its gate); a deploy runs them here.
            run_backfills(&db.pool, plan, 100).await;
            backfilled = true;
        }
        if !step.transaction.is_transactional() {
            // CONCURRENTLY cannot run in a transaction; later steps need it.
            sqlx::raw_sql(&step.sql)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", step.description));
            continue;
        }
        let mut tx = conn.begin().await.unwrap();
        sqlx::raw_sql(&step.sql)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", step.description));
        let held: Vec<(String, String)> = sqlx::query_as(
            "SELECT n.nspname || '.' || c.relname, l.mode FROM pg_locks l
             JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE l.pid = pg_backend_pid() AND l.granted AND c.relkind = 'r' AND n.nspname NOT LIKE 'pg_%'",
        )
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        for (table, mode) in held {
            let declared = step
                .locks
                .iter()
                .find(|l| l.table.key() == table)
                .map_or(rank("RowExclusiveLock"), |l| declared_rank(l.mode));
            assert!(
                rank(&mode) <= declared,
                "step `{}` holds {mode} on {table}, stronger than the plan declares ({:?})",
                step.description,
                step.locks
            );
        }
        checked += 1;
    }
    checked
}

/// Release 1 applied and seeded, then every step of release 2 checked; returns the plan and
/// the number of transactional steps checked in expand and in contract.
async fn check_release(v1: &str, seed: &str, v2: &str) -> (Plan, usize, usize) {
    let scenario = Scenario::new();
    scenario.accept(v1);
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    sqlx::raw_sql(seed).execute(&db.pool).await.unwrap();
    scenario.accept(v2);
    let plan = scenario.plan(2);
    let expand = check_phase(&db, &plan, Phase::Expand).await;
    run_backfills(&db.pool, &plan, 100).await;
    let contract = check_phase(&db, &plan, Phase::Contract).await;
    (plan, expand, contract)
}

#[tokio::test]
async fn generated_steps_take_no_stronger_lock_than_their_plan_says() {
    let (plan, expand, contract) = check_release(
        include_str!("../golden/phased-release/release-1.rs"),
        "INSERT INTO users (email, nickname, legacy, age) SELECT 'u' || g, 'n' || g, 'l' || g, 1 FROM generate_series(1, 1000) g",
        include_str!("../golden/phased-release/release-2.rs"),
    )
    .await;
    assert!(
        expand >= 3 && contract >= 10,
        "checked {expand} expand and {contract} contract steps"
    );
    // The views step touches no table with more than ACCESS SHARE.
    let views = plan
        .steps
        .iter()
        .find(|s| s.catalog == CatalogRow::R)
        .unwrap();
    assert!(views.locks.is_empty());
}

#[tokio::test]
async fn shadow_column_steps_take_no_stronger_lock_than_their_plan_says() {
    let (plan, expand, contract) = check_release(
        include_str!("../golden/shadow-release/release-1.rs"),
        "INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 20) g;
         INSERT INTO entries (user_id, points, rank, label) SELECT 1 + g % 20, g, g, 'e' FROM generate_series(1, 1000) g;",
        include_str!("../golden/shadow-release/release-2.rs"),
    )
    .await;
    assert!(
        plan.steps.iter().any(|s| s.catalog == CatalogRow::C10) && expand >= 4 && contract >= 8,
        "checked {expand} expand and {contract} contract steps"
    );
}

#[tokio::test]
async fn null_fill_steps_take_no_stronger_lock_than_their_plan_says() {
    let (plan, expand, contract) = check_release(
        include_str!("../golden/fill-release/release-1.rs"),
        "INSERT INTO users (email, nickname, legacy) SELECT 'u' || g, CASE WHEN g % 2 = 0 THEN 'n' END, 'l' FROM generate_series(1, 1000) g",
        include_str!("../golden/fill-release/release-2.rs"),
    )
    .await;
    // The trigger is created under SHARE ROW EXCLUSIVE, never ACCESS EXCLUSIVE.
    let fill = plan
        .steps
        .iter()
        .find(|s| s.slug.starts_with("fill_"))
        .expect("a fill trigger step");
    assert_eq!(
        fill.locks[0].mode,
        migrate_core::plan::LockMode::ShareRowExclusive
    );
    assert!(
        expand >= 3 && contract >= 8,
        "checked {expand} expand and {contract} contract steps"
    );
}

/// A writer on row 1 holds its transaction open; `migration` runs in the background; a second
/// writer then updates row 2 with a short lock timeout. Returns whether that second writer got
/// through while the migration was waiting.
async fn second_writer_gets_through(db: &TestDb, migration: &str, in_transaction: bool) -> bool {
    let mut holder = db.connection().await;
    sqlx::raw_sql("BEGIN; UPDATE items SET qty = qty + 1 WHERE id = 1;")
        .execute(&mut holder)
        .await
        .unwrap();
    let url = db.url.clone();
    let sql = migration.to_owned();
    let background = tokio::spawn(async move {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        let wrapped = if in_transaction {
            format!("BEGIN; {sql} COMMIT;")
        } else {
            sql
        };
        let result = sqlx::raw_sql(&wrapped).execute(&pool).await.map(|_| ());
        pool.close().await;
        result
    });
    // Wait until the migration is queued behind the first writer (in this test's database:
    // other tests run beside it and queue behind locks of their own).
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query NOT LIKE '%pg_stat_activity%'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut writer = db.connection().await;
    let through =
        sqlx::raw_sql("SET lock_timeout = '300ms'; UPDATE items SET qty = qty + 1 WHERE id = 2;")
            .execute(&mut writer)
            .await
            .is_ok();
    sqlx::raw_sql("COMMIT").execute(&mut holder).await.unwrap();
    background
        .await
        .unwrap()
        .expect("the migration completes once the first writer commits");
    through
}

async fn items_db() -> TestDb {
    let db = TestDb::create().await;
    sqlx::raw_sql(
        "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, qty int NOT NULL);
         INSERT INTO items SELECT g, 'item' || g, 0 FROM generate_series(1, 10000) g;
         CREATE SCHEMA release_0001; CREATE VIEW release_0001.items AS SELECT id, name, qty FROM items;",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    db
}

#[tokio::test]
async fn i1_concurrent_index_lets_writers_through_where_the_naive_one_blocks_them() {
    let naive = items_db().await;
    assert!(
        !second_writer_gets_through(&naive, "CREATE INDEX items_name_idx ON items (name);", true)
            .await,
        "naive CREATE INDEX must block writers"
    );
    let generated = items_db().await;
    assert!(
        second_writer_gets_through(&generated, "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"items_name_idx\" ON \"public\".\"items\" USING btree (\"name\");", false).await,
        "the generated CONCURRENTLY build must let writers through"
    );
}

#[tokio::test]
async fn c8_rename_through_views_lets_writers_through_where_the_naive_rename_blocks_them() {
    let naive = items_db().await;
    assert!(
        !second_writer_gets_through(
            &naive,
            "ALTER TABLE items RENAME COLUMN name TO title;",
            true
        )
        .await,
        "naive RENAME must block writers"
    );
    let generated = items_db().await;
    let expand = "CREATE SCHEMA IF NOT EXISTS \"release_0002\"; CREATE OR REPLACE VIEW \"release_0002\".\"items\" WITH (security_invoker = true) AS SELECT \"id\", \"name\" AS \"title\", \"qty\" FROM \"public\".\"items\";";
    assert!(
        second_writer_gets_through(&generated, expand, true).await,
        "the release's views must not block writers"
    );
}

#[tokio::test]
async fn k1_check_not_valid_then_validate_lets_writers_through_where_the_naive_check_blocks_them() {
    let naive = items_db().await;
    assert!(
        !second_writer_gets_through(
            &naive,
            "ALTER TABLE items ADD CONSTRAINT items_qty_check CHECK (qty >= 0);",
            true
        )
        .await
    );
    let generated = items_db().await;
    // NOT VALID is brief once granted (its lock_timeout guards the wait); VALIDATE, in its own
    // transaction, takes SHARE UPDATE EXCLUSIVE and lets writers through.
    sqlx::raw_sql("ALTER TABLE items ADD CONSTRAINT items_qty_check CHECK (qty >= 0) NOT VALID;")
        .execute(&generated.pool)
        .await
        .unwrap();
    assert!(
        second_writer_gets_through(
            &generated,
            "ALTER TABLE \"public\".\"items\" VALIDATE CONSTRAINT \"items_qty_check\";",
            true
        )
        .await
    );
}
