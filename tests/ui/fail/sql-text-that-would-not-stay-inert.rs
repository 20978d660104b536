// Declared SQL is normalised before it is written out. A control character inside a literal
// would reach the files raw; a literal that sqlparser prints as other text would change its
// meaning; an `allow_unsafe` reason lands in a comment line. Each is refused, with the way out.
use migrate_runtime::Table;

#[derive(Table)]
#[migrate(table_name = "notes")]
pub struct Note {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(default = "'line\rbreak'")]
    pub body: String,
    #[migrate(default = r"'\'''")]
    pub quoted: String,
    #[migrate(allow_unsafe = "empty table everywhere\u{0}")]
    pub count: i32,
}

fn main() {}
