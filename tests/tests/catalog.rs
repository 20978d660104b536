//! One test per row of the safety catalog (`../shared/SAFETY_CATALOG.md`), named after the row.
//!
//! Each goes through a real release transition on a fresh database: release 1 accepted,
//! applied and seeded with rows; release 2 accepted; expand applied (with sqlx, as a deploy
//! would) and re-run by hand; both releases' views checked while both binaries would run;
//! backfill run to completion; contract applied and re-run; the physical schema read back and
//! compared with the declared one; the data checked. A second database proves the rollback.

use migrate_core::model::Schema;
use migrate_core::plan::{CatalogRow, Phase, Plan, Transaction, Undo, VerdictKind};
use migrate_tests::introspect::{assert_same_schema, introspect};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{
    Scenario, apply_source, rerun_release, roll_back, run_backfills, try_apply_source,
};
use sqlx::Row;

/// A release transition under way: release 1 applied and seeded, release 2 expanded.
struct Transition {
    scenario: Scenario,
    db: TestDb,
    plan: Plan,
    v1_schema: Schema,
    /// Rows each backfill had to fill when expand stopped before the new views for it (empty
    /// when no backfill gates the views).
    rows_left_before_views: Vec<i64>,
}

impl Transition {
    async fn start(v1: &str, seed: &str, v2: &str) -> Transition {
        let scenario = Scenario::new();
        scenario.accept(v1);
        let v1_schema = scenario.snapshot().schema;
        let db = TestDb::create().await;
        apply_source(&db.pool, &scenario.migrations()).await;
        // Release 2's expand waits for release 1's contract (R9).
        apply_source(&db.pool, &scenario.contract_migrations()).await;
        if !seed.is_empty() {
            sqlx::raw_sql(seed)
                .execute(&db.pool)
                .await
                .unwrap_or_else(|e| panic!("seed failed: {e}"));
        }
        scenario.accept(v2);
        let plan = scenario.plan(2);
        let rows_left_before_views = expand_through_backfill_gate(&db, &scenario, &plan).await;
        rerun_release(&db.pool, &scenario.migrations(), 2).await;
        Transition {
            scenario,
            db,
            plan,
            v1_schema,
            rows_left_before_views,
        }
    }

    /// The catalog rows and verdicts of the release's changes.
    fn verdicts(&self) -> Vec<(String, String)> {
        self.plan
            .changes
            .iter()
            .map(|c| (c.catalog.to_string(), c.verdict.to_string()))
            .collect()
    }

    async fn query_i64(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sql)
            .execute(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Backfill, contract, re-runs, and the final comparison with the declared schema.
    async fn finish(&self, schemas: &[&str]) {
        run_backfills(&self.db.pool, &self.plan, 7).await;
        // A second run (a resumed or repeated job) finds nothing left to fill.
        run_backfills(&self.db.pool, &self.plan, 7).await;
        apply_source(&self.db.pool, &self.scenario.contract_migrations()).await;
        rerun_release(&self.db.pool, &self.scenario.contract_migrations(), 2).await;
        let live = introspect(&self.db.pool, schemas).await;
        assert_same_schema(&live, &self.scenario.snapshot().schema);
        assert_eq!(
            apply_source(&self.db.pool, &self.scenario.migrations()).await,
            0
        );
        assert_eq!(
            apply_source(&self.db.pool, &self.scenario.contract_migrations()).await,
            0
        );
    }
}

/// Applies expand as a deploy would. When it stops before the new release's views because a
/// backfill must run first, checks that nothing of the views exists yet and that contract
/// refuses too, runs the backfill, and applies expand again. Returns the rows each gating
/// backfill had left when expand stopped.
async fn expand_through_backfill_gate(db: &TestDb, scenario: &Scenario, plan: &Plan) -> Vec<i64> {
    // The plan says which backfills the new release's views wait for.
    let gate = plan
        .phase(Phase::Expand)
        .filter(|s| s.catalog == CatalogRow::R)
        .find_map(|s| s.gate.as_ref());
    let gated: Vec<&migrate_core::plan::Backfill> = gate
        .map(|g| {
            g.backfills
                .iter()
                .filter_map(|id| plan.backfill(id))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(gated.len(), gate.map_or(0, |g| g.backfills.len()));
    assert!(gated.iter().all(|b| b.before_deploy));
    let rows_left = async || {
        let mut rows_left = Vec::new();
        for job in &gated {
            rows_left.push(
                sqlx::query_scalar::<_, i64>(&job.rows_left_sql)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap(),
            );
        }
        rows_left
    };
    let Err(err) = try_apply_source(&db.url, &scenario.migrations()).await else {
        assert!(
            rows_left().await.iter().all(|n| *n == 0),
            "expand ran past a gate with rows left"
        );
        return Vec::new();
    };
    assert!(gate.is_some(), "expand failed with no backfill gate: {err}");
    let left = rows_left().await;
    assert!(
        left.iter().any(|n| *n > 0),
        "expand stopped though its gated backfills have nothing left: {err}"
    );
    let views: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'release_0002'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(views, 0, "no views for the new binary before the backfill");
    let contract = try_apply_source(&db.url, &scenario.contract_migrations()).await;
    assert!(
        contract.is_err_and(|e| e.contains("its expand has not run")),
        "contract must wait for expand"
    );
    // Release 2 has begun to build on release 1's result: release 1's contract, run again by
    // hand, refuses (it could drop what release 2 just made under a name it drops).
    let contract_1 = migrate_tests::scenario::release_files_in(&scenario.contract_migrations(), 1);
    let err = migrate_tests::scenario::rerun_file(&db.pool, &contract_1[0])
        .await
        .expect_err("contract 1 refuses once expand 2 began");
    assert!(err.to_string().contains("has begun to expand"), "{err}");
    run_backfills(&db.pool, plan, 7).await;
    apply_source(&db.pool, &scenario.migrations()).await;
    left
}

/// Rollback on a fresh database: expand and contract applied, then contract and expand rolled
/// back, last step first; the schema is release 1's again.
async fn assert_rollback(v1: &str, seed: &str, v2: &str, through_contract: bool) {
    let t = Transition::start(v1, seed, v2).await;
    if through_contract {
        run_backfills(&t.db.pool, &t.plan, 100).await;
        apply_source(&t.db.pool, &t.scenario.contract_migrations()).await;
        roll_back(&t.db.pool, &t.plan, Phase::Contract).await;
    }
    roll_back(&t.db.pool, &t.plan, Phase::Expand).await;
    let live = introspect(&t.db.pool, &["public"]).await;
    assert_same_schema(&live, &t.v1_schema);
}

const USERS_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(unique)]
    email: String,
    nickname: Option<String>,
    legacy: String,
}
"#;

const SEED_USERS: &str = "INSERT INTO users (email, nickname, legacy)
    SELECT 'user' || g || '@example.com', CASE WHEN g % 3 = 0 THEN NULL ELSE 'nick' || g END, 'old' || g
    FROM generate_series(1, 500) g;";

const USERS_FINGERPRINT: &str =
    "SELECT hashtext(string_agg(id || ':' || email, ',' ORDER BY id))::int8 FROM users";

#[tokio::test]
async fn c8_rename_column_through_views_then_physically_in_contract() {
    let v2 = USERS_V1.replace(
        "    #[migrate(unique)]\n    email: String,",
        "    #[migrate(unique, renamed_from = \"email\")]\n    email_address: String,",
    );
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(
        t.verdicts(),
        [
            ("C8".to_owned(), "PHASED".to_owned()),
            ("T3".to_owned(), "PHASED".to_owned())
        ]
    );
    let before = t.query_i64(USERS_FINGERPRINT).await;

    // Expand copied nothing: the physical column still has its old name.
    assert_eq!(t.query_i64("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' AND column_name = 'email'").await, 1);
    // Both binaries work at once: release 1 writes `email`, release 2 reads `email_address`,
    // and the reverse.
    t.exec("INSERT INTO release_0001.users (email, legacy) VALUES ('old-binary@example.com', 'x')")
        .await;
    assert_eq!(
        t.query_i64(
            "SELECT count(*) FROM release_0002.users WHERE email_address = 'old-binary@example.com'"
        )
        .await,
        1
    );
    t.exec("INSERT INTO release_0002.users (email_address, legacy) VALUES ('new-binary@example.com', 'y')").await;
    assert_eq!(
        t.query_i64(
            "SELECT count(*) FROM release_0001.users WHERE email = 'new-binary@example.com'"
        )
        .await,
        1
    );
    t.exec("DELETE FROM users WHERE email LIKE '%-binary@example.com'")
        .await;

    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64(USERS_FINGERPRINT.replace("email", "email_address").as_str())
            .await,
        before,
        "data unchanged"
    );
    // Release 2's views survive the physical rename (views bind columns by number).
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users").await,
        500
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_namespace WHERE nspname = 'release_0001'")
            .await,
        0,
        "contract dropped release 1's views"
    );
    assert_rollback(USERS_V1, SEED_USERS, &v2, true).await;
}

