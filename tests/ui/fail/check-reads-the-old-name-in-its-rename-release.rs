use migrate_runtime::Table;

// `nickname` becomes `handle` in this release; the CHECK and the index must name the new column.
#[derive(Table)]
#[migrate(table_name = "users")]
#[migrate(index(columns(nickname)))]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    #[migrate(renamed_from = "nickname", check = "nickname <> ''")]
    pub handle: Option<String>,
    pub age: i32,
    pub legacy: Option<String>,
}

fn main() {}
