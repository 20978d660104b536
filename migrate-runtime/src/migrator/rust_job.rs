//! A backfill whose values the application computes ([`Backfill::compute`]): the plan's batch
//! query reads the rows, the registered [`ComputeJob`] computes the pending ones, and the
//! plan's write stores them where the row is unchanged since it was read. It walks through
//! the same executor as the SQL jobs: cursor, retries, pacing and progress.

use std::time::Duration;

use migrate_contract::{Backfill, QualifiedName, RustCompute};
use sqlx::{PgConnection, Row};

use super::backfill::{BackfillJob, BatchOutcome, BoxFuture, Key, SqlJob};
use crate::access::ComputeJob;

/// A plan's Rust-computed backfill with the application's job for it.
#[derive(Debug, Clone, Copy)]
pub struct RustJob<'p> {
    /// The plan's job.
    pub backfill: &'p Backfill,
    /// Its Rust half, from the plan.
    pub compute: &'p RustCompute,
    /// The application's function.
    pub job: &'p dyn ComputeJob,
}

impl BackfillJob for RustJob<'_> {
    fn id(&self) -> &str {
        &self.backfill.id
    }
    fn description(&self) -> &str {
        &self.backfill.description
    }
    fn table(&self) -> &QualifiedName {
        &self.backfill.table
    }
    fn checksum(&self) -> &str {
        &self.backfill.checksum
    }
    fn initial_batch_size(&self) -> u32 {
        self.backfill.initial_batch_size
    }
    fn target_batch(&self) -> Duration {
        Duration::from_millis(u64::from(self.backfill.target_batch_ms.max(1)))
    }
    fn settles_in_contract(&self) -> bool {
        true
    }

    fn bounds<'a>(
        &'a self,
        conn: &'a mut PgConnection,
    ) -> BoxFuture<'a, Result<Option<(Key, Key)>, sqlx::Error>> {
        let sql = SqlJob(self.backfill);
        Box::pin(async move { sql.bounds(conn).await })
    }

    fn run_batch<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        from: &'a [String],
        end: &'a [String],
        size: u32,
    ) -> BoxFuture<'a, Result<BatchOutcome, sqlx::Error>> {
        Box::pin(async move {
            let k = self.backfill.key.len();
            let mut read = sqlx::query(&self.backfill.batch_sql);
            for part in from.iter().chain(end) {
                read = read.bind(part.as_str());
            }
            let mut rows = read.bind(i64::from(size)).fetch_all(&mut *conn).await?;
            // The row past the batch, if any, is where the next one starts.
            let next = if rows.len() > size as usize {
                let past = rows.split_off(size as usize);
                Some(
                    (0..k)
                        .map(|i| past[0].try_get::<String, _>(i))
                        .collect::<Result<Key, _>>()?,
                )
            } else {
                None
            };
            let keys_read = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            let mut pending = Vec::with_capacity(rows.len());
            for row in rows {
                if row.try_get::<bool, _>(k + 1)? {
                    pending.push(row);
                }
            }
            if pending.is_empty() {
                return Ok(BatchOutcome {
                    next,
                    keys_read,
                    rows_updated: 0,
                });
            }
            let mut write = sqlx::query(&self.compute.write_sql);
            for i in 0..=k {
                let column = pending
                    .iter()
                    .map(|row| row.try_get::<String, _>(i))
                    .collect::<Result<Vec<String>, _>>()?;
                write = write.bind(column);
            }
            let write = self.job.bind_values(write, &pending)?;
            let done = write.execute(&mut *conn).await?;
            Ok(BatchOutcome {
                next,
                keys_read,
                rows_updated: i64::try_from(done.rows_affected()).unwrap_or(i64::MAX),
            })
        })
    }

    fn rows_left<'a>(
        &'a self,
        conn: &'a mut PgConnection,
    ) -> BoxFuture<'a, Result<u64, sqlx::Error>> {
        let sql = SqlJob(self.backfill);
        Box::pin(async move { sql.rows_left(conn).await })
    }
}
