//! C1–C5, C7, C8, C11, C12: columns added, dropped, renamed, made nullable, given another
//! default or identity.

use migrate_contract::CatalogRow;

use super::{ALLOW, Verdict, phased, refused};
use crate::diff::Computed;
use crate::model::{Column, QualifiedName};
use crate::sql::{Volatility, volatility};

/// C1–C4, C12: a new column on an existing table.
pub(super) fn add_column(
    table: &QualifiedName,
    column: &Column,
    compute: Option<&Computed>,
) -> (CatalogRow, Verdict) {
    if let Some(compute) = compute.filter(|_| !column.nullable && column.default.is_none()) {
        return (
            CatalogRow::C4,
            phased(format!(
                "new column `{table}.{}` is computed by `{}` from {}: it is added nullable, a trigger sets it back to NULL where the running binary changes {} without it, the new binary computes it on every write and on reading a NULL, a backfill run by the application's binary computes the existing rows, and contract computes what the old binary wrote since, then makes it NOT NULL",
                column.name,
                compute.function,
                compute.sources.join(", "),
                if compute.sources.len() == 1 {
                    "it"
                } else {
                    "them"
                },
            )),
        );
    }
    if column.identity {
        return (
            CatalogRow::C12,
            refused(
                format!(
                    "adding identity column `{table}.{}` rewrites `{table}` under ACCESS EXCLUSIVE",
                    column.name
                ),
                format!("add a nullable column now and fill it in a later release, {ALLOW}"),
            ),
        );
    }
    match &column.default {
        Some(default) => match volatility(default) {
            Volatility::NonVolatile => (CatalogRow::C2, Verdict::Safe),
            Volatility::Volatile => (
                CatalogRow::C3,
                phased(format!(
                    "default `{default}` is volatile, so a plain ADD COLUMN would rewrite `{table}`: the column is added without it, the default is set for new rows, existing rows are filled by a batched backfill{}",
                    if column.nullable {
                        ""
                    } else {
                        ", and NOT NULL is enforced in contract"
                    }
                )),
            ),
        },
        None if column.nullable => (CatalogRow::C1, Verdict::Safe),
        None if column.backfill.is_some() => {
            let value = column.backfill.as_deref().unwrap_or_default();
            let how = match volatility(value) {
                Volatility::NonVolatile => {
                    "added with it as its default (metadata only: existing rows read it)"
                }
                Volatility::Volatile => {
                    "added without a default (no rewrite), given it as the default for new rows, filled on existing rows by a batched backfill, and made NOT NULL in contract"
                }
            };
            (
                CatalogRow::C4,
                phased(format!(
                    "new NOT NULL column `{table}.{}` gets `{value}` (its declared backfill): {how}; the default stays while the old binary runs, since its INSERTs omit the column, and contract drops it",
                    column.name
                )),
            )
        }
        None => (
            CatalogRow::C4,
            refused(
                format!(
                    "new column `{table}.{}` is NOT NULL with no default: ADD COLUMN fails on a populated table, and the running binary's INSERTs, which do not set it, would fail",
                    column.name
                ),
                format!(
                    "declare a default, `#[migrate(default = \"…\")]`; or a value for the existing rows only, `#[migrate(backfill = \"…\")]`; or make the field `Option<_>`, {ALLOW}"
                ),
            ),
        ),
    }
}

/// C5: `drop_column` waits for contract.
pub(super) fn drop_column(table: &QualifiedName, column: &Column) -> (CatalogRow, Verdict) {
    (
        CatalogRow::C5,
        phased(format!(
            "`{table}.{}` is left out of the new release's views at once{}; its indexes and the column are dropped in contract, once the old binary is gone",
            column.name,
            if !column.nullable && column.default.is_none() {
                " and loses NOT NULL so inserts through them succeed"
            } else {
                ""
            }
        )),
    )
}

/// C5: a column that no field declares, with no drop or rename declared, is refused.
pub(super) fn disappeared(table: &QualifiedName, column: &Column) -> (CatalogRow, Verdict) {
    (
        CatalogRow::C5,
        refused(
            format!(
                "column `{}.{}` is in the snapshot but no field declares it; a field that disappears is never taken as a drop",
                table, column.name
            ),
            format!(
                "if you renamed the field, add `#[migrate(renamed_from = \"{0}\")]` to it; if you mean to drop the column, add `#[migrate(drop_column = \"{0}\")]` to the struct",
                column.name
            ),
        ),
    )
}

/// C8: `renamed_from` on a field.
pub(super) fn rename_column(table: &QualifiedName, from: &str, to: &str) -> (CatalogRow, Verdict) {
    (
        CatalogRow::C8,
        phased(format!(
            "the new release's views show `{table}.{from}` as `{to}` at once (no copy, no trigger); the physical rename runs in contract"
        )),
    )
}

/// C7: NOT NULL → nullable is metadata only.
pub(super) fn drop_not_null() -> (CatalogRow, Verdict) {
    (CatalogRow::C7, Verdict::Safe)
}

/// C11: a default set, changed or removed is metadata only.
pub(super) fn change_default() -> (CatalogRow, Verdict) {
    (CatalogRow::C11, Verdict::Safe)
}

/// C12: identity added to or removed from an existing column.
pub(super) fn change_identity(table: &QualifiedName, column: &str) -> (CatalogRow, Verdict) {
    (
        CatalogRow::C12,
        refused(
            format!("adding or removing identity on `{table}.{column}` has no online form"),
            "keep the column as it is, or add a new column and fill it in a later release",
        ),
    )
}
