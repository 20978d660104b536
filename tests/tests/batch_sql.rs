//! The planner's format-2 backfill SQL on a real PostgreSQL: the batch statement keeps an index
//! scan on the primary key at every batch size the runner uses, under generic and custom plans,
//! on a column that was never analysed; the walk's cursor advances in key order (not text
//! order) and reads every key once, for integer, uuid, text and composite keys; and a walk
//! ends while rows are inserted at the end of the key.

use std::num::NonZeroU32;
use std::time::Duration;

use migrate_core::plan::{Backfill, CatalogRow, Plan};
use migrate_core::sql::quote_literal;
use migrate_runtime::runner::{BATCH_SIZES, BackfillWalk, Progress, rows_left, run_backfill};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{Scenario, apply_source, try_apply_source};
use sqlx::{Connection, PgConnection};

/// Release 1 accepted and applied, `seed` run and the table analysed, release 2 accepted and
/// its expand applied (up to the views that wait for a backfill, if any).
async fn expanded(v1: &str, seed: &str, v2: &str) -> (Scenario, TestDb, Plan) {
    let scenario = Scenario::new();
    scenario.accept(v1);
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    sqlx::raw_sql(seed).execute(&db.pool).await.expect("seed");
    sqlx::raw_sql("ANALYZE")
        .execute(&db.pool)
        .await
        .expect("analyze");
    scenario.accept(v2);
    let plan = scenario.plan(2);
    // A backfill the new views wait for stops expand before them; that is expected here.
    let _ = try_apply_source(&db.url, &scenario.migrations()).await;
    (scenario, db, plan)
}

fn only_backfill(plan: &Plan, catalog: CatalogRow) -> &Backfill {
    match &plan.backfills[..] {
        [job] if job.catalog == catalog => job,
        other => panic!("one {catalog} backfill expected: {other:?}"),
    }
}

async fn connect(db: &TestDb) -> PgConnection {
    PgConnection::connect(&db.url).await.expect("connect")
}

const ENTRIES_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "entries")]
struct Entry {
    #[migrate(primary_key, identity)]
    id: i64,
    points: i32,
    nickname: Option<String>,
}
"#;

/// C10: `points` widens through a shadow column.
const ENTRIES_SHADOW: &str = r#"
#[derive(Table)]
#[migrate(table_name = "entries")]
struct Entry {
    #[migrate(primary_key, identity)]
    id: i64,
    points: i64,
    nickname: Option<String>,
}
"#;

/// C6 with a backfill value: the NULLs of `nickname` get one.
const ENTRIES_FILL: &str = r#"
#[derive(Table)]
#[migrate(table_name = "entries")]
struct Entry {
    #[migrate(primary_key, identity)]
    id: i64,
    points: i32,
    #[migrate(backfill = "'anonymous'")]
    nickname: String,
}
"#;

const ENTRIES_ROWS: &str =
    "INSERT INTO entries (points) SELECT g FROM generate_series(1, 200000) g";

/// The sizes the plan is checked at: the ends of the runner's range and the sizes in between
/// where a join once turned into a hash join over a sequential scan.
fn checked_sizes() -> Vec<u32> {
    let sizes = vec![
        *BATCH_SIZES.start(),
        100,
        1_000,
        7_000,
        10_000,
        *BATCH_SIZES.end(),
    ];
    assert!(sizes.iter().all(|s| BATCH_SIZES.contains(s)), "{sizes:?}");
    sizes
}

/// Whether an EXPLAIN line is a scan of a table or index (not of a CTE or a subquery).
fn is_table_scan(line: &str) -> bool {
    line.contains(" Scan") && !line.contains("CTE Scan") && !line.contains("Subquery Scan")
}

