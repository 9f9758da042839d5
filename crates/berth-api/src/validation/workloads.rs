//! StatefulSets and ControllerRevisions (`pkg/apis/apps/validation`, v1.37 semantics).

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{PersistentVolumeClaimVolumeSource, PodTemplateSpec, Volume};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{
    invalid_each, label_selector_is_empty, label_selector_matches, to_value, validate_annotations,
    validate_immutable, validate_label_selector, validate_labels, validate_nonnegative,
    validate_object_meta, validate_object_meta_update,
};
use super::names::{is_dns1123_label, is_valid_percent, name_is_dns_label, name_is_dns_subdomain};
use super::pod::validate_pod_template_spec;
use super::storage::validate_persistent_volume_claim_spec;
use crate::FieldError;
use crate::field_error::Path;

/// The Forbidden text for changes to fields of a StatefulSet spec that may not change. Since
/// v1.35 `revisionHistoryLimit` is mutable and named in the message.
pub const STATEFULSET_SPEC_FORBIDDEN: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/// Which rules tightened in later releases are relaxed because the stored object already
/// broke them (upstream's `StatefulSetValidationOptions`, ratcheting on update).
#[derive(Debug, Clone, Copy, Default)]
struct RatchetOptions {
    allow_invalid_service_name: bool,
    skip_pod_template_spec: bool,
    skip_volume_claim_templates: bool,
    allow_negative_revision_history_limit: bool,
}

fn s(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or_default()
}

/// The pod template with one volume per claim template (replacing a template volume of the
/// same name), as the controller builds pods, so mounts of claim names validate.
fn template_with_claim_volumes(spec: &StatefulSetSpec) -> PodTemplateSpec {
    let mut template = spec.template.clone();
    let claims = spec.volume_claim_templates.as_deref().unwrap_or_default();
    if claims.is_empty() {
        return template;
    }
    let pod_spec = template.spec.get_or_insert_with(Default::default);
    let volumes = pod_spec.volumes.get_or_insert_with(Vec::new);
    for claim in claims {
        let name = claim.metadata.name.clone().unwrap_or_default();
        let volume = Volume {
            name: name.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: name.clone(),
                read_only: Some(false),
            }),
            ..Default::default()
        };
        match volumes.iter_mut().find(|v| v.name == name) {
            Some(existing) => *existing = volume,
            None => volumes.push(volume),
        }
    }
    template
}

fn validate_volume_claim_templates(spec: &StatefulSetSpec, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, claim) in spec.volume_claim_templates.iter().flatten().enumerate() {
        errs.extend(validate_persistent_volume_claim_spec(
            &claim.spec.clone().unwrap_or_default(),
            &path.index(i).child("spec"),
        ));
    }
    errs
}

fn validate_rolling_update(
    ru: &k8s_openapi::api::apps::v1::RollingUpdateStatefulSetStrategy,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = validate_nonnegative(ru.partition.unwrap_or(0).into(), &path.child("partition"));
    let Some(max) = &ru.max_unavailable else {
        return errs;
    };
    let mp = path.child("maxUnavailable");
    let value = match max {
        IntOrString::Int(n) => {
            errs.extend(validate_nonnegative((*n).into(), &mp));
            i64::from(*n)
        }
        IntOrString::String(pct) => {
            errs.extend(invalid_each(&mp, pct, is_valid_percent(pct)));
            pct.trim_end_matches('%').parse::<i64>().unwrap_or(0)
        }
    };
    if value == 0 {
        errs.push(FieldError::invalid(&mp, to_value(max), "cannot be 0"));
    }
    if let IntOrString::String(pct) = max
        && is_valid_percent(pct).is_empty()
        && value > 100
    {
        errs.push(FieldError::invalid(
            &mp,
            to_value(max),
            "must not be greater than 100%",
        ));
    }
    errs
}

