//! The runner under writers: `cargo bench -p migrate-tests --bench runner`.
//!
//! A table of N rows (`MIGRATE_BENCH_ROWS`, default 2,000,000) at release 1 is built once, in a
//! template database, and every measurement runs on a fresh copy of it
//! (`CREATE DATABASE … TEMPLATE …`). Two writers, each on its own connection, update single
//! rows of random ids, through the new release's views (`release_0002.items`) once they exist
//! and the table before (`search_path = release_0002, public`), pausing
//! `MIGRATE_BENCH_WRITER_PAUSE_MS` (default 2) between writes; every write's latency is kept.
//!
//! 1. Baseline: the writers alone for `MIGRATE_BENCH_BASELINE_SECS` (default 5).
//! 2. Backfill: a C3 volatile default (`gen_random_uuid()`) filled on every row, the runner's
//!    `backfill` phase alone (its expand before, untimed) next to the one-shot `UPDATE` with the
//!    same assignment on a fresh copy (expanded the same way, untimed).
//! 3. Per change: a rename, a C10 int → bigint, a concurrent index and a C6 (nullable → NOT
//!    NULL with a backfill), each phase through the runner next to the naive statement.
//!
//! The machine is shared and noisy: read the ratios, which come from the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use migrate_core::plan::Plan;
use migrate_runtime::migrator::{Migrator, ProgressOutput, Report, RunOptions};
use migrate_tests::scenario::Scenario;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Release 1, shared by every scenario (the plans are deterministic, so one template serves
/// them all).
const V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "items")]
struct Item {
    #[migrate(primary_key, identity)]
    id: i64,
    qty: i32,
    note: Option<String>,
    label: Option<String>,
    #[migrate(default = "0")]
    touched: i32,
}
"#;

/// Release 2 of each scenario: the struct's attributes and fields after `id`.
struct Change {
    name: &'static str,
    table_attrs: &'static str,
    fields: &'static str,
    /// The naive statements, each timed.
    naive: &'static [&'static str],
}

const C3: Change = Change {
    name: "C3 volatile default (backfill)",
    table_attrs: "",
    fields: r#"
    qty: i32,
    note: Option<String>,
    label: Option<String>,
    #[migrate(default = "0")]
    touched: i32,
    #[migrate(default = "gen_random_uuid()")]
    public_id: Option<uuid::Uuid>,"#,
    naive: &[],
};

const CHANGES: &[Change] = &[
    Change {
        name: "rename",
        table_attrs: "",
        fields: r#"
    qty: i32,
    #[migrate(renamed_from = "note")]
    memo: Option<String>,
    label: Option<String>,
    #[migrate(default = "0")]
    touched: i32,"#,
        naive: &["ALTER TABLE public.items RENAME COLUMN note TO memo"],
    },
    Change {
        name: "C10 int -> bigint",
        table_attrs: "",
        fields: r#"
    qty: i64,
    note: Option<String>,
    label: Option<String>,
    #[migrate(default = "0")]
    touched: i32,"#,
        naive: &["ALTER TABLE public.items ALTER COLUMN qty TYPE bigint"],
    },
    Change {
        name: "index CONCURRENTLY",
        table_attrs: "#[migrate(index(columns(qty)))]",
        fields: r#"
    qty: i32,
    note: Option<String>,
    label: Option<String>,
    #[migrate(default = "0")]
    touched: i32,"#,
        naive: &["CREATE INDEX items_qty_naive_idx ON public.items (qty)"],
    },
    Change {
        name: "C6 NOT NULL + backfill",
        table_attrs: "",
        fields: r#"
    qty: i32,
    note: Option<String>,
    #[migrate(backfill = "'none'")]
    label: String,
    #[migrate(default = "0")]
    touched: i32,"#,
        naive: &[
            "UPDATE public.items SET label = 'none' WHERE label IS NULL",
            "ALTER TABLE public.items ALTER COLUMN label SET NOT NULL",
        ],
    },
];

