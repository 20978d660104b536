//! Stage 4, *plan*: every located change gets a verdict (SAFE, PHASED, REFUSED, or not
//! supported yet) and a reason; accepted ones become [`Step`]s in their phase (expand, backfill,
//! contract): plain data with the SQL, the lock it takes, whether it runs in a transaction, its
//! timeouts, its idempotency guard, its pre-check and its rollback. The renderer writes files
//! from steps and the runner executes them; neither decides anything.

mod backfill;
mod check;
mod column;
mod constraint;
mod group;
mod index;
mod input;
pub mod legacy;
mod notnull;
mod planned;
mod probe;
mod sql_parts;
mod step;
mod summary;
mod table;
mod type_change;
mod views;

pub use group::{CONTRACT_DIR, group_steps};
pub use input::{PlanInput, Target};
pub use migrate_contract::{CatalogRow, FORMAT_VERSION, PlanReadError, VerdictKind};
pub use probe::file_order_check;
pub use sql_parts::column_definition;
pub use step::{
    Backfill, BackfillGate, ChangeSummary, Lock, LockMode, Phase, Plan, PostCheck, PreCheck, Step,
    StepBuilder, StepGroup, Transaction, Undo,
};

use backfill::null_fill_backfills;
use index::concurrent_index_steps;
use input::PhysicalNames;
use planned::Planned;
use probe::{own_expand_guard, previous_contract_guard};
use type_change::shadow::Shadows;
use views::{drop_previous_views, mark_contract_complete};

use crate::diagnostic::Diagnostic;
use crate::diff::{Change, Located, Reporter};
use crate::model::{Column, ColumnType, QualifiedName, Schema};
use crate::sql::{Volatility, volatility};

/// `lock_timeout` for every step that takes ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE on an
/// existing table (rule R1): short, so a queued lock never stalls traffic for long.
pub const LOCK_TIMEOUT_MS: u32 = 100;
/// `statement_timeout` for steps under ACCESS EXCLUSIVE (rule R2). Metadata changes take
/// microseconds once the lock is granted.
pub const STATEMENT_TIMEOUT_MS: u32 = 5_000;

/// What the planner says about one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Safe as planned: every step is in expand and blocks nobody for long.
    Safe,
    /// Safe, but spread over phases: part of it waits for the backfill or for the contract
    /// (after the old binary is gone).
    Phased {
        /// What waits, and why.
        why: String,
    },
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
    pub catalog: CatalogRow,
    /// The verdict.
    pub verdict: Verdict,
    /// Something the plan must say even though the change goes ahead (a widening change that
    /// the running binary cannot decode, a foreign key without an index).
    pub warning: Option<String>,
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
            Verdict::Safe | Verdict::Phased { .. } | Verdict::Allowed { .. } => None,
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

    /// The verdict's kind, as the plan prints it.
    pub fn verdict_kind(&self) -> VerdictKind {
        match self.verdict {
            Verdict::Safe => VerdictKind::Safe,
            Verdict::Phased { .. } => VerdictKind::Phased,
            Verdict::Allowed { .. } => VerdictKind::Allowed,
            Verdict::Refused { .. } => VerdictKind::Refused,
            Verdict::Unsupported { .. } => VerdictKind::Unsupported,
        }
    }
}

/// Gives every change its verdict.
pub fn decide(changes: &[Located], snapshot: &Schema) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = changes
        .iter()
        .map(|located| decide_one(located.clone(), snapshot))
        .collect();
    refuse_conflicting(&mut decisions);
    decisions
}

/// [`decide`], taking the changes (a change carries whole tables; this spares copying them).
pub fn decide_owned(changes: Vec<Located>, snapshot: &Schema) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = changes
        .into_iter()
        .map(|located| decide_one(located, snapshot))
        .collect();
    refuse_conflicting(&mut decisions);
    decisions
}

