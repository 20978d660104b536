//! Stage 4, *decide*: every located change gets its safety-catalog row and a verdict (SAFE,
//! PHASED, ALLOWED, REFUSED, or not supported yet) with its reason, and a warning where the plan
//! must say something even though the change goes ahead. One file per catalog family; the
//! *plan* stage turns the decisions that go ahead into steps.

mod column;
mod constraint;
mod enums;
mod index;
mod not_null;
mod table;
mod type_change;

use migrate_contract::{CatalogRow, VerdictKind};

use crate::diagnostic::Diagnostic;
use crate::diff::{Change, Located, Reporter};
use crate::model::{QualifiedName, Schema};

/// What the planner says about one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Safe as planned: every step is in expand and blocks nobody for long.
    Safe,
    /// Safe, but spread over phases: part of it waits for the backfill or for the contract
    /// (after the old binary is gone).
    Phased {
        /// What waits, and why.
        why: String,
    },
    /// Unsafe, but declared with `allow_unsafe = "reason"`: the naive statement runs and the
    /// reason is recorded in the plan.
    Allowed {
        /// The user's reason.
        reason: String,
        /// What the naive statement costs.
        cost: String,
    },
    /// Unsafe: the build fails and the message names the safe way.
    Refused {
        /// What breaks.
        why: String,
        /// What to declare instead.
        help: String,
    },
    /// A change this version does not classify yet: the build fails rather than guess.
    Unsupported {
        /// What the change is and why it needs a plan this version lacks.
        why: String,
        /// What to do meanwhile.
        help: String,
    },
}

/// A change with its verdict.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The change and where it was declared.
    pub located: Located,
    /// The catalog row (`T1`, `C4`, …).
    pub catalog: CatalogRow,
    /// The verdict.
    pub verdict: Verdict,
    /// Something the plan must say even though the change goes ahead (a widening change that
    /// the running binary cannot decode, a foreign key without an index).
    pub warning: Option<String>,
}

impl Decision {
    /// The compile error for a refused or unsupported change.
    pub fn diagnostic(&self) -> Option<Diagnostic> {
        match &self.verdict {
            Verdict::Refused { why, help } => Some(
                Diagnostic::error(
                    self.located.span,
                    format!("unsafe schema change ({}): {why}", self.catalog),
                )
                .help(help.clone()),
            ),
            Verdict::Unsupported { why, help } => Some(
                Diagnostic::error(
                    self.located.span,
                    format!("schema change not supported yet ({}): {why}", self.catalog),
                )
                .help(help.clone())
                .note("this version generates no migration it has not classified"),
            ),
            Verdict::Safe | Verdict::Phased { .. } | Verdict::Allowed { .. } => None,
        }
    }

    /// Whether this decision stops the plan from being written.
    pub fn blocks(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Refused { .. } | Verdict::Unsupported { .. }
        )
    }

    /// Who reports it.
    pub fn reporter(&self) -> Reporter {
        self.located.reporter
    }

    /// The verdict's kind, as the plan prints it.
    pub fn verdict_kind(&self) -> VerdictKind {
        match self.verdict {
            Verdict::Safe => VerdictKind::Safe,
            Verdict::Phased { .. } => VerdictKind::Phased,
            Verdict::Allowed { .. } => VerdictKind::Allowed,
            Verdict::Refused { .. } => VerdictKind::Refused,
            Verdict::Unsupported { .. } => VerdictKind::Unsupported,
        }
    }
}

/// Gives every change its verdict.
pub fn decide(changes: &[Located], accepted: &Schema) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = changes
        .iter()
        .map(|located| decide_one(located.clone(), accepted))
        .collect();
    refuse_conflicting(&mut decisions);
    decisions
}

/// [`decide`], taking the changes (a change carries whole tables; this spares copying them).
pub fn decide_owned(changes: Vec<Located>, accepted: &Schema) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = changes
        .into_iter()
        .map(|located| decide_one(located, accepted))
        .collect();
    refuse_conflicting(&mut decisions);
    decisions
}

