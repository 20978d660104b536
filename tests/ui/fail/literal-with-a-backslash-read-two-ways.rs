// Under standard_conforming_strings = off, PostgreSQL reads `\'` inside '…' as a quote that does
// not end the literal, so what follows would run as SQL; a '…' literal with a backslash is
// refused, and E'…' (the same under either setting) is the way.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes")]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(default = r"'a\'")]
    pub title: String,
    #[migrate(default = r"E'a\\'")]
    pub body: String,
}

fn main() {}
