#[derive(Table)]
#[migrate(table_name = "accounts")]
struct Account {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    created_at: chrono::DateTime<chrono::Utc>,
}
