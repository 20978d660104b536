//! Golden files: each folder under `golden/` holds the declarations of successive releases
//! (`release-N.rs`) and, under `expected/`, every file the build helper writes for them
//! (migrations, plan summaries, plan data, snapshot). A change in generation shows up as a diff.
//! Re-bless with `MIGRATE_BLESS=1 cargo test -p migrate-tests --test golden` and review the diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use migrate_core::plan::{CatalogRow, Undo};
use migrate_tests::scenario::Scenario;

fn files_under(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

fn releases(case: &Path) -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(case)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("release-"))
        })
        .collect();
    sources.sort();
    sources
}

fn check_case(name: &str) {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(name);
    let scenario = Scenario::new();
    for source in releases(&case) {
        scenario.accept(&std::fs::read_to_string(&source).unwrap());
    }
    let mut produced = files_under(&scenario.migrations());
    produced = produced
        .into_iter()
        .map(|(k, v)| (format!("migrations/{k}"), v))
        .collect();
    produced.insert(
        "migrate.snapshot.json".into(),
        std::fs::read_to_string(scenario.snapshot_path()).unwrap(),
    );

    // Every generated statement parses with sqlparser, and every file is LF with a final newline.
    for (path, content) in &produced {
        assert!(
            content.ends_with('\n') && !content.contains('\r'),
            "{path}: not LF-terminated"
        );
        if path.ends_with(".sql") {
            migrate_core::sql::parse_script(content)
                .unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{content}"));
        }
    }

    let expected_dir = case.join("expected");
    if std::env::var_os("MIGRATE_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for (path, content) in &produced {
            let target = expected_dir.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, content).unwrap();
        }
    }
    let expected = files_under(&expected_dir);
    assert!(
        !expected.is_empty(),
        "no golden files for {name}; create them with MIGRATE_BLESS=1"
    );
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&produced),
        names(&expected),
        "{name}: the set of generated files changed"
    );
    for (path, content) in &produced {
        assert_eq!(
            content, &expected[path],
            "{name}/{path} changed; re-bless with MIGRATE_BLESS=1 and review the diff"
        );
    }
}

#[test]
fn golden_everything() {
    check_case("everything");
}

#[test]
fn golden_second_release() {
    check_case("second-release");
}

#[test]
fn golden_phased_release() {
    check_case("phased-release");
}

#[test]
fn golden_shadow_release() {
    check_case("shadow-release");
}

#[test]
fn golden_fill_release() {
    check_case("fill-release");
}

#[test]
fn golden_convert_release() {
    check_case("convert-release");
}

