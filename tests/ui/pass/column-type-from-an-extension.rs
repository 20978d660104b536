use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "accounts")]
pub struct Account {
    #[migrate(primary_key)]
    pub id: uuid::Uuid,
    #[migrate(column_type = "citext", extension = "citext", unique)]
    pub email: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[migrate(references = "users")]
    pub owner_id: i32,
}

fn main() {}
