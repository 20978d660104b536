//! Builds the steps of a release from its decisions, phase by phase.
//!
//! The release model (see the safety catalog): at expand time the physical schema is the
//! previous release's logical schema (its contract has run). Expand adds what both binaries can
//! live with and creates the new release's schema of views, which maps the new names onto the
//! physical columns. Contract, once the old binary is gone, drops the previous release's views
//! first (R10), then makes the physical schema equal to the new logical one: renames, drops and
//! the constraints the old binary could have violated.

use super::backfill::null_fill_backfills;
use super::check::check_step;
use super::column;
use super::constraint::{self, primary_key_steps, unique_index_steps};
use super::index::{self, concurrent_index_steps};
use super::input::{PhysicalNames, PlanInput};
use super::notnull::{self, set_not_null_steps};
use super::planned::Planned;
use super::probe::{own_expand_guard, previous_contract_guard};
use super::step::{BackfillGate, ChangeSummary, Phase, Plan, StepBuilder};
use super::summary::change_description;
use super::table::{self, expand_creations};
use super::type_change;
use super::type_change::shadow::Shadows;
use super::views::{drop_previous_views, mark_contract_complete, release_views};
use super::{Decision, Verdict};
use crate::diff::Change;
use crate::sql::{self};

/// Builds the plan for one release.
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
    expand_creations(input, &decisions, &mut expand);
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
    let mut ordered = decisions.clone();
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
                expand.extend(shadows.expand_steps(input, table));
                backfills.extend(shadows.backfill(input, table, &|c: &str| names.column(table, c)));
                contract.extend(shadows.contract_steps(input, table));
            }
            continue;
        }
        let mut out = Planned {
            expand: &mut expand,
            fills: &mut fills,
            early_contract: &mut early_contract,
            contract: &mut contract,
            backfills: &mut backfills,
        };
        plan_change(input, d, &names, &mut out);
    }
    backfills.extend(null_fill_backfills(&fills, input, &names));
    // Indexes on existing tables: CONCURRENTLY, each alone, after the columns they cover.
    for d in &decisions {
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
    // The new binary reads through the views: a backfill whose rows it could not decode
    // unfilled (a NOT NULL column, a shadow) must be complete before they exist.
    let mut gates = Vec::new();
    let mut gated = Vec::new();
    for (i, backfill) in backfills
        .iter()
        .enumerate()
        .filter(|(_, b)| b.before_deploy)
    {
        let table = backfill.table.clone();
        let waits_for = migrate_contract::backfill_id(input.release.number, i + 1);
        let mut gate = check_step(
            &table,
            backfill.catalog,
            format!("wait for the backfill of {}: {}", backfill.table, backfill.description),
            format!("wait_backfill_{}", table.name),
            &backfill.rows_left_sql,
            &format!(
                "{} has {} row(s) the backfill has not filled yet; run the backfill of release {} (see its plan), then run expand again: the new release's views wait for it",
                backfill.table, sql::COUNT_PLACEHOLDER, input.release.number
            ),
        )
        .with_phase(Phase::Expand)
        .own_transaction();
        if let Some(present) = shadows.present(&table) {
            gate = super::type_change::shadow::only_while(&present, gate);
        }
        gate.gate = Some(BackfillGate {
            backfills: vec![waits_for.clone()],
        });
        gates.push(gate.sql.clone());
        gated.push(waits_for);
        expand.push(gate);
    }
    let mut views = release_views(input, &names, &shadows);
    // The views step checks the gates again (a catalog-light count, no lock that blocks
    // writers): files applied by hand past a gate that refused must not create the views the
    // new binary would read unfilled rows through.
    if let Some(first) = views.first_mut()
        && !gates.is_empty()
    {
        gates.push(std::mem::take(&mut first.sql));
        first.sql = gates.join("\n");
        first.gate = Some(BackfillGate { backfills: gated });
    }
    expand.extend(views);

    // Contract: the previous release's views go first (R10), then the renames planned first above.
    let mut ordered_contract = Vec::new();
    if input.previous.number > 0 {
        ordered_contract.push(drop_previous_views(input, &shadows));
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

    let mut steps = expand;
    steps.extend(ordered_contract);
    let changes = input
        .decisions
        .iter()
        .map(|d| ChangeSummary {
            catalog: d.catalog,
            verdict: d.verdict_kind(),
            reason: match &d.verdict {
                Verdict::Phased { why } => why.clone(),
                Verdict::Allowed { reason, cost } => format!("{cost}; allowed because: {reason}"),
                _ if shadows.absorbs(&d.located.change) => format!(
                    "{}, over a column that changes type: done on its shadow column and put in place by the swap in contract",
                    change_description(&d.located.change)
                ),
                _ => change_description(&d.located.change),
            },
            warning: d.warning.clone(),
        })
        .collect();
    let mut plan = Plan {
        format: migrate_contract::FORMAT_VERSION,
        release: input.release.clone(),
        previous: input.previous.clone(),
        changes,
        steps,
        backfills,
        groups: Vec::new(),
    };
    plan.seal();
    plan.groups = super::group::group_steps(&plan);
    plan
}

/// The expand, backfill and contract work of one change.
fn plan_change(input: &PlanInput<'_>, d: &Decision, names: &PhysicalNames, out: &mut Planned<'_>) {
    let catalog = d.catalog;
    match &d.located.change {
        Change::AddColumn { table, column } => {
            column::add_column(input, d, names, table, column, out);
        }
        Change::DropColumn { table, column } => {
            column::drop_column(input, names, table, column, catalog, out);
        }
        Change::DropTable { table, .. } => {
            out.contract.extend(table::drop_table_steps(table, catalog));
        }
        Change::RenameTable { from, to } => {
            out.contract
                .extend(table::rename_table_steps(input, from, to, catalog));
        }
        Change::RenameColumn { table, from, to } => {
            out.contract
                .push(column::rename_column_step(table, from, to, catalog));
        }
        Change::RenameObject {
            table,
            index,
            from,
            to,
        } => {
            out.contract
                .push(table::rename_object_step(table, *index, from, to, catalog));
        }
        Change::DropNotNull { table, column } => {
            out.expand
                .push(column::drop_not_null_step(names, table, column, catalog));
        }
        Change::ChangeDefault {
            table,
            column,
            from,
            to,
        } => {
            out.expand.push(column::change_default_step(
                d, names, table, column, from, to,
            ));
        }
        // A phased C10 is planned through its shadow column, never as a bare ALTER TYPE.
        Change::AlterColumnType { .. } if matches!(d.verdict, Verdict::Phased { .. }) => {}
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            ..
        } => {
            out.expand.extend(type_change::alter_type_steps(
                input, names, table, column, from, to, d,
            ));
        }
        Change::DropConstraint { table, name } => {
            out.expand.push(constraint::drop_constraint_step(
                input, names, table, name, catalog,
            ));
        }
        Change::DropIndex { table, index } => {
            out.contract
                .push(index::drop_index_step(table, index, catalog));
        }
        Change::AddIndex { table, index } if index.unique => {
            out.contract
                .extend(unique_index_steps(table, index, None, catalog));
        }
        Change::AddUnique { table, unique } => {
            out.contract
                .extend(constraint::unique_constraint_steps(table, unique, catalog));
        }
        Change::AddCheck { table, check } => {
            out.contract
                .extend(constraint::check_steps(table, check, catalog));
        }
        Change::AddForeignKey { table, foreign_key } => {
            out.contract
                .extend(constraint::foreign_key_steps(table, foreign_key, catalog));
        }
        Change::SetNotNull {
            table,
            column,
            backfill: None,
        } => {
            out.contract
                .extend(set_not_null_steps(table, column, catalog, false));
        }
        Change::SetNotNull {
            table,
            column,
            backfill: Some(value),
        } => {
            notnull::fill_then_set_not_null(input, names, table, column, value, catalog, out);
        }
        Change::ChangePrimaryKey { table, from, to } => {
            out.contract.extend(primary_key_steps(table, from, to));
        }
        // Planned in `expand_creations`, after the main loop, or refused before planning.
        _ => {}
    }
}
