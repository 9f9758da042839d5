//! The writer thread: the only owner of the write connection.
//!
//! Transactions arrive over a channel. The writer takes every request waiting, decides them
//! in order against the newest state plus the batch's earlier transactions, appends all their
//! rows in one SQLite transaction (one fsync for the lot: group commit), publishes the changes
//! to memory and watchers, and only then answers. Compaction runs here too, one bounded window
//! at a time between batches, so writers never wait long behind it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::oneshot;
use tracing::{debug, debug_span, warn};

use super::{Shared, sql};
use crate::{Compare, Error, Event, KeyValue, Op, Result, TxnResult};

pub(super) enum Request {
    Txn(TxnRequest),
    Compact {
        revision: i64,
        reply: oneshot::Sender<Result<()>>,
    },
}

pub(super) struct TxnRequest {
    pub(super) compares: Vec<Compare>,
    pub(super) ops: Vec<Op>,
    pub(super) reply: oneshot::Sender<Result<TxnResult>>,
}

/// Compaction progress: rows are garbage-collected up to `done`, working towards `target`.
struct Compaction {
    done: i64,
    target: i64,
    waiters: Vec<(i64, oneshot::Sender<Result<()>>)>,
}

impl Compaction {
    fn pending(&self) -> bool {
        self.done < self.target
    }
}

pub(super) struct Writer {
    conn: Connection,
    shared: Arc<Shared>,
    requests: Receiver<Request>,
    compaction: Compaction,
}

impl Writer {
    pub(super) fn new(
        conn: Connection,
        shared: Arc<Shared>,
        requests: Receiver<Request>,
        compact_done: i64,
        compacted: i64,
    ) -> Self {
        // A compaction cut short by a crash resumes on its own.
        let compaction = Compaction {
            done: compact_done,
            target: compacted,
            waiters: Vec::new(),
        };
        Writer {
            conn,
            shared,
            requests,
            compaction,
        }
    }

    /// Serves requests until every sender is gone and the queue is empty.
    pub(super) fn run(mut self) {
        loop {
            let next = if self.compaction.pending() {
                match self.requests.try_recv() {
                    Ok(request) => Some(request),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => break,
                }
            } else {
                match self.requests.recv() {
                    Ok(request) => Some(request),
                    Err(_) => break,
                }
            };
            if let Some(first) = next {
                self.serve(first);
            }
            if self.compaction.pending() {
                self.compact_step();
            }
        }
        self.shared.shut_down();
        for (_, reply) in self.compaction.waiters.drain(..) {
            let _ = reply.send(Err(Error::Closed));
        }
        debug!("store writer stopped");
    }

    /// Serves `first` and everything queued behind it as one batch.
    fn serve(&mut self, first: Request) {
        let mut txns = Vec::new();
        let mut compactions = Vec::new();
        let mut next = Some(first);
        while let Some(request) = next.take() {
            match request {
                Request::Txn(txn) => txns.push(txn),
                Request::Compact { revision, reply } => compactions.push((revision, reply)),
            }
            if txns.len() < self.shared.options.max_batch {
                next = self.requests.try_recv().ok();
            }
        }
        if !txns.is_empty() {
            self.commit(txns);
        }
        for (revision, reply) in compactions {
            self.start_compaction(revision, reply);
        }
    }

    fn commit(&mut self, txns: Vec<TxnRequest>) {
        let _span = debug_span!("store_batch", txns = txns.len()).entered();
        let staged = {
            let state = self.shared.read_state();
            stage(
                &state.live,
                state.revision,
                txns.iter().map(|t| (&t.compares[..], &t.ops[..])),
            )
        };
        let started = Instant::now();
        let written = if staged.events.is_empty() {
            Ok(())
        } else {
            sql::append(&mut self.conn, &staged.events, staged.revision)
        };
        let commit_time = started.elapsed();
        match written {
            Ok(()) => {
                debug!(
                    rows = staged.events.len(),
                    revision = staged.revision,
                    // The time to insert the rows and fsync them.
                    commit_ms = commit_time.as_secs_f64() * 1000.0,
                    "committed batch"
                );
                let stats = &self.shared.stats;
                stats
                    .answered_txns
                    .fetch_add(txns.len() as u64, Ordering::Relaxed);
                if !staged.events.is_empty() {
                    stats.commit_batches.fetch_add(1, Ordering::Relaxed);
                    self.shared.publish(staged.events, staged.revision);
                }
                for (txn, result) in txns.into_iter().zip(staged.results) {
                    let _ = txn.reply.send(Ok(result));
                }
            }
            Err(e) => {
                warn!(error = %e, txns = txns.len(), "batch commit failed");
                let message = e.to_string();
                for txn in txns {
                    let _ = txn.reply.send(Err(Error::Database(message.clone())));
                }
            }
        }
    }

