//! R1–R5 and R8–R10: what holds across every plan the unit tier builds (every planned case of
//! every family), plus the quoting of names that need it.

use std::collections::BTreeSet;

use migrate_core::plan::{CatalogRow, LockMode, Phase, Plan, Transaction};

use crate::support::{self, Case};

fn every_case() -> Vec<Case> {
    let mut cases = crate::table::cases();
    cases.extend(crate::column::cases());
    cases.extend(crate::not_null::cases());
    cases.extend(crate::type_change::cases());
    cases.extend(crate::constraint::cases());
    cases.extend(crate::index::cases());
    cases.extend(crate::enums::cases());
    cases
}

/// Every case's plan, with its name.
fn every_plan() -> Vec<(&'static str, Plan)> {
    let plans: Vec<(&'static str, Plan)> = every_case()
        .iter()
        .map(|case| (case.name, case.plan().plan().clone()))
        .collect();
    assert!(plans.len() >= 25, "the rules are checked on every family");
    plans
}

#[test]
fn r1_r2_write_blocking_steps_on_existing_tables_have_timeouts() {
    for (name, plan) in every_plan() {
        for s in &plan.steps {
            let blocks = s.blocking_tables().next().is_some();
            assert_eq!(
                s.lock_timeout_ms.is_some(),
                blocks,
                "{name}: R1 on {}: {}",
                s.id,
                s.sql
            );
            if blocks {
                assert_eq!(s.lock_timeout_ms, Some(100), "{name}: {}", s.id);
            }
            let exclusive = s
                .locks
                .iter()
                .any(|l| l.blocks_existing() && l.mode == LockMode::AccessExclusive);
            if exclusive && s.transaction == Transaction::Shared {
                assert_eq!(s.statement_timeout_ms, Some(5000), "{name}: R2 on {}", s.id);
            }
        }
    }
}

#[test]
fn r2_r3_concurrently_and_validate_run_apart_without_a_statement_timeout() {
    for (name, plan) in every_plan() {
        for s in &plan.steps {
            // Statements, not the text of error messages that quote them.
            let statement = |pattern: &str| {
                s.sql.lines().any(|l| {
                    let l = l.trim_start();
                    (l.starts_with("CREATE") || l.starts_with("DROP") || l.starts_with("ALTER"))
                        && l.contains(pattern)
                })
            };
            let concurrently = statement("CONCURRENTLY");
            let add_value = statement("ADD VALUE");
            let validate = statement("VALIDATE CONSTRAINT");
            if concurrently {
                assert_eq!(s.transaction, Transaction::None, "{name}: {}", s.id);
            }
            if add_value {
                assert_ne!(s.transaction, Transaction::Shared, "{name}: {}", s.id);
            }
            if validate {
                assert_eq!(s.transaction, Transaction::Own, "{name}: {}", s.id);
            }
            if concurrently || validate {
                assert_eq!(s.statement_timeout_ms, None, "{name}: {}", s.id);
            }
            if s.transaction != Transaction::Shared {
                let group = plan.group_of(&s.id).expect("every step is in a group");
                assert_eq!(group.steps.len(), 1, "{name}: {} runs alone", s.id);
                assert_eq!(group.transaction, s.transaction);
            }
        }
    }
}

#[test]
fn r1_a_group_locks_at_most_one_existing_table_against_writers() {
    for (name, plan) in every_plan() {
        assert!(
            !plan.groups.is_empty(),
            "{name}: the plan carries its groups"
        );
        let mut grouped = 0;
        for group in &plan.groups {
            let blocked: BTreeSet<String> = plan
                .group_steps(group)
                .flat_map(|s| s.blocking_tables().map(ToString::to_string))
                .collect();
            // One step may lock two tables itself (a foreign key locks both ends); a group
            // of several steps never holds one table's lock while queueing for another.
            assert!(
                blocked.len() <= 1 || group.steps.len() == 1,
                "{name}: {} blocks {blocked:?}",
                group.file
            );
            assert!(plan.group_steps(group).all(|s| s.phase == group.phase));
            grouped += group.steps.len();
        }
        assert_eq!(grouped, plan.steps.len(), "{name}: every step in one group");
    }
}

#[test]
fn r4_a_trigger_shares_the_transaction_of_the_column_it_serves() {
    for (name, plan) in every_plan() {
        for s in plan
            .steps
            .iter()
            .filter(|s| s.sql.contains("CREATE TRIGGER"))
        {
            assert_eq!(s.transaction, Transaction::Shared, "{name}: {}", s.id);
        }
    }
}

#[test]
fn r5_every_step_has_a_guard_and_an_undo() {
    for (name, plan) in every_plan() {
        for s in &plan.steps {
            assert!(!s.idempotency.is_empty(), "{name}: {} has no guard", s.id);
            assert!(s.undo.is_some(), "{name}: {} has no undo", s.id);
            assert_eq!(
                s.checksum,
                s.compute_checksum(),
                "{name}: {} is sealed",
                s.id
            );
        }
    }
}

#[test]
fn r8_every_locked_table_is_named_quoted() {
    for (name, plan) in every_plan() {
        // The first lock is the table the step works on (others are locked through it, like
        // the referenced end of a foreign key).
        for s in plan.steps.iter().filter(|s| !s.locks.is_empty()) {
            let table = &s.locks[0].table;
            // It names the table, or an index of it, schema-qualified and quoted.
            let quoted = format!("\"{}\".\"", table.schema);
            assert!(
                s.sql.contains(&quoted),
                "{name}: {} names {table} unquoted: {}",
                s.id,
                s.sql
            );
            for line in s.sql.lines().map(str::trim_start) {
                if line.starts_with("ALTER TABLE")
                    || line.starts_with("CREATE")
                    || line.starts_with("DROP")
                {
                    assert!(
                        !line.contains(&format!(" {}.{}", table.schema, table.name)),
                        "{name}: {}: {line}",
                        s.id
                    );
                }
            }
        }
    }
}

#[test]
fn r8_names_that_need_quotes_are_quoted() {
    let v1 = r#"
#[derive(Table)]
#[migrate(table_name = "Order Items")]
struct OrderItem {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(column_name = "select")]
    pick: Option<String>,
}
"#;
    let v2 = support::edit(
        v1,
        "    pick: Option<String>,\n",
        "    pick: Option<String>,\n    #[migrate(column_name = \"Group\", index)]\n    group_name: Option<String>,\n",
    );
    let p = support::plan(v1, &v2);
    let sql: Vec<&str> = p.plan().steps.iter().map(|s| s.sql.as_str()).collect();
    let all = sql.join("\n");
    assert!(all.contains("\"public\".\"Order Items\""), "{all}");
    assert!(all.contains("\"Group\""), "{all}");
    assert!(!all.contains(" Group "), "{all}");
}

