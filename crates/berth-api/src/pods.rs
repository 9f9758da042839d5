//! Facts about a pod that several components decide on: the host ports it claims (the
//! scheduler's NodePorts filter and the kubelet's admission) and the PersistentVolumeClaims
//! it mounts (the scheduler's volume filter, the kubelet's volume wait, claim protection).

use k8s_openapi::api::core::v1::Pod;

/// A host port a pod claims: (protocol, host IP, port).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub protocol: String,
    pub host_ip: String,
    pub port: i32,
}

impl HostPort {
    /// Same protocol and port, and the same address or either bound to all addresses.
    pub fn conflicts_with(&self, other: &HostPort) -> bool {
        let any = |ip: &str| ip.is_empty() || ip == "0.0.0.0" || ip == "::";
        self.protocol == other.protocol
            && self.port == other.port
            && (self.host_ip == other.host_ip || any(&self.host_ip) || any(&other.host_ip))
    }
}

/// The host ports `pod` asks for (containers and init containers; a pod on the host
/// network uses its container ports on the host).
pub fn host_ports(pod: &Pod) -> Vec<HostPort> {
    let Some(spec) = &pod.spec else {
        return Vec::new();
    };
    let host_network = spec.host_network == Some(true);
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .flat_map(|container| container.ports.iter().flatten())
        .filter_map(|port| {
            let host_port = port
                .host_port
                .filter(|p| *p > 0)
                .or(host_network.then_some(port.container_port))?;
            Some(HostPort {
                protocol: port.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                host_ip: port.host_ip.clone().unwrap_or_default(),
                port: host_port,
            })
        })
        .collect()
}

/// Whether any of `wanted` collides with any of `taken`.
pub fn host_port_conflict<'a>(
    wanted: &[HostPort],
    taken: impl IntoIterator<Item = &'a HostPort>,
) -> bool {
    taken
        .into_iter()
        .any(|taken| wanted.iter().any(|wanted| wanted.conflicts_with(taken)))
}

/// A PersistentVolumeClaim one of a pod's volumes names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodClaim {
    pub name: String,
    /// The claim of a generic ephemeral volume, named `<pod>-<volume>` and created for the
    /// pod by the ephemeral volume controller.
    pub ephemeral: bool,
}

/// The claims `pod` mounts, in the order of its volumes.
pub fn pod_claims(pod: &Pod) -> Vec<PodClaim> {
    let pod_name = pod.metadata.name.as_deref().unwrap_or_default();
    pod.spec
        .iter()
        .flat_map(|spec| spec.volumes.iter().flatten())
        .filter_map(|volume| {
            if let Some(claim) = &volume.persistent_volume_claim {
                Some(PodClaim {
                    name: claim.claim_name.clone(),
                    ephemeral: false,
                })
            } else {
                volume.ephemeral.as_ref().map(|_| PodClaim {
                    name: format!("{pod_name}-{}", volume.name),
                    ephemeral: true,
                })
            }
        })
        .collect()
}

/// The names of every claim `pod` mounts, including those of its generic ephemeral volumes.
pub fn claim_names(pod: &Pod) -> Vec<String> {
    pod_claims(pod)
        .into_iter()
        .map(|claim| claim.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec};

    fn port(
        host_port: Option<i32>,
        container_port: i32,
        ip: Option<&str>,
        protocol: Option<&str>,
    ) -> ContainerPort {
        ContainerPort {
            container_port,
            host_port,
            host_ip: ip.map(str::to_string),
            protocol: protocol.map(str::to_string),
            ..ContainerPort::default()
        }
    }

    fn with_ports(ports: Vec<ContainerPort>, host_network: bool) -> Pod {
        Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "nginx".to_string(),
                    ports: Some(ports),
                    ..Container::default()
                }],
                host_network: Some(host_network),
                ..PodSpec::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn host_ports_and_conflicts() {
        let blocker = with_ports(vec![port(Some(21017), 80, None, None)], false);
        let taken = host_ports(&blocker);
        assert_eq!(
            taken,
            [HostPort {
                protocol: "TCP".into(),
                host_ip: String::new(),
                port: 21017
            }]
        );
        let cases = [
            (
                "same port",
                vec![port(Some(21017), 8080, None, None)],
                false,
                true,
            ),
            (
                "other port",
                vec![port(Some(21018), 80, None, None)],
                false,
                false,
            ),
            (
                "container port only",
                vec![port(None, 21017, None, None)],
                false,
                false,
            ),
            (
                "host network uses container ports",
                vec![port(None, 21017, None, None)],
                true,
                true,
            ),
            (
                "other protocol",
                vec![port(Some(21017), 80, None, Some("UDP"))],
                false,
                false,
            ),
            (
                "specific ip vs any",
                vec![port(Some(21017), 80, Some("127.0.0.1"), None)],
                false,
                true,
            ),
        ];
        for (name, ports, host_network, conflict) in cases {
            let wanted = host_ports(&with_ports(ports, host_network));
            assert_eq!(host_port_conflict(&wanted, &taken), conflict, "{name}");
        }
        let a = [HostPort {
            protocol: "TCP".into(),
            host_ip: "10.0.0.1".into(),
            port: 80,
        }];
        let b = [HostPort {
            protocol: "TCP".into(),
            host_ip: "10.0.0.2".into(),
            port: 80,
        }];
        assert!(!host_port_conflict(&a, &b), "different specific addresses");
    }

    #[test]
    fn claims_of_plain_and_ephemeral_volumes() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-0"},
            "spec": {"containers": [], "volumes": [
                {"name": "datadir", "persistentVolumeClaim": {"claimName": "datadir-web-0"}},
                {"name": "scratch", "ephemeral": {}},
                {"name": "config", "emptyDir": {}},
            ]},
        }))
        .unwrap();
        assert_eq!(
            pod_claims(&pod),
            [
                PodClaim {
                    name: "datadir-web-0".into(),
                    ephemeral: false
                },
                PodClaim {
                    name: "web-0-scratch".into(),
                    ephemeral: true
                },
            ]
        );
        assert_eq!(claim_names(&pod), ["datadir-web-0", "web-0-scratch"]);
    }
}
