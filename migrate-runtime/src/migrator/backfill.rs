//! The backfill executor: walks a job's key range in batches, each batch committed with its
//! cursor, the batch size adapting to the job's target duration, paced by the throttle.
//!
//! A job is anything implementing [`BackfillJob`]: today the plan's SQL jobs ([`SqlJob`]);
//! jobs whose values are computed by application code implement the same three operations
//! (read the bounds, fill one key range, count what is left) and run through the same walk,
//! with the same cursor, retries, pacing and progress.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use migrate_contract::{Backfill, QualifiedName};
use sqlx::{Connection, PgConnection, Row};

use super::error::RunError;
use super::lock::LockProbe;
use super::options::{Checkpoint, CheckpointAction, RunOptions, jitter};
use super::progress::WalkProgress;
use super::retry::is_retryable;
use super::tracking::{BackfillRecord, Tables};

/// The batch sizes a walk runs (keys per batch), inclusive. The planner's batch SQL keeps
/// an index range scan across this range (a test EXPLAINs it at both ends).
pub const BATCH_SIZES: std::ops::RangeInclusive<u32> = 1..=20_000;

/// A key: the key columns as text, in key order.
pub type Key = Vec<String>;

/// A boxed future, so [`BackfillJob`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Where the next batch starts; `None` when the walk is past its last key.
    pub next: Option<Key>,
    /// Keys the batch read.
    pub keys_read: i64,
    /// Rows it updated.
    pub rows_updated: i64,
}

/// A backfill job the executor can walk.
pub trait BackfillJob: Send + Sync {
    /// Its id (`RRRR.backfill.N` for plan jobs), the key of its record.
    fn id(&self) -> &str;
    /// What it fills, in words.
    fn description(&self) -> &str;
    /// The table it walks.
    fn table(&self) -> &QualifiedName;
    /// Changes when what it executes changes; a recorded walk of another checksum starts over.
    fn checksum(&self) -> &str;
    /// The batch size to start with.
    fn initial_batch_size(&self) -> u32;
    /// The duration a batch should take.
    fn target_batch(&self) -> Duration;
    /// The first and last key, or `None` for an empty table.
    fn bounds<'a>(
        &'a self,
        conn: &'a mut PgConnection,
    ) -> BoxFuture<'a, Result<Option<(Key, Key)>, sqlx::Error>>;
    /// Fills the batch of at most `size` keys from `from` (inclusive), never past `end`. Runs
    /// inside the batch's transaction.
    fn run_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        from: &'a [String],
        end: &'a [String],
        size: u32,
    ) -> BoxFuture<'a, Result<BatchOutcome, sqlx::Error>>;
    /// Whether rows may be left after its walk while an older binary runs (its values come
    /// from the application, and the older binary writes rows without them): contract walks
    /// it once more, once that binary is gone, instead of the backfill failing.
    fn settles_in_contract(&self) -> bool {
        false
    }
    /// Rows still to fill.
    fn rows_left<'a>(
        &'a self,
        conn: &'a mut PgConnection,
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>>;
}

/// A plan's backfill job (format 2): its bounds, batch and count queries, as planned.
#[derive(Debug, Clone, Copy)]
pub struct SqlJob<'p>(pub &'p Backfill);

