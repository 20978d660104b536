//! Type changes: C9 (binary-coercible, in place, no rewrite) and an allowed C10 run one
//! `ALTER COLUMN … TYPE` in expand; a phased C10 goes through a shadow column ([`shadow`]).

pub(super) mod shadow;

use super::input::{PhysicalNames, PlanInput};
use super::step::{LockMode, Phase, Step, StepBuilder};
use super::views::view_sql;
use crate::decide::Decision;
use crate::diff::Change;
use crate::model::{ColumnType, QualifiedName};
use crate::sql::{self, quote_ident};
use migrate_contract::CatalogRow;

/// C9 (binary-coercible, in place) or an allowed C10. PostgreSQL refuses to change the type of a
/// column a view uses, so the views over this table are dropped and put back in the same
/// transaction; other sessions wait on the views for that instant only.
#[allow(clippy::too_many_arguments)]
pub(super) fn alter_type_steps(
    input: &PlanInput<'_>,
    names: &PhysicalNames,
    table: &QualifiedName,
    column: &str,
    from: &ColumnType,
    to: &ColumnType,
    d: &Decision,
) -> Vec<Step> {
    let physical = names.table(table);
    let col = quote_ident(&names.column(table, column));
    let declared = match &d.located.change {
        Change::AlterColumnType {
            convert: Some(c), ..
        } => sql::rename_column(&c.to_new, column, &names.column(table, column)),
        _ => None,
    };
    let using = match (d.catalog, declared) {
        (CatalogRow::C10, Some(expr)) => format!(" USING ({expr})"),
        (CatalogRow::C10, None) => format!(" USING {col}::{}", to.sql()),
        _ => String::new(),
    };
    let mut drop_views = Vec::new();
    let mut restore = Vec::new();
    if input.previous.number > 0 {
        drop_views.push(format!(
            "DROP VIEW IF EXISTS {}.{};",
            quote_ident(&input.previous.views_schema),
            quote_ident(&physical.name)
        ));
        if let Some(accepted) = input.accepted.table(&physical) {
            restore.push(view_sql(
                &input.previous.views_schema,
                accepted,
                &physical,
                &|c: &str| c.to_owned(),
                input.target,
            ));
        }
    }
    drop_views.push(format!(
        "DROP VIEW IF EXISTS {}.{};",
        quote_ident(&input.release.views_schema),
        quote_ident(&table.name)
    ));
    let alter = format!(
        "ALTER TABLE {} ALTER COLUMN {col} TYPE {}{using};",
        physical.sql(),
        to.sql()
    );
    let back = format!(
        "ALTER TABLE {} ALTER COLUMN {col} TYPE {} USING {col}::{};",
        physical.sql(),
        from.sql(),
        from.sql()
    );
    let mut sql_text = drop_views.join("\n");
    sql_text.push('\n');
    sql_text.push_str(&alter);
    for view in &restore {
        sql_text.push('\n');
        sql_text.push_str(view);
    }
    let mut rollback = drop_views.join("\n");
    rollback.push('\n');
    rollback.push_str(&back);
    for view in &restore {
        rollback.push('\n');
        rollback.push_str(view);
    }
    let step = Step::new(
        Phase::Expand,
        d.catalog,
        format!(
            "change {table}.{column} from {from} to {to}{}",
            if d.catalog == CatalogRow::C9 {
                " in place (no rewrite)"
            } else {
                " (rewrites the table)"
            }
        ),
        format!("type_{}_{column}", table.name),
        sql_text,
    )
    .lock(LockMode::AccessExclusive, &physical, false)
    .guard("re-running sets the same type; views are dropped IF EXISTS and recreated")
    .rollback(rollback)
    .unsafe_reason(d.allowed_reason());
    vec![step]
}
