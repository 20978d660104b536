//! Runs one group of steps as the plan says: a shared or own transaction with its timeouts,
//! its order check, each step's pre-check, SQL, post-check and record, committed together;
//! or one step outside any transaction (a concurrent index build), recorded before and after,
//! with an invalid index from an earlier failed build dropped and built again. Lock timeouts
//! and deadlocks are retried with backoff and jitter.

use std::time::{Duration, Instant};

use migrate_contract::{Plan, Step, StepGroup, Transaction};
use sqlx::{Connection, PgConnection};
use tracing::Instrument as _;

use super::backfill::interrupt;
use super::error::RunError;
use super::lock::LockProbe;
use super::options::{Checkpoint, CheckpointAction, RunOptions, jitter};
use super::retry::{is_retryable, sqlstate};
use super::tracking::{StepOutcome, Tables};

/// Why one attempt at a group failed.
enum Failure {
    /// A lock timeout or deadlock in this step: worth another attempt.
    Retryable { step: String, source: sqlx::Error },
    /// Anything else: the run stops.
    Fatal(RunError),
}

/// Runs a group to completion (with retries), recording its steps.
pub(crate) async fn run_group(
    conn: &mut PgConnection,
    tables: &Tables,
    options: &RunOptions,
    probe: &LockProbe,
    plan: &Plan,
    group: &StepGroup,
) -> Result<Vec<String>, RunError> {
    let steps: Vec<&Step> = plan.group_steps(group).collect();
    let span = tracing::info_span!("group", file = %group.file, steps = steps.len());
    async {
        let mut attempt = 1;
        loop {
            // Every attempt, a retry included, runs only while this runner holds the lock.
            probe.check(conn).await?;
            let began = Instant::now();
            let result = if group.transaction.is_transactional() {
                transactional(conn, tables, options, probe, plan, group, &steps, attempt).await
            } else {
                alone(conn, tables, options, plan, steps[0], attempt)
                    .instrument(tracing::info_span!("step", id = %steps[0].id))
                    .await
            };
            match result {
                Ok(()) => {
                    tracing::info!(
                        duration_ms = began.elapsed().as_millis() as u64,
                        attempt,
                        "group applied"
                    );
                    if let action @ (CheckpointAction::Stop | CheckpointAction::TerminateSession) =
                        options.at(Checkpoint::GroupDone {
                            file: group.file.clone(),
                        })
                    {
                        return Err(interrupt(
                            conn,
                            action,
                            &format!("after group {}", group.file),
                        )
                        .await);
                    }
                    return Ok(steps.iter().map(|s| s.id.clone()).collect());
                }
                Err(Failure::Retryable { step, source }) => {
                    let failed = plan.step(&step).unwrap_or(steps[0]);
                    // The failed attempt is recorded outside the rolled-back transaction.
                    let _ = tables
                        .record_step(
                            conn,
                            failed,
                            plan.release.number,
                            StepOutcome::Failed,
                            attempt,
                            None,
                        )
                        .await;
                    if attempt >= options.retry.max_attempts.max(1) {
                        return Err(RunError::Step {
                            step: failed.id.clone(),
                            description: failed.description.clone(),
                            attempts: attempt,
                            hint: lock_hint(failed, group),
                            source,
                        });
                    }
                    let delay = options.retry.delay(attempt, jitter());
                    tracing::warn!(
                        step = %failed.id, attempt, max_attempts = options.retry.max_attempts,
                        delay_ms = delay.as_millis() as u64, error = %source,
                        "lock timeout (or deadlock); the group was rolled back and is retried"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(Failure::Fatal(error)) => return Err(error),
            }
        }
    }
    .instrument(span)
    .await
}

fn lock_hint(step: &Step, group: &StepGroup) -> String {
    let tables: Vec<String> = step
        .locks
        .iter()
        .map(|l| format!("{} ({})", l.table, l.mode.sql_name()))
        .collect();
    match group.lock_timeout_ms.or(step.lock_timeout_ms) {
        Some(ms) => format!(
            ". Every attempt waited longer than its lock_timeout ({ms} ms) for {}: a long transaction holds a conflicting lock (see pg_stat_activity and pg_locks); nothing of this group was applied, and running again resumes here",
            if tables.is_empty() {
                "a lock".to_owned()
            } else {
                tables.join(", ")
            }
        ),
        None => String::new(),
    }
}

/// One attempt at a transactional group: everything commits together, or nothing does.
#[allow(clippy::too_many_arguments)]
async fn transactional(
    conn: &mut PgConnection,
    tables: &Tables,
    options: &RunOptions,
    probe: &LockProbe,
    plan: &Plan,
    group: &StepGroup,
    steps: &[&Step],
    attempt: u32,
) -> Result<(), Failure> {
    let db = |doing: &'static str| {
        let doing = format!("{doing} ({})", group.file);
        move |source| Failure::Fatal(RunError::Database { doing, source })
    };
    let mut tx = conn
        .begin()
        .await
        .map_err(db("starting the group's transaction"))?;
    for set in group.timeout_statements() {
        sqlx::Executor::execute(&mut *tx, sqlx::raw_sql(&set))
            .await
            .map_err(db("setting the timeouts"))?;
    }
    if let Some(check) = &group.order_check {
        sqlx::Executor::execute(&mut *tx, sqlx::raw_sql(check))
            .await
            .map_err(|source| {
                if is_retryable(&source) {
                    step_failure(steps[0], attempt, source)
                } else {
                    Failure::Fatal(RunError::OrderCheck {
                        file: group.file.clone(),
                        source,
                    })
                }
            })?;
    }
    for step in steps {
        let span = tracing::info_span!("step", id = %step.id);
        step_in_transaction(&mut tx, tables, options, plan, step, attempt)
            .instrument(span)
            .await?;
    }
    // The lock session may have died while the group ran: then another runner may hold the
    // lock, and this work must not commit.
    let held = probe
        .held(&mut tx)
        .await
        .map_err(db("checking the runner lock"))?;
    if !held {
        return Err(Failure::Fatal(RunError::LockLost { pid: probe.pid() }));
    }
    tx.commit()
        .await
        .map_err(|source| step_failure(steps[steps.len() - 1], attempt, source))?;
    Ok(())
}

/// One step of a transactional group, inside its transaction: pre-check, SQL, post-check,
/// record, checkpoint.
async fn step_in_transaction(
    tx: &mut PgConnection,
    tables: &Tables,
    options: &RunOptions,
    plan: &Plan,
    step: &Step,
    attempt: u32,
) -> Result<(), Failure> {
    let db = |doing: &'static str| {
        let doing = format!("{doing} ({})", step.id);
        move |source| Failure::Fatal(RunError::Database { doing, source })
    };
    let began = Instant::now();
    pre_check(&mut *tx, step).await?;
    sqlx::Executor::execute(&mut *tx, sqlx::raw_sql(&step.sql))
        .await
        .map_err(|source| step_failure(step, attempt, source))?;
    post_check(&mut *tx, step).await?;
    tables
        .record_step(
            &mut *tx,
            step,
            plan.release.number,
            StepOutcome::Applied,
            attempt,
            Some(millis(began.elapsed())),
        )
        .await
        .map_err(db("recording a step"))?;
    tracing::info!(step = %step.id, description = %step.description, duration_ms = millis(began.elapsed()), "step ran");
    match options.at(Checkpoint::StepRan {
        step: step.id.clone(),
    }) {
        CheckpointAction::Continue => {}
        action => {
            return Err(Failure::Fatal(
                interrupt(&mut *tx, action, &format!("after step {}", step.id)).await,
            ));
        }
    }
    Ok(())
}

