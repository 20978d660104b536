// `MIGRATE_MANIFEST` names a file that is not the build helper's manifest (ui.rs points it at
// `migrate.manifest` beside this case): the derive cannot tell what the helper saw, so it fails.
#[derive(migrate_runtime::Table)]
pub struct Account {
    #[migrate(primary_key)]
    pub id: i64,
}

fn main() {}
