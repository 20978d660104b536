//! The build helper's modes and failure reports, on throwaway crate folders (no database).

use migrate_build::{Error, Mode};
use migrate_core::plan::{CatalogRow, Phase};
use migrate_tests::scenario::Scenario;

const V1: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
}
"#;

const V2: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    nickname: Option<String>,
}
"#;

fn read(path: impl AsRef<std::path::Path>) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn review_writes_pending_files_and_touches_nothing_accepted() {
    let s = Scenario::new();
    s.accept(V1);
    let snapshot_before = read(s.snapshot_path());
    s.declare(V2);
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("release 2 is pending") && m.contains("MIGRATE_ACCEPT=1")),
        "{:?}",
        outcome.messages
    );
    assert_eq!(
        read(s.snapshot_path()),
        snapshot_before,
        "the accepted snapshot changed"
    );
    assert_eq!(
        s.release_files(2),
        Vec::<std::path::PathBuf>::new(),
        "review wrote accepted migrations"
    );
    let pending = s
        .root()
        .join("migrate.pending/migrations/0002001_check_contract_1_add_users_nickname_views.sql");
    let first = read(&pending);
    let mtime = std::fs::metadata(&pending).unwrap().modified().unwrap();
    s.run(Mode::Review).unwrap();
    assert_eq!(read(&pending), first, "pending output is not deterministic");
    assert_eq!(
        std::fs::metadata(&pending).unwrap().modified().unwrap(),
        mtime,
        "unchanged pending file was rewritten"
    );

    // Accepting removes the pending folder; reverting the declaration removes it too.
    s.run(Mode::Accept).unwrap();
    assert!(!s.root().join("migrate.pending").exists());
    assert_eq!(s.release_files(2).len(), 1);
}

#[test]
fn accept_then_accept_again_is_a_no_op() {
    let s = Scenario::new();
    s.accept(V1);
    let snapshot = read(s.snapshot_path());
    let again = s.accept(V1);
    assert!(again.crate_plan.plan.is_none());
    assert_eq!(read(s.snapshot_path()), snapshot);
}

#[test]
fn check_mode_fails_on_a_stale_snapshot_and_writes_nothing() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(V2);
    let err = s.run(Mode::Check).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Stale(_)));
    assert!(
        text.contains("differs from the accepted snapshot")
            && text.contains("MIGRATE_ACCEPT=1 cargo build"),
        "{text}"
    );
    assert!(text.contains("add column public.users.nickname"), "{text}");
    assert!(
        !s.root().join("migrate.pending").exists(),
        "check mode wrote pending files"
    );
}

#[test]
fn check_mode_passes_when_current() {
    let s = Scenario::new();
    s.accept(V1);
    let outcome = s.run(Mode::Check).unwrap();
    assert!(outcome.crate_plan.plan.is_none());
}

#[test]
fn an_edited_or_missing_generated_file_fails_in_every_mode() {
    let s = Scenario::new();
    s.accept(V1);
    let file = s.release_files(1).remove(0);
    std::fs::write(&file, read(&file).replace("IF NOT EXISTS", "")).unwrap();
    for mode in [Mode::Check, Mode::Review, Mode::Accept] {
        let text = s.run(mode).unwrap_err().to_string();
        assert!(
            text.contains("was edited after it was accepted") && text.contains("git checkout"),
            "{text}"
        );
    }
    std::fs::remove_file(&file).unwrap();
    let text = s.run(Mode::Check).unwrap_err().to_string();
    assert!(text.contains("is missing"), "{text}");
}

#[test]
fn a_broken_snapshot_names_file_and_line_and_is_not_overwritten() {
    let s = Scenario::new();
    s.declare(V1);
    let broken = "{\n  \"format\": 1,\n  \"release\": {,\n}\n";
    std::fs::write(s.snapshot_path(), broken).unwrap();
    let err = s.run(Mode::Accept).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Snapshot(_)), "{text}");
    assert!(text.contains("migrate.snapshot.json:3:"), "{text}");
    assert_eq!(read(s.snapshot_path()), broken);
}

#[test]
fn reordering_fields_and_editing_docs_changes_nothing() {
    let s = Scenario::new();
    s.accept(V1);
    let snapshot = read(s.snapshot_path());
    s.declare(
        "/// Users.\n#[derive(Table)]\n#[migrate(table_name = \"users\")]\nstruct User {\n    /// The address.\n    email: String,\n    #[migrate(primary_key, identity)]\n    id: i64,\n}\n",
    );
    let outcome = s.run(Mode::Check).unwrap();
    assert!(outcome.crate_plan.plan.is_none());
    assert_eq!(read(s.snapshot_path()), snapshot);
}

#[test]
fn output_is_byte_identical_across_runs() {
    let (a, b) = (Scenario::new(), Scenario::new());
    a.accept(V1);
    b.accept(V1);
    a.accept(V2);
    b.accept(V2);
    assert_eq!(read(a.snapshot_path()), read(b.snapshot_path()));
    for (fa, fb) in a.release_files(2).iter().zip(b.release_files(2)) {
        assert_eq!(read(fa), read(fb));
    }
}

#[test]
fn a_struct_that_disappears_fails_the_build() {
    let s = Scenario::new();
    s.accept(&format!("{V1}\n#[derive(Table)]\n#[migrate(table_name = \"audit\")]\nstruct Audit {{\n    #[migrate(primary_key)]\n    id: i64,\n}}\n"));
    s.declare(V1);
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains(
            "table `public.audit` (struct `Audit`) is in the snapshot but no struct declares it"
        ),
        "{text}"
    );
    assert!(
        text.contains("#[migrate(drop)]") && text.contains("renamed_from"),
        "{text}"
    );
}

#[test]
fn a_reference_to_an_undeclared_table_points_at_the_attribute() {
    let s = Scenario::new();
    s.declare(
        "#[derive(Table)]\nstruct Order {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"customers\")]\n    customer_id: i64,\n}\n",
    );
    let err = s.run(Mode::Review).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Declarations { count: 1, .. }),
        "{text}"
    );
    assert!(
        text.contains("references table `public.customers`, which no struct declares"),
        "{text}"
    );
    assert!(
        text.contains("src/schema.rs:5:"),
        "the report names the file and line:\n{text}"
    );
    assert!(
        text.contains("^^^^^^^^^^"),
        "the report underlines the attribute:\n{text}"
    );
}

