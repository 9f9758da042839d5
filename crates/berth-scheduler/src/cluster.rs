//! The scheduler's in-memory picture of the cluster, kept current from watch events:
//! nodes with the resources, host ports and pods already placed on them (including pods
//! assumed on a node while their binding is in flight), and the volume objects the
//! volume filter reads. Decisions read only this, never the API server.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use berth_api::pods::{HostPort, host_ports};
use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;

use crate::matching::{AffinityTerm, Labels, pod_labels};
use crate::resources::{Resources, pod_nonzero_requests, pod_requests};

/// The UID of the pod's controller (its StatefulSet, ReplicaSet, …), if any.
pub fn controller_uid(pod: &Pod) -> Option<&str> {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .find(|owner| owner.controller == Some(true))
        .map(|owner| owner.uid.as_str())
}

/// The required anti-affinity terms a pod declares, resolved against its namespace.
pub fn required_anti_affinity(pod: &Pod) -> Vec<AffinityTerm> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    pod.spec
        .as_ref()
        .and_then(|spec| spec.affinity.as_ref())
        .and_then(|affinity| affinity.pod_anti_affinity.as_ref())
        .and_then(|anti| {
            anti.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .into_iter()
        .flatten()
        .map(|term| AffinityTerm::new(term, namespace))
        .collect()
}

/// A pod placed on a node (bound, or assumed while its binding is in flight).
#[derive(Debug, Clone)]
pub struct PlacedPod {
    pub namespace: String,
    pub labels: Labels,
    pub node: String,
    requests: Resources,
    nonzero: (i128, i128),
    host_ports: Vec<HostPort>,
    pub owner: Option<String>,
    pub anti_affinity: Vec<AffinityTerm>,
    pub assumed: bool,
}

impl PlacedPod {
    fn new(pod: &Pod, node: &str, assumed: bool) -> PlacedPod {
        PlacedPod {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            labels: pod_labels(pod).clone(),
            node: node.to_string(),
            requests: pod_requests(pod),
            nonzero: pod_nonzero_requests(pod),
            host_ports: host_ports(pod),
            owner: controller_uid(pod).map(str::to_string),
            anti_affinity: required_anti_affinity(pod),
            assumed,
        }
    }
}

/// A node and what is placed on it.
#[derive(Debug, Clone, Default)]
pub struct NodeState {
    /// `None` while pods name a node the watch has not shown (yet, or any more).
    pub node: Option<Arc<Node>>,
    pub requested: Resources,
    /// CPU and memory with upstream's non-zero defaults, for scoring.
    pub nonzero_requested: (i128, i128),
    pub pod_count: i128,
    pub host_ports: Vec<HostPort>,
    pub pods: HashSet<String>,
    /// Pods placed here per controller UID, for spreading.
    pub by_owner: HashMap<String, i128>,
}

/// Everything the scheduler knows.
#[derive(Debug, Default)]
pub struct Cluster {
    pub nodes: BTreeMap<String, NodeState>,
    /// Placed pods by UID.
    pub pods: HashMap<String, PlacedPod>,
    /// Claims by (namespace, name).
    pub claims: HashMap<(String, String), Arc<PersistentVolumeClaim>>,
    pub volumes: HashMap<String, Arc<PersistentVolume>>,
    pub classes: HashMap<String, Arc<StorageClass>>,
    /// Namespace labels by name, for affinity terms' namespace selectors.
    pub namespaces: HashMap<String, Labels>,
    /// How many placed pods declare required anti-affinity (when none do and the
    /// incoming pod has no affinity, decisions skip the scan over placed pods).
    pub anti_affinity_pods: usize,
}

/// Whether a pod holds resources on its node: bound and not finished.
fn occupies_node(pod: &Pod) -> Option<&str> {
    let node = pod
        .spec
        .as_ref()?
        .node_name
        .as_deref()
        .filter(|n| !n.is_empty())?;
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    (!matches!(phase, Some("Succeeded" | "Failed"))).then_some(node)
}

impl Cluster {
    pub fn set_node(&mut self, node: Arc<Node>) {
        let name = node.metadata.name.clone().unwrap_or_default();
        self.nodes.entry(name).or_default().node = Some(node);
    }

    pub fn remove_node(&mut self, name: &str) {
        if let Some(state) = self.nodes.get_mut(name) {
            state.node = None;
            if state.pods.is_empty() {
                self.nodes.remove(name);
            }
        }
    }

    /// Replaces every node (after a re-list).
    pub fn replace_nodes(&mut self, nodes: impl IntoIterator<Item = Arc<Node>>) {
        let fresh: HashMap<String, Arc<Node>> = nodes
            .into_iter()
            .map(|n| (n.metadata.name.clone().unwrap_or_default(), n))
            .collect();
        let gone: Vec<String> = self
            .nodes
            .keys()
            .filter(|name| !fresh.contains_key(*name))
            .cloned()
            .collect();
        for name in gone {
            self.remove_node(&name);
        }
        for node in fresh.into_values() {
            self.set_node(node);
        }
    }

    /// Records the pod as the watch shows it: placed when bound and not finished,
    /// otherwise not (an assumed placement stays until its binding shows or fails).
    pub fn update_pod(&mut self, pod: &Pod) {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        match occupies_node(pod) {
            Some(node) => {
                self.remove_pod(&uid);
                self.place(uid, PlacedPod::new(pod, node, false));
            }
            None => {
                let bound = pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_ref())
                    .is_some();
                let assumed = self.pods.get(&uid).is_some_and(|p| p.assumed);
                if bound || !assumed {
                    self.remove_pod(&uid);
                }
            }
        }
    }

    /// Replaces every placed pod (after a re-list); assumed placements stay.
    pub fn replace_pods<'a>(&mut self, pods: impl IntoIterator<Item = &'a Pod>) {
        let settled: Vec<String> = self
            .pods
            .iter()
            .filter(|(_, placed)| !placed.assumed)
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in settled {
            self.remove_pod(&uid);
        }
        for pod in pods {
            self.update_pod(pod);
        }
    }

    /// Places `pod` on `node` before the API server confirms it, so the next decisions
    /// see the node's resources taken.
    pub fn assume(&mut self, pod: &Pod, node: &str) {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        self.remove_pod(&uid);
        self.place(uid, PlacedPod::new(pod, node, true));
    }

    /// Drops an assumed placement whose binding failed.
    pub fn forget_assumed(&mut self, uid: &str) {
        if self.pods.get(uid).is_some_and(|p| p.assumed) {
            self.remove_pod(uid);
        }
    }

    pub fn is_assumed(&self, uid: &str) -> bool {
        self.pods.get(uid).is_some_and(|p| p.assumed)
    }

    fn place(&mut self, uid: String, placed: PlacedPod) {
        let state = self.nodes.entry(placed.node.clone()).or_default();
        state.requested.add(&placed.requests);
        state.nonzero_requested.0 += placed.nonzero.0;
        state.nonzero_requested.1 += placed.nonzero.1;
        state.pod_count += 1;
        state.host_ports.extend(placed.host_ports.iter().cloned());
        state.pods.insert(uid.clone());
        if let Some(owner) = &placed.owner {
            *state.by_owner.entry(owner.clone()).or_insert(0) += 1;
        }
        if !placed.anti_affinity.is_empty() {
            self.anti_affinity_pods += 1;
        }
        self.pods.insert(uid, placed);
    }

    pub fn remove_pod(&mut self, uid: &str) {
        let Some(placed) = self.pods.remove(uid) else {
            return;
        };
        if !placed.anti_affinity.is_empty() {
            self.anti_affinity_pods -= 1;
        }
        let Some(state) = self.nodes.get_mut(&placed.node) else {
            return;
        };
        state.requested.subtract(&placed.requests);
        state.nonzero_requested.0 -= placed.nonzero.0;
        state.nonzero_requested.1 -= placed.nonzero.1;
        state.pod_count -= 1;
        for port in &placed.host_ports {
            if let Some(i) = state.host_ports.iter().position(|p| p == port) {
                state.host_ports.swap_remove(i);
            }
        }
        state.pods.remove(uid);
        if let Some(owner) = &placed.owner
            && let Some(count) = state.by_owner.get_mut(owner)
        {
            *count -= 1;
            if *count <= 0 {
                state.by_owner.remove(owner);
            }
        }
        if state.node.is_none() && state.pods.is_empty() {
            self.nodes.remove(&placed.node);
        }
    }

    /// Labels of a namespace (none when unknown).
    pub fn namespace_labels(&self, namespace: &str) -> &Labels {
        static NONE: Labels = BTreeMap::new();
        self.namespaces.get(namespace).unwrap_or(&NONE)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        Container, ContainerPort, NodeStatus, PodSpec, PodStatus, ResourceRequirements,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

    pub fn node(name: &str, cpu: &str, labels: &[(&str, &str)]) -> Arc<Node> {
        Arc::new(Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .chain([("kubernetes.io/hostname".to_string(), name.to_string())])
                        .collect(),
                ),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(NodeStatus {
                allocatable: Some(
                    [
                        ("cpu".to_string(), Quantity(cpu.into())),
                        ("memory".to_string(), Quantity("8Gi".into())),
                        ("pods".to_string(), Quantity("110".into())),
                    ]
                    .into(),
                ),
                conditions: Some(vec![k8s_openapi::api::core::v1::NodeCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    ..Default::default()
                }]),
                ..NodeStatus::default()
            }),
        })
    }

    pub fn pod(name: &str, cpu: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                uid: Some(format!("uid-{name}")),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".into(),
                    resources: (!cpu.is_empty()).then(|| ResourceRequirements {
                        requests: Some([("cpu".to_string(), Quantity(cpu.into()))].into()),
                        ..ResourceRequirements::default()
                    }),
                    ..Container::default()
                }],
                scheduler_name: Some("default-scheduler".into()),
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                ..PodStatus::default()
            }),
        }
    }

    pub fn bound(mut pod: Pod, node: &str) -> Pod {
        pod.spec.as_mut().unwrap().node_name = Some(node.into());
        pod
    }

    pub fn owned_by(mut pod: Pod, owner: &str) -> Pod {
        pod.metadata.owner_references = Some(vec![OwnerReference {
            uid: owner.into(),
            controller: Some(true),
            kind: "StatefulSet".into(),
            name: owner.into(),
            api_version: "apps/v1".into(),
            ..OwnerReference::default()
        }]);
        pod
    }

    pub fn with_host_port(mut pod: Pod, port: i32) -> Pod {
        pod.spec.as_mut().unwrap().containers[0].ports = Some(vec![ContainerPort {
            container_port: 80,
            host_port: Some(port),
            ..ContainerPort::default()
        }]);
        pod
    }

    #[test]
    fn placing_and_removing_pods_keeps_usage_exact() {
        let mut cluster = Cluster::default();
        cluster.set_node(node("n1", "4", &[]));
        let a = owned_by(with_host_port(bound(pod("a", "500m"), "n1"), 8080), "sts");
        cluster.update_pod(&a);
        cluster.update_pod(&a); // repeated events do not double count
        let state = &cluster.nodes["n1"];
        assert_eq!(state.requested.get("cpu"), 500);
        assert_eq!(state.pod_count, 1);
        assert_eq!(state.host_ports.len(), 1);
        assert_eq!(state.by_owner["sts"], 1);

        let mut finished = a.clone();
        finished.status.as_mut().unwrap().phase = Some("Succeeded".into());
        cluster.update_pod(&finished);
        let state = &cluster.nodes["n1"];
        assert_eq!((state.requested.get("cpu"), state.pod_count), (0, 0));
        assert!(state.host_ports.is_empty() && state.by_owner.is_empty());
    }

    #[test]
    fn assumed_pods_count_until_bound_or_forgotten() {
        let mut cluster = Cluster::default();
        cluster.set_node(node("n1", "4", &[]));
        let p = pod("p", "1");
        cluster.assume(&p, "n1");
        assert_eq!(cluster.nodes["n1"].requested.get("cpu"), 1000);
        // The watch still shows the pod unbound: the assumption stays.
        cluster.update_pod(&p);
        assert!(cluster.is_assumed("uid-p"));
        // The binding shows: now a settled placement.
        cluster.update_pod(&bound(p.clone(), "n1"));
        assert!(!cluster.is_assumed("uid-p"));
        assert_eq!(cluster.nodes["n1"].requested.get("cpu"), 1000);

        let q = pod("q", "1");
        cluster.assume(&q, "n1");
        cluster.forget_assumed("uid-q");
        assert_eq!(cluster.nodes["n1"].requested.get("cpu"), 1000);
        cluster.forget_assumed("uid-p"); // settled placements are not forgotten
        assert_eq!(cluster.nodes["n1"].pod_count, 1);
    }

    #[test]
    fn relists_replace_settled_pods_and_nodes() {
        let mut cluster = Cluster::default();
        cluster.set_node(node("n1", "4", &[]));
        cluster.set_node(node("n2", "4", &[]));
        cluster.update_pod(&bound(pod("gone", "1"), "n1"));
        cluster.assume(&pod("inflight", "1"), "n2");
        let kept = bound(pod("kept", "2"), "n1");
        cluster.replace_pods([&kept]);
        assert_eq!(cluster.nodes["n1"].requested.get("cpu"), 2000);
        assert!(cluster.is_assumed("uid-inflight"));
        cluster.replace_nodes([node("n1", "4", &[])]);
        // n2 is gone but still holds the assumed pod's accounting until it is forgotten.
        assert!(cluster.nodes["n2"].node.is_none());
        cluster.forget_assumed("uid-inflight");
        assert!(!cluster.nodes.contains_key("n2"));
    }
}
