//! What an interrupted or misordered run leaves behind, on a real PostgreSQL: a concurrent index
//! build killed midway, every file of a release applied out of order, a user's view over a
//! release's views, and the example's README walk, one release at a time.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use migrate_tests::introspect::{assert_same_schema, introspect};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{
    Scenario, apply_source, release_files_in, rerun_file, run_backfills, try_apply_source,
};
use sqlx::migrate::Migrator;

/// `pg_dump --schema-only` of the test database: what "unchanged" means below.
fn schema_dump(db: &TestDb) -> String {
    let out = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner"])
        // sqlx's URL carries options of its own after `?`, which libpq does not know.
        .arg(db.url.split('?').next().unwrap_or(&db.url))
        .output()
        .expect("pg_dump runs (PostgreSQL's client tools are on PATH)");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pg_dump 15.14+ fences the script with a random `\restrict` key, new on every run.
    String::from_utf8(out.stdout)
        .expect("pg_dump writes UTF-8")
        .lines()
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts two dumps are equal, showing only the lines that differ.
fn assert_same_dump(after: &str, before: &str, what: &str) {
    if after != before {
        let (a, b): (Vec<&str>, Vec<&str>) = (after.lines().collect(), before.lines().collect());
        let added: Vec<&&str> = a.iter().filter(|l| !b.contains(l)).collect();
        let removed: Vec<&&str> = b.iter().filter(|l| !a.contains(l)).collect();
        panic!("{what}: added {added:#?}, removed {removed:#?}");
    }
}

/// A sqlx source holding only these files.
fn stage(files: &[PathBuf]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    for f in files {
        std::fs::copy(f, dir.path().join(f.file_name().expect("file name"))).expect("copy");
    }
    dir
}

/// A lone `CREATE`/`DROP INDEX CONCURRENTLY`: PostgreSQL refuses it in a string with any other
/// statement, so it cannot carry the order check; the files around it do.
fn lone_concurrent_statement(file: &Path) -> bool {
    let sql = std::fs::read_to_string(file).expect("read migration file");
    sql.starts_with("-- no-transaction\n") && sql.contains(" CONCURRENTLY ")
}

/// Runs each file alone, as sqlx sends it, and expects a refusal containing `expected` that
/// leaves the schema exactly as it was. Returns how many files were tried.
async fn each_refused(db: &TestDb, files: &[PathBuf], expected: &str) -> usize {
    let mut tried = 0;
    // Each refusal leaves the schema as it was, so one dump before them all is the baseline.
    let before = schema_dump(db);
    for file in files {
        if lone_concurrent_statement(file) {
            continue;
        }
        let err = rerun_file(&db.pool, file)
            .await
            .expect_err(&format!("{} ran out of order", file.display()));
        assert!(
            err.to_string().contains(expected),
            "{}: {err}",
            file.display()
        );
        assert_same_dump(
            &schema_dump(db),
            &before,
            &format!(
                "{} changed the database although it refused",
                file.display()
            ),
        );
        tried += 1;
    }
    tried
}

/// Every expand and contract file of release 2 refuses when run out of order (release 1 not
/// contracted; release 1 contracted but expand 2 not begun; expand 2 complete but contract 2
/// not begun), and the database is unchanged. So does `sqlx migrate run` itself, which is the
/// only way a lone CONCURRENTLY file is reached: after the file before it. Once the release is
/// through, its expand files refuse to run again and its contract files re-run as no-ops.
async fn every_file_of_release_2_refuses_out_of_order(golden: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(golden);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("golden release");
    let scenario = Scenario::new();
    scenario.accept(&read("release-1.rs"));
    scenario.accept(&read("release-2.rs"));
    let (expand, contract) = (scenario.migrations(), scenario.contract_migrations());
    let expand_2 = release_files_in(&expand, 2);
    let contract_2 = release_files_in(&contract, 2);
    assert!(expand_2.len() > 1 && !contract_2.is_empty(), "{golden}");
    let db = TestDb::create().await;
    apply_source(&db.pool, stage(&release_files_in(&expand, 1)).path()).await;

    // Release 1 expanded, not contracted.
    let tried = each_refused(
        &db,
        &expand_2[..1],
        "the contract of release 1 has not completed",
    )
    .await
        + each_refused(&db, &expand_2[1..], "release 2 has not begun to expand").await
        + each_refused(&db, &contract_2, "release 2 cannot contract").await;
    let before = schema_dump(&db);
    try_apply_source(&db.url, stage(&expand_2).path())
        .await
        .expect_err("sqlx stops at the first file");
    assert_same_dump(
        &schema_dump(&db),
        &before,
        "sqlx migrate run changed the database",
    );

    // Release 1 contracted; release 2's expand not begun.
    apply_source(&db.pool, stage(&release_files_in(&contract, 1)).path()).await;
    let tried = tried
        + each_refused(&db, &expand_2[1..], "release 2 has not begun to expand").await
        + each_refused(&db, &contract_2, "release 2 cannot contract").await;

    // Release 2 expanded (no rows: no backfill holds the views back); contract not begun.
    apply_source(&db.pool, stage(&expand_2).path()).await;
    let tried =
        tried + each_refused(&db, &contract_2[1..], "release 2 has not begun to contract").await;
    let lone = expand_2
        .iter()
        .chain(&contract_2)
        .filter(|f| lone_concurrent_statement(f))
        .count();
    assert!(
        tried > 0 && lone < expand_2.len() + contract_2.len(),
        "{golden}: {tried} refusals"
    );

    // In order, everything runs.
    apply_source(&db.pool, stage(&contract_2).path()).await;
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);

    // Run again by hand once its phase is over: an expand file refuses (it would undo contract
    // work), a contract file runs again and changes nothing.
    each_refused(&db, &expand_2, "release 2 is contracting or has contracted").await;
    let before = schema_dump(&db);
    for file in &contract_2 {
        rerun_file(&db.pool, file)
            .await
            .unwrap_or_else(|e| panic!("re-running {}: {e}", file.display()));
        assert_same_dump(
            &schema_dump(&db),
            &before,
            &format!("re-running {} changed the database", file.display()),
        );
    }
}

