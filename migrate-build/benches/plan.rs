//! Planning cost: `cargo bench -p migrate-build --bench plan`.
//!
//! A crate declaring 1,000 tables × 20 columns (with an index and a foreign key each) is planned
//! against an empty snapshot (every table new) and against its own accepted snapshot (no change:
//! what every `cargo build` pays). Each stage is timed on its own, on the output of the stage
//! before it, then the planning stage proper (declarations and snapshot in memory → plan,
//! rendered files and next snapshot text) and the whole build-helper run.
//!
//! The floor, measured in the same run, is parsing the same sources with syn and nothing else.
//! Every figure is the median of several runs (`MIGRATE_BENCH_RUNS`, default 7) and is reported
//! with its ratio to that floor, because this machine is shared and noisy. A stage's output is
//! dropped after its clock stops (it would go on to the next stage); the helper runs, like the
//! floor, include dropping everything they built.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use migrate_build::{Config, Mode, stages};
use migrate_core::decide;
use migrate_core::declare::NameIndex;
use migrate_core::diff;
use migrate_core::pipeline;
use migrate_core::plan::{self, PlanInput, Target};
use migrate_core::render;
use migrate_core::snapshot::{self, Snapshot};

const TABLES: usize = 1_000;
const COLUMNS: usize = 20;
/// What the planning stage proper should cost on this crate.
const TARGET_MS: f64 = 50.0;

fn source() -> String {
    let mut s = String::new();
    for t in 0..TABLES {
        let _ = writeln!(
            s,
            "#[derive(Table)]\n#[migrate(table_name = \"table_{t}\")]\n#[migrate(index(columns(c1, c2)))]\nstruct Table{t} {{"
        );
        let _ = writeln!(s, "    #[migrate(primary_key, identity)]\n    id: i64,");
        if t > 0 {
            let _ = writeln!(
                s,
                "    #[migrate(references = \"table_{}\")]\n    parent_id: Option<i64>,",
                t - 1
            );
        }
        for c in 1..COLUMNS - 1 {
            match c % 4 {
                0 => {
                    let _ = writeln!(s, "    c{c}: Option<String>,");
                }
                1 => {
                    let _ = writeln!(s, "    #[migrate(default = \"0\")]\n    c{c}: i32,");
                }
                2 => {
                    let _ = writeln!(
                        s,
                        "    #[migrate(column_type = \"varchar(80)\")]\n    c{c}: String,"
                    );
                }
                _ => {
                    let _ = writeln!(s, "    c{c}: Option<chrono::DateTime<chrono::Utc>>,");
                }
            }
        }
        let _ = writeln!(s, "}}\n");
    }
    s
}

