//! The build.rs helper.
//!
//! ```no_run
//! // build.rs: `fn main() { migrate_build::compile(); }`
//! migrate_build::compile();
//! ```
//!
//! or, configured:
//!
//! ```no_run
//! migrate_build::Config::new().source("src/lib.rs").run_or_exit();
//! ```
//!
//! It finds the `#[derive(Table)]`/`#[derive(PgEnum)]` declarations the compiler compiles (the
//! module tree from the crate roots, `#[cfg]` evaluated with the cfgs cargo gives the build
//! script), writes a manifest of them to `OUT_DIR` for the derive to check itself against,
//! diffs them against the checked-in snapshot (`migrate.snapshot.json`, beside `migrations/`)
//! and, by [`Mode`]:
//! - **review** (default, local): writes the new plan as pending files under `migrate.pending/`
//!   for review; nothing accepted is touched;
//! - **accept** (`MIGRATE_ACCEPT=1`): writes the migration files and the new snapshot;
//! - **check** (`CI` set): writes nothing; a stale snapshot or edited generated file fails.
//!
//! Refusals tied to a field are left to the derive, which reports them spanned on the field;
//! this helper reports what only it can see (a struct that disappeared, a reference to a table
//! nobody declares) with the file and line.

mod cfg;
mod codegen;
mod discover;
mod report;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use migrate_core::access::Binding;
use migrate_core::decide::Verdict;
use migrate_core::pipeline::{self, CratePlan};
use migrate_core::plan::{FORMAT_VERSION, Plan, PlanReadError, Target, TargetError, legacy};
use migrate_core::render::{self, GeneratedFile, PLANS_DIR};
use migrate_core::snapshot::{self, DEFAULT_FILE_NAME, Snapshot, SnapshotError};

pub use cfg::Cfg;
pub use codegen::CodegenError;
use codegen::{BindingConstant, EmbeddedPlans, GeneratedModule, SchemaConstants};
pub use discover::{Declarations, SourceFile};
pub use migrate_core::manifest::Manifest;

/// The file, in `OUT_DIR`, listing what the helper saw, for the derive to check itself against.
pub const MANIFEST_FILE: &str = "migrate.manifest";
/// The variable (set with `cargo:rustc-env`) that tells the derive where the manifest is.
pub const MANIFEST_ENV: &str = "MIGRATE_MANIFEST";

/// The helper's stages one by one, for the `plan` benchmark's breakdown. Not a stable API.
#[doc(hidden)]
pub mod stages {
    use std::path::Path;

    use migrate_core::snapshot::Snapshot;

    use crate::{Declarations, Error};

    /// Declarations of one parsed source file (`#[migrate]` attributes → declarations).
    pub fn declare(file: syn::File) -> Declarations {
        let mut found = Declarations::default();
        crate::discover::declarations_in(file, &mut found);
        found
    }

    /// Reads, parses and declares the module tree of each crate root (the helper's front end),
    /// with no cfg set.
    pub fn discover(roots: &[std::path::PathBuf]) -> Result<Declarations, Error> {
        crate::discover::discover(roots, &crate::Cfg::new())
    }

    /// The planning stage proper ([`crate::Config::generate`] without reading anything).
    pub fn plan(
        config: &crate::Config,
        root: &Path,
        declarations: &Declarations,
        snapshot: &Snapshot,
    ) -> Result<crate::Outcome, Error> {
        config.plan_declarations(root, declarations, snapshot)
    }

    /// Check mode's verification of the generated files the snapshot lists.
    pub fn check_manifest(
        root: &Path,
        migrations: &Path,
        accepted: &Snapshot,
    ) -> Result<(), Error> {
        crate::check_manifest(root, migrations, accepted)
    }

    /// The text of `migrate_schema.rs` (reads the accepted plan summaries).
    pub fn generated_rust(
        accepted: &Snapshot,
        migrations: &Path,
        pending: Option<crate::PendingRelease<'_>>,
    ) -> Result<String, Error> {
        crate::generated_rust(accepted, migrations, pending)
    }
}

/// The folder, beside the snapshot, that holds a plan waiting for review.
pub const PENDING_DIR: &str = "migrate.pending";
/// At most this many declaration problems are rendered in full; the rest are counted.
pub const MAX_REPORTED: usize = 20;
/// Set to `1` to accept the pending plan.
pub const ACCEPT_ENV: &str = "MIGRATE_ACCEPT";

/// What the helper may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write a new plan as pending files; never touch accepted files.
    Review,
    /// Make the current plan the accepted state: write migrations and the snapshot.
    Accept,
    /// Write nothing; fail when the snapshot or generated files are stale (CI).
    Check,
}

impl Mode {
    /// `MIGRATE_ACCEPT=1` → accept; otherwise `CI` set → check; otherwise review.
    ///
    /// `MIGRATE_ACCEPT` is read strictly, because a value read the wrong way writes files:
    /// `1`, `true`, `yes` or `on` accept; `0`, `false`, `no`, `off` or empty do not; anything
    /// else is an error. `CI` counts as set unless it is empty or one of the "no" words, since
    /// CI services set it to values of their own.
    pub fn from_env() -> Result<Mode, Error> {
        if let Some(value) = std::env::var_os(ACCEPT_ENV) {
            let value = value.into_string().map_err(|raw| Error::Environment {
                name: ACCEPT_ENV,
                value: raw.to_string_lossy().into_owned(),
                expected: "`1` or `0` in plain ASCII",
            })?;
            match switch(&value) {
                Some(true) => return Ok(Mode::Accept),
                Some(false) => {}
                None => {
                    return Err(Error::Environment {
                        name: ACCEPT_ENV,
                        value,
                        expected: "`1` to accept the pending plan, or `0` (also true/false, yes/no, on/off)",
                    });
                }
            }
        }
        let ci = std::env::var("CI").is_ok_and(|v| switch(&v) != Some(false));
        Ok(if ci { Mode::Check } else { Mode::Review })
    }
}

