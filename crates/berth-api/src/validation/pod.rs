//! Pods, pod specs and pod templates (`pkg/apis/core/validation`: ValidatePodSpec,
//! ValidatePodTemplateSpec, ValidatePodCreate, ValidatePodUpdate).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvVar, Lifecycle, NodeSelectorTerm, Pod, PodAffinityTerm, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, Toleration, Volume, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{
    IS_NEGATIVE_ERROR, invalid_each, to_value, validate_annotations, validate_label_selector,
    validate_labels, validate_nonnegative, validate_object_meta, validate_object_meta_update,
};
use super::names::{
    inclusive_range_error, is_config_map_key, is_dns1123_label, is_dns1123_subdomain,
    is_env_var_name, is_qualified_name, is_valid_ip, is_valid_label_value, is_valid_port_name,
    is_valid_port_num, name_is_dns_subdomain,
};
use super::quantity::{QUANTITY_FORMAT_ERROR, parse_quantity};
use super::storage::validate_persistent_volume_claim_spec;
use crate::FieldError;
use crate::field_error::Path;

pub const FILE_MODE_ERROR: &str = "must be a number between 0 and 0777 (octal), both inclusive";

/// The text upstream's ValidatePodUpdate gives (before its go-cmp diff, which berth omits).
pub const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

fn s(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or_default()
}

fn dns_label(value: &str, path: &Path) -> Vec<FieldError> {
    invalid_each(path, value, is_dns1123_label(value))
}

