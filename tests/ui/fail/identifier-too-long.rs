use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets_with_a_name_that_postgres_would_silently_truncate_to_63_bytes")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
}

fn main() {}
