//! Generated migrations applied to a real PostgreSQL (a fresh database per test), then the
//! result read back from the catalogs and compared with the declared schema.

use std::path::Path;

use migrate_core::model::Schema;
use migrate_tests::introspect::{assert_same_schema, introspect};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{
    Scenario, apply, apply_releases, apply_source, rerun_file, try_apply_source,
};
use sqlx::Row;

/// Every migration applied by sqlx, then re-run by hand: each must be a no-op the second time.
async fn apply_and_rerun(db: &TestDb, migrations: &Path, schemas: &[&str]) -> Schema {
    let ran = apply(&db.pool, migrations).await;
    assert!(ran > 0, "no migration ran");
    let after_first = introspect(&db.pool, schemas).await;
    assert_eq!(
        apply(&db.pool, migrations).await,
        0,
        "sqlx migrate run again must be a no-op"
    );
    let mut files: Vec<_> = std::fs::read_dir(migrations)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    // The newest release's files: an older release's expand refuses to run again once a later
    // one has expanded (R9).
    let release = |p: &std::path::PathBuf| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.get(..4))
            .map(str::to_owned)
    };
    let newest = files.iter().filter_map(release).max();
    files.retain(|f| release(f) == newest);
    for file in files {
        rerun_file(&db.pool, &file)
            .await
            .unwrap_or_else(|e| panic!("re-running {} failed: {e}", file.display()));
    }
    assert_eq!(
        introspect(&db.pool, schemas).await,
        after_first,
        "re-running the files changed the schema"
    );
    after_first
}

#[tokio::test]
async fn example_shop_migrations_build_the_declared_schema() {
    let db = TestDb::create().await;
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop");
    let snapshot = migrate_core::snapshot::Snapshot::load(&example.join("migrate.snapshot.json"))
        .unwrap()
        .unwrap();
    let releases = apply_releases(&db.pool, &example.join("migrations")).await;
    assert_eq!(releases, snapshot.release.number);
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &snapshot.schema);
    // The current release's views are there, and only those.
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'release_%' ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        schemas,
        std::slice::from_ref(&snapshot.release.views_schema)
    );
}

const EVERYTHING: &str = include_str!("../golden/everything/release-1.rs");

