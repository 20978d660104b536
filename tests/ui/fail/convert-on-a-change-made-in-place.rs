// varchar(320) → text is binary-coercible: done in place, with nothing to convert; and a new
// column has no accepted value to convert.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "users")]
pub struct User {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(unique, convert(to_new = "email::text", to_old = "email::varchar(320)"))]
    pub email: String,
    pub nickname: Option<String>,
    pub age: i32,
    pub legacy: Option<String>,
    #[migrate(convert(to_new = "score::integer", to_old = "score::text"))]
    pub score: Option<i32>,
}

fn main() {}
