//! The embedded store: SQLite in WAL mode, one writer thread with group commit, the newest
//! state in memory.
//!
//! Reads of the newest state and watches that start near the present are served from memory;
//! only reads at older revisions and watches that start further back read SQLite.

mod sql;
#[cfg(test)]
mod tests;
mod writer;

use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions, Permissions, TryLockError};
use std::ops::Bound;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use crate::{
    Compare, Error, Event, KeyValue, Op, RangeRequest, RangeResult, Result, Store, TxnResult,
    WatchStream,
};
use sql::KeyBounds;
use writer::{Request, TxnRequest, Writer};

/// Tuning of a [`SqliteStore`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Most recent events kept in memory for watchers that start a little in the past.
    pub recent_events: usize,
    /// Bound on the key and value bytes of those events.
    pub recent_bytes: usize,
    /// Events buffered for one watcher; a watcher that falls further behind is closed.
    pub watch_buffer: usize,
    /// Most transactions committed together in one SQLite transaction.
    pub max_batch: usize,
    /// Rows one compaction step visits (one short SQLite transaction each).
    pub compact_window_rows: usize,
    /// Idle read connections kept open.
    pub idle_readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            recent_events: 10_000,
            recent_bytes: 64 << 20,
            watch_buffer: 8192,
            max_batch: 1024,
            compact_window_rows: 1000,
            idle_readers: 4,
        }
    }
}

/// Counters of the writer's work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// SQLite transactions that wrote client transactions (one fsync each).
    pub commit_batches: u64,
    /// Client transactions answered, committed or failed on a compare.
    pub answered_txns: u64,
}

/// Events read from SQLite per step of a watch replay.
const REPLAY_PAGE: usize = 500;

/// The embedded, SQLite-backed [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    shared: Arc<Shared>,
    requests: Mutex<Option<Sender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// Holds the exclusive lock on the database file until the writer has stopped.
    _lock: File,
}

/// What the store handle, the writer thread and the watch streams share.
struct Shared {
    state: RwLock<State>,
    readers: ReadPool,
    options: SqliteOptions,
    stats: Counters,
}

#[derive(Default)]
struct Counters {
    commit_batches: AtomicU64,
    answered_txns: AtomicU64,
}

struct State {
    /// The newest version of every live key.
    live: BTreeMap<String, Arc<KeyValue>>,
    revision: i64,
    compacted: i64,
    /// Every event with a revision above `recent_after`, oldest first.
    recent: VecDeque<Event>,
    recent_after: i64,
    recent_bytes: usize,
    watchers: Vec<Watcher>,
    closed: bool,
}

struct Watcher {
    prefix: String,
    /// Events at or below this revision reach the watcher by replay, not live.
    after: i64,
    events: mpsc::Sender<Event>,
    too_slow: Arc<AtomicBool>,
}

impl Watcher {
    /// Hands over the matching events; false when the watcher is gone or fell behind.
    fn deliver(&self, events: &[Event]) -> bool {
        for event in events {
            if event.revision() <= self.after || !event.key().starts_with(&self.prefix) {
                continue;
            }
            match self.events.try_send(event.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.too_slow.store(true, Ordering::Release);
                    return false;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
            }
        }
        !self.events.is_closed()
    }
}

fn event_bytes(event: &Event) -> usize {
    match event {
        Event::Put { kv, .. } => kv.key.len() + kv.value.len(),
        Event::Delete { prev, .. } => prev.key.len(),
    }
}

impl State {
    /// Keeps `events` for watchers that start in the recent past, forgetting the oldest
    /// whole revisions beyond the bounds.
    fn remember(&mut self, events: Vec<Event>, options: &SqliteOptions) {
        for event in events {
            self.recent_bytes += event_bytes(&event);
            self.recent.push_back(event);
        }
        while self.recent.len() > options.recent_events || self.recent_bytes > options.recent_bytes
        {
            let Some(oldest) = self.recent.pop_front() else {
                break;
            };
            self.recent_bytes -= event_bytes(&oldest);
            self.recent_after = oldest.revision();
        }
        while let Some(oldest) = self.recent.front() {
            if oldest.revision() != self.recent_after {
                break;
            }
            self.recent_bytes -= event_bytes(oldest);
            self.recent.pop_front();
        }
    }
}

