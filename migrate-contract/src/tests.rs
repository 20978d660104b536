use super::*;

fn table(name: &str) -> QualifiedName {
    QualifiedName::new("public", name)
}

fn step(phase: Phase, sql: &str, transaction: Transaction, locks: &[&str]) -> Step {
    let mut s = Step::new(phase, CatalogRow::C1, "a step", "a_step", sql);
    s.transaction = transaction;
    s.locks = locks
        .iter()
        .map(|t| Lock {
            mode: LockMode::AccessExclusive,
            table: table(t),
            new_table: false,
        })
        .collect();
    s.undo = Some(Undo::Nothing("a test".into()));
    s
}

/// A sealed plan: two shared expand steps on one table in one file, an index build alone, a
/// gated views step, and one contract step.
fn sample() -> Plan {
    let mut plan = Plan {
        format: FORMAT_VERSION,
        release: Release::numbered(2),
        previous: Release::numbered(1),
        changes: vec![ChangeSummary {
            catalog: CatalogRow::C6,
            verdict: VerdictKind::Phased,
            reason: "set NOT NULL".into(),
            warning: None,
        }],
        steps: vec![
            step(Phase::Expand, "SELECT 1;", Transaction::Shared, &["users"]),
            step(Phase::Expand, "SELECT 2;", Transaction::Shared, &["users"]),
            step(
                Phase::Expand,
                "CREATE INDEX CONCURRENTLY …;",
                Transaction::None,
                &[],
            ),
            step(Phase::Expand, "CREATE VIEW …;", Transaction::Shared, &[]),
            step(Phase::Contract, "SELECT 3;", Transaction::Own, &["users"]),
        ],
        backfills: vec![Backfill {
            id: String::new(),
            checksum: String::new(),
            catalog: CatalogRow::C6,
            description: "fill users.name".into(),
            table: table("users"),
            key: vec!["id".into()],
            bounds_sql: "SELECT … bounds".into(),
            batch_sql: "SELECT …".into(),
            rows_left_sql: "SELECT count(*) …".into(),
            initial_batch_size: 1000,
            target_batch_ms: 50,
            before_deploy: true,
            compute: None,
        }],
        groups: Vec::new(),
    };
    plan.steps[2].post_check = Some(PostCheck::IndexValid {
        index: table("users_name_idx"),
    });
    plan.steps[3].gate = Some(BackfillGate {
        backfills: vec![backfill_id(2, 1)],
    });
    plan.seal();
    let ids: Vec<String> = plan.steps.iter().map(|s| s.id.clone()).collect();
    let group = |phase, file: &str, transaction, steps: &[&String]| {
        let mut group = StepGroup {
            phase,
            file: file.into(),
            transaction,
            steps: steps.iter().map(|s| (*s).clone()).collect(),
            order_check: None,
            lock_timeout_ms: None,
            statement_timeout_ms: None,
            checksum: String::new(),
        };
        group.checksum = group.compute_checksum();
        group
    };
    plan.groups = vec![
        group(
            Phase::Expand,
            "0002001_a.sql",
            Transaction::Shared,
            &[&ids[0], &ids[1]],
        ),
        group(
            Phase::Expand,
            "0002002_b.sql",
            Transaction::None,
            &[&ids[2]],
        ),
        group(
            Phase::Expand,
            "0002003_c.sql",
            Transaction::Shared,
            &[&ids[3]],
        ),
        group(
            Phase::Contract,
            "contract/0002501_d.sql",
            Transaction::Own,
            &[&ids[4]],
        ),
    ];
    plan
}

#[test]
fn a_plan_round_trips_through_its_json() {
    let plan = sample();
    let json = plan.to_json();
    assert!(json.starts_with("{\n  \"format\": 2,\n"), "{json}");
    assert!(json.ends_with("}\n"));
    let read = Plan::from_json(&json).unwrap();
    assert_eq!(read, plan);
    assert_eq!(read.to_json(), json);
    assert_eq!(
        read.step("0002.expand.4")
            .unwrap()
            .gate
            .as_ref()
            .unwrap()
            .backfills,
        ["0002.backfill.1"]
    );
    assert_eq!(
        read.group_of("0002.contract.1").unwrap().file,
        "contract/0002501_d.sql"
    );
}

