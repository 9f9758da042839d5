//! The scheduling queue: pods to try now, and pods that failed and wait for the cluster
//! to change, each with its own backoff (1 s doubling to 10 s, upstream's defaults).
//! Pure bookkeeping; the caller supplies the time and arms the timers this asks for.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A pod that stays unschedulable this long is retried even without a cluster change
/// (upstream's podMaxInUnschedulablePodsDuration).
pub const MAX_UNSCHEDULABLE_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy)]
struct Failure {
    attempts: u32,
    at: Instant,
}

impl Failure {
    fn backoff_until(&self) -> Instant {
        let doublings = self.attempts.saturating_sub(1).min(8);
        self.at + (INITIAL_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
    }
}

#[derive(Debug)]
pub struct SchedulingQueue<K> {
    active: VecDeque<K>,
    queued: HashSet<K>,
    /// Failed pods waiting for a change.
    unschedulable: HashSet<K>,
    /// Failed pods a change released, waiting for their backoff to pass.
    backing_off: HashSet<K>,
    failures: HashMap<K, Failure>,
}

impl<K> Default for SchedulingQueue<K> {
    fn default() -> Self {
        SchedulingQueue {
            active: VecDeque::new(),
            queued: HashSet::new(),
            unschedulable: HashSet::new(),
            backing_off: HashSet::new(),
            failures: HashMap::new(),
        }
    }
}

impl<K: Clone + Eq + Hash> SchedulingQueue<K> {
    /// A new or changed pod. A pod that failed before goes through its backoff: the
    /// answer is the time to call [`Self::backoff_over`] at, when it must wait.
    pub fn add(&mut self, key: K, now: Instant) -> Option<Instant> {
        if self.queued.contains(&key) || self.backing_off.contains(&key) {
            return None;
        }
        self.unschedulable.remove(&key);
        self.release(key, now)
    }

    fn release(&mut self, key: K, now: Instant) -> Option<Instant> {
        match self.failures.get(&key).map(Failure::backoff_until) {
            Some(until) if until > now => {
                self.backing_off.insert(key);
                Some(until)
            }
            _ => {
                self.queued.insert(key.clone());
                self.active.push_back(key);
                None
            }
        }
    }

    /// The next pod to try.
    pub fn pop(&mut self) -> Option<K> {
        let key = self.active.pop_front()?;
        self.queued.remove(&key);
        Some(key)
    }

    /// The pod did not fit: it waits for a cluster change.
    pub fn failed(&mut self, key: K, now: Instant) {
        let attempts = self.failures.get(&key).map_or(0, |f| f.attempts) + 1;
        self.failures
            .insert(key.clone(), Failure { attempts, at: now });
        self.unschedulable.insert(key);
    }

    /// Something changed that may let failed pods fit: each goes back to the queue, or
    /// into backoff first. Returns the timers to arm: (pod, when its backoff is over).
    pub fn cluster_changed(&mut self, now: Instant) -> Vec<(K, Instant)> {
        let waiting: Vec<K> = self.unschedulable.drain().collect();
        waiting
            .into_iter()
            .filter_map(|key| self.release(key.clone(), now).map(|until| (key, until)))
            .collect()
    }

    /// A backoff timer fired.
    pub fn backoff_over(&mut self, key: &K) {
        if self.backing_off.remove(key) {
            self.queued.insert(key.clone());
            self.active.push_back(key.clone());
        }
    }

    /// Retries pods that have been unschedulable for too long.
    pub fn flush_stale(&mut self, now: Instant) {
        let stale: Vec<K> = self
            .unschedulable
            .iter()
            .filter(|key| {
                self.failures
                    .get(*key)
                    .is_some_and(|f| now.duration_since(f.at) >= MAX_UNSCHEDULABLE_WAIT)
            })
            .cloned()
            .collect();
        for key in stale {
            self.unschedulable.remove(&key);
            self.queued.insert(key.clone());
            self.active.push_back(key);
        }
    }

    /// The pod is bound, gone, or no longer ours.
    pub fn forget(&mut self, key: &K) {
        if self.queued.remove(key) {
            self.active.retain(|k| k != key);
        }
        self.unschedulable.remove(key);
        self.backing_off.remove(key);
        self.failures.remove(key);
    }

    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_pods_are_tried_in_order_once() {
        let mut queue = SchedulingQueue::default();
        let now = Instant::now();
        assert_eq!(queue.add("a", now), None);
        assert_eq!(queue.add("b", now), None);
        assert_eq!(queue.add("a", now), None);
        assert_eq!(queue.pop(), Some("a"));
        assert_eq!(queue.pop(), Some("b"));
        assert_eq!(queue.pop(), None);
        assert!(queue.is_empty());
    }

    #[test]
    fn failed_pods_wait_for_a_change_then_back_off() {
        let mut queue = SchedulingQueue::default();
        let t0 = Instant::now();
        queue.add("a", t0);
        queue.pop();
        queue.failed("a", t0);
        assert_eq!(queue.pop(), None, "waits for a change");
        // A change right away: the 1 s backoff is not over.
        let timers = queue.cluster_changed(t0 + Duration::from_millis(10));
        assert_eq!(timers, [("a", t0 + Duration::from_secs(1))]);
        assert_eq!(queue.pop(), None);
        queue.backoff_over(&"a");
        assert_eq!(queue.pop(), Some("a"));

        // Second failure: 2 s backoff; a change after it passes releases at once.
        let t1 = t0 + Duration::from_secs(1);
        queue.failed("a", t1);
        assert!(
            queue
                .cluster_changed(t1 + Duration::from_secs(3))
                .is_empty()
        );
        assert_eq!(queue.pop(), Some("a"));
    }

    #[test]
    fn backoff_is_capped_and_forgotten_pods_vanish() {
        let mut queue = SchedulingQueue::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            queue.failed("a", t0);
        }
        let timers = queue.cluster_changed(t0);
        assert_eq!(timers, [("a", t0 + MAX_BACKOFF)]);
        queue.forget(&"a");
        queue.backoff_over(&"a");
        assert_eq!(queue.pop(), None);
        // Forgotten: a new pod under the same key starts without backoff.
        assert_eq!(queue.add("a", t0), None);
        assert_eq!(queue.pop(), Some("a"));
    }

    #[test]
    fn updates_of_failed_pods_requeue_them_after_backoff() {
        let mut queue = SchedulingQueue::default();
        let t0 = Instant::now();
        queue.failed("a", t0);
        assert_eq!(queue.add("a", t0), Some(t0 + INITIAL_BACKOFF));
        assert_eq!(queue.add("a", t0), None, "already backing off");
        queue.backoff_over(&"a");
        assert_eq!(queue.pop(), Some("a"));
    }

    #[test]
    fn stale_unschedulable_pods_are_flushed() {
        let mut queue = SchedulingQueue::default();
        let t0 = Instant::now();
        queue.failed("a", t0);
        queue.flush_stale(t0 + Duration::from_secs(10));
        assert_eq!(queue.pop(), None);
        queue.flush_stale(t0 + MAX_UNSCHEDULABLE_WAIT);
        assert_eq!(queue.pop(), Some("a"));
    }
}
