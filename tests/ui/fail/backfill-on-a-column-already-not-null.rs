// `backfill` gives NULLs a value in the release that adds the column or makes it NOT NULL;
// on a column that is NOT NULL already there are none.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    pub nickname: Option<String>,
    #[migrate(backfill = "0")]
    pub age: i32,
    pub legacy: Option<String>,
}

fn main() {}