fn release_2(change: &Change) -> String {
    format!(
        "
#[derive(Table)]
#[migrate(table_name = \"items\")]
{}
struct Item {{
    #[migrate(primary_key, identity)]
    id: i64,{}
}}
",
        change.table_attrs, change.fields
    )
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------------------
// Databases: a template at release 1 with N rows, and copies of it.

struct Server {
    admin_url: String,
    prefix: String,
    copies: std::cell::Cell<u32>,
}

impl Server {
    fn new() -> Server {
        let admin_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| LOCAL_URL.to_owned());
        Server {
            admin_url,
            prefix: format!("migrate_bench_runner_{}", std::process::id()),
            copies: std::cell::Cell::new(0),
        }
    }

    fn options(&self, db: &str) -> PgConnectOptions {
        self.admin_url
            .parse::<PgConnectOptions>()
            .expect("admin url")
            .database(db)
    }

    async fn admin(&self, sql: &str) {
        let mut admin = PgConnection::connect(&self.admin_url)
            .await
            .expect("connect to the admin database");
        sqlx::Executor::execute(&mut admin, sqlx::raw_sql(sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = admin.close().await;
    }

    fn template(&self) -> String {
        format!("{}_tpl", self.prefix)
    }

    async fn pool(&self, db: &str) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .connect_with(self.options(db))
            .await
            .expect("connect to the bench database")
    }

    /// The template: release 1 applied by the runner, `rows` rows, vacuumed and analyzed.
    async fn build_template(&self, release_1: &Plan, rows: u64) -> Duration {
        let began = Instant::now();
        let name = self.template();
        self.admin(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
        self.admin(&format!("CREATE DATABASE \"{name}\"")).await;
        let pool = self.pool(&name).await;
        migrator(vec![release_1.clone()])
            .up(&pool)
            .await
            .expect("release 1");
        sqlx::query(
            "INSERT INTO public.items (qty, note, label) \
             SELECT g % 1000, 'n' || g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'l' || g END \
             FROM generate_series(1, $1) g",
        )
        .bind(rows as i64)
        .execute(&pool)
        .await
        .expect("rows");
        sqlx::Executor::execute(&pool, sqlx::raw_sql("VACUUM ANALYZE public.items"))
            .await
            .expect("vacuum");
        pool.close().await;
        began.elapsed()
    }

    /// A fresh copy of the template; dropped by [`Server::drop_copy`].
    async fn copy(&self) -> (String, Duration) {
        let k = self.copies.get();
        self.copies.set(k + 1);
        let name = format!("{}_{k}", self.prefix);
        let began = Instant::now();
        self.admin(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
        self.admin(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{}\" STRATEGY = FILE_COPY",
            self.template()
        ))
        .await;
        (name, began.elapsed())
    }

    async fn drop_copy(&self, name: &str) {
        self.admin(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

fn migrator(plans: Vec<Plan>) -> Migrator {
    Migrator::from_plans(plans)
        .expect("plans in order")
        .with_options(RunOptions {
            progress: ProgressOutput::Events,
            ..RunOptions::default()
        })
        .expect("options")
}

// ---------------------------------------------------------------------------------------
// Writers.

#[derive(Clone, Copy)]
struct Write {
    began: Instant,
    took: Duration,
}

struct Writers {
    stop: Arc<AtomicBool>,
    handles: Vec<tokio::task::JoinHandle<(Vec<Write>, Vec<String>)>>,
}

impl Writers {
    async fn start(options: PgConnectOptions, rows: u64, pause: Duration) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        for w in 0..2u64 {
            let mut conn = PgConnection::connect_with(&options)
                .await
                .expect("writer connection");
            sqlx::Executor::execute(
                &mut conn,
                sqlx::raw_sql("SET search_path = release_0002, public"),
            )
            .await
            .expect("search_path");
            let stop = stop.clone();
            handles.push(tokio::spawn(async move {
                let mut state =
                    0x9E37_79B9_7F4A_7C15u64 ^ (w + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                let mut writes = Vec::with_capacity(1 << 16);
                let mut errors = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    // xorshift64*
                    state ^= state >> 12;
                    state ^= state << 25;
                    state ^= state >> 27;
                    let id = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % rows) as i64 + 1;
                    let began = Instant::now();
                    // Not prepared: the name resolves on every write, so the writer moves to
                    // the new views as soon as they exist.
                    let result =
                        sqlx::query("UPDATE items SET touched = touched + 1 WHERE id = $1")
                            .bind(id)
                            .persistent(false)
                            .execute(&mut conn)
                            .await;
                    let took = began.elapsed();
                    match result {
                        Ok(_) => writes.push(Write { began, took }),
                        Err(e) => {
                            if errors.len() < 20 {
                                errors.push(e.to_string());
                            } else {
                                errors.push(String::new());
                            }
                        }
                    }
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
                let _ = conn.close().await;
                (writes, errors)
            }));
        }
        Writers { stop, handles }
    }

    async fn finish(self) -> Log {
        self.stop.store(true, Ordering::Relaxed);
        let mut writes = Vec::new();
        let mut errors = Vec::new();
        for h in self.handles {
            let (w, e) = h.await.expect("writer");
            writes.extend(w);
            errors.extend(e);
        }
        Log { writes, errors }
    }
}

struct Log {
    writes: Vec<Write>,
    errors: Vec<String>,
}

#[derive(Clone, Copy, Default)]
struct Stats {
    count: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Log {
    /// The writes that were in flight at some point of `[from, to)`.
    fn during(&self, from: Instant, to: Instant) -> Stats {
        let mut lat: Vec<Duration> = self
            .writes
            .iter()
            .filter(|w| w.began < to && w.began + w.took >= from)
            .map(|w| w.took)
            .collect();
        lat.sort();
        if lat.is_empty() {
            return Stats::default();
        }
        let at = |q: f64| lat[((lat.len() as f64 * q).ceil() as usize).clamp(1, lat.len()) - 1];
        Stats {
            count: lat.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: *lat.last().expect("not empty"),
        }
    }

    fn error_summary(&self) -> String {
        if self.errors.is_empty() {
            return String::new();
        }
        let shown: Vec<&str> = self
            .errors
            .iter()
            .filter(|e| !e.is_empty())
            .map(String::as_str)
            .take(3)
            .collect();
        format!(
            " ({} writer error(s), e.g. {})",
            self.errors.len(),
            shown.join(" | ")
        )
    }
}

// ---------------------------------------------------------------------------------------
// Output.

#[derive(Clone)]
struct Row {
    what: String,
    took: Duration,
    rows: Option<u64>,
    writers: Stats,
}

struct Table {
    baseline: Stats,
}

impl Table {
    fn header() {
        println!(
            "  {:<44} {:>10} {:>10} {:>8} {:>9} {:>6} {:>9} {:>8}",
            "phase / statement",
            "time ms",
            "rows/s",
            "writes",
            "p99 ms",
            "p99 x",
            "max ms",
            "p50 ms"
        );
    }

    fn print(&self, row: &Row) {
        let rate = row
            .rows
            .filter(|_| !row.took.is_zero())
            .map(|r| format!("{:.0}", r as f64 / row.took.as_secs_f64()))
            .unwrap_or_else(|| "-".into());
        let ratio = if self.baseline.p99.is_zero() {
            0.0
        } else {
            row.writers.p99.as_secs_f64() / self.baseline.p99.as_secs_f64()
        };
        println!(
            "  {:<44} {:>10.1} {:>10} {:>8} {:>9.2} {:>5.1}x {:>9.1} {:>8.2}",
            row.what,
            ms(row.took),
            rate,
            row.writers.count,
            ms(row.writers.p99),
            ratio,
            ms(row.writers.max),
            ms(row.writers.p50),
        );
    }

    fn push(&mut self, row: Row) {
        self.print(&row);
    }
}

fn rows_of(report: &Report) -> u64 {
    report.backfills.iter().map(|b| b.rows_updated).sum()
}

/// The backfill's one statement: its batch's assignment and filter, over the whole table.
fn naive_update(plan: &Plan) -> String {
    let job = plan.backfills.first().expect("the release has a backfill");
    let sql = &job.batch_sql;
    let update = sql.find("UPDATE ").expect("the batch updates");
    let rest = &sql[update..];
    let set = rest.find(" SET ").expect("SET");
    let filter_from = rest.find("\n    WHERE").expect("WHERE");
    let assignment = &rest[set + 5..filter_from];
    let head = &rest[..set];
    let marker = "FROM batch_end) AND ";
    let filter = rest
        .find(marker)
        .map(|i| {
            let f = &rest[i + marker.len()..];
            f[..f.find("\n    RETURNING").expect("RETURNING")].to_owned()
        })
        .expect("the batch's row filter");
    format!("{head} SET {assignment} WHERE {filter}")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let rows = env_u64("MIGRATE_BENCH_ROWS", 2_000_000).max(1);
    let pause = Duration::from_millis(env_u64("MIGRATE_BENCH_WRITER_PAUSE_MS", 2));
    let baseline_secs = env_u64("MIGRATE_BENCH_BASELINE_SECS", 5);
    let settle = Duration::from_millis(500);
    let server = Server::new();

    // Plans through the real build helper, one scenario per change.
    let began = Instant::now();
    let plans_of = |change: &Change| {
        let scenario = Scenario::new();
        scenario.accept(V1);
        scenario.accept(&release_2(change));
        scenario.plans()
    };
    let c3_plans = plans_of(&C3);
    let change_plans: Vec<Vec<Plan>> = CHANGES.iter().map(plans_of).collect();
    for plans in &change_plans {
        assert_eq!(
            plans[0].steps, c3_plans[0].steps,
            "release 1 is planned alike"
        );
    }
    let planned = began.elapsed();

    let built = server.build_template(&c3_plans[0], rows).await;
    let (probe, copied) = server.copy().await;
    server.drop_copy(&probe).await;
    println!(
        "runner under writers: {rows} rows, 2 writers (single-row UPDATE of a random id, {} ms pause), \
         planned in {:.0} ms, template built in {:.1} s, one copy takes {:.1} s",
        pause.as_millis(),
        ms(planned),
        built.as_secs_f64(),
        copied.as_secs_f64()
    );

    // 1. Baseline.
    let (db, _) = server.copy().await;
    let writers = Writers::start(server.options(&db), rows, pause).await;
    tokio::time::sleep(settle).await;
    let from = Instant::now();
    tokio::time::sleep(Duration::from_secs(baseline_secs)).await;
    let to = Instant::now();
    let log = writers.finish().await;
    server.drop_copy(&db).await;
    let baseline = log.during(from, to);
    let mut table = Table { baseline };
    println!(
        "\n1. baseline: writers alone for {baseline_secs} s{}",
        log.error_summary()
    );
    Table::header();
    table.print(&Row {
        what: "writers alone (table)".into(),
        took: to - from,
        rows: None,
        writers: baseline,
    });

    // 2. Backfill: runner vs one UPDATE.
    println!("\n2. backfill: {}", c3_plans[1].backfills[0].description);
    Table::header();
    let naive_sql = naive_update(&c3_plans[1]);
    let runner_backfill;
    {
        let (db, _) = server.copy().await;
        let pool = server.pool(&db).await;
        let m = migrator(c3_plans.clone());
        let writers = Writers::start(server.options(&db), rows, pause).await;
        let expanded = m.expand(&pool).await.expect("expand");
        assert!(
            rows_of(&expanded) == 0,
            "the C3 expand does not wait for its backfill"
        );
        tokio::time::sleep(settle).await;
        let from = Instant::now();
        let report = m.backfill(&pool).await.expect("backfill");
        let to = Instant::now();
        tokio::time::sleep(settle).await;
        let log = writers.finish().await;
        let batches: u64 = report.backfills.iter().map(|b| b.batches).sum();
        runner_backfill = Row {
            what: format!("runner backfill ({batches} batches)"),
            took: to - from,
            rows: Some(rows_of(&report)),
            writers: log.during(from, to),
        };
        table.push(runner_backfill.clone());
        if !log.errors.is_empty() {
            println!("    {}", log.error_summary());
        }
        pool.close().await;
        server.drop_copy(&db).await;
    }
    let naive_backfill;
    {
        let (db, _) = server.copy().await;
        let pool = server.pool(&db).await;
        let m = migrator(c3_plans.clone());
        let writers = Writers::start(server.options(&db), rows, pause).await;
        m.expand(&pool).await.expect("expand");
        tokio::time::sleep(settle).await;
        let from = Instant::now();
        let done = sqlx::query(&naive_sql)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{naive_sql}: {e}"));
        let to = Instant::now();
        tokio::time::sleep(settle).await;
        let log = writers.finish().await;
        naive_backfill = Row {
            what: "naive one UPDATE".into(),
            took: to - from,
            rows: Some(done.rows_affected()),
            writers: log.during(from, to),
        };
        table.push(naive_backfill.clone());
        if !log.errors.is_empty() {
            println!("    {}", log.error_summary());
        }
        pool.close().await;
        server.drop_copy(&db).await;
    }
    let rate = |r: &Row| r.rows.unwrap_or(0) as f64 / r.took.as_secs_f64();
    let throughput = rate(&runner_backfill) / rate(&naive_backfill);
    println!("  naive statement: {naive_sql}");
    println!(
        "  runner/naive rows/s: {throughput:.2} (target >= 0.7); during the runner's backfill p99 {:.2}x baseline (target <= 2x), max stall {:.1} ms (target <= 100 ms)",
        runner_backfill.writers.p99.as_secs_f64() / baseline.p99.as_secs_f64(),
        ms(runner_backfill.writers.max),
    );

    // 3. Per change.
    println!(
        "\n3. per change: each phase through the runner, then the naive statement(s) on a fresh copy"
    );
    let mut summary = Vec::new();
    for (change, plans) in CHANGES.iter().zip(&change_plans) {
        println!("\n  {}", change.name);
        Table::header();
        // Through the runner.
        let (db, _) = server.copy().await;
        let pool = server.pool(&db).await;
        let m = migrator(plans.clone());
        let writers = Writers::start(server.options(&db), rows, pause).await;
        tokio::time::sleep(settle).await;
        let mut marks = Vec::new();
        for phase in ["expand", "backfill", "contract"] {
            let from = Instant::now();
            let report = match phase {
                "expand" => m.expand(&pool).await,
                "backfill" => m.backfill(&pool).await,
                _ => m.contract(&pool).await,
            }
            .unwrap_or_else(|e| panic!("{}: {phase}: {e}", change.name));
            let to = Instant::now();
            marks.push((phase, from, to, report));
            tokio::time::sleep(settle).await;
        }
        let log = writers.finish().await;
        let mut runner_total = Duration::ZERO;
        let mut runner_max = Duration::ZERO;
        let mut runner_p99 = Duration::ZERO;
        let mut expand_contract = Duration::ZERO;
        for (phase, from, to, report) in &marks {
            let stats = log.during(*from, *to);
            let filled = rows_of(report);
            runner_total += *to - *from;
            if *phase != "backfill" {
                expand_contract += *to - *from;
            }
            runner_max = runner_max.max(stats.max);
            runner_p99 = runner_p99.max(stats.p99);
            table.push(Row {
                what: format!(
                    "runner {phase} ({} steps{})",
                    report.steps_applied.len(),
                    if filled > 0 {
                        format!(", {filled} rows filled")
                    } else {
                        String::new()
                    }
                ),
                took: *to - *from,
                rows: (filled > 0).then_some(filled),
                writers: stats,
            });
        }
        if !log.errors.is_empty() {
            println!("    {}", log.error_summary());
        }
        pool.close().await;
        server.drop_copy(&db).await;

        // Naive, on a copy without the release-1 views (a view blocks `ALTER COLUMN .. TYPE`).
        let (db, _) = server.copy().await;
        let pool = server.pool(&db).await;
        sqlx::Executor::execute(&pool, sqlx::raw_sql("DROP SCHEMA release_0001 CASCADE"))
            .await
            .expect("drop the release-1 views");
        let writers = Writers::start(server.options(&db), rows, pause).await;
        tokio::time::sleep(settle).await;
        let mut naive = Vec::new();
        for sql in change.naive {
            let from = Instant::now();
            let done = sqlx::query(sql)
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            let to = Instant::now();
            naive.push((*sql, from, to, done.rows_affected()));
            tokio::time::sleep(settle).await;
        }
        let log = writers.finish().await;
        let mut naive_total = Duration::ZERO;
        let mut naive_max = Duration::ZERO;
        for (sql, from, to, affected) in &naive {
            let stats = log.during(*from, *to);
            naive_total += *to - *from;
            naive_max = naive_max.max(stats.max);
            let short: String = sql.chars().take(36).collect();
            table.push(Row {
                what: format!("naive {short}"),
                took: *to - *from,
                rows: (*affected > 0).then_some(*affected),
                writers: stats,
            });
        }
        if !log.errors.is_empty() {
            println!("    {}", log.error_summary());
        }
        pool.close().await;
        server.drop_copy(&db).await;
        if change.name == "rename" {
            println!(
                "  rename expand + contract: {:.1} ms (target <= 150 ms)",
                ms(expand_contract)
            );
        }
        summary.push((
            change.name,
            runner_total,
            runner_max,
            runner_p99,
            naive_total,
            naive_max,
        ));
    }

    println!(
        "\nsummary (writers' p99 baseline {:.2} ms, max {:.1} ms)",
        ms(baseline.p99),
        ms(baseline.max)
    );
    println!(
        "  {:<28} {:>12} {:>12} {:>8} {:>12} {:>12} {:>10} {:>10}",
        "change",
        "runner ms",
        "naive ms",
        "time x",
        "runner max",
        "naive max",
        "runner p99",
        "p99 x"
    );
    for (name, rt, rmax, rp99, nt, nmax) in summary {
        println!(
            "  {:<28} {:>12.1} {:>12.1} {:>7.2}x {:>9.1} ms {:>9.1} ms {:>7.2} ms {:>9.2}x",
            name,
            ms(rt),
            ms(nt),
            rt.as_secs_f64() / nt.as_secs_f64(),
            ms(rmax),
            ms(nmax),
            ms(rp99),
            rp99.as_secs_f64() / baseline.p99.as_secs_f64(),
        );
    }
    println!(
        "  backfill runner/naive rows/s {:.2}; p99 {:.2}x; max stall {:.1} ms",
        throughput,
        runner_backfill.writers.p99.as_secs_f64() / baseline.p99.as_secs_f64(),
        ms(runner_backfill.writers.max)
    );
    server
        .admin(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            server.template()
        ))
        .await;
}
