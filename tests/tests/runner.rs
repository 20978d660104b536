//! The product's runner seed (`migrate_runtime::runner`) on a real PostgreSQL: a backfill
//! interrupted after some batches (the walk stopped, or its future dropped mid-batch) converges
//! when run again, and a rollback refuses an irreversible phase before running anything; and
//! the product's introspection (`migrate_runtime::introspect`) names what drifted.

use std::num::NonZeroU32;
use std::time::Duration;

use migrate_core::model::QualifiedName;
use migrate_core::model::Schema;
use migrate_core::plan::{Phase, Plan, PostCheck, Undo};
use migrate_runtime::introspect::{Drift, IntrospectError, TableDrift, introspect, schema_drift};
use migrate_runtime::runner::{
    BackfillWalk, Progress, RollbackError, roll_back_phase, rows_left, run_backfill,
};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{Scenario, apply_source};
use sqlx::{Connection, PgConnection};

const USERS_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    legacy: String,
}
"#;

/// Adds a nullable column with a volatile default (C3): expand adds it without a rewrite, and
/// a backfill, which does not hold back the new views, fills the existing rows.
const USERS_V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    legacy: String,
    #[migrate(default = "gen_random_uuid()")]
    public_id: Option<uuid::Uuid>,
}
"#;

const ROWS: u64 = 500;

/// Release 1 applied with `ROWS` rows, release 2 accepted and its expand applied; and
/// release 1's schema.
async fn expanded(v2: &str) -> (Scenario, TestDb, Plan, Schema) {
    let scenario = Scenario::new();
    scenario.accept(USERS_V1);
    let v1 = scenario.snapshot().schema;
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    sqlx::raw_sql(
        "INSERT INTO users (email, legacy) SELECT 'u' || g || '@example.com', 'old' || g FROM generate_series(1, 500) g",
    )
    .execute(&db.pool)
    .await
    .expect("seed");
    scenario.accept(v2);
    let plan = scenario.plan(2);
    apply_source(&db.pool, &scenario.migrations()).await;
    (scenario, db, plan, v1)
}

async fn connect(db: &TestDb) -> PgConnection {
    PgConnection::connect(&db.url).await.expect("connect")
}

fn size(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("non-zero")
}

/// The row versions (`xmin`) of the filled rows: a batch that rewrote a filled row changes it.
async fn filled_versions(conn: &mut PgConnection) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT id, xmin::text FROM users WHERE public_id IS NOT NULL ORDER BY id")
        .fetch_all(conn)
        .await
        .expect("row versions")
}

#[tokio::test]
async fn a_walk_stopped_after_k_batches_converges_when_run_again() {
    let (_scenario, db, plan, _) = expanded(USERS_V2).await;
    let [job] = &plan.backfills[..] else {
        panic!("one backfill expected: {:?}", plan.backfills);
    };
    let mut conn = connect(&db).await;
    assert_eq!(rows_left(&mut conn, job).await.unwrap(), ROWS);

    // Three batches of 50, then the loop stops: each batch committed on its own, and the
    // cursor, the key after the batch, moved forward each time.
    let mut walk = BackfillWalk::new(job).unwrap();
    let mut keys = Vec::new();
    for _ in 0..3 {
        match walk.next_batch(&mut conn, size(50)).await.unwrap() {
            Progress::Batch {
                next_key: Some(next),
                ..
            } => keys.push(next[0].parse::<i64>().unwrap()),
            other => panic!("the walk ended early: {other:?}"),
        }
    }
    assert!(
        keys.is_sorted() && keys[0] > 1 && keys[2] <= 151,
        "{keys:?}"
    );
    assert_eq!(walk.batches(), 3);
    assert_eq!(walk.cursor(), Some(&[keys[2].to_string()][..]));
    drop(walk);
    let before = filled_versions(&mut conn).await;
    assert!(
        !before.is_empty() && before.len() <= 150,
        "{}",
        before.len()
    );
    assert_eq!(
        rows_left(&mut conn, job).await.unwrap(),
        ROWS - before.len() as u64
    );

    // The rerun starts from the first batch, rewrites none of the filled rows, and converges.
    let report = run_backfill(&mut conn, job, size(50)).await.unwrap();
    assert_eq!(report.id, job.id);
    assert!(report.batches >= ROWS / 50, "{report:?}");
    assert_eq!(report.rows_left, 0);
    assert!(report.is_complete());
    let after = filled_versions(&mut conn).await;
    assert_eq!(after.len() as u64, ROWS);
    let kept: Vec<_> = after
        .iter()
        .filter(|(id, _)| before.iter().any(|(b, _)| b == id))
        .cloned()
        .collect();
    assert_eq!(
        kept, before,
        "the rerun rewrote rows that were already filled"
    );

    // A third run finds nothing to fill, and rewrites nothing.
    let again = run_backfill(&mut conn, job, size(64)).await.unwrap();
    assert_eq!(again.rows_left, 0);
    assert_eq!(filled_versions(&mut conn).await, after);
}

