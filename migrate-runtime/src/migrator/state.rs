//! Where each release stands, from the runner's records: what is applied, what is due next,
//! and the checks that keep the phases in the release model's order.

use std::fmt;

use migrate_contract::{Phase, Plan};

use super::tracking::Tracked;

/// How far one phase of a release is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseProgress {
    /// Steps applied.
    pub applied: usize,
    /// Steps in the phase.
    pub total: usize,
}

impl PhaseProgress {
    /// Whether every step is applied.
    pub fn is_done(self) -> bool {
        self.applied == self.total
    }
}

/// One backfill job's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillProgress {
    /// The job id.
    pub id: String,
    /// What it fills.
    pub description: String,
    /// Rows updated so far (by the recorded walk).
    pub rows_updated: i64,
    /// Whether its walk started.
    pub started: bool,
    /// Whether it was found complete.
    pub complete: bool,
}

/// One release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatus {
    /// The release number.
    pub release: u32,
    /// Its expand phase.
    pub expand: PhaseProgress,
    /// Its backfill jobs.
    pub backfills: Vec<BackfillProgress>,
    /// Its contract phase.
    pub contract: PhaseProgress,
}

impl ReleaseStatus {
    /// Whether every backfill job is complete.
    pub fn backfilled(&self) -> bool {
        self.backfills.iter().all(|b| b.complete)
    }

    /// Whether the release is fully applied.
    pub fn is_done(&self) -> bool {
        self.expand.is_done() && self.backfilled() && self.contract.is_done()
    }
}

/// What runs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Expand this release (before its binary deploys).
    Expand(u32),
    /// Run this release's backfills.
    Backfill(u32),
    /// Contract this release, once no binary older than it runs.
    Contract(u32),
    /// Every embedded release is applied.
    Nothing,
}

/// Every embedded release, and what is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Releases in order.
    pub releases: Vec<ReleaseStatus>,
    /// What runs next.
    pub due: Due,
}

impl Status {
    pub(crate) fn of(plans: &[Plan], tracked: &Tracked) -> Status {
        let releases: Vec<ReleaseStatus> = plans
            .iter()
            .map(|plan| {
                let phase = |phase: Phase| {
                    let steps: Vec<_> = plan.phase(phase).collect();
                    PhaseProgress {
                        applied: steps
                            .iter()
                            .filter(|s| {
                                tracked
                                    .steps
                                    .get(&s.id)
                                    .is_some_and(|r| r.outcome.is_applied())
                            })
                            .count(),
                        total: steps.len(),
                    }
                };
                let contract = phase(Phase::Contract);
                // Contract starts only once every backfill is complete, and may then drop the
                // columns a job reads: from then on they count as complete, whatever their
                // record says (a plan converted since has other checksums).
                let contracting = contract.applied > 0;
                ReleaseStatus {
                    release: plan.release.number,
                    expand: phase(Phase::Expand),
                    backfills: plan
                        .backfills
                        .iter()
                        .map(|b| {
                            let record = tracked
                                .backfills
                                .get(&b.id)
                                .filter(|r| r.checksum == b.checksum);
                            BackfillProgress {
                                id: b.id.clone(),
                                description: b.description.clone(),
                                rows_updated: record.map_or(0, |r| r.rows_updated),
                                started: record.is_some() || contracting,
                                complete: contracting || record.is_some_and(|r| r.complete),
                            }
                        })
                        .collect(),
                    contract,
                }
            })
            .collect();
        let due = releases
            .iter()
            .find(|r| !r.is_done())
            .map_or(Due::Nothing, |r| {
                if !r.expand.is_done() {
                    Due::Expand(r.release)
                } else if !r.backfilled() {
                    Due::Backfill(r.release)
                } else {
                    Due::Contract(r.release)
                }
            });
        Status { releases, due }
    }

    /// The release, if embedded.
    pub fn release(&self, number: u32) -> Option<&ReleaseStatus> {
        self.releases.iter().find(|r| r.release == number)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.releases {
            let phase = |p: PhaseProgress| {
                if p.is_done() {
                    "done".to_owned()
                } else if p.applied == 0 {
                    "pending".to_owned()
                } else {
                    format!("{}/{} steps", p.applied, p.total)
                }
            };
            write!(f, "release {:04}: expand {}", r.release, phase(r.expand))?;
            if !r.backfills.is_empty() {
                let done = r.backfills.iter().filter(|b| b.complete).count();
                write!(f, ", backfill {done}/{} jobs complete", r.backfills.len())?;
                for b in r.backfills.iter().filter(|b| !b.complete && b.started) {
                    write!(f, " ({}: {} rows so far)", b.id, b.rows_updated)?;
                }
            }
            writeln!(f, ", contract {}", phase(r.contract))?;
        }
        match self.due {
            Due::Expand(r) => writeln!(f, "next: expand release {r} (before its binary deploys)"),
            Due::Backfill(r) => writeln!(f, "next: backfill release {r}"),
            Due::Contract(r) => writeln!(
                f,
                "next: contract release {r} (once no binary older than release {r} runs)"
            ),
            Due::Nothing => writeln!(f, "every release is applied"),
        }
    }
}
