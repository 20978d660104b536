//! What a plan is made of: [`Step`]s in phases, grouped into files/transactions, and
//! [`Backfill`] jobs. Plain data: the renderer writes files from it and a runner executes it
//! without deciding anything.

use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogRow, VerdictKind};
use crate::name::QualifiedName;
use crate::quote::quote_literal;

/// A release: the number and the schema of views its binary reads and writes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// 0 before anything was accepted, then 1, 2, …
    pub number: u32,
    /// The PostgreSQL schema that will hold this release's views.
    pub views_schema: String,
    /// Whether this release's contract ends by marking its views schema as contracted (R9):
    /// the next release's expand then waits for that mark, so a contract that stopped midway
    /// holds it back. Releases accepted before the mark existed lack it (`false`), and the next
    /// expand falls back to checking that the release before them has no views left.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub marks_contract: bool,
}

impl Release {
    /// The release with this number and the conventional views-schema name; its contract
    /// marks completion.
    pub fn numbered(number: u32) -> Self {
        Self {
            number,
            views_schema: format!("release_{number:04}"),
            marks_contract: true,
        }
    }

    /// The comment the last step of this release's contract puts on its views schema.
    pub fn contract_mark(&self) -> String {
        format!(
            "migrate: the contract of release {} is complete",
            self.number
        )
    }

    /// The comment the next release's expand puts on this release's views schema as it
    /// starts: from then on this release's contract refuses to run again.
    pub fn next_expanding_mark(&self) -> String {
        format!(
            "migrate: the contract of release {} is complete; release {} is expanding",
            self.number,
            self.number + 1
        )
    }
}

/// A migration phase (see the release model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the new binary deploys; both binaries work against the result.
    Expand,
    /// Batched, after expand.
    Backfill,
    /// After every old binary is gone and the backfill is complete.
    Contract,
}

impl Phase {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Backfill => "backfill",
            Phase::Contract => "contract",
        }
    }
}

/// A PostgreSQL table lock mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockMode {
    /// Blocks reads and writes.
    AccessExclusive,
    /// Blocks writes and other SRE.
    ShareRowExclusive,
    /// Blocks writes.
    Share,
    /// Blocks neither reads nor writes.
    ShareUpdateExclusive,
}

impl LockMode {
    /// The name PostgreSQL uses.
    pub fn sql_name(self) -> &'static str {
        match self {
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
        }
    }

    /// Whether it blocks writers (R1 then asks for a lock timeout).
    pub fn blocks_writes(self) -> bool {
        self != LockMode::ShareUpdateExclusive
    }
}

/// One lock a step takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The mode.
    pub mode: LockMode,
    /// The table.
    pub table: QualifiedName,
    /// Whether the table is created in this plan (so nobody else can be waiting on it).
    pub new_table: bool,
}

impl Lock {
    /// Whether it blocks writers on a table that existed before the plan (R1 counts those).
    pub fn blocks_existing(&self) -> bool {
        !self.new_table && self.mode.blocks_writes()
    }
}

/// How a step runs with respect to transactions (R3, R4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transaction {
    /// In a transaction it may share with its neighbours (one file, one transaction).
    Shared,
    /// In a transaction of its own (VALIDATE never shares one with its NOT VALID add; ADD
    /// VALUE, whose label cannot be used before it commits).
    Own,
    /// Outside any transaction, alone (CONCURRENTLY).
    None,
}

impl Transaction {
    /// Whether the step runs inside a transaction at all.
    pub fn is_transactional(self) -> bool {
        self != Transaction::None
    }
}

/// How a step is undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Undo {
    /// SQL that undoes it.
    Sql(String),
    /// It changes nothing a rollback would restore (a read-only check); the text says why.
    Nothing(String),
    /// It cannot be undone; the text says why.
    Irreversible(String),
}

/// A query to run before a step: the step must not run while it returns a non-zero count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreCheck {
    /// `SELECT count(*) …` of the rows that would make the step fail.
    pub sql: String,
    /// What to tell the operator when the count is not zero.
    pub failure: String,
}

/// A check to run after a step. Each gives a `SELECT count(*)` ([`PostCheck::sql`]) that must
/// return 0, and the text to show when it does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "check")]
pub enum PostCheck {
    /// The index exists and is valid (a CONCURRENTLY build that was interrupted leaves it
    /// invalid, and `IF NOT EXISTS` would keep it).
    IndexValid {
        /// The index.
        index: QualifiedName,
    },
    /// The constraint exists on the table and is validated.
    ConstraintValidated {
        /// The table.
        table: QualifiedName,
        /// The constraint name.
        name: String,
    },
    /// A count of rows still to fix; must be 0. This planner writes none yet: a backfill
    /// job's own `rows_left_sql` serves after a backfill, and contract's checks run before
    /// their steps ([`PreCheck`]).
    NoRowsLeft {
        /// `SELECT count(*) …`.
        sql: String,
        /// What the rows are.
        what: String,
    },
}