impl Shared {
    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes a committed batch visible: memory, then watchers, under one lock so a new
    /// watcher sees each event exactly once.
    fn publish(&self, events: Vec<Event>, revision: i64) {
        let mut state = self.write_state();
        for event in &events {
            match event {
                Event::Put { kv, .. } => {
                    state.live.insert(kv.key.clone(), kv.clone());
                }
                Event::Delete { prev, .. } => {
                    state.live.remove(&prev.key);
                }
            }
        }
        state.revision = revision;
        state.watchers.retain(|watcher| watcher.deliver(&events));
        state.remember(events, &self.options);
    }

    /// Ends every watch stream and refuses new ones.
    fn shut_down(&self) {
        let mut state = self.write_state();
        state.closed = true;
        state.watchers.clear();
    }

    /// Runs `read` on a pooled read connection, off the async threads.
    async fn read_database<T, F>(self: &Arc<Self>, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let shared = self.clone();
        tokio::task::spawn_blocking(move || shared.readers.with(read))
            .await
            .map_err(|e| Error::Database(format!("read task failed: {e}")))?
    }
}

struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
}

impl ReadPool {
    fn with<T>(&self, read: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => sql::open_reader(&self.path)?,
        };
        let result = read(&mut conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
        result
    }
}

/// Data files are readable by their owner only.
const FILE_MODE: u32 = 0o600;

fn restrict(path: &Path) -> Result<()> {
    std::fs::set_permissions(path, Permissions::from_mode(FILE_MODE))
        .map_err(|e| Error::Database(format!("restricting {}: {e}", path.display())))
}

