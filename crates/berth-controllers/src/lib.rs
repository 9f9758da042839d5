//! berth-controllers: the control loops of berth, written as ordinary Kubernetes API clients
//! (`kube::Client`), so each one also runs against any conforming cluster.
//!
//! Every controller is event-driven (watchers and work queues) and takes a `shutdown`
//! future: when it completes, the controller stops and its `run_*` function returns.

pub mod endpoints;
pub mod error;
pub mod events;
pub mod gc;
pub mod namespace;
pub mod nodelifecycle;
pub mod per_namespace;
pub mod statefulset;
pub mod volumes;

pub use endpoints::run_endpoints_controller;
pub use error::Error;
pub use gc::run_garbage_collector;
pub use namespace::run_namespace_controller;
pub use nodelifecycle::{NodeLifecycleConfig, run_node_lifecycle_controller};
pub use per_namespace::{DefaultServiceAccount, RootCaConfigMap, run_per_namespace_controller};
pub use volumes::{VolumesConfig, ensure_default_storage_class, run_volume_controller};

use berth_api::registry::{RESOURCES, ResourceType};
pub use berth_informer::Informers;
use kube::discovery::ApiResource;
use tokio::sync::watch;

/// What the controllers need from the server that runs them.
#[derive(Debug, Clone)]
pub struct ControllersConfig {
    pub node_lifecycle: NodeLifecycleConfig,
    /// The cluster CA certificate (PEM) published in every namespace.
    pub root_ca_pem: String,
}

/// Runs every controller until `stop` turns true (or its sender is dropped).
pub async fn run(informers: Informers, config: ControllersConfig, stop: watch::Receiver<bool>) {
    let client = informers.client().clone();
    let root_ca = RootCaConfigMap {
        ca_pem: config.root_ca_pem,
    };
    tokio::join!(
        run_garbage_collector(client.clone(), stopped(stop.clone())),
        run_namespace_controller(client, stopped(stop.clone())),
        run_endpoints_controller(informers.clone(), stopped(stop.clone())),
        statefulset::run(informers.clone(), stopped(stop.clone())),
        run_per_namespace_controller(
            informers.clone(),
            DefaultServiceAccount,
            stopped(stop.clone())
        ),
        run_per_namespace_controller(informers.clone(), root_ca, stopped(stop.clone())),
        run_node_lifecycle_controller(informers, config.node_lifecycle, stopped(stop)),
    );
}

/// A shutdown future for the `run_*` functions: completes when `stop` turns true or its
/// sender is dropped.
pub async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Every kind the API server stores, with the `ApiResource` to reach it through
/// `Api<DynamicObject>`. Kinds stored as another (`events.k8s.io` events are the core
/// events in another shape) are left out.
pub(crate) fn stored_kinds() -> impl Iterator<Item = (usize, &'static ResourceType, ApiResource)> {
    RESOURCES
        .iter()
        .enumerate()
        .filter(|(_, kind)| kind.stored_as().is_none())
        .map(|(index, kind)| (index, kind, api_resource(kind)))
}

/// The dynamic-client description of one registry kind.
pub(crate) fn api_resource(kind: &ResourceType) -> ApiResource {
    ApiResource {
        group: kind.group.to_string(),
        version: kind.version.to_string(),
        api_version: kind.api_version(),
        kind: kind.kind.to_string(),
        plural: kind.plural.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `berth server` spawns `run` on the tokio runtime: this fails to compile if the future
    /// stops being `Send + 'static`.
    #[test]
    fn controllers_can_be_spawned() {
        fn spawnable<F: Future + Send + 'static>(
            _: fn(Informers, ControllersConfig, watch::Receiver<bool>) -> F,
        ) {
        }
        spawnable(run);
    }

    #[test]
    fn stored_kinds_skip_the_events_k8s_io_alias() {
        let kinds: Vec<_> = stored_kinds()
            .map(|(_, kind, resource)| (kind.group, resource))
            .collect();
        assert!(kinds.iter().all(|(group, _)| *group != "events.k8s.io"));
        assert_eq!(kinds.len(), RESOURCES.len() - 1);
        let (_, pods) = kinds.iter().find(|(_, r)| r.plural == "pods").unwrap();
        assert_eq!(
            (pods.api_version.as_str(), pods.kind.as_str()),
            ("v1", "Pod")
        );
        let (_, sts) = kinds
            .iter()
            .find(|(_, r)| r.plural == "statefulsets")
            .unwrap();
        assert_eq!(
            (sts.group.as_str(), sts.api_version.as_str()),
            ("apps", "apps/v1")
        );
    }
}
