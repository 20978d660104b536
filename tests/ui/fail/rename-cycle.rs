use migrate_runtime::Table;

// Swapping two names in one release.
#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    #[migrate(renamed_from = "legacy")]
    pub nickname: Option<String>,
    pub age: i32,
    #[migrate(renamed_from = "nickname")]
    pub legacy: Option<String>,
}

fn main() {}
