// C10: integer to bigint is lossless, so it is planned through a shadow column and compiles.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    pub age: i64,
    pub legacy: Option<String>,
}

fn main() {}
