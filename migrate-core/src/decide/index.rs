//! I1–I5: indexes and unique constraints added, dropped or redefined, and the primary key
//! changed.

use migrate_contract::CatalogRow;

use super::{Verdict, phased, refused, unsupported};
use crate::model::{Index, QualifiedName, Schema, Unique};

/// I4: a new primary key is swapped in in contract, unless foreign keys reference the old one.
pub(super) fn change_primary_key(
    table: &QualifiedName,
    from: &[String],
    to: &[String],
    accepted: &Schema,
) -> (CatalogRow, Verdict) {
    let referenced_by: Vec<String> = accepted
        .tables
        .values()
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
        .filter(|(_, fk)| fk.references == *table)
        .map(|(t, fk)| format!("{} on {}", fk.name, t.name))
        .collect();
    if referenced_by.is_empty() {
        (
            CatalogRow::I4,
            phased(format!(
                "the primary key of `{table}` becomes ({}): it restricts writes the running binary may make, so in contract, after a duplicate check, its unique index is built CONCURRENTLY and swapped in for ({}) in one brief transaction",
                to.join(", "),
                from.join(", ")
            )),
        )
    } else {
        (
            CatalogRow::I4,
            refused(
                format!(
                    "changing the primary key of `{table}` from ({}) to ({}) drops the key that foreign keys reference: {}",
                    from.join(", "),
                    to.join(", "),
                    referenced_by.join(", ")
                ),
                "point those foreign keys elsewhere (or drop them) in an earlier release, then change the key",
            ),
        )
    }
}

/// I1 (built CONCURRENTLY in expand), or I3 for a unique index (built in contract).
pub(super) fn add_index(table: &QualifiedName, index: &Index) -> (CatalogRow, Verdict) {
    if index.unique {
        (
            CatalogRow::I3,
            phased(format!(
                "unique index `{}` restricts writes the running binary may make, so it is built (CONCURRENTLY, after a duplicate check) in contract; until then `{table}` accepts duplicates",
                index.name
            )),
        )
    } else {
        (CatalogRow::I1, Verdict::Safe)
    }
}

/// I2: an index no longer declared is dropped in contract.
pub(super) fn drop_index(table: &QualifiedName, index: &Index) -> (CatalogRow, Verdict) {
    (
        CatalogRow::I2,
        phased(format!(
            "index `{}` of `{table}` is dropped CONCURRENTLY in contract: the running binary's queries may rely on it",
            index.name
        )),
    )
}

/// I5: a definition changed under the same name is not supported yet.
pub(super) fn redefine(table: &QualifiedName, name: &str) -> (CatalogRow, Verdict) {
    (
        CatalogRow::I5,
        unsupported(
            format!(
                "`{name}` on `{table}` keeps its name but changes its definition; that is a drop plus a create"
            ),
            "give the new definition a new name (`name = \"…\"`); the old one is then dropped and the new one created",
        ),
    )
}

/// I3: a unique constraint added to an existing table.
pub(super) fn add_unique(table: &QualifiedName, unique: &Unique) -> (CatalogRow, Verdict) {
    (
        CatalogRow::I3,
        phased(format!(
            "unique constraint `{}` on `{table}` restricts writes the running binary may make: in contract, after a duplicate check, its index is built CONCURRENTLY and attached",
            unique.name
        )),
    )
}
