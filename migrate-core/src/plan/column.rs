//! Column steps: add (C1–C4, C12 with `allow_unsafe`), drop (C5), rename (C8), allow NULL
//! (C7) and change the default (C11). A volatile default or a declared `backfill` fills the
//! existing rows with a keyset backfill; a new NOT NULL column is made NOT NULL in contract.

use super::backfill::backfill_job;
use super::input::{PhysicalNames, PlanInput};
use super::notnull::set_not_null_steps;
use super::planned::Planned;
use super::probe::column_exists;
use super::sql_parts::{column_definition, guarded};
use super::step::{LockMode, Phase, Step, StepBuilder};
use super::summary::change_description;
use crate::decide::{Decision, Verdict};
use crate::model::{Column, QualifiedName};
use crate::sql::{self, quote_ident};
use migrate_contract::CatalogRow;

/// C1–C4: ADD COLUMN (metadata only); with a volatile default (C3) the column is added
/// without it, the default set for new rows, and the existing rows filled by a backfill.
pub(super) fn add_column(
    input: &PlanInput<'_>,
    d: &Decision,
    names: &PhysicalNames,
    table: &QualifiedName,
    column: &Column,
    out: &mut Planned<'_>,
) {
    let catalog = d.catalog;
    let physical = names.table(table);
    // C4 with a declared backfill value: the value is the column's default until
    // contract (the old binary's INSERTs omit the column), planned as C2 or C3.
    let backfill = column
        .backfill
        .as_ref()
        .filter(|_| column.default.is_none());
    let column = &Column {
        default: column.default.clone().or_else(|| backfill.cloned()),
        ..column.clone()
    };
    let drop_default = backfill.map(|value| drop_backfill_default_step(table, &column.name, value));
    let volatile = column
        .default
        .as_deref()
        .is_some_and(|d| sql::volatility(d) == sql::Volatility::Volatile)
        && matches!(d.verdict, Verdict::Phased { .. });
    if !volatile {
        out.expand.push(add_column_step(
            &physical,
            column,
            catalog,
            d.allowed_reason(),
        ));
        out.contract.extend(drop_default);
        return;
    }
    // C3: add the column without the volatile default (no rewrite), then the default
    // for new rows, then fill the existing rows in batches.
    let bare = Column {
        default: None,
        nullable: true,
        ..column.clone()
    };
    out.expand
        .push(add_column_step(&physical, &bare, catalog, None));
    let default = column.default.clone().unwrap_or_default();
    out.expand.push(
        Step::new(
            Phase::Expand,
            catalog,
            format!("set the default of {table}.{} for new rows", column.name),
            format!("default_{}_{}", table.name, column.name),
            format!(
                "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {default};",
                physical.sql(),
                quote_ident(&column.name)
            ),
        )
        .lock(LockMode::AccessExclusive, &physical, false)
        .guard("SET DEFAULT is idempotent")
        .rollback(format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
            physical.sql(),
            quote_ident(&column.name)
        )),
    );
    if let Some(t) = input.declared.table(table) {
        let col = quote_ident(&column.name);
        let mut job = backfill_job(
            catalog,
            t,
            &physical,
            &|c: &str| names.column(table, c),
            &format!("{col} = {default}"),
            &|alias: &str| format!("{alias}{col} IS NULL"),
            format!(
                "fill {}.{} with {default} on the rows that existed before expand",
                t.name, column.name
            ),
        );
        // The new binary cannot decode a NULL in a NOT NULL field.
        job.before_deploy = !column.nullable;
        out.backfills.push(job);
    }
    if !column.nullable {
        out.contract
            .extend(set_not_null_steps(table, &column.name, catalog, true));
    }
    out.contract.extend(drop_default);
}

/// C5: dropped in contract; a NOT NULL column without a default first loses NOT NULL in
/// expand, so that inserts through the new release's views, which leave it out, succeed.
pub(super) fn drop_column(
    input: &PlanInput<'_>,
    names: &PhysicalNames,
    table: &QualifiedName,
    column: &Column,
    catalog: CatalogRow,
    out: &mut Planned<'_>,
) {
    let physical = names.table(table);
    if !column.nullable && column.default.is_none() {
        out.expand.push(
            Step::new(
                Phase::Expand,
                catalog,
                format!(
                    "allow NULL in {table}.{} so inserts through the new views succeed",
                    column.name
                ),
                format!("nullable_{}_{}", table.name, column.name),
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;",
                    physical.sql(),
                    quote_ident(&column.name)
                ),
            )
            .lock(LockMode::AccessExclusive, &physical, false)
            .guard("DROP NOT NULL is idempotent")
            .rollback(format!(
                "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;",
                physical.sql(),
                quote_ident(&column.name)
            )),
        );
    }
    let mut drop = Step::new(
        Phase::Contract,
        catalog,
        format!("drop column {table}.{}", column.name),
        format!("drop_{}_{}", table.name, column.name),
        format!(
            "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
            table.sql(),
            quote_ident(&column.name)
        ),
    )
    .lock(LockMode::AccessExclusive, table, false)
    .guard("IF EXISTS")
    .irreversible("the column's data is gone");
    // Its foreign keys go with it, and with them their triggers on the referenced table.
    for fk in input
        .accepted
        .table(&physical)
        .iter()
        .flat_map(|t| &t.foreign_keys)
        .filter(|fk| fk.columns.contains(&column.name) && fk.references != *table)
    {
        drop = drop.lock(LockMode::AccessExclusive, &fk.references, false);
    }
    out.contract.push(drop);
}

