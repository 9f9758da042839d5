//! Services, ConfigMaps, Secrets, Namespaces, Nodes, ServiceAccounts, Endpoints,
//! EndpointSlices, Events and Leases.

use std::collections::BTreeSet;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::events::v1::Event as EventsV1Event;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{
    invalid_each, to_value, too_long, validate_immutable, validate_labels, validate_nonnegative,
    validate_object_meta, validate_object_meta_update,
};
use super::names::{
    is_config_map_key, is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_ip,
    is_valid_label_value, is_valid_port_num, name_is_dns_label, name_is_dns_subdomain,
    name_is_dns1035_label,
};
use super::pod::{validate_port_num_or_name, validate_protocol, validate_taint_effect};
use crate::FieldError;
use crate::field_error::Path;

/// Upstream's limit on the data of one ConfigMap or Secret.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

pub const IMMUTABLE_WHEN_SET: &str = "field is immutable when `immutable` is set";

fn s(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or_default()
}

fn is_headless(service: &Service) -> bool {
    service
        .spec
        .as_ref()
        .is_some_and(|sp| s(&sp.cluster_ip) == "None")
}

/// `ValidateService`, in upstream's order (cluster IP allocation is the API server's).
pub fn validate_service(service: &Service) -> Vec<FieldError> {
    let mut errs = validate_object_meta(
        &service.metadata,
        name_is_dns1035_label,
        &Path::new("metadata"),
    );
    let spec = service.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    let type_ = s(&spec.type_);
    let ports = spec.ports.clone().unwrap_or_default();
    let headless = is_headless(service);
    if ports.is_empty() && !headless && type_ != "ExternalName" {
        errs.push(FieldError::required(sp.child("ports"), ""));
    }
    let cluster_ips = spec.cluster_ips.clone().unwrap_or_default();
    match type_ {
        "LoadBalancer" | "NodePort" if headless => errs.push(FieldError::invalid(
            sp.child("clusterIPs").index(0),
            "None",
            format!("may not be set to 'None' for {type_} services"),
        )),
        "ExternalName" => {
            if !cluster_ips.is_empty() {
                errs.push(FieldError::forbidden(
                    sp.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if spec.ip_families.as_ref().is_some_and(|f| !f.is_empty()) {
                errs.push(FieldError::forbidden(
                    sp.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if spec.ip_family_policy.is_some() {
                errs.push(FieldError::forbidden(
                    sp.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let cname = s(&spec.external_name).trim_end_matches('.');
            if cname.is_empty() {
                errs.push(FieldError::required(sp.child("externalName"), ""));
            } else {
                errs.extend(invalid_each(
                    &sp.child("externalName"),
                    cname,
                    is_dns1123_subdomain(cname),
                ));
            }
        }
        _ => {}
    }
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = sp.child("ports").index(i);
        let name = s(&port.name);
        if ports.len() > 1 && name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else if !name.is_empty() {
            errs.extend(invalid_each(&p.child("name"), name, is_dns1123_label(name)));
            if !names.insert(name) {
                errs.push(FieldError::duplicate(p.child("name"), name));
            }
        }
        for m in is_valid_port_num(port.port.into()) {
            errs.push(FieldError::invalid(p.child("port"), port.port, m));
        }
        errs.extend(validate_protocol(s(&port.protocol), &p.child("protocol")));
        errs.extend(validate_port_num_or_name(
            port.target_port.as_ref().unwrap_or(&IntOrString::Int(0)),
            &p.child("targetPort"),
        ));
        if let Some(app) = &port.app_protocol {
            errs.extend(invalid_each(
                &p.child("appProtocol"),
                app,
                is_qualified_name(app),
            ));
        }
    }
    if spec.selector.is_some() {
        errs.extend(validate_labels(
            spec.selector.as_ref(),
            &sp.child("selector"),
        ));
    }
    let affinity = s(&spec.session_affinity);
    match affinity {
        "" => errs.push(FieldError::required(sp.child("sessionAffinity"), "")),
        "ClientIP" => {
            let timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds);
            match timeout {
                None => errs.push(FieldError::required(
                    sp.child("sessionAffinityConfig")
                        .child("clientIP")
                        .child("timeoutSeconds"),
                    "",
                )),
                Some(t) if !(1..=86400).contains(&t) => errs.push(FieldError::invalid(
                    sp.child("sessionAffinityConfig")
                        .child("clientIP")
                        .child("timeoutSeconds"),
                    t,
                    "must be greater than 0 and less than 86400",
                )),
                _ => {}
            }
        }
        "None" => {
            if spec.session_affinity_config.is_some() {
                errs.push(FieldError::forbidden(
                    sp.child("sessionAffinityConfig"),
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            sp.child("sessionAffinity"),
            other,
            &["ClientIP", "None"],
        )),
    }
    let cluster_ip = s(&spec.cluster_ip);
    if !cluster_ips.is_empty() && !cluster_ip.is_empty() && cluster_ips[0] != cluster_ip {
        errs.push(FieldError::invalid(
            sp.child("clusterIPs").index(0),
            cluster_ips[0].as_str(),
            "must be same as clusterIP",
        ));
    }
    for (i, ip) in cluster_ips.iter().enumerate() {
        if !(i == 0 && ip == "None") {
            errs.extend(invalid_each(
                &sp.child("clusterIPs").index(i),
                ip,
                is_valid_ip(ip),
            ));
        }
    }
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        errs.extend(invalid_each(
            &sp.child("externalIPs").index(i),
            ip,
            is_valid_ip(ip),
        ));
    }
    const TYPES: [&str; 4] = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if type_.is_empty() {
        errs.push(FieldError::required(sp.child("type"), ""));
    } else if !TYPES.contains(&type_) {
        errs.push(FieldError::not_supported(sp.child("type"), type_, &TYPES));
    }
    if type_ == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if port.node_port.is_some_and(|n| n != 0) {
                errs.push(FieldError::forbidden(
                    sp.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut node_ports = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        if let Some(np) = port.node_port.filter(|n| *n != 0)
            && !node_ports.insert((s(&port.protocol).to_string(), np))
        {
            errs.push(FieldError::duplicate(
                sp.child("ports").index(i).child("nodePort"),
                np,
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        if !seen.insert((s(&port.protocol).to_string(), port.port)) {
            let key = serde_json::json!({"port": port.port, "protocol": s(&port.protocol)});
            errs.push(FieldError::duplicate(sp.child("ports").index(i), key));
        }
    }
    if let Some(itp) = spec.internal_traffic_policy.as_deref()
        && !matches!(itp, "Cluster" | "Local")
    {
        errs.push(FieldError::not_supported(
            sp.child("internalTrafficPolicy"),
            itp,
            &["Cluster", "Local"],
        ));
    }
    if let Some(etp) = spec
        .external_traffic_policy
        .as_deref()
        .filter(|e| !e.is_empty())
    {
        if !matches!(type_, "LoadBalancer" | "NodePort") {
            errs.push(FieldError::invalid(
                sp.child("externalTrafficPolicy"),
                etp,
                "may only be set for externally-accessible services",
            ));
        } else if !matches!(etp, "Cluster" | "Local") {
            errs.push(FieldError::not_supported(
                sp.child("externalTrafficPolicy"),
                etp,
                &["Cluster", "Local"],
            ));
        }
    }
    errs
}

/// `ValidateServiceUpdate`: the primary cluster IP may not change (unless to or from ExternalName).
pub fn validate_service_update(new: &Service, old: &Service) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    let new_spec = new.spec.clone().unwrap_or_default();
    let old_spec = old.spec.clone().unwrap_or_default();
    let external = |t: &Option<String>| s(t) == "ExternalName";
    if !external(&new_spec.type_) && !external(&old_spec.type_) {
        let old_ip = s(&old_spec.cluster_ip);
        let new_ip = s(&new_spec.cluster_ip);
        if !old_ip.is_empty() && !new_ip.is_empty() && old_ip != new_ip {
            errs.push(FieldError::invalid(
                "spec.clusterIPs[0]",
                new_ip,
                "may not change once set",
            ));
        }
    }
    errs.extend(validate_service(new));
    errs
}

pub fn validate_config_map(cm: &ConfigMap) -> Vec<FieldError> {
    let mut errs =
        validate_object_meta(&cm.metadata, name_is_dns_subdomain, &Path::new("metadata"));
    let mut total = 0;
    let binary = cm.binary_data.clone().unwrap_or_default();
    for (key, value) in cm.data.iter().flatten() {
        let p = Path::new("data").key(key);
        errs.extend(invalid_each(&p, key, is_config_map_key(key)));
        if binary.contains_key(key) {
            errs.push(FieldError::invalid(
                &p,
                key.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total += value.len();
    }
    for (key, value) in &binary {
        errs.extend(invalid_each(
            &Path::new("binaryData").key(key),
            key,
            is_config_map_key(key),
        ));
        total += value.0.len();
    }
    if total > MAX_SECRET_SIZE {
        // Upstream's path here is `field.NewPath("")`, which prints as `[]`.
        errs.push(too_long(&Path::new("[]"), MAX_SECRET_SIZE));
    }
    errs
}

pub fn validate_config_map_update(new: &ConfigMap, old: &ConfigMap) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    if old.immutable == Some(true) {
        if new.immutable != Some(true) {
            errs.push(FieldError::forbidden("immutable", IMMUTABLE_WHEN_SET));
        }
        if new.data != old.data {
            errs.push(FieldError::forbidden("data", IMMUTABLE_WHEN_SET));
        }
        if new.binary_data != old.binary_data {
            errs.push(FieldError::forbidden("binaryData", IMMUTABLE_WHEN_SET));
        }
    }
    errs.extend(validate_config_map(new));
    errs
}

pub fn validate_secret(secret: &Secret) -> Vec<FieldError> {
    let mut errs = validate_object_meta(
        &secret.metadata,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    );
    let data_path = Path::new("data");
    let data = secret.data.clone().unwrap_or_default();
    let mut total = 0;
    for (key, value) in &data {
        errs.extend(invalid_each(
            &data_path.key(key),
            key,
            is_config_map_key(key),
        ));
        total += value.0.len();
    }
    if total > MAX_SECRET_SIZE {
        errs.push(too_long(&data_path, MAX_SECRET_SIZE));
    }
    let require = |errs: &mut Vec<FieldError>, key: &str| {
        if !data.contains_key(key) {
            errs.push(FieldError::required(data_path.key(key), ""));
        }
    };
    match s(&secret.type_) {
        "kubernetes.io/service-account-token" => {
            let sa = secret
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubernetes.io/service-account.name"));
            if sa.is_none_or(String::is_empty) {
                errs.push(FieldError::required(
                    Path::new("metadata")
                        .child("annotations")
                        .key("kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        t @ ("kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson") => {
            let key = if t == "kubernetes.io/dockercfg" {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            match data.get(key) {
                None => errs.push(FieldError::required(data_path.key(key), "")),
                Some(bytes) => {
                    if let Err(e) = serde_json::from_slice::<
                        serde_json::Map<String, serde_json::Value>,
                    >(&bytes.0)
                    {
                        errs.push(FieldError::invalid(
                            data_path.key(key),
                            "<secret contents redacted>",
                            e.to_string(),
                        ));
                    }
                }
            }
        }
        "kubernetes.io/basic-auth"
            if !data.contains_key("username") && !data.contains_key("password") =>
        {
            require(&mut errs, "username");
            require(&mut errs, "password");
        }
        "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(|v| v.0.is_empty()) => {
            errs.push(FieldError::required(data_path.key("ssh-privatekey"), ""));
        }
        "kubernetes.io/tls" => {
            require(&mut errs, "tls.crt");
            require(&mut errs, "tls.key");
        }
        _ => {}
    }
    errs
}

pub fn validate_secret_update(new: &Secret, old: &Secret) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_immutable(
        &s(&new.type_),
        &s(&old.type_),
        &Path::new("type"),
    ));
    if old.immutable == Some(true) {
        if new.immutable != Some(true) {
            errs.push(FieldError::forbidden("immutable", IMMUTABLE_WHEN_SET));
        }
        if new.data != old.data {
            errs.push(FieldError::forbidden("data", IMMUTABLE_WHEN_SET));
        }
    }
    errs.extend(validate_secret(new));
    errs
}

fn validate_namespace_finalizers(ns: &Namespace) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let path = Path::new("spec.finalizers");
    for f in ns
        .spec
        .as_ref()
        .and_then(|sp| sp.finalizers.as_ref())
        .into_iter()
        .flatten()
    {
        let msgs = is_qualified_name(f);
        if !msgs.is_empty() {
            errs.extend(invalid_each(&path, f, msgs));
        } else if !f.contains('/')
            && !matches!(f.as_str(), "kubernetes" | "orphan" | "foregroundDeletion")
        {
            errs.push(FieldError::invalid(
                &path,
                f.as_str(),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

pub fn validate_namespace(ns: &Namespace) -> Vec<FieldError> {
    let mut errs = validate_object_meta(&ns.metadata, name_is_dns_label, &Path::new("metadata"));
    errs.extend(validate_namespace_finalizers(ns));
    errs
}

pub fn validate_namespace_update(new: &Namespace) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_namespace_finalizers(new));
    errs
}

pub fn validate_node(node: &Node) -> Vec<FieldError> {
    let mut errs = validate_object_meta(
        &node.metadata,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_node_spec(node));
    errs
}

fn validate_node_spec(node: &Node) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let spec = node.spec.clone().unwrap_or_default();
    let taints = spec.taints.unwrap_or_default();
    let mut seen = BTreeSet::new();
    for (i, taint) in taints.iter().enumerate() {
        let p = Path::new("spec.taints").index(i);
        errs.extend(invalid_each(
            &p.child("key"),
            &taint.key,
            is_qualified_name(&taint.key),
        ));
        let value = s(&taint.value);
        errs.extend(invalid_each(
            &p.child("value"),
            value,
            is_valid_label_value(value),
        ));
        if taint.effect.is_empty() {
            errs.push(FieldError::required(p.child("effect"), ""));
        } else {
            errs.extend(validate_taint_effect(&taint.effect, &p.child("effect")));
        }
        if !seen.insert((taint.key.clone(), taint.effect.clone())) {
            errs.push(FieldError::duplicate(
                p,
                serde_json::json!({"key": taint.key, "effect": taint.effect}),
            ));
        }
    }
    for (i, cidr) in spec.pod_cidrs.iter().flatten().enumerate() {
        if !is_valid_cidr(cidr) {
            errs.push(FieldError::invalid(
                Path::new("spec.podCIDRs").index(i),
                cidr.as_str(),
                "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            ));
        }
    }
    errs
}

fn is_valid_cidr(cidr: &str) -> bool {
    let Some((ip, bits)) = cidr.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits <= 32,
        Ok(std::net::IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

pub fn validate_node_update(new: &Node) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(&new.metadata, &Path::new("metadata"));
    errs.extend(validate_node_spec(new));
    errs
}

pub fn validate_service_account(sa: &ServiceAccount) -> Vec<FieldError> {
    validate_object_meta(&sa.metadata, name_is_dns_subdomain, &Path::new("metadata"))
}

pub fn validate_endpoints(ep: &Endpoints) -> Vec<FieldError> {
    let mut errs =
        validate_object_meta(&ep.metadata, name_is_dns_subdomain, &Path::new("metadata"));
    for (i, subset) in ep.subsets.iter().flatten().enumerate() {
        let p = Path::new("subsets").index(i);
        let addresses = subset.addresses.as_deref().unwrap_or_default();
        let not_ready = subset.not_ready_addresses.as_deref().unwrap_or_default();
        if addresses.is_empty() && not_ready.is_empty() {
            errs.push(FieldError::required(
                &p,
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (field, list) in [("addresses", addresses), ("notReadyAddresses", not_ready)] {
            for (j, addr) in list.iter().enumerate() {
                let ap = p.child(field).index(j);
                errs.extend(invalid_each(
                    &ap.child("ip"),
                    &addr.ip,
                    is_valid_ip(&addr.ip),
                ));
                if let Some(h) = addr.hostname.as_deref().filter(|h| !h.is_empty()) {
                    errs.extend(invalid_each(&ap.child("hostname"), h, is_dns1123_label(h)));
                }
                if let Some(n) = addr.node_name.as_deref().filter(|n| !n.is_empty()) {
                    errs.extend(invalid_each(
                        &ap.child("nodeName"),
                        n,
                        name_is_dns_subdomain(n, false),
                    ));
                }
            }
        }
        let ports = subset.ports.as_deref().unwrap_or_default();
        for (j, port) in ports.iter().enumerate() {
            let pp = p.child("ports").index(j);
            let name = s(&port.name);
            if ports.len() > 1 && name.is_empty() {
                errs.push(FieldError::required(pp.child("name"), ""));
            } else if !name.is_empty() {
                errs.extend(invalid_each(
                    &pp.child("name"),
                    name,
                    is_dns1123_label(name),
                ));
            }
            for m in is_valid_port_num(port.port.into()) {
                errs.push(FieldError::invalid(pp.child("port"), port.port, m));
            }
            errs.extend(validate_protocol(s(&port.protocol), &pp.child("protocol")));
        }
    }
    errs
}

pub fn validate_endpoint_slice(slice: &EndpointSlice) -> Vec<FieldError> {
    let mut errs = validate_object_meta(
        &slice.metadata,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    );
    const TYPES: [&str; 3] = ["FQDN", "IPv4", "IPv6"];
    if slice.address_type.is_empty() {
        errs.push(FieldError::required("addressType", ""));
    } else if !TYPES.contains(&slice.address_type.as_str()) {
        errs.push(FieldError::not_supported(
            "addressType",
            slice.address_type.as_str(),
            &TYPES,
        ));
    }
    for (i, ep) in slice.endpoints.iter().flatten().enumerate() {
        let p = Path::new("endpoints").index(i);
        if ep.addresses.is_empty() {
            errs.push(FieldError::required(
                p.child("addresses"),
                "must contain at least 1 address",
            ));
        } else if ep.addresses.len() > 100 {
            errs.push(FieldError {
                kind: crate::FieldErrorType::TooMany,
                field: p.child("addresses").into(),
                value: Some(ep.addresses.len().into()),
                detail: "must have at most 100 items".to_string(),
            });
        }
        for (j, addr) in ep.addresses.iter().enumerate() {
            let ap = p.child("addresses").index(j);
            match slice.address_type.as_str() {
                "IPv4" if addr.parse::<std::net::Ipv4Addr>().is_err() => errs.push(
                    FieldError::invalid(&ap, addr.as_str(), "must be a valid IPv4 address"),
                ),
                "IPv6" if addr.parse::<std::net::Ipv6Addr>().is_err() => errs.push(
                    FieldError::invalid(&ap, addr.as_str(), "must be a valid IPv6 address"),
                ),
                "FQDN" => errs.extend(invalid_each(&ap, addr, is_dns1123_subdomain(addr))),
                _ => {}
            }
        }
        if let Some(h) = ep.hostname.as_deref() {
            errs.extend(invalid_each(&p.child("hostname"), h, is_dns1123_label(h)));
        }
    }
    let ports = slice.ports.as_deref().unwrap_or_default();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = Path::new("ports").index(i);
        let name = s(&port.name);
        if !name.is_empty() {
            errs.extend(invalid_each(&p.child("name"), name, is_dns1123_label(name)));
        }
        if !names.insert(name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        }
        if let Some(n) = port.port {
            for m in is_valid_port_num(n.into()) {
                errs.push(FieldError::invalid(p.child("port"), n, m));
            }
        }
        errs.extend(validate_protocol(s(&port.protocol), &p.child("protocol")));
    }
    errs
}

pub fn validate_endpoint_slice_update(new: &EndpointSlice, old: &EndpointSlice) -> Vec<FieldError> {
    let mut errs = validate_endpoint_slice(new);
    errs.extend(validate_immutable(
        &new.address_type,
        &old.address_type,
        &Path::new("addressType"),
    ));
    errs
}

fn event_namespace_errors(
    event_namespace: &str,
    object_namespace: &str,
    new_style: bool,
) -> Vec<FieldError> {
    let path = "involvedObject.namespace";
    let mismatch = if object_namespace.is_empty() {
        if new_style {
            event_namespace != "default" && event_namespace != "kube-system"
        } else {
            !event_namespace.is_empty() && event_namespace != "default"
        }
    } else {
        event_namespace != object_namespace
    };
    if mismatch {
        vec![FieldError::invalid(
            path,
            object_namespace,
            "does not match event.namespace",
        )]
    } else {
        Vec::new()
    }
}

/// The fields `legacyValidateEvent` reads, as the API writing the Event names them: every
/// Event passes these checks, whichever API writes it.
struct LegacyEvent<'a> {
    namespace: &'a str,
    object_namespace: &'a str,
    /// `eventTime` is set: an Event in the events.k8s.io style.
    new_style: bool,
    /// `reportingComponent` (core/v1) or `reportingController` (events.k8s.io/v1).
    controller_field: &'static str,
    controller: &'a str,
    instance: &'a str,
    action: &'a str,
    reason: &'a str,
    message_len: usize,
}

fn legacy_event_errors(event: &LegacyEvent) -> Vec<FieldError> {
    let mut errs = event_namespace_errors(event.namespace, event.object_namespace, event.new_style);
    if event.new_style {
        errs.extend(validate_new_style_event(event));
    }
    errs.extend(invalid_each(
        &Path::new("namespace"),
        event.namespace,
        is_dns1123_subdomain(event.namespace),
    ));
    errs
}

/// Fields an Event made by the events.k8s.io API must carry (`legacyValidateEvent` when
/// eventTime is set).
fn validate_new_style_event(event: &LegacyEvent) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (controller_field, controller) = (event.controller_field, event.controller);
    if controller.is_empty() {
        errs.push(FieldError::required(controller_field, ""));
    }
    errs.extend(invalid_each(
        &Path::new(controller_field),
        controller,
        is_qualified_name(controller),
    ));
    for (field, value, limit) in [
        ("reportingInstance", event.instance, 128),
        ("action", event.action, 128),
        ("reason", event.reason, 128),
    ] {
        if value.is_empty() {
            errs.push(FieldError::required(field, ""));
        }
        if value.len() > limit {
            errs.push(FieldError::invalid(
                field,
                "",
                format!("can have at most {limit} characters"),
            ));
        }
    }
    if event.message_len > 1024 {
        errs.push(FieldError::invalid(
            "message",
            "",
            "can have at most 1024 characters",
        ));
    }
    errs
}

pub fn validate_event(event: &Event) -> Vec<FieldError> {
    legacy_event_errors(&LegacyEvent {
        namespace: s(&event.metadata.namespace),
        object_namespace: s(&event.involved_object.namespace),
        new_style: event.event_time.is_some(),
        controller_field: "reportingComponent",
        controller: s(&event.reporting_component),
        instance: s(&event.reporting_instance),
        action: s(&event.action),
        reason: s(&event.reason),
        message_len: s(&event.message).len(),
    })
}

/// events.k8s.io/v1 Events are validated strictly on create (`ValidateEventCreate`).
pub fn validate_events_v1_event(event: &EventsV1Event) -> Vec<FieldError> {
    let mut errs = legacy_events_v1_errors(event);
    errs.extend(validate_object_meta(
        &event.metadata,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    ));
    if event.event_time.is_none() {
        errs.push(FieldError::required("eventTime", ""));
    }
    let type_ = s(&event.type_);
    if type_ != "Normal" && type_ != "Warning" {
        errs.push(FieldError::invalid(
            "type",
            "",
            format!("has invalid value: {type_}"),
        ));
    }
    for (field, set) in [
        ("firstTimestamp", event.deprecated_first_timestamp.is_some()),
        ("lastTimestamp", event.deprecated_last_timestamp.is_some()),
        ("count", event.deprecated_count.is_some_and(|c| c != 0)),
    ] {
        if set {
            errs.push(FieldError::invalid(field, "", "needs to be unset"));
        }
    }
    errs
}

/// An update through events.k8s.io/v1 (`ValidateEventUpdate`): the legacy checks, and
/// everything but the series stays as it was (an Event recorded again grows its series).
pub fn validate_events_v1_event_update(
    new: &EventsV1Event,
    old: &EventsV1Event,
) -> Vec<FieldError> {
    let mut errs = legacy_events_v1_errors(new);
    let mut immutable = |field: &str, new: serde_json::Value, old: serde_json::Value| {
        errs.extend(validate_immutable(&new, &old, &Path::new(field)));
    };
    immutable(
        "deprecatedCount",
        to_value(&new.deprecated_count),
        to_value(&old.deprecated_count),
    );
    immutable(
        "deprecatedSource",
        to_value(&new.deprecated_source),
        to_value(&old.deprecated_source),
    );
    immutable(
        "deprecatedFirstTimestamp",
        to_value(&new.deprecated_first_timestamp),
        to_value(&old.deprecated_first_timestamp),
    );
    immutable(
        "deprecatedLastTimestamp",
        to_value(&new.deprecated_last_timestamp),
        to_value(&old.deprecated_last_timestamp),
    );
    immutable(
        "regarding",
        to_value(&new.regarding),
        to_value(&old.regarding),
    );
    immutable("reason", to_value(&new.reason), to_value(&old.reason));
    immutable("action", to_value(&new.action), to_value(&old.action));
    immutable("note", to_value(&new.note), to_value(&old.note));
    immutable("related", to_value(&new.related), to_value(&old.related));
    immutable("type", to_value(&new.type_), to_value(&old.type_));
    immutable(
        "eventTime",
        to_value(&new.event_time),
        to_value(&old.event_time),
    );
    immutable(
        "reportingController",
        to_value(&new.reporting_controller),
        to_value(&old.reporting_controller),
    );
    immutable(
        "reportingInstance",
        to_value(&new.reporting_instance),
        to_value(&old.reporting_instance),
    );
    errs
}

/// [`legacy_event_errors`] of an events.k8s.io/v1 Event.
fn legacy_events_v1_errors(event: &EventsV1Event) -> Vec<FieldError> {
    legacy_event_errors(&LegacyEvent {
        namespace: s(&event.metadata.namespace),
        object_namespace: event
            .regarding
            .as_ref()
            .map(|r| s(&r.namespace))
            .unwrap_or_default(),
        new_style: event.event_time.is_some(),
        controller_field: "reportingController",
        controller: s(&event.reporting_controller),
        instance: s(&event.reporting_instance),
        action: s(&event.action),
        reason: s(&event.reason),
        message_len: s(&event.note).len(),
    })
}

pub fn validate_lease(lease: &Lease) -> Vec<FieldError> {
    let mut errs = validate_object_meta(
        &lease.metadata,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    );
    let spec = lease.spec.clone().unwrap_or_default();
    if let Some(d) = spec.lease_duration_seconds.filter(|d| *d <= 0) {
        errs.push(FieldError::invalid(
            "spec.leaseDurationSeconds",
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = spec.lease_transitions {
        errs.extend(validate_nonnegative(
            t.into(),
            &Path::new("spec.leaseTransitions"),
        ));
    }
    if let Some(strategy) = spec.strategy.as_deref()
        && strategy != "OldestEmulationVersion"
    {
        errs.push(FieldError::not_supported(
            "spec.strategy",
            strategy,
            &["OldestEmulationVersion"],
        ));
    }
    if spec.preferred_holder.is_some() && spec.strategy.is_none() {
        errs.push(FieldError::forbidden(
            "spec.preferredHolder",
            "may only be specified if `strategy` is defined",
        ));
    }
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

    fn object<T: Defaulting + serde::de::DeserializeOwned>(v: Value) -> T {
        let mut obj: T = serde_json::from_value(v).unwrap();
        obj.apply_defaults();
        obj
    }

    fn service(spec: Value) -> Service {
        object(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec}))
    }

    #[test]
    fn service_rules() {
        assert!(
            validate_service(&service(
                json!({"selector": {"app": "web"}, "ports": [{"port": 80}]})
            ))
            .is_empty()
        );
        assert!(
            validate_service(&service(
                json!({"clusterIP": "None", "selector": {"app": "web"}})
            ))
            .is_empty()
        );
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                json!({"selector": {"app": "web"}}),
                vec!["spec.ports: Required value"],
            ),
            (
                json!({"ports": [{"port": 80}, {"port": 81}]}),
                vec![
                    "spec.ports[0].name: Required value",
                    "spec.ports[1].name: Required value",
                ],
            ),
            (
                json!({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}),
                vec!["spec.ports[1].name: Duplicate value: \"http\""],
            ),
            (
                json!({"ports": [{"port": 0}]}),
                vec![
                    "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                    "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                ],
            ),
            (
                json!({"type": "Magic", "ports": [{"port": 80}]}),
                vec![
                    "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "nodePort": 30080}]}),
                vec![
                    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
                ],
            ),
            (
                json!({"sessionAffinity": "Sticky", "ports": [{"port": 80}]}),
                vec![
                    "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"",
                ],
            ),
            (
                json!({"type": "ExternalName"}),
                vec!["spec.externalName: Required value"],
            ),
            (
                json!({"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]}),
                vec![
                    "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
                ],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(messages(&validate_service(&service(spec))), want);
        }
        let bad_name: Service =
            object(json!({"metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}}));
        assert_eq!(validate_service(&bad_name)[0].field, "metadata.name");
    }

    #[test]
    fn service_cluster_ip_is_fixed() {
        let old = service(json!({"clusterIP": "10.96.0.10", "ports": [{"port": 80}]}));
        let new = service(json!({"clusterIP": "10.96.0.11", "ports": [{"port": 80}]}));
        assert_eq!(
            messages(&validate_service_update(&new, &old)),
            vec!["spec.clusterIPs[0]: Invalid value: \"10.96.0.11\": may not change once set"]
        );
    }

    #[test]
    fn config_maps_and_secrets() {
        let cm: ConfigMap = object(
            json!({"metadata": {"name": "cfg"}, "data": {"bad key": "v", "ok": "v"},
            "binaryData": {"ok": "dg=="}}),
        );
        assert_eq!(
            messages(&validate_config_map(&cm)),
            vec![
                "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                "data[ok]: Invalid value: \"ok\": duplicate of key present in binaryData",
            ]
        );
        let big: ConfigMap = object(
            json!({"metadata": {"name": "big"}, "data": {"k": "x".repeat(MAX_SECRET_SIZE + 1)}}),
        );
        assert_eq!(
            messages(&validate_config_map(&big)),
            vec!["[]: Too long: may not be more than 1048576 bytes"]
        );
        let old: ConfigMap =
            object(json!({"metadata": {"name": "cfg"}, "data": {"a": "1"}, "immutable": true}));
        let new: ConfigMap = object(json!({"metadata": {"name": "cfg"}, "data": {"a": "2"}}));
        assert_eq!(
            messages(&validate_config_map_update(&new, &old)),
            vec![
                "immutable: Forbidden: field is immutable when `immutable` is set",
                "data: Forbidden: field is immutable when `immutable` is set",
            ]
        );
        let tls: Secret = object(
            json!({"metadata": {"name": "tls"}, "type": "kubernetes.io/tls", "data": {"tls.crt": ""}}),
        );
        assert_eq!(
            messages(&validate_secret(&tls)),
            vec!["data[tls.key]: Required value"]
        );
        let opaque: Secret =
            object(json!({"metadata": {"name": "s"}, "stringData": {"password": "x"}}));
        assert!(validate_secret(&opaque).is_empty());
        assert_eq!(
            messages(&validate_secret_update(&tls, &opaque)),
            vec![
                "type: Invalid value: \"kubernetes.io/tls\": field is immutable",
                "data[tls.key]: Required value"
            ]
        );
    }

    #[test]
    fn namespaces_nodes_and_endpoints() {
        let ns: Namespace = object(json!({"metadata": {"name": "team.a"}}));
        assert_eq!(
            messages(&validate_namespace(&ns)),
            vec!["metadata.name: Invalid value: \"team.a\": must not contain dots"]
        );
        let node: Node = object(json!({"metadata": {"name": "node-1"},
            "spec": {"taints": [{"key": "k", "effect": "Sometimes"}], "podCIDRs": ["10.0.0.0/33"]}}));
        assert_eq!(
            messages(&validate_node(&node)),
            vec![
                "spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
                "spec.podCIDRs[0]: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            ]
        );
        let ep: Endpoints = object(json!({"metadata": {"name": "web"},
            "subsets": [{"ports": [{"port": 80}]}, {"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}, {"port": 81}]}]}));
        assert_eq!(
            messages(&validate_endpoints(&ep)),
            vec![
                "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`",
                "subsets[1].ports[0].name: Required value",
                "subsets[1].ports[1].name: Required value",
            ]
        );
        let slice: EndpointSlice = object(
            json!({"metadata": {"name": "web-abc"}, "addressType": "IPv4",
            "endpoints": [{"addresses": ["fe80::1"]}], "ports": [{"port": 80}]}),
        );
        assert_eq!(
            messages(&validate_endpoint_slice(&slice)),
            vec![
                "endpoints[0].addresses[0]: Invalid value: \"fe80::1\": must be a valid IPv4 address"
            ]
        );
    }

    #[test]
    fn events_and_leases() {
        let ev: Event = object(
            json!({"metadata": {"name": "web.1", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "namespace": "other", "name": "web-0"}}),
        );
        assert_eq!(
            messages(&validate_event(&ev)),
            vec![
                "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"
            ]
        );
        let ev: EventsV1Event = object(
            json!({"metadata": {"name": "web.1", "namespace": "default"},
            "eventTime": "2026-11-24T10:00:00.000000Z", "type": "Normal", "reason": "Created", "action": "Create",
            "reportingController": "berth.dev/statefulset", "reportingInstance": "berth-1",
            "regarding": {"kind": "Pod", "namespace": "default", "name": "web-0"}}),
        );
        assert!(validate_events_v1_event(&ev).is_empty());
        let mut grown = ev.clone();
        grown.series = Some(k8s_openapi::api::events::v1::EventSeries {
            count: 2,
            last_observed_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(
                "2026-11-24T10:00:01Z".parse().unwrap(),
            ),
        });
        assert!(validate_events_v1_event_update(&grown, &ev).is_empty());
        grown.note = Some("changed".into());
        assert_eq!(
            messages(&validate_events_v1_event_update(&grown, &ev)),
            vec!["note: Invalid value: \"changed\": field is immutable"]
        );
        let lease: Lease =
            object(json!({"metadata": {"name": "l"}, "spec": {"leaseDurationSeconds": 0}}));
        assert_eq!(
            messages(&validate_lease(&lease)),
            vec!["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"]
        );
    }
}
