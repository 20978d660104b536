//! Stage 3, *diff*: the accepted schema (snapshot) against the declarations. The result is a
//! list of [`Change`]s, each with the span of the declaration that causes it and the declared
//! intent (renames, drops, escape hatches). Intent is read, never guessed: a column that
//! disappears without `drop_column` is a [`Change::ColumnDisappeared`], not a drop.
//!
//! [`diff_table`] is what the derive runs for its own struct; [`diff_schema`] is what the build
//! helper runs for the whole crate. The second calls the first, so both see the same changes.

use std::borrow::Cow;

use proc_macro2::Span;

use crate::declare::{DeclaredEnum, Resolved, Spanned};
use crate::diagnostic::Diagnostic;
use crate::model::{
    Check, Column, EnumType, ForeignKey, Index, QualifiedName, Schema, Table, Unique,
};

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

/// A declaration that does not make sense against the snapshot (a stale hint): always an
/// error, spanned on the hint, with the fix as its help.
fn hint_error(span: Span, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
    Diagnostic::error(span, message).help(help)
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

/// A hint that belongs to the accepted release, reported once a build plans the next one.
fn expiring_hint(span: Span, hint: &str, change: &str) -> Diagnostic {
    hint_error(
        span,
        format!(
            "`{hint}` was for a change an accepted release made ({change}), and this build plans the next release, which must not carry it (after it the hint would be stale)"
        ),
        format!("remove `{hint}`: its change is accepted already"),
    )
}

/// Diffs one resolved table against the snapshot.
pub fn diff_table(snapshot: &Schema, new: &Resolved<'_>) -> TableDiff {
    let decl = new.decl;
    let table = &new.table;
    let mut out = TableDiff::default();
    let derive = |change: Change, span: Span, allow: Option<&Spanned<String>>| Located {
        change,
        span,
        reporter: Reporter::Derive,
        allow_unsafe: allow.or(decl.allow_unsafe.as_ref()).cloned(),
    };

    let mut old = snapshot.table(&table.name);
    // The common case of every build: the table is exactly as accepted and declares no intent
    // (no rename, drop or drop_column hint), so every check below finds nothing.
    if old.is_some_and(|accepted| accepted == table)
        && new.unresolved.is_empty()
        && decl.renamed_from.is_none()
        && decl.drop.is_none()
        && decl.drop_columns.is_empty()
        && decl
            .fields
            .iter()
            .all(|f| f.renamed_from.is_none() && f.backfill.is_none() && f.convert.is_none())
    {
        return out;
    }
    if let Some(hint) = &decl.renamed_from {
        let from = QualifiedName::new(table.name.schema.clone(), hint.value.clone());
        match (snapshot.table(&from), old) {
            _ if from == table.name => out.hint_errors.push(hint_error(
                hint.span,
                format!("`renamed_from = \"{}\"` names the table itself", hint.value),
                "`renamed_from` takes the table's previous name; remove the hint",
            )),
            (Some(_), Some(_)) => out.hint_errors.push(hint_error(
                hint.span,
                format!("`renamed_from = \"{}\"`, but both `{from}` and `{}` are in the snapshot", hint.value, table.name),
                "a rename needs the old table to be gone from the declarations; remove the hint or the other struct",
            )),
            (Some(accepted), None) => {
                out.changes.push(derive(Change::RenameTable { from: from.clone(), to: table.name.clone() }, hint.span, None));
                old = Some(accepted);
            }
            // Accepted by the latest release: still welcome until the next one.
            (None, Some(accepted)) if accepted.renamed_from.as_deref() == Some(hint.value.as_str()) => {
                out.expiring.push(expiring_hint(hint.span, &format!("renamed_from = \"{}\"", hint.value), &format!("`{}` renamed to `{}`", hint.value, table.name.name)));
            }

            (None, Some(_)) => out.hint_errors.push(hint_error(
                hint.span,
                format!("stale rename hint: `{}` is already the accepted name, and no table `{}` is in the snapshot", table.name, hint.value),
                "if the rename was accepted in an earlier release, remove `renamed_from`; otherwise check the old name",
            )),
            (None, None) => out.hint_errors.push(hint_error(
                hint.span,
                format!("`renamed_from = \"{}\"` matches no table in the snapshot", hint.value),
                "check the old name (it is the SQL table name, schema-local), or remove the hint",
            )),
        }
    }

    let Some(old) = old else {
        if let Some(span) = decl.drop
            && snapshot.dropped_tables.contains(&table.name)
        {
            // Dropped by the accepted release: nothing left to do until the next one.
            out.expiring.push(expiring_hint(
                span,
                "drop",
                &format!("`{}` dropped", table.name),
            ));
            return out;
        }
        if let Some(span) = decl.drop {
            out.hint_errors.push(hint_error(
                span,
                format!(
                    "`drop` on `{}`, which is not in the snapshot",
                    decl.rust_name
                ),
                "a table that was never accepted has nothing to drop; delete the struct",
            ));
        }
        for c in &decl.drop_columns {
            out.hint_errors.push(stale_drop_column(c, &table.name));
        }
        for f in decl.fields.iter().filter_map(|f| f.backfill.as_ref()) {
            out.hint_errors.push(hint_error(
                f.span,
                format!(
                    "`backfill` on a column of `{}`, which is a new table",
                    table.name
                ),
                "remove it: a new table has no rows to fill",
            ));
        }
        for f in decl.fields.iter().filter_map(|f| f.renamed_from.as_ref()) {
            out.hint_errors.push(hint_error(
                f.span,
                format!(
                    "`renamed_from` on a column of `{}`, which is a new table",
                    table.name
                ),
                "remove the hint: every column of a new table is new",
            ));
        }
        for f in decl.fields.iter().filter_map(|f| f.convert.as_ref()) {
            out.hint_errors.push(hint_error(
                f.span,
                format!(
                    "`convert` on a column of `{}`, which is a new table",
                    table.name
                ),
                "remove it: a new table has no values to convert",
            ));
        }
        out.changes
            .push(derive(Change::CreateTable(table.clone()), decl.span, None));
        return out;
    };

    if let Some(span) = decl.drop {
        out.changes.push(derive(
            Change::DropTable {
                table: old.clone(),
                declared: true,
            },
            span,
            None,
        ));
        return out;
    }

    let name = &table.name;
    // Old column name → new column name, for matching constraints across renames.
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut matched_old: Vec<&str> = Vec::new();
    for field in &decl.fields {
        let Some(column) = table.column(&field.column) else {
            continue;
        };
        let allow = field.allow_unsafe.as_ref();
        let accepted = match &field.renamed_from {
            Some(hint) => {
                match (old.column(&hint.value), old.column(&column.name)) {
                    (Some(prev), None) => {
                        out.changes.push(derive(
                            Change::RenameColumn {
                                table: name.clone(),
                                from: hint.value.clone(),
                                to: column.name.clone(),
                            },
                            hint.span,
                            allow,
                        ));
                        renamed.push((hint.value.clone(), column.name.clone()));
                        Some(prev)
                    }
                    (Some(_), Some(_)) => {
                        out.hint_errors.push(hint_error(
                            hint.span,
                            format!("`renamed_from = \"{}\"`, but `{}` and `{}` both exist in the snapshot", hint.value, hint.value, column.name),
                            format!("declare the old column's fate first: `#[migrate(drop_column = \"{}\")]`, or remove the hint", hint.value),
                        ));
                        old.column(&column.name)
                    }
                    (None, Some(current))
                        if current.renamed_from.as_deref() == Some(hint.value.as_str()) =>
                    {
                        out.expiring.push(expiring_hint(
                            hint.span,
                            &format!("renamed_from = \"{}\"", hint.value),
                            &format!("`{}` renamed to `{}`", hint.value, column.name),
                        ));
                        Some(current)
                    }
                    (None, Some(current)) => {
                        out.hint_errors.push(hint_error(
                            hint.span,
                            format!("stale rename hint: `{}` is already the accepted name, and `{name}` has no column `{}` in the snapshot", column.name, hint.value),
                            "if the rename was accepted in an earlier release, remove `renamed_from`; otherwise check the old name",
                        ));
                        Some(current)
                    }
                    (None, None) => {
                        out.hint_errors.push(hint_error(
                            hint.span,
                            format!("`renamed_from = \"{}\"` matches no column of `{name}` in the snapshot", hint.value),
                            format!("the accepted columns are: {}", column_names(old)),
                        ));
                        None
                    }
                }
            }
            None => old.column(&column.name),
        };
        let Some(accepted) = accepted else {
            if let Some(hint) = &field.convert {
                out.hint_errors.push(hint_error(
                    hint.span,
                    format!(
                        "`convert` on new column `{}` of `{name}`: there is no accepted value to convert",
                        column.name
                    ),
                    "remove it (`convert` is for the release that changes an existing column's type)",
                ));
            }
            if let (Some(hint), Some(_)) = (&field.backfill, &field.default) {
                out.hint_errors.push(hint_error(
                    hint.span,
                    format!(
                        "new column `{}` of `{name}` has a `default`, which existing rows get: it needs no `backfill`",
                        column.name
                    ),
                    "remove `backfill` (it is for a NOT NULL column with no default, or for the NULLs of a column that becomes NOT NULL)",
                ));
            }
            out.changes.push(derive(
                Change::AddColumn {
                    table: name.clone(),
                    column: column.clone(),
                },
                field.span,
                allow,
            ));
            continue;
        };
        matched_old.push(&accepted.name);
        let becomes_not_null = accepted.nullable && !column.nullable;
        if let Some(hint) = &field.backfill
            && !becomes_not_null
            && accepted.backfill.as_deref() == Some(hint.value.as_str())
        {
            out.expiring.push(expiring_hint(
                hint.span,
                "backfill",
                &format!("`{}` filled", column.name),
            ));
        } else if let Some(hint) = &field.backfill
            && !becomes_not_null
        {
            out.hint_errors.push(hint_error(
                hint.span,
                format!(
                    "stale `backfill`: column `{}` of `{name}` already exists and is NOT NULL, so there are no rows to fill",
                    column.name
                ),
                "`backfill` applies in the release that adds the column or makes it NOT NULL; remove it",
            ));
        }
        let type_changes = accepted.ty != column.ty && !new.unresolved.contains(&column.name);
        if let Some(hint) = &field.convert {
            let in_place = type_changes && accepted.ty.is_binary_coercible_to(&column.ty);
            if in_place {
                out.hint_errors.push(hint_error(
                    hint.span,
                    format!(
                        "`{}.{}` changes from {} to {} in place (binary-coercible): there is nothing to convert",
                        name, column.name, accepted.ty, column.ty
                    ),
                    "remove `convert`",
                ));
            } else if !type_changes && accepted.convert.as_ref() == Some(&hint.value) {
                out.expiring.push(expiring_hint(
                    hint.span,
                    "convert",
                    &format!("`{}` converted to {}", column.name, column.ty),
                ));
            } else if !type_changes && !new.unresolved.contains(&column.name) {
                out.hint_errors.push(hint_error(
                    hint.span,
                    format!(
                        "stale `convert`: column `{}` of `{name}` is already {}, so there is nothing to convert",
                        column.name, column.ty
                    ),
                    "`convert` applies in the release that changes the column's type; remove it",
                ));
            }
        }
        if type_changes {
            let span = field.column_type_span.unwrap_or(field.ty_span);
            out.changes.push(derive(
                Change::AlterColumnType {
                    table: name.clone(),
                    column: column.name.clone(),
                    from: accepted.ty.clone(),
                    to: column.ty.clone(),
                    convert: field.convert.as_ref().map(|c| c.value.clone()),
                },
                span,
                allow,
            ));
        }
        if becomes_not_null {
            out.changes.push(derive(
                Change::SetNotNull {
                    table: name.clone(),
                    column: column.name.clone(),
                    backfill: field.backfill.as_ref().map(|b| b.value.clone()),
                },
                field.ty_span,
                allow,
            ));
        }
        if !accepted.nullable && column.nullable {
            out.changes.push(derive(
                Change::DropNotNull {
                    table: name.clone(),
                    column: column.name.clone(),
                },
                field.ty_span,
                allow,
            ));
        }
        if accepted.default != column.default {
            let span = field.default.as_ref().map_or(field.span, |d| d.span);
            out.changes.push(derive(
                Change::ChangeDefault {
                    table: name.clone(),
                    column: column.name.clone(),
                    from: accepted.default.clone(),
                    to: column.default.clone(),
                },
                span,
                allow,
            ));
        }
        if accepted.identity != column.identity {
            out.changes.push(derive(
                Change::ChangeIdentity {
                    table: name.clone(),
                    column: column.name.clone(),
                },
                field.span,
                allow,
            ));
        }
    }

    for dropped in &decl.drop_columns {
        if decl.field(&dropped.value).is_some() {
            out.hint_errors.push(hint_error(
                dropped.span,
                format!(
                    "`drop_column = \"{}\"`, but a field still declares that column",
                    dropped.value
                ),
                "remove the field, or remove the `drop_column`",
            ));
        } else if old.dropped_columns.contains(&dropped.value) {
            out.expiring.push(expiring_hint(
                dropped.span,
                &format!("drop_column = \"{}\"", dropped.value),
                &format!("`{}` dropped", dropped.value),
            ));
        } else if old.column(&dropped.value).is_none() {
            out.hint_errors.push(stale_drop_column(dropped, name));
        }
    }
    for column in &old.columns {
        if matched_old.contains(&column.name.as_str()) {
            continue;
        }
        match decl.drop_columns.iter().find(|d| d.value == column.name) {
            Some(dropped) => out.changes.push(derive(
                Change::DropColumn {
                    table: name.clone(),
                    column: column.clone(),
                },
                dropped.span,
                None,
            )),
            None => out.changes.push(derive(
                Change::ColumnDisappeared {
                    table: name.clone(),
                    column: column.clone(),
                },
                decl.span,
                None,
            )),
        }
    }

    let rename = |c: &String| {
        renamed
            .iter()
            .find(|(from, _)| from == c)
            .map_or_else(|| c.clone(), |(_, to)| to.clone())
    };
    let old_pk: Vec<String> = old.primary_key.iter().map(rename).collect();
    if old_pk != table.primary_key {
        let span = decl.primary_key.as_ref().map_or(decl.span, |pk| pk.span);
        out.changes.push(derive(
            Change::ChangePrimaryKey {
                table: name.clone(),
                from: old.primary_key.clone(),
                to: table.primary_key.clone(),
            },
            span,
            None,
        ));
    }

    let span_of = |object: &str| new.object_spans.get(object).copied().unwrap_or(decl.span);
    let mut object_changes: Vec<Located> = Vec::new();
    let push_common = |kind: ObjectDiff<'_>,
                       index: bool,
                       added: &dyn Fn() -> Change,
                       out: &mut Vec<Located>| match kind {
        ObjectDiff::Added(new_name) => out.push(derive(added(), span_of(new_name), None)),
        ObjectDiff::Removed(old_name) => out.push(derive(
            if index {
                Change::DropIndex {
                    table: name.clone(),
                    index: old
                        .indexes
                        .iter()
                        .find(|i| i.name == old_name)
                        .cloned()
                        .expect("removed index is in the snapshot"),
                }
            } else {
                Change::DropConstraint {
                    table: name.clone(),
                    name: old_name.to_owned(),
                }
            },
            decl.span,
            None,
        )),
        ObjectDiff::Changed(new_name) => out.push(derive(
            Change::RedefineObject {
                table: name.clone(),
                name: new_name.to_owned(),
            },
            span_of(new_name),
            None,
        )),
        ObjectDiff::Renamed { from, to } => out.push(derive(
            Change::RenameObject {
                table: name.clone(),
                index,
                from: from.to_owned(),
                to: to.to_owned(),
            },
            span_of(to),
            None,
        )),
    };
    // Accepted objects as this release names their columns (borrowed when nothing is renamed).
    let old_indexes: Cow<'_, [Index]> = if renamed.is_empty() {
        Cow::Borrowed(&old.indexes)
    } else {
        old.indexes
            .iter()
            .map(|i| renamed_index(i, &rename))
            .collect()
    };
    for kind in diff_objects(&old_indexes, &table.indexes, |i| &i.name, same_index) {
        let added = |n: &str| table.indexes.iter().find(|i| i.name == n).cloned();
        let change = |n: &str| Change::AddIndex {
            table: name.clone(),
            index: added(n).expect("added index is declared"),
        };
        let new_name = match kind {
            ObjectDiff::Added(n) => n.to_owned(),
            _ => String::new(),
        };
        push_common(kind, true, &|| change(&new_name), &mut object_changes);
    }
    let old_uniques: Cow<'_, [Unique]> = if renamed.is_empty() {
        Cow::Borrowed(&old.uniques)
    } else {
        old.uniques
            .iter()
            .map(|u| Unique {
                columns: u.columns.iter().map(rename).collect(),
                ..u.clone()
            })
            .collect()
    };
    for kind in diff_objects(
        &old_uniques,
        &table.uniques,
        |u| &u.name,
        |a, b| a.columns == b.columns,
    ) {
        let new_name = match kind {
            ObjectDiff::Added(n) => n.to_owned(),
            _ => String::new(),
        };
        let unique = table.uniques.iter().find(|u| u.name == new_name).cloned();
        push_common(
            kind,
            false,
            &|| Change::AddUnique {
                table: name.clone(),
                unique: unique.clone().expect("added unique is declared"),
            },
            &mut object_changes,
        );
    }
    for kind in diff_objects(
        &old.checks,
        &table.checks,
        |c| &c.name,
        |a, b| a.expr == b.expr,
    ) {
        let new_name = match kind {
            ObjectDiff::Added(n) => n.to_owned(),
            _ => String::new(),
        };
        let check = table.checks.iter().find(|c| c.name == new_name).cloned();
        push_common(
            kind,
            false,
            &|| Change::AddCheck {
                table: name.clone(),
                check: check.clone().expect("added check is declared"),
            },
            &mut object_changes,
        );
    }
    let new_fks: Cow<'_, [ForeignKey]> = if new.unresolved.is_empty() {
        Cow::Borrowed(&table.foreign_keys)
    } else {
        table
            .foreign_keys
            .iter()
            .filter(|f| !new.unresolved.contains(&f.name))
            .cloned()
            .collect()
    };
    let old_fks: Cow<'_, [ForeignKey]> = if new.unresolved.is_empty() && renamed.is_empty() {
        Cow::Borrowed(&old.foreign_keys)
    } else {
        old.foreign_keys
            .iter()
            .filter(|f| !new.unresolved.contains(&f.name))
            .map(|f| ForeignKey {
                columns: f.columns.iter().map(rename).collect(),
                ..f.clone()
            })
            .collect()
    };
    for kind in diff_objects(&old_fks, &new_fks, |f| &f.name, same_foreign_key) {
        let new_name = match kind {
            ObjectDiff::Added(n) => n.to_owned(),
            _ => String::new(),
        };
        let fk = new_fks.iter().find(|f| f.name == new_name).cloned();
        push_common(
            kind,
            false,
            &|| Change::AddForeignKey {
                table: name.clone(),
                foreign_key: fk.clone().expect("added foreign key is declared"),
            },
            &mut object_changes,
        );
    }
    out.changes.extend(object_changes);
    out
}

