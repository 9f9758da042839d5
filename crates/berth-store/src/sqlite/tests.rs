use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicUsize;

use super::*;
use crate::conformance::{self, StoreFactory};

/// Stores in numbered files under one temporary directory.
struct Factory {
    dir: tempfile::TempDir,
    options: SqliteOptions,
    opened: AtomicUsize,
}

impl Factory {
    fn new(options: SqliteOptions) -> Self {
        Factory {
            dir: tempfile::tempdir().unwrap(),
            options,
            opened: AtomicUsize::new(0),
        }
    }
}

impl StoreFactory for Factory {
    type Store = SqliteStore;

    async fn fresh(&self) -> Arc<SqliteStore> {
        let n = self.opened.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.path().join(format!("store-{n}.db"));
        SqliteStore::open_with(&path, self.options.clone()).unwrap()
    }

    async fn reopen(&self, store: Arc<SqliteStore>) -> Arc<SqliteStore> {
        let path = store.path().to_path_buf();
        store.close().await;
        drop(store);
        SqliteStore::open_with(&path, self.options.clone()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_with_default_options() {
    conformance::run_all(&Factory::new(SqliteOptions::default())).await;
}

/// A tiny in-memory history sends watches to SQLite; tiny compaction windows and replay
/// pages exercise the batching.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_with_history_in_sqlite() {
    let options = SqliteOptions {
        recent_events: 2,
        compact_window_rows: 3,
        idle_readers: 1,
        ..SqliteOptions::default()
    };
    conformance::run_all(&Factory::new(options)).await;
}

/// Awaits `future`, failing the test instead of hanging when it never finishes.
async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("timed out")
}

fn put(key: &str, value: &[u8]) -> Op {
    Op::Put {
        key: key.into(),
        value: value.to_vec(),
    }
}

#[tokio::test]
async fn data_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.db");
    let store = SqliteStore::open(&path).unwrap();
    store.txn(vec![], vec![put("a", b"1")]).await.unwrap();
    for file in [path.clone(), sibling(&path, "-wal"), sibling(&path, "-shm")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transactions_share_commits() {
    const TXNS: usize = 64;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("group.db")).unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    {
        // While the writer cannot publish, every transaction queues behind the first batch.
        let _publishing_blocked = store.shared.write_state();
        for i in 0..TXNS {
            let store = store.clone();
            let started = started.clone();
            tasks.push(tokio::spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                store.txn(vec![], vec![put(&format!("g/{i}"), b"v")]).await
            }));
        }
        while started.load(Ordering::Relaxed) < TXNS {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut revisions = Vec::new();
    for task in tasks {
        match within(task).await.unwrap().unwrap() {
            TxnResult::Committed { revision, .. } => revisions.push(revision),
            failed => panic!("unconditional txn failed: {failed:?}"),
        }
    }
    revisions.sort_unstable();
    assert_eq!(revisions, (1..=TXNS as i64).collect::<Vec<_>>());
    let stats = store.stats();
    assert_eq!(stats.answered_txns, TXNS as u64);
    assert!(
        stats.commit_batches <= 8,
        "{TXNS} txns took {} commits",
        stats.commit_batches
    );
    store.close().await;
}

#[tokio::test]
async fn a_watcher_that_falls_behind_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        watch_buffer: 4,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(&dir.path().join("slow.db"), options).unwrap();
    let mut stream = store.watch("s/", 0).await.unwrap();
    for i in 0..10 {
        store
            .txn(vec![], vec![put(&format!("s/{i}"), b"v")])
            .await
            .unwrap();
    }
    for revision in 1..=4 {
        let event = within(stream.next()).await.unwrap().unwrap();
        assert_eq!(
            event.revision(),
            revision,
            "buffered events arrive before the error"
        );
    }
    assert!(matches!(
        within(stream.next()).await,
        Some(Err(Error::WatcherTooSlow))
    ));
    assert!(within(stream.next()).await.is_none());
    store.close().await;
}

#[tokio::test]
async fn one_store_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.db");
    let store = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).map(|_| "a second store");
    assert!(
        matches!(&second, Err(Error::Database(m)) if m.contains("in use")),
        "{second:?}"
    );
    store.close().await;
    drop(store);
    SqliteStore::open(&path).expect("the lock goes with the store");
}

