//! What a plan is made of: [`Step`]s in phases and [`Backfill`] jobs. Plain, serialisable data:
//! the renderer writes files from it and a runner executes it without deciding anything.

use serde::{Deserialize, Serialize};

use super::{LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS};
use crate::model::QualifiedName;
use crate::snapshot::Release;

/// A migration phase (see the release model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the new binary deploys; both binaries work against the result.
    Expand,
    /// Batched, after expand.
    Backfill,
    /// After every old binary is gone and the backfill is complete.
    Contract,
}

impl Phase {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Backfill => "backfill",
            Phase::Contract => "contract",
        }
    }
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

    /// Whether it blocks writers (R1 then asks for a lock timeout).
    pub fn blocks_writes(self) -> bool {
        self != LockMode::ShareUpdateExclusive
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

/// A query to run before a step: the step must not run while it returns a non-zero count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreCheck {
    /// `SELECT count(*) …` of the rows that would make the step fail.
    pub sql: String,
    /// What to tell the operator when the count is not zero.
    pub failure: String,
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
    /// The SQL.
    pub sql: String,
    /// Locks taken, strongest first.
    pub locks: Vec<Lock>,
    /// Whether it may run inside a transaction (false for CONCURRENTLY).
    pub transactional: bool,
    /// Whether it needs a transaction of its own (VALIDATE never shares one with its NOT VALID add).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_transaction: bool,
    /// `lock_timeout` to set on the connection that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_timeout_ms: Option<u32>,
    /// `statement_timeout` to set on the connection that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_timeout_ms: Option<u32>,
    /// How a re-run is made harmless.
    pub idempotency: String,
    /// A check to run first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_check: Option<PreCheck>,
    /// A check to run after the step (an index built CONCURRENTLY may be left invalid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_check: Option<String>,
    /// SQL that undoes the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    /// Why the step cannot be undone, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub irreversible: Option<String>,
    /// The `allow_unsafe` reason when this is a naive statement the user accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsafe_reason: Option<String>,
}

impl Step {
    /// A transactional step with no lock, no guard and no rollback yet.
    pub fn new(
        phase: Phase,
        catalog: &str,
        description: impl Into<String>,
        slug: impl Into<String>,
        sql: impl Into<String>,
    ) -> Step {
        Step {
            phase,
            catalog: catalog.into(),
            description: description.into(),
            slug: slug.into(),
            sql: sql.into(),
            locks: Vec::new(),
            transactional: true,
            own_transaction: false,
            lock_timeout_ms: None,
            statement_timeout_ms: None,
            idempotency: String::new(),
            pre_check: None,
            post_check: None,
            rollback: None,
            irreversible: None,
            unsafe_reason: None,
        }
    }

    /// Adds a lock. Locks that block writers on an existing table get R1/R2 timeouts.
    pub fn lock(mut self, mode: LockMode, table: &QualifiedName, new_table: bool) -> Step {
        if mode.blocks_writes() && !new_table {
            self.lock_timeout_ms = Some(LOCK_TIMEOUT_MS);
            if mode == LockMode::AccessExclusive {
                self.statement_timeout_ms = Some(STATEMENT_TIMEOUT_MS);
            }
        }
        if !self.locks.iter().any(|l| l.table == table.key()) {
            self.locks.push(Lock {
                mode,
                table: table.key(),
                new_table,
            });
        }
        self
    }

    /// Runs outside any transaction, alone (CONCURRENTLY). Long but non-blocking:
    /// no statement timeout (R2).
    pub fn non_transactional(mut self) -> Step {
        self.transactional = false;
        self.statement_timeout_ms = None;
        self
    }

    /// Runs in a transaction of its own. VALIDATE scans without blocking writers: no
    /// statement timeout (R2).
    pub fn own_transaction(mut self) -> Step {
        self.own_transaction = true;
        self.statement_timeout_ms = None;
        self
    }

    /// How a re-run is made harmless.
    pub fn guard(mut self, idempotency: impl Into<String>) -> Step {
        self.idempotency = idempotency.into();
        self
    }

    /// SQL that undoes the step.
    pub fn rollback(mut self, sql: impl Into<String>) -> Step {
        self.rollback = Some(sql.into());
        self
    }

    /// Why the step cannot be undone.
    pub fn irreversible(mut self, why: impl Into<String>) -> Step {
        self.irreversible = Some(why.into());
        self
    }

    /// A check that must find nothing before the step runs.
    pub fn pre_check(mut self, sql: impl Into<String>, failure: impl Into<String>) -> Step {
        self.pre_check = Some(PreCheck {
            sql: sql.into(),
            failure: failure.into(),
        });
        self
    }

    /// A check to run after the step.
    pub fn post_check(mut self, check: impl Into<String>) -> Step {
        self.post_check = Some(check.into());
        self
    }

    /// Records the user's `allow_unsafe` reason.
    pub fn unsafe_reason(mut self, reason: Option<String>) -> Step {
        self.unsafe_reason = reason;
        self
    }
}

/// A batched backfill (rule R7): walk the primary key in keyset order and set a column on the
/// rows that existed before expand. Rows written since are covered by the column's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backfill {
    /// The catalog row it belongs to.
    pub catalog: String,
    /// What it does.
    pub description: String,
    /// The table (`schema.name`).
    pub table: String,
    /// Primary-key columns, the keyset order.
    pub key: Vec<String>,
    /// One batch: parameters `$1..$k` are the last key of the previous batch as text (all NULL
    /// for the first batch), `$k+1` the batch size. Returns the batch's last key as text
    /// columns, or no row when the walk is done.
    pub batch_sql: String,
    /// `SELECT count(*)` of the rows still to fill; contract refuses while it is not zero.
    pub rows_left_sql: String,
    /// Batch size to start with; a runner adapts it to the target duration.
    pub initial_batch_size: u32,
    /// Target duration of one batch, in milliseconds.
    pub target_batch_ms: u32,
    /// Whether the new release's views (and so its binary) must wait for this backfill: the
    /// rows it fills would otherwise read as NULL where the new binary expects a value. Expand
    /// then stops before the views until it is complete.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_deploy: bool,
}

/// The plan for one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The release these steps lead to.
    pub release: Release,
    /// The release before it (whose views schema contract drops).
    pub previous: Release,
    /// Every change with its verdict, for the summary.
    pub changes: Vec<ChangeSummary>,
    /// Steps in execution order: expand steps, then contract steps.
    pub steps: Vec<Step>,
    /// Backfill jobs, run after expand and before contract.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backfills: Vec<Backfill>,
}

/// One change as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSummary {
    /// Catalog row.
    pub catalog: String,
    /// SAFE, PHASED or UNSAFE (allowed).
    pub verdict: String,
    /// The reason.
    pub reason: String,
    /// A warning the plan must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.backfills.is_empty()
    }

    /// The steps of one phase, in order.
    pub fn phase(&self, phase: Phase) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.phase == phase)
    }
}
