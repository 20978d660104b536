//! Older plan data converted to the current format: data written before plans carried a
//! format version ([`upgrade_unversioned`], to format 1), and format 1 ([`upgrade_format1`],
//! to format 2). Only the build helper uses them, and only after checking that the converted
//! plan renders the accepted files as accepted (so the conversion is proven to describe the
//! same steps).

use serde_json::{Map, Value};

use super::backfill::{BackfillParts, KeyColumn, batch_sql, bounds_sql};
use super::group::group_steps;
use super::step::{Backfill, BackfillGate, Plan, PostCheck};
use crate::model::{QualifiedName, Schema};
use crate::sql::quote_ident;

/// Why old plan data cannot be converted.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// The data is not the shape the older planner wrote.
    #[error("not plan data of the unversioned format: {0}")]
    Shape(String),
    /// The converted plan does not read as the current format.
    #[error("the converted plan does not read: {0}")]
    Read(#[from] serde_json::Error),
    /// Not format 1 plan data.
    #[error("not plan data of format 1 (it has format {0})")]
    NotFormat1(u32),
    /// A format-1 backfill whose batch query is not the one the format-1 planner wrote.
    #[error(
        "backfill {id}: its batch query is not the one the format-1 planner wrote (edited by hand?), so its format-2 queries cannot be derived from it"
    )]
    UnknownBatch {
        /// The backfill id.
        id: String,
    },
}

const INDEX_VALID_SUFFIX: &str = ": an interrupted CONCURRENTLY build leaves an invalid index that IF NOT EXISTS would keep; drop it CONCURRENTLY and rebuild";

/// The plan format [`upgrade_unversioned`] converts to.
pub const UNVERSIONED_TO: u32 = 1;

/// Converts unversioned plan data to format 1 ([`upgrade_format1`] takes it on): the two transaction flags, the rollback fields and the
/// `-- nothing to undo` marker, the prose index check, `schema.name` table strings (resolved
/// against `schema` where a table of that key exists, else split at the first dot) and the
/// backfill gates the older planner expressed only in SQL (the views step waits for every
/// `before_deploy` backfill; the `wait_backfill_*` steps, in order, for one each). Then
/// computes ids, checksums and groups as the planner does.
pub fn upgrade_unversioned(text: &str, schema: &Schema) -> Result<Plan, UpgradeError> {
    let shape = |why: &str| UpgradeError::Shape(why.to_owned());
    let mut value: Value = serde_json::from_str(text)?;
    let root = value
        .as_object_mut()
        .ok_or_else(|| shape("not an object"))?;
    if root.contains_key("format") {
        return Err(shape("it has a format version"));
    }
    root.insert("format".into(), Value::from(UNVERSIONED_TO));
    let table = |v: &Value| -> Result<Value, UpgradeError> {
        let key = v.as_str().ok_or_else(|| shape("a table is not a string"))?;
        let name = match schema.tables.get(key) {
            Some(t) => t.name.clone(),
            None => {
                let (s, n) = key
                    .split_once('.')
                    .ok_or_else(|| shape("a table is not `schema.name`"))?;
                QualifiedName::new(s, n)
            }
        };
        Ok(serde_json::to_value(name)?)
    };
    if let Some(backfills) = root.get_mut("backfills").and_then(Value::as_array_mut) {
        for b in backfills {
            let b = b
                .as_object_mut()
                .ok_or_else(|| shape("a backfill is not an object"))?;
            b.insert("id".into(), Value::from(""));
            let t = table(b.get("table").unwrap_or(&Value::Null))?;
            b.insert("table".into(), t);
        }
    }
    let steps = root
        .get_mut("steps")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| shape("no steps"))?;
    for step in steps {
        let step = step
            .as_object_mut()
            .ok_or_else(|| shape("a step is not an object"))?;
        upgrade_step(step, &table)?;
    }
    let mut plan: Plan = serde_json::from_value(value)?;
    let gated: Vec<String> = plan
        .backfills
        .iter()
        .enumerate()
        .filter(|(_, b)| b.before_deploy)
        .map(|(i, _)| migrate_contract::backfill_id(plan.release.number, i + 1))
        .collect();
    let mut waits = gated.iter();
    for step in &mut plan.steps {
        if step.slug.starts_with("wait_backfill_") {
            step.gate = waits.next().map(|id| BackfillGate {
                backfills: vec![id.clone()],
            });
        } else if step.slug == "views" && !gated.is_empty() {
            step.gate = Some(BackfillGate {
                backfills: gated.clone(),
            });
        }
    }
    plan.seal();
    plan.groups = group_steps(&plan);
    Ok(plan)
}

