//! Stage 3, *diff*: the accepted schema (snapshot) against the declarations. The result is a
//! list of [`Change`]s, each with the span of the declaration that causes it and the declared
//! intent (renames, drops, escape hatches). Intent is read, never guessed: a column that
//! disappears without `drop_column` is a [`Change::ColumnDisappeared`], not a drop.
//!
//! [`diff_table`] is what the derive runs for its own struct; [`diff_schema`] is what the build
//! helper runs for the whole crate. The second calls the first, so both see the same changes.

mod columns;
mod constraints;
mod enums;
mod hints;
mod indexes;
mod objects;

use proc_macro2::Span;

use crate::declare::{DeclaredEnum, DeclaredTable, Resolved, Spanned};
use crate::diagnostic::Diagnostic;
use crate::model::{
    Check, Column, EnumType, ForeignKey, Index, QualifiedName, Schema, Table, Unique,
};
pub use enums::diff_enum;

/// A column whose values a Rust function computes from other columns of its row
/// (`#[migrate(compute(with = "…", from(..)))]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    /// The function's path as written (`crate::slug::of_title`).
    pub function: String,
    /// The columns it reads (SQL names), in argument order.
    pub sources: Vec<String>,
    /// The struct that declares it, which registers the job with the runner.
    pub declared_by: String,
}

/// One difference between the snapshot and the declarations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// T1: a table that is not in the snapshot.
    CreateTable(Table),
    /// T2: a table on its way out. `declared` is false when its struct simply vanished.
    DropTable {
        /// The table as accepted.
        table: Table,
        /// Whether `#[migrate(drop)]` declares the intent.
        declared: bool,
    },
    /// T3: `renamed_from` on the struct.
    RenameTable {
        /// Old name.
        from: QualifiedName,
        /// New name.
        to: QualifiedName,
    },
    /// C1–C4, C12: a new column on an existing table.
    AddColumn {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: Column,
        /// `compute(..)`: its values come from a Rust function of other columns.
        compute: Option<Computed>,
    },
    /// C5: `drop_column = "…"`.
    DropColumn {
        /// The table.
        table: QualifiedName,
        /// The column as accepted.
        column: Column,
    },
    /// A column of the snapshot that no field declares, with no drop or rename declared.
    ColumnDisappeared {
        /// The table.
        table: QualifiedName,
        /// The column as accepted.
        column: Column,
    },
    /// C8: `renamed_from` on a field.
    RenameColumn {
        /// The table.
        table: QualifiedName,
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// C9/C10: the column type changed.
    AlterColumnType {
        /// The table.
        table: QualifiedName,
        /// The column (new name).
        column: String,
        /// Accepted type.
        from: crate::model::ColumnType,
        /// Declared type.
        to: crate::model::ColumnType,
        /// The declared conversion, for a change with no lossless cast.
        convert: Option<crate::model::Conversion>,
    },
    /// C6: nullable → NOT NULL.
    SetNotNull {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
        /// The declared `backfill` value: what existing NULLs, and the NULLs the running binary
        /// writes until contract, become.
        backfill: Option<String>,
    },
    /// C7: NOT NULL → nullable.
    DropNotNull {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
    },
    /// C11: the default changed, was added or removed.
    ChangeDefault {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
        /// Accepted default.
        from: Option<String>,
        /// Declared default.
        to: Option<String>,
    },
    /// C12: identity added to or removed from an existing column.
    ChangeIdentity {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
    },
    /// I4: the primary key changed.
    ChangePrimaryKey {
        /// The table.
        table: QualifiedName,
        /// Accepted key.
        from: Vec<String>,
        /// Declared key.
        to: Vec<String>,
    },
    /// I1/I5: a new index on an existing table.
    AddIndex {
        /// The table.
        table: QualifiedName,
        /// The index.
        index: Index,
    },
    /// I2: an index no longer declared.
    DropIndex {
        /// The table.
        table: QualifiedName,
        /// The index as accepted.
        index: Index,
    },
    /// An index or constraint whose name stayed but whose definition changed.
    RedefineObject {
        /// The table.
        table: QualifiedName,
        /// Its name.
        name: String,
    },
    /// I3: a unique constraint added to an existing table.
    AddUnique {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        unique: Unique,
    },
    /// K1: a CHECK added to an existing table.
    AddCheck {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        check: Check,
    },
    /// K2: a foreign key added to an existing table.
    AddForeignKey {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        foreign_key: ForeignKey,
    },
    /// K3: a constraint no longer declared.
    DropConstraint {
        /// The table.
        table: QualifiedName,
        /// Its name.
        name: String,
    },
    /// An index or constraint whose definition is unchanged but whose name changed (usually a
    /// generated name following a table or column rename).
    RenameObject {
        /// The table (new name).
        table: QualifiedName,
        /// Whether it is an index (renamed with ALTER INDEX) or a constraint.
        index: bool,
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// A new enum type.
    CreateEnum(EnumType),
    /// E1: a label added.
    AddEnumValue {
        /// The type.
        name: QualifiedName,
        /// The new label.
        value: String,
        /// Where it goes: after this accepted label (`None`: before the first one).
        after: Option<String>,
    },
    /// E2: a label removed, renamed or moved.
    RewriteEnum {
        /// The type.
        name: QualifiedName,
        /// The accepted labels missing or out of order.
        removed: Vec<String>,
    },
    /// An enum of the snapshot that no `#[derive(PgEnum)]` declares.
    EnumDisappeared(EnumType),
}

/// Which tool reports a change: the derive (spanned in the struct) or the build helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporter {
    /// `#[derive(Table)]` or `#[derive(PgEnum)]` reports it as a compile error.
    Derive,
    /// The build helper reports it (it concerns no declaration that still exists).
    BuildHelper,
}

