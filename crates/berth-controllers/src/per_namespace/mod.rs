//! Controllers that keep one named object in every active namespace, re-creating it when it
//! is deleted and repairing it when it is edited: upstream's serviceaccounts-controller
//! ([`DefaultServiceAccount`]) and root-ca-cert-publisher ([`RootCaConfigMap`]).
//!
//! Each follows the namespaces (shared informer) and the objects of its name in every
//! namespace (a watch with a `metadata.name` field selector); a change to either queues
//! the namespace, and a worker compares what is there with what should be.

mod root_ca;
mod service_account;

pub use root_ca::RootCaConfigMap;
pub use service_account::DefaultServiceAccount;

use std::future::Future;
use std::sync::Arc;

use berth_informer::{Informer, Informers};
use futures::{StreamExt, stream};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use tracing::{info, instrument, warn};

use crate::Error;
use crate::gc::queue::WorkQueue;

const WORKERS: usize = 2;

/// An object kept in every active namespace.
pub trait PerNamespaceObject: Send + Sync + 'static {
    type Kind: berth_informer::Kind + Resource<Scope = NamespaceResourceScope> + Serialize;
    /// Its name in every namespace.
    const NAME: &'static str;
    /// The controller's name, as upstream's controller manager calls it.
    const CONTROLLER: &'static str;

    /// What to write, given the object of that name found in the namespace.
    fn step(&self, found: Option<&Self::Kind>) -> Step<Self::Kind>;
}

/// What a namespace needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<K> {
    /// It is as it should be.
    Keep,
    Create(K),
    /// The found object, repaired (it keeps its resourceVersion, so a concurrent edit
    /// makes the write fail and the namespace is looked at again).
    Replace(K),
}

/// Whether objects are kept in the namespace: not while it is being deleted (the
/// namespace controller is emptying it, and the API server refuses new content).
pub fn is_active(namespace: &Namespace) -> bool {
    let phase = namespace.status.as_ref().and_then(|s| s.phase.as_deref());
    phase == Some("Active") && namespace.metadata.deletion_timestamp.is_none()
}

/// Runs the controller keeping `object` in every active namespace until `shutdown`
/// completes.
pub async fn run_per_namespace_controller<P: PerNamespaceObject>(
    informers: Informers,
    object: P,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let client = informers.client().clone();
    let namespaces = informers.get::<Namespace>();
    let (found, found_writer) = reflector::store::<P::Kind>();
    let by_name = watcher::Config::default().fields(&format!("metadata.name={}", P::NAME));
    let object_events = reflector::reflector(
        found_writer,
        watcher(Api::<P::Kind>::all(client.clone()), by_name),
    )
    .default_backoff()
    .touched_objects()
    .map(|event| event.map(|o| o.namespace().unwrap_or_default()));
    let namespace_events = namespaces
        .touched_objects()
        .map(|namespace| Ok(namespace.name_any()));
    let events = stream::select(object_events.boxed(), namespace_events.boxed());

    let controller = Arc::new(Controller {
        client,
        object,
        namespaces,
        found,
        queue: WorkQueue::new(),
    });
    let workers = async {
        let (found_synced, ()) = futures::future::join(
            controller.found.wait_until_ready(),
            controller.namespaces.synced(),
        )
        .await;
        if found_synced.is_ok() {
            futures::future::join_all((0..WORKERS).map(|_| controller.work())).await;
        }
    };
    controller
        .queue
        .run_until(shutdown, controller.follow(events), workers)
        .await;
}

struct Controller<P: PerNamespaceObject> {
    client: Client,
    object: P,
    namespaces: Informer<Namespace>,
    /// The objects named `P::NAME`, in every namespace.
    found: Store<P::Kind>,
    /// Namespace names.
    queue: Arc<WorkQueue<String>>,
}

impl<P: PerNamespaceObject> Controller<P> {
    async fn follow(
        &self,
        mut events: impl futures::Stream<Item = Result<String, watcher::Error>> + Unpin,
    ) {
        while let Some(event) = events.next().await {
            match event {
                Ok(namespace) => self.queue.add(namespace),
                Err(error) => warn!(controller = P::CONTROLLER, %error, "watch failed; retrying"),
            }
        }
    }

    async fn work(&self) {
        while let Some(namespace) = self.queue.next().await {
            let result = self.sync(&namespace).await;
            self.queue.finish(&namespace, result, P::CONTROLLER);
        }
    }

    #[instrument(skip_all, fields(controller = P::CONTROLLER, namespace))]
    async fn sync(&self, namespace: &str) -> Result<(), Error> {
        tracing::Span::current().record("namespace", namespace);
        let active = self.namespaces.get("", namespace);
        if !active.is_some_and(|n| is_active(&n)) {
            return Ok(());
        }
        let found = self.found.get(&ObjectRef::new(P::NAME).within(namespace));
        let api = Api::<P::Kind>::namespaced(self.client.clone(), namespace);
        let (written, done) = match self.object.step(found.as_deref()) {
            Step::Keep => return Ok(()),
            Step::Create(object) => (api.create(&PostParams::default(), &object).await, "created"),
            Step::Replace(object) => (
                api.replace(P::NAME, &PostParams::default(), &object).await,
                "repaired",
            ),
        };
        match written {
            Ok(_) => {
                info!(name = P::NAME, "{done}");
                Ok(())
            }
            Err(kube::Error::Api(status)) if write_is_moot(&status) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Refusals that leave nothing to do: the object was created meanwhile, or deleted
/// meanwhile (its watch event queues the namespace again), or the namespace is gone or
/// terminating (the API server forbids new content there).
fn write_is_moot(status: &kube::core::Status) -> bool {
    status.is_already_exists()
        || status.is_not_found()
        || crate::error::is_namespace_terminating(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_active_namespaces_get_objects() {
        let namespace =
            |value: serde_json::Value| -> Namespace { serde_json::from_value(value).unwrap() };
        let active = namespace(json!({"metadata": {"name": "a"}, "status": {"phase": "Active"}}));
        assert!(is_active(&active));
        let terminating =
            namespace(json!({"metadata": {"name": "a"}, "status": {"phase": "Terminating"}}));
        assert!(!is_active(&terminating));
        // Deleted but not yet marked Terminating in the cache.
        let deleted = namespace(json!({"metadata": {"name": "a",
            "deletionTimestamp": "2026-01-01T00:00:00Z"}, "status": {"phase": "Active"}}));
        assert!(!is_active(&deleted));
        assert!(!is_active(&namespace(json!({"metadata": {"name": "a"}}))));
    }

    #[test]
    fn only_refusals_that_leave_nothing_to_do_are_moot() {
        let status = |code: u16, reason: &str| kube::core::Status {
            code,
            reason: reason.to_string(),
            ..kube::core::Status::default()
        };
        assert!(write_is_moot(&status(409, "AlreadyExists")));
        assert!(write_is_moot(&status(404, "NotFound")));
        // Only the terminating namespace's refusal: other 403s are real failures.
        assert!(!write_is_moot(&status(403, "Forbidden")));
        let terminating: kube::core::Status = serde_json::from_value(json!({
            "status": "Failure", "code": 403, "reason": "Forbidden", "message": "",
            "details": {"causes": [{"reason": "NamespaceTerminating", "message": "", "field": ""}]},
        }))
        .unwrap();
        assert!(write_is_moot(&terminating));
        assert!(!write_is_moot(&status(409, "Conflict")));
        assert!(!write_is_moot(&status(500, "InternalError")));
        assert!(!write_is_moot(&status(422, "Invalid")));
    }
}