/// Changes that are fine alone but not together on one column. A C6 backfill's trigger fills
/// the old column while a C10 shadow's trigger mirrors it, and the order in which PostgreSQL
/// fires them would decide whether the shadow sees the value: refused, one per release.
fn refuse_conflicting(decisions: &mut [Decision]) {
    let shadowed: Vec<(QualifiedName, String)> = decisions
        .iter()
        .filter(|d| d.catalog == CatalogRow::C10 && matches!(d.verdict, Verdict::Phased { .. }))
        .filter_map(|d| match &d.located.change {
            Change::AlterColumnType { table, column, .. } => Some((table.clone(), column.clone())),
            _ => None,
        })
        .collect();
    for d in decisions.iter_mut() {
        if let Change::SetNotNull {
            table,
            column,
            backfill: Some(_),
        } = &d.located.change
            && shadowed.iter().any(|(t, c)| t == table && c == column)
        {
            d.verdict = refused(
                format!(
                    "`{table}.{column}` changes type through a shadow column and becomes NOT NULL with a `backfill` in the same release; the two triggers would race over its NULLs"
                ),
                "make the column NOT NULL (with its `backfill`) in one release and change its type in the next",
            );
        }
    }
}

fn decide_one(located: Located, snapshot: &Schema) -> Decision {
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
    let warning = warning_for(&located.change, snapshot);
    Decision {
        located,
        catalog,
        verdict,
        warning,
    }
}

/// Widening changes are safe for the database but not for old typed readers (release model).
fn warning_for(change: &Change, snapshot: &Schema) -> Option<String> {
    match change {
        Change::DropColumn { table, column } if !column.nullable && column.default.is_none() => {
            Some(format!(
                "`{table}.{}` loses NOT NULL in expand, so that inserts through the new release's views, which leave it out, succeed: the running binary still reads it as non-optional and cannot decode the NULL in the rows the new binary inserts; to keep its reads valid, give the field a default (`#[migrate(default = \"…\")]`) in a release before the one that drops it, and the column keeps NOT NULL",
                column.name
            ))
        }
        Change::DropNotNull { table, column } => Some(format!(
            "`{table}.{column}` becomes nullable: the running binary cannot decode NULL, so nothing may write NULL there until it is gone"
        )),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            convert: Some(convert),
        } if !from.is_binary_coercible_to(to) => Some(format!(
            "while the old binary runs, the trigger converts every `{table}.{column}` write with the declared expressions: a {from} value that `{}` cannot convert fails the old binary's write (and, in an existing row, stops the backfill with the database's error), and a {to} value that `{}` cannot convert fails the new binary's; a value it turns into NULL in a NOT NULL column holds the new release's views back until it is fixed",
            convert.to_new, convert.to_old
        )),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            convert: None,
        } if !from.is_binary_coercible_to(to) && from.converts_losslessly_to(to) => Some(format!(
            "while the old binary runs, every `{table}.{column}` value the new binary writes is mirrored into the {from} column: a value {from} cannot hold makes that write fail, and one it holds less precisely is rounded there"
        )),
        Change::SetNotNull {
            table,
            column,
            backfill: None,
        } => Some(format!(
            "until contract, the running binary may write NULL into `{table}.{column}`, and the new binary cannot decode it; declare `#[migrate(backfill = \"…\")]` to give those NULLs, and the existing ones, a value from expand on"
        )),
        Change::AddEnumValue { name, value, .. } => Some(format!(
            "enum `{name}` gains `{value}`: the running binary cannot decode it, so nothing may write it until that binary is gone"
        )),
        Change::AddForeignKey { table, foreign_key } => {
            let t = snapshot.table(table)?;
            let covered = std::iter::once(t.primary_key.clone())
                .chain(t.uniques.iter().map(|u| u.columns.clone()))
                .chain(t.indexes.iter().filter(|i| i.predicate.is_none()).map(|i| {
                    i.keys
                        .iter()
                        .map_while(|k| match k {
                            crate::model::IndexKey::Column(c) => Some(c.clone()),
                            crate::model::IndexKey::Expr(_) => None,
                        })
                        .collect()
                }))
                .any(|keys: Vec<String>| keys.starts_with(&foreign_key.columns));
            (!covered).then(|| {
                format!(
                    "foreign key `{}` on `{table}` ({}) has no index on its columns: deletes and updates in `{}` will scan `{table}`; consider `#[migrate(index)]`",
                    foreign_key.name,
                    foreign_key.columns.join(", "),
                    foreign_key.references
                )
            })
        }
        _ => None,
    }
}

