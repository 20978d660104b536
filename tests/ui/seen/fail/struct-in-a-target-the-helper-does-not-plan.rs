// A crate root the build helper does not follow, like an example, integration test or bench of
// a package with the helper (cargo gives those targets its manifest too): ui.rs leaves this file
// out of the roots it gives the helper, as the helper leaves out `examples/`.
#[derive(migrate_runtime::Table)]
pub struct InAnExample {
    #[migrate(primary_key)]
    pub id: i64,
}

fn main() {}