/// Reads an on/off environment value: `None` when it is neither.
fn switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "" | "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Why the helper failed. `Display` gives the full, rendered text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An environment variable the helper reads holds a value it does not know.
    #[error("{name}={value:?} is not understood; set it to {expected}")]
    Environment {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        expected: &'static str,
    },
    /// The snapshot file is missing while migration files exist: it was deleted or not
    /// checked out, and planning from nothing would start over at release 1.
    #[error(
        "the snapshot {path} is missing, but {migrations} holds {count} migration file(s) of accepted releases\n  help: restore the snapshot from version control (`git checkout -- {path}`); nothing is planned or written without it"
    )]
    SnapshotMissing {
        /// The snapshot's path.
        path: PathBuf,
        /// The migrations folder.
        migrations: PathBuf,
        /// How many `.sql` files it holds.
        count: usize,
    },
    /// The snapshot is broken (nothing is written while it is).
    #[error(
        "{0}\n  help: fix it by hand or restore it from version control; nothing is overwritten while it is broken"
    )]
    Snapshot(#[from] SnapshotError),
    /// Declarations that only the build helper can judge are wrong; rendered with snippets.
    #[error("{rendered}")]
    Declarations {
        /// How many problems.
        count: usize,
        /// The rendered diagnostics.
        rendered: String,
    },
    /// In check mode: the snapshot or generated files are out of date.
    #[error("{0}")]
    Stale(Stale),
    /// Accepting would overwrite an accepted file with different content.
    #[error(
        "{path} already exists with different content; accepted migrations are never rewritten. Restore it from version control, or remove it if it was never applied anywhere"
    )]
    Conflict {
        /// The file.
        path: PathBuf,
    },
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(ConfigError),
    /// The generated Rust file could not be printed (a bug in the generator).
    #[error(transparent)]
    Codegen(#[from] CodegenError),
    /// A required environment variable is missing (outside a build script, set the paths).
    #[error("{0} is not set; call from build.rs or set the path on the Config")]
    Env(&'static str),
}

/// What check mode found out of date. `Display` gives the full report, with its help lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// The declarations differ from the accepted snapshot.
    Schema {
        /// The snapshot's path.
        snapshot: PathBuf,
        /// The release that would be planned.
        release: StaleRelease,
    },
    /// Generated migration files differ from what the snapshot accepted.
    Files(Vec<FileProblem>),
}

/// The release check mode would have planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleRelease {
    /// Its number.
    pub number: u32,
    /// Its steps: description and catalog row.
    pub steps: Vec<(String, String)>,
}

/// One generated file that is not as the snapshot accepted it (paths relative to the crate).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    /// A migration file of a release after the snapshot's (the snapshot went back).
    #[error("{path} belongs to release {release}, after the snapshot's release {accepted}")]
    AfterSnapshot {
        /// The file.
        path: String,
        /// Its release, from its name.
        release: u32,
        /// The snapshot's release.
        accepted: u32,
    },
    /// A migration file no accepted release generated.
    #[error("{path} was not generated by any accepted release")]
    NotGenerated {
        /// The file.
        path: String,
    },
    /// An accepted file whose content changed.
    #[error("{path} was edited after it was accepted")]
    Edited {
        /// The file.
        path: String,
    },
    /// An accepted file that is gone.
    #[error("{path} is missing")]
    Missing {
        /// The file.
        path: String,
    },
}

impl std::error::Error for Stale {}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Schema { snapshot, release } => {
                writeln!(
                    f,
                    "error: the declared schema differs from the accepted snapshot {}",
                    snapshot.display()
                )?;
                writeln!(
                    f,
                    "  release {} would run {} step(s):",
                    release.number,
                    release.steps.len()
                )?;
                for (description, catalog) in &release.steps {
                    writeln!(f, "    - {description} ({catalog})")?;
                }
                write!(
                    f,
                    "  help: run `{ACCEPT_ENV}=1 cargo build` locally, review the migration files and commit them with the snapshot\n  note: with CI set, nothing is written"
                )
            }
            Stale::Files(problems) => {
                writeln!(
                    f,
                    "error: generated migration files differ from what the snapshot accepted:"
                )?;
                for problem in problems {
                    writeln!(f, "    - {problem}")?;
                }
                write!(
                    f,
                    "  help: restore edited or missing files from version control (`git checkout -- <file>`): accepted migrations may already have run somewhere, so they are never rewritten"
                )?;
                // One of a release after the snapshot's means the snapshot went back (a
                // revert), not a stray file: such files may have run somewhere.
                if problems
                    .iter()
                    .any(|p| matches!(p, FileProblem::AfterSnapshot { .. }))
                {
                    write!(
                        f,
                        "\n  help: the snapshot is older than the migration files, as after a revert: restore the snapshot that accepted them (`git log -- migrate.snapshot.json`) rather than deleting migrations that may have run"
                    )?;
                }
                if problems
                    .iter()
                    .any(|p| matches!(p, FileProblem::NotGenerated { .. }))
                {
                    write!(
                        f,
                        "\n  help: a file no release generated (written by hand?) would be run by sqlx too: move it out of the migrations folder"
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Why the configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// [`Config::postgres_version`] was given a version the planner does not target.
    #[error(transparent)]
    PostgresVersion(#[from] TargetError),
    /// The snapshot or the migrations folder lies outside the crate.
    #[error(
        "the {what} {path} is outside the crate {root}; keep it inside, so the snapshot's file list means the same on every machine"
    )]
    OutsideCrate {
        /// `snapshot` or `migrations folder`.
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// The crate root.
        root: PathBuf,
    },
    /// A source folder holds no crate root.
    #[error(
        "{folder} holds no crate root (lib.rs, main.rs or bin/); name the crate root, e.g. `Config::source(\"src/lib.rs\")`: the helper follows its `mod` declarations as the compiler does"
    )]
    NoCrateRoot {
        /// The folder.
        folder: PathBuf,
    },
}

