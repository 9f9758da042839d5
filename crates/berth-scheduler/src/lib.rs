//! berth-scheduler: places pods on nodes, as an ordinary Kubernetes API client.
//!
//! It watches unbound pods and the nodes, claims, volumes, classes and namespaces a
//! decision depends on, keeps an in-memory picture of what runs where ([`cluster`]),
//! filters and scores nodes with upstream's default rules that apply to berth
//! ([`schedule`], [`volumes`]) and binds through `pods/binding`. Pods that fit nowhere get
//! a `FailedScheduling` event and `PodScheduled=False`, and are retried with backoff when
//! the cluster changes ([`queue`]).

pub mod cluster;
pub mod error;
pub mod events;
pub mod matching;
pub mod queue;
pub mod resources;
mod run;
pub mod schedule;
pub mod volumes;

use berth_informer::Informers;
use tokio::sync::watch;

pub use error::Error;

/// Runs the scheduler until `stop` turns true (or its sender is dropped), as a client of
/// the API server `informers` watch through.
pub async fn run(informers: Informers, stop: watch::Receiver<bool>) {
    run::Scheduler::new(&informers).run(stop).await;
}

/// Completes when `stop` turns true or its sender is dropped.
pub(crate) async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here, not across an await.
    let _ = stop.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `berth server` spawns `run` on the tokio runtime: this fails to compile if the
    /// future stops being `Send + 'static`.
    #[test]
    fn scheduler_can_be_spawned() {
        fn spawnable<F: Future + Send + 'static>(_: fn(Informers, watch::Receiver<bool>) -> F) {}
        spawnable(run);
    }
}
