//! The stages run in order, for the two front ends:
//! - [`check_table`] / [`check_enum`]: what `#[derive(Table)]` / `#[derive(PgEnum)]` run for
//!   one declaration against the snapshot, giving spanned compile errors.
//! - [`plan_crate`]: what the build helper runs for every declaration of a crate, giving the
//!   cross-table diagnostics, the plan and the next snapshot.
//!
//! Both go through the same resolve → diff → decide path, so a change the derive refuses is
//! exactly a change the build helper will not plan.

use std::collections::BTreeMap;

use proc_macro2::Span;

use crate::decide::{self, Decision, Verdict};
use crate::declare::{
    DeclaredEnum, DeclaredTable, NameIndex, RelationKind, Resolved, check_enum_defaults,
    check_foreign_key_types,
};
use crate::diagnostic::Diagnostic;
use crate::diff::{self, Change, Reporter};
use crate::model::{Column, QualifiedName, Schema, Table};
use crate::plan::CatalogRow;
use crate::plan::{self, Plan, PlanInput, Target};
use crate::snapshot::{InFlight, Release, Snapshot};

/// How a diagnostic is told from another when deciding whether the derive reports it too.
fn report_key(d: &Diagnostic) -> String {
    format!("{:?}|{}", d.span, d.message)
}

/// What the derive reports for one table struct: attribute errors first, then every refused or
/// unsupported change and stale hint, each spanned in the struct.
pub fn check_table(accepted: &Schema, decl: &DeclaredTable) -> Vec<Diagnostic> {
    check_table_in(accepted, &NameIndex::from_schema(accepted), decl)
}

/// [`check_table`] with the accepted schema's name index built once by the caller (the derive
/// checks every struct of a crate against the same snapshot).
pub fn check_table_in(
    accepted: &Schema,
    names: &NameIndex,
    decl: &DeclaredTable,
) -> Vec<Diagnostic> {
    let resolved = match decl.resolve(names) {
        Ok(r) => r,
        Err(diagnostics) => return diagnostics,
    };
    let mut out = check_foreign_key_types(&resolved, |name| accepted.table(name));
    let table_diff = diff::diff_table(accepted, &resolved);
    out.extend(table_diff.hint_errors);
    let decisions = decide::decide(&table_diff.changes, accepted);
    out.extend(decisions.iter().filter_map(Decision::diagnostic));
    out.extend(unused_allowances(decl, &decisions));
    out
}

/// An `allow_unsafe` that allows nothing is an error, like a stale hint: left in place after its
/// change was accepted, it would silently approve the next unsafe change on that field.
fn unused_allowances(decl: &DeclaredTable, decisions: &[Decision]) -> Vec<Diagnostic> {
    let used: Vec<String> = decisions
        .iter()
        .filter(|d| matches!(d.verdict, Verdict::Allowed { .. }))
        .filter_map(|d| {
            d.located
                .allow_unsafe
                .as_ref()
                .map(|a| format!("{:?}", a.span))
        })
        .collect();
    decl.fields
        .iter()
        .filter_map(|f| f.allow_unsafe.as_ref())
        .chain(decl.allow_unsafe.as_ref())
        .filter(|a| !used.contains(&format!("{:?}", a.span)))
        .map(|a| {
            Diagnostic::error(a.span, "`allow_unsafe` covers no refused change here")
                .help("remove it: either its change was accepted in an earlier release, or this declaration needs no escape hatch")
        })
        .collect()
}

/// What the derive reports for one enum.
pub fn check_enum(accepted: &Schema, decl: &DeclaredEnum) -> Vec<Diagnostic> {
    let enum_diff = diff::diff_enum(accepted, decl);
    let mut out = enum_diff.hint_errors;
    out.extend(
        decide::decide(&enum_diff.changes, accepted)
            .iter()
            .filter_map(Decision::diagnostic),
    );
    out
}

