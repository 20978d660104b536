//! The runner: applies the embedded plans to a live database, phase by phase, under traffic.
//!
//! A [`Migrator`] holds every accepted release's plan, embedded in the binary by the build
//! helper (`PLANS` in the generated module). Each operation takes the runner lock (one runner
//! at a time, R6), creates its tracking tables if needed, takes over a database that
//! `sqlx migrate run` brought forward, refuses any applied step whose SQL has changed, and
//! then runs what the plans say, in the release model's order:
//!
//! - [`Migrator::expand`]: the next release's expand phase, before its binary deploys (with
//!   the backfills its new views wait for);
//! - [`Migrator::backfill`]: its backfill jobs, in batches, resumable;
//! - [`Migrator::contract`]: its contract phase, once no older binary runs; refused while a
//!   backfill has rows left;
//! - [`Migrator::apply_due`]: expand and backfill whatever is due, and stop before a
//!   contract (only the operator knows the old binaries are gone);
//! - [`Migrator::up`]: everything, contracts included, for a database no old binary uses
//!   (a new environment, a test database);
//! - [`Migrator::status`]: where each release stands.
//!
//! It runs only plan data: it never reads the SQL files and decides nothing the planner did
//! not. Interrupted anywhere, it is run again: committed work is recorded in the same
//! transaction that did it, steps outside transactions are safe to repeat, and backfills
//! resume at their recorded cursor.
//!
//! Setting it up needs no database:
//!
//! ```
//! use std::time::Duration;
//! use migrate_runtime::migrator::{LockWait, Migrator, RetryPolicy, RunOptions};
//!
//! let options = RunOptions {
//!     lock_wait: LockWait::NoWait, // a second deploy job stops at once
//!     retry: RetryPolicy { max_attempts: 5, ..RetryPolicy::default() },
//!     ..RunOptions::default()
//! };
//! let migrator = Migrator::embedded(&[])?.with_options(options)?;
//! assert!(migrator.plans().is_empty());
//! // The third retry waits between 400 and 800 ms (jitter).
//! assert_eq!(RetryPolicy::default().delay(3, 0.0), Duration::from_millis(400));
//! // A tracking schema that is not a plain identifier is refused.
//! assert!(Migrator::embedded(&[])?.with_options(RunOptions {
//!     tracking_schema: "migrate; drop".into(),
//!     ..RunOptions::default()
//! }).is_err());
//! # Ok::<(), migrate_runtime::migrator::LoadError>(())
//! ```
//!
//! Applying it, on a pool:
//!
//! ```no_run
//! # async fn deploy(pool: sqlx::PgPool, plans: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
//! use migrate_runtime::migrator::Migrator;
//!
//! // `plans` is `PLANS` from `migrate_runtime::include_schema!()`.
//! let migrator = Migrator::embedded(plans)?;
//! migrator.expand(&pool).await?;   // before the new binary deploys
//! migrator.backfill(&pool).await?; // once it runs
//! migrator.contract(&pool).await?; // once the old binary is gone
//! println!("{}", migrator.status(&pool).await?);
//! # Ok(()) }
//! ```

mod apply;
pub mod backfill;
mod connections;
mod error;
mod lock;
mod options;
mod progress;
mod retry;
mod rust_job;
mod state;
mod takeover;
mod tracking;

use std::time::{Duration, Instant};

use migrate_contract::{Backfill, Phase, Plan};

use crate::access::ComputeJob;
use sqlx::{Connection as _, PgConnection, PgPool};
use tracing::Instrument as _;

pub use backfill::{BackfillJob, BackfillSummary, SqlJob};
pub use connections::OldConnections;
pub use error::{LoadError, RowsLeft, RunError};
pub use options::{
    Checkpoint, CheckpointAction, CheckpointHook, LockWait, ProgressOutput, RetryPolicy,
    RunOptions, Throttle,
};
pub use rust_job::RustJob;
pub use state::{BackfillProgress, Due, PhaseProgress, ReleaseStatus, Status};
pub use tracking::{StepOutcome, sql_sha384};

