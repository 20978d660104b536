//! Catalog probes: SQL that reads `pg_catalog` (constraints, columns, schemas and their
//! comments) to guard a step, and the release-order guards built from them (R9): the first
//! step of expand and of contract, the check at the top of every other file, and the check
//! that contract did its work before the release is marked complete.

use super::input::PlanInput;
use super::step::{Phase, Step, StepBuilder, Undo};
use crate::model::{ColumnType, QualifiedName};
use crate::snapshot::Release;
use crate::sql::{self, quote_ident, quote_literal};
use migrate_contract::CatalogRow;

/// Catalog probe: whether the table has this constraint.
pub(super) fn constraint_exists(table: &QualifiedName, name: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = {}::regclass AND conname = {})",
        quote_literal(&table.sql()),
        quote_literal(name)
    )
}

/// Catalog probe: whether the table has this column.
pub(super) fn column_exists(table: &QualifiedName, column: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {}::regclass AND attname = {} AND NOT attisdropped)",
        quote_literal(&table.sql()),
        quote_literal(column)
    )
}

/// Catalog probe: whether a schema exists.
fn schema_exists(name: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = {})",
        quote_literal(name)
    )
}

/// Catalog probe: the comment on a schema (NULL when it has none or does not exist).
fn schema_comment(name: &str) -> String {
    format!(
        "(SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = {})",
        quote_literal(name)
    )
}

/// Catalog probe: whether the views schema of a release after `number` exists (that release
/// has expanded).
fn later_release_exists(number: u32) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > {number} ELSE false END)"
    )
}

/// R9, expand's first step: release N+1 plans against release N's schema after its contract.
/// - It stops once a later release has expanded, and once its own contract has begun (that
///   dropped release N's views): a re-run then would undo contract work (put back a trigger
///   contract dropped, say).
/// - It stops while release N has not expanded, and until release N's contract is complete:
///   that contract marks release N's views schema as its last step. A release accepted before
///   the mark existed is checked the old way: its contract dropped the views of the release
///   before it.
pub(super) fn previous_contract_guard(input: &PlanInput<'_>) -> Step {
    let release = input.release.number;
    let previous = input.previous;
    let raise = |message: String| format!("RAISE EXCEPTION {};", sql::raise_message(&message));
    let mut body = vec![format!(
        "IF {} THEN\n        {}\n    END IF;",
        later_release_exists(release),
        raise(format!(
            "release {release} cannot expand: a later release has expanded since; there is nothing to do"
        ))
    )];
    if previous.number > 0 {
        let views = &previous.views_schema;
        body.push(format!(
            "IF NOT {} THEN\n        IF {} THEN\n            {}\n        END IF;\n        {}\n    END IF;",
            schema_exists(views),
            schema_exists(&input.release.views_schema),
            raise(format!(
                "release {release} is contracting or has contracted (schema {views} is gone): its expand has nothing left to do, and running it again would undo contract work"
            )),
            raise(format!(
                "release {release} cannot expand: release {} has not expanded (schema {views} is missing); run the releases in order",
                previous.number
            )),
        ));
        let waiting = if previous.marks_contract {
            (
                format!(
                    "{} NOT IN ({}, {})",
                    schema_comment(views),
                    quote_literal(&previous.contract_mark()),
                    quote_literal(&previous.next_expanding_mark())
                ),
                format!(
                    "release {release} cannot expand: the contract of release {} has not completed (schema {views} carries no completion mark); run it to the end (every step re-runs safely){}",
                    previous.number,
                    match previous.number - 1 {
                        0 => String::new(),
                        before => format!(" once the binaries of release {before} are gone"),
                    }
                ),
            )
        } else {
            let before = previous.number - 1;
            let stale = Release::numbered(before).views_schema;
            (
                if before > 0 {
                    schema_exists(&stale)
                } else {
                    "false".to_owned()
                },
                format!(
                    "release {release} cannot expand: the contract of release {} has not run (schema {stale} still exists); run it first, once the binaries of release {before} are gone",
                    previous.number
                ),
            )
        };
        body.push(format!(
            "IF {} IS NOT FALSE THEN\n        {}\n    END IF;",
            waiting.0,
            raise(waiting.1)
        ));
        // From here on release N's contract refuses to run again: this release has begun to
        // build on its result (a shadow, an index under a name that contract dropped).
        body.push(format!(
            "COMMENT ON SCHEMA {} IS {};",
            quote_ident(views),
            quote_literal(&previous.next_expanding_mark())
        ));
    }
    Step::new(
        Phase::Expand,
        CatalogRow::R9,
        if previous.number > 0 {
            format!(
                "check that the contract of release {} ran and that release {release} is not contracting",
                previous.number
            )
        } else {
            format!("check that no release after {release} has expanded")
        },
        if previous.number > 0 {
            format!("check_contract_{}", previous.number)
        } else {
            "check_no_later_release".to_owned()
        },
        format!("DO $$\nBEGIN\n    {}\nEND\n$$;", body.join("\n    ")),
    )
    .guard("checks, then sets the same comment again")
    .undo(if previous.number == 0 {
        Undo::Nothing("a read-only check".to_owned())
    } else if previous.marks_contract {
        Undo::Sql(format!(
            "COMMENT ON SCHEMA {} IS {};",
            quote_ident(&previous.views_schema),
            quote_literal(&previous.contract_mark())
        ))
    } else {
        Undo::Sql(format!(
            "COMMENT ON SCHEMA {} IS NULL;",
            quote_ident(&previous.views_schema)
        ))
    })
}

