//! The decisions of the volume controllers, as pure functions of what was observed:
//! default StorageClass, PV/PVC matching and binding (upstream
//! `pkg/controller/volume/persistentvolume`), local-path provisioning, reclaim, and the
//! `pvc-protection` / `pv-protection` finalizers (`pkg/controller/volume/pvcprotection`,
//! `pvprotection`).

use std::collections::BTreeMap;

use berth_api::events::object_reference;
use berth_api::pods::claim_names;
use berth_api::selectors::LabelSelector;
use berth_api::validation::quantity::parse_quantity;
use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, ObjectReference,
    PersistentVolume, PersistentVolumeClaim, PersistentVolumeSpec, Pod, VolumeNodeAffinity,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub const LOCAL_PATH_CLASS: &str = "local-path";
pub const LOCAL_PATH_PROVISIONER: &str = "berth.io/local-path";
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";
const BETA_DEFAULT_CLASS_ANNOTATION: &str = "storageclass.beta.kubernetes.io/is-default-class";
pub const SELECTED_NODE_ANNOTATION: &str = "volume.kubernetes.io/selected-node";
pub const BIND_COMPLETED_ANNOTATION: &str = "pv.kubernetes.io/bind-completed";
pub const BOUND_BY_CONTROLLER_ANNOTATION: &str = "pv.kubernetes.io/bound-by-controller";
pub const PROVISIONED_BY_ANNOTATION: &str = "pv.kubernetes.io/provisioned-by";
pub const STORAGE_PROVISIONER_ANNOTATION: &str = "volume.kubernetes.io/storage-provisioner";
pub const BETA_STORAGE_PROVISIONER_ANNOTATION: &str =
    "volume.beta.kubernetes.io/storage-provisioner";
