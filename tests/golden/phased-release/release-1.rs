#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    nickname: Option<String>,
    legacy: String,
    age: i32,
}