/// Writes `count` keys under `prefix`, three per transaction, all at once (group commit keeps
/// this fast). Returns the keys in revision order, then key order.
async fn write_many(store: &Arc<SqliteStore>, prefix: &str, count: usize) -> Vec<(i64, String)> {
    let txns = (0..count.div_ceil(3)).map(|t| {
        let store = store.clone();
        let keys: Vec<String> = (t * 3..(t * 3 + 3).min(count))
            .map(|i| format!("{prefix}{i:05}"))
            .collect();
        async move {
            let ops = keys.iter().map(|key| put(key, b"v")).collect();
            match store.txn(vec![], ops).await.unwrap() {
                TxnResult::Committed { revision, .. } => keys
                    .into_iter()
                    .map(|key| (revision, key))
                    .collect::<Vec<_>>(),
                failed => panic!("{failed:?}"),
            }
        }
    });
    let mut written: Vec<_> = futures::future::join_all(txns)
        .await
        .into_iter()
        .flatten()
        .collect();
    written.sort();
    written
}

fn revision_and_key(event: Result<Event>) -> (i64, String) {
    let event = event.unwrap();
    (event.revision(), event.key().to_string())
}

/// Replays longer than a page, with pages ending inside a revision, while writes go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_replays_from_sqlite_race_with_writers() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        recent_events: 10,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(&dir.path().join("replay.db"), options).unwrap();
    let mut written = write_many(&store, "r/", 1300).await;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { write_many(&store, "r/later/", 600).await })
    };
    let mut watchers = Vec::new();
    for start in [0, written[400].0, written[1000].0] {
        watchers.push((start, store.watch("r/", start).await.unwrap()));
        tokio::task::yield_now().await;
    }
    written.extend(writer.await.unwrap());
    for (start, stream) in watchers {
        let due: Vec<(i64, String)> = written
            .iter()
            .filter(|(r, _)| *r > start)
            .cloned()
            .collect();
        let seen: Vec<(i64, String)> =
            within(stream.take(due.len()).map(revision_and_key).collect()).await;
        assert_eq!(seen.len(), due.len(), "watch from {start}");
        assert!(seen == due, "watch from {start}: events differ");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_overtaken_by_compaction_fails() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        recent_events: 10,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(&dir.path().join("overtaken.db"), options).unwrap();
    write_many(&store, "o/", 1500).await;
    let mut stream = store.watch("o/", 0).await.unwrap();
    within(stream.next()).await.unwrap().unwrap();
    store.compact(store.current_revision()).await.unwrap();
    let mut delivered = 1;
    let end = loop {
        match within(stream.next()).await {
            Some(Ok(_)) => delivered += 1,
            other => break other,
        }
    };
    assert!(
        matches!(end, Some(Err(Error::Compacted { .. }))),
        "{end:?} after {delivered}"
    );
    assert_eq!(
        delivered, REPLAY_PAGE,
        "the page read before the compaction is delivered"
    );
    assert!(within(stream.next()).await.is_none());
}

#[tokio::test]
async fn close_flushes_and_refuses_later_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("close.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut stream = store.watch("", 0).await.unwrap();
    let pending: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.txn(vec![], vec![put(&format!("c/{i}"), b"v")]).await })
        })
        .collect();
    tokio::task::yield_now().await;
    store.close().await;
    let acknowledged = futures::future::join_all(pending)
        .await
        .into_iter()
        .filter(|res| matches!(res, Ok(Ok(TxnResult::Committed { .. }))))
        .count();
    assert!(matches!(
        store.txn(vec![], vec![put("late", b"v")]).await,
        Err(Error::Closed)
    ));
    assert!(matches!(store.watch("", 0).await, Err(Error::Closed)));
    assert!(matches!(store.compact(0).await, Err(Error::Closed)));
    let mut delivered = 0;
    while let Some(event) = within(stream.next()).await {
        event.unwrap();
        delivered += 1;
    }
    assert_eq!(
        delivered, acknowledged,
        "the stream ends after every committed event"
    );
    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(
        reopened
            .range(RangeRequest::default())
            .await
            .unwrap()
            .kvs
            .len(),
        acknowledged
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compactor_keeps_the_newest_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("compactor.db")).unwrap();
    for i in 0..30 {
        store
            .txn(vec![], vec![put("k", i.to_string().as_bytes())])
            .await
            .unwrap();
    }
    let task = spawn_compactor(store.clone(), Duration::from_millis(20), 10);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.compacted_revision() != 20 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(store.compacted_revision(), 20);
    store.close().await;
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the compactor stops with the store")
        .unwrap();
}

/// A tiny deterministic generator (xorshift64*) for the model test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type Model = BTreeMap<String, KeyValue>;

