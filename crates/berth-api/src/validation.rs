//! Validation with upstream's field paths and messages.

use crate::FieldError;

/// Validation of a kind on create and on update. Kinds without rules keep the defaults.
pub trait Validation {
    fn validate_create(&self) -> Vec<FieldError> {
        Vec::new()
    }
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        self.validate_create()
    }
}

macro_rules! no_validation {
    ($($t:ty),* $(,)?) => { $(impl Validation for $t {})* };
}

use k8s_openapi::api::{apps, coordination, core, discovery, events, rbac, storage};

no_validation!(
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