/// Changes that are fine alone but not together on one column. A C6 backfill's trigger fills
/// the old column while a C10 shadow's trigger mirrors it, and the order in which PostgreSQL
/// fires them would decide whether the shadow sees the value: refused, one per release.
fn refuse_conflicting(decisions: &mut [Decision]) {
    let shadowed: Vec<(QualifiedName, String)> = decisions
        .iter()
        .filter(|d| d.catalog == CatalogRow::C10 && matches!(d.verdict, Verdict::Phased { .. }))
        .filter_map(|d| match &d.located.change {
            Change::AlterColumnType { table, column, .. } => Some((table.clone(), column.clone())),
            _ => None,
        })
        .collect();
    for d in decisions.iter_mut() {
        if let Change::SetNotNull {
            table,
            column,
            backfill: Some(_),
        } = &d.located.change
            && shadowed.iter().any(|(t, c)| t == table && c == column)
        {
            d.verdict = refused(
                format!(
                    "`{table}.{column}` changes type through a shadow column and becomes NOT NULL with a `backfill` in the same release; the two triggers would race over its NULLs"
                ),
                "make the column NOT NULL (with its `backfill`) in one release and change its type in the next",
            );
        }
    }
}

fn decide_one(located: Located, accepted: &Schema) -> Decision {
    let (catalog, verdict) = verdict_for(&located.change, accepted);
    let verdict = match (verdict, &located.allow_unsafe) {
        (Verdict::Refused { why, .. }, Some(reason)) if allowable(&located.change) => {
            Verdict::Allowed {
                reason: reason.value.clone(),
                cost: why,
            }
        }
        (verdict, _) => verdict,
    };
    let warning = warning_for(&located.change, accepted);
    Decision {
        located,
        catalog,
        verdict,
        warning,
    }
}

/// Widening changes are safe for the database but not for old typed readers (release model).
fn warning_for(change: &Change, accepted: &Schema) -> Option<String> {
    match change {
        Change::DropColumn { table, column } if !column.nullable && column.default.is_none() => {
            Some(format!(
                "`{table}.{}` loses NOT NULL in expand, so that inserts through the new release's views, which leave it out, succeed: the running binary still reads it as non-optional and cannot decode the NULL in the rows the new binary inserts; to keep its reads valid, give the field a default (`#[migrate(default = \"…\")]`) in a release before the one that drops it, and the column keeps NOT NULL",
                column.name
            ))
        }
        Change::DropNotNull { table, column } => Some(format!(
            "`{table}.{column}` becomes nullable: the running binary cannot decode NULL, so nothing may write NULL there until it is gone"
        )),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            convert: Some(convert),
        } if !from.is_binary_coercible_to(to) => Some(format!(
            "while the old binary runs, the trigger converts every `{table}.{column}` write with the declared expressions: a {from} value that `{}` cannot convert fails the old binary's write (and, in an existing row, stops the backfill with the database's error), and a {to} value that `{}` cannot convert fails the new binary's; a value it turns into NULL in a NOT NULL column holds the new release's views back until it is fixed",
            convert.to_new, convert.to_old
        )),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            convert: None,
        } if !from.is_binary_coercible_to(to) && from.converts_losslessly_to(to) => Some(format!(
            "while the old binary runs, every `{table}.{column}` value the new binary writes is mirrored into the {from} column: a value {from} cannot hold makes that write fail, and one it holds less precisely is rounded there"
        )),
        Change::SetNotNull {
            table,
            column,
            backfill: None,
        } => Some(format!(
            "until contract, the running binary may write NULL into `{table}.{column}`, and the new binary cannot decode it; declare `#[migrate(backfill = \"…\")]` to give those NULLs, and the existing ones, a value from expand on"
        )),
        Change::AddEnumValue { name, value, .. } => Some(format!(
            "enum `{name}` gains `{value}`: the running binary cannot decode it, so nothing may write it until that binary is gone"
        )),
        Change::AddForeignKey { table, foreign_key } => {
            let t = accepted.table(table)?;
            let covered = std::iter::once(t.primary_key.clone())
                .chain(t.uniques.iter().map(|u| u.columns.clone()))
                .chain(t.indexes.iter().filter(|i| i.predicate.is_none()).map(|i| {
                    i.keys
                        .iter()
                        .map_while(|k| match k {
                            crate::model::IndexKey::Column(c) => Some(c.clone()),
                            crate::model::IndexKey::Expr(_) => None,
                        })
                        .collect()
                }))
                .any(|keys: Vec<String>| keys.starts_with(&foreign_key.columns));
            (!covered).then(|| {
                format!(
                    "foreign key `{}` on `{table}` ({}) has no index on its columns: deletes and updates in `{}` will scan `{table}`; consider `#[migrate(index)]`",
                    foreign_key.name,
                    foreign_key.columns.join(", "),
                    foreign_key.references
                )
            })
        }
        _ => None,
    }
}