/// Whether two indexes have the same definition (whatever their names).
fn same_index(a: &Index, b: &Index) -> bool {
    let Index {
        name: _,
        keys,
        unique,
        method,
        predicate,
    } = a;
    *keys == b.keys && *unique == b.unique && *method == b.method && *predicate == b.predicate
}

/// Whether two foreign keys have the same definition (whatever their names).
fn same_foreign_key(a: &ForeignKey, b: &ForeignKey) -> bool {
    let ForeignKey {
        name: _,
        columns,
        references,
        referenced_columns,
        on_delete,
        on_update,
    } = a;
    *columns == b.columns
        && *references == b.references
        && *referenced_columns == b.referenced_columns
        && *on_delete == b.on_delete
        && *on_update == b.on_update
}

/// How a named object differs between the snapshot and the declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectDiff<'a> {
    /// Declared, not accepted (the new name).
    Added(&'a str),
    /// Accepted, no longer declared (the old name).
    Removed(&'a str),
    /// Same name, other definition.
    Changed(&'a str),
    /// Same definition under another name.
    Renamed { from: &'a str, to: &'a str },
}

/// Matches two lists of named objects: by name first, then unmatched ones by definition (a
/// rename). New objects come in declaration order, then removed ones.
fn diff_objects<'a, T>(
    old: &'a [T],
    new: &'a [T],
    name: impl Fn(&T) -> &String,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<ObjectDiff<'a>> {
    let mut out = Vec::new();
    let mut old_matched = vec![false; old.len()];
    let mut pending_new = Vec::new();
    for n in new {
        match old.iter().position(|o| name(o) == name(n)) {
            Some(i) => {
                old_matched[i] = true;
                if !same(&old[i], n) {
                    out.push(ObjectDiff::Changed(name(n).as_str()));
                }
            }
            None => pending_new.push(n),
        }
    }
    for n in pending_new {
        let renamed = old.iter().enumerate().find(|(i, o)| {
            !old_matched[*i] && !new.iter().any(|k| name(k) == name(o)) && same(o, n)
        });
        match renamed {
            Some((i, o)) => {
                old_matched[i] = true;
                out.push(ObjectDiff::Renamed {
                    from: name(o).as_str(),
                    to: name(n).as_str(),
                });
            }
            None => out.push(ObjectDiff::Added(name(n).as_str())),
        }
    }
    for (i, o) in old.iter().enumerate() {
        if !old_matched[i] {
            out.push(ObjectDiff::Removed(name(o).as_str()));
        }
    }
    out
}

fn stale_drop_column(dropped: &Spanned<String>, table: &QualifiedName) -> Diagnostic {
    hint_error(
        dropped.span,
        format!(
            "`drop_column = \"{}\"` matches no column of `{table}` in the snapshot",
            dropped.value
        ),
        "if the drop was accepted in an earlier release, remove the `drop_column`; otherwise check the name",
    )
}

fn column_names(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Diffs one enum declaration against the snapshot.
pub fn diff_enum(snapshot: &Schema, declared: &DeclaredEnum) -> TableDiff {
    let mut out = TableDiff::default();
    let model = declared.to_model();
    let located = |change, span| Located {
        change,
        span,
        reporter: Reporter::Derive,
        allow_unsafe: None,
    };
    let Some(accepted) = snapshot.enums.get(&model.name.key()) else {
        out.changes
            .push(located(Change::CreateEnum(model), declared.span));
        return out;
    };
    // The accepted labels must still be there, in the same relative order.
    let kept: Vec<&String> = model
        .values
        .iter()
        .filter(|v| accepted.values.contains(v))
        .collect();
    let removed: Vec<String> = accepted
        .values
        .iter()
        .filter(|v| !model.values.contains(v))
        .cloned()
        .collect();
    if !removed.is_empty()
        || kept
            .iter()
            .map(|v| v.as_str())
            .ne(accepted.values.iter().map(String::as_str))
    {
        let removed = if removed.is_empty() {
            accepted.values.clone()
        } else {
            removed
        };
        out.changes.push(located(
            Change::RewriteEnum {
                name: model.name.clone(),
                removed,
            },
            declared.span,
        ));
        return out;
    }
    let mut previous: Option<String> = None;
    for value in &declared.values {
        if !accepted.values.contains(&value.value) {
            out.changes.push(located(
                Change::AddEnumValue {
                    name: model.name.clone(),
                    value: value.value.clone(),
                    after: previous.clone(),
                },
                value.span,
            ));
        }
        previous = Some(value.value.clone());
    }
    out
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
    snapshot: &Schema,
    tables: &[Resolved<'_>],
    enums: &[DeclaredEnum],
    fallback_span: Span,
) -> SchemaDiff {
    let mut out = SchemaDiff::default();
    for e in enums {
        let d = diff_enum(snapshot, e);
        out.changes.extend(d.changes);
        out.hint_errors.extend(d.hint_errors);
    }
    for t in tables {
        let d = diff_table(snapshot, t);
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
    for (key, table) in &snapshot.tables {
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
    for (key, e) in &snapshot.enums {
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

/// An accepted index with its column keys renamed as declared in this release.
fn renamed_index(index: &Index, rename: &dyn Fn(&String) -> String) -> Index {
    let keys = index
        .keys
        .iter()
        .map(|k| match k {
            crate::model::IndexKey::Column(c) => crate::model::IndexKey::Column(rename(c)),
            other => other.clone(),
        })
        .collect();
    Index {
        keys,
        ..index.clone()
    }
}
