use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
#[migrate(check = "EXISTS (SELECT 1 FROM users)")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(check = "price < (SELECT max(age) FROM users)")]
    pub price: i32,
    #[migrate(default = "(SELECT 1)")]
    pub count: i32,
}

fn main() {}