/// Refusals that have a naive statement `allow_unsafe` may run. Undeclared disappearances have
/// none: intent must be declared first.
fn allowable(change: &Change) -> bool {
    matches!(
        change,
        Change::AddColumn { .. } | Change::AlterColumnType { .. }
    )
}

fn phased(why: impl Into<String>) -> Verdict {
    Verdict::Phased { why: why.into() }
}

fn refused(why: String, help: impl Into<String>) -> Verdict {
    Verdict::Refused {
        why,
        help: help.into(),
    }
}

fn unsupported(why: String, help: impl Into<String>) -> Verdict {
    Verdict::Unsupported {
        why,
        help: help.into(),
    }
}

const ALLOW: &str = "or, if you accept the cost, `#[migrate(allow_unsafe = \"<why it is fine here>\")]` runs the naive statement and records the reason in the plan";

/// The catalog row and verdict of one change, from the file of its family.
fn verdict_for(change: &Change, accepted: &Schema) -> (CatalogRow, Verdict) {
    match change {
        Change::CreateTable(_) | Change::CreateEnum(_) => table::create(),
        Change::DropTable { table, declared } => table::drop_table(table, *declared),
        Change::RenameTable { from, to } => table::rename_table(from, to),
        Change::RenameObject { from, to, .. } => table::rename_object(from, to),
        Change::AddColumn {
            table,
            column,
            compute,
        } => column::add_column(table, column, compute.as_ref()),
        Change::DropColumn { table, column } => column::drop_column(table, column),
        Change::ColumnDisappeared { table, column } => column::disappeared(table, column),
        Change::RenameColumn { table, from, to } => column::rename_column(table, from, to),
        Change::DropNotNull { .. } => column::drop_not_null(),
        Change::ChangeDefault { .. } => column::change_default(),
        Change::ChangeIdentity { table, column } => column::change_identity(table, column),
        Change::SetNotNull {
            table,
            column,
            backfill,
        } => not_null::set_not_null(table, column, backfill.as_deref()),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            convert,
        } => type_change::alter_column_type(table, column, from, to, convert.as_ref(), accepted),
        Change::ChangePrimaryKey { table, from, to } => {
            index::change_primary_key(table, from, to, accepted)
        }
        Change::AddIndex { table, index } => index::add_index(table, index),
        Change::DropIndex { table, index } => index::drop_index(table, index),
        Change::RedefineObject { table, name } => index::redefine(table, name),
        Change::AddUnique { table, unique } => index::add_unique(table, unique),
        Change::AddCheck { table, check } => constraint::add_check(table, check),
        Change::AddForeignKey { table, foreign_key } => {
            constraint::add_foreign_key(table, foreign_key)
        }
        Change::DropConstraint { .. } => constraint::drop_constraint(),
        Change::AddEnumValue { .. } => enums::add_value(),
        Change::RewriteEnum { name, removed } => enums::rewrite(name, removed),
        Change::EnumDisappeared(e) => enums::disappeared(e, accepted),
    }
}