#[test]
fn a_reference_to_non_unique_columns_is_refused() {
    let s = Scenario::new();
    s.declare(&format!(
        "{V1}\n#[derive(Table)]\nstruct Note {{\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"users(email)\")]\n    author_email: String,\n}}\n"
    ));
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("not its primary key or a unique constraint"),
        "{text}"
    );
}

#[test]
fn referenced_tables_are_created_first() {
    let s = Scenario::new();
    let outcome = s.accept(
        "#[derive(Table)]\nstruct Order {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"customer\")]\n    customer_id: i64,\n}\n#[derive(Table)]\nstruct Customer {\n    #[migrate(primary_key)]\n    id: i64,\n}\n",
    );
    let order: Vec<String> = outcome
        .crate_plan
        .plan
        .unwrap()
        .steps
        .iter()
        .filter(|s| s.description.starts_with("create table"))
        .map(|s| s.description.clone())
        .collect();
    assert_eq!(
        order,
        ["create table public.customer", "create table public.order"]
    );
}

#[test]
fn a_refusal_owned_by_the_derive_writes_no_plan() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(&V1.replace("email: String", "email: Option<i32>"));
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("reported as compile errors")),
        "{:?}",
        outcome.messages
    );
    assert!(!s.root().join("migrate.pending").exists());
}

#[test]
fn unparsable_sources_skip_planning_instead_of_seeing_drops() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare("struct User { oops");
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("not every source parses")),
        "{:?}",
        outcome.messages
    );
    assert!(outcome.crate_plan.plan.is_none() && outcome.files.is_empty());
    assert!(
        outcome.crate_plan.decisions.is_empty(),
        "no change may be inferred from partial sources"
    );
    assert!(!s.root().join("migrate.pending").exists());
}

#[test]
fn accept_never_overwrites_an_existing_migration_with_other_content() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(V2);
    let snapshot = read(s.snapshot_path());
    let target = s.migrations().join("0002001_add_users_nickname_views.sql");
    std::fs::write(&target, "-- someone else's migration\n").unwrap();
    let err = s.run(Mode::Accept).unwrap_err();
    assert!(
        matches!(err, Error::Conflict { .. } | Error::Stale(_)),
        "{err}"
    );
    assert_eq!(read(&target), "-- someone else's migration\n");
    assert_eq!(
        read(s.snapshot_path()),
        snapshot,
        "the snapshot was accepted despite the conflict"
    );
}

#[test]
fn index_names_must_be_unique_per_schema() {
    let s = Scenario::new();
    s.declare(
        "#[derive(Table)]\n#[migrate(index(name = \"by_name\", columns(name)))]\nstruct A {\n    #[migrate(primary_key)]\n    id: i64,\n    name: String,\n}\n#[derive(Table)]\n#[migrate(index(name = \"by_name\", columns(name)))]\nstruct B {\n    #[migrate(primary_key)]\n    id: i64,\n    name: String,\n}\n",
    );
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("the index `by_name` of `public.b` has the name of the index of `public.a`"),
        "{text}"
    );
}

#[test]
fn generated_names_that_collide_across_tables_are_refused() {
    // `a_b.c` and `a.b_c` both give the unique constraint (and its index) `a_b_c_key`; PostgreSQL
    // would refuse the second, or a re-run guard's IF NOT EXISTS would skip it.
    let s = Scenario::new();
    s.declare(
        "#[derive(Table)]\n#[migrate(table_name = \"a_b\")]\nstruct AB {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(unique)]\n    c: i64,\n}\n#[derive(Table)]\n#[migrate(table_name = \"a\")]\nstruct A {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(unique)]\n    b_c: i64,\n}\n#[derive(PgEnum)]\n#[migrate(type_name = \"a\")]\nenum Shade { Light }\n#[derive(Table)]\n#[migrate(table_name = \"t\")]\nstruct T {\n    #[migrate(primary_key, identity)]\n    id: i64,\n}\n#[derive(Table)]\n#[migrate(table_name = \"u\", index(columns(x), name = \"t_id_seq\"))]\nstruct U {\n    #[migrate(primary_key)]\n    id: i64,\n    x: i64,\n}\n",
    );
    let text = s.run(Mode::Review).unwrap_err().to_string();
    for expected in [
        "the unique constraint's index `a_b_c_key` of `public.a` has the name of the unique constraint's index of `public.a_b`",
        "enum type `public.a` has the name of table `public.a`",
        "the index `t_id_seq` of `public.u` has the name of the identity sequence of `public.t`",
        "src/schema.rs:",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    assert!(
        !s.root().join(migrate_build::PENDING_DIR).exists(),
        "a plan was written"
    );
}

#[test]
fn an_enum_default_that_is_not_a_label_is_refused() {
    // Only the build helper sees the labels this release declares, so it reports this one.
    let s = Scenario::new();
    s.declare("#[derive(PgEnum)]\nenum Shade { Light, Dark }\n#[derive(Table)]\nstruct Lamp {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(default = \"'dim'\")]\n    shade: Shade,\n    #[migrate(default = \"'dark'\")]\n    night: Shade,\n}\n");
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("`dim` is not a label of enum `public.shade`; its labels are: light, dark")
            && text.contains("src/schema.rs:7:"),
        "{text}"
    );
    assert!(
        !text.contains("'dark'"),
        "a valid label was refused:\n{text}"
    );
}

#[test]
fn a_column_type_that_names_no_type_needs_an_extension_marker() {
    let s = Scenario::new();
    s.declare("#[derive(Table)]\nstruct Account {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(column_type = \"citxet\")]\n    email: String,\n}\n");
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains(
            "`citxet` is neither a PostgreSQL built-in type nor a `#[derive(PgEnum)]` type"
        ) && text.contains("extension = ")
            && text.contains("src/schema.rs:5:"),
        "{text}"
    );
    // Marked as an extension's, or naming a declared enum, it is planned.
    s.declare("#[derive(PgEnum)]\nenum Shade { Light }\n#[derive(Table)]\nstruct Account {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(column_type = \"citext\", extension = \"citext\")]\n    email: String,\n    #[migrate(column_type = \"shade\")]\n    shade: String,\n}\n");
    s.run(Mode::Review).unwrap();
    assert!(s.root().join(migrate_build::PENDING_DIR).exists());
}

