//! The snapshot is input: a hand edit or a hostile commit can put anything in it, and what it
//! holds reaches the generated SQL. Each case edits an accepted snapshot the way an attacker
//! would and checks that the build stops, names the file, the line and the value, and leaves
//! the file as it found it. No database.

use migrate_build::Mode;
use migrate_tests::scenario::Scenario;

const V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(default = "'none'")]
    email: String,
}
"#;

const V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(default = "'none'")]
    email: String,
    nickname: Option<String>,
}
"#;

/// Accepts V1, replaces `from` by `to` in the snapshot (exactly once), declares V2 and builds
/// in review mode: returns the error text, after checking the snapshot was left alone.
fn refused_after_editing(from: &str, to: &str) -> String {
    let s = Scenario::new();
    s.accept(V1);
    let path = s.snapshot_path();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "`{from}` in:\n{text}");
    let edited = text.replacen(from, to, 1);
    std::fs::write(&path, &edited).unwrap();
    s.declare(V2);
    let err = match s.run(Mode::Review) {
        Ok(_) => panic!("the build accepted a snapshot edited to hold {to}"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        edited,
        "the snapshot was rewritten"
    );
    assert!(
        !s.root().join("migrate.pending").exists(),
        "a plan was written from the edited snapshot"
    );
    err
}

/// The 1-based line of the first line holding `needle` in the accepted V1 snapshot, edited.
fn line_of(from: &str, to: &str, needle: &str) -> usize {
    let s = Scenario::new();
    s.accept(V1);
    let text = std::fs::read_to_string(s.snapshot_path()).unwrap();
    let edited = text.replacen(from, to, 1);
    edited.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn snapshot_column_type_carrying_a_statement_is_refused_with_file_line_and_value() {
    let from = r#""type": "text""#;
    let to = r#""type": "text; DELETE FROM posts; --""#;
    let err = refused_after_editing(from, to);
    let line = line_of(from, to, "DELETE FROM posts");
    assert!(
        err.contains(&format!("migrate.snapshot.json:{line}:")),
        "no file and line {line}: {err}"
    );
    assert!(err.contains("columns[1].type"), "{err}");
    assert!(err.contains("text; DELETE FROM posts; --"), "{err}");
}

#[test]
fn snapshot_column_name_holding_a_line_break_is_refused() {
    let from = r#""name": "email""#;
    let to = r#""name": "email\nDELETE FROM posts;\n--""#;
    let err = refused_after_editing(from, to);
    assert!(err.contains("columns[1].name"), "{err}");
    assert!(err.contains("control character U+000A"), "{err}");
}

#[test]
fn snapshot_default_carrying_a_second_statement_is_refused() {
    let from = r#""default": "'none'""#;
    let to = r#""default": "'none'; DROP TABLE users""#;
    let err = refused_after_editing(from, to);
    assert!(err.contains("columns[1].default"), "{err}");
    assert!(err.contains("not a single SQL expression"), "{err}");
}

#[test]
fn snapshot_table_name_holding_a_quote_and_a_statement_is_refused_unless_it_is_the_key() {
    // A name may hold quotes (they are doubled when quoted), but the map key must agree with
    // it: an edit that changes one of them is caught.
    let from = r#""name": "users""#;
    let to = r#""name": "users\"; DROP TABLE users; --""#;
    let err = refused_after_editing(from, to);
    assert!(err.contains("the key must be the table's name"), "{err}");
}

#[test]
fn snapshot_naming_a_generated_file_outside_the_crate_is_refused() {
    let s = Scenario::new();
    s.accept(V1);
    let text = std::fs::read_to_string(s.snapshot_path()).unwrap();
    let at = text.find("\"migrations/").expect("a generated file");
    let to = "\"../../outside.sql\": \"".to_owned() + &"0".repeat(64) + "\",\n    ";
    let edited = format!("{}{}{}", &text[..at], to, &text[at..]);
    std::fs::write(s.snapshot_path(), &edited).unwrap();
    s.declare(V2);
    let err = s.run(Mode::Review).unwrap_err().to_string();
    assert!(err.contains("../../outside.sql"), "{err}");
    assert!(err.contains("relative path inside the crate"), "{err}");
    assert_eq!(std::fs::read_to_string(s.snapshot_path()).unwrap(), edited);
}

#[test]
fn allow_unsafe_reason_with_line_breaks_stays_in_one_comment_line() {
    let s = Scenario::new();
    s.accept(V1);
    s.accept(
        r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(default = "'none'")]
    email: String,
    #[migrate(allow_unsafe = "the table is empty\r\nDELETE FROM users; --")]
    age: i32,
}
"#,
    );
    let files = s.release_files(2);
    let unsafe_file = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|text| text.contains("UNSAFE"))
        .expect("a file with the allowed step");
    assert!(
        unsafe_file
            .lines()
            .any(|l| l == "-- UNSAFE, allowed: the table is empty DELETE FROM users; --"),
        "{unsafe_file}"
    );
    assert!(!unsafe_file.contains('\r'), "{unsafe_file}");
    assert!(
        !unsafe_file
            .lines()
            .any(|l| l.trim_start().starts_with("DELETE")),
        "{unsafe_file}"
    );
}
