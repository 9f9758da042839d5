//! A runtime without containers (like kwok): containers "start" at once, are ready at
//! once, and exit on SIGTERM after a configured delay. Pod addresses come from the node's
//! pod CIDR; they are data only, nothing routes there.

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus,
    Pod,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::{PodRuntime, StartedPod, StoppedPod};
use crate::Error;

/// The container runtime this node reports in `nodeInfo.containerRuntimeVersion`.
pub const RUNTIME_VERSION: &str = "berth-simulated://0.1";
const CONTAINER_ID_SCHEME: &str = "berth-sim://";

/// The simulated runtime of one node.
#[derive(Debug)]
pub struct SimulatedRuntime {
    addresses: Mutex<AddressPool>,
    termination_delay: Duration,
}

impl SimulatedRuntime {
    /// A runtime handing out pod addresses from `pod_cidr` (IPv4).
    pub fn new(pod_cidr: &str, termination_delay: Duration) -> Result<Self, Error> {
        Ok(SimulatedRuntime {
            addresses: Mutex::new(AddressPool::new(pod_cidr)?),
            termination_delay,
        })
    }

    fn addresses(&self) -> std::sync::MutexGuard<'_, AddressPool> {
        // A panic while holding the pool leaves it consistent (every step is one insert or
        // remove), so a poisoned lock is still usable.
        self.addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl PodRuntime for SimulatedRuntime {
    async fn start_pod(&self, pod: &Pod, now: Timestamp) -> Result<StartedPod, Error> {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let address = self.addresses().allocate(&uid)?;
        let spec = pod.spec.as_ref();
        let init_containers = spec
            .and_then(|spec| spec.init_containers.as_deref())
            .unwrap_or_default();
        let init_container_statuses = init_containers
            .iter()
            .enumerate()
            .map(|(index, container)| {
                let id = container_id(&uid, index);
                if is_sidecar(container) {
                    running_status(container, id, now)
                } else {
                    completed_init_status(container, id, now)
                }
            })
            .collect();
        let container_statuses = spec
            .map(|spec| spec.containers.as_slice())
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(index, container)| {
                let id = container_id(&uid, init_containers.len() + index);
                running_status(container, id, now)
            })
            .collect();
        Ok(StartedPod {
            pod_ips: vec![address.to_string()],
            init_container_statuses,
            container_statuses,
        })
    }

    async fn stop_pod(&self, pod: &Pod, grace: Duration) -> StoppedPod {
        let delay = self.termination_delay.min(grace);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let now = Timestamp::now();
        let status = pod.status.as_ref();
        let stop = |statuses: Option<&Vec<ContainerStatus>>| -> Vec<ContainerStatus> {
            statuses
                .into_iter()
                .flatten()
                .map(|status| terminated_status(status, now))
                .collect()
        };
        StoppedPod {
            init_container_statuses: stop(status.and_then(|s| s.init_container_statuses.as_ref())),
            container_statuses: stop(status.and_then(|s| s.container_statuses.as_ref())),
        }
    }

    fn adopt_pod(&self, pod: &Pod) {
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        let address = pod
            .status
            .as_ref()
            .and_then(|status| status.pod_ip.as_deref());
        if let Some(address) = address.and_then(|a| a.parse::<Ipv4Addr>().ok()) {
            self.addresses().adopt(uid, address);
        }
    }

    fn forget_pod(&self, uid: &str) {
        self.addresses().release(uid);
    }
}

/// A container ID unique in the cluster (pod UID and position), 64 hex digits like a
/// real runtime's, and the same if a start is repeated.
fn container_id(pod_uid: &str, index: usize) -> String {
    let uid: String = pod_uid.chars().filter(char::is_ascii_hexdigit).collect();
    format!("{CONTAINER_ID_SCHEME}{uid:0>32.32}{index:032x}")
}

/// A restartable init container (`restartPolicy: Always`) keeps running beside the others.
fn is_sidecar(container: &Container) -> bool {
    container.restart_policy.as_deref() == Some("Always")
}

/// A digest-like image ID, stable per image, so `imageID` looks like a pulled image's.
fn image_id(image: &str) -> String {
    // FNV-1a, widened over four seeds to 256 bits of hex.
    let digest: String = (0u64..4)
        .map(|seed| {
            let hash = image.bytes().fold(
                0xcbf2_9ce4_8422_2325_u64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3),
            );
            format!("{hash:016x}")
        })
        .collect();
    let repository = image.split('@').next().unwrap_or(image);
    let repository = match repository.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => repository,
    };
    format!("{repository}@sha256:{digest}")
}

