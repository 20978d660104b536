use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    #[migrate(renamed_from = "nickname")]
    pub handle: Option<String>,
    #[migrate(renamed_from = "nickname")]
    pub alias: Option<String>,
    pub age: i32,
    pub legacy: Option<String>,
}

fn main() {}
