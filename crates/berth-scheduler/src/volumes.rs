//! Volume topology for the scheduler (upstream's VolumeBinding plugin, for what berth's
//! local-path provisioner does): bound claims pin a pod to the nodes their volume's node
//! affinity allows; unbound claims of a `WaitForFirstConsumer` class are provisioned on
//! the node the pod is scheduled to (the scheduler annotates them with
//! `volume.kubernetes.io/selected-node`, then waits for them to be bound).

use std::sync::Arc;

use berth_api::pods::{PodClaim, pod_claims};
use k8s_openapi::api::core::v1::{Node, PersistentVolume, Pod};
use k8s_openapi::api::storage::v1::StorageClass;

use crate::cluster::Cluster;
use crate::matching::{node_labels, node_selector_matches};

pub const SELECTED_NODE_ANNOTATION: &str = "volume.kubernetes.io/selected-node";
const WAIT_FOR_FIRST_CONSUMER: &str = "WaitForFirstConsumer";
const DEFAULT_CLASS_ANNOTATIONS: [&str; 2] = [
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

pub const REASON_VOLUME_NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
pub const REASON_NO_VOLUME_TO_BIND: &str =
    "node(s) didn't find available persistent volumes to bind";
pub const REASON_MISSING_VOLUME: &str =
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
pub const REASON_OTHER_SELECTED_NODE: &str = "node(s) didn't satisfy plugin(s) [VolumeBinding]";
pub const UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";

/// A claim to be provisioned for the pod's node.
#[derive(Debug, Clone)]
pub struct DelayedClaim {
    pub name: String,
    /// The node a previous attempt chose (the provisioner may be at work for it).
    pub selected_node: Option<String>,
    pub class: Arc<StorageClass>,
}

/// What the pod's claims require of a node.
#[derive(Debug, Clone, Default)]
pub struct VolumePlan {
    /// Volumes of bound claims.
    pub bound: Vec<Arc<PersistentVolume>>,
    /// Some bound claim names a volume that does not exist.
    pub missing_volume: bool,
    pub delayed: Vec<DelayedClaim>,
}

impl VolumePlan {
    /// Whether every claim is bound (so the pod can be bound at once).
    pub fn all_bound(&self) -> bool {
        self.delayed.is_empty()
    }

    /// Why `node` cannot host the pod's volumes, if it cannot.
    pub fn node_conflict(&self, node: &Node) -> Option<&'static str> {
        if self.missing_volume {
            return Some(REASON_MISSING_VOLUME);
        }
        let volume_fits = |volume: &Arc<PersistentVolume>| {
            volume
                .spec
                .as_ref()
                .and_then(|spec| spec.node_affinity.as_ref())
                .and_then(|affinity| affinity.required.as_ref())
                .is_none_or(|required| node_selector_matches(required, node))
        };
        if !self.bound.iter().all(volume_fits) {
            return Some(REASON_VOLUME_NODE_CONFLICT);
        }
        let name = node.metadata.name.as_deref().unwrap_or_default();
        for claim in &self.delayed {
            if claim
                .selected_node
                .as_deref()
                .is_some_and(|selected| selected != name)
            {
                return Some(REASON_OTHER_SELECTED_NODE);
            }
            if !class_allows(&claim.class, node) {
                return Some(REASON_NO_VOLUME_TO_BIND);
            }
        }
        None
    }

    /// Claims to annotate with the chosen node.
    pub fn claims_to_provision(&self) -> Vec<String> {
        self.delayed
            .iter()
            .filter(|claim| claim.selected_node.is_none())
            .map(|claim| claim.name.clone())
            .collect()
    }
}

/// A class's `allowedTopologies`: any term whose every expression holds (none: anywhere).
fn class_allows(class: &StorageClass, node: &Node) -> bool {
    let Some(terms) = class.allowed_topologies.as_ref().filter(|t| !t.is_empty()) else {
        return true;
    };
    let labels = node_labels(node);
    terms.iter().any(|term| {
        term.match_label_expressions
            .iter()
            .flatten()
            .all(|expression| {
                labels
                    .get(&expression.key)
                    .is_some_and(|value| expression.values.contains(value))
            })
    })
}

/// The default StorageClass: the newest class annotated as default (upstream's choice
/// when several are).
fn default_class(cluster: &Cluster) -> Option<&Arc<StorageClass>> {
    let is_default = |class: &StorageClass| {
        class
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|annotations| {
                DEFAULT_CLASS_ANNOTATIONS
                    .iter()
                    .any(|key| annotations.get(*key).map(String::as_str) == Some("true"))
            })
    };
    cluster
        .classes
        .values()
        .filter(|class| is_default(class))
        .max_by(|a, b| {
            let created = |c: &StorageClass| c.metadata.creation_timestamp.clone();
            created(a)
                .cmp(&created(b))
                .then_with(|| b.metadata.name.cmp(&a.metadata.name))
        })
}

