// The build helper does not expand macros: a table struct a `macro_rules!` writes is never
// planned, so its derive fails instead of leaving the table silently missing.
use migrate_runtime::Table;

macro_rules! table {
    ($name:ident) => {
        #[derive(Table)]
        pub struct $name {
            #[migrate(primary_key)]
            pub id: i64,
        }
    };
}

table!(Generated);

fn main() {}
