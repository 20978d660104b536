//! The quoting the renderer relies on, checked against the real server: a literal written by
//! `quote_literal` reads back as exactly its text whether or not the session runs with
//! `standard_conforming_strings`, an identifier from `quote_ident` names exactly its text, and a
//! `RAISE` message from `raise_message` is printed as written, `%` included.

use migrate_core::sql::{quote_ident, quote_literal, raise_message};
use migrate_tests::pg::TestDb;
use sqlx::{Column, Row};

const SAMPLES: &[&str] = &[
    "plain",
    "it's",
    "back\\slash",
    "\\'",
    "''",
    "a\\'; DROP TABLE posts; --",
    "$$",
    "$x$ */ /* --",
    "50% done",
    "\"quoted\"",
    "é ü 中 🦀",
];

#[tokio::test]
async fn quoted_literals_and_identifiers_read_back_exactly_under_either_string_setting() {
    let db = TestDb::create().await;
    let mut conn = db.connection().await;
    for setting in ["on", "off"] {
        sqlx::raw_sql(&format!(
            "SET standard_conforming_strings = {setting}; SET escape_string_warning = off"
        ))
        .execute(&mut conn)
        .await
        .expect("set");
        for text in SAMPLES {
            // The simple-query protocol, as `sqlx migrate run` sends a file.
            let sql = format!("SELECT {} AS {}", quote_literal(text), quote_ident(text));
            let row = sqlx::raw_sql(&sql)
                .fetch_one(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql} (standard_conforming_strings {setting}): {e}"));
            let value: String = row.get(0);
            assert_eq!(
                value, *text,
                "{sql} with standard_conforming_strings {setting}"
            );
            assert_eq!(row.columns()[0].name(), *text, "{sql}");
        }
    }
}

#[tokio::test]
async fn raise_messages_print_as_written() {
    let db = TestDb::create().await;
    for text in SAMPLES {
        let sql = format!(
            "DO $do$\nBEGIN\n    RAISE EXCEPTION {};\nEND\n$do$;",
            raise_message(text)
        );
        let err = sqlx::raw_sql(&sql)
            .execute(&db.pool)
            .await
            .expect_err("the block raises");
        let message = err
            .as_database_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_else(|| panic!("{sql}: {err}"));
        assert_eq!(message, *text, "{sql}");
    }
}