#[tokio::test]
async fn t1_create_tables_with_every_declarable_feature() {
    let scenario = Scenario::new();
    scenario.accept(EVERYTHING);
    let db = TestDb::create().await;
    let live = apply_and_rerun(&db, &scenario.migrations(), &["inventory"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);

    // The constraints are real: a row violating each one is rejected.
    sqlx::query(
        "INSERT INTO inventory.warehouses (region, code, capacity) VALUES ('eu', 'a1', 10)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    for (sql, constraint) in [
        (
            "INSERT INTO inventory.warehouses (region, code, capacity) VALUES ('eu', 'a1', 5)",
            "warehouses_region_code_key",
        ),
        (
            "INSERT INTO inventory.warehouses (region, code, capacity) VALUES ('us', 'b1', 0)",
            "warehouses_capacity_positive",
        ),
        (
            "INSERT INTO inventory.stock_items (warehouse_id, sku, label, tags, priorities, weight_kg, volume_l, fragile) VALUES (999, 's', 'l', '{}', '{}', 1, 1, false)",
            "stock_items_warehouse_id_fkey",
        ),
        (
            "INSERT INTO inventory.stock_items (warehouse_id, sku, label, quantity, tags, priorities, weight_kg, volume_l, fragile) VALUES (1, 's', 'l', -1, '{}', '{}', 1, 1, false)",
            "stock_items_quantity_check",
        ),
    ] {
        let err = sqlx::query(sql).execute(&db.pool).await.expect_err(sql);
        let constraint_name = err
            .as_database_error()
            .and_then(|e| e.constraint())
            .map(str::to_owned);
        assert_eq!(constraint_name.as_deref(), Some(constraint), "{sql}: {err}");
    }
    // Defaults apply, enums and arrays round-trip.
    let row = sqlx::query(
        "INSERT INTO inventory.stock_items (warehouse_id, sku, label, tags, priorities, weight_kg, volume_l, fragile)
         VALUES (1, 's', 'l', '{a,b}', '{low,high}', 1.5, 2.5, true)
         RETURNING quantity, priority::text, attributes::text, priorities::text[]",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(row.get::<i16, _>(0), 0);
    assert_eq!(row.get::<String, _>(1), "normal");
    assert_eq!(row.get::<String, _>(2), "{}");
    assert_eq!(
        row.get::<Vec<String>, _>(3),
        vec!["low".to_owned(), "high".to_owned()]
    );
}

const SHOP_V1: &str = include_str!("../golden/second-release/release-1.rs");

const SHOP_V2: &str = include_str!("../golden/second-release/release-2.rs");

/// Seeds the table with rows whose content can be compared before and after.
async fn seed_accounts(db: &TestDb, rows: i64) -> String {
    sqlx::query("INSERT INTO accounts (email, created_at) SELECT 'user' || g || '@example.com', '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, $1) g")
        .bind(rows)
        .execute(&db.pool)
        .await
        .unwrap();
    accounts_fingerprint(db).await
}

async fn accounts_fingerprint(db: &TestDb) -> String {
    sqlx::query_scalar("SELECT md5(string_agg(id || ':' || email || ':' || created_at, ',' ORDER BY id)) FROM accounts")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn c1_c2_i1_second_release_on_a_populated_table() {
    let scenario = Scenario::new();
    scenario.accept(SHOP_V1);
    let db = TestDb::create().await;
    assert_eq!(apply(&db.pool, &scenario.migrations()).await, 1);
    assert_eq!(
        apply_source(&db.pool, &scenario.contract_migrations()).await,
        1,
        "release 1's contract only marks it complete"
    );
    let before = seed_accounts(&db, 5_000).await;

    let outcome = scenario.accept(SHOP_V2);
    let plan = outcome.crate_plan.plan.expect("a plan");
    let catalog: Vec<&str> = plan.steps.iter().map(|s| s.catalog.as_str()).collect();
    assert_eq!(
        catalog,
        [
            "R9", "C1", "C2", "I5", "I5", "I1", "I1", "R", "R9", "R10", "R9"
        ],
        "expand checks release 1's contract ran, adds the columns, then the concurrent indexes (in name order), each followed by its validity check, the release's views; contract checks its expand ran, drops the previous views and marks itself complete"
    );

    // Indexes on an existing table: one CONCURRENTLY statement per file, outside a transaction,
    // each followed by a file that checks it is valid (and the release order).
    let files = scenario.release_files(2);
    assert_eq!(files.len(), 5, "{files:?}");
    for index_file in [&files[1], &files[3]] {
        let sql = std::fs::read_to_string(index_file).unwrap();
        assert!(sql.starts_with("-- no-transaction\n"), "{sql}");
        assert_eq!(
            sql.matches("CREATE INDEX CONCURRENTLY IF NOT EXISTS")
                .count(),
            1,
            "{sql}"
        );
        assert_eq!(migrate_core::sql::parse_script(&sql), Ok(1), "{sql}");
    }

    let live = apply_and_rerun(&db, &scenario.migrations(), &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);
    assert_eq!(
        accounts_fingerprint(&db).await,
        before,
        "existing data changed"
    );
    let (states, nicknames): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE state = 'active'), count(nickname) FROM accounts",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (states, nicknames),
        (5_000, 0),
        "the constant default fills every existing row, the nullable column is NULL"
    );
}

#[tokio::test]
async fn allow_unsafe_runs_the_naive_statement_and_records_the_reason() {
    let scenario = Scenario::new();
    scenario.accept(SHOP_V1);
    let db = TestDb::create().await;
    apply(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    let before = seed_accounts(&db, 100).await;

    let widened = SHOP_V1.replace(
        "    email: String,",
        "    #[migrate(column_type = \"varchar(320)\", allow_unsafe = \"accounts holds 100 rows in every environment\")]\n    email: String,",
    );
    let outcome = scenario.accept(&widened);
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("UNSAFE") && m.contains("100 rows")),
        "{:?}",
        outcome.messages
    );
    let plan_md = std::fs::read_to_string(scenario.migrations().join("plans/0002.md")).unwrap();
    assert!(
        plan_md.contains(
            "UNSAFE, allowed with the reason: accounts holds 100 rows in every environment"
        ),
        "{plan_md}"
    );

    apply(&db.pool, &scenario.migrations()).await;
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);
    assert_eq!(accounts_fingerprint(&db).await, before);
}

