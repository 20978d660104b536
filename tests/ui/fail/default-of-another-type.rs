use migrate_runtime::{PgEnum, Table};

#[derive(PgEnum)]
pub enum Mood {
    Happy,
    Sad,
}

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(default = "'abc'")]
    pub count: i32,
    #[migrate(default = "true")]
    pub stock: i64,
    #[migrate(default = "'7'::text")]
    pub weight: i32,
    #[migrate(default = "'{not json'")]
    pub attributes: serde_json::Value,
    #[migrate(default = "'40000'::smallint")]
    pub small: i16,
    #[migrate(default = "'happy'::text")]
    pub mood: Mood,
    // Accepted by PostgreSQL: a number for text, '12' for an integer, 1.5 rounded for integer.
    #[migrate(default = "42")]
    pub label: String,
    #[migrate(default = "'12'")]
    pub twelve: i32,
    #[migrate(default = "1.5")]
    pub rounded: i32,
}

fn main() {}