#[test]
fn a_foreign_key_to_a_new_table_of_another_type_is_refused() {
    // The referenced table is new, so only the build helper can compare the types.
    let s = Scenario::new();
    s.declare("#[derive(Table)]\nstruct Owner {\n    #[migrate(primary_key)]\n    id: uuid::Uuid,\n}\n#[derive(Table)]\nstruct Pet {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"owner\")]\n    owner_id: i64,\n    #[migrate(references = \"pet\")]\n    parent_id: Option<i32>,\n}\n");
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("column `owner_id` is bigint but `public.owner.id` is uuid")
            && text.contains("src/schema.rs:10:"),
        "{text}"
    );
    assert!(
        !text.contains("parent_id"),
        "integer → bigint was refused:\n{text}"
    );
}

#[test]
fn a_resolution_error_only_the_crate_reveals_is_reported_not_swallowed() {
    // `references = "lookup"` to a new table without a primary key: the derive does not know the
    // table, so the build helper must say it rather than count it as the derive's.
    let s = Scenario::new();
    s.declare("#[derive(Table)]\n#[migrate(primary_key(a, b))]\nstruct Lookup {\n    a: i64,\n    b: i64,\n}\n#[derive(Table)]\nstruct Item {\n    #[migrate(primary_key)]\n    id: i64,\n    #[migrate(references = \"lookup\")]\n    lookup_a: i64,\n}\n");
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        text.contains("1 referencing column(s) but 2 referenced column(s)")
            && text.contains("src/schema.rs:"),
        "{text}"
    );
}

#[test]
fn the_example_is_current() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop");
    let out = tempfile::tempdir().unwrap();
    let outcome = migrate_build::Config::new()
        .manifest_dir(&example)
        .out_dir(out.path())
        .cargo_output(false)
        .mode(Mode::Check)
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.crate_plan.plan.is_none());
    // What `include_schema!()` pulls in parses, and carries the accepted summaries verbatim.
    let generated = read(out.path().join("migrate_schema.rs"));
    let file = syn::parse_file(&generated).unwrap_or_else(|e| panic!("{e}\n{generated}"));
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
    let mut summaries: Vec<std::path::PathBuf> =
        std::fs::read_dir(example.join("migrations/plans"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
    summaries.sort();
    let plans: Vec<String> = summaries.iter().map(read).collect();
    assert_eq!(file.items.len(), 6, "{generated}");
    assert!(
        generated.contains("pub const BINDING: ::migrate_runtime::access::Binding"),
        "{generated}"
    );
    assert_eq!(summary, Some(plans.join("\n")));
    // PLANS embeds each accepted release's plan data, in order.
    for release in 1..=plans.len() {
        assert!(
            generated.contains(&format!("migrations/plans/{release:04}.json\"")),
            "release {release} is embedded: {generated}"
        );
    }
}

#[test]
fn a_refusal_the_derive_cannot_see_is_reported_by_the_build_helper() {
    // The new enum is unknown to the snapshot, so the derive cannot resolve the column's new
    // type; the build helper must report the type change instead of dropping it.
    let v1 = "#[derive(PgEnum)]\nenum OrderStatus { Open, Closed }\n#[derive(Table)]\nstruct Order {\n    #[migrate(primary_key)]\n    id: i64,\n    status: OrderStatus,\n}\n";
    let s = Scenario::new();
    s.accept(v1);
    s.declare(
        &format!("{v1}#[derive(PgEnum)]\nenum OrderState {{ Open, Closed }}\n")
            .replace("    status: OrderStatus,", "    status: OrderState,"),
    );
    for mode in [Mode::Review, Mode::Check] {
        let text = s.run(mode).unwrap_err().to_string();
        assert!(
            text.contains("unsafe schema change (C10)") && text.contains("src/schema.rs:"),
            "{text}"
        );
    }
}

#[test]
fn an_attribute_typo_does_not_look_like_a_dropped_table() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(&V1.replace(
        "    email: String,",
        "    #[migrate(colum_name = \"mail\")]\n    email: String,",
    ));
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("attribute error(s) are reported as compile errors")),
        "{:?}",
        outcome.messages
    );
    assert!(outcome.crate_plan.decisions.is_empty());
}

#[test]
fn a_snapshot_outside_the_crate_is_refused_and_nothing_is_written() {
    let s = Scenario::new();
    s.declare(V1);
    let outside = tempfile::tempdir().unwrap();
    let err = migrate_build::Config::new()
        .manifest_dir(s.root())
        .snapshot(outside.path().join("migrate.snapshot.json"))
        .cargo_output(false)
        .mode(Mode::Review)
        .run()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(_)) && err.to_string().contains("outside the crate"),
        "{err}"
    );
    assert!(!outside.path().join("migrate.snapshot.json").exists());
}

#[test]
fn two_enums_with_one_rust_name_are_refused() {
    let s = Scenario::new();
    s.declare("#[derive(PgEnum)]\nenum Status { A }\nmod pay {\n    #[derive(PgEnum)]\n    #[migrate(type_name = \"payment_status\")]\n    enum Status { B }\n}\n");
    let text = s.run(Mode::Review).unwrap_err().to_string();
    assert!(text.contains("two enums named `Status`"), "{text}");
}

#[test]
fn new_columns_on_two_existing_tables_go_in_separate_transactions() {
    let v1 = "#[derive(Table)]\nstruct A {\n    #[migrate(primary_key)]\n    id: i64,\n}\n#[derive(Table)]\nstruct B {\n    #[migrate(primary_key)]\n    id: i64,\n}\n";
    let s = Scenario::new();
    s.accept(v1);
    s.accept(&v1.replace(
        "    id: i64,\n}",
        "    id: i64,\n    note: Option<String>,\n}",
    ));
    let files: Vec<String> = s.release_files(2).iter().map(read).collect();
    let with_alter: Vec<&String> = files.iter().filter(|f| f.contains("ALTER TABLE")).collect();
    assert_eq!(
        with_alter.len(),
        2,
        "one transaction per locked table (R1): {files:#?}"
    );
}

