//! How a run behaves: retries, the runner lock, backfill pacing, and the checkpoints a test
//! (or a careful operator) can stop a run at.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Retries of a step that hit its `lock_timeout` (or a deadlock): exponential backoff from
/// `base`, doubled each attempt up to `max_delay`, each delay with up to 50 % random jitter
/// so that several runners, or a runner and a retrying application, do not retry in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a step runs at most (the first try included); at least 1.
    pub max_attempts: u32,
    /// The delay before the second attempt.
    pub base: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempt + 1`, after `attempt` failed tries (from 1), with
    /// `jitter` in `0.0..1.0` scaling the random part.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doubled = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let capped = doubled.min(self.max_delay);
        // Between half the delay and the whole of it.
        capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// What a runner does when another one holds the runner lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Poll until the lock is free, for at most this long (`None`: no limit).
    Wait {
        /// The longest wait.
        timeout: Option<Duration>,
    },
    /// Stop at once with [`crate::migrator::RunError::Busy`].
    NoWait,
}

/// Pacing of backfill batches.
#[derive(Debug, Clone, PartialEq)]
pub struct Throttle {
    /// The most rows per second a walk updates, on average (`None`: as fast as the target
    /// batch duration allows).
    pub max_rows_per_sec: Option<u32>,
    /// A pause after every batch, which leaves room to the application's writers.
    pub pause: Duration,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            max_rows_per_sec: None,
            pause: Duration::ZERO,
        }
    }
}

/// A point a run passes, given to [`RunOptions::checkpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkpoint {
    /// A step's SQL ran; in a transactional group its transaction is still open.
    StepRan {
        /// The step id.
        step: String,
    },
    /// A group's work is committed (and recorded).
    GroupDone {
        /// The group's migration file.
        file: String,
    },
    /// A backfill batch is committed, with its cursor.
    BatchDone {
        /// The backfill id.
        backfill: String,
        /// The batch number in this run, from 1.
        batch: u64,
    },
}

/// What to do at a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointAction {
    /// Go on.
    Continue,
    /// Stop the run with [`crate::migrator::RunError::Interrupted`]; an open transaction is
    /// rolled back.
    Stop,
    /// Terminate the runner's own database session (`pg_terminate_backend`), as a crash of the
    /// runner's host would: what is not committed is lost, and the run fails.
    TerminateSession,
}

/// A callback at every [`Checkpoint`]: fault injection for tests of recovery, or a way to
/// stop a run at a known point.
#[derive(Clone)]
pub struct CheckpointHook(pub Arc<dyn Fn(&Checkpoint) -> CheckpointAction + Send + Sync>);

impl fmt::Debug for CheckpointHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CheckpointHook(..)")
    }
}

/// Progress output of backfills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressOutput {
    /// A progress bar on a terminal (stderr), tracing events otherwise.
    Auto,
    /// Tracing events only.
    Events,
}

/// Everything a run can be told.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The schema of the runner's own tables (default `migrate`).
    pub tracking_schema: String,
    /// Lock-timeout retries.
    pub retry: RetryPolicy,
    /// Waiting for another runner.
    pub lock_wait: LockWait,
    /// How often a waiting runner tries the lock again.
    pub lock_poll: Duration,
    /// How many times an invalid index left by a failed concurrent build is dropped and built
    /// again within one run.
    pub index_rebuilds: u32,
    /// Backfill pacing.
    pub throttle: Throttle,
    /// `lock_timeout` of one backfill batch: how long it waits for a row a writer holds, while
    /// writers wait for the rows it has already updated. A batch that times out is rolled
    /// back and retried at half the size.
    pub batch_lock_timeout: Duration,
    /// Backfill progress output.
    pub progress: ProgressOutput,
    /// Called at every checkpoint.
    pub checkpoint: Option<CheckpointHook>,
    /// Contract even while connections tagged with an older release (`application_name`, see
    /// [`crate::access::Binding`]) are open. Off by default: contract then refuses, naming
    /// them, because it drops what those binaries read and write.
    pub allow_old_connections: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            tracking_schema: "migrate".to_owned(),
            retry: RetryPolicy::default(),
            lock_wait: LockWait::Wait { timeout: None },
            lock_poll: Duration::from_millis(250),
            index_rebuilds: 2,
            throttle: Throttle::default(),
            batch_lock_timeout: Duration::from_millis(100),
            progress: ProgressOutput::Auto,
            checkpoint: None,
            allow_old_connections: false,
        }
    }
}

impl RunOptions {
    /// What the hook says at this checkpoint ([`CheckpointAction::Continue`] without one).
    pub(crate) fn at(&self, checkpoint: Checkpoint) -> CheckpointAction {
        match &self.checkpoint {
            Some(hook) => (hook.0)(&checkpoint),
            None => CheckpointAction::Continue,
        }
    }
}

/// A number in `0.0..1.0` that differs between calls and between processes, for jitter. Not
/// for anything but spreading retries.
pub(crate) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::{RetryPolicy, jitter};
    use std::time::Duration;

    #[test]
    fn delays_double_from_the_base_up_to_the_cap_with_jitter_within_half() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        let whole = |attempt| policy.delay(attempt, 1.0);
        assert_eq!(whole(1), Duration::from_millis(100));
        assert_eq!(whole(2), Duration::from_millis(200));
        assert_eq!(whole(4), Duration::from_millis(800));
        assert_eq!(whole(5), Duration::from_millis(1000));
        assert_eq!(whole(64), Duration::from_millis(1000));
        assert_eq!(policy.delay(2, 0.0), Duration::from_millis(100));
        assert_eq!(policy.delay(2, 7.0), Duration::from_millis(200));
    }

    #[test]
    fn jitter_is_in_the_unit_interval_and_varies() {
        let values: Vec<f64> = (0..64).map(|_| jitter()).collect();
        assert!(values.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(values.windows(2).any(|w| w[0] != w[1]));
    }
}
