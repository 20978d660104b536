#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(unique)]
    email: String,
    nickname: Option<String>,
    token: Option<uuid::Uuid>,
    legacy: String,
}
