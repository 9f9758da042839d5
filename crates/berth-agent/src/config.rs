//! What a simulated node looks like: its name, size, labels and addresses.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use k8s_openapi::api::core::v1::Taint;

/// The address block all simulated pods take their (data-only) IPs from.
const POD_NETWORK: [u8; 2] = [10, 244];
/// Each node gets a /20 of [`POD_NETWORK`]: 4,094 pod addresses, 16 distinct blocks.
const POD_BLOCK_PREFIX: u8 = 20;
const POD_BLOCKS: usize = 16;

/// A simulated node: registered like a kubelet's, runs pods without containers.
#[derive(Debug, Clone)]
pub struct SimulatedNodeConfig {
    /// The Node's name (also its `kubernetes.io/hostname` label).
    pub name: String,
    /// Capacity and allocatable CPU, as a quantity ("32", "8000m").
    pub cpu: String,
    /// Capacity and allocatable memory, as a quantity ("128Gi").
    pub memory: String,
    /// How many pods the node accepts.
    pub pods: u32,
    /// Count of the extended resource `nvidia.com/gpu` (0: not advertised).
    pub gpus: u32,
    /// Extra node labels (e.g. `topology.kubernetes.io/zone`), on top of the well-known
    /// hostname/os/arch labels.
    pub labels: BTreeMap<String, String>,
    /// Taints the node registers with (like the kubelet's `--register-with-taints`).
    pub taints: Vec<Taint>,
    /// The node's InternalIP. Data only: nothing routes there.
    pub internal_ip: Ipv4Addr,
    /// The CIDR pod IPs are taken from (`spec.podCIDR`). Data only.
    pub pod_cidr: String,
    /// How long a simulated container takes to exit after SIGTERM; the wait before a
    /// deleted pod is removed is this, capped by the pod's grace period.
    pub termination_delay: Duration,
}

impl SimulatedNodeConfig {
    /// The `index`-th simulated node of a server (0-based): a roomy machine so that
    /// benchmarks with thousands of pods fit, with its own InternalIP and pod CIDR.
    pub fn numbered(name: impl Into<String>, index: usize) -> Self {
        let host = u8::try_from(index % 250).unwrap_or(0) + 2;
        let block = u8::try_from(index % POD_BLOCKS).unwrap_or(0) * 16;
        SimulatedNodeConfig {
            name: name.into(),
            cpu: "32".to_string(),
            memory: "256Gi".to_string(),
            pods: 4000,
            gpus: 0,
            labels: BTreeMap::new(),
            taints: Vec::new(),
            internal_ip: Ipv4Addr::new(10, 89, u8::try_from(index / 250).unwrap_or(0), host),
            pod_cidr: format!(
                "{}.{}.{block}.0/{POD_BLOCK_PREFIX}",
                POD_NETWORK[0], POD_NETWORK[1]
            ),
            termination_delay: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_nodes_get_distinct_addresses() {
        let first = SimulatedNodeConfig::numbered("a", 0);
        let second = SimulatedNodeConfig::numbered("b", 1);
        assert_eq!(first.internal_ip, Ipv4Addr::new(10, 89, 0, 2));
        assert_eq!(second.internal_ip, Ipv4Addr::new(10, 89, 0, 3));
        assert_eq!(first.pod_cidr, "10.244.0.0/20");
        assert_eq!(second.pod_cidr, "10.244.16.0/20");
        assert_eq!(
            SimulatedNodeConfig::numbered("c", 15).pod_cidr,
            "10.244.240.0/20"
        );
    }
}