/// What the model says a transaction does: the sequential semantics of `stage`.
fn model_txn(model: &mut Model, revision: &mut i64, compares: &[Compare], ops: &[Op]) -> TxnResult {
    let holds = compares.iter().all(|c| match c {
        Compare::Absent(k) => !model.contains_key(k),
        Compare::Present(k) => model.contains_key(k),
        Compare::ModRevision(k, r) => model.get(k).is_some_and(|kv| kv.mod_revision == *r),
    });
    if !holds {
        let current = compares
            .iter()
            .map(|c| match c {
                Compare::Absent(k) | Compare::Present(k) | Compare::ModRevision(k, _) => {
                    model.get(k).cloned().map(Arc::new)
                }
            })
            .collect();
        return TxnResult::Failed { current };
    }
    let next = *revision + 1;
    let before = model.clone();
    let mut kvs = Vec::new();
    for op in ops {
        match op {
            Op::Put { key, value } => {
                let create_revision = model.get(key).map_or(next, |kv| kv.create_revision);
                let kv = KeyValue {
                    key: key.clone(),
                    value: value.clone(),
                    create_revision,
                    mod_revision: next,
                };
                model.insert(key.clone(), kv.clone());
                kvs.push(Some(Arc::new(kv)));
            }
            Op::Delete { key } => kvs.push(model.remove(key).map(Arc::new)),
        }
    }
    if *model != before {
        *revision = next;
    }
    TxnResult::Committed {
        revision: *revision,
        kvs,
    }
}

fn random_txn(rng: &mut Rng, model: &Model) -> (Vec<Compare>, Vec<Op>) {
    let key = |rng: &mut Rng| format!("{}/{}", ["a", "b"][rng.below(2) as usize], rng.below(8));
    let mut compares = Vec::new();
    let mut ops = Vec::new();
    let first = key(rng);
    match rng.below(6) {
        0 => compares.push(Compare::Absent(first.clone())),
        1 => compares.push(Compare::Present(first.clone())),
        2 | 3 => {
            let current = model.get(&first).map_or(0, |kv| kv.mod_revision);
            let revision = if rng.below(4) == 0 {
                current + 1
            } else {
                current
            };
            compares.push(Compare::ModRevision(first.clone(), revision));
        }
        _ => {}
    }
    for i in 0..=rng.below(3) {
        let key = if i == 0 || rng.below(3) == 0 {
            first.clone()
        } else {
            key(rng)
        };
        if rng.below(3) == 0 {
            ops.push(Op::Delete { key });
        } else {
            ops.push(put(&key, rng.next().to_string().as_bytes()));
        }
    }
    (compares, ops)
}

async fn assert_matches_model(store: &SqliteStore, model: &Model, revision: i64, step: usize) {
    let newest = store.range(RangeRequest::default()).await.unwrap();
    let want: Vec<Arc<KeyValue>> = model.values().cloned().map(Arc::new).collect();
    assert_eq!(newest.kvs, want, "state after step {step}");
    assert_eq!(
        store.current_revision(),
        revision,
        "revision after step {step}"
    );
}

