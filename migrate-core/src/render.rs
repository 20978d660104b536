//! Stage 6, *render*: a [`Plan`] becomes files.
//!
//! - Expand steps go to the migrations folder in the layout `sqlx migrate run` accepts:
//!   `<version>_<description>.sql`, consecutive transactional steps in one file (sqlx wraps it
//!   in a transaction), every non-transactional step alone in a file whose first bytes are
//!   `-- no-transaction`, and a step that needs its own transaction in its own file.
//! - Contract steps go to `contract/` inside it, in the same layout: a separate sqlx source, run
//!   once the old binary is gone (`sqlx migrate run --source migrations/contract`).
//! - Each release gets a plan summary (Markdown, for review) and the plan data (JSON, for the
//!   runner) in `plans/`, with the backfill jobs and every step's rollback SQL.
//!
//! Output is deterministic: same plan, same bytes, LF line endings, trailing newline.

use std::fmt::{self, Write as _};

use crate::plan::{Phase, Plan, Step, StepGroup, Transaction, Undo};
use crate::sql::escape_control;

/// Folder, inside the migrations folder, for plan summaries and plan data (sqlx ignores it).
pub const PLANS_DIR: &str = "plans";
pub use crate::plan::CONTRACT_DIR;

/// A generated file: its path relative to the migrations folder and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Full content.
    pub content: String,
}

/// One migration file: its group and the group's steps.
#[derive(Debug, Clone)]
pub struct MigrationFile<'a> {
    /// The path, relative to the migrations folder.
    pub path: String,
    /// The group it writes.
    pub group: &'a StepGroup,
    /// Its steps.
    pub steps: Vec<&'a Step>,
}

/// The migration files of one phase: the plan's groups, with their steps.
pub fn group_files(plan: &Plan, phase: Phase) -> Vec<MigrationFile<'_>> {
    plan.groups_of(phase)
        .map(|group| MigrationFile {
            path: group.file.clone(),
            group,
            steps: plan.group_steps(group).collect(),
        })
        .collect()
}

/// Renders one migration file.
pub fn render_file(
    plan: &Plan,
    phase: Phase,
    file: &MigrationFile<'_>,
    index: usize,
    total: usize,
) -> String {
    let mut out = String::new();
    let header = format!(
        "-- migrate: release {}, {}, file {index} of {total}. Generated from the declared schema; do not edit.\n",
        plan.release.number,
        phase.name()
    );
    if file.steps.iter().any(|s| !s.transaction.is_transactional()) {
        // sqlx runs a file outside a transaction only when these are its very first bytes.
        out.push_str("-- no-transaction\n");
        out.push_str(&header);
        out.push_str("-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.\n");
    } else {
        out.push_str(&header);
        let lock_timeout = file.group.lock_timeout_ms;
        let statement_timeout = file.group.statement_timeout_ms;
        if lock_timeout.is_some() || statement_timeout.is_some() {
            out.push_str("-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.\n");
        }
        for statement in file.group.timeout_statements() {
            let _ = writeln!(out, "{statement};");
        }
    }
    if let Some(check) = &file.group.order_check {
        let _ = writeln!(
            out,
            "\n-- R9 every file checks that its phase has begun and is not over (run the files in order)\n{check}"
        );
    }
    for step in &file.steps {
        out.push('\n');
        // Names, expressions and reasons reach these comment lines; each goes through
        // `escape_control`, so no line break can end the comment and start a statement.
        let line = format!("{} {}: {}", step.catalog, step.description, Locks(step));
        let _ = writeln!(out, "-- {}", escape_control(&line));
        if let Some(reason) = &step.unsafe_reason {
            let _ = writeln!(out, "-- UNSAFE, allowed: {}", escape_control(reason));
        }
        out.push_str(&step.sql);
        out.push('\n');
    }
    out
}

/// A short phrase for the locks a step takes.
pub fn lock_summary(step: &Step) -> String {
    Locks(step).to_string()
}

/// [`lock_summary`], written in place.
struct Locks<'a>(&'a Step);

impl fmt::Display for Locks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.locks.is_empty() {
            return f.write_str("no table lock");
        }
        for (i, l) in self.0.locks.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(l.mode.sql_name())?;
            f.write_str(" on ")?;
            write!(f, "{}", l.table)?;
            if l.new_table {
                f.write_str(" (new table)")?;
            }
        }
        Ok(())
    }
}

/// Renders every file of a release: expand and contract migrations, the plan summary and the
/// plan data.
pub fn render_release(plan: &Plan) -> Vec<GeneratedFile> {
    let mut out = Vec::new();
    for phase in [Phase::Expand, Phase::Contract] {
        let files = group_files(plan, phase);
        let total = files.len();
        out.extend(files.iter().enumerate().map(|(i, f)| GeneratedFile {
            path: f.path.clone(),
            content: render_file(plan, phase, f, i + 1, total),
        }));
    }
    out.push(GeneratedFile {
        path: format!("{PLANS_DIR}/{:04}.md", plan.release.number),
        content: render_summary(plan),
    });
    out.push(GeneratedFile {
        path: format!("{PLANS_DIR}/{:04}.json", plan.release.number),
        content: plan.to_json(),
    });
    out
}

