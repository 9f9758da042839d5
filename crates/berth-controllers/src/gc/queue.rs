//! A deduplicating work queue with per-key exponential backoff, in the manner of
//! client-go's rate-limited work queue: a key is never handed to two workers at once, and a
//! key added while it is being processed is processed again afterwards.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

const FIRST_RETRY: Duration = Duration::from_millis(5);
const MAX_RETRY: Duration = Duration::from_secs(300);

/// The delay before retry number `failures` (1-based): 5 ms doubling up to 5 minutes.
pub(crate) fn retry_delay(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1));
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
}

pub(crate) struct WorkQueue<K> {
    state: Mutex<State<K>>,
    wake: Notify,
}

struct State<K> {
    pending: VecDeque<K>,
    /// Keys waiting to be processed (in `pending`, or re-added while active).
    queued: HashSet<K>,
    /// Keys a worker is processing now.
    active: HashSet<K>,
    failures: HashMap<K, u32>,
    closed: bool,
}

impl<K: Clone + Eq + Hash + Send + 'static> WorkQueue<K> {
    pub fn new() -> Arc<Self> {
        Arc::new(WorkQueue {
            state: Mutex::new(State {
                pending: VecDeque::new(),
                queued: HashSet::new(),
                active: HashSet::new(),
                failures: HashMap::new(),
                closed: false,
            }),
            wake: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<K>> {
        // The state stays consistent even if a holder panicked: every update is one step.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn add(&self, key: K) {
        let mut state = self.lock();
        if state.closed || !state.queued.insert(key.clone()) {
            return;
        }
        if !state.active.contains(&key) {
            state.pending.push_back(key);
            drop(state);
            self.wake.notify_one();
        }
    }

    /// The next key to process, or `None` once the queue is closed. The caller must call
    /// [`WorkQueue::done`] when finished with it.
    pub async fn next(&self) -> Option<K> {
        loop {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            // Register before looking, so a wake-up between the look and the wait is kept.
            woken.as_mut().enable();
            {
                let mut state = self.lock();
                if state.closed {
                    return None;
                }
                if let Some(key) = state.pending.pop_front() {
                    state.queued.remove(&key);
                    state.active.insert(key.clone());
                    let more = !state.pending.is_empty();
                    drop(state);
                    if more {
                        self.wake.notify_one();
                    }
                    return Some(key);
                }
            }
            woken.await;
        }
    }

    pub fn done(&self, key: &K) {
        let mut state = self.lock();
        state.active.remove(key);
        if state.queued.contains(key) {
            state.pending.push_back(key.clone());
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Adds `key` again after a delay that grows with its consecutive failures.
    pub fn retry_later(self: &Arc<Self>, key: K) {
        let delay = {
            let mut state = self.lock();
            let failures = state.failures.entry(key.clone()).or_insert(0);
            *failures += 1;
            retry_delay(*failures)
        };
        self.add_after(key, delay);
    }

    pub fn add_after(self: &Arc<Self>, key: K, delay: Duration) {
        let queue = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            queue.add(key);
        });
    }

    /// Ends a sync of `key`: success forgets its backoff, a failure retries it later
    /// (a 409 quietly, as the object merely changed meanwhile).
    pub fn finish(self: &Arc<Self>, key: &K, result: Result<(), crate::Error>, controller: &str)
    where
        K: std::fmt::Debug,
    {
        match result {
            Ok(()) => self.forget(key),
            Err(crate::Error::Kube(kube::Error::Api(status))) if status.is_conflict() => {
                tracing::debug!(item = ?key, controller, "object changed meanwhile; will retry");
                self.retry_later(key.clone());
            }
            Err(error) => {
                tracing::warn!(item = ?key, controller, %error, "sync failed; will retry");
                self.retry_later(key.clone());
            }
        }
        self.done(key);
    }

    /// The key succeeded: its next failure starts the backoff afresh.
    pub fn forget(&self, key: &K) {
        self.lock().failures.remove(key);
    }

    /// Wakes every worker; `next` returns `None` from now on.
    pub fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_waiters();
    }

    /// Runs a controller on this queue until `shutdown` (or until `follow`, which feeds the
    /// queue from watches, or `workers` end), then closes the queue.
    pub async fn run_until(
        &self,
        shutdown: impl Future<Output = ()>,
        follow: impl Future<Output = ()>,
        workers: impl Future<Output = ()>,
    ) {
        tokio::select! {
            () = shutdown => {}
            () = follow => {}
            () = workers => {}
        }
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped() {
        assert_eq!(retry_delay(1), Duration::from_millis(5));
        assert_eq!(retry_delay(2), Duration::from_millis(10));
        assert_eq!(retry_delay(4), Duration::from_millis(40));
        assert_eq!(retry_delay(40), MAX_RETRY);
        assert_eq!(retry_delay(u32::MAX), MAX_RETRY);
    }

    #[tokio::test]
    async fn keys_are_deduplicated_and_never_processed_twice_at_once() {
        let q = WorkQueue::new();
        q.add("a");
        q.add("b");
        q.add("a");
        assert_eq!(q.next().await, Some("a"));
        // Added while active: held back until done.
        q.add("a");
        assert_eq!(q.next().await, Some("b"));
        q.done(&"b");
        q.done(&"a");
        assert_eq!(q.next().await, Some("a"));
        q.done(&"a");
        q.close();
        assert_eq!(q.next().await, None);
        q.add("c");
        assert_eq!(q.next().await, None, "a closed queue takes nothing");
    }

    #[tokio::test]
    async fn a_waiting_worker_is_woken_by_add_and_close() {
        let q = WorkQueue::<&str>::new();
        let worker = {
            let q = Arc::clone(&q);
            tokio::spawn(async move { (q.next().await, q.next().await) })
        };
        tokio::task::yield_now().await;
        q.add("x");
        tokio::time::sleep(Duration::from_millis(20)).await;
        q.close();
        let (first, second) = tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((first, second), (Some("x"), None));
    }

    #[tokio::test]
    async fn retries_come_back_after_the_delay() {
        let q = WorkQueue::new();
        q.retry_later("r");
        let next = tokio::time::timeout(Duration::from_secs(5), q.next())
            .await
            .unwrap();
        assert_eq!(next, Some("r"));
        assert_eq!(q.lock().failures.get("r"), Some(&1));
        q.forget(&"r");
        assert!(q.lock().failures.is_empty());
    }
}
