// Checked against the build helper's manifest of these files: what it sees after `#[cfg]` and
// `#[cfg_attr]`, in a module in a function body and in a `#[path]` module, is what rustc compiles.
#![allow(unexpected_cfgs)] // `feature = "never-enabled"` is declared nowhere, on purpose.

use migrate_runtime::Table;

/// Accounts.
#[derive(Table)]
#[cfg_attr(all(), migrate(table_name = "seen_accounts"))]
pub struct Account {
    #[migrate(primary_key)]
    pub id: i64,
    /// Only in `cargo test`.
    #[cfg(test)]
    pub only_in_tests: String,
    #[cfg(any())]
    pub never: String,
    #[cfg(feature = "never-enabled")]
    pub gated: String,
    #[cfg_attr(not(feature = "never-enabled"), migrate(column_name = "label_text"))]
    pub label: Option<String>,
}

fn helpers() -> &'static str {
    mod in_fn {
        #[derive(migrate_runtime::Table)]
        pub struct InFunction {
            #[migrate(primary_key)]
            pub id: i64,
        }
    }
    <in_fn::InFunction as Table>::TABLE
}

#[path = "../support/path_module.rs"]
mod path_module;

fn main() {
    assert_eq!(Account::TABLE, "seen_accounts");
    assert_eq!(Account::COLUMNS, ["id", "label_text"]);
    assert_eq!(helpers(), "in_function");
    assert_eq!(path_module::FromPath::TABLE, "from_path");
}
