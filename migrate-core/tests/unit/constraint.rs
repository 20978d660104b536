//! K1–K3, I3, I4: CHECKs, foreign keys, unique constraints and primary keys.

use insta::assert_snapshot;
use migrate_core::plan::{CatalogRow, LockMode, Phase, PostCheck, Transaction, VerdictKind};

use crate::support::{self, BASE, Case, edit, users_with};

const AGE: &str = "    #[migrate(default = \"0\")]\n    age: i32,\n";
const AGE_CHECKED: &str = "    #[migrate(default = \"0\", check = \"age >= 0\")]\n    age: i32,\n";

fn age_checked() -> String {
    edit(BASE, AGE, AGE_CHECKED)
}

fn with_reviewer() -> String {
    edit(
        BASE,
        "    note: Option<String>,\n",
        "    note: Option<String>,\n    #[migrate(references = \"users\")]\n    reviewer_id: Option<i64>,\n",
    )
}

fn with_referrer() -> (String, String) {
    let v1 = users_with("    referrer_id: Option<i64>,\n");
    let v2 = users_with("    #[migrate(references = \"users\")]\n    referrer_id: Option<i64>,\n");
    (v1, v2)
}

fn email_unique() -> String {
    edit(
        BASE,
        "    email: String,\n",
        "    #[migrate(unique)]\n    email: String,\n",
    )
}

const TAGS: &str = r#"
#[derive(Table)]
#[migrate(table_name = "tags")]
struct Tag {
    #[migrate(primary_key)]
    code: String,
    label: String,
}
"#;

fn tags() -> String {
    format!("{BASE}{TAGS}")
}

fn tags_keyed_by_label() -> String {
    let v2 = edit(
        &tags(),
        "    #[migrate(primary_key)]\n    code: String,\n",
        "    code: String,\n",
    );
    edit(
        &v2,
        "    label: String,\n",
        "    #[migrate(primary_key)]\n    label: String,\n",
    )
}

/// The planned cases of this family.
pub fn cases() -> Vec<Case> {
    let (v1, v2) = with_referrer();
    vec![
        Case::new("K1 add CHECK", BASE, age_checked()),
        Case::new("K2 add foreign key with its column", BASE, with_reviewer()),
        Case::new("K2 add foreign key", v1, v2),
        Case::new("K3 drop CHECK", age_checked(), BASE),
        Case::new("I3 add unique", BASE, email_unique()),
        Case::new("I4 change primary key", tags(), tags_keyed_by_label()),
    ]
}

/// NOT VALID first (a brief lock), then VALIDATE in a transaction of its own, apart (R3),
/// without a statement timeout (R2), checked afterwards.
fn assert_not_valid_then_validate(steps: &[&migrate_core::plan::Step]) {
    let add = steps
        .iter()
        .find(|s| s.sql.contains("NOT VALID"))
        .expect("NOT VALID");
    assert_eq!(add.transaction, Transaction::Shared);
    assert_eq!(add.lock_timeout_ms, Some(100));
    let validate = steps
        .iter()
        .find(|s| s.sql.contains("VALIDATE CONSTRAINT"))
        .expect("VALIDATE");
    assert_eq!(validate.transaction, Transaction::Own);
    assert_eq!(validate.statement_timeout_ms, None);
    assert_eq!(
        support::existing_locks(&[validate]),
        [Some(LockMode::ShareUpdateExclusive)]
    );
    // The constraint stays under its name, so the runner checks it is validated.
    assert!(
        matches!(
            validate.post_check,
            Some(PostCheck::ConstraintValidated { .. })
        ),
        "{:?}",
        validate.post_check
    );
}

