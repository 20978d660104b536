use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
#[migrate(index(columns(name, colour)))]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() {}
