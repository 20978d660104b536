use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    pub id: i64,
    pub name: String,
}

fn main() {}
