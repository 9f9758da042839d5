//! The Node object a simulated node registers, its heartbeats (a Lease in
//! `kube-node-lease` renewed every 10 s, the Ready condition re-posted less often), and
//! the pure builders behind them.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Namespace, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeSpec,
    NodeStatus, NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;
use tokio::sync::watch;
use tracing::{debug, info, instrument, warn};

use crate::Error;
use crate::config::SimulatedNodeConfig;
use crate::runtime::simulated::RUNTIME_VERSION;

pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";
pub const KUBELET_VERSION: &str = "v1.37.0";
/// The kubelet's default lease duration and renew interval (a quarter of it, rounded).
const LEASE_DURATION_SECONDS: i32 = 40;
const LEASE_RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// How often the node status (Ready heartbeat) is re-posted when nothing changed; the
/// kubelet's default is 5 minutes, the lease carries liveness in between.
const STATUS_REPORT_INTERVAL: Duration = Duration::from_secs(60);
const KUBELET_PORT: i32 = 10250;

/// The node's conditions when all is well, in the kubelet's order: (type, status,
/// reason, message).
const HEALTHY_CONDITIONS: [(&str, &str, &str, &str); 4] = [
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    ),
];

/// GOARCH-style name of this machine's architecture.
pub fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The labels the node carries: the configured ones plus the well-known labels the
/// kubelet sets (these win).
pub fn node_labels(config: &SimulatedNodeConfig) -> BTreeMap<String, String> {
    let mut labels = config.labels.clone();
    for (key, value) in [
        ("kubernetes.io/hostname", config.name.as_str()),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", architecture()),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", architecture()),
    ] {
        labels.insert(key.to_string(), value.to_string());
    }
    labels
}

/// The Node as first registered (spec and metadata; the status is posted separately).
pub fn node_object(config: &SimulatedNodeConfig) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(config.name.clone()),
            labels: Some(node_labels(config)),
            annotations: Some(BTreeMap::from([
                ("node.alpha.kubernetes.io/ttl".to_string(), "0".to_string()),
                (
                    "volumes.kubernetes.io/controller-managed-attach-detach".to_string(),
                    "true".to_string(),
                ),
            ])),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            pod_cidr: Some(config.pod_cidr.clone()),
            pod_cidrs: Some(vec![config.pod_cidr.clone()]),
            taints: (!config.taints.is_empty()).then(|| config.taints.clone()),
            ..NodeSpec::default()
        }),
        status: None,
    }
}

/// Capacity (= allocatable) of the node.
pub fn node_resources(config: &SimulatedNodeConfig) -> BTreeMap<String, Quantity> {
    let mut resources = BTreeMap::from([
        ("cpu".to_string(), Quantity(config.cpu.clone())),
        ("memory".to_string(), Quantity(config.memory.clone())),
        ("pods".to_string(), Quantity(config.pods.to_string())),
        (
            "ephemeral-storage".to_string(),
            Quantity("100Gi".to_string()),
        ),
        ("hugepages-1Gi".to_string(), Quantity("0".to_string())),
        ("hugepages-2Mi".to_string(), Quantity("0".to_string())),
    ]);
    if config.gpus > 0 {
        resources.insert(
            "nvidia.com/gpu".to_string(),
            Quantity(config.gpus.to_string()),
        );
    }
    resources
}

/// A stable 32-hex-digit identifier derived from the node name (machine ID, boot ID).
fn name_digest(name: &str, salt: u64) -> String {
    let hash = |seed: u64| {
        name.bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64 ^ seed, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            })
    };
    format!("{:016x}{:016x}", hash(salt), hash(salt.wrapping_add(1)))
}

