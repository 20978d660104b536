//! The plan's summary of each change: its row, its verdict and the reason the plan gives.

use super::Verdict;
use super::input::PlanInput;
use super::step::ChangeSummary;
use super::type_change::shadow::Shadows;
use crate::diff::Change;

/// A one-line description of a safe change for the summary.
pub(super) fn change_description(change: &Change) -> String {
    match change {
        Change::CreateTable(t) => format!("create table {}", t.name),
        Change::CreateEnum(e) => format!("create enum type {}", e.name),
        Change::AddColumn { table, column, .. } => format!("add column {table}.{}", column.name),
        Change::AddIndex { table, index } => format!("create index {} on {table}", index.name),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            ..
        } => format!("change {table}.{column} from {from} to {to} in place (binary-coercible)"),
        Change::DropNotNull { table, column } => format!("allow NULL in {table}.{column}"),
        Change::ChangeDefault {
            table, column, to, ..
        } => match to {
            Some(d) => format!("set the default of {table}.{column} to {d}"),
            None => format!("drop the default of {table}.{column}"),
        },
        Change::DropConstraint { table, name } => format!("drop constraint {name} of {table}"),
        Change::AddEnumValue { name, value, .. } => format!("add label '{value}' to enum {name}"),
        other => format!("{other:?}"),
    }
}

/// One summary per decision of the release, planned or not.
pub(super) fn summaries(input: &PlanInput<'_>, shadows: &Shadows) -> Vec<ChangeSummary> {
    input
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
        .collect()
}
