//! Runs what a plan's data says, on a connection the caller owns: a backfill job walked to
//! completion ([`run_backfill`], [`BackfillWalk`]), and the rollback of one phase
//! ([`roll_back_phase`]). Low-level pieces with no lock and no record; the runner that
//! applies releases, with both, is [`crate::migrator`], whose batch executor this walk uses.

use std::num::NonZeroU32;

use migrate_contract::{Backfill, Phase, Plan, Step, Transaction, Undo, set_local_timeouts};
use sqlx::{Connection, PgConnection};

pub use crate::migrator::backfill::BATCH_SIZES;
use crate::migrator::backfill::{BackfillJob as _, SqlJob};

/// Why a backfill job stopped.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The job names no key columns, so there is no keyset to walk.
    #[error("backfill {id} has no key columns to walk")]
    NoKey {
        /// The backfill id.
        id: String,
    },
    /// The job is format-1 plan data: no bounds query, and batches of the old shape.
    #[error(
        "backfill {id} is plan format 1 (no bounds query): convert its plan data with `MIGRATE_ACCEPT=1 cargo build`"
    )]
    NoBounds {
        /// The backfill id.
        id: String,
    },
    /// Reading the walk's bounds failed.
    #[error("reading the bounds of backfill {id} failed: {source}")]
    Bounds {
        /// The backfill id.
        id: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// One batch failed; the batches before it are committed.
    #[error("batch {batch} of backfill {id} failed: {source}")]
    Batch {
        /// The backfill id.
        id: String,
        /// The batch number, from 1.
        batch: u64,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// Counting the rows still to fill failed.
    #[error("counting the rows backfill {id} left failed: {source}")]
    RowsLeft {
        /// The backfill id.
        id: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
}

/// What a completed walk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillReport {
    /// The backfill id.
    pub id: String,
    /// How many batches ran.
    pub batches: u64,
    /// How many rows the batches updated.
    pub rows_updated: u64,
    /// What `rows_left_sql` counted after the walk: 0 unless writers made rows pending again
    /// during the walk (a binary that writes what the plan does not cover).
    pub rows_left: u64,
}

impl BackfillReport {
    /// Whether the job left no rows to fill.
    pub fn is_complete(&self) -> bool {
        self.rows_left == 0
    }
}

/// What one step of a walk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A batch ran and committed.
    Batch {
        /// The key the next batch starts at (the key columns as text); `None` when this batch
        /// reached the walk's last key.
        next_key: Option<Vec<String>>,
        /// How many keys the batch read.
        keys_read: u64,
        /// How many rows it updated.
        rows_updated: u64,
    },
    /// The walk is past the last key; nothing ran.
    Done,
}

/// A keyset walk over one backfill job's table, batch by batch.
///
/// The first step reads the walk's bounds once ([`Backfill::bounds_sql`]): the first and the
/// last key (an empty table has none, and the walk is done). Each batch is one statement
/// ([`Backfill::batch_sql`]): from the cursor (inclusive) it takes the next `batch_size` keys
/// up to the last key, updates those of their rows that are still unfilled, and returns the
/// key after them, which becomes the cursor, or NULL once past the last key, which ends the
/// walk. It cannot loop, since every key a batch returns is past the keys it read, and rows
/// inserted after the bounds were read lie past the last key or are filled by the expand
/// phase. Run on a connection outside a transaction, every batch commits on its own, so a
/// walk can stop (or be dropped, or crash) between batches or inside one: the batch in flight
/// commits or rolls back whole.
///
/// A walk that stopped is resumed by a new walk from the first batch: the planner's batch SQL
/// updates only the rows its job's `rows_left_sql` counts (the UPDATE carries the same
/// predicate), so the batches before the interruption find their rows filled and rewrite none
/// of them, and the walk converges to `rows_left = 0` at the cost of reading the keys again.
#[derive(Debug, Clone)]
pub struct BackfillWalk<'a> {
    job: &'a Backfill,
    /// The walk's last key, once the bounds are read.
    last: Option<Vec<String>>,
    /// The key the next batch starts at, once the bounds are read.
    cursor: Option<Vec<String>>,
    batches: u64,
    rows_updated: u64,
    done: bool,
}

