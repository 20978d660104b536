//! Where the step builders put the work of one change: a builder whose change spans phases
//! (a column filled by a backfill, a NOT NULL readied in contract) writes into each.

use super::backfill::NullFill;
use super::step::{Backfill, Step};

/// Where `plan_change` puts the steps of one change.
pub(super) struct Planned<'a> {
    pub(super) expand: &'a mut Vec<Step>,
    /// C6 fills: their backfills are planned per table, after every change.
    pub(super) fills: &'a mut Vec<NullFill>,
    /// Contract steps that run right after the previous release's views are dropped, before
    /// the renames.
    pub(super) early_contract: &'a mut Vec<Step>,
    pub(super) contract: &'a mut Vec<Step>,
    pub(super) backfills: &'a mut Vec<Backfill>,
}