#[tokio::test]
async fn t3_rename_table_through_views_then_physically_in_contract() {
    let v2 = USERS_V1.replace(
        "#[migrate(table_name = \"users\")]",
        "#[migrate(table_name = \"accounts\", renamed_from = \"users\")]",
    );
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert!(
        t.verdicts()
            .contains(&("T3".to_owned(), "PHASED".to_owned())),
        "{:?}",
        t.verdicts()
    );
    t.exec("INSERT INTO release_0001.users (email, legacy) VALUES ('a@example.com', 'x')")
        .await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.accounts WHERE email = 'a@example.com'")
            .await,
        1
    );
    t.finish(&["public"]).await;
    assert_eq!(t.query_i64("SELECT count(*) FROM accounts").await, 501);
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.accounts")
            .await,
        501
    );
    assert_rollback(USERS_V1, SEED_USERS, &v2, true).await;
}

#[tokio::test]
async fn c5_drop_column_hidden_from_new_views_then_dropped_in_contract() {
    let v2 = USERS_V1
        .replace(
            "#[migrate(table_name = \"users\")]",
            "#[migrate(table_name = \"users\", drop_column = \"legacy\")]",
        )
        .replace("    legacy: String,\n", "");
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(t.verdicts(), [("C5".to_owned(), "PHASED".to_owned())]);
    // The old binary still reads and writes `legacy`; the new one inserts without it (its
    // NOT NULL was dropped in expand so that works).
    t.exec("INSERT INTO release_0001.users (email, legacy) VALUES ('old@example.com', 'kept')")
        .await;
    t.exec("INSERT INTO release_0002.users (email) VALUES ('new@example.com')")
        .await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0001.users WHERE legacy = 'kept'")
            .await,
        1
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'release_0002' AND column_name = 'legacy'").await,
        0,
        "release 2's view leaves the column out"
    );
    t.finish(&["public"]).await;
    assert_eq!(t.query_i64("SELECT count(*) FROM users").await, 502);
    // Dropping a column cannot be undone; the expand part can.
    assert_rollback(USERS_V1, SEED_USERS, &v2, false).await;
}

#[tokio::test]
async fn c3_volatile_default_added_without_rewrite_then_backfilled() {
    let v2 = USERS_V1.replace(
        "    legacy: String,\n",
        "    legacy: String,\n    #[migrate(default = \"gen_random_uuid()\")]\n    public_id: uuid::Uuid,\n",
    );
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(t.verdicts(), [("C3".to_owned(), "PHASED".to_owned())]);
    assert_eq!(t.plan.backfills.len(), 1);
    // No rewrite: the table's file node is the same after expand.
    // New rows, from either binary, get the default at once; old rows wait for the backfill.
    t.exec("INSERT INTO release_0001.users (email, legacy) VALUES ('old@example.com', 'x')")
        .await;
    assert_eq!(
        t.query_i64(
            "SELECT count(*) FROM users WHERE email = 'old@example.com' AND public_id IS NOT NULL"
        )
        .await,
        1
    );
    // The column is NOT NULL for the new binary, so expand stopped before its views until the
    // backfill had filled the 500 existing rows.
    assert_eq!(t.rows_left_before_views, [500]);
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users WHERE public_id IS NULL")
            .await,
        0
    );
    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64("SELECT count(DISTINCT public_id) FROM users")
            .await,
        501,
        "each row got its own value"
    );
    assert_rollback(USERS_V1, SEED_USERS, &v2, true).await;
}

