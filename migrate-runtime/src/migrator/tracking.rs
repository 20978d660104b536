//! The runner's own record, in the tracking schema (default `migrate`): one row per step it
//! applied (or took over from sqlx), one per backfill job with its cursor. A transactional
//! group writes its steps' rows in its own transaction, so a step is recorded exactly when
//! its work is committed.

use std::collections::HashMap;
use std::fmt::Write as _;

use migrate_contract::{Step, quote_ident};
use sha2::{Digest, Sha384};
use sqlx::{PgConnection, Row};

use super::error::RunError;

/// SHA-384 (lowercase hex) of a step's exact SQL, as sqlx checksums its files.
pub fn sql_sha384(sql: &str) -> String {
    let mut out = String::with_capacity(96);
    for b in Sha384::digest(sql.as_bytes()) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// How a recorded step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Started outside a transaction and not known to have finished (a concurrent index
    /// build the runner was stopped in).
    Running,
    /// Applied by this runner.
    Applied,
    /// Its last attempt failed; it is not applied.
    Failed,
    /// Applied by `sqlx migrate run` from its migration file; the runner took it over.
    Adopted,
}

impl StepOutcome {
    fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Running => "running",
            StepOutcome::Applied => "applied",
            StepOutcome::Failed => "failed",
            StepOutcome::Adopted => "adopted",
        }
    }

    fn parse(text: &str) -> StepOutcome {
        match text {
            "running" => StepOutcome::Running,
            "applied" => StepOutcome::Applied,
            "adopted" => StepOutcome::Adopted,
            _ => StepOutcome::Failed,
        }
    }

    /// Whether the step's work is in the database.
    pub fn is_applied(self) -> bool {
        matches!(self, StepOutcome::Applied | StepOutcome::Adopted)
    }
}

/// A step's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// SHA-384 of the SQL it ran.
    pub sql_sha384: String,
    /// How it ended.
    pub outcome: StepOutcome,
    /// Attempts so far.
    pub attempts: i32,
}

/// A backfill's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillRecord {
    /// The job's checksum when its walk started.
    pub checksum: String,
    /// The walk's last key, read when it started.
    pub end_key: Option<Vec<String>>,
    /// Where the next batch starts; `None` once the walk is past its last key.
    pub cursor: Option<Vec<String>>,
    /// Rows updated so far.
    pub rows_updated: i64,
    /// Keys read so far.
    pub keys_read: i64,
    /// Whether the job was found complete (its walk ended and no rows were left).
    pub complete: bool,
}

/// Everything recorded.
#[derive(Debug, Clone, Default)]
pub struct Tracked {
    /// Steps by id.
    pub steps: HashMap<String, StepRecord>,
    /// Backfills by id.
    pub backfills: HashMap<String, BackfillRecord>,
}

/// The tracking tables' names, quoted.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    schema: String,
    pub(crate) steps: String,
    pub(crate) backfills: String,
}

impl Tables {
    pub(crate) fn new(schema: &str) -> Tables {
        let schema = quote_ident(schema);
        Tables {
            steps: format!("{schema}.\"steps\""),
            backfills: format!("{schema}.\"backfills\""),
            schema,
        }
    }

