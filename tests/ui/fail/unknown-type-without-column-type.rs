use std::collections::HashMap;

use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    pub labels: HashMap<String, String>,
}

fn main() {}
