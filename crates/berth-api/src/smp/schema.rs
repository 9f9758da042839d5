//! Patch metadata per kind: which lists merge by key, which are sets, which structs and
//! maps are atomic.
//!
//! k8s-openapi's types carry no `patchStrategy`/`patchMergeKey`/`listType` information, so
//! the shape of each kind comes from its schemars JSON schema and the strategies from a
//! table derived from upstream's Go struct tags and `+listType`/`+structType`/`+mapType`
//! markers (k8s.io/api, k8s.io/apimachinery meta/v1), listing only what our kinds use.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use schemars::SchemaGenerator;
use serde_json::{Map, Value};

use crate::registry::{RESOURCES, ResourceType, Subresource};

/// How a strategic merge patch treats a list field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmpList {
    /// The patch's list replaces the original (no patchStrategy).
    Replace,
    /// `patchStrategy:"merge"` on a list of primitives: union, `$deleteFromPrimitiveList`.
    MergePrimitives,
    /// `patchStrategy:"merge" patchMergeKey:"<key>"`: items merge by this key.
    MergeByKey(&'static str),
}

/// How server-side apply treats a list field (`+listType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SsaList {
    /// Owned and replaced as a whole (the default for lists).
    Atomic,
    /// `listType=set`: a set of primitives, each value owned on its own.
    Set,
    /// `listType=map` with these `listMapKey`s.
    Map(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListRule {
    pub smp: SmpList,
    pub ssa: SsaList,
}

const ATOMIC_LIST: ListRule = ListRule {
    smp: SmpList::Replace,
    ssa: SsaList::Atomic,
};

/// Index of a shape in a [`PatchSchema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeId(usize);

/// Fields that are not in the schema (tolerated in patches) get this shape: maps merge,
/// lists replace, scalars are leaves.
pub(crate) const UNTYPED: NodeId = NodeId(0);

#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// Shape unknown: decided by the value.
    Untyped,
    Scalar,
    /// An object with named properties.
    Struct {
        fields: HashMap<String, NodeId>,
        atomic: bool,
    },
    /// An object with arbitrary keys, all of one shape.
    Map {
        values: NodeId,
        atomic: bool,
    },
    List {
        items: NodeId,
        rule: ListRule,
    },
}

/// Patch and apply metadata of one kind.
#[derive(Debug)]
pub struct PatchSchema {
    nodes: Vec<Shape>,
    root: NodeId,
    api_version: String,
    kind: String,
    status_subresource: bool,
}

impl PatchSchema {
    /// Builds the metadata of `rt` from its schemars schema and the strategy table.
    pub fn for_resource(rt: &ResourceType) -> PatchSchema {
        let mut generator = SchemaGenerator::default();
        let root = rt.codec.schema(&mut generator);
        let mut builder = Builder {
            definitions: generator.definitions(),
            nodes: vec![Shape::Untyped],
            by_name: HashMap::new(),
        };
        let root = builder.shape_of(root.as_value(), None);
        PatchSchema {
            nodes: builder.nodes,
            root,
            api_version: rt.api_version(),
            kind: rt.kind.to_string(),
            status_subresource: rt.has(Subresource::Status),
        }
    }

    /// `apps/v1` or `v1`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether `status` is written through its own subresource (and so is reset on writes
    /// to the main resource, and not tracked in their managedFields).
    pub fn has_status_subresource(&self) -> bool {
        self.status_subresource
    }

    pub(crate) fn root(&self) -> NodeId {
        self.root
    }

    pub(crate) fn shape(&self, id: NodeId) -> &Shape {
        &self.nodes[id.0]
    }

    /// The shape of `key` inside the object shape `id`.
    pub(crate) fn field(&self, id: NodeId, key: &str) -> NodeId {
        match self.shape(id) {
            Shape::Struct { fields, .. } => fields.get(key).copied().unwrap_or(UNTYPED),
            Shape::Map { values, .. } => *values,
            _ => UNTYPED,
        }
    }

    /// Whether `key` is a named property of the struct shape `id` (not a map entry or an
    /// unknown field).
    pub(crate) fn is_named_field(&self, id: NodeId, key: &str) -> bool {
        matches!(self.shape(id), Shape::Struct { fields, .. } if fields.contains_key(key))
    }

    /// The item shape of the list shape `id`.
    pub(crate) fn items(&self, id: NodeId) -> NodeId {
        match self.shape(id) {
            Shape::List { items, .. } => *items,
            _ => UNTYPED,
        }
    }

