use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(default = "0; DROP TABLE users")]
    pub stock: i64,
}

fn main() {}
