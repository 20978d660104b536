//! The declared intent (renames, drops, backfills, conversions) checked against the accepted
//! schema. A hint that names nothing accepted is stale; one that the accepted release itself
//! carried out is welcome until the next release is planned ([`TableDiff::expiring`]).

use proc_macro2::Span;

use super::{Change, TableDiff, TableWalk, derive};
use crate::declare::{DeclaredField, Resolved, Spanned};
use crate::diagnostic::Diagnostic;
use crate::model::{Column, QualifiedName, Schema, Table};

/// A declaration that does not make sense against the snapshot (a stale hint): always an
/// error, spanned on the hint, with the fix as its help.
fn hint_error(span: Span, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
    Diagnostic::error(span, message).help(help)
}

/// A hint that belongs to the accepted release, reported once a build plans the next one.
pub(super) fn expiring_hint(span: Span, hint: &str, change: &str) -> Diagnostic {
    hint_error(
        span,
        format!(
            "`{hint}` was for a change an accepted release made ({change}), and this build plans the next release, which must not carry it (after it the hint would be stale)"
        ),
        format!("remove `{hint}`: its change is accepted already"),
    )
}

/// T3: `renamed_from` on the struct. Returns the accepted table the declaration stands for:
/// the old one for a rename to plan, otherwise `current` (the one under the declared name).
pub(super) fn table_rename<'s>(
    accepted: &'s Schema,
    current: Option<&'s Table>,
    new: &Resolved<'_>,
    hint: &Spanned<String>,
    out: &mut TableDiff,
) -> Option<&'s Table> {
    let table = &new.table;
    let from = QualifiedName::new(table.name.schema.clone(), hint.value.clone());
    match (accepted.table(&from), current) {
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
        (Some(renamed), None) => {
            out.changes.push(derive(new.decl, Change::RenameTable { from: from.clone(), to: table.name.clone() }, hint.span, None));
            return Some(renamed);
        }
        // Accepted by the latest release: still welcome until the next one.
        (None, Some(kept)) if kept.renamed_from.as_deref() == Some(hint.value.as_str()) => {
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
    current
}

/// The hints on a table that is not in the snapshot: none of them has anything to act on.
pub(super) fn new_table_hints(new: &Resolved<'_>, out: &mut TableDiff) {
    let decl = new.decl;
    let table = &new.table;
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
}

impl<'r> TableWalk<'r, '_> {
    /// The accepted column a declared field stands for: the one `renamed_from` names (a C8
    /// rename) or the one of its own name; `None` for a new column.
    pub(super) fn accepted_column(
        &mut self,
        field: &DeclaredField,
        column: &Column,
    ) -> Option<&'r Column> {
        let accepted_table = self.accepted;
        let name = &self.new.table.name;
        let allow = field.allow_unsafe.as_ref();
        let Some(hint) = &field.renamed_from else {
            return accepted_table.column(&column.name);
        };
        match (
            accepted_table.column(&hint.value),
            accepted_table.column(&column.name),
        ) {
            (Some(prev), None) => {
                self.out.changes.push(self.derive(
                    Change::RenameColumn {
                        table: name.clone(),
                        from: hint.value.clone(),
                        to: column.name.clone(),
                    },
                    hint.span,
                    allow,
                ));
                self.renamed.push((hint.value.clone(), column.name.clone()));
                Some(prev)
            }
            (Some(_), Some(_)) => {
                self.out.hint_errors.push(hint_error(
                    hint.span,
                    format!("`renamed_from = \"{}\"`, but `{}` and `{}` both exist in the snapshot", hint.value, hint.value, column.name),
                    format!("declare the old column's fate first: `#[migrate(drop_column = \"{}\")]`, or remove the hint", hint.value),
                ));
                accepted_table.column(&column.name)
            }
            (None, Some(current))
                if current.renamed_from.as_deref() == Some(hint.value.as_str()) =>
            {
                self.out.expiring.push(expiring_hint(
                    hint.span,
                    &format!("renamed_from = \"{}\"", hint.value),
                    &format!("`{}` renamed to `{}`", hint.value, column.name),
                ));
                Some(current)
            }
            (None, Some(current)) => {
                self.out.hint_errors.push(hint_error(
                    hint.span,
                    format!("stale rename hint: `{}` is already the accepted name, and `{name}` has no column `{}` in the snapshot", column.name, hint.value),
                    "if the rename was accepted in an earlier release, remove `renamed_from`; otherwise check the old name",
                ));
                Some(current)
            }
            (None, None) => {
                self.out.hint_errors.push(hint_error(
                    hint.span,
                    format!(
                        "`renamed_from = \"{}\"` matches no column of `{name}` in the snapshot",
                        hint.value
                    ),
                    format!("the accepted columns are: {}", column_names(accepted_table)),
                ));
                None
            }
        }
    }

    /// The hints on a field whose column is new: it has no accepted value to convert, and a
    /// default already fills the existing rows.
    pub(super) fn new_column_hints(&mut self, field: &DeclaredField, column: &Column) {
        let name = &self.new.table.name;
        if let Some(hint) = &field.convert {
            self.out.hint_errors.push(hint_error(
                hint.span,
                format!(
                    "`convert` on new column `{}` of `{name}`: there is no accepted value to convert",
                    column.name
                ),
                "remove it (`convert` is for the release that changes an existing column's type)",
            ));
        }
        if let (Some(hint), Some(_)) = (&field.backfill, &field.default) {
            self.out.hint_errors.push(hint_error(
                hint.span,
                format!(
                    "new column `{}` of `{name}` has a `default`, which existing rows get: it needs no `backfill`",
                    column.name
                ),
                "remove `backfill` (it is for a NOT NULL column with no default, or for the NULLs of a column that becomes NOT NULL)",
            ));
        }
    }

    /// `backfill` on an existing column that does not become NOT NULL: stale, or expiring
    /// when the accepted release filled it.
    pub(super) fn backfill_hint(
        &mut self,
        field: &DeclaredField,
        column: &Column,
        accepted: &Column,
        becomes_not_null: bool,
    ) {
        let name = &self.new.table.name;
        if let Some(hint) = &field.backfill
            && !becomes_not_null
            && accepted.backfill.as_deref() == Some(hint.value.as_str())
        {
            self.out.expiring.push(expiring_hint(
                hint.span,
                "backfill",
                &format!("`{}` filled", column.name),
            ));
        } else if let Some(hint) = &field.backfill
            && !becomes_not_null
        {
            self.out.hint_errors.push(hint_error(
            hint.span,
            format!(
                "stale `backfill`: column `{}` of `{name}` already exists and is NOT NULL, so there are no rows to fill",
                column.name
            ),
            "`backfill` applies in the release that adds the column or makes it NOT NULL; remove it",
        ));
        }
    }

    /// `convert` on an existing column: nothing to convert unless its type changes through a
    /// shadow column, expiring when the accepted release converted it.
    pub(super) fn convert_hint(
        &mut self,
        field: &DeclaredField,
        column: &Column,
        accepted: &Column,
        type_changes: bool,
    ) {
        let new = self.new;
        let name = &new.table.name;
        if let Some(hint) = &field.convert {
            let in_place = type_changes && accepted.ty.is_binary_coercible_to(&column.ty);
            if in_place {
                self.out.hint_errors.push(hint_error(
                hint.span,
                format!(
                    "`{}.{}` changes from {} to {} in place (binary-coercible): there is nothing to convert",
                    name, column.name, accepted.ty, column.ty
                ),
                "remove `convert`",
            ));
            } else if !type_changes && accepted.convert.as_ref() == Some(&hint.value) {
                self.out.expiring.push(expiring_hint(
                    hint.span,
                    "convert",
                    &format!("`{}` converted to {}", column.name, column.ty),
                ));
            } else if !type_changes && !new.unresolved.contains(&column.name) {
                self.out.hint_errors.push(hint_error(
                hint.span,
                format!(
                    "stale `convert`: column `{}` of `{name}` is already {}, so there is nothing to convert",
                    column.name, column.ty
                ),
                "`convert` applies in the release that changes the column's type; remove it",
            ));
            }
        }
    }

    /// `drop_column` hints: each must name an accepted column that no field declares.
    pub(super) fn drop_column_hints(&mut self) {
        let decl = self.new.decl;
        let accepted_table = self.accepted;
        let name = &self.new.table.name;
        for dropped in &decl.drop_columns {
            if decl.field(&dropped.value).is_some() {
                self.out.hint_errors.push(hint_error(
                    dropped.span,
                    format!(
                        "`drop_column = \"{}\"`, but a field still declares that column",
                        dropped.value
                    ),
                    "remove the field, or remove the `drop_column`",
                ));
            } else if accepted_table.dropped_columns.contains(&dropped.value) {
                self.out.expiring.push(expiring_hint(
                    dropped.span,
                    &format!("drop_column = \"{}\"", dropped.value),
                    &format!("`{}` dropped", dropped.value),
                ));
            } else if accepted_table.column(&dropped.value).is_none() {
                self.out.hint_errors.push(stale_drop_column(dropped, name));
            }
        }
    }
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
