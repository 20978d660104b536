//! T1–T3: create, drop and rename a table.

use insta::assert_snapshot;
use migrate_core::plan::{CatalogRow, LockMode, Phase, Transaction, VerdictKind};

use crate::support::{self, BASE, Case, edit};

const PRODUCTS: &str = r#"
#[derive(Table)]
#[migrate(table_name = "products")]
#[migrate(index(columns(name)))]
struct Product {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(unique)]
    name: String,
    #[migrate(references = "users")]
    owner_id: i64,
    #[migrate(check = "price >= 0")]
    price: i32,
}
"#;

fn with_products() -> String {
    format!("{BASE}{PRODUCTS}")
}

fn orders_dropped() -> String {
    edit(
        BASE,
        "#[migrate(table_name = \"orders\")]\n",
        "#[migrate(table_name = \"orders\", drop)]\n",
    )
}

fn orders_renamed() -> String {
    edit(
        BASE,
        "#[migrate(table_name = \"orders\")]\n",
        "#[migrate(table_name = \"purchases\", renamed_from = \"orders\")]\n",
    )
}

/// The planned cases of this family.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new("T1 create table", BASE, with_products()),
        Case::new("T2 drop table", BASE, orders_dropped()),
        Case::new("T3 rename table", BASE, orders_renamed()),
    ]
}

#[test]
fn t1_create_table_is_safe_in_expand_with_its_keys() {
    let p = support::plan(BASE, &with_products());
    p.expect(CatalogRow::T1, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::T1);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    for s in &steps {
        assert_eq!(s.transaction, Transaction::Shared);
        assert!(
            s.locks
                .iter()
                .all(|l| l.new_table || l.mode != LockMode::AccessExclusive)
        );
        // Only the referenced table, which exists, is locked against writers (by the key).
        let blocked: Vec<_> = s.blocking_tables().map(ToString::to_string).collect();
        assert!(blocked.iter().all(|t| t == "public.users"), "{blocked:?}");
        assert_eq!(s.lock_timeout_ms.is_some(), !blocked.is_empty());
    }
    let sql: String = steps.iter().map(|s| s.sql.as_str()).collect();
    assert!(sql.contains("CREATE TABLE"), "{sql}");
    assert!(
        sql.contains("REFERENCES"),
        "the foreign key goes in with the table: {sql}"
    );
    assert!(
        !sql.contains("CONCURRENTLY"),
        "an empty table needs no CONCURRENTLY: {sql}"
    );
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn t2_declared_drop_waits_for_contract() {
    let p = support::plan(BASE, &orders_dropped());
    p.expect(CatalogRow::T2, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::T2);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert!(steps.iter().any(|s| s.sql.contains("DROP TABLE")));
    for s in &steps {
        if s.locks.iter().any(|l| l.mode == LockMode::AccessExclusive) {
            assert_eq!(s.lock_timeout_ms, Some(100));
        }
    }
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn t2_a_struct_that_disappears_is_refused() {
    let without_orders = BASE
        .split("#[derive(Table)]\n#[migrate(table_name = \"orders\")]")
        .next()
        .unwrap();
    let p = support::plan(BASE, without_orders);
    p.expect_blocked(
        CatalogRow::T2,
        VerdictKind::Refused,
        &["orders", "no struct declares it"],
        &["#[migrate(drop)]", "renamed_from"],
    );
}

#[test]
fn t3_rename_table_renames_in_contract() {
    let p = support::plan(BASE, &orders_renamed());
    p.expect(CatalogRow::T3, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::T3);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert!(
        steps
            .iter()
            .any(|s| s.sql.contains("RENAME TO \"purchases\"")),
        "{:#?}",
        steps
    );
    for s in &steps {
        assert_eq!(s.transaction, Transaction::Shared);
        assert!(s.locks.iter().all(|l| l.mode == LockMode::AccessExclusive));
        assert_eq!(
            (s.lock_timeout_ms, s.statement_timeout_ms),
            (Some(100), Some(5000))
        );
    }
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}
