//! The runner (`migrate_runtime::migrator`) on a real PostgreSQL: it leaves the schema the
//! migration files leave, takes over from sqlx, converges after being stopped or killed at
//! any checkpoint, repairs an interrupted concurrent build, keeps writers' waits near the
//! lock timeout, lets one runner of many apply, refuses edited steps and early contracts,
//! and walks backfills to their end under inserts, resuming without redoing rows.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use migrate_core::plan::Plan;
use migrate_runtime::migrator::{
    Checkpoint, CheckpointAction, CheckpointHook, Due, LockWait, Migrator, RetryPolicy, RunError,
    RunOptions,
};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{Scenario, apply_releases, apply_releases_through, plans_in};
use sqlx::PgPool;

fn migrator(plans: Vec<Plan>) -> Migrator {
    Migrator::from_plans(plans).expect("plans in order")
}

fn with(plans: Vec<Plan>, options: RunOptions) -> Migrator {
    migrator(plans).with_options(options).expect("options")
}

fn quiet() -> RunOptions {
    RunOptions {
        progress: migrate_runtime::migrator::ProgressOutput::Events,
        ..RunOptions::default()
    }
}

fn hook(f: impl Fn(&Checkpoint) -> CheckpointAction + Send + Sync + 'static) -> CheckpointHook {
    CheckpointHook(Arc::new(f))
}

async fn scalar_i64(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

// ---------------------------------------------------------------------------------------
// The runner and the files leave the same schema; the runner takes over from sqlx.

fn golden_cases() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("golden folder")
        .filter_map(|e| e.ok().map(|e| e.path().join("expected/migrations")))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

#[tokio::test]
async fn the_runner_and_sqlx_leave_byte_identical_schemas_for_every_golden_release() {
    let cases = golden_cases();
    assert!(cases.len() >= 5, "golden cases: {cases:?}");
    for migrations in cases {
        let plans = plans_in(&migrations);
        let last = plans.len() as u32;
        assert!(last >= 1, "{}", migrations.display());
        let by_files = TestDb::create().await;
        apply_releases(&by_files.pool, &migrations).await;
        let by_runner = TestDb::create().await;
        let report = with(plans.clone(), quiet())
            .up(&by_runner.pool)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", migrations.display()));
        let steps: usize = plans.iter().map(|p| p.steps.len()).sum();
        assert_eq!(
            report.steps_applied.len(),
            steps,
            "{}",
            migrations.display()
        );
        assert_eq!(
            by_runner.schema_dump(),
            by_files.schema_dump(),
            "{}: the runner's schema differs from the files'",
            migrations.display()
        );
        // Taken over after each release sqlx applied: the same schema again.
        for through in 1..last {
            let mixed = TestDb::create().await;
            apply_releases_through(&mixed.pool, &migrations, through).await;
            let report = with(plans.clone(), quiet())
                .up(&mixed.pool)
                .await
                .unwrap_or_else(|e| {
                    panic!("{} after release {through}: {e}", migrations.display())
                });
            let adopted: usize = plans[..through as usize]
                .iter()
                .map(|p| p.steps.len())
                .sum();
            assert_eq!(report.adopted.len(), adopted, "{}", migrations.display());
            assert_eq!(report.steps_applied.len(), steps - adopted);
            assert_eq!(
                mixed.schema_dump(),
                by_files.schema_dump(),
                "{} taken over after release {through}",
                migrations.display()
            );
        }
    }
}

#[tokio::test]
async fn a_sqlx_history_with_a_gap_is_refused_with_the_missing_file() {
    let migrations = golden_cases()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("second-release"))
        .expect("the second-release golden case");
    let db = TestDb::create().await;
    apply_releases(&db.pool, &migrations).await;
    let first: i64 = scalar_i64(&db.pool, "SELECT min(version) FROM _sqlx_migrations").await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(first)
        .execute(&db.pool)
        .await
        .expect("delete a row");
    let err = with(plans_in(&migrations), quiet())
        .up(&db.pool)
        .await
        .expect_err("a gap in sqlx's history");
    let text = err.to_string();
    assert!(matches!(err, RunError::Takeover(_)), "{text}");
    assert!(
        text.contains(&format!("{first:07}")),
        "names the missing file: {text}"
    );
}

