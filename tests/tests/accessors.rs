//! The accessors `#[derive(Table)]` generates, on a real PostgreSQL: every statement through
//! its release's views, any executor, enums by label, a pool bound to its release whatever
//! `search_path` says, and a contract that waits for the older binary's connections.
//!
//! The fixture crates `mixed-v1` and `mixed-v2` are releases 1 and 2 of one history, each
//! built by the build helper from its own snapshot.

use migrate_runtime::access::{BindError, Binding};
use migrate_runtime::migrator::{Migrator, ProgressOutput, RunError, RunOptions};
use migrate_runtime::prelude::*;
use migrate_tests::pg::TestDb;
use mixed_v1::{Member, Membership, Mood, NewMember};
use sqlx::postgres::PgPoolOptions;

fn quiet() -> RunOptions {
    RunOptions {
        progress: ProgressOutput::Events,
        ..RunOptions::default()
    }
}

async fn at_release_1(db: &TestDb) {
    Migrator::embedded(mixed_v1::PLANS)
        .expect("plans")
        .with_options(quiet())
        .expect("options")
        .up(&db.pool)
        .await
        .expect("release 1 applies");
}

async fn pool_for(db: &TestDb, binding: &Binding) -> sqlx::PgPool {
    binding
        .connect(
            PgPoolOptions::new().max_connections(4),
            db.connect_options(),
        )
        .await
        .expect("the release's views exist")
}

#[test]
fn every_statement_names_the_release_schema() {
    for sql in [
        Member::INSERT,
        <NewMember as NewRecord>::INSERT,
        Member::FETCH,
        Member::UPDATE,
        Member::DELETE,
        Member::UPSERT,
        Member::ON_EMAIL.sql(),
    ] {
        assert!(sql.contains("\"release_0001\".\"members\""), "{sql}");
    }
    assert_eq!(Member::VIEW, "\"release_0001\".\"members\"");
    assert_eq!(mixed_v2::Widget::VIEW, "\"release_0002\".\"widgets\"");
    assert_eq!(mixed_v1::BINDING.release, 1);
    const { assert!(!mixed_v1::BINDING.pending && !mixed_v2::BINDING.pending) };
    assert_eq!(mixed_v1::BINDING.qualified("members"), Member::VIEW);
    assert_eq!(mixed_v1::BINDING.application_name(), "migrate:r1 mixed-v1");
}

