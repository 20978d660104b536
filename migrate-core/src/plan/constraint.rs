//! Constraint steps (K1–K3, I3, I4): a CHECK or foreign key is added NOT VALID and validated
//! in a transaction of its own; a unique index or constraint, and a new primary key, are built
//! CONCURRENTLY after a duplicate check and attached; a dropped constraint goes in expand.
//! K4 (constraints re-added over a shadow column) is in the type-change family.

use super::check::check_step;
use super::index::concurrent_index_steps;
use super::input::{PhysicalNames, PlanInput};
use super::probe::constraint_exists;
use super::sql_parts::{column_list, constraint_clause, foreign_key_clause, guarded};
use super::step::{LockMode, Phase, PostCheck, Step, StepBuilder};
use crate::model::{Check, ForeignKey, Index, IndexKey, QualifiedName, Unique};
use crate::sql::{self, quote_ident, quote_literal};
use migrate_contract::CatalogRow;

/// K1/K2 (and C6's check): add NOT VALID (brief), then VALIDATE in a transaction of its own,
/// which takes SHARE UPDATE EXCLUSIVE and lets writers through.
pub(super) fn not_valid_then_validate(
    table: &QualifiedName,
    name: &str,
    clause: &str,
    catalog: CatalogRow,
    referenced: Option<&QualifiedName>,
) -> Vec<Step> {
    let absent = format!("NOT {}", constraint_exists(table, name));
    let mut add = Step::new(
        Phase::Contract,
        catalog,
        format!("add constraint {name} to {table} NOT VALID"),
        format!("add_{name}"),
        guarded(
            &absent,
            &format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {clause} NOT VALID;",
                table.sql(),
                quote_ident(name)
            ),
        ),
    )
    .lock(LockMode::AccessExclusive, table, false)
    .guard("catalog probe on pg_constraint")
    .rollback(format!(
        "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
        table.sql(),
        quote_ident(name)
    ));
    if let Some(parent) = referenced {
        add = add.lock(LockMode::ShareRowExclusive, parent, false);
    }
    let mut validate = Step::new(
        Phase::Contract,
        catalog,
        format!("validate constraint {name} of {table}"),
        format!("validate_{name}"),
        format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {};",
            table.sql(),
            quote_ident(name)
        ),
    )
    .lock(LockMode::ShareUpdateExclusive, table, false)
    .own_transaction()
    .guard("validating a valid constraint does nothing")
    .nothing_to_undo("validation changes no data");
    if let Some(parent) = referenced {
        validate
            .description
            .push_str(&format!(" (ROW SHARE on {parent})"));
    }
    vec![add, validate]
}

/// I3: a duplicate check, the unique index built CONCURRENTLY, and, for a constraint, the
/// index attached with `ADD CONSTRAINT … UNIQUE USING INDEX` (brief).
pub(super) fn unique_index_steps(
    table: &QualifiedName,
    index: &Index,
    constraint: Option<&str>,
    catalog: CatalogRow,
) -> Vec<Step> {
    let columns: Vec<String> = index
        .keys
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => quote_ident(c),
            IndexKey::Expr(e) => format!("({e})"),
        })
        .collect();
    let list = columns.join(", ");
    let predicate = index
        .predicate
        .as_ref()
        .map(|p| format!(" WHERE {p}"))
        .unwrap_or_default();
    let duplicates = format!(
        "SELECT count(*) FROM (SELECT 1 FROM {}{predicate} GROUP BY {list} HAVING count(*) > 1) AS duplicates",
        table.sql()
    );
    let mut steps = vec![check_step(
        table,
        catalog,
        format!("check {table} for duplicates of ({list})"),
        format!("check_duplicates_{}", index.name),
        &duplicates,
        &format!(
            "{table} has {} duplicated value(s) of ({}): remove them before contract adds unique {}",
            sql::COUNT_PLACEHOLDER,
            list.replace('"', ""),
            index.name
        ),
    )];
    steps.extend(
        concurrent_index_steps(table, index, catalog)
            .into_iter()
            .map(|s| s.with_phase(Phase::Contract)),
    );
    if let Some(name) = constraint {
        let absent = format!("NOT {}", constraint_exists(table, name));
        steps.push(
            Step::new(
                Phase::Contract,
                catalog,
                format!("attach unique index {name} as a constraint of {table}"),
                format!("attach_{name}"),
                guarded(
                    &absent,
                    &format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};",
                        table.sql(),
                        quote_ident(name),
                        quote_ident(name)
                    ),
                ),
            )
            .lock(LockMode::AccessExclusive, table, false)
            .guard("catalog probe on pg_constraint")
            .rollback(format!(
                "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
                table.sql(),
                quote_ident(name)
            )),
        );
    }
    steps
}