/// What the front end saw: the manifest for the derive and the files read.
struct Seen {
    manifest: Manifest,
    files: Vec<PathBuf>,
}

/// Configuration, builder-style.
#[derive(Debug, Clone)]
pub struct Config {
    manifest_dir: Option<PathBuf>,
    sources: Vec<PathBuf>,
    snapshot: Option<PathBuf>,
    migrations: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    mode: Option<Mode>,
    cargo_output: bool,
    target: Target,
    cfg: Option<Cfg>,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    /// The planning result.
    pub crate_plan: CratePlan,
    /// The files of the new release, relative to the migrations folder (empty if no change).
    pub files: Vec<GeneratedFile>,
    /// The next snapshot's canonical text, when there is a plan.
    pub next_snapshot: Option<String>,
    /// Human-readable lines about what happened (also printed as cargo warnings).
    pub messages: Vec<String>,
    /// Sources that did not parse (planning was skipped).
    pub unparsable: Vec<PathBuf>,
}

/// Runs the helper with the default configuration; on failure prints the diagnostics and exits
/// with status 1 (no panic, no backtrace).
pub fn compile() {
    Config::new().run_or_exit();
}

impl Config {
    /// Defaults: sources `src/`, snapshot `migrate.snapshot.json`, migrations `migrations/`,
    /// all relative to `CARGO_MANIFEST_DIR`; the mode from the environment.
    pub fn new() -> Self {
        Self {
            manifest_dir: None,
            sources: Vec::new(),
            snapshot: None,
            migrations: None,
            out_dir: None,
            mode: None,
            cargo_output: true,
            target: Target::default(),
            cfg: None,
        }
    }

