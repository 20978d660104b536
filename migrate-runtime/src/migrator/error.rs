//! Why a run refused or stopped. Every variant names what to do next.

use migrate_contract::{Phase, PlanReadError};

/// Why embedded plans could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A plan does not read (see [`PlanReadError`]).
    #[error("embedded plan {index} does not read: {source}")]
    Plan {
        /// Its place among the embedded plans, from 0.
        index: usize,
        /// Why.
        #[source]
        source: PlanReadError,
    },
    /// The plans are not releases 1, 2, … in order, each following the one before.
    #[error(
        "embedded plan {index} is release {found}, where release {expected} was expected: the build helper embeds every accepted release in order"
    )]
    OutOfOrder {
        /// Its place, from 0.
        index: usize,
        /// The release it is.
        found: u32,
        /// The release that should be there.
        expected: u32,
    },
    /// The tracking schema name is not a plain lowercase identifier.
    #[error(
        "tracking schema `{0}` is not a plain identifier of its own (lowercase letters, digits and `_`, at most 63 bytes, not starting with a digit or `pg_`, and not `public` or `information_schema`, whose tables are not the runner's)"
    )]
    TrackingSchema(String),
}

/// One backfill job's rows still to fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowsLeft {
    /// The backfill id.
    pub backfill: String,
    /// What it fills.
    pub description: String,
    /// Rows its `rows_left_sql` counted.
    pub rows: u64,
}

/// Why a run refused or stopped. Work committed before the error stays committed and
/// recorded; running again resumes after it.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The database could not be reached, or the runner's own bookkeeping failed.
    #[error("database error while {doing}: {source}")]
    Database {
        /// What the runner was doing.
        doing: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// Another runner holds the runner lock and [`crate::migrator::LockWait::NoWait`] was set
    /// (or the wait timed out).
    #[error("another runner is applying migrations (it holds the runner lock{holder}); {advice}")]
    Busy {
        /// `: backend pid N` when the holder is known.
        holder: String,
        /// What to do.
        advice: String,
    },
    /// The session holding the runner lock ended during the run (terminated, timed out, its
    /// connection dropped), so another runner may hold the lock now; this run stopped.
    #[error(
        "the session holding the runner lock (backend pid {pid}) ended during the run, so another runner may have the lock; this run stopped before its next group or batch, and running it again resumes there (check idle_session_timeout, proxies that drop idle connections, and PgBouncer transaction pooling, which cannot hold a session lock)"
    )]
    LockLost {
        /// The lock session's backend pid.
        pid: i32,
    },
    /// A backfill computes its values with a Rust function of the application, and this
    /// migrator was not given the job.
    #[error(
        "backfill {backfill} computes {job} with the Rust function `{function}`, which this migrator was not given; register it: `Migrator::embedded(PLANS)?.computing(<{declared_by} as migrate_runtime::Table>::COMPUTED)`, in the binary built with release {release}'s declarations"
    )]
    ComputeNotRegistered {
        /// The backfill id.
        backfill: String,
        /// `schema.table.column`.
        job: String,
        /// The function's path as declared.
        function: String,
        /// The struct that declares it.
        declared_by: String,
        /// The release whose plan holds it.
        release: u32,
    },
    /// A walk ended with rows still to fill, after walking its key range twice.
    #[error(
        "backfill {backfill} walked its key range twice and {rows} row(s) are still to fill: a binary writes rows the plan does not fill (one that bypasses the release's views or triggers); find it, then run backfill again"
    )]
    BackfillLeftRows {
        /// The backfill id.
        backfill: String,
        /// Rows left.
        rows: u64,
    },
    /// A group's R9 order check refused it: the phases ran out of order.
    #[error("{file} refused to run: its release-order check failed: {source}")]
    OrderCheck {
        /// The group's file.
        file: String,
        /// The check's error (its message says which phase must run first).
        #[source]
        source: sqlx::Error,
    },
    /// An applied step's SQL is not what the plan now says.
    #[error(
        "step {step} was applied with SQL of SHA-384 {applied}, but the embedded plan's SQL for it has SHA-384 {planned}: applied migrations are never edited; build the binary from the accepted migrations"
    )]
    ChangedSinceApplied {
        /// The step id.
        step: String,
        /// The recorded checksum.
        applied: String,
        /// The plan's checksum.
        planned: String,
    },
    /// A phase cannot start yet.
    #[error("release {release} cannot {phase} yet: {reason}")]
    NotYet {
        /// The release.
        release: u32,
        /// The phase refused.
        phase: &'static str,
        /// Why, and what to run first.
        reason: String,
    },
    /// Contract refused: backfills still have rows to fill.
    #[error(
        "release {release} cannot contract: its backfills are not complete ({}); run `backfill` first",
        left.iter().map(|l| format!("{}: {} row(s) left, {}", l.backfill, l.rows, l.description)).collect::<Vec<_>>().join("; ")
    )]
    BackfillIncomplete {
        /// The release.
        release: u32,
        /// Rows left per job.
        left: Vec<RowsLeft>,
    },
    /// Contract refused: binaries of an older release are still connected.
    #[error(
        "release {release} cannot contract: binaries of an older release are still connected ({}); contract drops the views and columns they use: stop them (or wait for their deploy to finish) and run contract again, or pass the override (`RunOptions::allow_old_connections`) if they are known to be idle",
        old.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    OldBinaryConnected {
        /// The release.
        release: u32,
        /// The connections, by `application_name`.
        old: Vec<super::OldConnections>,
    },
    /// A pre-check found rows that would make its step fail; nothing of its group ran.
    #[error("step {step} refused by its pre-check: {count} row(s): {message}")]
    PreCheck {
        /// The step id.
        step: String,
        /// The count.
        count: i64,
        /// The plan's message.
        message: String,
    },
    /// A post-check failed after its step; the step's group was rolled back if it had one.
    #[error("step {step} failed its post-check: {message}")]
    PostCheck {
        /// The step id.
        step: String,
        /// What failed.
        message: String,
    },
    /// A step failed (after its retries, if the failure was a lock timeout).
    #[error("step {step} ({description}) failed after {attempts} attempt(s): {source}{hint}")]
    Step {
        /// The step id.
        step: String,
        /// What it does.
        description: String,
        /// How many times it was tried.
        attempts: u32,
        /// A hint for lock timeouts.
        hint: String,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// A backfill batch failed (after its retries).
    #[error("backfill {backfill} stopped at batch {batch}: {source}")]
    Batch {
        /// The backfill id.
        backfill: String,
        /// The batch number in this run, from 1.
        batch: u64,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// The plan's backfill was written in plan format 1, which a runner cannot walk.
    #[error(
        "backfill {backfill} is plan format 1 data, whose batches have no bounds; convert it with `MIGRATE_ACCEPT=1 cargo build` and rebuild"
    )]
    OldBackfillFormat {
        /// The backfill id.
        backfill: String,
    },
    /// The database was migrated by other means in a way the runner cannot take over.
    #[error("the runner cannot take over this database: {0}")]
    Takeover(String),
    /// A checkpoint hook stopped the run.
    #[error("stopped at a checkpoint: {0}")]
    Interrupted(String),
}

impl RunError {
    pub(crate) fn db(doing: impl Into<String>) -> impl FnOnce(sqlx::Error) -> RunError {
        let doing = doing.into();
        move |source| RunError::Database { doing, source }
    }

    pub(crate) fn not_yet(release: u32, phase: Phase, reason: impl Into<String>) -> RunError {
        RunError::NotYet {
            release,
            phase: phase.name(),
            reason: reason.into(),
        }
    }
}
