// A default of the right type but too large for the column: CREATE TABLE takes it, and then
// every insert that uses it fails ("smallint out of range", "numeric field overflow", "value
// too long"). Refused on the default.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes")]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(default = "300000")]
    pub rank: i16,
    #[migrate(column_type = "numeric(3,2)", default = "9.996")]
    pub score: String,
    #[migrate(column_type = "varchar(2)", default = "'toolong'")]
    pub code: String,
}

fn main() {}
