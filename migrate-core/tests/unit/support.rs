//! Two releases planned in memory from Rust source text, through the public pipeline only
//! (`declare::parse_table`/`parse_enum` → `pipeline::plan_crate`), with the helpers every
//! family's tests use to find one row's decision and steps and render them for a snapshot.

use std::fmt::Write as _;

use migrate_core::Diagnostic;
use migrate_core::decide::{Decision, Verdict};
use migrate_core::declare::{self, DeclaredEnum, DeclaredTable};
use migrate_core::pipeline::{self, CratePlan};
use migrate_core::plan::{
    CatalogRow, LockMode, Phase, Plan, Step, Target, Transaction, Undo, VerdictKind,
};
use migrate_core::render;
use migrate_core::snapshot::Snapshot;

/// A release whose changes are planned (safe or phased): the family modules list theirs, and
/// `rules.rs` checks the rules that hold across every plan on all of them.
pub struct Case {
    /// What the case shows.
    pub name: &'static str,
    /// The accepted release's sources.
    pub v1: String,
    /// The next release's sources.
    pub v2: String,
}

impl Case {
    /// A case.
    pub fn new(name: &'static str, v1: impl Into<String>, v2: impl Into<String>) -> Case {
        Case {
            name,
            v1: v1.into(),
            v2: v2.into(),
        }
    }

    /// Release 2 of the case, planned.
    pub fn plan(&self) -> Planned {
        plan(&self.v1, &self.v2)
    }
}

/// `base` with `from` replaced by `to`; fails when `from` is not in it (a fixture that no
/// longer matches would otherwise plan no change and prove nothing).
pub fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(
        base.contains(from),
        "fixture edit does not apply: {from:?} is not in\n{base}"
    );
    base.replacen(from, to, 1)
}

/// The declarations in `source`: every struct deriving `Table` and enum deriving `PgEnum`.
pub fn declarations(source: &str) -> (Vec<DeclaredTable>, Vec<DeclaredEnum>) {
    let file = syn::parse_file(source).unwrap_or_else(|e| panic!("fixture does not parse: {e}"));
    let mut tables = Vec::new();
    let mut enums = Vec::new();
    for item in file.items {
        match item {
            syn::Item::Struct(s) if derives(&s.attrs, "Table") => {
                tables.push(declare::parse_table(&s.into()).unwrap_or_else(|e| {
                    panic!("fixture table does not declare: {}", messages(&e))
                }));
            }
            syn::Item::Enum(e) if derives(&e.attrs, "PgEnum") => {
                enums.push(
                    declare::parse_enum(&e.into()).unwrap_or_else(|e| {
                        panic!("fixture enum does not declare: {}", messages(&e))
                    }),
                );
            }
            _ => {}
        }
    }
    (tables, enums)
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| paths.iter().any(|p| p.is_ident(name)))
    })
}

