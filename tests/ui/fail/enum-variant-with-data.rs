use migrate_runtime::PgEnum;

#[derive(PgEnum)]
pub enum Shape {
    Circle,
    Square(u32),
}

fn main() {}
