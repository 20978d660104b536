//! E1/E2: enum labels added, removed or reordered, and enum types no longer declared.

use migrate_contract::CatalogRow;

use super::{Verdict, refused, unsupported};
use crate::model::{ColumnType, EnumType, QualifiedName, Schema};

/// E1: a label added (ALTER TYPE … ADD VALUE).
pub(super) fn add_value() -> (CatalogRow, Verdict) {
    (CatalogRow::E1, Verdict::Safe)
}

/// E2: a label removed, renamed or moved is refused.
pub(super) fn rewrite(name: &QualifiedName, removed: &[String]) -> (CatalogRow, Verdict) {
    (
        CatalogRow::E2,
        refused(
            format!(
                "enum `{name}` lost or reordered labels ({}); PostgreSQL cannot remove or move a label in place, and a type rebuild rewrites every table that uses it",
                removed.join(", ")
            ),
            "keep every accepted label, in its order (stop using a label instead of removing it); new labels may go anywhere between them",
        ),
    )
}

/// E2: an accepted enum that no `#[derive(PgEnum)]` declares.
pub(super) fn disappeared(e: &EnumType, accepted: &Schema) -> (CatalogRow, Verdict) {
    let used_by: Vec<String> = accepted
        .tables
        .values()
        .filter(|t| {
            t.columns
                .iter()
                .any(|c| matches!(&c.ty, ColumnType::Enum { name, .. } if *name == e.name))
        })
        .map(|t| t.name.to_string())
        .collect();
    (
        CatalogRow::E2,
        unsupported(
            format!(
                "enum `{}` (Rust `{}`) is in the snapshot but no `#[derive(PgEnum)]` declares it{}",
                e.name,
                e.rust_name,
                if used_by.is_empty() {
                    String::new()
                } else {
                    format!("; tables using it: {}", used_by.join(", "))
                }
            ),
            "restore the enum declaration; dropping a type is not supported yet",
        ),
    )
}