fn base_status(container: &Container, id: String) -> ContainerStatus {
    let image = container.image.clone().unwrap_or_default();
    ContainerStatus {
        name: container.name.clone(),
        image_id: image_id(&image),
        image,
        container_id: Some(id),
        restart_count: 0,
        ..ContainerStatus::default()
    }
}

fn running_status(container: &Container, id: String, now: Timestamp) -> ContainerStatus {
    ContainerStatus {
        ready: true,
        started: Some(true),
        state: Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(Time(now)),
            }),
            ..ContainerState::default()
        }),
        ..base_status(container, id)
    }
}

fn completed_init_status(container: &Container, id: String, now: Timestamp) -> ContainerStatus {
    ContainerStatus {
        ready: true,
        started: Some(false),
        state: Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 0,
                reason: Some("Completed".to_string()),
                started_at: Some(Time(now)),
                finished_at: Some(Time(now)),
                container_id: Some(id.clone()),
                ..ContainerStateTerminated::default()
            }),
            ..ContainerState::default()
        }),
        ..base_status(container, id)
    }
}

/// A container after SIGTERM: a running one exits 0; one that already ended stays as it is.
fn terminated_status(status: &ContainerStatus, now: Timestamp) -> ContainerStatus {
    let state = status.state.as_ref();
    if state.is_some_and(|state| state.terminated.is_some()) {
        return ContainerStatus {
            ready: false,
            started: Some(false),
            ..status.clone()
        };
    }
    let started_at = state
        .and_then(|state| state.running.as_ref())
        .and_then(|running| running.started_at.clone());
    ContainerStatus {
        ready: false,
        started: Some(false),
        state: Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 0,
                reason: Some("Completed".to_string()),
                started_at,
                finished_at: Some(Time(now)),
                container_id: status.container_id.clone(),
                ..ContainerStateTerminated::default()
            }),
            ..ContainerState::default()
        }),
        ..status.clone()
    }
}

/// Pod addresses of one node: every host address of the CIDR except the network address,
/// the gateway (`.1`) and broadcast, handed out round-robin so a freed address is not
/// reused at once.
#[derive(Debug)]
struct AddressPool {
    cidr: String,
    first: u32,
    last: u32,
    next: u32,
    in_use: BTreeSet<u32>,
    by_pod: HashMap<String, u32>,
}

impl AddressPool {
    fn new(cidr: &str) -> Result<Self, Error> {
        let invalid = || Error::Config(format!("pod CIDR {cidr:?} is not an IPv4 CIDR"));
        let (address, prefix) = cidr.split_once('/').ok_or_else(invalid)?;
        let address: Ipv4Addr = address.parse().map_err(|_| invalid())?;
        let prefix: u32 = prefix.parse().map_err(|_| invalid())?;
        if !(8..=30).contains(&prefix) {
            return Err(invalid());
        }
        let mask = u32::MAX << (32 - prefix);
        let network = u32::from(address) & mask;
        let broadcast = network | !mask;
        Ok(AddressPool {
            cidr: cidr.to_string(),
            first: network + 2,
            last: broadcast - 1,
            next: network + 2,
            in_use: BTreeSet::new(),
            by_pod: HashMap::new(),
        })
    }

    fn allocate(&mut self, uid: &str) -> Result<Ipv4Addr, Error> {
        if let Some(address) = self.by_pod.get(uid) {
            return Ok(Ipv4Addr::from(*address));
        }
        let size = self.last - self.first + 1;
        for step in 0..size {
            let candidate = self.first + (self.next - self.first + step) % size;
            if self.in_use.insert(candidate) {
                self.next = if candidate == self.last {
                    self.first
                } else {
                    candidate + 1
                };
                self.by_pod.insert(uid.to_string(), candidate);
                return Ok(Ipv4Addr::from(candidate));
            }
        }
        Err(Error::AddressesExhausted(self.cidr.clone()))
    }

    fn adopt(&mut self, uid: &str, address: Ipv4Addr) {
        let address = u32::from(address);
        if (self.first..=self.last).contains(&address) && !self.by_pod.contains_key(uid) {
            self.in_use.insert(address);
            self.by_pod.insert(uid.to_string(), address);
        }
    }

