//! E1, E2: enum labels added, removed or reordered, and an enum that disappears.

use insta::assert_snapshot;
use migrate_core::plan::{CatalogRow, Phase, Transaction, VerdictKind};

use crate::support::{self, BASE, Case, edit};

const STATUS: &str = r#"
#[derive(PgEnum)]
#[migrate(type_name = "order_status")]
enum OrderStatus {
    Pending,
    Paid,
}

#[derive(PgEnum)]
#[migrate(type_name = "mood")]
enum Mood {
    Happy,
    Sad,
}
"#;

fn with_status() -> String {
    let v = format!("{BASE}{STATUS}");
    edit(
        &v,
        "    note: Option<String>,\n",
        "    note: Option<String>,\n    #[migrate(default = \"'pending'\")]\n    status: OrderStatus,\n",
    )
}

fn shipped_added() -> String {
    edit(&with_status(), "    Paid,\n", "    Paid,\n    Shipped,\n")
}

/// The planned cases of this family.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new("T1 create enum", BASE, with_status()),
        Case::new("E1 add enum value", with_status(), shipped_added()),
    ]
}

#[test]
fn t1_new_enum_is_created_in_expand() {
    let p = support::plan(BASE, &with_status());
    p.expect(CatalogRow::T1, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::T1);
    assert!(steps.iter().any(|s| s.sql.contains("CREATE TYPE")));
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    support::assert_guarded(&steps);
}

#[test]
fn e1_enum_value_is_added_alone_in_its_own_transaction() {
    let p = support::plan(&with_status(), &shipped_added());
    let d = p.expect(CatalogRow::E1, VerdictKind::Safe);
    let warning = d
        .warning
        .as_deref()
        .expect("old binaries cannot decode the new label");
    assert!(
        warning.contains("Shipped") || warning.contains("shipped"),
        "{warning}"
    );
    let steps = p.steps(CatalogRow::E1);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert_eq!(steps.len(), 1);
    assert!(
        steps[0]
            .sql
            .contains("ADD VALUE IF NOT EXISTS 'shipped' AFTER 'paid'"),
        "{}",
        steps[0].sql
    );
    // PostgreSQL 12 and later run ADD VALUE in a transaction: alone in its own (R3).
    assert_eq!(
        steps[0].transaction,
        Transaction::Own,
        "R3: ADD VALUE runs alone"
    );
    let plan = p.plan();
    assert_eq!(plan.group_of(&steps[0].id).map(|g| g.steps.len()), Some(1));
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn e2_removed_label_is_refused() {
    let p = support::plan(&shipped_added(), &with_status());
    p.expect_blocked(
        CatalogRow::E2,
        VerdictKind::Refused,
        &["order_status", "shipped", "cannot remove or move a label"],
        &["keep every accepted label"],
    );
}

#[test]
fn e2_reordered_labels_are_refused() {
    let reordered = edit(
        &with_status(),
        "    Pending,\n    Paid,\n",
        "    Paid,\n    Pending,\n",
    );
    let p = support::plan(&with_status(), &reordered);
    p.expect_blocked(
        CatalogRow::E2,
        VerdictKind::Refused,
        &["lost or reordered labels"],
        &["in its order"],
    );
}

#[test]
fn e2_an_enum_that_disappears_is_not_supported() {
    let mood = "\n#[derive(PgEnum)]\n#[migrate(type_name = \"mood\")]\nenum Mood {\n    Happy,\n    Sad,\n}\n";
    let p = support::plan(&with_status(), &edit(&with_status(), mood, ""));
    p.expect_blocked(
        CatalogRow::E2,
        VerdictKind::Unsupported,
        &["mood", "no `#[derive(PgEnum)]` declares it"],
        &["restore the enum declaration"],
    );
}
