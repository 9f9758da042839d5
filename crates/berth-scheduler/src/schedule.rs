//! One scheduling decision, as a pure function of the pod and the [`Cluster`]: filter the
//! nodes (upstream's default plugins that apply to berth, in upstream's order), score
//! those that fit, pick the best, or explain why none fits in upstream's words.

use std::collections::{BTreeMap, HashMap, HashSet};

use berth_api::pods::{HostPort, host_port_conflict, host_ports};
use k8s_openapi::api::core::v1::{Node, Pod, Taint, Toleration};

use crate::cluster::{Cluster, NodeState, controller_uid, required_anti_affinity};
use crate::matching::{
    AffinityTerm, NO_EXECUTE, NO_SCHEDULE, PREFER_NO_SCHEDULE, node_labels, pod_labels,
    pod_matches_node_affinity, term_matches, tolerates, untolerated_taint,
};
use crate::resources::{
    CPU, MEMORY, PODS, Resources, node_allocatable, pod_nonzero_requests, pod_requests,
};
use crate::volumes::{VolumePlan, plan_volumes};

pub const REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const REASON_TAINT: &str = "node(s) had untolerated taint(s)";
pub const REASON_NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
pub const REASON_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
pub const REASON_TOO_MANY_PODS: &str = "Too many pods";
pub const REASON_POD_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const REASON_POD_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
pub const REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
const NO_NODES: &str = "no nodes available to schedule pods";
/// Preemption outcomes per node: resolvable failures could in principle be fixed by
/// evicting pods (berth has no lower-priority pods to evict), the others could not.
const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// What upstream's post-filter plugins (DynamicResources, then DefaultPreemption) say
/// before the preemption summary.
const POST_FILTER_PREFIX: &str = "no new claims to deallocate, preemption: ";

const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// Score weights of upstream's default profile.
const NODE_AFFINITY_WEIGHT: i64 = 2;
const POD_AFFINITY_WEIGHT: i64 = 2;
const SPREAD_WEIGHT: i64 = 2;
const LEAST_ALLOCATED_WEIGHT: i64 = 1;
const TAINT_WEIGHT: i64 = 3;
const MAX_SCORE: i64 = 100;

/// Where the pod goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub node: String,
    /// Unbound `WaitForFirstConsumer` claims to annotate with the node.
    pub claims_to_provision: Vec<String>,
    /// Whether every claim is bound already (else binding waits for them).
    pub volumes_ready: bool,
}

/// Why a node was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rejection {
    reasons: Vec<String>,
    /// Whether evicting pods could help (upstream's Unschedulable vs
    /// UnschedulableAndUnresolvable).
    resolvable: bool,
}

impl Rejection {
    fn unresolvable(reason: &str) -> Rejection {
        Rejection {
            reasons: vec![reason.to_string()],
            resolvable: false,
        }
    }

    fn resolvable(reasons: Vec<String>) -> Rejection {
        Rejection {
            reasons,
            resolvable: true,
        }
    }
}

/// Why no node fits, in the shape of upstream's `FitError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitError {
    nodes: usize,
    pre_filter: Option<String>,
    /// reason → number of nodes.
    reasons: BTreeMap<String, usize>,
    resolvable_nodes: usize,
}

impl FitError {
    /// Upstream's message: `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't
    /// match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/3
    /// nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is
    /// not helpful for scheduling.`
    pub fn message(&self) -> String {
        if self.nodes == 0 {
            return NO_NODES.to_string();
        }
        let head = format!("0/{} nodes are available:", self.nodes);
        let mut message = head.clone();
        match &self.pre_filter {
            Some(pre_filter) => message.push_str(&format!(" {pre_filter}.")),
            None => {
                let mut histogram: Vec<String> = self
                    .reasons
                    .iter()
                    .map(|(reason, count)| format!("{count} {reason}"))
                    .collect();
                histogram.sort();
                message.push_str(&format!(" {}.", histogram.join(", ")));
            }
        }
        let unresolvable = self.nodes - self.resolvable_nodes;
        let mut preemption: Vec<String> = [
            (self.resolvable_nodes, NO_VICTIMS),
            (unresolvable, NOT_HELPFUL),
        ]
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, text)| format!("{count} {text}"))
        .collect();
        preemption.sort();
        message.push_str(&format!(
            " {POST_FILTER_PREFIX}{head} {}.",
            preemption.join(", ")
        ));
        message
    }
}

