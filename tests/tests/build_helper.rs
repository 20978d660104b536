//! The build helper's modes and failure reports, on throwaway crate folders (no database).

use migrate_build::{Error, Mode};
use migrate_tests::scenario::Scenario;

const V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
}
"#;

const V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    nickname: Option<String>,
}
"#;

fn read(path: impl AsRef<std::path::Path>) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn review_writes_pending_files_and_touches_nothing_accepted() {
    let s = Scenario::new();
    s.accept(V1);
    let snapshot_before = read(s.snapshot_path());
    s.declare(V2);
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("release 2 is pending") && m.contains("MIGRATE_ACCEPT=1")),
        "{:?}",
        outcome.messages
    );
    assert_eq!(
        read(s.snapshot_path()),
        snapshot_before,
        "the accepted snapshot changed"
    );
    assert_eq!(
        s.release_files(2),
        Vec::<std::path::PathBuf>::new(),
        "review wrote accepted migrations"
    );
    let pending = s
        .root()
        .join("migrate.pending/migrations/0002001_add_users_nickname_views.sql");
    let first = read(&pending);
    let mtime = std::fs::metadata(&pending).unwrap().modified().unwrap();
    s.run(Mode::Review).unwrap();
    assert_eq!(read(&pending), first, "pending output is not deterministic");
    assert_eq!(
        std::fs::metadata(&pending).unwrap().modified().unwrap(),
        mtime,
        "unchanged pending file was rewritten"
    );

    // Accepting removes the pending folder; reverting the declaration removes it too.
    s.run(Mode::Accept).unwrap();
    assert!(!s.root().join("migrate.pending").exists());
    assert_eq!(s.release_files(2).len(), 1);
}

#[test]
fn accept_then_accept_again_is_a_no_op() {
    let s = Scenario::new();
    s.accept(V1);
    let snapshot = read(s.snapshot_path());
    let again = s.accept(V1);
    assert!(again.crate_plan.plan.is_none());
    assert_eq!(read(s.snapshot_path()), snapshot);
}

#[test]
fn check_mode_fails_on_a_stale_snapshot_and_writes_nothing() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(V2);
    let err = s.run(Mode::Check).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Stale(_)));
    assert!(
        text.contains("differs from the accepted snapshot")
            && text.contains("MIGRATE_ACCEPT=1 cargo build"),
        "{text}"
    );
    assert!(text.contains("add column public.users.nickname"), "{text}");
    assert!(
        !s.root().join("migrate.pending").exists(),
        "check mode wrote pending files"
    );
}

#[test]
fn check_mode_passes_when_current() {
    let s = Scenario::new();
    s.accept(V1);
    let outcome = s.run(Mode::Check).unwrap();
    assert!(outcome.crate_plan.plan.is_none());
}

#[test]
fn an_edited_or_missing_generated_file_fails_in_every_mode() {
    let s = Scenario::new();
    s.accept(V1);
    let file = s.release_files(1).remove(0);
    std::fs::write(&file, read(&file).replace("IF NOT EXISTS", "")).unwrap();
    for mode in [Mode::Check, Mode::Review, Mode::Accept] {
        let text = s.run(mode).unwrap_err().to_string();
        assert!(
            text.contains("was edited after it was accepted") && text.contains("git checkout"),
            "{text}"
        );
    }
    std::fs::remove_file(&file).unwrap();
    let text = s.run(Mode::Check).unwrap_err().to_string();
    assert!(text.contains("is missing"), "{text}");
}

#[test]
fn a_broken_snapshot_names_file_and_line_and_is_not_overwritten() {
    let s = Scenario::new();
    s.declare(V1);
    let broken = "{\n  \"format\": 1,\n  \"release\": {,\n}\n";
    std::fs::write(s.snapshot_path(), broken).unwrap();
    let err = s.run(Mode::Accept).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Snapshot(_)), "{text}");
    assert!(text.contains("migrate.snapshot.json:3:"), "{text}");
    assert_eq!(read(s.snapshot_path()), broken);
}

#[test]
fn reordering_fields_and_editing_docs_changes_nothing() {
    let s = Scenario::new();
    s.accept(V1);
    let snapshot = read(s.snapshot_path());
    s.declare(
        "/// Users.\n#[derive(Table)]\n#[migrate(table_name = \"users\")]\nstruct User {\n    /// The address.\n    email: String,\n    #[migrate(primary_key, identity)]\n    id: i64,\n}\n",
    );
    let outcome = s.run(Mode::Check).unwrap();
    assert!(outcome.crate_plan.plan.is_none());
    assert_eq!(read(s.snapshot_path()), snapshot);
}

#[test]
fn output_is_byte_identical_across_runs() {
    let (a, b) = (Scenario::new(), Scenario::new());
    a.accept(V1);
    b.accept(V1);
    a.accept(V2);
    b.accept(V2);
    assert_eq!(read(a.snapshot_path()), read(b.snapshot_path()));
    for (fa, fb) in a.release_files(2).iter().zip(b.release_files(2)) {
        assert_eq!(read(fa), read(fb));
    }
}