/// One writer assigns revisions: a second store on the same file would fork history. The
/// lock (flock, apart from SQLite's own fcntl locks) is retried briefly, because a child
/// process forked while the previous holder was closing keeps it until the child execs.
fn lock_exclusively(file: &File) -> Result<(), TryLockError> {
    let mut attempts = 0;
    loop {
        match file.try_lock() {
            Err(TryLockError::WouldBlock) if attempts < 100 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// `path` with `suffix` appended to its file name (SQLite's `-wal` and `-shm` files).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

impl SqliteStore {
    /// Opens (or creates) the store in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Arc<SqliteStore>> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// Opens (or creates) the store at `path` with the given tuning. The file and SQLite's
    /// `-wal` and `-shm` files are made readable by their owner only.
    pub fn open_with(path: &Path, options: SqliteOptions) -> Result<Arc<SqliteStore>> {
        let io_error = |e: std::io::Error| Error::Database(format!("{}: {e}", path.display()));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(FILE_MODE)
            .open(path)
            .map_err(io_error)?;
        lock_exclusively(&file).map_err(|e| match e {
            TryLockError::WouldBlock => {
                Error::Database(format!("{} is in use by another store", path.display()))
            }
            TryLockError::Error(e) => io_error(e),
        })?;
        restrict(path)?;
        let mut conn = sql::open_writer(path)?;
        for suffix in ["-wal", "-shm"] {
            let file = sibling(path, suffix);
            if file.exists() {
                restrict(&file)?;
            }
        }
        // Make the new files' directory entries durable too.
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|dir| dir.sync_all())
                .map_err(io_error)?;
        }
        let loaded = sql::load(&mut conn)?;
        debug!(
            path = %path.display(),
            keys = loaded.live.len(),
            revision = loaded.revision,
            compacted = loaded.compacted,
            "opened store"
        );
        let shared = Arc::new(Shared {
            state: RwLock::new(State {
                live: loaded.live,
                revision: loaded.revision,
                compacted: loaded.compacted,
                recent: VecDeque::new(),
                recent_after: loaded.revision,
                recent_bytes: 0,
                watchers: Vec::new(),
                closed: false,
            }),
            readers: ReadPool {
                path: path.to_path_buf(),
                idle: Mutex::new(Vec::new()),
                max_idle: options.idle_readers,
            },
            options,
            stats: Counters::default(),
        });
        let (requests, queue) = std::sync::mpsc::channel();
        let writer = Writer::new(
            conn,
            shared.clone(),
            queue,
            loaded.compact_done,
            loaded.compacted,
        );
        let writer = std::thread::Builder::new()
            .name("berth-store-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| Error::Database(format!("starting the writer thread: {e}")))?;
        Ok(Arc::new(SqliteStore {
            path: path.to_path_buf(),
            shared,
            requests: Mutex::new(Some(requests)),
            writer: Mutex::new(Some(writer)),
            _lock: file,
        }))
    }

    /// The SQLite file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn stats(&self) -> StoreStats {
        StoreStats {
            commit_batches: self.shared.stats.commit_batches.load(Ordering::Relaxed),
            answered_txns: self.shared.stats.answered_txns.load(Ordering::Relaxed),
        }
    }

    /// Stops the writer once every transaction already submitted is committed and answered.
    /// Later writes and watches fail with [`Error::Closed`]; open watch streams end.
    pub async fn close(&self) {
        if let Some(writer) = self.stop_writer() {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
    }

    /// True once [`SqliteStore::close`] has begun.
    pub fn is_closed(&self) -> bool {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    fn stop_writer(&self) -> Option<JoinHandle<()>> {
        // Dropping the only sender lets the writer drain its queue and exit.
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn submit(&self, request: Request) -> Result<()> {
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = requests.as_ref().ok_or(Error::Closed)?;
        sender.send(request).map_err(|_| Error::Closed)
    }

    /// Checks that `revision` is readable; `Ok(true)` when it is the newest state.
    fn check_readable(state: &State, revision: i64) -> Result<bool> {
        if revision > state.revision {
            return Err(Error::FutureRevision {
                requested: revision,
                current: state.revision,
            });
        }
        if revision < state.compacted {
            return Err(Error::Compacted {
                requested: revision,
                compacted: state.compacted,
            });
        }
        Ok(revision == state.revision)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Some(writer) = self.stop_writer() {
            let _ = writer.join();
        }
    }
}

/// The keys of `live` that `req` asks for, and whether its limit cut the list.
fn range_live(
    live: &BTreeMap<String, Arc<KeyValue>>,
    req: &RangeRequest,
) -> (Vec<Arc<KeyValue>>, usize) {
    let lower = match &req.start_after {
        Some(after) if *after >= req.prefix => Bound::Excluded(after.as_str()),
        _ => Bound::Included(req.prefix.as_str()),
    };
    let mut matching = live
        .range::<str, _>((lower, Bound::Unbounded))
        .take_while(|(key, _)| key.starts_with(&req.prefix))
        .map(|(_, kv)| kv);
    let limit = if req.limit == 0 {
        usize::MAX
    } else {
        req.limit
    };
    let kvs: Vec<_> = matching.by_ref().take(limit).cloned().collect();
    let count = kvs.len() + matching.count();
    (kvs, count)
}

#[async_trait]
impl Store for SqliteStore {
    fn current_revision(&self) -> i64 {
        self.shared.read_state().revision
    }

    fn compacted_revision(&self) -> i64 {
        self.shared.read_state().compacted
    }

    async fn get(&self, key: &str, revision: Option<i64>) -> Result<Option<Arc<KeyValue>>> {
        let at = {
            let state = self.shared.read_state();
            match revision {
                Some(at) if !SqliteStore::check_readable(&state, at)? => at,
                _ => return Ok(state.live.get(key).cloned()),
            }
        };
        let key = key.to_string();
        self.shared
            .read_database(move |conn| sql::get_at(conn, &key, at))
            .await
    }

    async fn range(&self, req: RangeRequest) -> Result<RangeResult> {
        let at = {
            let state = self.shared.read_state();
            match req.revision {
                Some(at) if !SqliteStore::check_readable(&state, at)? => at,
                _ => {
                    let (kvs, count) = range_live(&state.live, &req);
                    return Ok(RangeResult {
                        more: count > kvs.len(),
                        kvs,
                        revision: state.revision,
                        count,
                    });
                }
            }
        };
        let bounds = KeyBounds::new(&req.prefix, req.start_after.as_deref());
        let limit = req.limit;
        let (kvs, count) = self
            .shared
            .read_database(move |conn| sql::range_at(conn, &bounds, at, limit))
            .await?;
        Ok(RangeResult {
            more: count > kvs.len(),
            kvs,
            revision: at,
            count,
        })
    }

    async fn txn(&self, compares: Vec<Compare>, ops: Vec<Op>) -> Result<TxnResult> {
        let (reply, answer) = oneshot::channel();
        self.submit(Request::Txn(TxnRequest {
            compares,
            ops,
            reply,
        }))?;
        answer.await.map_err(|_| Error::Closed)?
    }

    async fn watch(&self, prefix: &str, after_revision: i64) -> Result<WatchStream> {
        let (sender, live) = mpsc::channel(self.shared.options.watch_buffer.max(1));
        let too_slow = Arc::new(AtomicBool::new(false));
        let mut feed = WatchFeed {
            shared: self.shared.clone(),
            bounds: KeyBounds::new(prefix, None),
            pending: VecDeque::new(),
            replay: None,
            live,
            too_slow: too_slow.clone(),
            finished: false,
        };
        let mut state = self.shared.write_state();
        if state.closed {
            return Err(Error::Closed);
        }
        if after_revision < state.compacted {
            return Err(Error::Compacted {
                requested: after_revision,
                compacted: state.compacted,
            });
        }
        if after_revision >= state.recent_after {
            feed.pending = state
                .recent
                .iter()
                .filter(|e| e.revision() > after_revision && e.key().starts_with(prefix))
                .cloned()
                .collect();
        } else {
            feed.replay = Some(Replay {
                cursor: (after_revision, sql::AFTER_ALL_KEYS.to_vec()),
                until: state.revision,
            });
        }
        let after = after_revision.max(state.revision);
        state.watchers.push(Watcher {
            prefix: prefix.to_string(),
            after,
            events: sender,
            too_slow,
        });
        drop(state);
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item, feed))
        })
        .boxed())
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.submit(Request::Compact { revision, reply })?;
        answer.await.map_err(|_| Error::Closed)?
    }
}

