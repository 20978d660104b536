// Names are written into comment lines of the generated files: one holding a line break would
// end the comment, and what follows would run as SQL. Every name refuses control characters.
use migrate_runtime::{PgEnum, Table};

#[derive(PgEnum)]
#[migrate(type_name = "mood\r")]
pub enum Mood {
    #[migrate(rename = "hap\tpy")]
    Happy,
    Sad,
}

#[derive(Table)]
#[migrate(table_name = "evil\nDELETE FROM posts;\n--")]
#[migrate(index(columns(email), name = "email_idx\n;DROP TABLE posts"))]
#[migrate(check(name = "positive\u{2028}", expr = "id > 0"))]
pub struct Post {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_name = "email\u{0}")]
    pub email: String,
}

fn main() {}