#[test]
fn a_struct_that_disappears_fails_the_build() {
    let s = Scenario::new();
    s.accept(&format!("{V1}\n#[derive(Table)]\n#[migrate(table_name = \"audit\")]\nstruct Audit {{\n    #[migrate(primary_key)]\n    id: i64,\n}}\n"));
    s.declare(V1);
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains(
            "table `public.audit` (struct `Audit`) is in the snapshot but no struct declares it"
        ),
        "{text}"
    );
    assert!(
        text.contains("#[migrate(drop)]") && text.contains("renamed_from"),
        "{text}"
    );
}

#[test]
fn a_reference_to_an_undeclared_table_points_at_the_attribute() {
    let s = Scenario::new();
    s.declare(
        "#[derive(Table)]\nstruct Order {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"customers\")]\n    customer_id: i64,\n}\n",
    );
    let err = s.run(Mode::Review).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Declarations { count: 1, .. }),
        "{text}"
    );
    assert!(
        text.contains("references table `public.customers`, which no struct declares"),
        "{text}"
    );
    assert!(
        text.contains("src/schema.rs:5:"),
        "the report names the file and line:\n{text}"
    );
    assert!(
        text.contains("^^^^^^^^^^"),
        "the report underlines the attribute:\n{text}"
    );
}

#[test]
fn a_reference_to_non_unique_columns_is_refused() {
    let s = Scenario::new();
    s.declare(&format!(
        "{V1}\n#[derive(Table)]\nstruct Note {{\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"users(email)\")]\n    author_email: String,\n}}\n"
    ));
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("not its primary key or a unique constraint"),
        "{text}"
    );
}

#[test]
fn referenced_tables_are_created_first() {
    let s = Scenario::new();
    let outcome = s.accept(
        "#[derive(Table)]\nstruct Order {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"customer\")]\n    customer_id: i64,\n}\n#[derive(Table)]\nstruct Customer {\n    #[migrate(primary_key)]\n    id: i64,\n}\n",
    );
    let order: Vec<String> = outcome
        .crate_plan
        .plan
        .unwrap()
        .steps
        .iter()
        .filter(|s| s.description.starts_with("create table"))
        .map(|s| s.description.clone())
        .collect();
    assert_eq!(
        order,
        ["create table public.customer", "create table public.order"]
    );
}

#[test]
fn a_foreign_key_cycle_between_new_tables_is_refused() {
    let s = Scenario::new();
    s.declare(
        "#[derive(Table)]\nstruct A {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"b\")]\n    b_id: i64,\n}\n#[derive(Table)]\nstruct B {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"a\")]\n    a_id: i64,\n}\n",
    );
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("reference each other in a cycle") && text.contains("two releases"),
        "{text}"
    );
}

#[test]
fn a_refusal_owned_by_the_derive_writes_no_plan() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(&V1.replace("email: String", "email: Option<i32>"));
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("reported as compile errors")),
        "{:?}",
        outcome.messages
    );
    assert!(!s.root().join("migrate.pending").exists());
}

#[test]
fn unparsable_sources_skip_planning_instead_of_seeing_drops() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare("struct User { oops");
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("not every source parses")),
        "{:?}",
        outcome.messages
    );
    assert!(outcome.crate_plan.plan.is_none() && outcome.files.is_empty());
    assert!(
        outcome.crate_plan.decisions.is_empty(),
        "no change may be inferred from partial sources"
    );
    assert!(!s.root().join("migrate.pending").exists());
}

#[test]
fn accept_never_overwrites_an_existing_migration_with_other_content() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(V2);
    let snapshot = read(s.snapshot_path());
    let target = s.migrations().join("0002001_add_users_nickname_views.sql");
    std::fs::write(&target, "-- someone else's migration\n").unwrap();
    let err = s.run(Mode::Accept).unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert_eq!(read(&target), "-- someone else's migration\n");
    assert_eq!(
        read(s.snapshot_path()),
        snapshot,
        "the snapshot was accepted despite the conflict"
    );
}

#[test]
fn index_names_must_be_unique_per_schema() {
    let s = Scenario::new();
    s.declare(
        "#[derive(Table)]\n#[migrate(index(name = \"by_name\", columns(name)))]\nstruct A {\n    #[migrate(primary_key)]\n    id: i64,\n    name: String,\n}\n#[derive(Table)]\n#[migrate(index(name = \"by_name\", columns(name)))]\nstruct B {\n    #[migrate(primary_key)]\n    id: i64,\n    name: String,\n}\n",
    );
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("index name `by_name` is used by `A` and `B`"),
        "{text}"
    );
}

#[test]
fn the_example_is_current() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop");
    let out = tempfile::tempdir().unwrap();
    let outcome = migrate_build::Config::new()
        .manifest_dir(&example)
        .out_dir(out.path())
        .cargo_output(false)
        .mode(Mode::Check)
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.crate_plan.plan.is_none());
}
