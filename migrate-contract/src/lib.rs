//! The plan contract: the data the build side (`migrate-build`, through `migrate-core`'s
//! planner) writes to `migrations/plans/NNNN.json`, and a runner reads. Serde-only, so an
//! application can read plans without compiling the planner's parsers. The schema [`model`]
//! (what the snapshot stores) is here too, so a runtime can read a live database back into it.
//!
//! # What a reader may rely on
//!
//! A [`Plan`] read with [`Plan::from_json`] has been checked:
//! - its `format` is [`FORMAT_VERSION`] or an older one in [`READABLE_FORMATS`] (the first
//!   field of the JSON), and in the current format every backfill has its bounds query;
//! - every [`Step`] is in expand or contract, its id is its place (`RRRR.phase.N`), and its
//!   `checksum` matches what it executes ([`Step::compute_checksum`]): a step edited by hand
//!   is refused;
//! - every backfill's id is its place (`RRRR.backfill.N`) and its checksum matches its
//!   queries, and every [`BackfillGate`] names backfills of the plan;
//! - the [`StepGroup`]s cover every step exactly once, in step order, one phase each; a group
//!   whose transaction is not [`Transaction::Shared`] holds exactly one step that runs that
//!   way; a shared group holds only shared steps and, when it holds more than one, they lock
//!   at most one existing table in a mode that blocks writers (rule R1; a single step may
//!   lock two, as a foreign key locks its parent too, and then runs in a group of its own);
//! - each group's checksum covers its file, transaction mode, steps, order check and
//!   timeouts, and no two groups share a file.
//!
//! Running the groups in order, each in one transaction unless it says otherwise, with its
//! timeouts set (`SET LOCAL`) and its order check first, then its steps, runs the same
//! statements as applying the migration files with sqlx.
//!
//! # Version policy
//!
//! [`FORMAT_VERSION`] changes whenever a field is added, removed or changes meaning; readers
//! refuse every other version, and plan data without a `format` field (written before this
//! contract existed). Plan data is derived: the SQL migration files are the accepted
//! artefact, and never rewritten. The build helper, in accept mode, converts unversioned plan
//! data of an accepted release only when the converted plan renders that release's accepted
//! SQL files and summary byte for byte; otherwise it keeps the file and reports it. The catalog codes ([`CatalogRow`]) and verdict names
//! ([`VerdictKind`]) are spelled as the safety catalog and the plan summary print them.

mod catalog;
pub mod model;
mod name;
mod plan;
mod quote;
mod verify;

pub use catalog::{CatalogRow, UnknownCatalogRow, VerdictKind};
pub use name::QualifiedName;
pub use plan::{
    Backfill, BackfillGate, ChangeSummary, IndexRepair, Lock, LockMode, Phase, Plan, PostCheck,
    PreCheck, Release, RustCompute, Step, StepGroup, Transaction, Undo, backfill_id,
    set_local_timeouts, step_id,
};
pub use quote::{push_quoted, quote_ident, quote_literal};
pub use verify::PlanInvariant;

use sha2::{Digest, Sha256};

/// The plan format this crate reads and writes.
pub const FORMAT_VERSION: u32 = 2;

/// Older formats this crate still reads. Format 1 differs only in its backfill jobs: they
/// have no bounds query and their batches take other parameters, so a runner refuses to
/// walk them, and the build helper converts them in accept mode.
pub const READABLE_FORMATS: &[u32] = &[1, FORMAT_VERSION];

/// Why plan data cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanReadError {
    /// Not JSON, or not the shape of a plan of this format.
    #[error("the plan data does not parse: {0}")]
    Json(#[from] serde_json::Error),
    /// No `format` field: written before plans carried a version.
    #[error(
        "written by an older migrate: this plan data has no format version, and this migrate reads plan format {FORMAT_VERSION} only. Regenerate it with `MIGRATE_ACCEPT=1 cargo build`: the build helper converts it when the converted plan renders its release's accepted SQL files and summary byte for byte, and otherwise leaves it as it is (the SQL files are the accepted migrations and are never rewritten; `sqlx migrate run` applies them as before)"
    )]
    Unversioned,
    /// A version this crate does not know.
    #[error(
        "the plan data has format {found}, and this migrate reads formats 1 and {FORMAT_VERSION}: use the migrate that wrote it, or regenerate it with this one"
    )]
    UnknownVersion {
        /// The version found (`format`).
        found: serde_json::Value,
    },
    /// A step's, backfill's or group's checksum does not match what it executes.
    #[error(
        "{id} was edited after it was planned (its checksum does not match what it runs): plans are generated, never edited; regenerate it"
    )]
    Edited {
        /// The step or backfill id, or the group's file.
        id: String,
    },
    /// The plan breaks an invariant of the contract.
    #[error("the plan data is inconsistent: {0}")]
    Invalid(#[from] PlanInvariant),
}

impl Plan {
    /// Reads plan data, refusing unknown or missing versions and plans that break the
    /// contract's invariants (see the crate docs).
    pub fn from_json(text: &str) -> Result<Plan, PlanReadError> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        if !value.is_object() {
            return Err(PlanInvariant::NotAnObject.into());
        }
        match value.get("format") {
            None => return Err(PlanReadError::Unversioned),
            Some(v)
                if v.as_u64()
                    .is_some_and(|v| READABLE_FORMATS.iter().any(|&f| u64::from(f) == v)) => {}
            Some(v) => return Err(PlanReadError::UnknownVersion { found: v.clone() }),
        }
        let plan: Plan = serde_json::from_value(value)?;
        plan.verify()?;
        Ok(plan)
    }

    /// The plan data file's content: pretty JSON, `format` first, LF, a final newline.
    pub fn to_json(&self) -> String {
        // Plain structs, strings and numbers: serialising cannot fail.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

/// sha256 of `bytes`, lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests;
