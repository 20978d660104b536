//! Stage 4, *plan*: every located change gets a verdict, and safe (or explicitly allowed) ones
//! become [`Step`]s: plain data with the SQL, the lock it takes, whether it runs in a
//! transaction, its timeouts and its idempotency guard. The renderer writes files from steps and
//! the runner will execute them; neither decides anything.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::diff::{Change, Located, Reporter};
use crate::model::{Column, ColumnType, EnumType, Index, QualifiedName, Schema, Table};
use crate::snapshot::Release;
use crate::sql::{self, Volatility, quote_ident, quote_literal};

/// `lock_timeout` for every step that takes ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE on an
/// existing table (rule R1): short, so a queued lock never stalls traffic for long.
pub const LOCK_TIMEOUT_MS: u32 = 100;
/// `statement_timeout` for steps under ACCESS EXCLUSIVE (rule R2). Metadata changes take
/// microseconds once the lock is granted.
pub const STATEMENT_TIMEOUT_MS: u32 = 5_000;

/// What the planner says about one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Safe as planned.
    Safe,
    /// Unsafe, but declared with `allow_unsafe = "reason"`: the naive statement runs and the
    /// reason is recorded in the plan.
    Allowed {
        /// The user's reason.
        reason: String,
        /// What the naive statement costs.
        cost: String,
    },
    /// Unsafe: the build fails and the message names the safe way.
    Refused {
        /// What breaks.
        why: String,
        /// What to declare instead.
        help: String,
    },
    /// A change this version does not classify yet: the build fails rather than guess.
    Unsupported {
        /// What the change is and why it needs a plan this version lacks.
        why: String,
        /// What to do meanwhile.
        help: String,
    },
}

/// A change with its verdict.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The change and where it was declared.
    pub located: Located,
    /// The catalog row (`T1`, `C4`, …).
    pub catalog: &'static str,
    /// The verdict.
    pub verdict: Verdict,
}

impl Decision {
    /// The compile error for a refused or unsupported change.
    pub fn diagnostic(&self) -> Option<Diagnostic> {
        match &self.verdict {
            Verdict::Refused { why, help } => Some(
                Diagnostic::error(
                    self.located.span,
                    format!("unsafe schema change ({}): {why}", self.catalog),
                )
                .help(help.clone()),
            ),
            Verdict::Unsupported { why, help } => Some(
                Diagnostic::error(
                    self.located.span,
                    format!("schema change not supported yet ({}): {why}", self.catalog),
                )
                .help(help.clone())
                .note("this version generates no migration it has not classified"),
            ),
            Verdict::Safe | Verdict::Allowed { .. } => None,
        }
    }

    /// Whether this decision stops the plan from being written.
    pub fn blocks(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Refused { .. } | Verdict::Unsupported { .. }
        )
    }

    /// Who reports it.
    pub fn reporter(&self) -> Reporter {
        self.located.reporter
    }
}

/// Gives every change its verdict.
pub fn decide(changes: &[Located], snapshot: &Schema) -> Vec<Decision> {
    changes
        .iter()
        .map(|located| decide_one(located, snapshot))
        .collect()
}

fn decide_one(located: &Located, snapshot: &Schema) -> Decision {
    let (catalog, verdict) = verdict_for(&located.change, snapshot);
    let verdict = match (verdict, &located.allow_unsafe) {
        (Verdict::Refused { why, .. }, Some(reason)) if allowable(&located.change) => {
            Verdict::Allowed {
                reason: reason.value.clone(),
                cost: why,
            }
        }
        (verdict, _) => verdict,
    };
    Decision {
        located: located.clone(),
        catalog,
        verdict,
    }
}

/// Refusals that have a naive statement `allow_unsafe` may run. Undeclared disappearances have
/// none: intent must be declared first.
fn allowable(change: &Change) -> bool {
    matches!(
        change,
        Change::AddColumn { .. }
            | Change::AlterColumnType { .. }
            | Change::SetNotNull { .. }
            | Change::DropColumn { .. }
            | Change::DropTable { declared: true, .. }
    )
}

fn refused(why: String, help: impl Into<String>) -> Verdict {
    Verdict::Refused {
        why,
        help: help.into(),
    }
}

fn unsupported(why: String, help: impl Into<String>) -> Verdict {
    Verdict::Unsupported {
        why,
        help: help.into(),
    }
}

