// Safe changes compile: a nullable column, a constant default, an index, a new table.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    #[migrate(index)]
    pub age: i32,
    pub legacy: Option<String>,
    pub bio: Option<String>,
    #[migrate(default = "false")]
    pub verified: bool,
}

#[derive(Table)]
#[migrate(table_name = "sessions")]
pub struct Session {
    #[migrate(primary_key)]
    pub token: String,
    #[migrate(references = "users", on_delete = "cascade")]
    pub user_id: i64,
}

fn main() {}