/// One attempt at a step that runs outside any transaction.
async fn alone(
    conn: &mut PgConnection,
    tables: &Tables,
    options: &RunOptions,
    plan: &Plan,
    step: &Step,
    attempt: u32,
) -> Result<(), Failure> {
    debug_assert_eq!(step.transaction, Transaction::None);
    let db = |doing: &'static str| {
        let doing = format!("{doing} ({})", step.id);
        move |source| Failure::Fatal(RunError::Database { doing, source })
    };
    pre_check(conn, step).await?;
    // The plan gives a concurrent build no timeouts: neither may cut it off, whatever the
    // server's defaults are.
    let session = format!(
        "SET lock_timeout = '{}ms'; SET statement_timeout = '{}ms'",
        step.lock_timeout_ms.unwrap_or(0),
        step.statement_timeout_ms.unwrap_or(0)
    );
    sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(&session))
        .await
        .map_err(db("setting the timeouts"))?;
    let repair = step
        .post_check
        .as_ref()
        .and_then(|c| c.invalid_index_repair());
    let mut rebuilds = 0;
    let mut tries = 0;
    loop {
        tries += 1;
        if let Some(repair) = &repair {
            let invalid: i64 = sqlx::query_scalar(&repair.invalid_sql)
                .fetch_one(&mut *conn)
                .await
                .map_err(db("checking for an invalid index"))?;
            if invalid > 0 {
                if rebuilds >= options.index_rebuilds {
                    return Err(Failure::Fatal(RunError::PostCheck {
                        step: step.id.clone(),
                        message: format!(
                            "the index is still invalid after {rebuilds} rebuild(s): the build itself fails (for a unique index, duplicate keys); fix the cause, drop the invalid index CONCURRENTLY and run again"
                        ),
                    }));
                }
                let building: Option<i32> = sqlx::query_scalar(&repair.building_sql)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db("checking for a build in progress"))?;
                if let Some(pid) = building {
                    return Err(Failure::Fatal(RunError::PostCheck {
                        step: step.id.clone(),
                        message: format!(
                            "the index is invalid because backend pid {pid} is still building it (a runner that was cut off leaves its build running); wait for it to finish, or cancel it with pg_cancel_backend({pid}), and run again"
                        ),
                    }));
                }
                rebuilds += 1;
                tracing::warn!(step = %step.id, rebuild = rebuilds, "an interrupted concurrent build left an invalid index; dropping it CONCURRENTLY to build it again");
                sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(&repair.drop_sql))
                    .await
                    .map_err(|s| step_failure(step, attempt, s))?;
            }
        }
        tables
            .record_step(
                conn,
                step,
                plan.release.number,
                StepOutcome::Running,
                attempt,
                None,
            )
            .await
            .map_err(db("recording the step's start"))?;
        let began = Instant::now();
        let ran = sqlx::Executor::execute(&mut *conn, sqlx::raw_sql(&step.sql)).await;
        if let Err(source) = ran {
            reset_session(conn).await;
            return Err(step_failure(step, attempt, source));
        }
        match options.at(Checkpoint::StepRan {
            step: step.id.clone(),
        }) {
            CheckpointAction::Continue => {}
            action => {
                return Err(Failure::Fatal(
                    interrupt(conn, action, &format!("after step {}", step.id)).await,
                ));
            }
        }
        match post_check(conn, step).await {
            Ok(()) => {
                reset_session(conn).await;
                tables
                    .record_step(
                        conn,
                        step,
                        plan.release.number,
                        StepOutcome::Applied,
                        attempt,
                        Some(millis(began.elapsed())),
                    )
                    .await
                    .map_err(db("recording the step"))?;
                tracing::info!(step = %step.id, description = %step.description, duration_ms = millis(began.elapsed()), "step ran");
                return Ok(());
            }
            // IF NOT EXISTS kept an invalid index: drop it and build again.
            Err(_) if repair.is_some() && tries <= options.index_rebuilds => continue,
            Err(failure) => {
                reset_session(conn).await;
                return Err(failure);
            }
        }
    }
}

