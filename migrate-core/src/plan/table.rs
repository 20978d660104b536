//! Table and enum steps: new schemas, enum types and labels (T1, E1), and new tables with
//! their indexes, created in the order their foreign keys need (T1); dropped tables (T2) and
//! renames of tables and of the objects named after them (T3), in contract.

use std::collections::{BTreeMap, BTreeSet};

use super::index::create_index_step;
use super::input::PlanInput;
use super::probe::constraint_exists;
use super::sql_parts::{column_definition, column_list, foreign_key_clause, guarded};
use super::step::{LockMode, Phase, Step, StepBuilder};
use crate::decide::Decision;
use crate::diff::Change;
use crate::model::{EnumType, ForeignKey, QualifiedName, Table};
use crate::sql::{self, quote_ident, quote_literal};
use migrate_contract::CatalogRow;

/// Schemas, enum types (and new labels), and new tables with their indexes.
pub(super) fn expand_creations(
    input: &PlanInput<'_>,
    decisions: &[&Decision],
    out: &mut Vec<Step>,
) {
    let new_tables: Vec<&Table> = decisions
        .iter()
        .filter_map(|d| match &d.located.change {
            Change::CreateTable(t) => Some(t),
            _ => None,
        })
        .collect();
    let new_enums: Vec<&EnumType> = decisions
        .iter()
        .filter_map(|d| match &d.located.change {
            Change::CreateEnum(e) => Some(e),
            _ => None,
        })
        .collect();

    new_schema_steps(input, &new_tables, &new_enums, out);
    for e in &new_enums {
        out.push(create_enum_step(e));
    }
    // New labels run alone, before anything that could use them as a default.
    for d in decisions {
        if let Change::AddEnumValue { name, value, after } = &d.located.change {
            out.push(add_enum_label_step(input, name, value, after.as_deref()));
        }
    }
    let new_names: BTreeSet<&QualifiedName> = new_tables.iter().map(|t| &t.name).collect();
    let (ordered, deferred) = order_by_references(&new_tables);
    for table in ordered {
        out.push(create_table_step(table, &new_names, &deferred));
        for index in &table.indexes {
            out.push(create_index_step(&table.name, index, true, CatalogRow::T1));
        }
    }
    // Foreign keys that close a cycle between new tables: added once every table exists, in
    // the same transaction (the tables are new and empty, so nothing waits or scans).
    for (table, fk) in deferred {
        out.push(cycle_foreign_key_step(table, fk));
    }
}

/// T1: `CREATE SCHEMA` for the schemas of new tables and enum types that the accepted schema
/// does not know.
fn new_schema_steps(
    input: &PlanInput<'_>,
    new_tables: &[&Table],
    new_enums: &[&EnumType],
    out: &mut Vec<Step>,
) {
    let known_schemas: BTreeSet<&str> = input
        .accepted
        .tables
        .values()
        .map(|t| t.name.schema.as_str())
        .chain(
            input
                .accepted
                .enums
                .values()
                .map(|e| e.name.schema.as_str()),
        )
        .chain(["public"])
        .collect();
    let new_schemas: BTreeSet<&str> = new_tables
        .iter()
        .map(|t| t.name.schema.as_str())
        .chain(new_enums.iter().map(|e| e.name.schema.as_str()))
        .filter(|s| !known_schemas.contains(s))
        .collect();
    for schema in new_schemas {
        out.push(
            Step::new(
                Phase::Expand,
                CatalogRow::T1,
                format!("create schema {schema}"),
                format!("create_schema_{schema}"),
                format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(schema)),
            )
            .guard("IF NOT EXISTS")
            .rollback(format!("DROP SCHEMA IF EXISTS {};", quote_ident(schema))),
        );
    }
}

