//! "Binary 2" of the mixed-version tests: the structs of release 2, over release 1's history
//! (`mixed-v1`), with the accessors the derive gives them.

use migrate_runtime::{PgEnum, Table};

migrate_runtime::include_schema!();

/// A PostgreSQL enum, encoded and decoded by its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PgEnum)]
#[migrate(type_name = "mood")]
pub enum Mood {
    /// `calm`.
    Calm,
    /// `busy`.
    Busy,
}

/// Accessor basics: an identity key, a unique column, enums, a default and a skipped field.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "members")]
pub struct Member {
    /// Left to the database by `NewMember`.
    #[migrate(primary_key, identity)]
    pub id: i64,
    /// The upsert target `Member::ON_EMAIL`.
    #[migrate(unique)]
    pub email: String,
    /// An array of an enum.
    pub moods: Vec<Mood>,
    /// A nullable enum.
    pub mood: Option<Mood>,
    /// Left to the database by `NewMember`.
    #[migrate(default = "now()")]
    pub joined_at: chrono::DateTime<chrono::Utc>,
    /// Not a column: read back as its default.
    #[migrate(skip)]
    pub cache: Option<String>,
}

/// A composite primary key.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "memberships", primary_key(member_id, team))]
pub struct Membership {
    /// First key column.
    pub member_id: i64,
    /// Second key column.
    pub team: String,
    /// The only other column.
    pub role: String,
}

/// Kind `rename_column`: release 2 renames `note` to `remark`.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "notes")]
pub struct Note {
    /// Key.
    #[migrate(primary_key)]
    pub id: i64,
    /// Unchanged.
    pub body: String,
    /// Renamed in release 2 from `note`.
    #[migrate(renamed_from = "note")]
    pub remark: Option<String>,
}

/// Kind `rename_table`: release 2 calls the table `widgets`.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "widgets", renamed_from = "gadgets")]
pub struct Widget {
    /// Key.
    #[migrate(primary_key)]
    pub id: i64,
    /// Unchanged.
    pub label: String,
}

/// Kind `type_change_sql`: release 2 widens `hits` to bigint (a shadow column kept in step
/// by the planner's conversion triggers).
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "counters")]
pub struct Counter {
    /// Key.
    #[migrate(primary_key)]
    pub id: i64,
    /// Widened in release 2.
    pub hits: i64,
}

/// Kind `volatile_default`: release 2 adds `public_ref` with `gen_random_uuid()`.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "tickets")]
pub struct Ticket {
    /// Key.
    #[migrate(primary_key)]
    pub id: i64,
    /// Unchanged.
    pub title: String,
    /// Added in release 2: new rows get theirs from the default, a backfill fills the rest.
    #[migrate(default = "gen_random_uuid()")]
    pub public_ref: Option<uuid::Uuid>,
}

/// Kind `dropped_column`: release 2 drops `legacy`.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "profiles", drop_column = "legacy")]
pub struct Profile {
    /// Key.
    #[migrate(primary_key)]
    pub id: i64,
    /// Unchanged.
    pub name: String,
}

/// Kind `not_null_backfill`: release 2 makes `sku` NOT NULL, filling `'none'`.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "items")]
pub struct Item {
    /// Key.
    #[migrate(primary_key)]
    pub id: i64,
    /// NOT NULL in release 2.
    #[migrate(backfill = "'none'")]
    pub sku: String,
}

/// Kind `rust_computed`: release 2 adds `slug`, computed from `title` by [`slug_of`]: on every
/// write of these accessors, on reading a row binary 1 wrote, and by the runner's backfill.
#[derive(Debug, Clone, PartialEq, Table)]
#[migrate(table_name = "posts")]
pub struct Post {
    /// Key.
    #[migrate(primary_key)]
    pub id: i64,
    /// Unchanged.
    pub title: String,
    /// New in release 2; whatever a writer puts here, the accessors store `slug_of(title)`.
    #[migrate(compute(with = "slug_of", from(title)))]
    pub slug: String,
}

/// The slug of a title: lowercase ASCII letters and digits, runs of anything else as one `-`.
/// No SQL expression in the plan computes it: only this function does.
pub fn slug_of(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}
