//! Stage 5, *render*: a [`Plan`] becomes files. Expand steps go to the migrations folder in the
//! layout `sqlx migrate run` accepts: `<version>_<description>.sql`, consecutive transactional
//! steps in one file (sqlx wraps it in a transaction), and every non-transactional step alone
//! in a file whose first bytes are `-- no-transaction`. Each release also gets a plan summary
//! (Markdown, for review) and the plan data (JSON, for the runner).
//!
//! Output is deterministic: same plan, same bytes, LF line endings, trailing newline.

use crate::plan::{Phase, Plan, Step};

/// Folder, inside the migrations folder, for plan summaries and plan data (sqlx ignores it).
pub const PLANS_DIR: &str = "plans";

/// A generated file: its path relative to the migrations folder and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Full content.
    pub content: String,
}

/// One migration file and the steps in it.
#[derive(Debug, Clone)]
pub struct MigrationFile<'a> {
    /// The file name.
    pub name: String,
    /// Its steps.
    pub steps: Vec<&'a Step>,
}

/// Groups the expand steps of a plan into sqlx migration files.
pub fn group_files(plan: &Plan) -> Vec<MigrationFile<'_>> {
    let mut groups: Vec<Vec<&Step>> = Vec::new();
    for step in plan.steps.iter().filter(|s| s.phase == Phase::Expand) {
        match groups.last_mut() {
            Some(group) if step.transactional && group.iter().all(|s| s.transactional) => {
                group.push(step)
            }
            _ => groups.push(vec![step]),
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, steps)| MigrationFile {
            name: file_name(plan.release.number, i + 1, &steps),
            steps,
        })
        .collect()
}

fn file_name(release: u32, seq: usize, steps: &[&Step]) -> String {
    let mut description = String::new();
    for step in steps {
        let slug = step.slug.to_ascii_lowercase();
        if description.len() + slug.len() + 1 > 60 {
            description.push_str("_etc");
            break;
        }
        if !description.is_empty() {
            description.push('_');
        }
        description.push_str(&slug);
    }
    let description: String = description
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{release:04}{seq:03}_{description}.sql")
}

/// Renders one migration file.
pub fn render_file(plan: &Plan, file: &MigrationFile<'_>, index: usize, total: usize) -> String {
    let mut out = String::new();
    let header = format!(
        "-- migrate: release {}, expand, file {index} of {total}. Generated from the declared schema; do not edit.\n",
        plan.release.number
    );
    if file.steps.iter().any(|s| !s.transactional) {
        // sqlx runs a file outside a transaction only when these are its very first bytes.
        out.push_str("-- no-transaction\n");
        out.push_str(&header);
    } else {
        out.push_str(&header);
        let lock_timeout = file.steps.iter().filter_map(|s| s.lock_timeout_ms).min();
        let statement_timeout = file
            .steps
            .iter()
            .filter_map(|s| s.statement_timeout_ms)
            .max();
        if lock_timeout.is_some() || statement_timeout.is_some() {
            out.push_str("-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.\n");
        }
        if let Some(ms) = lock_timeout {
            out.push_str(&format!("SET LOCAL lock_timeout = '{ms}ms';\n"));
        }
        if let Some(ms) = statement_timeout {
            out.push_str(&format!("SET LOCAL statement_timeout = '{ms}ms';\n"));
        }
    }
    for step in &file.steps {
        out.push('\n');
        out.push_str(&format!(
            "-- {} {}: {}\n",
            step.catalog,
            step.description,
            lock_summary(step)
        ));
        if let Some(reason) = &step.unsafe_reason {
            out.push_str(&format!(
                "-- UNSAFE, allowed: {}\n",
                reason.replace('\n', " ")
            ));
        }
        out.push_str(&step.sql);
        out.push('\n');
    }
    out
}

/// A short phrase for the locks a step takes.
pub fn lock_summary(step: &Step) -> String {
    if step.locks.is_empty() {
        return "no table lock".into();
    }
    step.locks
        .iter()
        .map(|l| {
            format!(
                "{} on {}{}",
                l.mode.sql_name(),
                l.table,
                if l.new_table { " (new table)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders every file of a release: migrations, the plan summary and the plan data.
pub fn render_release(plan: &Plan) -> Vec<GeneratedFile> {
    let files = group_files(plan);
    let total = files.len();
    let mut out: Vec<GeneratedFile> = files
        .iter()
        .enumerate()
        .map(|(i, f)| GeneratedFile {
            path: f.name.clone(),
            content: render_file(plan, f, i + 1, total),
        })
        .collect();
    out.push(GeneratedFile {
        path: format!("{PLANS_DIR}/{:04}.md", plan.release.number),
        content: render_summary(plan, &files),
    });
    let mut json = serde_json::to_string_pretty(plan).expect("a plan always serialises");
    json.push('\n');
    out.push(GeneratedFile {
        path: format!("{PLANS_DIR}/{:04}.json", plan.release.number),
        content: json,
    });
    out
}

/// The human-readable plan: a table of steps, then each step's SQL.
pub fn render_summary(plan: &Plan, files: &[MigrationFile<'_>]) -> String {
    let file_of = |step: &Step| {
        files
            .iter()
            .find(|f| f.steps.iter().any(|s| std::ptr::eq(*s, step)))
            .map_or_else(|| "-".to_owned(), |f| f.name.clone())
    };
    let mut out = format!(
        "# Release {} plan\n\nViews schema: `{}`. Steps run in this order; expand files are in the sqlx layout (`sqlx migrate run`).\n\n",
        plan.release.number, plan.release.views_schema
    );
    out.push_str("| # | phase | catalog | step | locks | transaction | file |\n|---|---|---|---|---|---|---|\n");
    for (i, step) in plan.steps.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | {} | {}{} | {} | {} | `{}` |\n",
            i + 1,
            phase_name(step.phase),
            step.catalog,
            step.description,
            if step.unsafe_reason.is_some() {
                " (UNSAFE, allowed)"
            } else {
                ""
            },
            lock_summary(step),
            if step.transactional {
                "yes"
            } else {
                "no (runs alone)"
            },
            file_of(step)
        ));
    }
    for (i, step) in plan.steps.iter().enumerate() {
        out.push_str(&format!("\n## {}. {}\n\n", i + 1, step.description));
        out.push_str(&format!(
            "- phase: {}; catalog row {}\n",
            phase_name(step.phase),
            step.catalog
        ));
        out.push_str(&format!("- locks: {}\n", lock_summary(step)));
        out.push_str(&format!(
            "- transaction: {}\n",
            if step.transactional {
                "yes"
            } else {
                "no: runs alone, outside any transaction"
            }
        ));
        if let Some(ms) = step.lock_timeout_ms {
            out.push_str(&format!("- lock_timeout: {ms} ms\n"));
        }
        if let Some(ms) = step.statement_timeout_ms {
            out.push_str(&format!("- statement_timeout: {ms} ms\n"));
        }
        out.push_str(&format!("- re-run: {}\n", step.idempotency));
        if let Some(check) = &step.post_check {
            out.push_str(&format!("- after: {check}\n"));
        }
        if let Some(reason) = &step.unsafe_reason {
            out.push_str(&format!("- UNSAFE, allowed with the reason: {reason}\n"));
        }
        out.push_str(&format!("\n```sql\n{}\n```\n", step.sql));
    }
    out
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Expand => "expand",
        Phase::Backfill => "backfill",
        Phase::Contract => "contract",
    }
}