/// I4: the new key's unique index, after a duplicate check, built CONCURRENTLY under a
/// temporary name; then, in one brief transaction, the old key dropped and the index attached
/// as the primary key (`USING INDEX`, which renames it).
pub(super) fn primary_key_steps(
    table: &QualifiedName,
    from: &[String],
    to: &[String],
) -> Vec<Step> {
    let pkey = sql::generated_name(&[&table.name], "pkey");
    let index = Index::unique_btree(
        sql::hashed_name(&[&table.name, &to.join(",")], "new_pkey"),
        to,
    );
    let mut steps = unique_index_steps(table, &index, None, CatalogRow::I4);
    let copy = QualifiedName::new(table.schema.clone(), index.name.clone());
    let body = [
        format!(
            "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({}) AND indisvalid) THEN\n            RAISE EXCEPTION {};\n        END IF;",
            quote_literal(&copy.sql()),
            sql::raise_message(&format!(
                "index {} of the new primary key is invalid: drop it CONCURRENTLY and run contract again",
                index.name
            ))
        ),
        format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
            table.sql(),
            quote_ident(&pkey)
        ),
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {};",
            table.sql(),
            quote_ident(&pkey),
            quote_ident(&index.name)
        ),
    ];
    steps.push(
        Step::new(
            Phase::Contract,
            CatalogRow::I4,
            format!(
                "make ({}) the primary key of {table} instead of ({})",
                to.join(", "),
                from.join(", ")
            ),
            format!("swap_pkey_{}", table.name),
            guarded(
                &format!(
                    "EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({}))",
                    quote_literal(&copy.sql())
                ),
                &body.join("\n        "),
            ),
        )
        .lock(LockMode::AccessExclusive, table, false)
        .guard("catalog probe: runs only while the new key's index has its temporary name")
        .rollback(format!(
            "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {p};\nALTER TABLE {t} ADD CONSTRAINT {p} PRIMARY KEY ({});",
            column_list(from),
            t = table.sql(),
            p = quote_ident(&pkey)
        )),
    );
    steps
}

/// [`not_valid_then_validate`] for a constraint that stays under its name: the VALIDATE step
/// gets a post-check that it is there and validated. (C6's check is dropped by the step after
/// it, and a shadow column's checks are renamed by the swap, so a re-run would fail theirs.)
pub(in crate::plan) fn lasting_constraint_steps(
    table: &QualifiedName,
    name: &str,
    clause: &str,
    catalog: CatalogRow,
    referenced: Option<&QualifiedName>,
) -> Vec<Step> {
    let mut steps = not_valid_then_validate(table, name, clause, catalog, referenced);
    if let Some(validate) = steps.last_mut() {
        validate.post_check = Some(PostCheck::ConstraintValidated {
            table: table.clone(),
            name: name.to_owned(),
        });
    }
    steps
}

/// K1: CHECK NOT VALID, then VALIDATE.
pub(super) fn check_steps(table: &QualifiedName, check: &Check, catalog: CatalogRow) -> Vec<Step> {
    lasting_constraint_steps(
        table,
        &check.name,
        &format!("CHECK ({})", check.expr),
        catalog,
        None,
    )
}

/// K2: FOREIGN KEY NOT VALID, then VALIDATE (the referenced table is locked too).
pub(super) fn foreign_key_steps(
    table: &QualifiedName,
    foreign_key: &ForeignKey,
    catalog: CatalogRow,
) -> Vec<Step> {
    lasting_constraint_steps(
        table,
        &foreign_key.name,
        &foreign_key_clause(foreign_key),
        catalog,
        Some(&foreign_key.references),
    )
}

/// I3 for a unique constraint: its unique index, then attached.
pub(super) fn unique_constraint_steps(
    table: &QualifiedName,
    unique: &Unique,
    catalog: CatalogRow,
) -> Vec<Step> {
    let index = Index::unique_btree(unique.name.clone(), &unique.columns);
    unique_index_steps(table, &index, Some(&unique.name), catalog)
}

/// K3: dropped in expand (it only stops restricting writes); its rollback adds it back NOT
/// VALID when the accepted table knows its definition.
pub(super) fn drop_constraint_step(
    input: &PlanInput<'_>,
    names: &PhysicalNames,
    table: &QualifiedName,
    name: &str,
    catalog: CatalogRow,
) -> Step {
    let physical = names.table(table);
    let rollback = input
        .accepted
        .table(&physical)
        .and_then(|t| constraint_clause(t, name))
        .map(|clause| {
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {clause};",
                physical.sql(),
                quote_ident(name)
            )
        });
    let mut step = Step::new(
        Phase::Expand,
        catalog,
        format!("drop constraint {name} of {table}"),
        format!("drop_constraint_{name}"),
        format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
            physical.sql(),
            quote_ident(name)
        ),
    )
    .lock(LockMode::AccessExclusive, &physical, false)
    .guard("IF EXISTS");
    // Dropping a foreign key drops its triggers on the referenced table too.
    if let Some(fk) = input
        .accepted
        .table(&physical)
        .and_then(|t| t.foreign_keys.iter().find(|f| f.name == *name))
    {
        step = step.lock(LockMode::AccessExclusive, &fk.references, false);
    }
    match rollback {
        Some(sql) => step.rollback(sql),
        None => step.irreversible("the constraint's definition is not known"),
    }
}