/// R9, contract's first step: a contract never runs before its expand (which created this
/// release's views), nor once a later release has expanded: that one waited for this contract
/// to complete, so a re-run could only act on a newer schema (drop an index the later release
/// made under the same name, rename away a column it added).
pub(super) fn own_expand_guard(input: &PlanInput<'_>) -> Step {
    let schema = &input.release.views_schema;
    let number = input.release.number;
    let superseded = format!(
        "release {number} contracted already and a later release has begun to expand since: running this contract again would act on a newer schema; there is nothing to do"
    );
    let not_expanded = format!(
        "release {number} cannot contract: its expand has not run (schema {schema} is missing); run expand, deploy, then contract"
    );
    let next_began = format!(
        "{} IS NOT DISTINCT FROM {}",
        schema_comment(schema),
        quote_literal(&input.release.next_expanding_mark())
    );
    let sql = format!(
        "DO $$\nBEGIN\n    IF {} OR {next_began} THEN\n        RAISE EXCEPTION {};\n    END IF;\n    IF NOT {} THEN\n        RAISE EXCEPTION {};\n    END IF;\nEND\n$$;",
        later_release_exists(number),
        sql::raise_message(&superseded),
        schema_exists(schema),
        sql::raise_message(&not_expanded)
    );
    Step::new(
        Phase::Contract,
        CatalogRow::R9,
        format!("check that the expand of release {number} ran and no later release has"),
        format!("check_expand_{number}"),
        sql,
    )
    .guard("read-only")
    .nothing_to_undo("a read-only check")
}

/// R9 for every file of a phase but its first (whose first step checks more, and marks): the
/// file stops unless its phase has begun and is not over, so a file run by hand out of order,
/// or one of a release whose first file refused, changes nothing. Catalog reads only.
///
/// - Expand N: no later release has expanded, and expand N has begun (its first file marked
///   release N−1's views schema, which contract N drops).
/// - Contract N: expand N is complete (release N's views exist), no later release has begun,
///   and contract N has begun (its first file dropped release N−1's views).
///
/// A lone `CREATE INDEX CONCURRENTLY` cannot carry it: PostgreSQL refuses that statement in a
/// string with any other. The file before it and the check after it carry the guard, so sqlx,
/// which applies versions in order, never reaches it out of order.
pub fn file_order_check(release: &Release, previous: &Release, phase: Phase) -> String {
    let number = release.number;
    let raise = |message: String| format!("RAISE EXCEPTION '%', {};", quote_literal(&message));
    let mut body = Vec::new();
    match phase {
        Phase::Contract => {
            body.push(format!(
                "IF {} OR {} IS NOT DISTINCT FROM {} THEN\n        {}\n    END IF;",
                later_release_exists(number),
                schema_comment(&release.views_schema),
                quote_literal(&release.next_expanding_mark()),
                raise(format!(
                    "release {number} contracted already and a later release has begun to expand since: running this contract file again would act on a newer schema; there is nothing to do"
                ))
            ));
            body.push(format!(
                "IF NOT {} THEN\n        {}\n    END IF;",
                schema_exists(&release.views_schema),
                raise(format!(
                    "release {number} cannot contract: its expand has not run to the end (schema {} is missing); run expand, deploy, then contract",
                    release.views_schema
                ))
            ));
            if previous.number > 0 {
                body.push(format!(
                    "IF {} THEN\n        {}\n    END IF;",
                    schema_exists(&previous.views_schema),
                    raise(format!(
                        "release {number} has not begun to contract: its first contract file ({number:04}501), which drops the views of release {} (schema {}), has not run; run the contract files of release {number} in order",
                        previous.number, previous.views_schema
                    ))
                ));
            }
        }
        Phase::Expand | Phase::Backfill => {
            body.push(format!(
                "IF {} THEN\n        {}\n    END IF;",
                later_release_exists(number),
                raise(format!(
                    "release {number} cannot expand: a later release has expanded since; there is nothing to do"
                ))
            ));
            if previous.number > 0 {
                let views = &previous.views_schema;
                body.push(format!(
                    "IF {} IS DISTINCT FROM {} THEN\n        IF NOT {} AND {} THEN\n            {}\n        END IF;\n        {}\n    END IF;",
                    schema_comment(views),
                    quote_literal(&previous.next_expanding_mark()),
                    schema_exists(views),
                    schema_exists(&release.views_schema),
                    raise(format!(
                        "release {number} is contracting or has contracted (schema {views} is gone): its expand has nothing left to do, and running it again would undo contract work"
                    )),
                    raise(format!(
                        "release {number} has not begun to expand: its first expand file ({number:04}001), which checks that the contract of release {} is complete, has not run or refused; run the expand files of release {number} in order",
                        previous.number
                    ))
                ));
            }
        }
    }
    format!("DO $$\nBEGIN\n    {}\nEND\n$$;", body.join("\n    "))
}

