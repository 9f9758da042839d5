//! Defaulting, as upstream's `SetDefaults_*` functions (Kubernetes v1.37, default feature
//! gates) and the defaulting admission plugins do it. Quantities in resource lists are also
//! rewritten in canonical form, as upstream's serialization does.

pub mod pod;

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::PersistentVolumeClaimStatus;
use k8s_openapi::api::{apps, coordination, core, discovery, events, rbac, storage};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use self::pod::{
    canonicalize_resource_list, default_persistent_volume_claim_spec, default_pod,
    default_pod_template_spec,
};

/// Fills in the fields upstream defaults on write. Kinds without defaults keep the no-op.
pub trait Defaulting {
    fn apply_defaults(&mut self) {}
}

fn set_if_empty(field: &mut Option<String>, value: &str) {
    if field.as_deref().is_none_or(str::is_empty) {
        *field = Some(value.to_string());
    }
}

/// `SetDefaults_StatefulSet`, with MaxUnavailableStatefulSet on (beta, on in v1.37).
impl Defaulting for StatefulSet {
    fn apply_defaults(&mut self) {
        let spec = &mut self.spec;
        set_if_empty(&mut spec.pod_management_policy, "OrderedReady");
        let strategy = spec
            .update_strategy
            .get_or_insert_with(StatefulSetUpdateStrategy::default);
        if strategy.type_.as_deref().is_none_or(str::is_empty) {
            strategy.type_ = Some("RollingUpdate".to_string());
            strategy
                .rolling_update
                .get_or_insert_with(RollingUpdateStatefulSetStrategy::default);
        }
        if strategy.type_.as_deref() == Some("RollingUpdate")
            && let Some(ru) = &mut strategy.rolling_update
        {
            ru.partition.get_or_insert(0);
            ru.max_unavailable.get_or_insert(IntOrString::Int(1));
        }
        let retention = spec
            .persistent_volume_claim_retention_policy
            .get_or_insert_with(StatefulSetPersistentVolumeClaimRetentionPolicy::default);
        set_if_empty(&mut retention.when_deleted, "Retain");
        set_if_empty(&mut retention.when_scaled, "Retain");
        spec.replicas.get_or_insert(1);
        spec.revision_history_limit.get_or_insert(10);
        default_pod_template_spec(&mut spec.template);
        for claim in spec.volume_claim_templates.iter_mut().flatten() {
            claim.apply_defaults();
        }
    }
}

impl Defaulting for core::v1::Pod {
    fn apply_defaults(&mut self) {
        default_pod(self);
    }
}

impl Defaulting for core::v1::PersistentVolumeClaim {
    fn apply_defaults(&mut self) {
        default_persistent_volume_claim_spec(self.spec.get_or_insert_with(Default::default));
        let status = self
            .status
            .get_or_insert_with(PersistentVolumeClaimStatus::default);
        set_if_empty(&mut status.phase, "Pending");
        canonicalize_resource_list(&mut status.capacity);
    }
}

impl Defaulting for core::v1::PersistentVolume {
    fn apply_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        set_if_empty(&mut spec.persistent_volume_reclaim_policy, "Retain");
        set_if_empty(&mut spec.volume_mode, "Filesystem");
        if let Some(hp) = &mut spec.host_path {
            hp.type_.get_or_insert_with(String::new);
        }
        canonicalize_resource_list(&mut spec.capacity);
        set_if_empty(
            &mut self.status.get_or_insert_with(Default::default).phase,
            "Pending",
        );
    }
}

impl Defaulting for storage::v1::StorageClass {
    fn apply_defaults(&mut self) {
        set_if_empty(&mut self.reclaim_policy, "Delete");
        set_if_empty(&mut self.volume_binding_mode, "Immediate");
    }
}