/// EXPLAINs the job's batch, prepared with text parameters, at every checked size under a
/// generic and a custom plan, and asserts that every table scan in it is an index scan on the
/// primary key with index conditions, and that there is no sequential scan and no hash join.
async fn assert_index_plans(db: &TestDb, job: &Backfill) {
    let mut conn = connect(db).await;
    let table = job.table.sql();
    let pkey: String = sqlx::query_scalar(
        "SELECT conname::text FROM pg_catalog.pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'",
    )
    .bind(&table)
    .fetch_one(&mut conn)
    .await
    .expect("primary key");
    // The shadow or NULL column was never analysed since it was added or emptied.
    let bounds: Vec<String> = {
        let row = sqlx::query(&job.bounds_sql)
            .fetch_one(&mut conn)
            .await
            .expect("bounds");
        use sqlx::Row;
        (0..2 * job.key.len()).map(|i| row.get(i)).collect()
    };
    let types = vec!["text"; 2 * job.key.len()].join(", ");
    sqlx::raw_sql(&format!(
        "PREPARE batch({types}, bigint) AS {}",
        job.batch_sql
    ))
    .execute(&mut conn)
    .await
    .expect("prepare");
    let arguments: Vec<String> = bounds.iter().map(|b| quote_literal(b)).collect();
    for mode in ["force_generic_plan", "force_custom_plan"] {
        sqlx::raw_sql(&format!("SET plan_cache_mode = {mode}"))
            .execute(&mut conn)
            .await
            .unwrap();
        for size in checked_sizes() {
            let lines: Vec<String> = sqlx::query_scalar(&format!(
                "EXPLAIN EXECUTE batch({}, {size})",
                arguments.join(", ")
            ))
            .fetch_all(&mut conn)
            .await
            .expect("explain");
            let text = lines.join("\n");
            let context = format!("{mode}, batch size {size}:\n{text}");
            assert!(!text.contains("Seq Scan"), "{context}");
            assert!(!text.contains("Hash Join"), "{context}");
            let scans: Vec<usize> = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| is_table_scan(l))
                .map(|(i, _)| i)
                .collect();
            // The batch's keys, the UPDATE's rows, the next key.
            assert_eq!(scans.len(), 3, "{context}");
            for i in scans {
                assert!(
                    lines[i].contains(&format!("Index Scan using {pkey} on "))
                        || lines[i].contains(&format!("Index Only Scan using {pkey} on ")),
                    "{context}"
                );
                assert!(
                    lines[i + 1].trim_start().starts_with("Index Cond: "),
                    "{context}"
                );
            }
            // The UPDATE's own scan (the first after it that is not of a CTE) reads the table
            // by the primary key: no join.
            let update = lines
                .iter()
                .position(|l| l.contains("Update on "))
                .expect("an UPDATE");
            let scan = lines[update..]
                .iter()
                .find(|l| is_table_scan(l))
                .expect("the UPDATE's scan");
            assert!(
                scan.contains(&format!("Index Scan using {pkey} on {} t ", job.table.name)),
                "the UPDATE reads by the primary key: {context}"
            );
        }
    }
}

#[tokio::test]
async fn a_shadow_batch_is_an_index_range_scan_at_every_batch_size() {
    let (_scenario, db, plan) = expanded(ENTRIES_V1, ENTRIES_ROWS, ENTRIES_SHADOW).await;
    let job = only_backfill(&plan, CatalogRow::C10);
    assert_index_plans(&db, job).await;
}

#[tokio::test]
async fn a_null_fill_batch_is_an_index_range_scan_at_every_batch_size() {
    let (_scenario, db, plan) = expanded(ENTRIES_V1, ENTRIES_ROWS, ENTRIES_FILL).await;
    let job = only_backfill(&plan, CatalogRow::C6);
    assert_index_plans(&db, job).await;
}

/// A table keyed by `key` (a field declaration, or `struct`-level attributes and fields) and
/// its release 2, which adds a nullable column with a volatile default (C3, one backfill).
fn keyed(attributes: &str, fields: &str, with_fill: bool) -> String {
    let fill = if with_fill {
        "    #[migrate(default = \"gen_random_uuid()\")]\n    public_id: Option<uuid::Uuid>,\n"
    } else {
        ""
    };
    format!(
        "#[derive(Table)]\n#[migrate(table_name = \"keyed\"{attributes})]\nstruct Keyed {{\n{fields}    payload: i32,\n{fill}}}\n"
    )
}

/// Walks the C3 backfill of a table keyed as given, seeded by `seed`, in batches of `size`;
/// asserts that the cursor runs through the keys in key order, `size` keys apart, that every
/// key is read once and every row filled once.
async fn assert_walks_in_key_order(attributes: &str, fields: &str, seed: &str, size: u32) {
    let v1 = keyed(attributes, fields, false);
    let v2 = keyed(attributes, fields, true);
    let (_scenario, db, plan) = expanded(&v1, seed, &v2).await;
    let job = only_backfill(&plan, CatalogRow::C3);
    let mut conn = connect(&db).await;
    let key = job
        .key
        .iter()
        .map(|k| migrate_core::sql::quote_ident(k))
        .collect::<Vec<_>>();
    // The keys in key order, each column as text (what the batch returns).
    let order = format!(
        "SELECT ARRAY[{}] FROM keyed ORDER BY {}",
        key.iter()
            .map(|k| format!("{k}::text"))
            .collect::<Vec<_>>()
            .join(", "),
        key.join(", ")
    );
    let keys: Vec<Vec<String>> = sqlx::query_scalar(&order)
        .fetch_all(&mut conn)
        .await
        .expect("keys");
    assert!(keys.len() > 10 * size as usize, "{} keys", keys.len());
    let total = keys.len() as u64;
    assert_eq!(rows_left(&mut conn, job).await.unwrap(), total);

    let mut walk = BackfillWalk::new(job).unwrap();
    let mut cursors = Vec::new();
    let (mut read, mut updated) = (0, 0);
    loop {
        match walk
            .next_batch(&mut conn, NonZeroU32::new(size).unwrap())
            .await
        {
            Ok(Progress::Batch {
                next_key,
                keys_read,
                rows_updated,
            }) => {
                read += keys_read;
                updated += rows_updated;
                match next_key {
                    Some(next) => {
                        assert_eq!(keys_read, u64::from(size), "a full batch before {next:?}");
                        cursors.push(next);
                    }
                    None => break,
                }
            }
            Ok(Progress::Done) => panic!("the walk ended without a last batch"),
            Err(e) => panic!("{e}\n{}", job.batch_sql),
        }
    }
    let expected: Vec<Vec<String>> = keys
        .iter()
        .skip(size as usize)
        .step_by(size as usize)
        .cloned()
        .collect();
    assert_eq!(
        cursors, expected,
        "each cursor is `size` keys past the one before"
    );
    assert_eq!(
        (read, updated),
        (total, total),
        "every key read and every row filled once"
    );
    assert_eq!(walk.batches(), total.div_ceil(u64::from(size)));
    assert_eq!(rows_left(&mut conn, job).await.unwrap(), 0);
    // Another walk finds nothing to fill.
    let again = run_backfill(&mut conn, job, NonZeroU32::new(size).unwrap())
        .await
        .unwrap();
    assert_eq!((again.rows_updated, again.rows_left), (0, 0));
}

