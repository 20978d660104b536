//! Text a user declares (names, labels, types, defaults, reasons) must never become SQL of its
//! own. A property test feeds the build helper declarations whose strings hold control
//! characters, quotes, `$$`, `*/`, `--` and statements, over two releases, and demands that
//! either the build refuses them, or every generated migration file parses with sqlparser into
//! exactly the statements its plan steps list and no more, as many per step as the same
//! declarations with plain names give.
//!
//! No database: this is the planner's and the renderer's property. The regression cases for
//! the defects found by hand are at the end.

use migrate_build::{Mode, Outcome};
use migrate_core::plan::Phase;
use migrate_core::render::group_files;
use migrate_core::sql::parse_script;
use migrate_tests::scenario::Scenario;
use proptest::prelude::*;

/// The strings a release's declarations take from outside.
#[derive(Debug, Clone)]
struct Inputs {
    schema: String,
    table: String,
    column: String,
    renamed: String,
    index: String,
    check: String,
    new_index: String,
    new_check: String,
    enum_type: String,
    label: String,
    column_type: String,
    default: String,
    /// A SQL string literal, for the backfill and an index predicate.
    literal: String,
    reason: String,
}

impl Inputs {
    /// The same declarations with plain names (the type, default and reason are kept: they
    /// decide the plan's shape, names do not).
    fn plain(&self) -> Inputs {
        Inputs {
            schema: "s_plain".into(),
            table: "t_plain".into(),
            column: "c_plain".into(),
            renamed: "c_renamed".into(),
            index: "i_plain".into(),
            check: "k_plain".into(),
            new_index: "i_new_plain".into(),
            new_check: "k_new_plain".into(),
            enum_type: "e_plain".into(),
            label: "l_plain".into(),
            column_type: "text".into(),
            ..self.clone()
        }
    }
}

/// A Rust string literal holding `text` exactly.
fn lit(text: &str) -> String {
    format!("{text:?}")
}

fn release_1(i: &Inputs) -> String {
    format!(
        r#"
#[derive(PgEnum)]
#[migrate(type_name = {enum_type}, schema = {schema})]
enum Mood {{
    #[migrate(rename = {label})]
    Happy,
    Sad,
}}

#[derive(Table)]
#[migrate(table_name = {table}, schema = {schema})]
#[migrate(index(columns(email), name = {index}))]
#[migrate(check(name = {check}, expr = "id > 0"))]
struct Account {{
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(column_name = {column}, default = {default})]
    email: String,
    #[migrate(column_type = {column_type})]
    extra: Option<String>,
    mood: Mood,
    nickname: Option<String>,
}}
"#,
        enum_type = lit(&i.enum_type),
        schema = lit(&i.schema),
        label = lit(&i.label),
        table = lit(&i.table),
        index = lit(&i.index),
        check = lit(&i.check),
        column = lit(&i.column),
        default = lit(&i.default),
        column_type = lit(&i.column_type),
    )
}

/// Release 2: the column renamed, a new label, a partial index and a check added to the
/// existing table (guarded DDL, a concurrent build), a column made NOT NULL with a backfill (a
/// count check and a trigger), and a refused change allowed with the reason.
fn release_2(i: &Inputs) -> String {
    format!(
        r#"
#[derive(PgEnum)]
#[migrate(type_name = {enum_type}, schema = {schema})]
enum Mood {{
    #[migrate(rename = {label})]
    Happy,
    Sad,
    Calm,
}}

#[derive(Table)]
#[migrate(table_name = {table}, schema = {schema})]
#[migrate(index(columns(email), name = {index}))]
#[migrate(index(columns(id), name = {new_index}, where = {predicate}))]
#[migrate(check(name = {check}, expr = "id > 0"))]
#[migrate(check(name = {new_check}, expr = "id < 1000000000"))]
struct Account {{
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(column_name = {renamed}, renamed_from = {column}, default = {default})]
    email: String,
    #[migrate(column_type = {column_type})]
    extra: Option<String>,
    mood: Mood,
    #[migrate(backfill = {backfill})]
    nickname: String,
    #[migrate(allow_unsafe = {reason})]
    required: i32,
}}
"#,
        enum_type = lit(&i.enum_type),
        schema = lit(&i.schema),
        label = lit(&i.label),
        table = lit(&i.table),
        index = lit(&i.index),
        check = lit(&i.check),
        renamed = lit(&i.renamed),
        column = lit(&i.column),
        default = lit(&i.default),
        column_type = lit(&i.column_type),
        reason = lit(&i.reason),
        new_index = lit(&i.new_index),
        new_check = lit(&i.new_check),
        predicate = lit(&format!("id > 0 AND {} <> ''", i.literal)),
        backfill = lit(&i.literal),
    )
}