impl PostCheck {
    /// The query a runner runs: it returns one count, and the check passes when it is 0.
    pub fn sql(&self) -> String {
        match self {
            PostCheck::IndexValid { index } => format!(
                "SELECT count(*) FROM (SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({}) AND indisvalid)) AS invalid",
                quote_literal(&index.sql())
            ),
            PostCheck::ConstraintValidated { table, name } => format!(
                "SELECT count(*) FROM (SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass({}) AND conname = {} AND convalidated)) AS unvalidated",
                quote_literal(&table.sql()),
                quote_literal(name)
            ),
            PostCheck::NoRowsLeft { sql, .. } => sql.clone(),
        }
    }

    /// For an index check, the queries that repair what an interrupted concurrent build left
    /// ([`IndexRepair`]); `None` for the other checks, which nothing repairs.
    pub fn invalid_index_repair(&self) -> Option<IndexRepair> {
        match self {
            PostCheck::IndexValid { index } => {
                let literal = quote_literal(&index.sql());
                Some(IndexRepair {
                    invalid_sql: format!(
                        "SELECT count(*) FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({literal}) AND NOT indisvalid"
                    ),
                    building_sql: format!(
                        "SELECT pid FROM pg_catalog.pg_stat_progress_create_index WHERE index_relid = to_regclass({literal}) AND pid <> pg_backend_pid() LIMIT 1"
                    ),
                    drop_sql: format!("DROP INDEX CONCURRENTLY IF EXISTS {}", index.sql()),
                })
            }
            PostCheck::ConstraintValidated { .. } | PostCheck::NoRowsLeft { .. } => None,
        }
    }

    /// What to tell the operator when the check fails (`count` is what [`PostCheck::sql`] returned).
    pub fn failure(&self, count: i64) -> String {
        match self {
            PostCheck::IndexValid { index } => format!(
                "index {index} is missing or invalid: an interrupted CONCURRENTLY build leaves an invalid index that IF NOT EXISTS would keep; drop it CONCURRENTLY and rebuild"
            ),
            PostCheck::ConstraintValidated { table, name } => {
                format!("constraint {name} on {table} is missing or not validated")
            }
            PostCheck::NoRowsLeft { what, .. } => format!("{count} row(s) left: {what}"),
        }
    }

    /// What the check verifies, in words (the plan summary prints it).
    pub fn describe(&self) -> String {
        match self {
            PostCheck::IndexValid { index } => format!(
                "pg_index.indisvalid for {index}: an interrupted CONCURRENTLY build leaves an invalid index that IF NOT EXISTS would keep; drop it CONCURRENTLY and rebuild"
            ),
            PostCheck::ConstraintValidated { table, name } => {
                format!("pg_constraint.convalidated for {name} on {table}")
            }
            PostCheck::NoRowsLeft { what, .. } => format!("no rows left: {what}"),
        }
    }
}

/// The repair of an index a concurrent build left invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRepair {
    /// A count: 1 when the index exists and is invalid.
    pub invalid_sql: String,
    /// The backend still building it, if any (an index is invalid during its build too; a
    /// runner whose host died may leave its build running): it must not be dropped then.
    pub building_sql: String,
    /// Drops it without blocking writers, so the build can run again.
    pub drop_sql: String,
}

/// Backfills a step waits for: it must not run until each has no rows left (the new
/// release's views, which the new binary reads unfilled rows through).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillGate {
    /// Ids of the [`Backfill`]s, in plan order.
    pub backfills: Vec<String>,
}

/// One executable step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable id: `RRRR.phase.N`, N counting the phase's steps from 1 (see [`Plan::seal`]).
    pub id: String,
    /// sha256 (hex) of the fields a runner executes (see [`Step::compute_checksum`]).
    pub checksum: String,
    /// Its phase.
    pub phase: Phase,
    /// The catalog row it implements.
    pub catalog: CatalogRow,
    /// What it does, in words.
    pub description: String,
    /// A short slug for file names (`add_users_nickname`).
    pub slug: String,
    /// The SQL.
    pub sql: String,
    /// Locks taken, strongest first.
    pub locks: Vec<Lock>,
    /// How it runs with respect to transactions.
    pub transaction: Transaction,
    /// `lock_timeout` to set on the connection that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_timeout_ms: Option<u32>,
    /// `statement_timeout` to set on the connection that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_timeout_ms: Option<u32>,
    /// How a re-run is made harmless.
    pub idempotency: String,
    /// A check to run first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_check: Option<PreCheck>,
    /// A check to run after the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_check: Option<PostCheck>,
    /// Backfills that must be complete before it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<BackfillGate>,
    /// How it is undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<Undo>,
    /// The `allow_unsafe` reason when this is a naive statement the user accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsafe_reason: Option<String>,
}