#[tokio::test]
async fn c3_nullable_column_with_a_volatile_default_does_not_hold_back_the_new_views() {
    let v2 = USERS_V1.replace(
        "    legacy: String,\n",
        "    legacy: String,\n    #[migrate(default = \"gen_random_uuid()\")]\n    public_id: Option<uuid::Uuid>,\n",
    );
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(t.verdicts(), [("C3".to_owned(), "PHASED".to_owned())]);
    // The new binary can read NULL here, so its views come at once and the backfill follows.
    assert!(t.rows_left_before_views.is_empty());
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users WHERE public_id IS NULL")
            .await,
        500
    );
    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM users WHERE public_id IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn c6_set_not_null_via_check_not_valid_in_contract() {
    let v2 = USERS_V1.replace("    nickname: Option<String>,", "    nickname: String,");
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(t.verdicts(), [("C6".to_owned(), "PHASED".to_owned())]);
    // The old binary may still write NULL during the transition.
    t.exec("INSERT INTO release_0001.users (email, legacy) VALUES ('old@example.com', 'x')")
        .await;
    let err = try_apply_source(&t.db.url, &t.scenario.contract_migrations())
        .await
        .expect_err("contract must stop on NULLs");
    assert!(
        err.to_string().contains("still has 167 NULL row(s)"),
        "{err}"
    );
    t.exec("UPDATE users SET nickname = 'anonymous' WHERE nickname IS NULL")
        .await;
    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_constraint WHERE conname LIKE '%not_null'")
            .await,
        0,
        "the helper check is gone once SET NOT NULL holds"
    );
    let seed_without_nulls = SEED_USERS.replace(
        "CASE WHEN g % 3 = 0 THEN NULL ELSE 'nick' || g END",
        "'nick' || g",
    );
    assert_rollback(USERS_V1, &seed_without_nulls, &v2, true).await;
}

#[tokio::test]
async fn c6_set_not_null_with_a_backfill_value_filled_from_expand_so_the_new_binary_never_reads_null()
 {
    // Renamed in the same release too: the trigger and the backfill name the physical column
    // until contract renames it.
    let v2 = USERS_V1.replace(
        "    nickname: Option<String>,",
        "    #[migrate(renamed_from = \"nickname\", backfill = \"'anonymous'\")]\n    handle: String,",
    );
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(
        t.verdicts(),
        [
            ("C8".to_owned(), "PHASED".to_owned()),
            ("C6".to_owned(), "PHASED".to_owned())
        ]
    );
    assert!(
        t.plan.changes.iter().all(|c| c.warning.is_none()),
        "with a backfill, the new binary reads no NULL: {:?}",
        t.plan.changes
    );
    let before = t.query_i64(USERS_FINGERPRINT).await;
    // The new release's views waited for the 166 NULL rows the seed left.
    assert_eq!(t.rows_left_before_views, [166]);
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users WHERE handle IS NULL")
            .await,
        0
    );
    // The old binary still writes NULL, by omission or outright; the new binary reads the value.
    t.exec("INSERT INTO release_0001.users (email, legacy) VALUES ('old@example.com', 'x')")
        .await;
    t.exec("UPDATE release_0001.users SET nickname = NULL WHERE id = 1")
        .await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users WHERE handle = 'anonymous' AND (id = 1 OR email = 'old@example.com')").await,
        2
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users WHERE handle IS NULL")
            .await,
        0
    );
    // The new binary's own writes go through untouched.
    t.exec("INSERT INTO release_0002.users (email, handle, legacy) VALUES ('new@example.com', 'newbie', 'y')").await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0001.users WHERE nickname = 'newbie'")
            .await,
        1
    );
    t.exec("DELETE FROM users WHERE email IN ('old@example.com', 'new@example.com')")
        .await;

    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64(USERS_FINGERPRINT).await,
        before,
        "keys unchanged"
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM users WHERE handle = 'anonymous'")
            .await,
        167,
        "the 166 NULLs and the one the old binary wrote"
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%fill'")
            .await,
        0,
        "contract dropped the trigger"
    );
    // Expand cannot run again by hand once its contract has begun: it would put the trigger
    // back with nothing left to drop it. Nor can release 1's contract, once release 2 expanded.
    for (source, release, expected) in [
        (
            t.scenario.migrations(),
            2,
            "release 2 is contracting or has contracted",
        ),
        (
            t.scenario.contract_migrations(),
            1,
            "release 1 contracted already and a later release has begun to expand since",
        ),
    ] {
        let first = migrate_tests::scenario::release_files_in(&source, release)
            .into_iter()
            .next()
            .expect("a file");
        let err = migrate_tests::scenario::rerun_file(&t.db.pool, &first)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains(expected), "{err}");
    }
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%fill'")
            .await,
        0
    );
    let err = sqlx::raw_sql("INSERT INTO users (email, legacy) VALUES ('late@example.com', 'z')")
        .execute(&t.db.pool)
        .await
        .expect_err("NOT NULL holds");
    assert!(err.to_string().contains("null value"), "{err}");
    assert_rollback(USERS_V1, SEED_USERS, &v2, true).await;
}

