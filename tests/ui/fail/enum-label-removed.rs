use migrate_runtime::PgEnum;

#[derive(PgEnum)]
pub enum Mood {
    Happy,
}

fn main() {}