#[test]
fn a_rename_hint_is_planned_once_then_removed_for_a_no_op() {
    let s = Scenario::new();
    s.accept(V1);
    let renamed = V1.replace(
        "    email: String,",
        "    #[migrate(renamed_from = \"email\")]\n    email_address: String,",
    );
    let outcome = s.accept(&renamed);
    let plan = outcome.crate_plan.plan.unwrap();
    assert_eq!(
        plan.steps
            .iter()
            .filter(|s| s.catalog == CatalogRow::C8)
            .count(),
        1,
        "one contract rename"
    );
    // Kept in the build that accepted it, the hint is welcome and plans nothing more.
    let kept = migrate_core::pipeline::plan_crate(
        &s.snapshot(),
        &discover(&renamed),
        &[],
        proc_macro2_span(),
        Default::default(),
    );
    assert_eq!((kept.derive_errors, kept.decisions.len()), (0, 0));
    assert!(
        migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&renamed)[0])
            .is_empty()
    );
    // One release later it is stale.
    let newer = renamed.replace("    id: i64,\n", "    id: i64,\n    bio: Option<String>,\n");
    s.accept(&newer.replace("    #[migrate(renamed_from = \"email\")]\n", ""));
    assert_eq!(
        migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&renamed)[0]).len(),
        2,
        "stale hint, and bio is now missing"
    );
    let without_hint = newer.replace("    #[migrate(renamed_from = \"email\")]\n", "");
    s.declare(&without_hint);
    let again = s.run(Mode::Check).unwrap();
    assert!(
        again.crate_plan.plan.is_none() && again.crate_plan.derive_errors == 0,
        "removing an accepted hint plans nothing"
    );
}

fn discover(source: &str) -> Vec<migrate_core::declare::DeclaredTable> {
    let file = syn::parse_file(source).unwrap();
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => {
                Some(migrate_core::declare::parse_table(&s.clone().into()).unwrap())
            }
            _ => None,
        })
        .collect()
}

fn proc_macro2_span() -> proc_macro2::Span {
    proc_macro2::Span::call_site()
}

#[test]
fn a_migration_file_no_release_generated_fails_the_check() {
    let s = Scenario::new();
    s.accept(V1);
    std::fs::write(s.migrations().join("0001999_by_hand.sql"), "SELECT 1;\n").unwrap();
    let text = s.run(Mode::Check).unwrap_err().to_string();
    assert!(
        text.contains("0001999_by_hand.sql was not generated by any accepted release"),
        "{text}"
    );
}

#[test]
fn c10_refuses_what_a_shadow_column_cannot_carry() {
    let v1 = r#"
#[derive(Table)]
struct Account {
    #[migrate(primary_key)]
    code: i32,
    balance: i32,
    label: String,
    #[migrate(unique)]
    number: i32,
}

#[derive(Table)]
struct Transfer {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(references = "account(code)")]
    account_code: i32,
    #[migrate(references = "account(number)")]
    account_number: i32,
}
"#;
    let refusal = |from: &str, to: &str| {
        let s = Scenario::new();
        s.accept(v1);
        let declared = v1.replace(from, to);
        let diagnostics: Vec<String> = discover(&declared)
            .iter()
            .flat_map(|t| migrate_core::pipeline::check_table(&s.snapshot().schema, t))
            .map(|d| d.message)
            .collect();
        diagnostics.join("\n")
    };
    let key = refusal("    code: i32,", "    code: i64,");
    assert!(
        key.contains("(C10)") && key.contains("part of the primary key"),
        "{key}"
    );
    let narrowing = refusal("    balance: i32,", "    balance: i16,");
    assert!(
        narrowing.contains("some integer values have no smallint form"),
        "{narrowing}"
    );
    let text_to_number = refusal("    label: String,", "    label: i64,");
    assert!(text_to_number.contains("(C10)"), "{text_to_number}");
    let renamed = refusal(
        "    balance: i32,",
        "    #[migrate(renamed_from = \"balance\")]\n    amount: i64,",
    );
    assert!(renamed.contains("renamed in the same release"), "{renamed}");
    // Widening is planned, not refused.
    assert_eq!(refusal("    balance: i32,", "    balance: i64,"), "");
    // A column another table's foreign key references cannot be swapped yet.
    let referenced = refusal("    balance: i32,", "    balance: i64,")
        + &refusal(
            "    #[migrate(unique)]\n    number: i32,",
            "    #[migrate(unique)]\n    number: i64,",
        );
    assert!(
        referenced.contains(
            "foreign keys reference `number` (transfer_account_number_fkey on public.transfer)"
        ),
        "{referenced}"
    );
}

#[test]
fn a_backfill_value_is_welcome_in_its_release_then_stale() {
    let s = Scenario::new();
    s.accept(V1);
    let added = V1.replace(
        "    id: i64,\n",
        "    id: i64,\n    #[migrate(backfill = \"'none'\")]\n    plan: String,\n",
    );
    let plan = s.accept(&added).crate_plan.plan.unwrap();
    assert_eq!(plan.changes[0].catalog, CatalogRow::C4);
    assert!(
        plan.steps
            .iter()
            .any(|s| s.phase == Phase::Contract && s.sql.contains("DROP DEFAULT")),
        "the backfill value is a default until contract"
    );
    // The build that accepted it, and any build until the next release, accept the hint.
    assert!(
        migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&added)[0]).is_empty()
    );
    // One release later it is stale.
    let newer = added.replace("    id: i64,\n", "    id: i64,\n    bio: Option<String>,\n");
    s.accept(&newer.replace("    #[migrate(backfill = \"'none'\")]\n", ""));
    let stale = migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&newer)[0]);
    assert!(
        stale.iter().any(|d| d.message.contains("stale `backfill`")),
        "{stale:?}"
    );
}

#[test]
fn a_backfill_value_for_a_column_made_not_null_is_welcome_in_its_release_then_stale() {
    let s = Scenario::new();
    s.accept(V2);
    let not_null = V2.replace(
        "    nickname: Option<String>,",
        "    #[migrate(backfill = \"'unknown'\")]\n    nickname: String,",
    );
    let plan = s.accept(&not_null).crate_plan.plan.unwrap();
    assert_eq!(plan.changes[0].catalog, CatalogRow::C6);
    assert_eq!(
        plan.backfills.len(),
        1,
        "the NULL rows are filled in batches"
    );
    assert!(plan.backfills[0].before_deploy);
    assert!(
        migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&not_null)[0])
            .is_empty(),
        "the hint is welcome until the next release"
    );
    let newer = not_null.replace("    id: i64,\n", "    id: i64,\n    bio: Option<String>,\n");
    s.accept(&newer.replace("    #[migrate(backfill = \"'unknown'\")]\n", ""));
    let stale = migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&newer)[0]);
    assert!(
        stale.iter().any(|d| d.message.contains("stale `backfill`")),
        "{stale:?}"
    );
}