    fn release(&mut self, uid: &str) {
        if let Some(address) = self.by_pod.remove(uid) {
            self.in_use.remove(&address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn pod(uid: &str, containers: &[&str], init: &[(&str, bool)]) -> Pod {
        let container = |name: &str| Container {
            name: name.to_string(),
            image: Some("nginx:1.27".to_string()),
            ..Container::default()
        };
        Pod {
            metadata: ObjectMeta {
                uid: Some(uid.to_string()),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                containers: containers.iter().map(|name| container(name)).collect(),
                init_containers: Some(
                    init.iter()
                        .map(|(name, sidecar)| Container {
                            restart_policy: sidecar.then(|| "Always".to_string()),
                            ..container(name)
                        })
                        .collect(),
                ),
                ..PodSpec::default()
            }),
            status: None,
        }
    }

    #[test]
    fn address_pool_skips_network_gateway_and_broadcast_and_reuses_late() {
        let mut pool = AddressPool::new("10.244.0.0/30").unwrap();
        assert_eq!(pool.allocate("a").unwrap(), Ipv4Addr::new(10, 244, 0, 2));
        assert_eq!(pool.allocate("a").unwrap(), Ipv4Addr::new(10, 244, 0, 2));
        assert!(matches!(
            pool.allocate("b"),
            Err(Error::AddressesExhausted(_))
        ));
        pool.release("a");
        assert_eq!(pool.allocate("b").unwrap(), Ipv4Addr::new(10, 244, 0, 2));

        let mut pool = AddressPool::new("10.244.16.0/20").unwrap();
        assert_eq!(pool.allocate("a").unwrap(), Ipv4Addr::new(10, 244, 16, 2));
        assert_eq!(pool.allocate("b").unwrap(), Ipv4Addr::new(10, 244, 16, 3));
        pool.release("a");
        // Round-robin: the freed .2 is not handed out again before the range wraps.
        assert_eq!(pool.allocate("c").unwrap(), Ipv4Addr::new(10, 244, 16, 4));
        pool.adopt("d", Ipv4Addr::new(10, 244, 16, 5));
        assert_eq!(pool.allocate("e").unwrap(), Ipv4Addr::new(10, 244, 16, 6));
    }

    #[test]
    fn address_pool_rejects_bad_cidrs() {
        for cidr in ["10.0.0.0", "10.0.0.0/31", "fd00::/64", "10.0.0.0/x"] {
            assert!(AddressPool::new(cidr).is_err(), "{cidr}");
        }
    }

    #[test]
    fn image_ids_look_like_digests() {
        let id = image_id("docker.io/library/nginx:1.27");
        assert!(id.starts_with("docker.io/library/nginx@sha256:"), "{id}");
        assert_eq!(id.len(), "docker.io/library/nginx@sha256:".len() + 64);
        assert_ne!(
            id,
            image_id("docker.io/library/nginx:1.28").replace(":1.28", "")
        );
        assert!(image_id("localhost:5000/app").starts_with("localhost:5000/app@sha256:"));
    }

    #[tokio::test]
    async fn start_runs_containers_and_sidecars_and_completes_init_containers() {
        let runtime = SimulatedRuntime::new("10.244.0.0/20", Duration::ZERO).unwrap();
        let now = Timestamp::now();
        let started = runtime
            .start_pod(
                &pod("u1", &["web", "log"], &[("setup", false), ("proxy", true)]),
                now,
            )
            .await
            .unwrap();
        assert_eq!(started.pod_ips, ["10.244.0.2"]);
        let running = |s: &ContainerStatus| s.state.as_ref().unwrap().running.is_some();
        assert!(
            started
                .container_statuses
                .iter()
                .all(|s| running(s) && s.ready)
        );
        assert_eq!(started.container_statuses[1].name, "log");
        let init = &started.init_container_statuses;
        assert_eq!(
            init[0]
                .state
                .as_ref()
                .unwrap()
                .terminated
                .as_ref()
                .unwrap()
                .reason
                .as_deref(),
            Some("Completed")
        );
        assert!(running(&init[1]));
        let ids: BTreeSet<_> = started
            .container_statuses
            .iter()
            .chain(init)
            .map(|s| s.container_id.clone().unwrap())
            .collect();
        assert_eq!(ids.len(), 4, "container IDs are unique");
        assert!(
            ids.iter()
                .all(|id| id.len() == CONTAINER_ID_SCHEME.len() + 64)
        );

        let mut running_pod = pod("u1", &["web", "log"], &[]);
        running_pod.status = Some(k8s_openapi::api::core::v1::PodStatus {
            container_statuses: Some(started.container_statuses.clone()),
            ..Default::default()
        });
        let stopped = runtime
            .stop_pod(&running_pod, Duration::from_secs(30))
            .await;
        for status in &stopped.container_statuses {
            let terminated = status.state.as_ref().unwrap().terminated.as_ref().unwrap();
            assert_eq!(terminated.exit_code, 0);
            assert_eq!(terminated.started_at, Some(Time(now)));
            assert!(!status.ready);
        }
        runtime.forget_pod("u1");
        let again = runtime
            .start_pod(&pod("u2", &["web"], &[]), now)
            .await
            .unwrap();
        assert_eq!(again.pod_ips, ["10.244.0.3"]);
    }
}
