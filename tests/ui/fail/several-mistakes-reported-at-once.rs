use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "widgets", colour = "red")]
pub struct Widget {
    #[migrate(primary_key)]
    pub id: i64,
    #[migrate(default = "'unterminated")]
    pub name: String,
    pub count: u64,
}

fn main() {
    // The fallback expansion still implements the trait: no cascade of follow-on errors.
    use migrate_runtime::Table as _;
    let _ = Widget::TABLE;
}
