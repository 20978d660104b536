//! Golden files: each folder under `golden/` holds the declarations of successive releases
//! (`release-N.rs`) and, under `expected/`, every file the build helper writes for them
//! (migrations, plan summaries, plan data, snapshot). A change in generation shows up as a diff.
//! Re-bless with `MIGRATE_BLESS=1 cargo test -p migrate-tests --test golden` and review the diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
