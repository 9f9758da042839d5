//! Label, field and taint matching shared by the filters and scores: node selector terms,
//! tolerations, and pod (anti-)affinity terms.

use std::collections::BTreeMap;

use berth_api::selectors::LabelSelector;
use k8s_openapi::api::core::v1::{
    Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinityTerm, Taint,
    Toleration,
};

pub type Labels = BTreeMap<String, String>;

pub const NO_SCHEDULE: &str = "NoSchedule";
pub const NO_EXECUTE: &str = "NoExecute";
pub const PREFER_NO_SCHEDULE: &str = "PreferNoSchedule";

static NO_LABELS: Labels = BTreeMap::new();

pub fn node_labels(node: &Node) -> &Labels {
    node.metadata.labels.as_ref().unwrap_or(&NO_LABELS)
}

pub fn pod_labels(pod: &Pod) -> &Labels {
    pod.metadata.labels.as_ref().unwrap_or(&NO_LABELS)
}

/// One `matchExpressions`/`matchFields` requirement against a label (or field) value.
fn requirement_matches(requirement: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = requirement.values.as_deref().unwrap_or_default();
    let as_integer = |text: &str| text.parse::<i64>().ok();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(actual), Some(bound)) = (
                value.and_then(as_integer),
                values.first().and_then(|b| as_integer(b)),
            ) else {
                return false;
            };
            if requirement.operator == "Gt" {
                actual > bound
            } else {
                actual < bound
            }
        }
        _ => false,
    }
}

/// A node selector term: all its expressions and fields hold. A term with neither
/// matches nothing, as upstream.
pub fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    let labels = node_labels(node);
    let name = node.metadata.name.as_deref();
    expressions
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| {
            // `metadata.name` is the only field node selectors support.
            r.key == "metadata.name" && requirement_matches(r, name)
        })
}

/// A node selector: any of its terms holds.
pub fn node_selector_matches(selector: &NodeSelector, node: &Node) -> bool {
    selector
        .node_selector_terms
        .iter()
        .any(|term| term_matches(term, node))
}

/// The pod's `nodeSelector` and required node affinity both hold on `node`.
pub fn pod_matches_node_affinity(pod: &Pod, node: &Node) -> bool {
    let Some(spec) = &pod.spec else {
        return true;
    };
    let labels = node_labels(node);
    let selector_holds = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    selector_holds && required.is_none_or(|selector| node_selector_matches(selector, node))
}

/// Whether `toleration` tolerates `taint`.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect_matches = toleration
        .effect
        .as_deref()
        .is_none_or(|effect| effect.is_empty() || effect == taint.effect);
    if !effect_matches {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    let exists = toleration.operator.as_deref() == Some("Exists");
    if key.is_empty() {
        // An empty key with Exists tolerates everything.
        return exists;
    }
    if key != taint.key {
        return false;
    }
    exists
        || toleration.value.as_deref().unwrap_or_default()
            == taint.value.as_deref().unwrap_or_default()
}

/// The first of `taints` with one of `effects` that no toleration tolerates.
pub fn untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    effects: &[&str],
) -> Option<&'a Taint> {
    taints.iter().find(|taint| {
        effects.contains(&taint.effect.as_str())
            && !tolerations
                .iter()
                .any(|toleration| tolerates(toleration, taint))
    })
}

/// Which namespaces an affinity term covers.
#[derive(Debug, Clone)]
enum Namespaces {
    /// Listed names (the owning pod's namespace when the term names none).
    Listed(Vec<String>),
    /// Listed names, plus namespaces whose labels match.
    Selected(Vec<String>, LabelSelector),
}

/// A pod affinity term resolved against the namespace of the pod that declares it.
#[derive(Debug, Clone)]
pub struct AffinityTerm {
    namespaces: Namespaces,
    selector: Option<LabelSelector>,
    pub topology_key: String,
}

