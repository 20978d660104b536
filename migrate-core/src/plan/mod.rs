//! Stage 4, *plan*: every located change gets a verdict (SAFE, PHASED, REFUSED, or not
//! supported yet) and a reason; accepted ones become [`Step`]s in their phase (expand, backfill,
//! contract): plain data with the SQL, the lock it takes, whether it runs in a transaction, its
//! timeouts, its idempotency guard, its pre-check and its rollback. The renderer writes files
//! from steps and the runner executes them; neither decides anything.

mod build;
mod group;
pub mod legacy;
mod shadow;
mod step;

pub use build::{PlanInput, Target, build_plan, column_definition, file_order_check};
pub use group::{CONTRACT_DIR, group_steps};
pub use migrate_contract::{CatalogRow, FORMAT_VERSION, PlanReadError, VerdictKind};
pub use step::{
    Backfill, BackfillGate, ChangeSummary, Lock, LockMode, Phase, Plan, PostCheck, PreCheck, Step,
    StepBuilder, StepGroup, Transaction, Undo,
};

use crate::decide::{Decision, Verdict};
use crate::sql::volatility;

/// `lock_timeout` for every step that takes ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE on an
/// existing table (rule R1): short, so a queued lock never stalls traffic for long.
pub const LOCK_TIMEOUT_MS: u32 = 100;
/// `statement_timeout` for steps under ACCESS EXCLUSIVE (rule R2). Metadata changes take
/// microseconds once the lock is granted.
pub const STATEMENT_TIMEOUT_MS: u32 = 5_000;
