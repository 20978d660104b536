use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(column_type = "varchar(0)")]
    pub name: String,
    #[migrate(column_type = "char(0)")]
    pub code: String,
}

fn main() {}
