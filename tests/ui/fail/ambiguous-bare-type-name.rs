use migrate_runtime::Table;

// Local types that share a well-known name: the derive cannot see these definitions.
pub struct Uuid([u8; 16]);
pub struct Value(String);

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: Uuid,
    pub data: Value,
}

fn main() {}
