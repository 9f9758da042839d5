//! PersistentVolumeClaims, PersistentVolumes and StorageClasses.

use k8s_openapi::api::core::v1::{
    PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec,
};
use k8s_openapi::api::storage::v1::StorageClass;

use super::meta::{
    invalid_each, to_value, too_long, validate_immutable, validate_label_selector,
    validate_object_meta, validate_object_meta_update,
};
use super::names::{is_qualified_name, name_is_dns_subdomain};
use super::quantity::{QUANTITY_FORMAT_ERROR, parse_quantity};
use crate::FieldError;
use crate::field_error::Path;

const ACCESS_MODES: [&str; 4] = [
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
const VOLUME_MODES: [&str; 2] = ["Block", "Filesystem"];

fn s(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or_default()
}

/// The message upstream gives when a bound claim's spec changes beyond what may change.
pub const PVC_SPEC_IMMUTABLE: &str = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

fn validate_positive_quantity(q: &str, path: &Path) -> Vec<FieldError> {
    match parse_quantity(q) {
        None => vec![FieldError::invalid(path, q, QUANTITY_FORMAT_ERROR)],
        Some(v) if v.nanos() <= 0 => vec![FieldError::invalid(
            path,
            v.canonical(),
            "must be greater than zero",
        )],
        Some(_) => Vec::new(),
    }
}

fn validate_access_modes(modes: &[String], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut rwop = false;
    let mut other = false;
    for mode in modes {
        if !ACCESS_MODES.contains(&mode.as_str()) {
            errs.push(FieldError::not_supported(
                path,
                mode.as_str(),
                &ACCESS_MODES,
            ));
        } else if mode == "ReadWriteOncePod" {
            rwop = true;
        } else {
            other = true;
        }
    }
    if rwop && other {
        errs.push(FieldError::forbidden(
            path,
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
    errs
}

/// `ValidatePersistentVolumeClaimSpec` (also used for claim templates of StatefulSets and
/// ephemeral volumes).
pub fn validate_persistent_volume_claim_spec(
    spec: &PersistentVolumeClaimSpec,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let modes = spec.access_modes.as_deref().unwrap_or_default();
    if modes.is_empty() {
        errs.push(FieldError::required(
            path.child("accessModes"),
            "at least 1 access mode is required",
        ));
    }
    if let Some(selector) = &spec.selector {
        errs.extend(validate_label_selector(selector, &path.child("selector")));
    }
    errs.extend(validate_access_modes(modes, &path.child("accessModes")));
    let storage_path = path.child("resources").key("storage");
    match spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
    {
        None => errs.push(FieldError::required(&storage_path, "")),
        Some(q) => errs.extend(validate_positive_quantity(&q.0, &storage_path)),
    }
    if let Some(class) = spec.storage_class_name.as_deref().filter(|c| !c.is_empty()) {
        errs.extend(invalid_each(
            &path.child("storageClassName"),
            class,
            name_is_dns_subdomain(class, false),
        ));
    }
    if let Some(mode) = spec.volume_mode.as_deref()
        && !VOLUME_MODES.contains(&mode)
    {
        errs.push(FieldError::not_supported(
            path.child("volumeMode"),
            mode,
            &VOLUME_MODES,
        ));
    }
    if let Some(ds) = &spec.data_source {
        if ds.name.is_empty() {
            errs.push(FieldError::required(
                path.child("dataSource").child("name"),
                "",
            ));
        }
        if ds.kind.is_empty() {
            errs.push(FieldError::required(
                path.child("dataSource").child("kind"),
                "",
            ));
        }
    }
    errs
}

pub fn validate_persistent_volume_claim(pvc: &PersistentVolumeClaim) -> Vec<FieldError> {
    let mut errs =
        validate_object_meta(&pvc.metadata, name_is_dns_subdomain, &Path::new("metadata"));
    errs.extend(validate_persistent_volume_claim_spec(
        &pvc.spec.clone().unwrap_or_default(),
        &Path::new("spec"),
    ));
    errs
}

fn storage_request(spec: &PersistentVolumeClaimSpec) -> Option<super::quantity::ParsedQuantity> {
    let q = spec.resources.as_ref()?.requests.as_ref()?.get("storage")?;
    parse_quantity(&q.0)
}

/// `ValidatePersistentVolumeClaimUpdate`: the spec is fixed except a one-time volumeName, and
/// for bound claims the storage request (which may not shrink below status.capacity).
pub fn validate_persistent_volume_claim_update(
    new: &PersistentVolumeClaim,
    old: &PersistentVolumeClaim,
) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_persistent_volume_claim(new));
    let new_spec = new.spec.clone().unwrap_or_default();
    let old_spec = old.spec.clone().unwrap_or_default();
    let mut new_clone = new_spec.clone();
    let mut old_clone = old_spec.clone();
    if s(&old_spec.volume_name).is_empty() {
        old_clone.volume_name = new_clone.volume_name.clone();
    }
    // Retroactive default StorageClass assignment: an unset class may be set once.
    if old_spec.storage_class_name.is_none() {
        old_clone.storage_class_name = new_clone.storage_class_name.clone();
    }
    let bound = new.status.as_ref().and_then(|st| st.phase.as_deref()) == Some("Bound");
    if bound {
        if let (Some(nr), Some(or)) = (
            new_clone
                .resources
                .as_mut()
                .and_then(|r| r.requests.as_mut()),
            old_spec
                .resources
                .as_ref()
                .and_then(|r| r.requests.as_ref()),
        ) {
            match or.get("storage") {
                Some(q) => nr.insert("storage".into(), q.clone()),
                None => nr.remove("storage"),
            };
        }
        new_clone.volume_attributes_class_name = old_clone.volume_attributes_class_name.clone();
    }
    if new_clone != old_clone {
        errs.push(FieldError::forbidden("spec", PVC_SPEC_IMMUTABLE));
    }
    if let (Some(new_size), Some(old_size)) =
        (storage_request(&new_spec), storage_request(&old_spec))
        && new_size < old_size
    {
        let capacity = old
            .status
            .as_ref()
            .and_then(|st| st.capacity.as_ref())
            .and_then(|c| c.get("storage"))
            .and_then(|q| parse_quantity(&q.0));
        if capacity.is_none_or(|cap| new_size <= cap) {
            errs.push(FieldError::forbidden(
                "spec.resources.requests.storage",
                "field can not be less than status.capacity",
            ));
        }
    }
    errs.extend(validate_immutable(
        &new_spec.volume_mode,
        &old_spec.volume_mode,
        &Path::new("volumeMode"),
    ));
    errs
}

/// The persistent volume source fields that are set, in upstream's order.
fn pv_sources(pv: &k8s_openapi::api::core::v1::PersistentVolumeSpec) -> Vec<&'static str> {
    [
        ("hostPath", pv.host_path.is_some()),
        ("gcePersistentDisk", pv.gce_persistent_disk.is_some()),
        ("awsElasticBlockStore", pv.aws_elastic_block_store.is_some()),
        ("glusterfs", pv.glusterfs.is_some()),
        ("flocker", pv.flocker.is_some()),
        ("nfs", pv.nfs.is_some()),
        ("rbd", pv.rbd.is_some()),
        ("quobyte", pv.quobyte.is_some()),
        ("cinder", pv.cinder.is_some()),
        ("cephfs", pv.cephfs.is_some()),
        ("iscsi", pv.iscsi.is_some()),
        ("fc", pv.fc.is_some()),
        ("flexVolume", pv.flex_volume.is_some()),
        ("azureFile", pv.azure_file.is_some()),
        ("vsphereVolume", pv.vsphere_volume.is_some()),
        ("photonPersistentDisk", pv.photon_persistent_disk.is_some()),
        ("portworxVolume", pv.portworx_volume.is_some()),
        ("azureDisk", pv.azure_disk.is_some()),
        ("scaleIO", pv.scale_io.is_some()),
        ("local", pv.local.is_some()),
        ("storageos", pv.storageos.is_some()),
        ("csi", pv.csi.is_some()),
    ]
    .into_iter()
    .filter_map(|(n, on)| on.then_some(n))
    .collect()
}

pub fn validate_persistent_volume(pv: &PersistentVolume) -> Vec<FieldError> {
    let mut errs =
        validate_object_meta(&pv.metadata, name_is_dns_subdomain, &Path::new("metadata"));
    let spec = pv.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    let modes = spec.access_modes.as_deref().unwrap_or_default();
    if modes.is_empty() {
        errs.push(FieldError::required(sp.child("accessModes"), ""));
    }
    errs.extend(validate_access_modes(modes, &sp.child("accessModes")));
    let capacity = spec.capacity.clone().unwrap_or_default();
    if capacity.is_empty() {
        errs.push(FieldError::required(sp.child("capacity"), ""));
    }
    if !capacity.contains_key("storage") || capacity.len() > 1 {
        errs.push(FieldError::not_supported(
            sp.child("capacity"),
            to_value(&capacity),
            &["storage"],
        ));
    }
    for (name, q) in &capacity {
        errs.extend(validate_positive_quantity(
            &q.0,
            &sp.child("capacity").key(name),
        ));
    }
    let reclaim = s(&spec.persistent_volume_reclaim_policy);
    if !reclaim.is_empty() && !matches!(reclaim, "Delete" | "Recycle" | "Retain") {
        errs.push(FieldError::not_supported(
            sp.child("persistentVolumeReclaimPolicy"),
            reclaim,
            &["Delete", "Recycle", "Retain"],
        ));
    }
    if let Some(class) = spec.storage_class_name.as_deref().filter(|c| !c.is_empty()) {
        errs.extend(invalid_each(
            &sp.child("storageClassName"),
            class,
            name_is_dns_subdomain(class, false),
        ));
    }
    if let Some(mode) = spec.volume_mode.as_deref()
        && !VOLUME_MODES.contains(&mode)
    {
        errs.push(FieldError::not_supported(
            sp.child("volumeMode"),
            mode,
            &VOLUME_MODES,
        ));
    }
    let sources = pv_sources(&spec);
    match sources.first() {
        None => errs.push(FieldError::required(&sp, "must specify a volume type")),
        Some(first) => {
            for extra in &sources[1..] {
                errs.push(FieldError::forbidden(
                    sp.child(extra),
                    "may not specify more than 1 volume type",
                ));
            }
            match *first {
                "hostPath" => {
                    let hp = spec.host_path.as_ref().expect("checked");
                    if hp.path.is_empty() {
                        errs.push(FieldError::required(sp.child("hostPath").child("path"), ""));
                    } else if reclaim == "Recycle" && hp.path == "/" {
                        errs.push(FieldError::forbidden(
                            sp.child("persistentVolumeReclaimPolicy"),
                            "may not be 'recycle' for a hostPath mount of '/'",
                        ));
                    }
                }
                "local" => {
                    let local = spec.local.as_ref().expect("checked");
                    if local.path.is_empty() {
                        errs.push(FieldError::required(sp.child("local").child("path"), ""));
                    }
                    if spec.node_affinity.is_none() {
                        errs.push(FieldError::required(
                            sp.child("nodeAffinity"),
                            "Local volume requires node affinity",
                        ));
                    }
                }
                "nfs" => {
                    let nfs = spec.nfs.as_ref().expect("checked");
                    if nfs.server.is_empty() {
                        errs.push(FieldError::required(sp.child("nfs").child("server"), ""));
                    }
                    if nfs.path.is_empty() {
                        errs.push(FieldError::required(sp.child("nfs").child("path"), ""));
                    }
                }
                "csi" => {
                    let csi = spec.csi.as_ref().expect("checked");
                    if csi.driver.is_empty() {
                        errs.push(FieldError::required(sp.child("csi").child("driver"), ""));
                    }
                    if csi.volume_handle.is_empty() {
                        errs.push(FieldError::required(
                            sp.child("csi").child("volumeHandle"),
                            "",
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    errs
}

pub fn validate_persistent_volume_update(
    new: &PersistentVolume,
    old: &PersistentVolume,
) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_persistent_volume(new));
    let new_spec = new.spec.clone().unwrap_or_default();
    let old_spec = old.spec.clone().unwrap_or_default();
    // the volume source is everything but the fields a PV may change
    let source_of = |spec: &k8s_openapi::api::core::v1::PersistentVolumeSpec| {
        let mut source = spec.clone();
        source.access_modes = None;
        source.capacity = None;
        source.claim_ref = None;
        source.mount_options = None;
        source.node_affinity = None;
        source.persistent_volume_reclaim_policy = None;
        source.storage_class_name = None;
        source.volume_attributes_class_name = None;
        source.volume_mode = None;
        source
    };
    if source_of(&new_spec) != source_of(&old_spec) {
        errs.push(FieldError::forbidden(
            "spec.persistentvolumesource",
            "spec.persistentvolumesource is immutable after creation",
        ));
    }
    errs.extend(validate_immutable(
        &new_spec.volume_mode,
        &old_spec.volume_mode,
        &Path::new("volumeMode"),
    ));
    if old_spec.node_affinity.is_some() {
        errs.extend(validate_immutable(
            &new_spec.node_affinity,
            &old_spec.node_affinity,
            &Path::new("nodeAffinity"),
        ));
    }
    errs
}

const MAX_PROVISIONER_PARAMETER_SIZE: usize = 256 * 1024;
const MAX_PROVISIONER_PARAMETER_LEN: usize = 512;

pub fn validate_storage_class(sc: &StorageClass) -> Vec<FieldError> {
    let mut errs =
        validate_object_meta(&sc.metadata, name_is_dns_subdomain, &Path::new("metadata"));
    if sc.provisioner.is_empty() {
        errs.push(FieldError::required("provisioner", ""));
    } else {
        let lower = sc.provisioner.to_lowercase();
        errs.extend(invalid_each(
            &Path::new("provisioner"),
            &lower,
            is_qualified_name(&lower),
        ));
    }
    let params = sc.parameters.clone().unwrap_or_default();
    if params.len() > MAX_PROVISIONER_PARAMETER_LEN {
        errs.push(FieldError {
            value: Some("Provisioner Parameters exceeded max allowed".into()),
            ..too_long(&Path::new("parameters"), MAX_PROVISIONER_PARAMETER_LEN)
        });
    } else {
        let mut total = 0;
        for (k, v) in &params {
            if k.is_empty() {
                errs.push(FieldError::invalid(
                    "parameters",
                    k.as_str(),
                    "field can not be empty.",
                ));
            }
            total += k.len() + v.len();
        }
        if total > MAX_PROVISIONER_PARAMETER_SIZE {
            errs.push(too_long(
                &Path::new("parameters"),
                MAX_PROVISIONER_PARAMETER_SIZE,
            ));
        }
    }
    let reclaim = s(&sc.reclaim_policy);
    if !reclaim.is_empty() && !matches!(reclaim, "Delete" | "Retain") {
        errs.push(FieldError::not_supported(
            "reclaimPolicy",
            reclaim,
            &["Delete", "Retain"],
        ));
    }
    match sc.volume_binding_mode.as_deref() {
        None => errs.push(FieldError::required("volumeBindingMode", "")),
        Some("Immediate" | "WaitForFirstConsumer") => {}
        Some(other) => errs.push(FieldError::not_supported(
            "volumeBindingMode",
            other,
            &["Immediate", "WaitForFirstConsumer"],
        )),
    }
    errs
}

pub fn validate_storage_class_update(new: &StorageClass, old: &StorageClass) -> Vec<FieldError> {
    let mut errs = validate_storage_class(new);
    let params = |sc: &StorageClass| sc.parameters.clone().unwrap_or_default();
    if params(new) != params(old) {
        errs.push(FieldError::forbidden(
            "parameters",
            "updates to parameters are forbidden.",
        ));
    }
    if new.provisioner != old.provisioner {
        errs.push(FieldError::forbidden(
            "provisioner",
            "updates to provisioner are forbidden.",
        ));
    }
    if new.reclaim_policy != old.reclaim_policy {
        errs.push(FieldError::forbidden(
            "reclaimPolicy",
            "updates to reclaimPolicy are forbidden.",
        ));
    }
    errs.extend(validate_immutable(
        &new.volume_binding_mode,
        &old.volume_binding_mode,
        &Path::new("volumeBindingMode"),
    ));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::Defaulting;
    use serde_json::{Value, json};

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    fn pvc(edit: impl FnOnce(&mut Value)) -> PersistentVolumeClaim {
        let mut v = json!({"metadata": {"name": "data-web-0"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
        edit(&mut v);
        let mut pvc: PersistentVolumeClaim = serde_json::from_value(v).unwrap();
        pvc.apply_defaults();
        pvc
    }

    #[test]
    fn claim_rules() {
        assert!(validate_persistent_volume_claim(&pvc(|_| {})).is_empty());
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                json!({"resources": {"requests": {"storage": "1Gi"}}}),
                vec!["spec.accessModes: Required value: at least 1 access mode is required"],
            ),
            (
                json!({"accessModes": ["ReadWriteSometimes"], "resources": {"requests": {"storage": "1Gi"}}}),
                vec![
                    "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
                ],
            ),
            (
                json!({"accessModes": ["ReadWriteOncePod", "ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}),
                vec![
                    "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
                ],
            ),
            (
                json!({"accessModes": ["ReadWriteOnce"]}),
                vec!["spec.resources[storage]: Required value"],
            ),
            (
                json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0"}}}),
                vec!["spec.resources[storage]: Invalid value: \"0\": must be greater than zero"],
            ),
            (
                json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Raw"}),
                vec![
                    "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"",
                ],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(
                messages(&validate_persistent_volume_claim(
                    &pvc(|v| v["spec"] = spec)
                )),
                want
            );
        }
    }

    #[test]
    fn claim_updates() {
        let old = pvc(|v| v["status"] = json!({"phase": "Bound", "capacity": {"storage": "1Gi"}}));
        let bound = |edit: fn(&mut Value)| {
            pvc(|v| {
                v["status"] = json!({"phase": "Bound"});
                edit(v)
            })
        };
        assert!(
            validate_persistent_volume_claim_update(
                &bound(|v| v["spec"]["volumeName"] = json!("pv-1")),
                &old
            )
            .is_empty()
        );
        assert!(
            validate_persistent_volume_claim_update(
                &bound(|v| v["spec"]["resources"]["requests"]["storage"] = json!("2Gi")),
                &old
            )
            .is_empty()
        );
        assert_eq!(
            messages(&validate_persistent_volume_claim_update(
                &bound(|v| v["spec"]["accessModes"] = json!(["ReadWriteMany"])),
                &old
            )),
            vec![format!("spec: Forbidden: {PVC_SPEC_IMMUTABLE}")]
        );
        assert_eq!(
            messages(&validate_persistent_volume_claim_update(
                &bound(|v| v["spec"]["resources"]["requests"]["storage"] = json!("512Mi")),
                &old
            )),
            vec![
                "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
            ]
        );
        // an unbound claim's size is part of the fixed spec
        let old = pvc(|_| {});
        let new = pvc(|v| v["spec"]["resources"]["requests"]["storage"] = json!("2Gi"));
        assert_eq!(
            messages(&validate_persistent_volume_claim_update(&new, &old)),
            vec![format!("spec: Forbidden: {PVC_SPEC_IMMUTABLE}")]
        );
        // an unset class may be set once (retroactive default), but not changed after
        let unset = pvc(|v| {
            v["spec"]
                .as_object_mut()
                .unwrap()
                .remove("storageClassName");
        });
        let set = pvc(|v| v["spec"]["storageClassName"] = json!("local-path"));
        assert!(validate_persistent_volume_claim_update(&set, &unset).is_empty());
        let changed = pvc(|v| v["spec"]["storageClassName"] = json!("other"));
        assert_eq!(
            messages(&validate_persistent_volume_claim_update(&changed, &set)),
            vec![format!("spec: Forbidden: {PVC_SPEC_IMMUTABLE}")]
        );
    }

    #[test]
    fn volumes() {
        let pv = |spec: Value| -> PersistentVolume {
            let mut pv: PersistentVolume =
                serde_json::from_value(json!({"metadata": {"name": "pv-1"}, "spec": spec}))
                    .unwrap();
            pv.apply_defaults();
            pv
        };
        let ok = pv(
            json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/srv/pv-1"}}),
        );
        assert!(validate_persistent_volume(&ok).is_empty());
        assert_eq!(
            messages(&validate_persistent_volume(&pv(
                json!({"capacity": {"storage": "1Gi"}})
            ))),
            vec![
                "spec.accessModes: Required value",
                "spec: Required value: must specify a volume type"
            ]
        );
        let mut moved = ok.clone();
        moved
            .spec
            .as_mut()
            .unwrap()
            .host_path
            .as_mut()
            .unwrap()
            .path = "/srv/other".into();
        assert_eq!(
            messages(&validate_persistent_volume_update(&moved, &ok)),
            vec![
                "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation"
            ]
        );
        let mut claimed = ok.clone();
        claimed.spec.as_mut().unwrap().claim_ref = Some(Default::default());
        assert!(validate_persistent_volume_update(&claimed, &ok).is_empty());
    }

    #[test]
    fn storage_classes() {
        let sc = |v: Value| -> StorageClass {
            let mut sc: StorageClass = serde_json::from_value(v).unwrap();
            sc.apply_defaults();
            sc
        };
        let ok =
            sc(json!({"metadata": {"name": "local-path"}, "provisioner": "berth.dev/local-path"}));
        assert!(validate_storage_class(&ok).is_empty());
        assert_eq!(
            messages(&validate_storage_class(&sc(
                json!({"metadata": {"name": "x"}, "provisioner": "",
                "reclaimPolicy": "Recycle", "volumeBindingMode": "Later"})
            ))),
            vec![
                "provisioner: Required value",
                "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"",
                "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"",
            ]
        );
        let changed = sc(
            json!({"metadata": {"name": "local-path"}, "provisioner": "other.dev/p",
            "parameters": {"a": "b"}, "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer"}),
        );
        assert_eq!(
            messages(&validate_storage_class_update(&changed, &ok)),
            vec![
                "parameters: Forbidden: updates to parameters are forbidden.",
                "provisioner: Forbidden: updates to provisioner are forbidden.",
                "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
                "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable",
            ]
        );
    }
}
