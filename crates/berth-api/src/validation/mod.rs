//! Validation with upstream's field paths, error types, values and messages (Kubernetes
//! v1.37). The API server handles the generic parts itself (name presence, generateName,
//! identity fields, status/spec split); everything kind-specific is here.
//!
//! Shared helpers the API server and controllers may call: [`names`] (DNS labels and
//! subdomains, qualified names, label values, config keys, port names), [`meta`] (object
//! metadata, labels, annotations, owner references, finalizers, label selectors),
//! [`quantity`] (resource quantities).

pub mod core;
pub mod meta;
pub mod names;
pub mod pod;
pub mod quantity;
pub mod rbac;
pub mod storage;
pub mod workloads;

use k8s_openapi::api::{
    apps, coordination, core as corev1, discovery, events, rbac as rbacv1, storage as storagev1,
};

use crate::FieldError;
use crate::field_error::Path;

pub use meta::{validate_label_selector, validate_labels, validate_object_meta};
pub use names::{name_is_dns_label, name_is_dns_subdomain, name_is_dns1035_label};

/// Validation of a kind on create and on update.
pub trait Validation {
    fn validate_create(&self) -> Vec<FieldError> {
        Vec::new()
    }
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        self.validate_create()
    }
}

/// The name check upstream applies to objects of a kind (`<Kind>.ValidateName`), for the
/// API server's own use (e.g. on generateName or on subresources).
pub fn object_name_validator(group: &str, kind: &str) -> names::NameFn {
    match (group, kind) {
        ("", "Namespace") | ("apps", "StatefulSet") => name_is_dns_label,
        ("", "Service") => name_is_dns1035_label,
        ("rbac.authorization.k8s.io", _) => names::name_is_path_segment,
        _ => name_is_dns_subdomain,
    }
}

/// Messages for `name` under the rules of `kind`; empty when valid.
pub fn validate_object_name(group: &str, kind: &str, name: &str) -> Vec<String> {
    object_name_validator(group, kind)(name, false)
}

fn metadata_update(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Vec<FieldError> {
    meta::validate_object_meta_update(meta, &Path::new("metadata"))
}

impl Validation for apps::v1::StatefulSet {
    fn validate_create(&self) -> Vec<FieldError> {
        workloads::validate_statefulset(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        workloads::validate_statefulset_update(self, old)
    }
}

impl Validation for apps::v1::ControllerRevision {
    fn validate_create(&self) -> Vec<FieldError> {
        workloads::validate_controller_revision(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        workloads::validate_controller_revision_update(self, old)
    }
}

impl Validation for corev1::v1::Pod {
    fn validate_create(&self) -> Vec<FieldError> {
        pod::validate_pod_create(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        pod::validate_pod_update(self, old)
    }
}

impl Validation for corev1::v1::PersistentVolumeClaim {
    fn validate_create(&self) -> Vec<FieldError> {
        storage::validate_persistent_volume_claim(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        storage::validate_persistent_volume_claim_update(self, old)
    }
}

impl Validation for corev1::v1::PersistentVolume {
    fn validate_create(&self) -> Vec<FieldError> {
        storage::validate_persistent_volume(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        storage::validate_persistent_volume_update(self, old)
    }
}

impl Validation for storagev1::v1::StorageClass {
    fn validate_create(&self) -> Vec<FieldError> {
        storage::validate_storage_class(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        storage::validate_storage_class_update(self, old)
    }
}

impl Validation for corev1::v1::Service {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_service(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        core::validate_service_update(self, old)
    }
}

impl Validation for corev1::v1::ConfigMap {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_config_map(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        core::validate_config_map_update(self, old)
    }
}

impl Validation for corev1::v1::Secret {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_secret(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        core::validate_secret_update(self, old)
    }
}

impl Validation for corev1::v1::Namespace {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_namespace(self)
    }
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        core::validate_namespace_update(self)
    }
}

impl Validation for corev1::v1::Node {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_node(self)
    }
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        core::validate_node_update(self)
    }
}

impl Validation for corev1::v1::ServiceAccount {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_service_account(self)
    }
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        metadata_update(&self.metadata)
    }
}

impl Validation for corev1::v1::Endpoints {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_endpoints(self)
    }
}

impl Validation for discovery::v1::EndpointSlice {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_endpoint_slice(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        core::validate_endpoint_slice_update(self, old)
    }
}

impl Validation for corev1::v1::Event {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_event(self)
    }
}

impl Validation for events::v1::Event {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_events_v1_event(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        core::validate_events_v1_event_update(self, old)
    }
}

impl Validation for coordination::v1::Lease {
    fn validate_create(&self) -> Vec<FieldError> {
        core::validate_lease(self)
    }
}

impl Validation for rbacv1::v1::Role {
    fn validate_create(&self) -> Vec<FieldError> {
        rbac::validate_role(self)
    }
}

impl Validation for rbacv1::v1::ClusterRole {
    fn validate_create(&self) -> Vec<FieldError> {
        rbac::validate_cluster_role(self)
    }
}

impl Validation for rbacv1::v1::RoleBinding {
    fn validate_create(&self) -> Vec<FieldError> {
        rbac::validate_role_binding(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        let mut errs = rbac::validate_role_binding(self);
        errs.extend(rbac::validate_role_ref_update(
            &self.role_ref,
            &old.role_ref,
        ));
        errs
    }
}

impl Validation for rbacv1::v1::ClusterRoleBinding {
    fn validate_create(&self) -> Vec<FieldError> {
        rbac::validate_cluster_role_binding(self)
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        let mut errs = rbac::validate_cluster_role_binding(self);
        errs.extend(rbac::validate_role_ref_update(
            &self.role_ref,
            &old.role_ref,
        ));
        errs
    }
}
