// A new NOT NULL column with a default: existing rows get the default, so a `backfill` beside
// it has nothing to do.
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
    #[migrate(default = "0", backfill = "1")]
    pub score: i32,
}

fn main() {}