    fn start_compaction(&mut self, revision: i64, reply: oneshot::Sender<Result<()>>) {
        let (current, compacted) = {
            let state = self.shared.read_state();
            (state.revision, state.compacted)
        };
        if revision > current {
            let _ = reply.send(Err(Error::FutureRevision {
                requested: revision,
                current,
            }));
            return;
        }
        if revision > compacted {
            if let Err(e) = sql::set_compacted(&mut self.conn, revision) {
                let _ = reply.send(Err(e));
                return;
            }
            self.shared.write_state().compacted = revision;
        }
        // Also restarts a compaction that an earlier error left unfinished.
        self.compaction.target = self.compaction.target.max(revision);
        if self.compaction.done >= revision {
            let _ = reply.send(Ok(()));
        } else {
            self.compaction.waiters.push((revision, reply));
        }
    }

    fn compact_step(&mut self) {
        let Compaction { done, target, .. } = self.compaction;
        let started = Instant::now();
        let window = self.shared.options.compact_window_rows;
        match sql::compact_window(&mut self.conn, done, target, window) {
            Ok((reached, deleted)) => {
                debug!(
                    from = done,
                    to = reached,
                    deleted,
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "compacted window"
                );
                self.compaction.done = reached;
                let (finished, waiting) = std::mem::take(&mut self.compaction.waiters)
                    .into_iter()
                    .partition(|(revision, _)| *revision <= reached);
                self.compaction.waiters = waiting;
                for (_, reply) in finished {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                warn!(error = %e, from = done, target, "compaction failed");
                // Stop until the next compact() asks again.
                self.compaction.target = done;
                for (_, reply) in self.compaction.waiters.drain(..) {
                    let _ = reply.send(Err(Error::Database(e.to_string())));
                }
            }
        }
    }
}

/// The decisions for one batch of transactions.
#[derive(Debug)]
pub(super) struct Staged {
    /// One answer per transaction, in order.
    pub(super) results: Vec<TxnResult>,
    /// Every change, in revision order, then key order within a revision.
    pub(super) events: Vec<Event>,
    /// The newest revision after the batch.
    pub(super) revision: i64,
}

/// Decides a batch of transactions in order against `live` at `revision`. Each transaction
/// sees the changes of the ones before it. A transaction whose compares hold and that changes
/// something gets the next revision; one that changes nothing answers the current revision.
/// Operations on one key within a transaction apply in order; the key's row is the outcome.
pub(super) fn stage<'a>(
    live: &BTreeMap<String, Arc<KeyValue>>,
    mut revision: i64,
    txns: impl Iterator<Item = (&'a [Compare], &'a [Op])>,
) -> Staged {
    let mut batch: HashMap<String, Option<Arc<KeyValue>>> = HashMap::new();
    let mut results = Vec::new();
    let mut events = Vec::new();
    for (compares, ops) in txns {
        let current = |key: &str| match batch.get(key) {
            Some(staged) => staged.clone(),
            None => live.get(key).cloned(),
        };
        let holds = compares.iter().all(|compare| match compare {
            Compare::Absent(key) => current(key).is_none(),
            Compare::Present(key) => current(key).is_some(),
            Compare::ModRevision(key, want) => {
                current(key).is_some_and(|kv| kv.mod_revision == *want)
            }
        });
        if !holds {
            let current = compares.iter().map(|c| current(compare_key(c))).collect();
            results.push(TxnResult::Failed { current });
            continue;
        }
        let next = revision + 1;
        // The key's version before this transaction, and after each op so far.
        let mut touched: BTreeMap<&str, (Version, Version)> = BTreeMap::new();
        let mut kvs = Vec::with_capacity(ops.len());
        for op in ops {
            let key = match op {
                Op::Put { key, .. } | Op::Delete { key } => key.as_str(),
            };
            let (_, now) = touched.entry(key).or_insert_with(|| {
                let before = current(key);
                (before.clone(), before)
            });
            match op {
                Op::Put { value, .. } => {
                    let create_revision = now.as_ref().map_or(next, |kv| kv.create_revision);
                    let kv = Arc::new(KeyValue {
                        key: key.to_string(),
                        value: value.clone(),
                        create_revision,
                        mod_revision: next,
                    });
                    *now = Some(kv.clone());
                    kvs.push(Some(kv));
                }
                Op::Delete { .. } => kvs.push(now.take()),
            }
        }
        let first_event = events.len();
        for (key, (before, after)) in touched {
            match (before, after) {
                (before, Some(kv)) => events.push(Event::Put { kv, prev: before }),
                (Some(prev), None) => events.push(Event::Delete {
                    prev,
                    revision: next,
                }),
                (None, None) => continue,
            }
            batch.insert(key.to_string(), events.last().and_then(event_value));
        }
        if events.len() > first_event {
            revision = next;
        }
        results.push(TxnResult::Committed { revision, kvs });
    }
    Staged {
        results,
        events,
        revision,
    }
}

/// A key's version, or `None` when the key does not exist.
type Version = Option<Arc<KeyValue>>;

fn compare_key(compare: &Compare) -> &str {
    match compare {
        Compare::Absent(key) | Compare::Present(key) | Compare::ModRevision(key, _) => key,
    }
}

