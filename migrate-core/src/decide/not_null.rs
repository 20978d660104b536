//! C6: nullable → NOT NULL, with or without a declared `backfill`.

use migrate_contract::CatalogRow;

use super::{Verdict, phased};
use crate::model::QualifiedName;

/// C6: always phased; the `backfill` decides whether the NULLs get a value from expand on.
pub(super) fn set_not_null(
    table: &QualifiedName,
    column: &str,
    backfill: Option<&str>,
) -> (CatalogRow, Verdict) {
    match backfill {
        None => (
            CatalogRow::C6,
            phased(format!(
                "`{table}.{column}` becomes NOT NULL in contract (the running binary may still write NULL): CHECK … NOT VALID, VALIDATE without blocking writers, then SET NOT NULL without a scan; the contract stops if NULLs remain"
            )),
        ),
        Some(value) => (
            CatalogRow::C6,
            phased(format!(
                "`{table}.{column}` becomes NOT NULL, its NULLs `{value}` (its declared backfill): from expand, a trigger turns the NULLs the running binary writes into it, and a batched backfill fills the existing NULL rows before the new release's views exist, so the new binary never reads NULL; contract drops the trigger, then CHECK … NOT VALID, VALIDATE without blocking writers, SET NOT NULL without a scan"
            )),
        ),
    }
}