#[tokio::test]
async fn c7_drop_not_null_in_expand_with_a_warning() {
    let v2 = USERS_V1.replace("    legacy: String,", "    legacy: Option<String>,");
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(t.verdicts(), [("C7".to_owned(), "SAFE".to_owned())]);
    assert!(
        t.plan.changes[0]
            .warning
            .as_deref()
            .is_some_and(|w| w.contains("cannot decode NULL"))
    );
    t.exec("INSERT INTO release_0002.users (email) VALUES ('new@example.com')")
        .await;
    t.finish(&["public"]).await;
    // Rolling back SET NOT NULL needs the NULL rows gone first: roll back on a clean copy.
    assert_rollback(USERS_V1, SEED_USERS, &v2, true).await;
}

#[tokio::test]
async fn c9_binary_coercible_type_change_in_place_with_views_recreated() {
    let v1 = USERS_V1.replace(
        "    legacy: String,",
        "    #[migrate(column_type = \"varchar(20)\")]\n    legacy: String,",
    );
    let v2 = USERS_V1.replace(
        "    legacy: String,",
        "    #[migrate(column_type = \"varchar(200)\")]\n    legacy: String,",
    );
    let t = Transition::start(&v1, SEED_USERS, &v2).await;
    assert_eq!(t.verdicts(), [("C9".to_owned(), "SAFE".to_owned())]);
    let long = "x".repeat(150);
    t.exec(&format!(
        "INSERT INTO release_0002.users (email, legacy) VALUES ('new@example.com', '{long}')"
    ))
    .await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0001.users").await,
        501,
        "release 1's view is back"
    );
    t.finish(&["public"]).await;
}

#[tokio::test]
async fn c11_set_and_drop_defaults_in_expand() {
    let v1 = USERS_V1.replace(
        "    nickname: Option<String>,",
        "    #[migrate(default = \"'anon'\")]\n    nickname: Option<String>,",
    );
    let v2 = USERS_V1.replace(
        "    legacy: String,",
        "    #[migrate(default = \"'none'\")]\n    legacy: String,",
    );
    let t = Transition::start(&v1, SEED_USERS, &v2).await;
    let mut verdicts = t.verdicts();
    verdicts.sort();
    assert_eq!(
        verdicts,
        [
            ("C11".to_owned(), "SAFE".to_owned()),
            ("C11".to_owned(), "SAFE".to_owned())
        ]
    );
    // The old binary's inserts see the new default at once.
    t.exec("INSERT INTO release_0001.users (email) VALUES ('old@example.com')")
        .await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM users WHERE legacy = 'none' AND nickname IS NULL")
            .await,
        1
    );
    t.finish(&["public"]).await;
    assert_rollback(&v1, SEED_USERS, &v2, true).await;
}

const ORDERS_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
}

#[derive(Table)]
#[migrate(table_name = "orders")]
#[migrate(index(name = "orders_note_idx", columns(note)))]
struct Order {
    #[migrate(primary_key, identity)]
    id: i64,
    user_id: i64,
    total: i64,
    note: Option<String>,
    code: String,
}
"#;

const SEED_ORDERS: &str = "INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 50) g;
    INSERT INTO orders (user_id, total, code) SELECT 1 + g % 50, g, 'c' || g FROM generate_series(1, 400) g;";

#[tokio::test]
async fn k1_check_added_not_valid_then_validated_in_contract() {
    let v2 = ORDERS_V1.replace(
        "    total: i64,",
        "    #[migrate(check = \"total >= 0\")]\n    total: i64,",
    );
    let t = Transition::start(ORDERS_V1, SEED_ORDERS, &v2).await;
    assert_eq!(t.verdicts(), [("K1".to_owned(), "PHASED".to_owned())]);
    // Until contract the old binary may write what the check forbids.
    t.exec("INSERT INTO release_0001.orders (user_id, total, code) VALUES (1, 5, 'ok')")
        .await;
    t.finish(&["public"]).await;
    let err = sqlx::raw_sql("INSERT INTO orders (user_id, total, code) VALUES (1, -1, 'bad')")
        .execute(&t.db.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("orders_total_check"), "{err}");
    assert_rollback(ORDERS_V1, SEED_ORDERS, &v2, true).await;
}

#[tokio::test]
async fn k2_foreign_key_added_not_valid_then_validated_with_index_warning() {
    let v2 = ORDERS_V1.replace(
        "    user_id: i64,",
        "    #[migrate(references = \"users\")]\n    user_id: i64,",
    );
    let t = Transition::start(ORDERS_V1, SEED_ORDERS, &v2).await;
    assert_eq!(t.verdicts(), [("K2".to_owned(), "PHASED".to_owned())]);
    assert!(
        t.plan.changes[0]
            .warning
            .as_deref()
            .is_some_and(|w| w.contains("has no index")),
        "{:?}",
        t.plan.changes
    );
    t.finish(&["public"]).await;
    let err = sqlx::raw_sql("INSERT INTO orders (user_id, total, code) VALUES (999, 1, 'x')")
        .execute(&t.db.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("orders_user_id_fkey"), "{err}");
    assert_rollback(ORDERS_V1, SEED_ORDERS, &v2, true).await;
}

#[tokio::test]
async fn k3_drop_constraint_in_expand() {
    let v1 = ORDERS_V1.replace(
        "    total: i64,",
        "    #[migrate(check = \"total >= 0\")]\n    total: i64,",
    );
    let t = Transition::start(&v1, SEED_ORDERS, ORDERS_V1).await;
    assert_eq!(t.verdicts(), [("K3".to_owned(), "SAFE".to_owned())]);
    t.exec("INSERT INTO release_0002.orders (user_id, total, code) VALUES (1, -5, 'refund')")
        .await;
    t.finish(&["public"]).await;
    // The rollback re-adds it NOT VALID (existing rows are not re-checked).
    let t2 = Transition::start(&v1, SEED_ORDERS, ORDERS_V1).await;
    roll_back(&t2.db.pool, &t2.plan, Phase::Expand).await;
    assert_eq!(
        t2.query_i64("SELECT count(*) FROM pg_constraint WHERE conname = 'orders_total_check'")
            .await,
        1
    );
}