const ALLOW: &str = "or, if you accept the cost, `#[migrate(allow_unsafe = \"<why it is fine here>\")]` runs the naive statement and records the reason in the plan";
const REVERT: &str = "revert this change for now; the phased plan for it comes with the planner";

fn verdict_for(change: &Change, snapshot: &Schema) -> (&'static str, Verdict) {
    match change {
        Change::CreateTable(_) => ("T1", Verdict::Safe),
        Change::CreateEnum(_) => ("T1", Verdict::Safe),
        Change::DropTable {
            table,
            declared: true,
        } => (
            "T2",
            refused(
                format!(
                    "dropping `{}` takes ACCESS EXCLUSIVE on it and on every table it references, breaks the running binary that still uses it, and deletes its data",
                    table.name
                ),
                format!(
                    "the phased drop (views first, DROP in contract once the old binary is gone) is not supported yet: keep the table for now, {ALLOW}"
                ),
            ),
        ),
        Change::DropTable {
            table,
            declared: false,
        } => (
            "T2",
            refused(
                format!(
                    "table `{}` (struct `{}`) is in the snapshot but no struct declares it; a struct that disappears is never taken as a drop",
                    table.name, table.rust_name
                ),
                format!(
                    "to drop it, keep the struct and mark it `#[migrate(drop)]`; if you renamed it, put `#[migrate(renamed_from = \"{}\")]` on the renamed struct",
                    table.name.name
                ),
            ),
        ),
        Change::RenameTable { from, to } => (
            "T3",
            unsupported(
                format!(
                    "renaming table `{from}` to `{to}` needs a schema of views per release so both binaries keep working"
                ),
                REVERT,
            ),
        ),
        Change::AddColumn { table, column } => add_column_verdict(table, column),
        Change::DropColumn { table, column } => (
            "C5",
            refused(
                format!(
                    "dropping `{}.{}` breaks the running binary, which still reads and writes it, deletes its data, and silently drops every index that contains it",
                    table, column.name
                ),
                format!(
                    "the phased drop (hidden from the new release's views, dropped in contract) is not supported yet: keep the field for now, {ALLOW}"
                ),
            ),
        ),
        Change::ColumnDisappeared { table, column } => (
            "C5",
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
        ),
        Change::RenameColumn { table, from, to } => (
            "C8",
            unsupported(
                format!(
                    "renaming `{table}.{from}` to `{to}` breaks the running binary unless each release reads through its own views"
                ),
                REVERT,
            ),
        ),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
        } => {
            if binary_coercible(from, to) {
                (
                    "C9",
                    unsupported(
                        format!(
                            "`{table}.{column}` from {from} to {to} is binary-coercible (metadata only), but in-place type changes are not generated yet"
                        ),
                        REVERT,
                    ),
                )
            } else {
                (
                    "C10",
                    refused(
                        format!(
                            "changing `{table}.{column}` from {from} to {to} rewrites `{table}` and its indexes under ACCESS EXCLUSIVE (reads and writes blocked), and the running binary still expects {from}"
                        ),
                        format!(
                            "keep the field's type and add a new column of the new type (e.g. `{column}_v2`) to fill in a later release, {ALLOW}"
                        ),
                    ),
                )
            }
        }
        Change::SetNotNull { table, column } => (
            "C6",
            refused(
                format!(
                    "making `{table}.{column}` NOT NULL scans `{table}` under ACCESS EXCLUSIVE, fails if any row holds NULL, and the running binary may still write NULLs"
                ),
                format!(
                    "keep the field `Option<_>` in this release (the phased CHECK … NOT VALID plan runs in contract and is not supported yet), {ALLOW}"
                ),
            ),
        ),
        Change::DropNotNull { table, column } => (
            "C7",
            unsupported(
                format!(
                    "making `{table}.{column}` nullable is cheap for the database, but the running binary cannot decode NULLs; the plan must mark it"
                ),
                REVERT,
            ),
        ),
        Change::ChangeDefault { table, column, .. } => (
            "C11",
            unsupported(
                format!("changing the default of `{table}.{column}`"),
                REVERT,
            ),
        ),
        Change::ChangeIdentity { table, column } => (
            "C12",
            refused(
                format!(
                    "adding or removing identity on `{table}.{column}` has no online form in this version"
                ),
                "keep the column as it is",
            ),
        ),
        Change::ChangePrimaryKey { table, from, to } => (
            "I4",
            unsupported(
                format!(
                    "changing the primary key of `{table}` from ({}) to ({}) builds an index under ACCESS EXCLUSIVE",
                    from.join(", "),
                    to.join(", ")
                ),
                REVERT,
            ),
        ),
        Change::AddIndex { table, index } if index.unique => (
            "I3",
            unsupported(
                format!(
                    "unique index `{}` on existing table `{table}` needs a duplicate pre-check before it is built",
                    index.name
                ),
                REVERT,
            ),
        ),
        Change::AddIndex { .. } => ("I1", Verdict::Safe),
        Change::DropIndex { table, index } => (
            "I2",
            unsupported(
                format!(
                    "dropping index `{}` of `{table}` belongs in the contract phase (the running binary's queries may rely on it)",
                    index.name
                ),
                REVERT,
            ),
        ),
        Change::RedefineObject { table, name } => (
            "I5",
            unsupported(
                format!(
                    "`{name}` on `{table}` keeps its name but changes its definition; that is a drop plus a create"
                ),
                "give the new definition a new name (`name = \"…\"`) and keep the old one for now",
            ),
        ),
        Change::AddConstraint {
            table,
            name,
            catalog,
        } => (
            catalog,
            unsupported(
                format!(
                    "adding constraint `{name}` to existing table `{table}` must be added NOT VALID and validated separately, in contract, because the running binary may violate it"
                ),
                REVERT,
            ),
        ),
        Change::DropConstraint { table, name } => (
            "K3",
            unsupported(format!("dropping constraint `{name}` of `{table}`"), REVERT),
        ),
        Change::AddEnumValues { name, values } => (
            "E1",
            unsupported(
                format!(
                    "adding {} to enum `{name}`: the running binary cannot decode the new label, and ADD VALUE must run alone",
                    values
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                REVERT,
            ),
        ),
        Change::RewriteEnum { name, removed } => (
            "E2",
            refused(
                format!(
                    "enum `{name}` lost or reordered labels ({}); PostgreSQL cannot remove or move a label in place, and a type rebuild rewrites every table that uses it",
                    removed.join(", ")
                ),
                "keep every accepted label in its place (stop using it instead), and add new labels after the existing ones",
            ),
        ),
        Change::EnumDisappeared(e) => {
            let used_by: Vec<String> = snapshot
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
                "E2",
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
    }
}

fn add_column_verdict(table: &QualifiedName, column: &Column) -> (&'static str, Verdict) {
    if column.identity {
        return (
            "C12",
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
        Some(default) => {
            let volatile = sql::parse_expr(default)
                .map_or(Volatility::Volatile, |e| sql::default_volatility(&e));
            match volatile {
                Volatility::NonVolatile => ("C2", Verdict::Safe),
                Volatility::Volatile => (
                    "C3",
                    refused(
                        format!(
                            "default `{default}` of new column `{table}.{}` is volatile (or not known to be stable), so ADD COLUMN rewrites `{table}` under ACCESS EXCLUSIVE",
                            column.name
                        ),
                        format!(
                            "use a constant default, or add the column as `Option<_>` without a default and fill it in a later release (the batched backfill is not supported yet), {ALLOW}"
                        ),
                    ),
                ),
            }
        }
        None if column.nullable => ("C1", Verdict::Safe),
        None => (
            "C4",
            refused(
                format!(
                    "new column `{table}.{}` is NOT NULL with no default: ADD COLUMN fails on a populated table, and the running binary's INSERTs, which do not set it, would fail",
                    column.name
                ),
                format!(
                    "declare a default, `#[migrate(default = \"…\")]`, or make the field `Option<_>`, {ALLOW}"
                ),
            ),
        ),
    }
}

/// Type changes PostgreSQL performs without a rewrite (catalog row C9).
pub fn binary_coercible(from: &ColumnType, to: &ColumnType) -> bool {
    let (
        ColumnType::Builtin {
            name: from,
            array_dims: a,
        },
        ColumnType::Builtin {
            name: to,
            array_dims: b,
        },
    ) = (from, to)
    else {
        return false;
    };
    if a != b {
        return false;
    }
    let modifier = |t: &str, base: &str| -> Option<Option<Vec<u32>>> {
        let rest = t.strip_prefix(base)?;
        if rest.is_empty() {
            return Some(None);
        }
        let inner = rest.strip_prefix('(')?.split(')').next()?;
        Some(Some(
            inner
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect(),
        ))
    };
    let varchar = |t: &str| modifier(t, "character varying");
    if let (Some(f), Some(t)) = (varchar(from), varchar(to)) {
        return match (f, t) {
            (_, None) => true,
            (Some(f), Some(t)) => t[0] >= f[0],
            (None, Some(_)) => false,
        };
    }
    if (varchar(from).is_some() && to == "text") || (from == "text" && to == "character varying") {
        return true;
    }
    if let (Some(f), Some(t)) = (modifier(from, "numeric"), modifier(to, "numeric")) {
        return match (f, t) {
            (_, None) => true,
            (Some(f), Some(t)) => f.len() == 2 && t.len() == 2 && t[1] == f[1] && t[0] >= f[0],
            (None, Some(_)) => false,
        };
    }
    for base in ["timestamp", "time", "interval"] {
        let precision = |t: &str| -> Option<(u32, String)> {
            let rest = t.strip_prefix(base)?;
            if let Some(r) = rest.strip_prefix('(') {
                let (p, tail) = r.split_once(')')?;
                Some((p.parse().ok()?, tail.trim().to_owned()))
            } else {
                Some((6, rest.trim().to_owned()))
            }
        };
        if let (Some((fp, fz)), Some((tp, tz))) = (precision(from), precision(to)) {
            return fz == tz && tp >= fp;
        }
    }
    from == "cidr" && to == "inet"
}

/// A migration phase (see the release model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the new binary deploys; both binaries work against the result.
    Expand,
    /// Batched, after expand.
    Backfill,
    /// After every old binary is gone.
    Contract,
}

/// A PostgreSQL table lock mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockMode {
    /// Blocks reads and writes.
    AccessExclusive,
    /// Blocks writes and other SRE.
    ShareRowExclusive,
    /// Blocks writes.
    Share,
    /// Blocks neither reads nor writes.
    ShareUpdateExclusive,
}

