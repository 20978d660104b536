use migrate_runtime::Table;

// Tables, indexes and sequences share one namespace per schema.
#[derive(Table)]
#[migrate(table_name = "widgets")]
#[migrate(index(columns(name), name = "widgets"))]
#[migrate(index(columns(code), name = "widgets_id_seq"))]
pub struct Widget {
    #[migrate(primary_key, identity)]
    pub id: i64,
    pub name: String,
    pub code: String,
}

fn main() {}