#[test]
fn a_backfill_for_not_null_and_a_shadow_type_change_on_one_column_are_refused_together() {
    let s = Scenario::new();
    let v1 = V2.replace("    nickname: Option<String>,", "    points: Option<i32>,");
    s.accept(&v1);
    let both = v1.replace(
        "    points: Option<i32>,",
        "    #[migrate(backfill = \"0\")]\n    points: i64,",
    );
    let diagnostics =
        migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&both)[0]);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message.contains("the two triggers would race")
                && d.help.as_deref().is_some_and(|h| h.contains("in the next"))),
        "{diagnostics:?}"
    );
    // Each alone is planned.
    for alone in [
        v1.replace(
            "    points: Option<i32>,",
            "    #[migrate(backfill = \"0\")]\n    points: i32,",
        ),
        v1.replace("    points: Option<i32>,", "    points: Option<i64>,"),
    ] {
        let diagnostics =
            migrate_core::pipeline::check_table(&s.snapshot().schema, &discover(&alone)[0]);
        assert!(diagnostics.is_empty(), "{alone}: {diagnostics:?}");
    }
}

// ---- What the helper plans is what the compiler compiles (issue 8, section 2) ----

/// Runs the helper on the scenario with an explicit cfg set (not the test process's).
fn run_with_cfg(s: &Scenario, cfg: migrate_build::Cfg, mode: Mode) -> migrate_build::Outcome {
    migrate_build::Config::new()
        .manifest_dir(s.root())
        .out_dir(s.root().join("out"))
        .cargo_output(false)
        .cfg(cfg)
        .mode(mode)
        .run()
        .unwrap_or_else(|e| panic!("the build helper refused:\n{e}"))
}

/// Table name → column names, as the accepted snapshot has them.
fn planned(s: &Scenario) -> std::collections::BTreeMap<String, Vec<String>> {
    s.snapshot()
        .schema
        .tables
        .values()
        .map(|t| {
            (
                t.name.name.clone(),
                t.columns.iter().map(|c| c.name.clone()).collect(),
            )
        })
        .collect()
}