#[test]
fn ids_are_stable_per_phase() {
    let plan = sample();
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "0002.expand.1",
            "0002.expand.2",
            "0002.expand.3",
            "0002.expand.4",
            "0002.contract.1"
        ]
    );
    let mut again = plan.clone();
    again.seal();
    assert_eq!(again, plan);
}

#[test]
fn missing_and_unknown_versions_are_refused() {
    let json = sample().to_json();
    let old = json.replacen("  \"format\": 2,\n", "", 1);
    let err = Plan::from_json(&old).unwrap_err();
    assert!(matches!(err, PlanReadError::Unversioned));
    assert!(
        err.to_string().contains("written by an older migrate"),
        "{err}"
    );
    for other in ["3", "0", "\"2\"", "null"] {
        let text = json.replacen("\"format\": 2", &format!("\"format\": {other}"), 1);
        assert!(
            matches!(
                Plan::from_json(&text),
                Err(PlanReadError::UnknownVersion { .. })
            ),
            "format {other}"
        );
    }
    assert!(matches!(
        Plan::from_json("[1]"),
        Err(PlanReadError::Invalid(_))
    ));
    assert!(matches!(Plan::from_json("{"), Err(PlanReadError::Json(_))));
}

#[test]
fn checksums_cover_what_runs_and_nothing_else() {
    let plan = sample();
    let first = &plan.steps[0];
    assert_eq!(first.checksum.len(), 64);
    assert!(first.checksum.bytes().all(|b| b.is_ascii_hexdigit()));
    // The same executed fields give the same checksum; SQL differs between the steps.
    assert_eq!(first.checksum, first.compute_checksum());
    assert_ne!(first.checksum, plan.steps[1].checksum);
    let mut renamed = first.clone();
    renamed.description = "another description".into();
    assert_eq!(renamed.compute_checksum(), first.checksum);
    let mut tweaked = first.clone();
    tweaked.lock_timeout_ms = Some(1);
    assert_ne!(tweaked.compute_checksum(), first.checksum);

    let mut edited = plan.clone();
    edited.steps[1].sql = "DROP TABLE users;".into();
    let err = Plan::from_json(&edited.to_json()).unwrap_err();
    assert!(
        matches!(err, PlanReadError::Edited { ref id } if id == "0002.expand.2"),
        "{err}"
    );
}

#[test]
fn groups_must_cover_every_step_once_in_order() {
    let mut plan = sample();
    plan.groups.swap(0, 1);
    assert!(matches!(plan.verify(), Err(PlanReadError::Invalid(_))));

    let mut plan = sample();
    plan.groups.pop();
    assert!(matches!(plan.verify(), Err(PlanReadError::Invalid(_))));
}

#[test]
fn a_lone_step_stays_alone_and_a_shared_group_blocks_one_table() {
    // A non-transactional step may not share its file.
    let mut plan = sample();
    let moved = plan.groups.remove(2).steps;
    plan.groups[1].steps.extend(moved);
    // An edited group is refused by its checksum; recomputed, by the invariant.
    assert!(matches!(plan.verify(), Err(PlanReadError::Edited { .. })));
    plan.groups[1].checksum = plan.groups[1].compute_checksum();
    assert!(matches!(plan.verify(), Err(PlanReadError::Invalid(_))));

    // R1: two existing tables blocked in one transaction.
    let mut plan = sample();
    plan.steps[1].locks[0].table = table("orders");
    plan.seal();
    let err = plan.verify().unwrap_err();
    assert!(err.to_string().contains("R1"), "{err}");

    // A gate naming no backfill of the plan.
    let mut plan = sample();
    plan.steps[3].gate = Some(BackfillGate {
        backfills: vec!["0002.backfill.9".into()],
    });
    // The gate is covered by the checksum: an edited gate is an edited step.
    assert!(matches!(plan.verify(), Err(PlanReadError::Edited { .. })));
    plan.seal();
    assert!(matches!(plan.verify(), Err(PlanReadError::Invalid(_))));
}

