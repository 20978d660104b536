// integer to smallint loses values: no shadow column can mirror the old binary's writes.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    pub age: i16,
    pub legacy: Option<String>,
}

fn main() {}
