//! The example shop. With no arguments it prints its accepted plan (no database needed);
//! `example-shop migrate <command>` applies the embedded plans to `DATABASE_URL` with the
//! runner, phase by phase, as a deploy job would; `example-shop demo` places an order through
//! the generated accessors, as the application of this release would.

mod schema;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use migrate_runtime::migrator::{LockWait, Migrator, Report, RunOptions};

migrate_runtime::include_schema!();

#[derive(Parser)]
#[command(about = "The example shop, and its migrations")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the embedded migrations to the database at DATABASE_URL.
    Migrate {
        #[command(subcommand)]
        phase: Phase,
        /// Stop at once if another runner holds the runner lock, instead of waiting.
        #[arg(long, global = true)]
        no_wait: bool,
        /// The most backfill rows per second (default: no cap).
        #[arg(long, global = true)]
        max_rows_per_sec: Option<u32>,
        /// A pause after every backfill batch, in milliseconds.
        #[arg(long, global = true, default_value_t = 0)]
        pause_ms: u64,
        /// Only the releases up to this one (default: every release this binary embeds).
        #[arg(long, global = true)]
        through: Option<u32>,
        /// Contract even while binaries of an older release are connected.
        #[arg(long, global = true)]
        allow_old_connections: bool,
    },
    /// Place an order through this release's accessors, on the database at DATABASE_URL.
    Demo,
}

#[derive(Subcommand, Clone, Copy)]
enum Phase {
    /// Where each release stands, and what is due.
    Status,
    /// Expand the next release: run it before its binary deploys.
    Expand,
    /// Run the backfill jobs of the release that expanded.
    Backfill,
    /// Contract the next release: run it once no older binary runs.
    Contract,
    /// Expand and backfill whatever is due; stop before a contract.
    ApplyDue,
    /// Everything, contracts included (a database no old binary uses).
    Up,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => {
            print_plan();
            ExitCode::SUCCESS
        }
        Some(Command::Demo) => run(demo()),
        Some(Command::Migrate {
            phase,
            no_wait,
            max_rows_per_sec,
            pause_ms,
            through,
            allow_old_connections,
        }) => {
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .init();
            let mut options = RunOptions::default();
            if no_wait {
                options.lock_wait = LockWait::NoWait;
            }
            options.throttle.max_rows_per_sec = max_rows_per_sec;
            options.throttle.pause = Duration::from_millis(pause_ms);
            options.allow_old_connections = allow_old_connections;
            run(migrate(phase, options, through))
        }
    }
}

/// Runs one command on a fresh runtime, printing its error.
fn run(command: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn database_url() -> Result<String, String> {
    std::env::var("DATABASE_URL").map_err(|_| {
        "set DATABASE_URL to the database to use (postgres://user@host:5432/db)".to_owned()
    })
}

/// What the application of this release does with its accessors: a pool bound to the
/// release (its views, its `application_name`), a new customer and an order, whose
/// identities and defaults the database fills in, then an update by key.
async fn demo() -> Result<(), String> {
    use migrate_runtime::prelude::*;
    use schema::{NewCustomer, NewOrder, Order, OrderStatus};

    let options: sqlx::postgres::PgConnectOptions = database_url()?
        .parse()
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    let pool = BINDING
        .connect(
            sqlx::postgres::PgPoolOptions::new().max_connections(2),
            options,
        )
        .await
        .map_err(|e| e.to_string())?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default();
    let customer = NewCustomer {
        email: format!("ada+{stamp}@example.com"),
        display_name: "Ada".to_owned(),
        phone: None,
    }
    .insert(&pool)
    .await
    .map_err(|e| format!("insert a customer: {e}"))?;
    let order = NewOrder {
        customer_id: customer.id,
        customer_note: Some("leave it at the door".to_owned()),
    }
    .insert(&pool)
    .await
    .map_err(|e| format!("place an order: {e}"))?;
    let paid = Order {
        status: OrderStatus::Paid,
        ..order
    }
    .update(&pool)
    .await
    .map_err(|e| format!("pay the order: {e}"))?
    .ok_or("the order was deleted meanwhile")?;
    println!(
        "release {} ({}): customer {} ({}), order {} is {:?}, public ref {}",
        BINDING.release,
        BINDING.application_name(),
        customer.id,
        customer.email,
        paid.id,
        paid.status,
        paid.public_ref.map(|u| u.to_string()).unwrap_or_default()
    );
    Ok(())
}

async fn migrate(phase: Phase, options: RunOptions, through: Option<u32>) -> Result<(), String> {
    let url = database_url()?;
    let migrator = Migrator::embedded(PLANS)
        .and_then(|m| m.with_options(options))
        .map(|m| match through {
            Some(release) => m.through(release),
            None => m,
        })
        .map_err(|e| e.to_string())?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(3)
        .connect(&url)
        .await
        .map_err(|e| format!("cannot connect to DATABASE_URL: {e}"))?;
    let report = match phase {
        Phase::Status => {
            print!(
                "{}",
                migrator.status(&pool).await.map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        Phase::Expand => migrator.expand(&pool).await,
        Phase::Backfill => migrator.backfill(&pool).await,
        Phase::Contract => migrator.contract(&pool).await,
        Phase::ApplyDue => migrator.apply_due(&pool).await,
        Phase::Up => migrator.up(&pool).await,
    }
    .map_err(|e| e.to_string())?;
    print_report(&report);
    print!(
        "{}",
        migrator.status(&pool).await.map_err(|e| e.to_string())?
    );
    Ok(())
}

fn print_report(report: &Report) {
    if !report.adopted.is_empty() {
        println!(
            "took over {} step(s) sqlx had applied",
            report.adopted.len()
        );
    }
    if report.lock_waited >= Duration::from_millis(500) {
        println!(
            "waited {} ms for another runner",
            report.lock_waited.as_millis()
        );
    }
    if report.is_empty() {
        println!("nothing to apply");
    }
    for step in &report.steps_applied {
        println!("applied {step}");
    }
    for walk in &report.backfills {
        println!(
            "backfill {}: {} row(s) in {} batch(es){}, {} left",
            walk.id,
            walk.rows_updated,
            walk.batches,
            if walk.resumed { ", resumed" } else { "" },
            walk.rows_left
        );
    }
    if let Some(release) = report.contract_due {
        println!(
            "contract of release {release} is due once no binary older than release {release} runs: `migrate contract`"
        );
    }
}

fn print_plan() {
    use migrate_runtime::Table as _;
    println!("example-shop: accepted release {RELEASE}, views schema `{VIEWS_SCHEMA}`");
    println!(
        "tables: {}",
        [
            schema::Customer::TABLE,
            schema::Product::TABLE,
            schema::Order::TABLE,
            schema::OrderItem::TABLE
        ]
        .join(", ")
    );
    println!(
        "embedded plans: {} release(s); apply them with `example-shop migrate --help`",
        PLANS.len()
    );
    println!();
    println!("{PLAN_SUMMARY}");
    match PENDING {
        Some(pending) => println!(
            "PENDING (not accepted yet; accept with MIGRATE_ACCEPT=1 cargo build):\n\n{pending}"
        ),
        None => println!("No pending changes: the structs match migrate.snapshot.json."),
    }
}