/// E1: a new label, `AFTER` the one declared before it (or `BEFORE` the first).
fn add_enum_label_step(
    input: &PlanInput<'_>,
    name: &QualifiedName,
    value: &str,
    after: Option<&str>,
) -> Step {
    let position = match after {
        Some(previous) => format!(" AFTER {}", quote_literal(previous)),
        None => input
            .accepted
            .enums
            .get(&name.key())
            .and_then(|e| e.values.first())
            .map(|first| format!(" BEFORE {}", quote_literal(first)))
            .unwrap_or_default(),
    };
    Step::new(
        Phase::Expand,
        CatalogRow::E1,
        format!("add label '{value}' to enum {name}"),
        format!("enum_{}_{value}", name.name),
        format!(
            "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{position};",
            name.sql(),
            quote_literal(value)
        ),
    )
    // PostgreSQL 12 and later run ADD VALUE in a transaction. Alone in its own,
    // nothing uses the label before it commits, and its file can start with the
    // release-order check, which a lone CONCURRENTLY statement cannot.
    .own_transaction()
    .guard("IF NOT EXISTS")
    .irreversible("PostgreSQL cannot remove a label from an enum")
}

/// T1: a foreign key that closes a cycle between new tables, added once they all exist.
fn cycle_foreign_key_step(table: &Table, fk: &ForeignKey) -> Step {
    let absent = format!("NOT {}", constraint_exists(&table.name, &fk.name));
    Step::new(
        Phase::Expand,
        CatalogRow::T1,
        format!(
            "add foreign key {} of new table {} (it closes a cycle)",
            fk.name, table.name
        ),
        format!("fk_{}", fk.name),
        guarded(
            &absent,
            &format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {};",
                table.name.sql(),
                quote_ident(&fk.name),
                foreign_key_clause(fk)
            ),
        ),
    )
    .lock(LockMode::ShareRowExclusive, &table.name, true)
    .lock(LockMode::ShareRowExclusive, &fk.references, true)
    .guard("catalog probe on pg_constraint")
    .rollback(format!(
        "ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {};",
        table.name.sql(),
        quote_ident(&fk.name)
    ))
}

/// T1: `CREATE TYPE … AS ENUM`, guarded by a catalog probe on pg_type.
fn create_enum_step(e: &EnumType) -> Step {
    let labels: Vec<String> = e.values.iter().map(|v| quote_literal(v)).collect();
    let absent = format!(
        "NOT EXISTS (\n        SELECT 1 FROM pg_catalog.pg_type t\n        JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\n        WHERE n.nspname = {} AND t.typname = {}\n    )",
        quote_literal(&e.name.schema),
        quote_literal(&e.name.name)
    );
    Step::new(
        Phase::Expand,
        CatalogRow::T1,
        format!("create enum type {}", e.name),
        format!("create_type_{}", e.name.name),
        guarded(
            &absent,
            &format!(
                "CREATE TYPE {} AS ENUM ({});",
                e.name.sql(),
                labels.join(", ")
            ),
        ),
    )
    .guard("catalog probe on pg_type")
    .rollback(format!("DROP TYPE IF EXISTS {};", e.name.sql()))
}

