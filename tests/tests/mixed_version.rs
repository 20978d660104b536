//! The old and the new binary side by side, on a real PostgreSQL.
//!
//! "Binary 1" is the crate `mixed-v1`, built from release 1's declarations and snapshot;
//! "binary 2" is `mixed-v2`, built from release 2's. For each kind of transition, both write
//! through their generated accessors while release 2 expands, backfills and contracts:
//!
//! 1. binary 1 alone (release 1 applied) writes the first rows;
//! 2. release 2 expands while binary 1 keeps writing (expand walks the backfills the new
//!    views wait for); binary 2 starts and takes over half of binary 1's rows; both write at
//!    once while the other backfill runs, and every write is read back through the other
//!    binary's views;
//! 3. both stop: the physical columns must agree; binary 1 disconnects;
//! 4. contract runs while binary 2 keeps writing; then everything binary 2 reads must be the
//!    model of every operation.
//!
//! At every group and batch the runner commits, a hook holds it until the writers have done
//! `PACE` more operations, so the phases' steps fall between writes. Each writer owns its
//! keys, so the model is exact under concurrency: any write the other binary could not see,
//! any lost write and any error fails the test. (The two binaries never write the same row at
//! once; that race is not covered here.) `MIXED_VERSION_OPS`
//! sets the operations per kind (default 20,000).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use migrate_runtime::migrator::{
    Checkpoint, CheckpointAction, CheckpointHook, Migrator, ProgressOutput, RunOptions,
};

/// Operations the writers do between two of the runner's commits.
const PACE: usize = 40;
use migrate_runtime::prelude::*;
use migrate_tests::pg::TestDb;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// How one transition looks to each binary. `Value` is a row's payload as the model keeps it.
trait Kind: Send + Sync + 'static {
    /// Binary 1's struct.
    type Old: Keyed<Key = i64> + Clone + Debug + Sync;
    /// Binary 2's struct.
    type New: Keyed<Key = i64> + Clone + Debug + Sync;
    /// The model of a row.
    type Value: Clone + Debug + PartialEq + Send + Sync;

    /// The table's name, for messages.
    const NAME: &'static str;

    /// A random value writer `who` writes (binary 2's values must fit binary 1 while both run).
    fn random(rng: &mut Rng, who: Who) -> Self::Value;
    /// The row binary 1 writes for a value.
    fn old_row(id: i64, value: &Self::Value) -> Self::Old;
    /// The row binary 2 writes for a value.
    fn new_row(id: i64, value: &Self::Value) -> Self::New;
    /// What a write of `written` by `who` leaves in the model, given what was there.
    fn stored(
        written: &Self::Value,
        before: Option<&Self::Value>,
        who: Who,
        how: Write,
    ) -> Self::Value {
        let _ = (before, who, how);
        written.clone()
    }
    /// A binary-2 row's key.
    fn new_key(row: &Self::New) -> i64;
    /// Whether binary 1's read of a row matches the model.
    fn old_sees(row: &Self::Old, model: &Self::Value) -> bool;
    /// Whether binary 2's read of a row matches the model.
    fn new_sees(row: &Self::New, model: &Self::Value) -> bool;
    /// Queries counting rows whose physical columns disagree, after the backfill.
    fn inconsistent_rows() -> Vec<String> {
        Vec::new()
    }
    /// Queries counting rows that are not as release 2 defines them, once it is contracted.
    fn unsettled_rows() -> Vec<String> {
        Vec::new()
    }
    /// Binary 2 inserts through `New…` (database defaults) instead of a full row.
    fn insert_new<'a>(
        _pool: &'a PgPool,
        _id: i64,
        _value: &'a Self::Value,
    ) -> Option<futures_like::BoxFuture<'a, Self::New>> {
        None
    }
}

mod futures_like {
    /// A boxed future, without a futures dependency.
    pub type BoxFuture<'a, T> =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'a>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Old,
    New,
}

/// xorshift64*: deterministic per seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn text(&mut self) -> String {
        format!("t{}", self.below(1_000_000))
    }
    fn maybe_text(&mut self) -> Option<String> {
        (self.below(4) != 0).then(|| self.text())
    }
}

