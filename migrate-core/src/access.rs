//! Stage 7, *access*: the statements a struct's generated accessors run, bound to one release's
//! schema of views.
//!
//! Every statement names the view by its schema (`"release_0004"."orders"`), so the binary
//! never depends on `search_path`. Each one binds the struct's columns in declaration order as
//! `$1..$n`: insert, update and upsert all take the same arguments, so the generated code binds
//! a row one way. Names enter only through [`quote_ident`]; the derive turns the text into
//! string literals.

use crate::declare::DeclaredTable;
use crate::sql::quote_ident;

/// The release a crate's accessors read and write through: decided once by the build helper
/// (see [`Binding::decide`]) and handed to the derive in its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The release number.
    pub release: u32,
    /// Its schema of views.
    pub views_schema: String,
    /// Whether that release is a plan still pending review (not accepted yet).
    pub pending: bool,
}

impl Binding {
    /// The release a build binds to. A build whose declarations match the accepted snapshot
    /// binds to the accepted release. A build with a plan pending review binds to that pending
    /// release: its structs are the pending release's, and the accepted release's views lack
    /// their new columns. Its views do not exist in any database until the plan is accepted and
    /// its expand has run, so the runtime refuses to connect such a binary (it is marked
    /// `pending`) instead of letting it fail statement by statement. A CI build (check mode)
    /// never has a pending plan: a difference from the snapshot fails it.
    pub fn decide(
        accepted: &migrate_contract::Release,
        pending: Option<&migrate_contract::Release>,
    ) -> Self {
        match pending {
            Some(next) => Self {
                release: next.number,
                views_schema: next.views_schema.clone(),
                pending: true,
            },
            None => Self {
                release: accepted.number,
                views_schema: accepted.views_schema.clone(),
                pending: false,
            },
        }
    }
}

/// One column as the accessors see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessColumn {
    /// The Rust field name (without `r#`).
    pub field: String,
    /// The SQL column name.
    pub column: String,
    /// Part of the primary key.
    pub key: bool,
    /// Left to the database by `insert_new`: an identity column or one with a default.
    pub database_default: bool,
}

/// A unique constraint an upsert can name as its conflict target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsertTarget {
    /// The constant the struct gets for it: `ON_` and its columns' field names, upper case.
    pub const_name: String,
    /// The constrained columns (SQL names).
    pub columns: Vec<String>,
    /// The statement.
    pub sql: String,
}

/// Every statement of one table's accessors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    /// The view, qualified and quoted: `"release_0004"."orders"`.
    pub view: String,
    /// The columns in declaration order: the order of `$1..$n` and of every `RETURNING`.
    pub columns: Vec<AccessColumn>,
    /// `INSERT` of every column, returning the row.
    pub insert: String,
    /// `INSERT` of the columns not left to the database (`$1..$m` in declaration order), or
    /// `None` when no column is.
    pub insert_new: Option<String>,
    /// Key-bound statements; `None` without a primary key.
    pub keyed: Option<KeyedStatements>,
}

/// The statements that need a primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedStatements {
    /// `SELECT … WHERE key = $1..$k` (the key columns bound in key order).
    pub fetch: String,
    /// `UPDATE … SET non-key = $i WHERE key = $j RETURNING …` (every column bound).
    pub update: String,
    /// `DELETE … WHERE key = $1..$k`.
    pub delete: String,
    /// The key columns, in key order, as indexes into [`Statements::columns`].
    pub key: Vec<usize>,
    /// `INSERT … ON CONFLICT (key) DO UPDATE …` (every column bound).
    pub upsert: String,
    /// One upsert per declared unique constraint.
    pub upsert_on: Vec<UpsertTarget>,
}

