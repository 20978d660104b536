use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
#[migrate(check = "colour <> ''")]
#[migrate(index(expr = "lower(nam)"))]
#[migrate(index(columns(name), where = "deleted_at IS NULL"))]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    pub name: String,
    #[migrate(check = "Price > 0", column_name = "Price")]
    pub price: i32,
}

fn main() {}