/// The fields a step's checksum covers: everything a runner executes or sets.
#[derive(Serialize)]
struct Executed<'a> {
    phase: Phase,
    sql: &'a str,
    transaction: Transaction,
    lock_timeout_ms: Option<u32>,
    statement_timeout_ms: Option<u32>,
    pre_check: &'a Option<PreCheck>,
    post_check: &'a Option<PostCheck>,
    gate: &'a Option<BackfillGate>,
    undo: &'a Option<Undo>,
}

impl Step {
    /// A step in a shared transaction with no lock, no guard and no undo yet; its id and
    /// checksum are filled in by [`Plan::seal`].
    pub fn new(
        phase: Phase,
        catalog: CatalogRow,
        description: impl Into<String>,
        slug: impl Into<String>,
        sql: impl Into<String>,
    ) -> Step {
        Step {
            id: String::new(),
            checksum: String::new(),
            phase,
            catalog,
            description: description.into(),
            slug: slug.into(),
            sql: sql.into(),
            locks: Vec::new(),
            transaction: Transaction::Shared,
            lock_timeout_ms: None,
            statement_timeout_ms: None,
            idempotency: String::new(),
            pre_check: None,
            post_check: None,
            gate: None,
            undo: None,
            unsafe_reason: None,
        }
    }

    /// sha256 (lowercase hex) of the compact JSON of what a runner executes or waits for:
    /// `sql`, `transaction`, `lock_timeout_ms`, `statement_timeout_ms`, `pre_check`,
    /// `post_check`, `gate` and `undo`, in that order. Ids, descriptions, slugs and locks are
    /// not covered: editing them changes no execution.
    pub fn compute_checksum(&self) -> String {
        let executed = Executed {
            phase: self.phase,
            sql: &self.sql,
            transaction: self.transaction,
            lock_timeout_ms: self.lock_timeout_ms,
            statement_timeout_ms: self.statement_timeout_ms,
            pre_check: &self.pre_check,
            post_check: &self.post_check,
            gate: &self.gate,
            undo: &self.undo,
        };
        // Plain structs, strings and numbers: serialising cannot fail.
        let bytes = serde_json::to_vec(&executed).unwrap_or_default();
        crate::sha256_hex(&bytes)
    }

    /// Existing tables it locks in a mode that blocks writers.
    pub fn blocking_tables(&self) -> impl Iterator<Item = &QualifiedName> {
        self.locks
            .iter()
            .filter(|l| l.blocks_existing())
            .map(|l| &l.table)
    }
}

/// A batched backfill (rule R7): walk the primary key in keyset order and set a column on the
/// rows that existed before expand. Rows written since are covered by the column's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backfill {
    /// Stable id: `RRRR.backfill.N` (see [`Plan::seal`]).
    pub id: String,
    /// sha256 (hex) of what a runner executes: the table, the key, both queries and the batch
    /// targets (see [`Backfill::compute_checksum`]).
    pub checksum: String,
    /// The catalog row it belongs to.
    pub catalog: CatalogRow,
    /// What it does.
    pub description: String,
    /// The table.
    pub table: QualifiedName,
    /// Primary-key columns, the keyset order.
    pub key: Vec<String>,
    /// The walk's bounds, read once when it starts: one row of `2k` text columns, the first
    /// key then the last key (in key order, not text order), or no row when the table is
    /// empty. Rows inserted after it ran are past the last key or are filled by the expand
    /// phase's default or trigger, so a walk up to that key ends while inserts go on.
    /// Empty in format 1 plan data, whose batches took no bounds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bounds_sql: String,
    /// One batch. Format 2: parameters `$1..$k` are the batch's first key (inclusive) as
    /// text, `$k+1..$2k` the walk's last key (inclusive, from [`Backfill::bounds_sql`]),
    /// `$2k+1` the batch size (bigint). Every parameter is non-NULL, so a generic plan keeps
    /// the primary key's index range. It updates the pending rows in the key range of the
    /// first `size` keys and returns one row: `k` text columns holding the key the next
    /// batch starts at (all NULL when the walk is past its last key), then the keys it read
    /// and the rows it updated (bigint).
    ///
    /// Format 1 (older plan data): `$1..$k` the last key of the previous batch (NULL for the
    /// first), `$k+1` the size; it returns the batch's last key, or no row when done.
    pub batch_sql: String,
    /// `SELECT count(*)` of the rows still to fill; contract refuses while it is not zero.
    pub rows_left_sql: String,
    /// Batch size to start with; a runner adapts it to the target duration.
    pub initial_batch_size: u32,
    /// Target duration of one batch, in milliseconds.
    pub target_batch_ms: u32,
    /// Whether the new release's views (and so its binary) must wait for this backfill: the
    /// rows it fills would otherwise read as NULL where the new binary expects a value. The
    /// step that waits names it in its [`Step::gate`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_deploy: bool,
    /// Set when the values come from a Rust function of the application (a field declared
    /// with `compute(..)`): then [`Backfill::batch_sql`] only reads the batch's rows, and the
    /// application's registered job computes the values and writes them with
    /// [`RustCompute::write_sql`]. Contract runs the walk once more, for the rows an older
    /// binary wrote after it, before it enforces anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<RustCompute>,
}