#[test]
fn r9_every_plan_orders_its_phases_and_marks_contract() {
    for (name, plan) in every_plan() {
        let phases: Vec<Phase> = plan.groups.iter().map(|g| g.phase).collect();
        let mut sorted = phases.clone();
        sorted.sort();
        assert_eq!(phases, sorted, "{name}: expand groups first, then contract");
        let r9: Vec<_> = plan
            .steps
            .iter()
            .filter(|s| s.catalog == CatalogRow::R9)
            .collect();
        assert!(!r9.is_empty(), "{name}: R9 checks and marks");
        assert!(
            plan.phase(Phase::Contract)
                .any(|s| s.catalog == CatalogRow::R9),
            "{name}: contract checks that it may run"
        );
    }
}

#[test]
fn r10_the_previous_release_views_go_before_the_columns_they_read() {
    for (name, plan) in every_plan() {
        let contract: Vec<_> = plan.phase(Phase::Contract).collect();
        let views = contract.iter().position(|s| s.catalog == CatalogRow::R10);
        let first_drop = contract.iter().position(|s| {
            s.catalog != CatalogRow::R10
                && (s.sql.contains("DROP COLUMN") || s.sql.contains("RENAME"))
        });
        if let Some(drop) = first_drop {
            let views =
                views.unwrap_or_else(|| panic!("{name}: no R10 step before {}", contract[drop].id));
            assert!(
                views < drop,
                "{name}: views dropped at {views}, column at {drop}"
            );
        }
    }
}