fn uuid_form(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The node status: resources, healthy conditions (heartbeat `now`, transition times kept
/// from `prior` when the status did not change), addresses and system info.
pub fn node_status(
    config: &SimulatedNodeConfig,
    prior: Option<&NodeStatus>,
    now: Timestamp,
) -> NodeStatus {
    let prior_conditions = prior.and_then(|status| status.conditions.as_ref());
    let conditions = HEALTHY_CONDITIONS
        .iter()
        .map(|(type_, status, reason, message)| {
            let last_transition_time = prior_conditions
                .and_then(|conditions| conditions.iter().find(|c| c.type_ == *type_))
                .filter(|old| old.status == *status)
                .and_then(|old| old.last_transition_time.clone())
                .unwrap_or(Time(now));
            NodeCondition {
                type_: type_.to_string(),
                status: status.to_string(),
                reason: Some(reason.to_string()),
                message: Some(message.to_string()),
                last_heartbeat_time: Some(Time(now)),
                last_transition_time: Some(last_transition_time),
            }
        })
        .collect();
    let resources = node_resources(config);
    NodeStatus {
        capacity: Some(resources.clone()),
        allocatable: Some(resources),
        conditions: Some(conditions),
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".to_string(),
                address: config.internal_ip.to_string(),
            },
            NodeAddress {
                type_: "Hostname".to_string(),
                address: config.name.clone(),
            },
        ]),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint { port: KUBELET_PORT }),
        }),
        node_info: Some(NodeSystemInfo {
            architecture: architecture().to_string(),
            boot_id: uuid_form(&name_digest(&config.name, 2)),
            container_runtime_version: RUNTIME_VERSION.to_string(),
            kernel_version: "simulated".to_string(),
            kube_proxy_version: String::new(),
            kubelet_version: KUBELET_VERSION.to_string(),
            machine_id: name_digest(&config.name, 0),
            operating_system: "linux".to_string(),
            os_image: "berth simulated node".to_string(),
            system_uuid: uuid_form(&name_digest(&config.name, 1)),
            ..NodeSystemInfo::default()
        }),
        ..NodeStatus::default()
    }
}

/// The node's Lease, owned by the Node so it goes when the Node does.
pub fn node_lease(node: &Node, now: Timestamp) -> Lease {
    let name = node.name_any();
    Lease {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(NODE_LEASE_NAMESPACE.to_string()),
            owner_references: node.metadata.uid.clone().map(|uid| {
                vec![OwnerReference {
                    api_version: "v1".to_string(),
                    kind: "Node".to_string(),
                    name: name.clone(),
                    uid,
                    ..OwnerReference::default()
                }]
            }),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(name),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(MicroTime(now)),
            ..LeaseSpec::default()
        }),
    }
}

/// Creates the Node or brings an existing one up to date (labels merged, status
/// replaced), and returns it.
#[instrument(skip_all, fields(node = %config.name), err)]
pub async fn register(client: &Client, config: &SimulatedNodeConfig) -> Result<Node, Error> {
    let nodes = Api::<Node>::all(client.clone());
    let node = match nodes.get_opt(&config.name).await? {
        Some(_) => {
            let labels = json!({ "metadata": { "labels": node_labels(config) } });
            let patched = nodes
                .patch(&config.name, &PatchParams::default(), &Patch::Merge(labels))
                .await?;
            info!("node registered again");
            patched
        }
        None => match nodes
            .create(&PostParams::default(), &node_object(config))
            .await
        {
            Ok(created) => {
                info!("node registered");
                created
            }
            // Another agent instance raced us: fine, the node exists.
            Err(kube::Error::Api(status)) if status.is_already_exists() => {
                nodes.get(&config.name).await?
            }
            Err(error) => return Err(error.into()),
        },
    };
    post_status(&nodes, config, &node).await
}

async fn post_status(
    nodes: &Api<Node>,
    config: &SimulatedNodeConfig,
    node: &Node,
) -> Result<Node, Error> {
    let status = node_status(config, node.status.as_ref(), Timestamp::now());
    let patch = json!({ "status": status });
    let params = PatchParams::default();
    Ok(nodes
        .patch_status(&config.name, &params, &Patch::Merge(patch))
        .await?)
}