fn ops_per_kind() -> usize {
    std::env::var("MIXED_VERSION_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn quiet() -> RunOptions {
    RunOptions {
        progress: ProgressOutput::Events,
        ..RunOptions::default()
    }
}

/// One writer's rows.
type Model<K> = BTreeMap<i64, <K as Kind>::Value>;

/// What one writer did.
#[derive(Debug, Default)]
struct Tally {
    ops: usize,
    cross_reads: usize,
}

/// A writer: random operations on the keys it owns, each checked against its model and,
/// while both binaries exist, read back through the other binary's accessors.
struct Writer<K: Kind> {
    who: Who,
    own: PgPool,
    other: Option<PgPool>,
    model: Model<K>,
    next_key: i64,
    rng: Rng,
    tally: Tally,
    /// Operations of both writers, for the runner's pacing hook.
    ops: Arc<AtomicUsize>,
}

impl<K: Kind> Writer<K> {
    fn new(who: Who, own: PgPool, first_key: i64, seed: u64, ops: Arc<AtomicUsize>) -> Self {
        Self {
            who,
            own,
            other: None,
            model: BTreeMap::new(),
            next_key: first_key,
            rng: Rng(seed | 1),
            tally: Tally::default(),
            ops,
        }
    }

    fn pick_key(&mut self) -> Option<i64> {
        if self.model.is_empty() {
            return None;
        }
        let skip = self.rng.below(self.model.len() as u64) as usize;
        self.model.keys().nth(skip).copied()
    }

    async fn step(&mut self) {
        let op = self.rng.below(100);
        let key = self.pick_key();
        match (op, key) {
            (0..30, _) | (_, None) => {
                let id = self.next_key;
                self.next_key += 1;
                let value = K::random(&mut self.rng, self.who);
                self.write(id, value, Write::Insert).await;
            }
            (30..55, Some(id)) => {
                let value = K::random(&mut self.rng, self.who);
                self.write(id, value, Write::Update).await;
            }
            (55..70, Some(id)) => {
                // An upsert on an existing key or a new one.
                let id = if self.rng.below(2) == 0 {
                    id
                } else {
                    self.next_key += 1;
                    self.next_key - 1
                };
                let value = K::random(&mut self.rng, self.who);
                self.write(id, value, Write::Upsert).await;
            }
            (70..80, Some(id)) => {
                let existed = match self.who {
                    Who::Old => K::Old::delete(&self.own, &id).await,
                    Who::New => K::New::delete(&self.own, &id).await,
                }
                .unwrap_or_else(|e| panic!("{} {:?} delete {id}: {e}", K::NAME, self.who));
                assert!(
                    existed,
                    "{} {:?}: delete {id} found no row",
                    K::NAME,
                    self.who
                );
                self.model.remove(&id);
                self.cross_check(id).await;
            }
            (_, Some(id)) => {
                self.read(id).await;
            }
        }
        self.tally.ops += 1;
        self.ops.fetch_add(1, Ordering::SeqCst);
    }

    async fn write(&mut self, id: i64, value: K::Value, how: Write) {
        let before = self.model.get(&id).cloned();
        let expected = K::stored(&value, before.as_ref(), self.who, how);
        let context = || format!("{} {:?} {how:?} {id} {value:?}", K::NAME, self.who);
        match self.who {
            Who::Old => {
                let row = K::old_row(id, &value);
                let stored = match how {
                    Write::Insert => row.insert(&self.own).await.map(Some),
                    Write::Update => row.update(&self.own).await,
                    Write::Upsert => row.upsert(&self.own).await.map(Some),
                }
                .unwrap_or_else(|e| panic!("{}: {e}", context()))
                .unwrap_or_else(|| panic!("{}: the row is gone", context()));
                assert!(
                    K::old_sees(&stored, &expected),
                    "{}: returned {stored:?}, model {expected:?}",
                    context()
                );
            }
            Who::New => {
                let row = K::new_row(id, &value);
                let stored = match how {
                    Write::Insert => match K::insert_new(&self.own, id, &value) {
                        Some(insert) => insert.await.map(Some),
                        None => row.insert(&self.own).await.map(Some),
                    },
                    Write::Update => row.update(&self.own).await,
                    Write::Upsert => row.upsert(&self.own).await.map(Some),
                }
                .unwrap_or_else(|e| panic!("{}: {e}", context()))
                .unwrap_or_else(|| panic!("{}: the row is gone", context()));
                assert!(
                    K::new_sees(&stored, &expected),
                    "{}: returned {stored:?}, model {expected:?}",
                    context()
                );
            }
        }
        self.model.insert(id, expected);
        self.cross_check(id).await;
    }

    async fn read(&mut self, id: i64) {
        let expected = self.model.get(&id).cloned();
        let ok = match self.who {
            Who::Old => {
                let row = K::Old::fetch_optional(&self.own, &id).await.expect("fetch");
                match (&row, &expected) {
                    (Some(r), Some(m)) => K::old_sees(r, m),
                    (None, None) => true,
                    _ => false,
                }
            }
            Who::New => {
                let row = K::New::fetch_optional(&self.own, &id).await.expect("fetch");
                match (&row, &expected) {
                    (Some(r), Some(m)) => K::new_sees(r, m),
                    (None, None) => true,
                    _ => false,
                }
            }
        };
        assert!(
            ok,
            "{} {:?} read {id}: model {expected:?}",
            K::NAME,
            self.who
        );
    }

    /// The write just made, read through the other binary's views.
    async fn cross_check(&mut self, id: i64) {
        let Some(other) = &self.other else { return };
        let expected = self.model.get(&id);
        let ok = match self.who {
            Who::Old => {
                let row = K::New::fetch_optional(other, &id)
                    .await
                    .expect("cross fetch");
                match (&row, expected) {
                    (Some(r), Some(m)) => K::new_sees(r, m),
                    (None, None) => true,
                    _ => false,
                }
            }
            Who::New => {
                let row = K::Old::fetch_optional(other, &id)
                    .await
                    .expect("cross fetch");
                match (&row, expected) {
                    (Some(r), Some(m)) => K::old_sees(r, m),
                    (None, None) => true,
                    _ => false,
                }
            }
        };
        assert!(
            ok,
            "{} {:?} wrote {id}: the other binary does not see {expected:?}",
            K::NAME,
            self.who
        );
        self.tally.cross_reads += 1;
    }

    async fn run(mut self, ops: usize) -> Self {
        for _ in 0..ops {
            self.step().await;
        }
        self
    }

    async fn run_until(mut self, stop: Arc<AtomicBool>, at_least: usize) -> Self {
        let mut done = 0;
        while done < at_least || !stop.load(Ordering::SeqCst) {
            self.step().await;
            done += 1;
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Insert,
    Update,
    Upsert,
}

async fn bound_pool(db: &TestDb, binding: &migrate_runtime::access::Binding) -> PgPool {
    binding
        .connect(
            PgPoolOptions::new().max_connections(2),
            db.connect_options(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The whole walk for one kind.
async fn mixed_version<K: Kind>() {
    let total = ops_per_kind();
    let (first, dual, last) = (total / 10, total * 4 / 10, total / 10);
    let db = TestDb::create().await;
    let v1 = Migrator::embedded(mixed_v1::PLANS)
        .expect("plans 1")
        .with_options(quiet())
        .expect("options");
    // At every committed group and backfill batch, the runner waits until the writers have
    // done `PACE` more operations (at most 3 s), so every phase boundary of release 2 falls
    // between writes of both binaries, not before or after all of them.
    let ops = Arc::new(AtomicUsize::new(0));
    let paced = Arc::new(AtomicUsize::new(0));
    let hook = {
        let (ops, paced) = (Arc::clone(&ops), Arc::clone(&paced));
        CheckpointHook(Arc::new(move |checkpoint: &Checkpoint| {
            if !matches!(checkpoint, Checkpoint::StepRan { .. }) {
                let until = ops.load(Ordering::SeqCst) + PACE;
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
                while ops.load(Ordering::SeqCst) < until && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                if ops.load(Ordering::SeqCst) >= until {
                    paced.fetch_add(1, Ordering::SeqCst);
                }
            }
            CheckpointAction::Continue
        }))
    };
    let v2 = Migrator::embedded(mixed_v2::PLANS)
        .expect("plans 2")
        .computing(<mixed_v2::Post as Table>::COMPUTED)
        .with_options(RunOptions {
            checkpoint: Some(hook),
            ..quiet()
        })
        .expect("options");
    v1.up(&db.pool).await.expect("release 1");

    // 1. Binary 1 alone.
    let old_pool = bound_pool(&db, &mixed_v1::BINDING).await;
    let old = Writer::<K>::new(Who::Old, old_pool.clone(), 1, 0x1234_5678, Arc::clone(&ops))
        .run(first)
        .await;

    // 2. Expand under binary 1's writes, then both binaries with the backfill.
    let stop = Arc::new(AtomicBool::new(false));
    let writing = tokio::spawn(old.run_until(Arc::clone(&stop), 0));
    v2.expand(&db.pool).await.expect("expand under writes");
    stop.store(true, Ordering::SeqCst);
    let mut old = writing.await.expect("binary 1 during expand");
    let new_pool = bound_pool(&db, &mixed_v2::BINDING).await;
    let mut new = Writer::<K>::new(
        Who::New,
        new_pool.clone(),
        1_000_000_000,
        0x9e37_79b9,
        Arc::clone(&ops),
    );
    // Binary 2 takes over every other row binary 1 wrote.
    let handed: Vec<i64> = old.model.keys().copied().step_by(2).collect();
    for id in handed {
        let value = old.model.remove(&id).expect("owned");
        new.model.insert(id, value);
    }
    old.other = Some(new_pool.clone());
    new.other = Some(old_pool.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let old_task = tokio::spawn(old.run_until(Arc::clone(&stop), dual));
    let new_task = tokio::spawn(new.run_until(Arc::clone(&stop), dual));
    v2.backfill(&db.pool).await.expect("backfill under writes");
    stop.store(true, Ordering::SeqCst);
    let old = old_task.await.expect("binary 1");
    let mut new = new_task.await.expect("binary 2");

    // 3. The physical columns agree; binary 1 leaves.
    for sql in K::inconsistent_rows() {
        let bad: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(bad, 0, "{}: {sql}", K::NAME);
    }
    let old_ops = old.tally.ops;
    let old_cross = old.tally.cross_reads;
    let old_model = old.model;
    old_pool.close().await;

    // 4. Contract under binary 2's writes. Binary 2 takes binary 1's rows: it is the only
    // writer left, and every row must read as the model says.
    new.other = None;
    let stop = Arc::new(AtomicBool::new(false));
    let new_task = tokio::spawn(new.run_until(Arc::clone(&stop), last));
    v2.contract(&db.pool).await.expect("contract under writes");
    stop.store(true, Ordering::SeqCst);
    let mut new = new_task.await.expect("binary 2 during contract");
    for sql in K::unsettled_rows() {
        let bad: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(bad, 0, "{} after contract: {sql}", K::NAME);
    }
    new.model.extend(old_model);
    let mut all: Vec<K::New> =
        sqlx::query_as(&format!("SELECT * FROM {}", <K::New as Table>::VIEW))
            .fetch_all(&new_pool)
            .await
            .expect("every row");
    all.sort_by_key(K::new_key);
    assert_eq!(all.len(), new.model.len(), "{}: row count", K::NAME);
    for row in &all {
        let id = K::new_key(row);
        let model = new
            .model
            .get(&id)
            .unwrap_or_else(|| panic!("{}: extra row {id}", K::NAME));
        assert!(
            K::new_sees(row, model),
            "{}: {row:?} against {model:?}",
            K::NAME
        );
    }
    let ops = old_ops + new.tally.ops;
    assert!(
        ops >= total,
        "{}: {ops} operations, fewer than {total}",
        K::NAME
    );
    assert!(
        old_cross > 0 && new.tally.cross_reads > 0,
        "{}: no cross reads",
        K::NAME
    );
    let status = v2.status(&db.pool).await.expect("status");
    assert!(status.releases.iter().all(|r| r.contract.is_done()));
    // Expand, backfill and contract of release 2 commit some 20 groups and batches; most
    // must have had the writers' operations between them.
    let paced = paced.load(Ordering::SeqCst);
    assert!(
        paced >= 10,
        "{}: only {paced} runner commits fell between writes",
        K::NAME
    );
    new_pool.close().await;
}

/// Rows of `a` that `b` does not show, both ways (`a` and `b` select the same columns).
fn differ(a: &str, b: &str) -> String {
    format!("SELECT count(*) FROM (({a} EXCEPT ALL {b}) UNION ALL ({b} EXCEPT ALL {a})) AS d")
}

// ---------------------------------------------------------------------------------------
// The kinds.

struct RenameColumn;

impl Kind for RenameColumn {
    type Old = mixed_v1::Note;
    type New = mixed_v2::Note;
    type Value = (String, Option<String>);
    const NAME: &'static str = "notes (rename column)";

    fn random(rng: &mut Rng, _: Who) -> Self::Value {
        (rng.text(), rng.maybe_text())
    }
    fn old_row(id: i64, v: &Self::Value) -> Self::Old {
        mixed_v1::Note {
            id,
            body: v.0.clone(),
            note: v.1.clone(),
        }
    }
    fn new_row(id: i64, v: &Self::Value) -> Self::New {
        mixed_v2::Note {
            id,
            body: v.0.clone(),
            remark: v.1.clone(),
        }
    }
    fn old_sees(r: &Self::Old, v: &Self::Value) -> bool {
        (&r.body, &r.note) == (&v.0, &v.1)
    }
    fn new_sees(r: &Self::New, v: &Self::Value) -> bool {
        (&r.body, &r.remark) == (&v.0, &v.1)
    }
    fn new_key(r: &Self::New) -> i64 {
        r.id
    }
    fn inconsistent_rows() -> Vec<String> {
        vec![differ(
            "SELECT id, body, note FROM release_0001.notes",
            "SELECT id, body, remark FROM release_0002.notes",
        )]
    }
}

struct RenameTable;

impl Kind for RenameTable {
    type Old = mixed_v1::Gadget;
    type New = mixed_v2::Widget;
    type Value = String;
    const NAME: &'static str = "gadgets → widgets (rename table)";

    fn random(rng: &mut Rng, _: Who) -> Self::Value {
        rng.text()
    }
    fn old_row(id: i64, v: &Self::Value) -> Self::Old {
        mixed_v1::Gadget {
            id,
            label: v.clone(),
        }
    }
    fn new_row(id: i64, v: &Self::Value) -> Self::New {
        mixed_v2::Widget {
            id,
            label: v.clone(),
        }
    }
    fn old_sees(r: &Self::Old, v: &Self::Value) -> bool {
        &r.label == v
    }
    fn new_sees(r: &Self::New, v: &Self::Value) -> bool {
        &r.label == v
    }
    fn new_key(r: &Self::New) -> i64 {
        r.id
    }
    fn inconsistent_rows() -> Vec<String> {
        vec![differ(
            "SELECT id, label FROM release_0001.gadgets",
            "SELECT id, label FROM release_0002.widgets",
        )]
    }
}

struct TypeChangeSql;

impl Kind for TypeChangeSql {
    type Old = mixed_v1::Counter;
    type New = mixed_v2::Counter;
    type Value = i64;
    const NAME: &'static str = "counters.hits integer → bigint (type change, SQL conversion)";

    fn random(rng: &mut Rng, _: Who) -> Self::Value {
        // Both binaries run: binary 2's values must fit binary 1's column.
        rng.below(1 << 32) as i64 - (1 << 31)
    }
    fn old_row(id: i64, v: &Self::Value) -> Self::Old {
        mixed_v1::Counter {
            id,
            hits: i32::try_from(*v).expect("fits"),
        }
    }
    fn new_row(id: i64, v: &Self::Value) -> Self::New {
        mixed_v2::Counter { id, hits: *v }
    }
    fn old_sees(r: &Self::Old, v: &Self::Value) -> bool {
        i64::from(r.hits) == *v
    }
    fn new_sees(r: &Self::New, v: &Self::Value) -> bool {
        r.hits == *v
    }
    fn new_key(r: &Self::New) -> i64 {
        r.id
    }
    fn inconsistent_rows() -> Vec<String> {
        vec![
            differ(
                "SELECT id, hits::bigint FROM release_0001.counters",
                "SELECT id, hits FROM release_0002.counters",
            ),
            // The old and the shadow column themselves, whatever the shadow is called.
            "SELECT count(*) FROM public.counters c WHERE (to_jsonb(c) ->> 'hits')::bigint IS DISTINCT FROM (SELECT (to_jsonb(c) ->> a.attname)::bigint FROM pg_attribute a WHERE a.attrelid = 'public.counters'::regclass AND a.attname LIKE 'hits\\_r2\\_%\\_shadow' AND NOT a.attisdropped)".to_owned(),
        ]
    }
}

/// A `public_ref` as the model knows it.
#[derive(Debug, Clone, PartialEq)]
enum Ref {
    /// Binary 2 wrote this one.
    Known(uuid::Uuid),
    /// The default or the backfill fills it: any value once the backfill is done.
    Filled,
}

struct VolatileDefault;

impl Kind for VolatileDefault {
    type Old = mixed_v1::Ticket;
    type New = mixed_v2::Ticket;
    type Value = (String, Ref);
    const NAME: &'static str = "tickets.public_ref gen_random_uuid() (volatile default)";

    fn random(rng: &mut Rng, _: Who) -> Self::Value {
        (
            rng.text(),
            Ref::Known(uuid::Uuid::from_u64_pair(rng.next(), rng.next())),
        )
    }
    fn old_row(id: i64, v: &Self::Value) -> Self::Old {
        mixed_v1::Ticket {
            id,
            title: v.0.clone(),
        }
    }
    fn new_row(id: i64, v: &Self::Value) -> Self::New {
        let public_ref = match v.1 {
            Ref::Known(u) => Some(u),
            Ref::Filled => None,
        };
        mixed_v2::Ticket {
            id,
            title: v.0.clone(),
            public_ref,
        }
    }
    fn stored(v: &Self::Value, before: Option<&Self::Value>, who: Who, how: Write) -> Self::Value {
        let kept = || before.map_or(Ref::Filled, |b| b.1.clone());
        match (who, how) {
            // Binary 1 never writes the column: a new row gets the default, an old one keeps it.
            (Who::Old, _) => (v.0.clone(), kept()),
            // `NewTicket` leaves it to the default.
            (Who::New, Write::Insert) => (v.0.clone(), Ref::Filled),
            (Who::New, _) => v.clone(),
        }
    }
    fn insert_new<'a>(
        pool: &'a PgPool,
        id: i64,
        v: &'a Self::Value,
    ) -> Option<futures_like::BoxFuture<'a, Self::New>> {
        Some(Box::pin(async move {
            mixed_v2::NewTicket {
                id,
                title: v.0.clone(),
            }
            .insert(pool)
            .await
        }))
    }
    fn old_sees(r: &Self::Old, v: &Self::Value) -> bool {
        r.title == v.0
    }
    fn new_sees(r: &Self::New, v: &Self::Value) -> bool {
        r.title == v.0
            && match v.1 {
                Ref::Known(u) => r.public_ref == Some(u),
                // Rows from before expand stay NULL until the backfill reaches them.
                Ref::Filled => true,
            }
    }
    fn new_key(r: &Self::New) -> i64 {
        r.id
    }
    fn inconsistent_rows() -> Vec<String> {
        vec!["SELECT count(*) FROM public.tickets WHERE public_ref IS NULL".to_owned()]
    }
}

struct DroppedColumn;

impl Kind for DroppedColumn {
    type Old = mixed_v1::Profile;
    type New = mixed_v2::Profile;
    type Value = (String, Option<String>);
    const NAME: &'static str = "profiles.legacy (dropped column)";

    fn random(rng: &mut Rng, _: Who) -> Self::Value {
        (rng.text(), rng.maybe_text())
    }
    fn old_row(id: i64, v: &Self::Value) -> Self::Old {
        mixed_v1::Profile {
            id,
            name: v.0.clone(),
            legacy: v.1.clone(),
        }
    }
    fn new_row(id: i64, v: &Self::Value) -> Self::New {
        mixed_v2::Profile {
            id,
            name: v.0.clone(),
        }
    }
    fn stored(v: &Self::Value, before: Option<&Self::Value>, who: Who, _: Write) -> Self::Value {
        match who {
            Who::Old => v.clone(),
            // Binary 2 never writes `legacy`: a new row has NULL, an old one keeps its value.
            Who::New => (v.0.clone(), before.and_then(|b| b.1.clone())),
        }
    }
    fn old_sees(r: &Self::Old, v: &Self::Value) -> bool {
        (&r.name, &r.legacy) == (&v.0, &v.1)
    }
    fn new_sees(r: &Self::New, v: &Self::Value) -> bool {
        r.name == v.0
    }
    fn new_key(r: &Self::New) -> i64 {
        r.id
    }
    fn inconsistent_rows() -> Vec<String> {
        vec![differ(
            "SELECT id, name FROM release_0001.profiles",
            "SELECT id, name FROM release_0002.profiles",
        )]
    }
}

struct NotNullBackfill;

impl Kind for NotNullBackfill {
    type Old = mixed_v1::Item;
    type New = mixed_v2::Item;
    /// `None`: binary 1 wrote NULL, which becomes `'none'`.
    type Value = Option<String>;
    const NAME: &'static str = "items.sku NOT NULL, backfill 'none' (NOT NULL with a backfill)";

    fn random(rng: &mut Rng, who: Who) -> Self::Value {
        match who {
            Who::Old => rng.maybe_text(),
            Who::New => Some(rng.text()),
        }
    }
    fn old_row(id: i64, v: &Self::Value) -> Self::Old {
        mixed_v1::Item { id, sku: v.clone() }
    }
    fn new_row(id: i64, v: &Self::Value) -> Self::New {
        mixed_v2::Item {
            id,
            sku: v.clone().expect("binary 2 writes a sku"),
        }
    }
    fn old_sees(r: &Self::Old, v: &Self::Value) -> bool {
        match v {
            Some(sku) => r.sku.as_ref() == Some(sku),
            // NULL before expand's trigger, `'none'` after it.
            None => r.sku.is_none() || r.sku.as_deref() == Some("none"),
        }
    }
    fn new_sees(r: &Self::New, v: &Self::Value) -> bool {
        r.sku == v.clone().unwrap_or_else(|| "none".to_owned())
    }
    fn new_key(r: &Self::New) -> i64 {
        r.id
    }
    fn inconsistent_rows() -> Vec<String> {
        vec![
            "SELECT count(*) FROM public.items WHERE sku IS NULL".to_owned(),
            differ(
                "SELECT id, sku FROM release_0001.items",
                "SELECT id, sku FROM release_0002.items",
            ),
        ]
    }
}

struct RustComputed;

/// `slug_of` in SQL, for the checks only: the plan has no SQL form of it.
const SQL_SLUG: &str = "trim(both '-' from regexp_replace(lower(title), '[^a-z0-9]+', '-', 'g'))";

impl Kind for RustComputed {
    type Old = mixed_v1::Post;
    type New = mixed_v2::Post;
    /// The title.
    type Value = String;
    const NAME: &'static str = "posts.slug computed from title in Rust (a Rust-computed column)";

    fn random(rng: &mut Rng, _: Who) -> Self::Value {
        // Upper case, spaces and punctuation, so the slug differs from the title.
        let n = rng.below(1_000_000);
        match n % 3 {
            0 => format!("Post {n}"),
            1 => format!("  {n}: A Title!"),
            _ => format!("t{n}"),
        }
    }
    fn old_row(id: i64, v: &Self::Value) -> Self::Old {
        mixed_v1::Post {
            id,
            title: v.clone(),
        }
    }
    fn new_row(id: i64, v: &Self::Value) -> Self::New {
        mixed_v2::Post {
            id,
            title: v.clone(),
            // Whatever the writer puts here, the accessors store the computed slug.
            slug: "not-the-slug".to_owned(),
        }
    }
    fn old_sees(r: &Self::Old, v: &Self::Value) -> bool {
        &r.title == v
    }
    fn new_sees(r: &Self::New, v: &Self::Value) -> bool {
        &r.title == v && r.slug == mixed_v2::slug_of(v)
    }
    fn new_key(r: &Self::New) -> i64 {
        r.id
    }
    fn inconsistent_rows() -> Vec<String> {
        vec![
            // A stored slug is the title's: binary 1's writes since the backfill left NULL
            // (contract computes them), never a stale value.
            format!(
                "SELECT count(*) FROM public.posts WHERE slug IS NOT NULL AND slug <> {SQL_SLUG}"
            ),
            differ(
                "SELECT id, title FROM release_0001.posts",
                "SELECT id, title FROM release_0002.posts",
            ),
        ]
    }
    fn unsettled_rows() -> Vec<String> {
        vec![format!(
            "SELECT count(*) FROM public.posts WHERE slug IS NULL OR slug <> {SQL_SLUG}"
        )]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_version_rust_computed() {
    mixed_version::<RustComputed>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_version_rename_column() {
    mixed_version::<RenameColumn>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_version_rename_table() {
    mixed_version::<RenameTable>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_version_type_change_sql() {
    mixed_version::<TypeChangeSql>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_version_volatile_default() {
    mixed_version::<VolatileDefault>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_version_dropped_column() {
    mixed_version::<DroppedColumn>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_version_not_null_backfill() {
    mixed_version::<NotNullBackfill>().await;
}
