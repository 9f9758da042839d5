//! The resource registry: every kind berth serves, described once. Routing, discovery,
//! OpenAPI, decoding and printing are all derived from this table.

use k8s_openapi::api::{apps, coordination, core, discovery, events, rbac, storage};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::FieldError;
use crate::defaults::Defaulting;
use crate::validation::Validation;

/// A subresource served under `/<resource>/<name>/<subresource>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    Status,
    Scale,
    Log,
    Exec,
    Attach,
    PortForward,
    Binding,
    Eviction,
}

impl Subresource {
    pub fn name(self) -> &'static str {
        match self {
            Subresource::Status => "status",
            Subresource::Scale => "scale",
            Subresource::Log => "log",
            Subresource::Exec => "exec",
            Subresource::Attach => "attach",
            Subresource::PortForward => "portforward",
            Subresource::Binding => "binding",
            Subresource::Eviction => "eviction",
        }
    }

    /// (group, version, kind) of the object this subresource speaks, when it is not the parent's.
    pub fn response_kind(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            Subresource::Scale => Some(("autoscaling", "v1", "Scale")),
            Subresource::Binding => Some(("", "v1", "Binding")),
            Subresource::Eviction => Some(("policy", "v1", "Eviction")),
            Subresource::Exec => Some(("", "v1", "PodExecOptions")),
            Subresource::Attach => Some(("", "v1", "PodAttachOptions")),
            Subresource::PortForward => Some(("", "v1", "PodPortForwardOptions")),
            Subresource::Log | Subresource::Status => None,
        }
    }

    pub fn verbs(self) -> &'static [&'static str] {
        match self {
            Subresource::Status | Subresource::Scale => &["get", "patch", "update"],
            Subresource::Log => &["get"],
            Subresource::Exec | Subresource::Attach | Subresource::PortForward => {
                &["create", "get"]
            }
            Subresource::Binding | Subresource::Eviction => &["create"],
        }
    }

    pub fn from_name(name: &str) -> Option<Subresource> {
        [
            Subresource::Status,
            Subresource::Scale,
            Subresource::Log,
            Subresource::Exec,
            Subresource::Attach,
            Subresource::PortForward,
            Subresource::Binding,
            Subresource::Eviction,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// Typed operations on one kind, implemented once generically over its k8s-openapi type.
pub trait Codec: Send + Sync {
    /// Decodes `value` into the typed object and back, which drops unknown fields and
    /// normalises the shape (`value` is only read: callers keep it to explain errors). Each unknown field path is passed to `on_unknown`
    /// (upstream's form: `spec.template.spec.containers[0].foo`). Defaults are applied
    /// when `apply_defaults` is true.
    fn normalize(
        &self,
        value: &Value,
        apply_defaults: bool,
        on_unknown: &mut dyn FnMut(String),
    ) -> Result<Value, String>;

    /// Validation of a new object (`old` = None) or of an update.
    fn validate(&self, new: &Value, old: Option<&Value>) -> Vec<FieldError>;

    /// The JSON schema of the kind, registered in `generator` under upstream's name.
    fn schema(&self, generator: &mut SchemaGenerator) -> Schema;
}

struct Typed<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Codec for Typed<T>
where
    T: DeserializeOwned + Serialize + JsonSchema + Defaulting + Validation,
{
    fn normalize(
        &self,
        value: &Value,
        apply_defaults: bool,
        on_unknown: &mut dyn FnMut(String),
    ) -> Result<Value, String> {
        let mut typed: T =
            serde_ignored::deserialize(value, |path| on_unknown(unknown_field_path(&path)))
                .map_err(|e| e.to_string())?;
        if apply_defaults {
            typed.apply_defaults();
        }
        serde_json::to_value(&typed).map_err(|e| e.to_string())
    }

    fn validate(&self, new: &Value, old: Option<&Value>) -> Vec<FieldError> {
        let Ok(new) = T::deserialize(new) else {
            return Vec::new();
        };
        match old.map(T::deserialize) {
            Some(Ok(old)) => new.validate_update(&old),
            _ => new.validate_create(),
        }
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
}

/// `spec.containers.0.foo` (serde_ignored) → `spec.containers[0].foo` (upstream).
fn unknown_field_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", unknown_field_path(parent)),
        P::Map { parent, key } => {
            let p = unknown_field_path(parent);
            if p.is_empty() {
                key.clone()
            } else {
                format!("{p}.{key}")
            }
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            unknown_field_path(parent)
        }
    }
}

/// One served kind.
pub struct ResourceType {
    /// API group; "" is the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// The URL segment (lowercase plural).
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub subresources: &'static [Subresource],
    /// `metadata.generation` is kept and bumped on spec changes.
    pub has_generation: bool,
    /// Namespaces and the like have no `deletecollection`.
    pub collection_delete: bool,
    pub codec: &'static dyn Codec,
}

impl std::fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.api_version(), self.plural)
    }
}