impl LockMode {
    /// The name PostgreSQL uses.
    pub fn sql_name(self) -> &'static str {
        match self {
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
        }
    }
}

/// One lock a step takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// The mode.
    pub mode: LockMode,
    /// The table (`schema.name`).
    pub table: String,
    /// Whether the table is created in this plan (so nobody else can be waiting on it).
    pub new_table: bool,
}

/// One executable step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Its phase.
    pub phase: Phase,
    /// The catalog row it implements.
    pub catalog: String,
    /// What it does, in words.
    pub description: String,
    /// A short slug for file names (`add_users_nickname`).
    pub slug: String,
    /// The SQL: one statement.
    pub sql: String,
    /// Locks taken, strongest first.
    pub locks: Vec<Lock>,
    /// Whether it may run inside a transaction (false for CONCURRENTLY).
    pub transactional: bool,
    /// `lock_timeout` to set on the connection that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_timeout_ms: Option<u32>,
    /// `statement_timeout` to set on the connection that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_timeout_ms: Option<u32>,
    /// How a re-run is made harmless.
    pub idempotency: String,
    /// A check to run after the step (an index built CONCURRENTLY may be left invalid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_check: Option<String>,
    /// The `allow_unsafe` reason when this is a naive statement the user accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsafe_reason: Option<String>,
}

