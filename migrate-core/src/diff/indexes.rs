//! I1–I5: the primary key and the indexes of an existing table.

use std::borrow::Cow;

use super::objects::diff_objects;
use super::{Change, TableWalk};
use crate::model::{Index, IndexKey};

impl TableWalk<'_, '_> {
    /// I4: the primary key, with the accepted key's columns as this release names them.
    pub(super) fn primary_key(&mut self) {
        let decl = self.new.decl;
        let new = self.new;
        let table = &new.table;
        let accepted = self.accepted;
        let accepted_pk: Vec<String> = accepted
            .primary_key
            .iter()
            .map(|c| self.rename(c))
            .collect();
        if accepted_pk != table.primary_key {
            let span = decl.primary_key.as_ref().map_or(decl.span, |pk| pk.span);
            self.push(
                Change::ChangePrimaryKey {
                    table: table.name.clone(),
                    from: accepted.primary_key.clone(),
                    to: table.primary_key.clone(),
                },
                span,
            );
        }
    }

    /// I1, I2, I5 and renamed indexes.
    pub(super) fn indexes(&mut self) {
        let new = self.new;
        let table = &new.table;
        let accepted_table = self.accepted;
        // Accepted indexes as this release names their columns (borrowed when nothing is renamed).
        let accepted: Cow<'_, [Index]> = if self.renamed.is_empty() {
            Cow::Borrowed(&accepted_table.indexes)
        } else {
            accepted_table
                .indexes
                .iter()
                .map(|i| renamed_index(i, &|c| self.rename(c)))
                .collect()
        };
        for kind in diff_objects(&accepted, &table.indexes, |i| &i.name, same_index) {
            let added = |n: &str| Change::AddIndex {
                table: table.name.clone(),
                index: table
                    .indexes
                    .iter()
                    .find(|i| i.name == n)
                    .cloned()
                    .expect("added index is declared"),
            };
            self.object(kind, true, added);
        }
    }
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

/// An accepted index with its column keys renamed as declared in this release.
fn renamed_index(index: &Index, rename: &dyn Fn(&String) -> String) -> Index {
    let keys = index
        .keys
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => IndexKey::Column(rename(c)),
            other => other.clone(),
        })
        .collect();
    Index {
        keys,
        ..index.clone()
    }
}