/// The batch SQL's next key is the key after the batch's greatest key, so batches do not
/// overlap. (The format-1 batch once sorted by the output column, the key's text, so `"9"`
/// beat `"50"`: the walk converged but re-read keys.)
#[tokio::test]
async fn the_cursor_is_the_key_after_the_greatest_key_of_each_batch() {
    let (_scenario, db, plan, _) = expanded(USERS_V2).await;
    let job = &plan.backfills[0];
    let mut conn = connect(&db).await;
    let mut walk = BackfillWalk::new(job).unwrap();
    for k in 1..=3u32 {
        assert_eq!(
            walk.next_batch(&mut conn, size(50)).await.unwrap(),
            Progress::Batch {
                next_key: Some(vec![(k * 50 + 1).to_string()]),
                keys_read: 50,
                rows_updated: 50,
            }
        );
    }
    assert_eq!(rows_left(&mut conn, job).await.unwrap(), ROWS - 150);
    let report = run_backfill(&mut conn, job, size(50)).await.unwrap();
    assert_eq!(
        (report.batches, report.rows_updated, report.rows_left),
        (ROWS / 50, ROWS - 150, 0)
    );
}

#[tokio::test]
async fn a_walk_dropped_mid_batch_converges_when_run_again() {
    let (_scenario, db, plan, _) = expanded(USERS_V2).await;
    let job = &plan.backfills[0];
    let mut watcher = connect(&db).await;
    // Slow batches (5 ms a row), so the walk is surely in flight when it is dropped.
    sqlx::raw_sql(
        "CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END $$;
         CREATE TRIGGER slow_down BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION slow_down();",
    )
    .execute(&mut watcher)
    .await
    .expect("slow trigger");

    let mut walker = connect(&db).await;
    {
        let walk = run_backfill(&mut walker, job, size(10));
        tokio::pin!(walk);
        // Drop the walk once at least three batches have committed.
        let three_batches = async {
            loop {
                if rows_left(&mut watcher, job).await.unwrap() <= ROWS - 30 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            report = &mut walk => panic!("the walk ended before it was interrupted: {report:?}"),
            () = three_batches => {}
        }
    }
    // The connection goes with the dropped walk; the batch in flight commits or rolls back
    // whole. Dropping the trigger waits for it.
    drop(walker);
    sqlx::raw_sql("DROP TRIGGER slow_down ON users")
        .execute(&mut watcher)
        .await
        .expect("drop trigger");
    let left = rows_left(&mut watcher, job).await.unwrap();
    assert!(left > 0 && left <= ROWS - 30, "{left} row(s) left");

    let mut conn = connect(&db).await;
    let report = run_backfill(&mut conn, job, size(10)).await.unwrap();
    assert!(report.batches >= ROWS / 10, "{report:?}");
    assert_eq!(report.rows_left, 0);
    let filled: i64 = sqlx::query_scalar("SELECT count(DISTINCT public_id) FROM users")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(filled as u64, ROWS);
}

#[tokio::test]
async fn rollback_undoes_last_step_first_and_refuses_irreversible_phases_up_front() {
    // Dropping a column: its contract cannot be undone (refused before it runs, so whether
    // contract ran does not matter; it has not, so expand can be rolled back after).
    let v2 = USERS_V1.replace("    legacy: String,\n", "").replace(
        "#[migrate(table_name = \"users\")]",
        "#[migrate(table_name = \"users\", drop_column = \"legacy\")]",
    );
    let (_scenario, db, plan, v1) = expanded(&v2).await;
    let mut conn = connect(&db).await;
    let before = introspect(&mut conn, &["public"]).await.unwrap();

    let irreversible = plan
        .phase(Phase::Contract)
        .find_map(|s| match &s.undo {
            Some(Undo::Irreversible(why)) => Some((s.id.clone(), why.clone())),
            _ => None,
        })
        .expect("an irreversible contract step");
    match roll_back_phase(&mut conn, &plan, Phase::Contract).await {
        Err(RollbackError::Irreversible { id, reason, .. }) => {
            assert_eq!((id, reason), irreversible);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let after = introspect(&mut conn, &["public"]).await.unwrap();
    assert_eq!(schema_drift(&after, &before), None, "nothing ran");

    // The expand phase is reversible: undone last step first, read-only checks skipped.
    let done = roll_back_phase(&mut conn, &plan, Phase::Expand)
        .await
        .unwrap();
    let expected: Vec<(String, bool)> = plan
        .steps
        .iter()
        .rev()
        .filter(|s| s.phase == Phase::Expand)
        .map(|s| (s.id.clone(), matches!(s.undo, Some(Undo::Sql(_)))))
        .collect();
    let undone: Vec<&String> = expected
        .iter()
        .filter(|(_, u)| *u)
        .map(|(id, _)| id)
        .collect();
    let skipped: Vec<&String> = expected
        .iter()
        .filter(|(_, u)| !*u)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(done.undone.iter().collect::<Vec<_>>(), undone);
    assert_eq!(done.skipped.iter().collect::<Vec<_>>(), skipped);
    assert!(!done.undone.is_empty());
    let live = introspect(&mut conn, &["public"]).await.unwrap();
    assert_eq!(schema_drift(&live, &v1), None, "release 1's schema again");
}

#[tokio::test]
async fn drift_names_what_was_changed_by_hand_and_invalid_indexes_are_errors() {
    let scenario = Scenario::new();
    scenario.accept(USERS_V1);
    let declared = scenario.snapshot().schema;
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    let mut conn = connect(&db).await;
    let live = introspect(&mut conn, &["public"]).await.unwrap();
    assert_eq!(schema_drift(&live, &declared), None);

    sqlx::raw_sql(
        "ALTER TABLE users ADD COLUMN extra integer;
         ALTER TABLE users ALTER COLUMN legacy DROP NOT NULL;
         CREATE TYPE mood AS ENUM ('ok');",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let live = introspect(&mut conn, &["public"]).await.unwrap();
    let drift = schema_drift(&live, &declared).expect("drift");
    let users = QualifiedName::new("public", "users");
    let [
        Drift::Table { name, differences },
        Drift::UnexpectedEnum(mood),
    ] = &drift.differences[..]
    else {
        panic!("{drift:?}");
    };
    assert_eq!(
        (name, mood),
        (&users, &QualifiedName::new("public", "mood"))
    );
    assert!(matches!(
        &differences[..],
        [TableDrift::Column { declared, live }, TableDrift::UnexpectedColumn(extra)]
            if declared.name == "legacy" && !declared.nullable && live.nullable && extra == "extra"
    ));

    // An interrupted CONCURRENTLY build leaves an invalid index: an error, not a silent match.
    sqlx::raw_sql("INSERT INTO users (email, legacy) VALUES ('same', 'a'), ('same', 'b')")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql("CREATE UNIQUE INDEX CONCURRENTLY users_email_key2 ON users (email)")
        .execute(&mut conn)
        .await
        .expect_err("duplicate emails");
    match introspect(&mut conn, &["public"]).await {
        Err(IntrospectError::InvalidIndex { table, index }) => {
            assert_eq!((table, index.as_str()), (users, "users_email_key2"));
        }
        other => panic!("expected an invalid index, got {other:?}"),
    }
}

/// Adds a CHECK (K1, validated in contract) and an index (I1, built in expand).
const USERS_V2_CHECKED: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
#[migrate(index(columns(email)))]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(check = "length(email) > 3")]
    email: String,
    legacy: String,
}
"#;

/// The plan's post-checks are executable: each is one count that is 0 once its step ran, and
/// not 0 when what it checks is gone.
#[tokio::test]
async fn post_checks_pass_after_their_steps_and_fail_without_them() {
    let (scenario, db, plan, _) = expanded(USERS_V2_CHECKED).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    let checks: Vec<_> = plan
        .steps
        .iter()
        .filter_map(|s| s.post_check.as_ref())
        .collect();
    let kinds: Vec<&str> = checks
        .iter()
        .map(|c| match c {
            PostCheck::IndexValid { .. } => "index",
            PostCheck::ConstraintValidated { .. } => "constraint",
            PostCheck::NoRowsLeft { .. } => "rows",
        })
        .collect();
    assert!(
        kinds.contains(&"index") && kinds.contains(&"constraint"),
        "{kinds:?}"
    );
    let mut conn = connect(&db).await;
    for check in &checks {
        let count: i64 = sqlx::query_scalar(&check.sql())
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}: {}", check.sql()));
        assert_eq!(count, 0, "{}", check.failure(count));
    }
    sqlx::raw_sql(
        "ALTER TABLE users DROP CONSTRAINT users_email_check; DROP INDEX users_email_idx;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for check in &checks {
        let count: i64 = sqlx::query_scalar(&check.sql())
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(count, 1, "{} should fail once it is gone", check.describe());
        assert!(
            check.failure(count).contains("missing"),
            "{}",
            check.failure(count)
        );
    }
}

/// Types PostgreSQL prints in several words, and arrays of two dimensions, read back as
/// declared: defaults cast to them and the dimension count are no drift.
const SPELLINGS: &str = r#"
#[derive(Table)]
#[migrate(table_name = "spellings")]
struct Spelling {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(column_type = "varchar(80)", default = "'x'")]
    code: String,
    #[migrate(default = "1.5")]
    ratio: f64,
    #[migrate(column_type = "timestamp(3) with time zone", default = "'2020-01-01 00:00:00+00'")]
    since: chrono::DateTime<chrono::Utc>,
    #[migrate(column_type = "text[][]")]
    grid: Option<Vec<Vec<String>>>,
}
"#;

#[tokio::test]
async fn multi_word_types_and_two_dimensional_arrays_read_back_without_drift() {
    let scenario = Scenario::new();
    scenario.accept(SPELLINGS);
    let declared = scenario.snapshot().schema;
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    let mut conn = connect(&db).await;
    let live = introspect(&mut conn, &["public"]).await.unwrap();
    let table = live.tables.get("public.spellings").expect("the table");
    let column = |name: &str| table.columns.iter().find(|c| c.name == name).unwrap();
    // What PostgreSQL prints, so the comparison below has something to normalise.
    assert_eq!(
        column("code").default.as_deref(),
        Some("'x'::character varying")
    );
    assert!(
        column("since")
            .default
            .as_deref()
            .is_some_and(|d| d.ends_with("::timestamp with time zone")),
        "{:?}",
        column("since").default
    );
    assert_eq!(column("grid").ty.to_string(), "text[][]");
    assert_eq!(schema_drift(&live, &declared), None);
}