/// A backfill whose values a Rust function computes, in the application's binary.
///
/// The batch query (format 2 parameters) returns, for at most `size + 1` keys from the
/// batch's first key in key order: the `k` key columns as text, `xmin` as text, whether the
/// row is pending (a bool), then the source columns under their column names. The first
/// `size` rows are the batch; a row past them is where the next batch starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RustCompute {
    /// What the application registers: `schema.table.column` of the declared table.
    pub job: String,
    /// The declaring struct, for messages (`Article`).
    pub declared_by: String,
    /// The function's path as declared (`crate::slug::of_title`).
    pub function: String,
    /// The column it fills, physical name.
    pub column: String,
    /// The columns the function reads (physical names), in argument order.
    pub sources: Vec<String>,
    /// Writes the computed values: `$1..$k` the keys (text arrays), `$k+1` the rows' `xmin`
    /// as read (text array), `$k+2` the values (an array of the column's type). A row
    /// written since it was read, or no longer pending, is left alone.
    pub write_sql: String,
}

impl Backfill {
    /// The checksum of what a runner executes for this job: the table, the key, both
    /// queries (all three in format 2), and the batch targets.
    pub fn compute_checksum(&self) -> String {
        let targets = (
            self.initial_batch_size,
            self.target_batch_ms,
            self.before_deploy,
        );
        // Strings, numbers and a bool: serialising cannot fail. Format 1 data has no bounds
        // query, and its checksums cover exactly what they covered when it was written.
        if let Some(compute) = &self.compute {
            let bytes = serde_json::to_vec(&(
                &self.table,
                &self.key,
                &self.bounds_sql,
                &self.batch_sql,
                &self.rows_left_sql,
                targets,
                compute,
            ));
            return crate::sha256_hex(&bytes.unwrap_or_default());
        }
        let bytes = if self.bounds_sql.is_empty() {
            serde_json::to_vec(&(
                &self.table,
                &self.key,
                &self.batch_sql,
                &self.rows_left_sql,
                targets.0,
                targets.1,
                targets.2,
            ))
        } else {
            serde_json::to_vec(&(
                &self.table,
                &self.key,
                &self.bounds_sql,
                &self.batch_sql,
                &self.rows_left_sql,
                targets.0,
                targets.1,
                targets.2,
            ))
        };
        crate::sha256_hex(&bytes.unwrap_or_default())
    }

    /// Whether its queries are format 2 (bounded batches a runner can walk); format 1 data
    /// must be converted first (`MIGRATE_ACCEPT=1 cargo build`).
    pub fn has_bounds(&self) -> bool {
        !self.bounds_sql.is_empty()
    }
}

/// Steps that run together: one migration file, and (unless [`Transaction::None`]) one
/// transaction. Computed once by the planner; the renderer writes one file per group and a
/// runner runs the same groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepGroup {
    /// The phase of every step in it.
    pub phase: Phase,
    /// The migration file, relative to the migrations folder (`0002001_add_x.sql`,
    /// `contract/0002501_drop_y.sql`).
    pub file: String,
    /// [`Transaction::Shared`]: its steps share one transaction; otherwise it holds one step,
    /// run as that step says.
    pub transaction: Transaction,
    /// Ids of its steps, in execution order.
    pub steps: Vec<String>,
    /// R9: for a transactional group after the first of its phase, the check that runs first
    /// in its transaction (a `DO` block): its phase has begun and is not over. A group that
    /// runs outside a transaction cannot carry it; the groups before and after it do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_check: Option<String>,
    /// `SET LOCAL lock_timeout` for the group's transaction: the smallest of its steps'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_timeout_ms: Option<u32>,
    /// `SET LOCAL statement_timeout` for the group's transaction: the largest of its steps'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_timeout_ms: Option<u32>,
    /// sha256 (hex) of everything above (see [`StepGroup::compute_checksum`]).
    pub checksum: String,
}