impl<'a> BackfillWalk<'a> {
    /// A walk from the first key. Refuses a job with no key columns, and a format-1 job.
    pub fn new(job: &'a Backfill) -> Result<Self, BackfillError> {
        if job.key.is_empty() {
            return Err(BackfillError::NoKey { id: job.id.clone() });
        }
        if !job.has_bounds() {
            return Err(BackfillError::NoBounds { id: job.id.clone() });
        }
        Ok(BackfillWalk {
            job,
            last: None,
            cursor: None,
            batches: 0,
            rows_updated: 0,
            done: false,
        })
    }

    /// The job it walks.
    pub fn job(&self) -> &'a Backfill {
        self.job
    }

    /// The key the next batch starts at; `None` before the first batch and once done.
    pub fn cursor(&self) -> Option<&[String]> {
        self.cursor.as_deref()
    }

    /// How many batches have run.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// How many rows the batches have updated.
    pub fn rows_updated(&self) -> u64 {
        self.rows_updated
    }

    /// Whether the walk is past the last key.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Reads the bounds: the cursor starts at the first key, and the walk ends at the last.
    async fn read_bounds(&mut self, conn: &mut PgConnection) -> Result<(), BackfillError> {
        let bounds =
            SqlJob(self.job)
                .bounds(conn)
                .await
                .map_err(|source| BackfillError::Bounds {
                    id: self.job.id.clone(),
                    source,
                })?;
        match bounds {
            Some((first, last)) => {
                self.cursor = Some(first);
                self.last = Some(last);
            }
            None => self.done = true,
        }
        Ok(())
    }

    /// Runs the next batch of at most `batch_size` keys, within [`BATCH_SIZES`] (reading the
    /// bounds first, on the first call). Once it returns [`Progress::Done`] it runs nothing more.
    pub async fn next_batch(
        &mut self,
        conn: &mut PgConnection,
        batch_size: NonZeroU32,
    ) -> Result<Progress, BackfillError> {
        if self.last.is_none() && !self.done {
            self.read_bounds(conn).await?;
        }
        let (Some(cursor), Some(last), false) = (&self.cursor, &self.last, self.done) else {
            self.done = true;
            return Ok(Progress::Done);
        };
        let size = batch_size.get().min(*BATCH_SIZES.end());
        let outcome = SqlJob(self.job)
            .run_batch(conn, cursor, last, size)
            .await
            .map_err(|source| BackfillError::Batch {
                id: self.job.id.clone(),
                batch: self.batches + 1,
                source,
            })?;
        let next = outcome.next;
        // Counts are never negative.
        let (keys_read, rows_updated) = (
            u64::try_from(outcome.keys_read).unwrap_or_default(),
            u64::try_from(outcome.rows_updated).unwrap_or_default(),
        );
        self.batches += 1;
        self.rows_updated += rows_updated;
        self.done = next.is_none();
        self.cursor.clone_from(&next);
        Ok(Progress::Batch {
            next_key: next,
            keys_read,
            rows_updated,
        })
    }
}

/// Runs one backfill job to completion with batches of `batch_size` keys, then counts the
/// rows it left ([`rows_left`]).
///
/// Assumes the plan's expand phase ran (the columns, defaults and triggers the job fills
/// through exist), and a connection outside a transaction, so each batch commits on its own.
/// Interrupted (an error, the future dropped, a crash), it is simply run again: see
/// [`BackfillWalk`] for why the rerun converges.
pub async fn run_backfill(
    conn: &mut PgConnection,
    job: &Backfill,
    batch_size: NonZeroU32,
) -> Result<BackfillReport, BackfillError> {
    let mut walk = BackfillWalk::new(job)?;
    while walk.next_batch(conn, batch_size).await? != Progress::Done {}
    Ok(BackfillReport {
        id: job.id.clone(),
        batches: walk.batches(),
        rows_updated: walk.rows_updated(),
        rows_left: rows_left(conn, job).await?,
    })
}

/// Counts the rows a backfill job still has to fill (its `rows_left_sql`); contract must not
/// run while it is not 0.
pub async fn rows_left(conn: &mut PgConnection, job: &Backfill) -> Result<u64, BackfillError> {
    let left: i64 = sqlx::query_scalar(&job.rows_left_sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| BackfillError::RowsLeft {
            id: job.id.clone(),
            source,
        })?;
    // A count is never negative.
    Ok(u64::try_from(left).unwrap_or_default())
}