#[tokio::test]
async fn i5_partial_expression_and_multi_column_indexes_built_concurrently_with_bounded_names() {
    // A long column makes a generated name over PostgreSQL's 63 bytes: it is cut and given a
    // short hash, never silently truncated by the server.
    let long = "fulfilment_warehouse_identifier_for_regional_routing";
    let v1 = ORDERS_V1.replace(
        "    code: String,\n}",
        &format!("    code: String,\n    {long}: Option<i64>,\n}}"),
    );
    let v2 = v1.replace(
        "#[migrate(index(name = \"orders_note_idx\", columns(note)))]\n",
        &format!(
            "#[migrate(index(name = \"orders_note_idx\", columns(note)))]\n#[migrate(index(columns(user_id, total), where = \"total > 100\"))]\n#[migrate(index(expr = \"lower(code)\", name = \"orders_code_lower_idx\"))]\n#[migrate(index(columns(user_id, {long})))]\n"
        ),
    );
    let t = Transition::start(&v1, SEED_ORDERS, &v2).await;
    assert_eq!(
        t.verdicts(),
        [
            ("I1".to_owned(), "SAFE".to_owned()),
            ("I1".to_owned(), "SAFE".to_owned()),
            ("I1".to_owned(), "SAFE".to_owned())
        ]
    );
    // Each built CONCURRENTLY, alone, outside a transaction; all valid.
    let builds: Vec<&migrate_core::plan::Step> = t
        .plan
        .phase(Phase::Expand)
        .filter(|s| s.sql.starts_with("CREATE INDEX CONCURRENTLY"))
        .collect();
    assert_eq!(builds.len(), 3);
    assert!(
        builds
            .iter()
            .all(|s| s.transaction == Transaction::None && s.post_check.is_some())
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'orders_%' AND i.indisvalid AND NOT i.indisprimary")
            .await,
        4
    );
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'orders' ORDER BY indexname",
    )
    .fetch_all(&t.db.pool)
    .await
    .unwrap();
    let long_name = names
        .iter()
        .find(|n| n.contains("fulfilment"))
        .expect("the multi-column index over the long column");
    assert!(long_name.len() <= 63, "{long_name}");
    assert!(
        t.scenario
            .snapshot()
            .schema
            .tables
            .values()
            .flat_map(|t| &t.indexes)
            .any(|i| &i.name == long_name),
        "the server kept the planned name: {names:?}"
    );
    // The partial index has its predicate; the expression index its expression.
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_indexes WHERE tablename = 'orders' AND indexdef LIKE '%WHERE (total > 100)%'").await,
        1
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_code_lower_idx' AND indexdef LIKE '%lower(code)%'").await,
        1
    );
    t.finish(&["public"]).await;
    assert_rollback(&v1, SEED_ORDERS, &v2, false).await;
}

#[tokio::test]
async fn i2_drop_index_concurrently_in_contract() {
    let v2 = ORDERS_V1.replace(
        "#[migrate(index(name = \"orders_note_idx\", columns(note)))]\n",
        "",
    );
    let t = Transition::start(ORDERS_V1, SEED_ORDERS, &v2).await;
    assert_eq!(t.verdicts(), [("I2".to_owned(), "PHASED".to_owned())]);
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_note_idx'")
            .await,
        1,
        "kept until contract"
    );
    t.finish(&["public"]).await;
    assert_rollback(ORDERS_V1, SEED_ORDERS, &v2, true).await;
}

#[tokio::test]
async fn i3_unique_constraint_checked_built_concurrently_and_attached_in_contract() {
    let v2 = ORDERS_V1.replace(
        "    code: String,",
        "    #[migrate(unique)]\n    code: String,",
    );
    let t = Transition::start(ORDERS_V1, SEED_ORDERS, &v2).await;
    assert_eq!(t.verdicts(), [("I3".to_owned(), "PHASED".to_owned())]);
    // A duplicate written during the transition stops the contract before it builds anything.
    t.exec("INSERT INTO release_0001.orders (user_id, total, code) VALUES (1, 1, 'c1')")
        .await;
    let err = try_apply_source(&t.db.url, &t.scenario.contract_migrations())
        .await
        .expect_err("contract must stop on duplicates");
    assert!(
        err.to_string().contains("duplicated value(s) of (code)"),
        "{err}"
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_code_key'")
            .await,
        0,
        "no invalid index left behind"
    );
    t.exec("DELETE FROM orders WHERE id = (SELECT max(id) FROM orders)")
        .await;
    t.finish(&["public"]).await;
    assert_rollback(ORDERS_V1, SEED_ORDERS, &v2, true).await;
}

#[tokio::test]
async fn i3_unique_index_on_existing_table_in_contract() {
    let v2 = ORDERS_V1.replace(
        "#[migrate(index(name = \"orders_note_idx\", columns(note)))]",
        "#[migrate(index(name = \"orders_note_idx\", columns(note)))]\n#[migrate(index(name = \"orders_user_code_idx\", columns(user_id, code), unique))]",
    );
    let t = Transition::start(ORDERS_V1, SEED_ORDERS, &v2).await;
    assert_eq!(t.verdicts(), [("I3".to_owned(), "PHASED".to_owned())]);
    t.finish(&["public"]).await;
    assert_rollback(ORDERS_V1, SEED_ORDERS, &v2, true).await;
}

#[tokio::test]
async fn t2_drop_table_hidden_from_new_views_then_dropped_in_contract() {
    let v1 = ORDERS_V1.replace(
        "    user_id: i64,",
        "    #[migrate(references = \"users\")]\n    user_id: i64,",
    );
    let v2 = v1.replace(
        "#[migrate(table_name = \"orders\")]",
        "#[migrate(table_name = \"orders\", drop)]",
    );
    let t = Transition::start(&v1, SEED_ORDERS, &v2).await;
    assert_eq!(t.verdicts(), [("T2".to_owned(), "PHASED".to_owned())]);
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0001.orders")
            .await,
        400,
        "the old binary still has it"
    );
    assert_eq!(t.query_i64("SELECT count(*) FROM pg_views WHERE schemaname = 'release_0002' AND viewname = 'orders'").await, 0);
    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM users").await,
        50,
        "the referenced table is untouched"
    );
}

