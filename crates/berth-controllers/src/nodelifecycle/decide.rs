//! Node lifecycle decisions (upstream `pkg/controller/nodelifecycle` and
//! `pkg/controller/tainteviction`): node health from heartbeat age, the taints that follow
//! from the conditions and cordoning, and when a pod on a NoExecute-tainted node is evicted.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Node, NodeCondition, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
/// The taint of a cordoned node (`spec.unschedulable`).
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
const NO_SCHEDULE: &str = "NoSchedule";
const NO_EXECUTE: &str = "NoExecute";
/// The conditions the controller marks Unknown when the kubelet goes silent.
const WATCHED_CONDITIONS: [&str; 4] = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// The newest sign of life: the lease's renewTime or the Ready heartbeat, else creation.
pub fn last_heartbeat(node: &Node, lease_renewed: Option<Timestamp>) -> Option<Timestamp> {
    let ready_heartbeat = ready_condition(node)
        .and_then(|c| c.last_heartbeat_time.as_ref())
        .map(|t| t.0);
    let created = node.metadata.creation_timestamp.as_ref().map(|t| t.0);
    [lease_renewed, ready_heartbeat, created]
        .into_iter()
        .flatten()
        .max()
}

pub fn ready_condition(node: &Node) -> Option<&NodeCondition> {
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions
        .into_iter()
        .flatten()
        .find(|c| c.type_ == "Ready")
}

/// The node's conditions after a health check: when nothing was heard for longer than the
/// grace period (the startup grace period for a node that never posted Ready), every
/// watched condition becomes Unknown, as upstream's `tryUpdateNodeHealth` does. `None`
/// when nothing changes.
pub fn stale_conditions(
    node: &Node,
    lease_renewed: Option<Timestamp>,
    now: Timestamp,
    grace: Duration,
    startup_grace: Duration,
) -> Option<Vec<NodeCondition>> {
    let existing = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let posted = ready_condition(node).is_some();
    let grace = if posted { grace } else { startup_grace };
    let heard = last_heartbeat(node, lease_renewed)?;
    let silence = now.duration_since(heard);
    if silence <= SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX) {
        return None;
    }
    let mut conditions = existing.clone();
    for type_ in WATCHED_CONDITIONS {
        match conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(condition) if condition.status != "Unknown" => {
                condition.status = "Unknown".to_string();
                condition.reason = Some("NodeStatusUnknown".to_string());
                condition.message = Some("Kubelet stopped posting node status.".to_string());
                condition.last_transition_time = Some(Time(now));
            }
            Some(_) => {}
            None => conditions.push(NodeCondition {
                type_: type_.to_string(),
                status: "Unknown".to_string(),
                reason: Some("NodeStatusNeverUpdated".to_string()),
                message: Some("Kubelet never posted node status.".to_string()),
                last_heartbeat_time: node.metadata.creation_timestamp.clone(),
                last_transition_time: Some(Time(now)),
            }),
        }
    }
    (conditions != existing).then_some(conditions)
}

/// The NoSchedule taint each condition status calls for (upstream
/// `nodeConditionToTaintKeyStatusMap`, "taint nodes by condition").
const CONDITION_TAINTS: [(&str, &str, &str); 6] = [
    ("Ready", "False", NOT_READY_TAINT),
    ("Ready", "Unknown", UNREACHABLE_TAINT),
    (
        "MemoryPressure",
        "True",
        "node.kubernetes.io/memory-pressure",
    ),
    ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
    (
        "NetworkUnavailable",
        "True",
        "node.kubernetes.io/network-unavailable",
    ),
    ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
];

