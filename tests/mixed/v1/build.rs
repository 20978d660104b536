//! Plans this fixture's structs against its snapshot, like any application's build script.
fn main() {
    migrate_build::compile();
}
