// `backfill` is a value for the NULLs of a NOT NULL column: it is refused on a nullable
// column, on a unique one, and when it reads another column.
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
    #[migrate(backfill = "'x'")]
    pub note: Option<String>,
    #[migrate(unique, backfill = "1")]
    pub score: i32,
    #[migrate(backfill = "lower(email)")]
    pub handle: String,
}

fn main() {}