const MOOD_V1: &str = r#"
#[derive(PgEnum)]
enum Mood { Happy, Sad }

#[derive(Table)]
#[migrate(table_name = "people")]
struct Person {
    #[migrate(primary_key, identity)]
    id: i64,
    mood: Mood,
}
"#;

#[tokio::test]
async fn e1_add_enum_label_alone_in_declaration_order() {
    let v2 = MOOD_V1.replace(
        "enum Mood { Happy, Sad }",
        "enum Mood { Calm, Happy, Curious, Sad, Angry }",
    );
    let t = Transition::start(
        MOOD_V1,
        "INSERT INTO people (mood) VALUES ('happy'), ('sad');",
        &v2,
    )
    .await;
    assert_eq!(
        t.verdicts()
            .iter()
            .filter(|(c, v)| c == "E1" && v == "SAFE")
            .count(),
        3
    );
    let files: Vec<String> = t
        .scenario
        .release_files(2)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|f| f.matches("ADD VALUE").count() == 1 && !f.starts_with("-- no-transaction"))
            .count(),
        3,
        "each label alone, in a transaction of its own (PostgreSQL 12+), behind the order check"
    );
    t.finish(&["public"]).await;
    let labels: Vec<String> = sqlx::query("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'mood'::regtype ORDER BY enumsortorder")
        .fetch_all(&t.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(labels, ["calm", "happy", "curious", "sad", "angry"]);
}

#[tokio::test]
async fn a_release_mixing_every_phase_applies_end_to_end() {
    let v1 = include_str!("../golden/phased-release/release-1.rs");
    let v2 = include_str!("../golden/phased-release/release-2.rs");
    let seed = "INSERT INTO users (email, nickname, legacy, age) SELECT 'u' || g, 'n' || g, 'l' || g, g % 90 FROM generate_series(1, 300) g;";
    let t = Transition::start(v1, seed, v2).await;
    // Both binaries during the transition.
    t.exec(
        "INSERT INTO release_0001.users (email, nickname, legacy, age) VALUES ('old', 'o', 'l', 1)",
    )
    .await;
    t.exec("INSERT INTO release_0002.users (email_address, nickname, age) VALUES ('new', 'n', 2)")
        .await;
    assert_eq!(t.query_i64("SELECT count(*) FROM release_0002.users WHERE email_address = 'old' AND public_id IS NOT NULL").await, 1);
    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM users WHERE public_id IS NULL")
            .await,
        0
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users").await,
        302
    );
}

/// Three type changes on one table, with a default, a CHECK, a foreign key, a unique constraint,
/// a composite, an expression and a partial index over them, and a new index in the same release.
const ENTRIES_V1: &str = include_str!("../golden/shadow-release/release-1.rs");

const SEED_ENTRIES: &str = "INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 20) g;
    INSERT INTO entries (user_id, points, rank, label)
    SELECT 1 + g % 20, g * 1000, CASE WHEN g % 2 = 0 THEN g END, 'e' || g FROM generate_series(1, 500) g;";

const ENTRIES_FINGERPRINT: &str = "SELECT hashtext(string_agg(id || ':' || user_id || ':' || points || ':' || coalesce(rank::text, '-') || ':' || label, ',' ORDER BY id))::int8 FROM entries";

fn entries_v2() -> String {
    include_str!("../golden/shadow-release/release-2.rs").to_owned()
}

