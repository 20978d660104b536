// Pulled into a UI case with `include!`: the build helper never reads it.
#[derive(migrate_runtime::Table)]
pub struct Included {
    #[migrate(primary_key)]
    pub id: i64,
}
