// C4 made safe: a new NOT NULL column with a value for the existing rows only.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    pub age: i32,
    pub legacy: Option<String>,
    #[migrate(backfill = "'free'")]
    pub plan: String,
}

fn main() {}
