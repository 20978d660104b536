//! Stage 5, *plan*: the changes [`crate::decide`] accepted become [`Step`]s in their phase
//! (expand, backfill, contract): plain data with the SQL, the lock it takes, its transaction
//! mode, its timeouts, its idempotency guard, its checks and its undo. The renderer writes files
//! from steps and the runner executes them; neither decides anything.
//!
//! [`build_plan`] at the end of this file dispatches each change to its family's builder, a
//! file each: `table` (T1–T3, E1), `column` (C1–C5, C7, C8, C11), `notnull` (C6),
//! `type_change` (C9, C10 and its shadow columns), `constraint` (K1–K3, I3, I4), `index` (I1,
//! I2, I5). Around them: `probe` (catalog reads that guard the release order), `backfill` (the
//! keyset jobs), `views` (the release's schema of views, R9/R10), `group` (steps into files and
//! transactions, R1/R3), and the leaves `input`, `sql_parts`, `check`, `step`. The rows are
//! explained in the repository's `docs/safety-catalog.md`.

mod backfill;
mod check;
mod column;
mod computed;
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
pub use input::{PlanInput, Target, TargetError};
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

use crate::decide::{Decision, Verdict};
use crate::diff::Change;

/// `lock_timeout` for every step that takes ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE on an
/// existing table (rule R1): short, so a queued lock never stalls traffic for long.
pub const LOCK_TIMEOUT_MS: u32 = 100;
/// `statement_timeout` for steps under ACCESS EXCLUSIVE (rule R2). Metadata changes take
/// microseconds once the lock is granted.
pub const STATEMENT_TIMEOUT_MS: u32 = 5_000;
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
        Change::AddColumn {
            table,
            column,
            compute: Some(compute),
        } if matches!(d.verdict, Verdict::Phased { .. }) => {
            computed::ComputedColumn::new(input, names, table, column, compute)
                .plan(input, names, out)
        }
        Change::AddColumn { table, column, .. } => {
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
