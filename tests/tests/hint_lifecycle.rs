//! Hints live one release: `renamed_from`, `drop`, `drop_column`, `backfill` and `convert` are
//! welcome in the builds of the release that accepted their change, and refused as soon as a
//! build plans the next release, in review as in accept, before anything is written. No
//! database.

use migrate_build::Mode;
use migrate_tests::scenario::Scenario;

const WITH_LEGACY: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    legacy: Option<String>,
}

#[derive(Table)]
#[migrate(table_name = "sessions")]
struct Session {
    #[migrate(primary_key, identity)]
    id: i64,
}
"#;

/// Release 2: `legacy` and the `sessions` table dropped, `email` renamed.
const DROPPED: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users", drop_column = "legacy")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(renamed_from = "email")]
    email_address: String,
}

#[derive(Table)]
#[migrate(table_name = "sessions", drop)]
struct Session {
    #[migrate(primary_key, identity)]
    id: i64,
}
"#;

/// Release 3 planned while every hint of release 2 is still there.
const NEXT_WITH_OLD_HINTS: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users", drop_column = "legacy")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(renamed_from = "email")]
    email_address: String,
    nickname: Option<String>,
}

#[derive(Table)]
#[migrate(table_name = "sessions", drop)]
struct Session {
    #[migrate(primary_key, identity)]
    id: i64,
}
"#;

const NEXT: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email_address: String,
    nickname: Option<String>,
}
"#;

/// What the derive reports for each struct of `source` against the accepted snapshot, as the
/// compiler would print it (message, then help).
fn derive_errors(s: &Scenario, source: &str) -> String {
    let file: syn::File = syn::parse_str(source).expect("Rust source");
    let snapshot = s.snapshot();
    let mut out = String::new();
    for item in file.items {
        let syn::Item::Struct(item) = item else {
            continue;
        };
        let input: syn::DeriveInput = item.into();
        let diagnostics = match migrate_core::declare::parse_table(&input) {
            Ok(decl) => migrate_core::pipeline::check_table(&snapshot.schema, &decl),
            Err(diagnostics) => diagnostics,
        };
        for d in diagnostics {
            out.push_str(&format!("{}\n  help: {:?}\n", d.message, d.help));
        }
    }
    out
}

fn accepted_twice() -> Scenario {
    let s = Scenario::new();
    s.accept(WITH_LEGACY);
    s.accept(DROPPED);
    s
}

#[test]
fn drop_and_drop_column_stay_welcome_in_the_release_that_accepted_them() {
    let s = accepted_twice();
    for mode in [Mode::Review, Mode::Check, Mode::Accept] {
        s.declare(DROPPED);
        let outcome = s.run(mode).unwrap_or_else(|e| {
            panic!("{mode:?}: the accepted release's hints were refused:\n{e}")
        });
        assert!(outcome.crate_plan.plan.is_none(), "{mode:?} planned again");
    }
    assert_eq!(s.snapshot().release.number, 2);
}

#[test]
fn hints_kept_into_the_next_release_fail_review_before_anything_is_written() {
    let s = accepted_twice();
    let snapshot_before = std::fs::read_to_string(s.snapshot_path()).unwrap();
    s.declare(NEXT_WITH_OLD_HINTS);
    for mode in [Mode::Review, Mode::Accept] {
        let err = s
            .run(mode)
            .expect_err("old hints in a new release")
            .to_string();
        for hint in [
            "drop_column = \"legacy\"",
            "renamed_from = \"email\"",
            "`drop`",
        ] {
            assert!(err.contains(hint), "{mode:?}: {hint} not named:\n{err}");
        }
        assert!(
            err.contains("was for a change an accepted release made"),
            "{err}"
        );
        assert!(
            !s.root().join("migrate.pending").exists(),
            "{mode:?} wrote a pending plan"
        );
        assert!(s.release_files(3).is_empty(), "{mode:?} wrote release 3");
        assert_eq!(
            std::fs::read_to_string(s.snapshot_path()).unwrap(),
            snapshot_before,
            "{mode:?} changed the snapshot"
        );
    }
    // Without the old hints, release 3 is planned, and its snapshot forgets the drops.
    s.accept(NEXT);
    let snapshot = s.snapshot();
    assert_eq!(snapshot.release.number, 3);
    assert!(snapshot.schema.dropped_tables.is_empty());
    let users = snapshot.schema.tables.get("public.users").unwrap();
    assert!(users.dropped_columns.is_empty());
}

#[test]
fn drop_column_one_release_late_is_stale() {
    let s = accepted_twice();
    s.accept(NEXT);
    let source = r#"
#[derive(Table)]
#[migrate(table_name = "users", drop_column = "legacy")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email_address: String,
    nickname: Option<String>,
}
"#;
    let err = derive_errors(&s, source);
    assert!(err.contains("matches no column of `public.users`"), "{err}");
}

#[test]
fn renamed_from_naming_the_table_itself_says_so() {
    let s = Scenario::new();
    s.accept(WITH_LEGACY);
    let source = WITH_LEGACY.replace(
        "#[migrate(table_name = \"sessions\")]",
        "#[migrate(table_name = \"sessions\", renamed_from = \"sessions\")]",
    );
    let err = derive_errors(&s, &source);
    assert!(err.contains("names the table itself"), "{err}");
    assert!(!err.contains("both `"), "{err}");
}

#[test]
fn rename_hint_naming_a_column_that_never_existed_does_not_say_it_is_gone() {
    let s = Scenario::new();
    s.accept(WITH_LEGACY);
    let source = WITH_LEGACY.replace(
        "    email: String,",
        "    #[migrate(renamed_from = \"mail\")]\n    email: String,",
    );
    let err = derive_errors(&s, &source);
    assert!(
        err.contains("has no column `mail` in the snapshot"),
        "{err}"
    );
    assert!(!err.contains("is gone"), "{err}");
}

#[test]
fn renamed_from_naming_the_column_itself_says_so() {
    let s = Scenario::new();
    s.accept(WITH_LEGACY);
    let source = WITH_LEGACY.replace(
        "    email: String,",
        "    #[migrate(renamed_from = \"email\")]\n    email: String,",
    );
    let err = derive_errors(&s, &source);
    // The attribute parser catches this one, before the diff.
    assert!(err.contains("names the column's current name"), "{err}");
    assert!(!err.contains("both exist"), "{err}");
}