/// The plan for one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The release these steps lead to.
    pub release: Release,
    /// Steps in execution order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Builds the steps for every safe or allowed decision. Blocking decisions must have been
/// reported before; this function skips them.
pub fn build_plan(release: Release, decisions: &[Decision], snapshot: &Schema) -> Plan {
    let accepted = |d: &&Decision| matches!(d.verdict, Verdict::Safe | Verdict::Allowed { .. });
    let decisions: Vec<&Decision> = decisions.iter().filter(accepted).collect();
    let reason = |d: &Decision| match &d.verdict {
        Verdict::Allowed { reason, .. } => Some(reason.clone()),
        _ => None,
    };

    let mut steps = Vec::new();
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

    // 1. Schemas that nothing accepted lives in yet.
    let known_schemas: BTreeSet<&str> = snapshot
        .tables
        .values()
        .map(|t| t.name.schema.as_str())
        .chain(snapshot.enums.values().map(|e| e.name.schema.as_str()))
        .chain(["public"])
        .collect();
    let new_schemas: BTreeSet<&str> = new_tables
        .iter()
        .map(|t| t.name.schema.as_str())
        .chain(new_enums.iter().map(|e| e.name.schema.as_str()))
        .filter(|s| !known_schemas.contains(s))
        .collect();
    for schema in new_schemas {
        steps.push(Step {
            phase: Phase::Expand,
            catalog: "T1".into(),
            description: format!("create schema {schema}"),
            slug: format!("create_schema_{schema}"),
            sql: format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(schema)),
            locks: Vec::new(),
            transactional: true,
            lock_timeout_ms: None,
            statement_timeout_ms: None,
            idempotency: "IF NOT EXISTS".into(),
            post_check: None,
            unsafe_reason: None,
        });
    }

    // 2. Enum types, before the tables that use them.
    for e in &new_enums {
        steps.push(create_enum_step(e));
    }

    // 3. New tables, referenced tables first; their indexes in the same transaction (empty).
    for table in order_by_references(&new_tables) {
        steps.push(create_table_step(table, &new_tables));
        for index in &table.indexes {
            steps.push(index_step(table, index, true));
        }
    }

    // 4. Columns on existing tables, then the naive steps the user allowed.
    for d in &decisions {
        let r = reason(d);
        match &d.located.change {
            Change::AddColumn { table, column } => {
                steps.push(add_column_step(table, column, d.catalog, r))
            }
            Change::AlterColumnType {
                table, column, to, ..
            } => steps.push(naive_step(
                table,
                d.catalog,
                format!("change type of {table}.{column} to {to}"),
                format!("alter_{}_{column}", table.name),
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} TYPE {} USING {}::{};",
                    table.sql(),
                    quote_ident(column),
                    to.sql(),
                    quote_ident(column),
                    to.sql()
                ),
                "re-running converts again to the same type",
                r,
            )),
            Change::SetNotNull { table, column } => steps.push(naive_step(
                table,
                d.catalog,
                format!("set {table}.{column} NOT NULL"),
                format!("not_null_{}_{column}", table.name),
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;",
                    table.sql(),
                    quote_ident(column)
                ),
                "SET NOT NULL is a no-op when already set",
                r,
            )),
            _ => {}
        }
    }
    for d in &decisions {
        let r = reason(d);
        match &d.located.change {
            Change::DropColumn { table, column } => steps.push(naive_step(
                table,
                d.catalog,
                format!("drop column {table}.{}", column.name),
                format!("drop_{}_{}", table.name, column.name),
                format!(
                    "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
                    table.sql(),
                    quote_ident(&column.name)
                ),
                "IF EXISTS",
                r,
            )),
            Change::DropTable { table, .. } => steps.push(naive_step(
                &table.name,
                d.catalog,
                format!("drop table {}", table.name),
                format!("drop_{}", table.name.name),
                format!("DROP TABLE IF EXISTS {};", table.name.sql()),
                "IF EXISTS",
                r,
            )),
            _ => {}
        }
    }

    // 5. Indexes on existing tables: CONCURRENTLY, each alone, after the columns they cover.
    for d in &decisions {
        if let Change::AddIndex { table, index } = &d.located.change {
            let shell = Table {
                name: table.clone(),
                rust_name: String::new(),
                columns: Vec::new(),
                primary_key: Vec::new(),
                uniques: Vec::new(),
                indexes: Vec::new(),
                checks: Vec::new(),
                foreign_keys: Vec::new(),
            };
            steps.push(index_step(&shell, index, false));
        }
    }

    Plan { release, steps }
}

