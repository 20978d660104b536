//! C6: a nullable column becomes NOT NULL, without and with a declared backfill.

use insta::assert_snapshot;
use migrate_core::plan::{CatalogRow, LockMode, Phase, Transaction, VerdictKind};

use crate::support::{self, BASE, Case, edit};

fn nickname_required() -> String {
    edit(
        BASE,
        "    nickname: Option<String>,\n",
        "    nickname: String,\n",
    )
}

fn nickname_required_with_backfill() -> String {
    edit(
        BASE,
        "    nickname: Option<String>,\n",
        "    #[migrate(backfill = \"'anonymous'\")]\n    nickname: String,\n",
    )
}

/// The planned cases of this family.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new("C6 SET NOT NULL", BASE, nickname_required()),
        Case::new("C6 with backfill", BASE, nickname_required_with_backfill()),
    ]
}

/// Contract's NOT NULL sequence: CHECK … NOT VALID (brief lock), VALIDATE in a transaction of
/// its own without a statement timeout, then SET NOT NULL under the validated check.
fn assert_check_validate_set(steps: &[&migrate_core::plan::Step]) {
    let contract: Vec<_> = steps
        .iter()
        .copied()
        .filter(|s| s.phase == Phase::Contract)
        .collect();
    let add = contract
        .iter()
        .find(|s| s.sql.contains("NOT VALID"))
        .expect("a NOT VALID check");
    assert_eq!(add.transaction, Transaction::Shared);
    assert_eq!(
        support::existing_locks(&[add]),
        [Some(LockMode::AccessExclusive)]
    );
    assert_eq!(add.lock_timeout_ms, Some(100));
    let validate = contract
        .iter()
        .find(|s| s.sql.contains("VALIDATE CONSTRAINT"))
        .expect("a VALIDATE step");
    assert_eq!(
        validate.transaction,
        Transaction::Own,
        "R3: VALIDATE apart from its add"
    );
    assert_eq!(
        validate.statement_timeout_ms, None,
        "R2: a long scan that blocks no writer"
    );
    assert_eq!(
        support::existing_locks(&[validate]),
        [Some(LockMode::ShareUpdateExclusive)]
    );
    let set = contract
        .iter()
        .find(|s| s.sql.contains("SET NOT NULL"))
        .expect("SET NOT NULL");
    let order = |s: &&migrate_core::plan::Step| contract.iter().position(|c| c.id == s.id);
    assert!(order(add) < order(validate) && order(validate) < order(set));
}

#[test]
fn c6_set_not_null_checks_validates_then_sets_in_contract() {
    let p = support::plan(BASE, &nickname_required());
    p.expect(CatalogRow::C6, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::C6);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert_check_validate_set(&steps);
    assert!(p.plan().backfills.is_empty(), "no backfill declared");
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c6_with_backfill_fills_the_nulls_before_the_new_views() {
    let p = support::plan(BASE, &nickname_required_with_backfill());
    p.expect(CatalogRow::C6, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::C6);
    assert_eq!(
        steps[0].phase,
        Phase::Expand,
        "the trigger for the old binary's NULLs"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.phase == Phase::Expand && s.sql.contains("CREATE TRIGGER"))
    );
    assert!(
        steps
            .iter()
            .any(|s| s.phase == Phase::Contract && s.sql.contains("DROP TRIGGER"))
    );
    assert_check_validate_set(&steps);
    let plan = p.plan();
    let backfill = plan
        .backfills
        .iter()
        .find(|b| b.catalog == CatalogRow::C6)
        .expect("a C6 backfill");
    assert!(backfill.before_deploy, "the new binary must not read NULL");
    assert!(
        backfill.batch_sql.contains("'anonymous'"),
        "{}",
        backfill.batch_sql
    );
    let gated = plan
        .steps
        .iter()
        .filter_map(|s| s.gate.as_ref())
        .any(|g| g.backfills.contains(&backfill.id));
    assert!(
        gated,
        "some step waits for the backfill (plan data, not error text)"
    );
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c6_with_backfill_and_a_shadow_type_change_together_are_refused() {
    let v1 = support::users_with("    score: Option<i32>,\n");
    let v2 = support::users_with("    #[migrate(backfill = \"0\")]\n    score: i64,\n");
    let p = support::plan(&v1, &v2);
    p.expect(CatalogRow::C10, VerdictKind::Phased);
    p.expect_blocked(
        CatalogRow::C6,
        VerdictKind::Refused,
        &["users.score", "shadow column", "race"],
        &["in one release", "in the next"],
    );
}