impl AffinityTerm {
    pub fn new(term: &PodAffinityTerm, owner_namespace: &str) -> AffinityTerm {
        let listed = term.namespaces.clone().unwrap_or_default();
        let namespaces = match &term.namespace_selector {
            Some(selector) => match LabelSelector::from_k8s(selector) {
                Ok(selector) => Namespaces::Selected(listed, selector),
                Err(_) => Namespaces::Listed(listed),
            },
            None if listed.is_empty() => Namespaces::Listed(vec![owner_namespace.to_string()]),
            None => Namespaces::Listed(listed),
        };
        // A term without a label selector selects no pods (upstream's nil selector).
        let selector = term
            .label_selector
            .as_ref()
            .and_then(|s| LabelSelector::from_k8s(s).ok());
        AffinityTerm {
            namespaces,
            selector,
            topology_key: term.topology_key.clone(),
        }
    }

    /// Whether a pod in `namespace` (whose namespace has `namespace_labels`) with
    /// `labels` is one this term selects.
    pub fn selects(&self, namespace: &str, namespace_labels: &Labels, labels: &Labels) -> bool {
        let in_scope = match &self.namespaces {
            Namespaces::Listed(names) => names.iter().any(|n| n == namespace),
            Namespaces::Selected(names, selector) => {
                names.iter().any(|n| n == namespace) || selector.matches(namespace_labels)
            }
        };
        in_scope && self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
        LabelSelector as K8sSelector, ObjectMeta,
    };

