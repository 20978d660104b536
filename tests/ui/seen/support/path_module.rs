// Reached from a UI case through `#[path]`.
#[derive(migrate_runtime::Table)]
pub struct FromPath {
    #[migrate(primary_key)]
    pub id: i64,
}