/// `ValidatePodTemplateSpec`: labels and annotations (at `<path>.labels`, as upstream), the
/// pod spec, and no ephemeral containers.
pub fn validate_pod_template_spec(template: &PodTemplateSpec, path: &Path) -> Vec<FieldError> {
    let meta = template.metadata.clone().unwrap_or_default();
    let mut errs = validate_labels(meta.labels.as_ref(), &path.child("labels"));
    errs.extend(validate_annotations(
        meta.annotations.as_ref(),
        &path.child("annotations"),
    ));
    let spec = template.spec.clone().unwrap_or_default();
    errs.extend(validate_pod_spec(&spec, &path.child("spec")));
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(FieldError::forbidden(
            path.child("spec").child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// `ValidatePodSpec`, in upstream's order.
pub fn validate_pod_spec(spec: &PodSpec, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let grace = spec.termination_grace_period_seconds;
    if grace.is_none() {
        errs.push(FieldError::required(
            path.child("terminationGracePeriodSeconds"),
            "",
        ));
    }
    let (volumes, volume_errs) = validate_volumes(
        spec.volumes.as_deref().unwrap_or_default(),
        &path.child("volumes"),
    );
    errs.extend(volume_errs);
    errs.extend(validate_containers(spec, &volumes, grace, path));
    errs.extend(validate_init_containers(spec, &volumes, grace, path));
    if spec.host_network == Some(true) {
        for (i, c) in spec.containers.iter().enumerate() {
            for (j, port) in c.ports.iter().flatten().enumerate() {
                let host_port = port.host_port.unwrap_or(0);
                // templates are not defaulted (DefaultHostNetworkHostPortsInPodTemplates is off)
                if host_port != 0 && host_port != port.container_port {
                    errs.push(FieldError::invalid(
                        path.child("containers")
                            .index(i)
                            .child("ports")
                            .index(j)
                            .child("hostPort"),
                        host_port,
                        "must match `containerPort` when `hostNetwork` is true",
                    ));
                }
            }
        }
    }
    match s(&spec.restart_policy) {
        "Always" | "OnFailure" | "Never" => {}
        "" => errs.push(FieldError::required(path.child("restartPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            path.child("restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    match s(&spec.dns_policy) {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => errs.push(FieldError::required(path.child("dnsPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            path.child("dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    errs.extend(validate_labels(
        spec.node_selector.as_ref(),
        &path.child("nodeSelector"),
    ));
    errs.extend(validate_pod_security_context(
        spec,
        &path.child("securityContext"),
    ));
    if let Some(affinity) = &spec.affinity {
        errs.extend(validate_affinity(affinity, &path.child("affinity")));
    }
    errs.extend(validate_dns_config(spec, &path.child("dnsConfig")));
    errs.extend(validate_topology_spread_constraints(
        spec,
        &path.child("topologySpreadConstraints"),
    ));
    if let Some(sa) = spec
        .service_account_name
        .as_deref()
        .filter(|v| !v.is_empty())
    {
        errs.extend(invalid_each(
            &path.child("serviceAccountName"),
            sa,
            name_is_dns_subdomain(sa, false),
        ));
    }
    if let Some(node) = spec.node_name.as_deref().filter(|v| !v.is_empty()) {
        errs.extend(invalid_each(
            &path.child("nodeName"),
            node,
            name_is_dns_subdomain(node, false),
        ));
    }
    if let Some(ads) = spec.active_deadline_seconds
        && !(1..=i64::from(i32::MAX)).contains(&ads)
    {
        errs.push(FieldError::invalid(
            path.child("activeDeadlineSeconds"),
            ads,
            inclusive_range_error(1, i64::from(i32::MAX)),
        ));
    }
    if let Some(hostname) = spec.hostname.as_deref().filter(|v| !v.is_empty()) {
        errs.extend(dns_label(hostname, &path.child("hostname")));
    }
    if let Some(subdomain) = spec.subdomain.as_deref().filter(|v| !v.is_empty()) {
        errs.extend(dns_label(subdomain, &path.child("subdomain")));
    }
    if let Some(tolerations) = spec.tolerations.as_ref().filter(|t| !t.is_empty()) {
        errs.extend(validate_tolerations(
            tolerations,
            &path.child("tolerations"),
        ));
    }
    for (i, alias) in spec.host_aliases.iter().flatten().enumerate() {
        let p = path.child("hostAliases").index(i);
        errs.extend(invalid_each(
            &p.child("ip"),
            &alias.ip,
            is_valid_ip(&alias.ip),
        ));
        for (j, hostname) in alias.hostnames.iter().flatten().enumerate() {
            errs.extend(invalid_each(
                &p.child("hostnames").index(j),
                hostname,
                is_dns1123_subdomain(hostname),
            ));
        }
    }
    if let Some(pc) = spec
        .priority_class_name
        .as_deref()
        .filter(|v| !v.is_empty())
    {
        errs.extend(invalid_each(
            &path.child("priorityClassName"),
            pc,
            name_is_dns_subdomain(pc, false),
        ));
    }
    if let Some(pp) = spec.preemption_policy.as_deref()
        && !matches!(pp, "PreemptLowerPriority" | "Never")
    {
        errs.push(FieldError::not_supported(
            path.child("preemptionPolicy"),
            pp,
            &["Never", "PreemptLowerPriority"],
        ));
    }
    errs
}

fn validate_probes(c: &Container, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_probe_kind(
        c.liveness_probe.as_ref(),
        &path.child("livenessProbe"),
        ProbeKind::Liveness,
    );
    errs.extend(validate_probe_kind(
        c.readiness_probe.as_ref(),
        &path.child("readinessProbe"),
        ProbeKind::Readiness,
    ));
    errs.extend(validate_probe_kind(
        c.startup_probe.as_ref(),
        &path.child("startupProbe"),
        ProbeKind::Startup,
    ));
    errs
}

/// `validateContainers`: names unique among regular containers.
fn validate_containers(
    spec: &PodSpec,
    volumes: &VolumeMap<'_>,
    grace: Option<i64>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if spec.containers.is_empty() {
        errs.push(FieldError::required(path.child("containers"), ""));
    }
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (i, c) in spec.containers.iter().enumerate() {
        let p = path.child("containers").index(i);
        errs.extend(validate_container_common(c, volumes, &p));
        if !names.insert(c.name.as_str()) {
            errs.push(FieldError::duplicate(p.child("name"), c.name.as_str()));
        }
        if let Some(lifecycle) = &c.lifecycle {
            errs.extend(validate_lifecycle(lifecycle, grace, &p.child("lifecycle")));
        }
        errs.extend(validate_probes(c, &p));
        if c.restart_policy.is_some() {
            errs.push(FieldError::forbidden(
                p.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs
}

/// `validateInitContainers`: names unique among init and regular containers; probes and
/// lifecycle only for restartable (sidecar) init containers.
fn validate_init_containers(
    spec: &PodSpec,
    volumes: &VolumeMap<'_>,
    grace: Option<i64>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names: BTreeSet<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        let p = path.child("initContainers").index(i);
        errs.extend(validate_container_common(c, volumes, &p));
        if names.contains(c.name.as_str()) {
            errs.push(FieldError::duplicate(p.child("name"), c.name.as_str()));
        } else if !c.name.is_empty() {
            names.insert(c.name.as_str());
        }
        if let Some(rp) = c.restart_policy.as_deref().filter(|rp| *rp != "Always") {
            errs.push(FieldError::not_supported(
                p.child("restartPolicy"),
                rp,
                &["Always"],
            ));
        }
        if s(&c.restart_policy) == "Always" {
            if let Some(lifecycle) = &c.lifecycle {
                errs.extend(validate_lifecycle(lifecycle, grace, &p.child("lifecycle")));
            }
            errs.extend(validate_probes(c, &p));
        } else {
            for (field, set) in [
                ("lifecycle", c.lifecycle.is_some()),
                ("livenessProbe", c.liveness_probe.is_some()),
                ("readinessProbe", c.readiness_probe.is_some()),
                ("startupProbe", c.startup_probe.is_some()),
            ] {
                if set {
                    errs.push(FieldError::forbidden(
                        p.child(field),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

fn validate_lifecycle(lifecycle: &Lifecycle, grace: Option<i64>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (name, handler) in [
        ("postStart", &lifecycle.post_start),
        ("preStop", &lifecycle.pre_stop),
    ] {
        let Some(h) = handler else { continue };
        let hp = path.child(name);
        let handlers = [
            ("exec", h.exec.is_some()),
            ("httpGet", h.http_get.is_some()),
            ("tcpSocket", h.tcp_socket.is_some()),
            ("sleep", h.sleep.is_some()),
        ];
        let present: Vec<&str> = handlers
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        let Some(first) = present.first() else {
            errs.push(FieldError::required(&hp, "must specify a handler type"));
            continue;
        };
        match *first {
            "exec" => {
                if h.exec
                    .as_ref()
                    .and_then(|e| e.command.as_ref())
                    .is_none_or(Vec::is_empty)
                {
                    errs.push(FieldError::required(hp.child("exec").child("command"), ""));
                }
            }
            "httpGet" => errs.extend(validate_http_get(
                h.http_get.as_ref().expect("checked"),
                &hp.child("httpGet"),
            )),
            "tcpSocket" => errs.extend(validate_port_num_or_name(
                &h.tcp_socket.as_ref().expect("checked").port,
                &hp.child("tcpSocket").child("port"),
            )),
            _ => {
                let seconds = h.sleep.as_ref().expect("checked").seconds;
                let limit = grace.unwrap_or(i64::MAX);
                if !(0..=limit).contains(&seconds) {
                    errs.push(FieldError::invalid(
                        hp.child("sleep"),
                        seconds,
                        format!("must be non-negative and less than terminationGracePeriodSeconds ({limit})"),
                    ));
                }
            }
        }
        for extra in present.iter().skip(1) {
            errs.push(FieldError::forbidden(
                hp.child(extra),
                "may not specify more than 1 handler type",
            ));
        }
    }
    errs
}

fn validate_http_get(
    h: &k8s_openapi::api::core::v1::HTTPGetAction,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if s(&h.path).is_empty() {
        errs.push(FieldError::required(path.child("path"), ""));
    }
    errs.extend(validate_port_num_or_name(&h.port, &path.child("port")));
    let scheme = s(&h.scheme);
    if !matches!(scheme, "HTTP" | "HTTPS") {
        errs.push(FieldError::not_supported(
            path.child("scheme"),
            scheme,
            &["HTTP", "HTTPS"],
        ));
    }
    errs
}

fn validate_id(value: Option<i64>, path: &Path) -> Vec<FieldError> {
    match value {
        Some(v) if !(0..=i64::from(i32::MAX)).contains(&v) => {
            vec![FieldError::invalid(
                path,
                v,
                inclusive_range_error(0, i64::from(i32::MAX)),
            )]
        }
        _ => Vec::new(),
    }
}

fn validate_seccomp_profile(
    profile: Option<&k8s_openapi::api::core::v1::SeccompProfile>,
    path: &Path,
) -> Vec<FieldError> {
    let Some(profile) = profile else {
        return Vec::new();
    };
    let localhost = profile.localhost_profile.as_deref();
    match profile.type_.as_str() {
        "Localhost" if localhost.is_none() => {
            vec![FieldError::required(
                path.child("localhostProfile"),
                "must be set when seccomp type is Localhost",
            )]
        }
        "Localhost" => Vec::new(),
        "RuntimeDefault" | "Unconfined" => match localhost {
            Some(lp) => vec![FieldError::invalid(
                path.child("localhostProfile"),
                lp,
                "can only be set when seccomp type is Localhost",
            )],
            None => Vec::new(),
        },
        other => vec![FieldError::not_supported(
            path.child("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        )],
    }
}

fn validate_pod_security_context(spec: &PodSpec, path: &Path) -> Vec<FieldError> {
    let Some(sc) = &spec.security_context else {
        return Vec::new();
    };
    let mut errs = validate_id(sc.fs_group, &path.child("fsGroup"));
    errs.extend(validate_id(sc.run_as_user, &path.child("runAsUser")));
    errs.extend(validate_id(sc.run_as_group, &path.child("runAsGroup")));
    for (i, gid) in sc.supplemental_groups.iter().flatten().enumerate() {
        errs.extend(validate_id(
            Some(*gid),
            &path.child("supplementalGroups").index(i),
        ));
    }
    if spec.share_process_namespace == Some(true) && spec.host_pid == Some(true) {
        errs.push(FieldError::invalid(
            path.child("shareProcessNamespace"),
            true,
            "ShareProcessNamespace and HostPID cannot both be enabled",
        ));
    }
    if let Some(policy) = sc.fs_group_change_policy.as_deref()
        && !matches!(policy, "Always" | "OnRootMismatch")
    {
        errs.push(FieldError::not_supported(
            path.child("fsGroupChangePolicy"),
            policy,
            &["Always", "OnRootMismatch"],
        ));
    }
    errs.extend(validate_seccomp_profile(
        sc.seccomp_profile.as_ref(),
        &path.child("seccompProfile"),
    ));
    errs
}

fn validate_container_security_context(c: &Container, path: &Path) -> Vec<FieldError> {
    let Some(sc) = &c.security_context else {
        return Vec::new();
    };
    let mut errs = validate_id(sc.run_as_user, &path.child("runAsUser"));
    errs.extend(validate_id(sc.run_as_group, &path.child("runAsGroup")));
    if let Some(pm) = sc.proc_mount.as_deref()
        && !matches!(pm, "Default" | "Unmasked")
    {
        errs.push(FieldError::not_supported(
            path.child("procMount"),
            pm,
            &["Default", "Unmasked"],
        ));
    }
    errs.extend(validate_seccomp_profile(
        sc.seccomp_profile.as_ref(),
        &path.child("seccompProfile"),
    ));
    if sc.allow_privilege_escalation == Some(false) {
        if sc.privileged == Some(true) {
            errs.push(FieldError::invalid(
                path,
                to_value(sc),
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            ));
        }
        for cap in sc.capabilities.iter().flat_map(|c| c.add.iter().flatten()) {
            if cap == "CAP_SYS_ADMIN" {
                errs.push(FieldError::invalid(
                    path,
                    to_value(sc),
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                ));
            }
        }
    }
    errs
}

fn validate_node_selector_term(term: &NodeSelectorTerm, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (field, reqs) in [
        ("matchExpressions", &term.match_expressions),
        ("matchFields", &term.match_fields),
    ] {
        for (j, req) in reqs.iter().flatten().enumerate() {
            let p = path.child(field).index(j);
            let values = req.values.as_deref().unwrap_or_default();
            match req.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
                    p.child("values"),
                    "must be specified when `operator` is 'In' or 'NotIn'",
                )),
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    errs.push(FieldError::forbidden(
                        p.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ))
                }
                "Gt" | "Lt" if values.len() != 1 => errs.push(FieldError::required(
                    p.child("values"),
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                )),
                "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
                other => errs.push(FieldError::invalid(
                    p.child("operator"),
                    other,
                    "not a valid selector operator",
                )),
            }
            if field == "matchExpressions" {
                errs.extend(invalid_each(
                    &p.child("key"),
                    &req.key,
                    is_qualified_name(&req.key),
                ));
            } else if req.key != "metadata.name" {
                errs.push(FieldError::invalid(
                    p.child("key"),
                    req.key.as_str(),
                    "not a valid field selector key",
                ));
            }
        }
    }
    errs
}

fn validate_pod_affinity_term(term: &PodAffinityTerm, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(selector) = &term.label_selector {
        errs.extend(validate_label_selector(
            selector,
            &path.child("labelSelector"),
        ));
    }
    if let Some(selector) = &term.namespace_selector {
        errs.extend(validate_label_selector(
            selector,
            &path.child("namespaceSelector"),
        ));
    }
    for ns in term.namespaces.iter().flatten() {
        errs.extend(invalid_each(
            &path.child("namespace"),
            ns,
            is_dns1123_label(ns),
        ));
    }
    if term.topology_key.is_empty() {
        errs.push(FieldError::required(
            path.child("topologyKey"),
            "can not be empty",
        ));
    }
    errs.extend(invalid_each(
        &path.child("topologyKey"),
        &term.topology_key,
        is_qualified_name(&term.topology_key),
    ));
    errs
}

fn validate_pod_affinity_terms(
    required: Option<&Vec<PodAffinityTerm>>,
    preferred: Option<&Vec<WeightedPodAffinityTerm>>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, term) in required.into_iter().flatten().enumerate() {
        errs.extend(validate_pod_affinity_term(
            term,
            &path
                .child("requiredDuringSchedulingIgnoredDuringExecution")
                .index(i),
        ));
    }
    for (i, weighted) in preferred.into_iter().flatten().enumerate() {
        let p = path
            .child("preferredDuringSchedulingIgnoredDuringExecution")
            .index(i);
        if !(1..=100).contains(&weighted.weight) {
            errs.push(FieldError::invalid(
                p.child("weight"),
                weighted.weight,
                "must be in the range 1-100",
            ));
        }
        errs.extend(validate_pod_affinity_term(
            &weighted.pod_affinity_term,
            &p.child("podAffinityTerm"),
        ));
    }
    errs
}

fn validate_affinity(affinity: &Affinity, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(na) = &affinity.node_affinity {
        let p = path.child("nodeAffinity");
        if let Some(required) = &na.required_during_scheduling_ignored_during_execution {
            let tp = p
                .child("requiredDuringSchedulingIgnoredDuringExecution")
                .child("nodeSelectorTerms");
            if required.node_selector_terms.is_empty() {
                errs.push(FieldError::required(
                    &tp,
                    "must have at least one node selector term",
                ));
            }
            for (i, term) in required.node_selector_terms.iter().enumerate() {
                errs.extend(validate_node_selector_term(term, &tp.index(i)));
            }
        }
        for (i, pref) in na
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
            .enumerate()
        {
            let pp = p
                .child("preferredDuringSchedulingIgnoredDuringExecution")
                .index(i);
            if !(1..=100).contains(&pref.weight) {
                errs.push(FieldError::invalid(
                    pp.child("weight"),
                    pref.weight,
                    "must be in the range 1-100",
                ));
            }
            errs.extend(validate_node_selector_term(
                &pref.preference,
                &pp.child("preference"),
            ));
        }
    }
    if let Some(pa) = &affinity.pod_affinity {
        errs.extend(validate_pod_affinity_terms(
            pa.required_during_scheduling_ignored_during_execution
                .as_ref(),
            pa.preferred_during_scheduling_ignored_during_execution
                .as_ref(),
            &path.child("podAffinity"),
        ));
    }
    if let Some(paa) = &affinity.pod_anti_affinity {
        errs.extend(validate_pod_affinity_terms(
            paa.required_during_scheduling_ignored_during_execution
                .as_ref(),
            paa.preferred_during_scheduling_ignored_during_execution
                .as_ref(),
            &path.child("podAntiAffinity"),
        ));
    }
    errs
}

fn validate_topology_spread_constraints(spec: &PodSpec, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let constraints = spec
        .topology_spread_constraints
        .as_deref()
        .unwrap_or_default();
    for (i, c) in constraints.iter().enumerate() {
        let p = path.index(i);
        if c.max_skew <= 0 {
            errs.push(FieldError::invalid(
                p.child("maxSkew"),
                c.max_skew,
                "must be greater than zero",
            ));
        }
        if c.topology_key.is_empty() {
            errs.push(FieldError::required(
                p.child("topologyKey"),
                "can not be empty",
            ));
        }
        if !matches!(
            c.when_unsatisfiable.as_str(),
            "DoNotSchedule" | "ScheduleAnyway"
        ) {
            errs.push(FieldError::not_supported(
                p.child("whenUnsatisfiable"),
                c.when_unsatisfiable.as_str(),
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        let repeated = constraints[i + 1..].iter().any(|o| {
            o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable
        });
        if repeated {
            errs.push(FieldError::duplicate(
                p.child("{topologyKey, whenUnsatisfiable}"),
                format!("{{{}, {}}}", c.topology_key, c.when_unsatisfiable),
            ));
        }
        if let Some(min) = c.min_domains {
            if min <= 0 {
                errs.push(FieldError::invalid(
                    p.child("minDomains"),
                    min,
                    "must be greater than zero",
                ));
            }
            if c.when_unsatisfiable != "DoNotSchedule" {
                errs.push(FieldError::invalid(
                    p.child("minDomains"),
                    min,
                    format!(
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {}",
                        c.when_unsatisfiable
                    ),
                ));
            }
        }
        if let Some(selector) = &c.label_selector {
            errs.extend(validate_label_selector(selector, &p.child("labelSelector")));
        }
    }
    errs
}

fn validate_dns_config(spec: &PodSpec, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let none = s(&spec.dns_policy) == "None";
    let Some(config) = &spec.dns_config else {
        if none {
            errs.push(FieldError::required(
                path,
                "must provide `dnsConfig` when `dnsPolicy` is None",
            ));
        }
        return errs;
    };
    let nameservers = config.nameservers.as_deref().unwrap_or_default();
    if none && nameservers.is_empty() {
        errs.push(FieldError::required(
            path.child("nameservers"),
            "must provide at least one DNS nameserver when `dnsPolicy` is None",
        ));
    }
    if nameservers.len() > 3 {
        errs.push(FieldError::invalid(
            path.child("nameservers"),
            to_value(&nameservers),
            "must not have more than 3 nameservers",
        ));
    }
    for (i, ns) in nameservers.iter().enumerate() {
        errs.extend(invalid_each(
            &path.child("nameservers").index(i),
            ns,
            is_valid_ip(ns),
        ));
    }
    let searches = config.searches.as_deref().unwrap_or_default();
    if searches.len() > 32 {
        errs.push(FieldError::invalid(
            path.child("searches"),
            to_value(&searches),
            "must not have more than 32 search paths",
        ));
    }
    for (i, search) in searches.iter().enumerate() {
        let domain = search.strip_suffix('.').unwrap_or(search);
        errs.extend(invalid_each(
            &path.child("searches").index(i),
            domain,
            is_dns1123_subdomain(domain),
        ));
    }
    for (i, opt) in config.options.iter().flatten().enumerate() {
        if s(&opt.name).is_empty() {
            errs.push(FieldError::required(
                path.child("options").index(i),
                "Option.Name must not be empty",
            ));
        }
    }
    errs
}

/// Volume name → volume, for the volumes that passed validation.
type VolumeMap<'a> = BTreeMap<&'a str, &'a Volume>;

/// `ValidateVolumes`: a volume's source errors come before its name errors; invalid
/// volumes are left out of the map, so mounts of them are "Not found" too.
pub fn validate_volumes<'a>(
    volumes: &'a [Volume],
    path: &Path,
) -> (VolumeMap<'a>, Vec<FieldError>) {
    let mut errs = Vec::new();
    let mut valid: VolumeMap<'a> = BTreeMap::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (i, vol) in volumes.iter().enumerate() {
        let p = path.index(i);
        let mut el = validate_volume_source(vol, &p);
        if vol.name.is_empty() {
            el.push(FieldError::required(p.child("name"), ""));
        } else {
            el.extend(dns_label(&vol.name, &p.child("name")));
        }
        if names.contains(vol.name.as_str()) {
            el.push(FieldError::duplicate(p.child("name"), vol.name.as_str()));
        }
        if el.is_empty() {
            names.insert(vol.name.as_str());
            valid.insert(vol.name.as_str(), vol);
        } else {
            errs.extend(el);
        }
    }
    (valid, errs)
}

/// The volume types set on a volume, in upstream's checking order.
fn volume_types(v: &Volume) -> Vec<&'static str> {
    [
        ("hostPath", v.host_path.is_some()),
        ("emptyDir", v.empty_dir.is_some()),
        ("gitRepo", v.git_repo.is_some()),
        ("gcePersistentDisk", v.gce_persistent_disk.is_some()),
        ("awsElasticBlockStore", v.aws_elastic_block_store.is_some()),
        ("secret", v.secret.is_some()),
        ("nfs", v.nfs.is_some()),
        ("iscsi", v.iscsi.is_some()),
        ("glusterfs", v.glusterfs.is_some()),
        ("flocker", v.flocker.is_some()),
        ("persistentVolumeClaim", v.persistent_volume_claim.is_some()),
        ("rbd", v.rbd.is_some()),
        ("quobyte", v.quobyte.is_some()),
        ("cinder", v.cinder.is_some()),
        ("cephfs", v.cephfs.is_some()),
        ("downwardAPI", v.downward_api.is_some()),
        ("fc", v.fc.is_some()),
        ("flexVolume", v.flex_volume.is_some()),
        ("azureFile", v.azure_file.is_some()),
        ("vsphereVolume", v.vsphere_volume.is_some()),
        ("photonPersistentDisk", v.photon_persistent_disk.is_some()),
        ("portworxVolume", v.portworx_volume.is_some()),
        ("azureDisk", v.azure_disk.is_some()),
        ("storageos", v.storageos.is_some()),
        ("projected", v.projected.is_some()),
        ("scaleIO", v.scale_io.is_some()),
        ("configMap", v.config_map.is_some()),
        ("csi", v.csi.is_some()),
        ("ephemeral", v.ephemeral.is_some()),
        ("image", v.image.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

fn validate_file_mode(mode: Option<i32>, path: &Path) -> Vec<FieldError> {
    match mode {
        Some(m) if !(0..=0o777).contains(&m) => vec![FieldError::invalid(path, m, FILE_MODE_ERROR)],
        _ => Vec::new(),
    }
}

fn validate_path_no_backsteps(target: &str, path: &Path) -> Vec<FieldError> {
    if target.split('/').any(|part| part == "..") {
        vec![FieldError::invalid(path, target, "must not contain '..'")]
    } else {
        Vec::new()
    }
}

/// A relative path that stays below its root and does not start with "..".
fn validate_local_non_reserved_path(target: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if target.starts_with('/') {
        errs.push(FieldError::invalid(path, target, "must be a relative path"));
    }
    errs.extend(validate_path_no_backsteps(target, path));
    if target.starts_with("..") {
        errs.push(FieldError::invalid(
            path,
            target,
            "must not start with '..'",
        ));
    }
    errs
}

fn validate_key_to_paths(
    items: Option<&Vec<k8s_openapi::api::core::v1::KeyToPath>>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, item) in items.into_iter().flatten().enumerate() {
        let p = path.index(i);
        if item.key.is_empty() {
            errs.push(FieldError::required(p.child("key"), ""));
        }
        if item.path.is_empty() {
            errs.push(FieldError::required(p.child("path"), ""));
        }
        errs.extend(validate_local_non_reserved_path(
            &item.path,
            &p.child("path"),
        ));
        errs.extend(validate_file_mode(item.mode, &p.child("mode")));
    }
    errs
}

fn validate_volume_source(v: &Volume, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let types = volume_types(v);
    let Some(first) = types.first() else {
        return vec![FieldError::required(path, "must specify a volume type")];
    };
    let p = path.child(first);
    match *first {
        "hostPath" => {
            let hp = v.host_path.as_ref().expect("checked");
            if hp.path.is_empty() {
                errs.push(FieldError::required(p.child("path"), ""));
            } else {
                errs.extend(validate_path_no_backsteps(&hp.path, &p.child("path")));
                let supported = [
                    "",
                    "BlockDevice",
                    "CharDevice",
                    "Directory",
                    "DirectoryOrCreate",
                    "File",
                    "FileOrCreate",
                    "Socket",
                ];
                let t = s(&hp.type_);
                if !supported.contains(&t) {
                    errs.push(FieldError::not_supported(p.child("type"), t, &supported));
                }
            }
        }
        "emptyDir" => {
            let ed = v.empty_dir.as_ref().expect("checked");
            if let Some(limit) = &ed.size_limit
                && parse_quantity(&limit.0).is_none_or(|q| q.is_negative())
            {
                errs.push(FieldError::forbidden(
                    p.child("sizeLimit"),
                    "SizeLimit field must be a valid resource quantity",
                ));
            }
        }
        "secret" => {
            let sv = v.secret.as_ref().expect("checked");
            match sv.secret_name.as_deref().filter(|n| !n.is_empty()) {
                None => errs.push(FieldError::required(p.child("secretName"), "")),
                Some(name) => errs.extend(invalid_each(
                    &p.child("secretName"),
                    name,
                    name_is_dns_subdomain(name, false),
                )),
            }
            errs.extend(validate_file_mode(sv.default_mode, &p.child("defaultMode")));
            errs.extend(validate_key_to_paths(sv.items.as_ref(), &p.child("items")));
        }
        "configMap" => {
            let cm = v.config_map.as_ref().expect("checked");
            if cm.name.is_empty() {
                errs.push(FieldError::required(p.child("name"), ""));
            } else {
                errs.extend(invalid_each(
                    &p.child("name"),
                    &cm.name,
                    name_is_dns_subdomain(&cm.name, false),
                ));
            }
            errs.extend(validate_file_mode(cm.default_mode, &p.child("defaultMode")));
            errs.extend(validate_key_to_paths(cm.items.as_ref(), &p.child("items")));
        }
        "persistentVolumeClaim" => {
            let pvc = v.persistent_volume_claim.as_ref().expect("checked");
            if pvc.claim_name.is_empty() {
                errs.push(FieldError::required(p.child("claimName"), ""));
            }
        }
        "nfs" => {
            let nfs = v.nfs.as_ref().expect("checked");
            if nfs.server.is_empty() {
                errs.push(FieldError::required(p.child("server"), ""));
            }
            if nfs.path.is_empty() {
                errs.push(FieldError::required(p.child("path"), ""));
            } else if !nfs.path.starts_with('/') {
                errs.push(FieldError::invalid(
                    p.child("path"),
                    nfs.path.as_str(),
                    "must be an absolute path",
                ));
            }
        }
        "csi" => {
            let csi = v.csi.as_ref().expect("checked");
            if csi.driver.is_empty() {
                errs.push(FieldError::required(p.child("driver"), ""));
            }
        }
        "ephemeral" => {
            let eph = v.ephemeral.as_ref().expect("checked");
            match &eph.volume_claim_template {
                None => errs.push(FieldError::required(p.child("volumeClaimTemplate"), "")),
                Some(t) => errs.extend(validate_persistent_volume_claim_spec(
                    &t.spec,
                    &p.child("volumeClaimTemplate").child("spec"),
                )),
            }
        }
        "downwardAPI" => {
            let d = v.downward_api.as_ref().expect("checked");
            errs.extend(validate_file_mode(d.default_mode, &p.child("defaultMode")));
            for (i, item) in d.items.iter().flatten().enumerate() {
                let ip = p.child("items").index(i);
                if item.path.is_empty() {
                    errs.push(FieldError::required(ip.child("path"), ""));
                }
                errs.extend(validate_local_non_reserved_path(
                    &item.path,
                    &ip.child("path"),
                ));
                errs.extend(validate_file_mode(item.mode, &ip.child("mode")));
                match (&item.field_ref, &item.resource_field_ref) {
                    (Some(_), Some(_)) => errs.push(FieldError::invalid(
                        ip,
                        "resource",
                        "fieldRef and resourceFieldRef can not be specified simultaneously",
                    )),
                    (None, None) => errs.push(FieldError::required(
                        ip,
                        "one of fieldRef and resourceFieldRef is required",
                    )),
                    _ => {}
                }
            }
        }
        "projected" => {
            let pr = v.projected.as_ref().expect("checked");
            errs.extend(validate_file_mode(pr.default_mode, &p.child("defaultMode")));
            for (i, src) in pr.sources.iter().flatten().enumerate() {
                let sp = p.child("sources").index(i);
                let set = [
                    ("secret", src.secret.is_some()),
                    ("downwardAPI", src.downward_api.is_some()),
                    ("configMap", src.config_map.is_some()),
                    ("serviceAccountToken", src.service_account_token.is_some()),
                    ("clusterTrustBundle", src.cluster_trust_bundle.is_some()),
                    ("podCertificate", src.pod_certificate.is_some()),
                ];
                let present: Vec<&str> =
                    set.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
                if present.is_empty() {
                    errs.push(FieldError::required(&sp, "must specify exactly 1 of secret, downwardAPI, configMap, serviceAccountToken, clusterTrustBundle or podCertificate"));
                }
                for extra in present.iter().skip(1) {
                    errs.push(FieldError::forbidden(
                        sp.child(extra),
                        "may not specify more than 1 volume type per source",
                    ));
                }
            }
        }
        "image" => {
            let image = v.image.as_ref().expect("checked");
            if s(&image.reference).is_empty() {
                errs.push(FieldError::required(p.child("reference"), ""));
            }
        }
        _ => {}
    }
    // the first type is validated; each further one is reported where upstream meets it
    for extra in &types[1..] {
        errs.push(FieldError::forbidden(
            path.child(extra),
            "may not specify more than 1 volume type",
        ));
    }
    errs
}

/// Checks shared by every container type (`validateContainerCommon`).
fn validate_container_common(
    c: &Container,
    volumes: &VolumeMap<'_>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if c.name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    } else {
        errs.extend(dns_label(&c.name, &path.child("name")));
    }
    if s(&c.image).is_empty() {
        errs.push(FieldError::required(path.child("image"), ""));
    }
    match s(&c.termination_message_policy) {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(
            path.child("terminationMessagePolicy"),
            "",
        )),
        other => errs.push(FieldError::not_supported(
            path.child("terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    errs.extend(validate_container_ports(c, &path.child("ports")));
    errs.extend(validate_env(
        c.env.as_deref().unwrap_or_default(),
        &path.child("env"),
    ));
    errs.extend(validate_env_from(c, &path.child("envFrom")));
    errs.extend(validate_volume_mounts(
        c,
        volumes,
        &path.child("volumeMounts"),
    ));
    match s(&c.image_pull_policy) {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.push(FieldError::required(path.child("imagePullPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            path.child("imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    if let Some(resources) = &c.resources {
        errs.extend(validate_resource_requirements(
            resources,
            &path.child("resources"),
        ));
    }
    errs.extend(validate_container_security_context(
        c,
        &path.child("securityContext"),
    ));
    errs
}

fn validate_container_ports(c: &Container, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (i, port) in c.ports.iter().flatten().enumerate() {
        let p = path.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                errs.extend(invalid_each(&p.child("name"), name, msgs));
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(p.child("name"), name));
            }
        }
        if port.container_port == 0 {
            errs.push(FieldError::required(p.child("containerPort"), ""));
        } else {
            for m in is_valid_port_num(port.container_port.into()) {
                errs.push(FieldError::invalid(
                    p.child("containerPort"),
                    port.container_port,
                    m,
                ));
            }
        }
        if let Some(hp) = port.host_port.filter(|hp| *hp != 0) {
            for m in is_valid_port_num(hp.into()) {
                errs.push(FieldError::invalid(p.child("hostPort"), hp, m));
            }
        }
        errs.extend(validate_protocol(s(&port.protocol), &p.child("protocol")));
    }
    errs
}

pub(crate) fn validate_protocol(protocol: &str, path: &Path) -> Vec<FieldError> {
    match protocol {
        "TCP" | "UDP" | "SCTP" => Vec::new(),
        "" => vec![FieldError::required(path, "")],
        other => vec![FieldError::not_supported(
            path,
            other,
            &["SCTP", "TCP", "UDP"],
        )],
    }
}

const ENV_FIELD_PATHS: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

fn validate_env(vars: &[EnvVar], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ev) in vars.iter().enumerate() {
        let p = path.index(i);
        if ev.name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else {
            errs.extend(invalid_each(
                &p.child("name"),
                &ev.name,
                is_env_var_name(&ev.name),
            ));
        }
        let Some(from) = &ev.value_from else { continue };
        let vp = p.child("valueFrom");
        let sources = [
            from.field_ref.is_some(),
            from.resource_field_ref.is_some(),
            from.config_map_key_ref.is_some(),
            from.secret_key_ref.is_some(),
            from.file_key_ref.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if let Some(fr) = &from.field_ref {
            let fp = vp.child("fieldRef");
            if s(&fr.api_version).is_empty() {
                errs.push(FieldError::required(fp.child("apiVersion"), ""));
            } else if fr.field_path.is_empty() {
                errs.push(FieldError::required(fp.child("fieldPath"), ""));
            } else if let Some((field, subscript)) = split_subscript(&fr.field_path) {
                match field {
                    "metadata.annotations" => errs.extend(invalid_each(
                        &fp,
                        subscript,
                        is_qualified_name(&subscript.to_lowercase()),
                    )),
                    "metadata.labels" => {
                        errs.extend(invalid_each(&fp, subscript, is_qualified_name(subscript)))
                    }
                    other => errs.push(FieldError::invalid(
                        &fp,
                        other,
                        "does not support subscript",
                    )),
                }
            } else if !ENV_FIELD_PATHS.contains(&fr.field_path.as_str()) {
                errs.push(FieldError::not_supported(
                    fp.child("fieldPath"),
                    fr.field_path.as_str(),
                    &ENV_FIELD_PATHS,
                ));
            }
        }
        if let Some(rf) = &from.resource_field_ref {
            let rp = vp.child("resourceFieldRef");
            const RESOURCES: [&str; 6] = [
                "limits.cpu",
                "limits.ephemeral-storage",
                "limits.memory",
                "requests.cpu",
                "requests.ephemeral-storage",
                "requests.memory",
            ];
            let hugepages = ["requests.hugepages-", "limits.hugepages-"]
                .iter()
                .any(|p| rf.resource.starts_with(p));
            if rf.resource.is_empty() {
                errs.push(FieldError::required(rp.child("resource"), ""));
            } else if !RESOURCES.contains(&rf.resource.as_str()) && !hugepages {
                errs.push(FieldError::not_supported(
                    rp.child("resource"),
                    rf.resource.as_str(),
                    &RESOURCES,
                ));
            }
        }
        for (field, name, key) in [
            (
                "configMapKeyRef",
                from.config_map_key_ref.as_ref().map(|r| (&r.name, &r.key)),
            ),
            (
                "secretKeyRef",
                from.secret_key_ref.as_ref().map(|r| (&r.name, &r.key)),
            ),
        ]
        .into_iter()
        .filter_map(|(f, r)| r.map(|(n, k)| (f, n, k)))
        {
            let kp = vp.child(field);
            let name = name.as_str();
            errs.extend(invalid_each(
                &kp.child("name"),
                name,
                name_is_dns_subdomain(name, false),
            ));
            if key.is_empty() {
                errs.push(FieldError::required(kp.child("key"), ""));
            } else {
                errs.extend(invalid_each(&kp.child("key"), key, is_config_map_key(key)));
            }
        }
        // upstream reports only the first of these problems
        let source_problem = if sources == 0 {
            Some(
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            )
        } else if !s(&ev.value).is_empty() {
            Some("may not be specified when `value` is not empty")
        } else if sources > 1 {
            Some("may not have more than one field specified at a time")
        } else {
            None
        };
        if let Some(detail) = source_problem {
            errs.push(FieldError::invalid(&vp, "", detail));
        }
    }
    errs
}

/// `metadata.labels['key']` → ("metadata.labels", "key").
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let (field, rest) = path.split_once("['")?;
    Some((field, rest.strip_suffix("']")?))
}

fn validate_env_from(c: &Container, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ef) in c.env_from.iter().flatten().enumerate() {
        let p = path.index(i);
        if let Some(prefix) = ef.prefix.as_deref().filter(|x| !x.is_empty()) {
            errs.extend(invalid_each(
                &p.child("prefix"),
                prefix,
                is_env_var_name(prefix),
            ));
        }
        let refs = [
            (
                "configMapRef",
                ef.config_map_ref.as_ref().map(|r| r.name.as_str()),
            ),
            ("secretRef", ef.secret_ref.as_ref().map(|r| r.name.as_str())),
        ];
        let present: Vec<(&str, &str)> = refs
            .iter()
            .filter_map(|(f, n)| n.map(|n| (*f, n)))
            .collect();
        match present.as_slice() {
            [] => errs.push(FieldError::invalid(
                &p,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            )),
            [(field, name)] => errs.extend(invalid_each(
                &p.child(field).child("name"),
                name,
                name_is_dns_subdomain(name, false),
            )),
            _ => errs.push(FieldError::invalid(
                &p,
                "",
                "may not have more than one field specified at a time",
            )),
        }
    }
    errs
}

fn validate_volume_mounts(c: &Container, volumes: &VolumeMap<'_>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut mount_points: BTreeSet<&str> = BTreeSet::new();
    let devices: BTreeMap<&str, &str> = c
        .volume_devices
        .iter()
        .flatten()
        .map(|d| (d.name.as_str(), d.device_path.as_str()))
        .collect();
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        let p = path.index(i);
        if m.name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        }
        if !volumes.contains_key(m.name.as_str()) {
            errs.push(FieldError::not_found(p.child("name"), m.name.as_str()));
        }
        if m.mount_path.is_empty() {
            errs.push(FieldError::required(p.child("mountPath"), ""));
        }
        if !mount_points.insert(m.mount_path.as_str()) {
            errs.push(FieldError::invalid(
                p.child("mountPath"),
                m.mount_path.as_str(),
                "must be unique",
            ));
        }
        if devices.contains_key(m.name.as_str()) {
            errs.push(FieldError::invalid(
                p.child("name"),
                m.name.as_str(),
                "must not already exist in volumeDevices",
            ));
        }
        if devices.values().any(|d| *d == m.mount_path) {
            errs.push(FieldError::invalid(
                p.child("mountPath"),
                m.mount_path.as_str(),
                "must not already exist as a path in volumeDevices",
            ));
        }
        let sub_path = s(&m.sub_path);
        if !sub_path.is_empty() {
            // upstream reports sub path errors at the list path, not the item
            errs.extend(validate_local_descending_path(
                sub_path,
                &path.child("subPath"),
            ));
        }
        let sub_path_expr = s(&m.sub_path_expr);
        if !sub_path_expr.is_empty() {
            if !sub_path.is_empty() {
                errs.push(FieldError::invalid(
                    p.child("subPathExpr"),
                    sub_path_expr,
                    "subPathExpr and subPath are mutually exclusive",
                ));
            }
            errs.extend(validate_local_descending_path(
                sub_path_expr,
                &path.child("subPathExpr"),
            ));
        }
        if let Some(prop) = m.mount_propagation.as_deref()
            && !matches!(prop, "None" | "HostToContainer" | "Bidirectional")
        {
            errs.push(FieldError::not_supported(
                path.child("mountPropagation"),
                prop,
                &["Bidirectional", "HostToContainer", "None"],
            ));
        }
    }
    errs
}

fn validate_local_descending_path(target: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if target.starts_with('/') {
        errs.push(FieldError::invalid(path, target, "must be a relative path"));
    }
    errs.extend(validate_path_no_backsteps(target, path));
    errs
}

fn is_standard_container_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

/// `kubernetes.io/`-prefixed or unprefixed names are native; others are extended resources.
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn validate_resource_quantity(name: &str, q: &Quantity, path: &Path) -> Vec<FieldError> {
    match parse_quantity(&q.0) {
        None => vec![FieldError::invalid(
            path,
            q.0.as_str(),
            QUANTITY_FORMAT_ERROR,
        )],
        Some(v) if v.is_negative() => {
            vec![FieldError::invalid(path, v.canonical(), IS_NEGATIVE_ERROR)]
        }
        Some(v) if !is_native_resource(name) && v.nanos() % 1_000_000_000 != 0 => {
            vec![FieldError::invalid(
                path,
                v.canonical(),
                "must be an integer",
            )]
        }
        Some(_) => Vec::new(),
    }
}

fn validate_container_resource_name(name: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = invalid_each(path, name, is_qualified_name(name));
    if !errs.is_empty() {
        return errs;
    }
    if !name.contains('/') {
        if !is_standard_container_resource(name) {
            errs.push(FieldError::invalid(
                path,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native_resource(name)
        && !is_qualified_name(&format!("requests.{name}")).is_empty()
    {
        errs.push(FieldError::invalid(
            path,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
    errs
}

/// `ValidateResourceRequirements` for containers: names, quantities, requests ≤ limits, and
/// extended resources (not overcommittable) with requests equal to limits.
pub fn validate_resource_requirements(r: &ResourceRequirements, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let empty = BTreeMap::new();
    let limits = r.limits.as_ref().unwrap_or(&empty);
    let requests = r.requests.as_ref().unwrap_or(&empty);
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    for (name, q) in limits {
        let p = lim_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        errs.extend(validate_resource_quantity(name, q, &p));
    }
    for (name, q) in requests {
        let p = req_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        errs.extend(validate_resource_quantity(name, q, &p));
        let overcommit = is_native_resource(name) && !name.starts_with("hugepages-");
        match (parse_quantity(&q.0), limits.get(name)) {
            (Some(req), Some(lim)) => {
                if let Some(lim_q) = parse_quantity(&lim.0) {
                    if !overcommit && req != lim_q {
                        errs.push(FieldError::invalid(
                            &req_path,
                            req.canonical(),
                            format!("must be equal to {name} limit of {}", lim_q.canonical()),
                        ));
                    } else if req > lim_q {
                        errs.push(FieldError::invalid(
                            &req_path,
                            req.canonical(),
                            format!(
                                "must be less than or equal to {name} limit of {}",
                                lim_q.canonical()
                            ),
                        ));
                    }
                }
            }
            (_, None) if !overcommit => errs.push(FieldError::required(
                &lim_path,
                "Limit must be set for non overcommitable resources",
            )),
            _ => {}
        }
    }
    let has_hugepages = limits
        .keys()
        .chain(requests.keys())
        .any(|k| k.starts_with("hugepages-"));
    let has_cpu_or_memory = limits
        .keys()
        .chain(requests.keys())
        .any(|k| k == "cpu" || k == "memory");
    if has_hugepages && !has_cpu_or_memory {
        errs.push(FieldError::forbidden(
            path,
            "HugePages require cpu or memory",
        ));
    }
    errs
}

#[derive(Clone, Copy, PartialEq)]
enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

fn validate_probe_kind(probe: Option<&Probe>, path: &Path, kind: ProbeKind) -> Vec<FieldError> {
    let Some(probe) = probe else {
        return Vec::new();
    };
    let mut errs = validate_probe(probe, path);
    let success = probe.success_threshold.unwrap_or(0);
    match kind {
        ProbeKind::Liveness | ProbeKind::Startup if success != 1 => {
            errs.push(FieldError::invalid(
                path.child("successThreshold"),
                success,
                "must be 1",
            ));
        }
        ProbeKind::Readiness if probe.termination_grace_period_seconds.is_some() => {
            errs.push(FieldError::invalid(
                path.child("terminationGracePeriodSeconds"),
                probe.termination_grace_period_seconds.unwrap_or_default(),
                "must not be set for readinessProbes",
            ));
        }
        _ => {}
    }
    errs
}

fn validate_probe(probe: &Probe, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let handlers = [
        ("exec", probe.exec.is_some()),
        ("httpGet", probe.http_get.is_some()),
        ("tcpSocket", probe.tcp_socket.is_some()),
        ("grpc", probe.grpc.is_some()),
    ];
    let mut count = 0;
    for (name, set) in handlers {
        if !set {
            continue;
        }
        if count > 0 {
            errs.push(FieldError::forbidden(
                path.child(name),
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        count += 1;
        let hp = path.child(name);
        match name {
            "exec" => {
                if probe
                    .exec
                    .as_ref()
                    .and_then(|e| e.command.as_ref())
                    .is_none_or(Vec::is_empty)
                {
                    errs.push(FieldError::required(hp.child("command"), ""));
                }
            }
            "httpGet" => errs.extend(validate_http_get(
                probe.http_get.as_ref().expect("checked"),
                &hp,
            )),
            "tcpSocket" => {
                let t = probe.tcp_socket.as_ref().expect("checked");
                errs.extend(validate_port_num_or_name(&t.port, &hp.child("port")));
            }
            _ => {
                let g = probe.grpc.as_ref().expect("checked");
                for m in is_valid_port_num(g.port.into()) {
                    errs.push(FieldError::invalid(hp.child("port"), g.port, m));
                }
            }
        }
    }
    if count == 0 {
        errs.push(FieldError::required(path, "must specify a handler type"));
    }
    for (field, value) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ] {
        errs.extend(validate_nonnegative(
            value.unwrap_or(0).into(),
            &path.child(field),
        ));
    }
    if let Some(tgps) = probe.termination_grace_period_seconds.filter(|v| *v <= 0) {
        errs.push(FieldError::invalid(
            path.child("terminationGracePeriodSeconds"),
            tgps,
            "must be greater than 0",
        ));
    }
    errs
}

/// A port given as a number (1-65535) or an IANA name.
pub fn validate_port_num_or_name(port: &IntOrString, path: &Path) -> Vec<FieldError> {
    match port {
        IntOrString::Int(n) => is_valid_port_num((*n).into())
            .into_iter()
            .map(|m| FieldError::invalid(path, *n, m))
            .collect(),
        IntOrString::String(name) => invalid_each(path, name, is_valid_port_name(name)),
    }
}

pub fn validate_tolerations(tolerations: &[Toleration], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let key = s(&t.key);
        let operator = s(&t.operator);
        let effect = s(&t.effect);
        let value = s(&t.value);
        if !key.is_empty() {
            errs.extend(invalid_each(&p.child("key"), key, is_qualified_name(key)));
        }
        if key.is_empty() && operator != "Exists" {
            errs.push(FieldError::invalid(
                p.child("operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match operator {
            "Equal" | "" => errs.extend(invalid_each(
                &p.child("operator"),
                value,
                is_valid_label_value(value),
            )),
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        p.child("operator"),
                        to_value(t),
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                p.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() {
            errs.extend(validate_taint_effect(effect, &p.child("effect")));
        }
    }
    errs
}

pub(crate) fn validate_taint_effect(effect: &str, path: &Path) -> Vec<FieldError> {
    if matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        Vec::new()
    } else {
        vec![FieldError::not_supported(
            path,
            effect,
            &["NoSchedule", "PreferNoSchedule", "NoExecute"],
        )]
    }
}

/// Pod metadata and spec plus the checks upstream applies only to pods, not templates.
fn validate_pod_metadata_and_spec(pod: &Pod) -> Vec<FieldError> {
    let spec_path = Path::new("spec");
    let mut errs =
        validate_object_meta(&pod.metadata, name_is_dns_subdomain, &Path::new("metadata"));
    let spec = pod.spec.clone().unwrap_or_default();
    errs.extend(validate_pod_spec(&spec, &spec_path));
    if s(&spec.service_account_name).is_empty() {
        for (vi, vol) in spec.volumes.iter().flatten().enumerate() {
            for (si, src) in vol
                .projected
                .iter()
                .flat_map(|p| p.sources.iter().flatten())
                .enumerate()
            {
                if src.service_account_token.is_some() {
                    errs.push(FieldError::forbidden(
                        spec_path
                            .child("volumes")
                            .index(vi)
                            .child("projected")
                            .child("sources")
                            .index(si)
                            .child("serviceAccountToken"),
                        "must not be specified when serviceAccountName is not set",
                    ));
                }
            }
        }
    }
    for (field, containers) in [
        ("containers", Some(&spec.containers)),
        ("initContainers", spec.init_containers.as_ref()),
    ] {
        for (i, c) in containers.into_iter().flatten().enumerate() {
            let image = s(&c.image);
            if image.trim() != image {
                errs.push(FieldError::invalid(
                    spec_path.child(field).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    errs
}

/// `ValidatePodCreate`.
pub fn validate_pod_create(pod: &Pod) -> Vec<FieldError> {
    let mut errs = validate_pod_metadata_and_spec(pod);
    let spec = pod.spec.clone().unwrap_or_default();
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(FieldError::forbidden(
            "spec.ephemeralContainers",
            "cannot be set on create",
        ));
    }
    if !s(&spec.node_name).is_empty()
        && spec
            .scheduling_gates
            .as_ref()
            .is_some_and(|g| !g.is_empty())
    {
        errs.push(FieldError::forbidden(
            "spec.nodeName",
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
    errs
}

/// `ValidatePodUpdate`: only images, activeDeadlineSeconds, added tolerations, removed
/// scheduling gates and a negative grace period set to 1 may change.
pub fn validate_pod_update(new: &Pod, old: &Pod) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_pod_metadata_and_spec(new));
    let spec_path = Path::new("spec");
    let new_spec = new.spec.clone().unwrap_or_default();
    let old_spec = old.spec.clone().unwrap_or_default();
    let empty = Vec::new();
    for (field, new_c, old_c) in [
        ("containers", &new_spec.containers, &old_spec.containers),
        (
            "initContainers",
            new_spec.init_containers.as_ref().unwrap_or(&empty),
            old_spec.init_containers.as_ref().unwrap_or(&empty),
        ),
    ] {
        if new_c.len() != old_c.len() {
            errs.push(FieldError::forbidden(
                spec_path.child(field),
                "pod updates may not add or remove containers",
            ));
            return errs;
        }
        for (i, c) in new_c.iter().enumerate() {
            let image = s(&c.image);
            if image.is_empty() {
                errs.push(FieldError::required(
                    spec_path.child(field).index(i).child("image"),
                    "",
                ));
            }
            if image.trim() != image {
                errs.push(FieldError::invalid(
                    spec_path.child(field).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    let ads_path = spec_path.child("activeDeadlineSeconds");
    match (
        new_spec.active_deadline_seconds,
        old_spec.active_deadline_seconds,
    ) {
        (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
            errs.push(FieldError::invalid(
                ads_path,
                n,
                inclusive_range_error(0, i64::from(i32::MAX)),
            ));
            return errs;
        }
        (Some(n), Some(o)) if o < n => {
            errs.push(FieldError::invalid(
                ads_path,
                n,
                "must be less than or equal to previous value",
            ));
            return errs;
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            ads_path,
            serde_json::Value::Null,
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    let new_tolerations = new_spec.tolerations.clone().unwrap_or_default();
    let old_tolerations = old_spec.tolerations.clone().unwrap_or_default();
    let all_kept = old_tolerations.iter().all(|o| {
        new_tolerations.iter().any(|n| {
            Toleration {
                toleration_seconds: n.toleration_seconds,
                ..o.clone()
            } == *n
        })
    });
    if !all_kept {
        errs.push(FieldError::forbidden(
            spec_path.child("tolerations"),
            "existing toleration can not be modified except its tolerationSeconds",
        ));
    } else {
        errs.extend(validate_tolerations(
            &new_tolerations,
            &spec_path.child("tolerations"),
        ));
    }
    let old_gates: BTreeSet<String> = old_spec
        .scheduling_gates
        .iter()
        .flatten()
        .map(|g| g.name.clone())
        .collect();
    for gate in new_spec.scheduling_gates.iter().flatten() {
        if !old_gates.contains(&gate.name) {
            errs.push(FieldError::forbidden(
                spec_path.child("schedulingGates"),
                format!(
                    "only deletion is allowed, but found new scheduling gate '{}'",
                    gate.name
                ),
            ));
        }
    }
    if new_spec == old_spec {
        return errs;
    }
    // munge the mutable fields to their old values, then compare
    let mut munged = new_spec.clone();
    for (c, o) in munged.containers.iter_mut().zip(&old_spec.containers) {
        c.image = o.image.clone();
    }
    if let (Some(cs), Some(os)) = (
        munged.init_containers.as_mut(),
        old_spec.init_containers.as_ref(),
    ) {
        for (c, o) in cs.iter_mut().zip(os) {
            c.image = o.image.clone();
        }
    }
    munged.active_deadline_seconds = old_spec.active_deadline_seconds;
    munged.scheduling_gates = old_spec.scheduling_gates.clone();
    munged.tolerations = old_spec.tolerations.clone();
    if old_spec
        .termination_grace_period_seconds
        .is_some_and(|g| g < 0)
        && munged.termination_grace_period_seconds == Some(1)
    {
        munged.termination_grace_period_seconds = old_spec.termination_grace_period_seconds;
    }
    if old_spec
        .scheduling_gates
        .as_ref()
        .is_some_and(|g| !g.is_empty())
    {
        // gated pods may gain node selector entries and node affinity
        let old_selector = old_spec.node_selector.clone().unwrap_or_default();
        if old_selector
            .iter()
            .all(|(k, v)| munged.node_selector.as_ref().and_then(|m| m.get(k)) == Some(v))
        {
            munged.node_selector = old_spec.node_selector.clone();
        }
        munged.affinity = old_spec.affinity.clone();
    }
    if munged != old_spec {
        errs.push(FieldError::forbidden(&spec_path, POD_UPDATE_FORBIDDEN));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::Defaulting;
    use serde_json::{Value, json};

    fn base() -> Value {
        json!({
            "metadata": {"name": "web-0", "namespace": "default"},
            "spec": {
                "containers": [{"name": "nginx", "image": "nginx:1.25",
                    "ports": [{"containerPort": 80, "name": "http"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}}]
            }
        })
    }

    fn pod(edit: impl FnOnce(&mut Value)) -> Pod {
        let mut v = base();
        edit(&mut v);
        let mut pod: Pod = serde_json::from_value(v).unwrap();
        pod.apply_defaults();
        pod
    }

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    type Case<M> = (Box<dyn FnOnce(&mut Value)>, Vec<M>);

    #[test]
    fn valid_pod_has_no_errors() {
        assert_eq!(
            messages(&validate_pod_create(&pod(|_| {}))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn create_rules_with_upstream_messages() {
        let cases: Vec<Case<&str>> = vec![
            (
                Box::new(|v| v["metadata"]["name"] = json!("Web_0")),
                vec![
                    r#"metadata.name: Invalid value: "Web_0": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                ],
            ),
            (
                Box::new(|v| v["spec"]["containers"] = json!([])),
                vec!["spec.containers: Required value"],
            ),
            (
                Box::new(|v| v["spec"]["containers"][0]["name"] = json!("")),
                vec!["spec.containers[0].name: Required value"],
            ),
            (
                Box::new(|v| v["spec"]["containers"][0]["image"] = json!("")),
                vec!["spec.containers[0].image: Required value"],
            ),
            (
                Box::new(|v| v["spec"]["containers"][0]["image"] = json!(" nginx")),
                vec![
                    "spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace",
                ],
            ),
            (
                Box::new(|v| {
                    let c = v["spec"]["containers"][0].clone();
                    v["spec"]["containers"].as_array_mut().unwrap().push(c);
                }),
                vec!["spec.containers[1].name: Duplicate value: \"nginx\""],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(70000)
                }),
                vec![
                    "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                ],
            ),
            (
                Box::new(|v| v["spec"]["containers"][0]["ports"][0]["protocol"] = json!("HTTP")),
                vec![
                    "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["ports"][0]["name"] = json!("http-port-number-1")
                }),
                vec![
                    "spec.containers[0].ports[0].name: Invalid value: \"http-port-number-1\": must be no more than 15 characters",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["resources"] =
                        json!({"requests": {"cpu": "2"}, "limits": {"cpu": "1000m"}})
                }),
                vec![
                    "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["resources"] =
                        json!({"requests": {"memory": "-1Gi"}})
                }),
                vec![
                    "spec.containers[0].resources.requests[memory]: Invalid value: \"-1Gi\": must be greater than or equal to 0",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["resources"] = json!({"limits": {"gpu": "1"}})
                }),
                // requests are defaulted from limits on pods, so both report it
                vec![
                    "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
                    "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["resources"] =
                        json!({"requests": {"example.com/gpu": "1"}})
                }),
                vec![
                    "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["volumes"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!({"name": "data", "emptyDir": {}}))
                }),
                vec!["spec.volumes[1].name: Duplicate value: \"data\""],
            ),
            (
                Box::new(|v| {
                    v["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] = json!("")
                }),
                vec![
                    "spec.volumes[0].persistentVolumeClaim.claimName: Required value",
                    "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["volumes"][0]["hostPath"] = json!({"path": "/x", "type": "Directory"})
                }),
                vec![
                    "spec.volumes[0].persistentVolumeClaim: Forbidden: may not specify more than 1 volume type",
                    "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["volumes"] =
                        json!([{"name": "data", "hostPath": {"path": "/x", "type": "Dir"}}])
                }),
                vec![
                    "spec.volumes[0].hostPath.type: Unsupported value: \"Dir\": supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"",
                    "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["volumes"] = json!([{"name": "data", "secret": {"secretName": "s", "defaultMode": 4096}}])
                }),
                vec![
                    "spec.volumes[0].secret.defaultMode: Invalid value: 4096: must be a number between 0 and 0777 (octal), both inclusive",
                    "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["volumeMounts"][0]["subPath"] = json!("../x")
                }),
                vec![
                    "spec.containers[0].volumeMounts.subPath: Invalid value: \"../x\": must not contain '..'",
                ],
            ),
            (
                Box::new(|v| v["spec"]["restartPolicy"] = json!("Sometimes")),
                vec![
                    "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                ],
            ),
            (
                Box::new(|v| v["spec"]["dnsPolicy"] = json!("Custom")),
                vec![
                    "spec.dnsPolicy: Unsupported value: \"Custom\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
                ],
            ),
            (
                Box::new(|v| v["spec"]["dnsPolicy"] = json!("None")),
                vec![
                    "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
                ],
            ),
            (
                Box::new(|v| v["spec"]["hostname"] = json!("web.0")),
                vec!["spec.hostname: Invalid value: \"web.0\": must not contain dots"],
            ),
            (
                Box::new(|v| v["spec"]["subdomain"] = json!("-svc")),
                vec![
                    "spec.subdomain: Invalid value: \"-svc\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                ],
            ),
            (
                Box::new(|v| v["spec"]["nodeSelector"] = json!({"disk": "ssd!"})),
                vec![
                    "spec.nodeSelector: Invalid value: \"ssd!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["tolerations"] =
                        json!([{"key": "k", "operator": "Maybe", "effect": "NoRun"}])
                }),
                vec![
                    "spec.tolerations[0].operator: Unsupported value: \"Maybe\": supported values: \"Equal\", \"Exists\"",
                    "spec.tolerations[0].effect: Unsupported value: \"NoRun\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["tolerations"] = json!([{"operator": "Equal", "value": "x"}])
                }),
                vec![
                    "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                ],
            ),
            (
                Box::new(
                    |v| v["spec"]["tolerations"] = json!([{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]),
                ),
                vec![
                    "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["livenessProbe"] =
                        json!({"tcpSocket": {"port": 80}, "successThreshold": 2})
                }),
                vec![
                    "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["readinessProbe"] = json!({"periodSeconds": -1})
                }),
                vec![
                    "spec.containers[0].readinessProbe: Required value: must specify a handler type",
                    "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["startupProbe"] =
                        json!({"httpGet": {"port": "no_such"}})
                }),
                vec![
                    "spec.containers[0].startupProbe.httpGet.port: Invalid value: \"no_such\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["env"] = json!([{"name": "A=B", "value": "1"}])
                }),
                vec![
                    "spec.containers[0].env[0].name: Invalid value: \"A=B\": must consist of printable ASCII characters except '='",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["env"] = json!([{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "spec.nope"}}}])
                }),
                vec![
                    "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.nope\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["env"] = json!([{"name": "N", "valueFrom": {}}])
                }),
                vec![
                    "spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                ],
            ),
            (
                Box::new(|v| v["spec"]["activeDeadlineSeconds"] = json!(0)),
                vec![
                    "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["ephemeralContainers"] =
                        json!([{"name": "debug", "image": "busybox"}])
                }),
                vec!["spec.ephemeralContainers: Forbidden: cannot be set on create"],
            ),
        ];
        for (edit, want) in cases {
            assert_eq!(messages(&validate_pod_create(&pod(edit))), want);
        }
    }

    #[test]
    fn scheduling_security_and_lifecycle_rules() {
        let cases: Vec<Case<&str>> = vec![
            (
                Box::new(|v| {
                    v["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                        {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "Near"}]}]}}})
                }),
                vec![
                    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["affinity"] = json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution":
                        [{"weight": 0, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {"app": "web"}}}}]}})
                }),
                vec![
                    "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["topologySpreadConstraints"] = json!([
                        {"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"},
                        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}])
                }),
                vec![
                    "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
                    "spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: \"{zone, DoNotSchedule}\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["securityContext"] =
                        json!({"runAsUser": -1, "fsGroupChangePolicy": "Never"})
                }),
                vec![
                    "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
                    "spec.securityContext.fsGroupChangePolicy: Unsupported value: \"Never\": supported values: \"Always\", \"OnRootMismatch\"",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["containers"][0]["securityContext"] =
                        json!({"seccompProfile": {"type": "Localhost"}})
                }),
                vec![
                    "spec.containers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost",
                ],
            ),
            (
                Box::new(|v| v["spec"]["containers"][0]["lifecycle"] = json!({"preStop": {}})),
                vec![
                    "spec.containers[0].lifecycle.preStop: Required value: must specify a handler type",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["initContainers"] = json!([{"name": "nginx", "image": "busybox",
                        "readinessProbe": {"exec": {"command": ["true"]}}}])
                }),
                vec![
                    "spec.initContainers[0].name: Duplicate value: \"nginx\"",
                    "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["hostNetwork"] = json!(true);
                    v["spec"]["containers"][0]["ports"][0]["hostPort"] = json!(8080);
                }),
                vec![
                    "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true",
                ],
            ),
            (
                Box::new(|v| {
                    v["spec"]["hostAliases"] = json!([{"ip": "10.0.0.300", "hostnames": ["db"]}])
                }),
                vec![
                    "spec.hostAliases[0].ip: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                ],
            ),
        ];
        for (edit, want) in cases {
            assert_eq!(messages(&validate_pod_create(&pod(edit))), want);
        }
        // host networking defaults hostPort to containerPort on pods
        let p = pod(|v| v["spec"]["hostNetwork"] = json!(true));
        assert!(validate_pod_create(&p).is_empty());
    }

    #[test]
    fn update_allows_only_mutable_fields() {
        let old = pod(|v| v["spec"]["activeDeadlineSeconds"] = json!(10));
        let forbidden = format!("spec: Forbidden: {POD_UPDATE_FORBIDDEN}");
        let cases: Vec<Case<String>> = vec![
            (Box::new(|v| v["spec"]["activeDeadlineSeconds"] = json!(10)), vec![]),
            (
                Box::new(|v| {
                    v["spec"]["activeDeadlineSeconds"] = json!(5);
                    v["spec"]["containers"][0]["image"] = json!("nginx:1.26");
                    v["spec"]["tolerations"] = json!([{"key": "k", "operator": "Exists"}]);
                }),
                vec![],
            ),
            (
                Box::new(|v| v["spec"]["activeDeadlineSeconds"] = json!(20)),
                vec!["spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value".into()],
            ),
            (
                Box::new(|_| {}),
                vec!["spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value".into()],
            ),
            (
                Box::new(|v| {
                    v["spec"]["activeDeadlineSeconds"] = json!(10);
                    v["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(8080);
                }),
                vec![forbidden.clone()],
            ),
            (
                Box::new(|v| {
                    v["spec"]["activeDeadlineSeconds"] = json!(10);
                    let c = json!({"name": "sidecar", "image": "busybox"});
                    v["spec"]["containers"].as_array_mut().unwrap().push(c);
                }),
                vec!["spec.containers: Forbidden: pod updates may not add or remove containers".into()],
            ),
        ];
        for (edit, want) in cases {
            assert_eq!(messages(&validate_pod_update(&pod(edit), &old)), want);
        }
        // removing a toleration the pod was admitted with
        let mut new = old.clone();
        new.spec
            .as_mut()
            .unwrap()
            .tolerations
            .as_mut()
            .unwrap()
            .pop();
        assert_eq!(
            messages(&validate_pod_update(&new, &old)),
            vec![
                "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
            ]
        );
    }

    #[test]
    fn template_forbids_ephemeral_containers() {
        let mut t = PodTemplateSpec {
            spec: Some(pod(|_| {}).spec.unwrap()),
            ..Default::default()
        };
        t.spec.as_mut().unwrap().ephemeral_containers = Some(vec![Default::default()]);
        let errs = validate_pod_template_spec(&t, &Path::new("template"));
        assert_eq!(
            errs.last().map(ToString::to_string).as_deref(),
            Some(
                "template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template"
            )
        );
    }
}
