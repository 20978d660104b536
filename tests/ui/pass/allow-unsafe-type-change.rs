// The escape hatch: a refused change compiles when a written reason is declared.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    #[migrate(allow_unsafe = "users has 40 rows; the rewrite takes milliseconds")]
    pub age: i16,
    pub legacy: Option<String>,
}

fn main() {}