fn create_enum_step(e: &EnumType) -> Step {
    let labels: Vec<String> = e.values.iter().map(|v| quote_literal(v)).collect();
    Step {
        phase: Phase::Expand,
        catalog: "T1".into(),
        description: format!("create enum type {}", e.name),
        slug: format!("create_type_{}", e.name.name),
        sql: format!(
            "DO $$\nBEGIN\n    IF NOT EXISTS (\n        SELECT 1 FROM pg_catalog.pg_type t\n        JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\n        WHERE n.nspname = {} AND t.typname = {}\n    ) THEN\n        CREATE TYPE {} AS ENUM ({});\n    END IF;\nEND\n$$;",
            quote_literal(&e.name.schema),
            quote_literal(&e.name.name),
            e.name.sql(),
            labels.join(", ")
        ),
        locks: Vec::new(),
        transactional: true,
        lock_timeout_ms: None,
        statement_timeout_ms: None,
        idempotency: "catalog probe on pg_type".into(),
        post_check: None,
        unsafe_reason: None,
    }
}

/// Orders new tables so a referenced table is created before the tables that reference it
/// (ties in name order). Returns the tables left in a cycle as the error.
fn topological<'a>(tables: &[&'a Table]) -> Result<Vec<&'a Table>, Vec<String>> {
    let mut remaining: BTreeMap<String, &'a Table> =
        tables.iter().map(|t| (t.name.key(), *t)).collect();
    let mut ordered = Vec::new();
    while !remaining.is_empty() {
        let ready: Vec<String> = remaining
            .iter()
            .filter(|(key, t)| {
                t.foreign_keys.iter().all(|fk| {
                    fk.references.key() == **key || !remaining.contains_key(&fk.references.key())
                })
            })
            .map(|(k, _)| k.clone())
            .collect();
        if ready.is_empty() {
            return Err(remaining.into_keys().collect());
        }
        for key in ready {
            if let Some(t) = remaining.remove(&key) {
                ordered.push(t);
            }
        }
    }
    Ok(ordered)
}