/// The part of a watch's history that is read from SQLite.
struct Replay {
    cursor: sql::ReplayCursor,
    /// The newest revision at subscription; later events arrive live.
    until: i64,
}

/// The source behind one watch stream: history from SQLite or memory, then live events.
struct WatchFeed {
    shared: Arc<Shared>,
    bounds: KeyBounds,
    pending: VecDeque<Event>,
    replay: Option<Replay>,
    live: mpsc::Receiver<Event>,
    too_slow: Arc<AtomicBool>,
    finished: bool,
}

impl WatchFeed {
    async fn next(&mut self) -> Option<Result<Event>> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if let Some(replay) = self.replay.take() {
                let bounds = self.bounds.clone();
                let cursor = replay.cursor.clone();
                let until = replay.until;
                let page = self
                    .shared
                    .read_database(move |conn| {
                        sql::events_after(conn, &bounds, &cursor, until, REPLAY_PAGE)
                    })
                    .await;
                match page {
                    Ok(events) => {
                        if let Some(last) = events.last().filter(|_| events.len() == REPLAY_PAGE) {
                            let cursor = (last.revision(), last.key().as_bytes().to_vec());
                            self.replay = Some(Replay { cursor, until });
                        }
                        self.pending.extend(events);
                        continue;
                    }
                    Err(e) => {
                        self.finished = true;
                        return Some(Err(e));
                    }
                }
            }
            return match self.live.recv().await {
                Some(event) => Some(Ok(event)),
                None => {
                    self.finished = true;
                    self.too_slow
                        .load(Ordering::Acquire)
                        .then_some(Err(Error::WatcherTooSlow))
                }
            };
        }
    }
}

/// The revision to compact to so that the newest `keep_revisions` stay readable, if that
/// is past what is already compacted.
fn compaction_target(current: i64, compacted: i64, keep_revisions: i64) -> Option<i64> {
    let target = current.saturating_sub(keep_revisions.max(0));
    (target > compacted).then_some(target)
}

