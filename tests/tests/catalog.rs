//! One test per row of the safety catalog (`../shared/SAFETY_CATALOG.md`), named after the row.
//!
//! Each goes through a real release transition on a fresh database: release 1 accepted,
//! applied and seeded with rows; release 2 accepted; expand applied (with sqlx, as a deploy
//! would) and re-run by hand; both releases' views checked while both binaries would run;
//! backfill run to completion; contract applied and re-run; the physical schema read back and
//! compared with the declared one; the data checked. A second database proves the rollback.

use migrate_core::model::Schema;
use migrate_core::plan::{Phase, Plan};
use migrate_tests::introspect::{comparable, introspect};
use migrate_tests::pg::TestDb;
use migrate_tests::scenario::{Scenario, apply_source, rerun_source, roll_back, run_backfills};
use sqlx::Row;

fn assert_same_schema(live: &Schema, declared: &Schema) {
    let (live, declared) = (comparable(live), comparable(declared));
    if live != declared {
        panic!(
            "the database differs from the declared schema\n--- declared ---\n{}\n--- database ---\n{}",
            serde_json::to_string_pretty(&declared).unwrap(),
            serde_json::to_string_pretty(&live).unwrap()
        );
    }
}

/// A release transition under way: release 1 applied and seeded, release 2 expanded.
struct Transition {
    scenario: Scenario,
    db: TestDb,
    plan: Plan,
    v1_schema: Schema,
}

impl Transition {
    async fn start(v1: &str, seed: &str, v2: &str) -> Transition {
        let scenario = Scenario::new();
        scenario.accept(v1);
        let v1_schema = scenario.snapshot().schema;
        let db = TestDb::create().await;
        apply_source(&db.pool, &scenario.migrations()).await;
        if !seed.is_empty() {
            sqlx::raw_sql(seed)
                .execute(&db.pool)
                .await
                .unwrap_or_else(|e| panic!("seed failed: {e}"));
        }
        scenario.accept(v2);
        let plan = scenario.plan(2);
        apply_source(&db.pool, &scenario.migrations()).await;
        rerun_source(&db.pool, &scenario.migrations()).await;
        Transition {
            scenario,
            db,
            plan,
            v1_schema,
        }
    }

    /// The catalog rows and verdicts of the release's changes.
    fn verdicts(&self) -> Vec<(String, String)> {
        self.plan
            .changes
            .iter()
            .map(|c| (c.catalog.clone(), c.verdict.clone()))
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
        rerun_source(&self.db.pool, &self.scenario.contract_migrations()).await;
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