/// Statements per step, file by file, in order (each file: its `SET` lines, then its steps).
type Shape = Vec<(usize, Vec<usize>)>;

/// Checks every generated SQL file against its steps and returns the release's shape.
fn shape_of(outcome: &Outcome) -> Result<Shape, TestCaseError> {
    let plan = outcome
        .crate_plan
        .plan
        .as_ref()
        .ok_or_else(|| TestCaseError::fail("accepted, but no plan"))?;
    let mut shape = Vec::new();
    for phase in [Phase::Expand, Phase::Contract] {
        for file in group_files(plan, phase) {
            let generated = outcome
                .files
                .iter()
                .find(|f| f.path == file.path)
                .ok_or_else(|| TestCaseError::fail(format!("{} was not written", file.path)))?;
            let content = &generated.content;
            let in_file = parse_script(content).map_err(|e| {
                TestCaseError::fail(format!("{} does not parse: {e}\n{content}", file.path))
            })?;
            let settings = content
                .lines()
                .filter(|l| l.starts_with("SET LOCAL "))
                .count();
            let mut per_step = Vec::new();
            for step in &file.steps {
                per_step.push(parse_script(&step.sql).map_err(|e| {
                    TestCaseError::fail(format!("a step does not parse: {e}\n{}", step.sql))
                })?);
            }
            // Every file but a phase's first (and a lone concurrent statement) begins with the
            // release-order check the renderer adds.
            let order_check = if content.contains("\n-- R9 every file checks that its phase") {
                parse_script(&migrate_core::plan::file_order_check(
                    &plan.release,
                    &plan.previous,
                    phase,
                ))
                .map_err(|e| TestCaseError::fail(format!("the order check does not parse: {e}")))?
            } else {
                0
            };
            let listed = settings + order_check + per_step.iter().sum::<usize>();
            prop_assert_eq!(
                in_file,
                listed,
                "{} holds {} statements, its plan lists {}:\n{}",
                file.path,
                in_file,
                listed,
                content
            );
            for line in content.lines() {
                prop_assert!(
                    !line.contains('\r'),
                    "{}: a carriage return in a line",
                    file.path
                );
            }
            shape.push((settings + order_check, per_step));
        }
    }
    Ok(shape)
}

/// Runs the releases; `None` once the build refuses one (then nothing was written for it).
fn build(sources: &[String]) -> Result<Option<Vec<Shape>>, TestCaseError> {
    let scenario = Scenario::new();
    let mut shapes = Vec::new();
    for source in sources {
        scenario.declare(source);
        match scenario.run(Mode::Accept) {
            Ok(outcome) if outcome.crate_plan.plan.is_some() => shapes.push(shape_of(&outcome)?),
            // Attribute errors: the derive reports them on their spans, and the helper plans
            // nothing and writes nothing.
            Ok(outcome) => {
                prop_assert!(outcome.files.is_empty(), "files written without a plan");
                if std::env::var_os("INJECTION_DEBUG").is_some() {
                    eprintln!("derive errors: {:?}", outcome.messages);
                }
                return Ok(None);
            }
            Err(e) => {
                if std::env::var_os("INJECTION_DEBUG").is_some() {
                    eprintln!("refused: {}", e.to_string().lines().next().unwrap_or(""));
                }
                return Ok(None);
            }
        }
    }
    Ok(Some(shapes))
}

/// Pieces that have broken out of SQL contexts somewhere, mixed with plain text; with
/// `controls`, control characters and dollar quotes too (which every name refuses).
fn hostile(controls: bool) -> BoxedStrategy<String> {
    let printable = prop_oneof![
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("$".to_owned()),
        Just("*/".to_owned()),
        Just("/*".to_owned()),
        Just("--".to_owned()),
        Just(";".to_owned()),
        Just("%".to_owned()),
        Just("`".to_owned()),
        Just("|".to_owned()),
        Just(" DELETE FROM posts".to_owned()),
        "[a-z_]{1,6}",
        any::<char>()
            .prop_filter("printable", |c| !migrate_core::sql::is_control_character(
                *c
            ))
            .prop_map(String::from),
    ];
    let piece = if controls {
        prop_oneof![
            3 => printable,
            1 => prop_oneof![
                Just("\n".to_owned()),
                Just("\r".to_owned()),
                Just("\t".to_owned()),
                Just("\u{0}".to_owned()),
                Just("\u{85}".to_owned()),
                Just("\u{2028}".to_owned()),
                Just("\u{202e}".to_owned()),
                Just("$$".to_owned()),
                Just("$x$".to_owned()),
            ],
        ]
        .boxed()
    } else {
        printable.boxed()
    };
    prop::collection::vec(piece, 1..5)
        .prop_map(|p| p.concat())
        .boxed()
}

