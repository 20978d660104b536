//! Which release a build binds its accessors to. The build helper decides, once, and both the
//! derive (through its manifest) and `BINDING` (in the generated file) follow it:
//! - a build whose structs match the accepted snapshot binds to the accepted release;
//! - a build with a plan pending review binds to the pending release, marked `pending`, so
//!   the runtime refuses a database without its views instead of failing statement by
//!   statement (its plan is not embedded, so no runner creates them before it is accepted);
//! - a CI build (check mode) of a pending change fails, so it is always of an accepted release.

use migrate_build::Mode;
use migrate_core::manifest::Manifest;
use migrate_tests::scenario::Scenario;

const RELEASE_1: &str =
    "#[derive(Table)]\nstruct User {\n    #[migrate(primary_key)]\n    id: i64,\n}\n";
const RELEASE_2: &str = "#[derive(Table)]\nstruct User {\n    #[migrate(primary_key)]\n    id: i64,\n    nickname: Option<String>,\n}\n#[derive(Table)]\nstruct Team {\n    #[migrate(primary_key)]\n    id: i64,\n}\n";

fn manifest(s: &Scenario) -> Manifest {
    let text = std::fs::read_to_string(s.root().join("out/migrate.manifest")).expect("manifest");
    Manifest::parse(&text).expect("parses")
}

/// `BINDING`'s fields as written in the generated file.
fn binding_const(s: &Scenario) -> String {
    let text = std::fs::read_to_string(s.root().join("out/migrate_schema.rs")).expect("generated");
    let file = syn::parse_file(&text).expect("parses");
    let item = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Const(c) if c.ident == "BINDING" => Some(c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no BINDING in\n{text}"));
    quote::ToTokens::to_token_stream(&item.expr)
        .to_string()
        .replace(' ', "")
}

#[test]
fn an_accepted_build_binds_to_the_accepted_release() {
    let s = Scenario::new();
    s.accept(RELEASE_1);
    let binding = manifest(&s).binding.expect("a binding");
    assert_eq!(
        (
            binding.release,
            binding.views_schema.as_str(),
            binding.pending
        ),
        (1, "release_0001", false)
    );
    let constant = binding_const(&s);
    assert!(
        constant
            .contains("release:1,views_schema:\"release_0001\",pending:false,views:&[\"user\"]"),
        "{constant}"
    );
}

#[test]
fn a_build_with_a_plan_pending_review_binds_to_it_marked_pending() {
    let s = Scenario::new();
    s.accept(RELEASE_1);
    s.declare(RELEASE_2);
    let outcome = s.run(Mode::Review).expect("review");
    assert!(outcome.crate_plan.plan.is_some(), "a plan is pending");
    let binding = manifest(&s).binding.expect("a binding");
    assert_eq!(
        (
            binding.release,
            binding.views_schema.as_str(),
            binding.pending
        ),
        (2, "release_0002", true)
    );
    let constant = binding_const(&s);
    assert!(
        constant.contains(
            "release:2,views_schema:\"release_0002\",pending:true,views:&[\"team\",\"user\"]"
        ),
        "{constant}"
    );
    // Nothing of release 2 is embedded: no runner can create its views before it is accepted.
    let generated = std::fs::read_to_string(s.root().join("out/migrate_schema.rs")).unwrap();
    assert!(!generated.contains("0002.json"), "{generated}");

    // CI: the same change fails the build instead of binding to anything.
    let err = s
        .run(Mode::Check)
        .expect_err("check mode refuses a pending change");
    assert!(
        err.to_string()
            .contains("differs from the accepted snapshot"),
        "{err}"
    );

    // Accepted, it binds to release 2 as an accepted release.
    s.run(Mode::Accept).expect("accept");
    let binding = manifest(&s).binding.expect("a binding");
    assert_eq!((binding.release, binding.pending), (2, false));
    let generated = std::fs::read_to_string(s.root().join("out/migrate_schema.rs")).unwrap();
    assert!(generated.contains("0002.json"), "{generated}");
}
