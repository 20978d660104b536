// PostgreSQL refuses an aggregate in a CHECK (or a default, or an index), and any function that
// is not IMMUTABLE in an index expression or predicate: each built green and failed at apply.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes")]
#[migrate(check = "count(*) > 0")]
#[migrate(index(expr = "title || now()::text"))]
#[migrate(index(columns(title), where = "created_at > current_date"))]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
    pub title: String,
    #[migrate(column_type = "date")]
    pub created_at: String,
}

fn main() {}