#[tokio::test]
async fn r9_every_file_run_out_of_order_is_refused_and_changes_nothing_indexes() {
    every_file_of_release_2_refuses_out_of_order("second-release").await;
}

#[tokio::test]
async fn r9_every_file_run_out_of_order_is_refused_and_changes_nothing_phased() {
    every_file_of_release_2_refuses_out_of_order("phased-release").await;
}

#[tokio::test]
async fn r9_every_file_run_out_of_order_is_refused_and_changes_nothing_shadow() {
    every_file_of_release_2_refuses_out_of_order("shadow-release").await;
}

#[tokio::test]
async fn r9_every_file_run_out_of_order_is_refused_and_changes_nothing_fill() {
    every_file_of_release_2_refuses_out_of_order("fill-release").await;
}

/// The state that used to deadlock: expand 2's views file run before contract 1 made release
/// 2's views schema exist, so contract 1 said "contracted already" while expand 2 waited for it.
/// Now that file refuses, and the releases still go through in order.
#[tokio::test]
async fn r9_expand_files_run_before_the_previous_contract_cannot_deadlock_it() {
    let v1 = "#[derive(Table)]\nstruct Note {\n    #[migrate(primary_key, identity)]\n    id: i64,\n    body: String,\n}\n";
    // An index on an existing column: expand 2 is three files, the views in the last.
    let v2 = v1.replace(
        "    body: String,",
        "    #[migrate(index)]\n    body: String,\n    tag: Option<String>,",
    );
    let scenario = Scenario::new();
    scenario.accept(v1);
    scenario.accept(&v2);
    let db = TestDb::create().await;
    apply_source(
        &db.pool,
        stage(&release_files_in(&scenario.migrations(), 1)).path(),
    )
    .await;
    let expand_2 = release_files_in(&scenario.migrations(), 2);
    assert_eq!(expand_2.len(), 3, "{expand_2:?}");
    let views = expand_2.last().expect("a views file");
    let err = rerun_file(&db.pool, views)
        .await
        .expect_err("expand 2's views wait for expand 2's first file");
    assert!(
        err.to_string()
            .contains("release 2 has not begun to expand"),
        "{err}"
    );
    apply_source(
        &db.pool,
        stage(&release_files_in(&scenario.contract_migrations(), 1)).path(),
    )
    .await;
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);
}