pub const PVC_PROTECTION_FINALIZER: &str = "kubernetes.io/pvc-protection";
pub const PV_PROTECTION_FINALIZER: &str = "kubernetes.io/pv-protection";
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// The StorageClass berth creates at start: local directories, made for the node the
/// first consumer is scheduled to, deleted with their claim.
pub fn local_path_storage_class() -> StorageClass {
    StorageClass {
        metadata: ObjectMeta {
            name: Some(LOCAL_PATH_CLASS.to_string()),
            annotations: Some(BTreeMap::from([(
                DEFAULT_CLASS_ANNOTATION.to_string(),
                "true".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        provisioner: LOCAL_PATH_PROVISIONER.to_string(),
        reclaim_policy: Some("Delete".to_string()),
        volume_binding_mode: Some("WaitForFirstConsumer".to_string()),
        ..StorageClass::default()
    }
}

fn is_default_class(class: &StorageClass) -> bool {
    let annotations = class.metadata.annotations.as_ref();
    [DEFAULT_CLASS_ANNOTATION, BETA_DEFAULT_CLASS_ANNOTATION]
        .iter()
        .any(|key| annotations.and_then(|a| a.get(*key)).map(String::as_str) == Some("true"))
}

/// The class a claim without `storageClassName` gets: the default class, and when several
/// are marked default, the newest (then the first by name), as upstream's admission
/// plugin and retroactive assignment choose.
pub fn default_storage_class_for<'a>(
    classes: impl IntoIterator<Item = &'a StorageClass>,
) -> Option<&'a StorageClass> {
    classes
        .into_iter()
        .filter(|c| is_default_class(c))
        .max_by(|a, b| {
            let created = |c: &StorageClass| c.metadata.creation_timestamp.clone().map(|t| t.0);
            created(a)
                .cmp(&created(b))
                .then_with(|| b.metadata.name.cmp(&a.metadata.name))
        })
}

fn requested_storage(claim: &PersistentVolumeClaim) -> Option<&Quantity> {
    let resources = claim.spec.as_ref()?.resources.as_ref()?;
    resources.requests.as_ref()?.get("storage")
}

fn volume_capacity(volume: &PersistentVolume) -> Option<&Quantity> {
    volume.spec.as_ref()?.capacity.as_ref()?.get("storage")
}

fn claim_class(claim: &PersistentVolumeClaim) -> &str {
    let class = claim
        .spec
        .as_ref()
        .and_then(|s| s.storage_class_name.as_deref());
    class.unwrap_or_default()
}

fn volume_class(volume: &PersistentVolume) -> &str {
    let class = volume
        .spec
        .as_ref()
        .and_then(|s| s.storage_class_name.as_deref());
    class.unwrap_or_default()
}

fn claim_volume_mode(claim: &PersistentVolumeClaim) -> &str {
    let mode = claim.spec.as_ref().and_then(|s| s.volume_mode.as_deref());
    mode.unwrap_or("Filesystem")
}

fn volume_volume_mode(volume: &PersistentVolume) -> &str {
    let mode = volume.spec.as_ref().and_then(|s| s.volume_mode.as_deref());
    mode.unwrap_or("Filesystem")
}

pub fn claim_ref(volume: &PersistentVolume) -> Option<&ObjectReference> {
    volume.spec.as_ref()?.claim_ref.as_ref()
}

pub fn volume_phase(volume: &PersistentVolume) -> &str {
    let phase = volume.status.as_ref().and_then(|s| s.phase.as_deref());
    phase.unwrap_or("Pending")
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

fn has_finalizer(meta: &ObjectMeta, finalizer: &str) -> bool {
    meta.finalizers.iter().flatten().any(|f| f == finalizer)
}

/// Whether the volume's claimRef names this claim (and its UID, when the ref has one).
pub fn is_bound_to(volume: &PersistentVolume, claim: &PersistentVolumeClaim) -> bool {
    let Some(reference) = claim_ref(volume) else {
        return false;
    };
    let uid_matches = match reference.uid.as_deref() {
        None | Some("") => true,
        uid => uid == claim.metadata.uid.as_deref(),
    };
    reference.name == claim.metadata.name
        && reference.namespace == claim.metadata.namespace
        && uid_matches
}

/// Whether the volume's required node affinity admits a node with these labels.
pub fn node_affinity_allows(
    volume: &PersistentVolume,
    node_labels: &BTreeMap<String, String>,
) -> bool {
    let required = volume
        .spec
        .as_ref()
        .and_then(|s| s.node_affinity.as_ref())
        .and_then(|a| a.required.as_ref());
    let Some(required) = required else {
        return true;
    };
    // Terms are ORed; the expressions of one term are ANDed.
    required.node_selector_terms.iter().any(|term| {
        term.match_expressions.iter().flatten().all(|requirement| {
            let value = node_labels.get(&requirement.key);
            let values = requirement.values.as_deref().unwrap_or_default();
            match requirement.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
    })
}

/// Whether `volume` can satisfy `claim`: enough capacity, every access mode asked for,
/// same class and volume mode, and the claim's selector.
fn satisfies(volume: &PersistentVolume, claim: &PersistentVolumeClaim) -> bool {
    let enough = match (requested_storage(claim), volume_capacity(volume)) {
        (None, _) => true,
        (Some(request), Some(capacity)) => {
            match (parse_quantity(&request.0), parse_quantity(&capacity.0)) {
                (Some(request), Some(capacity)) => capacity >= request,
                _ => false,
            }
        }
        (Some(_), None) => false,
    };
    let offered = volume.spec.as_ref().and_then(|s| s.access_modes.as_deref());
    let wanted = claim.spec.as_ref().and_then(|s| s.access_modes.as_deref());
    let modes = wanted
        .unwrap_or_default()
        .iter()
        .all(|mode| offered.unwrap_or_default().contains(mode));
    let selected = match claim.spec.as_ref().and_then(|s| s.selector.as_ref()) {
        None => true,
        Some(selector) => LabelSelector::from_k8s(selector)
            .is_ok_and(|s| s.matches(volume.metadata.labels.as_ref().unwrap_or(&BTreeMap::new()))),
    };
    enough
        && modes
        && selected
        && claim_class(claim) == volume_class(volume)
        && claim_volume_mode(claim) == volume_volume_mode(volume)
}

/// The volume to bind an unbound claim to (upstream `FindMatchingVolume`): one pre-bound
/// to the claim if any, else the smallest Available, unclaimed volume that satisfies it.
/// `node` is the selected node's labels for a claim whose binding waited for its first
/// consumer; such claims only bind volumes that node can reach.
pub fn find_matching_volume<'a>(
    claim: &PersistentVolumeClaim,
    volumes: impl IntoIterator<Item = &'a PersistentVolume>,
    node: Option<&BTreeMap<String, String>>,
) -> Option<&'a PersistentVolume> {
    let mut best: Option<(&PersistentVolume, Option<_>)> = None;
    for volume in volumes {
        if volume.metadata.deletion_timestamp.is_some() || !satisfies(volume, claim) {
            continue;
        }
        let reachable = node.is_none_or(|labels| node_affinity_allows(volume, labels));
        if is_bound_to(volume, claim) {
            if reachable {
                return Some(volume);
            }
            continue;
        }
        if claim_ref(volume).is_some() || volume_phase(volume) != "Available" || !reachable {
            continue;
        }
        let size = volume_capacity(volume).and_then(|q| parse_quantity(&q.0));
        if best.as_ref().is_none_or(|(_, smallest)| size < *smallest) {
            best = Some((volume, size));
        }
    }
    best.map(|(volume, _)| volume)
}

/// What the binder does next for a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimStep {
    /// Nothing to do.
    Nothing,
    /// Retroactive default StorageClass assignment: the claim has no class and is unbound.
    AssignClass(String),
    /// Bind the claim and this volume to each other.
    Bind(String),
    /// The claim's volume points back at it: finish the claim's side (annotations, status).
    FinishBinding(String),
    /// Binding waits for a pod using the claim to be scheduled.
    WaitForFirstConsumer,
    /// Provision a volume with this provisioner, for the selected node if any.
    Provision {
        provisioner: String,
        node: Option<String>,
    },
    /// No volume matches and nothing will provision one; the message says why.
    Pending(String),
    /// The claim names a volume that is gone (phase Lost).
    Lost,
    /// The claim names a volume bound to another claim.
    Misbound,
}

/// The binder's decision for a claim that is not being deleted. `class` is the claim's
/// StorageClass, `default_class` the cluster default, `node_labels` the labels of the
/// node named by the selected-node annotation (its name alone when the node is unknown).
pub fn plan_claim<'a>(
    claim: &PersistentVolumeClaim,
    volumes: impl IntoIterator<Item = &'a PersistentVolume> + Clone,
    class: Option<&StorageClass>,
    default_class: Option<&StorageClass>,
    node_labels: Option<&BTreeMap<String, String>>,
) -> ClaimStep {
    let spec = claim.spec.as_ref();
    let volume_name = spec
        .and_then(|s| s.volume_name.as_deref())
        .unwrap_or_default();
    if !volume_name.is_empty() {
        let volume = volumes
            .into_iter()
            .find(|v| v.metadata.name.as_deref() == Some(volume_name));
        return match volume {
            None => ClaimStep::Lost,
            Some(volume) if claim_ref(volume).is_none() => ClaimStep::Bind(volume_name.into()),
            Some(volume) if is_bound_to(volume, claim) => {
                let phase = claim.status.as_ref().and_then(|s| s.phase.as_deref());
                let completed = annotation(&claim.metadata, BIND_COMPLETED_ANNOTATION).is_some();
                let pv_uid_set = claim_ref(volume).and_then(|r| r.uid.as_deref()).is_some();
                if phase == Some("Bound") && completed && pv_uid_set {
                    ClaimStep::Nothing
                } else if !pv_uid_set {
                    ClaimStep::Bind(volume_name.into())
                } else {
                    ClaimStep::FinishBinding(volume_name.into())
                }
            }
            Some(_) => ClaimStep::Misbound,
        };
    }
    if spec.and_then(|s| s.storage_class_name.as_ref()).is_none()
        && let Some(default) = default_class.and_then(|c| c.metadata.name.clone())
    {
        return ClaimStep::AssignClass(default);
    }
    let wait_for_consumer = class
        .and_then(|c| c.volume_binding_mode.as_deref())
        .is_some_and(|mode| mode == "WaitForFirstConsumer");
    let selected_node = annotation(&claim.metadata, SELECTED_NODE_ANNOTATION);
    if wait_for_consumer && selected_node.is_none() {
        // Only a volume pre-bound to the claim may bind before the pod is scheduled.
        let prebound = volumes.into_iter().find(|v| is_bound_to(v, claim));
        return match prebound {
            Some(volume) => ClaimStep::Bind(volume.metadata.name.clone().unwrap_or_default()),
            None => ClaimStep::WaitForFirstConsumer,
        };
    }
    let node = selected_node.map(|name| {
        node_labels
            .cloned()
            .unwrap_or_else(|| BTreeMap::from([(HOSTNAME_LABEL.to_string(), name.to_string())]))
    });
    if let Some(volume) = find_matching_volume(claim, volumes, node.as_ref()) {
        return ClaimStep::Bind(volume.metadata.name.clone().unwrap_or_default());
    }
    match class {
        Some(class) if class.provisioner != "kubernetes.io/no-provisioner" => {
            ClaimStep::Provision {
                provisioner: class.provisioner.clone(),
                node: selected_node.map(String::from),
            }
        }
        Some(_) => ClaimStep::Pending(
            "no persistent volumes available for this claim and no storage class is set".into(),
        ),
        None if claim_class(claim).is_empty() => ClaimStep::Pending(
            "no persistent volumes available for this claim and no storage class is set".into(),
        ),
        None => ClaimStep::Pending(format!(
            "storageclass.storage.k8s.io \"{}\" not found",
            claim_class(claim)
        )),
    }
}

/// The local-path volume for a claim: named `pvc-<claim uid>`, a directory under
/// `<base_dir>/volumes`, pre-bound to the claim, reachable only from the selected node.
pub fn provisioned_volume(
    claim: &PersistentVolumeClaim,
    class: &StorageClass,
    node: Option<&str>,
    base_dir: &std::path::Path,
) -> PersistentVolume {
    let name = provisioned_volume_name(claim);
    let path = base_dir.join("volumes").join(&name);
    let spec = claim.spec.clone().unwrap_or_default();
    let node_affinity = node.map(|node| VolumeNodeAffinity {
        required: Some(NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm {
                match_expressions: Some(vec![NodeSelectorRequirement {
                    key: HOSTNAME_LABEL.to_string(),
                    operator: "In".to_string(),
                    values: Some(vec![node.to_string()]),
                }]),
                match_fields: None,
            }],
        }),
    });
    let capacity =
        requested_storage(claim).map(|q| BTreeMap::from([("storage".to_string(), q.clone())]));
    PersistentVolume {
        metadata: ObjectMeta {
            name: Some(name),
            annotations: Some(BTreeMap::from([(
                PROVISIONED_BY_ANNOTATION.to_string(),
                class.provisioner.clone(),
            )])),
            finalizers: Some(vec![PV_PROTECTION_FINALIZER.to_string()]),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeSpec {
            access_modes: spec.access_modes,
            capacity,
            claim_ref: Some(object_reference(claim)),
            host_path: Some(HostPathVolumeSource {
                path: path.to_string_lossy().into_owned(),
                type_: Some("DirectoryOrCreate".to_string()),
            }),
            mount_options: class.mount_options.clone(),
            node_affinity,
            persistent_volume_reclaim_policy: Some(
                class
                    .reclaim_policy
                    .clone()
                    .unwrap_or_else(|| "Delete".into()),
            ),
            storage_class_name: class.metadata.name.clone(),
            volume_mode: spec.volume_mode,
            ..PersistentVolumeSpec::default()
        }),
        status: None,
    }
}

