// The accepted schema, declared again with fields reordered and doc comments changed: no error.
use migrate_runtime::{PgEnum, Table};

#[derive(PgEnum)]
pub enum Mood {
    Happy,
    Sad,
}

/// Users, documented differently from the fixture.
#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    pub age: i32,
    /// The address we write to.
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    #[migrate(primary_key, identity)]
    pub id: i64,
    pub legacy: Option<String>,
    pub nickname: Option<String>,
}

fn main() {
    use migrate_runtime::{PgEnum as _, Table as _};
    assert_eq!(User::TABLE, "users");
    assert_eq!(Mood::LABELS, ["happy", "sad"]);
    assert_eq!(Mood::from_label("sad").map(|m| m.label()), Some("sad"));
}