/// The node's taints as its conditions and `spec.unschedulable` want them:
/// - NoSchedule: one per condition in [`CONDITION_TAINTS`], and `unschedulable` for a
///   cordoned node (upstream's `doNoScheduleTaintingPass`);
/// - NoExecute: `not-ready` for Ready False, `unreachable` for Ready Unknown (upstream's
///   taint-based eviction).
///
/// Taints added now are stamped with `now`, as upstream's `SwapNodeControllerTaint` does;
/// those already there keep their time. Until the node posts a Ready condition its
/// `not-ready` and `unreachable` taints are left alone (the kubelet registers with
/// `not-ready`), and taints of other keys are never touched.
pub fn wanted_taints(node: &Node, now: Timestamp) -> Vec<Taint> {
    let existing = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default();
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_deref());
    let ready = ready_condition(node).map(|c| c.status.as_str());

    let mut wanted: Vec<(&str, &str)> = Vec::new();
    for condition in conditions.unwrap_or_default() {
        wanted.extend(
            CONDITION_TAINTS
                .iter()
                .filter(|(type_, status, _)| {
                    condition.type_ == *type_ && condition.status == *status
                })
                .map(|(_, _, key)| (*key, NO_SCHEDULE)),
        );
    }
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        wanted.push((UNSCHEDULABLE_TAINT, NO_SCHEDULE));
    }
    match ready {
        Some("False") => wanted.push((NOT_READY_TAINT, NO_EXECUTE)),
        Some("Unknown") => wanted.push((UNREACHABLE_TAINT, NO_EXECUTE)),
        _ => {}
    }

    let follows_ready = |key: &str| key == NOT_READY_TAINT || key == UNREACHABLE_TAINT;
    let managed = |taint: &Taint| {
        if ready.is_none() && follows_ready(&taint.key) {
            return false;
        }
        match taint.effect.as_str() {
            NO_SCHEDULE => {
                taint.key == UNSCHEDULABLE_TAINT
                    || CONDITION_TAINTS.iter().any(|(_, _, key)| taint.key == *key)
            }
            NO_EXECUTE => follows_ready(&taint.key),
            _ => false,
        }
    };
    let mut taints: Vec<Taint> = existing
        .iter()
        .filter(|t| !managed(t) || wanted.contains(&(t.key.as_str(), t.effect.as_str())))
        .cloned()
        .collect();
    for (key, effect) in wanted {
        if !taints.iter().any(|t| t.key == key && t.effect == effect) {
            taints.push(Taint {
                key: key.to_string(),
                effect: effect.to_string(),
                time_added: Some(Time(now)),
                value: None,
            });
        }
    }
    taints
}

