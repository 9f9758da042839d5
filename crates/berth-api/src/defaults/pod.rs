//! Pod spec defaults (`pkg/apis/core/v1/defaults.go`) and the admission defaults upstream
//! applies to new pods (ServiceAccount, DefaultTolerationSeconds).

use k8s_openapi::api::core::v1::{
    Container, PersistentVolumeClaimSpec, Pod, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::validation::quantity::canonicalize;

/// Mode 0644, the default of configMap, secret, downwardAPI and projected volumes.
pub const DEFAULT_VOLUME_MODE: i32 = 0o644;
pub const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

fn set_if_empty(field: &mut Option<String>, value: &str) {
    if field.as_deref().is_none_or(str::is_empty) {
        *field = Some(value.to_string());
    }
}

/// The image tag a pull policy is decided on: "latest" when neither tag nor digest is given.
fn image_tag(image: &str) -> &str {
    let (name, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    match last_segment.split_once(':') {
        Some((_, tag)) => tag,
        None if digest => "",
        None => "latest",
    }
}

/// Rewrites each quantity in the canonical form upstream stores ("1000m" → "1").
pub(crate) fn canonicalize_resource_list(
    list: &mut Option<std::collections::BTreeMap<String, Quantity>>,
) {
    for q in list.iter_mut().flat_map(|l| l.values_mut()) {
        q.0 = canonicalize(&q.0);
    }
}

/// Upstream always writes a container's `resources` (a struct, not a pointer), `{}` when empty.
fn default_resources(resources: &mut Option<ResourceRequirements>) {
    let r = resources.get_or_insert_with(ResourceRequirements::default);
    canonicalize_resource_list(&mut r.limits);
    canonicalize_resource_list(&mut r.requests);
}

fn default_probe(probe: &mut Option<Probe>) {
    let Some(p) = probe else { return };
    for (field, value) in [
        (&mut p.timeout_seconds, 1),
        (&mut p.period_seconds, 10),
        (&mut p.success_threshold, 1),
        (&mut p.failure_threshold, 3),
    ] {
        if field.unwrap_or(0) == 0 {
            *field = Some(value);
        }
    }
    if let Some(h) = &mut p.http_get {
        set_if_empty(&mut h.path, "/");
        set_if_empty(&mut h.scheme, "HTTP");
    }
}

/// `SetDefaults_Container` and the defaults of what a container holds.
pub fn default_container(c: &mut Container) {
    if c.image_pull_policy.as_deref().is_none_or(str::is_empty) {
        let policy = if image_tag(c.image.as_deref().unwrap_or_default()) == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        };
        c.image_pull_policy = Some(policy.to_string());
    }
    set_if_empty(&mut c.termination_message_path, "/dev/termination-log");
    set_if_empty(&mut c.termination_message_policy, "File");
    for port in c.ports.iter_mut().flatten() {
        set_if_empty(&mut port.protocol, "TCP");
    }
    for env in c.env.iter_mut().flatten() {
        if let Some(field_ref) = env.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            set_if_empty(&mut field_ref.api_version, "v1");
        }
    }
    default_probe(&mut c.liveness_probe);
    default_probe(&mut c.readiness_probe);
    default_probe(&mut c.startup_probe);
    for handler in c
        .lifecycle
        .iter_mut()
        .flat_map(|l| [l.post_start.as_mut(), l.pre_stop.as_mut()])
        .flatten()
    {
        if let Some(h) = &mut handler.http_get {
            set_if_empty(&mut h.path, "/");
            set_if_empty(&mut h.scheme, "HTTP");
        }
    }
    default_resources(&mut c.resources);
}