// ---------------------------------------------------------------------------------------
// A multi-change release, stopped or killed at every checkpoint, converges.

const LEDGER_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "accounts")]
struct Account {
    #[migrate(primary_key, identity)]
    id: i64,
    name: String,
}

#[derive(Table)]
#[migrate(table_name = "entries")]
struct Entry {
    #[migrate(primary_key, identity)]
    id: i64,
    account_id: i64,
    points: i32,
    note: Option<String>,
    label: Option<String>,
}
"#;

/// A rename, a C10 shadow (int → bigint), a C6 with a backfill, a concurrent index and a
/// foreign key, in one release.
const LEDGER_V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "accounts")]
struct Account {
    #[migrate(primary_key, identity)]
    id: i64,
    name: String,
}

#[derive(Table)]
#[migrate(table_name = "entries")]
struct Entry {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(references = "accounts", index)]
    account_id: i64,
    points: i64,
    #[migrate(renamed_from = "note")]
    memo: Option<String>,
    #[migrate(backfill = "'none'")]
    label: String,
}
"#;

const LEDGER_ROWS: &str = "
INSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 50) g;
INSERT INTO entries (account_id, points, note, label)
SELECT g % 50 + 1, g, 'n' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'l' || g END FROM generate_series(1, 2500) g;";

/// The ledger's plans, release 1 applied by the runner and the rows inserted.
async fn ledger_at_release_1(release_1: &Plan) -> TestDb {
    let db = TestDb::create().await;
    with(vec![release_1.clone()], quiet())
        .up(&db.pool)
        .await
        .expect("release 1");
    // Executor::execute: the future of RawSql::execute is not Send for every lifetime.
    sqlx::Executor::execute(&db.pool, sqlx::raw_sql(LEDGER_ROWS))
        .await
        .expect("rows");
    db
}

/// The schema and every row, as text.
async fn dump_all(db: &TestDb) -> (String, String) {
    let data: String = sqlx::query_scalar(
        "SELECT coalesce((SELECT string_agg(a::text, ';' ORDER BY id) FROM accounts a), '') || '|' || \
         coalesce((SELECT string_agg(e::text, ';' ORDER BY id) FROM entries e), '')",
    )
    .fetch_one(&db.pool)
    .await
    .expect("data");
    (db.schema_dump(), data)
}

#[tokio::test]
async fn a_release_stopped_or_killed_at_any_checkpoint_converges_when_run_again() {
    let scenario = Scenario::new();
    scenario.accept(LEDGER_V1);
    scenario.accept(LEDGER_V2);
    let plans = scenario.plans();
    let release_2 = &plans[1];
    assert!(!release_2.backfills.is_empty(), "the release has backfills");
    assert!(
        release_2
            .steps
            .iter()
            .any(|s| s.sql.contains("CONCURRENTLY")),
        "the release builds an index concurrently"
    );

    // A clean run, counting its checkpoints.
    let clean = ledger_at_release_1(&plans[0]).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let options = RunOptions {
        checkpoint: Some(hook(move |c| {
            log.lock().expect("log").push(c.clone());
            CheckpointAction::Continue
        })),
        ..quiet()
    };
    with(plans.clone(), options)
        .up(&clean.pool)
        .await
        .expect("a clean run");
    let expected = dump_all(&clean).await;
    let checkpoints = seen.lock().expect("log").clone();
    assert!(
        checkpoints
            .iter()
            .any(|c| matches!(c, Checkpoint::BatchDone { .. })),
        "{checkpoints:?}"
    );
    assert!(checkpoints.len() >= 10, "{checkpoints:?}");

    // Every (action, checkpoint) pair, four at a time, each in a database of its own.
    let cases: Vec<(CheckpointAction, usize)> =
        [CheckpointAction::Stop, CheckpointAction::TerminateSession]
            .into_iter()
            .flat_map(|a| (0..checkpoints.len()).map(move |k| (a, k)))
            .collect();
    let expected = Arc::new(expected);
    for chunk in cases.chunks(4) {
        let mut set = tokio::task::JoinSet::new();
        for &(action, k) in chunk {
            let plans = plans.clone();
            let expected = expected.clone();
            let at = checkpoints[k].clone();
            set.spawn(async move {
                let db = ledger_at_release_1(&plans[0]).await;
                interrupted_then_rerun(&db, plans, action, k).await;
                assert!(
                    dump_all(&db).await == *expected,
                    "after {action:?} at {at:?}, the rerun left another schema or other data"
                );
            });
        }
        while let Some(done) = set.join_next().await {
            done.expect("an interrupted run");
        }
    }
}

