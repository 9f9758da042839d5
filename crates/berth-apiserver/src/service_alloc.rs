//! Service addresses, as upstream's service REST allocates them: a cluster IP from the
//! service CIDR and, for NodePort and LoadBalancer services, a node port per service port
//! from the node port range. The choices are pure; [`allocate`] reads what is taken.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use berth_api::FieldError;
use berth_api::meta;
use berth_api::registry;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The service CIDR, 10.96.0.0/12 as in kubeadm's default.
const SERVICE_CIDR: (Ipv4Addr, u32) = (Ipv4Addr::new(10, 96, 0, 0), 12);
/// The node port range, upstream's default `--service-node-port-range`.
const NODE_PORTS: std::ops::RangeInclusive<i64> = 30000..=32767;

fn in_service_cidr(ip: Ipv4Addr) -> bool {
    let (base, bits) = SERVICE_CIDR;
    let mask = u32::MAX << (32 - bits);
    u32::from(ip) & mask == u32::from(base) & mask
}

fn cidr_text() -> String {
    format!("{}/{}", SERVICE_CIDR.0, SERVICE_CIDR.1)
}

/// What other services hold.
#[derive(Debug, Default)]
pub struct Taken {
    pub ips: HashSet<String>,
    pub node_ports: HashSet<i64>,
}

fn needs_node_ports(spec: &Value) -> bool {
    matches!(spec["type"].as_str(), Some("NodePort" | "LoadBalancer"))
}

