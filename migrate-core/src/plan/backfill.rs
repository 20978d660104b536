//! Keyset backfill jobs: batched `UPDATE`s the runner walks by primary key, between expand
//! and contract. C3 fills a volatile default, C6 the NULLs of a column becoming NOT NULL (with
//! the trigger that fills the NULLs the running binary still writes), C10 a shadow column.

use std::collections::BTreeMap;

use super::input::{PhysicalNames, PlanInput};
use super::sql_parts::guarded;
use super::step::{Backfill, LockMode, Phase, Step, StepBuilder};
use crate::model::{Column, QualifiedName, Table};
use crate::sql::{self, quote_ident, quote_literal};
use migrate_contract::CatalogRow;

/// A keyset walk over `table` that runs `UPDATE … SET <assignment>` on the rows where
/// `pending` holds (`pending` gets the alias prefix to use, `t.` or nothing).
///
/// `table` is the new release's table and `physical_column` maps its column names onto the
/// physical ones until contract (a key column renamed in this release keeps its old name).
pub(super) fn backfill_job(
    catalog: CatalogRow,
    table: &Table,
    physical: &QualifiedName,
    physical_column: &dyn Fn(&str) -> String,
    assignment: &str,
    pending: &dyn Fn(&str) -> String,
    description: String,
) -> Backfill {
    let key: Vec<(String, &Column)> = table
        .primary_key
        .iter()
        .filter_map(|k| Some((physical_column(k), table.column(k)?)))
        .collect();
    let k = key.len();
    let key_list = key
        .iter()
        .map(|(name, _)| quote_ident(name))
        .collect::<Vec<_>>()
        .join(", ");
    let params: Vec<String> = key
        .iter()
        .enumerate()
        .map(|(i, (_, c))| format!("${}::text::{}", i + 1, c.ty.sql()))
        .collect();
    let qualified_key = key
        .iter()
        .map(|(name, _)| format!("t.{}", quote_ident(name)))
        .collect::<Vec<_>>()
        .join(", ");
    let batch_key = key
        .iter()
        .map(|(name, _)| format!("batch.{}", quote_ident(name)))
        .collect::<Vec<_>>()
        .join(", ");
    let as_text = key
        .iter()
        .map(|(name, _)| format!("{}::text", quote_ident(name)))
        .collect::<Vec<_>>()
        .join(", ");
    let descending = key
        .iter()
        // Qualified: a bare name would sort by the `::text` output column of the same name,
        // and `'9'` sorts after `'50'`.
        .map(|(name, _)| format!("batch.{} DESC", quote_ident(name)))
        .collect::<Vec<_>>()
        .join(", ");
    let batch_sql = format!(
        "WITH batch AS (\n    SELECT {key_list} FROM {table}\n    WHERE $1::text IS NULL OR ({key_list}) > ({params})\n    ORDER BY {key_list}\n    LIMIT ${limit}\n), filled AS (\n    UPDATE {table} AS t SET {assignment}\n    FROM batch WHERE ({qualified_key}) = ({batch_key}) AND ({pending})\n)\nSELECT {as_text} FROM batch ORDER BY {descending} LIMIT 1",
        table = physical.sql(),
        params = params.join(", "),
        limit = k + 1,
        pending = pending("t."),
    );
    Backfill {
        id: String::new(),
        checksum: String::new(),
        catalog,
        description,
        table: physical.clone(),
        key: key.into_iter().map(|(name, _)| name).collect(),
        bounds_sql: String::new(),
        batch_sql,
        rows_left_sql: format!(
            "SELECT count(*) FROM {} WHERE {}",
            physical.sql(),
            pending("")
        ),
        initial_batch_size: 1_000,
        target_batch_ms: 50,
        before_deploy: false,
    }
}

/// C6 with a declared `backfill`: the column's NULLs get the value before the new binary, which
/// cannot decode NULL, reads through its views. From expand, a trigger turns the NULLs the
/// running binary writes into the value (R4: created in one transaction with its function);
/// a batched backfill fills the existing NULL rows, and the new release's views wait for it.
/// Contract drops the trigger first, while the physical names are still the ones its function
/// reads, then makes the column NOT NULL.
pub(super) struct NullFill {
    table: QualifiedName,
    column: String,
    physical_table: QualifiedName,
    physical_column: String,
    value: String,
    trigger: String,
    function: QualifiedName,
}

