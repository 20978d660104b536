//! Planning cost: `cargo bench -p migrate-build --bench plan`.
//!
//! A crate declaring 1,000 tables × 20 columns (with an index and a foreign key each) is planned
//! against an empty snapshot (every table new) and against its own accepted snapshot (no change:
//! what every `cargo build` pays). The naive floor, measured in the same run, is parsing the same
//! sources with syn and nothing else; figures are medians of several runs, reported with their
//! ratio to that floor, because this machine is shared and noisy.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use migrate_build::{Config, Mode};

const TABLES: usize = 1_000;
const COLUMNS: usize = 20;
const RUNS: usize = 7;

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

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    let text = source();
    std::fs::write(dir.path().join("src/schema.rs"), &text).unwrap();
    let config = |mode| {
        let mut c = Config::new();
        c.manifest_dir(dir.path())
            .out_dir(dir.path().join("out"))
            .cargo_output(false)
            .mode(mode);
        c
    };

    let parse_only = time(|| {
        syn::parse_file(&text).expect("parses");
    });
    let plan_all_new = time(|| {
        let outcome = config(Mode::Review).generate().expect("plans");
        assert_eq!(
            outcome.crate_plan.plan.as_ref().map(|p| p.changes.len()),
            Some(TABLES)
        );
    });
    config(Mode::Accept).run().expect("accepts");
    let no_change = time(|| {
        let outcome = config(Mode::Check).run().expect("current");
        assert!(outcome.crate_plan.plan.is_none());
    });

    let ratio = |d: Duration| d.as_secs_f64() / parse_only.as_secs_f64();
    println!("planning {TABLES} tables x {COLUMNS} columns (median of {RUNS} runs)");
    println!(
        "  syn parse only (naive floor)        {:>8.1} ms",
        parse_only.as_secs_f64() * 1e3
    );
    println!(
        "  plan, every table new               {:>8.1} ms  ({:.2}x the floor)",
        plan_all_new.as_secs_f64() * 1e3,
        ratio(plan_all_new)
    );
    println!(
        "  no-change build-helper run (check)  {:>8.1} ms  ({:.2}x the floor)",
        no_change.as_secs_f64() * 1e3,
        ratio(no_change)
    );
}
