//! C9, C10, K4: column type changes, in place, through a shadow column, and with CHECKs.

use insta::assert_snapshot;
use migrate_core::plan::{CatalogRow, Phase, Transaction, VerdictKind};

use crate::support::{self, BASE, Case, edit};

fn code_widened() -> String {
    edit(
        BASE,
        "column_type = \"varchar(20)\"",
        "column_type = \"varchar(40)\"",
    )
}

fn amount_bigint() -> String {
    edit(BASE, "    amount: i32,\n", "    amount: i64,\n")
}

fn code_converted() -> String {
    edit(
        BASE,
        "    #[migrate(column_type = \"varchar(20)\")]\n    code: String,\n",
        "    #[migrate(convert(to_new = \"trim(code)::integer\", to_old = \"code::text\"))]\n    code: i32,\n",
    )
}

fn checked(source: &str) -> String {
    edit(
        source,
        "    amount: i",
        "    #[migrate(check = \"amount >= 0\")]\n    amount: i",
    )
}

/// The planned cases of this family.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new("C9 binary-coercible", BASE, code_widened()),
        Case::new("C10 lossless", BASE, amount_bigint()),
        Case::new("C10 declared conversion", BASE, code_converted()),
        Case::new(
            "K4 type change under a CHECK",
            checked(BASE),
            checked(&amount_bigint()),
        ),
    ]
}

#[test]
fn c9_binary_coercible_change_is_in_place() {
    let p = support::plan(BASE, &code_widened());
    p.expect(CatalogRow::C9, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::C9);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert_eq!(steps.len(), 1);
    assert!(
        steps[0].sql.contains("TYPE character varying(40)"),
        "{}",
        steps[0].sql
    );
    assert_eq!(steps[0].transaction, Transaction::Shared);
    assert_eq!(
        (steps[0].lock_timeout_ms, steps[0].statement_timeout_ms),
        (Some(100), Some(5000))
    );
    assert!(p.plan().backfills.is_empty(), "metadata only");
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

/// The shadow column's shape: added with its trigger in one expand transaction (R4), filled
/// by a backfill, swapped in contract (the trigger dropped with the old column, R4 again).
fn assert_shadow(p: &support::Planned) {
    let steps = p.steps(CatalogRow::C10);
    assert_eq!(support::phases(&steps), [Phase::Expand, Phase::Contract]);
    let plan = p.plan();
    let add = steps
        .iter()
        .find(|s| s.sql.contains("ADD COLUMN"))
        .expect("a shadow column");
    let trigger = steps
        .iter()
        .find(|s| s.phase == Phase::Expand && s.sql.contains("CREATE TRIGGER"))
        .expect("a two-way trigger");
    assert_eq!(
        plan.group_of(&add.id),
        plan.group_of(&trigger.id),
        "R4: one transaction"
    );
    assert_eq!(add.transaction, Transaction::Shared);
    let drop = steps
        .iter()
        .find(|s| s.phase == Phase::Contract && s.sql.contains("DROP TRIGGER"))
        .expect("the trigger dropped in contract");
    let swap = steps
        .iter()
        .find(|s| s.phase == Phase::Contract && s.sql.contains("DROP COLUMN"))
        .expect("the old column dropped in contract");
    assert_eq!(
        plan.group_of(&drop.id),
        plan.group_of(&swap.id),
        "R4: one transaction"
    );
    assert!(
        swap.sql.contains("RENAME COLUMN"),
        "the shadow takes the name"
    );
    assert_eq!(
        (swap.lock_timeout_ms, swap.statement_timeout_ms),
        (Some(100), Some(5000))
    );
    // The swap waits for a check that the backfill filled the shadow, in its own transaction.
    let check = steps
        .iter()
        .find(|s| s.phase == Phase::Contract && s.pre_check.is_some())
        .expect("a backfill check before the swap");
    assert_eq!(check.transaction, Transaction::Own);
    assert_eq!(
        plan.backfills
            .iter()
            .filter(|b| b.catalog == CatalogRow::C10)
            .count(),
        1,
        "one batched backfill of the shadow"
    );
    support::assert_guarded(&steps);
}

#[test]
fn c10_lossless_change_goes_through_a_shadow_column() {
    let p = support::plan(BASE, &amount_bigint());
    p.expect(CatalogRow::C10, VerdictKind::Phased);
    assert_shadow(&p);
    assert_snapshot!(support::render_steps(&p.steps(CatalogRow::C10)));
}

#[test]
fn c10_declared_conversion_runs_in_the_trigger() {
    let p = support::plan(BASE, &code_converted());
    p.expect(CatalogRow::C10, VerdictKind::Phased);
    assert_shadow(&p);
    let steps = p.steps(CatalogRow::C10);
    assert!(
        steps
            .iter()
            .any(|s| s.sql.contains("TRIM(NEW.\"code\")::INTEGER")),
        "the declared to_new runs"
    );
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn c10_without_a_lossless_conversion_is_refused() {
    let p = support::plan(
        BASE,
        &edit(BASE, "    amount: i32,\n", "    amount: i16,\n"),
    );
    p.expect_blocked(
        CatalogRow::C10,
        VerdictKind::Refused,
        &[
            "integer to smallint",
            "lose information",
            "ACCESS EXCLUSIVE",
        ],
        &["convert(to_new", "add a new field", "allow_unsafe"],
    );
}

#[test]
fn c10_on_a_primary_key_column_is_refused() {
    let v2 = edit(
        BASE,
        "    #[migrate(primary_key, identity)]\n    id: i64,\n    #[migrate(references",
        "    #[migrate(primary_key, identity)]\n    id: i32,\n    #[migrate(references",
    );
    let p = support::plan(BASE, &v2);
    p.expect_blocked(
        CatalogRow::C10,
        VerdictKind::Refused,
        &["primary key"],
        &["add a new field"],
    );
}

#[test]
fn k4_checks_on_a_changed_column_are_revalidated() {
    let p = support::plan(&checked(BASE), &checked(&amount_bigint()));
    p.expect(CatalogRow::C10, VerdictKind::Phased);
    // The swap drops the CHECK with the old column and re-adds it NOT VALID on the new one.
    let swap = p
        .steps(CatalogRow::C10)
        .into_iter()
        .find(|s| s.sql.contains("RENAME COLUMN"))
        .expect("the swap");
    assert!(
        swap.sql
            .contains("ADD CONSTRAINT \"orders_amount_check\" CHECK (amount >= 0) NOT VALID"),
        "{}",
        swap.sql
    );
    let steps = p.steps(CatalogRow::K4);
    let validate = steps
        .iter()
        .find(|s| {
            s.sql
                .contains("VALIDATE CONSTRAINT \"orders_amount_check\"")
        })
        .expect("validated");
    let plan = p.plan();
    let at = |id: &str| plan.steps.iter().position(|s| s.id == id);
    assert!(
        at(&swap.id) < at(&validate.id),
        "validated after it is re-added"
    );
    assert_eq!(validate.transaction, Transaction::Own);
    assert_eq!(validate.statement_timeout_ms, None);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}
