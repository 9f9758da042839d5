//! berth-controllers: the control loops of berth, written as ordinary Kubernetes API clients
//! (`kube::Client`), so each one also runs against any conforming cluster.
//!
//! Every controller is event-driven (watchers and work queues) and takes a `shutdown`
//! future: when it completes, the controller stops and its `run_*` function returns.

pub mod error;
pub mod gc;
pub mod namespace;

pub use error::Error;
pub use gc::run_garbage_collector;
pub use namespace::run_namespace_controller;

use berth_api::registry::{RESOURCES, ResourceType};
use kube::discovery::ApiResource;

/// Every kind the API server stores, with the `ApiResource` to reach it through
/// `Api<DynamicObject>`. `events.k8s.io` events are left out: they are the core events
/// under another name.
pub(crate) fn stored_kinds() -> impl Iterator<Item = (usize, &'static ResourceType, ApiResource)> {
    RESOURCES
        .iter()
        .enumerate()
        .filter(|(_, kind)| kind.group != "events.k8s.io")
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