fn messages(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

fn plan_against(snapshot: &Snapshot, source: &str) -> CratePlan {
    let (tables, enums) = declarations(source);
    pipeline::plan_crate(
        snapshot,
        &tables,
        &enums,
        proc_macro2::Span::call_site(),
        Target::default(),
    )
}

/// The snapshot after accepting `source` as release 1 on an empty database.
pub fn accept_first(source: &str) -> Snapshot {
    let first = plan_against(&Snapshot::default(), source);
    assert!(
        first.diagnostics.is_empty() && first.derive_errors == 0,
        "release 1 of the fixture is refused: {}",
        messages(&first.diagnostics)
    );
    first
        .next_snapshot
        .expect("release 1 of the fixture plans something")
}

/// Release 2 (`v2`) planned against release 1 (`v1`).
pub fn plan(v1: &str, v2: &str) -> Planned {
    let accepted = accept_first(v1);
    Planned(plan_against(&accepted, v2))
}

/// The outcome of planning release 2.
pub struct Planned(pub CratePlan);

impl Planned {
    /// The decisions of `row` (a table rename also renames the objects named after it, each
    /// a decision of its own); fails when there is none.
    pub fn decisions_of(&self, row: CatalogRow) -> Vec<&Decision> {
        let found: Vec<&Decision> = self
            .0
            .decisions
            .iter()
            .filter(|d| d.catalog == row)
            .collect();
        assert!(
            !found.is_empty(),
            "expected a {row} decision, found: {:?}",
            self.0
                .decisions
                .iter()
                .map(|d| (d.catalog, d.verdict_kind()))
                .collect::<Vec<_>>()
        );
        found
    }

    /// The plan; fails, with the diagnostics, when the release is blocked.
    pub fn plan(&self) -> &Plan {
        self.0.plan.as_ref().unwrap_or_else(|| {
            panic!(
                "release 2 is blocked ({} derive errors): {}; decisions: {:#?}",
                self.0.derive_errors,
                messages(&self.0.diagnostics),
                self.0
                    .decisions
                    .iter()
                    .map(|d| (d.catalog, d.verdict.clone()))
                    .collect::<Vec<_>>()
            )
        })
    }

    /// The steps that implement `row`, in plan order; fails when there are none.
    pub fn steps(&self, row: CatalogRow) -> Vec<&Step> {
        let steps: Vec<&Step> = self
            .plan()
            .steps
            .iter()
            .filter(|s| s.catalog == row)
            .collect();
        assert!(!steps.is_empty(), "the plan has no {row} step");
        steps
    }

    /// Every decision of `row` must have the verdict `kind`; returns the first.
    pub fn expect(&self, row: CatalogRow, kind: VerdictKind) -> &Decision {
        let found = self.decisions_of(row);
        for d in &found {
            assert_eq!(d.verdict_kind(), kind, "{row}: {:?}", d.verdict);
        }
        found[0]
    }

    /// `row` is refused (or unsupported, per `kind`), the release has no plan, and the
    /// message holds every one of `why` and the help every one of `help` (the safe way).
    pub fn expect_blocked(&self, row: CatalogRow, kind: VerdictKind, why: &[&str], help: &[&str]) {
        let d = self.expect(row, kind);
        let (reason, safe_way) = match &d.verdict {
            Verdict::Refused { why, help } | Verdict::Unsupported { why, help } => (why, help),
            other => panic!("{row} is not blocked: {other:?}"),
        };
        for word in why {
            assert!(
                reason.contains(word),
                "{row} reason lacks {word:?}: {reason}"
            );
        }
        for word in help {
            assert!(
                safe_way.contains(word),
                "{row} help lacks {word:?}: {safe_way}"
            );
        }
        assert!(d.blocks(), "{row} must block the release");
        assert!(d.diagnostic().is_some(), "{row} must be a compile error");
        assert!(self.0.plan.is_none(), "a blocked release writes no plan");
    }
}

/// The phases `steps` land in, in order, without repeats.
pub fn phases(steps: &[&Step]) -> Vec<Phase> {
    let mut out: Vec<Phase> = Vec::new();
    for s in steps {
        if out.last() != Some(&s.phase) {
            out.push(s.phase);
        }
    }
    out
}

/// The strongest lock mode each step takes on an existing table (`None`: no such lock).
pub fn existing_locks(steps: &[&Step]) -> Vec<Option<LockMode>> {
    steps
        .iter()
        .map(|s| s.locks.iter().find(|l| !l.new_table).map(|l| l.mode))
        .collect()
}

/// Every step has a guard (R5) and an undo.
pub fn assert_guarded(steps: &[&Step]) {
    for s in steps {
        assert!(!s.idempotency.is_empty(), "{} has no guard", s.id);
        assert!(s.undo.is_some(), "{} has no undo", s.id);
    }
}

/// The steps as reviewable text: each step's id, phase, transaction, timeouts, locks, guard,
/// checks and undo as comments, then its SQL.
pub fn render_steps(steps: &[&Step]) -> String {
    let mut out = String::new();
    for s in steps {
        let transaction = match s.transaction {
            Transaction::Shared => "shared transaction",
            Transaction::Own => "own transaction",
            Transaction::None => "no transaction",
        };
        let _ = writeln!(
            out,
            "-- {} [{}, {transaction}] {} {}",
            s.id,
            s.phase.name(),
            s.catalog,
            s.description
        );
        let _ = writeln!(out, "-- locks: {}", render::lock_summary(s));
        if s.lock_timeout_ms.is_some() || s.statement_timeout_ms.is_some() {
            let ms = |t: Option<u32>| t.map_or("none".to_owned(), |t| format!("{t}ms"));
            let _ = writeln!(
                out,
                "-- lock_timeout {}, statement_timeout {}",
                ms(s.lock_timeout_ms),
                ms(s.statement_timeout_ms)
            );
        }
        let _ = writeln!(out, "-- guard: {}", s.idempotency);
        if let Some(pre) = &s.pre_check {
            let _ = writeln!(out, "-- pre-check: {} ({})", pre.sql, pre.failure);
        }
        if let Some(post) = &s.post_check {
            let _ = writeln!(out, "-- post-check: {}", post.sql());
        }
        if let Some(gate) = &s.gate {
            let _ = writeln!(out, "-- waits for: {}", gate.backfills.join(", "));
        }
        if let Some(reason) = &s.unsafe_reason {
            let _ = writeln!(out, "-- UNSAFE, allowed: {reason}");
        }
        match &s.undo {
            Some(Undo::Sql(sql)) => {
                let _ = writeln!(out, "-- undo: {}", sql.replace('\n', "\n--   "));
            }
            Some(Undo::Nothing(why)) => {
                let _ = writeln!(out, "-- undo: nothing ({why})");
            }
            Some(Undo::Irreversible(why)) => {
                let _ = writeln!(out, "-- undo: irreversible ({why})");
            }
            None => out.push_str("-- undo: MISSING\n"),
        }
        out.push_str(&s.sql);
        out.push_str("\n\n");
    }
    out
}

/// The accepted release most cases start from: a populated `users` table and an `orders`
/// table that references it.
pub const BASE: &str = r#"
#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
    nickname: Option<String>,
    #[migrate(default = "0")]
    age: i32,
}

#[derive(Table)]
#[migrate(table_name = "orders")]
struct Order {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(references = "users")]
    user_id: i64,
    #[migrate(column_type = "varchar(20)")]
    code: String,
    amount: i32,
    note: Option<String>,
}
"#;

/// [`BASE`] with one more field on `users`, declared after `age`.
pub fn users_with(field: &str) -> String {
    edit(
        BASE,
        "    #[migrate(default = \"0\")]\n    age: i32,\n}",
        &format!("    #[migrate(default = \"0\")]\n    age: i32,\n{field}}}"),
    )
}