/// C8: the physical rename, in contract (the new release's views show the new name from
/// expand on).
pub(super) fn rename_column_step(
    table: &QualifiedName,
    from: &str,
    to: &str,
    catalog: CatalogRow,
) -> Step {
    let guard = column_exists(table, from);
    let undo = column_exists(table, to);
    Step::new(
        Phase::Contract,
        catalog,
        format!("rename column {table}.{from} to {to}"),
        format!("rename_{}_{from}_{to}", table.name),
        guarded(
            &guard,
            &format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {};",
                table.sql(),
                quote_ident(from),
                quote_ident(to)
            ),
        ),
    )
    .lock(LockMode::AccessExclusive, table, false)
    .guard("catalog probe: runs only while the old name exists")
    .rollback(guarded(
        &undo,
        &format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            table.sql(),
            quote_ident(to),
            quote_ident(from)
        ),
    ))
}

/// C7: DROP NOT NULL, in expand.
pub(super) fn drop_not_null_step(
    names: &PhysicalNames,
    table: &QualifiedName,
    column: &str,
    catalog: CatalogRow,
) -> Step {
    let physical = names.table(table);
    let col = names.column(table, column);
    Step::new(
        Phase::Expand,
        catalog,
        format!("allow NULL in {table}.{column}"),
        format!("nullable_{}_{column}", table.name),
        format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;",
            physical.sql(),
            quote_ident(&col)
        ),
    )
    .lock(LockMode::AccessExclusive, &physical, false)
    .guard("DROP NOT NULL is idempotent")
    .rollback(format!(
        "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;",
        physical.sql(),
        quote_ident(&col)
    ))
}

/// C11: SET or DROP DEFAULT, in expand; the rollback puts the accepted default back.
pub(super) fn change_default_step(
    d: &Decision,
    names: &PhysicalNames,
    table: &QualifiedName,
    column: &str,
    from: &Option<String>,
    to: &Option<String>,
) -> Step {
    let catalog = d.catalog;
    let physical = names.table(table);
    let col = quote_ident(&names.column(table, column));
    let set = |default: &Option<String>| match default {
        Some(expr) => format!(
            "ALTER TABLE {} ALTER COLUMN {col} SET DEFAULT {expr};",
            physical.sql()
        ),
        None => format!(
            "ALTER TABLE {} ALTER COLUMN {col} DROP DEFAULT;",
            physical.sql()
        ),
    };
    Step::new(
        Phase::Expand,
        catalog,
        change_description(&d.located.change),
        format!("default_{}_{column}", table.name),
        set(to),
    )
    .lock(LockMode::AccessExclusive, &physical, false)
    .guard("SET/DROP DEFAULT is idempotent")
    .rollback(set(from))
}

/// C4: the backfill value stops being the column's default once the old binary is gone.
fn drop_backfill_default_step(table: &QualifiedName, column: &str, value: &str) -> Step {
    Step::new(
        Phase::Contract,
        CatalogRow::C4,
        format!("drop the backfill default of {table}.{column}: the old binary is gone"),
        format!("drop_default_{}_{column}", table.name),
        format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
            table.sql(),
            quote_ident(column)
        ),
    )
    .lock(LockMode::AccessExclusive, table, false)
    .guard("DROP DEFAULT is idempotent")
    .rollback(format!(
        "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {value};",
        table.sql(),
        quote_ident(column)
    ))
}

fn add_column_step(
    table: &QualifiedName,
    column: &Column,
    catalog: CatalogRow,
    unsafe_reason: Option<String>,
) -> Step {
    Step::new(
        Phase::Expand,
        catalog,
        format!("add column {table}.{}", column.name),
        format!("add_{}_{}", table.name, column.name),
        format!(
            "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {};",
            table.sql(),
            column_definition(column)
        ),
    )
    .lock(LockMode::AccessExclusive, table, false)
    .guard("IF NOT EXISTS")
    .rollback(format!(
        "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
        table.sql(),
        quote_ident(&column.name)
    ))
    .unsafe_reason(unsafe_reason)
}
