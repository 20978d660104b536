// C6 with a declared value for the NULLs: filled from expand (a trigger for the running
// binary's writes, a batched backfill for the existing rows), NOT NULL in contract. Beside a
// default, which existing NULL rows do not get.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)", unique)]
    pub email: String,
    #[migrate(default = "'anonymous'", backfill = "'anonymous'")]
    pub nickname: String,
    pub age: i32,
    pub legacy: Option<String>,
}

fn main() {}
