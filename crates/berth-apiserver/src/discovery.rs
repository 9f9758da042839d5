//! Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`, aggregated
//! discovery v2) and `/version`, all derived from the resource registry.

use base64::Engine;
use berth_api::registry::{RESOURCES, ResourceType, group_versions};
use serde_json::{Value, json};

/// The content type of an aggregated discovery reply; clients decide by it which format
/// they got.
pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// The Kubernetes release whose API berth serves (k8s-openapi's `v1_37` feature).
const KUBERNETES_MAJOR: &str = "1";
const KUBERNETES_MINOR: &str = "37";

/// `v1.37.0+berth.0.1.0`: semver build metadata keeps kubectl's version skew check happy.
pub(crate) fn git_version() -> String {
    format!(
        "v{KUBERNETES_MAJOR}.{KUBERNETES_MINOR}.0+berth.{}",
        env!("CARGO_PKG_VERSION")
    )
}

/// A subresource as discovery and OpenAPI describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SubresourceInfo {
    pub name: &'static str,
    /// (group, version, kind) of the object the subresource speaks.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

/// `namespaces/finalize` is served by the namespace handler but is no registry
/// `Subresource`; clients (the namespace controller, kube clients) find it here.
const NAMESPACE_FINALIZE: SubresourceInfo = SubresourceInfo {
    name: "finalize",
    group: "",
    version: "v1",
    kind: "Namespace",
    verbs: &["update"],
};

/// The subresources of `rt`, sorted by name as upstream lists them.
pub(crate) fn subresources(rt: &ResourceType) -> Vec<SubresourceInfo> {
    let mut out: Vec<SubresourceInfo> = rt
        .subresources
        .iter()
        .map(|&s| {
            let (group, version, kind) =
                s.response_kind().unwrap_or((rt.group, rt.version, rt.kind));
            SubresourceInfo {
                name: s.name(),
                group,
                version,
                kind,
                verbs: s.verbs(),
            }
        })
        .collect();
    if rt.group.is_empty() && rt.plural == "namespaces" {
        out.push(NAMESPACE_FINALIZE);
    }
    out.sort_by_key(|s| s.name);
    out
}

/// The kinds of one group/version, sorted by plural as upstream lists them.
pub(crate) fn resources_of(group: &str, version: &str) -> Vec<&'static ResourceType> {
    let mut out: Vec<_> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    out.sort_by_key(|r| r.plural);
    out
}

