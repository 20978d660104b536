//! A throwaway crate folder that goes through releases with the real build helper: write the
//! declarations of release N, run the helper in accept mode, look at what it wrote, apply it.
//! Backfills and rollbacks run through the product's runner ([`migrate_runtime::runner`]).

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use migrate_build::{Config, Error, Mode, Outcome};
use migrate_core::plan::{Phase, Plan};
use migrate_core::snapshot::Snapshot;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

use migrate_runtime::runner;

/// A temporary crate root with `src/lib.rs`, `src/schema.rs`, `migrate.snapshot.json` and
/// `migrations/`.
pub struct Scenario {
    dir: tempfile::TempDir,
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

impl Scenario {
    /// An empty crate folder (its `src/lib.rs` declares `mod schema;`).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir_all(dir.path().join("src")).expect("src folder");
        std::fs::write(dir.path().join("src/lib.rs"), "mod schema;\n").expect("write lib.rs");
        Scenario { dir }
    }

    /// The crate root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The migrations folder.
    pub fn migrations(&self) -> PathBuf {
        self.root().join("migrations")
    }

    /// The snapshot file.
    pub fn snapshot_path(&self) -> PathBuf {
        self.root().join("migrate.snapshot.json")
    }

    /// The accepted snapshot.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::load(&self.snapshot_path())
            .expect("snapshot parses")
            .expect("a snapshot was accepted")
    }

    /// Replaces the declarations (`src/schema.rs`).
    pub fn declare(&self, source: &str) {
        std::fs::write(self.root().join("src/schema.rs"), source).expect("write schema.rs");
    }

    /// Runs the build helper in `mode`.
    pub fn run(&self, mode: Mode) -> Result<Outcome, Error> {
        Config::new()
            .manifest_dir(self.root())
            .out_dir(self.root().join("out"))
            .cargo_output(false)
            .mode(mode)
            .run()
    }

    /// Declares `source` and accepts its plan; panics with the rendered error if refused.
    pub fn accept(&self, source: &str) -> Outcome {
        self.declare(source);
        match self.run(Mode::Accept) {
            Ok(outcome) => outcome,
            Err(e) => panic!("the build helper refused:\n{e}"),
        }
    }

    /// Expand migration files (sqlx layout) of one release, sorted.
    pub fn release_files(&self, release: u32) -> Vec<PathBuf> {
        release_files_in(&self.migrations(), release)
    }
}

/// The files of one sqlx source (expand or contract), in order: of one release, or all.
pub fn release_files_in(source: &Path, release: impl Into<Option<u32>>) -> Vec<PathBuf> {
    let prefix = release.into().map(|r| format!("{r:04}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(source)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.is_file()
            && prefix.as_ref().is_none_or(|prefix| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix.as_str()))
            })
    });
    files.sort();
    files
}

/// Applies a migrations folder with sqlx's own migrator (the `sqlx migrate run` semantics,
/// including `-- no-transaction` files). Returns how many migrations ran.
pub async fn apply(pool: &PgPool, migrations: &Path) -> usize {
    apply_source(pool, migrations).await
}

