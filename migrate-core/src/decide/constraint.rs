//! K1–K3: CHECK and foreign-key constraints added, constraints dropped.

use migrate_contract::CatalogRow;

use super::{Verdict, phased};
use crate::model::{Check, ForeignKey, QualifiedName};

/// K1: added NOT VALID and validated in contract.
pub(super) fn add_check(table: &QualifiedName, check: &Check) -> (CatalogRow, Verdict) {
    (
        CatalogRow::K1,
        phased(format!(
            "CHECK `{}` on `{table}` restricts writes the running binary may make: added NOT VALID and validated separately, in contract",
            check.name
        )),
    )
}

/// K2: added NOT VALID and validated in contract.
pub(super) fn add_foreign_key(
    table: &QualifiedName,
    foreign_key: &ForeignKey,
) -> (CatalogRow, Verdict) {
    (
        CatalogRow::K2,
        phased(format!(
            "foreign key `{}` on `{table}` restricts writes the running binary may make: added NOT VALID and validated separately, in contract",
            foreign_key.name
        )),
    )
}

/// K3: dropping a constraint only relaxes what writers may do.
pub(super) fn drop_constraint() -> (CatalogRow, Verdict) {
    (CatalogRow::K3, Verdict::Safe)
}