/// Upstream's storageVersionHash: the first 8 bytes of SHA-256 over `group/version/kind`,
/// base64-encoded. Clients only compare it for equality.
fn storage_version_hash(rt: &ResourceType) -> String {
    let gvk = format!("{}/{}/{}", rt.group, rt.version, rt.kind);
    let digest = ring::digest::digest(&ring::digest::SHA256, gvk.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&digest.as_ref()[..8])
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// `GET /version`.
pub fn version_info() -> Value {
    let platform = format!(
        "{}/{}",
        std::env::consts::OS,
        go_arch(std::env::consts::ARCH)
    );
    json!({
        "major": KUBERNETES_MAJOR,
        "minor": KUBERNETES_MINOR,
        "emulationMajor": KUBERNETES_MAJOR,
        "emulationMinor": KUBERNETES_MINOR,
        "minCompatibilityMajor": KUBERNETES_MAJOR,
        "minCompatibilityMinor": KUBERNETES_MINOR,
        "gitVersion": git_version(),
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "n/a",
        "compiler": "rustc",
        "platform": platform,
    })
}

/// Go's names for the architectures Rust names differently.
fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// `GET /api` (legacy): the core group's versions. `server_address` is `host:port`.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// `GET /apis` (legacy): every non-core group with its versions.
pub fn api_group_list() -> Value {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (group, version) in group_versions().into_iter().filter(|(g, _)| !g.is_empty()) {
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, versions)) => versions.push(version),
            None => groups.push((group, vec![version])),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(group, versions)| {
            let entry = |v: &str| json!({"groupVersion": group_version(group, v), "version": v});
            json!({
                "name": group,
                "versions": versions.iter().map(|v| entry(v)).collect::<Vec<_>>(),
                // The registry lists a group's preferred version first.
                "preferredVersion": entry(versions[0]),
            })
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /api/v1` and `GET /apis/<group>/<version>` (legacy): the resources of one
/// group/version, with their subresources; None when the group/version is not served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let kinds = resources_of(group, version);
    if kinds.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for rt in kinds {
        let mut entry = json!({
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": rt.verbs(),
        });
        if !rt.short_names.is_empty() {
            entry["shortNames"] = json!(rt.short_names);
        }
        if !rt.categories.is_empty() {
            entry["categories"] = json!(rt.categories);
        }
        entry["storageVersionHash"] = json!(storage_version_hash(rt));
        resources.push(entry);
        for sub in subresources(rt) {
            let mut entry = json!({
                "name": format!("{}/{}", rt.plural, sub.name),
                "singularName": "",
                "namespaced": rt.namespaced,
            });
            // Group and version are given only where they differ from the list's, as in
            // `statefulsets/scale` (autoscaling/v1 Scale); the scale client relies on it.
            if (sub.group, sub.version) != (group, version) {
                entry["group"] = json!(sub.group);
                entry["version"] = json!(sub.version);
            }
            entry["kind"] = json!(sub.kind);
            entry["verbs"] = json!(sub.verbs);
            resources.push(entry);
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": resources,
    }))
}

/// `GET /api` with the aggregated Accept: the core group as an APIGroupDiscoveryList.
pub fn aggregated_core() -> Value {
    aggregated_list(vec![aggregated_group("")])
}

/// `GET /apis` with the aggregated Accept: every non-core group.
pub fn aggregated_apis() -> Value {
    let mut groups: Vec<&str> = Vec::new();
    for (group, _) in group_versions() {
        if !group.is_empty() && !groups.contains(&group) {
            groups.push(group);
        }
    }
    aggregated_list(groups.into_iter().map(aggregated_group).collect())
}

fn aggregated_list(items: Vec<Value>) -> Value {
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

fn aggregated_group(group: &str) -> Value {
    let versions: Vec<Value> = group_versions()
        .into_iter()
        .filter(|(g, _)| *g == group)
        .map(|(_, version)| {
            let resources: Vec<Value> = resources_of(group, version)
                .into_iter()
                .map(aggregated_resource)
                .collect();
            json!({"version": version, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group}, "versions": versions})
}

fn aggregated_resource(rt: &ResourceType) -> Value {
    let gvk = |group: &str, version: &str, kind: &str| json!({"group": group, "version": version, "kind": kind});
    let mut entry = json!({
        "resource": rt.plural,
        "responseKind": gvk(rt.group, rt.version, rt.kind),
        "scope": if rt.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": rt.singular,
        "verbs": rt.verbs(),
    });
    if !rt.short_names.is_empty() {
        entry["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        entry["categories"] = json!(rt.categories);
    }
    let subresources: Vec<Value> = subresources(rt)
        .into_iter()
        .map(|s| {
            // client-go rejects a subresource without a responseKind, so it is always given.
            json!({"subresource": s.name, "responseKind": gvk(s.group, s.version, s.kind), "verbs": s.verbs})
        })
        .collect();
    if !subresources.is_empty() {
        entry["subresources"] = json!(subresources);
    }
    entry
}

/// Whether an Accept header asks for aggregated discovery v2 before any plain JSON.
/// client-go sends `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
/// application/json`, sometimes preceded by the same type with `;profile=nopeer` (no peer
/// servers here, so both profiles are the same document). Ranges with `q=0` are refused.
pub fn wants_aggregated(accept: &str) -> bool {
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let (mut g, mut v, mut as_kind, mut refused) = (None, None, None, false);
        for param in parts {
            let Some((key, value)) = param.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "g" => g = Some(value),
                "v" => v = Some(value),
                "as" => as_kind = Some(value),
                "q" => refused = value.parse::<f32>().is_ok_and(|q| q <= 0.0),
                _ => {}
            }
        }
        if refused {
            continue;
        }
        let json_like = matches!(media.as_str(), "application/json" | "application/*" | "*/*");
        match (g, v, as_kind) {
            (Some("apidiscovery.k8s.io"), Some("v2"), Some("APIGroupDiscoveryList"))
                if json_like =>
            {
                return true;
            }
            // Another conversion (v2beta1, Table …) that discovery cannot give: next range.
            (Some(_), _, _) | (_, _, Some(_)) => continue,
            _ if json_like => return false,
            _ => continue,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource<'a>(list: &'a Value, name: &str) -> &'a Value {
        list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn core_list_has_short_names_categories_and_hashes() {
        let list = api_resource_list("", "v1").unwrap();
        assert_eq!(list["groupVersion"], "v1");
        let pods = resource(&list, "pods");
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        assert_eq!(pods["namespaced"], true);
        assert_eq!(pods["singularName"], "pod");
        // The same value kube-apiserver reports for pods.
        assert_eq!(pods["storageVersionHash"], "xPOwRZ+Yhw8=");
        assert_eq!(resource(&list, "namespaces")["shortNames"], json!(["ns"]));
        assert_eq!(resource(&list, "namespaces")["namespaced"], false);
        for short in ["pvc", "svc", "cm", "no", "ev"] {
            assert!(
                list["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["shortNames"]
                        .as_array()
                        .is_some_and(|s| s.contains(&json!(short)))),
                "{short}"
            );
        }
    }

    #[test]
    fn subresources_report_their_kinds() {
        let apps = api_resource_list("apps", "v1").unwrap();
        let scale = resource(&apps, "statefulsets/scale");
        assert_eq!(
            (&scale["group"], &scale["version"], &scale["kind"]),
            (&json!("autoscaling"), &json!("v1"), &json!("Scale"))
        );
        assert_eq!(scale["verbs"], json!(["get", "patch", "update"]));
        let status = resource(&apps, "statefulsets/status");
        assert_eq!(status["kind"], "StatefulSet");
        assert!(status.get("group").is_none());

        let core = api_resource_list("", "v1").unwrap();
        let log = resource(&core, "pods/log");
        assert_eq!(
            (&log["kind"], &log["verbs"]),
            (&json!("Pod"), &json!(["get"]))
        );
        let eviction = resource(&core, "pods/eviction");
        assert_eq!(
            (&eviction["group"], &eviction["version"], &eviction["kind"]),
            (&json!("policy"), &json!("v1"), &json!("Eviction"))
        );
        for name in [
            "pods/exec",
            "pods/portforward",
            "pods/status",
            "pods/binding",
            "namespaces/status",
        ] {
            resource(&core, name);
        }
        let finalize = resource(&core, "namespaces/finalize");
        assert_eq!(
            (&finalize["kind"], &finalize["verbs"]),
            (&json!("Namespace"), &json!(["update"]))
        );
        // Subresources follow their parent.
        let names: Vec<&str> = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        let pods = names.iter().position(|n| *n == "pods").unwrap();
        assert!(names[pods + 1].starts_with("pods/"));
    }

    #[test]
    fn unknown_group_version_is_none() {
        assert!(api_resource_list("apps", "v2").is_none());
        assert!(api_resource_list("nope", "v1").is_none());
    }

    #[test]
    fn group_list_names_every_non_core_group_once() {
        let list = api_group_list();
        let groups = list["groups"].as_array().unwrap();
        let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"apps") && names.contains(&"rbac.authorization.k8s.io"));
        assert!(!names.contains(&""));
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), names.len());
        let apps = groups.iter().find(|g| g["name"] == "apps").unwrap();
        assert_eq!(
            apps["preferredVersion"],
            json!({"groupVersion": "apps/v1", "version": "v1"})
        );
        assert_eq!(
            apps["versions"],
            json!([{"groupVersion": "apps/v1", "version": "v1"}])
        );
    }

    #[test]
    fn api_versions_carries_the_address() {
        let v = api_versions("127.0.0.1:6443");
        assert_eq!(v["versions"], json!(["v1"]));
        assert_eq!(
            v["serverAddressByClientCIDRs"][0]["serverAddress"],
            "127.0.0.1:6443"
        );
    }

    #[test]
    fn aggregated_documents_cover_the_registry() {
        let core = aggregated_core();
        assert_eq!(core["apiVersion"], "apidiscovery.k8s.io/v2");
        assert_eq!(core["kind"], "APIGroupDiscoveryList");
        let items = core["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["metadata"]["name"], "");
        let apis = aggregated_apis();
        let mut seen = 0;
        for item in core["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(apis["items"].as_array().unwrap())
        {
            for version in item["versions"].as_array().unwrap() {
                assert_eq!(version["freshness"], "Current");
                for r in version["resources"].as_array().unwrap() {
                    seen += 1;
                    assert!(r["responseKind"]["kind"].is_string());
                    for s in r["subresources"].as_array().into_iter().flatten() {
                        assert!(s["responseKind"]["kind"].is_string(), "{s}");
                    }
                }
            }
        }
        assert_eq!(seen, RESOURCES.len());

        let apps = apis["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["metadata"]["name"] == "apps")
            .unwrap();
        let sts = apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "statefulsets")
            .unwrap();
        assert_eq!(sts["scope"], "Namespaced");
        assert_eq!(sts["singularResource"], "statefulset");
        assert_eq!(sts["shortNames"], json!(["sts"]));
        assert_eq!(sts["categories"], json!(["all"]));
        let scale = sts["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "scale")
            .unwrap();
        assert_eq!(
            scale["responseKind"],
            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        );
        let ns = core["items"][0]["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "namespaces")
            .unwrap();
        assert_eq!(ns["scope"], "Cluster");
        assert!(
            ns["subresources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["subresource"] == "finalize")
        );
    }

    #[test]
    fn accept_negotiation() {
        let client_go =
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated(client_go));
        let nopeer = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;profile=nopeer,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated(nopeer));
        assert!(wants_aggregated(
            "application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io"
        ));
        assert!(!wants_aggregated("application/json"));
        assert!(!wants_aggregated(""));
        assert!(!wants_aggregated("*/*"));
        // Plain JSON first: the client prefers legacy discovery.
        assert!(!wants_aggregated(
            "application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        ));
        // Only v2beta1, which is no longer served.
        assert!(!wants_aggregated(
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
        ));
        assert!(!wants_aggregated(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0,application/json"
        ));
        assert!(!wants_aggregated(
            "application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        ));
    }

    #[test]
    fn version_parses_as_the_served_release() {
        let v = version_info();
        assert_eq!(
            (v["major"].as_str(), v["minor"].as_str()),
            (Some("1"), Some("37"))
        );
        let git = v["gitVersion"].as_str().unwrap();
        assert!(git.starts_with("v1.37.0+berth."), "{git}");
        assert!(v["platform"].as_str().unwrap().contains('/'));
    }
}
