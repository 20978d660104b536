use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets")]
#[migrate(index(columns(tags), method = "gin"))]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(index(method = "gin"))]
    pub stock: i64,
    #[migrate(index(method = "gist"))]
    pub name: String,
    #[migrate(column_type = "json", unique)]
    pub document: serde_json::Value,
    pub tags: Vec<String>,
}

fn main() {}