#[tokio::test]
async fn phases_of_consecutive_releases_refuse_to_run_out_of_order() {
    let v1 = "#[derive(Table)]\nstruct Note {\n    #[migrate(primary_key, identity)]\n    id: i64,\n    body: String,\n    draft: Option<String>,\n}\n";
    let v2 = v1.replace(
        "    body: String,",
        "    #[migrate(renamed_from = \"body\")]\n    text: String,",
    );
    let v3 = v2
        .replace("    #[migrate(renamed_from = \"body\")]\n", "")
        .replace(
            "struct Note {",
            "#[migrate(drop_column = \"draft\")]\nstruct Note {",
        )
        .replace("    draft: Option<String>,\n", "");
    let scenario = Scenario::new();
    scenario.accept(v1);
    scenario.accept(&v2);
    scenario.accept(&v3);
    let db = TestDb::create().await;
    let (expand_dir, contract_dir) = (scenario.migrations(), scenario.contract_migrations());
    let expand = || try_apply_source(&db.url, &expand_dir);
    let contract = || try_apply_source(&db.url, &contract_dir);
    // Run in deploy order or not at all: each attempt goes as far as the order allows.
    // Expand 2 needs contract 1; contract 2 needs expand 2; expand 3 needs contract 2
    // (it plans against release 2's physical names); contract 3 needs expand 3.
    let steps = [
        (
            expand().await,
            "release 2 cannot expand: the contract of release 1",
        ),
        (contract().await, "release 2 cannot contract"),
        (
            expand().await,
            "release 3 cannot expand: the contract of release 2",
        ),
        (contract().await, "release 3 cannot contract"),
    ];
    for (result, expected) in steps {
        let err = result.expect_err(expected);
        assert!(err.contains(expected), "{err}");
    }
    expand().await.expect("expand 3, after contract 2");
    contract().await.expect("contract 3, after expand 3");
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);
}

/// R9 after a partial contract: contract 2 drops release 1's views and adds a CHECK NOT VALID,
/// then stops when VALIDATE (a transaction of its own) meets a row the old binary wrote.
/// Release 1's views are gone, yet the next expand must still wait: it waits for the mark
/// contract 2 sets as its last step, not for a sign of its start.
#[tokio::test]
async fn r9_a_contract_that_stops_midway_holds_back_the_next_expand() {
    let v1 = "#[derive(Table)]\nstruct Note {\n    #[migrate(primary_key, identity)]\n    id: i64,\n    body: String,\n}\n";
    let v2 = v1.replace(
        "    body: String,",
        "    #[migrate(check = \"body <> ''\")]\n    body: String,",
    );
    let v3 = v2.replace(
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
    sqlx::raw_sql("INSERT INTO release_0001.note (body) VALUES ('')")
        .execute(&db.pool)
        .await
        .unwrap();
    let err = try_apply_source(&db.url, &scenario.contract_migrations())
        .await
        .expect_err("the old binary's row stops the validation");
    assert!(err.contains("violated"), "{err}");
    let views_left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'release_0001'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        views_left, 0,
        "contract 2 got past dropping release 1's views"
    );

    scenario.accept(&v3);
    let err = try_apply_source(&db.url, &scenario.migrations())
        .await
        .expect_err("expand 3 must wait for the rest of contract 2");
    assert!(
        err.contains("the contract of release 2 has not completed"),
        "{err}"
    );
    sqlx::raw_sql("UPDATE note SET body = '(empty)' WHERE body = ''")
        .execute(&db.pool)
        .await
        .unwrap();
    // Contract 2 runs to the end once the row is fixed; contract 3 then waits for expand 3.
    let err = try_apply_source(&db.url, &scenario.contract_migrations())
        .await
        .expect_err("contract 3 waits for expand 3");
    assert!(err.contains("release 3 cannot contract"), "{err}");
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    let live = introspect(&db.pool, &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);
}