#[test]
fn r7_backfills_walk_the_primary_key_in_batches() {
    let mut seen = 0;
    for (name, plan) in every_plan() {
        for b in &plan.backfills {
            seen += 1;
            assert_eq!(b.key, ["id"], "{name}: keyset order is the primary key");
            // Format 2: the first key, the walk's last key, the size.
            assert!(
                b.batch_sql.contains("$1::text::")
                    && b.batch_sql.contains("$2::text::")
                    && b.batch_sql.contains("LIMIT $3"),
                "{name}: {}",
                b.batch_sql
            );
            assert!(b.has_bounds(), "{name}: format 2 backfills have bounds");
            assert!(
                b.rows_left_sql.starts_with("SELECT count(*)"),
                "{name}: {}",
                b.rows_left_sql
            );
            assert!(b.initial_batch_size > 0 && b.target_batch_ms > 0, "{name}");
            assert!(b.id.starts_with("0002.backfill."), "{name}: {}", b.id);
        }
    }
    assert!(seen >= 4, "C3, C4, C6 and C10 plan backfills");
}

#[test]
fn every_catalog_row_is_covered() {
    let mut covered: BTreeSet<CatalogRow> = BTreeSet::new();
    for case in every_case() {
        let p = case.plan();
        covered.extend(p.0.decisions.iter().map(|d| d.catalog));
        covered.extend(p.plan().steps.iter().map(|s| s.catalog));
    }
    // Covered by refusals only (`column.rs`, `enums.rs`), by the rule tests above, or not
    // declarable at all: X1 has no attribute; R6 (one runner at a time) is the runner's.
    let refused_only = [CatalogRow::C12, CatalogRow::E2];
    let rules = [
        CatalogRow::R1,
        CatalogRow::R2,
        CatalogRow::R3,
        CatalogRow::R4,
        CatalogRow::R5,
        CatalogRow::R7,
        CatalogRow::R8,
    ];
    let not_declarable = [CatalogRow::X1, CatalogRow::R6];
    covered.extend(refused_only.iter().chain(&rules).chain(&not_declarable));
    let missing: Vec<&CatalogRow> = CatalogRow::ALL
        .iter()
        .filter(|r| !covered.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "catalog rows without a unit test: {missing:?}"
    );
}

#[test]
fn ids_are_stable_and_follow_the_phase() {
    for (name, plan) in every_plan() {
        for s in &plan.steps {
            assert!(
                s.id.starts_with(&format!("0002.{}.", s.phase.name())),
                "{name}: {}",
                s.id
            );
        }
    }
}

#[test]
fn r8_long_names_are_refused_or_shortened_to_fit() {
    let long = "t".repeat(64);
    let source = format!(
        "#[derive(Table)]\n#[migrate(table_name = \"{long}\")]\nstruct T {{\n    #[migrate(primary_key)]\n    id: i64,\n}}\n"
    );
    let file = syn::parse_file(&source).expect("parses");
    let syn::Item::Struct(item) = &file.items[0] else {
        panic!("a struct")
    };
    let errors = migrate_core::declare::parse_table(&item.clone().into())
        .expect_err("a 64-byte table name is refused");
    assert!(
        errors.iter().any(|d| d.message.contains("63")),
        "{:?}",
        errors.iter().map(|d| &d.message).collect::<Vec<_>>()
    );

    // A generated name (an index named after its long table and column) is shortened to fit,
    // deterministically, rather than left for PostgreSQL to truncate.
    let table = "t".repeat(60);
    let v1 = format!(
        "#[derive(Table)]\n#[migrate(table_name = \"{table}\")]\nstruct T {{\n    #[migrate(primary_key)]\n    id: i64,\n    nickname: Option<String>,\n}}\n"
    );
    let v2 = support::edit(&v1, "    nickname", "    #[migrate(index)]\n    nickname");
    let p = support::plan(&v1, &v2);
    let steps = p.steps(CatalogRow::I1);
    let mut names = Vec::new();
    for s in &steps {
        // The quoted identifiers of the SQL: every other piece between double quotes.
        names.extend(s.sql.split('"').skip(1).step_by(2).map(str::to_owned));
    }
    assert!(names.iter().any(|n| n.ends_with("_idx")), "{names:?}");
    for name in &names {
        assert!(name.len() <= 63, "`{name}` would be truncated");
    }
    assert_eq!(
        support::plan(&v1, &v2).steps(CatalogRow::I1)[0].sql,
        steps[0].sql
    );
}