/// Orders new tables so a referenced table is created before the tables that reference it
/// (ties in name order). Where the foreign keys form a cycle, the first waiting table in name
/// order is created without its foreign keys to tables not created yet; those are returned,
/// to be added once every table exists.
fn order_by_references<'a>(
    tables: &[&'a Table],
) -> (Vec<&'a Table>, Vec<(&'a Table, &'a ForeignKey)>) {
    // Kahn's algorithm by rounds: a table is ready once every table it references is placed;
    // each round's tables go in name order (the index into the sorted keys).
    let by_key: BTreeMap<String, &'a Table> = tables.iter().map(|t| (t.name.key(), *t)).collect();
    let keys: Vec<&String> = by_key.keys().collect();
    let sorted: Vec<&'a Table> = by_key.values().copied().collect();
    let mut waiting_on = vec![0usize; keys.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); keys.len()];
    for (i, table) in sorted.iter().enumerate() {
        let mut references: Vec<usize> = table
            .foreign_keys
            .iter()
            .filter_map(|fk| keys.binary_search(&&fk.references.key()).ok())
            .filter(|j| *j != i)
            .collect();
        references.sort_unstable();
        references.dedup();
        waiting_on[i] = references.len();
        for j in references {
            dependents[j].push(i);
        }
    }
    let mut placed = vec![false; keys.len()];
    let mut ordered = Vec::with_capacity(keys.len());
    let mut deferred = Vec::new();
    let mut ready: Vec<usize> = (0..keys.len()).filter(|i| waiting_on[*i] == 0).collect();
    let mut unplaced_from = 0;
    while ordered.len() < keys.len() {
        if ready.is_empty() {
            // A cycle: break it at the first table not placed yet; its foreign keys to tables
            // not placed yet are added after every table exists.
            while placed[unplaced_from] {
                unplaced_from += 1;
            }
            let i = unplaced_from;
            let table = sorted[i];
            deferred.extend(
                table
                    .foreign_keys
                    .iter()
                    .filter(|fk| {
                        keys.binary_search(&&fk.references.key())
                            .is_ok_and(|j| j != i && !placed[j])
                    })
                    .map(|fk| (table, fk)),
            );
            ready.push(i);
        }
        let mut next = Vec::new();
        for &i in &ready {
            placed[i] = true;
        }
        for &i in &ready {
            for &k in &dependents[i] {
                waiting_on[k] = waiting_on[k].saturating_sub(1);
                if waiting_on[k] == 0 && !placed[k] {
                    next.push(k);
                }
            }
        }
        ordered.extend(ready.iter().map(|&i| sorted[i]));
        next.sort_unstable();
        next.dedup();
        ready = next;
    }
    (ordered, deferred)
}

/// T1: `CREATE TABLE IF NOT EXISTS` with its key, unique and CHECK constraints, and the foreign
/// keys that close no cycle.
fn create_table_step(
    table: &Table,
    new_tables: &BTreeSet<&QualifiedName>,
    deferred: &[(&Table, &ForeignKey)],
) -> Step {
    let mut lines: Vec<String> = table.columns.iter().map(column_definition).collect();
    if !table.primary_key.is_empty() {
        lines.push(format!(
            "CONSTRAINT {} PRIMARY KEY ({})",
            quote_ident(&sql::generated_name(&[&table.name.name], "pkey")),
            column_list(&table.primary_key)
        ));
    }
    for u in &table.uniques {
        lines.push(format!(
            "CONSTRAINT {} UNIQUE ({})",
            quote_ident(&u.name),
            column_list(&u.columns)
        ));
    }
    for c in &table.checks {
        lines.push(format!(
            "CONSTRAINT {} CHECK ({})",
            quote_ident(&c.name),
            c.expr
        ));
    }
    let mut step = Step::new(
        Phase::Expand,
        CatalogRow::T1,
        format!("create table {}", table.name),
        format!("create_{}", table.name.name),
        String::new(),
    )
    .lock(LockMode::AccessExclusive, &table.name, true);
    for fk in table
        .foreign_keys
        .iter()
        .filter(|fk| !deferred.iter().any(|(_, d)| std::ptr::eq(*d, *fk)))
    {
        lines.push(format!(
            "CONSTRAINT {} {}",
            quote_ident(&fk.name),
            foreign_key_clause(fk)
        ));
        if fk.references != table.name {
            let is_new = new_tables.contains(&fk.references);
            step = step.lock(LockMode::ShareRowExclusive, &fk.references, is_new);
        }
    }
    step.sql = format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    {}\n);",
        table.name.sql(),
        lines.join(",\n    ")
    );
    step.guard("IF NOT EXISTS")
        .rollback(format!("DROP TABLE IF EXISTS {};", table.name.sql()))
}

