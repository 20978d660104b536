// `schema.table` must read one way only: a schema name cannot hold a dot.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes", schema = "app.v2")]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
}

fn main() {}
