//! The generated accessors against hand-written sqlx: `cargo bench -p migrate-tests --bench
//! accessors`.
//!
//! A database at release 1 of the mixed-version fixture, with release 2 expanded: both
//! binaries' views exist, and `counters.hits` (integer → bigint) is kept in step with its
//! shadow column by the conversion trigger, so every write through the accessors pays what it
//! pays during a transition. Beside it, in the same database, a plain table of the same shape
//! (`plain_counters (id bigint primary key, hits bigint)`), no view and no trigger, written by
//! hand-written `sqlx::query` statements. Each measurement runs the two forms interleaved,
//! `MIGRATE_BENCH_OPS` operations each (default 5,000), on one connection.
//!
//! 1. Latency of insert, fetch and update: binary 2's accessors (`mixed_v2::Counter`) through
//!    `release_0002.counters`, the trigger included, against the plain statements.
//! 2. The trigger's write amplification: one bulk `UPDATE … SET hits = hits + 1` of every row
//!    through the view, against the same on the plain table; time and WAL bytes.
//!
//! The machine is shared and noisy: read the ratios, which come from the same run.

use std::time::{Duration, Instant};

use migrate_runtime::migrator::{Migrator, ProgressOutput, RunOptions};
use migrate_runtime::prelude::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| LOCAL_URL.to_owned())
}

