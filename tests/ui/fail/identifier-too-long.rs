use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets_with_a_name_that_postgres_would_silently_truncate_to_63_bytes")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
}


// A name taken from the field itself: the fix is `column_name`.
#[derive(Table)]
#[migrate(table_name = "gadgets")]
pub struct Gadget {
    #[migrate(primary_key)]
    pub id: i64,
    pub a_field_whose_name_is_longer_than_postgres_keeps_for_any_identifier: i32,
}

fn main() {}
