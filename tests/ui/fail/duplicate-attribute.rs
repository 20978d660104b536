use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(column_name = "label", column_name = "title")]
    pub name: String,
}

fn main() {}