/// I1: a concurrent build killed midway (after the table scan, while it waits for an old
/// snapshot) leaves an INVALID index. Re-running the files skips the existing index, then stops
/// at the check after it with the two statements that rebuild it; once they ran, the files go
/// through and the index is valid.
#[tokio::test]
async fn i1_an_interrupted_concurrent_build_is_refused_by_the_rerun_with_the_statements_that_repair_it()
 {
    let v1 = "#[derive(Table)]\nstruct Event {\n    #[migrate(primary_key, identity)]\n    id: i64,\n    code: String,\n}\n";
    let v2 = v1.replace(
        "    code: String,",
        "    #[migrate(index)]\n    code: String,",
    );
    let scenario = Scenario::new();
    scenario.accept(v1);
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    sqlx::raw_sql("INSERT INTO event (code) SELECT md5(g::text) FROM generate_series(1, 200000) g")
        .execute(&db.pool)
        .await
        .unwrap();
    scenario.accept(&v2);

    // A transaction with an old snapshot: the build scans the table, then waits for it.
    let mut reader = db.connection().await;
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM event;")
        .execute(&mut reader)
        .await
        .unwrap();
    let source = scenario.migrations();
    let kill = async {
        let started = Instant::now();
        let pid: i32 = loop {
            let row: Option<(i32, String)> = sqlx::query_as(
                "SELECT pid, phase FROM pg_stat_progress_create_index WHERE datname = current_database()",
            )
            .fetch_optional(&db.pool)
            .await
            .unwrap();
            if let Some((pid, phase)) = &row
                && phase == "waiting for old snapshots"
            {
                break *pid;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the build never reached its wait: {row:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(terminated);
    };
    let (run, ()) = tokio::join!(try_apply_source(&db.url, &source), kill);
    run.expect_err("the migration run lost its backend");
    sqlx::raw_sql("COMMIT").execute(&mut reader).await.unwrap();
    let valid =
        "SELECT indisvalid FROM pg_index WHERE indrelid = 'event'::regclass AND NOT indisprimary";
    let is_valid: Vec<bool> = sqlx::query_scalar(valid).fetch_all(&db.pool).await.unwrap();
    assert_eq!(
        is_valid,
        [false],
        "the interrupted build left an invalid index"
    );

    let before = schema_dump(&db);
    let err = try_apply_source(&db.url, &scenario.migrations())
        .await
        .expect_err("the rerun stops at the invalid index");
    assert!(err.contains("is invalid"), "{err}");
    let views: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'release_0002'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        views, 0,
        "the release did not complete over an invalid index"
    );
    assert_same_dump(
        &schema_dump(&db),
        &before,
        "the refused rerun changed the database",
    );

    // The statements the message names, each on its own, as it says.
    let repair = err.split('`').nth(1).expect("the statements, in backticks");
    let statements: Vec<&str> = repair
        .split_inclusive(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(statements.len(), 2, "{repair}");
    assert!(statements[0].starts_with("DROP INDEX CONCURRENTLY IF EXISTS"));
    assert!(statements[1].starts_with("CREATE INDEX CONCURRENTLY IF NOT EXISTS"));
    for statement in statements {
        sqlx::raw_sql(statement).execute(&db.pool).await.unwrap();
    }
    try_apply_source(&db.url, &scenario.migrations())
        .await
        .expect("the files go through once the index is rebuilt");
    let is_valid: Vec<bool> = sqlx::query_scalar(valid).fetch_all(&db.pool).await.unwrap();
    assert_eq!(is_valid, [true]);
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);
}

/// R10: contract drops the previous release's views by name and its schema without CASCADE. A
/// view of the user's over one of them stops contract with a message that names it, instead of
/// vanishing; once it is gone, contract runs.
#[tokio::test]
async fn r10_a_user_view_over_a_release_view_stops_contract_instead_of_vanishing() {
    let v1 = "#[derive(Table)]\nstruct Note {\n    #[migrate(primary_key, identity)]\n    id: i64,\n    body: String,\n}\n";
    let v2 = v1.replace(
        "    body: String,",
        "    body: String,\n    tag: Option<String>,",
    );
    let scenario = Scenario::new();
    scenario.accept(v1);
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    scenario.accept(&v2);
    apply_source(&db.pool, &scenario.migrations()).await;
    sqlx::raw_sql(
        "CREATE VIEW public.note_report AS SELECT count(*) AS notes FROM release_0001.note",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let before = schema_dump(&db);
    let err = try_apply_source(&db.url, &scenario.contract_migrations())
        .await
        .expect_err("the user's view stops contract");
    assert!(
        err.contains("the views of release 1 (schema release_0001) cannot be dropped")
            && err.contains("note_report"),
        "{err}"
    );
    assert_same_dump(
        &schema_dump(&db),
        &before,
        "the refused contract dropped something",
    );
    sqlx::raw_sql("DROP VIEW public.note_report")
        .execute(&db.pool)
        .await
        .unwrap();
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'release_0001'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

/// `sqlx migrate run --source <dir> [--target-version V] --ignore-missing`, with the CLI's
/// semantics: versions up to V, in order; versions of the other source are ignored.
async fn sqlx_migrate_run(db: &TestDb, source: &Path, target: Option<i64>) {
    let mut migrator = Migrator::new(source).await.expect("sqlx reads the folder");
    assert!(
        target.is_none_or(|v| migrator.version_exists(v)),
        "--target-version {target:?} names no migration of {}",
        source.display()
    );
    migrator.set_ignore_missing(true);
    let table: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let latest: i64 = if table {
        sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    } else {
        0
    };
    assert!(
        target.is_none_or(|v| v >= latest),
        "sqlx refuses --target-version {target:?}, older than the latest applied version {latest}"
    );
    if let Some(v) = target {
        let kept: Vec<_> = migrator
            .migrations
            .iter()
            .filter(|m| m.version <= v)
            .cloned()
            .collect();
        migrator.migrations = Cow::Owned(kept);
    }
    migrator
        .run(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("sqlx migrate run --source {}: {e}", source.display()));
}

/// The README's walk through the example, command by command: each release's expand, then its
/// contract, with `--target-version` so one release is applied at a time.
#[tokio::test]
async fn example_shop_readme_walk_applies_one_release_at_a_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let walk = readme
        .split("<!-- example walk -->")
        .nth(1)
        .expect("the README marks the example walk");
    let commands: Vec<&str> = walk
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("<!--"))
        .filter(|l| l.starts_with("sqlx migrate run"))
        .collect();
    let db = TestDb::create().await;
    let shop = root.join("examples/shop");
    let mut release = 0;
    for command in &commands {
        let words: Vec<&str> = command.split_whitespace().collect();
        let after = |flag: &str| {
            words
                .iter()
                .position(|w| *w == flag)
                .and_then(|i| words.get(i + 1))
                .copied()
        };
        assert!(words.contains(&"--ignore-missing"), "{command}");
        let source = after("--source").expect("--source");
        let target: i64 = after("--target-version")
            .expect("--target-version")
            .parse()
            .expect("a version");
        sqlx_migrate_run(&db, &shop.join(source), Some(target)).await;
        let expanded = source == "migrations";
        let number = (target / 1000) as u32;
        if expanded {
            assert_eq!(number, release + 1, "releases in order: {command}");
            release = number;
        }
        // Exactly the current release's views exist (the previous ones go at contract).
        let schemas: Vec<String> = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'release_%' ORDER BY 1",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let current = format!("release_{release:04}");
        assert!(schemas.last() == Some(&current), "{command}: {schemas:?}");
        assert_eq!(
            schemas.len(),
            if expanded && release > 1 { 2 } else { 1 },
            "{command}: {schemas:?}"
        );
    }
    let snapshot = migrate_core::snapshot::Snapshot::load(&shop.join("migrate.snapshot.json"))
        .unwrap()
        .unwrap();
    assert_eq!((commands.len(), release), (8, snapshot.release.number));
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &snapshot.schema);
}

/// A fresh database with release 1 of `source` accepted, expanded and contracted.
async fn release_1_applied(source: &str) -> (TestDb, Scenario) {
    let db = TestDb::create().await;
    let s = Scenario::new();
    s.accept(source);
    apply_source(&db.pool, &s.migrations()).await;
    apply_source(&db.pool, &s.contract_migrations()).await;
    (db, s)
}

/// Runs `files` one by one by hand, going on past the ones that refuse; returns the refusals.
async fn apply_by_hand(db: &TestDb, files: &[PathBuf]) -> Vec<String> {
    let mut refusals = Vec::new();
    for file in files {
        if let Err(e) = rerun_file(&db.pool, file).await {
            refusals.push(format!("{}: {e}", file.display()));
        }
    }
    refusals
}

/// The comment on a schema (where contract leaves its completion mark).
async fn schema_comment(db: &TestDb, schema: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1",
    )
    .bind(schema)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// Release 1 of `posts (id, code integer)` applied with 100 rows, and release 2, which makes
/// `code` a bigint through a shadow column (C10), accepted but not applied.
async fn posts_with_a_type_change_accepted() -> (TestDb, Scenario) {
    let v1 = r#"
#[derive(Table)]
#[migrate(table_name = "posts")]
struct Post {
    #[migrate(primary_key, identity)]
    id: i64,
    code: i32,
}
"#;
    let (db, s) = release_1_applied(v1).await;
    sqlx::raw_sql("INSERT INTO posts (code) SELECT g FROM generate_series(1, 100) g")
        .execute(&db.pool)
        .await
        .unwrap();
    s.accept(&v1.replace("code: i32", "code: i64"));
    (db, s)
}

/// Files applied by hand, one at a time, going on past refusals: the C10 swap must not drop the
/// old column after the check that the backfill filled the shadow refused (it did, and every
/// value of the column was lost).
#[tokio::test]
async fn c10_a_swap_run_by_hand_after_its_refused_backfill_check_stops_and_keeps_the_values() {
    let (db, s) = posts_with_a_type_change_accepted().await;
    // Expand, the backfill, expand again (its gate then passes and the views exist).
    for _ in 0..2 {
        for file in release_files_in(&s.migrations(), 2) {
            let _ = rerun_file(&db.pool, &file).await;
        }
        run_backfills(&db.pool, &s.plan(2), 1000).await;
    }
    // Ten rows lose their copy behind the triggers' back: the backfill is not complete.
    let shadow: String = sqlx::query_scalar(
        "SELECT attname::text FROM pg_attribute WHERE attrelid = 'posts'::regclass          AND attname LIKE 'code%shadow' AND NOT attisdropped",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    sqlx::raw_sql(&format!(
        "ALTER TABLE posts DISABLE TRIGGER USER;          UPDATE posts SET \"{shadow}\" = NULL WHERE id <= 10;          ALTER TABLE posts ENABLE TRIGGER USER;"
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    // Every contract file by hand, on past whatever refuses.
    let refusals = apply_by_hand(&db, &release_files_in(&s.contract_migrations(), 2)).await;
    assert!(
        refusals
            .iter()
            .any(|r| r.contains("check_shadows") && r.contains("not yet copied")),
        "the shadow check did not refuse: {refusals:#?}"
    );
    assert!(
        refusals
            .iter()
            .any(|r| r.contains("swap") && r.contains("has not passed the check")),
        "the swap ran after its check refused: {refusals:#?}"
    );
    let (kept, ty): (i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM posts WHERE code IS NOT NULL), \
         (SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
          WHERE attrelid = 'posts'::regclass AND attname = 'code')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(kept, 100, "values of the old column were lost");
    assert_eq!(ty, "integer", "the old column was swapped out");
}

/// Expand files applied by hand past a backfill gate that refused: the views file checks the
/// gate again, so the new binary's views (over an unfilled shadow column) are not created.
#[tokio::test]
async fn expand_views_run_by_hand_past_a_refused_backfill_gate_are_not_created() {
    let (db, s) = posts_with_a_type_change_accepted().await;
    let mut refused = Vec::new();
    for file in release_files_in(&s.migrations(), 2) {
        if rerun_file(&db.pool, &file).await.is_err() {
            refused.push(file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(
        refused.iter().any(|f| f.contains("views")),
        "the views file ran past the gate: refused only {refused:?}"
    );
    let views: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'release_0002')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(!views, "release 2's views exist before its backfill");
}

/// Contract files applied by hand past a NOT NULL that refused (NULLs the old binary wrote):
/// the last file must not mark the release complete, or the next release would expand over a
/// column that is still nullable.
#[tokio::test]
async fn contract_run_by_hand_past_a_refused_not_null_does_not_mark_the_release_complete() {
    let v1 = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    nickname: Option<String>,
}
"#;
    let (db, s) = release_1_applied(v1).await;
    s.accept(&v1.replace("nickname: Option<String>", "nickname: String"));
    apply_source(&db.pool, &s.migrations()).await;
    // The old binary writes a NULL before contract.
    sqlx::raw_sql("INSERT INTO users (nickname) VALUES (NULL), ('ann')")
        .execute(&db.pool)
        .await
        .unwrap();
    let refusals = apply_by_hand(&db, &release_files_in(&s.contract_migrations(), 2)).await;
    assert!(
        refusals
            .iter()
            .any(|r| r.contains("mark_contracted") && r.contains("is not complete")),
        "the release was marked complete: {refusals:#?}"
    );
    let mark = schema_comment(&db, "release_0002").await;
    assert_ne!(
        mark.as_deref(),
        Some("migrate: the contract of release 2 is complete")
    );
}

/// The completion mark compares types by oid: `format_type` prints `integer[][]` as
/// `integer[]` and `bit(1)` as `bit`, which must not hold a correct contract back.
#[tokio::test]
async fn contract_marks_complete_over_columns_format_type_spells_otherwise() {
    let v1 = r#"
#[derive(Table)]
#[migrate(table_name = "grids")]
struct Grid {
    #[migrate(primary_key, identity)]
    id: i64,
    cells: Vec<Vec<i32>>,
    #[migrate(column_type = "bit")]
    flag: Option<String>,
    size: i32,
}
"#;
    let (db, s) = release_1_applied(v1).await;
    // Release 2 adds a CHECK: contract validates it, so it touches the table.
    s.accept(&v1.replace(
        "    size: i32,",
        "    #[migrate(check = \"size >= 0\")]\n    size: i32,",
    ));
    apply_source(&db.pool, &s.migrations()).await;
    apply_source(&db.pool, &s.contract_migrations()).await;
    let mark = schema_comment(&db, "release_0002").await;
    assert_eq!(
        mark.as_deref(),
        Some("migrate: the contract of release 2 is complete")
    );
}
