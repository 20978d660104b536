//! Cargo-level overhead: `cargo bench -p migrate-build --bench cargo_overhead`.
//!
//! What a user pays in `cargo build`/`cargo check` for the build helper and the derive, each
//! against the naive form of the same crate measured in the same run. Figures are medians of
//! several runs, the two forms interleaved; the ratio matters more than the absolute times,
//! because this machine is shared and noisy.
//!
//! A. `examples/shop`, copied twice: as it is (build.rs calling `migrate_build::compile()`),
//!    and without the build script (the derive then reads `migrate.snapshot.json` beside the
//!    manifest; the constants `include_schema!()` would bring are inlined). Timed: a no-change
//!    `cargo build` (cargo does not rerun the build script: `rerun-if-changed`), and an edit of
//!    `src/schema.rs` (a comment line) followed by `cargo build`, which reruns it.
//!
//! B. A generated crate of 200 structs × 10 fields (i64 identity key, a foreign key to the
//!    previous table with an index, `String`, `Option<String>`, `i32` and `bool` with defaults,
//!    `chrono::DateTime`s, …) deriving `Table` against its accepted snapshot, against the same
//!    structs without the derive and without the attributes; and the derived crate again with
//!    the build helper. Timed: a comment line edited in the source, then `cargo check` (the
//!    dependencies are already checked, so only this crate is). Two more forms show the floor
//!    under the ratio, which no derive avoids: the naive crate depending on `migrate-runtime`
//!    (loading the crates), and the naive crate with the derive's `impl Table` written by hand
//!    (checking what the derive emits).
//!
//! The generated crates live in a temporary folder, have their own `[workspace]` table, the
//! workspace's `Cargo.lock` and `rust-toolchain.toml`, and depend on the workspace crates by
//! absolute path. They share one target folder, `<target>/cargo-overhead` (or
//! `CARGO_OVERHEAD_TARGET_DIR`), kept between runs, so dependencies are built once; the warm-up
//! builds are not timed.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use migrate_build::{Config, Mode};

const RUNS: usize = 9;
const STRUCTS: usize = 200;

/// Dependency lines, as the workspace declares them (`Cargo.lock` pins the versions).
const CHRONO: &str =
    r#"chrono = { version = "0.4", default-features = false, features = ["clock", "std"] }"#;

const SQLX: &str =
    r#"sqlx = { version = "0.8", default-features = false, features = ["postgres", "chrono"] }"#;
const SQLX_DERIVE: &str = r#"sqlx = { version = "0.8", default-features = false, features = ["postgres", "chrono", "derive"] }"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// `CARGO_OVERHEAD_TARGET_DIR`, else `cargo-overhead` in the target folder this bench runs from
/// (`<target>/release/deps/cargo_overhead-…`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_OVERHEAD_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the bench's path");
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace().join("target"));
    target.join("cargo-overhead")
}

struct Cargo {
    bin: OsString,
    target_dir: PathBuf,
}

impl Cargo {
    fn new() -> Self {
        Self {
            bin: std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
            target_dir: target_dir(),
        }
    }