    /// The crate root (default: `CARGO_MANIFEST_DIR`).
    pub fn manifest_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.manifest_dir = Some(dir.into());
        self
    }

    /// A crate root whose module tree holds declarations (repeatable; default `src`). A file
    /// is a crate root (`src/lib.rs`); a folder holds them (`lib.rs`, `main.rs`, `bin/*.rs`,
    /// `bin/*/main.rs`). Its `mod` declarations are followed as the compiler follows them; a
    /// file none reaches is not read.
    pub fn source(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.sources.push(path.into());
        self
    }

    /// The snapshot file (default `migrate.snapshot.json`).
    pub fn snapshot(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.snapshot = Some(path.into());
        self
    }

    /// The migrations folder (default `migrations`).
    pub fn migrations_dir(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.migrations = Some(path.into());
        self
    }

    /// Where to write the generated Rust file (default `OUT_DIR`; none outside build scripts).
    pub fn out_dir(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(path.into());
        self
    }

    /// Overrides the mode chosen from the environment.
    pub fn mode(&mut self, mode: Mode) -> &mut Self {
        self.mode = Some(mode);
        self
    }

    /// The PostgreSQL version the plans target (default 15; at least 12). It decides, for
    /// example, whether views get `security_invoker`, and refuses CONCURRENTLY on 14.0–14.3.
    pub fn postgres_version(&mut self, version: &str) -> Result<&mut Self, Error> {
        self.target = Target::parse(version)
            .map_err(|why| Error::Config(ConfigError::PostgresVersion(why)))?;
        Ok(self)
    }

    /// The cfg set `#[cfg]` and `#[cfg_attr]` are evaluated with (default: what cargo tells
    /// the build script, [`Cfg::from_env`]).
    pub fn cfg(&mut self, cfg: Cfg) -> &mut Self {
        self.cfg = Some(cfg);
        self
    }

    /// Follows the module tree and returns what it declares, and the manifest the derive
    /// checks against; reads no snapshot and writes nothing.
    pub fn declarations(&self) -> Result<Declarations, Error> {
        let root = self.root()?;
        let cfg = self.cfg.clone().unwrap_or_else(Cfg::from_env);
        discover::crate_roots(&self.source_paths(&root))
            .and_then(|roots| discover::discover(&roots, &cfg))
    }

    /// Whether to print `cargo:` lines (default true; turn off outside build scripts).
    pub fn cargo_output(&mut self, on: bool) -> &mut Self {
        self.cargo_output = on;
        self
    }

    fn root(&self) -> Result<PathBuf, Error> {
        match &self.manifest_dir {
            Some(dir) => Ok(dir.clone()),
            None => std::env::var_os("CARGO_MANIFEST_DIR")
                .map(PathBuf::from)
                .ok_or(Error::Env("CARGO_MANIFEST_DIR")),
        }
    }

    fn resolve(&self, root: &Path, path: &Option<PathBuf>, default: &str) -> PathBuf {
        let path = path.clone().unwrap_or_else(|| PathBuf::from(default));
        if path.is_absolute() {
            path
        } else {
            root.join(path)
        }
    }

    /// The snapshot file's path.
    pub fn snapshot_path(&self) -> Result<PathBuf, Error> {
        Ok(self.resolve(&self.root()?, &self.snapshot, DEFAULT_FILE_NAME))
    }

    /// The migrations folder's path.
    pub fn migrations_path(&self) -> Result<PathBuf, Error> {
        Ok(self.resolve(&self.root()?, &self.migrations, "migrations"))
    }

    fn source_paths(&self, root: &Path) -> Vec<PathBuf> {
        if self.sources.is_empty() {
            vec![root.join("src")]
        } else {
            self.sources
                .iter()
                .map(|s| {
                    if s.is_absolute() {
                        s.clone()
                    } else {
                        root.join(s)
                    }
                })
                .collect()
        }
    }

    /// Plans without writing anything: reads sources and snapshot, returns the outcome.
    pub fn generate(&self) -> Result<Outcome, Error> {
        self.generate_from_accepted(None)
            .map(|(outcome, _, _, _)| outcome)
    }

    /// [`Config::generate`], also returning the accepted snapshot it read and, when `verify`
    /// gives the crate root and the migrations folder, the check of the generated files the
    /// snapshot lists. Those are read on a second thread while the sources are parsed; errors
    /// come out in the order of a sequential run: sources, snapshot, declarations; the check's
    /// result is the caller's to report after them.
    fn generate_from_accepted(
        &self,
        verify: Option<(&Path, &Path)>,
    ) -> Result<(Outcome, Snapshot, Result<(), Error>, Seen), Error> {
        let root = self.root()?;
        let snapshot_path = self.snapshot_path()?;
        // The snapshot lists generated files relative to the crate, so both must live in it.
        for (what, path) in [
            ("snapshot", &snapshot_path),
            ("migrations folder", &self.migrations_path()?),
        ] {
            if !normalized(path).starts_with(normalized(&root)) {
                return Err(Error::Config(ConfigError::OutsideCrate {
                    what,
                    path: path.clone(),
                    root: root.clone(),
                }));
            }
        }
        let read_sources = || self.declarations();
        let migrations_dir = self.migrations_path()?;
        let read_accepted = || match Snapshot::load(&snapshot_path) {
            // Deleted, not new: planning from nothing would start release 1 over beside them.
            Ok(None) if let Some(count) = migration_files(&migrations_dir) => (
                Err(Error::SnapshotMissing {
                    path: snapshot_path.clone(),
                    migrations: migrations_dir.clone(),
                    count,
                }),
                Ok(()),
            ),
            Ok(snapshot) => {
                let snapshot = snapshot.unwrap_or_default();
                let check = match verify {
                    Some((root, migrations)) => check_manifest(root, migrations, &snapshot),
                    None => Ok(()),
                };
                (Ok(snapshot), check)
            }
            Err(e) => (Err(Error::from(e)), Ok(())),
        };
        let (declarations, (snapshot, check)) = std::thread::scope(|scope| {
            match std::thread::Builder::new()
                .name("migrate-snapshot".into())
                .spawn_scoped(scope, read_accepted)
            {
                Ok(reader) => {
                    let declarations = read_sources();
                    let accepted = reader
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    (declarations, accepted)
                }
                // No thread to be had: one after the other.
                Err(_) => (read_sources(), read_accepted()),
            }
        });
        let mut declarations = declarations?;
        let snapshot = snapshot?;
        let outcome = self.plan_declarations(&root, &declarations, &snapshot)?;
        let seen = Seen {
            manifest: std::mem::take(&mut declarations.manifest),
            files: declarations.files.into_iter().map(|f| f.path).collect(),
        };
        Ok((outcome, snapshot, check, seen))
    }

    /// The planning stage proper: declarations and the accepted snapshot in, the plan, its
    /// rendered files and the next snapshot's text out. Reads and writes nothing.
    fn plan_declarations(
        &self,
        root: &Path,
        declarations: &Declarations,
        snapshot: &Snapshot,
    ) -> Result<Outcome, Error> {
        let mut messages = Vec::new();
        if !declarations.attribute_errors.is_empty() {
            // The derive reports these, spanned; planning without those declarations would
            // mistake them for drops.
            messages.push(format!(
                "no plan: {} attribute error(s) are reported as compile errors on the fields",
                declarations.attribute_errors.len()
            ));
            let crate_plan = CratePlan {
                diagnostics: Vec::new(),
                derive_errors: declarations.attribute_errors.len(),
                decisions: Vec::new(),
                plan: None,
                next_snapshot: None,
            };
            return Ok(Outcome {
                crate_plan,
                files: Vec::new(),
                next_snapshot: None,
                messages,
                unparsable: Vec::new(),
            });
        }
        if !declarations.unparsable.is_empty() {
            // Planning from part of the sources would take every declaration in the rest as dropped.
            let crate_plan = CratePlan {
                diagnostics: Vec::new(),
                derive_errors: 0,
                decisions: Vec::new(),
                plan: None,
                next_snapshot: None,
            };
            return Ok(Outcome {
                crate_plan,
                files: Vec::new(),
                next_snapshot: None,
                messages,
                unparsable: declarations.unparsable.clone(),
            });
        }
        let crate_plan = pipeline::plan_crate(
            snapshot,
            &declarations.tables,
            &declarations.enums,
            proc_macro2::Span::call_site(),
            self.target,
        );
        if !crate_plan.diagnostics.is_empty() {
            let mut rendered = String::new();
            for d in crate_plan.diagnostics.iter().take(MAX_REPORTED) {
                rendered.push_str(&report::render(d, &declarations.files));
                rendered.push('\n');
            }
            // Ten thousand errors help nobody: the first ones, then a count.
            if let Some(hidden) = crate_plan.diagnostics.len().checked_sub(MAX_REPORTED)
                && hidden > 0
            {
                rendered.push_str(&report::summary(
                    &crate_plan.diagnostics[MAX_REPORTED..],
                    crate_plan.diagnostics.len(),
                ));
                rendered.push('\n');
            }
            return Err(Error::Declarations {
                count: crate_plan.diagnostics.len(),
                rendered,
            });
        }
        let derive_errors = crate_plan.derive_errors + declarations.attribute_errors.len();
        if derive_errors > 0 {
            messages.push(format!(
                "no plan written: {derive_errors} declaration problem(s) are reported as compile errors on the fields"
            ));
        }
        for d in &crate_plan.decisions {
            if let Verdict::Allowed { reason, cost } = &d.verdict {
                messages.push(format!(
                    "UNSAFE change allowed ({}): {cost}; reason: {reason}",
                    d.catalog
                ));
            }
        }
        let (files, next_snapshot) = match (&crate_plan.plan, &crate_plan.next_snapshot) {
            (Some(plan), Some(next)) if derive_errors == 0 => {
                let files = render::render_release(plan);
                let mut generated = next.generated.clone();
                let prefix = relative(root, &self.migrations_path()?);
                for f in &files {
                    generated.insert(join(&prefix, &f.path), snapshot::content_hash(&f.content));
                }
                (files, Some(next.to_canonical_string_with(&generated)))
            }
            _ => (Vec::new(), None),
        };
        Ok(Outcome {
            crate_plan,
            files,
            next_snapshot,
            messages,
            unparsable: Vec::new(),
        })
    }

    /// Plans and writes according to the mode. Prints `cargo:` lines when enabled.
    pub fn run(&self) -> Result<Outcome, Error> {
        let root = self.root()?;
        let mode = match self.mode {
            Some(mode) => mode,
            None => Mode::from_env()?,
        };
        let snapshot_path = self.snapshot_path()?;
        let migrations = self.migrations_path()?;
        if self.cargo_output {
            for source in self.source_paths(&root) {
                println!("cargo:rerun-if-changed={}", source.display());
            }
            println!("cargo:rerun-if-changed={}", snapshot_path.display());
            println!("cargo:rerun-if-changed={}", migrations.display());
            println!("cargo:rerun-if-env-changed={ACCEPT_ENV}");
            println!("cargo:rerun-if-env-changed=CI");
            // The derive reads the snapshot from here, so both look at the same file.
            println!(
                "cargo:rustc-env=MIGRATE_SNAPSHOT={}",
                snapshot_path.display()
            );
        }

        let (mut outcome, mut accepted, manifest, mut seen) =
            self.generate_from_accepted(Some((&root, &migrations)))?;
        manifest?;
        if mode == Mode::Accept {
            let upgraded = upgrade_plan_data(&root, &migrations, &snapshot_path, &accepted)?;
            if !upgraded.is_empty() {
                // The snapshot's manifest changed: plan again from it.
                let manifest;
                (outcome, accepted, manifest, seen) =
                    self.generate_from_accepted(Some((&root, &migrations)))?;
                manifest?;
                outcome.messages.extend(upgraded);
            }
        }
        outcome
            .messages
            .extend(unreadable_plan_data(&root, &migrations));
        if self.cargo_output {
            // Files outside the watched sources (`#[path]` modules) rerun the helper too.
            let sources = self.source_paths(&root);
            for file in &seen.files {
                if !sources.iter().any(|s| file.starts_with(s)) {
                    println!("cargo:rerun-if-changed={}", file.display());
                }
            }
        }
        let mut wrote_snapshot = false;

        if !outcome.unparsable.is_empty() {
            let list: Vec<String> = outcome
                .unparsable
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            outcome.messages.push(format!(
                "no plan: not every source parses ({}); the compiler reports why",
                list.join(", ")
            ));
        } else if let (Some(plan), Some(next_snapshot)) =
            (&outcome.crate_plan.plan, &outcome.next_snapshot)
        {
            let pending_root = root.join(PENDING_DIR);
            let release = plan.release.number;
            match mode {
                Mode::Check => {
                    return Err(Error::Stale(Stale::Schema {
                        snapshot: snapshot_path,
                        release: StaleRelease {
                            number: release,
                            steps: plan
                                .steps
                                .iter()
                                .map(|s| (s.description.clone(), s.catalog.to_string()))
                                .collect(),
                        },
                    }));
                }
                Mode::Review => {
                    let pending_migrations = pending_root.join("migrations");
                    for f in &outcome.files {
                        write_if_changed(&pending_migrations.join(&f.path), &f.content)?;
                    }
                    let pending_snapshot =
                        pending_root.join(snapshot_path.file_name().unwrap_or_default());
                    write_if_changed(&pending_snapshot, next_snapshot)?;
                    outcome.messages.push(format!(
                        "release {release} is pending ({} step(s)): review {}/, then accept with `{ACCEPT_ENV}=1 cargo build`",
                        plan.steps.len(),
                        PENDING_DIR
                    ));
                }
                Mode::Accept => {
                    for f in &outcome.files {
                        let path = migrations.join(&f.path);
                        match std::fs::read_to_string(&path) {
                            Ok(existing) if existing != f.content => {
                                return Err(Error::Conflict { path });
                            }
                            _ => write_if_changed(&path, &f.content)?,
                        }
                    }
                    // The snapshot goes last: if anything above failed, nothing is accepted.
                    write_atomically(&snapshot_path, next_snapshot)?;
                    wrote_snapshot = true;
                    remove_pending(&pending_root)?;
                    outcome.messages.push(format!(
                        "accepted release {release}: {} file(s) in {}",
                        outcome.files.len(),
                        migrations.display()
                    ));
                }
            }
        } else if mode != Mode::Check && outcome.crate_plan.derive_errors == 0 {
            remove_pending(&root.join(PENDING_DIR))?;
        }

        if self.cargo_output {
            for m in &outcome.messages {
                println!("cargo:warning={m}");
            }
        }
        if let Some(out_dir) = self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
        {
            // Read again only when this run accepted a new snapshot.
            let accepted = if wrote_snapshot {
                Snapshot::load(&snapshot_path)?.unwrap_or_default()
            } else {
                accepted
            };
            let summary = outcome
                .crate_plan
                .plan
                .as_ref()
                .filter(|_| mode != Mode::Accept)
                .map(|plan| {
                    // The summary was rendered with the release's files; render it only if not.
                    let path = format!("{PLANS_DIR}/{:04}.md", plan.release.number);
                    match outcome.files.iter().find(|f| f.path == path) {
                        Some(file) => Cow::Borrowed(file.content.as_str()),
                        None => Cow::Owned(render::render_summary(plan)),
                    }
                });
            let pending = summary
                .as_deref()
                .zip(outcome.crate_plan.next_snapshot.as_ref())
                .map(|(summary, snapshot)| PendingRelease { summary, snapshot });
            // The derive binds its statements to the same release as `BINDING`.
            seen.manifest.binding = Some(binding_of(&accepted, pending));
            write_if_changed(
                &out_dir.join("migrate_schema.rs"),
                &generated_rust(&accepted, &migrations, pending)?,
            )?;
            let manifest_path = out_dir.join(MANIFEST_FILE);
            write_if_changed(&manifest_path, &seen.manifest.to_text())?;
            if self.cargo_output {
                println!("cargo:rustc-env={MANIFEST_ENV}={}", manifest_path.display());
            }
        }
        Ok(outcome)
    }

    /// [`Config::run`], printing the error and exiting with status 1 on failure.
    pub fn run_or_exit(&self) {
        if let Err(e) = self.run() {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// Warnings for accepted plan data (`plans/NNNN.json`) that this version's reader refuses,
/// such as files written before plans carried a format version, or whose backfills a runner
/// cannot walk (format 1). Outside accept mode they are never rewritten: the SQL files are the
/// accepted migrations, and the snapshot keeps checking both; the release still applies with
/// sqlx, only a runner cannot use its plan data.
fn unreadable_plan_data(root: &Path, migrations: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(migrations.join(PLANS_DIR)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let path = relative(root, &path);
            match Plan::from_json(&text) {
                Err(e) => Some(format!("{path}: {e}")),
                Ok(plan) if plan.backfills.iter().any(|b| !b.has_bounds()) => Some(format!(
                    "{path}: plan format {}: its backfills cannot be run by the runner (they have no bounds query and take the old batch parameters); convert the plan data with `{ACCEPT_ENV}=1 cargo build` (the release's SQL files are not changed)",
                    plan.format
                )),
                Ok(_) => None,
            }
        })
        .collect()
}

/// Accept mode: converts accepted plan data of an older format to the current one. Unversioned
/// data converts to format 1 only when that plan renders every other file of its release (SQL
/// migrations and summary) byte for byte as accepted; format 1 converts to format 2 (its
/// backfills get bounded batches, [`legacy::upgrade_format1`]) only when the release's SQL
/// files render byte for byte and its summary either does too or changes only in its backfill
/// SQL, in which case the summary is rewritten as well. Updates the snapshot's manifest for the
/// rewritten files. Plan data that does not convert exactly is left as it is (and reported).
fn upgrade_plan_data(
    root: &Path,
    migrations: &Path,
    snapshot_path: &Path,
    accepted: &Snapshot,
) -> Result<Vec<String>, Error> {
    let Ok(entries) = std::fs::read_dir(migrations.join(PLANS_DIR)) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut generated = accepted.generated.clone();
    let mut messages = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let (old, unversioned) = match Plan::from_json(&text) {
            Err(PlanReadError::Unversioned) => {
                match legacy::upgrade_unversioned(&text, &accepted.schema) {
                    Ok(plan) => (plan, true),
                    Err(_) => continue,
                }
            }
            Ok(plan) if plan.format < FORMAT_VERSION => (plan, false),
            _ => continue,
        };
        let key = relative(root, &path);
        // Only plan data the snapshot accepted: a file of a later release, or one its manifest
        // does not list, is nobody's accepted plan.
        if old.release.number > accepted.release.number || !accepted.generated.contains_key(&key) {
            continue;
        }
        let json_path = format!("{PLANS_DIR}/{:04}.json", old.release.number);
        let md_path = format!("{PLANS_DIR}/{:04}.md", old.release.number);
        if migrations.join(&json_path) != path {
            continue;
        }
        let on_disk = |file: &str| std::fs::read_to_string(migrations.join(file)).ok();
        // The older plan must render the release's files as accepted: then it describes them.
        let old_rendered = render::render_release(&old);
        let old_same = old.verify().is_ok()
            && old_rendered
                .iter()
                .filter(|f| f.path != json_path)
                .all(|f| on_disk(&f.path).as_deref() == Some(f.content.as_str()));
        if unversioned && !old_same {
            continue;
        }
        let plan = match legacy::upgrade_format1(&old) {
            Ok(plan) => plan,
            Err(e) => {
                messages.push(format!(
                    "{key}: plan format {} is kept as it is: {e}",
                    old.format
                ));
                continue;
            }
        };
        let rendered = render::render_release(&plan);
        let summary = |files: &[render::GeneratedFile]| {
            files
                .iter()
                .find(|f| f.path == md_path)
                .map(|f| f.content.clone())
        };
        let (old_summary, new_summary) = (summary(&old_rendered), summary(&rendered));
        let sql_same = plan.verify().is_ok()
            && rendered
                .iter()
                .filter(|f| f.path != json_path && f.path != md_path)
                .all(|f| on_disk(&f.path).as_deref() == Some(f.content.as_str()));
        let accepted_summary = on_disk(&md_path);
        let summary_same = accepted_summary == new_summary;
        // The summary may change only in its backfill SQL: the older plan rendered it as
        // accepted, and the two renderings agree outside their backfills.
        let summary_fills_only = old_same
            && accepted_summary == old_summary
            && old_summary.as_deref().map(without_backfills)
                == new_summary.as_deref().map(without_backfills);
        let (Some(json), Some(new_summary)) =
            (rendered.iter().find(|f| f.path == json_path), new_summary)
        else {
            continue;
        };
        if !sql_same || !(summary_same || summary_fills_only) {
            messages.push(format!(
                "{key}: plan format {} is kept as it is: converted, it does not render the release's accepted files",
                old.format
            ));
            continue;
        }
        write_atomically(&path, &json.content)?;
        generated.insert(key.clone(), snapshot::content_hash(&json.content));
        if summary_same {
            messages.push(format!(
                "{key}: converted to plan format {FORMAT_VERSION} (the release's SQL files and summary are unchanged)"
            ));
        } else {
            let md = migrations.join(&md_path);
            write_atomically(&md, &new_summary)?;
            let md_key = relative(root, &md);
            generated.insert(md_key.clone(), snapshot::content_hash(&new_summary));
            messages.push(format!(
                "{key}: converted to plan format {FORMAT_VERSION}, and {md_key} rewritten with its backfill SQL (the release's SQL files are unchanged)"
            ));
        }
    }
    if generated != accepted.generated {
        write_atomically(
            snapshot_path,
            &accepted.to_canonical_string_with(&generated),
        )?;
    }
    Ok(messages)
}

