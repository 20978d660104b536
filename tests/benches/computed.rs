//! The Rust-function backfill against a SQL backfill: `cargo bench -p migrate-tests --bench
//! computed`.
//!
//! Release 2 of the mixed-version fixture has two backfills walked by the same executor:
//! `posts.slug`, computed by `mixed_v2::slug_of` in this process (each batch read, computed,
//! and written back with `unnest`), and `tickets.public_ref`, a volatile default
//! (`gen_random_uuid()`) that one `UPDATE` per batch fills. Each is timed on its own database
//! of `MIGRATE_BENCH_ROWS` rows (default 200,000), release 1 applied and release 2 expanded,
//! twice, interleaved. The ratio is rows/s of the Rust walk over rows/s of the SQL walk.
//!
//! The machine is shared and noisy: read the ratios, which come from the same run.

use std::time::{Duration, Instant};

use migrate_runtime::migrator::{Migrator, ProgressOutput, RunOptions};
use migrate_runtime::prelude::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection};

const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| LOCAL_URL.to_owned())
}

fn rows() -> u64 {
    std::env::var("MIGRATE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

fn quiet() -> RunOptions {
    RunOptions {
        progress: ProgressOutput::Events,
        ..RunOptions::default()
    }
}

async fn fresh_database(name: &str) -> PgConnectOptions {
    let admin: PgConnectOptions = server_url().parse().expect("DATABASE_URL");
    let mut conn = PgConnection::connect_with(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {}: {e}; start it (see the README's Tests section) or set DATABASE_URL", server_url()));
    for sql in [
        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        format!("CREATE DATABASE \"{name}\""),
    ] {
        sqlx::Executor::execute(&mut conn, sqlx::raw_sql(&sql))
            .await
            .expect("create the bench database");
    }
    admin.database(name)
}

async fn drop_database(name: &str) {
    let admin: PgConnectOptions = server_url().parse().expect("DATABASE_URL");
    let mut conn = PgConnection::connect_with(&admin).await.expect("connect");
    let _ = sqlx::Executor::execute(
        &mut conn,
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")),
    )
    .await;
}

/// Release 1 with `rows` rows in `table` (`posts` or `tickets`), release 2 expanded; then the
/// backfill walk, timed. Returns (rows the walk of `table` updated, seconds).
async fn walk(name: &str, table: &str, rows: u64) -> (u64, Duration) {
    let options = fresh_database(name).await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("connect");
    Migrator::embedded(mixed_v1::PLANS)
        .expect("plans")
        .with_options(quiet())
        .expect("options")
        .up(&pool)
        .await
        .expect("release 1");
    sqlx::query(&format!(
        "INSERT INTO public.{table} (id, title) SELECT g, 'Title Number ' || g FROM generate_series(1, $1::bigint) g"
    ))
    .bind(i64::try_from(rows).expect("rows"))
    .execute(&pool)
    .await
    .expect("rows");
    sqlx::query(&format!("VACUUM ANALYZE public.{table}"))
        .execute(&pool)
        .await
        .expect("vacuum");
    let release_2 = Migrator::embedded(mixed_v2::PLANS)
        .expect("plans")
        .computing(<mixed_v2::Post as Table>::COMPUTED)
        .with_options(quiet())
        .expect("options");
    release_2.expand(&pool).await.expect("expand");
    let started = Instant::now();
    let report = release_2.backfill(&pool).await.expect("backfill");
    let took = started.elapsed();
    let updated: u64 = report.backfills.iter().map(|b| b.rows_updated).sum();
    pool.close().await;
    drop_database(name).await;
    (updated, took)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rows = rows();
    println!("backfill of {rows} rows, the Rust function against SQL, same executor");
    let mut rust = Vec::new();
    let mut sql = Vec::new();
    for round in 1..=2 {
        let (r_rows, r_took) = walk("migrate_bench_computed_rust", "posts", rows).await;
        let (s_rows, s_took) = walk("migrate_bench_computed_sql", "tickets", rows).await;
        assert_eq!((r_rows, s_rows), (rows, rows), "every row filled");
        let r_rate = rows as f64 / r_took.as_secs_f64();
        let s_rate = rows as f64 / s_took.as_secs_f64();
        println!(
            "round {round}: Rust {r_rate:>9.0} rows/s ({:.2} s), SQL {s_rate:>9.0} rows/s ({:.2} s), ratio {:.2}",
            r_took.as_secs_f64(),
            s_took.as_secs_f64(),
            r_rate / s_rate
        );
        rust.push(r_rate);
        sql.push(s_rate);
    }
    let best = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    println!(
        "best of 2: Rust {:.0} rows/s, SQL {:.0} rows/s, ratio {:.2} (Rust / SQL)",
        best(&rust),
        best(&sql),
        best(&rust) / best(&sql)
    );
}