/// Decides where `pod` goes. `tie_breaker` picks among equally good nodes (the caller
/// rotates it so equal nodes take turns).
pub fn schedule(pod: &Pod, cluster: &Cluster, tie_breaker: usize) -> Result<Placement, FitError> {
    let nodes: Vec<(&str, &NodeState, &Node)> = cluster
        .nodes
        .iter()
        .filter_map(|(name, state)| Some((name.as_str(), state, state.node.as_deref()?)))
        .collect();
    let fail =
        |pre_filter: Option<String>, reasons: BTreeMap<String, usize>, resolvable| FitError {
            nodes: nodes.len(),
            pre_filter,
            reasons,
            resolvable_nodes: resolvable,
        };
    let volumes = match plan_volumes(pod, cluster) {
        Ok(plan) => plan,
        Err(message) => return Err(fail(Some(message), BTreeMap::new(), 0)),
    };
    let affinity = PodAffinityState::new(pod, cluster);
    let requests = pod_requests(pod);
    let host_ports = host_ports(pod);

    let mut feasible = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut resolvable = 0;
    for (name, state, node) in &nodes {
        match filter(
            pod,
            node,
            state,
            &requests,
            &host_ports,
            &volumes,
            &affinity,
        ) {
            Ok(()) => feasible.push((*name, *state, *node)),
            Err(rejection) => {
                if rejection.resolvable {
                    resolvable += 1;
                }
                for reason in rejection.reasons {
                    *reasons.entry(reason).or_insert(0) += 1;
                }
            }
        }
    }
    if feasible.is_empty() {
        return Err(fail(None, reasons, resolvable));
    }

    let scores = score(pod, cluster, &feasible, &affinity);
    let best = scores.iter().copied().max().unwrap_or(0);
    let top: Vec<usize> = (0..feasible.len()).filter(|i| scores[*i] == best).collect();
    let chosen = feasible[top[tie_breaker % top.len()]].0;
    Ok(Placement {
        node: chosen.to_string(),
        claims_to_provision: volumes.claims_to_provision(),
        volumes_ready: volumes.all_bound(),
    })
}

/// The node's taints as the scheduler sees them: a node that is not Ready counts as
/// tainted `node.kubernetes.io/not-ready:NoSchedule` even before the node lifecycle
/// controller adds the taint.
fn effective_taints(node: &Node) -> Vec<Taint> {
    let mut taints = node
        .spec
        .as_ref()
        .and_then(|spec| spec.taints.clone())
        .unwrap_or_default();
    let ready = node
        .status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|ready| ready.status == "True");
    if !ready && !taints.iter().any(|t| t.key == NOT_READY_TAINT) {
        taints.push(Taint {
            key: NOT_READY_TAINT.to_string(),
            effect: NO_SCHEDULE.to_string(),
            value: None,
            time_added: None,
        });
    }
    taints
}

fn tolerations(pod: &Pod) -> &[Toleration] {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.tolerations.as_deref())
        .unwrap_or_default()
}

/// Runs the filters on one node; the first that fails gives the node's reasons.
fn filter(
    pod: &Pod,
    node: &Node,
    state: &NodeState,
    requests: &Resources,
    host_ports: &[HostPort],
    volumes: &VolumePlan,
    affinity: &PodAffinityState,
) -> Result<(), Rejection> {
    let tolerations = tolerations(pod);
    // NodeUnschedulable
    let cordoned = node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true);
    let cordon_taint = Taint {
        key: UNSCHEDULABLE_TAINT.to_string(),
        effect: NO_SCHEDULE.to_string(),
        value: None,
        time_added: None,
    };
    if cordoned && !tolerations.iter().any(|t| tolerates(t, &cordon_taint)) {
        return Err(Rejection::unresolvable(REASON_UNSCHEDULABLE));
    }
    // TaintToleration
    let taints = effective_taints(node);
    if untolerated_taint(&taints, tolerations, &[NO_SCHEDULE, NO_EXECUTE]).is_some() {
        return Err(Rejection::unresolvable(REASON_TAINT));
    }
    // NodeAffinity
    if !pod_matches_node_affinity(pod, node) {
        return Err(Rejection::unresolvable(REASON_NODE_AFFINITY));
    }
    // NodePorts
    if host_port_conflict(host_ports, &state.host_ports) {
        return Err(Rejection::resolvable(vec![REASON_PORTS.to_string()]));
    }
    // NodeResourcesFit
    let insufficient = insufficient_resources(requests, &node_allocatable(node), state);
    if !insufficient.is_empty() {
        return Err(Rejection::resolvable(insufficient));
    }
    // VolumeBinding
    if let Some(reason) = volumes.node_conflict(node) {
        return Err(Rejection::unresolvable(reason));
    }
    // InterPodAffinity
    affinity.filter(node)
}

