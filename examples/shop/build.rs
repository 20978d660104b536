//! Diffs the structs in src/ against migrate.snapshot.json and writes the plan.
fn main() {
    migrate_build::compile();
}