    /// Creates the schema and tables if missing. Runs under the runner lock, so two runners
    /// never race on it.
    pub(crate) async fn ensure(&self, conn: &mut PgConnection) -> Result<(), RunError> {
        let ddl = format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {steps} (
    step_id text PRIMARY KEY,
    release integer NOT NULL,
    phase text NOT NULL,
    step_index integer NOT NULL,
    sql_sha384 text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    attempts integer NOT NULL,
    duration_ms bigint,
    outcome text NOT NULL CHECK (outcome IN ('running', 'applied', 'failed', 'adopted'))
);
CREATE TABLE IF NOT EXISTS {backfills} (
    backfill_id text PRIMARY KEY,
    release integer NOT NULL,
    checksum text NOT NULL,
    end_key text[],
    cursor text[],
    rows_updated bigint NOT NULL DEFAULT 0,
    keys_read bigint NOT NULL DEFAULT 0,
    batches bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    complete boolean NOT NULL DEFAULT false
);",
            schema = self.schema,
            steps = self.steps,
            backfills = self.backfills,
        );
        sqlx::Executor::execute(conn, sqlx::raw_sql(&ddl))
            .await
            .map_err(RunError::db("creating the tracking tables"))?;
        Ok(())
    }

    /// Reads every record.
    pub(crate) async fn load(&self, conn: &mut PgConnection) -> Result<Tracked, RunError> {
        let mut tracked = Tracked::default();
        let rows = sqlx::query(&format!(
            "SELECT step_id, sql_sha384, outcome, attempts FROM {}",
            self.steps
        ))
        .fetch_all(&mut *conn)
        .await
        .map_err(RunError::db("reading the step records"))?;
        for row in rows {
            let outcome: String = row.get(2);
            tracked.steps.insert(
                row.get(0),
                StepRecord {
                    sql_sha384: row.get(1),
                    outcome: StepOutcome::parse(&outcome),
                    attempts: row.get(3),
                },
            );
        }
        let rows = sqlx::query(&format!(
            "SELECT backfill_id, checksum, end_key, cursor, rows_updated, keys_read, complete FROM {}",
            self.backfills
        ))
        .fetch_all(&mut *conn)
        .await
        .map_err(RunError::db("reading the backfill records"))?;
        for row in rows {
            tracked.backfills.insert(
                row.get(0),
                BackfillRecord {
                    checksum: row.get(1),
                    end_key: row.get(2),
                    cursor: row.get(3),
                    rows_updated: row.get(4),
                    keys_read: row.get(5),
                    complete: row.get(6),
                },
            );
        }
        Ok(tracked)
    }

    /// Writes a step's row (insert or replace).
    pub(crate) async fn record_step(
        &self,
        conn: &mut PgConnection,
        step: &Step,
        release: u32,
        outcome: StepOutcome,
        attempts: u32,
        duration_ms: Option<u64>,
    ) -> Result<(), sqlx::Error> {
        let index: i32 = step
            .id
            .rsplit('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        let finished = outcome != StepOutcome::Running;
        sqlx::query(&format!(
            "INSERT INTO {steps} (step_id, release, phase, step_index, sql_sha384, started_at, finished_at, attempts, duration_ms, outcome)
             VALUES ($1, $2, $3, $4, $5, clock_timestamp() - make_interval(secs => coalesce($6, 0)::double precision / 1000), CASE WHEN $7 THEN clock_timestamp() END, $8, $6, $9)
             ON CONFLICT (step_id) DO UPDATE SET sql_sha384 = EXCLUDED.sql_sha384, started_at = EXCLUDED.started_at,
                 finished_at = EXCLUDED.finished_at, attempts = EXCLUDED.attempts, duration_ms = EXCLUDED.duration_ms, outcome = EXCLUDED.outcome",
            steps = self.steps
        ))
        .bind(&step.id)
        .bind(i32::try_from(release).unwrap_or(i32::MAX))
        .bind(step.phase.name())
        .bind(index)
        .bind(sql_sha384(&step.sql))
        .bind(duration_ms.map(|d| i64::try_from(d).unwrap_or(i64::MAX)))
        .bind(finished)
        .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
        .bind(outcome.as_str())
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Starts (or restarts) a backfill's record with a fresh walk from `start` to `end`.
    pub(crate) async fn start_backfill(
        &self,
        conn: &mut PgConnection,
        id: &str,
        release: u32,
        checksum: &str,
        bounds: Option<(&[String], &[String])>,
    ) -> Result<(), sqlx::Error> {
        let (start, end) = match bounds {
            Some((s, e)) => (Some(s.to_vec()), Some(e.to_vec())),
            None => (None, None),
        };
        sqlx::query(&format!(
            "INSERT INTO {b} (backfill_id, release, checksum, end_key, cursor)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (backfill_id) DO UPDATE SET checksum = EXCLUDED.checksum, end_key = EXCLUDED.end_key,
                 cursor = EXCLUDED.cursor, rows_updated = 0, keys_read = 0, batches = 0, started_at = now(),
                 updated_at = now(), finished_at = NULL, complete = false",
            b = self.backfills
        ))
        .bind(id)
        .bind(i32::try_from(release).unwrap_or(i32::MAX))
        .bind(checksum)
        .bind(end)
        .bind(start)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Moves a backfill's cursor after a batch (in the batch's transaction).
    pub(crate) async fn advance_backfill(
        &self,
        conn: &mut PgConnection,
        id: &str,
        cursor: Option<&[String]>,
        keys_read: i64,
        rows_updated: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "UPDATE {b} SET cursor = $2, keys_read = keys_read + $3, rows_updated = rows_updated + $4,
                 batches = batches + 1, updated_at = now() WHERE backfill_id = $1",
            b = self.backfills
        ))
        .bind(id)
        .bind(cursor.map(<[String]>::to_vec))
        .bind(keys_read)
        .bind(rows_updated)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Marks a backfill complete, or not (its walk ended but rows are left).
    pub(crate) async fn finish_backfill(
        &self,
        conn: &mut PgConnection,
        id: &str,
        complete: bool,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "UPDATE {b} SET complete = $2, finished_at = CASE WHEN $2 THEN now() END, updated_at = now() WHERE backfill_id = $1",
            b = self.backfills
        ))
        .bind(id)
        .bind(complete)
        .execute(conn)
        .await?;
        Ok(())
    }
}
