//! The release views: each release reads and writes through a schema of views that maps its
//! names onto the physical columns. Expand creates the new release's views last (after the
//! backfill gates); contract drops the previous release's views first (R10) and, last, marks
//! the release's contract complete for the next release to wait on (R9).

use super::check::check_step;
use super::input::{PhysicalNames, PlanInput, Target};
use super::probe::contract_effects_check;
use super::sql_parts::guarded;
use super::step::{Backfill, BackfillGate, Phase, Step, StepBuilder};
use super::type_change::shadow::{Shadows, only_while};
use crate::model::{QualifiedName, Table};
use crate::sql::{self, quote_ident, quote_literal};
use migrate_contract::CatalogRow;

/// The new release's schema of views: one simple (auto-updatable) view per table, with this
/// release's names over the physical columns.
pub(super) fn release_views(
    input: &PlanInput<'_>,
    names: &PhysicalNames,
    shadows: &Shadows,
) -> Vec<Step> {
    let schema = &input.release.views_schema;
    let mut sql_text = format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(schema));
    for table in input.declared.tables.values() {
        let physical = names.table(&table.name);
        sql_text.push('\n');
        sql_text.push_str(&view_sql(
            schema,
            table,
            &physical,
            &|c: &str| match shadows.get(&table.name, c) {
                Some(shadow) => shadow.shadow.clone(),
                None => names.column(&table.name, c),
            },
            input.target,
        ));
        for column in &table.columns {
            if let Some(default) = shadows
                .get(&table.name, &column.name)
                .and_then(|s| s.view_default(schema))
            {
                sql_text.push('\n');
                sql_text.push_str(&default);
            }
        }
    }
    vec![
        Step::new(
            Phase::Expand,
            CatalogRow::R,
            format!(
                "create the views of release {} in schema {schema}",
                input.release.number
            ),
            "views",
            sql_text,
        )
        .guard("IF NOT EXISTS / CREATE OR REPLACE")
        .rollback(drop_views_sql(
            schema,
            input.declared.tables.values().map(|t| t.name.name.as_str()),
            &format!("the views of release {}", input.release.number),
        )),
    ]
}

/// R10: contract drops the previous release's views first. Its rollback puts them back as
/// expand left them, including the column defaults a shadow column (C10) moved onto them: the
/// swap cannot be undone, so a rollback that gets this far is one that stopped before it.
pub(super) fn drop_previous_views(input: &PlanInput<'_>, shadows: &Shadows) -> Step {
    let schema = &input.previous.views_schema;
    let mut restore = format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(schema));
    for table in input.accepted.tables.values() {
        restore.push('\n');
        restore.push_str(&view_sql(
            schema,
            table,
            &table.name,
            &|c: &str| c.to_owned(),
            input.target,
        ));
        for default in shadows
            .of(&table.name)
            .filter_map(|s| s.old_view_default(schema))
        {
            restore.push('\n');
            restore.push_str(&default);
        }
    }
    Step::new(
        Phase::Contract,
        CatalogRow::R10,
        format!(
            "drop the views of release {} (schema {schema}): its binary is gone",
            input.previous.number
        ),
        format!("drop_views_{schema}"),
        drop_views_sql(
            schema,
            input.accepted.tables.values().map(|t| t.name.name.as_str()),
            &format!("the views of release {}", input.previous.number),
        ),
    )
    .guard("IF EXISTS")
    .rollback(restore)
}

/// Drops a release's generated views by name, then its schema, never with CASCADE: an object
/// of the user's that depends on one of them (a view, a function) would vanish with it. Such an
/// object stops the drop first, with a message that names it and says what to do; an object of
/// the user's inside the schema stops `DROP SCHEMA` with PostgreSQL's own message.
fn drop_views_sql<'a>(schema: &str, views: impl Iterator<Item = &'a str>, what: &str) -> String {
    let mut drops: Vec<String> = views
        .map(|v| {
            format!(
                "DROP VIEW IF EXISTS {}.{};",
                quote_ident(schema),
                quote_ident(v)
            )
        })
        .collect();
    drops.sort_unstable();
    drops.dedup();
    drops.push(format!("DROP SCHEMA IF EXISTS {};", quote_ident(schema)));
    // Normal dependencies on a relation of the schema, but for a view's own rule (which
    // depends on the view's columns): a generated view reads the physical tables only.
    let dependents = format!(
        "FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class v ON v.oid = d.refobjid JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n' AND n.nspname = {} AND NOT (d.classid = 'pg_catalog.pg_rewrite'::regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid AND r.ev_class = d.refobjid))",
        quote_literal(schema)
    );
    let message = sql::raise_format(
        &format!(
            "{what} (schema {schema}) cannot be dropped: objects that migrate did not generate depend on them: "
        ),
        "; point them at the views of a newer release, or drop them yourself, then run this again",
    );
    format!(
        "{}\n{}",
        guarded(
            &format!("EXISTS (SELECT 1 {dependents})"),
            &format!(
                "RAISE EXCEPTION {message}, (SELECT string_agg(DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ') {dependents});",
            ),
        ),
        drops.join("\n")
    )
}