/// A SQL string literal around `text`, quotes doubled, as a careful user writes one: an escape
/// string, backslashes doubled, when it holds a backslash.
fn sql_literal(text: &str) -> String {
    if text.contains('\\') {
        format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

fn inputs() -> impl Strategy<Value = Inputs> {
    let name = || prop_oneof![12 => hostile(false), 1 => hostile(true), 2 => "[a-z][a-z_]{0,8}"];
    let default = prop_oneof![
        3 => hostile(false).prop_map(|t| sql_literal(&t)),
        1 => hostile(true).prop_map(|t| sql_literal(&t)),
        1 => hostile(true),
        1 => Just("'plain'".to_owned()),
    ];
    let column_type = prop_oneof![6 => Just("text".to_owned()), 1 => hostile(true)];
    let reason = prop_oneof![3 => hostile(false), 1 => hostile(true)];
    (
        (name(), name(), name(), name(), name(), name()),
        (name(), name(), column_type, default, reason),
        (name(), name(), hostile(false).prop_map(|t| sql_literal(&t))),
    )
        .prop_map(
            |(
                (schema, table, column, renamed, index, check),
                (enum_type, label, column_type, default, reason),
                (new_index, new_check, literal),
            )| Inputs {
                schema,
                table,
                column,
                renamed,
                index,
                check,
                new_index,
                new_check,
                enum_type,
                label,
                column_type,
                default,
                literal,
                reason: format!("a reason: {reason}"),
            },
        )
}

/// Whether the hostile declarations were accepted, after checking every generated file.
fn check(i: &Inputs) -> Result<bool, TestCaseError> {
    let Some(shapes) = build(&[release_1(i), release_2(i)])? else {
        return Ok(false);
    };
    let plain = i.plain();
    let plain_shapes = build(&[release_1(&plain), release_2(&plain)])?;
    // The names are all that differ: the plain twin must be accepted, with the same shape.
    prop_assert!(
        plain_shapes.is_some(),
        "the hostile declarations were accepted, their plain twin refused"
    );
    prop_assert_eq!(
        Some(shapes),
        plain_shapes,
        "the hostile declarations give other statements than the plain ones"
    );
    Ok(true)
}

#[test]
fn declared_text_is_refused_or_stays_inert_in_every_generated_file() {
    use std::cell::Cell;
    // More with `INJECTION_CASES=2000` when hunting.
    let cases = std::env::var("INJECTION_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128);
    let accepted = Cell::new(0u32);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&inputs(), |i| {
        if check(&i)? {
            accepted.set(accepted.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "{} of {cases} hostile declarations accepted",
        accepted.get()
    );
    // A property that holds because everything is refused proves nothing.
    assert!(
        accepted.get() * 5 >= cases,
        "only {} of {cases} hostile declarations were accepted: the generator no longer reaches the renderer",
        accepted.get()
    );
}

/// The plain declarations are accepted: the property above does not pass by refusing all.
#[test]
fn the_plain_twin_of_the_property_is_accepted() {
    let plain = Inputs {
        default: "'plain'".into(),
        reason: "a reason: the table is empty everywhere".into(),
        ..Inputs {
            schema: String::new(),
            table: String::new(),
            column: String::new(),
            renamed: String::new(),
            index: String::new(),
            check: String::new(),
            new_index: String::new(),
            new_check: String::new(),
            enum_type: String::new(),
            label: String::new(),
            column_type: String::new(),
            default: String::new(),
            literal: "'plain'".into(),
            reason: String::new(),
        }
        .plain()
    };
    let shapes = build(&[release_1(&plain), release_2(&plain)])
        .unwrap()
        .expect("plain declarations are accepted");
    assert_eq!(shapes.len(), 2);
    assert!(shapes.iter().all(|s| !s.is_empty()));
}