/// A change located in the source.
#[derive(Debug, Clone)]
pub struct Located {
    /// The change.
    pub change: Change,
    /// The declaration that causes it.
    pub span: Span,
    /// Who reports it if it is refused.
    pub reporter: Reporter,
    /// The `allow_unsafe` reason that covers it, if any.
    pub allow_unsafe: Option<Spanned<String>>,
}

/// The diff of one table (or one enum).
#[derive(Debug, Clone, Default)]
pub struct TableDiff {
    /// Changes in declaration order.
    pub changes: Vec<Located>,
    /// Stale or contradictory hints.
    pub hint_errors: Vec<Diagnostic>,
    /// Hints welcome only because the accepted release made their change (a rename, a drop, a
    /// backfill or conversion): planning the next release makes them stale, so then each is an
    /// error, before anything is written.
    pub expiring: Vec<Diagnostic>,
}

/// Diffs one resolved table against the snapshot.
pub fn diff_table(accepted: &Schema, new: &Resolved<'_>) -> TableDiff {
    let decl = new.decl;
    let mut out = TableDiff::default();
    let mut current = accepted.table(&new.table.name);
    // The common case of every build: the table is exactly as accepted and declares no intent
    // (no rename, drop or drop_column hint), so every check below finds nothing.
    if current.is_some_and(|table| *table == new.table) && declares_no_intent(new) {
        return out;
    }
    if let Some(hint) = &decl.renamed_from {
        current = hints::table_rename(accepted, current, new, hint, &mut out);
    }
    let Some(accepted_table) = current else {
        new_table(accepted, new, &mut out);
        return out;
    };
    if let Some(span) = decl.drop {
        out.changes.push(derive(
            decl,
            Change::DropTable {
                table: accepted_table.clone(),
                declared: true,
            },
            span,
            None,
        ));
        return out;
    }
    let mut walk = TableWalk {
        new,
        accepted: accepted_table,
        renamed: Vec::new(),
        out,
    };
    walk.columns();
    walk.primary_key();
    walk.indexes();
    walk.uniques();
    walk.checks();
    walk.foreign_keys();
    walk.out
}

/// Whether a table declares nothing beyond its schema: no unresolved name, no rename, drop,
/// `drop_column`, `backfill` or `convert`.
fn declares_no_intent(new: &Resolved<'_>) -> bool {
    let decl = new.decl;
    new.unresolved.is_empty()
        && decl.renamed_from.is_none()
        && decl.drop.is_none()
        && decl.drop_columns.is_empty()
        && decl
            .fields
            .iter()
            .all(|f| f.renamed_from.is_none() && f.backfill.is_none() && f.convert.is_none())
}

/// T1: a table that is not in the snapshot (unless the accepted release dropped it and the
/// struct still carries its `drop`, which expires).
fn new_table(accepted: &Schema, new: &Resolved<'_>, out: &mut TableDiff) {
    let decl = new.decl;
    if let Some(span) = decl.drop
        && accepted.dropped_tables.contains(&new.table.name)
    {
        // Dropped by the accepted release: nothing left to do until the next one.
        out.expiring.push(hints::expiring_hint(
            span,
            "drop",
            &format!("`{}` dropped", new.table.name),
        ));
        return;
    }
    hints::new_table_hints(new, out);
    out.changes.push(derive(
        decl,
        Change::CreateTable(new.table.clone()),
        decl.span,
        None,
    ));
}