#[test]
fn post_checks_give_a_count_query_and_a_message() {
    let check = PostCheck::IndexValid {
        index: QualifiedName::new("public", "it's"),
    };
    let sql = check.sql();
    assert!(sql.starts_with("SELECT count(*)"), "{sql}");
    assert!(sql.contains("to_regclass('\"public\".\"it''s\"')"), "{sql}");
    assert!(check.failure(1).contains("public.it's"));
    let check = PostCheck::ConstraintValidated {
        table: table("users"),
        name: "users_age_check".into(),
    };
    assert!(
        check
            .sql()
            .contains("conname = 'users_age_check' AND convalidated")
    );
    let rows = PostCheck::NoRowsLeft {
        sql: "SELECT count(*) FROM t".into(),
        what: "NULL names".into(),
    };
    assert_eq!(rows.sql(), "SELECT count(*) FROM t");
    assert_eq!(rows.failure(3), "3 row(s) left: NULL names");
}

#[test]
fn ids_are_places_and_backfills_and_groups_are_checksummed() {
    // A step moved to another phase keeps neither its id nor its checksum.
    let mut plan = sample();
    plan.steps[4].phase = Phase::Expand;
    assert!(plan.verify().is_err());

    // Ids say where a step stands: swapped ids are refused even with fresh checksums.
    let mut plan = sample();
    let (a, b) = (plan.steps[0].id.clone(), plan.steps[1].id.clone());
    plan.steps[0].id = b;
    plan.steps[1].id = a;
    let err = plan.verify().unwrap_err();
    assert!(err.to_string().contains("not its place"), "{err}");

    // A backfill's queries are covered.
    let mut plan = sample();
    plan.backfills[0].batch_sql = "UPDATE users SET name = NULL".into();
    assert!(matches!(
        plan.verify(),
        Err(PlanReadError::Edited { ref id }) if id == "0002.backfill.1"
    ));

    // A group's order check and timeouts are covered.
    let mut plan = sample();
    plan.groups[2].lock_timeout_ms = Some(60_000);
    assert!(matches!(
        plan.verify(),
        Err(PlanReadError::Edited { ref id }) if id == "0002003_c.sql"
    ));

    // Backfill work is jobs, never steps.
    let mut plan = sample();
    plan.steps[4].phase = Phase::Backfill;
    plan.seal();
    let err = plan.verify().unwrap_err();
    assert!(err.to_string().contains("backfill phase"), "{err}");

    // Two groups may not write one file.
    let mut plan = sample();
    plan.groups[1].file = plan.groups[0].file.clone();
    plan.groups[1].checksum = plan.groups[1].compute_checksum();
    let err = plan.verify().unwrap_err();
    assert!(err.to_string().contains("two groups"), "{err}");
}

#[test]
fn fields_this_format_does_not_define_and_non_objects_are_refused() {
    let json = sample().to_json();
    let extra = json.replacen("\"format\": 2,", "\"format\": 2,\n  \"retry\": true,", 1);
    assert!(matches!(
        Plan::from_json(&extra),
        Err(PlanReadError::Json(_))
    ));
    let extra_in_step = json.replacen(
        "\"phase\": \"expand\",",
        "\"phase\": \"expand\", \"run_as\": \"root\",",
        1,
    );
    assert_ne!(extra_in_step, json);
    assert!(matches!(
        Plan::from_json(&extra_in_step),
        Err(PlanReadError::Json(_))
    ));
    for not_an_object in ["[]", "1", "\"plan\"", "null"] {
        assert!(
            matches!(
                Plan::from_json(not_an_object),
                Err(PlanReadError::Invalid(_))
            ),
            "{not_an_object}"
        );
    }
}