fn write(s: &Scenario, path: &str, text: &str) {
    let path = s.root().join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn seen_manifest(s: &Scenario) -> migrate_build::Manifest {
    migrate_build::Manifest::parse(&read(s.root().join("out/migrate.manifest"))).unwrap()
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn a_cfg_gated_field_does_not_become_a_column() {
    let source = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    #[cfg(test)]
    debug_note: String,
    #[cfg(any())]
    never: i64,
    #[cfg(feature = "audit")]
    audited_by: String,
    #[cfg(not(feature = "audit"))]
    unaudited: Option<bool>,
}
"#;
    let s = Scenario::new();
    s.declare(source);
    run_with_cfg(&s, migrate_build::Cfg::new(), Mode::Accept);
    assert_eq!(
        planned(&s)["users"],
        columns(&["id", "email", "unaudited"]),
        "cfg(test), cfg(any()) and a disabled feature gate compile no field"
    );
    let with_feature = Scenario::new();
    with_feature.declare(source);
    let mut cfg = migrate_build::Cfg::new();
    cfg.feature("audit");
    run_with_cfg(&with_feature, cfg, Mode::Accept);
    assert_eq!(
        planned(&with_feature)["users"],
        columns(&["id", "email", "audited_by"])
    );
}

#[test]
fn a_cfg_test_or_cfg_any_struct_is_not_planned() {
    let s = Scenario::new();
    write(
        &s,
        "src/lib.rs",
        "mod schema;\n#[cfg(test)]\nmod fixtures;\n",
    );
    write(
        &s,
        "src/fixtures.rs",
        "#[derive(Table)]\nstruct FromTestFile {\n    #[migrate(primary_key)]\n    id: i64,\n}\n",
    );
    s.declare(&format!(
        "{V1}\n#[cfg(test)]\nmod tests {{\n    #[derive(Table)]\n    struct TestOnly {{\n        #[migrate(primary_key)]\n        id: i64,\n    }}\n}}\n#[cfg(any())]\n#[derive(Table)]\nstruct Never {{\n    #[migrate(primary_key)]\n    id: i64,\n}}\n"
    ));
    run_with_cfg(&s, migrate_build::Cfg::new(), Mode::Accept);
    assert_eq!(
        planned(&s).into_keys().collect::<Vec<_>>(),
        ["users"],
        "test-only and never-compiled structs are not planned"
    );
    // `cargo test` compiles the test-only structs: they are in the manifest, so their derive
    // passes there, but no table is planned for them.
    let manifest = seen_manifest(&s);
    assert!(manifest.items.contains_key("TestOnly") && manifest.items.contains_key("FromTestFile"));
    assert!(!manifest.items.contains_key("Never"));
}

#[test]
fn a_cfg_test_field_is_in_the_manifest_as_cargo_test_compiles_it() {
    let s = Scenario::new();
    let source = V1.replace(
        "    email: String,",
        "    email: String,\n    #[cfg(test)]\n    debug_note: String,",
    );
    s.declare(&source);
    run_with_cfg(&s, migrate_build::Cfg::new(), Mode::Accept);
    let fingerprints: Vec<String> = seen_manifest(&s).items["User"]
        .iter()
        .map(|(_, fp)| fp.clone())
        .collect();
    // As the derive receives it: the field gone in the library, kept (with its cfg) in tests.
    let as_compiled = |src: &str| {
        let file = syn::parse_file(src).unwrap();
        let syn::Item::Struct(s) = file.items.into_iter().next().unwrap() else {
            unreachable!()
        };
        migrate_core::manifest::fingerprint(&s.into())
    };
    let mut expected = vec![as_compiled(V1), as_compiled(&source)];
    expected.sort();
    let mut fingerprints = fingerprints;
    fingerprints.sort();
    assert_eq!(fingerprints, expected);
}

#[test]
fn an_orphan_file_no_mod_includes_is_not_planned() {
    let s = Scenario::new();
    write(
        &s,
        "src/orphan.rs",
        "#[derive(Table)]\nstruct Orphan {\n    #[migrate(primary_key)]\n    id: i64,\n}\n",
    );
    s.accept(V1);
    assert_eq!(planned(&s).into_keys().collect::<Vec<_>>(), ["users"]);
    let manifest = seen_manifest(&s);
    assert!(
        !manifest.files.iter().any(|f| f.ends_with("orphan.rs")),
        "{:?}",
        manifest.files
    );
}

#[test]
fn cfg_attr_migrate_and_cfg_attr_derive_are_honoured() {
    let source = r#"
#[derive(Table)]
#[cfg_attr(all(), migrate(table_name = "users"))]
#[cfg_attr(any(), migrate(schema = "never"))]
struct User {
    #[cfg_attr(all(), migrate(primary_key), migrate(identity))]
    id: i64,
    #[cfg_attr(not(test), cfg_attr(all(), migrate(column_name = "mail")))]
    email: String,
    #[cfg_attr(test, migrate(column_name = "only_in_tests"))]
    nickname: Option<String>,
}

#[cfg_attr(feature = "billing", derive(Table))]
struct Invoice {
    #[migrate(primary_key)]
    id: i64,
}
"#;
    let s = Scenario::new();
    s.declare(source);
    run_with_cfg(&s, migrate_build::Cfg::new(), Mode::Accept);
    assert_eq!(
        planned(&s),
        [("users".to_owned(), columns(&["id", "mail", "nickname"]))].into()
    );
    assert!(s.snapshot().schema.tables["public.users"].columns[0].identity);
    let billing = Scenario::new();
    billing.declare(source);
    let mut cfg = migrate_build::Cfg::new();
    cfg.feature("billing");
    run_with_cfg(&billing, cfg, Mode::Accept);
    assert_eq!(
        planned(&billing).into_keys().collect::<Vec<_>>(),
        ["invoice", "users"]
    );
}

#[test]
fn a_mod_inside_a_function_is_planned() {
    let s = Scenario::new();
    s.accept(&format!(
        "{V1}\nfn tables() {{\n    mod inner {{\n        #[derive(Table)]\n        struct InFn {{\n            #[migrate(primary_key)]\n            id: i64,\n        }}\n    }}\n}}\nconst _: () = {{\n    #[derive(Table)]\n    struct InConst {{\n        #[migrate(primary_key)]\n        id: i64,\n    }}\n}};\nimpl User {{\n    fn f() {{\n        #[cfg(any())]\n        {{\n            #[derive(Table)]\n            struct Never {{\n                #[migrate(primary_key)]\n                id: i64,\n            }}\n        }}\n    }}\n}}\n"
    ));
    assert_eq!(
        planned(&s).into_keys().collect::<Vec<_>>(),
        ["in_const", "in_fn", "users"]
    );
}

#[test]
fn a_path_module_outside_src_is_planned() {
    let s = Scenario::new();
    let table = |name: &str| {
        format!(
            "#[derive(Table)]\nstruct {name} {{\n    #[migrate(primary_key)]\n    id: i64,\n}}\n"
        )
    };
    write(
        &s,
        "src/lib.rs",
        "mod schema;\n#[path = \"../shared/tables.rs\"]\nmod tables;\nmod nested;\nmod inline {\n    mod deep;\n}\n",
    );
    // A `#[path]` file is read as a `mod.rs`: its `mod sibling;` is beside it.
    write(
        &s,
        "shared/tables.rs",
        &format!("mod sibling;\n{}", table("Shared")),
    );
    write(&s, "shared/sibling.rs", &table("Sibling"));
    // A non-`mod.rs` module's children live in the folder named after it.
    write(
        &s,
        "src/nested.rs",
        &format!("mod child;\n{}", table("Nested")),
    );
    write(&s, "src/nested/child.rs", &table("Child"));
    write(&s, "src/inline/deep.rs", &table("Deep"));
    // Decoys where a glob, or a wrong resolution, would look.
    write(&s, "src/child.rs", &table("WrongChild"));
    write(&s, "src/sibling.rs", &table("WrongSibling"));
    s.accept(V1);
    assert_eq!(
        planned(&s).into_keys().collect::<Vec<_>>(),
        ["child", "deep", "nested", "shared", "sibling", "users"]
    );
}

#[test]
fn a_struct_from_macro_rules_is_not_planned_nor_in_the_manifest() {
    // The derive fails on it (tests/ui/seen/fail/struct-generated-by-macro-rules.rs).
    let s = Scenario::new();
    s.accept(&format!(
        "{V1}\nmacro_rules! table {{\n    ($name:ident) => {{\n        #[derive(Table)]\n        struct $name {{\n            #[migrate(primary_key)]\n            id: i64,\n        }}\n    }};\n}}\ntable!(Generated);\n"
    ));
    assert_eq!(planned(&s).into_keys().collect::<Vec<_>>(), ["users"]);
    assert!(!seen_manifest(&s).items.contains_key("Generated"));
    assert!(seen_manifest(&s).items.contains_key("User"));
}

#[test]
fn a_source_folder_without_a_crate_root_is_refused() {
    let s = Scenario::new();
    s.declare(V1);
    std::fs::remove_file(s.root().join("src/lib.rs")).unwrap();
    let err = s.run(Mode::Review).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{text}");
    assert!(
        text.contains("holds no crate root") && text.contains("Config::source(\"src/lib.rs\")"),
        "{text}"
    );
    // Naming the root works (the configured-source form keeps working).
    let outcome = migrate_build::Config::new()
        .manifest_dir(s.root())
        .source("src/schema.rs")
        .out_dir(s.root().join("out"))
        .cargo_output(false)
        .cfg(migrate_build::Cfg::new())
        .mode(Mode::Review)
        .run()
        .unwrap();
    assert!(outcome.crate_plan.plan.is_some());
}

#[test]
fn a_cfg_predicate_rustc_rejects_plans_nothing() {
    let s = Scenario::new();
    s.accept(V1);
    s.declare(&V2.replace(
        "    nickname: Option<String>,",
        "    #[cfg(feature(oops))]\n    nickname: Option<String>,",
    ));
    let outcome = s.run(Mode::Review).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.contains("not every source parses")),
        "{:?}",
        outcome.messages
    );
    assert!(outcome.crate_plan.plan.is_none());
    assert!(!seen_manifest(&s).complete);
}

#[test]
fn a_field_under_an_unstable_cfg_is_not_planned_as_a_column() {
    // `cfg(overflow_checks)` is nightly-only: rustc refuses the file on stable, so the field
    // must not become a NOT NULL column (it did, and accept wrote it).
    let s = Scenario::new();
    s.accept(V1);
    s.declare(&V2.replace(
        "    nickname: Option<String>,",
        "    #[cfg(overflow_checks)]\n    ovf: i32,\n    nickname: Option<String>,",
    ));
    let outcome = s.run(Mode::Review).unwrap();
    assert!(outcome.crate_plan.plan.is_none(), "{:?}", outcome.messages);
    assert!(!seen_manifest(&s).complete);
}