/// The human-readable plan: changes with their verdicts, the steps by phase, the backfills,
/// then each step's SQL and rollback.
pub fn render_summary(plan: &Plan) -> String {
    let files: Vec<MigrationFile<'_>> = [Phase::Expand, Phase::Contract]
        .into_iter()
        .flat_map(|p| group_files(plan, p))
        .collect();
    // Each step's file, by the step's address (steps are borrowed from `plan`).
    let file_by_step: std::collections::HashMap<*const Step, &str> = files
        .iter()
        .flat_map(|f| f.steps.iter().map(|s| (*s as *const Step, f.path.as_str())))
        .collect();
    let file_of = |step: &Step| {
        file_by_step
            .get(&(step as *const Step))
            .map_or("-", |path| path)
    };
    // `--target-version`: the phase's last file, so one command applies this release's phase
    // and nothing of a later release.
    let run = |source: &str, phase: Phase| {
        let version = files
            .iter()
            .rfind(|f| f.steps.first().is_some_and(|s| s.phase == phase))
            .and_then(|f| f.path.rsplit('/').next()?.get(..7)?.parse::<u64>().ok())
            .map(|v| format!(" --target-version {v}"))
            .unwrap_or_default();
        format!("sqlx migrate run --source {source}{version} --ignore-missing")
    };
    let mut out = format!(
        "# Release {} plan\n\nThe binary of release {} reads and writes through the views in schema `{}`. Expand runs before it deploys (`{}`); the backfill after expand; contract once every binary of release {} is gone (`{}`). Every file but the first of a phase starts by checking the release order; a lone CONCURRENTLY statement cannot, and the file after it checks that its index is valid.\n",
        plan.release.number,
        plan.release.number,
        plan.release.views_schema,
        run("migrations", Phase::Expand),
        plan.previous.number,
        run("migrations/contract", Phase::Contract)
    );
    out.push_str("\n## Changes\n\n| catalog | verdict | what and why |\n|---|---|---|\n");
    for change in &plan.changes {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            change.catalog,
            change.verdict,
            md_cell(&change.reason)
        );
    }
    let warnings: Vec<&String> = plan
        .changes
        .iter()
        .filter_map(|c| c.warning.as_ref())
        .collect();
    if !warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for w in warnings {
            let _ = writeln!(out, "- {}", escape_control(w));
        }
    }
    out.push_str("\n## Steps\n\n| # | phase | catalog | step | locks | transaction | file |\n|---|---|---|---|---|---|---|\n");
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}{} | {} | {} | `{}` |",
            i + 1,
            step.phase.name(),
            step.catalog,
            md_cell(&step.description),
            if step.unsafe_reason.is_some() {
                " (UNSAFE, allowed)"
            } else {
                ""
            },
            md_cell(&Locks(step).to_string()),
            transaction_text(step),
            file_of(step)
        );
    }
    if !plan.backfills.is_empty() {
        out.push_str("\n## Backfills\n");
        for b in &plan.backfills {
            let _ = writeln!(
                out,
                "\n### {} ({})\n\n- table {}, keyset order ({}); batches start at {} rows, sized for {} ms each\n- rows left: {}\n",
                escape_control(&b.description),
                b.catalog,
                md_code(&b.table.to_string()),
                escape_control(&b.key.join(", ")),
                b.initial_batch_size,
                b.target_batch_ms,
                md_code(&b.rows_left_sql),
            );
            if b.has_bounds() {
                push_code_block(&mut out, &b.bounds_sql);
                out.push('\n');
            }
            push_code_block(&mut out, &b.batch_sql);
        }
    }
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n## {}. {}\n",
            i + 1,
            escape_control(&step.description)
        );
        let _ = writeln!(
            out,
            "- phase: {}; catalog row {}",
            step.phase.name(),
            step.catalog
        );
        let _ = writeln!(out, "- locks: {}", escape_control(&Locks(step).to_string()));
        let _ = writeln!(out, "- transaction: {}", transaction_text(step));
        if let Some(ms) = step.lock_timeout_ms {
            let _ = writeln!(out, "- lock_timeout: {ms} ms");
        }
        if let Some(ms) = step.statement_timeout_ms {
            let _ = writeln!(out, "- statement_timeout: {ms} ms");
        }
        let _ = writeln!(out, "- re-run: {}", step.idempotency);
        if let Some(check) = &step.pre_check {
            let _ = writeln!(
                out,
                "- before: {} must be 0 ({})",
                md_code(&check.sql),
                escape_control(&check.failure)
            );
        }
        if let Some(check) = &step.post_check {
            let _ = writeln!(out, "- after: {}", escape_control(&check.describe()));
        }
        if let Some(reason) = &step.unsafe_reason {
            let _ = writeln!(
                out,
                "- UNSAFE, allowed with the reason: {}",
                escape_control(reason)
            );
        }
        out.push('\n');
        push_code_block(&mut out, &step.sql);
        match &step.undo {
            Some(Undo::Sql(rollback)) => {
                out.push_str("\nRollback:\n\n");
                push_code_block(&mut out, rollback);
            }
            Some(Undo::Nothing(why)) => {
                out.push_str("\nRollback:\n\n");
                push_code_block(&mut out, &format!("-- nothing to undo: {why}"));
            }
            Some(Undo::Irreversible(why)) => {
                _ = writeln!(out, "\nRollback: not possible ({}).", escape_control(why));
            }
            None => {}
        }
    }
    out
}

fn transaction_text(step: &Step) -> &'static str {
    match step.transaction {
        Transaction::None => "no: runs alone, outside any transaction",
        Transaction::Own => "yes, its own",
        Transaction::Shared => "yes",
    }
}

/// Inline Markdown code around `text`: one backtick, or two with spaces when the text holds
/// one, so a backtick in a name cannot end the span early.
fn md_code(text: &str) -> String {
    let text = escape_control(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// Text for one cell of a Markdown table: no line break, no unescaped `|`.
fn md_cell(text: &str) -> String {
    escape_control(text).replace('|', "\\|")
}

/// A fenced SQL block whose fence is longer than any run of backticks in `sql` (a literal in
/// the SQL cannot close it early), then a newline.
pub fn push_code_block(out: &mut String, sql: &str) {
    let mut longest = 0;
    let mut run = 0;
    for c in sql.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}sql\n{sql}\n{fence}");
}
