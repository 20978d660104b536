//! C9/C10: a column's type changes, in place when binary-coercible, otherwise through a
//! shadow column or not at all.

use migrate_contract::CatalogRow;

use super::{ALLOW, Verdict, phased, refused};
use crate::model::{ColumnType, Conversion, QualifiedName, Schema};

/// C9 when the accepted type is binary-coercible to the declared one, else C10.
pub(super) fn alter_column_type(
    table: &QualifiedName,
    column: &str,
    from: &ColumnType,
    to: &ColumnType,
    convert: Option<&Conversion>,
    accepted: &Schema,
) -> (CatalogRow, Verdict) {
    if from.is_binary_coercible_to(to) {
        (CatalogRow::C9, Verdict::Safe)
    } else {
        (
            CatalogRow::C10,
            shadow_verdict(table, column, from, to, convert.is_some(), accepted),
        )
    }
}

/// C10: a type change that is not binary-coercible goes through a shadow column when the
/// conversion is lossless and the column is one the plan can swap; otherwise it is refused.
pub(super) fn shadow_verdict(
    table: &QualifiedName,
    column: &str,
    from: &ColumnType,
    to: &ColumnType,
    declared_conversion: bool,
    accepted: &Schema,
) -> Verdict {
    let change = format!("changing `{table}.{column}` from {from} to {to}");
    let in_place = format!(
        "in place, it rewrites `{table}` and its indexes under ACCESS EXCLUSIVE (reads and writes blocked) while the running binary still expects {from}"
    );
    let refuse = |why: String, help: String| refused(format!("{change}: {why}; {in_place}"), help);
    let new_field = || {
        format!(
            "keep this field's type, add a new field of type {to}, fill it, and drop the old one in a later release, {ALLOW}"
        )
    };
    let declare_conversion = || {
        format!(
            "declare the conversion both ways, `#[migrate(convert(to_new = \"…\", to_old = \"…\"))]` (each an expression over `{column}`), and a shadow column carries it; or {}",
            new_field()
        )
    };
    let found = accepted
        .table(table)
        .and_then(|t| Some((t, t.column(column)?)));
    let Some((accepted_table, accepted_column)) = found else {
        return refuse(
            "a shadow column cannot be planned while the table or column is renamed in the same release".into(),
            format!("rename in one release and change the type in the next, {ALLOW}"),
        );
    };
    if accepted_table.primary_key.iter().any(|k| k == column) {
        return refuse(
            format!(
                "`{column}` is part of the primary key, which a shadow column cannot take over yet"
            ),
            new_field(),
        );
    }
    if accepted_column.identity {
        return refuse(
            format!(
                "`{column}` is an identity column, whose sequence a shadow column cannot share"
            ),
            new_field(),
        );
    }
    let referenced_by: Vec<String> = accepted
        .tables
        .values()
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
        .filter(|(_, fk)| {
            fk.references == *table && fk.referenced_columns.iter().any(|c| c == column)
        })
        .map(|(t, fk)| format!("{} on {}", fk.name, t.name))
        .collect();
    if !referenced_by.is_empty() {
        return refuse(
            format!(
                "foreign keys reference `{column}` ({}), and a shadow column cannot take them over yet",
                referenced_by.join(", ")
            ),
            new_field(),
        );
    }
    if !declared_conversion && !from.converts_losslessly_to(to) {
        return refuse(
            format!(
                "some {from} values have no {to} form or lose information in it, so a shadow column could not mirror the running binary's writes"
            ),
            declare_conversion(),
        );
    }
    let how = if declared_conversion {
        "by a trigger running the declared conversions"
    } else {
        "by a trigger both ways"
    };
    phased(format!(
        "`{table}.{column}` gets a shadow column of type {to}, kept in step with the {from} column {how} and filled by a batched backfill; the new release's views show it as `{column}`; contract swaps it in (drops the trigger and the old column, renames the shadow), once the old binary is gone"
    ))
}
