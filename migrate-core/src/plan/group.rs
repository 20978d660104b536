//! Which steps share a file and a transaction, decided once here; the renderer writes one
//! file per group and a runner runs the same groups.

use super::probe::file_order_check;
use super::step::{Phase, Plan, Step, StepGroup, Transaction};
use crate::model::QualifiedName;

/// Folder, inside the migrations folder, for contract-phase migrations.
pub const CONTRACT_DIR: &str = "contract";

/// Groups the steps of every phase, expand first. Consecutive shared steps join one group
/// while it locks at most one existing table against writers (R1: a transaction holding that
/// lock must not queue for another); a step that runs alone or in its own transaction (R3)
/// gets a group of its own.
pub fn group_steps(plan: &Plan) -> Vec<StepGroup> {
    // Backfill work is the plan's backfill jobs, never steps.
    [Phase::Expand, Phase::Contract]
        .into_iter()
        .flat_map(|phase| phase_groups(plan, phase))
        .collect()
}

fn phase_groups(plan: &Plan, phase: Phase) -> Vec<StepGroup> {
    let mut groups: Vec<Vec<&Step>> = Vec::new();
    // The last group's existing tables locked against writers (sorted, distinct).
    let mut blocked: Vec<&QualifiedName> = Vec::new();
    for step in plan.phase(phase) {
        let mut with_step = blocked.clone();
        with_step.extend(step.blocking_tables());
        with_step.sort_unstable();
        with_step.dedup();
        let joins = |group: &Vec<&Step>| {
            step.transaction == Transaction::Shared
                && group[0].transaction == Transaction::Shared
                && with_step.len() <= 1
        };
        match groups.last_mut() {
            Some(group) if joins(group) => group.push(step),
            _ => {
                groups.push(vec![step]);
                with_step = step.blocking_tables().collect();
                with_step.sort_unstable();
                with_step.dedup();
            }
        }
        blocked = with_step;
    }
    // Expand and contract share sqlx's one table of applied versions, so contract files number
    // from 501 within the release: `0002001_…` is expand, `0002501_…` is contract.
    let (dir, first) = match phase {
        Phase::Contract => (format!("{CONTRACT_DIR}/"), 501),
        _ => (String::new(), 1),
    };
    groups
        .into_iter()
        .enumerate()
        .map(|(i, steps)| {
            let transaction = steps[0].transaction;
            let transactional = transaction.is_transactional();
            let mut group = StepGroup {
                phase,
                file: format!("{dir}{}", file_name(plan.release.number, first + i, &steps)),
                transaction,
                steps: steps.iter().map(|s| s.id.clone()).collect(),
                // R9: the phase's first group checks the order in its first step already.
                order_check: (i > 0 && transactional)
                    .then(|| file_order_check(&plan.release, &plan.previous, phase)),
                // One transaction, one setting: the strictest wait, the longest statement.
                lock_timeout_ms: steps
                    .iter()
                    .filter_map(|s| s.lock_timeout_ms)
                    .min()
                    .filter(|_| transactional),
                statement_timeout_ms: steps
                    .iter()
                    .filter_map(|s| s.statement_timeout_ms)
                    .max()
                    .filter(|_| transactional),
                checksum: String::new(),
            };
            group.checksum = group.compute_checksum();
            group
        })
        .collect()
}

fn file_name(release: u32, seq: usize, steps: &[&Step]) -> String {
    let mut description = String::new();
    for step in steps {
        let slug = step.slug.to_ascii_lowercase();
        if description.len() + slug.len() + 1 > 60 {
            description.push_str("_etc");
            break;
        }
        if !description.is_empty() {
            description.push('_');
        }
        description.push_str(&slug);
    }
    let description: String = description
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{release:04}{seq:03}_{description}.sql")
}
