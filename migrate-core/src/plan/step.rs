//! What a plan is made of lives in `migrate-contract` (the runtime reads it without the
//! planner); this module adds the builder the planner writes steps with, which applies the
//! planner's timeouts (R1, R2).

pub use migrate_contract::{
    Backfill, BackfillGate, ChangeSummary, Lock, LockMode, Phase, Plan, PostCheck, PreCheck, Step,
    StepGroup, Transaction, Undo,
};

use super::{LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS};
use crate::model::QualifiedName;

/// Builder methods the planner writes [`Step`]s with.
pub trait StepBuilder: Sized {
    /// Adds a lock. Locks that block writers on an existing table get R1/R2 timeouts.
    fn lock(self, mode: LockMode, table: &QualifiedName, new_table: bool) -> Self;
    /// Runs outside any transaction, alone (CONCURRENTLY). Long but non-blocking: no
    /// statement timeout (R2).
    fn non_transactional(self) -> Self;
    /// Runs in a transaction of its own. VALIDATE scans without blocking writers: no
    /// statement timeout (R2).
    fn own_transaction(self) -> Self;
    /// How a re-run is made harmless.
    fn guard(self, idempotency: impl Into<String>) -> Self;
    /// SQL that undoes the step.
    fn rollback(self, sql: impl Into<String>) -> Self;
    /// How the step is undone.
    fn undo(self, undo: Undo) -> Self;
    /// The step changes nothing to undo (a read-only check), for this reason.
    fn nothing_to_undo(self, why: impl Into<String>) -> Self;
    /// Why the step cannot be undone.
    fn irreversible(self, why: impl Into<String>) -> Self;
    /// A check that must find nothing before the step runs.
    fn pre_check(self, sql: impl Into<String>, failure: impl Into<String>) -> Self;
    /// A check to run after the step.
    fn post_check(self, check: PostCheck) -> Self;
    /// Records the user's `allow_unsafe` reason.
    fn unsafe_reason(self, reason: Option<String>) -> Self;
    /// Moves the step to another phase.
    fn with_phase(self, phase: Phase) -> Self;
}

impl StepBuilder for Step {
    fn lock(mut self, mode: LockMode, table: &QualifiedName, new_table: bool) -> Step {
        if mode.blocks_writes() && !new_table {
            self.lock_timeout_ms = Some(LOCK_TIMEOUT_MS);
            if mode == LockMode::AccessExclusive {
                self.statement_timeout_ms = Some(STATEMENT_TIMEOUT_MS);
            }
        }
        if !self.locks.iter().any(|l| l.table == *table) {
            self.locks.push(Lock {
                mode,
                table: table.clone(),
                new_table,
            });
        }
        self
    }

    fn non_transactional(mut self) -> Step {
        self.transaction = Transaction::None;
        self.statement_timeout_ms = None;
        self
    }

    fn own_transaction(mut self) -> Step {
        self.transaction = Transaction::Own;
        self.statement_timeout_ms = None;
        self
    }

    fn guard(mut self, idempotency: impl Into<String>) -> Step {
        self.idempotency = idempotency.into();
        self
    }

    fn rollback(mut self, sql: impl Into<String>) -> Step {
        self.undo = Some(Undo::Sql(sql.into()));
        self
    }

    fn undo(mut self, undo: Undo) -> Step {
        self.undo = Some(undo);
        self
    }

    fn nothing_to_undo(mut self, why: impl Into<String>) -> Step {
        self.undo = Some(Undo::Nothing(why.into()));
        self
    }

    fn irreversible(mut self, why: impl Into<String>) -> Step {
        self.undo = Some(Undo::Irreversible(why.into()));
        self
    }

    fn pre_check(mut self, sql: impl Into<String>, failure: impl Into<String>) -> Step {
        self.pre_check = Some(PreCheck {
            sql: sql.into(),
            failure: failure.into(),
        });
        self
    }

    fn post_check(mut self, check: PostCheck) -> Step {
        self.post_check = Some(check);
        self
    }

    fn unsafe_reason(mut self, reason: Option<String>) -> Step {
        self.unsafe_reason = reason;
        self
    }

    fn with_phase(mut self, phase: Phase) -> Step {
        self.phase = phase;
        self
    }
}