#[tokio::test]
async fn c10_k4_type_change_through_shadow_columns_kept_in_step_by_triggers_constraints_revalidated()
 {
    let v2 = entries_v2();
    let t = Transition::start(ENTRIES_V1, SEED_ENTRIES, &v2).await;
    assert_eq!(
        t.verdicts(),
        [
            ("C10".to_owned(), "PHASED".to_owned()),
            ("C10".to_owned(), "PHASED".to_owned()),
            ("C10".to_owned(), "PHASED".to_owned()),
            ("I1".to_owned(), "SAFE".to_owned())
        ]
    );
    assert!(
        t.plan
            .changes
            .iter()
            .filter(|c| c.catalog == CatalogRow::C10)
            .all(|c| c.warning.is_some()),
        "the way back may not fit: {:?}",
        t.plan.changes
    );
    let before = t.query_i64(ENTRIES_FINGERPRINT).await;
    // Expand rewrote nothing: the old columns keep their type.
    assert_eq!(
        t.query_i64("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'entries' AND column_name = 'points' AND data_type = 'integer'").await,
        1
    );
    // The new binary reads the shadows: expand stopped before its views until the backfill
    // had copied the 500 existing rows.
    assert_eq!(t.rows_left_before_views, [500]);

    // Both binaries at once, each through its own views, each seeing the other's writes.
    t.exec("INSERT INTO release_0001.entries (id, user_id, label) VALUES (10001, 3, 'old binary')")
        .await;
    t.exec("INSERT INTO release_0002.entries (id, user_id, points, rank, label) VALUES (10002, 4, 7, 9999, 'new binary')")
        .await;
    t.exec(
        "INSERT INTO release_0002.entries (id, user_id, label) VALUES (10003, 5, 'new default')",
    )
    .await;
    assert_eq!(
        t.query_i64("SELECT (points + user_id)::int8 FROM release_0002.entries WHERE id = 10001")
            .await,
        3,
        "the old binary's row, with the old default, is visible to the new binary"
    );
    assert_eq!(
        t.query_i64(
            "SELECT (points + user_id + rank)::int8 FROM release_0001.entries WHERE id = 10002"
        )
        .await,
        7 + 4 + 9999
    );
    assert_eq!(
        t.query_i64("SELECT points::int8 FROM release_0001.entries WHERE id = 10003")
            .await,
        0,
        "the new release's default, mirrored"
    );
    t.exec("UPDATE release_0001.entries SET points = 11 WHERE id = 10002")
        .await;
    assert_eq!(
        t.query_i64("SELECT points FROM release_0002.entries WHERE id = 10002")
            .await,
        11
    );
    t.exec("UPDATE release_0002.entries SET points = 12, rank = NULL WHERE id = 10001")
        .await;
    assert_eq!(
        t.query_i64("SELECT points::int8 FROM release_0001.entries WHERE id = 10001")
            .await,
        12
    );
    // A value the old type cannot hold fails while the old binary may still read it.
    let err = sqlx::raw_sql("UPDATE release_0002.entries SET points = 5000000000 WHERE id = 10002")
        .execute(&t.db.pool)
        .await
        .expect_err("the old column cannot hold it");
    assert!(err.to_string().contains("out of range"), "{err}");
    // Constraints still hold through the new release's view, via the old column.
    let err = sqlx::raw_sql("UPDATE release_0002.entries SET points = -1 WHERE id = 10002")
        .execute(&t.db.pool)
        .await
        .expect_err("the check applies");
    assert!(err.to_string().contains("entries_points_check"), "{err}");
    t.exec("DELETE FROM release_0002.entries WHERE id > 10000")
        .await;

    // A contract that stops after dropping release 1's views (R10) and is rolled back gives
    // the old binary its views back as expand left them: with the default expand moved from
    // the column onto them, so its inserts that omit the column still get it.
    let r10 = t
        .plan
        .phase(Phase::Contract)
        .find(|s| s.catalog == CatalogRow::R10)
        .expect("contract drops the previous release's views");
    t.exec(&r10.sql).await;
    let Some(Undo::Sql(rollback)) = &r10.undo else {
        panic!("R10 has a rollback")
    };
    t.exec(rollback).await;
    t.exec("INSERT INTO release_0001.entries (id, user_id, label) VALUES (10004, 3, 'after a rollback')")
        .await;
    assert_eq!(
        t.query_i64("SELECT points::int8 FROM release_0002.entries WHERE id = 10004")
            .await,
        0,
        "release 1's default, back on its restored view"
    );
    t.exec("DELETE FROM release_0002.entries WHERE id > 10000")
        .await;

    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64(ENTRIES_FINGERPRINT).await,
        before,
        "data unchanged"
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'entries' AND data_type = 'bigint' AND column_name IN ('user_id', 'points')").await,
        2
    );
    // The new type's range is usable, and the constraints are back and valid.
    t.exec("UPDATE release_0002.entries SET points = 5000000000 WHERE id = 1")
        .await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_constraint WHERE conrelid = 'entries'::regclass AND convalidated AND conname IN ('entries_points_check', 'entries_user_id_fkey', 'entries_rank_key')").await,
        3
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM pg_proc WHERE proname LIKE '%_sync'")
            .await,
        0,
        "the triggers' functions are gone"
    );
    let err = sqlx::raw_sql("INSERT INTO entries (user_id, label) VALUES (999, 'x')")
        .execute(&t.db.pool)
        .await
        .expect_err("the foreign key applies");
    assert!(err.to_string().contains("entries_user_id_fkey"), "{err}");
    assert_rollback(ENTRIES_V1, SEED_ENTRIES, &v2, false).await;
}

const PARCELS_V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "parcels")]
struct Parcel {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(default = "'0'")]
    weight: String,
    label: String,
}
"#;

const SEED_PARCELS: &str = "INSERT INTO parcels (weight, label)
    SELECT CASE WHEN g % 2 = 0 THEN ' ' || g || ' ' ELSE g::text END, 'p' || g FROM generate_series(1, 500) g;";

#[tokio::test]
async fn c10_type_change_with_a_declared_conversion_through_a_shadow_column() {
    let v2 = PARCELS_V1.replace(
        "    #[migrate(default = \"'0'\")]\n    weight: String,",
        "    #[migrate(default = \"0\", convert(to_new = \"trim(weight)::integer\", to_old = \"weight::text\"))]\n    weight: i32,",
    );
    let t = Transition::start(PARCELS_V1, SEED_PARCELS, &v2).await;
    let c10 = t
        .plan
        .changes
        .iter()
        .find(|c| c.catalog == CatalogRow::C10)
        .expect("a C10 change");
    assert_eq!(c10.verdict, VerdictKind::Phased);
    assert!(
        c10.reason.contains("the declared conversions")
            && c10
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("cannot convert")),
        "{c10:?}"
    );
    let weights = "SELECT sum(trim(weight)::int)::int8 FROM parcels";
    let before = t.query_i64(weights).await;
    assert_eq!(t.rows_left_before_views, [500]);

    // Each binary writes its own type; the trigger converts with the declared expressions.
    t.exec("INSERT INTO release_0001.parcels (id, weight, label) VALUES (10001, ' 42 ', 'old')")
        .await;
    t.exec("INSERT INTO release_0002.parcels (id, weight, label) VALUES (10002, 7, 'new')")
        .await;
    t.exec("INSERT INTO release_0001.parcels (id, label) VALUES (10003, 'old default')")
        .await;
    assert_eq!(
        t.query_i64("SELECT weight::int8 FROM release_0002.parcels WHERE id = 10001")
            .await,
        42
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0001.parcels WHERE id = 10002 AND weight = '7'")
            .await,
        1
    );
    assert_eq!(
        t.query_i64("SELECT weight::int8 FROM release_0002.parcels WHERE id = 10003")
            .await,
        0,
        "the old release's default, converted"
    );
    // Updates through either release are mirrored too.
    t.exec("UPDATE release_0001.parcels SET weight = ' 9 ' WHERE id = 10001")
        .await;
    t.exec("UPDATE release_0002.parcels SET weight = 11 WHERE id = 10002")
        .await;
    assert_eq!(
        t.query_i64("SELECT weight::int8 FROM release_0002.parcels WHERE id = 10001")
            .await,
        9
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0001.parcels WHERE id = 10002 AND weight = '11'")
            .await,
        1
    );
    // A value the declared conversion cannot take fails the old binary's write, as warned.
    let err =
        sqlx::raw_sql("INSERT INTO release_0001.parcels (weight, label) VALUES ('heavy', 'x')")
            .execute(&t.db.pool)
            .await
            .expect_err("'heavy' is no integer");
    assert!(err.to_string().contains("invalid input syntax"), "{err}");
    t.exec("DELETE FROM parcels WHERE id > 10000").await;

    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64("SELECT sum(weight)::int8 FROM parcels").await,
        before,
        "every weight converted"
    );
    assert_eq!(
        t.query_i64("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'parcels' AND column_name = 'weight' AND data_type = 'integer'").await,
        1
    );
    assert_rollback(PARCELS_V1, SEED_PARCELS, &v2, false).await;
}