/// Refusals that have a naive statement `allow_unsafe` may run. Undeclared disappearances have
/// none: intent must be declared first.
fn allowable(change: &Change) -> bool {
    matches!(
        change,
        Change::AddColumn { .. } | Change::AlterColumnType { .. }
    )
}

fn phased(why: impl Into<String>) -> Verdict {
    Verdict::Phased { why: why.into() }
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

fn verdict_for(change: &Change, snapshot: &Schema) -> (CatalogRow, Verdict) {
    match change {
        Change::CreateTable(_) | Change::CreateEnum(_) => (CatalogRow::T1, Verdict::Safe),
        Change::DropTable {
            table,
            declared: true,
        } => (
            CatalogRow::T2,
            phased(format!(
                "`{}` disappears from the new release's views at once; the table (and its foreign keys) is dropped in contract, once the old binary is gone",
                table.name
            )),
        ),
        Change::DropTable {
            table,
            declared: false,
        } => (
            CatalogRow::T2,
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
            CatalogRow::T3,
            phased(format!(
                "the new release's views call `{from}` `{to}` at once (no copy); the physical rename runs in contract"
            )),
        ),
        Change::AddColumn { table, column } => add_column_verdict(table, column),
        Change::DropColumn { table, column } => (
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
        ),
        Change::ColumnDisappeared { table, column } => (
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
        ),
        Change::RenameColumn { table, from, to } => (
            CatalogRow::C8,
            phased(format!(
                "the new release's views show `{table}.{from}` as `{to}` at once (no copy, no trigger); the physical rename runs in contract"
            )),
        ),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            convert,
        } => {
            if from.is_binary_coercible_to(to) {
                (CatalogRow::C9, Verdict::Safe)
            } else {
                (
                    CatalogRow::C10,
                    shadow_verdict(table, column, from, to, convert.is_some(), snapshot),
                )
            }
        }
        Change::SetNotNull {
            table,
            column,
            backfill: None,
        } => (
            CatalogRow::C6,
            phased(format!(
                "`{table}.{column}` becomes NOT NULL in contract (the running binary may still write NULL): CHECK … NOT VALID, VALIDATE without blocking writers, then SET NOT NULL without a scan; the contract stops if NULLs remain"
            )),
        ),
        Change::SetNotNull {
            table,
            column,
            backfill: Some(value),
        } => (
            CatalogRow::C6,
            phased(format!(
                "`{table}.{column}` becomes NOT NULL, its NULLs `{value}` (its declared backfill): from expand, a trigger turns the NULLs the running binary writes into it, and a batched backfill fills the existing NULL rows before the new release's views exist, so the new binary never reads NULL; contract drops the trigger, then CHECK … NOT VALID, VALIDATE without blocking writers, SET NOT NULL without a scan"
            )),
        ),
        Change::DropNotNull { .. } => (CatalogRow::C7, Verdict::Safe),
        Change::ChangeDefault { .. } => (CatalogRow::C11, Verdict::Safe),
        Change::ChangeIdentity { table, column } => (
            CatalogRow::C12,
            refused(
                format!("adding or removing identity on `{table}.{column}` has no online form"),
                "keep the column as it is, or add a new column and fill it in a later release",
            ),
        ),
        Change::ChangePrimaryKey { table, from, to } => {
            let referenced_by: Vec<String> = snapshot
                .tables
                .values()
                .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
                .filter(|(_, fk)| fk.references == *table)
                .map(|(t, fk)| format!("{} on {}", fk.name, t.name))
                .collect();
            if referenced_by.is_empty() {
                (
                    CatalogRow::I4,
                    phased(format!(
                        "the primary key of `{table}` becomes ({}): it restricts writes the running binary may make, so in contract, after a duplicate check, its unique index is built CONCURRENTLY and swapped in for ({}) in one brief transaction",
                        to.join(", "),
                        from.join(", ")
                    )),
                )
            } else {
                (
                    CatalogRow::I4,
                    refused(
                        format!(
                            "changing the primary key of `{table}` from ({}) to ({}) drops the key that foreign keys reference: {}",
                            from.join(", "),
                            to.join(", "),
                            referenced_by.join(", ")
                        ),
                        "point those foreign keys elsewhere (or drop them) in an earlier release, then change the key",
                    ),
                )
            }
        }
        Change::AddIndex { table, index } if index.unique => (
            CatalogRow::I3,
            phased(format!(
                "unique index `{}` restricts writes the running binary may make, so it is built (CONCURRENTLY, after a duplicate check) in contract; until then `{table}` accepts duplicates",
                index.name
            )),
        ),
        Change::AddIndex { .. } => (CatalogRow::I1, Verdict::Safe),
        Change::DropIndex { table, index } => (
            CatalogRow::I2,
            phased(format!(
                "index `{}` of `{table}` is dropped CONCURRENTLY in contract: the running binary's queries may rely on it",
                index.name
            )),
        ),
        Change::RedefineObject { table, name } => (
            CatalogRow::I5,
            unsupported(
                format!(
                    "`{name}` on `{table}` keeps its name but changes its definition; that is a drop plus a create"
                ),
                "give the new definition a new name (`name = \"…\"`); the old one is then dropped and the new one created",
            ),
        ),
        Change::AddUnique { table, unique } => (
            CatalogRow::I3,
            phased(format!(
                "unique constraint `{}` on `{table}` restricts writes the running binary may make: in contract, after a duplicate check, its index is built CONCURRENTLY and attached",
                unique.name
            )),
        ),
        Change::AddCheck { table, check } => (
            CatalogRow::K1,
            phased(format!(
                "CHECK `{}` on `{table}` restricts writes the running binary may make: added NOT VALID and validated separately, in contract",
                check.name
            )),
        ),
        Change::AddForeignKey { table, foreign_key } => (
            CatalogRow::K2,
            phased(format!(
                "foreign key `{}` on `{table}` restricts writes the running binary may make: added NOT VALID and validated separately, in contract",
                foreign_key.name
            )),
        ),
        Change::DropConstraint { .. } => (CatalogRow::K3, Verdict::Safe),
        Change::RenameObject { from, to, .. } => (
            CatalogRow::T3,
            phased(format!(
                "`{from}` is renamed `{to}` in contract, with the table or column it is named after"
            )),
        ),
        Change::AddEnumValue { .. } => (CatalogRow::E1, Verdict::Safe),
        Change::RewriteEnum { name, removed } => (
            CatalogRow::E2,
            refused(
                format!(
                    "enum `{name}` lost or reordered labels ({}); PostgreSQL cannot remove or move a label in place, and a type rebuild rewrites every table that uses it",
                    removed.join(", ")
                ),
                "keep every accepted label, in its order (stop using a label instead of removing it); new labels may go anywhere between them",
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
    }
}

/// C10: a type change that is not binary-coercible goes through a shadow column when the
/// conversion is lossless and the column is one the plan can swap; otherwise it is refused.
fn shadow_verdict(
    table: &QualifiedName,
    column: &str,
    from: &ColumnType,
    to: &ColumnType,
    declared_conversion: bool,
    snapshot: &Schema,
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
    let accepted = snapshot
        .table(table)
        .and_then(|t| Some((t, t.column(column)?)));
    let Some((accepted_table, accepted_column)) = accepted else {
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
    let referenced_by: Vec<String> = snapshot
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

fn add_column_verdict(table: &QualifiedName, column: &Column) -> (CatalogRow, Verdict) {
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

/// Builds the plan for one release, phase by phase.
///
/// The release model (see the safety catalog): at expand time the physical schema is the
/// previous release's logical schema (its contract has run). Expand adds what both binaries can
/// live with and creates the new release's schema of views, which maps the new names onto the
/// physical columns. Contract, once the old binary is gone, drops the previous release's views
/// first (R10), then makes the physical schema equal to the new logical one: renames, drops and
/// the constraints the old binary could have violated.
pub fn build_plan(input: &PlanInput<'_>) -> Plan {
    let decisions: Vec<&Decision> = input
        .decisions
        .iter()
        .filter(|d| {
            matches!(
                d.verdict,
                Verdict::Safe | Verdict::Phased { .. } | Verdict::Allowed { .. }
            )
        })
        .collect();
    let shadows = Shadows::from_decisions(input, &decisions);
    let names = PhysicalNames::from_decisions(&decisions);
    let mut expand = Vec::new();
    let mut contract = Vec::new();
    // Contract steps that must run before the renames: they name physical columns by the
    // names they have until then.
    let mut early_contract = Vec::new();
    let mut backfills = Vec::new();
    let mut fills = Vec::new();

    expand.push(previous_contract_guard(input));
    table::expand_creations(input, &decisions, &mut expand);
    let mut out = Planned {
        expand: &mut expand,
        fills: &mut fills,
        early_contract: &mut early_contract,
        contract: &mut contract,
        backfills: &mut backfills,
    };
    plan_changes(input, &decisions, &shadows, &names, &mut out);
    backfills.extend(null_fill_backfills(&fills, input, &names));
    index_steps(
        input,
        &decisions,
        &shadows,
        &names,
        &mut expand,
        &mut contract,
    );
    expand.extend(views::gated_release_views(
        input, &names, &shadows, &backfills,
    ));

    let mut steps = expand;
    steps.extend(contract_phase(input, &shadows, early_contract, contract));
    let mut plan = Plan {
        format: migrate_contract::FORMAT_VERSION,
        release: input.release.clone(),
        previous: input.previous.clone(),
        changes: summary::summaries(input, &shadows),
        steps,
        backfills,
        groups: Vec::new(),
    };
    plan.seal();
    plan.groups = group_steps(&plan);
    plan
}

/// Every planned change in order, each through [`plan_change`] but the shadowed type changes,
/// which are planned a table at a time.
fn plan_changes(
    input: &PlanInput<'_>,
    decisions: &[&Decision],
    shadows: &Shadows,
    names: &PhysicalNames,
    out: &mut Planned<'_>,
) {
    // Renames first: in contract they run right after the previous views are dropped, so every
    // later contract step names the new release's tables and columns. Shadow swaps next, so
    // later steps on those columns (a NOT NULL, say) find the new column in place.
    let order = |d: &Decision| match d.located.change {
        Change::RenameTable { .. } | Change::RenameColumn { .. } | Change::RenameObject { .. } => 0,
        Change::AlterColumnType {
            ref table,
            ref column,
            ..
        } if shadows.get(table, column).is_some() => 1,
        // A new primary key goes in last, once its columns are NOT NULL.
        Change::ChangePrimaryKey { .. } => 3,
        _ => 2,
    };
    let mut ordered = decisions.to_vec();
    ordered.sort_by_key(|d| order(d));
    for d in ordered {
        if shadows.absorbs(&d.located.change) {
            continue;
        }
        if let Change::AlterColumnType { table, column, .. } = &d.located.change
            && shadows.get(table, column).is_some()
        {
            // All shadowed columns of a table are planned together: one swap in contract.
            if shadows.first_of_table(table, column) {
                out.expand.extend(shadows.expand_steps(input, table));
                out.backfills
                    .extend(shadows.backfill(input, table, &|c: &str| names.column(table, c)));
                out.contract.extend(shadows.contract_steps(input, table));
            }
            continue;
        }
        plan_change(input, d, names, out);
    }
}

/// Indexes on existing tables, and the copies of a shadowed column's indexes.
fn index_steps(
    input: &PlanInput<'_>,
    decisions: &[&Decision],
    shadows: &Shadows,
    names: &PhysicalNames,
    expand: &mut Vec<Step>,
    contract: &mut Vec<Step>,
) {
    // Indexes on existing tables: CONCURRENTLY, each alone, after the columns they cover.
    for d in decisions {
        if let Change::AddIndex { table, index } = &d.located.change {
            if index.unique || shadows.absorbs(&d.located.change) {
                continue;
            }
            let steps = concurrent_index_steps(table, index, d.catalog);
            if names.touches(table) {
                contract.extend(steps.into_iter().map(|s| s.with_phase(Phase::Contract)))
            } else {
                expand.extend(steps)
            }
        }
    }
    for table in shadows.tables() {
        expand.extend(shadows.index_copy_steps(input, table, &names.renamed_columns(table)));
    }
}

/// The contract phase in its order: the release-order guard, the previous release's views
/// (R10), the steps that name physical columns before the renames, the rest, and the mark.
fn contract_phase(
    input: &PlanInput<'_>,
    shadows: &Shadows,
    early_contract: Vec<Step>,
    contract: Vec<Step>,
) -> Vec<Step> {
    // Contract: the previous release's views go first (R10), then the renames planned first above.
    let mut ordered_contract = Vec::new();
    if input.previous.number > 0 {
        ordered_contract.push(drop_previous_views(input, shadows));
    }
    ordered_contract.extend(early_contract);
    ordered_contract.extend(contract);
    if input.release.marks_contract {
        let mark = mark_contract_complete(input, &ordered_contract);
        ordered_contract.push(mark);
    }
    if !ordered_contract.is_empty() {
        ordered_contract.insert(0, own_expand_guard(input));
    }
    ordered_contract
}

/// The expand, backfill and contract work of one change: one arm per change, each calling
/// its family's builder.
fn plan_change(input: &PlanInput<'_>, d: &Decision, names: &PhysicalNames, out: &mut Planned<'_>) {
    let catalog = d.catalog;
    match &d.located.change {
        Change::AddColumn { table, column } => {
            column::add_column(input, d, names, table, column, out)
        }
        Change::DropColumn { table, column } => {
            column::drop_column(input, names, table, column, catalog, out)
        }
        Change::DropTable { table, .. } => {
            out.contract.extend(table::drop_table_steps(table, catalog))
        }
        Change::RenameTable { from, to } => out
            .contract
            .extend(table::rename_table_steps(input, from, to, catalog)),
        Change::RenameColumn { table, from, to } => out
            .contract
            .push(column::rename_column_step(table, from, to, catalog)),
        Change::RenameObject {
            table,
            index,
            from,
            to,
        } => out
            .contract
            .push(table::rename_object_step(table, *index, from, to, catalog)),
        Change::DropNotNull { table, column } => out
            .expand
            .push(column::drop_not_null_step(names, table, column, catalog)),
        Change::ChangeDefault {
            table,
            column,
            from,
            to,
        } => out.expand.push(column::change_default_step(
            d, names, table, column, from, to,
        )),
        // A phased C10 is planned through its shadow column, never as a bare ALTER TYPE.
        Change::AlterColumnType { .. } if matches!(d.verdict, Verdict::Phased { .. }) => {}
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            ..
        } => out.expand.extend(type_change::alter_type_steps(
            input, names, table, column, from, to, d,
        )),
        Change::DropConstraint { table, name } => out.expand.push(
            constraint::drop_constraint_step(input, names, table, name, catalog),
        ),
        Change::DropIndex { table, index } => out
            .contract
            .push(index::drop_index_step(table, index, catalog)),
        Change::AddIndex { table, index } if index.unique => out
            .contract
            .extend(constraint::unique_index_steps(table, index, None, catalog)),
        Change::AddUnique { table, unique } => out
            .contract
            .extend(constraint::unique_constraint_steps(table, unique, catalog)),
        Change::AddCheck { table, check } => out
            .contract
            .extend(constraint::check_steps(table, check, catalog)),
        Change::AddForeignKey { table, foreign_key } => out
            .contract
            .extend(constraint::foreign_key_steps(table, foreign_key, catalog)),
        Change::SetNotNull {
            table,
            column,
            backfill: None,
        } => out
            .contract
            .extend(notnull::set_not_null_steps(table, column, catalog, false)),
        Change::SetNotNull {
            table,
            column,
            backfill: Some(value),
        } => notnull::fill_then_set_not_null(input, names, table, column, value, catalog, out),
        Change::ChangePrimaryKey { table, from, to } => out
            .contract
            .extend(constraint::primary_key_steps(table, from, to)),
        // Planned in `expand_creations`, after the main loop, or refused before planning.
        _ => {}
    }
}
