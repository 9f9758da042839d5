//! What the Endpoints object and the EndpointSlices of a Service should hold, computed
//! from the Service and the pods it selects (upstream `pkg/controller/endpoint` and
//! `staging/src/k8s.io/endpointslice`). Pure functions, no I/O.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, ObjectReference, Pod, Service, ServicePort,
};
use k8s_openapi::api::discovery::v1::{
    Endpoint, EndpointConditions, EndpointHints, EndpointPort as SlicePort, EndpointSlice,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
pub const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// Upstream's default `--max-endpoints-per-slice`.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

pub fn is_headless(service: &Service) -> bool {
    service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
}

fn publishes_not_ready(service: &Service) -> bool {
    service
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false)
}

fn service_ports(service: &Service) -> &[ServicePort] {
    service
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or_default()
}

pub fn pod_is_ready(pod: &Pod) -> bool {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn pod_ip(pod: &Pod) -> Option<&str> {
    let ip = pod.status.as_ref()?.pod_ip.as_deref()?;
    (!ip.is_empty()).then_some(ip)
}

/// Upstream `ShouldPodBeInEndpoints`: finished pods and pods without an IP never are;
/// terminating pods only when asked for.
fn pod_belongs(pod: &Pod, include_terminating: bool) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Succeeded" | "Failed")) || pod_ip(pod).is_none() {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// The pod port a service port sends to: the service port itself when no targetPort is
/// set, the number given, or the container port with that name and protocol.
pub fn target_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    match &port.target_port {
        None => Some(port.port),
        Some(IntOrString::Int(number)) => Some(*number),
        Some(IntOrString::String(name)) => {
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            let containers = pod.spec.as_ref().map(|s| s.containers.as_slice());
            containers
                .unwrap_or_default()
                .iter()
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| {
                    p.name.as_deref() == Some(name.as_str())
                        && p.protocol.as_deref().unwrap_or("TCP") == protocol
                })
                .map(|p| p.container_port)
        }
    }
}

/// A pod's DNS hostname under the service: only when the pod names the service as its
/// subdomain (the StatefulSet stable identity behind a headless service).
pub fn pod_hostname(pod: &Pod, service: &Service) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    let hostname = spec.hostname.as_deref().filter(|h| !h.is_empty())?;
    let same_namespace = pod.metadata.namespace == service.metadata.namespace;
    (same_namespace && spec.subdomain == service.metadata.name).then(|| hostname.to_string())
}

fn pod_reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".to_string()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}

/// The endpoint ports of one pod: one per service port whose target resolves.
fn endpoint_ports(pod: &Pod, service: &Service) -> Vec<EndpointPort> {
    service_ports(service)
        .iter()
        .filter_map(|port| {
            Some(EndpointPort {
                name: port.name.clone().filter(|n| !n.is_empty()),
                port: target_port(pod, port)?,
                protocol: Some(port.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: port.app_protocol.clone(),
            })
        })
        .collect()
}

/// The labels upstream gives Endpoints and EndpointSlices: the service's, plus the
/// headless marker.
pub fn service_labels(service: &Service) -> BTreeMap<String, String> {
    let mut labels = service.metadata.labels.clone().unwrap_or_default();
    if is_headless(service) {
        labels.insert(HEADLESS_LABEL.to_string(), String::new());
    } else {
        labels.remove(HEADLESS_LABEL);
    }
    labels
}

/// The subsets of the service's Endpoints object. Addresses with the same ports share a
/// subset; ready pods (or every pod, with `publishNotReadyAddresses`) go to `addresses`,
/// the others to `notReadyAddresses`.
pub fn endpoints_subsets(service: &Service, pods: &[&Pod]) -> Vec<EndpointSubset> {
    let tolerate_unready = publishes_not_ready(service);
    // Key: the port set, as JSON (EndpointPort is not Ord).
    let mut subsets: BTreeMap<String, EndpointSubset> = BTreeMap::new();
    for pod in pods {
        if !pod_belongs(pod, tolerate_unready) {
            continue;
        }
        let ports = endpoint_ports(pod, service);
        // A service with ports none of which the pod serves gets no address from it;
        // a headless service without ports lists every pod.
        if ports.is_empty() && !(service_ports(service).is_empty() && is_headless(service)) {
            continue;
        }
        let address = EndpointAddress {
            ip: pod_ip(pod).unwrap_or_default().to_string(),
            hostname: pod_hostname(pod, service),
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(pod_reference(pod)),
        };
        let key = serde_json::to_string(&ports).unwrap_or_default();
        let subset = subsets.entry(key).or_insert_with(|| EndpointSubset {
            ports: (!ports.is_empty()).then(|| ports.clone()),
            ..EndpointSubset::default()
        });
        let list = if tolerate_unready || pod_is_ready(pod) {
            &mut subset.addresses
        } else {
            &mut subset.not_ready_addresses
        };
        list.get_or_insert_with(Vec::new).push(address);
    }
    let mut subsets: Vec<EndpointSubset> = subsets.into_values().collect();
    for subset in &mut subsets {
        for addresses in [&mut subset.addresses, &mut subset.not_ready_addresses]
            .into_iter()
            .flatten()
        {
            addresses.sort_by(|a, b| {
                (&a.ip, a.target_ref.as_ref().map(|r| &r.uid))
                    .cmp(&(&b.ip, b.target_ref.as_ref().map(|r| &r.uid)))
            });
        }
    }
    subsets
}

/// One group of slices: endpoints of one address type that share one port set.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceGroup {
    pub address_type: String,
    pub ports: Vec<SlicePort>,
    pub endpoints: Vec<Endpoint>,
}

