//! C1–C12: the columns of an existing table, field by field, then the accepted columns that no
//! field declares.

use super::{Change, TableWalk};
use crate::declare::DeclaredField;
use crate::model::Column;

impl TableWalk<'_, '_> {
    /// Every declared field against its accepted column, then the accepted columns left over
    /// (dropped with `drop_column`, or disappeared).
    pub(super) fn columns(&mut self) {
        let new = self.new;
        let mut matched: Vec<&str> = Vec::new();
        for field in &new.decl.fields {
            let Some(column) = new.table.column(&field.column) else {
                continue;
            };
            match self.accepted_column(field, column) {
                Some(accepted) => {
                    matched.push(&accepted.name);
                    self.existing_column(field, column, accepted);
                }
                None => {
                    self.new_column_hints(field, column);
                    self.out.changes.push(self.derive(
                        Change::AddColumn {
                            table: new.table.name.clone(),
                            column: column.clone(),
                            compute: self.computed(field),
                        },
                        field.span,
                        field.allow_unsafe.as_ref(),
                    ));
                }
            }
        }
        self.drop_column_hints();
        self.leftover_columns(&matched);
    }

    /// The `compute(..)` of a field, its sources by column name.
    fn computed(&self, field: &DeclaredField) -> Option<super::Computed> {
        let compute = &field.compute.as_ref()?.value;
        let sources = compute
            .from
            .iter()
            .map(|s| {
                self.new
                    .decl
                    .fields
                    .iter()
                    .find(|f| f.rust_name == s.value)
                    .map_or_else(|| s.value.clone(), |f| f.column.clone())
            })
            .collect();
        Some(super::Computed {
            function: compute.function_text.clone(),
            sources,
            declared_by: self.new.decl.rust_name.clone(),
        })
    }

    /// C6, C7, C9–C12 on a column that is accepted already, after its hints.
    fn existing_column(&mut self, field: &DeclaredField, column: &Column, accepted: &Column) {
        let name = &self.new.table.name;
        let allow = field.allow_unsafe.as_ref();
        let becomes_not_null = accepted.nullable && !column.nullable;
        self.backfill_hint(field, column, accepted, becomes_not_null);
        let type_changes = accepted.ty != column.ty && !self.new.unresolved.contains(&column.name);
        self.convert_hint(field, column, accepted, type_changes);
        if type_changes {
            let span = field.column_type_span.unwrap_or(field.ty_span);
            self.out.changes.push(self.derive(
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
            self.out.changes.push(self.derive(
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
            self.out.changes.push(self.derive(
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
            self.out.changes.push(self.derive(
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
            self.out.changes.push(self.derive(
                Change::ChangeIdentity {
                    table: name.clone(),
                    column: column.name.clone(),
                },
                field.span,
                allow,
            ));
        }
    }

    /// C5: the accepted columns that no field declares (`matched` are those that one does).
    fn leftover_columns(&mut self, matched: &[&str]) {
        let decl = self.new.decl;
        let accepted_table = self.accepted;
        let name = &self.new.table.name;
        for column in &accepted_table.columns {
            if matched.contains(&column.name.as_str()) {
                continue;
            }
            match decl.drop_columns.iter().find(|d| d.value == column.name) {
                Some(dropped) => self.out.changes.push(self.derive(
                    Change::DropColumn {
                        table: name.clone(),
                        column: column.clone(),
                    },
                    dropped.span,
                    None,
                )),
                None => self.out.changes.push(self.derive(
                    Change::ColumnDisappeared {
                        table: name.clone(),
                        column: column.clone(),
                    },
                    decl.span,
                    None,
                )),
            }
        }
    }
}
