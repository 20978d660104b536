//! T1–T3: tables (and enum types) created, tables dropped and renamed, and the indexes and
//! constraints renamed with them.

use migrate_contract::CatalogRow;

use super::{Verdict, phased, refused};
use crate::model::{QualifiedName, Table};

/// T1: a new table or enum type is created in expand.
pub(super) fn create() -> (CatalogRow, Verdict) {
    (CatalogRow::T1, Verdict::Safe)
}

/// T2: a declared drop waits for contract; a struct that vanished is refused.
pub(super) fn drop_table(table: &Table, declared: bool) -> (CatalogRow, Verdict) {
    if declared {
        (
            CatalogRow::T2,
            phased(format!(
                "`{}` disappears from the new release's views at once; the table (and its foreign keys) is dropped in contract, once the old binary is gone",
                table.name
            )),
        )
    } else {
        (
            CatalogRow::T2,
            refused(
                format!(
                    "table `{}` (struct `{}`) is in the snapshot but no struct declares it; a struct that disappears is never taken as a drop",
                    table.name, table.rust_name
                ),
                format!(
                    "to drop it, keep the struct and mark it `#[migrate(drop)]`; if you renamed it, put `#[migrate(renamed_from = \"{}\")]` on the renamed struct",
                    table.name.name
                ),
            ),
        )
    }
}

/// T3: `renamed_from` on the struct.
pub(super) fn rename_table(from: &QualifiedName, to: &QualifiedName) -> (CatalogRow, Verdict) {
    (
        CatalogRow::T3,
        phased(format!(
            "the new release's views call `{from}` `{to}` at once (no copy); the physical rename runs in contract"
        )),
    )
}

/// T3: an index or constraint whose generated name follows a table or column rename.
pub(super) fn rename_object(from: &str, to: &str) -> (CatalogRow, Verdict) {
    (
        CatalogRow::T3,
        phased(format!(
            "`{from}` is renamed `{to}` in contract, with the table or column it is named after"
        )),
    )
}
