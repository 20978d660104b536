use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes")]
#[migrate(foreign_key(columns(reviewer_id), references = "users(id)", on_update = "set default"))]
pub struct Note {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(references = "users", on_delete = "set null")]
    pub author_id: i64,
    pub reviewer_id: i64,
    // Nullable: SET NULL is fine.
    #[migrate(references = "users", on_delete = "set null")]
    pub editor_id: Option<i64>,
}

fn main() {}