/// The build helper's result for a whole crate.
#[derive(Debug)]
pub struct CratePlan {
    /// Problems only the build helper can report (cross-table), with spans in the sources.
    pub diagnostics: Vec<Diagnostic>,
    /// How many refusals the derive reports as compile errors (the build helper leaves them to it).
    pub derive_errors: usize,
    /// Every decision, for reporting.
    pub decisions: Vec<Decision>,
    /// The plan, when nothing blocks it and something changed.
    pub plan: Option<Plan>,
    /// The snapshot to accept with the plan (without the generated-file manifest).
    pub next_snapshot: Option<Snapshot>,
}

/// Plans a crate: every declared table and enum against the accepted snapshot.
///
/// `crate_span` is used for diagnostics about declarations that no longer exist (a struct that
/// disappeared has no span of its own).
pub fn plan_crate(
    snapshot: &Snapshot,
    tables: &[DeclaredTable],
    enums: &[DeclaredEnum],
    crate_span: Span,
    target: Target,
) -> CratePlan {
    let mut diagnostics = Vec::new();
    let mut derive_errors = 0;
    let accepted = &snapshot.schema;

    check_unique_names(tables, enums, &mut diagnostics);
    let resolved = resolve_tables(
        accepted,
        tables,
        enums,
        &mut diagnostics,
        &mut derive_errors,
    );
    if resolved.len() != tables.len() {
        return CratePlan {
            diagnostics,
            derive_errors,
            decisions: Vec::new(),
            plan: None,
            next_snapshot: None,
        };
    }
    check_references(&resolved, &mut diagnostics);
    check_release_views(&resolved, &mut diagnostics);
    check_namespaces(accepted, &resolved, enums, &mut diagnostics);
    derive_errors += check_declared_types(accepted, &resolved, enums, &mut diagnostics);

    let schema_diff = diff::diff_schema(accepted, &resolved, enums, crate_span);
    let decisions = decide::decide_owned(schema_diff.changes, accepted);
    derive_errors += report_blocking(
        accepted,
        &resolved,
        enums,
        schema_diff.hint_errors,
        &decisions,
        &mut diagnostics,
    );
    diagnostics.extend(
        decisions
            .iter()
            .filter(|d| d.reporter() == Reporter::BuildHelper)
            .filter_map(Decision::diagnostic),
    );

    // Hints that belong to the accepted release are stale once the next one is planned:
    // refused now, in review as in accept, before anything is written.
    if !decisions.is_empty() {
        diagnostics.extend(schema_diff.expiring);
    }
    let attribute_errors = resolved.len() != tables.len();
    let blocked = attribute_errors || !diagnostics.is_empty() || derive_errors > 0;
    let (plan, next_snapshot) = if blocked || decisions.is_empty() {
        (None, None)
    } else {
        next_release(
            snapshot,
            resolved,
            enums,
            &decisions,
            crate_span,
            target,
            &mut diagnostics,
        )
    };
    CratePlan {
        diagnostics,
        derive_errors,
        decisions,
        plan,
        next_snapshot,
    }
}

/// Resolves every table against the names of the whole crate. A table that does not resolve
/// is left out; its errors go to `diagnostics`, or count in `derive_errors` when the derive
/// reports them itself.
fn resolve_tables<'a>(
    accepted: &Schema,
    tables: &'a [DeclaredTable],
    enums: &[DeclaredEnum],
    diagnostics: &mut Vec<Diagnostic>,
    derive_errors: &mut usize,
) -> Vec<Resolved<'a>> {
    let names = NameIndex::from_declarations(tables, enums);
    let mut accepted_names: Option<NameIndex> = None;
    let mut resolved: Vec<Resolved<'_>> = Vec::new();
    for table in tables {
        match table.resolve(&names) {
            Ok(r) => {
                for (column, rust_type, span) in &r.unknown_types {
                    diagnostics.push(
                        Diagnostic::error(*span, format!("`{rust_type}` (column `{}.{column}`) has no PostgreSQL type", r.table.name))
                            .help(format!("if `{rust_type}` is an enum of labels, derive it: `#[derive(PgEnum)] enum {rust_type} {{ … }}` in the scanned sources; if it is a type alias or any other type, declare the column's type on the field, `#[migrate(column_type = \"…\")]` (types are read as written, not through aliases)")),
                    );
                }
                resolved.push(r);
            }
            // Attribute errors are the derive's to report, spanned in the struct; those that
            // only the whole crate reveals (its name index knows more than the snapshot's) are
            // reported here. Planning without this table would take it as dropped, so stop.
            Err(errors) => {
                let derive_side: Vec<String> = table
                    .resolve(accepted_names.get_or_insert_with(|| NameIndex::from_schema(accepted)))
                    .err()
                    .unwrap_or_default()
                    .iter()
                    .map(report_key)
                    .collect();
                for e in errors {
                    if derive_side.contains(&report_key(&e)) {
                        *derive_errors += 1;
                    } else {
                        diagnostics.push(e);
                    }
                }
            }
        }
    }
    resolved
}

