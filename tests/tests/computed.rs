//! A column computed by a Rust function (`compute(with, from)`), on a real PostgreSQL:
//! release 2 of the fixtures adds `posts.slug`, computed from `title` by
//! `mixed_v2::slug_of`, a function with no SQL form in the plan.
//!
//! Checked here, one step at a time (the concurrent proof is `mixed_version_rust_computed`):
//! the accessors compute on every write and on reading a row binary 1 wrote; binary 1's
//! update of a title marks the slug for recomputing; the runner's backfill computes the rows
//! from the application's function, resumes after an interruption, and is refused without
//! it; contract's final pass computes what binary 1 wrote after the backfill, then the column
//! is NOT NULL; and a contract stopped by a row written around it (an older binary it was
//! allowed to run beside) computes the row when run again.

use migrate_runtime::migrator::{
    Checkpoint, CheckpointAction, CheckpointHook, Migrator, ProgressOutput, RunError, RunOptions,
};
use migrate_runtime::prelude::*;
use migrate_tests::pg::TestDb;
use mixed_v2::slug_of;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;

fn quiet() -> RunOptions {
    RunOptions {
        progress: ProgressOutput::Events,
        ..RunOptions::default()
    }
}

fn release_2() -> Migrator {
    Migrator::embedded(mixed_v2::PLANS)
        .expect("plans")
        .computing(<mixed_v2::Post as Table>::COMPUTED)
        .with_options(quiet())
        .expect("options")
}

async fn pool_for(db: &TestDb, binding: &migrate_runtime::access::Binding) -> sqlx::PgPool {
    binding
        .connect(
            PgPoolOptions::new().max_connections(2),
            db.connect_options(),
        )
        .await
        .expect("the release's views exist")
}

/// The id of release 2's backfill of `posts.slug`.
fn slug_job() -> String {
    let plans = Migrator::embedded(mixed_v2::PLANS).expect("plans");
    plans.plans()[1]
        .backfills
        .iter()
        .find(|b| {
            b.compute
                .as_ref()
                .is_some_and(|c| c.job == "public.posts.slug")
        })
        .map(|b| b.id.clone())
        .expect("the plan computes posts.slug")
}

async fn stored_slugs(db: &TestDb) -> Vec<(i64, String, Option<String>)> {
    sqlx::query_as("SELECT id, title, slug FROM public.posts ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("posts")
}

#[test]
fn the_function_is_the_slug_and_the_job_is_declared() {
    assert_eq!(slug_of("  Hello, World!  "), "hello-world");
    assert_eq!(slug_of("Post 12"), "post-12");
    let jobs = <mixed_v2::Post as Table>::COMPUTED;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job(), "public.posts.slug");
    assert_eq!(jobs[0].function(), "slug_of");
    assert!(<mixed_v1::Post as Table>::COMPUTED.is_empty());
    let plan = Migrator::embedded(mixed_v2::PLANS).expect("plans");
    assert_eq!(plan.missing_jobs(), ["public.posts.slug"]);
    assert!(release_2().missing_jobs().is_empty());
}

