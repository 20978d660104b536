use migrate_runtime::Table;

// `users.id` is bigint: PostgreSQL cannot implement a key from text to it.
#[derive(Table)]
#[migrate(table_name = "notes")]
pub struct Note {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(references = "users")]
    pub author: String,
    // An integer of another width is accepted (integer = bigint exists).
    #[migrate(references = "users")]
    pub editor: Option<i32>,
}

fn main() {}
