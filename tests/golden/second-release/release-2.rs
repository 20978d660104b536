#[derive(Table)]
#[migrate(table_name = "accounts")]
struct Account {
    #[migrate(primary_key, identity)]
    id: i64,
    /// Now indexed: an index on an existing table.
    #[migrate(index)]
    email: String,
    created_at: chrono::DateTime<chrono::Utc>,
    /// C1: nullable, no default.
    nickname: Option<String>,
    /// C2: constant default, NOT NULL.
    #[migrate(default = "'active'", index(name = "accounts_active_idx", where = "state = 'active'"))]
    state: String,
}