    /// The list rule of `id`; lists outside the table (and non-lists) are atomic.
    pub(crate) fn list_rule(&self, id: NodeId) -> ListRule {
        match self.shape(id) {
            Shape::List { rule, .. } => *rule,
            _ => ATOMIC_LIST,
        }
    }
}

/// The patch metadata of a served kind, built once per kind.
pub fn patch_schema(rt: &ResourceType) -> &'static PatchSchema {
    static CACHE: LazyLock<Vec<OnceLock<PatchSchema>>> =
        LazyLock::new(|| RESOURCES.iter().map(|_| OnceLock::new()).collect());
    match RESOURCES
        .iter()
        .position(|r| r.group == rt.group && r.version == rt.version && r.kind == rt.kind)
    {
        Some(i) => CACHE[i].get_or_init(|| PatchSchema::for_resource(rt)),
        // Not a registry kind (only in tests): build it and keep it for the process.
        None => Box::leak(Box::new(PatchSchema::for_resource(rt))),
    }
}

struct Builder<'a> {
    definitions: &'a Map<String, Value>,
    nodes: Vec<Shape>,
    by_name: HashMap<String, NodeId>,
}

impl Builder<'_> {
    /// The shape of `schema`, which is the schema of property `owner` (definition,
    /// property) when given.
    fn shape_of(&mut self, schema: &Value, owner: Option<(&str, &str)>) -> NodeId {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or(reference);
            let id = self.definition(name);
            if owner.is_some_and(|o| GRANULAR_STRUCT_FIELDS.contains(&o))
                && let Shape::Struct { fields, .. } = self.nodes[id.0].clone()
            {
                return self.push(Shape::Struct {
                    fields,
                    atomic: false,
                });
            }
            return id;
        }
        let is_type = |t: &str| schema.get("type").and_then(Value::as_str) == Some(t);
        let shape = if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            // An inline object (k8s-openapi names every struct, so this is rare): its
            // properties have no definition to look up in the tables.
            let mut fields = HashMap::new();
            for (name, property) in properties {
                fields.insert(name.clone(), self.shape_of(property, Some(("", name))));
            }
            Shape::Struct {
                fields,
                atomic: false,
            }
        } else if is_type("array") {
            let items = schema
                .get("items")
                .map_or(UNTYPED, |items| self.shape_of(items, None));
            let rule = owner
                .and_then(|(d, p)| LIST_RULES.iter().find(|r| r.0 == d && r.1 == p))
                .map_or(ATOMIC_LIST, |r| r.2);
            Shape::List { items, rule }
        } else if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let values = self.shape_of(values, None);
            Shape::Map {
                values,
                atomic: owner.is_some_and(|o| ATOMIC_MAP_FIELDS.contains(&o)),
            }
        } else if is_type("object") || schema.get("type").is_none() {
            Shape::Untyped
        } else {
            Shape::Scalar
        };
        self.push(shape)
    }

    fn definition(&mut self, name: &str) -> NodeId {
        if let Some(id) = self.by_name.get(name) {
            return *id;
        }
        // Reserve the slot first so that recursive types terminate.
        let id = self.push(Shape::Untyped);
        self.by_name.insert(name.to_string(), id);
        let Some(schema) = self.definitions.get(name) else {
            return id;
        };
        let shape = match schema.get("properties").and_then(Value::as_object) {
            Some(properties) => {
                let mut fields = HashMap::new();
                for (field, property) in properties {
                    fields.insert(field.clone(), self.shape_of(property, Some((name, field))));
                }
                Shape::Struct {
                    fields,
                    atomic: ATOMIC_STRUCTS.contains(&name),
                }
            }
            None => {
                let inline = self.shape_of(schema, None);
                self.nodes[inline.0].clone()
            }
        };
        self.nodes[id.0] = shape;
        id
    }

    fn push(&mut self, shape: Shape) -> NodeId {
        self.nodes.push(shape);
        NodeId(self.nodes.len() - 1)
    }
}

/// `patchStrategy:"merge" patchMergeKey:"<key>"` with `listType=map` keyed by `keys`.
const fn keyed(merge_key: &'static str, keys: &'static [&'static str]) -> ListRule {
    ListRule {
        smp: SmpList::MergeByKey(merge_key),
        ssa: SsaList::Map(keys),
    }
}

/// `patchStrategy:"merge"` on primitives with `listType=set`.
const PRIMITIVE_SET: ListRule = ListRule {
    smp: SmpList::MergePrimitives,
    ssa: SsaList::Set,
};

/// `listType=set` without a patch strategy.
const SSA_SET: ListRule = ListRule {
    smp: SmpList::Replace,
    ssa: SsaList::Set,
};

/// `listType=map` without a patch strategy.
const fn ssa_map(keys: &'static [&'static str]) -> ListRule {
    ListRule {
        smp: SmpList::Replace,
        ssa: SsaList::Map(keys),
    }
}