    fn node(name: &str, labels: &[(&str, &str)]) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..ObjectMeta::default()
            },
            ..Node::default()
        }
    }

    fn req(key: &str, operator: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn node_selector_operators() {
        let n = node("n1", &[("disk", "ssd"), ("cores", "8")]);
        let cases = [
            (req("disk", "In", &["ssd", "nvme"]), true),
            (req("disk", "In", &["hdd"]), false),
            (req("disk", "NotIn", &["hdd"]), true),
            (req("zone", "NotIn", &["a"]), true),
            (req("disk", "NotIn", &["ssd"]), false),
            (req("disk", "Exists", &[]), true),
            (req("zone", "Exists", &[]), false),
            (req("zone", "DoesNotExist", &[]), true),
            (req("disk", "DoesNotExist", &[]), false),
            (req("cores", "Gt", &["4"]), true),
            (req("cores", "Gt", &["8"]), false),
            (req("cores", "Lt", &["16"]), true),
            (req("disk", "Gt", &["1"]), false),
            (req("zone", "Lt", &["1"]), false),
            (req("disk", "Bogus", &["ssd"]), false),
        ];
        for (requirement, expected) in cases {
            let term = NodeSelectorTerm {
                match_expressions: Some(vec![requirement.clone()]),
                match_fields: None,
            };
            assert_eq!(term_matches(&term, &n), expected, "{requirement:?}");
        }
    }

    #[test]
    fn terms_and_fields() {
        let n = node("n1", &[("disk", "ssd")]);
        let by_name = |op: &str, names: &[&str]| NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![req("metadata.name", op, names)]),
        };
        assert!(term_matches(&by_name("In", &["n1"]), &n));
        assert!(!term_matches(&by_name("In", &["n2"]), &n));
        assert!(term_matches(&by_name("NotIn", &["n2"]), &n));
        assert!(
            !term_matches(&NodeSelectorTerm::default(), &n),
            "empty term matches nothing"
        );
        let selector = NodeSelector {
            node_selector_terms: vec![by_name("In", &["n2"]), by_name("In", &["n1"])],
        };
        assert!(node_selector_matches(&selector, &n), "terms are ORed");
        let both = NodeSelectorTerm {
            match_expressions: Some(vec![req("disk", "In", &["hdd"])]),
            match_fields: Some(vec![req("metadata.name", "In", &["n1"])]),
        };
        assert!(!term_matches(&both, &n), "expressions and fields are ANDed");
    }

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: (!value.is_empty()).then(|| value.into()),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn toleration(key: &str, operator: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: (!key.is_empty()).then(|| key.into()),
            operator: (!operator.is_empty()).then(|| operator.into()),
            value: (!value.is_empty()).then(|| value.into()),
            effect: (!effect.is_empty()).then(|| effect.into()),
            toleration_seconds: None,
        }
    }

    #[test]
    fn toleration_table() {
        let gpu = taint("dedicated", "gpu", NO_SCHEDULE);
        let cases = [
            (toleration("dedicated", "Equal", "gpu", NO_SCHEDULE), true),
            (toleration("dedicated", "", "gpu", ""), true),
            (toleration("dedicated", "Equal", "db", NO_SCHEDULE), false),
            (toleration("dedicated", "Exists", "", ""), true),
            (toleration("dedicated", "Exists", "", NO_EXECUTE), false),
            (toleration("other", "Exists", "", ""), false),
            (toleration("", "Exists", "", ""), true),
            (toleration("", "Exists", "", PREFER_NO_SCHEDULE), false),
        ];
        for (toleration, expected) in cases {
            assert_eq!(tolerates(&toleration, &gpu), expected, "{toleration:?}");
        }
        let taints = [taint("soft", "", PREFER_NO_SCHEDULE), gpu.clone()];
        assert_eq!(
            untolerated_taint(&taints, &[], &[NO_SCHEDULE, NO_EXECUTE]).map(|t| t.key.as_str()),
            Some("dedicated")
        );
        let tolerated = [toleration("dedicated", "Exists", "", "")];
        assert!(untolerated_taint(&taints, &tolerated, &[NO_SCHEDULE, NO_EXECUTE]).is_none());
    }

    #[test]
    fn node_selector_and_required_affinity_both_apply() {
        use k8s_openapi::api::core::v1::{Affinity, NodeAffinity, PodSpec};
        let n = node("n1", &[("disk", "ssd"), ("zone", "a")]);
        let pod = |selector: &[(&str, &str)], required: Option<NodeSelector>| Pod {
            spec: Some(PodSpec {
                node_selector: Some(
                    selector
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                affinity: required.map(|r| Affinity {
                    node_affinity: Some(NodeAffinity {
                        required_during_scheduling_ignored_during_execution: Some(r),
                        ..NodeAffinity::default()
                    }),
                    ..Affinity::default()
                }),
                ..PodSpec::default()
            }),
            ..Pod::default()
        };
        let zone = |z: &str| NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm {
                match_expressions: Some(vec![req("zone", "In", &[z])]),
                match_fields: None,
            }],
        };
        assert!(pod_matches_node_affinity(&pod(&[], None), &n));
        assert!(pod_matches_node_affinity(
            &pod(&[("disk", "ssd")], Some(zone("a"))),
            &n
        ));
        assert!(!pod_matches_node_affinity(
            &pod(&[("disk", "hdd")], Some(zone("a"))),
            &n
        ));
        assert!(!pod_matches_node_affinity(
            &pod(&[("disk", "ssd")], Some(zone("b"))),
            &n
        ));
    }

    #[test]
    fn affinity_term_namespaces() {
        let selector = Some(K8sSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: None,
        });
        let labels: Labels = [("app".to_string(), "web".to_string())].into();
        let prod: Labels = [("env".to_string(), "prod".to_string())].into();
        let own = AffinityTerm::new(
            &PodAffinityTerm {
                label_selector: selector.clone(),
                topology_key: "kubernetes.io/hostname".into(),
                ..PodAffinityTerm::default()
            },
            "team-a",
        );
        assert!(own.selects("team-a", &NO_LABELS, &labels));
        assert!(!own.selects("team-b", &NO_LABELS, &labels));
        assert!(!own.selects("team-a", &NO_LABELS, &NO_LABELS));
        let by_label = AffinityTerm::new(
            &PodAffinityTerm {
                label_selector: selector.clone(),
                namespace_selector: Some(K8sSelector {
                    match_labels: Some([("env".to_string(), "prod".to_string())].into()),
                    match_expressions: None,
                }),
                ..PodAffinityTerm::default()
            },
            "team-a",
        );
        assert!(by_label.selects("team-b", &prod, &labels));
        assert!(!by_label.selects("team-a", &NO_LABELS, &labels));
        let everywhere = AffinityTerm::new(
            &PodAffinityTerm {
                label_selector: selector,
                namespace_selector: Some(K8sSelector::default()),
                ..PodAffinityTerm::default()
            },
            "team-a",
        );
        assert!(everywhere.selects("anything", &NO_LABELS, &labels));
        let no_selector = AffinityTerm::new(&PodAffinityTerm::default(), "team-a");
        assert!(!no_selector.selects("team-a", &NO_LABELS, &labels));
    }
}