/// A plan summary without its backfills section (from `## Backfills` to the next `## `).
fn without_backfills(summary: &str) -> String {
    const HEADING: &str = "\n## Backfills\n";
    let Some(start) = summary.find(HEADING) else {
        return summary.to_owned();
    };
    let after = start + HEADING.len();
    let end = summary[after..]
        .find("\n## ")
        .map_or(summary.len(), |i| after + i);
    format!("{}{}", &summary[..start], &summary[end..])
}

/// How many `.sql` migration files the expand and contract folders hold, if any.
fn migration_files(migrations: &Path) -> Option<usize> {
    let count: usize = [
        migrations.to_path_buf(),
        migrations.join(render::CONTRACT_DIR),
    ]
    .iter()
    .filter_map(|dir| std::fs::read_dir(dir).ok())
    .map(|entries| {
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| file_release(n).is_some())
            })
            .count()
    })
    .sum();
    (count > 0).then_some(count)
}

/// The release a generated migration file belongs to, read from its name in the layout the
/// renderer writes (`RRRRSSS_description.sql`: four digits of release, three of sequence);
/// `None` for any other file.
fn file_release(path: &str) -> Option<u32> {
    let name = path.rsplit('/').next()?;
    let generated = name.len() > 12
        && name.as_bytes()[..7].iter().all(u8::is_ascii_digit)
        && name.as_bytes()[7] == b'_'
        && name.ends_with(".sql");
    generated.then(|| name[..4].parse().ok()).flatten()
}