impl Statements {
    /// The statements for `table`, through its view in `views_schema`.
    pub fn for_table(table: &DeclaredTable, views_schema: &str) -> Self {
        let key_columns = table.primary_key_columns();
        let columns: Vec<AccessColumn> = table
            .fields
            .iter()
            .map(|f| AccessColumn {
                field: f.rust_name.trim_start_matches("r#").to_owned(),
                column: f.column.clone(),
                key: key_columns.contains(&f.column),
                database_default: f.identity || f.default.is_some(),
            })
            .collect();
        let view = format!(
            "{}.{}",
            quote_ident(views_schema),
            quote_ident(&table.name.name)
        );
        let all = column_list(columns.iter());
        let returning = format!(" RETURNING {all}");
        let insert = format!(
            "INSERT INTO {view} ({all}) VALUES ({}){returning}",
            params(1..=columns.len())
        );
        let insert_new = columns.iter().any(|c| c.database_default).then(|| {
            let given: Vec<&AccessColumn> =
                columns.iter().filter(|c| !c.database_default).collect();
            if given.is_empty() {
                format!("INSERT INTO {view} DEFAULT VALUES{returning}")
            } else {
                format!(
                    "INSERT INTO {view} ({}) VALUES ({}){returning}",
                    column_list(given.iter().copied()),
                    params(1..=given.len())
                )
            }
        });
        let key: Vec<usize> = key_columns
            .iter()
            .filter_map(|k| columns.iter().position(|c| &c.column == k))
            .collect();
        let keyed = (!key.is_empty() && key.len() == key_columns.len()).then(|| {
            let by_position = |positions: &mut dyn Iterator<Item = (usize, usize)>| {
                positions
                    .map(|(column, param)| {
                        format!("{} = ${param}", quote_ident(&columns[column].column))
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ")
            };
            let key_by_order = by_position(&mut key.iter().enumerate().map(|(i, &c)| (c, i + 1)));
            let key_by_column = by_position(&mut key.iter().map(|&c| (c, c + 1)));
            let set: Vec<String> = non_key_or_all(&columns)
                .map(|(i, c)| format!("{} = ${}", quote_ident(&c.column), i + 1))
                .collect();
            let upsert_for = |target: &[String]| {
                let conflict = target
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", ");
                // An upsert on another unique constraint never moves the row's key: the
                // conflicting row keeps it (children and references keep pointing at it).
                let on_key = target.len() == key_columns.len()
                    && target.iter().all(|t| key_columns.contains(t));
                let updates: Vec<String> = columns
                    .iter()
                    .filter(|c| !target.contains(&c.column) && (on_key || !c.key))
                    .map(|c| {
                        let name = quote_ident(&c.column);
                        format!("{name} = EXCLUDED.{name}")
                    })
                    .collect();
                let action = if updates.is_empty() {
                    // DO NOTHING would return no row; set a target column to itself instead.
                    let name = quote_ident(&target[0]);
                    format!("DO UPDATE SET {name} = EXCLUDED.{name}")
                } else {
                    format!("DO UPDATE SET {}", updates.join(", "))
                };
                format!(
                    "INSERT INTO {view} ({all}) VALUES ({}) ON CONFLICT ({conflict}) {action}{returning}",
                    params(1..=columns.len())
                )
            };
            let upsert_on = table
                .uniques
                .iter()
                .filter_map(|u| {
                    let fields: Vec<&crate::declare::DeclaredField> = u
                        .columns
                        .iter()
                        .map(|c| table.field(&c.value))
                        .collect::<Option<_>>()?;
                    let target: Vec<String> = fields.iter().map(|f| f.column.clone()).collect();
                    let const_name = format!(
                        "ON_{}",
                        fields
                            .iter()
                            .map(|f| f.rust_name.trim_start_matches("r#").to_uppercase())
                            .collect::<Vec<_>>()
                            .join("_")
                    );
                    Some(UpsertTarget {
                        sql: upsert_for(&target),
                        const_name,
                        columns: target,
                    })
                })
                .fold(Vec::<UpsertTarget>::new(), |mut acc, mut t| {
                    // Two constraints over the same columns (in any order) are one target.
                    let mut set = t.columns.clone();
                    set.sort_unstable();
                    if acc.iter().any(|a| {
                        let mut other = a.columns.clone();
                        other.sort_unstable();
                        other == set
                    }) {
                        return acc;
                    }
                    // Other columns whose name is taken (`a_b` and `(a, b)`): `_2`, `_3`, … so
                    // no constraint loses its target.
                    let base = t.const_name.clone();
                    let mut n = 1;
                    while acc.iter().any(|a| a.const_name == t.const_name) {
                        n += 1;
                        t.const_name = format!("{base}_{n}");
                    }
                    acc.push(t);
                    acc
                });
            KeyedStatements {
                fetch: format!("SELECT {all} FROM {view} WHERE {key_by_order}"),
                update: format!(
                    "UPDATE {view} SET {} WHERE {key_by_column}{returning}",
                    set.join(", ")
                ),
                delete: format!("DELETE FROM {view} WHERE {key_by_order}"),
                upsert: upsert_for(&key_columns),
                upsert_on,
                key,
            }
        });
        Self {
            view,
            columns,
            insert,
            insert_new,
            keyed,
        }
    }
}

/// The columns an update sets: every non-key column, or the key itself when there is none
/// (a key-only table), so the statement stays valid and still returns the row.
fn non_key_or_all(columns: &[AccessColumn]) -> impl Iterator<Item = (usize, &AccessColumn)> {
    let only_key = columns.iter().all(|c| c.key);
    columns
        .iter()
        .enumerate()
        .filter(move |(_, c)| only_key || !c.key)
}

fn column_list<'a>(columns: impl Iterator<Item = &'a AccessColumn>) -> String {
    columns
        .map(|c| quote_ident(&c.column))
        .collect::<Vec<_>>()
        .join(", ")
}

fn params(range: std::ops::RangeInclusive<usize>) -> String {
    range
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::Statements;

    fn statements(source: &str) -> Statements {
        let input: syn::DeriveInput = syn::parse_str(source).expect("parses");
        let table = crate::declare::parse_table(&input).expect("declares");
        Statements::for_table(&table, "release_0002")
    }

    #[test]
    fn upsert_targets_never_share_a_name_or_move_the_key() {
        let s = statements(
            "#[migrate(unique(a, b))] #[migrate(unique(b, a))] struct T { #[migrate(primary_key)] id: i64, #[migrate(unique)] a_b: String, a: i64, b: i64 }",
        );
        let keyed = s.keyed.expect("a key");
        let names: Vec<(&str, Vec<&str>)> = keyed
            .upsert_on
            .iter()
            .map(|t| {
                (
                    t.const_name.as_str(),
                    t.columns.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [("ON_A_B", vec!["a", "b"]), ("ON_A_B_2", vec!["a_b"])],
            "(a, b) and (b, a) are one target; a_b gets a name of its own"
        );
        for target in &keyed.upsert_on {
            assert!(!target.sql.contains("\"id\" = EXCLUDED"), "{}", target.sql);
        }
        assert!(
            keyed.upsert.contains("ON CONFLICT (\"id\")"),
            "{}",
            keyed.upsert
        );
    }
}