/// The `SET LOCAL` statements (no trailing `;`) that give a transaction these timeouts: the
/// one spelling the migration files and a runner both use.
pub fn set_local_timeouts(
    lock_timeout_ms: Option<u32>,
    statement_timeout_ms: Option<u32>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(ms) = lock_timeout_ms {
        out.push(format!("SET LOCAL lock_timeout = '{ms}ms'"));
    }
    if let Some(ms) = statement_timeout_ms {
        out.push(format!("SET LOCAL statement_timeout = '{ms}ms'"));
    }
    out
}

impl StepGroup {
    /// The `SET LOCAL` statements its transaction starts with.
    pub fn timeout_statements(&self) -> Vec<String> {
        set_local_timeouts(self.lock_timeout_ms, self.statement_timeout_ms)
    }

    /// The checksum of what running the group means: its phase, file, transaction mode, steps,
    /// order check and timeouts.
    pub fn compute_checksum(&self) -> String {
        let covered = (
            self.phase,
            &self.file,
            self.transaction,
            &self.steps,
            &self.order_check,
            self.lock_timeout_ms,
            self.statement_timeout_ms,
        );
        // Strings, numbers and enums: serialising cannot fail.
        crate::sha256_hex(&serde_json::to_vec(&covered).unwrap_or_default())
    }
}

/// One change as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSummary {
    /// Catalog row.
    pub catalog: CatalogRow,
    /// The verdict.
    pub verdict: VerdictKind,
    /// The reason.
    pub reason: String,
    /// A warning the plan must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The plan for one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The plan format version ([`crate::FORMAT_VERSION`] when written by this crate).
    pub format: u32,
    /// The release these steps lead to.
    pub release: Release,
    /// The release before it (whose views schema contract drops).
    pub previous: Release,
    /// Every change with its verdict, for the summary.
    pub changes: Vec<ChangeSummary>,
    /// Steps in execution order: expand steps, then contract steps.
    pub steps: Vec<Step>,
    /// Backfill jobs, run after expand and before contract.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backfills: Vec<Backfill>,
    /// The steps grouped into files and transactions, expand groups first, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<StepGroup>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.backfills.is_empty()
    }

    /// The steps of one phase, in order.
    pub fn phase(&self, phase: Phase) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.phase == phase)
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The backfill with this id.
    pub fn backfill(&self, id: &str) -> Option<&Backfill> {
        self.backfills.iter().find(|b| b.id == id)
    }

    /// The groups of one phase, in order.
    pub fn groups_of(&self, phase: Phase) -> impl Iterator<Item = &StepGroup> {
        self.groups.iter().filter(move |g| g.phase == phase)
    }

    /// The steps of a group, in order (ids that name no step are skipped; [`Plan::verify`]
    /// refuses them).
    pub fn group_steps<'a>(&'a self, group: &'a StepGroup) -> impl Iterator<Item = &'a Step> {
        group.steps.iter().filter_map(|id| self.step(id))
    }

    /// The group holding a step.
    pub fn group_of(&self, step_id: &str) -> Option<&StepGroup> {
        self.groups
            .iter()
            .find(|g| g.steps.iter().any(|s| s == step_id))
    }

    /// Gives every step and backfill its id (`RRRR.phase.N`, N from 1 within the phase, and
    /// `RRRR.backfill.N`) and every step its checksum. The planner calls it once it has
    /// placed the steps; the same plan always gets the same ids.
    pub fn seal(&mut self) {
        let release = self.release.number;
        let mut counts = [0usize; 3];
        for step in &mut self.steps {
            let n = &mut counts[step.phase as usize];
            *n += 1;
            step.id = step_id(release, step.phase, *n);
            step.checksum = step.compute_checksum();
        }
        for (i, backfill) in self.backfills.iter_mut().enumerate() {
            backfill.id = backfill_id(release, i + 1);
            backfill.checksum = backfill.compute_checksum();
        }
    }
}

/// The id of the `n`th step (from 1) of a phase of a release: `0002.expand.3`.
pub fn step_id(release: u32, phase: Phase, n: usize) -> String {
    format!("{release:04}.{}.{n}", phase.name())
}

/// The id of the `n`th backfill (from 1) of a release: `0002.backfill.1`.
pub fn backfill_id(release: u32, n: usize) -> String {
    format!("{release:04}.backfill.{n}")
}
