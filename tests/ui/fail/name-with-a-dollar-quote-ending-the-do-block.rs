// Names are written inside the generated `DO $$ … $$` blocks; PostgreSQL ends such a block at
// the first `$$`, even inside quotes, and runs what follows. A name or label holding a
// dollar-quote delimiter is refused.
use migrate_runtime::{PgEnum, Table};

#[derive(PgEnum)]
#[migrate(type_name = "mood$$x")]
pub enum Mood {
    #[migrate(rename = "l$$; DELETE FROM posts; --")]
    Happy,
    Sad,
}

#[derive(Table)]
#[migrate(table_name = "notes")]
#[migrate(check(name = "positive$tag$", expr = "id > 0"))]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
}

fn main() {}
