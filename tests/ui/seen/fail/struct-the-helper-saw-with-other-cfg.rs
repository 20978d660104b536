// The helper evaluated this file's cfgs without `debug_assertions` (as for a cfg the build
// script is not told about, such as one its own `cargo:rustc-cfg` sets); this dev build has it,
// so the compiled struct has a field the planned table lacks.
use migrate_runtime::Table;

#[derive(Table)]
pub struct Ledger {
    #[migrate(primary_key)]
    pub id: i64,
    #[cfg(debug_assertions)]
    pub checked: bool,
}

fn main() {}