impl ResourceType {
    /// `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `statefulsets.apps`, `pods` — the name used in messages.
    pub fn qualified_plural(&self) -> String {
        self.qualified(self.plural)
    }

    /// `StatefulSet.apps`, `Pod` — the kind qualifier used in Invalid messages.
    pub fn qualified_kind(&self) -> String {
        self.qualified(self.kind)
    }

    /// `name.group`, or `name` alone in the core group.
    fn qualified(&self, name: &str) -> String {
        if self.group.is_empty() {
            name.to_string()
        } else {
            format!("{name}.{}", self.group)
        }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    pub fn has(&self, sub: Subresource) -> bool {
        self.subresources.contains(&sub)
    }

    /// The kind whose stored objects this kind shows in another shape: events.k8s.io Events
    /// are the core Events (one object, two APIs, as upstream stores them). None for every
    /// kind stored as itself.
    pub fn stored_as(&self) -> Option<&'static ResourceType> {
        (self.group == "events.k8s.io")
            .then(|| find("", "v1", "events").expect("core events are registered"))
    }

    /// The store key prefix of this kind: `/registry/<group>/<plural>/`.
    pub fn key_prefix(&self) -> String {
        if let Some(storage) = self.stored_as() {
            return storage.key_prefix();
        }
        let group = if self.group.is_empty() {
            "core"
        } else {
            self.group
        };
        format!("/registry/{group}/{}/", self.plural)
    }

    /// The store key of one object.
    pub fn key(&self, namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) if self.namespaced => format!("{}{ns}/{name}", self.key_prefix()),
            _ => format!("{}{name}", self.key_prefix()),
        }
    }

    /// The store prefix for listing: one namespace or all.
    pub fn list_prefix(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.namespaced => format!("{}{ns}/", self.key_prefix()),
            _ => self.key_prefix(),
        }
    }

    pub fn verbs(&self) -> &'static [&'static str] {
        if self.collection_delete {
            &[
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        } else {
            &[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ]
        }
    }
}

macro_rules! codec {
    ($t:ty) => {{
        static C: Typed<$t> = Typed(std::marker::PhantomData);
        &C
    }};
}

use Subresource as S;

