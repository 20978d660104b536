//! Taking over a database that `sqlx migrate run` brought forward: the migration files are the
//! plan's groups (a file's version is the number its name starts with), so the groups sqlx
//! applied successfully are recorded as adopted, and the runner goes on from there. Refused,
//! with the reason, when sqlx's record is not a clean prefix of the embedded releases.

use std::collections::BTreeMap;

use migrate_contract::{Phase, Plan, StepGroup};
use sqlx::{Connection, PgConnection, Row};

use super::backfill::{BackfillJob, SqlJob};
use super::error::RunError;
use super::tracking::{StepOutcome, Tables, Tracked};

/// The sqlx version of a group's file: the digits its file name starts with.
fn version(group: &StepGroup) -> Option<i64> {
    let name = group.file.rsplit('/').next()?;
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Records what sqlx applied that the runner has no record of (on every run: sqlx may have
/// applied files between two runs). Returns the adopted steps.
pub(crate) async fn take_over(
    conn: &mut PgConnection,
    tables: &Tables,
    plans: &[Plan],
    tracked: &Tracked,
) -> Result<Vec<String>, RunError> {
    let recorded = |plan: &Plan, group: &StepGroup| {
        plan.group_steps(group).all(|s| {
            tracked
                .steps
                .get(&s.id)
                .is_some_and(|r| r.outcome.is_applied())
        })
    };
    let has_sqlx: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(RunError::db("looking for sqlx's migration table"))?;
    if !has_sqlx {
        if tracked.steps.is_empty() {
            refuse_unrecorded(conn, plans).await?;
        }
        return Ok(Vec::new());
    }
    let rows =
        sqlx::query("SELECT version, success, description FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(RunError::db("reading sqlx's migration table"))?;
    let mut applied = BTreeMap::new();
    for row in rows {
        let (version, success, description): (i64, bool, String) =
            (row.get(0), row.get(1), row.get(2));
        if !success {
            return Err(RunError::Takeover(format!(
                "sqlx recorded migration {version} ({description}) as failed: its file did not finish; repair it by hand (or delete its row once its effects are undone) before the runner takes over"
            )));
        }
        applied.insert(version, description);
    }
    // Every group, in the order they run: each release's expand groups, then its contract's.
    let order: Vec<(&Plan, &StepGroup)> = plans
        .iter()
        .flat_map(|p| {
            p.groups_of(Phase::Expand)
                .chain(p.groups_of(Phase::Contract))
                .map(move |g| (p, g))
        })
        .collect();
    let known: BTreeMap<i64, &StepGroup> = order
        .iter()
        .filter_map(|(_, g)| Some((version(g)?, *g)))
        .collect();
    if let Some((v, d)) = applied.iter().find(|(v, _)| !known.contains_key(v)) {
        return Err(RunError::Takeover(format!(
            "sqlx applied migration {v} ({d}), which no embedded release has: the database is ahead of this binary, or was migrated from other files"
        )));
    }
    let by_sqlx = |g: &StepGroup| version(g).is_some_and(|v| applied.contains_key(&v));
    let done = order
        .iter()
        .take_while(|(p, g)| by_sqlx(g) || recorded(p, g))
        .count();
    if let Some((_, g)) = order[done..]
        .iter()
        .find(|(_, g)| version(g).is_some_and(|v| applied.contains_key(&v)))
    {
        let missing = &order[done].1.file;
        return Err(RunError::Takeover(format!(
            "sqlx applied {} but not {missing}, which comes before it: the files were applied out of order; apply {missing} with sqlx, then run again",
            g.file
        )));
    }
    let mut tx = conn
        .begin()
        .await
        .map_err(RunError::db("recording the takeover"))?;
    let mut adopted = Vec::new();
    for (plan, group) in order[..done].iter().filter(|(p, g)| !recorded(p, g)) {
        let steps: Vec<_> = plan.group_steps(group).collect();
        for step in steps {
            tables
                .record_step(
                    &mut tx,
                    step,
                    plan.release.number,
                    StepOutcome::Adopted,
                    1,
                    None,
                )
                .await
                .map_err(RunError::db("recording the takeover"))?;
            adopted.push(step.id.clone());
        }
    }
    // The backfills of the releases sqlx expanded and has not begun to contract (once contract
    // begins they count as complete, and may read dropped columns): complete where nothing is
    // left to fill; the others the runner walks.
    let applied_step = |id: &String| {
        adopted.contains(id)
            || tracked
                .steps
                .get(id)
                .is_some_and(|r| r.outcome.is_applied())
    };
    for plan in plans {
        let expanded = plan.phase(Phase::Expand).all(|s| applied_step(&s.id));
        let contracting = plan.phase(Phase::Contract).any(|s| applied_step(&s.id));
        if !expanded || contracting || adopted.is_empty() {
            continue;
        }
        for job in plan
            .backfills
            .iter()
            .filter(|j| !tracked.backfills.contains_key(&j.id))
        {
            let left = SqlJob(job).rows_left(&mut tx).await.map_err(RunError::db(
                "counting a backfill's rows during the takeover",
            ))?;
            if left == 0 {
                tables
                    .start_backfill(&mut tx, &job.id, plan.release.number, &job.checksum, None)
                    .await
                    .map_err(RunError::db("recording the takeover"))?;
                tables
                    .finish_backfill(&mut tx, &job.id, true)
                    .await
                    .map_err(RunError::db("recording the takeover"))?;
            }
        }
    }
    tx.commit()
        .await
        .map_err(RunError::db("recording the takeover"))?;
    if !adopted.is_empty() {
        tracing::info!(
            steps = adopted.len(),
            "took over the migrations sqlx applied"
        );
    }
    Ok(adopted)
}

/// With no record from the runner or sqlx, the database must not hold a release's views.
async fn refuse_unrecorded(conn: &mut PgConnection, plans: &[Plan]) -> Result<(), RunError> {
    let schemas: Vec<String> = plans
        .iter()
        .map(|p| p.release.views_schema.clone())
        .collect();
    let found: Option<String> = sqlx::query_scalar("SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = ANY($1) ORDER BY nspname LIMIT 1")
        .bind(&schemas)
        .fetch_optional(&mut *conn)
        .await
        .map_err(RunError::db("looking for release schemas"))?;
    match found {
        Some(schema) => Err(RunError::Takeover(format!(
            "schema {schema} exists, so releases were applied, but neither the runner's tracking tables nor sqlx's _sqlx_migrations record how; apply the remaining files with `sqlx migrate run` (it records them), or restore the tracking schema"
        ))),
        None => Ok(()),
    }
}
