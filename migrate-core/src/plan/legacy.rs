//! Plan data written before plans carried a format version, converted to the current format.
//! Only the build helper uses it, and only after checking that the converted plan renders the
//! accepted files byte for byte (so the conversion is proven to describe the same steps).

use serde_json::{Map, Value};

use super::group::group_steps;
use super::step::{BackfillGate, Plan, PostCheck};
use crate::model::{QualifiedName, Schema};

/// Why old plan data cannot be converted.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// The data is not the shape the older planner wrote.
    #[error("not plan data of the unversioned format: {0}")]
    Shape(String),
    /// The converted plan does not read as the current format.
    #[error("the converted plan does not read: {0}")]
    Read(#[from] serde_json::Error),
}

const INDEX_VALID_SUFFIX: &str = ": an interrupted CONCURRENTLY build leaves an invalid index that IF NOT EXISTS would keep; drop it CONCURRENTLY and rebuild";

/// Converts unversioned plan data: the two transaction flags, the rollback fields and the
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
    root.insert(
        "format".into(),
        Value::from(migrate_contract::FORMAT_VERSION),
    );
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
