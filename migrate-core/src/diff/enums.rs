//! E1/E2: one `#[derive(PgEnum)]` against its accepted type.

use super::{Change, Located, Reporter, TableDiff};
use crate::declare::DeclaredEnum;
use crate::model::Schema;

/// Diffs one enum declaration against the snapshot.
pub fn diff_enum(accepted: &Schema, declared: &DeclaredEnum) -> TableDiff {
    let mut out = TableDiff::default();
    let model = declared.to_model();
    let located = |change, span| Located {
        change,
        span,
        reporter: Reporter::Derive,
        allow_unsafe: None,
    };
    let Some(accepted) = accepted.enums.get(&model.name.key()) else {
        out.changes
            .push(located(Change::CreateEnum(model), declared.span));
        return out;
    };
    // The accepted labels must still be there, in the same relative order.
    let kept: Vec<&String> = model
        .values
        .iter()
        .filter(|v| accepted.values.contains(v))
        .collect();
    let removed: Vec<String> = accepted
        .values
        .iter()
        .filter(|v| !model.values.contains(v))
        .cloned()
        .collect();
    if !removed.is_empty()
        || kept
            .iter()
            .map(|v| v.as_str())
            .ne(accepted.values.iter().map(String::as_str))
    {
        let removed = if removed.is_empty() {
            accepted.values.clone()
        } else {
            removed
        };
        out.changes.push(located(
            Change::RewriteEnum {
                name: model.name.clone(),
                removed,
            },
            declared.span,
        ));
        return out;
    }
    let mut previous: Option<String> = None;
    for value in &declared.values {
        if !accepted.values.contains(&value.value) {
            out.changes.push(located(
                Change::AddEnumValue {
                    name: model.name.clone(),
                    value: value.value.clone(),
                    after: previous.clone(),
                },
                value.span,
            ));
        }
        previous = Some(value.value.clone());
    }
    out
}
