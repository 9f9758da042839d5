//! berth-store: an etcd-shaped, revisioned key-value store.
//!
//! Every successful write gets the next value of one global revision (the Kubernetes
//! `resourceVersion`). Keys are ordered byte strings; a range is a key prefix. Writes are
//! compare-and-swap transactions on a key's `mod_revision`. Readers can list the newest state
//! or the state at an older revision, and watch every change after a revision. Compaction
//! forgets history up to a revision; asking for anything older answers [`Error::Compacted`].
//!
//! Backends: [`sqlite::SqliteStore`] (embedded default). Every backend must pass
//! [`conformance::run_all`].

pub mod conformance;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;

/// One stored version of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Vec<u8>,
    /// Revision of the write that created this key (since its last deletion).
    pub create_revision: i64,
    /// Revision of the write that produced this version.
    pub mod_revision: i64,
}

/// A change seen by a watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A create or an update. `prev` is the version before, if the key existed.
    Put {
        kv: Arc<KeyValue>,
        prev: Option<Arc<KeyValue>>,
    },
    /// A deletion at `revision`; `prev` is the last version before the delete.
    Delete { prev: Arc<KeyValue>, revision: i64 },
}

impl Event {
    /// The revision at which this change happened.
    pub fn revision(&self) -> i64 {
        match self {
            Event::Put { kv, .. } => kv.mod_revision,
            Event::Delete { revision, .. } => *revision,
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Event::Put { kv, .. } => &kv.key,
            Event::Delete { prev, .. } => &prev.key,
        }
    }
}

/// A condition a transaction checks before it applies its operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compare {
    /// The key does not exist.
    Absent(String),
    /// The key exists with exactly this `mod_revision`.
    ModRevision(String, i64),
    /// The key exists (any revision).
    Present(String),
}

/// A write inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
}

/// The answer to a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnResult {
    /// All compares held; the operations were applied and are durable at `revision`.
    /// `kvs` holds, for each operation in order, the new version (Put) or the deleted one
    /// (Delete, `None` when the key did not exist).
    Committed {
        revision: i64,
        kvs: Vec<Option<Arc<KeyValue>>>,
    },
    /// A compare failed: nothing was written. `current` holds, for each compare in order,
    /// the key's newest version (or `None`).
    Failed { current: Vec<Option<Arc<KeyValue>>> },
}

/// The answer to a range read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeResult {
    pub kvs: Vec<Arc<KeyValue>>,
    /// The revision the read was served at.
    pub revision: i64,
    /// More keys follow the last one returned (the limit cut the list).
    pub more: bool,
    /// How many keys the range holds (after `start_after`) whatever the limit, as etcd's
    /// `count`: lists report what remains after a page from it.
    pub count: usize,
}

/// Parameters of a range read over the keys that start with `prefix`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeRequest {
    pub prefix: String,
    /// Only keys strictly greater than this one (pagination).
    pub start_after: Option<String>,
    /// 0 = no limit.
    pub limit: usize,
    /// `None` = newest state; `Some(r)` = state as of revision r.
    pub revision: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The requested revision has been compacted away.
    #[error("required revision {requested} has been compacted (oldest available {compacted})")]
    Compacted { requested: i64, compacted: i64 },
    /// The requested revision is newer than the store's.
    #[error("required revision {requested} is a future revision (current {current})")]
    FutureRevision { requested: i64, current: i64 },
    /// A watcher fell too far behind and was dropped; it must re-list.
    #[error("watcher fell behind and was closed")]
    WatcherTooSlow,
    #[error("store is closed")]
    Closed,
    #[error("database error: {0}")]
    Database(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A stream of changes, in revision order. It ends with an `Err` if the watcher cannot
/// continue (for example [`Error::WatcherTooSlow`] or [`Error::Compacted`]).
pub type WatchStream = BoxStream<'static, Result<Event>>;

/// The store contract every backend implements.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The newest committed revision.
    fn current_revision(&self) -> i64;

    /// The oldest revision still readable (everything at or below it was compacted).
    fn compacted_revision(&self) -> i64;

    /// The newest version of one key, or its version as of `revision`.
    async fn get(&self, key: &str, revision: Option<i64>) -> Result<Option<Arc<KeyValue>>>;

    /// The keys under a prefix, ordered by key.
    async fn range(&self, req: RangeRequest) -> Result<RangeResult>;

    /// Atomically: if every compare holds, apply every op, durably, under one new revision.
    async fn txn(&self, compares: Vec<Compare>, ops: Vec<Op>) -> Result<TxnResult>;

    /// Every change to keys under `prefix` with a revision greater than `after_revision`.
    /// Fails with [`Error::Compacted`] when that history is gone.
    async fn watch(&self, prefix: &str, after_revision: i64) -> Result<WatchStream>;

    /// Forget history at and below `revision` (the newest version of each live key is kept).
    async fn compact(&self, revision: i64) -> Result<()>;
}