#[tokio::test]
async fn an_integer_key_is_walked_in_numeric_order() {
    // Negative keys, and 9 before 50 (as text, "9" sorts after "50" and "-1" after "-10").
    assert_walks_in_key_order(
        "",
        "    #[migrate(primary_key)]\n    id: i32,\n",
        "INSERT INTO keyed (id, payload) SELECT g, g FROM generate_series(-120, 300) g",
        7,
    )
    .await;
}

#[tokio::test]
async fn a_uuid_key_is_walked_in_uuid_order() {
    assert_walks_in_key_order(
        "",
        "    #[migrate(primary_key)]\n    id: uuid::Uuid,\n",
        "INSERT INTO keyed (id, payload) SELECT gen_random_uuid(), g FROM generate_series(1, 400) g",
        9,
    )
    .await;
}

#[tokio::test]
async fn a_text_key_is_walked_in_collation_order() {
    assert_walks_in_key_order(
        "",
        "    #[migrate(primary_key)]\n    code: String,\n",
        "INSERT INTO keyed (code, payload) SELECT c, 0 FROM unnest(ARRAY['9', '50', '5', '10', 'a', 'A', 'b', 'B', 'Zebra', 'zebra', 'ab', 'aB', 'Ab', '']) c;
         INSERT INTO keyed (code, payload) SELECT (CASE WHEN g % 2 = 0 THEN 'Key' ELSE 'key' END) || g, g FROM generate_series(1, 300) g",
        6,
    )
    .await;
}

#[tokio::test]
async fn a_composite_key_is_walked_in_row_order() {
    assert_walks_in_key_order(
        ", primary_key(a, b)",
        "    a: i32,\n    b: String,\n",
        "INSERT INTO keyed (a, b, payload) SELECT g / 10, (ARRAY['9', '50', 'x', 'X', 'y'])[1 + g % 5] || (g % 2), g FROM generate_series(0, 399) g",
        8,
    )
    .await;
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

/// Rows inserted at the end of the key while the walk runs are past its last key (and get the
/// default): the walk ends after the rows that were there when it read its bounds.
#[tokio::test]
async fn a_walk_ends_while_rows_are_inserted_at_the_end_of_the_key() {
    const ROWS: u64 = 2_000;
    const SIZE: u32 = 10;
    let (_scenario, db, plan) = expanded(
        USERS_V1,
        "INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 2000) g",
        USERS_V2,
    )
    .await;
    let job = only_backfill(&plan, CatalogRow::C3);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inserter = {
        let pool = db.pool.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut inserted = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                sqlx::query("INSERT INTO users (email) SELECT 'new' FROM generate_series(1, 5)")
                    .execute(&pool)
                    .await
                    .expect("insert");
                inserted += 5;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            inserted
        })
    };
    // Let the inserts start before the bounds are read, and go on during the walk.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut conn = connect(&db).await;
    let report = tokio::time::timeout(
        Duration::from_secs(120),
        run_backfill(&mut conn, job, NonZeroU32::new(SIZE).unwrap()),
    )
    .await
    .expect("the walk ends while inserts go on")
    .expect("the walk");
    let during: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let inserted = inserter.await.expect("inserter");
    assert!(
        inserted > 0 && during as u64 > ROWS,
        "{inserted} inserted, {during} rows"
    );
    // It walked up to the last key it read at the start: the seeded rows and those inserted
    // before the bounds, not the rows inserted after.
    assert!(
        report.batches >= ROWS / u64::from(SIZE)
            && report.batches <= during as u64 / u64::from(SIZE),
        "{report:?}, {during} rows"
    );
    assert_eq!(
        report.rows_updated, ROWS,
        "the inserted rows have their default"
    );
    assert_eq!(report.rows_left, 0);
}