/// Upstream's NodeResourcesFit reasons, pods first, then CPU, memory and the rest by name.
fn insufficient_resources(
    requests: &Resources,
    allocatable: &Resources,
    state: &NodeState,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if state.pod_count * 1000 + 1000 > allocatable.get(PODS) {
        reasons.push(REASON_TOO_MANY_PODS.to_string());
    }
    let mut names: Vec<&str> = requests.iter().map(|(name, _)| name).collect();
    names.sort_by_key(|name| match *name {
        CPU => (0, *name),
        MEMORY => (1, *name),
        _ => (2, *name),
    });
    for name in names {
        let wanted = requests.get(name);
        if name == PODS || wanted <= 0 {
            continue;
        }
        if wanted > allocatable.get(name) - state.requested.get(name) {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    reasons
}

/// The incoming pod's inter-pod (anti-)affinity, worked out once against every placed pod.
struct PodAffinityState {
    /// Per required affinity term: (topology key, values where a selected pod runs).
    affinity: Vec<(String, HashSet<String>)>,
    /// No placed pod matches any affinity term, and the pod matches its own terms: the
    /// first pod of a group may go anywhere.
    affinity_waived: bool,
    /// Per required anti-affinity term: (topology key, values where a selected pod runs).
    anti_affinity: Vec<(String, HashSet<String>)>,
    /// (topology key, value) pairs where a placed pod's anti-affinity forbids this pod.
    existing_anti_affinity: HashSet<(String, String)>,
    /// Preferred terms: per (topology key, value), the weight a node there gains or loses.
    preferred: HashMap<(String, String), i64>,
}

impl PodAffinityState {
    fn new(pod: &Pod, cluster: &Cluster) -> PodAffinityState {
        let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
        let labels = pod_labels(pod);
        let own_namespace_labels = cluster.namespace_labels(namespace);
        let spec_affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        let pod_affinity = spec_affinity.and_then(|a| a.pod_affinity.as_ref());
        let pod_anti = spec_affinity.and_then(|a| a.pod_anti_affinity.as_ref());
        let required: Vec<AffinityTerm> = pod_affinity
            .and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .into_iter()
            .flatten()
            .map(|term| AffinityTerm::new(term, namespace))
            .collect();
        let anti = required_anti_affinity(pod);
        let mut preferred_terms: Vec<(AffinityTerm, i64)> = Vec::new();
        for (terms, sign) in [
            (
                pod_affinity.and_then(|a| {
                    a.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
                1,
            ),
            (
                pod_anti.and_then(|a| {
                    a.preferred_during_scheduling_ignored_during_execution
                        .as_ref()
                }),
                -1,
            ),
        ] {
            for weighted in terms.into_iter().flatten() {
                let term = AffinityTerm::new(&weighted.pod_affinity_term, namespace);
                preferred_terms.push((term, i64::from(weighted.weight) * sign));
            }
        }

        let mut state = PodAffinityState {
            affinity: required
                .iter()
                .map(|t| (t.topology_key.clone(), HashSet::new()))
                .collect(),
            affinity_waived: false,
            anti_affinity: anti
                .iter()
                .map(|t| (t.topology_key.clone(), HashSet::new()))
                .collect(),
            existing_anti_affinity: HashSet::new(),
            preferred: HashMap::new(),
        };
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        let mut any_affinity_match = false;
        let wants_any = !required.is_empty() || !anti.is_empty() || !preferred_terms.is_empty();
        let placed_pods = if wants_any || cluster.anti_affinity_pods > 0 {
            cluster.pods.iter()
        } else {
            // Nothing on either side to match: skip the scan.
            Default::default()
        };
        for (other_uid, placed) in placed_pods {
            if other_uid == uid {
                continue;
            }
            let Some(node) = cluster
                .nodes
                .get(&placed.node)
                .and_then(|s| s.node.as_deref())
            else {
                continue;
            };
            let node_labels = node_labels(node);
            let value_of = |key: &str| node_labels.get(key).cloned();
            if !placed.anti_affinity.is_empty() {
                for term in &placed.anti_affinity {
                    if term.selects(namespace, own_namespace_labels, labels)
                        && let Some(value) = value_of(&term.topology_key)
                    {
                        state
                            .existing_anti_affinity
                            .insert((term.topology_key.clone(), value));
                    }
                }
            }
            if !wants_any {
                continue;
            }
            let other_namespace_labels = cluster.namespace_labels(&placed.namespace);
            let selects = |term: &AffinityTerm| {
                term.selects(&placed.namespace, other_namespace_labels, &placed.labels)
            };
            for (term, (key, values)) in required.iter().zip(state.affinity.iter_mut()) {
                if selects(term) {
                    any_affinity_match = true;
                    if let Some(value) = value_of(key) {
                        values.insert(value);
                    }
                }
            }
            for (term, (key, values)) in anti.iter().zip(state.anti_affinity.iter_mut()) {
                if selects(term)
                    && let Some(value) = value_of(key)
                {
                    values.insert(value);
                }
            }
            for (term, weight) in &preferred_terms {
                if selects(term)
                    && let Some(value) = value_of(&term.topology_key)
                {
                    *state
                        .preferred
                        .entry((term.topology_key.clone(), value))
                        .or_insert(0) += weight;
                }
            }
        }
        state.affinity_waived = !required.is_empty()
            && !any_affinity_match
            && required
                .iter()
                .all(|term| term.selects(namespace, own_namespace_labels, labels));
        state
    }

    fn filter(&self, node: &Node) -> Result<(), Rejection> {
        let labels = node_labels(node);
        if !self.affinity_waived
            && !self
                .affinity
                .iter()
                .all(|(key, values)| labels.get(key).is_some_and(|value| values.contains(value)))
        {
            return Err(Rejection::unresolvable(REASON_POD_AFFINITY));
        }
        if self
            .anti_affinity
            .iter()
            .any(|(key, values)| labels.get(key).is_some_and(|value| values.contains(value)))
        {
            return Err(Rejection::resolvable(vec![
                REASON_POD_ANTI_AFFINITY.to_string(),
            ]));
        }
        if labels.iter().any(|(key, value)| {
            self.existing_anti_affinity
                .contains(&(key.clone(), value.clone()))
        }) {
            return Err(Rejection::resolvable(vec![
                REASON_EXISTING_ANTI_AFFINITY.to_string(),
            ]));
        }
        Ok(())
    }

    fn preferred_score(&self, node: &Node) -> i64 {
        if self.preferred.is_empty() {
            return 0;
        }
        node_labels(node)
            .iter()
            .filter_map(|(key, value)| self.preferred.get(&(key.clone(), value.clone())))
            .sum()
    }
}

/// Scales raw scores to 0..=100, highest best (upstream's default normalisation).
fn normalize(raw: &[i64]) -> Vec<i64> {
    let max = raw.iter().copied().max().unwrap_or(0);
    let min = raw.iter().copied().min().unwrap_or(0).min(0);
    if max == min {
        return vec![if max > 0 { MAX_SCORE } else { 0 }; raw.len()];
    }
    raw.iter()
        .map(|r| (r - min) * MAX_SCORE / (max - min))
        .collect()
}

/// Weighted total score of each feasible node.
fn score(
    pod: &Pod,
    cluster: &Cluster,
    feasible: &[(&str, &NodeState, &Node)],
    affinity: &PodAffinityState,
) -> Vec<i64> {
    let preferred_node_terms = pod
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or_default();
    let node_affinity: Vec<i64> = feasible
        .iter()
        .map(|(_, _, node)| {
            preferred_node_terms
                .iter()
                .filter(|term| term_matches(&term.preference, node))
                .map(|term| i64::from(term.weight))
                .sum()
        })
        .collect();
    let pod_affinity: Vec<i64> = feasible
        .iter()
        .map(|(_, _, node)| affinity.preferred_score(node))
        .collect();
    let spread = spread_scores(pod, cluster, feasible);
    let (pod_cpu, pod_memory) = pod_nonzero_requests(pod);
    let least_allocated: Vec<i64> = feasible
        .iter()
        .map(|(_, state, node)| {
            let allocatable = node_allocatable(node);
            let free = |capacity: i128, used: i128| -> i64 {
                if capacity <= 0 || used > capacity {
                    return 0;
                }
                i64::try_from((capacity - used) * i128::from(MAX_SCORE) / capacity).unwrap_or(0)
            };
            (free(allocatable.get(CPU), state.nonzero_requested.0 + pod_cpu)
                + free(
                    allocatable.get(MEMORY),
                    state.nonzero_requested.1 + pod_memory,
                ))
                / 2
        })
        .collect();
    let tolerations = tolerations(pod);
    let intolerable: Vec<i64> = feasible
        .iter()
        .map(|(_, _, node)| {
            let taints = effective_taints(node);
            let count = taints
                .iter()
                .filter(|t| {
                    t.effect == PREFER_NO_SCHEDULE
                        && !tolerations.iter().any(|tol| tolerates(tol, t))
                })
                .count();
            i64::try_from(count).unwrap_or(i64::MAX)
        })
        .collect();
    let max_intolerable = intolerable.iter().copied().max().unwrap_or(0);
    let taint_scores: Vec<i64> = intolerable
        .iter()
        .map(|count| {
            if max_intolerable == 0 {
                MAX_SCORE
            } else {
                MAX_SCORE - count * MAX_SCORE / max_intolerable
            }
        })
        .collect();
    let node_affinity = normalize(&node_affinity);
    let pod_affinity = normalize(&pod_affinity);
    (0..feasible.len())
        .map(|i| {
            node_affinity[i] * NODE_AFFINITY_WEIGHT
                + pod_affinity[i] * POD_AFFINITY_WEIGHT
                + spread[i] * SPREAD_WEIGHT
                + least_allocated[i] * LEAST_ALLOCATED_WEIGHT
                + taint_scores[i] * TAINT_WEIGHT
        })
        .collect()
}

/// Spreading pods of one controller (StatefulSet, ReplicaSet): fewer siblings on the
/// node, and in its zone when nodes have zones, scores higher (zones count two thirds).
fn spread_scores(pod: &Pod, cluster: &Cluster, feasible: &[(&str, &NodeState, &Node)]) -> Vec<i64> {
    let Some(owner) = controller_uid(pod) else {
        return vec![0; feasible.len()];
    };
    let siblings =
        |state: &NodeState| i64::try_from(*state.by_owner.get(owner).unwrap_or(&0)).unwrap_or(0);
    let on_node: Vec<i64> = feasible
        .iter()
        .map(|(_, state, _)| siblings(state))
        .collect();
    let fewer_is_better = |counts: &[i64]| -> Vec<i64> {
        let max = counts.iter().copied().max().unwrap_or(0);
        counts
            .iter()
            .map(|count| {
                if max == 0 {
                    MAX_SCORE
                } else {
                    (max - count) * MAX_SCORE / max
                }
            })
            .collect()
    };
    let node_scores = fewer_is_better(&on_node);
    let zone_of = |node: &Node| node_labels(node).get(ZONE_LABEL).cloned();
    if !feasible.iter().any(|(_, _, node)| zone_of(node).is_some()) {
        return node_scores;
    }
    let mut per_zone: HashMap<String, i64> = HashMap::new();
    for state in cluster.nodes.values() {
        if let Some(zone) = state.node.as_deref().and_then(zone_of) {
            *per_zone.entry(zone).or_insert(0) += siblings(state);
        }
    }
    let in_zone: Vec<i64> = feasible
        .iter()
        .map(|(_, _, node)| {
            zone_of(node)
                .and_then(|z| per_zone.get(&z).copied())
                .unwrap_or(0)
        })
        .collect();
    let zone_scores = fewer_is_better(&in_zone);
    node_scores
        .iter()
        .zip(zone_scores)
        .map(|(node, zone)| (node + 2 * zone) / 3)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::tests::{bound, node, owned_by, pod, with_host_port};
    use crate::volumes::tests::{claim, class, local_volume, mounting};
    use k8s_openapi::api::core::v1::{
        Affinity, NodeAffinity, NodeCondition, NodeSelectorRequirement, NodeSelectorTerm, NodeSpec,
        PodAffinity, PodAffinityTerm, PodAntiAffinity, PreferredSchedulingTerm,
        WeightedPodAffinityTerm,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as K8sSelector;
    use std::sync::Arc;

    const HOSTNAME: &str = "kubernetes.io/hostname";

    fn cluster(nodes: Vec<Arc<Node>>, pods: Vec<Pod>) -> Cluster {
        let mut cluster = Cluster::default();
        for node in nodes {
            cluster.set_node(node);
        }
        for pod in &pods {
            cluster.update_pod(pod);
        }
        cluster
    }

    fn edit_node(node: Arc<Node>, edit: impl FnOnce(&mut Node)) -> Arc<Node> {
        let mut node = (*node).clone();
        edit(&mut node);
        Arc::new(node)
    }

    fn tainted(node: Arc<Node>, key: &str, effect: &str) -> Arc<Node> {
        edit_node(node, |n| {
            n.spec.get_or_insert_with(NodeSpec::default).taints = Some(vec![Taint {
                key: key.into(),
                value: None,
                effect: effect.into(),
                time_added: None,
            }]);
        })
    }

    fn labelled(mut pod: Pod, key: &str, value: &str) -> Pod {
        pod.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(key.into(), value.into());
        pod
    }

    fn selector(key: &str, value: &str) -> Option<K8sSelector> {
        Some(K8sSelector {
            match_labels: Some([(key.to_string(), value.to_string())].into()),
            match_expressions: None,
        })
    }

    fn term(key: &str, value: &str, topology: &str) -> PodAffinityTerm {
        PodAffinityTerm {
            label_selector: selector(key, value),
            topology_key: topology.into(),
            ..PodAffinityTerm::default()
        }
    }

    fn with_affinity(mut pod: Pod, affinity: Affinity) -> Pod {
        pod.spec.as_mut().unwrap().affinity = Some(affinity);
        pod
    }

    fn anti(pod: Pod, key: &str, value: &str) -> Pod {
        with_affinity(
            pod,
            Affinity {
                pod_anti_affinity: Some(PodAntiAffinity {
                    required_during_scheduling_ignored_during_execution: Some(vec![term(
                        key, value, HOSTNAME,
                    )]),
                    ..PodAntiAffinity::default()
                }),
                ..Affinity::default()
            },
        )
    }

    fn placed(pod: &Pod, cluster: &Cluster) -> String {
        schedule(pod, cluster, 0)
            .unwrap_or_else(|e| panic!("unschedulable: {}", e.message()))
            .node
    }

    fn failure(pod: &Pod, cluster: &Cluster) -> String {
        schedule(pod, cluster, 0)
            .expect_err("should not fit")
            .message()
    }

    #[test]
    fn fit_error_message_counts_reasons_per_node() {
        let c = cluster(
            vec![
                node("n1", "1", &[("zone", "a")]),
                node("n2", "4", &[("zone", "b")]),
                node("n3", "4", &[("zone", "b")]),
            ],
            vec![],
        );
        let mut p = pod("p", "2");
        p.spec.as_mut().unwrap().node_selector =
            Some([("zone".to_string(), "a".to_string())].into());
        assert_eq!(
            failure(&p, &c),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node \
             affinity/selector. no new claims to deallocate, preemption: 0/3 nodes are \
             available: 1 No preemption victims found for incoming pod, 2 Preemption is not \
             helpful for scheduling."
        );
        assert_eq!(
            failure(&p, &Cluster::default()),
            "no nodes available to schedule pods"
        );
    }

    #[test]
    fn filters_table() {
        let gpu_node = edit_node(node("gpu", "4", &[]), |n| {
            let allocatable = n.status.as_mut().unwrap().allocatable.as_mut().unwrap();
            allocatable.insert("nvidia.com/gpu".into(), Quantity("2".into()));
        });
        let not_ready = edit_node(node("n1", "4", &[]), |n| {
            n.status.as_mut().unwrap().conditions = Some(vec![NodeCondition {
                type_: "Ready".into(),
                status: "Unknown".into(),
                ..NodeCondition::default()
            }]);
        });
        let cordoned = edit_node(node("n1", "4", &[]), |n| {
            n.spec.get_or_insert_with(NodeSpec::default).unschedulable = Some(true);
        });
        let mut gpu_pod = pod("p", "1");
        gpu_pod.spec.as_mut().unwrap().containers[0]
            .resources
            .as_mut()
            .unwrap()
            .requests
            .as_mut()
            .unwrap()
            .insert("nvidia.com/gpu".into(), Quantity("1".into()));
        let tolerating = |mut p: Pod, key: &str| {
            p.spec.as_mut().unwrap().tolerations = Some(vec![Toleration {
                key: Some(key.into()),
                operator: Some("Exists".into()),
                ..Toleration::default()
            }]);
            p
        };
        let full = edit_node(node("n1", "4", &[]), |n| {
            n.status
                .as_mut()
                .unwrap()
                .allocatable
                .as_mut()
                .unwrap()
                .insert("pods".into(), Quantity("1".into()));
        });
        type Case = (
            &'static str,
            Vec<Arc<Node>>,
            Vec<Pod>,
            Pod,
            Result<&'static str, &'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "fits",
                vec![node("n1", "4", &[])],
                vec![],
                pod("p", "1"),
                Ok("n1"),
            ),
            (
                "cpu already taken",
                vec![node("n1", "4", &[])],
                vec![bound(pod("a", "3500m"), "n1")],
                pod("p", "1"),
                Err("1 Insufficient cpu."),
            ),
            (
                "finished pods free their resources",
                vec![node("n1", "4", &[])],
                vec![{
                    let mut done = bound(pod("a", "3500m"), "n1");
                    done.status.as_mut().unwrap().phase = Some("Succeeded".into());
                    done
                }],
                pod("p", "1"),
                Ok("n1"),
            ),
            (
                "too many pods",
                vec![full],
                vec![bound(pod("a", ""), "n1")],
                pod("p", ""),
                Err("1 Too many pods."),
            ),
            (
                "gpu on a gpu node",
                vec![node("n1", "4", &[]), gpu_node.clone()],
                vec![],
                gpu_pod.clone(),
                Ok("gpu"),
            ),
            (
                "no gpu anywhere",
                vec![node("n1", "4", &[])],
                vec![],
                gpu_pod.clone(),
                Err("1 Insufficient nvidia.com/gpu."),
            ),
            (
                "gpus taken",
                vec![gpu_node.clone()],
                vec![bound(gpu_pod.clone(), "gpu"), bound(pod("b", ""), "gpu")],
                {
                    let mut two = gpu_pod.clone();
                    two.metadata.uid = Some("other".into());
                    two.spec.as_mut().unwrap().containers[0]
                        .resources
                        .as_mut()
                        .unwrap()
                        .requests
                        .as_mut()
                        .unwrap()
                        .insert("nvidia.com/gpu".into(), Quantity("2".into()));
                    two
                },
                Err("1 Insufficient nvidia.com/gpu."),
            ),
            (
                "untolerated taint",
                vec![tainted(node("n1", "4", &[]), "dedicated", NO_SCHEDULE)],
                vec![],
                pod("p", ""),
                Err("1 node(s) had untolerated taint(s)."),
            ),
            (
                "NoExecute too",
                vec![tainted(node("n1", "4", &[]), "dedicated", NO_EXECUTE)],
                vec![],
                pod("p", ""),
                Err("1 node(s) had untolerated taint(s)."),
            ),
            (
                "PreferNoSchedule only scores",
                vec![tainted(
                    node("n1", "4", &[]),
                    "dedicated",
                    PREFER_NO_SCHEDULE,
                )],
                vec![],
                pod("p", ""),
                Ok("n1"),
            ),
            (
                "tolerated taint",
                vec![tainted(node("n1", "4", &[]), "dedicated", NO_SCHEDULE)],
                vec![],
                tolerating(pod("p", ""), "dedicated"),
                Ok("n1"),
            ),
            (
                "not ready counts as tainted",
                vec![not_ready.clone()],
                vec![],
                pod("p", ""),
                Err("1 node(s) had untolerated taint(s)."),
            ),
            (
                "tolerating not-ready",
                vec![not_ready],
                vec![],
                tolerating(pod("p", ""), NOT_READY_TAINT),
                Ok("n1"),
            ),
            (
                "cordoned",
                vec![cordoned.clone()],
                vec![],
                pod("p", ""),
                Err("1 node(s) were unschedulable."),
            ),
            (
                "cordon tolerated",
                vec![cordoned],
                vec![],
                tolerating(pod("p", ""), UNSCHEDULABLE_TAINT),
                Ok("n1"),
            ),
            (
                "host port taken",
                vec![node("n1", "4", &[])],
                vec![with_host_port(bound(pod("a", ""), "n1"), 21017)],
                with_host_port(pod("p", ""), 21017),
                Err("1 node(s) didn't have free ports for the requested pod ports."),
            ),
            (
                "host port free elsewhere",
                vec![node("n1", "4", &[]), node("n2", "4", &[])],
                vec![with_host_port(bound(pod("a", ""), "n1"), 21017)],
                with_host_port(pod("p", ""), 21017),
                Ok("n2"),
            ),
            (
                "anti-affinity moves the pod",
                vec![node("n1", "4", &[]), node("n2", "4", &[])],
                vec![labelled(bound(pod("a", ""), "n1"), "app", "web")],
                anti(labelled(pod("p", ""), "app", "web"), "app", "web"),
                Ok("n2"),
            ),
            (
                "anti-affinity with nowhere to go",
                vec![node("n1", "4", &[])],
                vec![labelled(bound(pod("a", ""), "n1"), "app", "web")],
                anti(labelled(pod("p", ""), "app", "web"), "app", "web"),
                Err("1 node(s) didn't match pod anti-affinity rules."),
            ),
            (
                "anti-affinity ignores other namespaces",
                vec![node("n1", "4", &[])],
                vec![{
                    let mut other = labelled(bound(pod("a", ""), "n1"), "app", "web");
                    other.metadata.namespace = Some("elsewhere".into());
                    other
                }],
                anti(labelled(pod("p", ""), "app", "web"), "app", "web"),
                Ok("n1"),
            ),
            (
                "existing pods' anti-affinity",
                vec![node("n1", "4", &[])],
                vec![anti(bound(pod("a", ""), "n1"), "app", "web")],
                labelled(pod("p", ""), "app", "web"),
                Err("1 node(s) didn't satisfy existing pods anti-affinity rules."),
            ),
        ];
        for (name, nodes, pods, candidate, expected) in cases {
            let c = cluster(nodes, pods);
            match expected {
                Ok(node) => assert_eq!(placed(&candidate, &c), node, "{name}"),
                Err(reason) => {
                    let message = failure(&candidate, &c);
                    assert!(
                        message.contains(&format!(": {reason}")),
                        "{name}: {message}"
                    );
                }
            }
        }
    }

    fn required_affinity(pod: Pod, key: &str, value: &str, topology: &str) -> Pod {
        with_affinity(
            pod,
            Affinity {
                pod_affinity: Some(PodAffinity {
                    required_during_scheduling_ignored_during_execution: Some(vec![term(
                        key, value, topology,
                    )]),
                    ..PodAffinity::default()
                }),
                ..Affinity::default()
            },
        )
    }

    #[test]
    fn pod_affinity_follows_matching_pods_and_waives_the_first() {
        let nodes = || {
            vec![
                node("n1", "4", &[("zone", "a")]),
                node("n2", "4", &[("zone", "b")]),
                node("n3", "4", &[("zone", "b")]),
            ]
        };
        // First of its group, matching its own term: may go anywhere.
        let first = required_affinity(labelled(pod("p", ""), "app", "db"), "app", "db", "zone");
        assert!(schedule(&first, &cluster(nodes(), vec![]), 0).is_ok());
        // Not matching its own term and nothing to follow: nowhere.
        let stray = required_affinity(pod("p", ""), "app", "db", "zone");
        assert!(
            failure(&stray, &cluster(nodes(), vec![]))
                .contains("3 node(s) didn't match pod affinity rules.")
        );
        // Follows the db pod into zone b (either node there).
        let c = cluster(
            nodes(),
            vec![labelled(bound(pod("db", ""), "n3"), "app", "db")],
        );
        for tie in 0..4 {
            let node = schedule(&first, &c, tie).unwrap().node;
            assert!(node == "n2" || node == "n3", "{node}");
        }
    }

    #[test]
    fn scores_pick_the_best_node() {
        let nodes = || {
            vec![
                node("n1", "4", &[("disk", "hdd")]),
                node("n2", "4", &[("disk", "ssd")]),
            ]
        };
        // Spreading: siblings of the same StatefulSet go where there are fewer.
        let c = cluster(
            nodes(),
            vec![
                owned_by(bound(pod("a", ""), "n1"), "sts"),
                owned_by(bound(pod("b", ""), "n1"), "sts"),
            ],
        );
        assert_eq!(placed(&owned_by(pod("p", ""), "sts"), &c), "n2");
        // Least allocated: the busier node loses.
        let c = cluster(nodes(), vec![bound(pod("a", "3"), "n2")]);
        assert_eq!(placed(&pod("p", "100m"), &c), "n1");
        // Preferred node affinity beats an empty node.
        let prefer_ssd = with_affinity(
            pod("p", ""),
            Affinity {
                node_affinity: Some(NodeAffinity {
                    preferred_during_scheduling_ignored_during_execution: Some(vec![
                        PreferredSchedulingTerm {
                            weight: 50,
                            preference: NodeSelectorTerm {
                                match_expressions: Some(vec![NodeSelectorRequirement {
                                    key: "disk".into(),
                                    operator: "In".into(),
                                    values: Some(vec!["ssd".into()]),
                                }]),
                                match_fields: None,
                            },
                        },
                    ]),
                    ..NodeAffinity::default()
                }),
                ..Affinity::default()
            },
        );
        let c = cluster(nodes(), vec![bound(pod("a", "1"), "n2")]);
        assert_eq!(placed(&prefer_ssd, &c), "n2");
        // Preferred anti-affinity keeps replicas apart.
        let apart = with_affinity(
            labelled(pod("p", ""), "app", "web"),
            Affinity {
                pod_anti_affinity: Some(PodAntiAffinity {
                    preferred_during_scheduling_ignored_during_execution: Some(vec![
                        WeightedPodAffinityTerm {
                            weight: 100,
                            pod_affinity_term: term("app", "web", HOSTNAME),
                        },
                    ]),
                    ..PodAntiAffinity::default()
                }),
                ..Affinity::default()
            },
        );
        let c = cluster(
            nodes(),
            vec![labelled(bound(pod("a", ""), "n2"), "app", "web")],
        );
        assert_eq!(placed(&apart, &c), "n1");
        // PreferNoSchedule taints are avoided when possible.
        let c = cluster(
            vec![
                tainted(node("n1", "4", &[]), "soft", PREFER_NO_SCHEDULE),
                node("n2", "4", &[]),
            ],
            vec![],
        );
        assert_eq!(placed(&pod("p", ""), &c), "n2");
    }

    #[test]
    fn equal_nodes_take_turns() {
        let c = cluster(
            vec![
                node("n1", "4", &[]),
                node("n2", "4", &[]),
                node("n3", "4", &[]),
            ],
            vec![],
        );
        let chosen: Vec<String> = (0..3)
            .map(|tie| schedule(&pod("p", ""), &c, tie).unwrap().node)
            .collect();
        assert_eq!(chosen, ["n1", "n2", "n3"]);
    }

    #[test]
    fn volumes_pin_and_delay() {
        let mut c = cluster(vec![node("n1", "4", &[]), node("n2", "4", &[])], vec![]);
        c.classes.insert(
            "local-path".into(),
            class("local-path", "WaitForFirstConsumer"),
        );
        c.volumes.insert("pv-1".into(), local_volume("pv-1", "n2"));
        c.claims.insert(
            ("default".into(), "bound".into()),
            claim("bound", "local-path", Some("pv-1")),
        );
        c.claims.insert(
            ("default".into(), "new".into()),
            claim("new", "local-path", None),
        );

        let pinned = schedule(&mounting(pod("p", ""), "bound"), &c, 0).unwrap();
        assert_eq!(
            pinned,
            Placement {
                node: "n2".into(),
                claims_to_provision: vec![],
                volumes_ready: true
            }
        );

        let delayed = schedule(&mounting(pod("p", ""), "new"), &c, 0).unwrap();
        assert_eq!(delayed.claims_to_provision, ["new"]);
        assert!(!delayed.volumes_ready);

        assert_eq!(
            failure(&mounting(pod("p", ""), "missing"), &c),
            "0/2 nodes are available: persistentvolumeclaim \"missing\" not found. no new claims \
             to deallocate, preemption: 0/2 nodes are available: 2 Preemption is not helpful for \
             scheduling."
        );
        let mut on_n1_only = mounting(pod("p", ""), "bound");
        on_n1_only.spec.as_mut().unwrap().node_selector =
            Some([(HOSTNAME.to_string(), "n1".to_string())].into());
        assert!(failure(&on_n1_only, &c).contains(
            "1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict."
        ));
    }

    #[test]
    fn assumed_pods_are_counted_by_later_decisions() {
        let mut c = cluster(vec![node("n1", "2", &[]), node("n2", "2", &[])], vec![]);
        let mut placements = Vec::new();
        for i in 0..4 {
            let p = pod(&format!("p{i}"), "1");
            let placement = schedule(&p, &c, i).unwrap();
            c.assume(&p, &placement.node);
            placements.push(placement.node);
        }
        placements.sort();
        assert_eq!(placements, ["n1", "n1", "n2", "n2"]);
        assert!(failure(&pod("p5", "1"), &c).contains("2 Insufficient cpu."));
    }
}
