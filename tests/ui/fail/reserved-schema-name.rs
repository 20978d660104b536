use migrate_runtime::{PgEnum, Table};

#[derive(Table)]
#[migrate(schema = "pg_widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
}

#[derive(PgEnum)]
#[migrate(schema = "information_schema")]
pub enum Shade {
    Light,
    Dark,
}

fn main() {}
