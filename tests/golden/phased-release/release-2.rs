#[derive(Table)]
#[migrate(table_name = "users", drop_column = "legacy")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(renamed_from = "email")]
    email_address: String,
    nickname: String,
    #[migrate(check = "age >= 0")]
    age: i32,
    #[migrate(default = "gen_random_uuid()")]
    public_id: uuid::Uuid,
}
