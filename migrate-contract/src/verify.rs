//! The invariants a reader of a plan relies on (see the crate docs), checked by
//! [`Plan::verify`] and named by [`PlanInvariant`] when one is broken.

use std::collections::HashSet;

use crate::{Phase, Plan, PlanReadError, QualifiedName, Step, Transaction, backfill_id, step_id};

/// Which invariant of the contract a plan breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanInvariant {
    /// The top-level JSON value is not an object.
    #[error("plan data is a JSON object; this is not one")]
    NotAnObject,
    /// A step in the backfill phase (backfill work is the plan's jobs).
    #[error("step {id} is in the backfill phase, whose work is the plan's backfill jobs")]
    BackfillPhaseStep {
        /// The step.
        id: String,
    },
    /// A step whose id is not `RRRR.phase.N` for its place.
    #[error("step id `{id}` is not its place in the plan (`{expected}`)")]
    MisplacedStep {
        /// The id it has.
        id: String,
        /// The id its place gives.
        expected: String,
    },
    /// A backfill whose id is not `RRRR.backfill.N` for its place.
    #[error("backfill id `{id}` is not its place in the plan (`{expected}`)")]
    MisplacedBackfill {
        /// The id it has.
        id: String,
        /// The id its place gives.
        expected: String,
    },
    /// A backfill of the current format without its bounds query, or one with no key.
    #[error(
        "backfill {id} has no {missing}: plan format {format} backfills walk their key between bounds"
    )]
    IncompleteBackfill {
        /// The backfill id.
        id: String,
        /// What is missing.
        missing: &'static str,
        /// The plan's format.
        format: u32,
    },
    /// A group file that is not a plain relative path inside the migrations folder.
    #[error(
        "group file `{file}` is not a relative path of plain names inside the migrations folder"
    )]
    UnsafeGroupFile {
        /// The file as the plan gives it.
        file: String,
    },
    /// A gate naming a backfill the plan does not have.
    #[error("step {step} waits for unknown backfill `{backfill}`")]
    UnknownGate {
        /// The waiting step.
        step: String,
        /// The backfill id it names.
        backfill: String,
    },
    /// The groups skip, repeat or reorder steps.
    #[error("the groups do not hold every step once, in step order")]
    GroupsOutOfStep,
    /// A group without steps.
    #[error("group {file} is empty")]
    EmptyGroup {
        /// Its file.
        file: String,
    },
    /// Two groups with one file.
    #[error("two groups write the file {file}")]
    SharedFile {
        /// The file.
        file: String,
    },
    /// A group whose steps are of another phase than its own.
    #[error("group {file} mixes phases")]
    MixedPhases {
        /// Its file.
        file: String,
    },
    /// A group holding a step of another transaction mode.
    #[error("group {file} holds a step that runs in another transaction mode")]
    MixedTransactions {
        /// Its file.
        file: String,
    },
    /// A group that runs alone or in its own transaction but holds several steps.
    #[error("group {file} runs alone or in its own transaction but holds {steps} steps")]
    NotAlone {
        /// Its file.
        file: String,
        /// How many steps it holds.
        steps: usize,
    },
    /// Steps sharing a transaction that block writers on more than one existing table (R1).
    #[error(
        "group {file} blocks writers on {tables} existing tables in one transaction (R1 allows one)"
    )]
    TwoBlockedTables {
        /// Its file.
        file: String,
        /// How many tables.
        tables: usize,
    },
}

