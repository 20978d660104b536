// A type change with no lossless cast (text → bigint) goes through a shadow column when the
// conversion is declared both ways.
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
    #[migrate(convert(to_new = "nullif(trim(legacy), '')::bigint", to_old = "legacy::text"))]
    pub legacy: Option<i64>,
}

fn main() {}