/// Every generated file listed in the snapshot must exist with the accepted content.
fn check_manifest(root: &Path, migrations: &Path, accepted: &Snapshot) -> Result<(), Error> {
    let mut problems = Vec::new();
    // A migration file no accepted release generated would still be run by sqlx.
    for dir in [
        migrations.to_path_buf(),
        migrations.join(render::CONTRACT_DIR),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut unknown: Vec<String> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sql"))
            .map(|p| relative(root, &p))
            .filter(|p| !accepted.generated.contains_key(p))
            .collect();
        unknown.sort();
        for path in unknown {
            match file_release(&path) {
                Some(release) if release > accepted.release.number => {
                    problems.push(FileProblem::AfterSnapshot {
                        path,
                        release,
                        accepted: accepted.release.number,
                    });
                }
                _ => problems.push(FileProblem::NotGenerated { path }),
            }
        }
    }
    for (path, hash) in &accepted.generated {
        match std::fs::read_to_string(root.join(path)) {
            Ok(content) if snapshot::content_hash(&content) == *hash => {}
            Ok(_) => problems.push(FileProblem::Edited { path: path.clone() }),
            Err(_) => problems.push(FileProblem::Missing { path: path.clone() }),
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::Stale(Stale::Files(problems)))
}

/// A plan waiting for review, as the generated file sees it.
#[derive(Debug, Clone, Copy)]
pub struct PendingRelease<'a> {
    /// Its summary.
    pub summary: &'a str,
    /// The snapshot accepting it would write.
    pub snapshot: &'a Snapshot,
}