/// `SetDefaults_Service` plus the IP family fields the registry fills in on a single-stack
/// IPv4 cluster (the cluster IP itself is allocated by the API server).
impl Defaulting for core::v1::Service {
    fn apply_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        set_if_empty(&mut spec.session_affinity, "None");
        match spec.session_affinity.as_deref() {
            Some("None") => spec.session_affinity_config = None,
            Some("ClientIP") => {
                let config = spec
                    .session_affinity_config
                    .get_or_insert_with(Default::default);
                let client_ip = config.client_ip.get_or_insert_with(Default::default);
                client_ip.timeout_seconds.get_or_insert(10800);
            }
            _ => {}
        }
        set_if_empty(&mut spec.type_, "ClusterIP");
        for port in spec.ports.iter_mut().flatten() {
            set_if_empty(&mut port.protocol, "TCP");
            pod::default_target_port(port.port, &mut port.target_port);
        }
        let type_ = spec.type_.clone().unwrap_or_default();
        if matches!(type_.as_str(), "NodePort" | "LoadBalancer") {
            set_if_empty(&mut spec.external_traffic_policy, "Cluster");
        }
        if matches!(type_.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
            spec.internal_traffic_policy
                .get_or_insert_with(|| "Cluster".to_string());
        }
        if type_ == "LoadBalancer" {
            spec.allocate_load_balancer_node_ports.get_or_insert(true);
        }
        if type_ != "ExternalName" {
            let headless_without_selector = spec.cluster_ip.as_deref() == Some("None")
                && spec.selector.as_ref().is_none_or(BTreeMap::is_empty);
            let policy = if headless_without_selector {
                "RequireDualStack"
            } else {
                "SingleStack"
            };
            spec.ip_family_policy
                .get_or_insert_with(|| policy.to_string());
            if spec.ip_families.as_ref().is_none_or(Vec::is_empty) {
                spec.ip_families = Some(vec!["IPv4".to_string()]);
            }
        }
    }
}

/// Type Opaque; `stringData` is merged into `data` (it is write-only upstream).
impl Defaulting for core::v1::Secret {
    fn apply_defaults(&mut self) {
        set_if_empty(&mut self.type_, "Opaque");
        if let Some(string_data) = self.string_data.take() {
            let data = self.data.get_or_insert_with(BTreeMap::new);
            for (k, v) in string_data {
                data.insert(k, ByteString(v.into_bytes()));
            }
        }
    }
}

/// The `kubernetes.io/metadata.name` label and phase Active.
impl Defaulting for core::v1::Namespace {
    fn apply_defaults(&mut self) {
        if let Some(name) = self.metadata.name.clone().filter(|n| !n.is_empty()) {
            self.metadata
                .labels
                .get_or_insert_with(BTreeMap::new)
                .insert("kubernetes.io/metadata.name".into(), name);
        }
        set_if_empty(
            &mut self.status.get_or_insert_with(Default::default).phase,
            "Active",
        );
    }
}

/// Allocatable defaults to capacity.
impl Defaulting for core::v1::Node {
    fn apply_defaults(&mut self) {
        if let Some(status) = &mut self.status {
            canonicalize_resource_list(&mut status.capacity);
            canonicalize_resource_list(&mut status.allocatable);
            if status.allocatable.is_none() {
                status.allocatable = status.capacity.clone();
            }
        }
    }
}

impl Defaulting for core::v1::Endpoints {
    fn apply_defaults(&mut self) {
        for port in self
            .subsets
            .iter_mut()
            .flatten()
            .flat_map(|s| s.ports.iter_mut().flatten())
        {
            set_if_empty(&mut port.protocol, "TCP");
        }
    }
}

impl Defaulting for discovery::v1::EndpointSlice {
    fn apply_defaults(&mut self) {
        for port in self.ports.iter_mut().flatten() {
            port.name.get_or_insert_with(String::new);
            set_if_empty(&mut port.protocol, "TCP");
        }
    }
}

fn default_subjects(subjects: &mut Option<Vec<rbac::v1::Subject>>) {
    for subject in subjects.iter_mut().flatten() {
        if matches!(subject.kind.as_str(), "User" | "Group") {
            set_if_empty(&mut subject.api_group, "rbac.authorization.k8s.io");
        }
    }
}

impl Defaulting for rbac::v1::RoleBinding {
    fn apply_defaults(&mut self) {
        set_if_empty(&mut self.role_ref.api_group, "rbac.authorization.k8s.io");
        default_subjects(&mut self.subjects);
    }
}

impl Defaulting for rbac::v1::ClusterRoleBinding {
    fn apply_defaults(&mut self) {
        set_if_empty(&mut self.role_ref.api_group, "rbac.authorization.k8s.io");
        default_subjects(&mut self.subjects);
    }
}

macro_rules! no_defaults {
    ($($t:ty),* $(,)?) => { $(impl Defaulting for $t {})* };
}