/// Compacts `store` every `interval`, keeping at least the newest `keep_revisions`
/// revisions. The task ends when the store is closed or dropped.
pub fn spawn_compactor(
    store: Arc<SqliteStore>,
    interval: Duration,
    keep_revisions: i64,
) -> tokio::task::JoinHandle<()> {
    let store = Arc::downgrade(&store);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Some(store) = store.upgrade().filter(|store| !store.is_closed()) else {
                return;
            };
            let current = store.current_revision();
            let Some(target) =
                compaction_target(current, store.compacted_revision(), keep_revisions)
            else {
                continue;
            };
            match store.compact(target).await {
                Ok(()) => debug!(target, current, "compacted store"),
                Err(Error::Closed) => return,
                Err(e) => warn!(error = %e, target, "store compaction failed"),
            }
        }
    })
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    fn kv(key: &str) -> Arc<KeyValue> {
        Arc::new(KeyValue {
            key: key.into(),
            value: vec![],
            create_revision: 1,
            mod_revision: 1,
        })
    }

    #[test]
    fn compaction_target_keeps_the_newest_revisions() {
        assert_eq!(compaction_target(100, 0, 10), Some(90));
        assert_eq!(compaction_target(100, 90, 10), None);
        assert_eq!(compaction_target(5, 0, 10), None);
        assert_eq!(compaction_target(100, 0, -3), Some(100));
    }

    #[test]
    fn range_live_pages_by_prefix() {
        let live: BTreeMap<String, Arc<KeyValue>> = ["a", "p/a", "p/b", "p/c", "pa"]
            .into_iter()
            .map(|k| (k.to_string(), kv(k)))
            .collect();
        let keys = |req: RangeRequest| {
            let (kvs, count) = range_live(&live, &req);
            (
                kvs.iter().map(|kv| kv.key.clone()).collect::<Vec<_>>(),
                count,
            )
        };
        let prefix = |p: &str| RangeRequest {
            prefix: p.into(),
            ..Default::default()
        };
        assert_eq!(
            keys(prefix("p/")),
            (vec!["p/a".into(), "p/b".into(), "p/c".into()], 3)
        );
        assert_eq!(
            keys(RangeRequest {
                limit: 2,
                ..prefix("p/")
            }),
            (vec!["p/a".into(), "p/b".into()], 3),
            "the count ignores the limit"
        );
        assert_eq!(
            keys(RangeRequest {
                limit: 1,
                start_after: Some("p/b".into()),
                ..prefix("p/")
            }),
            (vec!["p/c".into()], 1),
            "and counts from start_after"
        );
        assert_eq!(
            keys(RangeRequest {
                start_after: Some("a".into()),
                limit: 1,
                ..prefix("p/")
            }),
            (vec!["p/a".into()], 3)
        );
        assert_eq!(keys(prefix("")).0.len(), 5);
    }

    #[test]
    fn recent_events_forget_whole_revisions() {
        let options = SqliteOptions {
            recent_events: 2,
            ..SqliteOptions::default()
        };
        let put = |key: &str, revision: i64| Event::Put {
            kv: Arc::new(KeyValue {
                key: key.into(),
                value: vec![0; 3],
                create_revision: revision,
                mod_revision: revision,
            }),
            prev: None,
        };
        let mut state = State {
            live: BTreeMap::new(),
            revision: 0,
            compacted: 0,
            recent: VecDeque::new(),
            recent_after: 0,
            recent_bytes: 0,
            watchers: Vec::new(),
            closed: false,
        };
        state.remember(vec![put("a", 1), put("b", 1), put("c", 2)], &options);
        // Dropping "a" alone would leave half of revision 1.
        assert_eq!(state.recent_after, 1);
        assert_eq!(state.recent, VecDeque::from([put("c", 2)]));
        assert_eq!(state.recent_bytes, 4);
        state.remember(vec![put("d", 3)], &options);
        assert_eq!((state.recent_after, state.recent.len()), (1, 2));
    }
}
