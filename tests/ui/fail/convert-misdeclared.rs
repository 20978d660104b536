// `convert` needs both directions, each reading only the column it converts.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    #[migrate(convert(to_new = "nickname::integer"))]
    pub nickname: Option<i32>,
    #[migrate(convert(to_new = "age::text || email", to_old = "42"))]
    pub age: String,
    #[migrate(convert(to_new = "legacy::bigint", back = "legacy::text"))]
    pub legacy: Option<i64>,
}

fn main() {}