#[test]
fn the_manifest_names_every_file_read_and_every_declaration() {
    let s = Scenario::new();
    s.accept(&format!(
        "{V1}\n#[derive(PgEnum)]\nenum Mood {{ Happy, Sad }}\n"
    ));
    let manifest = seen_manifest(&s);
    assert!(manifest.complete);
    let files: Vec<&str> = manifest
        .files
        .iter()
        .map(|f| f.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(files, ["lib.rs", "schema.rs"]);
    assert_eq!(manifest.items.keys().collect::<Vec<_>>(), ["Mood", "User"]);
    let (file, _) = manifest.items["User"].iter().next().unwrap();
    assert_eq!(
        std::path::Path::new(file),
        std::fs::canonicalize(s.root().join("src/schema.rs")).unwrap()
    );
}

#[test]
fn binaries_under_src_bin_are_crate_roots() {
    let s = Scenario::new();
    let table = |name: &str| {
        format!(
            "#[derive(Table)]\nstruct {name} {{\n    #[migrate(primary_key)]\n    id: i64,\n}}\nfn main() {{}}\n"
        )
    };
    write(&s, "src/bin/tool.rs", &table("ToolTable"));
    write(&s, "src/bin/server/main.rs", "mod tables;\nfn main() {}\n");
    write(&s, "src/bin/server/tables.rs", &table("ServerTable"));
    s.accept(V1);
    assert_eq!(
        planned(&s).into_keys().collect::<Vec<_>>(),
        ["server_table", "tool_table", "users"]
    );
}

#[test]
fn a_new_table_cannot_take_the_name_a_renamed_table_keeps_until_contract() {
    // `users` becomes `members` in this release, but stays `users` until contract: a new table
    // named `users` would be skipped by expand's CREATE TABLE IF NOT EXISTS.
    let s = Scenario::new();
    s.accept(V1);
    s.declare(&format!(
        "{}#[derive(Table)]\n#[migrate(table_name = \"users\")]\nstruct Newcomer {{\n    #[migrate(primary_key, identity)]\n    id: i64,\n    email: String,\n}}\n",
        V1.replace("table_name = \"users\"", "table_name = \"members\", renamed_from = \"users\"")
    ));
    let err = s.run(Mode::Review).unwrap_err().to_string();
    assert!(
        err.contains(
            "`public.users` is the old name of `public.members`, which keeps it until contract"
        ) && err.contains("src/schema.rs:"),
        "{err}"
    );
    assert!(
        !s.root().join(migrate_build::PENDING_DIR).exists(),
        "a plan was written"
    );
}

/// Copies the example's accepted state (declarations, snapshot, migrations) into a scenario.
fn example_scenario() -> Scenario {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop");
    let s = Scenario::new();
    s.declare(&read(example.join("src/schema.rs")));
    std::fs::copy(example.join("migrate.snapshot.json"), s.snapshot_path()).unwrap();
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
            }
        }
    };
    for dir in ["", "contract", "plans"] {
        copy(
            &example.join("migrations").join(dir),
            &s.migrations().join(dir),
        );
    }
    s
}

/// The example's release 3 plan data predates plan format versions (its contract was accepted
/// before today's planner adds a completion check, so it cannot be regenerated). Check and
/// review keep it and say that a runner cannot read it; accept converts it, because the
/// converted plan renders the accepted SQL files and summary byte for byte.
#[test]
fn accepted_plan_data_of_an_older_format_is_reported_then_converted_exactly() {
    let s = example_scenario();
    // The example's release 3 plan data as an older migrate wrote it (before the example was
    // converted), accepted by the snapshot.
    let path = s.migrations().join("plans/0003.json");
    let current = read(&path);
    let old = read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/unversioned-plan-0003.json"
    ));
    std::fs::write(&path, &old).unwrap();
    let snapshot = read(s.snapshot_path()).replace(
        &migrate_core::snapshot::content_hash(&current),
        &migrate_core::snapshot::content_hash(&old),
    );
    std::fs::write(s.snapshot_path(), &snapshot).unwrap();
    let err = migrate_core::plan::Plan::from_json(&old).unwrap_err();
    assert!(
        err.to_string().starts_with("written by an older migrate"),
        "{err}"
    );
    for mode in [Mode::Check, Mode::Review] {
        let outcome = s.run(mode).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert!(
            outcome
                .messages
                .iter()
                .any(|m| m.starts_with("migrations/plans/0003.json: written by an older migrate")),
            "{mode:?}: {:?}",
            outcome.messages
        );
        assert_eq!(read(s.migrations().join("plans/0003.json")), old);
        assert_eq!(read(s.snapshot_path()), snapshot);
    }
    let others = |s: &Scenario| {
        let mut files = std::collections::BTreeMap::new();
        for dir in ["", "contract", "plans"] {
            for entry in std::fs::read_dir(s.migrations().join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() && !path.ends_with("plans/0003.json") {
                    files.insert(path.clone(), read(&path));
                }
            }
        }
        files
    };
    let before = others(&s);
    let outcome = s.run(Mode::Accept).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.starts_with("migrations/plans/0003.json: converted to plan format 2")),
        "{:?}",
        outcome.messages
    );
    assert_eq!(others(&s), before, "accept changed an accepted file");
    let plan = s.plan(3);
    assert_eq!(plan.format, migrate_core::plan::FORMAT_VERSION);
    // The conversion is what the example checks in.
    assert_eq!(read(&path), current);
    // The snapshot changed only in the hash of the converted file.
    let new_snapshot = read(s.snapshot_path());
    let changed: Vec<(&str, &str)> = snapshot
        .lines()
        .zip(new_snapshot.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("\"migrations/plans/0003.json\""));
    // Nothing is left to report or to convert.
    let outcome = s.run(Mode::Check).unwrap();
    assert!(
        !outcome.messages.iter().any(|m| m.contains("plans/")),
        "{:?}",
        outcome.messages
    );
}

/// Unversioned plan data that does not convert exactly is kept by accept, and still reported.
/// Here: release 2's data without its `format` field; read as the older shape, its steps lose
/// their transaction modes, so the converted plan's summary differs from the accepted one.
#[test]
fn plan_data_that_does_not_convert_exactly_is_kept() {
    let s = example_scenario();
    let path = s.migrations().join("plans/0002.json");
    let current = read(&path);
    let old = current.replacen("  \"format\": 2,\n", "", 1);
    std::fs::write(&path, &old).unwrap();
    let snapshot = read(s.snapshot_path()).replace(
        &migrate_core::snapshot::content_hash(&current),
        &migrate_core::snapshot::content_hash(&old),
    );
    std::fs::write(s.snapshot_path(), &snapshot).unwrap();
    let outcome = s.run(Mode::Accept).unwrap();
    assert!(
        outcome
            .messages
            .iter()
            .any(|m| m.starts_with("migrations/plans/0002.json: written by an older migrate")),
        "{:?}",
        outcome.messages
    );
    assert_eq!(read(&path), old, "accepted plan data was rewritten");
}