impl NullFill {
    pub(super) fn new(
        input: &PlanInput<'_>,
        names: &PhysicalNames,
        table: &QualifiedName,
        column: &str,
        value: &str,
    ) -> Self {
        let release = format!("r{}", input.release.number);
        let trigger = sql::hashed_name(&[&table.schema, &table.name, column, &release], "fill");
        let physical_table = names.table(table);
        NullFill {
            table: table.clone(),
            column: column.to_owned(),
            physical_column: names.column(table, column),
            value: value.to_owned(),
            function: QualifiedName::new(physical_table.schema.clone(), trigger.clone()),
            physical_table,
            trigger,
        }
    }

    pub(super) fn expand_step(&self) -> Step {
        let table = self.physical_table.sql();
        let col = quote_ident(&self.physical_column);
        let trigger = quote_ident(&self.trigger);
        let function = self.function.sql();
        // The trigger only while the column can still hold NULL: never again once contract
        // made it NOT NULL.
        let wanted = format!(
            "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {table_literal}::regclass AND tgname = {}) AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {table_literal}::regclass AND attname = {} AND NOT attnotnull AND NOT attisdropped)",
            quote_literal(&self.trigger),
            quote_literal(&self.physical_column),
            table_literal = quote_literal(&table),
        );
        let body = format!(
            "BEGIN\n    IF NEW.{col} IS NULL THEN\n        NEW.{col} := {};\n    END IF;\n    RETURN NEW;\nEND",
            self.value
        );
        let tag = sql::dollar_tag("fill", &body);
        // `SET search_path FROM CURRENT`: names in the value resolve as they do for the
        // backfill, not by the search_path of whichever session writes (a release's views).
        let sql_text = format!(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS ${tag}$\n{body}\n${tag}$;\n{create}",
            create = guarded(
                &wanted,
                &format!(
                    "CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE OF {col} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();"
                ),
            ),
        );
        Step::new(
            Phase::Expand,
            CatalogRow::C6,
            format!(
                "fill the NULLs written into {}.{} with {} (the running binary may write them)",
                self.table, self.column, self.value
            ),
            format!("fill_{}_{}", self.table.name, self.column),
            sql_text,
        )
        .lock(LockMode::ShareRowExclusive, &self.physical_table, false)
        .guard("CREATE OR REPLACE FUNCTION; the trigger only when the catalog lacks it")
        .rollback(self.drop_sql())
    }

    /// Drops the trigger, then its function.
    fn drop_sql(&self) -> String {
        format!(
            "DROP TRIGGER IF EXISTS {} ON {};\nDROP FUNCTION IF EXISTS {}();",
            quote_ident(&self.trigger),
            self.physical_table.sql(),
            self.function.sql()
        )
    }

    pub(super) fn drop_step(&self) -> Step {
        Step::new(
            Phase::Contract,
            CatalogRow::C6,
            format!(
                "drop the trigger that filled NULLs written into {}.{} (the binary that wrote them is gone)",
                self.table, self.column
            ),
            format!("drop_fill_{}_{}", self.table.name, self.column),
            self.drop_sql(),
        )
        .lock(LockMode::AccessExclusive, &self.physical_table, false)
        .guard("IF EXISTS")
        .rollback(self.expand_step().sql)
    }
}

/// One backfill per table for its C6 fills: a single keyset walk gives every NULL column of a
/// row its value (`COALESCE` keeps the columns that have one).
pub(super) fn null_fill_backfills(
    fills: &[NullFill],
    input: &PlanInput<'_>,
    names: &PhysicalNames,
) -> Vec<Backfill> {
    let mut by_table: BTreeMap<String, Vec<&NullFill>> = BTreeMap::new();
    for fill in fills {
        by_table.entry(fill.table.key()).or_default().push(fill);
    }
    let mut jobs = Vec::new();
    for group in by_table.values() {
        let first = group[0];
        let Some(declared) = input.declared.table(&first.table) else {
            continue;
        };
        let assignment = group
            .iter()
            .map(|f| {
                let col = quote_ident(&f.physical_column);
                if group.len() == 1 {
                    format!("{col} = {}", f.value)
                } else {
                    format!("{col} = COALESCE(t.{col}, {})", f.value)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let described = group
            .iter()
            .map(|f| format!("{} with {}", f.column, f.value))
            .collect::<Vec<_>>()
            .join(", ");
        let mut job = backfill_job(
            CatalogRow::C6,
            declared,
            &first.physical_table,
            &|c: &str| names.column(&first.table, c),
            &assignment,
            &|alias: &str| {
                group
                    .iter()
                    .map(|f| format!("{alias}{} IS NULL", quote_ident(&f.physical_column)))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            },
            format!("fill the NULLs of {}: {described}", first.table),
        );
        // The new binary cannot decode a NULL in a NOT NULL field.
        job.before_deploy = true;
        jobs.push(job);
    }
    jobs
}