/// Before the mark: a catalog-only check that contract did its work on every table its steps
/// touched (each declared column there, NOT NULL where declared, of its declared built-in type
/// by type oid: `format_type` spells some types otherwise, and keeps no array dimensions;
/// each declared CHECK, foreign key and unique constraint there, validated). Files applied by
/// hand past one that refused must not mark the release complete, which would let the next
/// release expand over a column not yet NOT NULL, or a type not yet swapped.
pub(super) fn contract_effects_check(input: &PlanInput<'_>, contract: &[Step]) -> Option<String> {
    let mut touched: Vec<String> = contract
        .iter()
        .flat_map(|s| s.locks.iter())
        .map(|l| l.table.key())
        .collect();
    touched.sort_unstable();
    touched.dedup();
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    for table in touched.iter().filter_map(|t| input.declared.tables.get(t)) {
        let name = quote_literal(&table.name.sql());
        for c in &table.columns {
            let ty = match &c.ty {
                ColumnType::Builtin { .. } => quote_literal(&c.ty.sql()),
                ColumnType::Enum { .. } => "NULL::text".to_owned(),
            };
            columns.push(format!(
                "({name}, {}, {ty}, {})",
                quote_literal(&c.name),
                !c.nullable
            ));
        }
        let names = table
            .checks
            .iter()
            .map(|k| &k.name)
            .chain(table.foreign_keys.iter().map(|f| &f.name))
            .chain(table.uniques.iter().map(|u| &u.name));
        constraints.extend(names.map(|n| format!("({name}, {})", quote_literal(n))));
    }
    if columns.is_empty() {
        return None;
    }
    let number = input.release.number;
    let mut body = vec![format!(
        "IF EXISTS (SELECT 1 FROM (VALUES {}) AS expected(tbl, col, ty, not_null) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass(expected.tbl) AND a.attname = expected.col AND NOT a.attisdropped AND (a.attnotnull OR NOT expected.not_null) AND (expected.ty IS NULL OR pg_catalog.to_regtype(expected.ty) IS NULL OR a.atttypid = pg_catalog.to_regtype(expected.ty)))) THEN\n        RAISE EXCEPTION {};\n    END IF;",
        columns.join(", "),
        sql::raise_message(&format!(
            "the contract of release {number} is not complete: a column is missing, not yet NOT NULL or not yet of its new type (a contract file before this one refused); run the contract files in order, then this one"
        ))
    )];
    if !constraints.is_empty() {
        body.push(format!(
            "IF EXISTS (SELECT 1 FROM (VALUES {}) AS expected(tbl, con) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = to_regclass(expected.tbl) AND k.conname = expected.con AND k.convalidated)) THEN\n        RAISE EXCEPTION {};\n    END IF;",
            constraints.join(", "),
            sql::raise_message(&format!(
                "the contract of release {number} is not complete: a constraint is missing or not yet validated (a contract file before this one refused); run the contract files in order, then this one"
            ))
        ));
    }
    Some(format!(
        "DO $$\nBEGIN\n    {}\nEND\n$$;",
        body.join("\n    ")
    ))
}
