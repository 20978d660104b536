//! Compile-time behaviour of the derives: every attribute error and every refusal is a spanned
//! compile error naming the fix. Cases are named after the mistake; `.stderr` files are blessed
//! with `TRYBUILD=overwrite` and reviewed in the diff, never edited by hand.

use std::path::Path;

use migrate_build::{Cfg, Config, Mode};

#[test]
fn ui() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/fixture");
    // The cases diff against the fixture's accepted snapshot, which must match its source.
    let out = tempfile::tempdir().unwrap();
    let mode = if std::env::var_os("MIGRATE_ACCEPT").is_some() {
        Mode::Accept
    } else {
        Mode::Check
    };
    Config::new()
        .manifest_dir(&fixture)
        .out_dir(out.path())
        .cargo_output(false)
        .mode(mode)
        .run()
        .unwrap_or_else(|e| panic!("the UI fixture's snapshot is stale; refresh it with MIGRATE_ACCEPT=1 on this test:\n{e}"));
    // trybuild's cargo inherits this process's environment; the derive reads the snapshot path
    // from it, as it does when the build helper sets it.
    #[allow(unsafe_code)]
    // SAFETY: set before any other thread of this test binary reads the environment.
    unsafe {
        std::env::set_var("MIGRATE_SNAPSHOT", fixture.join("migrate.snapshot.json"));
        // The cases' own build (a project of trybuild's, every dependency built again in its
        // target folder) needs no debug info: it only has to compile, or fail to. This is the
        // longest test of the suite, and linking debug info was much of it.
        std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "0");
    }
    {
        let cases = trybuild::TestCases::new();
        cases.pass("ui/pass/*.rs");
        cases.compile_fail("ui/fail/*.rs");
    }

    // With the build helper's manifest: each case file is a crate root, as trybuild compiles
    // it, and the derive must find itself among what the helper saw. The cfg set is given
    // (nothing set), so the cases do not depend on this process's environment.
    let seen = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/seen");
    let mut config = Config::new();
    config.manifest_dir(&seen).cfg(Cfg::new());
    for kind in ["pass", "fail"] {
        let mut roots: Vec<_> = std::fs::read_dir(seen.join(kind))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            // Stands for a target the helper does not plan (an example).
            .filter(|p| !p.ends_with("struct-in-a-target-the-helper-does-not-plan.rs"))
            .collect();
        roots.sort();
        for root in roots {
            config.source(root);
        }
    }
    let manifest = config.declarations().unwrap().manifest;
    assert!(manifest.complete);
    let manifest_path = out.path().join(migrate_build::MANIFEST_FILE);
    std::fs::write(&manifest_path, manifest.to_text()).unwrap();
    #[allow(unsafe_code)]
    // SAFETY: as above; the first cases have finished, no other thread reads the environment.
    unsafe {
        std::env::set_var(migrate_build::MANIFEST_ENV, &manifest_path);
    }
    {
        let cases = trybuild::TestCases::new();
        cases.pass("ui/seen/pass/*.rs");
        cases.compile_fail("ui/seen/fail/*.rs");
    }

    // A manifest that is not one.
    let broken = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/manifest-broken");
    #[allow(unsafe_code)]
    // SAFETY: as above.
    unsafe {
        std::env::set_var(
            migrate_build::MANIFEST_ENV,
            broken.join(migrate_build::MANIFEST_FILE),
        );
    }
    trybuild::TestCases::new().compile_fail("ui/manifest-broken/*.rs");
}
