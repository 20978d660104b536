use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(default = "now(")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn main() {}
