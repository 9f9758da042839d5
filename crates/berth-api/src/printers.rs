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

/// Table row `conditions`: finished pods are marked Completed, as upstream does.
pub fn row_conditions(rt: &ResourceType, obj: &Value) -> Vec<Value> {
    let message = match (rt.group, rt.kind, Obj(obj).str("/status/phase")) {
        ("", "Pod", "Succeeded") => "The pod has completed successfully.",
        ("", "Pod", "Failed") => "The pod failed.",
        _ => return Vec::new(),
    };
    let reason = Obj(obj).str("/status/phase");
    vec![json!({"type": "Completed", "status": "True", "reason": reason, "message": message})]
}

/// The pod's primary IP: `podIPs[0]`, or `podIP` when only that is set (upstream's v1
/// conversion fills one from the other).
pub(crate) fn pod_ip(pod: &Value) -> &str {
    let o = Obj(pod);
    o.str_or("/status/podIPs/0/ip", o.str("/status/podIP"))
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
    /// The value at a JSON pointer. The printers' pointers are literals without `~`
    /// escapes, so the path is walked without the allocations `Value::pointer` makes
    /// (a Table of thousands of rows reads dozens of fields per row).
    fn at(self, ptr: &str) -> Option<&'a Value> {
        debug_assert!(!ptr.contains('~'), "escaped pointer {ptr}");
        ptr.split('/')
            .skip(1)
            .try_fold(self.0, |value, token| match value {
                Value::Object(map) => map.get(token),
                Value::Array(items) => items.get(token.parse::<usize>().ok()?),
                _ => None,
            })
    }

    fn str(self, ptr: &str) -> &'a str {
        self.at(ptr).and_then(Value::as_str).unwrap_or_default()
    }

    fn str_or(self, ptr: &str, default: &'a str) -> &'a str {
        match self.str(ptr) {
            "" => default,
            s => s,
        }
    }

    fn int(self, ptr: &str) -> Option<i64> {
        self.at(ptr).and_then(Value::as_i64)
    }

    fn bool(self, ptr: &str) -> bool {
        self.at(ptr).and_then(Value::as_bool).unwrap_or(false)
    }

    fn list(self, ptr: &str) -> &'a [Value] {
        self.at(ptr)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn map(self, ptr: &str) -> Option<&'a Map<String, Value>> {
        self.at(ptr).and_then(Value::as_object)
    }

    fn map_len(self, ptr: &str) -> usize {
        self.map(ptr).map_or(0, Map::len)
    }

    fn annotation(self, key: &str) -> Option<&'a str> {
        self.map("/metadata/annotations")?.get(key)?.as_str()
    }

    fn has(self, ptr: &str) -> bool {
        self.at(ptr).is_some_and(|v| !v.is_null())
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
        json!(match pod_ip(o.0) {
            "" => "<none>",
            ip => ip,
        }),
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
        // Stored services carry both fields; clusterIP alone covers objects never defaulted.
        json!(o.str_or("/spec/clusterIPs/0", o.str_or("/spec/clusterIP", "<none>"))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{RESOURCES, find};

    const NOW: &str = "2026-07-01T12:00:00Z";
    /// Five minutes before NOW.
    const CREATED: &str = "2026-07-01T11:55:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    fn cells(group: &str, plural: &str, obj: Value) -> Vec<Value> {
        let rt = find(group, "v1", plural).unwrap();
        row_cells(rt, &obj, now())
    }

    fn names(group: &str, plural: &str) -> Vec<&'static str> {
        columns(find(group, "v1", plural).unwrap())
            .iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn human_age_follows_upstream_rules() {
        let cases: &[(i64, &str)] = &[
            (-3, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (182, "3m2s"),
            (599, "9m59s"),
            (600, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 5 * 60, "3h5m"),
            (8 * 3600 - 60, "7h59m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 59 * 60, "47h"),
            (48 * 3600, "2d"),
            ((3 * 24 + 4) * 3600, "3d4h"),
            ((7 * 24 + 23) * 3600, "7d23h"),
            (8 * 24 * 3600, "8d"),
            (729 * 24 * 3600, "729d"),
            (730 * 24 * 3600, "2y"),
            ((730 + 45) * 24 * 3600, "2y45d"),
            (8 * 365 * 24 * 3600, "8y"),
            (10 * 365 * 24 * 3600 + 99, "10y"),
        ];
        for (seconds, want) in cases {
            let since = now() - jiff::SignedDuration::from_secs(*seconds);
            assert_eq!(human_age(since, now()), *want, "{seconds}s");
        }
        // Sub-second skew rounds toward zero like Go's int(d.Seconds()).
        let future = now() + jiff::SignedDuration::from_millis(1500);
        assert_eq!(human_age(future, now()), "0s");
    }

    #[test]
    fn every_kind_has_one_name_column_and_matching_cells() {
        for rt in RESOURCES {
            let cols = columns(rt);
            assert_eq!(
                cols.iter().filter(|c| c.format == "name").count(),
                1,
                "{}",
                rt.plural
            );
            assert!(
                cols.iter()
                    .all(|c| !c.description.is_empty() && c.priority <= 1),
                "{}",
                rt.plural
            );
            let empty = row_cells(rt, &json!({}), now());
            assert_eq!(empty.len(), cols.len(), "{} cells", rt.plural);
            for (c, v) in cols.iter().zip(&empty) {
                let ok = match c.type_ {
                    "integer" => v.is_i64(),
                    "boolean" => v.is_boolean(),
                    // Upstream declares some boolean/integer cells as "string" columns.
                    _ => v.is_string() || v.is_i64() || v.is_boolean(),
                };
                assert!(ok, "{} column {} got {v}", rt.plural, c.name);
            }
        }
    }

    #[test]
    fn namespaces() {
        assert_eq!(names("", "namespaces"), ["Name", "Status", "Age"]);
        let ns = json!({"metadata": {"name": "prod", "creationTimestamp": CREATED}, "status": {"phase": "Active"}});
        assert_eq!(
            cells("", "namespaces", ns),
            [json!("prod"), json!("Active"), json!("5m")]
        );
        let unknown_age = json!({"metadata": {"name": "x"}});
        assert_eq!(cells("", "namespaces", unknown_age)[2], json!("<unknown>"));
    }

    #[test]
    fn nodes() {
        assert_eq!(
            names("", "nodes"),
            [
                "Name",
                "Status",
                "Roles",
                "Age",
                "Version",
                "Internal-IP",
                "External-IP",
                "OS-Image",
                "Kernel-Version",
                "Container-Runtime"
            ]
        );
        let node = json!({
            "metadata": {"name": "node-1", "creationTimestamp": "2026-06-28T08:00:00Z", "labels": {
                "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker",
                "node-role.kubernetes.io/": "", "kubernetes.io/hostname": "node-1"}},
            "spec": {"unschedulable": true},
            "status": {
                "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
                "addresses": [{"type": "Hostname", "address": "node-1"}, {"type": "InternalIP", "address": "192.168.1.10"}],
                "nodeInfo": {"kubeletVersion": "v1.37.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "containerd://1.6.20"}
            }
        });
        assert_eq!(
            cells("", "nodes", node),
            [
                json!("node-1"),
                json!("Ready,SchedulingDisabled"),
                json!("control-plane,worker"),
                json!("3d4h"),
                json!("v1.37.0"),
                json!("192.168.1.10"),
                json!("<none>"),
                json!("Debian GNU/Linux 12 (bookworm)"),
                json!("6.1.0-18-amd64"),
                json!("containerd://1.6.20"),
            ]
        );
        let not_ready = json!({"metadata": {"name": "n"}, "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}});
        let c = cells("", "nodes", not_ready);
        assert_eq!(
            (&c[1], &c[2], &c[7]),
            (&json!("NotReady"), &json!("<none>"), &json!("<unknown>"))
        );
        assert_eq!(cells("", "nodes", json!({}))[1], json!("Unknown"));
    }

    /// A container status in the running state.
    fn running(name: &str, ready: bool, restarts: i64) -> Value {
        json!({"name": name, "ready": ready, "restartCount": restarts, "started": true,
               "state": {"running": {"startedAt": "2026-07-01T11:56:00Z"}}})
    }

    fn pod(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "web-0", "namespace": "default", "creationTimestamp": CREATED},
               "spec": spec, "status": status})
    }

    #[test]
    fn pod_columns_and_wide_cells() {
        assert_eq!(
            names("", "pods"),
            [
                "Name",
                "Ready",
                "Status",
                "Restarts",
                "Age",
                "IP",
                "Node",
                "Nominated Node",
                "Readiness Gates"
            ]
        );
        let p = pod(
            json!({"nodeName": "node-1", "containers": [{"name": "nginx"}],
                   "readinessGates": [{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]}),
            json!({"phase": "Running", "podIP": "10.42.0.7", "podIPs": [{"ip": "10.42.0.7"}],
                   "conditions": [{"type": "Ready", "status": "True"}, {"type": "example.com/lb", "status": "True"},
                                  {"type": "example.com/dns", "status": "False"}],
                   "containerStatuses": [running("nginx", true, 0)]}),
        );
        assert_eq!(
            cells("", "pods", p),
            [
                json!("web-0"),
                json!("1/1"),
                json!("Running"),
                json!("0"),
                json!("5m"),
                json!("10.42.0.7"),
                json!("node-1"),
                json!("<none>"),
                json!("1/2"),
            ]
        );
        let only_pod_ip = pod(json!({}), json!({"phase": "Running", "podIP": "10.42.0.8"}));
        assert_eq!(cells("", "pods", only_pod_ip)[5], json!("10.42.0.8"));
        let pending = pod(
            json!({"containers": [{"name": "c"}]}),
            json!({"phase": "Pending"}),
        );
        let c = cells("", "pods", pending);
        assert_eq!(&c[1..4], [json!("0/1"), json!("Pending"), json!("0")]);
        assert_eq!(
            &c[5..9],
            [
                json!("<none>"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn pod_status_reasons() {
        let one = json!({"containers": [{"name": "c"}]});
        let two = json!({"containers": [{"name": "a"}, {"name": "b"}]});
        let with_init =
            json!({"initContainers": [{"name": "init"}], "containers": [{"name": "c"}]});
        let with_sidecar = json!({"initContainers": [{"name": "log", "restartPolicy": "Always"}], "containers": [{"name": "c"}]});
        let waiting = |reason: &str| json!({"name": "c", "restartCount": 0, "state": {"waiting": {"reason": reason}}});
        let terminated = |reason: &str, code: i64, signal: i64| json!({"name": "c", "restartCount": 0, "state": {"terminated": {"reason": reason, "exitCode": code, "signal": signal}}});
        // (case, spec, status, deleting, ready, status column)
        let cases: Vec<(&str, Value, Value, bool, &str, &str)> = vec![
            (
                "creating",
                one.clone(),
                json!({"phase": "Pending", "containerStatuses": [waiting("ContainerCreating")]}),
                false,
                "0/1",
                "ContainerCreating",
            ),
            (
                "crashloop",
                one.clone(),
                json!({"phase": "Running", "containerStatuses": [waiting("CrashLoopBackOff")]}),
                false,
                "0/1",
                "CrashLoopBackOff",
            ),
            (
                "completed",
                one.clone(),
                json!({"phase": "Succeeded", "containerStatuses": [terminated("Completed", 0, 0)]}),
                false,
                "0/1",
                "Completed",
            ),
            (
                "exit code",
                one.clone(),
                json!({"phase": "Failed", "containerStatuses": [terminated("", 2, 0)]}),
                false,
                "0/1",
                "ExitCode:2",
            ),
            (
                "signal",
                one.clone(),
                json!({"phase": "Failed", "containerStatuses": [terminated("", 137, 9)]}),
                false,
                "0/1",
                "Signal:9",
            ),
            (
                "evicted",
                one.clone(),
                json!({"phase": "Failed", "reason": "Evicted"}),
                false,
                "0/1",
                "Evicted",
            ),
            (
                "init pending",
                with_init.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "init", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                false,
                "0/1",
                "Init:0/1",
            ),
            (
                "init running",
                with_init.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [running("init", false, 0)]}),
                false,
                "0/1",
                "Init:0/1",
            ),
            (
                "init crashloop",
                with_init.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "init", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}),
                false,
                "0/1",
                "Init:CrashLoopBackOff",
            ),
            (
                "init failed",
                with_init.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "init", "restartCount": 0, "state": {"terminated": {"exitCode": 1}}}]}),
                false,
                "0/1",
                "Init:ExitCode:1",
            ),
            (
                "init signal",
                with_init.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "init", "restartCount": 0, "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
                false,
                "0/1",
                "Init:Signal:9",
            ),
            (
                "init oom",
                with_init.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "init", "restartCount": 0, "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}),
                false,
                "0/1",
                "Init:OOMKilled",
            ),
            (
                "init done",
                with_init.clone(),
                json!({"phase": "Running", "initContainerStatuses": [
                {"name": "init", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                "containerStatuses": [running("c", true, 0)]}),
                false,
                "1/1",
                "Running",
            ),
            (
                "sidecar",
                with_sidecar,
                json!({"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
                "initContainerStatuses": [running("log", true, 0)], "containerStatuses": [running("c", true, 0)]}),
                false,
                "2/2",
                "Running",
            ),
            (
                "partly completed, ready",
                two.clone(),
                json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [running("a", true, 0), {"name": "b", "restartCount": 0, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}),
                false,
                "1/2",
                "Running",
            ),
            (
                "partly completed, not ready",
                two.clone(),
                json!({"phase": "Running",
                "containerStatuses": [running("a", true, 0), {"name": "b", "restartCount": 0, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}),
                false,
                "1/2",
                "NotReady",
            ),
            (
                "not ready container",
                two,
                json!({"phase": "Running", "containerStatuses": [running("a", true, 0), running("b", false, 0)]}),
                false,
                "1/2",
                "Running",
            ),
            (
                "gated",
                one.clone(),
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
                false,
                "0/1",
                "SchedulingGated",
            ),
            (
                "terminating",
                one.clone(),
                json!({"phase": "Running", "containerStatuses": [running("c", true, 0)]}),
                true,
                "1/1",
                "Terminating",
            ),
            (
                "node lost",
                one.clone(),
                json!({"phase": "Running", "reason": "NodeLost", "containerStatuses": [running("c", true, 0)]}),
                true,
                "1/1",
                "Unknown",
            ),
            (
                "node lost, not deleted",
                one.clone(),
                json!({"phase": "Running", "reason": "NodeLost"}),
                false,
                "0/1",
                "NodeLost",
            ),
            (
                "deleted after success",
                one,
                json!({"phase": "Succeeded", "containerStatuses": [terminated("Completed", 0, 0)]}),
                true,
                "0/1",
                "Completed",
            ),
        ];
        for (case, spec, status, deleting, ready, want) in cases {
            let mut p = pod(spec, status);
            if deleting {
                p["metadata"]["deletionTimestamp"] = json!(NOW);
            }
            let c = cells("", "pods", p);
            assert_eq!((&c[1], &c[2]), (&json!(ready), &json!(want)), "{case}");
        }
    }

    #[test]
    fn finished_pods_carry_a_completed_row_condition() {
        let pods = find("", "v1", "pods").unwrap();
        let succeeded = pod(json!({}), json!({"phase": "Succeeded"}));
        assert_eq!(
            row_conditions(pods, &succeeded),
            [
                json!({"type": "Completed", "status": "True", "reason": "Succeeded",
                    "message": "The pod has completed successfully."})
            ]
        );
        let failed = pod(json!({}), json!({"phase": "Failed"}));
        assert_eq!(
            row_conditions(pods, &failed)[0]["message"],
            json!("The pod failed.")
        );
        assert!(row_conditions(pods, &pod(json!({}), json!({"phase": "Running"}))).is_empty());
        let ns = find("", "v1", "namespaces").unwrap();
        assert!(row_conditions(ns, &json!({"status": {"phase": "Failed"}})).is_empty());
    }

    #[test]
    fn pod_restarts_show_when_the_last_one_was() {
        let restarted = |name: &str, count: i64, finished: &str| {
            let mut s = running(name, true, count);
            s["lastState"] = json!({"terminated": {"exitCode": 1, "finishedAt": finished}});
            s
        };
        let p = pod(
            json!({"containers": [{"name": "a"}, {"name": "b"}]}),
            json!({"phase": "Running", "containerStatuses": [
                restarted("a", 1, "2026-07-01T11:50:00Z"), restarted("b", 2, "2026-07-01T11:58:00Z")]}),
        );
        assert_eq!(cells("", "pods", p)[3], json!("3 (2m ago)"));
        // Restarts without a recorded termination time print the bare count.
        let p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Running", "containerStatuses": [running("a", true, 4)]}),
        );
        assert_eq!(cells("", "pods", p)[3], json!("4"));
        // While initializing, init container restarts count.
        let p = pod(
            json!({"initContainers": [{"name": "init"}], "containers": [{"name": "c"}]}),
            json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "restartCount": 2,
                   "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                   "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-07-01T11:59:30Z"}}}],
                   "containerStatuses": [{"name": "c", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]}),
        );
        assert_eq!(cells("", "pods", p)[3], json!("2 (30s ago)"));
    }

    #[test]
    fn services() {
        assert_eq!(
            names("", "services"),
            [
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age",
                "Selector"
            ]
        );
        let svc = |spec: Value, status: Value| json!({"metadata": {"name": "web", "creationTimestamp": CREATED}, "spec": spec, "status": status});
        let cluster_ip = svc(
            json!({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                   "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                   "selector": {"tier": "front", "app": "web"}}),
            json!({}),
        );
        assert_eq!(
            cells("", "services", cluster_ip),
            [
                json!("web"),
                json!("ClusterIP"),
                json!("10.96.0.10"),
                json!("<none>"),
                json!("80/TCP,53/UDP"),
                json!("5m"),
                json!("app=web,tier=front"),
            ]
        );
        let headless = svc(json!({"type": "ClusterIP", "clusterIP": "None"}), json!({}));
        let c = cells("", "services", headless);
        assert_eq!(
            (&c[2], &c[4], &c[6]),
            (&json!("None"), &json!("<none>"), &json!("<none>"))
        );
        let node_port = svc(
            json!({"type": "NodePort", "clusterIPs": ["10.96.1.1"], "externalIPs": ["1.2.3.4"],
                   "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}),
            json!({}),
        );
        let c = cells("", "services", node_port);
        assert_eq!((&c[3], &c[4]), (&json!("1.2.3.4"), &json!("80:30080/TCP")));
        let lb_pending = svc(
            json!({"type": "LoadBalancer", "clusterIPs": ["10.96.1.2"]}),
            json!({}),
        );
        assert_eq!(cells("", "services", lb_pending)[3], json!("<pending>"));
        let lb = svc(
            json!({"type": "LoadBalancer", "externalIPs": ["5.6.7.8"]}),
            json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}, {"ip": "203.0.113.9"}]}}),
        );
        assert_eq!(
            cells("", "services", lb)[3],
            json!("203.0.113.9,lb.example.com,5.6.7.8")
        );
        let external_name = svc(
            json!({"type": "ExternalName", "externalName": "db.example.com"}),
            json!({}),
        );
        assert_eq!(
            cells("", "services", external_name)[3],
            json!("db.example.com")
        );
    }

    #[test]
    fn endpoints_and_slices() {
        assert_eq!(names("", "endpoints"), ["Name", "Endpoints", "Age"]);
        let ep = |subsets: Value| json!({"metadata": {"name": "web", "creationTimestamp": CREATED}, "subsets": subsets});
        let four = ep(
            json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}]},
                             {"addresses": [{"ip": "10.0.0.3"}, {"ip": "10.0.0.4"}], "ports": [{"port": 80}]}]),
        );
        assert_eq!(
            cells("", "endpoints", four)[1],
            json!("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...")
        );
        let v6 = ep(json!([{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 8080}]}]));
        assert_eq!(cells("", "endpoints", v6)[1], json!("[fd00::1]:8080"));
        let headless = ep(json!([{"addresses": [{"ip": "10.0.0.1"}]}]));
        assert_eq!(cells("", "endpoints", headless)[1], json!("10.0.0.1"));
        assert_eq!(cells("", "endpoints", ep(json!([])))[1], json!("<none>"));

        assert_eq!(
            names("discovery.k8s.io", "endpointslices"),
            ["Name", "AddressType", "Ports", "Endpoints", "Age"]
        );
        let slice = json!({
            "metadata": {"name": "web-abc12", "creationTimestamp": CREATED},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80}, {"name": "metrics"}, {}, {"port": 9000}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]
        });
        assert_eq!(
            cells("discovery.k8s.io", "endpointslices", slice),
            [
                json!("web-abc12"),
                json!("IPv4"),
                json!("80,metrics,* + 1 more..."),
                json!("10.0.0.1,10.0.0.2"),
                json!("5m")
            ]
        );
        let empty = json!({"metadata": {"name": "e"}, "addressType": "IPv4"});
        let c = cells("discovery.k8s.io", "endpointslices", empty);
        assert_eq!((&c[2], &c[3]), (&json!("<unset>"), &json!("<unset>")));
    }

    #[test]
    fn persistent_volumes_and_claims() {
        assert_eq!(
            names("", "persistentvolumes"),
            [
                "Name",
                "Capacity",
                "Access Modes",
                "Reclaim Policy",
                "Status",
                "Claim",
                "StorageClass",
                "VolumeAttributesClass",
                "Reason",
                "Age",
                "VolumeMode"
            ]
        );
        let pv = json!({
            "metadata": {"name": "pvc-1234", "creationTimestamp": CREATED},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "local-path",
                     "claimRef": {"namespace": "default", "name": "www-web-0"}, "volumeMode": "Filesystem"},
            "status": {"phase": "Bound"}
        });
        assert_eq!(
            cells("", "persistentvolumes", pv),
            [
                json!("pvc-1234"),
                json!("1Gi"),
                json!("RWO,RWX"),
                json!("Delete"),
                json!("Bound"),
                json!("default/www-web-0"),
                json!("local-path"),
                json!("<unset>"),
                json!(""),
                json!("5m"),
                json!("Filesystem"),
            ]
        );
        let released = json!({"metadata": {"name": "old", "deletionTimestamp": NOW,
                "annotations": {"volume.beta.kubernetes.io/storage-class": "legacy"}},
            "spec": {"storageClassName": "local-path"}, "status": {"phase": "Failed", "reason": "RecyclerFailed"}});
        let c = cells("", "persistentvolumes", released);
        assert_eq!(
            (&c[1], &c[4], &c[5], &c[6], &c[8], &c[10]),
            (
                &json!("0"),
                &json!("Terminating"),
                &json!(""),
                &json!("legacy"),
                &json!("RecyclerFailed"),
                &json!("<unset>")
            )
        );

        assert_eq!(
            names("", "persistentvolumeclaims"),
            [
                "Name",
                "Status",
                "Volume",
                "Capacity",
                "Access Modes",
                "StorageClass",
                "VolumeAttributesClass",
                "Age",
                "VolumeMode"
            ]
        );
        let bound = json!({
            "metadata": {"name": "www-web-0", "creationTimestamp": CREATED},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": "local-path", "volumeName": "pvc-1234", "volumeMode": "Filesystem",
                     "volumeAttributesClassName": "gold"},
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadWriteOncePod"], "capacity": {"storage": "2Gi"}}
        });
        assert_eq!(
            cells("", "persistentvolumeclaims", bound),
            [
                json!("www-web-0"),
                json!("Bound"),
                json!("pvc-1234"),
                json!("2Gi"),
                json!("RWO,RWOP"),
                json!("local-path"),
                json!("gold"),
                json!("5m"),
                json!("Filesystem"),
            ]
        );
        let pending = json!({"metadata": {"name": "www-web-1", "creationTimestamp": CREATED},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            "status": {"phase": "Pending"}});
        let c = cells("", "persistentvolumeclaims", pending);
        assert_eq!(
            &c[1..7],
            [
                json!("Pending"),
                json!(""),
                json!(""),
                json!(""),
                json!(""),
                json!("<unset>")
            ]
        );
        let deleting = json!({"metadata": {"name": "x", "deletionTimestamp": NOW}, "status": {"phase": "Bound"}});
        assert_eq!(
            cells("", "persistentvolumeclaims", deleting)[1],
            json!("Terminating")
        );
    }

    #[test]
    fn config_maps_secrets_service_accounts() {
        assert_eq!(names("", "configmaps"), ["Name", "Data", "Age"]);
        let cm = json!({"metadata": {"name": "cfg", "creationTimestamp": CREATED},
                        "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
        assert_eq!(
            cells("", "configmaps", cm),
            [json!("cfg"), json!(3), json!("5m")]
        );

        assert_eq!(names("", "secrets"), ["Name", "Type", "Data", "Age"]);
        let secret = json!({"metadata": {"name": "tls", "creationTimestamp": CREATED}, "type": "kubernetes.io/tls",
                            "data": {"tls.crt": "AA==", "tls.key": "AA=="}});
        assert_eq!(
            cells("", "secrets", secret),
            [
                json!("tls"),
                json!("kubernetes.io/tls"),
                json!(2),
                json!("5m")
            ]
        );

        assert_eq!(names("", "serviceaccounts"), ["Name", "Secrets", "Age"]);
        let sa = json!({"metadata": {"name": "default", "creationTimestamp": CREATED}});
        assert_eq!(
            cells("", "serviceaccounts", sa),
            [json!("default"), json!(0), json!("5m")]
        );
    }

    #[test]
    fn core_events() {
        let cols = columns(find("", "v1", "events").unwrap());
        let shown: Vec<(&str, i32)> = cols.iter().map(|c| (c.name, c.priority)).collect();
        assert_eq!(
            shown,
            [
                ("Last Seen", 0),
                ("Type", 0),
                ("Reason", 0),
                ("Object", 0),
                ("Subobject", 1),
                ("Source", 1),
                ("Message", 0),
                ("First Seen", 1),
                ("Count", 1),
                ("Name", 1),
            ]
        );
        let ev = json!({
            "metadata": {"name": "web.17d1", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{nginx}"},
            "reason": "Pulled", "type": "Normal", "message": "Container image \"nginx\" already present on machine\n",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": "2026-07-01T11:00:00Z", "lastTimestamp": "2026-07-01T11:58:00Z", "count": 4
        });
        assert_eq!(
            cells("", "events", ev),
            [
                json!("2m"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/web-0"),
                json!("spec.containers{nginx}"),
                json!("kubelet, node-1"),
                json!("Container image \"nginx\" already present on machine"),
                json!("60m"),
                json!(4),
                json!("web.17d1"),
            ]
        );
        // A new-style event stored through core/v1: eventTime, series, reporting fields.
        let series = json!({
            "metadata": {"name": "web.17d2"},
            "involvedObject": {"kind": "StatefulSet", "name": "web"},
            "reason": "SuccessfulCreate", "type": "Normal", "message": "create Pod web-1",
            "eventTime": "2026-07-01T11:30:00.000000Z", "reportingComponent": "statefulset-controller",
            "reportingInstance": "berth",
            // 9.88s ago: ages truncate toward zero.
            "series": {"count": 7, "lastObservedTime": "2026-07-01T11:59:50.123456Z"}
        });
        let c = cells("", "events", series);
        assert_eq!(
            (&c[0], &c[3], &c[5], &c[7], &c[8]),
            (
                &json!("9s"),
                &json!("statefulset/web"),
                &json!("statefulset-controller, berth"),
                &json!("30m"),
                &json!(7)
            )
        );
        let singleton = json!({"metadata": {"name": "n"}, "involvedObject": {"kind": "Node"}, "eventTime": "2026-07-01T11:59:00.000000Z"});
        let c = cells("", "events", singleton);
        assert_eq!(
            (&c[0], &c[3], &c[7], &c[8]),
            (&json!("60s"), &json!("node"), &json!("60s"), &json!(1))
        );
        assert_eq!(cells("", "events", json!({}))[0], json!("<unknown>"));
    }

    #[test]
    fn events_k8s_io_events_print_like_core_ones() {
        let rt = find("events.k8s.io", "v1", "events").unwrap();
        assert_eq!(columns(rt), columns(find("", "v1", "events").unwrap()));
        let ev = json!({
            "metadata": {"name": "web.17d3"},
            "regarding": {"kind": "PersistentVolumeClaim", "name": "www-web-0"},
            "reason": "ProvisioningSucceeded", "type": "Normal", "note": "provisioned pvc-1234",
            "eventTime": "2026-07-01T11:00:00.000000Z", "reportingController": "local-path-provisioner",
            "reportingInstance": "berth", "deprecatedCount": 2,
            "deprecatedFirstTimestamp": "2026-07-01T11:50:00Z", "deprecatedLastTimestamp": "2026-07-01T11:55:00Z"
        });
        assert_eq!(
            row_cells(rt, &ev, now()),
            [
                json!("5m"),
                json!("Normal"),
                json!("ProvisioningSucceeded"),
                json!("persistentvolumeclaim/www-web-0"),
                json!(""),
                json!("local-path-provisioner, berth"),
                json!("provisioned pvc-1234"),
                json!("10m"),
                json!(2),
                json!("web.17d3"),
            ]
        );
    }

    #[test]
    fn statefulsets_and_revisions() {
        assert_eq!(
            names("apps", "statefulsets"),
            ["Name", "Ready", "Age", "Containers", "Images"]
        );
        let sts = json!({
            "metadata": {"name": "web", "creationTimestamp": CREATED},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:1.27"}, {"name": "exporter", "image": "exporter:0.1"}]}}},
            "status": {"replicas": 3, "readyReplicas": 2}
        });
        assert_eq!(
            cells("apps", "statefulsets", sts),
            [
                json!("web"),
                json!("2/3"),
                json!("5m"),
                json!("nginx,exporter"),
                json!("nginx:1.27,exporter:0.1")
            ]
        );
        let scaled_to_zero = json!({"metadata": {"name": "db"}, "spec": {"replicas": 0}});
        assert_eq!(
            cells("apps", "statefulsets", scaled_to_zero)[1],
            json!("0/0")
        );

        assert_eq!(
            names("apps", "controllerrevisions"),
            ["Name", "Controller", "Revision", "Age"]
        );
        let rev = json!({
            "metadata": {"name": "web-5d8f7c9b6", "creationTimestamp": CREATED, "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "other"},
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": true}]},
            "revision": 2
        });
        assert_eq!(
            cells("apps", "controllerrevisions", rev),
            [
                json!("web-5d8f7c9b6"),
                json!("statefulset.apps/web"),
                json!(2),
                json!("5m")
            ]
        );
        let core_owner = json!({"metadata": {"name": "r", "ownerReferences": [
            {"apiVersion": "v1", "kind": "Pod", "name": "p", "controller": true}]}, "revision": 1});
        assert_eq!(
            cells("apps", "controllerrevisions", core_owner)[1],
            json!("pod/p")
        );
        let orphan = json!({"metadata": {"name": "r"}, "revision": 1});
        assert_eq!(
            cells("apps", "controllerrevisions", orphan)[1],
            json!("<none>")
        );
    }

    #[test]
    fn storage_classes_and_leases() {
        assert_eq!(
            names("storage.k8s.io", "storageclasses"),
            [
                "Name",
                "Provisioner",
                "ReclaimPolicy",
                "VolumeBindingMode",
                "AllowVolumeExpansion",
                "Age"
            ]
        );
        let default_class = json!({
            "metadata": {"name": "local-path", "creationTimestamp": CREATED,
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "berth.dev/local-path", "reclaimPolicy": "Retain",
            "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true
        });
        assert_eq!(
            cells("storage.k8s.io", "storageclasses", default_class),
            [
                json!("local-path (default)"),
                json!("berth.dev/local-path"),
                json!("Retain"),
                json!("WaitForFirstConsumer"),
                json!(true),
                json!("5m"),
            ]
        );
        let plain = json!({"metadata": {"name": "fast",
                           "annotations": {"storageclass.kubernetes.io/is-default-class": "false"}},
                           "provisioner": "example.com/fast"});
        let c = cells("storage.k8s.io", "storageclasses", plain);
        assert_eq!(
            &c[..5],
            [
                json!("fast"),
                json!("example.com/fast"),
                json!("Delete"),
                json!("Immediate"),
                json!(false)
            ]
        );

        assert_eq!(
            names("coordination.k8s.io", "leases"),
            ["Name", "Holder", "Age"]
        );
        let lease = json!({"metadata": {"name": "node-1", "creationTimestamp": CREATED}, "spec": {"holderIdentity": "node-1"}});
        assert_eq!(
            cells("coordination.k8s.io", "leases", lease),
            [json!("node-1"), json!("node-1"), json!("5m")]
        );
    }

    #[test]
    fn rbac_kinds() {
        let rbac = "rbac.authorization.k8s.io";
        assert_eq!(names(rbac, "clusterroles"), ["Name", "Created At"]);
        assert_eq!(names(rbac, "roles"), ["Name", "Created At"]);
        let cr = columns(find(rbac, "v1", "clusterroles").unwrap());
        assert_eq!(cr[1].type_, "date");
        let role =
            json!({"metadata": {"name": "view", "creationTimestamp": "2026-05-01T10:00:00Z"}});
        assert_eq!(
            cells(rbac, "clusterroles", role),
            [json!("view"), json!("2026-05-01T10:00:00Z")]
        );
        let unset = json!({"metadata": {"name": "x"}});
        assert_eq!(
            cells(rbac, "roles", unset)[1],
            json!("0001-01-01T00:00:00Z")
        );

        assert_eq!(
            names(rbac, "clusterrolebindings"),
            ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]
        );
        assert_eq!(
            names(rbac, "rolebindings"),
            ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]
        );
        let binding = json!({
            "metadata": {"name": "admins", "creationTimestamp": CREATED},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
            "subjects": [
                {"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"},
                {"kind": "Group", "name": "ops"},
                {"kind": "ServiceAccount", "namespace": "kube-system", "name": "berth"}
            ]
        });
        assert_eq!(
            cells(rbac, "clusterrolebindings", binding.clone()),
            [
                json!("admins"),
                json!("ClusterRole/admin"),
                json!("5m"),
                json!("alice, bob"),
                json!("ops"),
                json!("kube-system/berth")
            ]
        );
        assert_eq!(
            cells(rbac, "rolebindings", binding)[1],
            json!("ClusterRole/admin")
        );
    }
}