/// T2: in contract, the table's foreign keys (with their triggers on the tables they
/// reference), then the table.
pub(super) fn drop_table_steps(table: &Table, catalog: CatalogRow) -> Vec<Step> {
    let mut contract = Vec::new();
    for fk in &table.foreign_keys {
        contract.push(
            Step::new(
                Phase::Contract,
                catalog,
                format!("drop foreign key {} of {}", fk.name, table.name),
                format!("drop_fk_{}", fk.name),
                format!(
                    "ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {};",
                    table.name.sql(),
                    quote_ident(&fk.name)
                ),
            )
            .lock(LockMode::AccessExclusive, &table.name, false)
            // Dropping a foreign key drops its triggers on the referenced table too.
            .lock(LockMode::AccessExclusive, &fk.references, false)
            .guard("IF EXISTS")
            .rollback(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID;",
                table.name.sql(),
                quote_ident(&fk.name),
                foreign_key_clause(fk)
            )),
        );
    }
    contract.push(
        Step::new(
            Phase::Contract,
            catalog,
            format!("drop table {}", table.name),
            format!("drop_{}", table.name.name),
            format!("DROP TABLE IF EXISTS {};", table.name.sql()),
        )
        .lock(LockMode::AccessExclusive, &table.name, false)
        .guard("IF EXISTS")
        .irreversible("the table's data is gone"),
    );
    contract
}

/// T3: the physical rename, in contract, and the primary key's generated name with it.
pub(super) fn rename_table_steps(
    input: &PlanInput<'_>,
    from: &QualifiedName,
    to: &QualifiedName,
    catalog: CatalogRow,
) -> Vec<Step> {
    let mut contract = vec![
        Step::new(
            Phase::Contract,
            catalog,
            format!("rename table {from} to {}", to.name),
            format!("rename_{}_{}", from.name, to.name),
            format!(
                "ALTER TABLE IF EXISTS {} RENAME TO {};",
                from.sql(),
                quote_ident(&to.name)
            ),
        )
        .lock(LockMode::AccessExclusive, from, false)
        .guard("IF EXISTS (the old name is gone after the first run)")
        .rollback(format!(
            "ALTER TABLE IF EXISTS {} RENAME TO {};",
            to.sql(),
            quote_ident(&from.name)
        )),
    ];
    // The primary key's generated name follows the table's.
    let (old_pk, new_pk) = (
        sql::generated_name(&[&from.name], "pkey"),
        sql::generated_name(&[&to.name], "pkey"),
    );
    if input
        .accepted
        .table(from)
        .is_some_and(|t| !t.primary_key.is_empty())
    {
        contract.push(rename_constraint_step(to, &old_pk, &new_pk, catalog));
    }
    contract
}

/// T3 for an index or a constraint named after a renamed table or column: renamed in
/// contract, with it.
pub(super) fn rename_object_step(
    table: &QualifiedName,
    index: bool,
    from: &str,
    to: &str,
    catalog: CatalogRow,
) -> Step {
    if index {
        Step::new(
            Phase::Contract,
            catalog,
            format!("rename index {from} to {to}"),
            format!("rename_index_{from}"),
            format!(
                "ALTER INDEX IF EXISTS {} RENAME TO {};",
                QualifiedName::new(table.schema.clone(), from).sql(),
                quote_ident(to)
            ),
        )
        .lock(LockMode::ShareUpdateExclusive, table, false)
        .guard("IF EXISTS")
        .rollback(format!(
            "ALTER INDEX IF EXISTS {} RENAME TO {};",
            QualifiedName::new(table.schema.clone(), to).sql(),
            quote_ident(from)
        ))
    } else {
        rename_constraint_step(table, from, to, catalog)
    }
}

/// T3: a constraint renamed, guarded by a catalog probe (ALTER TABLE has no IF EXISTS for it).
fn rename_constraint_step(
    table: &QualifiedName,
    from: &str,
    to: &str,
    catalog: CatalogRow,
) -> Step {
    let exists = |name: &str| constraint_exists(table, name);
    Step::new(
        Phase::Contract,
        catalog,
        format!("rename constraint {from} of {table} to {to}"),
        format!("rename_constraint_{from}"),
        guarded(
            &exists(from),
            &format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
                table.sql(),
                quote_ident(from),
                quote_ident(to)
            ),
        ),
    )
    .lock(LockMode::AccessExclusive, table, false)
    .guard("catalog probe on pg_constraint")
    .rollback(guarded(
        &exists(to),
        &format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
            table.sql(),
            quote_ident(to),
            quote_ident(from)
        ),
    ))
}
