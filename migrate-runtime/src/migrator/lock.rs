//! One runner at a time (R6): a session advisory lock, taken by polling
//! `pg_try_advisory_lock` on a connection of its own, which is closed to release it.
//!
//! A blocking `pg_advisory_lock` is not used: the waiting session sits in a statement, and
//! the holder's `CREATE INDEX CONCURRENTLY` waits for every such session to finish, while
//! the waiter waits for the holder; neither would ever go on.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres};

use super::error::RunError;
use super::options::{LockWait, RunOptions};

/// Settings for the runner's own sessions: no server default may end them while they wait or
/// sit idle (the lock session idles for the whole run; losing it would free the lock), and
/// its own statements (counts, catalog reads) have no time limit. The `lock_timeout` a DBA set
/// is kept: groups set their own, and concurrent builds set none.
pub(crate) const SESSION_SETUP: &str = "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; \
SELECT set_config('idle_session_timeout', '0', false) WHERE current_setting('server_version_num')::int >= 140000";

/// The held runner lock. Dropping it closes its connection, which releases the lock;
/// [`RunnerLock::release`] does so and waits for the close.
pub(crate) struct RunnerLock {
    conn: Option<PgConnection>,
    /// What the work session checks, before each group and batch, to know it still holds it.
    pub(crate) probe: LockProbe,
}

/// Whether the lock session still holds the runner lock, asked from another session.
#[derive(Debug, Clone)]
pub(crate) struct LockProbe {
    pid: i32,
    key: i64,
}

impl LockProbe {
    /// Fails with [`RunError::LockLost`] when the lock session is gone (terminated, timed out,
    /// its connection dropped): another runner may have the lock by now.
    pub(crate) async fn check(&self, conn: &mut PgConnection) -> Result<(), RunError> {
        match self.held(conn).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(RunError::LockLost { pid: self.pid }),
            Err(source) => Err(RunError::Database {
                doing: "checking the runner lock".into(),
                source,
            }),
        }
    }

    /// Whether the lock session still holds the lock. Asked inside a group's or a batch's
    /// transaction just before it commits, so work done while the lock was lost rolls back.
    pub(crate) async fn held(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1 \
             AND classid = (($2::bigint >> 32) & 4294967295)::oid AND objid = ($2::bigint & 4294967295)::oid AND objsubid = 1)",
        )
        .bind(self.pid)
        .bind(self.key)
        .fetch_one(conn)
        .await
    }

    /// The lock session's backend pid.
    pub(crate) fn pid(&self) -> i32 {
        self.pid
    }
}

impl RunnerLock {
    /// Releases the lock by closing its session.
    pub(crate) async fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            // Closing fails only when the session is already gone, which releases it too.
            let _ = conn.close().await;
        }
    }
}

/// The lock key: the first 8 bytes of sha256 of a fixed name. One key per database, whatever
/// the tracking schema: runners with different tracking schemas still migrate the same tables.
pub(crate) fn lock_key() -> i64 {
    let digest = Sha256::digest(b"migrate-runtime: the runner lock");
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Takes the runner lock, waiting as `options.lock_wait` says.
pub(crate) async fn acquire(pool: &PgPool, options: &RunOptions) -> Result<RunnerLock, RunError> {
    let pooled: PoolConnection<Postgres> = pool
        .acquire()
        .await
        .map_err(RunError::db("opening the runner-lock connection"))?;
    // Its own session, never returned to the pool: closing it releases the lock.
    let mut conn = pooled.detach();
    sqlx::Executor::execute(&mut conn, sqlx::raw_sql(SESSION_SETUP))
        .await
        .map_err(RunError::db("setting up the runner-lock session"))?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .map_err(RunError::db("reading the runner-lock session's pid"))?;
    let key = lock_key();
    let started = Instant::now();
    let mut last_message: Option<Instant> = None;
    loop {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await
            .map_err(RunError::db("trying the runner lock"))?;
        if got {
            if last_message.is_some() {
                tracing::info!(
                    waited_ms = started.elapsed().as_millis() as u64,
                    "took the runner lock"
                );
            }
            return Ok(RunnerLock {
                conn: Some(conn),
                probe: LockProbe { pid, key },
            });
        }
        let holder = holder_pid(&mut conn, key).await;
        let holder_text = holder
            .map(|p| format!(": backend pid {p}"))
            .unwrap_or_default();
        let timeout = match options.lock_wait {
            LockWait::NoWait => {
                let _ = conn.close().await;
                return Err(RunError::Busy {
                    holder: holder_text,
                    advice:
                        "this run did not wait (no-wait); run it again once the other one is done"
                            .into(),
                });
            }
            LockWait::Wait { timeout } => timeout,
        };
        if timeout.is_some_and(|t| started.elapsed() >= t) {
            let _ = conn.close().await;
            return Err(RunError::Busy {
                holder: holder_text,
                advice: format!(
                    "waited {} ms for it; run again once the other run is done",
                    started.elapsed().as_millis()
                ),
            });
        }
        if last_message.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            tracing::warn!(
                holder = holder.unwrap_or_default(),
                "another runner is applying migrations; waiting for it to finish"
            );
            last_message = Some(Instant::now());
        }
        tokio::time::sleep(options.lock_poll).await;
    }
}

/// The backend holding the advisory lock `key`, if it can be seen.
async fn holder_pid(conn: &mut PgConnection, key: i64) -> Option<i32> {
    // An advisory lock on a bigint key is stored as two 32-bit halves.
    sqlx::query_scalar(
        "SELECT pid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted \
         AND classid = (($1::bigint >> 32) & 4294967295)::oid AND objid = ($1::bigint & 4294967295)::oid AND objsubid = 1 \
         AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) LIMIT 1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::lock_key;

    #[test]
    fn the_lock_key_is_stable() {
        // Runners of every version and tracking schema must agree on it.
        assert_eq!(lock_key(), lock_key());
        assert_eq!(lock_key(), 101_366_359_813_535_687);
    }
}
