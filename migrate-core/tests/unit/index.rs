//! I1, I2, I5: indexes created and dropped on existing tables.

use insta::assert_snapshot;
use migrate_core::plan::{CatalogRow, LockMode, Phase, PostCheck, Transaction, VerdictKind};

use crate::support::{self, BASE, Case, edit};

const USERS: &str = "#[migrate(table_name = \"users\")]\n";

fn nickname_indexed() -> String {
    edit(
        BASE,
        "    nickname: Option<String>,\n",
        "    #[migrate(index)]\n    nickname: Option<String>,\n",
    )
}

fn partial_index() -> String {
    edit(
        BASE,
        USERS,
        "#[migrate(table_name = \"users\")]\n#[migrate(index(columns(email, nickname), where = \"nickname IS NOT NULL\"))]\n",
    )
}

fn named_index(columns: &str) -> String {
    edit(
        BASE,
        USERS,
        &format!(
            "#[migrate(table_name = \"users\")]\n#[migrate(index(columns({columns}), name = \"users_lookup\"))]\n"
        ),
    )
}

/// The planned cases of this family.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new("I1 create index", BASE, nickname_indexed()),
        Case::new("I2 drop index", nickname_indexed(), BASE),
        Case::new("I5 partial multi-column index", BASE, partial_index()),
    ]
}

/// CONCURRENTLY, alone and outside a transaction (R3), no statement timeout (R2), the
/// validity checked afterwards (an interrupted build leaves an invalid index).
fn assert_concurrent(step: &migrate_core::plan::Step) {
    assert!(step.sql.contains("CONCURRENTLY"), "{}", step.sql);
    assert_eq!(step.transaction, Transaction::None);
    assert_eq!(step.statement_timeout_ms, None);
    assert_eq!(
        support::existing_locks(&[step]),
        [Some(LockMode::ShareUpdateExclusive)]
    );
}

#[test]
fn i1_index_is_built_concurrently_in_expand() {
    let p = support::plan(BASE, &nickname_indexed());
    p.expect(CatalogRow::I1, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::I1);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert_eq!(
        steps.len(),
        2,
        "the build, then a check that the index is valid"
    );
    assert_concurrent(steps[0]);
    assert!(
        steps[0]
            .sql
            .contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS")
    );
    assert!(matches!(
        steps[0].post_check,
        Some(PostCheck::IndexValid { .. })
    ));
    assert!(steps[1].sql.contains("NOT indisvalid"), "{}", steps[1].sql);
    assert!(steps[1].locks.is_empty());
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn i2_index_is_dropped_concurrently_in_contract() {
    let p = support::plan(&nickname_indexed(), BASE);
    p.expect(CatalogRow::I2, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::I2);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert_concurrent(steps[0]);
    assert!(steps[0].sql.contains("DROP INDEX CONCURRENTLY IF EXISTS"));
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn i5_partial_multi_column_index_is_built_as_i1_with_a_deterministic_name() {
    let p = support::plan(BASE, &partial_index());
    p.expect(CatalogRow::I1, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::I5);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert_concurrent(steps[0]);
    assert!(steps[0].sql.contains("WHERE"), "{}", steps[0].sql);
    // Planned twice, the same name: the name derives from the definition, not from chance.
    let again = support::plan(BASE, &partial_index());
    assert_eq!(again.steps(CatalogRow::I5)[0].sql, steps[0].sql);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn i5_redefined_index_under_its_old_name_is_not_supported() {
    let p = support::plan(&named_index("email"), &named_index("email, nickname"));
    p.expect_blocked(
        CatalogRow::I5,
        VerdictKind::Unsupported,
        &["users_lookup", "changes its definition"],
        &["new name"],
    );
}