pub fn provisioned_volume_name(claim: &PersistentVolumeClaim) -> String {
    format!("pvc-{}", claim.metadata.uid.as_deref().unwrap_or_default())
}

/// What the binder does next for a volume.
#[derive(Debug, Clone, PartialEq)]
pub enum VolumeStep {
    Nothing,
    /// Set `status.phase` (Available, Bound, Released).
    SetPhase(&'static str),
    /// The claim it was bound to by the controller went elsewhere: clear the claimRef.
    Unbind,
    /// Released with reclaim policy Delete, and provisioned by berth: delete it.
    Delete,
    /// Released, but no one can reclaim it this way: phase Failed with this message.
    Fail(String),
}

/// The binder's decision for a volume. `claim` is the claim its claimRef names, if that
/// exists (by namespace and name; UIDs are compared here).
pub fn plan_volume(volume: &PersistentVolume, claim: Option<&PersistentVolumeClaim>) -> VolumeStep {
    let phase = volume_phase(volume);
    let set = |wanted: &'static str| {
        if phase == wanted {
            VolumeStep::Nothing
        } else {
            VolumeStep::SetPhase(wanted)
        }
    };
    let Some(reference) = claim_ref(volume) else {
        return set("Available");
    };
    let ref_uid = reference.uid.as_deref().filter(|u| !u.is_empty());
    let claim = claim.filter(|c| ref_uid.is_none() || c.metadata.uid.as_deref() == ref_uid);
    match (claim, ref_uid) {
        // Pre-bound by a user to a claim that does not exist yet: stays Available.
        (None, None) => set("Available"),
        (None, Some(_)) => {
            if phase == "Failed" {
                return VolumeStep::Nothing;
            }
            if phase != "Released" {
                return VolumeStep::SetPhase("Released");
            }
            let policy = volume
                .spec
                .as_ref()
                .and_then(|s| s.persistent_volume_reclaim_policy.as_deref())
                .unwrap_or("Retain");
            let ours = annotation(&volume.metadata, PROVISIONED_BY_ANNOTATION)
                == Some(LOCAL_PATH_PROVISIONER);
            match policy {
                "Delete" if ours => VolumeStep::Delete,
                "Delete" => VolumeStep::Fail(format!(
                    "error getting deleter volume plugin for volume \"{}\": no deletable volume plugin matched",
                    volume.metadata.name.as_deref().unwrap_or_default()
                )),
                "Recycle" => VolumeStep::Fail("No recycler plugin found for the volume!".into()),
                _ => VolumeStep::Nothing,
            }
        }
        (Some(claim), _) => {
            let claim_volume = claim.spec.as_ref().and_then(|s| s.volume_name.as_deref());
            match claim_volume {
                // The claim side follows; the volume is bound already.
                None | Some("") => set("Bound"),
                Some(name) if Some(name) == volume.metadata.name.as_deref() => set("Bound"),
                Some(_) => {
                    if annotation(&volume.metadata, BOUND_BY_CONTROLLER_ANNOTATION).is_some() {
                        VolumeStep::Unbind
                    } else {
                        // A user's pre-binding that lost the race: keep waiting.
                        set("Available")
                    }
                }
            }
        }
    }
}

