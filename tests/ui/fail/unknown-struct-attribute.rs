use migrate_runtime::Table;

#[derive(Table)]
#[migrate(tabel_name = "widgets")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
}

fn main() {}