/// Renews the node's Lease every 10 s and re-posts its status every minute until `stop`.
/// Failures are logged and retried at the next tick.
pub async fn heartbeat(
    client: Client,
    config: SimulatedNodeConfig,
    mut stop: watch::Receiver<bool>,
) {
    let nodes = Api::<Node>::all(client.clone());
    let leases = Api::<Lease>::namespaced(client.clone(), NODE_LEASE_NAMESPACE);
    let mut lease_tick = tokio::time::interval(LEASE_RENEW_INTERVAL);
    let mut status_tick = tokio::time::interval(STATUS_REPORT_INTERVAL);
    status_tick.reset(); // the status was just posted by `register`
    loop {
        tokio::select! {
            () = crate::stop_requested(&mut stop) => return,
            _ = lease_tick.tick() => {
                if let Err(error) = renew_lease(&client, &nodes, &leases, &config.name).await {
                    warn!(node = %config.name, %error, "renewing the node lease failed");
                }
            }
            _ = status_tick.tick() => {
                let posted = match nodes.get_opt(&config.name).await {
                    Ok(Some(node)) => post_status(&nodes, &config, &node).await.map(|_| ()),
                    // The node was deleted: register it again, as the kubelet does.
                    Ok(None) => register(&client, &config).await.map(|_| ()),
                    Err(error) => Err(error.into()),
                };
                if let Err(error) = posted {
                    warn!(node = %config.name, %error, "posting the node status failed");
                }
            }
        }
    }
}