    /// Runs `cargo <args>` in `dir`; panics with cargo's output if it fails.
    fn run(&self, dir: &Path, args: &[&str]) -> Duration {
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            // Review mode, the local default, and the derive reading the crate's own snapshot.
            .env_remove("MIGRATE_ACCEPT")
            .env_remove("CI")
            .env_remove("MIGRATE_SNAPSHOT")
            .env_remove("CARGO_MAKEFLAGS");
        let start = Instant::now();
        let output = command.output().expect("cargo runs");
        let elapsed = start.elapsed();
        if !output.status.success() {
            panic!(
                "`cargo {}` failed in {}:\n{}",
                args.join(" "),
                dir.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        elapsed
    }
}

/// A generated crate: its folder and the source file edited between timed runs.
struct Crate {
    dir: PathBuf,
    edited: PathBuf,
    original: String,
}

impl Crate {
    /// A one-line comment change: the content differs from every earlier run.
    fn edit(&self, run: usize) {
        write(&self.edited, &format!("{}// edit {run}\n", self.original));
    }
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folder");
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The manifest, with its own `[workspace]`, and the workspace's lock file and toolchain.
fn manifest(
    dir: &Path,
    name: &str,
    lib: bool,
    dependencies: &[String],
    helper: bool,
    optimized_build_deps: bool,
) {
    let ws = workspace();
    let mut text = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n"
    );
    if lib {
        text.push_str("[lib]\npath = \"src/lib.rs\"\n\n");
    }
    text.push_str("[dependencies]\n");
    for d in dependencies {
        let _ = writeln!(text, "{d}");
    }
    if helper {
        let _ = write!(
            text,
            "\n[build-dependencies]\nmigrate-build = {{ path = {:?} }}\n",
            ws.join("migrate-build")
        );
    }
    if optimized_build_deps {
        // Build scripts and proc macros (the helper, the derive, and what they use) optimised.
        text.push_str("\n[profile.dev.build-override]\nopt-level = 3\n");
    }
    text.push_str("\n[workspace]\n");
    write(&dir.join("Cargo.toml"), &text);
    for file in ["Cargo.lock", "rust-toolchain.toml"] {
        std::fs::copy(ws.join(file), dir.join(file)).expect("copy from the workspace");
    }
}

fn runtime_dependency() -> String {
    format!(
        "migrate-runtime = {{ path = {:?} }}",
        workspace().join("migrate-runtime")
    )
}

fn build_script(dir: &Path) {
    write(
        &dir.join("build.rs"),
        "fn main() {\n    migrate_build::compile();\n}\n",
    );
}

/// `examples/shop` as it is, or without its build script.
fn shop(root: &Path, helper: bool) -> Crate {
    let example = workspace().join("examples/shop");
    let name = if helper { "shop-helper" } else { "shop-plain" };
    let dir = root.join(name);
    copy_dir(&example.join("src"), &dir.join("src"));
    copy_dir(&example.join("migrations"), &dir.join("migrations"));
    std::fs::copy(
        example.join("migrate.snapshot.json"),
        dir.join("migrate.snapshot.json"),
    )
    .expect("copy the snapshot");
    // The example's own dependencies, as the workspace declares them.
    let dependencies = [
        CHRONO.to_owned(),
        runtime_dependency(),
        "serde_json = \"1\"".to_owned(),
        "uuid = \"1\"".to_owned(),
        r#"clap = { version = "4", features = ["derive"] }"#.to_owned(),
        r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#.to_owned(),
        r#"tracing-subscriber = { version = "0.3", default-features = false, features = ["fmt", "ansi"] }"#.to_owned(),
        r#"sqlx = { version = "0.8", default-features = false, features = ["runtime-tokio", "postgres", "uuid", "chrono", "json"] }"#.to_owned(),
    ];
    manifest(&dir, name, false, &dependencies, helper, false);
    if helper {
        build_script(&dir);
    } else {
        // What the helper writes to OUT_DIR, generated once and checked in instead.
        let out = dir.join("generated");
        Config::new()
            .manifest_dir(&dir)
            .out_dir(&out)
            .cargo_output(false)
            .mode(Mode::Check)
            .run()
            .expect("the example's snapshot is current");
        std::fs::rename(
            out.join("migrate_schema.rs"),
            dir.join("src/migrate_schema.rs"),
        )
        .expect("move the generated constants");
        std::fs::remove_dir_all(out).expect("remove the scratch folder");
        let main = dir.join("src/main.rs");
        let text = std::fs::read_to_string(&main).expect("read main.rs");
        let inlined = "include!(\"migrate_schema.rs\");";
        let replaced = text.replace("migrate_runtime::include_schema!();", inlined);
        assert!(
            replaced.contains(inlined),
            "main.rs calls include_schema!()"
        );
        write(&main, &replaced);
    }
    let edited = dir.join("src/schema.rs");
    let original = std::fs::read_to_string(&edited).expect("read schema.rs");
    Crate {
        dir,
        edited,
        original,
    }
}

/// How the 200 structs are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// No derive, no attributes, no dependency on the migrate crates: the naive form.
    Plain,
    /// The same, in a crate that depends on `migrate-runtime` (which an application using the
    /// derive does anyway): what loading the crates costs, with no derive at all.
    PlainWithRuntime,
    /// No derive, but the `impl Table` the derive emits written out by hand: what its constants
    /// cost to check, without running the macro (the accessors' impls are not written out).
    HandWritten,
    /// `#[derive(Table)]` with its attributes (and, since issue 11, the accessors it generates).
    Derive,
    /// `#[derive(sqlx::FromRow)]` and no attributes: what sqlx's own derive costs, the bar the
    /// accessors are held to.
    FromRow,
}

/// 200 structs × 10 fields in the given form.
fn structs_source(form: Form) -> String {
    let derive = form == Form::Derive;
    let mut s = String::from("#![allow(dead_code)]\n\nuse chrono::Utc;\n");
    match form {
        Form::Plain => {}
        Form::PlainWithRuntime | Form::HandWritten => s.push_str("use migrate_runtime as _;\n"),
        Form::Derive => s.push_str("use migrate_runtime::Table;\n"),
        Form::FromRow => {}
    }
    s.push('\n');
    let attr = |s: &mut String, text: &str| {
        if derive {
            let _ = writeln!(s, "    #[migrate({text})]");
        }
    };
    for t in 0..STRUCTS {
        if form == Form::FromRow {
            s.push_str("#[derive(sqlx::FromRow)]\n");
        }
        if derive {
            let _ = writeln!(
                s,
                "#[derive(Table)]\n#[migrate(table_name = \"table_{t}\")]"
            );
        }
        let _ = writeln!(s, "pub struct Table{t} {{");
        attr(&mut s, "primary_key, identity");
        s.push_str("    pub id: i64,\n");
        if t > 0 {
            attr(&mut s, &format!("references = \"table_{}\", index", t - 1));
        }
        s.push_str("    pub parent_id: Option<i64>,\n");
        attr(&mut s, "column_type = \"varchar(80)\"");
        s.push_str("    pub name: String,\n");
        s.push_str("    pub description: Option<String>,\n");
        attr(&mut s, "default = \"0\"");
        s.push_str("    pub quantity: i32,\n");
        attr(&mut s, "default = \"true\"");
        s.push_str("    pub active: bool,\n");
        attr(&mut s, "default = \"now()\"");
        s.push_str("    pub created_at: chrono::DateTime<Utc>,\n");
        s.push_str("    pub updated_at: Option<chrono::DateTime<Utc>>,\n");
        s.push_str("    pub score: Option<f64>,\n");
        s.push_str("    pub note: String,\n");
        s.push_str("}\n\n");
        if form == Form::HandWritten {
            let _ = writeln!(
                s,
                "impl migrate_runtime::Table for Table{t} {{\n    const SCHEMA: &'static str = \"public\";\n    const TABLE: &'static str = \"table_{t}\";\n    const COLUMNS: &'static [&'static str] = &[\"id\", \"parent_id\", \"name\", \"description\", \"quantity\", \"active\", \"created_at\", \"updated_at\", \"score\", \"note\"];\n    const VIEW: &'static str = \"\\\"release_0001\\\".\\\"table_{t}\\\"\";\n}}\n"
            );
        }
    }
    s
}

/// The generated crate of 200 structs; with the derive, its snapshot is accepted first.
fn structs(root: &Path, form: Form, helper: bool, optimized: bool) -> Crate {
    let name = match (form, helper, optimized) {
        (Form::Plain, _, _) => "structs-plain",
        (Form::PlainWithRuntime, _, _) => "structs-plain-runtime",
        (Form::HandWritten, _, _) => "structs-hand-written",
        (Form::FromRow, _, _) => "structs-from-row",
        (Form::Derive, false, false) => "structs-derive",
        (Form::Derive, true, false) => "structs-derive-helper",
        (Form::Derive, false, true) => "structs-derive-optimized",
        (Form::Derive, true, true) => "structs-derive-helper-optimized",
    };
    let dir = root.join(name);
    let edited = dir.join("src/lib.rs");
    let original = structs_source(form);
    write(&edited, &original);
    let mut dependencies = vec![CHRONO.to_owned()];
    if !matches!(form, Form::Plain | Form::FromRow) {
        dependencies.push(runtime_dependency());
    }
    // The accessors and FromRow need sqlx to know chrono's types.
    match form {
        Form::Derive => dependencies.push(SQLX.to_owned()),
        Form::FromRow => dependencies.push(SQLX_DERIVE.to_owned()),
        _ => {}
    }
    if form == Form::Derive {
        let outcome = Config::new()
            .manifest_dir(&dir)
            .out_dir(dir.join("scratch"))
            .cargo_output(false)
            .mode(Mode::Accept)
            .run()
            .expect("accepts the generated schema");
        assert_eq!(
            outcome.crate_plan.plan.map(|p| p.changes.len()),
            Some(STRUCTS)
        );
        std::fs::remove_dir_all(dir.join("scratch")).expect("remove the scratch folder");
    }
    manifest(&dir, name, true, &dependencies, helper, optimized);
    if helper {
        build_script(&dir);
    }
    Crate {
        dir,
        edited,
        original,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Times `cargo <args>` for each crate, `RUNS` times, interleaved; `edit` changes the edited
/// file before each run. Returns the medians in the order of `crates`.
fn measure(cargo: &Cargo, crates: &[&Crate], args: &[&str], edit: bool) -> Vec<Duration> {
    let mut samples = vec![Vec::new(); crates.len()];
    for run in 0..RUNS {
        for (c, samples) in crates.iter().zip(&mut samples) {
            if edit {
                c.edit(run);
            }
            samples.push(cargo.run(&c.dir, args));
        }
    }
    samples.into_iter().map(median).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn line(label: &str, d: Duration) {
    println!("  {label:<46} {:>8.0} ms", ms(d));
}

fn compared(label: &str, d: Duration, naive: Duration) {
    println!(
        "  {label:<46} {:>8.0} ms  ({:.2}x the naive form, {:+.3} s)",
        ms(d),
        d.as_secs_f64() / naive.as_secs_f64(),
        d.as_secs_f64() - naive.as_secs_f64()
    );
}

fn main() {
    let cargo = Cargo::new();
    let tmp = tempfile::tempdir().expect("temporary folder");
    // `CARGO_OVERHEAD_KEEP=1` keeps the generated crates, to profile them by hand.
    let root = if std::env::var_os("CARGO_OVERHEAD_KEEP").is_some() {
        tmp.keep()
    } else {
        tmp.path().to_path_buf()
    };
    let root = root.as_path();
    eprintln!(
        "cargo_overhead: crates in {}, target folder {}",
        root.display(),
        cargo.target_dir.display()
    );

    let shop_helper = shop(root, true);
    let shop_plain = shop(root, false);
    let structs_plain = structs(root, Form::Plain, false, false);
    let structs_runtime = structs(root, Form::PlainWithRuntime, false, false);
    let structs_hand = structs(root, Form::HandWritten, false, false);
    let structs_derive = structs(root, Form::Derive, false, false);
    let structs_helper = structs(root, Form::Derive, true, false);
    let structs_derive_opt = structs(root, Form::Derive, false, true);
    let structs_helper_opt = structs(root, Form::Derive, true, true);
    let structs_from_row = structs(root, Form::FromRow, false, false);

    // Warm-up, not timed: dependencies, the build scripts, and a first incremental build of
    // every crate, edited once so the timed runs start from the same state.
    eprintln!("cargo_overhead: warming up (the first run builds the dependencies)");
    let shops = [&shop_helper, &shop_plain];
    let all_structs = [
        &structs_plain,
        &structs_runtime,
        &structs_hand,
        &structs_derive,
        &structs_helper,
        &structs_derive_opt,
        &structs_helper_opt,
        &structs_from_row,
    ];
    for c in shops {
        cargo.run(&c.dir, &["build"]);
        c.edit(RUNS);
        cargo.run(&c.dir, &["build"]);
    }
    for c in all_structs {
        cargo.run(&c.dir, &["check"]);
        c.edit(RUNS);
        cargo.run(&c.dir, &["check"]);
    }
    eprintln!("cargo_overhead: timing, {RUNS} runs each");

    let build = ["build", "--offline"];
    let check = ["check", "--offline"];
    let no_change = measure(&cargo, &shops, &build, false);
    let edited = measure(&cargo, &shops, &build, true);
    let checked = measure(&cargo, &all_structs, &check, true);

    println!(
        "cargo overhead (median of {RUNS} runs; ratios to the naive form measured in the same run)"
    );
    println!("A. examples/shop, `cargo build` (target: the helper adds <= 0.2 s)");
    line("no change, without the build helper (naive)", no_change[1]);
    compared(
        "no change, with the build helper",
        no_change[0],
        no_change[1],
    );
    line("schema.rs edited, without the helper (naive)", edited[1]);
    compared(
        "schema.rs edited, with the build helper",
        edited[0],
        edited[1],
    );
    println!(
        "B. {STRUCTS} structs x 10 fields, `cargo check` after an edit (target: derive <= 1.3x)"
    );
    let naive = checked[0];
    line("no derive, no attributes (naive)", naive);
    compared("#[derive(Table)]", checked[3], naive);
    compared("#[derive(Table)] and the build helper", checked[4], naive);
    println!(
        "   the same with `[profile.dev.build-override] opt-level = 3` (macros and helper optimised)"
    );
    compared("#[derive(Table)], optimised", checked[5], naive);
    compared(
        "#[derive(Table)] and the build helper, optimised",
        checked[6],
        naive,
    );
    println!("   what no derive can avoid: the floor under the ratio");
    compared("naive, depending on migrate-runtime", checked[1], naive);
    compared(
        "naive + the derive's impls written by hand",
        checked[2],
        naive,
    );
    println!("   sqlx's own derive, the bar for the accessors (target: the derive costs no more)");
    compared("#[derive(sqlx::FromRow)]", checked[7], naive);
    compared(
        "#[derive(Table)] against #[derive(sqlx::FromRow)]",
        checked[3],
        checked[7],
    );
    println!("   the derive against the naive crate that depends on migrate-runtime");
    compared("#[derive(Table)]", checked[3], checked[1]);
    compared("#[derive(Table)], optimised", checked[5], checked[1]);
}