impl SliceGroup {
    fn key(&self) -> String {
        group_key(&self.address_type, &self.ports)
    }
}

fn group_key(address_type: &str, ports: &[SlicePort]) -> String {
    let mut ports: Vec<String> = ports
        .iter()
        .map(|p| serde_json::to_string(p).unwrap_or_default())
        .collect();
    ports.sort();
    format!("{address_type}/{}", ports.join(","))
}

/// The endpoints the service's slices should hold, grouped by address type and ports.
/// Terminating pods are kept (with `terminating: true`), as upstream does for slices.
/// `zone_of` gives a node's `topology.kubernetes.io/zone`.
pub fn slice_groups(
    service: &Service,
    pods: &[&Pod],
    zone_of: impl Fn(&str) -> Option<String>,
) -> Vec<SliceGroup> {
    let publish = publishes_not_ready(service);
    let mut groups: BTreeMap<String, SliceGroup> = BTreeMap::new();
    for pod in pods {
        if !pod_belongs(pod, true) {
            continue;
        }
        let ports = endpoint_ports(pod, service);
        if ports.is_empty() && !service_ports(service).is_empty() {
            continue;
        }
        let ip = pod_ip(pod).unwrap_or_default().to_string();
        let address_type = if ip.contains(':') { "IPv6" } else { "IPv4" };
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let serving = publish || pod_is_ready(pod);
        let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let endpoint = Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                // A terminating pod is never "ready" unless the service publishes them all.
                ready: Some(serving && (publish || !terminating)),
                serving: Some(serving),
                terminating: Some(terminating),
            }),
            hostname: pod_hostname(pod, service),
            zone: node_name.as_deref().and_then(&zone_of),
            node_name,
            target_ref: Some(pod_reference(pod)),
            deprecated_topology: None,
            hints: None::<EndpointHints>,
        };
        let ports: Vec<SlicePort> = ports
            .into_iter()
            .map(|p| SlicePort {
                name: Some(p.name.unwrap_or_default()),
                port: Some(p.port),
                protocol: p.protocol,
                app_protocol: p.app_protocol,
            })
            .collect();
        let key = group_key(address_type, &ports);
        groups
            .entry(key)
            .or_insert_with(|| SliceGroup {
                address_type: address_type.to_string(),
                ports,
                endpoints: Vec::new(),
            })
            .endpoints
            .push(endpoint);
    }
    let mut groups: Vec<SliceGroup> = groups.into_values().collect();
    for group in &mut groups {
        group.endpoints.sort_by(|a, b| {
            let name = |e: &Endpoint| e.target_ref.as_ref().and_then(|r| r.name.clone());
            (name(a), &a.addresses).cmp(&(name(b), &b.addresses))
        });
    }
    groups
}

/// The changes that bring a service's slices to the groups wanted.
#[derive(Debug, Default, PartialEq)]
pub struct SlicePlan {
    pub create: Vec<EndpointSlice>,
    pub update: Vec<EndpointSlice>,
    pub delete: Vec<String>,
}