const NAME: &[&str] = &["name"];
const TYPE: &[&str] = &["type"];
const MOUNT_PATH: &[&str] = &["mountPath"];

/// (definition, property, rule) for every list of our kinds that is not a plain atomic list.
const LIST_RULES: &[(&str, &str, ListRule)] = &[
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "finalizers",
        PRIMITIVE_SET,
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "ownerReferences",
        keyed("uid", &["uid"]),
    ),
    ("io.k8s.api.core.v1.PodSpec", "volumes", keyed("name", NAME)),
    (
        "io.k8s.api.core.v1.PodSpec",
        "initContainers",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "containers",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "ephemeralContainers",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "imagePullSecrets",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "hostAliases",
        keyed("ip", &["ip"]),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "topologySpreadConstraints",
        keyed("topologyKey", &["topologyKey", "whenUnsatisfiable"]),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "schedulingGates",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "resourceClaims",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "evictionResponders",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.Container",
        "ports",
        keyed("containerPort", &["containerPort", "protocol"]),
    ),
    ("io.k8s.api.core.v1.Container", "env", keyed("name", NAME)),
    (
        "io.k8s.api.core.v1.Container",
        "volumeMounts",
        keyed("mountPath", MOUNT_PATH),
    ),
    (
        "io.k8s.api.core.v1.Container",
        "volumeDevices",
        keyed("devicePath", &["devicePath"]),
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "ports",
        keyed("containerPort", &["containerPort", "protocol"]),
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "env",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "volumeMounts",
        keyed("mountPath", MOUNT_PATH),
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "volumeDevices",
        keyed("devicePath", &["devicePath"]),
    ),
    (
        "io.k8s.api.core.v1.ResourceRequirements",
        "claims",
        ssa_map(NAME),
    ),
    (
        "io.k8s.api.core.v1.VolumeMount",
        "bindMountOptions",
        SSA_SET,
    ),
    (
        "io.k8s.api.core.v1.ContainerRestartRuleOnExitCodes",
        "values",
        SSA_SET,
    ),
    (
        "io.k8s.api.core.v1.ContainerStatus",
        "volumeMounts",
        keyed("mountPath", MOUNT_PATH),
    ),
    (
        "io.k8s.api.core.v1.ContainerStatus",
        "allocatedResourcesStatus",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.ResourceStatus",
        "resources",
        ssa_map(&["resourceID"]),
    ),
    (
        "io.k8s.api.core.v1.PodStatus",
        "conditions",
        keyed("type", TYPE),
    ),
    // Merged by ip in patches, but atomic for apply.
    (
        "io.k8s.api.core.v1.PodStatus",
        "hostIPs",
        ListRule {
            smp: SmpList::MergeByKey("ip"),
            ssa: SsaList::Atomic,
        },
    ),
    (
        "io.k8s.api.core.v1.PodStatus",
        "podIPs",
        keyed("ip", &["ip"]),
    ),
    (
        "io.k8s.api.core.v1.PodStatus",
        "resourceClaimStatuses",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PodStatus",
        "nodeAllocatableResourceClaimStatuses",
        keyed("resourceClaimName", &["resourceClaimName"]),
    ),
    (
        "io.k8s.api.core.v1.PodStatus",
        "volumeHealth",
        ssa_map(NAME),
    ),
    (
        "io.k8s.api.core.v1.PodVolumeHealth",
        "healthConditions",
        keyed("status", &["status", "reason"]),
    ),
    (
        "io.k8s.api.core.v1.VolumeHealthStatus",
        "healthConditions",
        keyed("status", &["status", "reason"]),
    ),
    (
        "io.k8s.api.core.v1.NodeAllocatableResourceClaimStatus",
        "containers",
        SSA_SET,
    ),
    (
        "io.k8s.api.core.v1.NodeAllocatableResourceClaimStatus",
        "mapping",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.NodeAllocatableResourceClaimStatus",
        "overhead",
        keyed("name", NAME),
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimStatus",
        "conditions",
        keyed("type", TYPE),
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "ports",
        keyed("port", &["port", "protocol"]),
    ),
    (
        "io.k8s.api.core.v1.ServiceStatus",
        "conditions",
        keyed("type", TYPE),
    ),
    (
        "io.k8s.api.core.v1.ServiceAccount",
        "secrets",
        keyed("name", NAME),
    ),
    ("io.k8s.api.core.v1.NodeSpec", "podCIDRs", PRIMITIVE_SET),
    (
        "io.k8s.api.core.v1.NodeStatus",
        "conditions",
        keyed("type", TYPE),
    ),
    (
        "io.k8s.api.core.v1.NodeStatus",
        "addresses",
        keyed("type", TYPE),
    ),
    (
        "io.k8s.api.core.v1.NamespaceStatus",
        "conditions",
        keyed("type", TYPE),
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetStatus",
        "conditions",
        keyed("type", TYPE),
    ),
    ("io.k8s.api.discovery.v1.Endpoint", "addresses", SSA_SET),
];