/// A volume with no source set becomes an emptyDir; sources get their default modes.
pub fn default_volume(v: &mut Volume) {
    let has_source = v.host_path.is_some()
        || v.empty_dir.is_some()
        || v.gce_persistent_disk.is_some()
        || v.aws_elastic_block_store.is_some()
        || v.git_repo.is_some()
        || v.secret.is_some()
        || v.nfs.is_some()
        || v.iscsi.is_some()
        || v.glusterfs.is_some()
        || v.persistent_volume_claim.is_some()
        || v.rbd.is_some()
        || v.flex_volume.is_some()
        || v.cinder.is_some()
        || v.cephfs.is_some()
        || v.flocker.is_some()
        || v.downward_api.is_some()
        || v.fc.is_some()
        || v.azure_file.is_some()
        || v.config_map.is_some()
        || v.vsphere_volume.is_some()
        || v.quobyte.is_some()
        || v.azure_disk.is_some()
        || v.photon_persistent_disk.is_some()
        || v.projected.is_some()
        || v.portworx_volume.is_some()
        || v.scale_io.is_some()
        || v.storageos.is_some()
        || v.csi.is_some()
        || v.ephemeral.is_some()
        || v.image.is_some();
    if !has_source {
        v.empty_dir = Some(Default::default());
    }
    if let Some(hp) = &mut v.host_path
        && hp.type_.is_none()
    {
        hp.type_ = Some(String::new());
    }
    if let Some(s) = &mut v.secret {
        s.default_mode.get_or_insert(DEFAULT_VOLUME_MODE);
    }
    if let Some(cm) = &mut v.config_map {
        cm.default_mode.get_or_insert(DEFAULT_VOLUME_MODE);
    }
    if let Some(d) = &mut v.downward_api {
        d.default_mode.get_or_insert(DEFAULT_VOLUME_MODE);
        for item in d.items.iter_mut().flatten() {
            if let Some(f) = &mut item.field_ref {
                set_if_empty(&mut f.api_version, "v1");
            }
        }
    }
    if let Some(p) = &mut v.projected {
        p.default_mode.get_or_insert(DEFAULT_VOLUME_MODE);
        for src in p.sources.iter_mut().flatten() {
            if let Some(token) = &mut src.service_account_token {
                token.expiration_seconds.get_or_insert(3600);
            }
            for item in src
                .downward_api
                .iter_mut()
                .flat_map(|d| d.items.iter_mut().flatten())
            {
                if let Some(f) = &mut item.field_ref {
                    set_if_empty(&mut f.api_version, "v1");
                }
            }
        }
    }
    if let Some(iscsi) = &mut v.iscsi {
        set_if_empty(&mut iscsi.iscsi_interface, "default");
    }
    if let Some(claim) = v
        .ephemeral
        .as_mut()
        .and_then(|e| e.volume_claim_template.as_mut())
    {
        default_persistent_volume_claim_spec(&mut claim.spec);
    }
}

/// `SetDefaults_PersistentVolumeClaimSpec`: volumeMode Filesystem; quantities canonical.
pub fn default_persistent_volume_claim_spec(spec: &mut PersistentVolumeClaimSpec) {
    set_if_empty(&mut spec.volume_mode, "Filesystem");
    if let Some(r) = &mut spec.resources {
        canonicalize_resource_list(&mut r.limits);
        canonicalize_resource_list(&mut r.requests);
    }
}

/// `SetDefaults_PodSpec` plus everything nested in it; the defaults of pods and templates.
pub fn default_pod_spec(spec: &mut PodSpec) {
    set_if_empty(&mut spec.dns_policy, "ClusterFirst");
    set_if_empty(&mut spec.restart_policy, "Always");
    spec.security_context
        .get_or_insert_with(PodSecurityContext::default);
    spec.termination_grace_period_seconds
        .get_or_insert(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
    set_if_empty(&mut spec.scheduler_name, "default-scheduler");
    // the v1 conversion fills serviceAccountName from the deprecated field and back
    if spec
        .service_account_name
        .as_deref()
        .is_none_or(str::is_empty)
        && let Some(sa) = spec.service_account.clone().filter(|sa| !sa.is_empty())
    {
        spec.service_account_name = Some(sa);
    }
    if let Some(sa) = spec
        .service_account_name
        .clone()
        .filter(|sa| !sa.is_empty())
    {
        spec.service_account = Some(sa);
    }
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        default_container(c);
    }
    for v in spec.volumes.iter_mut().flatten() {
        default_volume(v);
    }
    if let Some(overhead) = &mut spec.overhead {
        for q in overhead.values_mut() {
            q.0 = canonicalize(&q.0);
        }
    }
}

/// With host networking, a container port's hostPort defaults to its containerPort.
fn default_host_network_ports(spec: &mut PodSpec) {
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        for port in c.ports.iter_mut().flatten() {
            if port.host_port.unwrap_or(0) == 0 {
                port.host_port = Some(port.container_port);
            }
        }
    }
}

pub fn default_pod_template_spec(template: &mut PodTemplateSpec) {
    default_pod_spec(template.spec.get_or_insert_with(Default::default));
}

/// Defaults of a Pod object (`SetDefaults_Pod`): requests from limits, enableServiceLinks,
/// then the admission defaults of a new pod.
pub fn default_pod(pod: &mut Pod) {
    let spec = pod.spec.get_or_insert_with(Default::default);
    default_pod_spec(spec);
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        if let Some(r) = &mut c.resources
            && let Some(limits) = r.limits.clone()
        {
            let requests = r.requests.get_or_insert_with(Default::default);
            for (k, v) in limits {
                requests.entry(k).or_insert(v);
            }
        }
    }
    spec.enable_service_links.get_or_insert(true);
    // only pods: DefaultHostNetworkHostPortsInPodTemplates is off
    if spec.host_network == Some(true) {
        default_host_network_ports(spec);
    }
    admit_pod(spec);
}

