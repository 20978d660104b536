use migrate_runtime::PgEnum;

#[derive(PgEnum)]
pub enum Mood {
    Happy,
    Sad,
    Curious,
}

fn main() {}