/// Whether a toleration tolerates a taint (upstream `ToleratesTaint`).
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    let operator = toleration.operator.as_deref().unwrap_or("Equal");
    if key.is_empty() {
        // An empty key with Exists tolerates everything.
        return operator == "Exists";
    }
    if key != taint.key {
        return false;
    }
    match operator {
        "Exists" => true,
        "Equal" => {
            toleration.value.as_deref().unwrap_or_default()
                == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// Every NoExecute taint is tolerated forever (or there are none).
    Keep,
    Now,
    After(Duration),
}

/// When a pod on a node with these taints is evicted: at once if some NoExecute taint is
/// not tolerated, else after the shortest `tolerationSeconds` of the tolerations used,
/// counted from when the taints were added.
pub fn eviction(tolerations: &[Toleration], taints: &[Taint], now: Timestamp) -> Eviction {
    let no_execute: Vec<&Taint> = taints.iter().filter(|t| t.effect == NO_EXECUTE).collect();
    if no_execute.is_empty() {
        return Eviction::Keep;
    }
    let mut shortest: Option<i64> = None;
    for taint in &no_execute {
        let used: Vec<&Toleration> = tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if used.is_empty() {
            return Eviction::Now;
        }
        for toleration in used {
            if let Some(seconds) = toleration.toleration_seconds {
                shortest = Some(shortest.map_or(seconds, |s| s.min(seconds)));
            }
        }
    }
    let Some(seconds) = shortest else {
        return Eviction::Keep;
    };
    let since = no_execute
        .iter()
        .filter_map(|t| t.time_added.as_ref().map(|t| t.0))
        .min()
        .unwrap_or(now);
    let deadline = since + SignedDuration::from_secs(seconds.max(0));
    match Duration::try_from(deadline.duration_since(now)) {
        Ok(left) if !left.is_zero() => Eviction::After(left),
        _ => Eviction::Now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_000_000 + seconds).unwrap()
    }

    fn node(ready: Option<(&str, i64)>) -> Node {
        let mut value = json!({"metadata": {"name": "n", "creationTimestamp": at(0).to_string()},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}]}});
        if let Some((status, heartbeat)) = ready {
            value["status"]["conditions"]
                .as_array_mut()
                .unwrap()
                .push(json!({"type": "Ready", "status": status, "lastHeartbeatTime": at(heartbeat).to_string()}));
        }
        serde_json::from_value(value).unwrap()
    }

    fn statuses(conditions: &[NodeCondition]) -> Vec<(&str, &str, Option<&str>)> {
        conditions
            .iter()
            .map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_deref()))
            .collect()
    }

    const GRACE: Duration = Duration::from_secs(40);
    const STARTUP: Duration = Duration::from_secs(60);

    #[test]
    fn node_health_from_heartbeat_age() {
        // (name, node, lease renewed at, now, stale?)
        let cases = [
            (
                "fresh lease",
                node(Some(("True", 0))),
                Some(100),
                130,
                false,
            ),
            (
                "lease 40 s old is still fine",
                node(Some(("True", 0))),
                Some(100),
                140,
                false,
            ),
            (
                "lease 41 s old",
                node(Some(("True", 0))),
                Some(100),
                141,
                true,
            ),
            (
                "no lease, recent Ready heartbeat",
                node(Some(("True", 100))),
                None,
                130,
                false,
            ),
            (
                "no lease, old heartbeat",
                node(Some(("True", 100))),
                None,
                141,
                true,
            ),
            ("never posted: startup grace", node(None), None, 59, false),
            (
                "never posted, after startup grace",
                node(None),
                None,
                61,
                true,
            ),
        ];
        for (name, node, lease, now, stale) in cases {
            let result = stale_conditions(&node, lease.map(at), at(now), GRACE, STARTUP);
            assert_eq!(result.is_some(), stale, "{name}");
        }
    }

    #[test]
    fn stale_nodes_get_unknown_conditions() {
        let conditions =
            stale_conditions(&node(Some(("True", 0))), None, at(100), GRACE, STARTUP).unwrap();
        assert_eq!(
            statuses(&conditions),
            [
                ("MemoryPressure", "Unknown", Some("NodeStatusUnknown")),
                ("Ready", "Unknown", Some("NodeStatusUnknown")),
                ("DiskPressure", "Unknown", Some("NodeStatusNeverUpdated")),
                ("PIDPressure", "Unknown", Some("NodeStatusNeverUpdated")),
            ]
        );
        let ready = conditions.iter().find(|c| c.type_ == "Ready").unwrap();
        assert_eq!(
            ready.message.as_deref(),
            Some("Kubelet stopped posting node status.")
        );
        assert_eq!(ready.last_transition_time, Some(Time(at(100))));
        assert_eq!(
            ready.last_heartbeat_time,
            Some(Time(at(0))),
            "the heartbeat is the kubelet's"
        );
        let never = conditions
            .iter()
            .find(|c| c.type_ == "DiskPressure")
            .unwrap();
        assert_eq!(
            never.message.as_deref(),
            Some("Kubelet never posted node status.")
        );

        // Already Unknown: nothing more to write.
        let mut marked = node(Some(("True", 0)));
        marked.status.as_mut().unwrap().conditions = Some(conditions);
        assert_eq!(
            stale_conditions(&marked, None, at(200), GRACE, STARTUP),
            None
        );
    }

    fn taint(key: &str, effect: &str, added: Option<i64>) -> Taint {
        Taint {
            key: key.into(),
            effect: effect.into(),
            time_added: added.map(|s| Time(at(s))),
            value: None,
        }
    }

    /// A node with these taints, conditions (type, status) and `spec.unschedulable`.
    fn tainted_node(taints: &[Taint], conditions: &[(&str, &str)], unschedulable: bool) -> Node {
        let conditions: Vec<Value> = conditions
            .iter()
            .map(|(type_, status)| json!({"type": type_, "status": status}))
            .collect();
        serde_json::from_value(json!({
            "metadata": {"name": "n"},
            "spec": {"taints": taints, "unschedulable": unschedulable},
            "status": {"conditions": conditions},
        }))
        .unwrap()
    }

    #[test]
    fn taints_follow_the_conditions_and_cordoning() {
        let custom = taint("example.com/dedicated", "NoSchedule", None);
        let summary = |taints: Vec<Taint>| -> Vec<(String, String, Option<Timestamp>)> {
            taints
                .into_iter()
                .map(|t| (t.key, t.effect, t.time_added.map(|t| t.0)))
                .collect()
        };
        let own = |list: &[(&str, &str, Option<i64>)]| -> Vec<(String, String, Option<Timestamp>)> {
            list.iter()
                .map(|(k, e, s)| (k.to_string(), e.to_string(), s.map(at)))
                .collect()
        };
        let unreachable = [
            taint(UNREACHABLE_TAINT, "NoSchedule", Some(5)),
            taint(UNREACHABLE_TAINT, "NoExecute", Some(5)),
        ];
        let cordoned = taint(UNSCHEDULABLE_TAINT, "NoSchedule", Some(5));
        const MEMORY: &str = "node.kubernetes.io/memory-pressure";
        type Case<'a> = (
            &'a str,
            Vec<Taint>,
            Vec<(&'a str, &'a str)>,
            bool,
            Vec<(&'a str, &'a str, Option<i64>)>,
        );
        let cases: Vec<Case> = vec![
            (
                "unknown: unreachable taints added",
                vec![custom.clone()],
                vec![("Ready", "Unknown")],
                false,
                vec![
                    ("example.com/dedicated", "NoSchedule", None),
                    (UNREACHABLE_TAINT, "NoSchedule", Some(10)),
                    (UNREACHABLE_TAINT, "NoExecute", Some(10)),
                ],
            ),
            (
                "unknown again: taints and their time kept",
                unreachable.to_vec(),
                vec![("Ready", "Unknown")],
                false,
                vec![
                    (UNREACHABLE_TAINT, "NoSchedule", Some(5)),
                    (UNREACHABLE_TAINT, "NoExecute", Some(5)),
                ],
            ),
            (
                "false: not-ready replaces unreachable",
                unreachable.to_vec(),
                vec![("Ready", "False")],
                false,
                vec![
                    (NOT_READY_TAINT, "NoSchedule", Some(10)),
                    (NOT_READY_TAINT, "NoExecute", Some(10)),
                ],
            ),
            (
                "recovery removes them",
                [unreachable.to_vec(), vec![custom.clone()]].concat(),
                vec![("Ready", "True")],
                false,
                vec![("example.com/dedicated", "NoSchedule", None)],
            ),
            (
                "no Ready condition: untouched",
                unreachable.to_vec(),
                vec![],
                false,
                vec![
                    (UNREACHABLE_TAINT, "NoSchedule", Some(5)),
                    (UNREACHABLE_TAINT, "NoExecute", Some(5)),
                ],
            ),
            (
                "cordoned: unschedulable added",
                vec![custom.clone()],
                vec![("Ready", "True")],
                true,
                vec![
                    ("example.com/dedicated", "NoSchedule", None),
                    (UNSCHEDULABLE_TAINT, "NoSchedule", Some(10)),
                ],
            ),
            (
                "still cordoned: kept with its time",
                vec![cordoned.clone()],
                vec![("Ready", "True")],
                true,
                vec![(UNSCHEDULABLE_TAINT, "NoSchedule", Some(5))],
            ),
            (
                "uncordoned: unschedulable removed",
                vec![cordoned.clone(), custom.clone()],
                vec![("Ready", "True")],
                false,
                vec![("example.com/dedicated", "NoSchedule", None)],
            ),
            (
                "cordoning does not wait for a Ready condition",
                vec![],
                vec![],
                true,
                vec![(UNSCHEDULABLE_TAINT, "NoSchedule", Some(10))],
            ),
            (
                "pressure conditions taint NoSchedule only while True",
                vec![taint(
                    "node.kubernetes.io/disk-pressure",
                    "NoSchedule",
                    Some(5),
                )],
                vec![
                    ("Ready", "True"),
                    ("MemoryPressure", "True"),
                    ("DiskPressure", "False"),
                ],
                false,
                vec![(MEMORY, "NoSchedule", Some(10))],
            ),
            (
                "a managed key with another effect is not ours",
                vec![taint(UNSCHEDULABLE_TAINT, "NoExecute", None)],
                vec![("Ready", "True")],
                false,
                vec![(UNSCHEDULABLE_TAINT, "NoExecute", None)],
            ),
        ];
        for (name, existing, conditions, unschedulable, want) in cases {
            let node = tainted_node(&existing, &conditions, unschedulable);
            assert_eq!(summary(wanted_taints(&node, at(10))), own(&want), "{name}");
        }
    }

    fn toleration(value: Value) -> Toleration {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn toleration_matching_table() {
        let t = Taint {
            key: "k".into(),
            value: Some("v".into()),
            effect: "NoExecute".into(),
            time_added: None,
        };
        let cases = [
            (json!({"operator": "Exists"}), true),
            (json!({"key": "k", "operator": "Exists"}), true),
            (
                json!({"key": "k", "operator": "Exists", "effect": "NoSchedule"}),
                false,
            ),
            (json!({"key": "k", "value": "v"}), true),
            (
                json!({"key": "k", "operator": "Equal", "value": "w"}),
                false,
            ),
            (json!({"key": "other", "operator": "Exists"}), false),
            (json!({"operator": "Equal", "value": "v"}), false),
        ];
        for (spec, want) in cases {
            assert_eq!(tolerates(&toleration(spec.clone()), &t), want, "{spec}");
        }
    }

    #[test]
    fn eviction_timing_table() {
        let taints = [
            taint(UNREACHABLE_TAINT, "NoSchedule", None),
            taint(UNREACHABLE_TAINT, "NoExecute", Some(0)),
        ];
        let mixed = [taints[1].clone(), taint("other", "NoExecute", Some(0))];
        let default = json!({"key": UNREACHABLE_TAINT, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300});
        type Case<'a> = (&'a str, Vec<Value>, &'a [Taint], i64, Eviction);
        let cases: Vec<Case> = vec![
            (
                "no toleration: evicted at once",
                vec![],
                &taints,
                10,
                Eviction::Now,
            ),
            (
                "default 300 s toleration",
                vec![default.clone()],
                &taints,
                10,
                Eviction::After(Duration::from_secs(290)),
            ),
            (
                "300 s have passed",
                vec![default.clone()],
                &taints,
                300,
                Eviction::Now,
            ),
            (
                "the shortest toleration wins",
                vec![
                    default,
                    json!({"operator": "Exists", "tolerationSeconds": 30}),
                ],
                &taints,
                10,
                Eviction::After(Duration::from_secs(20)),
            ),
            (
                "tolerated forever",
                vec![json!({"operator": "Exists"})],
                &taints,
                10_000,
                Eviction::Keep,
            ),
            (
                "negative seconds mean now",
                vec![json!({"operator": "Exists", "tolerationSeconds": -5})],
                &taints,
                1,
                Eviction::Now,
            ),
            (
                "only NoSchedule taints",
                vec![],
                &taints[..1],
                10,
                Eviction::Keep,
            ),
            (
                "one untolerated taint among tolerated ones",
                vec![json!({"key": UNREACHABLE_TAINT, "operator": "Exists"})],
                &mixed,
                10,
                Eviction::Now,
            ),
        ];
        for (name, tolerations, taints, now, want) in cases {
            let tolerations: Vec<Toleration> = tolerations.into_iter().map(toleration).collect();
            assert_eq!(eviction(&tolerations, taints, at(now)), want, "{name}");
        }
    }
}