fn runs() -> usize {
    std::env::var("MIGRATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(7)
}

/// Times `f` `runs()` times, each run on a fresh input from `setup` (not timed); the output is
/// dropped after the clock stops.
fn samples_with<S, T>(mut setup: impl FnMut() -> S, mut f: impl FnMut(S) -> T) -> Vec<Duration> {
    (0..runs())
        .map(|_| {
            let input = setup();
            let start = Instant::now();
            let output = std::hint::black_box(f(input));
            let elapsed = start.elapsed();
            drop(output);
            elapsed
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median time of `f` on fresh inputs from `setup`.
fn time_with<S, T>(setup: impl FnMut() -> S, f: impl FnMut(S) -> T) -> Duration {
    median(samples_with(setup, f))
}

fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    time_with(|| (), |()| f())
}

/// Rows are printed at the end, against the floor sampled at the start, the middle and the
/// end of the run (so one busy moment on the machine does not skew every ratio).
#[derive(Default)]
struct Report {
    floor_samples: Vec<Duration>,
    lines: Vec<Line>,
}

enum Line {
    Section(String),
    Row(String, Duration),
    Floor,
}

impl Report {
    fn sample_floor(&mut self, text: &str) {
        // The syntax tree is dropped inside the timing, as the helper drops it.
        self.floor_samples.extend(samples_with(
            || (),
            |()| {
                syn::parse_file(text).expect("parses");
            },
        ));
    }

    fn floor(&self) -> Duration {
        median(self.floor_samples.clone())
    }

    fn section(&mut self, title: &str) {
        self.lines.push(Line::Section(title.to_owned()));
    }

    fn row(&mut self, name: &str, what: &str, d: Duration) {
        self.lines
            .push(Line::Row(format!("  {name:<22} {what:<58}"), d));
    }

    fn floor_row(&mut self) {
        self.lines.push(Line::Floor);
    }

    fn print(&self) {
        let floor = self.floor();
        let row = |text: &str, d: Duration| {
            println!(
                "{text} {:>8.1} ms {:>6.2}x",
                ms(d),
                d.as_secs_f64() / floor.as_secs_f64()
            )
        };
        for line in &self.lines {
            match line {
                Line::Section(title) => println!("\n{title}"),
                Line::Row(text, d) => row(text, *d),
                Line::Floor => row(
                    &format!(
                        "  {:<22} {:<58}",
                        "parse (floor)", "syn::parse_file of the sources, tree dropped"
                    ),
                    floor,
                ),
            }
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn kib(bytes: usize) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    let text = source();
    std::fs::write(root.join("src/schema.rs"), &text).unwrap();
    std::fs::write(root.join("src/lib.rs"), "mod schema;\n").unwrap();
    let config = |mode| {
        let mut c = Config::new();
        c.manifest_dir(root)
            .out_dir(root.join("out"))
            .cargo_output(false)
            .mode(mode);
        c
    };
    let migrations = root.join("migrations");
    let snapshot_path = root.join(snapshot::DEFAULT_FILE_NAME);
    let span = proc_macro2::Span::call_site;
    let target = Target::default();

    // Inputs of each stage, computed once.
    let file = syn::parse_file(&text).expect("parses");
    let declarations = stages::declare(file.clone());
    let (tables, enums) = (&declarations.tables, &declarations.enums);
    assert_eq!(tables.len(), TABLES);
    let empty = Snapshot::default();

    let mut report = Report::default();
    report.sample_floor(&text);
    report.section("front end (both cases): Rust source → declarations");
    report.floor_row();
    report.row(
        "declare",
        "#[migrate] attributes → declarations (derive's parser)",
        time_with(|| file.clone(), stages::declare),
    );
    let sources = [root.join("src/schema.rs")];
    report.row(
        "front end",
        "read + parse + declare, as the helper runs them",
        time(|| stages::discover(&sources).expect("reads")),
    );

    // ---- every table new ----
    let crate_plan = pipeline::plan_crate(&empty, tables, enums, span(), target);
    let new_plan = crate_plan.plan.as_ref().expect("a plan");
    assert_eq!(new_plan.changes.len(), TABLES);
    let next = crate_plan.next_snapshot.as_ref().expect("a next snapshot");
    let names = NameIndex::from_declarations(tables, enums);
    let resolved: Vec<_> = tables
        .iter()
        .map(|t| t.resolve(&names).expect("resolves"))
        .collect();
    let schema_diff = diff::diff_schema(&empty.schema, &resolved, enums, span());
    let decisions = decide::decide_owned(schema_diff.changes.clone(), &empty.schema);
    let files = render::render_release(new_plan);
    let outcome = config(Mode::Review).generate().expect("plans");
    let next_text = outcome.next_snapshot.as_ref().expect("next snapshot");

    report.section(&format!(
        "every table new: release 1 against an empty snapshot ({} files, {}; next snapshot {})",
        files.len(),
        kib(files.iter().map(|f| f.content.len()).sum()),
        kib(next_text.len())
    ));
    report.row(
        "resolve",
        "declarations → model tables (names, references, types)",
        time(|| {
            let names = NameIndex::from_declarations(tables, enums);
            tables
                .iter()
                .map(|t| t.resolve(&names).expect("resolves"))
                .collect::<Vec<_>>()
        }),
    );
    report.row(
        "diff",
        "model against the snapshot → changes",
        time(|| diff::diff_schema(&empty.schema, &resolved, enums, span())),
    );
    report.row(
        "decide",
        "a verdict per change",
        time_with(
            || schema_diff.changes.clone(),
            |changes| decide::decide_owned(changes, &empty.schema),
        ),
    );
    report.row(
        "build_plan",
        "decisions → steps (DDL, locks, views)",
        time(|| {
            plan::build_plan(&PlanInput {
                release: &next.release,
                previous: &empty.release,
                accepted: &empty.schema,
                declared: &next.schema,
                decisions: &decisions,
                target,
            })
        }),
    );
    report.row(
        "pipeline::plan_crate",
        "all of the above + cross-table checks + next schema",
        time(|| pipeline::plan_crate(&empty, tables, enums, span(), target)),
    );
    report.row(
        "render",
        "plan → migration files, plan summary, plan data (JSON)",
        time(|| render::render_release(new_plan)),
    );
    report.row(
        "hash",
        "SHA-256 of every rendered file (snapshot manifest)",
        time(|| {
            files
                .iter()
                .map(|f| snapshot::content_hash(&f.content))
                .collect::<Vec<_>>()
        }),
    );
    report.row(
        "serialise",
        "next snapshot → canonical JSON",
        time(|| next.to_canonical_string()),
    );
    let proper_new = time(|| stages::plan(&config(Mode::Review), root, &declarations, &empty));
    report.row(
        "PLANNING STAGE PROPER",
        "declarations + snapshot → plan, files, snapshot text",
        proper_new,
    );
    report.row(
        "helper, no writes",
        "Config::generate: read, parse, declare, load, plan",
        time(|| {
            config(Mode::Review).generate().expect("plans");
        }),
    );
    let full_new = time(|| {
        let outcome = config(Mode::Review).run().expect("plans");
        assert_eq!(
            outcome.crate_plan.plan.as_ref().map(|p| p.changes.len()),
            Some(TABLES)
        );
    });
    report.row(
        "FULL HELPER RUN",
        "review mode: the above + write migrate.pending/ (steady)",
        full_new,
    );

    report.sample_floor(&text);

    // ---- no change ----
    config(Mode::Accept).run().expect("accepts");
    let accepted = Snapshot::load(&snapshot_path)
        .expect("loads")
        .expect("exists");
    let snapshot_len = std::fs::metadata(&snapshot_path).unwrap().len() as usize;
    report.section(&format!(
        "no change: check mode against the accepted snapshot of the same sources ({})",
        kib(snapshot_len)
    ));
    report.row(
        "load snapshot",
        "read + parse the snapshot JSON",
        time(|| Snapshot::load(&snapshot_path).expect("loads")),
    );
    report.row(
        "pipeline::plan_crate",
        "resolve, diff, decide: nothing to plan",
        time(|| {
            let p = pipeline::plan_crate(&accepted, tables, enums, span(), target);
            assert!(p.plan.is_none());
            p
        }),
    );
    let proper_same = time(|| stages::plan(&config(Mode::Check), root, &declarations, &accepted));
    report.row(
        "PLANNING STAGE PROPER",
        "declarations + snapshot → nothing to do",
        proper_same,
    );
    report.row(
        "manifest",
        "read + SHA-256 every generated file the snapshot lists",
        time(|| stages::check_manifest(root, &migrations, &accepted).expect("intact")),
    );
    report.row(
        "include file",
        "plan summaries → migrate_schema.rs text",
        time(|| stages::generated_rust(&accepted, &migrations, None).expect("reads")),
    );
    let full_same = time(|| {
        let outcome = config(Mode::Check).run().expect("current");
        assert!(outcome.crate_plan.plan.is_none());
    });
    report.row(
        "FULL HELPER RUN",
        "check mode: read, parse, declare, load, plan, verify, write",
        full_same,
    );

    report.sample_floor(&text);
    let floor = report.floor();
    println!(
        "planning {TABLES} tables x {COLUMNS} columns (an index and a foreign key each): median of {} runs;\n\
         x = time / the floor: syn::parse_file of the same sources, sampled at the start, middle and end of this run",
        runs()
    );
    report.print();
    println!(
        "\nsummary: floor {:.1} ms; planning stage proper {:.1} ms all new ({:.2}x, target {TARGET_MS} ms: {}), {:.1} ms no change;\n\
         full helper run {:.1} ms all new ({:.2}x), {:.1} ms no change ({:.2}x)",
        ms(floor),
        ms(proper_new),
        ms(proper_new) / ms(floor),
        if ms(proper_new) <= TARGET_MS {
            "met"
        } else {
            "not met"
        },
        ms(proper_same),
        ms(full_new),
        ms(full_new) / ms(floor),
        ms(full_same),
        ms(full_same) / ms(floor),
    );
}