#[tokio::test]
async fn accessors_compute_on_write_and_fall_back_on_read() {
    let db = TestDb::create().await;
    Migrator::embedded(mixed_v1::PLANS)
        .expect("plans")
        .with_options(quiet())
        .expect("options")
        .up(&db.pool)
        .await
        .expect("release 1");
    let old = pool_for(&db, &mixed_v1::BINDING).await;
    for id in 1..=300 {
        mixed_v1::Post {
            id,
            title: format!("Old Post {id}"),
        }
        .insert(&old)
        .await
        .expect("binary 1 inserts");
    }
    // Without its job the runner refuses the backfill, naming the struct to register.
    let bare = Migrator::embedded(mixed_v2::PLANS)
        .expect("plans")
        .with_options(quiet())
        .expect("options");
    bare.expand(&db.pool).await.expect("expand needs no Rust");
    let refused = bare.backfill(&db.pool).await.expect_err("no job given");
    let message = refused.to_string();
    assert!(
        matches!(refused, RunError::ComputeNotRegistered { .. })
            && message.contains("public.posts.slug")
            && message.contains("slug_of")
            && message.contains("<Post as migrate_runtime::Table>::COMPUTED"),
        "{message}"
    );

    // Binary 2 before the backfill: its reads compute the slug of binary 1's rows, its
    // writes store the computed slug whatever the struct held.
    let new = pool_for(&db, &mixed_v2::BINDING).await;
    let read = mixed_v2::Post::fetch(&new, &7).await.expect("fetch");
    assert_eq!(read.slug, "old-post-7");
    let written = mixed_v2::Post {
        id: 1_000,
        title: "New: Post!".into(),
        slug: "ignored".into(),
    }
    .insert(&new)
    .await
    .expect("binary 2 inserts");
    assert_eq!(written.slug, "new-post");
    let updated = mixed_v2::Post {
        title: "Renamed Post".into(),
        slug: String::new(),
        ..written
    }
    .update(&new)
    .await
    .expect("update")
    .expect("the row");
    assert_eq!(updated.slug, "renamed-post");
    let upserted = mixed_v2::Post {
        id: 8,
        title: "Upserted Eight".into(),
        slug: String::new(),
    }
    .upsert(&new)
    .await
    .expect("upsert");
    assert_eq!(upserted.slug, "upserted-eight");

    // Binary 1 changes the title of a row binary 2 wrote: the stored slug would be stale, so
    // the trigger sets it back to NULL, and binary 2 reads the new title's slug.
    sqlx::query("UPDATE release_0001.posts SET title = 'Changed By One' WHERE id = 1000")
        .execute(&old)
        .await
        .expect("binary 1 updates");
    let stored = stored_slugs(&db).await;
    assert_eq!(stored.last().map(|r| r.2.clone()), Some(None));
    let read = mixed_v2::Post::fetch(&new, &1_000).await.expect("fetch");
    assert_eq!(read.slug, "changed-by-one");
    // A custom query decodes through the same FromRow.
    let custom: Vec<mixed_v2::Post> = sqlx::query_as(&format!(
        "SELECT * FROM {} WHERE id <= 3 ORDER BY id",
        <mixed_v2::Post as Table>::VIEW
    ))
    .fetch_all(&new)
    .await
    .expect("custom");
    assert_eq!(custom[2].slug, "old-post-3");

    // The backfill, interrupted after its first batch, then resumed.
    let stop = CheckpointHook(Arc::new(|c: &Checkpoint| match c {
        Checkpoint::BatchDone { batch: 1, .. } => CheckpointAction::Stop,
        _ => CheckpointAction::Continue,
    }));
    let small = |hook: Option<CheckpointHook>| {
        let plans = Migrator::embedded(mixed_v2::PLANS).expect("plans");
        let mut plans_data: Vec<_> = plans.plans().to_vec();
        for job in &mut plans_data[1].backfills {
            // 100 keys a batch: several batches over these rows. (Not sealed again: the
            // sizes are not what a resumed walk checks.)
            job.initial_batch_size = 100;
            job.target_batch_ms = 1;
        }
        Migrator::from_plans(plans_data)
            .expect("plans")
            .computing(<mixed_v2::Post as Table>::COMPUTED)
            .with_options(RunOptions {
                checkpoint: hook,
                ..quiet()
            })
            .expect("options")
    };
    let interrupted = small(Some(stop)).backfill(&db.pool).await;
    assert!(
        matches!(interrupted, Err(RunError::Interrupted(_))),
        "{interrupted:?}"
    );
    let after_one: i64 = sqlx::query_scalar("SELECT count(*) FROM public.posts WHERE slug IS NULL")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert!(
        after_one > 0 && after_one < 300,
        "{after_one} left after one batch"
    );
    let report = small(None).backfill(&db.pool).await.expect("resumed");
    let walk = report
        .backfills
        .iter()
        .find(|b| b.id == slug_job())
        .unwrap_or_else(|| panic!("{:?}", report.backfills));
    assert!(walk.resumed, "{walk:?}");
    let stored = stored_slugs(&db).await;
    assert!(
        stored
            .iter()
            .all(|(_, title, slug)| slug.as_deref() == Some(&slug_of(title)))
    );

    // Binary 1 writes after the backfill: new rows without a slug, an update that marks one
    // stale. Contract refuses while binary 1 is connected; once it is gone, the final pass
    // computes them and the column becomes NOT NULL.
    for id in 301..=320 {
        mixed_v1::Post {
            id,
            title: format!("Late {id}"),
        }
        .insert(&old)
        .await
        .expect("binary 1 inserts late");
    }
    sqlx::query("UPDATE release_0001.posts SET title = 'Late Change' WHERE id = 5")
        .execute(&old)
        .await
        .expect("binary 1 updates late");
    let refused = release_2()
        .contract(&db.pool)
        .await
        .expect_err("binary 1 is connected");
    assert!(
        matches!(refused, RunError::OldBinaryConnected { .. }),
        "{refused}"
    );
    old.close().await;
    let report = release_2().contract(&db.pool).await.expect("contract");
    let final_pass: u64 = report
        .backfills
        .iter()
        .filter(|b| b.id == slug_job())
        .map(|b| b.rows_updated)
        .sum();
    assert_eq!(final_pass, 21, "{:?}", report.backfills);
    let stored = stored_slugs(&db).await;
    assert_eq!(stored.len(), 321);
    assert!(
        stored
            .iter()
            .all(|(_, title, slug)| slug.as_deref() == Some(&slug_of(title)))
    );
    let not_null: bool = sqlx::query_scalar(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'public.posts'::regclass AND attname = 'slug'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("attribute");
    assert!(not_null);
    let triggers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.posts'::regclass AND NOT tgisinternal",
    )
    .fetch_one(&db.pool)
    .await
    .expect("triggers");
    assert_eq!(triggers, 0);
    new.close().await;
}

