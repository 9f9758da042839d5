//! The identity a StatefulSet gives its pods and the objects it makes from its spec: ordinals,
//! names, identity labels, pods built from a revision's template, and claims built from the
//! volume claim templates (behaviour of upstream `stateful_set_utils.go`).

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

/// Label carrying the pod's own name (used by per-pod Services).
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// Label carrying the pod's ordinal.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
/// Label naming the ControllerRevision a pod was made from.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// Splits `<parent>-<ordinal>` as upstream's `(.*)-([0-9]+)$` does; `None` when the name has
/// no such suffix or the ordinal does not fit an int32.
pub fn parse_ordinal(name: &str) -> Option<(&str, i32)> {
    let (parent, digits) = name.rsplit_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((parent, digits.parse().ok()?))
}

/// The ordinal of a pod that belongs to the set named `set_name`.
pub fn ordinal_in(set_name: &str, pod_name: &str) -> Option<i32> {
    parse_ordinal(pod_name)
        .filter(|(parent, _)| *parent == set_name)
        .map(|(_, ordinal)| ordinal)
}

pub fn pod_name(set_name: &str, ordinal: i32) -> String {
    format!("{set_name}-{ordinal}")
}

pub fn claim_name(template_name: &str, set_name: &str, ordinal: i32) -> String {
    format!("{template_name}-{set_name}-{ordinal}")
}

pub fn set_name(set: &StatefulSet) -> &str {
    set.metadata.name.as_deref().unwrap_or_default()
}

pub fn set_namespace(set: &StatefulSet) -> &str {
    set.metadata.namespace.as_deref().unwrap_or_default()
}

pub fn set_uid(set: &StatefulSet) -> &str {
    set.metadata.uid.as_deref().unwrap_or_default()
}

/// The controller reference a set puts on its pods, claims and revisions.
pub fn set_controller_ref(set: &StatefulSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "StatefulSet".into(),
        name: set_name(set).into(),
        uid: set_uid(set).into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The controller reference a condemned pod puts on its claims (retention `whenScaled: Delete`).
pub fn pod_controller_ref(pod_name: &str, pod_uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: pod_name.into(),
        uid: pod_uid.into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The controller reference among `refs`, if any.
pub fn controller_of(refs: Option<&Vec<OwnerReference>>) -> Option<&OwnerReference> {
    refs?.iter().find(|r| r.controller == Some(true))
}

/// The claim volumes of pod `ordinal` (in claim template order) followed by `existing`
/// volumes whose names no claim template takes.
fn volumes_with_claims(set: &StatefulSet, ordinal: i32, existing: &[Volume]) -> Vec<Volume> {
    let templates = claim_templates(set);
    let mut volumes: Vec<Volume> = templates
        .iter()
        .map(|template| {
            let name = template.metadata.name.clone().unwrap_or_default();
            Volume {
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim_name(&name, set_name(set), ordinal),
                    read_only: Some(false),
                }),
                name,
                ..Volume::default()
            }
        })
        .collect();
    volumes.extend(
        existing
            .iter()
            .filter(|volume| {
                !templates
                    .iter()
                    .any(|t| t.metadata.name.as_deref() == Some(volume.name.as_str()))
            })
            .cloned(),
    );
    volumes
}

pub fn claim_templates(set: &StatefulSet) -> &[PersistentVolumeClaim] {
    set.spec
        .volume_claim_templates
        .as_deref()
        .unwrap_or_default()
}

/// A new pod for `ordinal` from `template` (the template of revision `revision`).
pub fn new_pod(set: &StatefulSet, template: &PodTemplateSpec, revision: &str, ordinal: i32) -> Pod {
    let name = pod_name(set_name(set), ordinal);
    let template_meta = template.metadata.clone().unwrap_or_default();
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    labels.insert(REVISION_LABEL.into(), revision.into());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.volumes = Some(volumes_with_claims(
        set,
        ordinal,
        spec.volumes.as_deref().unwrap_or_default(),
    ));
    // Set on creation only: both fields are immutable afterwards.
    spec.hostname = Some(name.clone());
    spec.subdomain = set
        .spec
        .service_name
        .clone()
        .filter(|service| !service.is_empty());
    Pod {
        metadata: ObjectMeta {
            name: Some(name),
            generate_name: Some(format!("{}-", set_name(set))),
            namespace: Some(set_namespace(set).into()),
            labels: Some(labels),
            annotations: template_meta.annotations,
            finalizers: template_meta.finalizers,
            owner_references: Some(vec![set_controller_ref(set)]),
            ..ObjectMeta::default()
        },
        spec: Some(spec),
        status: None,
    }
}

