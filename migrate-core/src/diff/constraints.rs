//! I3, K1–K3: the unique, CHECK and foreign-key constraints of an existing table.

use std::borrow::Cow;

use super::objects::diff_objects;
use super::{Change, TableWalk};
use crate::model::{ForeignKey, Unique};

impl TableWalk<'_, '_> {
    /// I3 (unique constraints), K3 and renamed ones.
    pub(super) fn uniques(&mut self) {
        let new = self.new;
        let table = &new.table;
        let accepted_table = self.accepted;
        let accepted: Cow<'_, [Unique]> = if self.renamed.is_empty() {
            Cow::Borrowed(&accepted_table.uniques)
        } else {
            accepted_table
                .uniques
                .iter()
                .map(|u| Unique {
                    columns: u.columns.iter().map(|c| self.rename(c)).collect(),
                    ..u.clone()
                })
                .collect()
        };
        for kind in diff_objects(
            &accepted,
            &table.uniques,
            |u| &u.name,
            |a, b| a.columns == b.columns,
        ) {
            let added = |n: &str| Change::AddUnique {
                table: table.name.clone(),
                unique: table
                    .uniques
                    .iter()
                    .find(|u| u.name == n)
                    .cloned()
                    .expect("added unique is declared"),
            };
            self.object(kind, false, added);
        }
    }

    /// K1 (CHECK constraints), K3 and renamed ones.
    pub(super) fn checks(&mut self) {
        let new = self.new;
        let table = &new.table;
        let accepted_table = self.accepted;
        for kind in diff_objects(
            &accepted_table.checks,
            &table.checks,
            |c| &c.name,
            |a, b| a.expr == b.expr,
        ) {
            let added = |n: &str| Change::AddCheck {
                table: table.name.clone(),
                check: table
                    .checks
                    .iter()
                    .find(|c| c.name == n)
                    .cloned()
                    .expect("added check is declared"),
            };
            self.object(kind, false, added);
        }
    }

    /// K2 (foreign keys), K3 and renamed ones. Foreign keys whose target the derive cannot
    /// resolve are left to the build helper.
    pub(super) fn foreign_keys(&mut self) {
        let new = self.new;
        let table = &new.table;
        let accepted_table = self.accepted;
        let declared: Cow<'_, [ForeignKey]> = if new.unresolved.is_empty() {
            Cow::Borrowed(&table.foreign_keys)
        } else {
            table
                .foreign_keys
                .iter()
                .filter(|f| !new.unresolved.contains(&f.name))
                .cloned()
                .collect()
        };
        let accepted: Cow<'_, [ForeignKey]> =
            if new.unresolved.is_empty() && self.renamed.is_empty() {
                Cow::Borrowed(&accepted_table.foreign_keys)
            } else {
                accepted_table
                    .foreign_keys
                    .iter()
                    .filter(|f| !new.unresolved.contains(&f.name))
                    .map(|f| ForeignKey {
                        columns: f.columns.iter().map(|c| self.rename(c)).collect(),
                        ..f.clone()
                    })
                    .collect()
            };
        for kind in diff_objects(&accepted, &declared, |f| &f.name, same_foreign_key) {
            let added = |n: &str| Change::AddForeignKey {
                table: table.name.clone(),
                foreign_key: declared
                    .iter()
                    .find(|f| f.name == n)
                    .cloned()
                    .expect("added foreign key is declared"),
            };
            self.object(kind, false, added);
        }
    }
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