#[tokio::test]
async fn t1_new_tables_whose_foreign_keys_form_a_cycle() {
    let source = "#[derive(Table)]\nstruct Team {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"player\")]\n    captain_id: Option<i64>,\n}\n#[derive(Table)]\nstruct Player {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"team\")]\n    team_id: i64,\n}\n";
    let scenario = Scenario::new();
    let plan = scenario.accept(source).crate_plan.plan.expect("a plan");
    assert_eq!(
        plan.steps
            .iter()
            .filter(|s| s.description.contains("closes a cycle"))
            .count(),
        1,
        "one foreign key is added after both tables"
    );
    let db = TestDb::create().await;
    let live = apply_and_rerun(&db, &scenario.migrations(), &["public"]).await;
    assert_same_schema(&live, &scenario.snapshot().schema);
    // Both constraints hold.
    sqlx::raw_sql("INSERT INTO team (id) VALUES (1); INSERT INTO player (id, team_id) VALUES (7, 1); UPDATE team SET captain_id = 7 WHERE id = 1;")
        .execute(&db.pool)
        .await
        .unwrap();
    for bad in [
        "INSERT INTO player (id, team_id) VALUES (8, 99)",
        "UPDATE team SET captain_id = 99 WHERE id = 1",
    ] {
        assert!(sqlx::raw_sql(bad).execute(&db.pool).await.is_err(), "{bad}");
    }
}

