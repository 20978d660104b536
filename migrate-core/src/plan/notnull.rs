//! NOT NULL steps (C6): never `SET NOT NULL` first. In contract, a row check, then a CHECK
//! (c IS NOT NULL) NOT VALID validated without blocking writers, so that `SET NOT NULL` skips
//! its scan. With a declared `backfill`, a trigger fills the NULLs the running binary writes
//! from expand on, and a keyset backfill the existing ones (both in the backfill module).

use super::backfill::NullFill;
use super::check::check_step;
use super::constraint::not_valid_then_validate;
use super::input::{PhysicalNames, PlanInput};
use super::planned::Planned;
use super::probe::constraint_exists;
use super::sql_parts::guarded;
use super::step::{LockMode, Phase, Step, StepBuilder};
use crate::model::QualifiedName;
use crate::sql::{self, quote_ident, quote_literal};
use migrate_contract::CatalogRow;

/// C6: never `SET NOT NULL` first. A CHECK (c IS NOT NULL) NOT VALID, validated without
/// blocking writers, lets `SET NOT NULL` skip its scan (PG ≥ 12); then the check goes.
pub(super) fn set_not_null_steps(
    table: &QualifiedName,
    column: &str,
    catalog: CatalogRow,
    after_backfill: bool,
) -> Vec<Step> {
    let check = sql::generated_name(&[&table.name, column], "not_null");
    let nulls = format!(
        "SELECT count(*) FROM {} WHERE {} IS NULL",
        table.sql(),
        quote_ident(column)
    );
    let failure = if after_backfill {
        format!(
            "{table}.{column} still has {} NULL row(s): the backfill is not complete; run it before contract",
            sql::COUNT_PLACEHOLDER
        )
    } else {
        format!(
            "{table}.{column} still has {} NULL row(s): fill them before contract makes the column NOT NULL",
            sql::COUNT_PLACEHOLDER
        )
    };
    let mut steps = vec![check_step(
        table,
        catalog,
        format!("check that {table}.{column} holds no NULL"),
        format!("check_nulls_{}_{column}", table.name),
        &nulls,
        &failure,
    )];
    let mut pair = not_valid_then_validate(
        table,
        &check,
        &format!("CHECK ({} IS NOT NULL)", quote_ident(column)),
        catalog,
        None,
    );
    // The check lives only until SET NOT NULL below drops it: a file of these run again alone
    // once the column is NOT NULL must neither bring it back nor fail on its absence.
    let nullable = format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {}::regclass AND attname = {} AND NOT attnotnull AND NOT attisdropped)",
        quote_literal(&table.sql()),
        quote_literal(column)
    );
    if let [add, validate] = pair.as_mut_slice() {
        add.sql = guarded(
            &format!("NOT {} AND {nullable}", constraint_exists(table, &check)),
            &format!(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID;",
                table.sql(),
                quote_ident(&check),
                quote_ident(column)
            ),
        );
        add.idempotency =
            "catalog probe: only while the check is absent and the column nullable".into();
        validate.sql = guarded(
            &constraint_exists(table, &check),
            &format!(
                "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                table.sql(),
                quote_ident(&check)
            ),
        );
        validate.idempotency =
            "catalog probe: only while the check exists (SET NOT NULL drops it)".into();
    }
    steps.extend(pair);
    steps.push(
        Step::new(
            Phase::Contract,
            catalog,
            format!("set {table}.{column} NOT NULL (the valid check spares the scan) and drop the check"),
            format!("not_null_{}_{column}", table.name),
            format!(
                "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;\nALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
                table.sql(),
                quote_ident(column),
                table.sql(),
                quote_ident(&check)
            ),
        )
        // Its own transaction first: that clears the statement timeout meant for long scans,
        // and the lock then sets the one every ACCESS EXCLUSIVE step gets (R2).
        .own_transaction()
        .lock(LockMode::AccessExclusive, table, false)
        .guard("SET NOT NULL and DROP CONSTRAINT IF EXISTS are idempotent")
        .rollback(format!("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;", table.sql(), quote_ident(column))),
    );
    steps
}

/// C6 with a declared `backfill`: the fill trigger from expand on (dropped first in contract,
/// while the physical names are those its function reads), then the steps above; the fill's
/// backfill is planned with the table's others.
pub(super) fn fill_then_set_not_null(
    input: &PlanInput<'_>,
    names: &PhysicalNames,
    table: &QualifiedName,
    column: &str,
    value: &str,
    catalog: CatalogRow,
    out: &mut Planned<'_>,
) {
    let fill = NullFill::new(input, names, table, column, value);
    out.expand.push(fill.expand_step());
    out.early_contract.push(fill.drop_step());
    out.contract
        .extend(set_not_null_steps(table, column, catalog, true));
    out.fills.push(fill);
}
