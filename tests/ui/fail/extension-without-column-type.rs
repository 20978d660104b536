use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(extension = "citext")]
    pub name: String,
    #[migrate(column_type = "text", extension = "citext")]
    pub label: String,
}

fn main() {}