/// `CREATE OR REPLACE VIEW schema.table AS SELECT physical AS logical, … FROM physical_table`.
pub(super) fn view_sql(
    schema: &str,
    logical: &Table,
    physical: &QualifiedName,
    column: &dyn Fn(&str) -> String,
    target: Target,
) -> String {
    // Written in place: this runs for every column of every table in each release.
    let mut sql = String::with_capacity(96 + 24 * logical.columns.len());
    sql.push_str("CREATE OR REPLACE VIEW ");
    sql::push_quoted(&mut sql, schema, '"');
    sql.push('.');
    sql::push_quoted(&mut sql, &logical.name.name, '"');
    if target.security_invoker() {
        sql.push_str(" WITH (security_invoker = true)");
    }
    sql.push_str(" AS SELECT ");
    for (i, c) in logical.columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let source = column(&c.name);
        if source != c.name {
            sql::push_quoted(&mut sql, &source, '"');
            sql.push_str(" AS ");
        }
        sql::push_quoted(&mut sql, &c.name, '"');
    }
    sql.push_str(" FROM ");
    sql.push_str(&physical.sql());
    sql.push(';');
    sql
}

/// R9: the last step of a release's contract marks its views schema, which the next release's
/// expand waits for.
pub(super) fn mark_contract_complete(input: &PlanInput<'_>, contract: &[Step]) -> Step {
    let schema = quote_ident(&input.release.views_schema);
    let comment = format!(
        "COMMENT ON SCHEMA {schema} IS {};",
        quote_literal(&input.release.contract_mark())
    );
    let verify = contract_effects_check(input, contract);
    Step::new(
        Phase::Contract,
        CatalogRow::R9,
        format!(
            "mark the contract of release {} complete (the next release's expand waits for it)",
            input.release.number
        ),
        format!("mark_contracted_{}", input.release.number),
        match verify {
            Some(verify) => format!("{verify}\n{comment}"),
            None => comment,
        },
    )
    .guard("sets the same comment again")
    .rollback(format!("COMMENT ON SCHEMA {schema} IS NULL;"))
}

/// Expand's last steps: a gate per backfill the new binary must not read around (it could not
/// decode the rows unfilled), then the new release's views, which check the gates again.
pub(super) fn gated_release_views(
    input: &PlanInput<'_>,
    names: &PhysicalNames,
    shadows: &Shadows,
    backfills: &[Backfill],
) -> Vec<Step> {
    let mut expand = Vec::new();
    // The new binary reads through the views: a backfill whose rows it could not decode
    // unfilled (a NOT NULL column, a shadow) must be complete before they exist.
    let mut gates = Vec::new();
    let mut gated = Vec::new();
    for (i, backfill) in backfills
        .iter()
        .enumerate()
        .filter(|(_, b)| b.before_deploy)
    {
        let table = backfill.table.clone();
        let waits_for = migrate_contract::backfill_id(input.release.number, i + 1);
        let mut gate = check_step(
            &table,
            backfill.catalog,
            format!("wait for the backfill of {}: {}", backfill.table, backfill.description),
            format!("wait_backfill_{}", table.name),
            &backfill.rows_left_sql,
            &format!(
                "{} has {} row(s) the backfill has not filled yet; run the backfill of release {} (see its plan), then run expand again: the new release's views wait for it",
                backfill.table, sql::COUNT_PLACEHOLDER, input.release.number
            ),
        )
        .with_phase(Phase::Expand)
        .own_transaction();
        if let Some(present) = shadows.present(&table) {
            gate = only_while(&present, gate);
        }
        gate.gate = Some(BackfillGate {
            backfills: vec![waits_for.clone()],
        });
        gates.push(gate.sql.clone());
        gated.push(waits_for);
        expand.push(gate);
    }
    let mut views = release_views(input, names, shadows);
    // The views step checks the gates again (a catalog-light count, no lock that blocks
    // writers): files applied by hand past a gate that refused must not create the views the
    // new binary would read unfilled rows through.
    if let Some(first) = views.first_mut()
        && !gates.is_empty()
    {
        gates.push(std::mem::take(&mut first.sql));
        first.sql = gates.join("\n");
        first.gate = Some(BackfillGate { backfills: gated });
    }
    expand.extend(views);
    expand
}