no_defaults!(
    core::v1::ConfigMap,
    core::v1::ServiceAccount,
    core::v1::Event,
    apps::v1::ControllerRevision,
    coordination::v1::Lease,
    events::v1::Event,
    rbac::v1::ClusterRole,
    rbac::v1::Role,
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaulted<T: Defaulting + serde::de::DeserializeOwned + serde::Serialize>(
        v: serde_json::Value,
    ) -> serde_json::Value {
        let mut obj: T = serde_json::from_value(v).unwrap();
        obj.apply_defaults();
        serde_json::to_value(&obj).unwrap()
    }

    #[test]
    fn statefulset_defaults() {
        let got = defaulted::<StatefulSet>(json!({
            "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "serviceName": "web",
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}}}]}
        }));
        let spec = &got["spec"];
        assert_eq!(spec["replicas"], 1);
        assert_eq!(spec["podManagementPolicy"], "OrderedReady");
        assert_eq!(
            spec["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}})
        );
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(
            spec["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        assert_eq!(spec["template"]["spec"]["restartPolicy"], "Always");
        assert_eq!(
            spec["template"]["spec"]["terminationGracePeriodSeconds"],
            30
        );
        assert!(spec["template"]["spec"].get("enableServiceLinks").is_none());
        assert_eq!(
            spec["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        let claim = &spec["volumeClaimTemplates"][0];
        assert_eq!(claim["spec"]["volumeMode"], "Filesystem");
        assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "1Gi");
        assert_eq!(claim["status"], json!({"phase": "Pending"}));
    }

    #[test]
    fn explicit_rolling_update_type_gets_no_block() {
        let got = defaulted::<StatefulSet>(json!({"spec": {"selector": {}, "template": {},
            "updateStrategy": {"type": "RollingUpdate"}}}));
        assert_eq!(
            got["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate"})
        );
        let got = defaulted::<StatefulSet>(json!({"spec": {"selector": {}, "template": {},
            "updateStrategy": {"type": "OnDelete"}}}));
        assert_eq!(got["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
        let got = defaulted::<StatefulSet>(json!({"spec": {"selector": {}, "template": {},
            "updateStrategy": {"rollingUpdate": {"partition": 2}}}}));
        assert_eq!(
            got["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2, "maxUnavailable": 1}})
        );
    }

    #[test]
    fn service_defaults() {
        let got = defaulted::<core::v1::Service>(json!({"metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}, {"port": 443, "targetPort": "https"}]}}));
        assert_eq!(
            got["spec"],
            json!({"type": "ClusterIP", "sessionAffinity": "None", "selector": {"app": "web"},
                "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80},
                          {"port": 443, "protocol": "TCP", "targetPort": "https"}],
                "internalTrafficPolicy": "Cluster", "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]})
        );
        let got = defaulted::<core::v1::Service>(
            json!({"spec": {"clusterIP": "None", "ports": [{"port": 80}]}}),
        );
        assert_eq!(got["spec"]["ipFamilyPolicy"], "RequireDualStack");
        let got = defaulted::<core::v1::Service>(
            json!({"spec": {"type": "ExternalName", "externalName": "a.b"}}),
        );
        assert!(got["spec"].get("ipFamilies").is_none());
        assert!(got["spec"].get("internalTrafficPolicy").is_none());
    }

    #[test]
    fn other_kind_defaults() {
        let got = defaulted::<core::v1::Secret>(json!({"stringData": {"k": "v"}}));
        assert_eq!(
            (&got["type"], &got["data"]),
            (&json!("Opaque"), &json!({"k": "dg=="}))
        );
        assert!(got.get("stringData").is_none());
        let got = defaulted::<storage::v1::StorageClass>(
            json!({"metadata": {"name": "s"}, "provisioner": "p"}),
        );
        assert_eq!(got["reclaimPolicy"], "Delete");
        assert_eq!(got["volumeBindingMode"], "Immediate");
        let got = defaulted::<core::v1::Namespace>(json!({"metadata": {"name": "team-a"}}));
        assert_eq!(
            got["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": "team-a"})
        );
        assert_eq!(got["status"]["phase"], "Active");
        let got =
            defaulted::<core::v1::PersistentVolume>(json!({"spec": {"hostPath": {"path": "/x"}}}));
        assert_eq!(got["spec"]["persistentVolumeReclaimPolicy"], "Retain");
        assert_eq!(got["spec"]["hostPath"]["type"], "");
        let got = defaulted::<rbac::v1::RoleBinding>(
            json!({"roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "sa"}]}),
        );
        assert_eq!(got["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
        assert_eq!(got["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
        assert!(got["subjects"][1].get("apiGroup").is_none());
    }
}
