//! A new column computed by a Rust function of the application (`compute(with, from)`, a C4
//! with its value declared in Rust).
//!
//! No SQL can compute the value, so NULL means "not computed yet" until contract:
//! - expand adds the column nullable, with a trigger that sets it back to NULL when an update
//!   changes a source column and leaves the computed one alone (the older binary, which does
//!   not know the column, or hand-written SQL). The trigger is created with the column (R4);
//! - the new release's accessors compute the value on every write and, reading a NULL,
//!   compute it from the row's sources;
//! - the backfill reads each batch's pending rows, and the application's registered job
//!   computes and writes their values (only where the row is unchanged since it was read);
//! - contract, once the older binary is gone, walks once more for the rows it wrote after the
//!   backfill (the runner does this before any contract step), drops the trigger, and makes
//!   the column NOT NULL.

use super::backfill::{BackfillParts, KeyColumn, bounds_sql};
use super::input::{PhysicalNames, PlanInput};
use super::notnull::set_not_null_steps;
use super::planned::Planned;
use super::sql_parts::{drop_trigger_sql, guarded, trigger_wanted_while_nullable};
use super::step::{Backfill, LockMode, Phase, Step, StepBuilder};
use crate::diff::Computed;
use crate::model::{Column, QualifiedName, Table};
use crate::sql::{self, quote_ident};
use migrate_contract::{CatalogRow, RustCompute};

/// The physical names and the trigger of one computed column.
pub(super) struct ComputedColumn<'a> {
    table: &'a QualifiedName,
    column: &'a Column,
    compute: &'a Computed,
    physical_table: QualifiedName,
    /// The sources' physical names, in argument order.
    sources: Vec<String>,
    trigger: String,
    function: QualifiedName,
}

impl<'a> ComputedColumn<'a> {
    pub(super) fn new(
        input: &PlanInput<'_>,
        names: &PhysicalNames,
        table: &'a QualifiedName,
        column: &'a Column,
        compute: &'a Computed,
    ) -> Self {
        let release = format!("r{}", input.release.number);
        let trigger = sql::hashed_name(
            &[&table.schema, &table.name, &column.name, &release],
            "stale",
        );
        let physical_table = names.table(table);
        ComputedColumn {
            table,
            column,
            compute,
            sources: compute
                .sources
                .iter()
                .map(|s| names.column(table, s))
                .collect(),
            function: QualifiedName::new(physical_table.schema.clone(), trigger.clone()),
            physical_table,
            trigger,
        }
    }

    /// Every phase's work: expand's column and trigger, the Rust backfill, contract's trigger
    /// drop (before the renames, while the physical names are the trigger's) and NOT NULL.
    pub(super) fn plan(&self, input: &PlanInput<'_>, names: &PhysicalNames, out: &mut Planned<'_>) {
        out.expand.push(self.add_step());
        out.expand.push(self.trigger_step());
        if let Some(declared) = input.declared.table(self.table) {
            out.backfills.push(self.backfill(declared, names));
        }
        out.early_contract.push(self.drop_trigger_step());
        out.contract.extend(set_not_null_steps(
            self.table,
            &self.column.name,
            CatalogRow::C4,
            true,
        ));
    }