#[tokio::test]
async fn c4_not_null_column_with_a_backfill_value_then_no_default_after_contract() {
    let v2 = USERS_V1.replace(
        "    legacy: String,\n",
        "    legacy: String,\n    #[migrate(backfill = \"'eu'\")]\n    region: String,\n    #[migrate(backfill = \"gen_random_uuid()\")]\n    token: uuid::Uuid,\n",
    );
    let t = Transition::start(USERS_V1, SEED_USERS, &v2).await;
    assert_eq!(
        t.verdicts(),
        [
            ("C4".to_owned(), "PHASED".to_owned()),
            ("C4".to_owned(), "PHASED".to_owned())
        ]
    );
    // The constant needs no backfill; the volatile value does.
    assert_eq!(t.plan.backfills.len(), 1);
    assert_eq!(
        t.query_i64("SELECT count(*) FROM users WHERE region = 'eu'")
            .await,
        500
    );
    // The old binary's inserts omit both columns and still succeed.
    t.exec("INSERT INTO release_0001.users (email, legacy) VALUES ('old@example.com', 'x')")
        .await;
    assert_eq!(
        t.query_i64("SELECT count(*) FROM release_0002.users WHERE email = 'old@example.com' AND region = 'eu' AND token IS NOT NULL").await,
        1
    );
    t.finish(&["public"]).await;
    assert_eq!(
        t.query_i64("SELECT count(DISTINCT token) FROM users").await,
        501
    );
    // After contract the values are no defaults: the new binary must write them.
    let err = sqlx::raw_sql(
        "INSERT INTO release_0002.users (email, legacy, token) VALUES ('new@example.com', 'y', gen_random_uuid())",
    )
    .execute(&t.db.pool)
    .await
    .expect_err("region has no default any more");
    assert!(err.to_string().contains("region"), "{err}");
    assert_rollback(USERS_V1, SEED_USERS, &v2, true).await;
}

#[tokio::test]
async fn c10_with_a_renamed_sibling_a_new_column_and_new_indexes_in_the_same_release() {
    let v1 = r#"
#[derive(Table)]
#[migrate(table_name = "scores")]
#[migrate(index(name = "scores_label_points_idx", columns(label, points)))]
struct Score {
    #[migrate(primary_key, identity)]
    id: i64,
    points: i32,
    label: String,
}
"#;
    let v2 = r#"
#[derive(Table)]
#[migrate(table_name = "scores")]
#[migrate(index(name = "scores_label_points_idx", columns(title, points)))]
#[migrate(index(name = "scores_bonus_points_idx", columns(bonus, points)))]
struct Score {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(unique)]
    points: i64,
    #[migrate(renamed_from = "label")]
    title: String,
    #[migrate(default = "0")]
    bonus: i32,
}
"#;
    let seed =
        "INSERT INTO scores (points, label) SELECT g, 'l' || g FROM generate_series(1, 300) g;";
    let t = Transition::start(v1, seed, v2).await;
    let mut rows: Vec<String> = t.verdicts().iter().map(|(c, _)| c.clone()).collect();
    rows.sort();
    assert_eq!(rows, ["C10", "C2", "C8", "I1", "I3"]);
    // The new unique constraint waits for contract: the old binary may still write duplicates.
    t.exec("INSERT INTO release_0001.scores (points, label) VALUES (1, 'dup')")
        .await;
    t.exec("DELETE FROM scores WHERE label = 'dup'").await;
    t.finish(&["public"]).await;
    let err = sqlx::raw_sql("INSERT INTO scores (points, title) VALUES (1, 'dup')")
        .execute(&t.db.pool)
        .await
        .expect_err("unique after contract");
    assert!(err.to_string().contains("scores_points_key"), "{err}");
}

#[tokio::test]
async fn i4_primary_key_changed_with_duplicate_check_concurrent_index_and_brief_swap() {
    let v1 = r#"
#[derive(Table)]
#[migrate(table_name = "memberships")]
struct Membership {
    #[migrate(primary_key, identity)]
    id: i64,
    org_id: i64,
    user_id: i64,
}
"#;
    let v2 = r#"
#[derive(Table)]
#[migrate(table_name = "memberships", primary_key(org_id, user_id))]
struct Membership {
    #[migrate(identity)]
    id: i64,
    org_id: i64,
    user_id: i64,
}
"#;
    let seed =
        "INSERT INTO memberships (org_id, user_id) SELECT g % 7, g FROM generate_series(1, 400) g;";
    let t = Transition::start(v1, seed, v2).await;
    assert_eq!(t.verdicts(), [("I4".to_owned(), "PHASED".to_owned())]);
    // Until contract the old key holds, and the old binary may write what the new one forbids.
    t.exec("INSERT INTO release_0001.memberships (org_id, user_id) VALUES (1, 1)")
        .await;
    let err = try_apply_source(&t.db.url, &t.scenario.contract_migrations())
        .await
        .expect_err("duplicates stop the contract");
    assert!(
        err.contains("duplicated value(s) of (org_id, user_id)"),
        "{err}"
    );
    t.exec("DELETE FROM memberships WHERE id > 400").await;
    t.finish(&["public"]).await;
    let err = sqlx::raw_sql("INSERT INTO memberships (org_id, user_id) VALUES (1, 1)")
        .execute(&t.db.pool)
        .await
        .expect_err("the new key holds");
    assert!(err.to_string().contains("memberships_pkey"), "{err}");
    assert_rollback(v1, seed, v2, true).await;
}