use lock::{LockProbe, RunnerLock};
use tracking::{Tables, Tracked};

/// What one operation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Steps applied by this run, in order.
    pub steps_applied: Vec<String>,
    /// Backfill walks this run made.
    pub backfills: Vec<BackfillSummary>,
    /// Steps recorded as applied by `sqlx migrate run` (taken over).
    pub adopted: Vec<String>,
    /// How long this run waited for another runner's lock.
    pub lock_waited: Duration,
    /// A contract that is due and was not run ([`Migrator::apply_due`] stops before them).
    pub contract_due: Option<u32>,
}

impl Report {
    /// Whether it applied nothing.
    pub fn is_empty(&self) -> bool {
        self.steps_applied.is_empty() && self.backfills.iter().all(|b| b.batches == 0)
    }
}

/// The embedded plans and how to run them.
#[derive(Debug, Clone)]
pub struct Migrator {
    plans: Vec<Plan>,
    options: RunOptions,
    computed: Vec<&'static dyn ComputeJob>,
}

impl Migrator {
    /// Reads embedded plan data (`PLANS` of the generated module): every accepted release,
    /// in order. Each plan is checked as [`Plan::from_json`] checks it.
    pub fn embedded(plans: &[&str]) -> Result<Migrator, LoadError> {
        let plans = plans
            .iter()
            .enumerate()
            .map(|(index, text)| {
                Plan::from_json(text).map_err(|source| LoadError::Plan { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Migrator::from_plans(plans)
    }

    /// Runs these plans, which must be releases 1, 2, … in order.
    pub fn from_plans(plans: Vec<Plan>) -> Result<Migrator, LoadError> {
        for (index, plan) in plans.iter().enumerate() {
            let expected = u32::try_from(index + 1).unwrap_or(u32::MAX);
            if plan.release.number != expected {
                return Err(LoadError::OutOfOrder {
                    index,
                    found: plan.release.number,
                    expected,
                });
            }
        }
        Ok(Migrator {
            plans,
            options: RunOptions::default(),
            computed: Vec::new(),
        })
    }

    /// The same plans, with the application's jobs for the columns it computes in Rust
    /// (`<Article as Table>::COMPUTED`, one call per struct): backfills and contracts whose
    /// values come from these functions run them. A backfill whose job is missing is refused
    /// with [`RunError::ComputeNotRegistered`]. A job given twice is kept once.
    pub fn computing(mut self, jobs: &[&'static dyn ComputeJob]) -> Migrator {
        for job in jobs {
            if !self.computed.iter().any(|j| j.job() == job.job()) {
                self.computed.push(*job);
            }
        }
        self
    }

    /// The Rust jobs the plans need and this migrator was not given (`schema.table.column`).
    pub fn missing_jobs(&self) -> Vec<&str> {
        self.plans
            .iter()
            .flat_map(|p| &p.backfills)
            .filter_map(|b| b.compute.as_ref())
            .filter(|c| !self.computed.iter().any(|j| j.job() == c.job))
            .map(|c| c.job.as_str())
            .collect()
    }

    /// The same plans with these options. Refuses a tracking schema that is not a plain
    /// lowercase identifier.
    pub fn with_options(mut self, options: RunOptions) -> Result<Migrator, LoadError> {
        let name = &options.tracking_schema;
        let plain = !name.is_empty()
            && name.len() <= 63
            && !name.starts_with("pg_")
            && name != "public"
            && name != "information_schema"
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !plain {
            return Err(LoadError::TrackingSchema(name.clone()));
        }
        self.options = options;
        Ok(self)
    }

    /// The same migrator, with only the releases up to `release`: a deploy pipeline that
    /// promotes one release at a time, or a database brought to an older release.
    pub fn through(mut self, release: u32) -> Migrator {
        self.plans.truncate(release as usize);
        self
    }

    /// The plans, release 1 first.
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// The options.
    pub fn options(&self) -> &RunOptions {
        &self.options
    }

    /// Where each release stands, counting what `sqlx migrate run` applied as the next
    /// operation will take it over. Writes nothing; takes no lock.
    pub async fn status(&self, pool: &PgPool) -> Result<Status, RunError> {
        let mut conn = pool.acquire().await.map_err(RunError::db("connecting"))?;
        let tables = Tables::new(&self.options.tracking_schema);
        // What the next operation would see: its records, with what sqlx applied taken over,
        // worked out in a transaction that is rolled back, so status writes nothing.
        let mut tx = conn
            .begin()
            .await
            .map_err(RunError::db("reading the status"))?;
        tables.ensure(&mut tx).await?;
        let recorded = tables.load(&mut tx).await?;
        let adopted = takeover::take_over(&mut tx, &tables, &self.plans, &recorded).await?;
        let tracked = if adopted.is_empty() {
            recorded
        } else {
            tables.load(&mut tx).await?
        };
        tx.rollback()
            .await
            .map_err(RunError::db("reading the status"))?;
        Ok(Status::of(&self.plans, &tracked))
    }

    /// Expands the next release whose expand has not run (and runs the backfills its views
    /// wait for). Refused while the release before it is not contracted.
    pub async fn expand(&self, pool: &PgPool) -> Result<Report, RunError> {
        let mut run = self.begin(pool).await?;
        let result = run.expand_next().await;
        run.end(result).await
    }

    /// Runs the backfill jobs of the release whose expand ran last.
    pub async fn backfill(&self, pool: &PgPool) -> Result<Report, RunError> {
        let mut run = self.begin(pool).await?;
        let result = run.backfill_next().await;
        run.end(result).await
    }

    /// Contracts the next release whose contract has not run. Refused until its expand ran
    /// and its backfills have no rows left (the error counts them per job).
    pub async fn contract(&self, pool: &PgPool) -> Result<Report, RunError> {
        let mut run = self.begin(pool).await?;
        let result = run.contract_next().await;
        run.end(result).await
    }

    /// Expands and backfills whatever is due, release after release, and stops before the
    /// first contract ([`Report::contract_due`]).
    pub async fn apply_due(&self, pool: &PgPool) -> Result<Report, RunError> {
        let mut run = self.begin(pool).await?;
        let result = run.apply(false).await;
        run.end(result).await
    }

    /// Applies every phase of every release, contracts included. Only for a database no
    /// binary older than the newest release uses.
    pub async fn up(&self, pool: &PgPool) -> Result<Report, RunError> {
        let mut run = self.begin(pool).await?;
        let result = run.apply(true).await;
        run.end(result).await
    }

    /// Takes the lock, opens the work session and brings the records up to date.
    async fn begin(&self, pool: &PgPool) -> Result<Run<'_>, RunError> {
        let waiting = Instant::now();
        let lock = lock::acquire(pool, &self.options).await?;
        let lock_waited = waiting.elapsed();
        let pooled = pool
            .acquire()
            .await
            .map_err(RunError::db("opening the work session"))?;
        // Its own session: the timeouts it sets never reach the application's pool.
        let mut conn = pooled.detach();
        sqlx::Executor::execute(&mut conn, sqlx::raw_sql(lock::SESSION_SETUP))
            .await
            .map_err(RunError::db("setting up the work session"))?;
        let tables = Tables::new(&self.options.tracking_schema);
        let mut run = Run {
            plans: &self.plans,
            options: &self.options,
            computed: &self.computed,
            probe: lock.probe.clone(),
            lock: Some(lock),
            conn,
            tables,
            tracked: Tracked::default(),
            report: Report {
                lock_waited,
                ..Report::default()
            },
        };
        let prepared = run.prepare().await;
        match prepared {
            Ok(()) => Ok(run),
            Err(e) => {
                run.close().await;
                Err(e)
            }
        }
    }
}

/// One operation in progress: the lock, the work session and the records.
struct Run<'m> {
    plans: &'m [Plan],
    options: &'m RunOptions,
    computed: &'m [&'static dyn ComputeJob],
    probe: LockProbe,
    lock: Option<RunnerLock>,
    conn: PgConnection,
    tables: Tables,
    tracked: Tracked,
    report: Report,
}

impl<'m> Run<'m> {
    async fn prepare(&mut self) -> Result<(), RunError> {
        self.tables.ensure(&mut self.conn).await?;
        self.reload().await?;
        self.report.adopted =
            takeover::take_over(&mut self.conn, &self.tables, self.plans, &self.tracked).await?;
        if !self.report.adopted.is_empty() {
            self.reload().await?;
        }
        let newest = self.plans.len();
        let ahead = self
            .tracked
            .steps
            .iter()
            .filter(|(_, r)| r.outcome.is_applied())
            .filter_map(|(id, _)| id.split('.').next()?.parse::<usize>().ok())
            .max()
            .filter(|r| *r > newest);
        if let Some(release) = ahead {
            return Err(RunError::Takeover(format!(
                "the runner has applied steps of release {release}, and this binary knows releases up to {newest}: the database is ahead of this binary; run the newer binary's migrator"
            )));
        }
        for plan in self.plans {
            for step in &plan.steps {
                let Some(record) = self.tracked.steps.get(&step.id) else {
                    continue;
                };
                let planned = sql_sha384(&step.sql);
                if record.outcome.is_applied() && record.sql_sha384 != planned {
                    return Err(RunError::ChangedSinceApplied {
                        step: step.id.clone(),
                        applied: record.sql_sha384.clone(),
                        planned,
                    });
                }
            }
        }
        Ok(())
    }

    async fn reload(&mut self) -> Result<(), RunError> {
        self.tracked = self.tables.load(&mut self.conn).await?;
        Ok(())
    }

    fn status(&self) -> Status {
        Status::of(self.plans, &self.tracked)
    }

    async fn end(mut self, result: Result<(), RunError>) -> Result<Report, RunError> {
        self.close().await;
        result.map(|()| self.report)
    }

    async fn close(&mut self) {
        if let Some(lock) = self.lock.take() {
            lock.release().await;
        }
    }

    /// A release's plan: borrowed from the migrator, not from the run, so it can be held
    /// while the run changes.
    fn plan(&self, release: u32) -> &'m Plan {
        &self.plans[release as usize - 1]
    }

    async fn apply(&mut self, contracts: bool) -> Result<(), RunError> {
        loop {
            match self.status().due {
                Due::Expand(_) => self.expand_next().await?,
                Due::Backfill(_) => self.backfill_next().await?,
                Due::Contract(r) if contracts => {
                    let _ = r;
                    self.contract_next().await?
                }
                Due::Contract(r) => {
                    self.report.contract_due = Some(r);
                    return Ok(());
                }
                Due::Nothing => return Ok(()),
            }
        }
    }

    async fn expand_next(&mut self) -> Result<(), RunError> {
        let status = self.status();
        let Some(next) = status.releases.iter().find(|r| !r.expand.is_done()) else {
            return Ok(());
        };
        let release = next.release;
        if let Some(previous) = status
            .release(release.saturating_sub(1))
            .filter(|p| !p.is_done())
        {
            return Err(RunError::not_yet(
                release,
                Phase::Expand,
                format!(
                    "the contract of release {} has not run; run `contract` once no binary older than release {} runs",
                    previous.release, previous.release
                ),
            ));
        }
        let plan = self.plan(release);
        let span = tracing::info_span!("expand", release);
        self.run_phase(plan, Phase::Expand).instrument(span).await
    }

    async fn backfill_next(&mut self) -> Result<(), RunError> {
        let status = self.status();
        let Some(next) = status.releases.iter().find(|r| !r.is_done()) else {
            return Ok(());
        };
        if !next.expand.is_done() {
            return Err(RunError::not_yet(
                next.release,
                Phase::Backfill,
                "its expand has not run; run `expand` first",
            ));
        }
        let plan = self.plan(next.release);
        let span = tracing::info_span!("backfill", release = next.release);
        async {
            for job in &plan.backfills {
                let complete = next.backfills.iter().any(|b| b.id == job.id && b.complete);
                if !complete {
                    self.run_backfill(plan, &job.id).await?;
                }
            }
            Ok(())
        }
        .instrument(span)
        .await
    }

    async fn contract_next(&mut self) -> Result<(), RunError> {
        let status = self.status();
        let Some(next) = status.releases.iter().find(|r| !r.contract.is_done()) else {
            return Ok(());
        };
        let release = next.release;
        if !next.expand.is_done() {
            return Err(RunError::not_yet(
                release,
                Phase::Contract,
                "its expand has not run; run `expand` first",
            ));
        }
        let plan = self.plan(release);
        // Once a contract step ran, the backfills were complete (checked before it), and the
        // columns their counts read may be gone.
        let started = next.contract.applied > 0;
        // Contract drops what the older binaries read. Once it has begun, their views are gone
        // already, and refusing would only hold back the rest.
        if !started {
            let old = connections::older_than(&mut self.conn, release)
                .await
                .map_err(RunError::db("reading pg_stat_activity"))?;
            if !old.is_empty() {
                if !self.options.allow_old_connections {
                    return Err(RunError::OldBinaryConnected { release, old });
                }
                tracing::warn!(
                    release,
                    connections = %old.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                    "contracting while connections of older releases are open, as allowed"
                );
            }
        }
        // The final pass: the rows the older binary wrote after the backfill have no value yet,
        // and only the application's function can give them one. A contract resumed after
        // some of its steps ran walks again only while rows are left (written by an older
        // binary it was allowed to run beside), so the NOT NULL it failed on can succeed.
        for job in plan.backfills.iter().filter(|b| b.compute.is_some()) {
            let due = !started
                || match SqlJob(job).rows_left(&mut self.conn).await {
                    Ok(left) => left > 0,
                    // The contract renamed the table already: past the point where the pass
                    // could help, and its NOT NULL steps report any NULL left.
                    Err(error) => {
                        tracing::warn!(backfill = %job.id, %error, "cannot count the rows left by the final pass's walk; skipping it");
                        false
                    }
                };
            if due {
                self.walk_backfill(plan, job, true).await?;
            }
        }
        let mut left = Vec::new();
        for job in plan.backfills.iter().filter(|_| !started) {
            let rows = SqlJob(job)
                .rows_left(&mut self.conn)
                .await
                .map_err(RunError::db(format!(
                    "counting the rows backfill {} left",
                    job.id
                )))?;
            let recorded = self
                .tracked
                .backfills
                .get(&job.id)
                .is_some_and(|b| b.complete && b.checksum == job.checksum);
            if rows > 0 {
                left.push(RowsLeft {
                    backfill: job.id.clone(),
                    description: job.description.clone(),
                    rows,
                });
            } else if !recorded {
                // Filled, though not by a recorded walk (taken over, or filled by hand): the
                // data is what counts.
                self.tables
                    .start_backfill(&mut self.conn, &job.id, release, &job.checksum, None)
                    .await
                    .map_err(RunError::db("recording a backfill"))?;
                self.tables
                    .finish_backfill(&mut self.conn, &job.id, true)
                    .await
                    .map_err(RunError::db("recording a backfill"))?;
            }
        }
        if !left.is_empty() {
            return Err(RunError::BackfillIncomplete { release, left });
        }
        let span = tracing::info_span!("contract", release);
        self.run_phase(plan, Phase::Contract).instrument(span).await
    }

    /// Runs a phase's groups that are not applied, each after the backfills it waits for.
    async fn run_phase(&mut self, plan: &Plan, phase: Phase) -> Result<(), RunError> {
        let groups: Vec<_> = plan.groups_of(phase).collect();
        for group in groups {
            let applied = group.steps.iter().all(|id| {
                self.tracked
                    .steps
                    .get(id)
                    .is_some_and(|r| r.outcome.is_applied())
            });
            if applied {
                continue;
            }
            let gates: Vec<String> = plan
                .group_steps(group)
                .filter_map(|s| s.gate.as_ref())
                .flat_map(|g| g.backfills.iter().cloned())
                .collect();
            for id in gates {
                let complete = self.tracked.backfills.get(&id).is_some_and(|r| {
                    r.complete && plan.backfill(&id).is_some_and(|b| b.checksum == r.checksum)
                });
                if !complete {
                    self.run_backfill(plan, &id).await?;
                }
            }
            let applied = apply::run_group(
                &mut self.conn,
                &self.tables,
                self.options,
                &self.probe,
                plan,
                group,
            )
            .await;
            match applied {
                Ok(steps) => self.report.steps_applied.extend(steps),
                Err(e) => {
                    let _ = self.reload().await;
                    return Err(e);
                }
            }
            self.reload().await?;
        }
        Ok(())
    }

    async fn run_backfill(&mut self, plan: &Plan, id: &str) -> Result<(), RunError> {
        let Some(job) = plan.backfill(id) else {
            return Ok(());
        };
        self.walk_backfill(plan, job, false).await
    }

    /// Walks one job: resuming its recorded walk, or, for contract's final pass over a Rust
    /// job (`fresh`), from fresh bounds.
    async fn walk_backfill(
        &mut self,
        plan: &Plan,
        job: &Backfill,
        fresh: bool,
    ) -> Result<(), RunError> {
        if !job.has_bounds() {
            return Err(RunError::OldBackfillFormat {
                backfill: job.id.clone(),
            });
        }
        let rust;
        let sql = SqlJob(job);
        let executable: &dyn BackfillJob = match &job.compute {
            None => &sql,
            Some(compute) => {
                let Some(registered) = self.computed.iter().find(|j| j.job() == compute.job) else {
                    return Err(RunError::ComputeNotRegistered {
                        backfill: job.id.clone(),
                        job: compute.job.clone(),
                        function: compute.function.clone(),
                        declared_by: compute.declared_by.clone(),
                        release: plan.release.number,
                    });
                };
                rust = RustJob {
                    backfill: job,
                    compute,
                    job: *registered,
                };
                &rust
            }
        };
        let record = if fresh {
            None
        } else {
            self.tracked.backfills.get(&job.id).cloned()
        };
        let span = tracing::info_span!("backfill_job", backfill = %job.id, final_pass = fresh);
        let summary = backfill::walk(
            &mut self.conn,
            &self.tables,
            self.options,
            &self.probe,
            plan.release.number,
            executable,
            record.as_ref(),
        )
        .instrument(span)
        .await?;
        self.reload().await?;
        let left = summary.rows_left;
        self.report.backfills.push(summary);
        if left > 0 && !executable.settles_in_contract() {
            return Err(RunError::BackfillLeftRows {
                backfill: job.id.clone(),
                rows: left,
            });
        }
        Ok(())
    }
}

/// The operations' futures are `Send`, so they run on a multi-threaded runtime or in
/// `tokio::spawn`.
#[allow(dead_code)]
fn operations_are_send(migrator: &Migrator, pool: &PgPool) {
    fn is_send<T: Send>(_: T) {}
    is_send(migrator.up(pool));
    is_send(migrator.status(pool));
}