#[tokio::test]
async fn each_accessor_works_on_a_pool_a_connection_and_a_transaction() {
    let db = TestDb::create().await;
    at_release_1(&db).await;
    let pool = &db.pool;

    let ada = NewMember {
        email: "ada@example.com".into(),
        moods: vec![Mood::Calm, Mood::Busy],
        mood: None,
    }
    .insert(pool)
    .await
    .expect("insert_new");
    assert!(ada.id > 0, "the identity filled the key");
    assert_eq!(ada.moods, [Mood::Calm, Mood::Busy]);
    assert_eq!(ada.cache, None, "a skipped field reads as its default");
    let age = chrono::Utc::now() - ada.joined_at;
    assert!(age.num_seconds().abs() < 60, "the default filled joined_at");

    // On a connection.
    let mut conn = pool.acquire().await.expect("a connection");
    let fetched = Member::fetch(&mut *conn, &ada.id).await.expect("fetch");
    assert_eq!(fetched, ada);
    assert_eq!(
        Member::fetch_optional(&mut *conn, &(ada.id + 1000))
            .await
            .expect("fetch_optional"),
        None
    );
    assert!(matches!(
        Member::fetch(&mut *conn, &(ada.id + 1000)).await,
        Err(sqlx::Error::RowNotFound)
    ));
    drop(conn);

    // In a transaction that rolls back: nothing of it stays.
    let mut tx = pool.begin().await.expect("a transaction");
    let changed = Member {
        mood: Some(Mood::Busy),
        ..ada.clone()
    }
    .update(&mut *tx)
    .await
    .expect("update")
    .expect("the row exists");
    assert_eq!(changed.mood, Some(Mood::Busy));
    tx.rollback().await.expect("rollback");
    assert_eq!(Member::fetch(pool, &ada.id).await.expect("fetch"), ada);

    // Full insert with an explicit key, then upsert on the key and on the unique email.
    let bob = Member {
        id: 1_000_000,
        email: "bob@example.com".into(),
        moods: Vec::new(),
        mood: Some(Mood::Calm),
        joined_at: ada.joined_at,
        cache: Some("not stored".into()),
    };
    let stored = bob.insert(pool).await.expect("insert");
    assert_eq!(stored.cache, None);
    assert_eq!(
        Member {
            cache: None,
            ..bob.clone()
        },
        stored
    );
    let upserted = Member {
        mood: None,
        ..stored.clone()
    }
    .upsert(pool)
    .await
    .expect("upsert on the key");
    assert_eq!(upserted.mood, None);
    let by_email = Member {
        id: 2_000_000,
        moods: vec![Mood::Busy],
        ..stored.clone()
    }
    .upsert_on(pool, Member::ON_EMAIL)
    .await
    .expect("upsert on email");
    assert_eq!(
        by_email.id, 1_000_000,
        "the conflicting row keeps its key and takes every other column"
    );
    assert_eq!(by_email.moods, [Mood::Busy]);
    assert_eq!(
        Member::fetch_optional(pool, &2_000_000)
            .await
            .expect("fetch"),
        None
    );

    // The futures hold neither the key nor the row: both are encoded when the call is made.
    let lookups: Vec<_> = [by_email.id, 7]
        .iter()
        .map(|id| {
            let key = *id; // dropped when the closure returns, before the future runs
            Member::fetch_optional(pool, &key)
        })
        .collect();
    let mut found = Vec::new();
    for lookup in lookups {
        found.push(lookup.await.expect("fetch").is_some());
    }
    assert_eq!(found, [true, false]);
    let pending_update = by_email.clone().update(pool);
    assert!(pending_update.await.expect("update").is_some());

    // Update of a missing row, delete, delete again.
    let ghost = Member {
        id: 42,
        ..by_email.clone()
    };
    assert_eq!(ghost.update(pool).await.expect("update"), None);
    assert!(Member::delete(pool, &by_email.id).await.expect("delete"));
    assert!(!Member::delete(pool, &by_email.id).await.expect("delete"));

    // FromRow serves a hand-written query, and the enum binds as its PostgreSQL type.
    let calm: Vec<Member> = sqlx::query_as(&format!(
        "SELECT * FROM {} WHERE $1 = ANY(moods) ORDER BY id",
        Member::VIEW
    ))
    .bind(Mood::Calm)
    .fetch_all(pool)
    .await
    .expect("a custom query");
    assert_eq!(calm, std::slice::from_ref(&ada));

    // A composite key: fetched and deleted by a tuple.
    let m = Membership {
        member_id: ada.id,
        team: "core".into(),
        role: "lead".into(),
    };
    m.insert(pool).await.expect("insert");
    let key = (ada.id, "core".to_owned());
    assert_eq!(Membership::fetch(pool, &key).await.expect("fetch"), m);
    let promoted = Membership {
        role: "owner".into(),
        ..m.clone()
    }
    .upsert(pool)
    .await
    .expect("upsert");
    assert_eq!(promoted.role, "owner");
    assert!(Membership::delete(pool, &key).await.expect("delete"));
}

#[tokio::test]
async fn a_label_the_binary_does_not_declare_is_an_error_naming_it() {
    let db = TestDb::create().await;
    at_release_1(&db).await;
    sqlx::query("ALTER TYPE public.mood ADD VALUE 'sleepy'")
        .execute(&db.pool)
        .await
        .expect("a label added behind the binary's back");
    sqlx::query(
        "INSERT INTO release_0001.members (email, moods, mood) VALUES ('x@y', '{}', 'sleepy')",
    )
    .execute(&db.pool)
    .await
    .expect("insert");
    let err = sqlx::query_as::<_, Member>(&format!("SELECT * FROM {}", Member::VIEW))
        .fetch_one(&db.pool)
        .await
        .expect_err("an undeclared label");
    let text = err.to_string();
    assert!(
        text.contains("sleepy") && text.contains("calm, busy"),
        "{text}"
    );
}

#[tokio::test]
async fn a_hostile_search_path_or_none_still_reaches_the_release_views() {
    let db = TestDb::create().await;
    at_release_1(&db).await;
    // A decoy table of the same name where a search_path would find it first.
    sqlx::raw_sql(
        "CREATE SCHEMA x; CREATE TABLE x.members (id bigint, email text, moods text[], mood text, joined_at timestamptz); CREATE TABLE public.decoy ();",
    )
    .execute(&db.pool)
    .await
    .expect("decoy");
    for search_path in ["x, public", "", "pg_catalog", "x"] {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    sqlx::query("SELECT set_config('search_path', $1, false)")
                        .bind(search_path)
                        .execute(conn)
                        .await
                        .map(drop)
                })
            })
            .connect_with(db.connect_options())
            .await
            .expect("a pool with its own search_path");
        let shown: String = sqlx::query_scalar("SHOW search_path")
            .fetch_one(&pool)
            .await
            .expect("show");
        assert!(!shown.contains("release_0001"), "{shown}");
        let row = NewMember {
            email: format!("{search_path}@example.com"),
            moods: vec![Mood::Busy],
            mood: Some(Mood::Calm),
        }
        .insert(&pool)
        .await
        .unwrap_or_else(|e| panic!("search_path {search_path}: {e}"));
        assert_eq!(Member::fetch(&pool, &row.id).await.expect("fetch"), row);
        pool.close().await;
    }
    let decoys: i64 = sqlx::query_scalar("SELECT count(*) FROM x.members")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    let real: i64 = sqlx::query_scalar("SELECT count(*) FROM public.members")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!((decoys, real), (0, 4), "no write lost, none in the decoy");

    // The bound pool sets search_path itself, so unqualified SQL finds the views too.
    let bound = pool_for(&db, &mixed_v1::BINDING).await;
    let (path, app): (String, String) = sqlx::query_as(
        "SELECT current_setting('search_path'), current_setting('application_name')",
    )
    .fetch_one(&bound)
    .await
    .expect("settings");
    assert_eq!(path, "\"release_0001\", public");
    assert_eq!(app, "migrate:r1 mixed-v1");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM members")
        .fetch_one(&bound)
        .await
        .expect("unqualified");
    assert_eq!(count, 4);
}

