//! Server-side table printing for `kubectl get` (meta.k8s.io/v1 Table).
//!
//! Columns and cells follow kube-apiserver's printers
//! (kubernetes/kubernetes pkg/printers/internalversion/printers.go), generated as the
//! server does: always with the wide (priority 1) cells, which kubectl hides unless
//! `-o wide`. Kinds without a printer there (Role, ClusterRole) get the apiserver's default
//! table: Name and "Created At".

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::registry::ResourceType;

/// One `columnDefinitions` entry of a Table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// "string" | "integer" | "date" | "number" | "boolean"
    pub type_: &'static str,
    /// "name" for the Name column, "" otherwise.
    pub format: &'static str,
    pub description: &'static str,
    /// 0 always shown; 1 only with `-o wide`.
    pub priority: i32,
}

const NAME_DESC: &str = "Name must be unique within a namespace. It is required when creating resources and cannot be updated.";
const AGE_DESC: &str =
    "CreationTimestamp is a timestamp representing the server time when this object was created.";
const CONTAINERS_DESC: &str = "Names of each container in the template.";
const IMAGES_DESC: &str = "Images referenced by each container in the template.";

const fn col(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        type_: "string",
        format: "",
        description,
        priority: 0,
    }
}

const fn wide(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        type_: "string",
        format: "",
        description,
        priority: 1,
    }
}

const fn typed(name: &'static str, type_: &'static str, description: &'static str) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 0,
    }
}

const NAME: Column = Column {
    name: "Name",
    type_: "string",
    format: "name",
    description: NAME_DESC,
    priority: 0,
};
const AGE: Column = col("Age", AGE_DESC);