/// Why a rollback refused or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// A step of the phase cannot be undone; nothing was run.
    #[error("step {id} ({description}) cannot be undone: {reason}")]
    Irreversible {
        /// The step id.
        id: String,
        /// What the step does.
        description: String,
        /// Why it cannot be undone, as the plan says.
        reason: String,
    },
    /// A step of the phase carries no undo at all; nothing was run.
    #[error("step {id} ({description}) has no undo in the plan")]
    NoUndo {
        /// The step id.
        id: String,
        /// What the step does.
        description: String,
    },
    /// A step's undo failed; the undos before it are committed.
    #[error("undoing step {id} ({description}) failed: {source}")]
    Undo {
        /// The step id.
        id: String,
        /// What the step does.
        description: String,
        /// The steps undone before it, in the order they were undone.
        undone: Vec<String>,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
}

/// What a rollback did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollback {
    /// Steps whose undo SQL ran, in the order it ran (last step first).
    pub undone: Vec<String>,
    /// Steps with nothing to undo ([`Undo::Nothing`]), skipped.
    pub skipped: Vec<String>,
}

/// Rolls back one phase of a plan: the undo of each of its steps, last step first.
///
/// Assumes the phase ran to its end, and that no later phase or release has run since (roll
/// those back first). Refuses before running anything when a step of the phase is
/// [`Undo::Irreversible`] (the error names the reason) or has no undo; [`Undo::Nothing`]
/// steps are skipped. The undo of a step that ran in a transaction runs in one, with the
/// step's timeouts (its undo locks the same tables); the undo of a step that ran outside
/// any (`DROP INDEX CONCURRENTLY` undoing a concurrent build) runs outside any.
///
/// Interrupted, each undo committed or rolled back as a whole, and a rerun starts from the
/// phase's last step again. Most undos the planner writes are harmless to repeat (`IF
/// EXISTS`, guarded `DO` blocks, `SET`/`DROP NOT NULL`), but not every one (re-adding a
/// dropped constraint fails the second time), so a rerun is not promised to converge: the
/// error of a failed undo lists the steps already undone.
pub async fn roll_back_phase(
    conn: &mut PgConnection,
    plan: &Plan,
    phase: Phase,
) -> Result<Rollback, RollbackError> {
    let steps: Vec<&Step> = plan.phase(phase).collect();
    let mut undos = Vec::with_capacity(steps.len());
    for step in steps.iter().rev() {
        match &step.undo {
            Some(Undo::Sql(sql)) => undos.push((*step, Some(sql.as_str()))),
            Some(Undo::Nothing(_)) => undos.push((*step, None)),
            Some(Undo::Irreversible(reason)) => {
                return Err(RollbackError::Irreversible {
                    id: step.id.clone(),
                    description: step.description.clone(),
                    reason: reason.clone(),
                });
            }
            None => {
                return Err(RollbackError::NoUndo {
                    id: step.id.clone(),
                    description: step.description.clone(),
                });
            }
        }
    }
    let mut done = Rollback::default();
    for (step, sql) in undos {
        let Some(sql) = sql else {
            done.skipped.push(step.id.clone());
            continue;
        };
        if let Err(source) = undo_step(conn, step, sql).await {
            return Err(RollbackError::Undo {
                id: step.id.clone(),
                description: step.description.clone(),
                undone: done.undone,
                source,
            });
        }
        done.undone.push(step.id.clone());
    }
    Ok(done)
}

async fn undo_step(conn: &mut PgConnection, step: &Step, sql: &str) -> Result<(), sqlx::Error> {
    if step.transaction == Transaction::None {
        sqlx::raw_sql(sql).execute(&mut *conn).await?;
        return Ok(());
    }
    let mut tx = conn.begin().await?;
    // The undo locks what the step locked: the step's timeouts hold for it too.
    for set in set_local_timeouts(step.lock_timeout_ms, step.statement_timeout_ms) {
        sqlx::raw_sql(&set).execute(&mut *tx).await?;
    }
    sqlx::raw_sql(sql).execute(&mut *tx).await?;
    tx.commit().await
}
