// `compute(with = "…", from(..))`: a function path, fields of this struct that are not
// computed themselves, on a field that is not `Option<_>` and has no other value source.
use migrate_runtime::Table;

fn slug(title: &str) -> String {
    title.to_lowercase()
}

#[derive(Table)]
#[migrate(table_name = "articles")]
pub struct Article {
    #[migrate(primary_key)]
    pub id: i64,
    pub title: String,
    #[migrate(compute(with = "slug", from(title)))]
    pub optional: Option<String>,
    #[migrate(compute(with = "slug", from(headline)))]
    pub unknown_source: String,
    #[migrate(compute(with = "slug", from(itself)))]
    pub itself: String,
    #[migrate(compute(with = "slug::<u8>", from(title)))]
    pub generic_path: String,
    #[migrate(compute(from(title)))]
    pub no_function: String,
    #[migrate(default = "''", compute(with = "slug", from(title)))]
    pub with_default: String,
    #[migrate(compute(with = "slug", from(with_default)))]
    pub from_computed: String,
}

fn main() {}