/// `ValidateStatefulSetSpec`, in upstream's order.
fn validate_statefulset_spec(
    spec: &StatefulSetSpec,
    path: &Path,
    opts: RatchetOptions,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match s(&spec.pod_management_policy) {
        "" => errs.push(FieldError::required(path.child("podManagementPolicy"), "")),
        "OrderedReady" | "Parallel" => {}
        other => errs.push(FieldError::invalid(
            path.child("podManagementPolicy"),
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    match s(&strategy.type_) {
        "" => errs.push(FieldError::required(path.child("updateStrategy"), "")),
        "OnDelete" => {
            if let Some(ru) = &strategy.rolling_update {
                errs.push(FieldError::invalid(
                    path.child("updateStrategy").child("rollingUpdate"),
                    to_value(ru),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = &strategy.rolling_update {
                errs.extend(validate_rolling_update(
                    ru,
                    &path.child("updateStrategy").child("rollingUpdate"),
                ));
            }
        }
        _ => errs.push(FieldError::invalid(
            path.child("updateStrategy"),
            to_value(&strategy),
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    if let Some(policy) = &spec.persistent_volume_claim_retention_policy {
        for (field, value) in [
            ("whenDeleted", &policy.when_deleted),
            ("whenScaled", &policy.when_scaled),
        ] {
            let v = s(value);
            if !matches!(v, "Retain" | "Delete") {
                errs.push(FieldError::not_supported(
                    path.child("persistentVolumeClaimRetentionPolicy")
                        .child(field),
                    v,
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    if !opts.skip_volume_claim_templates {
        errs.extend(validate_volume_claim_templates(
            spec,
            &path.child("volumeClaimTemplates"),
        ));
    }
    errs.extend(validate_nonnegative(
        spec.replicas.unwrap_or(0).into(),
        &path.child("replicas"),
    ));
    errs.extend(validate_nonnegative(
        spec.min_ready_seconds.unwrap_or(0).into(),
        &path.child("minReadySeconds"),
    ));
    if let Some(limit) = spec.revision_history_limit
        && !opts.allow_negative_revision_history_limit
    {
        errs.extend(validate_nonnegative(
            limit.into(),
            &path.child("revisionHistoryLimit"),
        ));
    }
    if let Some(ordinals) = &spec.ordinals {
        errs.extend(validate_nonnegative(
            ordinals.start.unwrap_or(0).into(),
            &path.child("ordinals.start"),
        ));
    }
    let service_name = s(&spec.service_name);
    if !service_name.is_empty() && !opts.allow_invalid_service_name {
        errs.extend(invalid_each(
            &path.child("serviceName"),
            service_name,
            is_dns1123_label(service_name),
        ));
    }
    // k8s-openapi cannot tell a missing selector from `{}`: both are treated as missing
    let selector = &spec.selector;
    let missing = selector.match_labels.is_none() && selector.match_expressions.is_none();
    let selector_errs = if missing {
        Vec::new()
    } else {
        validate_label_selector(selector, &path.child("selector"))
    };
    let selector_valid = selector_errs.is_empty();
    if missing {
        errs.push(FieldError::required(path.child("selector"), ""));
    } else {
        errs.extend(selector_errs);
        if label_selector_is_empty(selector) {
            errs.push(FieldError::invalid(
                path.child("selector"),
                to_value(selector),
                "empty selector is invalid for statefulset",
            ));
        }
    }
    if !selector_valid {
        errs.push(FieldError::invalid(
            path.child("selector"),
            to_value(selector),
            "",
        ));
    } else {
        let tp = path.child("template");
        let labels = spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.as_ref());
        // a missing selector selects nothing; an empty one everything
        if missing
            || (!label_selector_is_empty(selector) && !label_selector_matches(selector, labels))
        {
            errs.push(FieldError::invalid(
                tp.child("metadata").child("labels"),
                to_value(&labels.cloned().unwrap_or_default()),
                "`selector` does not match template `labels`",
            ));
        }
        if opts.skip_pod_template_spec {
            let meta = spec.template.metadata.clone().unwrap_or_default();
            errs.extend(validate_labels(meta.labels.as_ref(), &tp.child("labels")));
            errs.extend(validate_annotations(
                meta.annotations.as_ref(),
                &tp.child("annotations"),
            ));
        } else {
            errs.extend(validate_pod_template_spec(
                &template_with_claim_volumes(spec),
                &tp,
            ));
        }
    }
    let pod_spec = spec.template.spec.clone().unwrap_or_default();
    let restart = s(&pod_spec.restart_policy);
    if restart != "Always" {
        errs.push(FieldError::not_supported(
            path.child("template").child("spec").child("restartPolicy"),
            restart,
            &["Always"],
        ));
    }
    if pod_spec.active_deadline_seconds.is_some() {
        errs.push(FieldError::forbidden(
            path.child("template")
                .child("spec")
                .child("activeDeadlineSeconds"),
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ));
    }
    errs
}

/// `ValidateStatefulSet`: the name is a DNS-1123 label.
pub fn validate_statefulset(sts: &StatefulSet) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&sts.metadata, name_is_dns_label, &Path::new("metadata"));
    let spec = &sts.spec;
    errs.extend(validate_statefulset_spec(
        spec,
        &Path::new("spec"),
        RatchetOptions::default(),
    ));
    errs
}

/// `ValidateStatefulSetUpdate`: the spec is re-validated (tightened rules ratchet on what is
/// stored), and only the mutable fields may change.
pub fn validate_statefulset_update(new: &StatefulSet, old: &StatefulSet) -> Vec<FieldError> {
    let new_spec = &new.spec;
    let old_spec = &old.spec;
    let sp = Path::new("spec");
    let old_service = s(&old_spec.service_name);
    let opts = RatchetOptions {
        allow_invalid_service_name: !old_service.is_empty()
            && !is_dns1123_label(old_service).is_empty(),
        skip_pod_template_spec: !validate_pod_template_spec(
            &template_with_claim_volumes(old_spec),
            &sp.child("template"),
        )
        .is_empty(),
        skip_volume_claim_templates: !validate_volume_claim_templates(old_spec, &sp).is_empty(),
        allow_negative_revision_history_limit: old_spec
            .revision_history_limit
            .is_some_and(|l| l < 0),
    };
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_statefulset_spec(new_spec, &sp, opts));
    let mut clone = new_spec.clone();
    clone.replicas = old_spec.replicas;
    clone.template = old_spec.template.clone();
    clone.update_strategy = old_spec.update_strategy.clone();
    clone.min_ready_seconds = old_spec.min_ready_seconds;
    clone.ordinals = old_spec.ordinals.clone();
    clone.revision_history_limit = old_spec.revision_history_limit;
    clone.persistent_volume_claim_retention_policy =
        old_spec.persistent_volume_claim_retention_policy.clone();
    if clone != *old_spec {
        errs.push(FieldError::forbidden(&sp, STATEFULSET_SPEC_FORBIDDEN));
    }
    errs
}

/// `ValidateStatefulSetStatus` for `/status` writes, with the collisionCount ratchet.
pub fn validate_statefulset_status_update(new: &StatefulSet, old: &StatefulSet) -> Vec<FieldError> {
    let status = new.status.clone().unwrap_or_default();
    let p = Path::new("status");
    let mut errs = Vec::new();
    let replicas = status.replicas;
    let ready = status.ready_replicas.unwrap_or(0);
    let current = status.current_replicas.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    for (field, value) in [
        ("replicas", replicas),
        ("readyReplicas", ready),
        ("currentReplicas", current),
        ("updatedReplicas", updated),
        ("availableReplicas", available),
    ] {
        errs.extend(validate_nonnegative(value.into(), &p.child(field)));
    }
    if let Some(g) = status.observed_generation {
        errs.extend(validate_nonnegative(g, &p.child("observedGeneration")));
    }
    if let Some(c) = status.collision_count {
        errs.extend(validate_nonnegative(c.into(), &p.child("collisionCount")));
    }
    let msg = "cannot be greater than status.replicas";
    for (field, value) in [
        ("readyReplicas", ready),
        ("currentReplicas", current),
        ("updatedReplicas", updated),
        ("availableReplicas", available),
    ] {
        if value > replicas {
            errs.push(FieldError::invalid(p.child(field), value, msg));
        }
    }
    if available > ready {
        errs.push(FieldError::invalid(
            p.child("availableReplicas"),
            available,
            "cannot be greater than status.readyReplicas",
        ));
    }
    errs.extend(validate_object_meta_update(
        &new.metadata,
        &Path::new("metadata"),
    ));
    let old_count = old.status.as_ref().and_then(|st| st.collision_count);
    if let Some(old_count) = old_count
        && status.collision_count.is_none_or(|c| c < old_count)
    {
        errs.push(FieldError::invalid(
            p.child("collisionCount"),
            status.collision_count.unwrap_or(0),
            "cannot be decremented",
        ));
    }
    errs
}

pub fn validate_controller_revision(rev: &ControllerRevision) -> Vec<FieldError> {
    let mut errs =
        validate_object_meta(&rev.metadata, name_is_dns_subdomain, &Path::new("metadata"));
    if rev.data.0.is_null() {
        errs.push(FieldError::required("data", "data is mandatory"));
    }
    errs.extend(validate_nonnegative(
        rev.revision.unwrap_or(0),
        &Path::new("revision"),
    ));
    errs
}

pub fn validate_controller_revision_update(
    new: &ControllerRevision,
    old: &ControllerRevision,
) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_controller_revision(new));
    errs.extend(validate_immutable(&new.data, &old.data, &Path::new("data")));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::Defaulting;
    use serde_json::{Value, json};

    fn base() -> Value {
        json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "serviceName": "web",
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}
                },
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
            }
        })
    }

    /// `base()` with `edit` applied, then defaulted, as the API server would store it.
    fn sts(edit: impl FnOnce(&mut Value)) -> StatefulSet {
        let mut v = base();
        edit(&mut v);
        let mut sts: StatefulSet = serde_json::from_value(v).unwrap();
        sts.apply_defaults();
        sts
    }

    /// An edit of the base object and the messages it must produce.
    type Case<M> = (Box<dyn FnOnce(&mut Value)>, Vec<M>);

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn valid_statefulset_has_no_errors() {
        assert_eq!(
            messages(&validate_statefulset(&sts(|_| {}))),
            Vec::<String>::new()
        );
        // claim templates provide the mounted volume; a template volume of that name is replaced
        let s = sts(|v| {
            v["spec"]["template"]["spec"]["volumes"] = json!([{"name": "data", "emptyDir": {}}])
        });
        assert!(validate_statefulset(&s).is_empty());
        let s = sts(|v| v["spec"]["serviceName"] = json!(null));
        assert!(validate_statefulset(&s).is_empty());
    }

    #[test]
    fn create_rules_with_upstream_messages() {
        let cases: Vec<Case<&str>> = vec![
            (
                Box::new(|v| v["metadata"]["name"] = json!("web.v1")),
                vec!["metadata.name: Invalid value: \"web.v1\": must not contain dots"],
            ),
            (
                Box::new(|v| v["spec"]["replicas"] = json!(-1)),
                vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
            ),
            (
                Box::new(|v| v["spec"]["podManagementPolicy"] = json!("Foo")),
                vec![
                    "spec.podManagementPolicy: Invalid value: \"Foo\": must be 'OrderedReady' or 'Parallel'",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["updateStrategy"] = json!({"rollingUpdate": {"partition": -1}})
                }),
                vec![
                    "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["updateStrategy"] = json!({"rollingUpdate": {"maxUnavailable": 0}})
                }),
                vec![
                    "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["updateStrategy"] = json!({"rollingUpdate": {"maxUnavailable": "0%"}})
                }),
                vec![
                    "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": cannot be 0",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["updateStrategy"] =
                        json!({"rollingUpdate": {"maxUnavailable": "150%"}})
                }),
                vec![
                    "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["updateStrategy"] = json!({"rollingUpdate": {"maxUnavailable": -2}})
                }),
                vec![
                    "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -2: must be greater than or equal to 0",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["persistentVolumeClaimRetentionPolicy"] =
                        json!({"whenDeleted": "Keep"})
                }),
                vec![
                    "spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: \"Keep\": supported values: \"Retain\", \"Delete\"",
                ],
            ),
            (
                Box::new(|v| v["spec"]["minReadySeconds"] = json!(-5)),
                vec!["spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"],
            ),
            (
                Box::new(|v| v["spec"]["revisionHistoryLimit"] = json!(-1)),
                vec![
                    "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
                ],
            ),
            (
                Box::new(|v| v["spec"]["ordinals"] = json!({"start": -1})),
                vec!["spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0"],
            ),
            (
                Box::new(|v| v["spec"]["serviceName"] = json!("Web")),
                vec![
                    "spec.serviceName: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                ],
            ),
            (
                Box::new(|v| v["spec"]["template"]["spec"]["restartPolicy"] = json!("Never")),
                vec![
                    "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                ],
            ),
            (
                Box::new(|v| v["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(10)),
                vec![
                    "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
                ],
            ),
            (
                Box::new(|v| v["spec"]["template"]["spec"]["containers"][0]["image"] = json!("")),
                vec!["spec.template.spec.containers[0].image: Required value"],
            ),
            (
                Box::new(|v| {
                    v["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] =
                        json!("logs")
                }),
                vec!["spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"logs\""],
            ),
            (
                Box::new(|v| v["spec"]["template"]["metadata"]["labels"]["bad key"] = json!("x")),
                vec![
                    "spec.template.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["volumeClaimTemplates"][0]["spec"] =
                        json!({"resources": {"requests": {"storage": "1Gi"}}})
                }),
                vec![
                    "spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required",
                ],
            ),
            (
                Box::new(|v| v["spec"]["volumeClaimTemplates"][0]["spec"]["resources"] = json!({})),
                vec!["spec.volumeClaimTemplates[0].spec.resources[storage]: Required value"],
            ),
            (
                Box::new(|v| {
                    v["spec"]["selector"] =
                        json!({"matchExpressions": [{"key": "app", "operator": "In"}]})
                }),
                vec![
                    "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                    "spec.selector: Invalid value: {\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\"}]}",
                ],
            ),
        ];
        for (edit, want) in cases {
            let got = messages(&validate_statefulset(&sts(edit)));
            assert_eq!(got, want);
        }
    }

    #[test]
    fn selector_rules() {
        let s = sts(|v| v["spec"]["selector"] = json!({"matchLabels": {"app": "db"}}));
        let errs = validate_statefulset(&s);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "spec.template.metadata.labels");
        assert_eq!(errs[0].value, Some(json!({"app": "web"})));
        assert_eq!(
            errs[0].detail,
            "`selector` does not match template `labels`"
        );

        let s = sts(|v| v["spec"]["selector"] = json!(null));
        let errs = validate_statefulset(&s);
        let got: Vec<(&str, &str)> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("spec.selector", ""),
                (
                    "spec.template.metadata.labels",
                    "`selector` does not match template `labels`"
                )
            ]
        );

        let s = sts(|v| v["spec"]["selector"] = json!({"matchLabels": {}}));
        let errs = validate_statefulset(&s);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].detail, "empty selector is invalid for statefulset");
    }

    #[test]
    fn on_delete_forbids_rolling_update_block() {
        let mut s = sts(|v| v["spec"]["updateStrategy"] = json!({"type": "OnDelete"}));
        assert!(validate_statefulset(&s).is_empty());
        s.spec.update_strategy.as_mut().unwrap().rolling_update = Some(Default::default());
        let errs = validate_statefulset(&s);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "spec.updateStrategy.rollingUpdate");
        assert_eq!(
            errs[0].detail,
            "only allowed for updateStrategy 'RollingUpdate'"
        );
        let s = sts(|v| v["spec"]["updateStrategy"] = json!({"type": "Sometimes"}));
        assert_eq!(
            validate_statefulset(&s)[0].detail,
            "must be 'RollingUpdate' or 'OnDelete'"
        );
    }

    #[test]
    fn update_allows_only_mutable_fields() {
        let old = sts(|_| {});
        let forbidden = format!("spec: Forbidden: {STATEFULSET_SPEC_FORBIDDEN}");
        let cases: Vec<Case<String>> = vec![
            (Box::new(|v| v["spec"]["replicas"] = json!(5)), vec![]),
            (
                Box::new(|v| {
                    v["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26")
                }),
                vec![],
            ),
            (
                Box::new(|v| v["spec"]["updateStrategy"] = json!({"type": "OnDelete"})),
                vec![],
            ),
            (
                Box::new(|v| v["spec"]["minReadySeconds"] = json!(10)),
                vec![],
            ),
            (
                Box::new(|v| v["spec"]["ordinals"] = json!({"start": 3})),
                vec![],
            ),
            (
                Box::new(|v| v["spec"]["revisionHistoryLimit"] = json!(3)),
                vec![],
            ),
            (
                Box::new(|v| {
                    v["spec"]["persistentVolumeClaimRetentionPolicy"] =
                        json!({"whenScaled": "Delete"})
                }),
                vec![],
            ),
            (
                Box::new(|v| v["spec"]["serviceName"] = json!("other")),
                vec![forbidden.clone()],
            ),
            (
                Box::new(|v| v["spec"]["podManagementPolicy"] = json!("Parallel")),
                vec![forbidden.clone()],
            ),
            (
                Box::new(|v| {
                    v["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] =
                        json!("2Gi")
                }),
                vec![forbidden.clone()],
            ),
            (
                Box::new(|v| {
                    v["spec"]["selector"]["matchLabels"]["tier"] = json!("db");
                    v["spec"]["template"]["metadata"]["labels"]["tier"] = json!("db");
                }),
                vec![forbidden.clone()],
            ),
            (
                Box::new(|v| v["spec"]["replicas"] = json!(-1)),
                vec![
                    "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
                        .to_string(),
                ],
            ),
        ];
        for (edit, want) in cases {
            assert_eq!(
                messages(&validate_statefulset_update(&sts(edit), &old)),
                want
            );
        }
    }

    #[test]
    fn update_ratchets_rules_the_stored_object_already_broke() {
        // stored before v1.34: a template that fails pod validation and a bad claim template
        let old = sts(|v| {
            v["spec"]["template"]["spec"]["containers"][0]["image"] = json!("");
            v["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] = json!([]);
            v["spec"]["serviceName"] = json!("Bad_Name");
            v["spec"]["revisionHistoryLimit"] = json!(-1);
        });
        let mut new = old.clone();
        new.spec.replicas = Some(3);
        assert_eq!(
            messages(&validate_statefulset_update(&new, &old)),
            Vec::<String>::new()
        );
        // a valid stored template keeps the full check
        let old = sts(|_| {});
        let new = sts(|v| v["spec"]["template"]["spec"]["containers"][0]["image"] = json!(""));
        assert_eq!(
            messages(&validate_statefulset_update(&new, &old)),
            vec!["spec.template.spec.containers[0].image: Required value"]
        );
    }

    #[test]
    fn status_rules() {
        let mut old = sts(|_| {});
        old.status =
            Some(serde_json::from_value(json!({"replicas": 3, "collisionCount": 2})).unwrap());
        let mut new = old.clone();
        new.status = Some(
            serde_json::from_value(
                json!({"replicas": 1, "readyReplicas": 1, "availableReplicas": 2,
                "currentReplicas": -1, "observedGeneration": -1, "collisionCount": 1}),
            )
            .unwrap(),
        );
        assert_eq!(
            messages(&validate_statefulset_status_update(&new, &old)),
            vec![
                "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0",
                "status.observedGeneration: Invalid value: -1: must be greater than or equal to 0",
                "status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas",
                "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas",
                "status.collisionCount: Invalid value: 1: cannot be decremented",
            ]
        );
    }

    #[test]
    fn controller_revisions() {
        let rev: ControllerRevision = serde_json::from_value(
            json!({"metadata": {"name": "web-7b9c"}, "revision": -1, "data": null}),
        )
        .unwrap();
        assert_eq!(
            messages(&validate_controller_revision(&rev)),
            vec![
                "data: Required value: data is mandatory",
                "revision: Invalid value: -1: must be greater than or equal to 0"
            ]
        );
        let old: ControllerRevision = serde_json::from_value(
            json!({"metadata": {"name": "r"}, "revision": 1, "data": {"a": 1}}),
        )
        .unwrap();
        let mut new = old.clone();
        new.revision = Some(2);
        assert!(validate_controller_revision_update(&new, &old).is_empty());
        new.data.0 = json!({"a": 2});
        assert_eq!(
            messages(&validate_controller_revision_update(&new, &old)),
            vec!["data: Invalid value: {\"a\":2}: field is immutable"]
        );
    }
}