/// Applies the events of a watch that started after `from` to `replica`, checking each `prev`
/// against it, until the replica has caught up with `model` at revision `until`.
async fn follow(
    stream: &mut WatchStream,
    replica: &mut Model,
    from: i64,
    until: i64,
    model: &Model,
) {
    let mut revision = from;
    // Every event changes the replica, so once it equals the model no event of `until` is left.
    while revision < until || replica != model {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap_or_else(|_| panic!("watch stalled at {revision}: {replica:?} != {model:?}"))
            .expect("watch ended")
            .expect("watch failed");
        revision = event.revision();
        assert!(
            revision <= until,
            "event at {revision} after the newest revision {until}"
        );
        match event {
            Event::Put { kv, prev } => {
                assert_eq!(
                    prev.as_deref(),
                    replica.get(&kv.key),
                    "prev of put at {revision}"
                );
                replica.insert(kv.key.clone(), (*kv).clone());
            }
            Event::Delete { prev, .. } => {
                assert_eq!(
                    replica.remove(&prev.key).as_ref(),
                    Some(&*prev),
                    "delete at {revision}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operations_match_a_model() {
    for seed in [1u64, 0x5eed, 0xdead_beef] {
        let factory = Factory::new(SqliteOptions {
            recent_events: 16,
            compact_window_rows: 5,
            ..SqliteOptions::default()
        });
        let mut rng = Rng(seed);
        let mut store = factory.fresh().await;
        let mut model = Model::new();
        let mut revision = 0;
        let mut compacted = 0;
        // The model's state after each revision, for reads in the past.
        let mut history = vec![Model::new()];
        let mut replica = Model::new();
        let mut watched_from = 0;
        let mut watch = store.watch("", watched_from).await.unwrap();
        for step in 0..400 {
            match rng.below(100) {
                0..=79 => {
                    let (compares, ops) = random_txn(&mut rng, &model);
                    let got = store.txn(compares.clone(), ops.clone()).await.unwrap();
                    let want = model_txn(&mut model, &mut revision, &compares, &ops);
                    assert_eq!(got, want, "seed {seed} step {step}: {compares:?} {ops:?}");
                    history.resize(revision as usize + 1, model.clone());
                }
                80..=89 => {
                    let at = compacted + rng.below((revision - compacted + 1) as u64) as i64;
                    let req = RangeRequest {
                        prefix: ["", "a/", "b/"][rng.below(3) as usize].into(),
                        revision: Some(at),
                        ..Default::default()
                    };
                    let got = store.range(req.clone()).await.unwrap();
                    let want: Vec<Arc<KeyValue>> = history[at as usize]
                        .values()
                        .filter(|kv| kv.key.starts_with(&req.prefix))
                        .cloned()
                        .map(Arc::new)
                        .collect();
                    assert_eq!(got.kvs, want, "seed {seed} step {step}: range at {at}");
                    let key = format!("a/{}", rng.below(8));
                    let got = store.get(&key, Some(at)).await.unwrap();
                    assert_eq!(got.as_deref(), history[at as usize].get(&key));
                }
                90..=95 => {
                    compacted += rng.below((revision - compacted + 1) as u64) as i64;
                    store.compact(compacted).await.unwrap();
                    assert_eq!(store.compacted_revision(), compacted);
                }
                _ => {
                    follow(&mut watch, &mut replica, watched_from, revision, &model).await;
                    store = factory.reopen(store).await;
                    watched_from = revision;
                    watch = store.watch("", watched_from).await.unwrap();
                }
            }
            assert_matches_model(&store, &model, revision, step).await;
        }
        follow(&mut watch, &mut replica, watched_from, revision, &model).await;
        let store = factory.reopen(store).await;
        assert_matches_model(&store, &model, revision, usize::MAX).await;
        assert_eq!(store.compacted_revision(), compacted);
    }
}

/// Set in the child process of the crash test: the store directory it writes to.
const CRASH_DIR_ENV: &str = "BERTH_STORE_CRASH_DIR";
const CRASH_WRITERS: usize = 4;

/// Not a test on its own: the crash test runs it in a child process, which writes until it
/// is killed and reports every acknowledged write on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by crash_keeps_every_acknowledged_write in a child process"]
async fn crash_child_writer() {
    let dir = std::env::var(CRASH_DIR_ENV).expect("only the crash test runs this");
    let store = SqliteStore::open(&Path::new(&dir).join("crash.db")).unwrap();
    let writers: Vec<_> = (0..CRASH_WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    let key = format!("crash/{}/{writer}/{i}", std::process::id());
                    let res = store.txn(vec![Compare::Absent(key.clone())], vec![put(&key, b"v")]);
                    match res.await.unwrap() {
                        TxnResult::Committed { revision, .. } => println!("ack {revision} {key}"),
                        failed => panic!("{key}: {failed:?}"),
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
}

#[test]
fn crash_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut newest = 0;
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "sqlite::tests::crash_child_writer",
                "--ignored",
                "--nocapture",
            ])
            .env(CRASH_DIR_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acknowledged = Vec::new();
        while acknowledged.len() < 300 {
            let line = lines.next().expect("the child stopped writing").unwrap();
            if let Some(ack) = line.strip_prefix("ack ") {
                acknowledged.push(ack.to_string());
            }
        }
        child.kill().unwrap();
        // Whatever was printed before the kill was acknowledged too.
        acknowledged
            .extend(lines.map_while(|line| line.ok()?.strip_prefix("ack ").map(String::from)));
        child.wait().unwrap();

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let store = SqliteStore::open(&dir.path().join("crash.db")).unwrap();
            for ack in &acknowledged {
                let (revision, key) = ack.split_once(' ').unwrap();
                let revision: i64 = revision.parse().unwrap();
                assert!(
                    revision > newest,
                    "round {round}: {key} at {revision} after {newest}"
                );
                let kv = store.get(key, None).await.unwrap();
                assert_eq!(
                    kv.map(|kv| kv.mod_revision),
                    Some(revision),
                    "round {round}: {key}"
                );
            }
            let max_acknowledged = acknowledged
                .iter()
                .map(|ack| ack.split_once(' ').unwrap().0.parse::<i64>().unwrap())
                .max()
                .unwrap();
            assert!(store.current_revision() >= max_acknowledged);
            newest = store.current_revision();
            store.close().await;
        });
    }
}
