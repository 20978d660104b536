// A type spelled with quotes would be folded to lower case (or be empty): only plain type names.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes")]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "\"Money\"")]
    pub amount: String,
}

fn main() {}
