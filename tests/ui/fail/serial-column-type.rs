use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key, column_type = "bigserial")]
    pub id: i64,
}

fn main() {}