/// The batch query the format-1 planner wrote for `tests/golden/phased-release`.
const FORMAT1_BATCH: &str = "WITH batch AS (\n    SELECT \"id\" FROM \"public\".\"users\"\n    WHERE $1::text IS NULL OR (\"id\") > ($1::text::bigint)\n    ORDER BY \"id\"\n    LIMIT $2\n), filled AS (\n    UPDATE \"public\".\"users\" AS t SET \"public_id\" = gen_random_uuid()\n    FROM batch WHERE (t.\"id\") = (batch.\"id\") AND (t.\"public_id\" IS NULL)\n)\nSELECT \"id\"::text FROM batch ORDER BY batch.\"id\" DESC LIMIT 1";

/// The golden phased release accepted by today's planner, then its plan data and summary put
/// back as the format-1 planner wrote them (its batch query, no bounds), the snapshot's
/// manifest following; the format-2 plan data and summary of today.
fn format1_scenario(batch_sql: &str) -> (Scenario, String, String) {
    let s = Scenario::new();
    s.accept(include_str!("../golden/phased-release/release-1.rs"));
    s.accept(include_str!("../golden/phased-release/release-2.rs"));
    let json_path = s.migrations().join("plans/0002.json");
    let md_path = s.migrations().join("plans/0002.md");
    let (current_json, current_md) = (read(&json_path), read(&md_path));
    let mut plan = s.plan(2);
    assert_eq!(plan.backfills.len(), 1, "{:?}", plan.backfills);
    plan.format = 1;
    plan.backfills[0].bounds_sql.clear();
    plan.backfills[0].batch_sql = batch_sql.to_owned();
    plan.seal();
    let rendered = migrate_core::render::render_release(&plan);
    let file = |path: &str| {
        rendered
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.content.clone())
            .unwrap()
    };
    let (old_json, old_md) = (file("plans/0002.json"), file("plans/0002.md"));
    assert_ne!(old_md, current_md, "the summary shows the backfill SQL");
    std::fs::write(&json_path, &old_json).unwrap();
    std::fs::write(&md_path, &old_md).unwrap();
    let hash = migrate_core::snapshot::content_hash;
    let snapshot = read(s.snapshot_path())
        .replace(&hash(&current_json), &hash(&old_json))
        .replace(&hash(&current_md), &hash(&old_md));
    std::fs::write(s.snapshot_path(), snapshot).unwrap();
    (s, current_json, current_md)
}

/// A release's SQL files (expand and contract), by path.
fn sql_files(s: &Scenario) -> std::collections::BTreeMap<std::path::PathBuf, String> {
    s.release_files(2)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| (p.clone(), read(&p)))
        .collect()
}

/// Format-1 plan data with a backfill: check and review keep it and warn that a runner cannot
/// walk it; accept converts it to what the planner writes today, rewrites the summary's
/// backfill SQL, names both files, and changes no SQL file.
#[test]
fn format1_plan_data_with_a_backfill_converts_to_what_the_planner_writes_today() {
    let (s, current_json, current_md) = format1_scenario(FORMAT1_BATCH);
    let json_path = s.migrations().join("plans/0002.json");
    let md_path = s.migrations().join("plans/0002.md");
    let (old_json, old_md, old_snapshot) =
        (read(&json_path), read(&md_path), read(s.snapshot_path()));
    let sql = sql_files(&s);
    assert!(!sql.is_empty());
    assert_eq!(
        migrate_core::plan::Plan::from_json(&old_json)
            .unwrap()
            .format,
        1
    );
    for mode in [Mode::Check, Mode::Review] {
        let outcome = s.run(mode).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert!(
            outcome.messages.iter().any(|m| m.starts_with("migrations/plans/0002.json: plan format 1: its backfills cannot be run by the runner")
                && m.contains("MIGRATE_ACCEPT=1 cargo build")),
            "{mode:?}: {:?}",
            outcome.messages
        );
        assert_eq!(
            (read(&json_path), read(&md_path)),
            (old_json.clone(), old_md.clone())
        );
        assert_eq!(read(s.snapshot_path()), old_snapshot);
    }
    let outcome = s.run(Mode::Accept).unwrap();
    assert!(
        outcome.messages.iter().any(|m| m
            .starts_with("migrations/plans/0002.json: converted to plan format 2")
            && m.contains("migrations/plans/0002.md")),
        "{:?}",
        outcome.messages
    );
    assert_eq!(
        read(&json_path),
        current_json,
        "the planner's plan data of today"
    );
    assert_eq!(read(&md_path), current_md, "the planner's summary of today");
    assert_eq!(sql_files(&s), sql, "no SQL file changed");
    assert!(s.plan(2).backfills[0].has_bounds());
    // Nothing is left to report or to convert.
    let outcome = s.run(Mode::Check).unwrap();
    assert!(
        !outcome.messages.iter().any(|m| m.contains("plans/")),
        "{:?}",
        outcome.messages
    );
}

/// A format-1 batch query that is not the format-1 template (edited by hand, then resealed)
/// cannot be converted: accept keeps the file and the snapshot, and says why.
#[test]
fn a_hand_edited_format1_batch_query_is_refused_and_kept() {
    let edited = FORMAT1_BATCH.replace("ORDER BY \"id\"\n", "ORDER BY \"id\" DESC\n");
    assert_ne!(edited, FORMAT1_BATCH);
    let (s, _, _) = format1_scenario(&edited);
    let json_path = s.migrations().join("plans/0002.json");
    let md_path = s.migrations().join("plans/0002.md");
    let (old_json, old_md, old_snapshot) =
        (read(&json_path), read(&md_path), read(s.snapshot_path()));
    let outcome = s.run(Mode::Accept).unwrap();
    assert!(
        outcome.messages.iter().any(|m| m
            .starts_with("migrations/plans/0002.json: plan format 1 is kept as it is")
            && m.contains("backfill 0002.backfill.1")),
        "{:?}",
        outcome.messages
    );
    assert_eq!((read(&json_path), read(&md_path)), (old_json, old_md));
    assert_eq!(read(s.snapshot_path()), old_snapshot);
}