/// Fills in `spec.clusterIP(s)` and node ports of a service being created or updated
/// (`old`: the stored service, whose addresses an update keeps).
pub fn assign(spec: &mut Value, old: Option<&Value>, taken: &Taken) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    assign_cluster_ip(spec, old, taken, &mut errors);
    if needs_node_ports(spec) {
        assign_node_ports(spec, old, taken, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn assign_cluster_ip(
    spec: &mut Value,
    old: Option<&Value>,
    taken: &Taken,
    errors: &mut Vec<FieldError>,
) {
    let requested = spec["clusterIP"].as_str().unwrap_or("").to_string();
    if spec["type"] == "ExternalName" {
        return;
    }
    if requested == "None" {
        spec["clusterIPs"] = json!(["None"]);
        return;
    }
    if let Some(kept) = old
        .and_then(|o| o["clusterIP"].as_str())
        .filter(|ip| !ip.is_empty())
        && (requested.is_empty() || requested == kept)
    {
        spec["clusterIP"] = json!(kept);
        spec["clusterIPs"] = old
            .map(|o| o["clusterIPs"].clone())
            .unwrap_or(json!([kept]));
        return;
    }
    let ip = if requested.is_empty() {
        // .1 is the `kubernetes` service's, as upstream reserves the first address.
        let found = (2u32..65534)
            .map(|n| format!("10.96.{}.{}", n / 256, n % 256))
            .find(|ip| !taken.ips.contains(ip));
        match found {
            Some(ip) => ip,
            None => {
                errors.push(FieldError::invalid(
                    "spec.clusterIPs",
                    json!([]),
                    "failed to allocate IP: range is full",
                ));
                return;
            }
        }
    } else {
        let problem = match requested.parse::<Ipv4Addr>() {
            // Malformed addresses are the validation's to report.
            Err(_) => None,
            Ok(ip) if !in_service_cidr(ip) => Some(format!(
                "the provided IP ({requested}) is not in the valid range. The range of valid IPs is {}",
                cidr_text()
            )),
            Ok(_) if taken.ips.contains(&requested) => {
                Some("provided IP is already allocated".into())
            }
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            errors.push(FieldError::invalid(
                "spec.clusterIPs",
                json!([requested]),
                format!("failed to allocate IP {requested}: {problem}"),
            ));
            return;
        }
        requested
    };
    spec["clusterIP"] = json!(ip);
    spec["clusterIPs"] = json!([ip]);
}

fn assign_node_ports(
    spec: &mut Value,
    old: Option<&Value>,
    taken: &Taken,
    errors: &mut Vec<FieldError>,
) {
    let old_ports: Vec<Value> = old
        .filter(|o| needs_node_ports(o))
        .and_then(|o| o["ports"].as_array().cloned())
        .unwrap_or_default();
    let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) else {
        return;
    };
    let mut in_use: HashSet<i64> = HashSet::new();
    for (i, port) in ports.iter_mut().enumerate() {
        let requested = port["nodePort"].as_i64().unwrap_or(0);
        if requested != 0 {
            let kept = old_ports
                .iter()
                .any(|o| o["nodePort"].as_i64() == Some(requested));
            let field = format!("spec.ports[{i}].nodePort");
            if !NODE_PORTS.contains(&requested) {
                errors.push(FieldError::invalid(
                    field,
                    requested,
                    format!(
                        "provided port is not in the valid range. The range of valid ports is {}-{}",
                        NODE_PORTS.start(),
                        NODE_PORTS.end()
                    ),
                ));
            } else if !kept && taken.node_ports.contains(&requested) {
                errors.push(FieldError::invalid(
                    field,
                    requested,
                    "provided port is already allocated",
                ));
            }
            in_use.insert(requested);
            continue;
        }
        // An update that leaves the node port out keeps the one the same port had.
        let same_port = |o: &&Value| {
            o["port"] == port["port"]
                && o["protocol"].as_str().unwrap_or("TCP")
                    == port["protocol"].as_str().unwrap_or("TCP")
        };
        if let Some(previous) = old_ports
            .iter()
            .find(same_port)
            .and_then(|o| o["nodePort"].as_i64())
            && !in_use.contains(&previous)
        {
            port["nodePort"] = json!(previous);
            in_use.insert(previous);
            continue;
        }
        match NODE_PORTS
            .clone()
            .find(|p| !taken.node_ports.contains(p) && !in_use.contains(p))
        {
            Some(free) => {
                port["nodePort"] = json!(free);
                in_use.insert(free);
            }
            None => errors.push(FieldError::invalid(
                format!("spec.ports[{i}].nodePort"),
                0,
                "failed to allocate a nodePort: range is full",
            )),
        }
    }
}

/// Allocates the addresses of a service being created (`old` None) or updated, under the
/// allocation lock, against every other stored service.
pub async fn allocate(state: &AppState, obj: &mut Value, old: Option<&Value>) -> ApiResult<()> {
    let _guard = state.service_ip_lock.lock().await;
    let services = registry::find("", "v1", "services").expect("services are registered");
    let own_uid = old.and_then(meta::uid).map(str::to_string);
    let mut taken = Taken::default();
    for service in crate::rest::stored_objects(state, services).await? {
        if own_uid.is_some() && meta::uid(&service) == own_uid.as_deref() {
            continue;
        }
        if let Some(ip) = service["spec"]["clusterIP"].as_str() {
            taken.ips.insert(ip.to_string());
        }
        for port in service["spec"]["ports"].as_array().into_iter().flatten() {
            if let Some(p) = port["nodePort"].as_i64() {
                taken.node_ports.insert(p);
            }
        }
    }
    let name = meta::name(obj).unwrap_or_default().to_string();
    let old_spec = old.map(|o| &o["spec"]);
    assign(&mut obj["spec"], old_spec, &taken)
        .map_err(|errors| ApiError::invalid(services, &name, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(spec: Value, old: Option<Value>, taken: &Taken) -> Result<Value, Vec<String>> {
        let mut spec = spec;
        assign(&mut spec, old.as_ref(), taken)
            .map(|()| spec)
            .map_err(|errors| errors.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn cluster_ips_come_from_the_service_cidr() {
        let taken = Taken {
            ips: ["10.96.0.2".to_string()].into(),
            ..Default::default()
        };
        let spec = messages(json!({"ports": [{"port": 80}]}), None, &taken).unwrap();
        assert_eq!(spec["clusterIP"], "10.96.0.3");
        assert_eq!(spec["clusterIPs"], json!(["10.96.0.3"]));
        let errors = messages(json!({"clusterIP": "1.2.3.4"}), None, &taken).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].ends_with(
            "failed to allocate IP 1.2.3.4: the provided IP (1.2.3.4) is not in the valid range. The range of valid IPs is 10.96.0.0/12"
        ), "{errors:?}");
        assert!(messages(json!({"clusterIP": "10.100.0.9"}), None, &taken).is_ok());
        let errors = messages(json!({"clusterIP": "10.96.0.2"}), None, &taken).unwrap_err();
        assert!(
            errors[0].ends_with("provided IP is already allocated"),
            "{errors:?}"
        );
        // An update keeps its own address.
        let old = json!({"clusterIP": "10.96.0.2", "clusterIPs": ["10.96.0.2"]});
        let spec = messages(json!({}), Some(old), &taken).unwrap();
        assert_eq!(spec["clusterIP"], "10.96.0.2");
    }

    #[test]
    fn node_ports_are_allocated_checked_and_kept() {
        let taken = Taken {
            node_ports: [30000].into(),
            ..Default::default()
        };
        let spec = messages(
            json!({"type": "NodePort", "ports": [{"port": 80}, {"port": 443}]}),
            None,
            &taken,
        )
        .unwrap();
        assert_eq!(spec["ports"][0]["nodePort"], 30001);
        assert_eq!(spec["ports"][1]["nodePort"], 30002);
        let errors = messages(
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}, {"port": 81, "nodePort": 30000}]}),
            None,
            &taken,
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
                "spec.ports[1].nodePort: Invalid value: 30000: provided port is already allocated",
            ]
        );
        let old = json!({"type": "NodePort", "clusterIP": "10.96.0.5", "ports": [{"port": 80, "nodePort": 31000}]});
        let spec = messages(
            json!({"type": "NodePort", "ports": [{"port": 80}]}),
            Some(old),
            &taken,
        )
        .unwrap();
        assert_eq!(spec["ports"][0]["nodePort"], 31000);
        // ClusterIP services get none.
        let spec = messages(json!({"ports": [{"port": 80}]}), None, &taken).unwrap();
        assert!(spec["ports"][0].get("nodePort").is_none());
    }
}