/// A change the derive reports, covered by the field's `allow_unsafe` or else the struct's.
fn derive(
    decl: &DeclaredTable,
    change: Change,
    span: Span,
    allow: Option<&Spanned<String>>,
) -> Located {
    Located {
        change,
        span,
        reporter: Reporter::Derive,
        allow_unsafe: allow.or(decl.allow_unsafe.as_ref()).cloned(),
    }
}

/// One existing table's diff in progress; each concern (columns, indexes, constraints) adds
/// its changes in turn, in the order the plan lists them.
struct TableWalk<'r, 'a> {
    /// The declaration, resolved.
    new: &'r Resolved<'a>,
    /// The table as accepted.
    accepted: &'r Table,
    /// Accepted column name → declared name, for matching constraints across renames.
    renamed: Vec<(String, String)>,
    /// What is found so far.
    out: TableDiff,
}

impl TableWalk<'_, '_> {
    /// See [`derive`].
    fn derive(&self, change: Change, span: Span, allow: Option<&Spanned<String>>) -> Located {
        derive(self.new.decl, change, span, allow)
    }

    /// A located change with the struct's `allow_unsafe` (if any).
    fn located(&self, change: Change, span: Span) -> Located {
        self.derive(change, span, None)
    }

    /// Records a change with the struct's `allow_unsafe` (if any).
    fn push(&mut self, change: Change, span: Span) {
        let located = self.located(change, span);
        self.out.changes.push(located);
    }

    /// An accepted column's name as this release declares it.
    fn rename(&self, column: &String) -> String {
        self.renamed
            .iter()
            .find(|(from, _)| from == column)
            .map_or_else(|| column.clone(), |(_, to)| to.clone())
    }

    /// Where an index or constraint is declared (the struct for one the snapshot names).
    fn span_of(&self, object: &str) -> Span {
        self.new
            .object_spans
            .get(object)
            .copied()
            .unwrap_or(self.new.decl.span)
    }
}

/// Everything the build helper finds: per-declaration diffs plus the cross-table changes.
#[derive(Debug, Clone, Default)]
pub struct SchemaDiff {
    /// All changes, tables first in declaration order, then removals.
    pub changes: Vec<Located>,
    /// All stale hints.
    pub hint_errors: Vec<Diagnostic>,
    /// All hints that expire when the next release is planned ([`TableDiff::expiring`]).
    pub expiring: Vec<Diagnostic>,
}

/// Diffs the whole declared schema against the snapshot.
pub fn diff_schema(
    accepted: &Schema,
    tables: &[Resolved<'_>],
    enums: &[DeclaredEnum],
    fallback_span: Span,
) -> SchemaDiff {
    let mut out = SchemaDiff::default();
    for e in enums {
        let d = diff_enum(accepted, e);
        out.changes.extend(d.changes);
        out.hint_errors.extend(d.hint_errors);
    }
    for t in tables {
        let d = diff_table(accepted, t);
        out.changes.extend(d.changes);
        out.hint_errors.extend(d.hint_errors);
        out.expiring.extend(d.expiring);
    }
    let declared_keys: std::collections::BTreeSet<String> = tables
        .iter()
        .flat_map(|t| {
            let renamed =
                t.decl.renamed_from.as_ref().map(|h| {
                    QualifiedName::new(t.table.name.schema.clone(), h.value.clone()).key()
                });
            std::iter::once(t.table.name.key()).chain(renamed)
        })
        .collect();
    let declared = |key: &str| declared_keys.contains(key);
    for (key, table) in &accepted.tables {
        if !declared(key) {
            out.changes.push(Located {
                change: Change::DropTable {
                    table: table.clone(),
                    declared: false,
                },
                span: fallback_span,
                reporter: Reporter::BuildHelper,
                allow_unsafe: None,
            });
        }
    }
    for (key, e) in &accepted.enums {
        if !enums.iter().any(|d| d.name.key() == *key) {
            out.changes.push(Located {
                change: Change::EnumDisappeared(e.clone()),
                span: fallback_span,
                reporter: Reporter::BuildHelper,
                allow_unsafe: None,
            });
        }
    }
    out
}