fn ops() -> usize {
    std::env::var("MIGRATE_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
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

/// Per-operation latencies, sorted.
struct Samples(Vec<Duration>);

impl Samples {
    fn median(&self) -> Duration {
        self.0[self.0.len() / 2]
    }
    fn p99(&self) -> Duration {
        self.0[self.0.len() * 99 / 100]
    }
    fn mean(&self) -> Duration {
        self.0.iter().sum::<Duration>() / self.0.len() as u32
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(what: &str, ours: &Samples, plain: &Samples) {
    println!(
        "  {what:<8}\n    accessor median {:>7.1} µs, mean {:>7.1}, p99 {:>7.1} | hand-written median {:>7.1} µs, mean {:>7.1}, p99 {:>7.1} | ratio of medians {:.2}x, of means {:.2}x",
        us(ours.median()),
        us(ours.mean()),
        us(ours.p99()),
        us(plain.median()),
        us(plain.mean()),
        us(plain.p99()),
        ours.median().as_secs_f64() / plain.median().as_secs_f64(),
        ours.mean().as_secs_f64() / plain.mean().as_secs_f64(),
    );
}

/// Times `a(i)` and `b(i)` for i in 0..n, op by op, each going first every other time, so
/// both see the same noise and neither always follows the other.
async fn interleaved<A, B, FA, FB>(n: usize, mut a: A, mut b: B) -> (Samples, Samples)
where
    A: FnMut(usize) -> FA,
    B: FnMut(usize) -> FB,
    FA: std::future::Future<Output = ()>,
    FB: std::future::Future<Output = ()>,
{
    let (mut sa, mut sb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        if i % 2 == 0 {
            let t = Instant::now();
            a(i).await;
            sa.push(t.elapsed());
        }
        let t = Instant::now();
        b(i).await;
        sb.push(t.elapsed());
        if i % 2 == 1 {
            let t = Instant::now();
            a(i).await;
            sa.push(t.elapsed());
        }
    }
    sa.sort();
    sb.sort();
    (Samples(sa), Samples(sb))
}

async fn wal_bytes(pool: &PgPool, sql: &str) -> (Duration, i64) {
    let before: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(pool)
        .await
        .expect("lsn");
    let t = Instant::now();
    sqlx::query(sql).execute(pool).await.expect("bulk update");
    let took = t.elapsed();
    let bytes: i64 =
        sqlx::query_scalar("SELECT (pg_current_wal_insert_lsn() - $1::text::pg_lsn)::bigint")
            .bind(before)
            .fetch_one(pool)
            .await
            .expect("wal");
    (took, bytes)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n = ops();
    let options = fresh_database("migrate_bench_accessors").await;
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options.clone())
        .await
        .expect("connect");
    let quiet = RunOptions {
        progress: ProgressOutput::Events,
        ..RunOptions::default()
    };
    Migrator::embedded(mixed_v1::PLANS)
        .and_then(|m| m.with_options(quiet.clone()))
        .expect("plans")
        .up(&admin)
        .await
        .expect("release 1");
    Migrator::embedded(mixed_v2::PLANS)
        .and_then(|m| m.with_options(quiet))
        .expect("plans")
        .expand(&admin)
        .await
        .expect("release 2 expands");
    sqlx::raw_sql(
        "CREATE TABLE public.plain_counters (id bigint PRIMARY KEY, hits bigint NOT NULL)",
    )
    .execute(&admin)
    .await
    .expect("the plain table");
    let ours = mixed_v2::BINDING
        .connect(PgPoolOptions::new().max_connections(1), options.clone())
        .await
        .expect("binary 2's pool");
    // Both forms on this one connection: on two, each would wake an idle backend every other
    // operation, and that wake-up, not the statement, would be what is measured.
    let plain = ours.clone();

    println!("accessors against hand-written sqlx ({n} operations each, interleaved)");
    println!("1. latency, through release_0002.counters with the C10 conversion trigger");
    let row = |i: usize| mixed_v2::Counter {
        id: i as i64,
        hits: i as i64,
    };
    let (a, b) = interleaved(
        n,
        |i| {
            let ours = ours.clone();
            async move {
                row(i).insert(&ours).await.expect("accessor insert");
            }
        },
        |i| {
            let plain = plain.clone();
            async move {
                sqlx::query("INSERT INTO public.plain_counters (id, hits) VALUES ($1, $2) RETURNING id, hits")
                    .bind(i as i64)
                    .bind(i as i64)
                    .fetch_one(&plain)
                    .await
                    .expect("plain insert");
            }
        },
    )
    .await;
    report("insert", &a, &b);
    let (a, b) = interleaved(
        n,
        |i| {
            let ours = ours.clone();
            async move {
                mixed_v2::Counter::fetch(&ours, &(i as i64))
                    .await
                    .expect("accessor fetch");
            }
        },
        |i| {
            let plain = plain.clone();
            async move {
                let _: (i64, i64) =
                    sqlx::query_as("SELECT id, hits FROM public.plain_counters WHERE id = $1")
                        .bind(i as i64)
                        .fetch_one(&plain)
                        .await
                        .expect("plain fetch");
            }
        },
    )
    .await;
    report("fetch", &a, &b);
    // Where a fetch's difference comes from: the same statement through the view, decoded by
    // the generated FromRow (by column name) and as a tuple (by index); and the tuple through
    // the view against the plain table.
    let through_view = <mixed_v2::Counter as Keyed>::FETCH;
    let (a, b) = interleaved(
        n,
        |i| {
            let plain = plain.clone();
            async move {
                let _: mixed_v2::Counter = sqlx::query_as(through_view)
                    .bind(i as i64)
                    .fetch_one(&plain)
                    .await
                    .expect("fetch as the struct");
            }
        },
        |i| {
            let plain = plain.clone();
            async move {
                let _: (i64, i64) = sqlx::query_as(through_view)
                    .bind(i as i64)
                    .fetch_one(&plain)
                    .await
                    .expect("fetch as a tuple");
            }
        },
    )
    .await;
    report(
        "  FromRow by name against a tuple, both through the view",
        &a,
        &b,
    );
    let (a, b) = interleaved(
        n,
        |i| {
            let plain = plain.clone();
            async move {
                let _: (i64, i64) = sqlx::query_as(through_view)
                    .bind(i as i64)
                    .fetch_one(&plain)
                    .await
                    .expect("fetch through the view");
            }
        },
        |i| {
            let plain = plain.clone();
            async move {
                let _: (i64, i64) =
                    sqlx::query_as("SELECT id, hits FROM public.plain_counters WHERE id = $1")
                        .bind(i as i64)
                        .fetch_one(&plain)
                        .await
                        .expect("fetch from the table");
            }
        },
    )
    .await;
    report(
        "  the view against the plain table, both as a tuple",
        &a,
        &b,
    );
    let (a, b) = interleaved(
        n,
        |i| {
            let ours = ours.clone();
            async move {
                mixed_v2::Counter {
                    id: i as i64,
                    hits: i as i64 + 1,
                }
                .update(&ours)
                .await
                .expect("accessor update")
                .expect("the row exists");
            }
        },
        |i| {
            let plain = plain.clone();
            async move {
                sqlx::query(
                    "UPDATE public.plain_counters SET hits = $2 WHERE id = $1 RETURNING id, hits",
                )
                .bind(i as i64)
                .bind(i as i64 + 1)
                .fetch_one(&plain)
                .await
                .expect("plain update");
            }
        },
    )
    .await;
    report("update", &a, &b);

    println!("2. one bulk UPDATE of all {n} rows (the trigger's write amplification)");
    for table in ["public.counters", "public.plain_counters"] {
        sqlx::raw_sql(&format!("VACUUM ANALYZE {table}"))
            .execute(&admin)
            .await
            .expect("vacuum");
    }
    let mut ratios = Vec::new();
    for round in 0..3 {
        let (t_ours, w_ours) =
            wal_bytes(&admin, "UPDATE release_0002.counters SET hits = hits + 1").await;
        let (t_plain, w_plain) =
            wal_bytes(&admin, "UPDATE public.plain_counters SET hits = hits + 1").await;
        println!(
            "  round {round}: through the view with the trigger {:.1} ms, {} WAL bytes | plain {:.1} ms, {} WAL bytes | time {:.2}x, WAL {:.2}x",
            t_ours.as_secs_f64() * 1e3,
            w_ours,
            t_plain.as_secs_f64() * 1e3,
            w_plain,
            t_ours.as_secs_f64() / t_plain.as_secs_f64(),
            w_ours as f64 / w_plain as f64
        );
        ratios.push(t_ours.as_secs_f64() / t_plain.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    println!("  median time ratio {:.2}x", ratios[1]);
    ours.close().await;
    admin.close().await;
}
