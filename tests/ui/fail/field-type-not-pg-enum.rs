use migrate_runtime::Table;

pub struct Colour(u8);

#[derive(Table)]
#[migrate(table_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    pub colour: Option<Colour>,
}

fn main() {}
