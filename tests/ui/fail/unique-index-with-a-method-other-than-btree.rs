use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(index(method = "hash", unique))]
    pub code: String,
}

fn main() {}
