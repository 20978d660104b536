// A table's schema cannot take a release schema's name (contract drops those), and SQL in an
// attribute cannot hold a dollar-quoted string (the generated `DO $$ … $$` blocks carry it).
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes", schema = "release_0007")]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(default = "$$draft$$")]
    pub body: String,
}

fn main() {}