/// The plan data and migration files of every golden case, as blessed.
fn expected_plans() -> Vec<(String, migrate_core::plan::Plan, BTreeMap<String, String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut out = Vec::new();
    for case in std::fs::read_dir(&root).unwrap().filter_map(Result::ok) {
        let files = files_under(&case.path().join("expected/migrations"));
        for (path, content) in &files {
            if path.starts_with("plans/") && path.ends_with(".json") {
                let plan = migrate_core::plan::Plan::from_json(content)
                    .unwrap_or_else(|e| panic!("{path}: {e}"));
                out.push((
                    format!("{}/{path}", case.file_name().to_string_lossy()),
                    plan,
                    files.clone(),
                ));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// R2: C6's `SET NOT NULL` takes ACCESS EXCLUSIVE, so it runs under a statement timeout like
/// every such step (running it in a transaction of its own had dropped it).
#[test]
fn c6_set_not_null_runs_under_the_statement_timeout_of_access_exclusive_steps() {
    let mut seen = 0;
    for (name, plan, files) in expected_plans() {
        for step in plan
            .steps
            .iter()
            .filter(|s| s.slug.starts_with("not_null_"))
        {
            assert_eq!(
                (step.lock_timeout_ms, step.statement_timeout_ms),
                (Some(100), Some(5_000)),
                "{name}: {}",
                step.description
            );
            let file = files
                .values()
                .find(|f| f.contains(&step.sql))
                .expect("the step's file");
            assert!(
                file.contains("SET LOCAL statement_timeout = '5000ms';"),
                "{file}"
            );
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen} SET NOT NULL steps");
}

/// C5: a NOT NULL column without a default loses NOT NULL in expand; the plan warns that the
/// old binary cannot decode the NULL in rows the new one inserts, as C7's does.
#[test]
fn c5_dropping_a_not_null_column_warns_that_the_old_binary_reads_null() {
    let (_, plan, _) = expected_plans()
        .into_iter()
        .find(|(name, _, _)| name == "phased-release/plans/0002.json")
        .expect("the phased release");
    let warning = plan
        .changes
        .iter()
        .filter(|c| c.catalog == CatalogRow::C5)
        .find_map(|c| c.warning.clone())
        .expect("a C5 warning");
    assert!(
        warning.contains("public.users.legacy") && warning.contains("cannot decode the NULL"),
        "{warning}"
    );
}

/// I1: every concurrent build is followed by the step that stops while its index is INVALID
/// (an interrupted build that `IF NOT EXISTS` keeps), and that step sits in a file of its own
/// kind: a lone CONCURRENTLY statement cannot share its string with a check.
#[test]
fn i1_every_concurrent_build_is_followed_by_its_validity_check() {
    let mut seen = 0;
    for (name, plan, files) in expected_plans() {
        for (i, step) in plan.steps.iter().enumerate() {
            if !step.sql.starts_with("CREATE UNIQUE INDEX CONCURRENTLY")
                && !step.sql.starts_with("CREATE INDEX CONCURRENTLY")
            {
                continue;
            }
            let next = &plan.steps[i + 1];
            assert!(
                next.slug.starts_with("check_valid_") && next.sql.contains("NOT indisvalid"),
                "{name}: {} is followed by {}",
                step.description,
                next.description
            );
            let lone = files
                .values()
                .find(|f| f.contains(&step.sql) && f.starts_with("-- no-transaction\n"))
                .expect("the build's file");
            assert_eq!(migrate_core::sql::parse_script(lone), Ok(1), "{lone}");
            seen += 1;
        }
    }
    assert!(seen >= 7, "{seen} concurrent builds");
}

/// R9: every file but the first of a phase starts with the order check, but for a lone
/// CONCURRENTLY statement, which PostgreSQL runs only alone.
#[test]
fn r9_every_file_but_a_lone_concurrent_statement_checks_the_release_order() {
    for (name, plan, files) in expected_plans() {
        let release = format!("{:04}", plan.release.number);
        for (path, content) in &files {
            let file = path.rsplit('/').next().unwrap_or(path);
            if !file.starts_with(&release) || !path.ends_with(".sql") {
                continue;
            }
            let first = file[4..].starts_with("001_") || file[4..].starts_with("501_");
            let lone = content.starts_with("-- no-transaction\n");
            let checked = content.contains("-- R9 ");
            assert!(
                checked != lone,
                "{name}: {path} {}",
                if lone {
                    "is lone but checks"
                } else {
                    "does not check the order"
                }
            );
            if first {
                assert!(content.contains("-- R9 check that"), "{name}: {path}");
            }
        }
    }
}

/// R10: no generated SQL drops a schema with CASCADE, which would take a user's dependent view
/// with it; the generated views go by name.
#[test]
fn r10_no_generated_sql_drops_a_schema_with_cascade() {
    for (name, plan, files) in expected_plans() {
        let rollbacks = plan.steps.iter().filter_map(|s| match &s.undo {
            Some(Undo::Sql(sql)) => Some(sql.as_str()),
            _ => None,
        });
        for sql in files.values().map(String::as_str).chain(rollbacks) {
            assert!(
                !sql.lines()
                    .any(|l| l.contains("DROP SCHEMA") && l.contains("CASCADE")),
                "{name}: {sql}"
            );
        }
    }
}