/// The new tables whose foreign keys form a cycle, if any (self-references are fine).
pub fn reference_cycle(tables: &[&Table]) -> Option<Vec<String>> {
    topological(tables).err()
}

fn order_by_references<'a>(tables: &[&'a Table]) -> Vec<&'a Table> {
    // Cycles are refused before planning; fall back to name order if one slips through.
    topological(tables).unwrap_or_else(|_| tables.to_vec())
}

/// Column definition for CREATE TABLE / ADD COLUMN.
pub fn column_definition(column: &Column) -> String {
    let mut sql = format!("{} {}", quote_ident(&column.name), column.ty.sql());
    if column.identity {
        sql.push_str(" GENERATED BY DEFAULT AS IDENTITY");
    }
    if let Some(default) = &column.default {
        sql.push_str(" DEFAULT ");
        sql.push_str(default);
    }
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

fn column_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn create_table_step(table: &Table, new_tables: &[&Table]) -> Step {
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
    let mut locks = vec![Lock {
        mode: LockMode::AccessExclusive,
        table: table.name.key(),
        new_table: true,
    }];
    for fk in &table.foreign_keys {
        let mut line = format!(
            "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            quote_ident(&fk.name),
            column_list(&fk.columns),
            fk.references.sql(),
            column_list(&fk.referenced_columns)
        );
        if fk.on_delete != Default::default() {
            line.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
        }
        if fk.on_update != Default::default() {
            line.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
        }
        lines.push(line);
        if fk.references != table.name && !locks.iter().any(|l| l.table == fk.references.key()) {
            let is_new = new_tables.iter().any(|t| t.name == fk.references);
            locks.push(Lock {
                mode: LockMode::ShareRowExclusive,
                table: fk.references.key(),
                new_table: is_new,
            });
        }
    }
    let touches_existing = locks.iter().any(|l| !l.new_table);
    Step {
        phase: Phase::Expand,
        catalog: "T1".into(),
        description: format!("create table {}", table.name),
        slug: format!("create_{}", table.name.name),
        sql: format!(
            "CREATE TABLE IF NOT EXISTS {} (\n    {}\n);",
            table.name.sql(),
            lines.join(",\n    ")
        ),
        locks,
        transactional: true,
        lock_timeout_ms: touches_existing.then_some(LOCK_TIMEOUT_MS),
        statement_timeout_ms: touches_existing.then_some(STATEMENT_TIMEOUT_MS),
        idempotency: "IF NOT EXISTS".into(),
        post_check: None,
        unsafe_reason: None,
    }
}

/// CREATE INDEX for a new (empty) table, or CONCURRENTLY for an existing one.
fn index_step(table: &Table, index: &Index, new_table: bool) -> Step {
    let keys: Vec<String> = index.keys.iter().map(|k| k.sql()).collect();
    let sql = format!(
        "CREATE {}INDEX {}IF NOT EXISTS {} ON {} USING {} ({}){};",
        if index.unique { "UNIQUE " } else { "" },
        if new_table { "" } else { "CONCURRENTLY " },
        quote_ident(&index.name),
        table.name.sql(),
        index.method,
        keys.join(", "),
        index
            .predicate
            .as_ref()
            .map(|p| format!(" WHERE {p}"))
            .unwrap_or_default()
    );
    Step {
        phase: Phase::Expand,
        catalog: if index.predicate.is_some() || index.keys.len() > 1 || index.keys.iter().any(|k| matches!(k, crate::model::IndexKey::Expr(_))) {
            "I5".into()
        } else {
            "I1".into()
        },
        description: format!("create index {} on {}", index.name, table.name),
        slug: format!("index_{}", index.name),
        sql,
        locks: vec![Lock {
            mode: if new_table { LockMode::Share } else { LockMode::ShareUpdateExclusive },
            table: table.name.key(),
            new_table,
        }],
        transactional: new_table,
        lock_timeout_ms: None,
        statement_timeout_ms: None,
        idempotency: "IF NOT EXISTS".into(),
        post_check: (!new_table).then(|| {
            format!(
                "pg_index.indisvalid for {}.{}: an interrupted CONCURRENTLY build leaves an invalid index that IF NOT EXISTS would keep; drop it CONCURRENTLY and rebuild",
                table.name.schema, index.name
            )
        }),
        unsafe_reason: None,
    }
}

fn add_column_step(
    table: &QualifiedName,
    column: &Column,
    catalog: &str,
    unsafe_reason: Option<String>,
) -> Step {
    Step {
        phase: Phase::Expand,
        catalog: catalog.into(),
        description: format!("add column {table}.{}", column.name),
        slug: format!("add_{}_{}", table.name, column.name),
        sql: format!(
            "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {};",
            table.sql(),
            column_definition(column)
        ),
        locks: vec![Lock {
            mode: LockMode::AccessExclusive,
            table: table.key(),
            new_table: false,
        }],
        transactional: true,
        lock_timeout_ms: Some(LOCK_TIMEOUT_MS),
        statement_timeout_ms: Some(STATEMENT_TIMEOUT_MS),
        idempotency: "IF NOT EXISTS".into(),
        post_check: None,
        unsafe_reason,
    }
}

#[allow(clippy::too_many_arguments)]
fn naive_step(
    table: &QualifiedName,
    catalog: &str,
    description: String,
    slug: String,
    sql: String,
    idempotency: &str,
    unsafe_reason: Option<String>,
) -> Step {
    Step {
        phase: Phase::Expand,
        catalog: catalog.into(),
        description,
        slug,
        sql,
        locks: vec![Lock {
            mode: LockMode::AccessExclusive,
            table: table.key(),
            new_table: false,
        }],
        transactional: true,
        lock_timeout_ms: Some(LOCK_TIMEOUT_MS),
        statement_timeout_ms: None,
        idempotency: idempotency.into(),
        post_check: None,
        unsafe_reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> ColumnType {
        let (name, dims) = sql::canonical_type(name).unwrap();
        ColumnType::Builtin {
            name,
            array_dims: dims,
        }
    }

    #[test]
    fn binary_coercible_follows_the_catalog() {
        assert!(binary_coercible(&t("varchar(80)"), &t("varchar(120)")));
        assert!(binary_coercible(&t("varchar(80)"), &t("text")));
        assert!(binary_coercible(&t("text"), &t("varchar")));
        assert!(binary_coercible(&t("numeric(10,2)"), &t("numeric(12,2)")));
        assert!(binary_coercible(&t("timestamp(3)"), &t("timestamp")));
        assert!(binary_coercible(&t("cidr"), &t("inet")));
        assert!(!binary_coercible(&t("varchar(120)"), &t("varchar(80)")));
        assert!(!binary_coercible(&t("text"), &t("varchar(200)")));
        assert!(!binary_coercible(&t("int"), &t("bigint")));
        assert!(!binary_coercible(&t("numeric(10,2)"), &t("numeric(12,3)")));
        assert!(!binary_coercible(&t("timestamp"), &t("timestamptz")));
    }
}
