//! Index steps (I1, I2, I5): an index on a new table is built in the table's transaction; on
//! an existing table it is built CONCURRENTLY, alone, and checked valid after; a dropped index
//! goes CONCURRENTLY in contract.

use super::sql_parts::{create_index_sql, guarded};
use super::step::{LockMode, Phase, PostCheck, Step, StepBuilder};
use crate::model::{Index, IndexKey, QualifiedName};
use crate::sql::quote_literal;
use migrate_contract::CatalogRow;

/// CREATE INDEX on a new (empty) table in the same transaction, or CONCURRENTLY on an existing
/// one, alone, with the validity post-check (I1).
pub(super) fn create_index_step(
    table: &QualifiedName,
    index: &Index,
    new_table: bool,
    catalog: CatalogRow,
) -> Step {
    let catalog = if catalog == CatalogRow::I1
        && (index.predicate.is_some()
            || index.keys.len() > 1
            || index.keys.iter().any(|k| matches!(k, IndexKey::Expr(_))))
    {
        CatalogRow::I5
    } else {
        catalog
    };
    let qualified = QualifiedName::new(table.schema.clone(), index.name.clone());
    let step = Step::new(
        Phase::Expand,
        catalog,
        format!(
            "create {}index {} on {table}",
            if index.unique { "unique " } else { "" },
            index.name
        ),
        format!("index_{}", index.name),
        create_index_sql(table, index, !new_table),
    )
    .lock(
        if new_table {
            LockMode::Share
        } else {
            LockMode::ShareUpdateExclusive
        },
        table,
        new_table,
    )
    .guard("IF NOT EXISTS");
    if new_table {
        return step.rollback(format!("DROP INDEX IF EXISTS {};", qualified.sql()));
    }
    step.non_transactional()
        .rollback(format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {};",
            qualified.sql()
        ))
        .post_check(PostCheck::IndexValid { index: qualified })
}

/// An index on an existing table: built CONCURRENTLY, alone (I1), then checked. An interrupted
/// build leaves an INVALID index under the name, which `IF NOT EXISTS` keeps on the re-run and
/// sqlx then records as applied; the check after it stops the release there and names the
/// statements that rebuild it. Neither can run in the file's transaction, nor in one string
/// with another statement (PostgreSQL runs such a string as one implicit transaction).
pub(super) fn concurrent_index_steps(
    table: &QualifiedName,
    index: &Index,
    catalog: CatalogRow,
) -> Vec<Step> {
    let build = create_index_step(table, index, false, catalog);
    let qualified = QualifiedName::new(table.schema.clone(), index.name.clone());
    let message = format!(
        "index {} is invalid: a CREATE INDEX CONCURRENTLY was interrupted, and running it again keeps the invalid index; run these two statements, each on its own and outside a transaction: `DROP INDEX CONCURRENTLY IF EXISTS {}; {}` Then run the migrations again",
        qualified,
        qualified.sql(),
        build.sql
    );
    let check = Step::new(
        build.phase,
        build.catalog,
        format!(
            "check that index {} on {table} is valid (an interrupted concurrent build leaves it invalid)",
            index.name
        ),
        format!("check_valid_{}", index.name),
        guarded(
            &format!(
                "EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({}) AND NOT indisvalid)",
                quote_literal(&qualified.sql())
            ),
            &format!("RAISE EXCEPTION '%', {};", quote_literal(&message)),
        ),
    )
    .guard("read-only")
    .nothing_to_undo("a read-only check");
    vec![build, check]
}

/// I2: dropped CONCURRENTLY in contract, since the running binary's queries may rely on it.
pub(super) fn drop_index_step(table: &QualifiedName, index: &Index, catalog: CatalogRow) -> Step {
    let qualified = QualifiedName::new(table.schema.clone(), index.name.clone());
    Step::new(
        Phase::Contract,
        catalog,
        format!("drop index {} of {table}", index.name),
        format!("drop_index_{}", index.name),
        format!("DROP INDEX CONCURRENTLY IF EXISTS {};", qualified.sql()),
    )
    .non_transactional()
    .lock(LockMode::ShareUpdateExclusive, table, false)
    .guard("IF EXISTS")
    .rollback(create_index_sql(table, index, true))
}