fn upgrade_step(
    step: &mut Map<String, Value>,
    table: &dyn Fn(&Value) -> Result<Value, UpgradeError>,
) -> Result<(), UpgradeError> {
    let flag = |step: &Map<String, Value>, key: &str| step.get(key).and_then(Value::as_bool);
    let transaction = match (
        flag(step, "transactional").unwrap_or(true),
        flag(step, "own_transaction").unwrap_or(false),
    ) {
        (false, _) => "none",
        (true, true) => "own",
        (true, false) => "shared",
    };
    step.remove("transactional");
    step.remove("own_transaction");
    step.insert("transaction".into(), Value::from(transaction));
    step.insert("id".into(), Value::from(""));
    step.insert("checksum".into(), Value::from(""));
    let undo = match (step.remove("rollback"), step.remove("irreversible")) {
        (Some(Value::String(sql)), _) => match sql.strip_prefix("-- nothing to undo: ") {
            Some(why) if !why.contains('\n') => serde_json::json!({ "nothing": why }),
            _ => serde_json::json!({ "sql": sql }),
        },
        (_, Some(Value::String(why))) => serde_json::json!({ "irreversible": why }),
        _ => Value::Null,
    };
    if !undo.is_null() {
        step.insert("undo".into(), undo);
    }
    if let Some(locks) = step.get_mut("locks").and_then(Value::as_array_mut) {
        for lock in locks {
            if let Some(lock) = lock.as_object_mut() {
                let t = table(lock.get("table").unwrap_or(&Value::Null))?;
                lock.insert("table".into(), t);
            }
        }
    }
    if let Some(Value::String(prose)) = step.remove("post_check") {
        // The older planner wrote one prose check: the index validity after CONCURRENTLY,
        // in the schema of the table the step locks.
        let schema = step
            .get("locks")
            .and_then(|l| l.get(0))
            .and_then(|l| l.get("table"))
            .and_then(|t| t.get("schema"))
            .and_then(Value::as_str)
            .ok_or_else(|| UpgradeError::Shape("a post-check without a table".into()))?;
        let index = prose
            .strip_prefix("pg_index.indisvalid for ")
            .and_then(|rest| rest.strip_suffix(INDEX_VALID_SUFFIX))
            .and_then(|name| name.strip_prefix(schema)?.strip_prefix('.'))
            .ok_or_else(|| UpgradeError::Shape(format!("an unknown post-check: {prose}")))?;
        let check = PostCheck::IndexValid {
            index: QualifiedName::new(schema, index),
        };
        step.insert("post_check".into(), serde_json::to_value(check)?);
    }
    Ok(())
}

/// Converts format-1 plan data to format 2. Steps and groups are the same in both; each
/// backfill's format-1 batch query was written by one fixed template, so its parts (table,
/// key columns and their types, assignment, pending predicate) are recovered by matching that
/// template, and must render it again byte for byte; the format-2 queries are then built from
/// them as the planner builds them. Ids and checksums are sealed again.
pub fn upgrade_format1(plan: &Plan) -> Result<Plan, UpgradeError> {
    if plan.format != 1 {
        return Err(UpgradeError::NotFormat1(plan.format));
    }
    let mut plan = plan.clone();
    for b in &mut plan.backfills {
        let parts = format1_parts(b)
            .filter(|parts| format1_batch_sql(parts) == b.batch_sql)
            .ok_or_else(|| UpgradeError::UnknownBatch { id: b.id.clone() })?;
        b.bounds_sql = bounds_sql(&parts);
        b.batch_sql = batch_sql(&parts);
    }
    plan.format = 2;
    plan.seal();
    Ok(plan)
}

/// The format-1 template: `$1..$k` the last key of the previous batch (all NULL for the
/// first), `$k+1` the size; returns the batch's last key, or no row when done.
fn format1_batch_sql(parts: &BackfillParts) -> String {
    let columns = parts.columns("");
    format!(
        "WITH batch AS (\n    SELECT {columns} FROM {table}\n    WHERE $1::text IS NULL OR ({columns}) > ({params})\n    ORDER BY {columns}\n    LIMIT ${limit}\n), filled AS (\n    UPDATE {table} AS t SET {assignment}\n    FROM batch WHERE ({qualified}) = ({batch}) AND ({pending})\n)\nSELECT {as_text} FROM batch ORDER BY {descending} LIMIT 1",
        table = parts.table.sql(),
        params = parts.params(1).join(", "),
        limit = parts.key.len() + 1,
        assignment = parts.assignment,
        qualified = parts.columns("t."),
        batch = parts.columns("batch."),
        pending = parts.pending,
        as_text = parts.columns_with("", "::text"),
        descending = parts.columns_with("batch.", " DESC"),
    )
}

/// The parts of a format-1 backfill, read off its batch query by the format-1 template (the
/// caller checks that they render it again).
fn format1_parts(b: &Backfill) -> Option<BackfillParts> {
    let k = b.key.len();
    let table = b.table.sql();
    let list = |alias: &str, suffix: &str| {
        b.key
            .iter()
            .map(|c| format!("{alias}{}{suffix}", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let columns = list("", "");
    let rest = b.batch_sql.strip_prefix(&format!(
        "WITH batch AS (\n    SELECT {columns} FROM {table}\n    WHERE $1::text IS NULL OR ({columns}) > ("
    ))?;
    let (mut params, rest) = rest.split_once(&format!(
        ")\n    ORDER BY {columns}\n    LIMIT ${}\n), filled AS (\n    UPDATE {table} AS t SET ",
        k + 1
    ))?;
    let mut key = Vec::with_capacity(k);
    for (i, name) in b.key.iter().enumerate() {
        params = params.strip_prefix(&format!("${}::text::", i + 1))?;
        let end = if i + 1 < k {
            params.find(&format!(", ${}::text::", i + 2))?
        } else {
            params.len()
        };
        key.push(KeyColumn {
            name: name.clone(),
            ty: params[..end].to_owned(),
        });
        params = params[end..].strip_prefix(", ").unwrap_or_default();
    }
    let (assignment, rest) = rest.split_once(&format!(
        "\n    FROM batch WHERE ({}) = ({}) AND (",
        list("t.", ""),
        list("batch.", "")
    ))?;
    let pending = rest.strip_suffix(&format!(
        ")\n)\nSELECT {} FROM batch ORDER BY {} LIMIT 1",
        list("", "::text"),
        list("batch.", " DESC")
    ))?;
    Some(BackfillParts {
        table: b.table.clone(),
        key,
        assignment: assignment.to_owned(),
        pending: pending.to_owned(),
    })
}
