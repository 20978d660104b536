//! Keyset backfill jobs: batched `UPDATE`s the runner walks by primary key, between expand
//! and contract. C3 fills a volatile default, C6 the NULLs of a column becoming NOT NULL (with
//! the trigger that fills the NULLs the running binary still writes), C10 a shadow column.

use std::collections::BTreeMap;

use super::input::{PhysicalNames, PlanInput};
use super::sql_parts::{drop_trigger_sql, guarded, trigger_wanted_while_nullable};
use super::step::{Backfill, LockMode, Phase, Step, StepBuilder};
use crate::model::{Column, QualifiedName, Table};
use crate::sql::{self, quote_ident};
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
    let key: Vec<KeyColumn> = table
        .primary_key
        .iter()
        .filter_map(|k| {
            let column: &Column = table.column(k)?;
            Some(KeyColumn {
                name: physical_column(k),
                ty: column.ty.sql(),
            })
        })
        .collect();
    let parts = BackfillParts {
        table: physical.clone(),
        key,
        assignment: assignment.to_owned(),
        pending: pending("t."),
    };
    Backfill {
        id: String::new(),
        checksum: String::new(),
        catalog,
        description,
        table: physical.clone(),
        key: parts.key.iter().map(|c| c.name.clone()).collect(),
        bounds_sql: bounds_sql(&parts),
        batch_sql: batch_sql(&parts),
        rows_left_sql: format!(
            "SELECT count(*) FROM {} WHERE {}",
            physical.sql(),
            pending("")
        ),
        initial_batch_size: 1_000,
        target_batch_ms: 50,
        before_deploy: false,
        compute: None,
    }
}

/// One primary-key column of a backfill's walk: its physical name and its SQL type (what a
/// text parameter is cast to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyColumn {
    /// The physical column name.
    pub name: String,
    /// Its type as SQL (`bigint`, `varchar(80)`).
    pub ty: String,
}

/// What a backfill's queries are made of; [`bounds_sql`] and [`batch_sql`] build them, and
/// the format-1 conversion recovers them from older plan data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillParts {
    /// The physical table.
    pub table: QualifiedName,
    /// The primary key, in key order.
    pub key: Vec<KeyColumn>,
    /// `SET` list of the UPDATE (may read the row as `t.`).
    pub assignment: String,
    /// The pending predicate over the row as `t.`.
    pub pending: String,
}

impl BackfillParts {
    /// The key columns, quoted, each prefixed with `alias`, comma-separated.
    pub(super) fn columns(&self, alias: &str) -> String {
        self.key
            .iter()
            .map(|c| format!("{alias}{}", quote_ident(&c.name)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The key columns, quoted and prefixed, each followed by `suffix` (` DESC`, `::text`).
    pub(super) fn columns_with(&self, alias: &str, suffix: &str) -> String {
        self.key
            .iter()
            .map(|c| format!("{alias}{}{suffix}", quote_ident(&c.name)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Text parameters `$first..` cast to the key's types, one per key column.
    pub(super) fn params(&self, first: usize) -> Vec<String> {
        self.key
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::text::{}", first + i, c.ty))
            .collect()
    }

    /// Scalar subqueries reading each key column from the one-row CTE `from`.
    fn read_from(&self, from: &str) -> Vec<String> {
        self.key
            .iter()
            .map(|c| format!("(SELECT {} FROM {from})", quote_ident(&c.name)))
            .collect()
    }

    /// `key <op> lower AND key <= upper`, in a form the primary key's btree index takes as
    /// index conditions: scalar comparisons for one column; for several, row comparisons
    /// whose right side is a ROW of parameters or scalar subqueries (a row sublink,
    /// `(a, b) <= (SELECT …)`, is not indexable), after bounds on the leading column that
    /// keep the planner's row estimate low without statistics.
    pub(super) fn range(
        &self,
        alias: &str,
        op: &str,
        lower: &[String],
        upper: &[String],
    ) -> String {
        let lead = format!("{alias}{}", quote_ident(&self.key[0].name));
        if self.key.len() == 1 {
            return format!("{lead} {op} {} AND {lead} <= {}", lower[0], upper[0]);
        }
        let columns = self.columns(alias);
        format!(
            "{lead} >= {} AND {lead} <= {} AND ({columns}) {op} ({}) AND ({columns}) <= ({})",
            lower[0],
            upper[0],
            lower.join(", "),
            upper.join(", ")
        )
    }
}

/// Format 2 `bounds_sql`: one row of the first key then the last key, as text, in key order
/// (both read off the primary key's index); no row when the table is empty.
pub fn bounds_sql(parts: &BackfillParts) -> String {
    let table = parts.table.sql();
    let columns = parts.columns("");
    format!(
        "SELECT {lo}, {hi}\nFROM (SELECT {columns} FROM {table} ORDER BY {columns} LIMIT 1) AS lo,\n     (SELECT {columns} FROM {table} ORDER BY {descending} LIMIT 1) AS hi",
        lo = parts.columns_with("lo.", "::text"),
        hi = parts.columns_with("hi.", "::text"),
        descending = parts.columns_with("", " DESC"),
    )
}

/// Format 2 `batch_sql`: `$1..$k` the batch's first key, `$k+1..$2k` the walk's last key (both
/// inclusive, text), `$2k+1` the batch size. The UPDATE selects its rows by a key range on the
/// primary key, from the first key to the last of the batch's `size` keys (never a join, which
/// turns into a hash join over a sequential scan on large batches), and by the pending
/// predicate. Returns one row: the key the next batch starts at, as text (all NULL when the
/// walk is past its last key), the keys read and the rows updated.
pub fn batch_sql(parts: &BackfillParts) -> String {
    let k = parts.key.len();
    let table = parts.table.sql();
    let columns = parts.columns("");
    let first = parts.params(1);
    let last = parts.params(k + 1);
    let batch_end = parts.read_from("batch_end");
    format!(
        "WITH batch AS (\n    SELECT {columns} FROM {table}\n    WHERE {batch_range}\n    ORDER BY {columns}\n    LIMIT ${size}\n), batch_end AS (\n    SELECT {columns} FROM batch ORDER BY {descending} LIMIT 1\n), filled AS (\n    UPDATE {table} AS t SET {assignment}\n    WHERE {update_range} AND ({pending})\n    RETURNING 1\n), next_key AS (\n    SELECT {columns} FROM {table}\n    WHERE {next_range}\n    ORDER BY {columns}\n    LIMIT 1\n)\nSELECT {next}, (SELECT count(*) FROM batch) AS keys_read, (SELECT count(*) FROM filled) AS rows_updated",
        batch_range = parts.range("", ">=", &first, &last),
        size = 2 * k + 1,
        descending = parts.columns_with("", " DESC"),
        assignment = parts.assignment,
        update_range = parts.range("t.", ">=", &first, &batch_end),
        pending = parts.pending,
        next_range = parts.range("", ">", &batch_end, &last),
        next = parts
            .key
            .iter()
            .map(|c| format!("(SELECT {}::text FROM next_key)", quote_ident(&c.name)))
            .collect::<Vec<_>>()
            .join(", "),
    )
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
        let wanted = trigger_wanted_while_nullable(
            &self.physical_table,
            &self.trigger,
            &self.physical_column,
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
        drop_trigger_sql(&self.trigger, &self.physical_table, &self.function)
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
