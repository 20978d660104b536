// Every PostgreSQL table has the system columns xmin, xmax, cmin, cmax, ctid and tableoid;
// CREATE TABLE refuses a column of the same name, so the build refuses it first.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes")]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
    pub xmin: i32,
    #[migrate(column_name = "ctid")]
    pub position: i32,
}

fn main() {}
