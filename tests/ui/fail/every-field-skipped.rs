use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(skip)]
    pub id: i64,
    #[migrate(skip)]
    pub name: String,
}

fn main() {}
