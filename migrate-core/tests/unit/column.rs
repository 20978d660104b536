//! C1–C5, C7, C8, C11, C12: columns added, dropped, renamed, relaxed, given defaults.

use insta::assert_snapshot;
use migrate_core::plan::{CatalogRow, LockMode, Phase, Transaction, VerdictKind};

use crate::support::{self, BASE, Case, edit, users_with};

const NULLABLE: &str = "    bio: Option<String>,\n";
const CONSTANT_DEFAULT: &str = "    #[migrate(default = \"'free'\")]\n    plan: String,\n";
const VOLATILE_DEFAULT: &str = "    #[migrate(default = \"random()\")]\n    score: f64,\n";
const BACKFILL: &str = "    #[migrate(backfill = \"'free'\")]\n    plan: String,\n";

fn nickname_dropped() -> String {
    let v2 = edit(BASE, "    nickname: Option<String>,\n", "");
    edit(
        &v2,
        "#[migrate(table_name = \"users\")]\n",
        "#[migrate(table_name = \"users\", drop_column = \"nickname\")]\n",
    )
}

fn email_nullable() -> String {
    edit(BASE, "    email: String,\n", "    email: Option<String>,\n")
}

fn nickname_renamed() -> String {
    edit(
        BASE,
        "    nickname: Option<String>,\n",
        "    #[migrate(renamed_from = \"nickname\")]\n    display_name: Option<String>,\n",
    )
}

fn age_default_changed() -> String {
    edit(BASE, "default = \"0\"", "default = \"18\"")
}

/// The planned cases of this family.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new("C1 nullable column", BASE, users_with(NULLABLE)),
        Case::new("C2 constant default", BASE, users_with(CONSTANT_DEFAULT)),
        Case::new("C3 volatile default", BASE, users_with(VOLATILE_DEFAULT)),
        Case::new("C4 with backfill", BASE, users_with(BACKFILL)),
        Case::new("C5 drop column", BASE, nickname_dropped()),
        Case::new("C7 drop NOT NULL", BASE, email_nullable()),
        Case::new("C8 rename column", BASE, nickname_renamed()),
        Case::new("C11 change default", BASE, age_default_changed()),
    ]
}

/// A brief ACCESS EXCLUSIVE on `users`, in a shared transaction, with the R1/R2 timeouts.
fn assert_brief_lock_on_users(steps: &[&migrate_core::plan::Step]) {
    // Read-only gate steps (waiting for a backfill) lock nothing.
    for s in steps.iter().filter(|s| !s.locks.is_empty()) {
        assert_eq!(s.transaction, Transaction::Shared, "{}", s.id);
        assert_eq!(
            support::existing_locks(&[s]),
            [Some(LockMode::AccessExclusive)]
        );
        assert_eq!(s.locks[0].table.to_string(), "public.users");
        assert_eq!(
            (s.lock_timeout_ms, s.statement_timeout_ms),
            (Some(100), Some(5000))
        );
    }
}