/// Writes a row without a slug from a thread of its own (a checkpoint hook is synchronous),
/// as an older binary the contract was allowed to run beside would.
fn write_around(url: String) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            sqlx::query("INSERT INTO public.posts (id, title) VALUES (9001, 'Written Around')")
                .execute(&mut conn)
                .await
                .expect("a row without its slug");
        });
    })
    .join()
    .expect("the writer thread");
}

#[tokio::test]
async fn a_contract_stopped_by_a_row_written_around_it_computes_it_when_run_again() {
    let db = TestDb::create().await;
    Migrator::embedded(mixed_v1::PLANS)
        .expect("plans")
        .with_options(quiet())
        .expect("options")
        .up(&db.pool)
        .await
        .expect("release 1");
    sqlx::query(
        "INSERT INTO public.posts (id, title) SELECT g, 'Post ' || g FROM generate_series(1, 50) g",
    )
    .execute(&db.pool)
    .await
    .expect("rows");
    let v2 = release_2();
    v2.expand(&db.pool).await.expect("expand");
    v2.backfill(&db.pool).await.expect("backfill");
    // Right after the trigger is dropped, a row arrives without its slug: the NOT NULL
    // check stops the contract.
    let url = db.url.clone();
    let hook = CheckpointHook(Arc::new(move |c: &Checkpoint| {
        if let Checkpoint::GroupDone { file } = c
            && file.contains("drop_stale_posts_slug")
        {
            write_around(url.clone());
        }
        CheckpointAction::Continue
    }));
    let hooked = Migrator::embedded(mixed_v2::PLANS)
        .expect("plans")
        .computing(<mixed_v2::Post as Table>::COMPUTED)
        .with_options(RunOptions {
            checkpoint: Some(hook),
            ..quiet()
        })
        .expect("options");
    let stopped = hooked.contract(&db.pool).await.expect_err("a NULL slug");
    assert!(
        stopped
            .to_string()
            .contains("1 row(s): public.posts.slug still has"),
        "{stopped}"
    );
    // Run again: the contract has begun, and the pass computes the row before the NOT NULL.
    let report = release_2().contract(&db.pool).await.expect("contract");
    assert_eq!(
        report.backfills.iter().map(|b| b.rows_updated).sum::<u64>(),
        1,
        "{:?}",
        report.backfills
    );
    let slug: String = sqlx::query_scalar("SELECT slug FROM public.posts WHERE id = 9001")
        .fetch_one(&db.pool)
        .await
        .expect("slug");
    assert_eq!(slug, "written-around");
    let status = v2.status(&db.pool).await.expect("status");
    assert!(
        status.releases.iter().all(|r| r.contract.is_done()),
        "{status}"
    );
}