async fn renew_lease(
    client: &Client,
    nodes: &Api<Node>,
    leases: &Api<Lease>,
    name: &str,
) -> Result<(), Error> {
    let now = Timestamp::now();
    let renewal = json!({ "spec": {
        "holderIdentity": name,
        "leaseDurationSeconds": LEASE_DURATION_SECONDS,
        "renewTime": MicroTime(now),
    }});
    match leases
        .patch(name, &PatchParams::default(), &Patch::Merge(renewal))
        .await
    {
        Ok(_) => {
            debug!(node = %name, "lease renewed");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.is_not_found() => {
            let Some(node) = nodes.get_opt(name).await? else {
                return Ok(());
            };
            ensure_lease_namespace(client).await?;
            match leases
                .create(&PostParams::default(), &node_lease(&node, now))
                .await
            {
                Ok(_) => Ok(()),
                Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(()),
                Err(error) => Err(error.into()),
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// `kube-node-lease` is a system namespace; create it when the server has not.
async fn ensure_lease_namespace(client: &Client) -> Result<(), Error> {
    let namespaces = Api::<Namespace>::all(client.clone());
    if namespaces.get_opt(NODE_LEASE_NAMESPACE).await?.is_some() {
        return Ok(());
    }
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(NODE_LEASE_NAMESPACE.to_string()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match namespaces.create(&PostParams::default(), &namespace).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Parses both configured quantities, so a bad configuration fails at start.
pub fn check_config(config: &SimulatedNodeConfig) -> Result<(), Error> {
    let plausible = |q: &str| {
        let digits = q.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        !digits.is_empty() && digits.parse::<f64>().is_ok_and(|value| value >= 0.0)
    };
    for (what, quantity) in [("cpu", &config.cpu), ("memory", &config.memory)] {
        if !plausible(quantity) {
            return Err(Error::Config(format!(
                "{what} {quantity:?} is not a quantity"
            )));
        }
    }
    if config.name.is_empty() {
        return Err(Error::Config("the node name is empty".to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SimulatedNodeConfig {
        let mut config = SimulatedNodeConfig::numbered("sim-0", 0);
        config
            .labels
            .insert("topology.kubernetes.io/zone".into(), "zone-a".into());
        config
            .labels
            .insert("kubernetes.io/hostname".into(), "spoofed".into());
        config
    }

    fn now() -> Timestamp {
        "2026-05-01T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn labels_add_well_known_ones_that_win() {
        let labels = node_labels(&config());
        assert_eq!(labels["kubernetes.io/hostname"], "sim-0");
        assert_eq!(labels["kubernetes.io/os"], "linux");
        assert_eq!(labels["kubernetes.io/arch"], architecture());
        assert_eq!(labels["topology.kubernetes.io/zone"], "zone-a");
    }

    #[test]
    fn node_object_has_pod_cidr_and_taints() {
        let mut config = config();
        assert!(node_object(&config).spec.unwrap().taints.is_none());
        config.taints.push(k8s_openapi::api::core::v1::Taint {
            key: "dedicated".into(),
            value: Some("gpu".into()),
            effect: "NoSchedule".into(),
            time_added: None,
        });
        let spec = node_object(&config).spec.unwrap();
        assert_eq!(spec.pod_cidr.as_deref(), Some("10.244.0.0/20"));
        assert_eq!(spec.taints.unwrap()[0].key, "dedicated");
    }

    #[test]
    fn resources_advertise_gpus_only_when_configured() {
        let mut config = config();
        let resources = node_resources(&config);
        assert_eq!(resources["cpu"].0, "32");
        assert_eq!(resources["pods"].0, "4000");
        assert!(!resources.contains_key("nvidia.com/gpu"));
        config.gpus = 4;
        assert_eq!(node_resources(&config)["nvidia.com/gpu"].0, "4");
    }

    #[test]
    fn status_is_healthy_and_keeps_transition_times() {
        let first = node_status(&config(), None, now());
        let conditions = first.conditions.as_ref().unwrap();
        let types: Vec<_> = conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(
            types,
            ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
        );
        let ready = &conditions[3];
        assert_eq!(ready.status, "True");
        assert_eq!(ready.reason.as_deref(), Some("KubeletReady"));
        assert_eq!(
            ready.message.as_deref(),
            Some("kubelet is posting ready status")
        );

        let later: Timestamp = "2026-05-01T10:01:00Z".parse().unwrap();
        let mut prior = first.clone();
        // The node lifecycle controller marked it Unknown meanwhile.
        prior.conditions.as_mut().unwrap()[0].status = "Unknown".into();
        let next = node_status(&config(), Some(&prior), later);
        let next_conditions = next.conditions.unwrap();
        assert_eq!(next_conditions[3].last_transition_time, Some(Time(now())));
        assert_eq!(next_conditions[3].last_heartbeat_time, Some(Time(later)));
        assert_eq!(next_conditions[0].last_transition_time, Some(Time(later)));

        let info = first.node_info.unwrap();
        assert_eq!(info.kubelet_version, "v1.37.0");
        assert_eq!(info.container_runtime_version, "berth-simulated://0.1");
        assert_eq!(info.operating_system, "linux");
        assert_eq!(info.machine_id.len(), 32);
        assert_eq!(info.system_uuid.len(), 36);
        let addresses = first.addresses.unwrap();
        assert_eq!(addresses[0].type_, "InternalIP");
        assert_eq!(addresses[0].address, "10.89.0.2");
    }

    #[test]
    fn lease_is_owned_by_the_node() {
        let mut node = node_object(&config());
        node.metadata.uid = Some("node-uid".into());
        let lease = node_lease(&node, now());
        assert_eq!(lease.metadata.namespace.as_deref(), Some("kube-node-lease"));
        let owner = &lease.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str()),
            ("Node", "node-uid")
        );
        let spec = lease.spec.unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some("sim-0"));
        assert_eq!(spec.lease_duration_seconds, Some(40));
        assert_eq!(spec.renew_time, Some(MicroTime(now())));
    }

    #[test]
    fn config_checks() {
        assert!(check_config(&config()).is_ok());
        let mut bad = config();
        bad.cpu = "lots".into();
        assert!(check_config(&bad).is_err());
        let mut unnamed = config();
        unnamed.name.clear();
        assert!(check_config(&unnamed).is_err());
    }
}