/// Whether the pod carries the name, namespace and identity labels of its ordinal.
pub fn identity_matches(set: &StatefulSet, pod: &Pod, ordinal: i32) -> bool {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let label = |key: &str| {
        pod.metadata
            .labels
            .as_ref()
            .and_then(|labels| labels.get(key))
            .map(String::as_str)
    };
    name == pod_name(set_name(set), ordinal)
        && pod.metadata.namespace.as_deref().unwrap_or_default() == set_namespace(set)
        && label(POD_NAME_LABEL) == Some(name)
        && label(POD_INDEX_LABEL) == Some(ordinal.to_string().as_str())
}

/// Whether every claim template is mounted from this ordinal's claim.
pub fn storage_matches(set: &StatefulSet, pod: &Pod, ordinal: i32) -> bool {
    let volumes = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.volumes.as_deref())
        .unwrap_or_default();
    claim_templates(set).iter().all(|template| {
        let name = template.metadata.name.as_deref().unwrap_or_default();
        volumes.iter().any(|volume| {
            volume.name == name
                && volume
                    .persistent_volume_claim
                    .as_ref()
                    .map(|c| &c.claim_name)
                    == Some(&claim_name(name, set_name(set), ordinal))
        })
    })
}

/// The pod with its identity labels and claim volumes put right (hostname and subdomain are
/// left alone: they cannot change after creation).
pub fn with_identity_and_storage(set: &StatefulSet, pod: &Pod, ordinal: i32) -> Pod {
    let mut pod = pod.clone();
    let name = pod_name(set_name(set), ordinal);
    let labels = pod.metadata.labels.get_or_insert_with(Default::default);
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    pod.metadata.name = Some(name);
    pod.metadata.namespace = Some(set_namespace(set).into());
    let spec = pod.spec.get_or_insert_with(Default::default);
    spec.volumes = Some(volumes_with_claims(
        set,
        ordinal,
        spec.volumes.as_deref().unwrap_or_default(),
    ));
    pod
}