/// A change to one protection finalizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalizerChange {
    Keep,
    Add,
    Remove,
}

fn protection(meta: &ObjectMeta, finalizer: &str, in_use: bool) -> FinalizerChange {
    let present = has_finalizer(meta, finalizer);
    match (meta.deletion_timestamp.is_some(), present) {
        (false, false) => FinalizerChange::Add,
        (true, true) if !in_use => FinalizerChange::Remove,
        _ => FinalizerChange::Keep,
    }
}

/// `kubernetes.io/pvc-protection`: on every live claim; removed from a deleted claim once
/// no pod uses it.
pub fn pvc_protection(claim: &PersistentVolumeClaim, pods: &[&Pod]) -> FinalizerChange {
    let in_use = pods.iter().any(|pod| pod_uses_claim(pod, claim));
    protection(&claim.metadata, PVC_PROTECTION_FINALIZER, in_use)
}

/// `kubernetes.io/pv-protection`: on every live volume; removed from a deleted volume once
/// it is no longer Bound.
pub fn pv_protection(volume: &PersistentVolume) -> FinalizerChange {
    let in_use = volume_phase(volume) == "Bound";
    protection(&volume.metadata, PV_PROTECTION_FINALIZER, in_use)
}

/// Whether a pod holds the claim: a scheduled, unfinished pod in its namespace with a
/// volume naming it (directly, or as the `<pod>-<volume>` claim of an ephemeral volume).
pub fn pod_uses_claim(pod: &Pod, claim: &PersistentVolumeClaim) -> bool {
    let spec = pod.spec.as_ref();
    let scheduled = spec
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if !scheduled || matches!(phase, Some("Succeeded" | "Failed")) {
        return false;
    }
    if pod.metadata.namespace != claim.metadata.namespace {
        return false;
    }
    let claim_name = claim.metadata.name.as_deref().unwrap_or_default();
    claim_names(pod).iter().any(|name| name == claim_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn claim(extra: Value) -> PersistentVolumeClaim {
        let mut value = json!({
            "metadata": {"name": "www-web-0", "namespace": "ns", "uid": "claim-uid"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local-path",
                "resources": {"requests": {"storage": "1Gi"}}},
        });
        merge(&mut value, extra);
        serde_json::from_value(value).unwrap()
    }

    fn volume(name: &str, extra: Value) -> PersistentVolume {
        let mut value = json!({
            "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local-path",
                "capacity": {"storage": "1Gi"}, "hostPath": {"path": "/x"}},
            "status": {"phase": "Available"},
        });
        merge(&mut value, extra);
        serde_json::from_value(value).unwrap()
    }

    fn class(mode: &str) -> StorageClass {
        let mut class = local_path_storage_class();
        class.volume_binding_mode = Some(mode.to_string());
        class
    }

    fn merge(base: &mut Value, extra: Value) {
        match (base, extra) {
            (Value::Object(base), Value::Object(extra)) => {
                for (key, value) in extra {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            }
            (base, extra) => *base = extra,
        }
    }

    fn names(found: Option<&PersistentVolume>) -> Option<&str> {
        found.and_then(|v| v.metadata.name.as_deref())
    }

    #[test]
    fn default_class_is_the_newest_marked_one() {
        let at = |name: &str, second: i64, default: Option<&str>| StorageClass {
            metadata: ObjectMeta {
                name: Some(name.into()),
                creation_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    jiff::Timestamp::from_second(second).unwrap(),
                )),
                annotations: default
                    .map(|key| BTreeMap::from([(key.to_string(), "true".to_string())])),
                ..ObjectMeta::default()
            },
            ..StorageClass::default()
        };
        let classes = [
            at("old", 1, Some(DEFAULT_CLASS_ANNOTATION)),
            at("beta", 2, Some(BETA_DEFAULT_CLASS_ANNOTATION)),
            at("plain", 3, None),
        ];
        assert_eq!(
            default_storage_class_for(&classes).and_then(|c| c.metadata.name.as_deref()),
            Some("beta")
        );
        assert_eq!(
            default_storage_class_for(&classes[..1]).and_then(|c| c.metadata.name.as_deref()),
            Some("old")
        );
        assert!(default_storage_class_for(&classes[2..]).is_none());
        let tie = [
            at("b", 1, Some(DEFAULT_CLASS_ANNOTATION)),
            at("a", 1, Some(DEFAULT_CLASS_ANNOTATION)),
        ];
        assert_eq!(
            default_storage_class_for(&tie).and_then(|c| c.metadata.name.as_deref()),
            Some("a")
        );
        assert!(is_default_class(&local_path_storage_class()));
    }

    #[test]
    fn matching_volumes_table() {
        let c = claim(json!({}));
        let cases: Vec<(&str, Vec<PersistentVolume>, Option<&str>)> = vec![
            ("exact fit", vec![volume("a", json!({}))], Some("a")),
            (
                "too small",
                vec![volume(
                    "a",
                    json!({"spec": {"capacity": {"storage": "512Mi"}}}),
                )],
                None,
            ),
            (
                "smallest that fits wins",
                vec![
                    volume("big", json!({"spec": {"capacity": {"storage": "10Gi"}}})),
                    volume("fit", json!({"spec": {"capacity": {"storage": "1536Mi"}}})),
                ],
                Some("fit"),
            ),
            (
                "missing access mode",
                vec![volume(
                    "a",
                    json!({"spec": {"accessModes": ["ReadOnlyMany"]}}),
                )],
                None,
            ),
            (
                "superset of access modes",
                vec![volume(
                    "a",
                    json!({"spec": {"accessModes": ["ReadWriteOnce", "ReadWriteMany"]}}),
                )],
                Some("a"),
            ),
            (
                "other class",
                vec![volume("a", json!({"spec": {"storageClassName": "fast"}}))],
                None,
            ),
            (
                "block volume",
                vec![volume("a", json!({"spec": {"volumeMode": "Block"}}))],
                None,
            ),
            (
                "released",
                vec![volume("a", json!({"status": {"phase": "Released"}}))],
                None,
            ),
            (
                "claimed by another",
                vec![volume(
                    "a",
                    json!({"spec": {"claimRef": {"namespace": "ns", "name": "other"}}}),
                )],
                None,
            ),
            (
                "pre-bound to this claim beats a better fit",
                vec![
                    volume("free", json!({})),
                    volume(
                        "pre",
                        json!({"spec": {"capacity": {"storage": "5Gi"}, "claimRef": {"namespace": "ns", "name": "www-web-0"}}}),
                    ),
                ],
                Some("pre"),
            ),
            (
                "pre-bound to an earlier claim of the same name",
                vec![volume(
                    "a",
                    json!({"spec": {"claimRef": {"namespace": "ns", "name": "www-web-0", "uid": "old"}}}),
                )],
                None,
            ),
            (
                "being deleted",
                vec![volume(
                    "a",
                    json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"}}),
                )],
                None,
            ),
        ];
        for (name, volumes, want) in cases {
            assert_eq!(
                names(find_matching_volume(&c, &volumes, None)),
                want,
                "{name}"
            );
        }

        let selective = claim(json!({"spec": {"selector": {"matchLabels": {"tier": "gold"}}}}));
        let volumes = [
            volume("plain", json!({})),
            volume("gold", json!({"metadata": {"labels": {"tier": "gold"}}})),
        ];
        assert_eq!(
            names(find_matching_volume(&selective, &volumes, None)),
            Some("gold")
        );

        let pinned = |node: &str| {
            volume(
                node,
                json!({"spec": {"nodeAffinity": {"required": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": HOSTNAME_LABEL, "operator": "In", "values": [node]}]}]}}}}),
            )
        };
        let volumes = [pinned("node-a"), pinned("node-b")];
        let on_b = BTreeMap::from([(HOSTNAME_LABEL.to_string(), "node-b".to_string())]);
        assert_eq!(
            names(find_matching_volume(&c, &volumes, Some(&on_b))),
            Some("node-b")
        );
        let on_c = BTreeMap::from([(HOSTNAME_LABEL.to_string(), "node-c".to_string())]);
        assert_eq!(names(find_matching_volume(&c, &volumes, Some(&on_c))), None);
    }

    #[test]
    fn claim_steps_table() {
        let wffc = class("WaitForFirstConsumer");
        let immediate = class("Immediate");
        let selected = json!({"metadata": {"annotations": {SELECTED_NODE_ANNOTATION: "node-a"}}});
        let bound_volume = volume(
            "pv-1",
            json!({"spec": {"claimRef": {"namespace": "ns", "name": "www-web-0", "uid": "claim-uid"}},
            "status": {"phase": "Bound"}}),
        );
        type Case<'a> = (
            &'a str,
            PersistentVolumeClaim,
            Vec<PersistentVolume>,
            Option<&'a StorageClass>,
            ClaimStep,
        );
        let cases: Vec<Case> = vec![
            (
                "no class: the default is assigned",
                claim(json!({"spec": {"storageClassName": null}})),
                vec![],
                None,
                ClaimStep::AssignClass("local-path".into()),
            ),
            (
                "empty class is a choice, not a missing one",
                claim(json!({"spec": {"storageClassName": ""}})),
                vec![],
                None,
                ClaimStep::Pending(
                    "no persistent volumes available for this claim and no storage class is set"
                        .into(),
                ),
            ),
            (
                "WaitForFirstConsumer without a node waits",
                claim(json!({})),
                vec![volume("free", json!({}))],
                Some(&wffc),
                ClaimStep::WaitForFirstConsumer,
            ),
            (
                "WaitForFirstConsumer binds a pre-bound volume",
                claim(json!({})),
                vec![volume(
                    "pre",
                    json!({"spec": {"claimRef": {"namespace": "ns", "name": "www-web-0"}}}),
                )],
                Some(&wffc),
                ClaimStep::Bind("pre".into()),
            ),
            (
                "selected node: provision there",
                claim(selected.clone()),
                vec![],
                Some(&wffc),
                ClaimStep::Provision {
                    provisioner: LOCAL_PATH_PROVISIONER.into(),
                    node: Some("node-a".into()),
                },
            ),
            (
                "selected node: an existing volume is bound",
                claim(selected),
                vec![volume("free", json!({}))],
                Some(&wffc),
                ClaimStep::Bind("free".into()),
            ),
            (
                "Immediate provisions at once",
                claim(json!({})),
                vec![],
                Some(&immediate),
                ClaimStep::Provision {
                    provisioner: LOCAL_PATH_PROVISIONER.into(),
                    node: None,
                },
            ),
            (
                "unknown class",
                claim(json!({"spec": {"storageClassName": "fast"}})),
                vec![],
                None,
                ClaimStep::Pending("storageclass.storage.k8s.io \"fast\" not found".into()),
            ),
            (
                "volume bound, claim side unfinished",
                claim(json!({"spec": {"volumeName": "pv-1"}})),
                vec![bound_volume.clone()],
                Some(&wffc),
                ClaimStep::FinishBinding("pv-1".into()),
            ),
            (
                "fully bound",
                claim(
                    json!({"metadata": {"annotations": {BIND_COMPLETED_ANNOTATION: "yes"}}, "spec": {"volumeName": "pv-1"}, "status": {"phase": "Bound"}}),
                ),
                vec![bound_volume.clone()],
                Some(&wffc),
                ClaimStep::Nothing,
            ),
            (
                "claim names a free volume (user binding)",
                claim(json!({"spec": {"volumeName": "free"}})),
                vec![volume("free", json!({}))],
                Some(&wffc),
                ClaimStep::Bind("free".into()),
            ),
            (
                "claim names a missing volume",
                claim(json!({"spec": {"volumeName": "gone"}})),
                vec![],
                Some(&wffc),
                ClaimStep::Lost,
            ),
            (
                "claim names a volume bound elsewhere",
                claim(json!({"spec": {"volumeName": "pv-1"}, "metadata": {"uid": "another"}})),
                vec![bound_volume],
                Some(&wffc),
                ClaimStep::Misbound,
            ),
        ];
        let default = local_path_storage_class();
        for (name, claim, volumes, class, want) in cases {
            assert_eq!(
                plan_claim(&claim, &volumes, class, Some(&default), None),
                want,
                "{name}"
            );
        }
        // Without a default class, a class-less claim waits for a volume of no class.
        let classless = claim(json!({"spec": {"storageClassName": null}}));
        let free = volume("free", json!({"spec": {"storageClassName": null}}));
        assert_eq!(
            plan_claim(&classless, [&free], None, None, None),
            ClaimStep::Bind("free".into())
        );
    }

    #[test]
    fn provisioned_volumes_follow_the_claim_and_class() {
        let c = claim(
            json!({"metadata": {"resourceVersion": "7"}, "spec": {"volumeMode": "Filesystem"}}),
        );
        let mut retain = local_path_storage_class();
        retain.reclaim_policy = Some("Retain".into());
        let pv = provisioned_volume(&c, &retain, Some("node-a"), std::path::Path::new("/data"));
        assert_eq!(pv.metadata.name.as_deref(), Some("pvc-claim-uid"));
        assert_eq!(
            annotation(&pv.metadata, PROVISIONED_BY_ANNOTATION),
            Some(LOCAL_PATH_PROVISIONER)
        );
        let spec = pv.spec.as_ref().unwrap();
        assert_eq!(
            spec.host_path.as_ref().unwrap().path,
            "/data/volumes/pvc-claim-uid"
        );
        assert_eq!(spec.capacity.as_ref().unwrap()["storage"].0, "1Gi");
        assert_eq!(
            spec.access_modes.as_deref(),
            Some(&["ReadWriteOnce".to_string()][..])
        );
        assert_eq!(
            spec.persistent_volume_reclaim_policy.as_deref(),
            Some("Retain")
        );
        assert_eq!(spec.storage_class_name.as_deref(), Some("local-path"));
        assert!(is_bound_to(&pv, &c));
        let on = |node: &str| BTreeMap::from([(HOSTNAME_LABEL.to_string(), node.to_string())]);
        assert!(node_affinity_allows(&pv, &on("node-a")));
        assert!(!node_affinity_allows(&pv, &on("node-b")));
        let anywhere = provisioned_volume(
            &c,
            &local_path_storage_class(),
            None,
            std::path::Path::new("/d"),
        );
        assert!(node_affinity_allows(&anywhere, &on("node-b")));
        assert_eq!(
            anywhere
                .spec
                .unwrap()
                .persistent_volume_reclaim_policy
                .as_deref(),
            Some("Delete")
        );
        // The provisioned volume satisfies its claim once the binder looks.
        let mut available = pv.clone();
        available.status = Some(k8s_openapi::api::core::v1::PersistentVolumeStatus {
            phase: Some("Available".into()),
            ..Default::default()
        });
        assert_eq!(
            names(find_matching_volume(&c, [&available], Some(&on("node-a")))),
            Some("pvc-claim-uid")
        );
    }

    #[test]
    fn volume_steps_table() {
        let reference = json!({"spec": {"claimRef": {"namespace": "ns", "name": "www-web-0", "uid": "claim-uid"}}});
        let with_ref = |extra: Value| {
            let mut value = reference.clone();
            merge(&mut value, extra);
            volume("pv-1", value)
        };
        let ours = json!({PROVISIONED_BY_ANNOTATION: LOCAL_PATH_PROVISIONER});
        let bound_claim = claim(json!({"spec": {"volumeName": "pv-1"}}));
        let unbound_claim = claim(json!({}));
        let elsewhere = claim(json!({"spec": {"volumeName": "pv-2"}}));
        let replaced = claim(json!({"metadata": {"uid": "new"}}));
        let cases: Vec<(&str, PersistentVolume, Option<&PersistentVolumeClaim>, VolumeStep)> = vec![
            ("new volume becomes Available", volume("pv-1", json!({"status": {"phase": "Pending"}})), None, VolumeStep::SetPhase("Available")),
            ("available stays", volume("pv-1", json!({})), None, VolumeStep::Nothing),
            (
                "pre-bound to a claim not yet created",
                volume("pv-1", json!({"spec": {"claimRef": {"namespace": "ns", "name": "x"}}})),
                None,
                VolumeStep::Nothing,
            ),
            ("claim bound to it", with_ref(json!({})), Some(&bound_claim), VolumeStep::SetPhase("Bound")),
            ("claim not yet bound", with_ref(json!({"status": {"phase": "Bound"}})), Some(&unbound_claim), VolumeStep::Nothing),
            (
                "controller-bound, claim went elsewhere",
                with_ref(json!({"metadata": {"annotations": {BOUND_BY_CONTROLLER_ANNOTATION: "yes"}}})),
                Some(&elsewhere),
                VolumeStep::Unbind,
            ),
            ("claim deleted: Released", with_ref(json!({"status": {"phase": "Bound"}})), None, VolumeStep::SetPhase("Released")),
            ("claim replaced by a namesake: Released", with_ref(json!({"status": {"phase": "Bound"}})), Some(&replaced), VolumeStep::SetPhase("Released")),
            (
                "released, Delete, ours: delete",
                with_ref(json!({"metadata": {"annotations": ours.clone()}, "spec": {"persistentVolumeReclaimPolicy": "Delete"}, "status": {"phase": "Released"}})),
                None,
                VolumeStep::Delete,
            ),
            (
                "released, Retain: stays",
                with_ref(json!({"metadata": {"annotations": ours}, "spec": {"persistentVolumeReclaimPolicy": "Retain"}, "status": {"phase": "Released"}})),
                None,
                VolumeStep::Nothing,
            ),
            (
                "released, Delete, not ours: Failed",
                with_ref(json!({"spec": {"persistentVolumeReclaimPolicy": "Delete"}, "status": {"phase": "Released"}})),
                None,
                VolumeStep::Fail("error getting deleter volume plugin for volume \"pv-1\": no deletable volume plugin matched".into()),
            ),
            ("failed stays failed", with_ref(json!({"status": {"phase": "Failed"}})), None, VolumeStep::Nothing),
        ];
        for (name, volume, claim, want) in cases {
            assert_eq!(plan_volume(&volume, claim), want, "{name}");
        }
    }

    #[test]
    fn protection_finalizers_table() {
        let pod = |extra: Value| -> Pod {
            let mut value = json!({"metadata": {"name": "web-0", "namespace": "ns"},
                "spec": {"nodeName": "node-a", "containers": [],
                    "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]},
                "status": {"phase": "Running"}});
            merge(&mut value, extra);
            serde_json::from_value(value).unwrap()
        };
        let deleting = json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": [PVC_PROTECTION_FINALIZER]}});
        let running = pod(json!({}));
        let finished = pod(json!({"status": {"phase": "Succeeded"}}));
        let unscheduled = pod(json!({"spec": {"nodeName": null}}));
        let elsewhere = pod(json!({"metadata": {"namespace": "other"}}));
        let ephemeral = pod(
            json!({"metadata": {"name": "www"}, "spec": {"volumes": [{"name": "web-0", "ephemeral": {}}]}}),
        );
        let cases: Vec<(&str, PersistentVolumeClaim, Vec<&Pod>, FinalizerChange)> = vec![
            (
                "new claim gets the finalizer",
                claim(json!({})),
                vec![],
                FinalizerChange::Add,
            ),
            (
                "live claim keeps it",
                claim(json!({"metadata": {"finalizers": [PVC_PROTECTION_FINALIZER]}})),
                vec![],
                FinalizerChange::Keep,
            ),
            (
                "deleted claim used by a running pod stays",
                claim(deleting.clone()),
                vec![&running],
                FinalizerChange::Keep,
            ),
            (
                "deleted claim used by an ephemeral volume stays",
                claim(deleting.clone()),
                vec![&ephemeral],
                FinalizerChange::Keep,
            ),
            (
                "finished, unscheduled and foreign pods do not hold it",
                claim(deleting.clone()),
                vec![&finished, &unscheduled, &elsewhere],
                FinalizerChange::Remove,
            ),
            (
                "deleted claim without the finalizer",
                claim(
                    json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["other"]}}),
                ),
                vec![],
                FinalizerChange::Keep,
            ),
        ];
        for (name, claim, pods, want) in cases {
            assert_eq!(pvc_protection(&claim, &pods), want, "{name}");
        }
        assert_eq!(claim_names(&running), ["www-web-0"]);
        assert_eq!(claim_names(&ephemeral), ["www-web-0"]);

        let pv_deleting = json!({"metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": [PV_PROTECTION_FINALIZER]}});
        let bound = {
            let mut value = pv_deleting.clone();
            merge(&mut value, json!({"status": {"phase": "Bound"}}));
            value
        };
        let cases = [
            (volume("a", json!({})), FinalizerChange::Add),
            (
                volume(
                    "a",
                    json!({"metadata": {"finalizers": [PV_PROTECTION_FINALIZER]}}),
                ),
                FinalizerChange::Keep,
            ),
            (volume("a", bound), FinalizerChange::Keep),
            (volume("a", pv_deleting), FinalizerChange::Remove),
        ];
        for (index, (volume, want)) in cases.into_iter().enumerate() {
            assert_eq!(pv_protection(&volume), want, "case {index}");
        }
    }
}
