//! Pre-checks as executable steps: a count of offending rows that stops the file's
//! transaction when it is not zero (NULLs left, duplicates, rows a backfill has not filled).

use super::sql_parts::guarded;
use super::step::{LockMode, Phase, Step, StepBuilder};
use crate::model::QualifiedName;
use crate::sql;
use migrate_contract::CatalogRow;

/// A pre-check as an executable step: raises (so the file's transaction stops) when the count
/// of offending rows is not zero.
pub(super) fn check_step(
    table: &QualifiedName,
    catalog: CatalogRow,
    description: String,
    slug: String,
    offending_rows: &str,
    failure: &str,
) -> Step {
    let (before, after) = failure
        .split_once(sql::COUNT_PLACEHOLDER)
        .unwrap_or((failure, ""));
    let raise = format!(
        "RAISE EXCEPTION {}, ({offending_rows});",
        sql::raise_format(before, after)
    );
    Step::new(
        Phase::Contract,
        catalog,
        description,
        slug,
        guarded(&format!("({offending_rows}) > 0"), &raise),
    )
    .guard("read-only")
    .nothing_to_undo("a read-only check")
    .pre_check(offending_rows, failure.replace(sql::COUNT_PLACEHOLDER, "N"))
    .lock(LockMode::ShareUpdateExclusive, table, false)
    .with_no_locks()
    // A full scan: in a transaction of its own, so no ACCESS EXCLUSIVE taken by an earlier
    // step (a rename, a trigger drop) is held while it reads the whole table.
    .own_transaction()
}

/// A read-only check takes only ACCESS SHARE; listing it would mislead.
trait WithNoLocks {
    fn with_no_locks(self) -> Self;
}

impl WithNoLocks for Step {
    fn with_no_locks(mut self) -> Step {
        self.locks.clear();
        self.lock_timeout_ms = None;
        self.statement_timeout_ms = None;
        self
    }
}