/// The claims of pod `ordinal`, one per claim template: the template's metadata (labels
/// overlaid with the selector's matchLabels) and spec, under the claim's name.
pub fn new_claims(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let match_labels = set.spec.selector.match_labels.clone().unwrap_or_default();
    claim_templates(set)
        .iter()
        .map(|template| {
            let template_name = template.metadata.name.as_deref().unwrap_or_default();
            let mut labels = template.metadata.labels.clone().unwrap_or_default();
            labels.extend(match_labels.clone());
            PersistentVolumeClaim {
                // Upstream copies the whole template metadata (annotations, finalizers,
                // ownerReferences, …) and then sets the identity fields.
                metadata: ObjectMeta {
                    name: Some(claim_name(template_name, set_name(set), ordinal)),
                    namespace: Some(set_namespace(set).into()),
                    labels: Some(labels),
                    resource_version: None,
                    ..template.metadata.clone()
                },
                spec: template.spec.clone(),
                status: None,
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::StatefulSetSpec;
    use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaimSpec, PodSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    use std::collections::BTreeMap;

    /// The set used across the statefulset tests: `web` in `default`, selector `app=web`,
    /// claim template `www`, service `nginx`.
    pub(crate) fn web(replicas: i32) -> StatefulSet {
        let labels = BTreeMap::from([("app".to_string(), "web".to_string())]);
        StatefulSet {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("default".into()),
                uid: Some("set-uid".into()),
                generation: Some(1),
                ..ObjectMeta::default()
            },
            spec: StatefulSetSpec {
                replicas: Some(replicas),
                selector: LabelSelector {
                    match_labels: Some(labels.clone()),
                    ..LabelSelector::default()
                },
                service_name: Some("nginx".into()),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(labels),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(PodSpec {
                        containers: vec![Container {
                            name: "nginx".into(),
                            image: Some("nginx:1".into()),
                            ..Container::default()
                        }],
                        volumes: Some(vec![
                            Volume {
                                name: "www".into(),
                                ..Volume::default()
                            },
                            Volume {
                                name: "config".into(),
                                ..Volume::default()
                            },
                        ]),
                        ..PodSpec::default()
                    }),
                },
                volume_claim_templates: Some(vec![PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        name: Some("www".into()),
                        labels: Some(BTreeMap::from([("tier".into(), "data".into())])),
                        ..ObjectMeta::default()
                    },
                    spec: Some(PersistentVolumeClaimSpec {
                        access_modes: Some(vec!["ReadWriteOnce".into()]),
                        ..PersistentVolumeClaimSpec::default()
                    }),
                    status: None,
                }]),
                ..StatefulSetSpec::default()
            },
            status: None,
        }
    }

    #[test]
    fn ordinals_parse_like_upstreams_regex() {
        assert_eq!(parse_ordinal("web-0"), Some(("web", 0)));
        assert_eq!(parse_ordinal("my-web-12"), Some(("my-web", 12)));
        assert_eq!(parse_ordinal("web--3"), Some(("web-", 3)));
        assert_eq!(parse_ordinal("web-"), None);
        assert_eq!(parse_ordinal("web-1a"), None);
        assert_eq!(parse_ordinal("web"), None);
        assert_eq!(parse_ordinal("web-99999999999"), None, "beyond int32");
        assert_eq!(ordinal_in("web", "web-2"), Some(2));
        assert_eq!(ordinal_in("web", "webx-2"), None);
    }

    #[test]
    fn new_pods_carry_identity_owner_and_claim_volumes() {
        let set = web(3);
        let template = &set.spec.template;
        let pod = new_pod(&set, template, "web-abc", 2);
        let labels = pod.metadata.labels.as_ref().unwrap();
        assert_eq!(pod.metadata.name.as_deref(), Some("web-2"));
        assert_eq!(pod.metadata.generate_name.as_deref(), Some("web-"));
        assert_eq!(labels[POD_NAME_LABEL], "web-2");
        assert_eq!(labels[POD_INDEX_LABEL], "2");
        assert_eq!(labels[REVISION_LABEL], "web-abc");
        assert_eq!(labels["app"], "web");
        let owner = &pod.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
            ("StatefulSet", "set-uid", Some(true))
        );
        assert_eq!(owner.block_owner_deletion, Some(true));
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.hostname.as_deref(), Some("web-2"));
        assert_eq!(spec.subdomain.as_deref(), Some("nginx"));
        let volumes = spec.volumes.as_ref().unwrap();
        assert_eq!(volumes.len(), 2, "the template's www volume is replaced");
        assert_eq!(volumes[0].name, "www");
        assert_eq!(
            volumes[0]
                .persistent_volume_claim
                .as_ref()
                .unwrap()
                .claim_name,
            "www-web-2"
        );
        assert_eq!(volumes[1].name, "config");
        assert!(identity_matches(&set, &pod, 2));
        assert!(storage_matches(&set, &pod, 2));
        assert!(!storage_matches(&set, &pod, 1));
    }

    #[test]
    fn broken_identity_and_storage_are_repaired() {
        let set = web(3);
        let template = &set.spec.template;
        let mut pod = new_pod(&set, template, "web-abc", 1);
        pod.metadata
            .labels
            .as_mut()
            .unwrap()
            .remove(POD_INDEX_LABEL);
        pod.spec.as_mut().unwrap().volumes = Some(Vec::new());
        assert!(!identity_matches(&set, &pod, 1));
        assert!(!storage_matches(&set, &pod, 1));
        let fixed = with_identity_and_storage(&set, &pod, 1);
        assert!(identity_matches(&set, &fixed, 1));
        assert!(storage_matches(&set, &fixed, 1));
    }

    #[test]
    fn claims_take_template_labels_and_the_selector() {
        let set = web(1);
        let claims = new_claims(&set, 4);
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].metadata.name.as_deref(), Some("www-web-4"));
        assert_eq!(claims[0].metadata.namespace.as_deref(), Some("default"));
        let labels = claims[0].metadata.labels.as_ref().unwrap();
        assert_eq!(
            (labels["app"].as_str(), labels["tier"].as_str()),
            ("web", "data")
        );
        assert!(claims[0].metadata.owner_references.is_none());
    }

    #[test]
    fn claims_keep_the_template_metadata() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
        let mut set = web(1);
        let template = &mut set.spec.volume_claim_templates.as_mut().unwrap()[0];
        let owner = OwnerReference {
            api_version: "example.com/v1".into(),
            kind: "Cluster".into(),
            name: "c".into(),
            uid: "u-1".into(),
            ..OwnerReference::default()
        };
        template.metadata.owner_references = Some(vec![owner.clone()]);
        template.metadata.resource_version = Some("7".into());
        let claims = new_claims(&set, 0);
        assert_eq!(claims[0].metadata.owner_references, Some(vec![owner]));
        assert_eq!(claims[0].metadata.resource_version, None);
        assert_eq!(claims[0].metadata.name.as_deref(), Some("www-web-0"));
    }
}