async fn reset_session(conn: &mut PgConnection) {
    let _ = sqlx::Executor::execute(
        &mut *conn,
        // Back to the session's own lock_timeout (the server's or the role's default).
        sqlx::raw_sql("RESET lock_timeout; SET statement_timeout = 0"),
    )
    .await;
}

/// Runs a check's `SELECT count(*)`; a check passes when it counts 0.
async fn count(
    conn: &mut PgConnection,
    sql: &str,
    which: &str,
    step: &Step,
) -> Result<i64, Failure> {
    sqlx::query_scalar(sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| {
            Failure::Fatal(RunError::Database {
                doing: format!("running the {which} of {}", step.id),
                source,
            })
        })
}

async fn pre_check(conn: &mut PgConnection, step: &Step) -> Result<(), Failure> {
    let Some(check) = &step.pre_check else {
        return Ok(());
    };
    match count(conn, &check.sql, "pre-check", step).await? {
        0 => Ok(()),
        count => Err(Failure::Fatal(RunError::PreCheck {
            step: step.id.clone(),
            count,
            message: check.failure.clone(),
        })),
    }
}

async fn post_check(conn: &mut PgConnection, step: &Step) -> Result<(), Failure> {
    let Some(check) = &step.post_check else {
        return Ok(());
    };
    match count(conn, &check.sql(), "post-check", step).await? {
        0 => Ok(()),
        count => Err(Failure::Fatal(RunError::PostCheck {
            step: step.id.clone(),
            message: check.failure(count),
        })),
    }
}

fn step_failure(step: &Step, attempt: u32, source: sqlx::Error) -> Failure {
    if is_retryable(&source) {
        return Failure::Retryable {
            step: step.id.clone(),
            source,
        };
    }
    tracing::error!(step = %step.id, sqlstate = sqlstate(&source).unwrap_or_default(), error = %source, "step failed");
    Failure::Fatal(RunError::Step {
        step: step.id.clone(),
        description: step.description.clone(),
        attempts: attempt,
        hint: String::new(),
        source,
    })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