/// The Table columns of a kind, in cell order.
pub fn columns(rt: &ResourceType) -> Vec<Column> {
    match (rt.group, rt.kind) {
        ("", "Namespace") => vec![NAME, col("Status", "The status of the namespace"), AGE],
        ("", "Node") => vec![
            NAME,
            col("Status", "The status of the node"),
            col("Roles", "The roles of the node"),
            AGE,
            col("Version", "Kubelet Version reported by the node."),
            wide("Internal-IP", "List of addresses reachable to the node."),
            wide("External-IP", "List of addresses reachable to the node."),
            wide(
                "OS-Image",
                "OS Image reported by the node from /etc/os-release.",
            ),
            wide(
                "Kernel-Version",
                "Kernel Version reported by the node from 'uname -r'.",
            ),
            wide(
                "Container-Runtime",
                "ContainerRuntime Version reported by the node through runtime remote API.",
            ),
        ],
        ("", "Pod") => vec![
            NAME,
            col(
                "Ready",
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            col(
                "Status",
                "The aggregate status of the containers in this pod.",
            ),
            col(
                "Restarts",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            AGE,
            wide(
                "IP",
                "IP address allocated to the pod. Routable at least within the cluster.",
            ),
            wide(
                "Node",
                "NodeName indicates in which node this pod is scheduled.",
            ),
            wide(
                "Nominated Node",
                "nominatedNodeName is set when this pod preempts other pods on the node.",
            ),
            wide(
                "Readiness Gates",
                "If specified, all readiness gates will be evaluated for pod readiness.",
            ),
        ],
        ("", "Service") => vec![
            NAME,
            col("Type", "type determines how the Service is exposed."),
            col(
                "Cluster-IP",
                "clusterIP is the IP address of the service, usually assigned randomly.",
            ),
            col(
                "External-IP",
                "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic.",
            ),
            col(
                "Port(s)",
                "The list of ports that are exposed by this service.",
            ),
            AGE,
            wide(
                "Selector",
                "Route service traffic to pods with label keys and values matching this selector.",
            ),
        ],
        ("", "Endpoints") => vec![
            NAME,
            col(
                "Endpoints",
                "The set of all endpoints is the union of all subsets.",
            ),
            AGE,
        ],
        ("discovery.k8s.io", "EndpointSlice") => vec![
            NAME,
            col(
                "AddressType",
                "addressType specifies the type of address carried by this EndpointSlice.",
            ),
            col(
                "Ports",
                "ports specifies the list of network ports exposed by each endpoint in this slice.",
            ),
            col(
                "Endpoints",
                "endpoints is a list of unique endpoints in this slice.",
            ),
            AGE,
        ],
        ("", "PersistentVolume") => vec![
            NAME,
            col(
                "Capacity",
                "capacity is the description of the persistent volume's resources and capacity.",
            ),
            col(
                "Access Modes",
                "accessModes contains all ways the volume can be mounted.",
            ),
            col(
                "Reclaim Policy",
                "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.",
            ),
            col(
                "Status",
                "phase indicates if a volume is available, bound to a claim, or released by a claim.",
            ),
            col(
                "Claim",
                "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.",
            ),
            col("StorageClass", "StorageClass of the pv"),
            col("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
            col(
                "Reason",
                "reason is a brief CamelCase string that describes any failure.",
            ),
            AGE,
            wide(
                "VolumeMode",
                "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.",
            ),
        ],
        ("", "PersistentVolumeClaim") => vec![
            NAME,
            col(
                "Status",
                "phase represents the current phase of PersistentVolumeClaim.",
            ),
            col(
                "Volume",
                "volumeName is the binding reference to the PersistentVolume backing this claim.",
            ),
            col(
                "Capacity",
                "capacity represents the actual resources of the underlying volume.",
            ),
            col(
                "Access Modes",
                "accessModes contains the actual access modes the volume backing the PVC has.",
            ),
            col("StorageClass", "StorageClass of the pvc"),
            col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
            AGE,
            wide(
                "VolumeMode",
                "volumeMode defines what type of volume is required by the claim.",
            ),
        ],
        ("", "ConfigMap") => vec![
            NAME,
            col("Data", "Data contains the configuration data."),
            AGE,
        ],
        ("", "Secret") => vec![
            NAME,
            col(
                "Type",
                "Used to facilitate programmatic handling of secret data.",
            ),
            col("Data", "Data contains the secret data."),
            AGE,
        ],
        ("", "ServiceAccount") => vec![
            NAME,
            col(
                "Secrets",
                "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
            ),
            AGE,
        ],
        ("", "Event") | ("events.k8s.io", "Event") => vec![
            col(
                "Last Seen",
                "The time at which the most recent occurrence of this event was recorded.",
            ),
            col(
                "Type",
                "Type of this event (Normal, Warning), new types could be added in the future",
            ),
            col(
                "Reason",
                "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
            ),
            col("Object", "The object that this event is about."),
            wide(
                "Subobject",
                "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.",
            ),
            wide("Source", "The component reporting this event."),
            col(
                "Message",
                "A human-readable description of the status of this operation.",
            ),
            wide(
                "First Seen",
                "The time at which the event was first recorded.",
            ),
            wide("Count", "The number of times this event has occurred."),
            Column {
                priority: 1,
                ..NAME
            },
        ],
        ("apps", "StatefulSet") => vec![
            NAME,
            col("Ready", "Number of the pod with ready state"),
            AGE,
            wide("Containers", CONTAINERS_DESC),
            wide("Images", IMAGES_DESC),
        ],
        ("apps", "ControllerRevision") => vec![
            NAME,
            col("Controller", "Controller of the object"),
            col(
                "Revision",
                "Revision indicates the revision of the state represented by Data.",
            ),
            AGE,
        ],
        ("storage.k8s.io", "StorageClass") => vec![
            NAME,
            col(
                "Provisioner",
                "provisioner indicates the type of the provisioner.",
            ),
            col(
                "ReclaimPolicy",
                "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.",
            ),
            col(
                "VolumeBindingMode",
                "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.",
            ),
            col(
                "AllowVolumeExpansion",
                "allowVolumeExpansion shows whether the storage class allow volume expand.",
            ),
            AGE,
        ],
        ("coordination.k8s.io", "Lease") => vec![
            NAME,
            col(
                "Holder",
                "holderIdentity contains the identity of the holder of a current lease.",
            ),
            AGE,
        ],
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => vec![
            NAME,
            col(
                "Role",
                "RoleRef can only reference a ClusterRole in the global namespace.",
            ),
            AGE,
            wide("Users", "Users in the clusterRoleBinding"),
            wide("Groups", "Groups in the clusterRoleBinding"),
            wide(
                "ServiceAccounts",
                "ServiceAccounts in the clusterRoleBinding",
            ),
        ],
        ("rbac.authorization.k8s.io", "RoleBinding") => vec![
            NAME,
            col(
                "Role",
                "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.",
            ),
            AGE,
            wide("Users", "Users in the roleBinding"),
            wide("Groups", "Groups in the roleBinding"),
            wide("ServiceAccounts", "ServiceAccounts in the roleBinding"),
        ],
        // The apiserver's default table (ClusterRole, Role, and anything without a printer).
        _ => vec![NAME, typed("Created At", "date", AGE_DESC)],
    }
}

/// The cells of one row, in `columns(rt)` order, wide cells included.
pub fn row_cells(rt: &ResourceType, obj: &Value, now: Timestamp) -> Vec<Value> {
    let o = Obj(obj);
    let name = o.str("/metadata/name");
    let age = || age_since(o.str("/metadata/creationTimestamp"), now);
    match (rt.group, rt.kind) {
        ("", "Namespace") => vec![json!(name), json!(o.str("/status/phase")), json!(age())],
        ("", "Node") => node_cells(o, now),
        ("", "Pod") => pod_cells(o, now),
        ("", "Service") => service_cells(o, now),
        ("", "Endpoints") => vec![json!(name), json!(format_endpoints(o)), json!(age())],
        ("discovery.k8s.io", "EndpointSlice") => {
            let ports = o.list("/ports").iter().map(|p| {
                let p = Obj(p);
                match p.0.get("port").and_then(Value::as_i64) {
                    Some(n) => n.to_string(),
                    None => {
                        p.0.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("*")
                            .to_string()
                    }
                }
            });
            let addresses = o
                .list("/endpoints")
                .iter()
                .flat_map(|e| Obj(e).list("/addresses"))
                .filter_map(Value::as_str)
                .map(str::to_string);
            vec![
                json!(name),
                json!(o.str("/addressType")),
                json!(list_with_more(ports)),
                json!(list_with_more(addresses)),
                json!(age()),
            ]
        }
        ("", "PersistentVolume") => persistent_volume_cells(o, now),
        ("", "PersistentVolumeClaim") => persistent_volume_claim_cells(o, now),
        ("", "ConfigMap") => {
            let count = o.map_len("/data") + o.map_len("/binaryData");
            vec![json!(name), json!(count), json!(age())]
        }
        ("", "Secret") => vec![
            json!(name),
            json!(o.str("/type")),
            json!(o.map_len("/data")),
            json!(age()),
        ],
        ("", "ServiceAccount") => vec![json!(name), json!(o.list("/secrets").len()), json!(age())],
        ("", "Event") | ("events.k8s.io", "Event") => event_cells(obj, now),
        ("apps", "StatefulSet") => {
            let desired = o.int("/spec/replicas").unwrap_or(1);
            let ready = o.int("/status/readyReplicas").unwrap_or(0);
            let (names, images) = container_cells(o.list("/spec/template/spec/containers"));
            vec![
                json!(name),
                json!(format!("{ready}/{desired}")),
                json!(age()),
                json!(names),
                json!(images),
            ]
        }
        ("apps", "ControllerRevision") => {
            let controller = controller_of(o).unwrap_or_else(|| "<none>".to_string());
            vec![
                json!(name),
                json!(controller),
                json!(o.int("/revision").unwrap_or(0)),
                json!(age()),
            ]
        }
        ("storage.k8s.io", "StorageClass") => {
            let default = [
                "storageclass.kubernetes.io/is-default-class",
                "storageclass.beta.kubernetes.io/is-default-class",
            ]
            .iter()
            .any(|a| o.annotation(a) == Some("true"));
            let shown = if default {
                format!("{name} (default)")
            } else {
                name.to_string()
            };
            vec![
                json!(shown),
                json!(o.str("/provisioner")),
                json!(o.str_or("/reclaimPolicy", "Delete")),
                json!(o.str_or("/volumeBindingMode", "Immediate")),
                json!(
                    o.0.get("allowVolumeExpansion")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                ),
                json!(age()),
            ]
        }
        ("coordination.k8s.io", "Lease") => vec![
            json!(name),
            json!(o.str("/spec/holderIdentity")),
            json!(age()),
        ],
        ("rbac.authorization.k8s.io", "ClusterRoleBinding" | "RoleBinding") => {
            let role = format!("{}/{}", o.str("/roleRef/kind"), o.str("/roleRef/name"));
            let (users, groups, service_accounts) = subjects(o.list("/subjects"));
            vec![
                json!(name),
                json!(role),
                json!(age()),
                json!(users.join(", ")),
                json!(groups.join(", ")),
                json!(service_accounts.join(", ")),
            ]
        }
        _ => {
            // Go's zero time when unset, as the default table convertor formats it.
            let created = match parse_time(o.str("/metadata/creationTimestamp")) {
                Some(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                None => "0001-01-01T00:00:00Z".to_string(),
            };
            vec![json!(name), json!(created)]
        }
    }
}

/// Upstream `duration.HumanDuration` of `now - since`: about two significant units
/// ("5s", "3m2s", "12m", "5h3m", "10h", "3d4h", "20d", "2y45d", "9y").
pub fn human_age(since: Timestamp, now: Timestamp) -> String {
    let d = now.duration_since(since);
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        let dy = days % 365;
        return if dy == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{dy}d")
        };
    }
    format!("{years}y")
}

/// Read-only helpers over a JSON object; absent or mistyped fields read as empty/None.
#[derive(Clone, Copy)]
struct Obj<'a>(&'a Value);

impl<'a> Obj<'a> {
    fn str(self, ptr: &str) -> &'a str {
        self.0
            .pointer(ptr)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn str_or(self, ptr: &str, default: &'a str) -> &'a str {
        match self.str(ptr) {
            "" => default,
            s => s,
        }
    }

    fn int(self, ptr: &str) -> Option<i64> {
        self.0.pointer(ptr).and_then(Value::as_i64)
    }

    fn bool(self, ptr: &str) -> bool {
        self.0
            .pointer(ptr)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    fn list(self, ptr: &str) -> &'a [Value] {
        self.0
            .pointer(ptr)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn map(self, ptr: &str) -> Option<&'a Map<String, Value>> {
        self.0.pointer(ptr).and_then(Value::as_object)
    }

    fn map_len(self, ptr: &str) -> usize {
        self.map(ptr).map_or(0, Map::len)
    }

    fn annotation(self, key: &str) -> Option<&'a str> {
        self.map("/metadata/annotations")?.get(key)?.as_str()
    }

    fn has(self, ptr: &str) -> bool {
        self.0.pointer(ptr).is_some_and(|v| !v.is_null())
    }
}

fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// Upstream `translateTimestampSince`: "<unknown>" when unset.
fn age_since(timestamp: &str, now: Timestamp) -> String {
    match parse_time(timestamp) {
        Some(t) => human_age(t, now),
        None => "<unknown>".to_string(),
    }
}

fn node_cells(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let ready = o
        .list("/status/conditions")
        .iter()
        .map(Obj)
        .find(|c| c.str("/type") == "Ready");
    let mut status = vec![match ready {
        Some(c) if c.str("/status") == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if o.bool("/spec/unschedulable") {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<&str> = Vec::new();
    for (key, value) in o.map("/metadata/labels").into_iter().flatten() {
        let role = match key.strip_prefix("node-role.kubernetes.io/") {
            Some(role) => role,
            None if key == "kubernetes.io/role" => value.as_str().unwrap_or_default(),
            None => "",
        };
        if !role.is_empty() && !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles.sort();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };
    let address = |kind: &str| {
        o.list("/status/addresses")
            .iter()
            .map(Obj)
            .find(|a| a.str("/type") == kind)
            .map_or("<none>", |a| a.str("/address"))
    };
    vec![
        json!(o.str("/metadata/name")),
        json!(status.join(",")),
        json!(roles),
        json!(age_since(o.str("/metadata/creationTimestamp"), now)),
        json!(o.str("/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(o.str_or("/status/nodeInfo/osImage", "<unknown>")),
        json!(o.str_or("/status/nodeInfo/kernelVersion", "<unknown>")),
        json!(o.str_or("/status/nodeInfo/containerRuntimeVersion", "<unknown>")),
    ]
}

/// Keeps the later of two restart times.
fn later(current: Option<Timestamp>, candidate: Option<Timestamp>) -> Option<Timestamp> {
    match (current, candidate) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn pod_cells(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let phase = o.str("/status/phase");
    let conditions = o.list("/status/conditions");
    let condition_true = |kind: &str| {
        conditions
            .iter()
            .map(Obj)
            .any(|c| c.str("/type") == kind && c.str("/status") == "True")
    };
    let mut reason = o.str_or("/status/reason", phase).to_string();
    if conditions
        .iter()
        .map(Obj)
        .any(|c| c.str("/type") == "PodScheduled" && c.str("/reason") == "SchedulingGated")
    {
        reason = "SchedulingGated".to_string();
    }

    let init_specs = o.list("/spec/initContainers");
    // Sidecars (init containers that always restart) count as regular containers.
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .map(Obj)
            .any(|c| c.str("/name") == name && c.str("/restartPolicy") == "Always")
    };
    let total = o.list("/spec/containers").len()
        + init_specs
            .iter()
            .filter(|c| Obj(c).str("/restartPolicy") == "Always")
            .count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;
    let finished = |s: Obj<'_>| parse_time(s.str("/lastState/terminated/finishedAt"));

    let mut initializing = false;
    for (i, status) in o
        .list("/status/initContainerStatuses")
        .iter()
        .map(Obj)
        .enumerate()
    {
        let count = status.int("/restartCount").unwrap_or(0);
        restarts += count;
        last_restart = later(last_restart, finished(status));
        let sidecar = is_sidecar(status.str("/name"));
        if sidecar {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, finished(status));
        }
        let terminated = status.has("/state/terminated");
        let exit_code = status.int("/state/terminated/exitCode").unwrap_or(0);
        let waiting_reason = status.str("/state/waiting/reason");
        if terminated && exit_code == 0 {
            continue;
        }
        if sidecar && status.bool("/started") {
            if status.bool("/ready") {
                ready += 1;
            }
            continue;
        }
        reason = if terminated {
            match status.str("/state/terminated/reason") {
                "" => match status.int("/state/terminated/signal").unwrap_or(0) {
                    0 => format!("Init:ExitCode:{exit_code}"),
                    signal => format!("Init:Signal:{signal}"),
                },
                r => format!("Init:{r}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{i}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true("Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in o.list("/status/containerStatuses").iter().rev().map(Obj) {
            restarts += status.int("/restartCount").unwrap_or(0);
            last_restart = later(last_restart, finished(status));
            let waiting = status.str("/state/waiting/reason");
            let terminated = status.has("/state/terminated");
            let terminated_reason = status.str("/state/terminated/reason");
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if terminated && !terminated_reason.is_empty() {
                reason = terminated_reason.to_string();
            } else if terminated {
                reason = match status.int("/state/terminated/signal").unwrap_or(0) {
                    0 => format!(
                        "ExitCode:{}",
                        status.int("/state/terminated/exitCode").unwrap_or(0)
                    ),
                    signal => format!("Signal:{signal}"),
                };
            } else if status.bool("/ready") && status.has("/state/running") {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last container completed while another still runs is not "Completed".
        if reason == "Completed" && has_running {
            reason = if condition_true("Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    if o.has("/metadata/deletionTimestamp") {
        if o.str("/status/reason") == "NodeLost" {
            reason = "Unknown".to_string();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_string();
        }
    }

    let restarts = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_age(t, now)),
        _ => restarts.to_string(),
    };
    let readiness_gates = o.list("/spec/readinessGates");
    let gates = if readiness_gates.is_empty() {
        "<none>".to_string()
    } else {
        let passing = readiness_gates
            .iter()
            .filter(|g| {
                let wanted = Obj(g).str("/conditionType");
                conditions
                    .iter()
                    .map(Obj)
                    .find(|c| c.str("/type") == wanted)
                    .is_some_and(|c| c.str("/status") == "True")
            })
            .count();
        format!("{passing}/{}", readiness_gates.len())
    };
    vec![
        json!(o.str("/metadata/name")),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts),
        json!(age_since(o.str("/metadata/creationTimestamp"), now)),
        json!(o.str_or("/status/podIPs/0/ip", "<none>")),
        json!(o.str_or("/spec/nodeName", "<none>")),
        json!(o.str_or("/status/nominatedNodeName", "<none>")),
        json!(gates),
    ]
}

/// `a=b,c=d` sorted by key, or "<none>" (upstream `labels.FormatLabels`).
fn format_labels(map: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<String> = map
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    if pairs.is_empty() {
        return "<none>".to_string();
    }
    pairs.sort();
    pairs.join(",")
}

fn service_cells(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let external_ips: Vec<&str> = o
        .list("/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let external = match o.str("/spec/type") {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            // Unique ingress IPs (or hostnames) in sorted order; the server prints them whole.
            let mut ingress: Vec<&str> = o
                .list("/status/loadBalancer/ingress")
                .iter()
                .map(Obj)
                .map(|i| i.str_or("/ip", i.str("/hostname")))
                .filter(|s| !s.is_empty())
                .collect();
            ingress.sort();
            ingress.dedup();
            ingress.extend(external_ips);
            if ingress.is_empty() {
                "<pending>".to_string()
            } else {
                ingress.join(",")
            }
        }
        "ExternalName" => o.str("/spec/externalName").to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = o
        .list("/spec/ports")
        .iter()
        .map(Obj)
        .map(|p| {
            let port = p.int("/port").unwrap_or(0);
            let protocol = p.str("/protocol");
            match p.int("/nodePort").unwrap_or(0) {
                n if n > 0 => format!("{port}:{n}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    vec![
        json!(o.str("/metadata/name")),
        json!(o.str("/spec/type")),
        json!(o.str_or("/spec/clusterIPs/0", "<none>")),
        json!(external),
        json!(ports),
        json!(age_since(o.str("/metadata/creationTimestamp"), now)),
        json!(format_labels(o.map("/spec/selector"))),
    ]
}

/// `ip:port` for IPv4, `[ip]:port` for IPv6 (Go `net.JoinHostPort`).
fn join_host_port(ip: &str, port: i64) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// Up to three endpoints, then "+ N more..." (upstream `formatEndpoints`).
fn format_endpoints(o: Obj<'_>) -> String {
    const MAX: usize = 3;
    let subsets = o.list("/subsets");
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut shown: Vec<String> = Vec::new();
    let mut count = 0;
    for subset in subsets.iter().map(Obj) {
        let ips: Vec<&str> = subset
            .list("/addresses")
            .iter()
            .map(|a| Obj(a).str("/ip"))
            .collect();
        let ports = subset.list("/ports");
        if ports.is_empty() {
            // Headless services may have no ports.
            count += ips.len();
            shown.extend(
                ips.iter()
                    .take(MAX.saturating_sub(shown.len()))
                    .map(|ip| ip.to_string()),
            );
            continue;
        }
        for port in ports.iter().map(Obj) {
            count += ips.len();
            let number = port.int("/port").unwrap_or(0);
            let room = MAX.saturating_sub(shown.len());
            shown.extend(ips.iter().take(room).map(|ip| join_host_port(ip, number)));
        }
    }
    let joined = shown.join(",");
    if count > MAX {
        format!("{joined} + {} more...", count - MAX)
    } else {
        joined
    }
}

/// Up to three items, then "+ N more..."; "<unset>" when empty (upstream `listWithMoreString`).
fn list_with_more(items: impl Iterator<Item = String>) -> String {
    const MAX: usize = 3;
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return "<unset>".to_string();
    }
    let joined = items[..items.len().min(MAX)].join(",");
    if items.len() > MAX {
        format!("{joined} + {} more...", items.len() - MAX)
    } else {
        joined
    }
}

/// "RWO,ROX,RWX,RWOP" in that fixed order (upstream `GetAccessModesAsString`).
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// The storage quantity as stored; a missing quantity prints as upstream's zero value "0".
fn storage_quantity(o: Obj<'_>, ptr: &str) -> String {
    o.str_or(ptr, "0").to_string()
}

/// The beta class annotation wins over `spec.storageClassName`.
fn storage_class(o: Obj<'_>) -> String {
    match o.annotation("volume.beta.kubernetes.io/storage-class") {
        Some(class) => class.to_string(),
        None => o.str("/spec/storageClassName").to_string(),
    }
}

fn persistent_volume_cells(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let claim = if o.has("/spec/claimRef") {
        format!(
            "{}/{}",
            o.str("/spec/claimRef/namespace"),
            o.str("/spec/claimRef/name")
        )
    } else {
        String::new()
    };
    let phase = if o.has("/metadata/deletionTimestamp") {
        "Terminating"
    } else {
        o.str("/status/phase")
    };
    vec![
        json!(o.str("/metadata/name")),
        json!(storage_quantity(o, "/spec/capacity/storage")),
        json!(access_modes(o.list("/spec/accessModes"))),
        json!(o.str("/spec/persistentVolumeReclaimPolicy")),
        json!(phase),
        json!(claim),
        json!(storage_class(o)),
        json!(o.str_or("/spec/volumeAttributesClassName", "<unset>")),
        json!(o.str("/status/reason")),
        json!(age_since(o.str("/metadata/creationTimestamp"), now)),
        json!(o.str_or("/spec/volumeMode", "<unset>")),
    ]
}

fn persistent_volume_claim_cells(o: Obj<'_>, now: Timestamp) -> Vec<Value> {
    let phase = if o.has("/metadata/deletionTimestamp") {
        "Terminating"
    } else {
        o.str("/status/phase")
    };
    let volume = o.str("/spec/volumeName");
    // Capacity and modes describe the bound volume, so they stay blank until binding.
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            storage_quantity(o, "/status/capacity/storage"),
            access_modes(o.list("/status/accessModes")),
        )
    };
    vec![
        json!(o.str("/metadata/name")),
        json!(phase),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class(o)),
        json!(o.str_or("/spec/volumeAttributesClassName", "<unset>")),
        json!(age_since(o.str("/metadata/creationTimestamp"), now)),
        json!(o.str_or("/spec/volumeMode", "<unset>")),
    ]
}

/// Comma-joined container names and images of a pod template.
fn container_cells(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| Obj(c).str("/name")).collect();
    let images: Vec<&str> = containers.iter().map(|c| Obj(c).str("/image")).collect();
    (names.join(","), images.join(","))
}

/// `statefulset.apps/web` for the controlling owner reference.
fn controller_of(o: Obj<'_>) -> Option<String> {
    let owner = o
        .list("/metadata/ownerReferences")
        .iter()
        .map(Obj)
        .find(|r| r.bool("/controller"))?;
    let kind = owner.str("/kind");
    let group = owner
        .str("/apiVersion")
        .rsplit_once('/')
        .map_or("", |(g, _)| g);
    let group_kind = match (group, kind) {
        ("", "") => return Some(owner.str("/name").to_string()),
        ("", kind) => kind.to_string(),
        (group, kind) => format!("{kind}.{group}"),
    };
    Some(format!(
        "{}/{}",
        group_kind.to_lowercase(),
        owner.str("/name")
    ))
}

/// Users, groups and `namespace/name` service accounts of RBAC subjects.
fn subjects(list: &[Value]) -> (Vec<&str>, Vec<&str>, Vec<String>) {
    let (mut users, mut groups, mut service_accounts) = (Vec::new(), Vec::new(), Vec::new());
    for s in list.iter().map(Obj) {
        match s.str("/kind") {
            "User" => users.push(s.str("/name")),
            "Group" => groups.push(s.str("/name")),
            "ServiceAccount" => {
                service_accounts.push(format!("{}/{}", s.str("/namespace"), s.str("/name")))
            }
            _ => {}
        }
    }
    (users, groups, service_accounts)
}

/// An Event read from either of its served shapes: core/v1 (`involvedObject`, `message`,
/// `source`, `firstTimestamp`…) or events.k8s.io/v1 (`regarding`, `note`,
/// `deprecatedSource`, `deprecatedFirstTimestamp`…). Upstream serves both from the core
/// type, so printing and field selection are the same for both.
pub(crate) struct EventView<'a> {
    pub involved: &'a Value,
    pub reason: &'a str,
    pub type_: &'a str,
    pub message: &'a str,
    pub source_component: &'a str,
    pub source_host: &'a str,
    pub reporting_controller: &'a str,
    pub reporting_instance: &'a str,
    pub first_timestamp: &'a str,
    pub last_timestamp: &'a str,
    pub event_time: &'a str,
    pub count: i64,
    pub series: Option<(i64, &'a str)>,
}

impl<'a> EventView<'a> {
    pub fn new(obj: &'a Value) -> EventView<'a> {
        let o = Obj(obj);
        let either = |core: &str, new: &str| o.str_or(core, o.str(new));
        EventView {
            involved: obj
                .get("involvedObject")
                .or_else(|| obj.get("regarding"))
                .unwrap_or(&Value::Null),
            reason: o.str("/reason"),
            type_: o.str("/type"),
            message: either("/message", "/note"),
            source_component: either("/source/component", "/deprecatedSource/component"),
            source_host: either("/source/host", "/deprecatedSource/host"),
            reporting_controller: either("/reportingComponent", "/reportingController"),
            reporting_instance: o.str("/reportingInstance"),
            first_timestamp: either("/firstTimestamp", "/deprecatedFirstTimestamp"),
            last_timestamp: either("/lastTimestamp", "/deprecatedLastTimestamp"),
            event_time: o.str("/eventTime"),
            count: o
                .int("/count")
                .or_else(|| o.int("/deprecatedCount"))
                .unwrap_or(0),
            series: o.map("/series").map(|_| {
                (
                    o.int("/series/count").unwrap_or(0),
                    o.str("/series/lastObservedTime"),
                )
            }),
        }
    }

    pub fn involved_str(&self, key: &str) -> &'a str {
        self.involved
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

fn event_cells(obj: &Value, now: Timestamp) -> Vec<Value> {
    let ev = EventView::new(obj);
    let first = if parse_time(ev.first_timestamp).is_some() {
        age_since(ev.first_timestamp, now)
    } else {
        age_since(ev.event_time, now)
    };
    let mut last = if parse_time(ev.last_timestamp).is_some() {
        age_since(ev.last_timestamp, now)
    } else {
        first.clone()
    };
    let count = match ev.series {
        Some((count, observed)) => {
            last = age_since(observed, now);
            count
        }
        // Singleton events of the new API carry no count.
        None if ev.count == 0 => 1,
        None => ev.count,
    };
    let kind = ev.involved_str("kind").to_lowercase();
    let target = match ev.involved_str("name") {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let component = if ev.source_component.is_empty() {
        ev.reporting_controller
    } else {
        ev.source_component
    };
    let instance = if ev.source_host.is_empty() {
        ev.reporting_instance
    } else {
        ev.source_host
    };
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(ev.type_),
        json!(ev.reason),
        json!(target),
        json!(ev.involved_str("fieldPath")),
        json!(source),
        json!(ev.message.trim()),
        json!(first),
        json!(count),
        json!(Obj(obj).str("/metadata/name")),
    ]
}