#[test]
fn c1_nullable_column_is_added_in_expand() {
    let p = support::plan(BASE, &users_with(NULLABLE));
    p.expect(CatalogRow::C1, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::C1);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert_brief_lock_on_users(&steps);
    assert!(
        steps[0]
            .sql
            .contains("ADD COLUMN IF NOT EXISTS \"bio\" text"),
        "{}",
        steps[0].sql
    );
    assert!(p.plan().backfills.is_empty());
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c2_constant_default_is_metadata_only() {
    let p = support::plan(BASE, &users_with(CONSTANT_DEFAULT));
    p.expect(CatalogRow::C2, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::C2);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert_brief_lock_on_users(&steps);
    assert!(steps.iter().any(|s| s.sql.contains("DEFAULT 'free'")));
    assert!(
        p.plan().backfills.is_empty(),
        "no backfill: existing rows read the default"
    );
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c3_volatile_default_is_added_without_it_then_backfilled() {
    let p = support::plan(BASE, &users_with(VOLATILE_DEFAULT));
    p.expect(CatalogRow::C3, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::C3);
    assert_eq!(steps[0].phase, Phase::Expand);
    assert!(
        !steps[0].sql.contains("random()"),
        "ADD COLUMN without the volatile default: {}",
        steps[0].sql
    );
    assert!(steps.iter().any(|s| s.sql.contains("SET DEFAULT random()")));
    let expand: Vec<_> = steps
        .iter()
        .copied()
        .filter(|s| s.phase == Phase::Expand)
        .collect();
    assert_brief_lock_on_users(&expand);
    // NOT NULL (an f64, not an Option) is enforced in contract, after the backfill.
    assert!(
        steps
            .iter()
            .any(|s| s.phase == Phase::Contract && s.sql.contains("SET NOT NULL"))
    );
    let gate = steps
        .iter()
        .find(|s| s.gate.is_some())
        .expect("the new views wait for the backfill");
    assert_eq!(gate.transaction, Transaction::Own);
    let backfills: Vec<_> = p
        .plan()
        .backfills
        .iter()
        .filter(|b| b.catalog == CatalogRow::C3)
        .collect();
    assert_eq!(backfills.len(), 1, "one batched backfill");
    assert_eq!(backfills[0].key, ["id"]);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c4_not_null_column_without_default_is_refused() {
    let p = support::plan(BASE, &users_with("    plan: String,\n"));
    p.expect_blocked(
        CatalogRow::C4,
        VerdictKind::Refused,
        &["NOT NULL with no default", "INSERTs"],
        &["default = ", "backfill = ", "Option<_>"],
    );
}

#[test]
fn c4_not_null_column_with_backfill_keeps_the_default_until_contract() {
    let p = support::plan(BASE, &users_with(BACKFILL));
    p.expect(CatalogRow::C4, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::C4);
    assert_eq!(support::phases(&steps), [Phase::Expand, Phase::Contract]);
    assert!(
        steps[0].sql.contains("text DEFAULT 'free' NOT NULL"),
        "{}",
        steps[0].sql
    );
    assert!(steps.last().unwrap().sql.contains("DROP DEFAULT"));
    assert_brief_lock_on_users(&steps);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c4_allow_unsafe_runs_the_naive_statement_and_records_why() {
    let field = "    #[migrate(allow_unsafe = \"the table is empty in every deployment\")]\n    plan: String,\n";
    let p = support::plan(BASE, &users_with(field));
    let d = p.expect(CatalogRow::C4, VerdictKind::Allowed);
    assert!(d.diagnostic().is_none());
    let steps = p.steps(CatalogRow::C4);
    assert_eq!(
        steps[0].unsafe_reason.as_deref(),
        Some("the table is empty in every deployment")
    );
    assert_brief_lock_on_users(&steps);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c5_declared_drop_waits_for_contract_after_the_old_views() {
    let p = support::plan(BASE, &nickname_dropped());
    p.expect(CatalogRow::C5, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::C5);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert!(
        steps
            .iter()
            .any(|s| s.sql.contains("DROP COLUMN IF EXISTS \"nickname\""))
    );
    assert_brief_lock_on_users(&steps);
    // R10: the previous release's views, which read the column, go first.
    let plan = p.plan();
    let position = |id: &str| plan.steps.iter().position(|s| s.id == id).unwrap();
    let views_dropped = plan
        .steps
        .iter()
        .position(|s| s.catalog == CatalogRow::R10)
        .expect("an R10 step");
    assert!(views_dropped < position(&steps[0].id));
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c5_a_field_that_disappears_is_refused() {
    let p = support::plan(BASE, &edit(BASE, "    nickname: Option<String>,\n", ""));
    p.expect_blocked(
        CatalogRow::C5,
        VerdictKind::Refused,
        &["users.nickname", "no field declares it"],
        &["renamed_from = \"nickname\"", "drop_column = \"nickname\""],
    );
}

#[test]
fn c7_drop_not_null_is_a_brief_lock_in_expand() {
    let p = support::plan(BASE, &email_nullable());
    p.expect(CatalogRow::C7, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::C7);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert!(
        steps[0]
            .sql
            .contains("ALTER COLUMN \"email\" DROP NOT NULL"),
        "{}",
        steps[0].sql
    );
    assert_brief_lock_on_users(&steps);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c8_rename_column_renames_in_contract() {
    let p = support::plan(BASE, &nickname_renamed());
    p.expect(CatalogRow::C8, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::C8);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert!(
        steps
            .iter()
            .any(|s| s.sql.contains("\"nickname\" TO \"display_name\""))
    );
    assert_brief_lock_on_users(&steps);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c11_default_is_changed_in_expand() {
    let p = support::plan(BASE, &age_default_changed());
    p.expect(CatalogRow::C11, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::C11);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert!(steps[0].sql.contains("SET DEFAULT 18"), "{}", steps[0].sql);
    assert_brief_lock_on_users(&steps);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c12_new_identity_column_is_refused() {
    let p = support::plan(
        BASE,
        &users_with("    #[migrate(identity)]\n    serial_no: i64,\n"),
    );
    p.expect_blocked(
        CatalogRow::C12,
        VerdictKind::Refused,
        &["identity column", "rewrites", "ACCESS EXCLUSIVE"],
        &["add a nullable column now", "allow_unsafe"],
    );
}

#[test]
fn c12_identity_on_an_existing_column_is_refused() {
    let v2 = edit(
        BASE,
        "    amount: i32,\n",
        "    #[migrate(identity)]\n    amount: i32,\n",
    );
    let p = support::plan(BASE, &v2);
    p.expect_blocked(
        CatalogRow::C12,
        VerdictKind::Refused,
        &["identity on `public.orders.amount`", "no online form"],
        &["add a new column"],
    );
}

const COMPUTED: &str =
    "    #[migrate(compute(with = \"crate::slug::of\", from(email)))]\n    slug: String,\n";

#[test]
fn c4_computed_column_is_nullable_until_contract_and_filled_in_rust() {
    let p = support::plan(BASE, &users_with(COMPUTED));
    let d = p.expect(CatalogRow::C4, VerdictKind::Phased);
    assert!(d.diagnostic().is_none());
    let steps = p.steps(CatalogRow::C4);
    assert_eq!(support::phases(&steps), [Phase::Expand, Phase::Contract]);
    assert!(
        steps[0]
            .sql
            .contains("ADD COLUMN IF NOT EXISTS \"slug\" text;"),
        "{}",
        steps[0].sql
    );
    assert!(
        steps[1].sql.contains("BEFORE UPDATE OF \"email\""),
        "{}",
        steps[1].sql
    );
    assert!(steps.iter().any(|s| s.sql.contains("SET NOT NULL")));
    let job = &p.plan().backfills[0];
    let compute = job.compute.as_ref().expect("a Rust job");
    assert_eq!(compute.job, "public.users.slug");
    assert_eq!(compute.function, "crate::slug::of");
    assert_eq!(compute.sources, ["email"]);
    assert!(!job.before_deploy);
    support::assert_guarded(&steps);
    assert_snapshot!(format!(
        "{}\n-- read\n{}\n-- write\n{}\n",
        support::render_steps(&steps),
        job.batch_sql,
        compute.write_sql
    ));
}