/// Runs the plans with the `k`th checkpoint (from 0) stopping or killing the run, then runs
/// them again to the end.
async fn interrupted_then_rerun(db: &TestDb, plans: Vec<Plan>, action: CheckpointAction, k: usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let options = RunOptions {
        checkpoint: Some(hook(move |_| {
            if counter.fetch_add(1, Ordering::SeqCst) == k {
                action
            } else {
                CheckpointAction::Continue
            }
        })),
        ..quiet()
    };
    let err = with(plans.clone(), options)
        .up(&db.pool)
        .await
        .expect_err("interrupted");
    assert!(
        matches!(err, RunError::Interrupted(_)),
        "{action:?} at checkpoint {k}: {err}"
    );
    with(plans, quiet())
        .up(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("rerun after {action:?} at checkpoint {k}: {e}"));
}

// ---------------------------------------------------------------------------------------
// An interrupted concurrent build leaves an invalid index; the rerun repairs it.

const ITEMS_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "items")]
struct Item {
    #[migrate(primary_key, identity)]
    id: i64,
    code: String,
}
"#;

const ITEMS_V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "items")]
struct Item {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(index)]
    code: String,
}
"#;

async fn index_valid(pool: &PgPool) -> Option<bool> {
    sqlx::query_scalar(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'items_code_idx'",
    )
    .fetch_optional(pool)
    .await
    .expect("pg_index")
}

#[tokio::test]
async fn an_interrupted_concurrent_build_is_dropped_and_rebuilt_on_the_rerun() {
    let scenario = Scenario::new();
    scenario.accept(ITEMS_V1);
    scenario.accept(ITEMS_V2);
    let plans = scenario.plans();
    let db = TestDb::create().await;
    with(vec![plans[0].clone()], quiet())
        .up(&db.pool)
        .await
        .expect("release 1");
    sqlx::raw_sql("INSERT INTO items (code) SELECT 'c' || g FROM generate_series(1, 20000) g")
        .execute(&db.pool)
        .await
        .expect("rows");
    // A transaction with an xid: the concurrent build waits for it to end before it is valid.
    let mut blocker = db.connection().await;
    sqlx::raw_sql("BEGIN; INSERT INTO items (code) VALUES ('blocker');")
        .execute(&mut blocker)
        .await
        .expect("blocker");
    let runner = {
        let pool = db.new_pool().await;
        let plans = plans.clone();
        tokio::spawn(async move { with(plans, quiet()).expand(&pool).await })
    };
    // Kill the runner's backend while its build waits, as a crash of its host would.
    let mut canceller = db.connection().await;
    let started = Instant::now();
    loop {
        let cancelled: Option<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'",
        )
        .fetch_optional(&mut canceller)
        .await
        .expect("cancel");
        if cancelled == Some(true) {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let activity: Vec<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT left(query, 80), wait_event_type, state FROM pg_stat_activity WHERE datname = current_database()",
            )
            .fetch_all(&mut canceller)
            .await
            .expect("activity");
            panic!(
                "the build never waited: {activity:?}, runner: {:?}",
                runner.await
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let err = runner
        .await
        .expect("join")
        .expect_err("the build was cancelled");
    assert!(matches!(err, RunError::Step { .. }), "{err}");
    assert_eq!(
        index_valid(&db.pool).await,
        Some(false),
        "an invalid index is left"
    );
    sqlx::raw_sql("COMMIT")
        .execute(&mut blocker)
        .await
        .expect("end the blocker");

    let report = with(plans.clone(), quiet())
        .expand(&db.pool)
        .await
        .expect("the rerun repairs it");
    assert!(!report.steps_applied.is_empty());
    assert_eq!(
        index_valid(&db.pool).await,
        Some(true),
        "the rebuilt index is valid"
    );
    let status = migrator(plans).status(&db.pool).await.expect("status");
    assert_eq!(status.due, Due::Contract(2), "{status}");
}

// ---------------------------------------------------------------------------------------
// Lock queue: writers wait about the lock timeout, the runner retries until the blocker ends.

const QUEUE_V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "items")]
struct Item {
    #[migrate(primary_key, identity)]
    id: i64,
    code: String,
    extra: Option<String>,
}
"#;