/// What the ServiceAccount and DefaultTolerationSeconds admission plugins add to new pods
/// (the service account token volume is not mounted by berth).
fn admit_pod(spec: &mut PodSpec) {
    if spec
        .service_account_name
        .as_deref()
        .is_none_or(str::is_empty)
    {
        spec.service_account_name = Some("default".to_string());
        spec.service_account = Some("default".to_string());
    }
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let tolerated = spec.tolerations.iter().flatten().any(|t| {
            let tkey = t.key.as_deref().unwrap_or_default();
            let effect = t.effect.as_deref().unwrap_or_default();
            (tkey == key || tkey.is_empty()) && (effect == "NoExecute" || effect.is_empty())
        });
        if !tolerated {
            spec.tolerations
                .get_or_insert_with(Vec::new)
                .push(Toleration {
                    key: Some(key.to_string()),
                    operator: Some("Exists".to_string()),
                    effect: Some("NoExecute".to_string()),
                    toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
                    value: None,
                });
        }
    }
}

/// A service port's targetPort defaults to its port.
pub(crate) fn default_target_port(port: i32, target: &mut Option<IntOrString>) {
    let unset = match target {
        None => true,
        Some(IntOrString::Int(0)) => true,
        Some(IntOrString::String(s)) => s.is_empty(),
        Some(IntOrString::Int(_)) => false,
    };
    if unset {
        *target = Some(IntOrString::Int(port));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_tag() {
        for (image, want) in [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("localhost:5000/nginx", "Always"),
            ("localhost:5000/nginx:1", "IfNotPresent"),
            ("nginx@sha256:abc", "IfNotPresent"),
            ("nginx:latest@sha256:abc", "Always"),
        ] {
            let mut c = Container {
                image: Some(image.into()),
                ..Default::default()
            };
            default_container(&mut c);
            assert_eq!(c.image_pull_policy.as_deref(), Some(want), "{image}");
        }
    }

    #[test]
    fn pod_gets_spec_and_admission_defaults() {
        let mut pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                "ports": [{"containerPort": 80}],
                "resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}},
                "readinessProbe": {"httpGet": {"port": 80}},
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
                "volumes": [{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}}],
                "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists"}]}
        }))
        .unwrap();
        default_pod(&mut pod);
        let got = serde_json::to_value(&pod).unwrap();
        let spec = &got["spec"];
        assert_eq!(spec["restartPolicy"], "Always");
        assert_eq!(spec["dnsPolicy"], "ClusterFirst");
        assert_eq!(spec["terminationGracePeriodSeconds"], 30);
        assert_eq!(spec["schedulerName"], "default-scheduler");
        assert_eq!(spec["securityContext"], serde_json::json!({}));
        assert_eq!(spec["enableServiceLinks"], true);
        assert_eq!(spec["serviceAccountName"], "default");
        assert_eq!(spec["serviceAccount"], "default");
        let c = &spec["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(c["terminationMessagePolicy"], "File");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(c["resources"]["limits"]["cpu"], "1");
        assert_eq!(
            c["resources"]["requests"],
            serde_json::json!({"cpu": "1", "memory": "1Gi"})
        );
        assert_eq!(
            c["readinessProbe"],
            serde_json::json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
        assert_eq!(spec["volumes"][0]["emptyDir"], serde_json::json!({}));
        assert_eq!(spec["volumes"][1]["configMap"]["defaultMode"], 420);
        // the unreachable toleration exists (any effect), so only not-ready is added
        assert_eq!(
            spec["tolerations"],
            serde_json::json!([
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists"},
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            ])
        );
    }

    #[test]
    fn templates_get_no_pod_only_defaults() {
        let mut t = PodTemplateSpec {
            spec: Some(PodSpec {
                containers: vec![Container::default()],
                ..Default::default()
            }),
            ..Default::default()
        };
        default_pod_template_spec(&mut t);
        let spec = t.spec.unwrap();
        assert_eq!(spec.enable_service_links, None);
        assert_eq!(spec.service_account_name, None);
        assert_eq!(spec.tolerations, None);
        assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
        assert_eq!(
            spec.containers[0].resources,
            Some(ResourceRequirements::default())
        );
    }
}