/// The release the accessors bind to (see [`migrate_core::access::Binding::decide`]).
fn binding_of(accepted: &Snapshot, pending: Option<PendingRelease<'_>>) -> Binding {
    Binding::decide(&accepted.release, pending.map(|p| &p.snapshot.release))
}

/// The Rust file `include_schema!()` pulls in.
fn generated_rust(
    accepted: &Snapshot,
    migrations: &Path,
    pending: Option<PendingRelease<'_>>,
) -> Result<String, Error> {
    let plans = migrations.join(PLANS_DIR);
    let mut summaries = Vec::new();
    if plans.is_dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&plans)
            .map_err(|source| Error::Io {
                path: plans.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        names.sort();
        for name in names {
            summaries.push(std::fs::read_to_string(&name).map_err(|source| Error::Io {
                path: name.clone(),
                source,
            })?);
        }
    }
    let summary = summaries.join("\n");
    let mut module = GeneratedModule::new();
    module.push(SchemaConstants {
        release: accepted.release.number,
        views_schema: &accepted.release.views_schema,
        plan_summary: &summary,
        pending: pending.map(|p| p.summary),
    });
    let files = embedded_plan_files(accepted, &plans)?;
    module.push(EmbeddedPlans { files: &files });
    let bound = pending.map_or(accepted, |p| p.snapshot);
    let mut views: Vec<String> = bound
        .schema
        .tables
        .values()
        .map(|t| t.name.name.clone())
        .collect();
    views.sort_unstable();
    views.dedup();
    let label = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    module.push(BindingConstant {
        binding: &binding_of(accepted, pending),
        views: &views,
        label: &label,
    });
    Ok(module.render()?)
}