/// Chunks each group into slices of at most [`MAX_ENDPOINTS_PER_SLICE`] and matches them
/// to the existing slices of the same address type and ports, so an unchanged service
/// writes nothing. A service that selects nothing keeps one empty placeholder slice, as
/// upstream does.
pub fn plan_slices(
    service: &Service,
    groups: &[SliceGroup],
    existing: &[EndpointSlice],
) -> SlicePlan {
    let mut wanted: Vec<SliceGroup> = Vec::new();
    for group in groups {
        for chunk in group.endpoints.chunks(MAX_ENDPOINTS_PER_SLICE) {
            wanted.push(SliceGroup {
                endpoints: chunk.to_vec(),
                ..group.clone()
            });
        }
    }
    if wanted.is_empty() {
        wanted.push(SliceGroup {
            address_type: "IPv4".to_string(),
            ports: Vec::new(),
            endpoints: Vec::new(),
        });
    }
    let mut unused: Vec<&EndpointSlice> = existing.iter().collect();
    unused.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let labels = slice_labels(service);
    let mut plan = SlicePlan::default();
    // First the slices that already have the group's ports, then any other slice of the
    // same address type (that field is immutable), so ports changing rewrites in place.
    let mut unmatched = Vec::new();
    for group in wanted {
        let key = group.key();
        let same_ports = unused.iter().position(|slice| {
            let ports = slice.ports.as_deref().unwrap_or_default();
            group_key(&slice.address_type, ports) == key
        });
        match same_ports {
            Some(index) => update_slice(&mut plan, service, &labels, unused.remove(index), group),
            None => unmatched.push(group),
        }
    }
    for group in unmatched {
        let same_type = unused
            .iter()
            .position(|slice| slice.address_type == group.address_type);
        match same_type {
            Some(index) => update_slice(&mut plan, service, &labels, unused.remove(index), group),
            None => plan.create.push(EndpointSlice {
                metadata: ObjectMeta {
                    generate_name: Some(slice_name_prefix(service)),
                    namespace: service.metadata.namespace.clone(),
                    labels: Some(labels.clone()),
                    owner_references: Some(vec![owner_reference(service)]),
                    ..ObjectMeta::default()
                },
                address_type: group.address_type,
                ports: (!group.ports.is_empty()).then_some(group.ports),
                endpoints: Some(group.endpoints),
            }),
        }
    }
    plan.delete = unused
        .into_iter()
        .filter_map(|slice| slice.metadata.name.clone())
        .collect();
    plan
}

/// Plans an update of `slice` to hold `group`, unless it already does.
fn update_slice(
    plan: &mut SlicePlan,
    service: &Service,
    labels: &BTreeMap<String, String>,
    slice: &EndpointSlice,
    group: SliceGroup,
) {
    // Empty and missing lists are the same thing once stored.
    let unchanged = slice.endpoints.as_deref().unwrap_or_default() == group.endpoints
        && slice.ports.as_deref().unwrap_or_default() == group.ports
        && slice.metadata.labels.as_ref() == Some(labels)
        && is_owned_by(slice, service);
    if !unchanged {
        let mut updated = slice.clone();
        updated.ports = (!group.ports.is_empty()).then_some(group.ports);
        updated.endpoints = Some(group.endpoints);
        updated.metadata.labels = Some(labels.clone());
        updated.metadata.owner_references = Some(vec![owner_reference(service)]);
        plan.update.push(updated);
    }
}

fn slice_labels(service: &Service) -> BTreeMap<String, String> {
    let mut labels = service_labels(service);
    labels.insert(
        SERVICE_NAME_LABEL.to_string(),
        service.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string());
    labels
}

/// `<service>-`, shortened so that the generated name fits in 63 characters.
fn slice_name_prefix(service: &Service) -> String {
    let name = service.metadata.name.as_deref().unwrap_or_default();
    // generateName appends 5 characters.
    let kept: String = name.chars().take(63 - 5 - 1).collect();
    format!("{kept}-")
}