/// Two writers inserting until `stop`; returns each insert's longest wait.
fn writers(db: &TestDb, stop: Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<Duration>> {
    (0..2)
        .map(|_| {
            let stop = stop.clone();
            let url = db.url.clone();
            tokio::spawn(async move {
                use sqlx::Connection as _;
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("writer");
                let mut worst = Duration::ZERO;
                while !stop.load(Ordering::SeqCst) {
                    let began = Instant::now();
                    sqlx::query("INSERT INTO items (code) VALUES ('w')")
                        .execute(&mut conn)
                        .await
                        .expect("insert");
                    worst = worst.max(began.elapsed());
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                worst
            })
        })
        .collect()
}

async fn queue_at_release_1() -> (Scenario, TestDb) {
    let scenario = Scenario::new();
    scenario.accept(ITEMS_V1);
    scenario.accept(QUEUE_V2);
    let db = TestDb::create().await;
    with(vec![scenario.plan(1)], quiet())
        .up(&db.pool)
        .await
        .expect("release 1");
    (scenario, db)
}

#[tokio::test]
async fn under_a_held_lock_writers_wait_about_the_lock_timeout_and_the_runner_retries_until_it_ends()
 {
    let (scenario, db) = queue_at_release_1().await;
    let plans = scenario.plans();
    let lock_timeout = plans[1]
        .groups
        .iter()
        .filter_map(|g| g.lock_timeout_ms)
        .max()
        .expect("the ALTER group has a lock timeout");
    let mut blocker = db.connection().await;
    sqlx::raw_sql("BEGIN; SELECT count(*) FROM items;")
        .execute(&mut blocker)
        .await
        .expect("blocker");
    let stop = Arc::new(AtomicBool::new(false));
    let writers = writers(&db, stop.clone());
    let options = RunOptions {
        retry: RetryPolicy {
            max_attempts: 100,
            base: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
        },
        ..quiet()
    };
    let runner = {
        let pool = db.new_pool().await;
        let plans = plans.clone();
        tokio::spawn(async move { with(plans, options).expand(&pool).await })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !runner.is_finished(),
        "the runner waits while the blocker holds its lock"
    );
    sqlx::raw_sql("COMMIT")
        .execute(&mut blocker)
        .await
        .expect("end the blocker");
    let report = tokio::time::timeout(Duration::from_secs(30), runner)
        .await
        .expect("the runner finishes once the blocker ends")
        .expect("join")
        .expect("expand");
    stop.store(true, Ordering::SeqCst);
    assert!(!report.steps_applied.is_empty());
    let attempts = scalar_i64(
        &db.pool,
        "SELECT max(attempts)::bigint FROM migrate.steps WHERE release = 2",
    )
    .await;
    assert!(attempts > 1, "the step was retried ({attempts} attempts)");
    for writer in writers {
        let worst = writer.await.expect("writer");
        assert!(
            worst < Duration::from_millis(u64::from(lock_timeout) + 400),
            "a writer waited {worst:?}, with a lock timeout of {lock_timeout} ms"
        );
    }
}

#[tokio::test]
async fn with_its_retries_exhausted_the_runner_stops_clearly_and_applies_nothing_of_the_group() {
    let (scenario, db) = queue_at_release_1().await;
    let plans = scenario.plans();
    let mut blocker = db.connection().await;
    sqlx::raw_sql("BEGIN; SELECT count(*) FROM items;")
        .execute(&mut blocker)
        .await
        .expect("blocker");
    let options = RunOptions {
        retry: RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(20),
            max_delay: Duration::from_millis(50),
        },
        ..quiet()
    };
    let err = with(plans.clone(), options)
        .expand(&db.pool)
        .await
        .expect_err("the lock is never free");
    let text = err.to_string();
    assert!(matches!(err, RunError::Step { attempts: 3, .. }), "{text}");
    assert!(text.contains("lock_timeout"), "{text}");
    let column: i64 = scalar_i64(
        &db.pool,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'extra'",
    )
    .await;
    assert_eq!(column, 0, "nothing half-applied");
    let applied = scalar_i64(
        &db.pool,
        "SELECT count(*) FROM migrate.steps WHERE release = 2 AND outcome IN ('applied', 'adopted')",
    )
    .await;
    assert_eq!(applied, 0);
    sqlx::raw_sql("COMMIT")
        .execute(&mut blocker)
        .await
        .expect("end");
    with(plans, quiet())
        .expand(&db.pool)
        .await
        .expect("runs once the lock is free");
}

// ---------------------------------------------------------------------------------------
// Many runners at once: one applies.

#[tokio::test]
async fn of_two_to_eight_runners_started_at_once_exactly_one_applies() {
    let scenario = Scenario::new();
    scenario.accept(LEDGER_V1);
    scenario.accept(LEDGER_V2);
    let plans = scenario.plans();
    let total: usize = plans.iter().map(|p| p.steps.len()).sum();
    for (n, wait) in [(2, true), (4, false), (8, true), (8, false)] {
        let db = TestDb::create().await;
        let mut runs = Vec::new();
        for _ in 0..n {
            let pool = db.new_pool().await;
            let options = RunOptions {
                lock_wait: if wait {
                    LockWait::Wait { timeout: None }
                } else {
                    LockWait::NoWait
                },
                lock_poll: Duration::from_millis(20),
                ..quiet()
            };
            let plans = plans.clone();
            runs.push(tokio::spawn(
                async move { with(plans, options).up(&pool).await },
            ));
        }
        let mut applied = 0;
        let mut busy = 0;
        let mut idle = 0;
        for run in runs {
            let result = tokio::time::timeout(Duration::from_secs(120), run)
                .await
                .expect("no runner deadlocks")
                .expect("join");
            match result {
                Ok(report) if report.steps_applied.is_empty() => idle += 1,
                Ok(report) => {
                    assert_eq!(report.steps_applied.len(), total);
                    applied += 1;
                }
                Err(RunError::Busy { .. }) if !wait => busy += 1,
                Err(e) => panic!("{n} runners, wait {wait}: {e}"),
            }
        }
        assert_eq!(applied, 1, "{n} runners, wait {wait}: one applies");
        assert_eq!(idle + busy, n - 1);
        if wait {
            assert_eq!(busy, 0);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Refusals.

#[tokio::test]
async fn an_applied_step_whose_sql_changed_is_refused_with_both_checksums() {
    let scenario = Scenario::new();
    scenario.accept(ITEMS_V1);
    let db = TestDb::create().await;
    let plans = scenario.plans();
    with(plans.clone(), quiet())
        .up(&db.pool)
        .await
        .expect("release 1");
    let mut edited = plans[0].clone();
    let step = edited
        .steps
        .iter_mut()
        .find(|s| s.sql.contains("CREATE TABLE"))
        .expect("a CREATE TABLE step");
    step.sql.push_str("\n-- edited");
    let id = step.id.clone();
    let planned = migrate_runtime::migrator::sql_sha384(&step.sql);
    edited.seal();
    edited.verify().expect("a resealed plan reads");
    let err = with(vec![edited], quiet())
        .up(&db.pool)
        .await
        .expect_err("edited after it was applied");
    let text = err.to_string();
    assert!(
        matches!(err, RunError::ChangedSinceApplied { .. }),
        "{text}"
    );
    assert!(text.contains(&id) && text.contains(&planned), "{text}");
}

const USERS_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
}
"#;

/// C3: a volatile default, filled by a backfill the new views do not wait for.
const USERS_V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    #[migrate(default = "gen_random_uuid()")]
    public_id: Option<uuid::Uuid>,
}
"#;

async fn users_expanded(rows: u32) -> (Scenario, TestDb) {
    let scenario = Scenario::new();
    scenario.accept(USERS_V1);
    scenario.accept(USERS_V2);
    let db = TestDb::create().await;
    with(vec![scenario.plan(1)], quiet())
        .up(&db.pool)
        .await
        .expect("release 1");
    sqlx::query("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, $1) g")
        .bind(i64::from(rows))
        .execute(&db.pool)
        .await
        .expect("rows");
    with(scenario.plans(), quiet())
        .expand(&db.pool)
        .await
        .expect("expand release 2");
    (scenario, db)
}

#[tokio::test]
async fn contract_before_the_backfill_completes_is_refused_with_the_rows_left() {
    let (scenario, db) = users_expanded(500).await;
    let err = with(scenario.plans(), quiet())
        .contract(&db.pool)
        .await
        .expect_err("the backfill has not run");
    let text = err.to_string();
    match &err {
        RunError::BackfillIncomplete { release: 2, left } => {
            assert_eq!(left.len(), 1, "{text}");
            assert_eq!(left[0].rows, 500, "{text}");
        }
        other => panic!("{other}"),
    }
    assert!(text.contains("500 row(s) left"), "{text}");
    let report = with(scenario.plans(), quiet())
        .backfill(&db.pool)
        .await
        .expect("backfill");
    assert_eq!(report.backfills[0].rows_updated, 500);
    with(scenario.plans(), quiet())
        .contract(&db.pool)
        .await
        .expect("contract once the backfill is complete");
}

#[tokio::test]
async fn expand_of_the_next_release_waits_for_the_contract_before_it() {
    let scenario = Scenario::new();
    scenario.accept(USERS_V1);
    scenario.accept(USERS_V2);
    let db = TestDb::create().await;
    let m = with(scenario.plans(), quiet());
    m.expand(&db.pool).await.expect("expand 1");
    let err = m
        .expand(&db.pool)
        .await
        .expect_err("contract 1 has not run");
    assert!(matches!(err, RunError::NotYet { release: 2, .. }), "{err}");
    assert!(err.to_string().contains("contract of release 1"), "{err}");
    let report = m.apply_due(&db.pool).await.expect("apply_due");
    assert_eq!(
        report.contract_due,
        Some(1),
        "apply_due stops before a contract"
    );
}

// ---------------------------------------------------------------------------------------
// Backfills under inserts, and after a kill.

#[tokio::test]
async fn the_backfill_ends_under_concurrent_inserts() {
    let (scenario, db) = users_expanded(20_000).await;
    let stop = Arc::new(AtomicBool::new(false));
    let inserter = {
        let stop = stop.clone();
        let pool = db.new_pool().await;
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                sqlx::query(
                    "INSERT INTO users (email) SELECT 'new' || g FROM generate_series(1, 20) g",
                )
                .execute(&pool)
                .await
                .expect("insert");
                n += 20;
            }
            n
        })
    };
    let options = RunOptions {
        throttle: migrate_runtime::migrator::Throttle {
            max_rows_per_sec: None,
            pause: Duration::from_millis(2),
        },
        ..quiet()
    };
    let report = tokio::time::timeout(
        Duration::from_secs(120),
        with(scenario.plans(), options).backfill(&db.pool),
    )
    .await
    .expect("the walk ends while inserts go on")
    .expect("backfill");
    stop.store(true, Ordering::SeqCst);
    let inserted = inserter.await.expect("inserter");
    assert!(inserted > 0, "inserts ran during the walk");
    assert_eq!(report.backfills[0].rows_left, 0);
    assert_eq!(
        scalar_i64(
            &db.pool,
            "SELECT count(*) FROM users WHERE public_id IS NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_killed_backfill_resumes_at_its_cursor_and_redoes_no_row() {
    let (scenario, db) = users_expanded(20_000).await;
    let options = RunOptions {
        checkpoint: Some(hook(|c| match c {
            // Batches start at 1,000 keys and at most double: two are at most 3,000.
            Checkpoint::BatchDone { batch: 2, .. } => CheckpointAction::TerminateSession,
            _ => CheckpointAction::Continue,
        })),
        ..quiet()
    };
    let err = with(scenario.plans(), options)
        .backfill(&db.pool)
        .await
        .expect_err("killed after batch 2");
    assert!(matches!(err, RunError::Interrupted(_)), "{err}");
    let filled: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, public_id::text FROM users WHERE public_id IS NOT NULL ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .expect("filled rows");
    assert!(
        !filled.is_empty() && filled.len() <= 3_000,
        "{}",
        filled.len()
    );
    let report = with(scenario.plans(), quiet())
        .backfill(&db.pool)
        .await
        .expect("resume");
    assert!(report.backfills[0].resumed, "{report:?}");
    assert_eq!(
        report.backfills[0].rows_updated as usize,
        20_000 - filled.len(),
        "the resumed walk updates only the rows left"
    );
    for (id, public_id) in filled {
        let now: String = sqlx::query_scalar("SELECT public_id::text FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .expect("row");
        assert_eq!(now, public_id, "row {id} was filled twice");
    }
    assert_eq!(
        scalar_i64(&db.pool, "SELECT rows_updated FROM migrate.backfills").await,
        20_000
    );
}

// ---------------------------------------------------------------------------------------
// The README's runner walk through the example.

/// The README's walk through the example's release 4 with the runner, command by command, on
/// the example's accepted plans (what its binary embeds), with rows added at release 3.
#[tokio::test]
async fn example_shop_readme_runner_walk_takes_release_4_through_every_phase() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let walk = readme
        .split("<!-- runner walk -->")
        .nth(1)
        .expect("the README marks the runner walk");
    let commands: Vec<Vec<String>> = walk
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("<!--"))
        .filter_map(|l| l.split_once("-- migrate "))
        .map(|(_, rest)| {
            rest.split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    assert_eq!(commands.len(), 5, "{commands:?}");
    let shop = root.join("examples/shop");
    let plans = plans_in(&shop.join("migrations"));
    let db = TestDb::create().await;
    let mut walked = Vec::new();
    for words in &commands {
        let through = words
            .iter()
            .position(|w| w == "--through")
            .map(|i| words[i + 1].parse::<u32>().expect("a release"));
        let mut m = with(plans.clone(), quiet());
        if let Some(release) = through {
            m = m.through(release);
        }
        let report = match words[0].as_str() {
            "up" => m.up(&db.pool).await,
            "status" => {
                let status = m.status(&db.pool).await.expect("status");
                assert_eq!(status.due, Due::Expand(4), "{status}");
                continue;
            }
            "expand" => m.expand(&db.pool).await,
            "backfill" => m.backfill(&db.pool).await,
            "contract" => m.contract(&db.pool).await,
            other => panic!("the walk runs `migrate {other}`, which the test does not know"),
        }
        .unwrap_or_else(|e| panic!("migrate {}: {e}", words.join(" ")));
        if through == Some(3) {
            sqlx::Executor::execute(
                &db.pool,
                sqlx::raw_sql(
                    "INSERT INTO customers (email, display_name) SELECT 'c' || g || '@example.com', 'c' || g FROM generate_series(1, 3000) g;
                     INSERT INTO orders (customer_id) SELECT g % 3000 + 1 FROM generate_series(1, 9000) g;",
                ),
            )
            .await
            .expect("rows at release 3");
        }
        walked.push((words[0].clone(), report));
    }
    let filled: u64 = walked
        .iter()
        .flat_map(|(_, r)| &r.backfills)
        .map(|b| b.rows_updated)
        .sum();
    assert_eq!(filled, 3000 + 9000, "both backfills filled their rows");
    let status = migrator(plans).status(&db.pool).await.expect("status");
    assert_eq!(status.due, Due::Nothing, "{status}");
    let snapshot = migrate_core::snapshot::Snapshot::load(&shop.join("migrate.snapshot.json"))
        .expect("snapshot")
        .expect("a snapshot");
    let live = migrate_tests::introspect::introspect(&db.pool, &["public"]).await;
    migrate_tests::introspect::assert_same_schema(&live, &snapshot.schema);
    assert_eq!(
        scalar_i64(
            &db.pool,
            "SELECT count(*) FROM orders WHERE public_ref IS NULL"
        )
        .await,
        0
    );
}

// ---------------------------------------------------------------------------------------
// The runner lock lost; an older binary; status of a database sqlx migrated.

/// Terminates the session holding the runner lock, from a thread of its own (a checkpoint
/// hook is synchronous).
fn kill_the_lock_session(url: String) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .fetch_all(&mut conn)
            .await
            .expect("terminate");
            assert_eq!(killed, vec![true], "one lock session");
        });
    })
    .join()
    .expect("the killer thread");
}