/// The key's version after `event`.
fn event_value(event: &Event) -> Option<Arc<KeyValue>> {
    match event {
        Event::Put { kv, .. } => Some(kv.clone()),
        Event::Delete { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{delete, kv, put};

    fn stage_all(
        live: &BTreeMap<String, Arc<KeyValue>>,
        revision: i64,
        txns: &[(Vec<Compare>, Vec<Op>)],
    ) -> Staged {
        stage(live, revision, txns.iter().map(|(c, o)| (&c[..], &o[..])))
    }

    #[test]
    fn later_transactions_in_a_batch_see_earlier_ones() {
        let live = BTreeMap::new();
        let create = (vec![Compare::Absent("a".into())], vec![put("a", "1")]);
        let update = (
            vec![Compare::ModRevision("a".into(), 11)],
            vec![put("a", "2")],
        );
        let staged = stage_all(&live, 10, &[create.clone(), create, update]);
        assert_eq!(
            staged.results,
            vec![
                TxnResult::Committed {
                    revision: 11,
                    kvs: vec![Some(kv("a", "1", 11, 11))]
                },
                TxnResult::Failed {
                    current: vec![Some(kv("a", "1", 11, 11))]
                },
                TxnResult::Committed {
                    revision: 12,
                    kvs: vec![Some(kv("a", "2", 11, 12))]
                },
            ]
        );
        assert_eq!(staged.revision, 12);
        assert_eq!(
            staged.events,
            vec![
                Event::Put {
                    kv: kv("a", "1", 11, 11),
                    prev: None
                },
                Event::Put {
                    kv: kv("a", "2", 11, 12),
                    prev: Some(kv("a", "1", 11, 11))
                },
            ]
        );
    }

    #[test]
    fn all_ops_of_a_transaction_share_one_revision_in_key_order() {
        let live = BTreeMap::from([("c".to_string(), kv("c", "old", 3, 4))]);
        let txn = (vec![], vec![put("b", "1"), delete("c"), put("a", "1")]);
        let staged = stage_all(&live, 5, &[txn]);
        assert_eq!(
            staged.results,
            vec![TxnResult::Committed {
                revision: 6,
                kvs: vec![
                    Some(kv("b", "1", 6, 6)),
                    Some(kv("c", "old", 3, 4)),
                    Some(kv("a", "1", 6, 6))
                ],
            }]
        );
        let keys: Vec<(&str, i64)> = staged
            .events
            .iter()
            .map(|e| (e.key(), e.revision()))
            .collect();
        assert_eq!(keys, vec![("a", 6), ("b", 6), ("c", 6)]);
    }

    #[test]
    fn a_transaction_that_changes_nothing_takes_no_revision() {
        let live = BTreeMap::new();
        let staged = stage_all(
            &live,
            7,
            &[(vec![], vec![delete("missing")]), (vec![], vec![])],
        );
        assert_eq!(
            staged.results,
            vec![
                TxnResult::Committed {
                    revision: 7,
                    kvs: vec![None]
                },
                TxnResult::Committed {
                    revision: 7,
                    kvs: vec![]
                },
            ]
        );
        assert!(staged.events.is_empty());
        assert_eq!(staged.revision, 7);
    }

    #[test]
    fn ops_on_one_key_apply_in_order() {
        let live = BTreeMap::from([("k".to_string(), kv("k", "v1", 1, 2))]);
        // Delete then put: the key is recreated at the new revision.
        let recreate = (vec![], vec![delete("k"), put("k", "v2")]);
        // Put then delete of a new key: nothing to store.
        let transient = (vec![], vec![put("n", "x"), delete("n")]);
        let staged = stage_all(&live, 2, &[recreate, transient]);
        assert_eq!(
            staged.results,
            vec![
                TxnResult::Committed {
                    revision: 3,
                    kvs: vec![Some(kv("k", "v1", 1, 2)), Some(kv("k", "v2", 3, 3))],
                },
                TxnResult::Committed {
                    revision: 3,
                    kvs: vec![Some(kv("n", "x", 4, 4)), Some(kv("n", "x", 4, 4))],
                },
            ]
        );
        assert_eq!(
            staged.events,
            vec![Event::Put {
                kv: kv("k", "v2", 3, 3),
                prev: Some(kv("k", "v1", 1, 2))
            }]
        );
    }

    #[test]
    fn failed_compares_report_each_compared_key() {
        let live = BTreeMap::from([("a".to_string(), kv("a", "1", 1, 1))]);
        let txn = (
            vec![
                Compare::Present("a".into()),
                Compare::Absent("a".into()),
                Compare::Present("z".into()),
            ],
            vec![put("a", "2")],
        );
        let staged = stage_all(&live, 1, &[txn]);
        assert_eq!(
            staged.results,
            vec![TxnResult::Failed {
                current: vec![Some(kv("a", "1", 1, 1)), Some(kv("a", "1", 1, 1)), None]
            }]
        );
        assert!(staged.events.is_empty());
    }
}