fn owner_reference(service: &Service) -> OwnerReference {
    OwnerReference {
        api_version: "v1".to_string(),
        kind: "Service".to_string(),
        name: service.metadata.name.clone().unwrap_or_default(),
        uid: service.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn is_owned_by(slice: &EndpointSlice, service: &Service) -> bool {
    slice.metadata.owner_references.as_deref() == Some(&[owner_reference(service)][..])
}

/// Whether a slice is one this controller manages for a service.
pub fn is_managed_slice(slice: &EndpointSlice) -> bool {
    let labels = slice.metadata.labels.as_ref();
    labels
        .and_then(|l| l.get(MANAGED_BY_LABEL))
        .map(String::as_str)
        == Some(MANAGED_BY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn service(spec: Value) -> Service {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns", "uid": "svc-uid", "labels": {"app": "web"}},
            "spec": spec,
        }))
        .unwrap()
    }

    fn headless() -> Service {
        service(json!({"clusterIP": "None", "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}))
    }

    fn pod(name: &str, ip: Option<&str>, ready: bool) -> Pod {
        let mut value = json!({
            "metadata": {"name": name, "namespace": "ns", "uid": format!("uid-{name}"), "labels": {"app": "web"}},
            "spec": {"hostname": name, "subdomain": "web", "nodeName": "node-a",
                "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
        });
        if let Some(ip) = ip {
            value["status"]["podIP"] = json!(ip);
        }
        serde_json::from_value(value).unwrap()
    }

    fn with(mut pod: Pod, change: impl FnOnce(&mut Pod)) -> Pod {
        change(&mut pod);
        pod
    }

    fn addresses(list: &Option<Vec<EndpointAddress>>) -> Vec<(String, Option<String>)> {
        list.iter()
            .flatten()
            .map(|a| (a.ip.clone(), a.hostname.clone()))
            .collect()
    }

    #[test]
    fn target_ports_resolve_numbers_names_and_defaults() {
        let p = pod("web-0", Some("10.0.0.1"), true);
        let port = |value: Value| -> ServicePort { serde_json::from_value(value).unwrap() };
        let cases = [
            (json!({"port": 80}), Some(80)),
            (json!({"port": 80, "targetPort": 9090}), Some(9090)),
            (json!({"port": 80, "targetPort": "http"}), Some(8080)),
            (
                json!({"port": 80, "targetPort": "http", "protocol": "UDP"}),
                None,
            ),
            (json!({"port": 80, "targetPort": "metrics"}), None),
        ];
        for (spec, want) in cases {
            assert_eq!(target_port(&p, &port(spec.clone())), want, "{spec}");
        }
    }

    #[test]
    fn endpoints_subsets_table() {
        let ready = pod("web-0", Some("10.0.0.2"), true);
        let unready = pod("web-1", Some("10.0.0.1"), false);
        let no_ip = pod("web-2", None, true);
        let finished = with(pod("web-3", Some("10.0.0.3"), true), |p| {
            p.status.as_mut().unwrap().phase = Some("Succeeded".into())
        });
        let terminating = with(pod("web-4", Some("10.0.0.4"), true), |p| {
            p.metadata.deletion_timestamp = Some(
                k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
            )
        });
        let other_subdomain = with(pod("web-5", Some("10.0.0.5"), true), |p| {
            p.spec.as_mut().unwrap().subdomain = Some("other".into())
        });
        let all = [
            &ready,
            &unready,
            &no_ip,
            &finished,
            &terminating,
            &other_subdomain,
        ];
        let publish = service(json!({"clusterIP": "None", "selector": {"app": "web"},
            "publishNotReadyAddresses": true, "ports": [{"port": 80, "targetPort": "http"}]}));
        let numbered = service(
            json!({"clusterIP": "10.96.0.10", "selector": {"app": "web"},
            "ports": [{"name": "a", "port": 80, "targetPort": "http"}, {"name": "b", "port": 81, "targetPort": "nope"}]}),
        );
        let portless = service(json!({"clusterIP": "None", "selector": {"app": "web"}}));
        struct Case<'a> {
            name: &'a str,
            service: &'a Service,
            ready: Vec<(&'a str, Option<&'a str>)>,
            not_ready: Vec<(&'a str, Option<&'a str>)>,
            ports: Vec<(Option<&'a str>, i32)>,
        }
        let cases = [
            Case {
                name: "headless: hostnames for pods in the subdomain; unready apart; no IP, finished, terminating skipped",
                service: &headless(),
                ready: vec![("10.0.0.2", Some("web-0")), ("10.0.0.5", None)],
                not_ready: vec![("10.0.0.1", Some("web-1"))],
                ports: vec![(Some("http"), 8080)],
            },
            Case {
                name: "publishNotReadyAddresses: unready and terminating pods are addresses",
                service: &publish,
                ready: vec![
                    ("10.0.0.1", Some("web-1")),
                    ("10.0.0.2", Some("web-0")),
                    ("10.0.0.4", Some("web-4")),
                    ("10.0.0.5", None),
                ],
                not_ready: vec![],
                ports: vec![(None, 8080)],
            },
            Case {
                name: "a service port whose named target is missing is left out",
                service: &numbered,
                ready: vec![("10.0.0.2", Some("web-0")), ("10.0.0.5", None)],
                not_ready: vec![("10.0.0.1", Some("web-1"))],
                ports: vec![(Some("a"), 8080)],
            },
            Case {
                name: "headless without ports lists pods without ports",
                service: &portless,
                ready: vec![("10.0.0.2", Some("web-0")), ("10.0.0.5", None)],
                not_ready: vec![("10.0.0.1", Some("web-1"))],
                ports: vec![],
            },
        ];
        for case in cases {
            let subsets = endpoints_subsets(case.service, &all);
            assert_eq!(subsets.len(), 1, "{}", case.name);
            let subset = &subsets[0];
            let own = |list: Vec<(&str, Option<&str>)>| -> Vec<(String, Option<String>)> {
                list.into_iter()
                    .map(|(ip, h)| (ip.to_string(), h.map(String::from)))
                    .collect()
            };
            assert_eq!(
                addresses(&subset.addresses),
                own(case.ready),
                "{}",
                case.name
            );
            assert_eq!(
                addresses(&subset.not_ready_addresses),
                own(case.not_ready),
                "{}",
                case.name
            );
            let ports: Vec<(Option<&str>, i32)> = subset
                .ports
                .iter()
                .flatten()
                .map(|p| (p.name.as_deref(), p.port))
                .collect();
            assert_eq!(ports, case.ports, "{}", case.name);
        }
        let subsets = endpoints_subsets(&headless(), &[&ready]);
        let first = &subsets[0].addresses.as_ref().unwrap()[0];
        assert_eq!(first.node_name.as_deref(), Some("node-a"));
        let target = first.target_ref.as_ref().unwrap();
        assert_eq!(
            (
                target.kind.as_deref(),
                target.namespace.as_deref(),
                target.name.as_deref(),
                target.uid.as_deref()
            ),
            (Some("Pod"), Some("ns"), Some("web-0"), Some("uid-web-0"))
        );
        assert!(endpoints_subsets(&headless(), &[]).is_empty());
    }

    #[test]
    fn pods_with_different_ports_get_separate_subsets() {
        let named = pod("web-0", Some("10.0.0.1"), true);
        let renamed = with(pod("web-1", Some("10.0.0.2"), true), |p| {
            let ports = p.spec.as_mut().unwrap().containers[0]
                .ports
                .as_mut()
                .unwrap();
            ports[0].container_port = 9090;
        });
        let subsets = endpoints_subsets(&headless(), &[&named, &renamed]);
        let summary: Vec<(i32, usize)> = subsets
            .iter()
            .map(|s| {
                (
                    s.ports.as_ref().unwrap()[0].port,
                    s.addresses.as_ref().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(summary, vec![(8080, 1), (9090, 1)]);
    }

    #[test]
    fn slice_endpoint_conditions_table() {
        let deleted = |p: Pod| {
            with(p, |p| {
                p.metadata.deletion_timestamp =
                    Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                        jiff::Timestamp::UNIX_EPOCH,
                    ))
            })
        };
        let publish = service(json!({"clusterIP": "None", "selector": {"app": "web"},
            "publishNotReadyAddresses": true, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}));
        // (service, pod, (ready, serving, terminating))
        let cases = [
            (
                headless(),
                pod("p", Some("10.0.0.1"), true),
                (true, true, false),
            ),
            (
                headless(),
                pod("p", Some("10.0.0.1"), false),
                (false, false, false),
            ),
            (
                headless(),
                deleted(pod("p", Some("10.0.0.1"), true)),
                (false, true, true),
            ),
            (
                publish.clone(),
                pod("p", Some("10.0.0.1"), false),
                (true, true, false),
            ),
            (
                publish,
                deleted(pod("p", Some("10.0.0.1"), false)),
                (true, true, true),
            ),
        ];
        for (index, (svc, p, want)) in cases.iter().enumerate() {
            let groups = slice_groups(svc, &[p], |_| None);
            let c = groups[0].endpoints[0].conditions.clone().unwrap();
            assert_eq!(
                (c.ready.unwrap(), c.serving.unwrap(), c.terminating.unwrap()),
                *want,
                "case {index}"
            );
        }
        assert!(slice_groups(&headless(), &[&pod("p", None, true)], |_| None).is_empty());
    }

    #[test]
    fn slice_groups_carry_identity_zone_and_address_type() {
        let v4 = pod("web-0", Some("10.0.0.1"), true);
        let v6 = pod("web-1", Some("fd00::1"), true);
        let groups = slice_groups(&headless(), &[&v6, &v4], |node| {
            (node == "node-a").then(|| "zone-1".to_string())
        });
        let types: Vec<&str> = groups.iter().map(|g| g.address_type.as_str()).collect();
        assert_eq!(types, ["IPv4", "IPv6"]);
        let endpoint = &groups[0].endpoints[0];
        assert_eq!(endpoint.addresses, ["10.0.0.1"]);
        assert_eq!(endpoint.hostname.as_deref(), Some("web-0"));
        assert_eq!(endpoint.node_name.as_deref(), Some("node-a"));
        assert_eq!(endpoint.zone.as_deref(), Some("zone-1"));
        assert_eq!(
            endpoint.target_ref.as_ref().unwrap().uid.as_deref(),
            Some("uid-web-0")
        );
        assert_eq!(
            groups[0].ports,
            [SlicePort {
                name: Some("http".into()),
                port: Some(8080),
                protocol: Some("TCP".into()),
                app_protocol: None
            }]
        );
    }

    #[test]
    fn slice_plans() {
        let svc = headless();
        let pods: Vec<Pod> = (0..3)
            .map(|i| pod(&format!("web-{i}"), Some(&format!("10.0.0.{i}")), true))
            .collect();
        let refs: Vec<&Pod> = pods.iter().collect();
        let groups = slice_groups(&svc, &refs, |_| None);

        // Nothing yet: one slice to create, named after the service, owned by it.
        let plan = plan_slices(&svc, &groups, &[]);
        assert_eq!(
            (plan.create.len(), plan.update.len(), plan.delete.len()),
            (1, 0, 0)
        );
        let created = &plan.create[0];
        assert_eq!(created.metadata.generate_name.as_deref(), Some("web-"));
        let labels = created.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[SERVICE_NAME_LABEL], "web");
        assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY);
        assert_eq!(labels[HEADLESS_LABEL], "");
        assert_eq!(labels["app"], "web");
        let owner = &created.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
            ("Service", "svc-uid", Some(true))
        );
        assert_eq!(created.endpoints.as_ref().unwrap().len(), 3);

        // Already in place: nothing to do.
        let mut existing = created.clone();
        existing.metadata.name = Some("web-abcde".into());
        assert_eq!(
            plan_slices(&svc, &groups, std::slice::from_ref(&existing)),
            SlicePlan::default()
        );

        // One pod fewer: the slice is updated in place; stale extra slices are deleted.
        let fewer = slice_groups(&svc, &refs[..2], |_| None);
        let mut extra = existing.clone();
        extra.metadata.name = Some("web-zzzzz".into());
        let plan = plan_slices(&svc, &fewer, &[extra, existing.clone()]);
        assert_eq!(plan.create, vec![]);
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0].metadata.name.as_deref(), Some("web-abcde"));
        assert_eq!(plan.update[0].endpoints.as_ref().unwrap().len(), 2);
        assert_eq!(plan.delete, vec!["web-zzzzz".to_string()]);

        // No pods: an empty placeholder slice.
        let plan = plan_slices(&svc, &[], std::slice::from_ref(&existing));
        assert_eq!(plan.update.len(), 1);
        assert_eq!(plan.update[0].endpoints, Some(vec![]));
        assert_eq!(plan.update[0].ports, None);
        assert_eq!(plan.update[0].address_type, "IPv4");
    }

    #[test]
    fn large_services_are_split_at_one_hundred_endpoints() {
        let svc = headless();
        let pods: Vec<Pod> = (0..250)
            .map(|i| {
                pod(
                    &format!("web-{i:03}"),
                    Some(&format!("10.0.{}.{}", i / 200, i % 200)),
                    true,
                )
            })
            .collect();
        let refs: Vec<&Pod> = pods.iter().collect();
        let plan = plan_slices(&svc, &slice_groups(&svc, &refs, |_| None), &[]);
        let sizes: Vec<usize> = plan
            .create
            .iter()
            .map(|s| s.endpoints.as_ref().unwrap().len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
    }

    #[test]
    fn long_service_names_are_cut_for_generate_name() {
        let mut svc = headless();
        svc.metadata.name = Some("x".repeat(63));
        assert_eq!(slice_name_prefix(&svc).len(), 58);
        assert!(slice_name_prefix(&svc).ends_with('-'));
    }
}
