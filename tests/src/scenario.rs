//! A throwaway crate folder that goes through releases with the real build helper: write the
//! declarations of release N, run the helper in accept mode, look at what it wrote, apply it.

use std::path::{Path, PathBuf};

use migrate_build::{Config, Error, Mode, Outcome};
use migrate_core::snapshot::Snapshot;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// A temporary crate root with `src/schema.rs`, `migrate.snapshot.json` and `migrations/`.
pub struct Scenario {
    dir: tempfile::TempDir,
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

impl Scenario {
    /// An empty crate folder.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::create_dir_all(dir.path().join("src")).expect("src folder");
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

    /// Migration files (sqlx layout) of one release, sorted.
    pub fn release_files(&self, release: u32) -> Vec<PathBuf> {
        let prefix = format!("{release:04}");
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.migrations())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        });
        files.sort();
        files
    }
}

/// Applies a migrations folder with sqlx's own migrator (the `sqlx migrate run` semantics,
/// including `-- no-transaction` files). Returns how many migrations ran.
pub async fn apply(pool: &PgPool, migrations: &Path) -> usize {
    let migrator = Migrator::new(migrations)
        .await
        .expect("sqlx reads the migrations folder");
    let before = applied_count(pool).await;
    migrator
        .run(pool)
        .await
        .unwrap_or_else(|e| panic!("sqlx migrate run failed: {e}"));
    applied_count(pool).await - before
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
