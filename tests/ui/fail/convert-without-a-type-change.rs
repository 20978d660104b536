// `convert` applies in the release that changes the column's type; `age` keeps its type.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    #[migrate(convert(to_new = "age::integer", to_old = "age::integer"))]
    pub age: i32,
    pub legacy: Option<String>,
}

fn main() {}