/// The accepted releases' plan files, in release order, as absolute paths for
/// `include_str!`. A release without one (accepted before plans were written) is skipped;
/// the runner then refuses the gap by name.
fn embedded_plan_files(accepted: &Snapshot, plans: &Path) -> Result<Vec<String>, Error> {
    let mut files = Vec::new();
    for number in 1..=accepted.release.number {
        let path = plans.join(format!("{number:04}.json"));
        if !path.is_file() {
            continue;
        }
        let absolute = std::fs::canonicalize(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let Some(text) = absolute.to_str() else {
            return Err(Error::Io {
                path: absolute.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the path is not UTF-8, so include_str! cannot name it; move the project to a UTF-8 path",
                ),
            });
        };
        files.push(text.to_owned());
    }
    Ok(files)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_owned()
    } else {
        format!("{prefix}/{path}")
    }
}

/// Writes only when the content differs, so mtimes (and rebuilds) stay put.
fn write_if_changed(path: &Path, content: &str) -> Result<(), Error> {
    if std::fs::read_to_string(path).is_ok_and(|existing| existing == content) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            path: parent.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, content).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// Writes through a temporary file and a rename, so a crash never leaves half a snapshot.
fn write_atomically(path: &Path, content: &str) -> Result<(), Error> {
    let tmp = path.with_extension("json.tmp");
    write_if_changed(&tmp, content)?;
    std::fs::rename(&tmp, path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

fn remove_pending(dir: &Path) -> Result<(), Error> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            path: dir.to_owned(),
            source,
        }),
    }
}

/// A path with `.` and `..` folded away (without touching the file system).
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{FileProblem, PLANS_DIR, Snapshot, Stale, StaleRelease, generated_rust, switch};

    #[test]
    fn stale_reports_read_as_one_text_with_their_help() {
        let files = Stale::Files(vec![
            FileProblem::AfterSnapshot {
                path: "migrations/0002001_a.sql".into(),
                release: 2,
                accepted: 1,
            },
            FileProblem::NotGenerated {
                path: "migrations/0001999_by_hand.sql".into(),
            },
            FileProblem::Edited {
                path: "migrations/0001001_b.sql".into(),
            },
            FileProblem::Missing {
                path: "migrations/0001002_c.sql".into(),
            },
        ]);
        assert_eq!(
            files.to_string(),
            "error: generated migration files differ from what the snapshot accepted:\n    - migrations/0002001_a.sql belongs to release 2, after the snapshot's release 1\n    - migrations/0001999_by_hand.sql was not generated by any accepted release\n    - migrations/0001001_b.sql was edited after it was accepted\n    - migrations/0001002_c.sql is missing\n  help: restore edited or missing files from version control (`git checkout -- <file>`): accepted migrations may already have run somewhere, so they are never rewritten\n  help: the snapshot is older than the migration files, as after a revert: restore the snapshot that accepted them (`git log -- migrate.snapshot.json`) rather than deleting migrations that may have run\n  help: a file no release generated (written by hand?) would be run by sqlx too: move it out of the migrations folder"
        );
        let edited = Stale::Files(vec![FileProblem::Edited {
            path: "m/x.sql".into(),
        }]);
        assert!(!edited.to_string().contains("revert") && !edited.to_string().contains("sqlx"));
        let schema = Stale::Schema {
            snapshot: PathBuf::from("/c/migrate.snapshot.json"),
            release: StaleRelease {
                number: 2,
                steps: vec![("add column `users.age`".into(), "C1".into())],
            },
        };
        assert_eq!(
            schema.to_string(),
            "error: the declared schema differs from the accepted snapshot /c/migrate.snapshot.json\n  release 2 would run 1 step(s):\n    - add column `users.age` (C1)\n  help: run `MIGRATE_ACCEPT=1 cargo build` locally, review the migration files and commit them with the snapshot\n  note: with CI set, nothing is written"
        );
    }

    #[test]
    fn plan_summaries_read_from_disk_reach_the_generated_file_as_inert_literals() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let plans = dir.path().join(PLANS_DIR);
        std::fs::create_dir_all(&plans).expect("plans folder");
        let hostile = "# Release 1\n\"; } pub fn evil() {} const _: &str = \"\n\"# */ \u{0}\n";
        std::fs::write(plans.join("0001.md"), hostile).expect("a summary");
        let pending = "pending \"# */\n";
        let next = Snapshot::default();
        let text = generated_rust(
            &Snapshot::default(),
            dir.path(),
            Some(super::PendingRelease {
                summary: pending,
                snapshot: &next,
            }),
        )
        .expect("generates");
        let file = syn::parse_file(&text).expect("the generated file parses");
        assert_eq!(file.items.len(), 6, "{text}");
        assert!(text.contains("pub const PLANS: &[&str] = &[];"), "{text}");
        let summary = file.items.iter().find_map(|item| match item {
            syn::Item::Const(c) if c.ident == "PLAN_SUMMARY" => match &*c.expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        });
        assert_eq!(summary.as_deref(), Some(hostile));
        assert!(text.contains("fn evil") && !text.contains('\u{0}'));
    }

    #[test]
    fn migrate_accept_no_and_off_do_not_accept_and_unknown_values_are_errors() {
        for yes in ["1", "true", "TRUE", "yes", "on", " On "] {
            assert_eq!(switch(yes), Some(true), "{yes}");
        }
        for no in ["", "0", "false", "no", "off", "OFF"] {
            assert_eq!(switch(no), Some(false), "{no}");
        }
        for unknown in ["2", "accept", "y", "n", "nope", "-1"] {
            assert_eq!(switch(unknown), None, "{unknown}");
        }
    }
}
