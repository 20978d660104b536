//! Backfill progress: an indicatif bar (rows done, rows/s, ETA) when stderr is a terminal,
//! tracing events otherwise (CI, logs).

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use migrate_contract::quote_literal;
use sqlx::PgConnection;

use super::backfill::BackfillJob;
use super::options::ProgressOutput;

/// How often a walk without a terminal logs its progress.
const EVENT_EVERY: Duration = Duration::from_secs(2);

/// The progress of one walk.
pub(crate) struct WalkProgress {
    id: String,
    bar: Option<ProgressBar>,
    started: Instant,
    last_event: Instant,
    keys: u64,
    rows: u64,
    estimate: Option<u64>,
}

impl WalkProgress {
    /// Starts showing a walk; the total is the planner statistics' estimate of the table's
    /// rows (no count is run), so the bar's length is approximate.
    pub(crate) async fn start(
        conn: &mut PgConnection,
        output: ProgressOutput,
        job: &dyn BackfillJob,
    ) -> WalkProgress {
        let estimate: Option<u64> = sqlx::query_scalar::<_, f32>(&format!(
            "SELECT reltuples FROM pg_catalog.pg_class WHERE oid = to_regclass({})",
            quote_literal(&job.table().sql())
        ))
        .fetch_optional(&mut *conn)
        .await
        .ok()
        .flatten()
        .filter(|n| *n > 0.0)
        .map(|n| n as u64);
        let bar = (output == ProgressOutput::Auto && std::io::stderr().is_terminal()).then(|| {
            let bar = estimate.map_or_else(ProgressBar::no_length, ProgressBar::new);
            let style = ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} rows  {per_sec}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(job.id().to_owned());
            bar
        });
        WalkProgress {
            id: job.id().to_owned(),
            bar,
            started: Instant::now(),
            last_event: Instant::now(),
            keys: 0,
            rows: 0,
            estimate,
        }
    }

    /// One batch done.
    pub(crate) fn advance(&mut self, keys: i64, rows: i64, size: u32, took: Duration) {
        self.keys += u64::try_from(keys).unwrap_or_default();
        self.rows += u64::try_from(rows).unwrap_or_default();
        if let Some(bar) = &self.bar {
            bar.set_position(self.keys);
            return;
        }
        if self.last_event.elapsed() >= EVENT_EVERY {
            self.last_event = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            tracing::info!(
                backfill = %self.id,
                keys_read = self.keys,
                rows_updated = self.rows,
                rows_per_sec = (self.keys as f64 / secs) as u64,
                estimated_rows = self.estimate.unwrap_or_default(),
                batch_size = size,
                batch_ms = took.as_millis() as u64,
                "backfill progress"
            );
        }
    }

    /// The walk ended (or stopped).
    pub(crate) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        tracing::info!(
            backfill = %self.id,
            keys_read = self.keys,
            rows_updated = self.rows,
            rows_per_sec = (self.keys as f64 / secs) as u64,
            "backfill walk ended"
        );
    }
}