    fn add_step(&self) -> Step {
        let bare = Column {
            default: None,
            nullable: true,
            ..self.column.clone()
        };
        let table = self.physical_table.sql();
        Step::new(
            Phase::Expand,
            CatalogRow::C4,
            format!(
                "add column {}.{} (computed by {}), nullable until contract",
                self.table, self.column.name, self.compute.function
            ),
            format!("add_{}_{}", self.table.name, self.column.name),
            format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {};",
                super::sql_parts::column_definition(&bare)
            ),
        )
        .lock(LockMode::AccessExclusive, &self.physical_table, false)
        .guard("IF NOT EXISTS")
        .rollback(format!(
            "ALTER TABLE {table} DROP COLUMN IF EXISTS {};",
            quote_ident(&self.column.name)
        ))
    }

    /// The trigger that marks a row's value stale (NULL) when a write changes its sources
    /// without setting it: only the older binary, which does not know the column, does that.
    fn trigger_step(&self) -> Step {
        let table = self.physical_table.sql();
        let col = quote_ident(&self.column.name);
        let changed = self
            .sources
            .iter()
            .map(|s| {
                let s = quote_ident(s);
                format!("NEW.{s} IS DISTINCT FROM OLD.{s}")
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let body = format!(
            "BEGIN\n    IF NEW.{col} IS NOT DISTINCT FROM OLD.{col} AND ({changed}) THEN\n        NEW.{col} := NULL;\n    END IF;\n    RETURN NEW;\nEND"
        );
        let tag = sql::dollar_tag("stale", &body);
        let of = self
            .sources
            .iter()
            .map(|s| quote_ident(s))
            .collect::<Vec<_>>()
            .join(", ");
        // Never again once contract made the column NOT NULL (a rerun of this file).
        let wanted =
            trigger_wanted_while_nullable(&self.physical_table, &self.trigger, &self.column.name);
        let function = self.function.sql();
        let trigger = quote_ident(&self.trigger);
        Step::new(
            Phase::Expand,
            CatalogRow::C4,
            format!(
                "mark {}.{} for recomputing where a write changes {} without setting it (the running binary does not know it)",
                self.table,
                self.column.name,
                self.compute.sources.join(", ")
            ),
            format!("stale_{}_{}", self.table.name, self.column.name),
            format!(
                "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS ${tag}$\n{body}\n${tag}$;\n{}",
                guarded(
                    &wanted,
                    &format!(
                        "CREATE TRIGGER {trigger} BEFORE UPDATE OF {of} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();"
                    ),
                )
            ),
        )
        .lock(LockMode::ShareRowExclusive, &self.physical_table, false)
        .guard("CREATE OR REPLACE FUNCTION; the trigger only when the catalog lacks it")
        .rollback(self.drop_sql())
    }

    fn drop_sql(&self) -> String {
        drop_trigger_sql(&self.trigger, &self.physical_table, &self.function)
    }

    fn drop_trigger_step(&self) -> Step {
        Step::new(
            Phase::Contract,
            CatalogRow::C4,
            format!(
                "drop the trigger that marked {}.{} for recomputing (the binary that wrote around it is gone)",
                self.table, self.column.name
            ),
            format!("drop_stale_{}_{}", self.table.name, self.column.name),
            self.drop_sql(),
        )
        .lock(LockMode::AccessExclusive, &self.physical_table, false)
        .guard("IF EXISTS")
        .rollback(self.trigger_step().sql)
    }

    /// The walk: the batch query reads the rows, the application computes and writes them.
    fn backfill(&self, declared: &Table, names: &PhysicalNames) -> Backfill {
        let key: Vec<KeyColumn> = declared
            .primary_key
            .iter()
            .filter_map(|k| {
                Some(KeyColumn {
                    name: names.column(self.table, k),
                    ty: declared.column(k)?.ty.sql(),
                })
            })
            .collect();
        let col = quote_ident(&self.column.name);
        let parts = BackfillParts {
            table: self.physical_table.clone(),
            key,
            assignment: String::new(),
            pending: format!("t.{col} IS NULL"),
        };
        let job = format!(
            "{}.{}.{}",
            self.table.schema, self.table.name, self.column.name
        );
        Backfill {
            id: String::new(),
            checksum: String::new(),
            catalog: CatalogRow::C4,
            description: format!(
                "compute {}.{} with {} on the rows that have no value",
                self.table, self.column.name, self.compute.function
            ),
            table: self.physical_table.clone(),
            key: parts.key.iter().map(|c| c.name.clone()).collect(),
            bounds_sql: bounds_sql(&parts),
            batch_sql: self.read_sql(&parts),
            rows_left_sql: format!(
                "SELECT count(*) FROM {} WHERE {col} IS NULL",
                self.physical_table.sql()
            ),
            initial_batch_size: 1_000,
            target_batch_ms: 50,
            // The new binary reads around unfilled rows: it computes them.
            before_deploy: false,
            compute: Some(RustCompute {
                job,
                declared_by: self.compute.declared_by.clone(),
                function: self.compute.function.clone(),
                column: self.column.name.clone(),
                sources: self.sources.clone(),
                write_sql: self.write_sql(&parts),
            }),
        }
    }

    /// `$1..$k` the batch's first key, `$k+1..$2k` the walk's last, `$2k+1` the size: up to
    /// `size + 1` rows in key order, each its key as text, `xmin`, whether it is pending,
    /// and the sources under the new release's column names.
    fn read_sql(&self, parts: &BackfillParts) -> String {
        let k = parts.key.len();
        let keys = parts
            .key
            .iter()
            .enumerate()
            .map(|(i, c)| format!("t.{}::text AS {}", quote_ident(&c.name), key_alias(i)))
            .collect::<Vec<_>>()
            .join(", ");
        let sources = self
            .sources
            .iter()
            .zip(&self.compute.sources)
            .map(|(physical, declared)| {
                format!("t.{} AS {}", quote_ident(physical), quote_ident(declared))
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SELECT {keys}, t.xmin::text AS \"__xmin\", (t.{col} IS NULL) AS \"__pending\", {sources}\nFROM {table} AS t\nWHERE {range}\nORDER BY {order}\nLIMIT ${size}::bigint + 1",
            col = quote_ident(&self.column.name),
            table = parts.table.sql(),
            range = parts.range("t.", ">=", &parts.params(1), &parts.params(k + 1)),
            order = parts.columns("t."),
            size = 2 * k + 1,
        )
    }

    /// `$1..$k` key text arrays, `$k+1` the `xmin`s read, `$k+2` the values.
    fn write_sql(&self, parts: &BackfillParts) -> String {
        let k = parts.key.len();
        let mut arrays: Vec<String> = (1..=k + 1).map(|i| format!("${i}::text[]")).collect();
        arrays.push(format!("${}::{}[]", k + 2, self.column.ty.sql()));
        let mut aliases: Vec<String> = (0..k).map(key_alias).collect();
        aliases.push("\"__xmin\"".into());
        aliases.push("\"__value\"".into());
        let matches = parts
            .key
            .iter()
            .enumerate()
            .map(|(i, c)| format!("t.{} = v.{}::{}", quote_ident(&c.name), key_alias(i), c.ty))
            .collect::<Vec<_>>()
            .join(" AND ");
        let col = quote_ident(&self.column.name);
        format!(
            "UPDATE {table} AS t SET {col} = v.\"__value\"\nFROM unnest({arrays}) AS v({aliases})\nWHERE {matches} AND t.xmin = v.\"__xmin\"::xid AND t.{col} IS NULL",
            table = parts.table.sql(),
            arrays = arrays.join(", "),
            aliases = aliases.join(", "),
        )
    }
}

/// The alias of the `i`th key column (from 0) in the batch query and the write.
fn key_alias(i: usize) -> String {
    format!("\"__key{}\"", i + 1)
}