#[tokio::test]
async fn a_run_whose_lock_session_dies_stops_and_the_next_run_converges() {
    let (scenario, db) = users_expanded(20_000).await;
    let url = db.url.clone();
    let options = RunOptions {
        checkpoint: Some(hook(move |c| {
            if matches!(c, Checkpoint::BatchDone { batch: 1, .. }) {
                kill_the_lock_session(url.clone());
            }
            CheckpointAction::Continue
        })),
        ..quiet()
    };
    let err = with(scenario.plans(), options)
        .backfill(&db.pool)
        .await
        .expect_err("the lock is gone");
    assert!(matches!(err, RunError::LockLost { .. }), "{err}");
    let report = with(scenario.plans(), quiet())
        .backfill(&db.pool)
        .await
        .expect("a new run takes the lock and resumes");
    assert!(report.backfills[0].resumed, "{report:?}");
    assert_eq!(
        scalar_i64(&db.pool, "SELECT rows_updated FROM migrate.backfills").await,
        20_000
    );
}

#[tokio::test]
async fn a_binary_older_than_the_database_refuses_to_run() {
    let (scenario, db) = users_expanded(10).await;
    let err = with(scenario.plans(), quiet())
        .through(1)
        .up(&db.pool)
        .await
        .expect_err("release 2 is applied");
    assert!(
        matches!(err, RunError::Takeover(_)) && err.to_string().contains("ahead of this binary"),
        "{err}"
    );
}

#[tokio::test]
async fn status_counts_what_sqlx_applied_and_writes_nothing() {
    let migrations = golden_cases()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("second-release"))
        .expect("the second-release golden case");
    let db = TestDb::create().await;
    apply_releases_through(&db.pool, &migrations, 1).await;
    let status = with(plans_in(&migrations), quiet())
        .status(&db.pool)
        .await
        .expect("status");
    assert_eq!(status.due, Due::Expand(2), "{status}");
    assert_eq!(
        scalar_i64(
            &db.pool,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'migrate'"
        )
        .await,
        0,
        "status wrote nothing"
    );
}