impl BackfillJob for SqlJob<'_> {
    fn id(&self) -> &str {
        &self.0.id
    }
    fn description(&self) -> &str {
        &self.0.description
    }
    fn table(&self) -> &QualifiedName {
        &self.0.table
    }
    fn checksum(&self) -> &str {
        &self.0.checksum
    }
    fn initial_batch_size(&self) -> u32 {
        self.0.initial_batch_size
    }
    fn target_batch(&self) -> Duration {
        Duration::from_millis(u64::from(self.0.target_batch_ms.max(1)))
    }

    fn bounds<'a>(
        &'a self,
        conn: &'a mut PgConnection,
    ) -> BoxFuture<'a, Result<Option<(Key, Key)>, sqlx::Error>> {
        Box::pin(async move {
            let k = self.0.key.len();
            let Some(row) = sqlx::query(&self.0.bounds_sql)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let mut first = Vec::with_capacity(k);
            let mut last = Vec::with_capacity(k);
            for i in 0..k {
                let (Some(a), Some(b)) = (
                    row.try_get::<Option<String>, _>(i)?,
                    row.try_get::<Option<String>, _>(k + i)?,
                ) else {
                    return Ok(None);
                };
                first.push(a);
                last.push(b);
            }
            Ok(Some((first, last)))
        })
    }

    fn run_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        from: &'a [String],
        end: &'a [String],
        size: u32,
    ) -> BoxFuture<'a, Result<BatchOutcome, sqlx::Error>> {
        Box::pin(async move {
            let k = self.0.key.len();
            let mut query = sqlx::query(&self.0.batch_sql);
            for part in from.iter().chain(end) {
                query = query.bind(part.as_str());
            }
            let row = query.bind(i64::from(size)).fetch_one(&mut *conn).await?;
            let mut next = Vec::with_capacity(k);
            for i in 0..k {
                if let Some(part) = row.try_get::<Option<String>, _>(i)? {
                    next.push(part);
                }
            }
            Ok(BatchOutcome {
                next: (next.len() == k).then_some(next),
                keys_read: row.try_get(k)?,
                rows_updated: row.try_get(k + 1)?,
            })
        })
    }

    fn rows_left<'a>(
        &'a self,
        conn: &'a mut PgConnection,
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let left: i64 = sqlx::query_scalar(&self.0.rows_left_sql)
                .fetch_one(&mut *conn)
                .await?;
            Ok(u64::try_from(left).unwrap_or_default())
        })
    }
}

/// What a walk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillSummary {
    /// The job id.
    pub id: String,
    /// Batches this run committed.
    pub batches: u64,
    /// Rows this run updated.
    pub rows_updated: u64,
    /// Whether it resumed a walk a previous run had started.
    pub resumed: bool,
    /// Rows left when it ended (0: complete).
    pub rows_left: u64,
}

/// The next batch size: scaled towards the target duration, at most doubling or halving
/// per batch, within [`BATCH_SIZES`].
pub fn next_batch_size(size: u32, took: Duration, target: Duration) -> u32 {
    let took = took.as_secs_f64().max(0.000_1);
    let scaled = f64::from(size) * target.as_secs_f64() / took;
    let bounded = scaled.clamp(f64::from(size) / 2.0, f64::from(size) * 2.0);
    (bounded.round() as u32).clamp(*BATCH_SIZES.start(), *BATCH_SIZES.end())
}

/// Walks one job to its end and counts what it left. Resumes the recorded walk when there is
/// one for the same checksum; a walk that ends with rows left (written meanwhile by a binary
/// the plan does not cover) is walked once more from fresh bounds.
pub(crate) async fn walk(
    conn: &mut PgConnection,
    tables: &Tables,
    options: &RunOptions,
    probe: &LockProbe,
    release: u32,
    job: &dyn BackfillJob,
    record: Option<&BackfillRecord>,
) -> Result<BackfillSummary, RunError> {
    let id = job.id().to_owned();
    let mut summary = BackfillSummary {
        id: id.clone(),
        batches: 0,
        rows_updated: 0,
        resumed: false,
        rows_left: 0,
    };
    let db = |doing: &'static str| RunError::db(format!("{doing} of backfill {id}"));
    let same = record.filter(|r| r.checksum == job.checksum());
    let mut position = match same {
        Some(r) if r.complete => None,
        Some(BackfillRecord {
            cursor: Some(cursor),
            end_key: Some(end),
            ..
        }) => {
            summary.resumed = true;
            tracing::info!(backfill = %id, cursor = ?cursor, "resuming the backfill walk");
            Some((cursor.clone(), end.clone()))
        }
        // The walk ended: only the count is left to do.
        Some(_) => None,
        None => start(conn, tables, release, job).await?,
    };
    let mut passes = 0;
    loop {
        if let Some((from, end)) = position.take() {
            walk_range(conn, tables, options, probe, job, from, end, &mut summary).await?;
        }
        let left = job
            .rows_left(conn)
            .await
            .map_err(db("counting the rows left"))?;
        summary.rows_left = left;
        passes += 1;
        let settles = job.settles_in_contract();
        if left == 0 || passes > 1 || settles {
            tables
                .finish_backfill(conn, &id, left == 0 || settles)
                .await
                .map_err(db("recording the end"))?;
            if left > 0 && settles {
                tracing::info!(backfill = %id, rows_left = left, "the walk is complete; the rows an older binary wrote meanwhile are computed by contract's final pass");
            } else if left > 0 {
                tracing::warn!(backfill = %id, rows_left = left, "the backfill walked its whole key range twice and rows are still left: a binary writes rows the plan does not fill");
            }
            return Ok(summary);
        }
        tracing::info!(backfill = %id, rows_left = left, "rows were left after the walk; walking again from fresh bounds");
        position = start(conn, tables, release, job).await?;
        if position.is_none() {
            // The table emptied meanwhile; count again.
            continue;
        }
    }
}