/// Works out what the pod's claims need, or why no node can do (upstream's PreFilter
/// messages).
pub fn plan_volumes(pod: &Pod, cluster: &Cluster) -> Result<VolumePlan, String> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let mut plan = VolumePlan::default();
    let mut unbound_immediate = false;
    for PodClaim { name, ephemeral } in pod_claims(pod) {
        let Some(claim) = cluster.claims.get(&(namespace.clone(), name.clone())) else {
            return Err(if ephemeral {
                format!(
                    "waiting for ephemeral volume controller to create the persistentvolumeclaim \"{name}\""
                )
            } else {
                format!("persistentvolumeclaim \"{name}\" not found")
            });
        };
        if claim.metadata.deletion_timestamp.is_some() {
            return Err(format!("persistentvolumeclaim \"{name}\" is being deleted"));
        }
        let spec = claim.spec.as_ref();
        if let Some(volume_name) = spec
            .and_then(|s| s.volume_name.as_deref())
            .filter(|v| !v.is_empty())
        {
            match cluster.volumes.get(volume_name) {
                Some(volume) => plan.bound.push(volume.clone()),
                None => plan.missing_volume = true,
            }
            continue;
        }
        // No class at all: the default class will be assigned to it (upstream's
        // retroactive default StorageClass assignment), so plan with that one. An empty
        // class means "no class": only pre-provisioned volumes, bound immediately.
        let class = match spec.and_then(|s| s.storage_class_name.as_deref()) {
            None => default_class(cluster),
            Some("") => None,
            Some(name) => match cluster.classes.get(name) {
                Some(class) => Some(class),
                None => {
                    return Err(format!("storageclass.storage.k8s.io \"{name}\" not found"));
                }
            },
        };
        let Some(class) = class else {
            unbound_immediate = true;
            continue;
        };
        if class.volume_binding_mode.as_deref() == Some(WAIT_FOR_FIRST_CONSUMER) {
            let selected_node = claim
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(SELECTED_NODE_ANNOTATION))
                .cloned();
            plan.delayed.push(DelayedClaim {
                name,
                selected_node,
                class: class.clone(),
            });
        } else {
            unbound_immediate = true;
        }
    }
    if unbound_immediate {
        return Err(UNBOUND_IMMEDIATE.to_string());
    }
    Ok(plan)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cluster::tests::{node, pod};
    use k8s_openapi::api::core::v1::{
        NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PersistentVolumeClaim,
        PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, PersistentVolumeSpec,
        TopologySelectorLabelRequirement, TopologySelectorTerm, Volume, VolumeNodeAffinity,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

    pub fn class(name: &str, mode: &str) -> Arc<StorageClass> {
        Arc::new(StorageClass {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            provisioner: "berth.dev/local-path".into(),
            volume_binding_mode: Some(mode.into()),
            ..StorageClass::default()
        })
    }

    pub fn claim(name: &str, class: &str, volume: Option<&str>) -> Arc<PersistentVolumeClaim> {
        Arc::new(PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..ObjectMeta::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                storage_class_name: Some(class.into()),
                volume_name: volume.map(str::to_string),
                ..PersistentVolumeClaimSpec::default()
            }),
            status: None,
        })
    }

    pub fn local_volume(name: &str, node_name: &str) -> Arc<PersistentVolume> {
        Arc::new(PersistentVolume {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            spec: Some(PersistentVolumeSpec {
                node_affinity: Some(VolumeNodeAffinity {
                    required: Some(NodeSelector {
                        node_selector_terms: vec![NodeSelectorTerm {
                            match_expressions: Some(vec![NodeSelectorRequirement {
                                key: "kubernetes.io/hostname".into(),
                                operator: "In".into(),
                                values: Some(vec![node_name.into()]),
                            }]),
                            match_fields: None,
                        }],
                    }),
                }),
                ..PersistentVolumeSpec::default()
            }),
            status: None,
        })
    }

    pub fn mounting(mut pod: Pod, claim: &str) -> Pod {
        pod.spec.as_mut().unwrap().volumes = Some(vec![Volume {
            name: "data".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.into(),
                read_only: None,
            }),
            ..Volume::default()
        }]);
        pod
    }

    fn cluster() -> Cluster {
        let mut cluster = Cluster::default();
        cluster.classes.insert(
            "local-path".into(),
            class("local-path", WAIT_FOR_FIRST_CONSUMER),
        );
        cluster
            .classes
            .insert("standard".into(), class("standard", "Immediate"));
        cluster
            .volumes
            .insert("pv-1".into(), local_volume("pv-1", "n2"));
        for c in [
            claim("bound", "local-path", Some("pv-1")),
            claim("dangling", "local-path", Some("pv-missing")),
            claim("delayed", "local-path", None),
            claim("immediate", "standard", None),
            claim("classless", "", None),
            {
                let mut no_class = (*claim("no-class-no-default", "", None)).clone();
                no_class.spec.as_mut().unwrap().storage_class_name = None;
                Arc::new(no_class)
            },
            claim("unknown-class", "fast", None),
        ] {
            cluster
                .claims
                .insert(("default".into(), c.metadata.name.clone().unwrap()), c);
        }
        let mut deleting = (*claim("deleting", "local-path", None)).clone();
        deleting.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::UNIX_EPOCH));
        cluster
            .claims
            .insert(("default".into(), "deleting".into()), Arc::new(deleting));
        let mut chosen = (*claim("chosen", "local-path", None)).clone();
        chosen.metadata.annotations =
            Some([(SELECTED_NODE_ANNOTATION.to_string(), "n1".to_string())].into());
        cluster
            .claims
            .insert(("default".into(), "chosen".into()), Arc::new(chosen));
        cluster
    }

    #[test]
    fn prefilter_messages() {
        let cluster = cluster();
        let cases = [
            ("missing", "persistentvolumeclaim \"missing\" not found"),
            (
                "deleting",
                "persistentvolumeclaim \"deleting\" is being deleted",
            ),
            ("immediate", UNBOUND_IMMEDIATE),
            ("classless", UNBOUND_IMMEDIATE),
            ("no-class-no-default", UNBOUND_IMMEDIATE),
            (
                "unknown-class",
                "storageclass.storage.k8s.io \"fast\" not found",
            ),
        ];
        for (claim, message) in cases {
            let result = plan_volumes(&mounting(pod("p", ""), claim), &cluster);
            assert_eq!(result.unwrap_err(), message, "{claim}");
        }
        let mut ephemeral = pod("p", "");
        ephemeral.spec.as_mut().unwrap().volumes = Some(vec![Volume {
            name: "scratch".into(),
            ephemeral: Some(Default::default()),
            ..Volume::default()
        }]);
        assert!(
            plan_volumes(&ephemeral, &cluster)
                .unwrap_err()
                .contains("\"p-scratch\"")
        );
        assert!(plan_volumes(&pod("p", ""), &cluster).unwrap().all_bound());
    }

    #[test]
    fn node_conflicts() {
        let cluster = cluster();
        let (n1, n2) = (node("n1", "4", &[]), node("n2", "4", &[]));
        let plan = |claim: &str| plan_volumes(&mounting(pod("p", ""), claim), &cluster).unwrap();

        let bound = plan("bound");
        assert!(bound.all_bound());
        assert_eq!(bound.node_conflict(&n1), Some(REASON_VOLUME_NODE_CONFLICT));
        assert_eq!(bound.node_conflict(&n2), None);

        assert_eq!(
            plan("dangling").node_conflict(&n2),
            Some(REASON_MISSING_VOLUME)
        );

        let delayed = plan("delayed");
        assert!(!delayed.all_bound());
        assert_eq!(delayed.node_conflict(&n1), None);
        assert_eq!(delayed.claims_to_provision(), ["delayed"]);

        let chosen = plan("chosen");
        assert_eq!(chosen.node_conflict(&n1), None);
        assert_eq!(chosen.node_conflict(&n2), Some(REASON_OTHER_SELECTED_NODE));
        assert!(chosen.claims_to_provision().is_empty(), "already annotated");
    }

    #[test]
    fn claims_without_a_class_get_the_default_one() {
        let mut cluster = cluster();
        let mut no_class = (*claim("later", "", None)).clone();
        no_class.spec.as_mut().unwrap().storage_class_name = None;
        cluster
            .claims
            .insert(("default".into(), "later".into()), Arc::new(no_class));
        let p = mounting(pod("p", ""), "later");
        assert_eq!(plan_volumes(&p, &cluster).unwrap_err(), UNBOUND_IMMEDIATE);
        let mut default = (*class("local-path", WAIT_FOR_FIRST_CONSUMER)).clone();
        default.metadata.annotations =
            Some([(DEFAULT_CLASS_ANNOTATIONS[0].to_string(), "true".to_string())].into());
        cluster
            .classes
            .insert("local-path".into(), Arc::new(default));
        let plan = plan_volumes(&p, &cluster).unwrap();
        assert_eq!(plan.claims_to_provision(), ["later"]);
        // An explicitly empty class still means none.
        let classless = mounting(pod("p", ""), "classless");
        assert_eq!(
            plan_volumes(&classless, &cluster).unwrap_err(),
            UNBOUND_IMMEDIATE
        );
    }

    #[test]
    fn allowed_topologies_limit_provisioning() {
        let mut cluster = cluster();
        let mut zonal = (*class("zonal", WAIT_FOR_FIRST_CONSUMER)).clone();
        zonal.allowed_topologies = Some(vec![TopologySelectorTerm {
            match_label_expressions: Some(vec![TopologySelectorLabelRequirement {
                key: "topology.kubernetes.io/zone".into(),
                values: vec!["a".into()],
            }]),
        }]);
        cluster.classes.insert("zonal".into(), Arc::new(zonal));
        cluster
            .claims
            .insert(("default".into(), "z".into()), claim("z", "zonal", None));
        let plan = plan_volumes(&mounting(pod("p", ""), "z"), &cluster).unwrap();
        let in_a = node("n1", "4", &[("topology.kubernetes.io/zone", "a")]);
        let in_b = node("n2", "4", &[("topology.kubernetes.io/zone", "b")]);
        assert_eq!(plan.node_conflict(&in_a), None);
        assert_eq!(plan.node_conflict(&in_b), Some(REASON_NO_VOLUME_TO_BIND));
    }
}