/// R7: a backfill batch touches at most its batch size of rows, also when one walk fills
/// several columns of a table (their conditions are joined with OR).
#[tokio::test]
async fn r7_one_backfill_batch_touches_at_most_its_batch_size() {
    let scenario = Scenario::new();
    scenario.accept(include_str!("../golden/fill-release/release-1.rs"));
    let db = TestDb::create().await;
    apply_source(&db.pool, &scenario.migrations()).await;
    apply_source(&db.pool, &scenario.contract_migrations()).await;
    sqlx::raw_sql(
        "INSERT INTO users (email, legacy) SELECT 'u' || g, 'l' FROM generate_series(1, 1000) g",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    scenario.accept(include_str!("../golden/fill-release/release-2.rs"));
    let plan = scenario.plan(2);
    let job = &plan.backfills[0];
    assert!(
        plan.backfills.len() == 1 && job.rows_left_sql.contains(" OR "),
        "one walk for both columns: {:?}",
        plan.backfills
    );
    try_apply_source(&db.url, &scenario.migrations())
        .await
        .expect_err("expand waits for the backfill");
    let nulls = "SELECT count(*) FROM users WHERE nickname IS NULL OR token IS NULL";
    let before: i64 = sqlx::query_scalar(nulls).fetch_one(&db.pool).await.unwrap();
    let (first, last): (String, String) = sqlx::query_as(&job.bounds_sql)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query(&job.batch_sql)
        .bind(first)
        .bind(last)
        .bind(10_i64)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let after: i64 = sqlx::query_scalar(nulls).fetch_one(&db.pool).await.unwrap();
    assert_eq!((before, before - after), (1000, 10), "one batch of 10 rows");
}

/// Whether the server accepts `sql` (run in a transaction that is rolled back).
async fn server_accepts(db: &TestDb, sql: &str) -> bool {
    let mut tx = db.pool.begin().await.expect("begin");
    let ok = sqlx::raw_sql(sql).execute(&mut *tx).await.is_ok();
    let _ = tx.rollback().await;
    ok
}

const PROBED_TYPES: &[&str] = &[
    "smallint",
    "integer",
    "bigint",
    "numeric",
    "real",
    "double precision",
    "text",
    "character varying(10)",
    "character(3)",
    "uuid",
    "jsonb",
    "json",
    "boolean",
    "date",
    "timestamp with time zone",
    "time with time zone",
    "time without time zone",
    "tsvector",
    "inet",
    "point",
    "int4range",
    "interval",
    "macaddr",
    "cidr",
    "money",
    "bytea",
    "integer[]",
    "bigint[]",
    "text[]",
];

fn column_type(text: &str) -> migrate_core::model::ColumnType {
    use migrate_core::model::ParseSqlType as _;
    migrate_core::model::ColumnType::parse_sql(text).unwrap()
}

/// The build refuses a foreign key between two types exactly when PostgreSQL cannot implement
/// it: every pair is tried on the server.
#[tokio::test]
async fn foreign_key_type_refusals_match_the_server() {
    use migrate_core::declare::pgtypes::foreign_key_compatible;
    let db = TestDb::create().await;
    for pk in PROBED_TYPES {
        if !server_accepts(&db, &format!("CREATE TABLE p (k {pk} UNIQUE)")).await {
            continue; // no btree opclass (json, point): not a key to reference
        }
        for fk in PROBED_TYPES {
            let sql =
                format!("CREATE TABLE p (k {pk} UNIQUE); CREATE TABLE f (x {fk} REFERENCES p (k))");
            let server = server_accepts(&db, &sql).await;
            let build = foreign_key_compatible(&column_type(fk), &column_type(pk));
            assert!(
                build.is_none_or(|b| b == server),
                "{fk} → {pk}: the server {} it, the build says {build:?}",
                if server { "accepts" } else { "refuses" }
            );
        }
    }
}

/// The build refuses an index method on a column type exactly when PostgreSQL has no default
/// operator class for the pair.
#[tokio::test]
async fn index_method_refusals_match_the_server() {
    use migrate_core::declare::pgtypes::method_indexes;
    let db = TestDb::create().await;
    for ty in PROBED_TYPES {
        for method in ["btree", "hash", "gin", "gist", "spgist", "brin"] {
            let sql = format!("CREATE TABLE t (c {ty}); CREATE INDEX ON t USING {method} (c)");
            let server = server_accepts(&db, &sql).await;
            let build = method_indexes(method, &column_type(ty));
            assert_eq!(build, Some(server), "{method} on {ty}");
        }
    }
}

/// A literal default the declaration refuses is one the server refuses, and the ones it
/// accepts the server accepts, through the same parser and resolver the derive runs.
#[tokio::test]
async fn default_type_refusals_match_the_server() {
    let db = TestDb::create().await;
    let defaults = [
        "'abc'",
        "'12'",
        "42",
        "1.5",
        "-3",
        "true",
        "'yes'",
        "'x'::text",
        "'7'::integer",
        "'{}'",
        "'{not json'",
        "'2024-01-01'",
        "5",
        "'40000'::smallint",
        "'zz'",
        "'00000000-0000-0000-0000-000000000000'",
        "'{1,2}'",
        "'{}'::jsonb",
        "1::bigint",
    ];
    for ty in PROBED_TYPES {
        for default in defaults {
            let source = format!(
                "#[migrate(table_name = \"t\")] struct T {{ #[migrate(primary_key)] id: i64, #[migrate(column_type = \"{ty}\", default = \"{default}\")] c: Option<String> }}"
            );
            let input: syn::DeriveInput = syn::parse_str(&source).unwrap();
            let decl = migrate_core::declare::parse_table(&input).unwrap();
            let build_refuses = decl
                .resolve(&migrate_core::declare::NameIndex::default())
                .is_err();
            // Taken means the table is created and a row that uses the default is stored: a
            // default too long for its column is accepted by CREATE TABLE, then fails there.
            let server = server_accepts(
                &db,
                &format!(
                    "CREATE TABLE t (c {ty} DEFAULT {}); INSERT INTO t DEFAULT VALUES",
                    decl.fields[1].default.as_ref().unwrap().value
                ),
            )
            .await;
            assert!(
                !(build_refuses && server),
                "DEFAULT {default} on {ty}: refused by the build, accepted by the server"
            );
            // Literals of types the tables know well must not slip through either.
            let decided = [
                "integer", "bigint", "smallint", "boolean", "uuid", "jsonb", "date",
            ];
            if decided.contains(ty) && !default.contains("::") {
                assert!(
                    build_refuses || server || *ty == "date",
                    "DEFAULT {default} on {ty}: accepted by the build, refused by the server"
                );
            }
        }
    }
}