/// Reads the bounds and records a fresh walk.
async fn start(
    conn: &mut PgConnection,
    tables: &Tables,
    release: u32,
    job: &dyn BackfillJob,
) -> Result<Option<(Key, Key)>, RunError> {
    let db = |doing: &'static str| RunError::db(format!("{doing} of backfill {}", job.id()));
    let bounds = job.bounds(conn).await.map_err(db("reading the bounds"))?;
    tables
        .start_backfill(
            conn,
            job.id(),
            release,
            job.checksum(),
            bounds.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
        )
        .await
        .map_err(db("recording the start"))?;
    tracing::info!(backfill = %job.id(), bounds = ?bounds, "starting the backfill walk");
    Ok(bounds)
}

/// Walks `from..=end`, batch by batch, each committed with its cursor.
#[allow(clippy::too_many_arguments)]
async fn walk_range(
    conn: &mut PgConnection,
    tables: &Tables,
    options: &RunOptions,
    probe: &LockProbe,
    job: &dyn BackfillJob,
    from: Key,
    end: Key,
    summary: &mut BackfillSummary,
) -> Result<(), RunError> {
    let mut cursor = Some(from);
    let mut size = job
        .initial_batch_size()
        .clamp(*BATCH_SIZES.start(), *BATCH_SIZES.end());
    let mut progress = WalkProgress::start(conn, options.progress, job).await;
    let started = Instant::now();
    let mut keys_total: u64 = 0;
    while let Some(from) = cursor.take() {
        let batch_number = summary.batches + 1;
        probe.check(conn).await?;
        let (outcome, took, ran) = run_batch_with_retries(
            conn,
            tables,
            options,
            probe,
            job,
            &from,
            &end,
            size,
            batch_number,
        )
        .await?;
        size = ran;
        summary.batches = batch_number;
        summary.rows_updated += u64::try_from(outcome.rows_updated).unwrap_or_default();
        keys_total += u64::try_from(outcome.keys_read).unwrap_or_default();
        progress.advance(outcome.keys_read, outcome.rows_updated, size, took);
        size = next_batch_size(size, took, job.target_batch());
        cursor = outcome.next;
        match options.at(Checkpoint::BatchDone {
            backfill: job.id().to_owned(),
            batch: batch_number,
        }) {
            CheckpointAction::Continue => {}
            action => {
                progress.finish();
                return Err(interrupt(
                    conn,
                    action,
                    &format!("after batch {batch_number} of backfill {}", job.id()),
                )
                .await);
            }
        }
        if cursor.is_some() {
            pace(options, started, keys_total).await;
        }
    }
    progress.finish();
    Ok(())
}