/// Reports what blocks the plan and is the derive's to report (stale hints, refused changes,
/// unused `allow_unsafe`): only what the derive cannot see goes to `diagnostics`; returns how
/// many the derive reports itself.
fn report_blocking(
    accepted: &Schema,
    resolved: &[Resolved<'_>],
    enums: &[DeclaredEnum],
    hint_errors: Vec<Diagnostic>,
    decisions: &[Decision],
    diagnostics: &mut Vec<Diagnostic>,
) -> usize {
    let mut derive_errors = 0;
    // What the derive reports is exactly what it computes from the snapshot alone; anything
    // blocking that it cannot see (a type or reference only the whole crate resolves) is
    // reported here instead, so no refusal is ever lost between the two.
    let mut blocking = hint_errors;
    blocking.extend(
        decisions
            .iter()
            .filter(|d| d.reporter() == Reporter::Derive)
            .filter_map(Decision::diagnostic),
    );
    for r in resolved.iter().filter(|r| {
        r.decl.allow_unsafe.is_some() || r.decl.fields.iter().any(|f| f.allow_unsafe.is_some())
    }) {
        let table_decisions: Vec<Decision> = decisions
            .iter()
            .filter(|d| {
                d.located.reporter == Reporter::Derive
                    && change_table(&d.located.change) == Some(&r.table.name)
            })
            .cloned()
            .collect();
        blocking.extend(unused_allowances(r.decl, &table_decisions));
    }
    // Computed only when something blocks: it re-runs the derive's check for every table.
    let derive_reports: Vec<String> = if blocking.is_empty() {
        Vec::new()
    } else {
        resolved
            .iter()
            .flat_map(|r| check_table(accepted, r.decl))
            .chain(enums.iter().flat_map(|e| check_enum(accepted, e)))
            .map(|d| format!("{:?}|{}", d.span, d.message))
            .collect()
    };
    for diagnostic in blocking {
        if derive_reports.contains(&format!("{:?}|{}", diagnostic.span, diagnostic.message)) {
            derive_errors += 1;
        } else {
            diagnostics.push(diagnostic);
        }
    }
    derive_errors
}

/// The plan of the next release and the snapshot to accept with it, or neither when the
/// target server cannot run the plan (the reason goes to `diagnostics`).
fn next_release(
    snapshot: &Snapshot,
    resolved: Vec<Resolved<'_>>,
    enums: &[DeclaredEnum],
    decisions: &[Decision],
    crate_span: Span,
    target: Target,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Option<Plan>, Option<Snapshot>) {
    let release = Release::numbered(snapshot.release.number + 1);
    let mut next_schema = next_schema(&snapshot.schema, resolved, enums);
    move_swapped_columns(&mut next_schema, &snapshot.schema, decisions);
    let plan = plan::build_plan(&PlanInput {
        release: &release,
        previous: &snapshot.release,
        accepted: &snapshot.schema,
        declared: &next_schema,
        decisions,
        target,
    });
    if target.concurrently_is_unsafe() && plan.steps.iter().any(|s| s.sql.contains("CONCURRENTLY"))
    {
        diagnostics.push(
            Diagnostic::error(crate_span, format!(
                "the plan builds or drops indexes CONCURRENTLY, which can corrupt indexes on PostgreSQL {}.{} (fixed in 14.4)",
                target.major, target.minor
            ))
            .help("upgrade the server to 14.4 or later and set the target version accordingly"),
        );
        return (None, None);
    }
    // What waits for contract is recorded until the next release is planned.
    let in_flight = plan
        .phase(plan::Phase::Contract)
        // The checks and the completion mark of R9 are bookkeeping, not waiting work.
        .filter(|s| s.catalog != CatalogRow::R9)
        .map(|s| InFlight {
            release: release.number,
            catalog: s.catalog,
            description: s.description.clone(),
        })
        .collect();
    let next = Snapshot {
        format: snapshot.format,
        release,
        schema: next_schema,
        in_flight,
        generated: snapshot.generated.clone(),
    };
    (Some(plan), Some(next))
}

/// The declared schema as the snapshot will hold it: columns of accepted tables keep their
/// physical order, new columns are appended in declaration order.
fn next_schema(accepted: &Schema, resolved: Vec<Resolved<'_>>, enums: &[DeclaredEnum]) -> Schema {
    let mut schema = Schema::default();
    for r in resolved {
        if r.decl.drop.is_some() {
            // Recorded for this release, so the struct's `drop` stays welcome until the next.
            if accepted.table(&r.table.name).is_some() {
                schema.dropped_tables.push(r.table.name.clone());
            }
            continue;
        }
        let mut table: Table = r.table;
        let accepted_name = match &r.decl.renamed_from {
            Some(hint) if accepted.table(&table.name).is_none() => {
                QualifiedName::new(table.name.schema.clone(), hint.value.clone())
            }
            _ => table.name.clone(),
        };
        if let Some(accepted_table) = accepted.table(&accepted_name) {
            table.renamed_from = (accepted_name != table.name).then(|| accepted_name.name.clone());
            let mut columns = Vec::new();
            for old_column in &accepted_table.columns {
                // A renamed column keeps its physical place under its new name.
                let new_name = r
                    .decl
                    .fields
                    .iter()
                    .find(|f| {
                        f.renamed_from
                            .as_ref()
                            .is_some_and(|h| h.value == old_column.name)
                    })
                    .map_or(old_column.name.as_str(), |f| f.column.as_str());
                if let Some(c) = table.columns.iter().find(|c| c.name == new_name) {
                    let renamed_now = new_name != old_column.name;
                    // A column keeps its backfill hint for the release that added it or made
                    // it NOT NULL (C6), so the declaration stays valid there; then it is stale.
                    let becomes_not_null = old_column.nullable && !c.nullable;
                    columns.push(Column {
                        renamed_from: renamed_now.then(|| old_column.name.clone()),
                        backfill: c.backfill.clone().filter(|_| becomes_not_null),
                        // Likewise a declared conversion, for the release that changes the type.
                        convert: c.convert.clone().filter(|_| old_column.ty != c.ty),
                        ..c.clone()
                    });
                }
            }
            for c in &table.columns {
                if !columns.iter().any(|k| k.name == c.name) {
                    columns.push(c.clone());
                }
            }
            table.columns = columns;
            table.dropped_columns = r
                .decl
                .drop_columns
                .iter()
                .filter(|d| accepted_table.column(&d.value).is_some())
                .map(|d| d.value.clone())
                .collect();
            table.dropped_columns.sort();
        }
        schema.tables.insert(table.name.key(), table);
    }
    for e in enums {
        schema.enums.insert(e.name.key(), e.to_model());
    }
    schema.dropped_tables.sort();
    schema
}

/// A column whose type changes through a shadow column (C10) is, after contract, the renamed
/// shadow. Expand adds the shadows, in (table, column) order, before this release's new
/// columns, so that is where they end up: after the accepted columns, before the new ones.
fn move_swapped_columns(schema: &mut Schema, accepted: &Schema, decisions: &[Decision]) {
    let swapped: std::collections::BTreeSet<(String, &str)> = decisions
        .iter()
        .filter(|d| d.catalog == CatalogRow::C10 && matches!(d.verdict, Verdict::Phased { .. }))
        .filter_map(|d| match &d.located.change {
            Change::AlterColumnType { table, column, .. } => Some((table.key(), column.as_str())),
            _ => None,
        })
        .collect();
    for (key, table) in &mut schema.tables {
        let Some(accepted_table) = accepted.tables.get(key) else {
            continue;
        };
        let (mut moved, kept): (Vec<Column>, Vec<Column>) = table
            .columns
            .drain(..)
            .partition(|c| swapped.contains(&(key.clone(), c.name.as_str())));
        if moved.is_empty() {
            table.columns = kept;
            continue;
        }
        moved.sort_by(|a, b| a.name.cmp(&b.name));
        let was_accepted =
            |c: &Column| accepted_table.column(&c.name).is_some() || c.renamed_from.is_some();
        let boundary = kept.iter().take_while(|c| was_accepted(c)).count();
        let mut columns = kept;
        columns.splice(boundary..boundary, moved);
        table.columns = columns;
    }
}

fn check_unique_names(tables: &[DeclaredTable], enums: &[DeclaredEnum], out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for t in tables {
        if let Some(first) = seen.insert(t.name.key(), &t.rust_name) {
            out.push(
                Diagnostic::error(
                    t.span,
                    format!(
                        "`{}` and `{}` both declare table `{}`",
                        first, t.rust_name, t.name
                    ),
                )
                .help("give one of them another `table_name = \"…\"`"),
            );
        }
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for e in enums {
        if let Some(first) = seen.insert(e.name.key(), &e.rust_name) {
            out.push(Diagnostic::error(
                e.span,
                format!(
                    "`{}` and `{}` both declare enum type `{}`",
                    first, e.rust_name, e.name
                ),
            ));
        }
    }
    let mut rust_names: BTreeMap<&str, &DeclaredEnum> = BTreeMap::new();
    for e in enums {
        if let Some(first) = rust_names.insert(&e.rust_name, e) {
            out.push(
                Diagnostic::error(e.span, format!(
                    "two enums named `{}` declare PostgreSQL types (`{}` and `{}`); fields name their enum by its Rust name, so it must be unique",
                    e.rust_name, first.name, e.name
                ))
                .help("rename one of the Rust enums"),
            );
        }
    }
}

/// Foreign keys must point at a declared table, at columns that it declares unique.
fn check_references(resolved: &[Resolved<'_>], out: &mut Vec<Diagnostic>) {
    let by_name: BTreeMap<String, &Table> = resolved
        .iter()
        .map(|r| (r.table.name.key(), &r.table))
        .collect();
    for r in resolved {
        let span_of = |name: &str| r.object_spans.get(name).copied().unwrap_or(r.decl.span);
        for fk in &r.table.foreign_keys {
            let Some(target) = by_name.get(&fk.references.key()) else {
                let known: Vec<&str> = by_name.keys().map(String::as_str).collect();
                out.push(
                    Diagnostic::error(
                        span_of(&fk.name),
                        format!(
                            "`{}` references table `{}`, which no struct declares",
                            r.table.name, fk.references
                        ),
                    )
                    .help(format!(
                        "declare it with `#[derive(Table)]`, or fix the name; declared tables: {}",
                        known.join(", ")
                    )),
                );
                continue;
            };
            if let Some(missing) = fk
                .referenced_columns
                .iter()
                .find(|c| target.column(c).is_none())
            {
                let columns: Vec<&str> = target.columns.iter().map(|c| c.name.as_str()).collect();
                out.push(
                    Diagnostic::error(
                        span_of(&fk.name),
                        format!(
                            "`{}` references `{}({})`, but `{}` has no column `{missing}`",
                            r.table.name,
                            fk.references,
                            fk.referenced_columns.join(", "),
                            fk.references
                        ),
                    )
                    .help(format!(
                        "its columns are: {}; reference one of them (by its SQL name)",
                        columns.join(", ")
                    )),
                );
                continue;
            }
            let mut wanted = fk.referenced_columns.clone();
            wanted.sort();
            let mut keys: Vec<Vec<String>> = vec![target.primary_key.clone()];
            keys.extend(target.uniques.iter().map(|u| u.columns.clone()));
            keys.extend(
                target
                    .indexes
                    .iter()
                    .filter(|i| i.unique && i.predicate.is_none())
                    .filter_map(|i| {
                        i.keys
                            .iter()
                            .map(|k| match k {
                                crate::model::IndexKey::Column(c) => Some(c.clone()),
                                crate::model::IndexKey::Expr(_) => None,
                            })
                            .collect::<Option<Vec<_>>>()
                    }),
            );
            let unique = keys.into_iter().any(|mut k| {
                k.sort();
                k == wanted
            });
            if !unique {
                out.push(
                    Diagnostic::error(span_of(&fk.name), format!(
                        "`{}` references `{}({})`, but those columns are not its primary key or a unique constraint",
                        r.table.name, fk.references, fk.referenced_columns.join(", ")
                    ))
                    .help("PostgreSQL requires the referenced columns to be unique: reference the primary key, or declare `unique` on them"),
                );
            }
        }
    }
}

/// Every table gets a view named after it in the release's schema of views, so two tables of the
/// same name in different schemas would collide there; a table on its way out cannot be the
/// target of a foreign key that stays.
fn check_release_views(resolved: &[Resolved<'_>], out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, &Resolved<'_>> = BTreeMap::new();
    for r in resolved.iter().filter(|r| r.decl.drop.is_none()) {
        if let Some(first) = seen.insert(&r.table.name.name, r) {
            out.push(
                Diagnostic::error(r.decl.span, format!(
                    "`{}` and `{}` would both be the view `{}` in the release's schema of views",
                    first.table.name, r.table.name, r.table.name.name
                ))
                .help("give one of the tables another `table_name`"),
            );
        }
    }
    let dropped: Vec<&Resolved<'_>> = resolved.iter().filter(|t| t.decl.drop.is_some()).collect();
    if dropped.is_empty() {
        return;
    }
    for r in resolved.iter().filter(|r| r.decl.drop.is_none()) {
        for fk in &r.table.foreign_keys {
            if let Some(target) = dropped.iter().find(|t| t.table.name == fk.references) {
                let span = r.object_spans.get(&fk.name).copied().unwrap_or(r.decl.span);
                out.push(
                    Diagnostic::error(span, format!("`{}` references `{}`, which is being dropped (`#[migrate(drop)]` on `{}`)", r.table.name, fk.references, target.decl.rust_name))
                        .help("remove this foreign key in the same release; it is dropped before the table"),
                );
            }
        }
    }
}

/// PostgreSQL keeps tables, views, indexes, sequences and types in one namespace per schema
/// (a table's row type takes its name among the types): every generated or declared name of
/// one table must differ from every name of the others, and an enum from every table. A
/// collision would fail `CREATE`, or worse, be skipped by a re-run guard's `IF NOT EXISTS`
/// while the snapshot records the object. Names within one table are checked when it resolves.
fn check_namespaces(
    accepted: &Schema,
    resolved: &[Resolved<'_>],
    enums: &[DeclaredEnum],
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<(&str, String), (&Resolved<'_>, RelationKind)> = BTreeMap::new();
    // A table renamed in this release keeps its old name until contract renames it.
    for r in resolved {
        if let Some(hint) = &r.decl.renamed_from {
            let old = QualifiedName::new(r.table.name.schema.clone(), hint.value.clone());
            if accepted.table(&old).is_some() && accepted.table(&r.table.name).is_none() {
                seen.insert(
                    (r.table.name.schema.as_str(), hint.value.clone()),
                    (r, RelationKind::Table),
                );
            }
        }
    }
    for r in resolved {
        if let Some((first, RelationKind::Table)) =
            seen.get(&(r.table.name.schema.as_str(), r.table.name.name.clone()))
            && first.table.name != r.table.name
        {
            out.push(
                Diagnostic::error(r.decl.span, format!(
                    "`{}` is the old name of `{}`, which keeps it until contract renames the table; a new table cannot take it in this release",
                    r.table.name, first.table.name
                ))
                .help("give this table another `table_name`, or take the name in the release after the rename"),
            );
            continue;
        }
        for (name, kind, span) in r.relation_names() {
            let key = (r.table.name.schema.as_str(), name);
            match seen.get(&key) {
                Some((first, first_kind)) if first.table.name != r.table.name => {
                    out.push(
                        Diagnostic::error(span, format!(
                            "the {} `{}` of `{}` has the name of the {} of `{}`; PostgreSQL keeps tables, indexes, sequences and types in one namespace per schema",
                            kind.describe(), key.1, r.table.name, first_kind.describe(), first.table.name
                        ))
                        .help(if kind == RelationKind::Table {
                            "give one table another `table_name = \"…\"`"
                        } else {
                            "give one of them `name = \"…\"` (an identity sequence follows its table and column names)"
                        }),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (r, kind));
                }
            }
        }
    }
    for e in enums {
        if let Some((table, RelationKind::Table)) =
            seen.get(&(e.name.schema.as_str(), e.name.name.clone()))
        {
            out.push(
                Diagnostic::error(e.span, format!(
                    "enum type `{}` has the name of table `{}`, whose row type PostgreSQL names after it",
                    e.name, table.table.name
                ))
                .help("give the enum another `type_name = \"…\"`"),
            );
        }
    }
}

/// Foreign-key column types and enum defaults, against the declared tables and enums. Returns
/// how many of the problems the derive reports itself (it checks foreign keys against the
/// snapshot, and enum defaults not at all: it does not see the labels this release adds).
fn check_declared_types(
    accepted: &Schema,
    resolved: &[Resolved<'_>],
    enums: &[DeclaredEnum],
    out: &mut Vec<Diagnostic>,
) -> usize {
    let by_name: BTreeMap<String, &Table> = resolved
        .iter()
        .map(|r| (r.table.name.key(), &r.table))
        .collect();
    let labels: BTreeMap<String, Vec<String>> = enums
        .iter()
        .map(|e| (e.name.key(), e.to_model().values))
        .collect();
    let mut derive_errors = 0;
    for r in resolved {
        let found = check_foreign_key_types(r, |n| by_name.get(&n.key()).copied());
        if !found.is_empty() {
            let derive_side: Vec<String> = check_foreign_key_types(r, |n| accepted.table(n))
                .iter()
                .map(report_key)
                .collect();
            for d in found {
                if derive_side.contains(&report_key(&d)) {
                    derive_errors += 1;
                } else {
                    out.push(d);
                }
            }
        }
        out.extend(check_enum_defaults(r, |n| {
            labels.get(&n.key()).map(Vec::as_slice)
        }));
    }
    derive_errors
}

/// The table a change belongs to (for changes on existing tables).
fn change_table(change: &Change) -> Option<&QualifiedName> {
    match change {
        Change::CreateTable(t) => Some(&t.name),
        Change::DropTable { table, .. } => Some(&table.name),
        Change::RenameTable { to, .. } => Some(to),
        Change::AddColumn { table, .. }
        | Change::DropColumn { table, .. }
        | Change::ColumnDisappeared { table, .. }
        | Change::RenameColumn { table, .. }
        | Change::AlterColumnType { table, .. }
        | Change::SetNotNull { table, .. }
        | Change::DropNotNull { table, .. }
        | Change::ChangeDefault { table, .. }
        | Change::ChangeIdentity { table, .. }
        | Change::ChangePrimaryKey { table, .. }
        | Change::AddIndex { table, .. }
        | Change::DropIndex { table, .. }
        | Change::RedefineObject { table, .. }
        | Change::AddUnique { table, .. }
        | Change::AddCheck { table, .. }
        | Change::AddForeignKey { table, .. }
        | Change::DropConstraint { table, .. }
        | Change::RenameObject { table, .. } => Some(table),
        Change::CreateEnum(_)
        | Change::AddEnumValue { .. }
        | Change::RewriteEnum { .. }
        | Change::EnumDisappeared(_) => None,
    }
}