impl Plan {
    /// Checks the invariants a reader relies on (see the crate docs).
    pub fn verify(&self) -> Result<(), PlanReadError> {
        let release = self.release.number;
        let mut counts = [0usize; 3];
        for step in &self.steps {
            if step.phase == Phase::Backfill {
                return Err(PlanInvariant::BackfillPhaseStep {
                    id: step.id.clone(),
                }
                .into());
            }
            let n = &mut counts[step.phase as usize];
            *n += 1;
            let expected = step_id(release, step.phase, *n);
            if step.id != expected {
                return Err(PlanInvariant::MisplacedStep {
                    id: step.id.clone(),
                    expected,
                }
                .into());
            }
            if step.checksum != step.compute_checksum() {
                return Err(PlanReadError::Edited {
                    id: step.id.clone(),
                });
            }
        }
        let mut backfills = HashSet::new();
        for (i, b) in self.backfills.iter().enumerate() {
            let expected = backfill_id(release, i + 1);
            if b.id != expected {
                return Err(PlanInvariant::MisplacedBackfill {
                    id: b.id.clone(),
                    expected,
                }
                .into());
            }
            if b.checksum != b.compute_checksum() {
                return Err(PlanReadError::Edited { id: b.id.clone() });
            }
            let missing = if b.key.is_empty() {
                Some("key")
            } else if self.format >= 2 && !b.has_bounds() {
                Some("bounds query")
            } else {
                None
            };
            if let Some(missing) = missing {
                return Err(PlanInvariant::IncompleteBackfill {
                    id: b.id.clone(),
                    missing,
                    format: self.format,
                }
                .into());
            }
            backfills.insert(b.id.as_str());
        }
        for step in &self.steps {
            let unknown = step
                .gate
                .iter()
                .flat_map(|g| &g.backfills)
                .find(|id| !backfills.contains(id.as_str()));
            if let Some(id) = unknown {
                return Err(PlanInvariant::UnknownGate {
                    step: step.id.clone(),
                    backfill: id.clone(),
                }
                .into());
            }
        }
        self.verify_groups()
    }

    fn verify_groups(&self) -> Result<(), PlanReadError> {
        let grouped: Vec<&str> = self
            .groups
            .iter()
            .flat_map(|g| g.steps.iter().map(String::as_str))
            .collect();
        let ordered: Vec<&str> = self.steps.iter().map(|s| s.id.as_str()).collect();
        if grouped != ordered {
            return Err(PlanInvariant::GroupsOutOfStep.into());
        }
        let mut files = HashSet::new();
        for group in &self.groups {
            let file = || group.file.clone();
            if group.steps.is_empty() {
                return Err(PlanInvariant::EmptyGroup { file: file() }.into());
            }
            if !is_plain_relative_path(&group.file) {
                return Err(PlanInvariant::UnsafeGroupFile { file: file() }.into());
            }
            if !files.insert(group.file.as_str()) {
                return Err(PlanInvariant::SharedFile { file: file() }.into());
            }
            if group.checksum != group.compute_checksum() {
                return Err(PlanReadError::Edited { id: file() });
            }
            let steps: Vec<&Step> = self.group_steps(group).collect();
            if steps.iter().any(|s| s.phase != group.phase) {
                return Err(PlanInvariant::MixedPhases { file: file() }.into());
            }
            if steps.iter().any(|s| s.transaction != group.transaction) {
                return Err(PlanInvariant::MixedTransactions { file: file() }.into());
            }
            if group.transaction != Transaction::Shared && steps.len() != 1 {
                return Err(PlanInvariant::NotAlone {
                    file: file(),
                    steps: steps.len(),
                }
                .into());
            }
            let mut blocked: Vec<&QualifiedName> =
                steps.iter().flat_map(|s| s.blocking_tables()).collect();
            blocked.sort_unstable();
            blocked.dedup();
            // One step may need two tables (a foreign key locks its parent too) and then runs
            // alone; steps that share a transaction may not add up to two.
            if steps.len() > 1 && blocked.len() > 1 {
                return Err(PlanInvariant::TwoBlockedTables {
                    file: file(),
                    tables: blocked.len(),
                }
                .into());
            }
        }
        Ok(())
    }
}

/// `name.sql` or `dir/name.sql`: segments of ASCII letters, digits, `_`, `-` and `.`, none of
/// them empty, `.` or `..`.
fn is_plain_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        })
}