#[tokio::test]
async fn a_binary_whose_views_are_missing_is_refused_at_connect() {
    let db = TestDb::create().await;
    at_release_1(&db).await;
    let err = mixed_v2::BINDING
        .connect(
            PgPoolOptions::new().max_connections(1),
            db.connect_options(),
        )
        .await
        .expect_err("release 2 has not expanded");
    let text = err.to_string();
    assert!(
        matches!(&err, BindError::ViewsMissing { release: 2, missing, .. } if missing.contains(&"widgets")),
        "{text}"
    );
    assert!(text.contains("run the release's expand"), "{text}");
    // The same binding, had it been built while release 2 was pending review.
    let pending = Binding {
        pending: true,
        ..mixed_v2::BINDING
    };
    let err = pending
        .connect(
            PgPoolOptions::new().max_connections(1),
            db.connect_options(),
        )
        .await
        .expect_err("a pending release has no views");
    assert!(
        matches!(err, BindError::Pending { release: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("MIGRATE_ACCEPT=1"), "{err}");
    // Views of that name, made by an accepted plan of release 2 (another branch's, say), are
    // still not the pending build's: it is refused all the same.
    Migrator::embedded(mixed_v2::PLANS)
        .expect("plans")
        .with_options(quiet())
        .expect("options")
        .expand(&db.pool)
        .await
        .expect("an accepted release 2 expands");
    mixed_v2::BINDING
        .connect(
            PgPoolOptions::new().max_connections(1),
            db.connect_options(),
        )
        .await
        .expect("the accepted build connects");
    let err = pending
        .connect(
            PgPoolOptions::new().max_connections(1),
            db.connect_options(),
        )
        .await
        .expect_err("the pending build is refused even so");
    assert!(
        matches!(err, BindError::Pending { release: 2, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn contract_waits_for_the_older_binary_to_disconnect_unless_overridden() {
    let db = TestDb::create().await;
    at_release_1(&db).await;
    let v2 = Migrator::embedded(mixed_v2::PLANS)
        .expect("plans")
        .computing(<mixed_v2::Post as Table>::COMPUTED)
        .with_options(quiet())
        .expect("options");
    v2.expand(&db.pool).await.expect("expand");
    v2.backfill(&db.pool).await.expect("backfill");
    let old = pool_for(&db, &mixed_v1::BINDING).await;
    let _held = (
        old.acquire().await.expect("one"),
        old.acquire().await.expect("two"),
    );
    let new = pool_for(&db, &mixed_v2::BINDING).await;
    let _new_held = new.acquire().await.expect("a release-2 connection");
    let err = v2
        .contract(&db.pool)
        .await
        .expect_err("release 1 is connected");
    match &err {
        RunError::OldBinaryConnected { release: 2, old } => {
            assert_eq!(old.len(), 1, "{err}");
            assert_eq!(old[0].release, 1);
            assert_eq!(old[0].count, 2);
            assert_eq!(old[0].application_name, "migrate:r1 mixed-v1");
        }
        other => panic!("{other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("2 connection(s) as `migrate:r1 mixed-v1`"),
        "{text}"
    );
    assert!(text.contains("allow_old_connections"), "{text}");
    let views: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'release_0001'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(views, 1, "nothing of the contract ran");

    // The override contracts anyway.
    let forced = Migrator::embedded(mixed_v2::PLANS)
        .expect("plans")
        .computing(<mixed_v2::Post as Table>::COMPUTED)
        .with_options(RunOptions {
            allow_old_connections: true,
            ..quiet()
        })
        .expect("options");
    forced
        .contract(&db.pool)
        .await
        .expect("contract with the override");
    drop(_held);
    old.close().await;

    // Once the old binary is gone, a plain contract has nothing to refuse (and nothing to do).
    v2.contract(&db.pool).await.expect("a plain contract");
    let status = v2.status(&db.pool).await.expect("status");
    assert!(
        status.releases.iter().all(|r| r.contract.is_done()),
        "{status:?}"
    );
}
