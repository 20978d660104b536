//! Named objects (indexes and constraints) matched between the accepted table and the
//! declaration: by name first, then by definition, so that a generated name that follows a
//! rename is a rename, not a drop plus a create.

use super::{Change, TableWalk};

/// How a named object differs between the snapshot and the declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ObjectDiff<'a> {
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
pub(super) fn diff_objects<'a, T>(
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

impl TableWalk<'_, '_> {
    /// Records one object difference: `added` builds the change for a declared object that
    /// the accepted table lacks (from its name); `index` says whether a removed or renamed
    /// object is an index or a constraint.
    pub(super) fn object(
        &mut self,
        kind: ObjectDiff<'_>,
        index: bool,
        added: impl FnOnce(&str) -> Change,
    ) {
        let new = self.new;
        let name = &new.table.name;
        let located = match kind {
            ObjectDiff::Added(new_name) => self.located(added(new_name), self.span_of(new_name)),
            ObjectDiff::Removed(old_name) => self.located(
                if index {
                    Change::DropIndex {
                        table: name.clone(),
                        index: self
                            .accepted
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
                self.new.decl.span,
            ),
            ObjectDiff::Changed(new_name) => self.located(
                Change::RedefineObject {
                    table: name.clone(),
                    name: new_name.to_owned(),
                },
                self.span_of(new_name),
            ),
            ObjectDiff::Renamed { from, to } => self.located(
                Change::RenameObject {
                    table: name.clone(),
                    index,
                    from: from.to_owned(),
                    to: to.to_owned(),
                },
                self.span_of(to),
            ),
        };
        self.out.changes.push(located);
    }
}