/// Everything berth serves, in discovery order.
pub static RESOURCES: &[ResourceType] = &[
    rt(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        false,
        &["ns"],
        &[],
        &[S::Status],
        false,
        false,
        codec!(core::v1::Namespace),
    ),
    rt(
        "",
        "v1",
        "Node",
        "nodes",
        "node",
        false,
        &["no"],
        &[],
        &[S::Status],
        false,
        true,
        codec!(core::v1::Node),
    ),
    rt(
        "",
        "v1",
        "Pod",
        "pods",
        "pod",
        true,
        &["po"],
        &["all"],
        &[
            S::Status,
            S::Log,
            S::Exec,
            S::Attach,
            S::PortForward,
            S::Binding,
            S::Eviction,
        ],
        true,
        true,
        codec!(core::v1::Pod),
    ),
    rt(
        "",
        "v1",
        "Service",
        "services",
        "service",
        true,
        &["svc"],
        &["all"],
        &[S::Status],
        false,
        true,
        codec!(core::v1::Service),
    ),
    rt(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        "endpoints",
        true,
        &["ep"],
        &[],
        &[],
        false,
        true,
        codec!(core::v1::Endpoints),
    ),
    rt(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
        false,
        &["pv"],
        &[],
        &[S::Status],
        false,
        true,
        codec!(core::v1::PersistentVolume),
    ),
    rt(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        true,
        &["pvc"],
        &[],
        &[S::Status],
        false,
        true,
        codec!(core::v1::PersistentVolumeClaim),
    ),
    rt(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        "configmap",
        true,
        &["cm"],
        &[],
        &[],
        false,
        true,
        codec!(core::v1::ConfigMap),
    ),
    rt(
        "",
        "v1",
        "Secret",
        "secrets",
        "secret",
        true,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(core::v1::Secret),
    ),
    rt(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        true,
        &["sa"],
        &[],
        &[],
        false,
        true,
        codec!(core::v1::ServiceAccount),
    ),
    rt(
        "",
        "v1",
        "Event",
        "events",
        "event",
        true,
        &["ev"],
        &[],
        &[],
        false,
        true,
        codec!(core::v1::Event),
    ),
    rt(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        true,
        &["sts"],
        &["all"],
        &[S::Status, S::Scale],
        true,
        true,
        codec!(apps::v1::StatefulSet),
    ),
    rt(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
        true,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(apps::v1::ControllerRevision),
    ),
    rt(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        true,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(discovery::v1::EndpointSlice),
    ),
    rt(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        "storageclass",
        false,
        &["sc"],
        &[],
        &[],
        false,
        true,
        codec!(storage::v1::StorageClass),
    ),
    rt(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        "lease",
        true,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(coordination::v1::Lease),
    ),
    rt(
        "events.k8s.io",
        "v1",
        "Event",
        "events",
        "event",
        true,
        &["ev"],
        &[],
        &[],
        false,
        true,
        codec!(events::v1::Event),
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        false,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(rbac::v1::ClusterRole),
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        false,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(rbac::v1::ClusterRoleBinding),
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        "role",
        true,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(rbac::v1::Role),
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        true,
        &[],
        &[],
        &[],
        false,
        true,
        codec!(rbac::v1::RoleBinding),
    ),
];

#[allow(clippy::too_many_arguments)]
const fn rt(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [Subresource],
    has_generation: bool,
    collection_delete: bool,
    codec: &'static dyn Codec,
) -> ResourceType {
    ResourceType {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        categories,
        subresources,
        has_generation,
        collection_delete,
        codec,
    }
}

/// Finds a kind by group, version and URL plural.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds a kind by group and kind name.
pub fn find_kind(group: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind == kind)
}

/// The (group, version) pairs served, core first, in discovery order.
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_reported_with_upstream_paths() {
        let sts = find("apps", "v1", "statefulsets").unwrap();
        let body = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "bogus": 1},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "c", "image": "nginx", "foo": "x"}]}}}
        });
        let mut unknown = Vec::new();
        sts.codec
            .normalize(&body, false, &mut |p| unknown.push(p))
            .unwrap();
        unknown.sort();
        assert_eq!(
            unknown,
            vec!["metadata.bogus", "spec.template.spec.containers[0].foo"]
        );
    }

    #[test]
    fn keys_are_scoped() {
        let pods = find("", "v1", "pods").unwrap();
        assert_eq!(
            pods.key(Some("default"), "web-0"),
            "/registry/core/pods/default/web-0"
        );
        let ns = find("", "v1", "namespaces").unwrap();
        assert_eq!(
            ns.key(Some("x"), "default"),
            "/registry/core/namespaces/default"
        );
        let ev = find("events.k8s.io", "v1", "events").unwrap();
        assert_eq!(ev.key_prefix(), "/registry/core/events/");
        assert_eq!(ev.stored_as().map(|k| k.group), Some(""));
        assert!(find("", "v1", "events").unwrap().stored_as().is_none());
    }
}