/// Definitions marked `+structType=atomic`.
const ATOMIC_STRUCTS: &[&str] = &[
    "io.k8s.api.core.v1.SecretReference",
    "io.k8s.api.core.v1.FileKeySelector",
    "io.k8s.api.core.v1.ObjectFieldSelector",
    "io.k8s.api.core.v1.ResourceFieldSelector",
    "io.k8s.api.core.v1.ConfigMapKeySelector",
    "io.k8s.api.core.v1.SecretKeySelector",
    "io.k8s.api.core.v1.NodeSelector",
    "io.k8s.api.core.v1.NodeSelectorTerm",
    "io.k8s.api.core.v1.TopologySelectorTerm",
    "io.k8s.api.core.v1.EvictionResponder",
    "io.k8s.api.core.v1.EndpointAddress",
    "io.k8s.api.core.v1.EndpointPort",
    "io.k8s.api.core.v1.ObjectReference",
    "io.k8s.api.core.v1.LocalObjectReference",
    "io.k8s.api.core.v1.TypedLocalObjectReference",
    "io.k8s.api.discovery.v1.EndpointPort",
    "io.k8s.api.rbac.v1.Subject",
    "io.k8s.api.rbac.v1.RoleRef",
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
];

/// Map-valued properties marked `+mapType=atomic`.
const ATOMIC_MAP_FIELDS: &[(&str, &str)] = &[
    ("io.k8s.api.core.v1.PodSpec", "nodeSelector"),
    ("io.k8s.api.core.v1.ServiceSpec", "selector"),
];

/// Properties whose type is an atomic struct but which are marked `+structType=granular`.
const GRANULAR_STRUCT_FIELDS: &[(&str, &str)] =
    &[("io.k8s.api.core.v1.PersistentVolumeSpec", "claimRef")];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table entry names a definition and property that one of our kinds has, so a
    /// typo or an upstream rename cannot silently disable a strategy.
    #[test]
    fn tables_name_existing_properties() {
        let mut generator = SchemaGenerator::default();
        for rt in RESOURCES {
            rt.codec.schema(&mut generator);
        }
        let definitions = generator.definitions();
        let has_property = |definition: &str, property: &str| {
            definitions
                .get(definition)
                .and_then(|d| d.get("properties"))
                .and_then(|p| p.get(property))
                .is_some()
        };
        let properties = LIST_RULES
            .iter()
            .map(|r| (r.0, r.1))
            .chain(ATOMIC_MAP_FIELDS.iter().copied())
            .chain(GRANULAR_STRUCT_FIELDS.iter().copied());
        for (definition, property) in properties {
            assert!(
                has_property(definition, property),
                "{definition}.{property}"
            );
        }
        for definition in ATOMIC_STRUCTS {
            assert!(definitions.contains_key(*definition), "{definition}");
        }
    }

    #[test]
    fn nested_fields_resolve_through_references() {
        let sts = patch_schema(crate::registry::find("apps", "v1", "statefulsets").unwrap());
        let path = ["spec", "template", "spec", "containers"];
        let containers = path
            .iter()
            .fold(sts.root(), |node, key| sts.field(node, key));
        assert_eq!(sts.list_rule(containers), keyed("name", NAME));
        let ports = sts.field(sts.items(containers), "ports");
        assert_eq!(
            sts.list_rule(ports).ssa,
            SsaList::Map(&["containerPort", "protocol"])
        );
        let selector = sts.field(sts.field(sts.root(), "spec"), "selector");
        assert!(matches!(
            sts.shape(selector),
            Shape::Struct { atomic: true, .. }
        ));
        assert_eq!(sts.field(sts.root(), "bogus"), UNTYPED);
        assert_eq!(
            (sts.api_version(), sts.kind(), sts.has_status_subresource()),
            ("apps/v1", "StatefulSet", true)
        );
    }
}