async fn applied_count(pool: &PgPool) -> usize {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .expect("probe");
    if !exists {
        return 0;
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .expect("count");
    n as usize
}

/// Runs one migration file again by hand, as a re-run after a crash would: transactional files
/// inside a transaction, `-- no-transaction` files alone.
pub async fn rerun_file(pool: &PgPool, file: &Path) -> Result<(), sqlx::Error> {
    let sql = std::fs::read_to_string(file).expect("read migration file");
    if sql.starts_with("-- no-transaction") {
        sqlx::raw_sql(&sql).execute(pool).await?;
    } else {
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(&sql).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

impl Scenario {
    /// The contract migrations folder.
    pub fn contract_migrations(&self) -> PathBuf {
        self.migrations().join(migrate_core::render::CONTRACT_DIR)
    }

    /// The plan data of every accepted release, in order (what the build helper embeds).
    pub fn plans(&self) -> Vec<Plan> {
        plans_in(&self.migrations())
    }

    /// The plan data of one release.
    pub fn plan(&self, release: u32) -> Plan {
        let path = self.migrations().join(format!("plans/{release:04}.json"));
        Plan::from_json(&std::fs::read_to_string(&path).expect("plan data"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// Applies one sqlx source (expand: `migrations/`, contract: `migrations/contract/`). The two
/// share sqlx's table of applied versions, so each ignores the other's versions.
pub async fn apply_source(pool: &PgPool, source: &Path) -> usize {
    if !source.is_dir() {
        return 0;
    }
    let mut migrator = Migrator::new(source)
        .await
        .expect("sqlx reads the migrations folder");
    migrator.set_ignore_missing(true);
    let before = applied_count(pool).await;
    migrator
        .run(pool)
        .await
        .unwrap_or_else(|e| panic!("sqlx migrate run --source {} failed: {e}", source.display()));
    applied_count(pool).await - before
}

/// Runs every backfill job of a plan to completion with the product's runner
/// ([`runner::run_backfill`], batches of `batch_size` keys) on one connection of `pool`, and
/// asserts that each left no rows. Returns the number of batches.
pub async fn run_backfills(pool: &PgPool, plan: &Plan, batch_size: u32) -> u64 {
    let batch_size = NonZeroU32::new(batch_size).expect("a batch size above 0");
    let mut conn = pool.acquire().await.expect("a connection from the pool");
    let mut batches = 0;
    for job in &plan.backfills {
        let report = runner::run_backfill(&mut conn, job, batch_size)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", job.batch_sql));
        assert!(
            report.is_complete(),
            "backfill `{}` left {} row(s)",
            job.description,
            report.rows_left
        );
        batches += report.batches;
    }
    batches
}

/// Rolls back one phase of a plan with the product's runner ([`runner::roll_back_phase`]) on
/// one connection of `pool`; panics when it refuses or fails.
pub async fn roll_back(pool: &PgPool, plan: &Plan, phase: Phase) -> runner::Rollback {
    let mut conn = pool.acquire().await.expect("a connection from the pool");
    runner::roll_back_phase(&mut conn, plan, phase)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Re-runs the files of one release in a sqlx source by hand (a crash-and-rerun); each must
/// succeed. An older release's phases refuse to run again once a later release has expanded
/// (R9), so a re-run means the newest release's.
pub async fn rerun_release(pool: &PgPool, source: &Path, release: u32) {
    for file in release_files_in(source, release) {
        rerun_file(pool, &file)
            .await
            .unwrap_or_else(|e| panic!("re-running {} failed: {e}", file.display()));
    }
}

/// Applies one sqlx source expecting it may fail, on a connection of its own that is closed
/// afterwards: sqlx keeps its session-level advisory lock when a migration fails, and a pooled
/// connection would carry that lock on and block every later run.
pub async fn try_apply_source(url: &str, source: &Path) -> Result<(), String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    let mut migrator = Migrator::new(source).await.map_err(|e| e.to_string())?;
    migrator.set_ignore_missing(true);
    let result = migrator.run(&mut conn).await.map_err(|e| e.to_string());
    let _ = conn.close().await;
    result
}

/// Applies every release of a migrations folder in deploy order: expand of release N, then its
/// contract, then release N+1. Returns the number of releases.
pub async fn apply_releases(pool: &PgPool, migrations: &Path) -> u32 {
    apply_releases_through(pool, migrations, u32::MAX).await
}

/// [`apply_releases`], for the releases up to `through` only. Returns the last release the
/// folder has.
pub async fn apply_releases_through(pool: &PgPool, migrations: &Path, through: u32) -> u32 {
    let list = |dir: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    };
    let release_of = |p: &PathBuf| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.get(..4))
            .and_then(|r| r.parse::<u32>().ok())
    };
    let expand = list(migrations);
    let contract = list(&migrations.join(migrate_core::render::CONTRACT_DIR));
    let last = expand.iter().filter_map(release_of).max().unwrap_or(0);
    for release in 1..=last.min(through) {
        for files in [&expand, &contract] {
            let stage = tempfile::tempdir().expect("temporary folder");
            for f in files.iter().filter(|f| release_of(f) == Some(release)) {
                std::fs::copy(f, stage.path().join(f.file_name().expect("file name")))
                    .expect("copy migration");
            }
            apply_source(pool, stage.path()).await;
        }
    }
    last
}

/// The plan data of every release in a migrations folder, in order.
pub fn plans_in(migrations: &Path) -> Vec<Plan> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(migrations.join("plans"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
        .iter()
        .map(|p| {
            Plan::from_json(&std::fs::read_to_string(p).expect("plan data"))
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}