/// One batch in its own transaction, with the cursor, retried on lock timeouts.
#[allow(clippy::too_many_arguments)]
async fn run_batch_with_retries(
    conn: &mut PgConnection,
    tables: &Tables,
    options: &RunOptions,
    probe: &LockProbe,
    job: &dyn BackfillJob,
    from: &[String],
    end: &[String],
    size: u32,
    batch: u64,
) -> Result<(BatchOutcome, Duration, u32), RunError> {
    let mut attempt = 1;
    let mut size = size;
    loop {
        let began = Instant::now();
        // `Ok(None)`: the runner lock was lost, and the batch rolled back.
        let result: Result<Option<BatchOutcome>, sqlx::Error> = async {
            let mut tx = conn.begin().await?;
            let set = format!(
                "SET LOCAL lock_timeout = '{}ms'",
                options.batch_lock_timeout.as_millis().max(1)
            );
            sqlx::Executor::execute(&mut *tx, sqlx::raw_sql(&set)).await?;
            let outcome = job.run_batch(&mut tx, from, end, size).await?;
            tables
                .advance_backfill(
                    &mut tx,
                    job.id(),
                    outcome.next.as_deref(),
                    outcome.keys_read,
                    outcome.rows_updated,
                )
                .await?;
            if !probe.held(&mut tx).await? {
                return Ok(None);
            }
            tx.commit().await?;
            Ok(Some(outcome))
        }
        .await;
        match result {
            Ok(Some(outcome)) => return Ok((outcome, began.elapsed(), size)),
            Ok(None) => return Err(RunError::LockLost { pid: probe.pid() }),
            Err(source) if is_retryable(&source) && attempt < options.retry.max_attempts => {
                let delay = options.retry.delay(attempt, jitter());
                tracing::warn!(backfill = %job.id(), batch, attempt, delay_ms = delay.as_millis() as u64, error = %source, "backfill batch hit a lock timeout; retrying");
                tokio::time::sleep(delay).await;
                // A smaller batch holds fewer rows while it waits.
                size = (size / 2).max(*BATCH_SIZES.start());
                attempt += 1;
            }
            Err(source) => {
                return Err(RunError::Batch {
                    backfill: job.id().to_owned(),
                    batch,
                    source,
                });
            }
        }
    }
}

/// Sleeps for the pause between batches and, under a rate cap, until the average rate is
/// back under it.
async fn pace(options: &RunOptions, started: Instant, keys_total: u64) {
    let mut wait = options.throttle.pause;
    if let Some(cap) = options.throttle.max_rows_per_sec.filter(|c| *c > 0) {
        let due = Duration::from_secs_f64(keys_total as f64 / f64::from(cap));
        wait = wait.max(due.saturating_sub(started.elapsed()));
    }
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}

/// Acts on a checkpoint's stop or terminate, and gives the error the run ends with.
pub(crate) async fn interrupt(
    conn: &mut PgConnection,
    action: CheckpointAction,
    at: &str,
) -> RunError {
    if action == CheckpointAction::TerminateSession {
        // The session ends here, as it would if the runner's host died: the server rolls back
        // whatever it had not committed.
        let _ = sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())")
            .execute(&mut *conn)
            .await;
        return RunError::Interrupted(format!("session terminated {at}"));
    }
    RunError::Interrupted(format!("stopped {at}"))
}

#[cfg(test)]
mod tests {
    use super::{BATCH_SIZES, next_batch_size};
    use std::time::Duration;

    const TARGET: Duration = Duration::from_millis(50);

    #[test]
    fn a_batch_on_target_keeps_its_size() {
        assert_eq!(next_batch_size(1000, TARGET, TARGET), 1000);
    }

    #[test]
    fn a_fast_batch_at_most_doubles_and_a_slow_one_at_most_halves() {
        assert_eq!(
            next_batch_size(1000, Duration::from_millis(1), TARGET),
            2000
        );
        assert_eq!(
            next_batch_size(1000, Duration::from_millis(40), TARGET),
            1250
        );
        assert_eq!(next_batch_size(1000, Duration::from_secs(5), TARGET), 500);
        assert_eq!(
            next_batch_size(1000, Duration::from_millis(80), TARGET),
            625
        );
    }

    #[test]
    fn sizes_stay_in_the_range_the_batch_sql_is_checked_for() {
        let (low, high) = (*BATCH_SIZES.start(), *BATCH_SIZES.end());
        assert_eq!(next_batch_size(high, Duration::ZERO, TARGET), high);
        assert_eq!(next_batch_size(low, Duration::from_secs(60), TARGET), low);
        let mut size = 1000;
        for took in [0, 1, 2, 500, 3, 0, 0, 0, 0, 0] {
            size = next_batch_size(size, Duration::from_millis(took), TARGET);
            assert!(BATCH_SIZES.contains(&size), "{size}");
        }
    }
}
