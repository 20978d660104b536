use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users", drop_column = "legacy")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    pub age: i32,
    #[migrate(renamed_from = "legacy")]
    pub former: Option<String>,
}

fn main() {}