#[test]
fn k1_check_is_added_not_valid_then_validated_in_contract() {
    let p = support::plan(BASE, &age_checked());
    p.expect(CatalogRow::K1, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::K1);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert_not_valid_then_validate(&steps);
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn k2_foreign_key_is_added_not_valid_then_validated_and_warns_without_index() {
    let v1 = edit(
        BASE,
        "    note: Option<String>,\n",
        "    note: Option<String>,\n    reviewer_id: Option<i64>,\n",
    );
    let p = support::plan(&v1, &with_reviewer());
    let d = p.expect(CatalogRow::K2, VerdictKind::Phased);
    let warning = d
        .warning
        .as_deref()
        .expect("a foreign key without an index warns");
    assert!(warning.contains("index"), "{warning}");
    let steps = p.steps(CatalogRow::K2);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert_not_valid_then_validate(&steps);
    let add = steps.iter().find(|s| s.sql.contains("NOT VALID")).unwrap();
    let locks: Vec<(String, LockMode)> = add
        .locks
        .iter()
        .map(|l| (l.table.to_string(), l.mode))
        .collect();
    assert_eq!(
        locks,
        [
            ("public.orders".to_owned(), LockMode::AccessExclusive),
            ("public.users".to_owned(), LockMode::ShareRowExclusive)
        ],
        "the referencing table, then the referenced one"
    );
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn k2_foreign_key_with_a_new_column_is_planned_with_it() {
    let p = support::plan(BASE, &with_reviewer());
    p.expect(CatalogRow::C1, VerdictKind::Safe);
    p.expect(CatalogRow::K2, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::K2);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    assert_not_valid_then_validate(&steps);
    support::assert_guarded(&steps);
}

#[test]
fn k2_self_referencing_foreign_key_locks_its_one_table() {
    let (v1, v2) = with_referrer();
    let p = support::plan(&v1, &v2);
    p.expect(CatalogRow::K2, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::K2);
    assert_not_valid_then_validate(&steps);
    for s in &steps {
        assert!(
            s.locks
                .iter()
                .all(|l| l.table.to_string() == "public.users")
        );
        assert!(s.blocking_tables().count() <= 1);
    }
    support::assert_guarded(&steps);
}

#[test]
fn k3_drop_constraint_is_a_brief_lock_in_expand() {
    let p = support::plan(&age_checked(), BASE);
    p.expect(CatalogRow::K3, VerdictKind::Safe);
    let steps = p.steps(CatalogRow::K3);
    assert_eq!(support::phases(&steps), [Phase::Expand]);
    assert!(
        steps[0].sql.contains("DROP CONSTRAINT IF EXISTS"),
        "{}",
        steps[0].sql
    );
    assert_eq!(
        support::existing_locks(&steps),
        [Some(LockMode::AccessExclusive)]
    );
    assert_eq!(
        (steps[0].lock_timeout_ms, steps[0].statement_timeout_ms),
        (Some(100), Some(5000))
    );
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn i3_unique_is_checked_built_concurrently_then_attached_in_contract() {
    let p = support::plan(BASE, &email_unique());
    p.expect(CatalogRow::I3, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::I3);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    let build = steps
        .iter()
        .find(|s| s.sql.contains("CREATE UNIQUE INDEX CONCURRENTLY"))
        .expect("a unique index built CONCURRENTLY");
    assert_eq!(build.transaction, Transaction::None);
    assert!(matches!(
        build.post_check,
        Some(PostCheck::IndexValid { .. })
    ));
    let duplicates = steps
        .iter()
        .position(|s| {
            s.pre_check
                .as_ref()
                .is_some_and(|c| c.sql.contains("HAVING count(*) > 1"))
        })
        .expect("a duplicate check");
    let built = steps.iter().position(|s| s.id == build.id).unwrap();
    assert!(duplicates < built, "the duplicate check runs first");
    assert_eq!(steps[duplicates].transaction, Transaction::Own);
    assert!(
        steps.iter().any(|s| s.sql.contains("USING INDEX")),
        "then attached"
    );
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn i4_primary_key_change_swaps_a_concurrent_index_in_contract() {
    let p = support::plan(&tags(), &tags_keyed_by_label());
    p.expect(CatalogRow::I4, VerdictKind::Phased);
    let steps = p.steps(CatalogRow::I4);
    assert_eq!(support::phases(&steps), [Phase::Contract]);
    let build = steps
        .iter()
        .find(|s| s.sql.contains("CONCURRENTLY"))
        .expect("a unique index built CONCURRENTLY");
    assert_eq!(build.transaction, Transaction::None);
    assert!(
        steps
            .iter()
            .any(|s| s.sql.contains("PRIMARY KEY USING INDEX"))
    );
    support::assert_guarded(&steps);
    assert_snapshot!(support::render_steps(&steps));
}

#[test]
fn i4_primary_key_that_foreign_keys_reference_is_refused() {
    let v2 = edit(
        BASE,
        "    #[migrate(primary_key, identity)]\n    id: i64,\n    email: String,\n",
        "    #[migrate(identity)]\n    id: i64,\n    #[migrate(primary_key)]\n    email: String,\n",
    );
    let p = support::plan(BASE, &v2);
    p.expect_blocked(
        CatalogRow::I4,
        VerdictKind::Refused,
        &["primary key of `public.users`", "orders_user_id_fkey"],
        &["point those foreign keys elsewhere"],
    );
}
