//! Resource amounts of pods and nodes, in thousandths of a unit (millicores for CPU,
//! milli-bytes for memory), so every resource adds up in one integer type.

use std::collections::BTreeMap;

use berth_api::validation::quantity::parse_quantity;
use k8s_openapi::api::core::v1::{Container, Node, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

pub const CPU: &str = "cpu";
pub const MEMORY: &str = "memory";
pub const PODS: &str = "pods";

/// What the scoring assumes a container without requests uses (upstream's non-zero
/// defaults): 100 millicores and 200 MiB.
const DEFAULT_MILLI_CPU: i128 = 100;
const DEFAULT_MEMORY_BYTES: i128 = 200 * 1024 * 1024;

/// Amounts by resource name, in thousandths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources(BTreeMap<String, i128>);

impl Resources {
    pub fn get(&self, name: &str) -> i128 {
        self.0.get(name).copied().unwrap_or(0)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, i128)> {
        self.0.iter().map(|(name, amount)| (name.as_str(), *amount))
    }

    pub fn add(&mut self, other: &Resources) {
        for (name, amount) in other.iter() {
            *self.0.entry(name.to_string()).or_insert(0) += amount;
        }
    }

    pub fn subtract(&mut self, other: &Resources) {
        for (name, amount) in other.iter() {
            *self.0.entry(name.to_string()).or_insert(0) -= amount;
        }
    }

    /// Each resource the larger of the two.
    fn max_with(&mut self, other: &Resources) {
        for (name, amount) in other.iter() {
            let entry = self.0.entry(name.to_string()).or_insert(0);
            *entry = (*entry).max(amount);
        }
    }

    /// Parses a resource list; unparsable amounts count as zero (validation rejects
    /// them before they get here).
    pub fn from_list(list: Option<&BTreeMap<String, Quantity>>) -> Resources {
        Resources(
            list.into_iter()
                .flatten()
                .map(|(name, quantity)| {
                    let milli = parse_quantity(&quantity.0).map_or(0, |q| q.milli_value());
                    (name.clone(), milli)
                })
                .collect(),
        )
    }
}

fn container_requests(container: &Container) -> Resources {
    // A limit without a request means a request of the same amount (API defaulting does
    // this too; repeating it here keeps pods created elsewhere right).
    let resources = container.resources.as_ref();
    let mut requests = Resources::from_list(resources.and_then(|r| r.limits.as_ref()));
    for (name, amount) in Resources::from_list(resources.and_then(|r| r.requests.as_ref())).iter() {
        requests.0.insert(name.to_string(), amount);
    }
    requests
}

/// What a pod asks of its node: its pod-level requests when set, else the larger of
/// (containers + sidecars) and the largest init container running beside the sidecars
/// started before it; plus the pod overhead.
pub fn pod_requests(pod: &Pod) -> Resources {
    let Some(spec) = &pod.spec else {
        return Resources::default();
    };
    let mut total = Resources::default();
    for container in &spec.containers {
        total.add(&container_requests(container));
    }
    let mut sidecars = Resources::default();
    let mut init_peak = Resources::default();
    for init in spec.init_containers.iter().flatten() {
        let requests = container_requests(init);
        if init.restart_policy.as_deref() == Some("Always") {
            sidecars.add(&requests);
            init_peak.max_with(&sidecars);
        } else {
            let mut running = sidecars.clone();
            running.add(&requests);
            init_peak.max_with(&running);
        }
    }
    total.add(&sidecars);
    total.max_with(&init_peak);
    if let Some(pod_level) = spec.resources.as_ref().and_then(|r| r.requests.as_ref()) {
        for (name, amount) in Resources::from_list(Some(pod_level)).iter() {
            total.0.insert(name.to_string(), amount);
        }
    }
    total.add(&Resources::from_list(spec.overhead.as_ref()));
    total
}

/// CPU and memory (in thousandths) a pod is assumed to use when scoring: containers
/// without requests count the non-zero defaults.
pub fn pod_nonzero_requests(pod: &Pod) -> (i128, i128) {
    let Some(spec) = &pod.spec else {
        return (0, 0);
    };
    spec.containers
        .iter()
        .fold((0, 0), |(cpu, memory), container| {
            let requests = container_requests(container);
            let or_default = |name: &str, default: i128| {
                if requests.0.contains_key(name) {
                    requests.get(name)
                } else {
                    default
                }
            };
            (
                cpu + or_default(CPU, DEFAULT_MILLI_CPU),
                memory + or_default(MEMORY, DEFAULT_MEMORY_BYTES * 1000),
            )
        })
}

/// The node's allocatable resources (capacity when allocatable is not reported).
pub fn node_allocatable(node: &Node) -> Resources {
    let status = node.status.as_ref();
    let list = status
        .and_then(|s| s.allocatable.as_ref())
        .or_else(|| status.and_then(|s| s.capacity.as_ref()));
    Resources::from_list(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeStatus, PodSpec, ResourceRequirements};

    fn list(items: &[(&str, &str)]) -> Option<BTreeMap<String, Quantity>> {
        (!items.is_empty()).then(|| {
            items
                .iter()
                .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                .collect()
        })
    }

    fn container(requests: &[(&str, &str)], limits: &[(&str, &str)], sidecar: bool) -> Container {
        Container {
            name: "c".into(),
            resources: Some(ResourceRequirements {
                requests: list(requests),
                limits: list(limits),
                ..ResourceRequirements::default()
            }),
            restart_policy: sidecar.then(|| "Always".to_string()),
            ..Container::default()
        }
    }

    fn pod(containers: Vec<Container>, init: Vec<Container>) -> Pod {
        Pod {
            spec: Some(PodSpec {
                containers,
                init_containers: Some(init),
                ..PodSpec::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn pod_requests_table() {
        type Case = (&'static str, Pod, &'static [(&'static str, i128)]);
        let cases: Vec<Case> = vec![
            (
                "nothing",
                pod(vec![container(&[], &[], false)], vec![]),
                &[(CPU, 0)],
            ),
            (
                "containers add up",
                pod(
                    vec![
                        container(&[("cpu", "250m"), ("memory", "64Mi")], &[], false),
                        container(&[("cpu", "1"), ("nvidia.com/gpu", "1")], &[], false),
                    ],
                    vec![],
                ),
                &[
                    (CPU, 1250),
                    (MEMORY, 64 * 1024 * 1024 * 1000),
                    ("nvidia.com/gpu", 1000),
                ],
            ),
            (
                "limit stands in for a missing request",
                pod(vec![container(&[], &[("cpu", "2")], false)], vec![]),
                &[(CPU, 2000)],
            ),
            (
                "a big init container dominates",
                pod(
                    vec![container(&[("cpu", "500m")], &[], false)],
                    vec![container(&[("cpu", "2")], &[], false)],
                ),
                &[(CPU, 2000)],
            ),
            (
                "sidecars add to the containers and to later init containers",
                pod(
                    vec![container(&[("cpu", "500m")], &[], false)],
                    vec![
                        container(&[("cpu", "300m")], &[], true),
                        container(&[("cpu", "1")], &[], false),
                    ],
                ),
                &[(CPU, 1300)],
            ),
        ];
        for (name, pod, expected) in cases {
            let requests = pod_requests(&pod);
            for (resource, amount) in expected {
                assert_eq!(requests.get(resource), *amount, "{name}: {resource}");
            }
        }
    }

    #[test]
    fn pod_level_requests_and_overhead() {
        let mut pod = pod(vec![container(&[("cpu", "100m")], &[], false)], vec![]);
        let spec = pod.spec.as_mut().unwrap();
        spec.resources = Some(ResourceRequirements {
            requests: list(&[("cpu", "1")]),
            ..ResourceRequirements::default()
        });
        spec.overhead = list(&[("cpu", "10m")]);
        assert_eq!(pod_requests(&pod).get(CPU), 1010);
    }

    #[test]
    fn nonzero_requests_fill_in_defaults() {
        let with_requests = pod(
            vec![container(&[("cpu", "1"), ("memory", "1Gi")], &[], false)],
            vec![],
        );
        assert_eq!(
            pod_nonzero_requests(&with_requests),
            (1000, 1024 * 1024 * 1024 * 1000)
        );
        let without = pod(vec![container(&[], &[], false)], vec![]);
        assert_eq!(
            pod_nonzero_requests(&without),
            (100, 200 * 1024 * 1024 * 1000)
        );
    }

    #[test]
    fn allocatable_falls_back_to_capacity() {
        let node = |allocatable, capacity| Node {
            status: Some(NodeStatus {
                allocatable,
                capacity,
                ..NodeStatus::default()
            }),
            ..Node::default()
        };
        let a = node(list(&[("cpu", "3")]), list(&[("cpu", "4")]));
        assert_eq!(node_allocatable(&a).get(CPU), 3000);
        let c = node(None, list(&[("cpu", "4"), ("pods", "110")]));
        assert_eq!(node_allocatable(&c).get(CPU), 4000);
        assert_eq!(node_allocatable(&c).get(PODS), 110_000);
    }
}
