//! Server-side apply (`application/apply-patch+yaml`) and the `metadata.managedFields`
//! bookkeeping of every write, modelled on structured-merge-diff as kube-apiserver uses it.
//!
//! Field ownership is a set of field paths per manager, encoded as upstream's `FieldsV1`
//! (`f:<field>`, `k:{<merge keys as JSON>}` for items of keyed lists, `v:<JSON>` for
//! members of sets, `.` for a node that is owned itself and has owned children).
//! Which lists are keyed or sets and which structs and maps are atomic comes from the
//! kind's [`PatchSchema`].
//!
//! Simplified against upstream: no conversion between API versions (one version per
//! kind), no `last-applied-configuration` migration, no cap on the number of Update
//! managers, duplicate items of keyed lists are not diagnosed, and the fields reset by
//! a subresource write are approximated (main resource: `status`; `status`: `spec`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::Error;
use crate::smp::{NodeId, PatchSchema, Shape, SsaList};

/// Who writes, through which subresource, and when (RFC 3339, for `managedFields[].time`).
#[derive(Debug, Clone, Copy)]
pub struct ManagerInfo<'a> {
    /// The `fieldManager` of the request (or the user agent's name); empty means `unknown`.
    pub manager: &'a str,
    /// `Some("status")` for writes to `…/status`.
    pub subresource: Option<&'a str>,
    pub now: &'a str,
}

/// The result of an apply: the merged object, with its updated `metadata.managedFields`,
/// still to be defaulted and validated like any update.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyOutcome {
    pub object: Value,
}

/// One field another manager owns with a different value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyConflict {
    /// Upstream's manager description: `"kubectl-client-side-apply" using apps/v1`.
    pub manager: String,
    /// The field path, as in `Status.details.causes[].field`: `.spec.replicas`.
    pub field: String,
}

impl ApplyConflict {
    /// `Status.details.causes[].message`; the cause type is `FieldManagerConflict`.
    pub fn message(&self) -> String {
        format!("conflict with {}", self.manager)
    }
}

/// Applies `applied` (the request body) to `live` (None: the object does not exist yet)
/// on behalf of `manager`. Without `force`, fields that other managers own with another
/// value fail with [`Error::Conflicts`]; with it, their ownership moves to `manager`.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &ManagerInfo,
    force: bool,
    schema: &PatchSchema,
) -> Result<ApplyOutcome, Error> {
    check_applied_type(applied, schema)?;
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return Err(Error::BadRequest(
            "metadata.managedFields must be nil".into(),
        ));
    }
    let mut live = live.cloned().unwrap_or_else(|| zero_object(schema));
    let mut managers = decode_managers(&live)
        .map_err(|e| Error::Internal(format!("failed to decode managed fields: {e}")))?;
    remove_managed_fields(&mut live);
    let ignored = ignored_fields(schema, manager.subresource);
    let typed = Typed { schema, ignored };

    if managers.is_empty() {
        // Fields that exist before the first apply belong to a placeholder manager, so
        // that applying over them is a conflict rather than a silent takeover.
        let before = ManagerInfo {
            manager: "before-first-apply",
            subresource: None,
            now: manager.now,
        };
        update_managers(
            &mut managers,
            &zero_object(schema),
            &live,
            &before,
            schema.api_version(),
            &typed,
        )
        .map_err(Error::Internal)?;
    }

    let applier = ManagerEntry::new(manager, "Apply", schema.api_version());
    let applied_fields = typed.filter(
        typed
            .field_set(applied)
            .map_err(|e| typed_error("patch", schema, e))?,
    );
    let merged = typed
        .merge(Some(&live), Some(applied))
        .map_err(|e| typed_error("live", schema, e))?
        .unwrap_or_default();
    let last_applied = match managers.iter().position(|m| m.same_manager(&applier)) {
        Some(i) => {
            let previous = managers.remove(i);
            let fields = previous.fields.clone();
            managers.push(ManagerEntry {
                fields: applied_fields,
                time: previous.time,
                ..applier.clone()
            });
            fields
        }
        None => {
            managers.push(ManagerEntry {
                fields: applied_fields,
                time: None,
                ..applier.clone()
            });
            FieldSet::default()
        }
    };
    let new = typed.prune(merged, &managers, &last_applied);

    let comparison = typed
        .compare(&live, &new)
        .map_err(|e| typed_error("live", schema, e))?;
    let changed = comparison.modified.union(&comparison.added);
    let mut conflicts = Vec::new();
    for entry in managers.iter_mut().filter(|m| !m.same_manager(&applier)) {
        let taken = entry.fields.intersection(&changed);
        if taken.is_empty() {
            continue;
        }
        for path in taken.paths() {
            conflicts.push((
                entry.identity(),
                ApplyConflict {
                    manager: entry.describe(),
                    field: path_string(&path),
                },
            ));
        }
        entry.fields = entry.fields.difference(&taken);
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(conflicts));
    }
    for entry in managers.iter_mut().filter(|m| !m.same_manager(&applier)) {
        entry.fields = entry.fields.difference(&comparison.removed);
    }
    let changed_object = new != live;
    for entry in managers.iter_mut().filter(|m| m.same_manager(&applier)) {
        entry.fields = strip_meta(&entry.fields);
        if changed_object {
            entry.time = Some(manager.now.to_string());
        }
    }
    managers.retain(|m| !m.fields.is_empty());

    let mut object = if changed_object { new } else { live };
    set_managed_fields(&mut object, managers);
    Ok(ApplyOutcome { object })
}

/// Records in `new.metadata.managedFields` the fields that a create, update or patch by
/// `manager` changed, the way kube-apiserver does for every non-apply write. `old` is the
/// stored object (None on create). Managed fields sent in `new` replace the stored ones;
/// an empty list resets them.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &ManagerInfo,
    schema: &PatchSchema,
) {
    let stored = old
        .map(|o| decode_managers(o).unwrap_or_default())
        .unwrap_or_default();
    let mut managers = match new.pointer("/metadata/managedFields") {
        _ if manager.subresource.is_some() => stored,
        Some(Value::Array(entries))
            if entries.is_empty() || (entries.len() == 1 && entries[0] == json!({})) =>
        {
            Vec::new()
        }
        Some(Value::Array(_)) => match decode_managers(new) {
            Ok(sent) if !sent.is_empty() => sent,
            _ => stored,
        },
        _ => stored,
    };
    remove_managed_fields(new);
    // An existing object without managedFields stays without them (upstream tracks only
    // objects created while tracking was on, or reset through apply).
    let existing = old
        .and_then(|o| o.pointer("/metadata/uid"))
        .is_some_and(|uid| uid.as_str().is_some_and(|u| !u.is_empty()));
    if managers.is_empty() && existing {
        return;
    }
    let mut live = old.cloned().unwrap_or_else(|| zero_object(schema));
    remove_managed_fields(&mut live);
    let typed = Typed {
        schema,
        ignored: ignored_fields(schema, manager.subresource),
    };
    match update_managers(
        &mut managers,
        &live,
        new,
        manager,
        schema.api_version(),
        &typed,
    ) {
        Ok(()) => set_managed_fields(new, managers),
        // Upstream keeps the stored entries when it cannot compute new ones.
        Err(_) => {
            if let Some(stored) = old
                .and_then(|o| o.pointer("/metadata/managedFields"))
                .cloned()
            {
                set_managed_fields_value(new, stored);
            }
        }
    }
}

/// The ownership changes of an Update by `manager` from `live` to `new`.
fn update_managers(
    managers: &mut Vec<ManagerEntry>,
    live: &Value,
    new: &Value,
    manager: &ManagerInfo,
    api_version: &str,
    typed: &Typed,
) -> Result<(), String> {
    let comparison = typed.compare(live, new)?;
    let changed = comparison.modified.union(&comparison.added);
    for entry in managers.iter_mut() {
        entry.fields = entry
            .fields
            .difference(&changed)
            .difference(&comparison.removed);
    }
    let owned = strip_meta(&typed.filter(changed.difference(&comparison.removed)));
    let updater = ManagerEntry::new(manager, "Update", api_version);
    if !owned.is_empty() {
        match managers.iter_mut().find(|m| m.same_manager(&updater)) {
            Some(entry) => {
                entry.fields = entry.fields.union(&owned);
                entry.time = Some(manager.now.to_string());
            }
            None => managers.push(ManagerEntry {
                fields: owned,
                time: Some(manager.now.to_string()),
                ..updater
            }),
        }
    }
    managers.retain(|m| !m.fields.is_empty());
    Ok(())
}

/// What Go's zero value of the kind looks like as JSON: its non-pointer structs exist,
/// empty, and its lists without `omitempty` are `null`. Upstream compares a create against
/// this object, so these count as already present and their creator does not own them as
/// a whole.
fn zero_object(schema: &PatchSchema) -> Value {
    const EMBEDDED: &[(&str, &[&str])] = &[
        (
            "StatefulSet",
            &[
                "spec/template",
                "spec/template/metadata",
                "spec/template/spec",
                "spec/updateStrategy",
            ],
        ),
        ("Service", &["status/loadBalancer"]),
        ("PersistentVolumeClaim", &["spec/resources"]),
        (
            "Node",
            &[
                "status/daemonEndpoints",
                "status/daemonEndpoints/kubeletEndpoint",
                "status/nodeInfo",
            ],
        ),
    ];
    const NULL_LISTS: &[(&str, &str)] = &[
        ("StatefulSet", "spec/template/spec/containers"),
        ("Pod", "spec/containers"),
    ];
    let of_kind = |kind: &&str| *kind == schema.kind();
    let structs = ["metadata", "spec", "status"].into_iter().chain(
        EMBEDDED
            .iter()
            .filter(|e| of_kind(&e.0))
            .flat_map(|e| e.1.iter().copied()),
    );
    let nulls = NULL_LISTS.iter().filter(|e| of_kind(&e.0)).map(|e| e.1);
    let mut zero = json!({});
    for (path, value) in structs
        .map(|p| (p, json!({})))
        .chain(nulls.map(|p| (p, Value::Null)))
    {
        let node = path
            .split('/')
            .fold(schema.root(), |node, key| schema.field(node, key));
        if value.is_object() && !matches!(schema.shape(node), Shape::Struct { .. }) {
            continue;
        }
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        let parent_pointer = if parent.is_empty() {
            String::new()
        } else {
            format!("/{parent}")
        };
        if let Some(Value::Object(parent)) = zero.pointer_mut(&parent_pointer) {
            parent.insert(name.to_string(), value);
        }
    }
    zero
}

fn check_applied_type(applied: &Value, schema: &PatchSchema) -> Result<(), Error> {
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = applied
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if api_version == schema.api_version() && kind == schema.kind() {
        return Ok(());
    }
    // Go's GroupVersionKind.String(): `apps/v1, Kind=StatefulSet`, `/v1, Kind=Pod`.
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    Err(Error::BadRequest(format!(
        "invalid object type: {group}/{version}, Kind={kind}"
    )))
}

fn typed_error(which: &str, schema: &PatchSchema, error: String) -> Error {
    let (group, version) = schema
        .api_version()
        .split_once('/')
        .unwrap_or(("", schema.api_version()));
    Error::Internal(format!(
        "failed to create typed {which} object ({group}/{version}, Kind={}): {error}",
        schema.kind()
    ))
}

fn conflict_error(mut conflicts: Vec<(String, ApplyConflict)>) -> Error {
    let message = if let [(_, only)] = conflicts.as_slice() {
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.manager, only.field
        )
    } else {
        let mut by_manager: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
        for (identity, conflict) in &conflicts {
            by_manager
                .entry(identity)
                .or_insert((&conflict.manager, Vec::new()))
                .1
                .push(&conflict.field);
        }
        let mut lines = Vec::new();
        for (manager, fields) in by_manager.values() {
            lines.push(format!("conflicts with {manager}:"));
            lines.extend(fields.iter().map(|f| format!("- {f}")));
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    Error::Conflicts {
        message,
        conflicts: conflicts.drain(..).map(|(_, c)| c).collect(),
    }
}

/// Top-level fields a write through `subresource` does not own (the strategy resets them).
fn ignored_fields(schema: &PatchSchema, subresource: Option<&str>) -> &'static [&'static str] {
    match subresource {
        None if schema.has_status_subresource() => &["status"],
        Some("status") => &["spec"],
        _ => &[],
    }
}

/// Fields nobody owns: identity and server-managed metadata (upstream's stripMeta).
fn strip_meta(fields: &FieldSet) -> FieldSet {
    let mut strip = FieldSet::default();
    for top in ["apiVersion", "kind", "metadata"] {
        strip.insert(&[PathElement::Field(top.into())]);
    }
    for meta in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        strip.insert(&[
            PathElement::Field("metadata".into()),
            PathElement::Field(meta.into()),
        ]);
    }
    fields.difference(&strip)
}

fn remove_managed_fields(object: &mut Value) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.shift_remove("managedFields");
    }
}

fn set_managed_fields(object: &mut Value, mut managers: Vec<ManagerEntry>) {
    if managers.is_empty() {
        remove_managed_fields(object);
        return;
    }
    managers.sort_by(|a, b| {
        (
            a.operation.as_str(),
            a.time.as_deref().unwrap_or_default(),
            a.manager.as_str(),
            a.api_version.as_str(),
            a.subresource.as_str(),
        )
            .cmp(&(
                b.operation.as_str(),
                b.time.as_deref().unwrap_or_default(),
                b.manager.as_str(),
                b.api_version.as_str(),
                b.subresource.as_str(),
            ))
    });
    set_managed_fields_value(
        object,
        Value::Array(managers.iter().map(ManagerEntry::encode).collect()),
    );
}

fn set_managed_fields_value(object: &mut Value, entries: Value) {
    if let Value::Object(map) = object {
        let meta = map.entry("metadata").or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.insert("managedFields".into(), entries);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Managers
// ---------------------------------------------------------------------------------------------

/// One `managedFields` entry, decoded.
#[derive(Debug, Clone, PartialEq)]
struct ManagerEntry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: String,
    time: Option<String>,
    fields: FieldSet,
}

impl ManagerEntry {
    fn new(info: &ManagerInfo, operation: &str, api_version: &str) -> ManagerEntry {
        ManagerEntry {
            manager: if info.manager.is_empty() {
                "unknown".into()
            } else {
                info.manager.into()
            },
            operation: operation.into(),
            api_version: api_version.into(),
            subresource: info.subresource.unwrap_or_default().into(),
            time: None,
            fields: FieldSet::default(),
        }
    }

    /// Upstream identifies appliers by name and subresource, updaters also by version.
    fn same_manager(&self, other: &ManagerEntry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == "Apply" || self.api_version == other.api_version)
    }

    /// The identity upstream sorts conflict messages by (the entry's JSON without time
    /// and fields).
    fn identity(&self) -> String {
        let mut identity = Map::new();
        identity.insert("manager".into(), self.manager.clone().into());
        identity.insert("operation".into(), self.operation.clone().into());
        if self.operation != "Apply" {
            identity.insert("apiVersion".into(), self.api_version.clone().into());
        }
        if !self.subresource.is_empty() {
            identity.insert("subresource".into(), self.subresource.clone().into());
        }
        Value::Object(identity).to_string()
    }

    /// `"kubectl"`, `"kube-controller-manager" with subresource "status" using apps/v1`.
    fn describe(&self) -> String {
        let mut text = Value::String(self.manager.clone()).to_string();
        if !self.subresource.is_empty() {
            text = format!(
                "{text} with subresource {}",
                Value::String(self.subresource.clone())
            );
        }
        if self.operation == "Update" {
            text = format!("{text} using {}", self.api_version);
        }
        text
    }

    fn encode(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("manager".into(), self.manager.clone().into());
        entry.insert("operation".into(), self.operation.clone().into());
        entry.insert("apiVersion".into(), self.api_version.clone().into());
        if let Some(time) = &self.time {
            entry.insert("time".into(), time.clone().into());
        }
        entry.insert("fieldsType".into(), "FieldsV1".into());
        entry.insert("fieldsV1".into(), self.fields.to_json());
        if !self.subresource.is_empty() {
            entry.insert("subresource".into(), self.subresource.clone().into());
        }
        Value::Object(entry)
    }
}

fn decode_managers(object: &Value) -> Result<Vec<ManagerEntry>, String> {
    let Some(entries) = object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Ok(Vec::new());
    };
    let mut managers: Vec<ManagerEntry> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let text = |key: &str| {
            entry
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let operation = text("operation");
        if operation != "Apply" && operation != "Update" {
            return Err("operation must be `Apply` or `Update`".into());
        }
        let api_version = text("apiVersion");
        if api_version.is_empty() {
            return Err("apiVersion must not be empty".into());
        }
        match text("fieldsType").as_str() {
            "FieldsV1" => {}
            "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
            other => {
                return Err(format!(
                    "invalid fieldsType {other:?} in managed fields entry {i}"
                ));
            }
        }
        let fields = match entry.get("fieldsV1") {
            Some(fields) => FieldSet::from_json(fields)
                .map_err(|e| format!("error decoding versioned set: {e}"))?,
            None => FieldSet::default(),
        };
        let decoded = ManagerEntry {
            manager: text("manager"),
            operation,
            api_version,
            subresource: text("subresource"),
            time: entry
                .get("time")
                .and_then(Value::as_str)
                .map(str::to_string),
            fields,
        };
        // A later entry for the same manager wins, as in upstream's map.
        managers.retain(|m| !m.same_manager(&decoded));
        managers.push(decoded);
    }
    Ok(managers)
}

// ---------------------------------------------------------------------------------------------
// Field paths and sets
// ---------------------------------------------------------------------------------------------

/// A scalar inside a path element, ordered as structured-merge-diff orders values
/// (numbers, strings, booleans, others, null).
#[derive(Debug, Clone)]
struct Scalar(Value);

impl Scalar {
    fn rank(&self) -> u8 {
        match &self.0 {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) | Value::Object(_) => 3,
            Value::Null => 4,
        }
    }
}

impl Ord for Scalar {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Value::Number(a), Value::Number(b)) => a
                .as_f64()
                .unwrap_or_default()
                .total_cmp(&b.as_f64().unwrap_or_default()),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (a, b) if self.rank() == other.rank() => a.to_string().cmp(&b.to_string()),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Scalar {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Scalar {}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PathElement {
    Field(String),
    /// An item of a keyed list: its key fields, sorted by name.
    Key(Vec<(String, Scalar)>),
    /// A member of a set.
    Value(Scalar),
    Index(usize),
}

impl PathElement {
    /// The `FieldsV1` key: `f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`.
    fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let map: Map<String, Value> = fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.0.clone()))
                    .collect();
                format!("k:{}", Value::Object(map))
            }
            PathElement::Value(value) => format!("v:{}", value.0),
            PathElement::Index(index) => format!("i:{index}"),
        }
    }

    /// Parses a `FieldsV1` key; `None` for a kind of element this version does not know.
    fn decode(text: &str) -> Result<Option<PathElement>, String> {
        let Some((kind, rest)) = text.split_once(':') else {
            return Err(format!("missing colon: {text}"));
        };
        let json = || serde_json::from_str::<Value>(rest).map_err(|e| e.to_string());
        Ok(Some(match kind {
            "f" => PathElement::Field(rest.to_string()),
            "k" => match json()? {
                Value::Object(map) => {
                    let mut fields: Vec<(String, Scalar)> =
                        map.into_iter().map(|(k, v)| (k, Scalar(v))).collect();
                    fields.sort();
                    PathElement::Key(fields)
                }
                _ => return Err(format!("expected an object in {text}")),
            },
            "v" => PathElement::Value(Scalar(json()?)),
            "i" => PathElement::Index(
                rest.parse()
                    .map_err(|_| format!("invalid index in {text}"))?,
            ),
            _ => return Ok(None),
        }))
    }

    /// Upstream's path text: `.spec`, `[name="c"]`, `[="x"]`, `[0]`.
    fn display(&self) -> String {
        let scalar = |v: &Scalar| match &v.0 {
            Value::Null => "null".to_string(),
            other => other.to_string(),
        };
        match self {
            PathElement::Field(name) => format!(".{name}"),
            PathElement::Key(fields) => {
                format!(
                    "[{}]",
                    fields
                        .iter()
                        .map(|(k, v)| format!("{k}={}", scalar(v)))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
            PathElement::Value(value) => format!("[={}]", scalar(value)),
            PathElement::Index(index) => format!("[{index}]"),
        }
    }
}

fn path_string(path: &[PathElement]) -> String {
    path.iter().map(PathElement::display).collect()
}

/// A set of field paths: `members` are the paths ending here, `children` the subsets
/// below each element. Empty children are never kept.
#[derive(Debug, Clone, Default, PartialEq)]
struct FieldSet {
    members: BTreeSet<PathElement>,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (pe, child) in &other.children {
            let merged = match out.children.get(pe) {
                Some(mine) => mine.union(child),
                None => child.clone(),
            };
            out.children.insert(pe.clone(), merged);
        }
        out
    }

    /// Paths of `self` that are not paths of `other` (paths below a removed path stay).
    fn difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, child) in &self.children {
            let rest = match other.children.get(pe) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            if !rest.is_empty() {
                children.insert(pe.clone(), rest);
            }
        }
        FieldSet { members, children }
    }

    fn intersection(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.intersection(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, child) in &self.children {
            if let Some(theirs) = other.children.get(pe) {
                let both = child.intersection(theirs);
                if !both.is_empty() {
                    children.insert(pe.clone(), both);
                }
            }
        }
        FieldSet { members, children }
    }

    /// Every path, members of a level before the levels below (upstream's iteration order).
    fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out: Vec<Vec<PathElement>> =
            self.members.iter().map(|pe| vec![pe.clone()]).collect();
        for (pe, child) in &self.children {
            for mut path in child.paths() {
                path.insert(0, pe.clone());
                out.push(path);
            }
        }
        out
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        let elements: BTreeSet<&PathElement> =
            self.members.iter().chain(self.children.keys()).collect();
        for pe in elements {
            let mut node = Map::new();
            if let Some(child) = self.children.get(pe) {
                if self.members.contains(pe) {
                    node.insert(".".into(), json!({}));
                }
                if let Value::Object(inner) = child.to_json() {
                    node.extend(inner);
                }
            }
            out.insert(pe.encode(), Value::Object(node));
        }
        Value::Object(out)
    }

    fn from_json(value: &Value) -> Result<FieldSet, String> {
        Self::parse(value).map(|(set, _)| set)
    }

    /// The set below `value`, and whether `value` marks its own path as a member.
    fn parse(value: &Value) -> Result<(FieldSet, bool), String> {
        let map = value
            .as_object()
            .ok_or_else(|| format!("expected an object, got {value}"))?;
        let mut set = FieldSet::default();
        let mut member = false;
        for (key, child) in map {
            if key == "." {
                member = true;
                continue;
            }
            let Some(pe) = PathElement::decode(key)? else {
                continue;
            };
            let (grandchildren, child_member) = Self::parse(child)?;
            if child_member {
                set.members.insert(pe.clone());
            }
            if !grandchildren.is_empty() {
                set.children.insert(pe, grandchildren);
            }
        }
        // `{}` is a leaf: the path itself is owned.
        let member = member || set.is_empty();
        Ok((set, member))
    }

    /// Removes every path under the given top-level fields.
    fn without_top_level(&self, fields: &[&str]) -> FieldSet {
        let mut out = self.clone();
        for field in fields {
            let pe = PathElement::Field((*field).into());
            out.members.remove(&pe);
            out.children.remove(&pe);
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Schema-aware operations on values
// ---------------------------------------------------------------------------------------------

/// What a value is at some schema node.
enum Kind {
    /// A scalar, or an atomic list, struct or map: owned and replaced as a whole.
    Leaf,
    /// A struct or map whose entries are owned one by one.
    Object(NodeId),
    /// A keyed list or set whose items are owned one by one.
    List { items: NodeId, list: SsaList },
}

/// The differences between two objects.
#[derive(Debug, Default)]
struct Comparison {
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
}

/// The schema of one kind plus the top-level fields a write does not own.
struct Typed<'a> {
    schema: &'a PatchSchema,
    ignored: &'static [&'static str],
}

impl Typed<'_> {
    fn kind(&self, node: NodeId, value: &Value) -> Kind {
        match (self.schema.shape(node), value) {
            (
                Shape::Struct { atomic: false, .. }
                | Shape::Map { atomic: false, .. }
                | Shape::Untyped,
                Value::Object(_),
            ) => Kind::Object(node),
            (Shape::List { rule, items }, Value::Array(_)) if rule.ssa != SsaList::Atomic => {
                Kind::List {
                    items: *items,
                    list: rule.ssa,
                }
            }
            _ => Kind::Leaf,
        }
    }

    fn filter(&self, fields: FieldSet) -> FieldSet {
        fields.without_top_level(self.ignored)
    }

    /// The path element of a list item.
    fn item_element(item: &Value, list: SsaList) -> Result<PathElement, String> {
        let SsaList::Map(keys) = list else {
            return Ok(PathElement::Value(Scalar(item.clone())));
        };
        let mut fields = Vec::with_capacity(keys.len());
        for key in keys {
            let value = match item.get(*key) {
                Some(value) => value.clone(),
                // The only defaulted list key of our kinds.
                None if *key == "protocol" => Value::String("TCP".into()),
                None => {
                    return Err(format!(
                        "associative list with keys has an element that omits key field {key:?} (and doesn't have default value)"
                    ));
                }
            };
            fields.push(((*key).to_string(), Scalar(value)));
        }
        fields.sort();
        Ok(PathElement::Key(fields))
    }

    fn item_elements(items: &[Value], list: SsaList) -> Result<Vec<PathElement>, String> {
        items
            .iter()
            .map(|item| Self::item_element(item, list))
            .collect()
    }

    /// The fields `value` sets (upstream's ToFieldSet).
    fn field_set(&self, value: &Value) -> Result<FieldSet, String> {
        let mut set = FieldSet::default();
        self.collect(value, self.schema.root(), &mut Vec::new(), &mut set)?;
        Ok(set)
    }

    fn collect(
        &self,
        value: &Value,
        node: NodeId,
        path: &mut Vec<PathElement>,
        set: &mut FieldSet,
    ) -> Result<(), String> {
        match self.kind(node, value) {
            Kind::Leaf => set.insert(path),
            Kind::Object(node) => {
                for (key, child) in value.as_object().into_iter().flatten() {
                    path.push(PathElement::Field(key.clone()));
                    self.collect(child, self.schema.field(node, key), path, set)?;
                    let empty = child.is_null() || child.as_object().is_some_and(Map::is_empty);
                    if empty || !self.schema.is_named_field(node, key) {
                        set.insert(path);
                    }
                    path.pop();
                }
            }
            Kind::List { items, list } => {
                let values = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let elements = Self::item_elements(values, list)?;
                for (item, pe) in values.iter().zip(&elements) {
                    path.push(pe.clone());
                    // Duplicated items are owned as a whole.
                    if elements.iter().filter(|e| *e == pe).count() == 1 {
                        self.collect(item, items, path, set)?;
                    }
                    set.insert(path);
                    path.pop();
                }
            }
        }
        Ok(())
    }

    /// Merges the applied configuration `rhs` into `lhs`.
    fn merge(&self, lhs: Option<&Value>, rhs: Option<&Value>) -> Result<Option<Value>, String> {
        self.merge_at(lhs, rhs, self.schema.root())
    }

    fn merge_at(
        &self,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        node: NodeId,
    ) -> Result<Option<Value>, String> {
        let (lhs, rhs) = match (lhs, rhs) {
            (None, None) => return Ok(None),
            (Some(l), None) => return Ok(Some(l.clone())),
            (None, Some(r)) => return Ok(Some(r.clone())),
            (Some(l), Some(r)) => (l, r),
        };
        match (self.kind(node, lhs), self.kind(node, rhs)) {
            (Kind::Object(node), Kind::Object(_)) => {
                let (Value::Object(l), Value::Object(r)) = (lhs, rhs) else {
                    unreachable!("objects")
                };
                let mut out = Map::new();
                for (key, value) in l {
                    if let Some(merged) =
                        self.merge_at(Some(value), r.get(key), self.schema.field(node, key))?
                    {
                        out.insert(key.clone(), merged);
                    }
                }
                for (key, value) in r.iter().filter(|(k, _)| !l.contains_key(*k)) {
                    out.insert(key.clone(), value.clone());
                }
                Ok(Some(Value::Object(out)))
            }
            (Kind::List { items, list }, Kind::List { .. }) => {
                let (Value::Array(l), Value::Array(r)) = (lhs, rhs) else {
                    unreachable!("lists")
                };
                if l.is_empty() && r.is_empty() {
                    return Ok(Some(rhs.clone()));
                }
                self.merge_items(l, r, items, list)
                    .map(|items| Some(Value::Array(items)))
            }
            _ => Ok(Some(rhs.clone())),
        }
    }

    /// Merges keyed items: the applied order wins for items in both lists, and items only
    /// in the live list stay where they were relative to them (upstream's walk).
    fn merge_items(
        &self,
        lhs: &[Value],
        rhs: &[Value],
        items: NodeId,
        list: SsaList,
    ) -> Result<Vec<Value>, String> {
        let lhs_elements = Self::item_elements(lhs, list)?;
        let rhs_elements = Self::item_elements(rhs, list)?;
        let in_lhs = |pe: &PathElement| lhs_elements.iter().position(|e| e == pe).map(|i| &lhs[i]);
        let in_rhs = |pe: &PathElement| rhs_elements.iter().position(|e| e == pe).map(|i| &rhs[i]);
        let mut shared = rhs_elements.iter().filter(|pe| in_lhs(pe).is_some());
        let mut next_shared = shared.next();
        let mut merged_rhs: BTreeSet<&PathElement> = BTreeSet::new();
        let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
        let (mut li, mut ri) = (0, 0);
        while li < lhs.len() || ri < rhs.len() {
            if li < lhs.len() && ri < rhs.len() {
                let pe = &lhs_elements[li];
                if *pe == rhs_elements[ri] {
                    merged_rhs.insert(pe);
                    out.extend(self.merge_at(in_lhs(pe), in_rhs(pe), items)?);
                    li += 1;
                    ri += 1;
                    next_shared = shared.next();
                    continue;
                }
                if in_rhs(pe).is_some() && next_shared.is_some_and(|s| s != pe) {
                    li += 1;
                    continue;
                }
            }
            if li < lhs.len() {
                let pe = &lhs_elements[li];
                if in_rhs(pe).is_none() {
                    out.push(lhs[li].clone());
                    li += 1;
                    continue;
                } else if merged_rhs.contains(pe) {
                    li += 1;
                }
            }
            if ri < rhs.len() {
                let pe = &rhs_elements[ri];
                merged_rhs.insert(pe);
                out.extend(self.merge_at(in_lhs(pe), Some(&rhs[ri]), items)?);
                ri += 1;
                if next_shared == Some(pe) {
                    next_shared = shared.next();
                }
            }
        }
        Ok(out)
    }

    /// What changed from `lhs` to `rhs`, ignored fields left out.
    fn compare(&self, lhs: &Value, rhs: &Value) -> Result<Comparison, String> {
        let mut comparison = Comparison::default();
        self.compare_at(
            Some(lhs),
            Some(rhs),
            self.schema.root(),
            &mut Vec::new(),
            &mut comparison,
        )?;
        Ok(Comparison {
            added: self.filter(comparison.added),
            modified: self.filter(comparison.modified),
            removed: self.filter(comparison.removed),
        })
    }

    fn compare_at(
        &self,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        node: NodeId,
        path: &mut Vec<PathElement>,
        out: &mut Comparison,
    ) -> Result<(), String> {
        // A null is there (its path is not added or removed) but has nothing inside.
        let kind_of = |v: Option<&Value>| v.filter(|v| !v.is_null()).map(|v| self.kind(node, v));
        let kinds = (kind_of(lhs), kind_of(rhs));
        let is_empty = |v: Option<&Value>| match v {
            None | Some(Value::Null) => true,
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        };
        let granular = match kinds {
            (Some(Kind::Object(n)), None | Some(Kind::Object(_)))
            | (None, Some(Kind::Object(n))) => Some(Kind::Object(n)),
            (Some(Kind::List { items, list }), None | Some(Kind::List { .. }))
            | (None, Some(Kind::List { items, list })) => Some(Kind::List { items, list }),
            _ => None,
        };
        let granular = granular.filter(|_| !(is_empty(lhs) && is_empty(rhs)));
        match granular {
            None => {
                match (lhs, rhs) {
                    (None, Some(_)) => out.added.insert(path),
                    (Some(_), None) => out.removed.insert(path),
                    (Some(l), Some(r)) if l != r => out.modified.insert(path),
                    _ => {}
                }
                return Ok(());
            }
            Some(Kind::Object(node)) => {
                let empty = Map::new();
                let l = lhs.and_then(Value::as_object).unwrap_or(&empty);
                let r = rhs.and_then(Value::as_object).unwrap_or(&empty);
                for key in l.keys().chain(r.keys().filter(|k| !l.contains_key(*k))) {
                    path.push(PathElement::Field(key.clone()));
                    self.compare_at(
                        l.get(key),
                        r.get(key),
                        self.schema.field(node, key),
                        path,
                        out,
                    )?;
                    path.pop();
                }
            }
            Some(Kind::List { items, list }) => {
                let l = lhs
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let r = rhs
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let l_elements = Self::item_elements(l, list)?;
                let r_elements = Self::item_elements(r, list)?;
                let mut all: Vec<&PathElement> = Vec::new();
                for pe in l_elements.iter().chain(&r_elements) {
                    if !all.contains(&pe) {
                        all.push(pe);
                    }
                }
                for pe in all {
                    let l_items: Vec<&Value> = l
                        .iter()
                        .zip(&l_elements)
                        .filter(|(_, e)| *e == pe)
                        .map(|(v, _)| v)
                        .collect();
                    let r_items: Vec<&Value> = r
                        .iter()
                        .zip(&r_elements)
                        .filter(|(_, e)| *e == pe)
                        .map(|(v, _)| v)
                        .collect();
                    path.push(pe.clone());
                    match (l_items.len(), r_items.len()) {
                        (0..=1, 0..=1) => self.compare_at(
                            l_items.first().copied(),
                            r_items.first().copied(),
                            items,
                            path,
                            out,
                        )?,
                        (2.., 2..) if l_items != r_items => out.modified.insert(path),
                        (2.., 2..) => {}
                        (2.., _) => out.removed.insert(path),
                        (_, _) => out.added.insert(path),
                    }
                    path.pop();
                }
            }
            Some(Kind::Leaf) => unreachable!("only granular kinds are kept"),
        }
        if lhs.is_none() {
            out.added.insert(path);
        } else if rhs.is_none() {
            out.removed.insert(path);
        }
        Ok(())
    }

    /// Removes from `merged` what the applier owned last time and no manager owns now.
    fn prune(&self, merged: Value, managers: &[ManagerEntry], last_applied: &FieldSet) -> Value {
        if last_applied.is_empty() {
            return merged;
        }
        let root = self.schema.root();
        let owned = managers.iter().fold(FieldSet::default(), |all, m| {
            all.union(&self.with_named_fields(&m.fields, root))
        });
        let orphaned = self
            .with_named_fields(last_applied, root)
            .difference(&owned);
        self.remove(&merged, &orphaned, root)
            .unwrap_or_else(|| json!({}))
    }

    /// Adds the struct fields that lead to owned paths as paths of their own, so that a
    /// struct nobody owns anything in can be removed as a whole.
    fn with_named_fields(&self, fields: &FieldSet, node: NodeId) -> FieldSet {
        let mut out = FieldSet {
            members: fields.members.clone(),
            children: BTreeMap::new(),
        };
        for (pe, child) in &fields.children {
            let child_node = match pe {
                PathElement::Field(name) => {
                    if self.schema.is_named_field(node, name) {
                        out.members.insert(pe.clone());
                    }
                    self.schema.field(node, name)
                }
                _ => self.schema.items(node),
            };
            out.children
                .insert(pe.clone(), self.with_named_fields(child, child_node));
        }
        out
    }

    /// `value` without the paths in `fields`; `None` when nothing is left of it.
    fn remove(&self, value: &Value, fields: &FieldSet, node: NodeId) -> Option<Value> {
        match (self.kind(node, value), value) {
            (Kind::Object(node), Value::Object(map)) if !map.is_empty() => {
                let mut out = Map::new();
                for (key, child) in map {
                    let pe = PathElement::Field(key.clone());
                    if fields.members.contains(&pe) {
                        continue;
                    }
                    let kept = match fields.children.get(&pe) {
                        Some(below) => self.remove(child, below, self.schema.field(node, key)),
                        None => Some(child.clone()),
                    };
                    out.extend(kept.map(|v| (key.clone(), v)));
                }
                (!out.is_empty()).then_some(Value::Object(out))
            }
            (Kind::List { items, list }, Value::Array(values)) if !values.is_empty() => {
                let mut out = Vec::new();
                for item in values {
                    let Ok(pe) = Self::item_element(item, list) else {
                        out.push(item.clone());
                        continue;
                    };
                    if fields.members.contains(&pe) {
                        continue;
                    }
                    match fields.children.get(&pe) {
                        Some(below) => out.extend(self.remove(item, below, items)),
                        None => out.push(item.clone()),
                    }
                }
                (!out.is_empty()).then_some(Value::Array(out))
            }
            _ => Some(value.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::registry::find;
    use crate::smp::patch_schema;

    const T0: &str = "2024-01-01T00:00:00Z";
    const T1: &str = "2024-01-01T00:00:01Z";

    fn sts_schema() -> &'static PatchSchema {
        patch_schema(find("apps", "v1", "statefulsets").unwrap())
    }

    fn who(manager: &'static str, now: &'static str) -> ManagerInfo<'static> {
        ManagerInfo {
            manager,
            subresource: None,
            now,
        }
    }

    fn sts(replicas: i64, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]}
                }
            }
        })
    }

    /// The stored object: `body` as written by `manager` through a create.
    fn created_by(manager: &'static str, body: Value) -> Value {
        let mut object = body;
        object["metadata"]["uid"] = json!("u-1");
        record_update(None, &mut object, &who(manager, T0), sts_schema());
        object
    }

    fn entries(object: &Value) -> Vec<(String, String, Value)> {
        object["metadata"]["managedFields"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            e["manager"].as_str().unwrap().to_string(),
                            e["operation"].as_str().unwrap().to_string(),
                            e["fieldsV1"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn fields_of<'a>(object: &'a Value, manager: &str) -> &'a Value {
        let entries = object["metadata"]["managedFields"].as_array().unwrap();
        &entries
            .iter()
            .find(|e| e["manager"] == manager)
            .unwrap_or_else(|| panic!("no entry for {manager}"))["fieldsV1"]
    }

    #[test]
    fn create_records_an_update_entry_like_upstream() {
        let mut body = sts(1, "nginx:1");
        body["status"] = json!({"replicas": 0});
        let object = created_by("kubectl-create", body);
        let entry = &object["metadata"]["managedFields"][0];
        assert_eq!(entry["manager"], "kubectl-create");
        assert_eq!(entry["operation"], "Update");
        assert_eq!(entry["apiVersion"], "apps/v1");
        assert_eq!(entry["time"], T0);
        assert_eq!(entry["fieldsType"], "FieldsV1");
        let expected = json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                        ".": {}, "f:image": {}, "f:name": {},
                        "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
                    }}}
                }
            }
        });
        // Upstream's key order is part of what users see.
        assert_eq!(entry["fieldsV1"].to_string(), expected.to_string());
    }

    #[test]
    fn apply_creates_and_owns_what_it_sets() {
        let outcome = apply(
            None,
            &sts(2, "nginx:1"),
            &who("kubectl", T0),
            false,
            sts_schema(),
        )
        .unwrap();
        let object = outcome.object;
        assert_eq!(object["spec"]["replicas"], 2);
        assert_eq!(
            object["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1"
        );
        let entry = &object["metadata"]["managedFields"][0];
        assert_eq!(
            (
                entry["manager"].as_str(),
                entry["operation"].as_str(),
                entry["time"].as_str()
            ),
            (Some("kubectl"), Some("Apply"), Some(T0))
        );
        // Apply ownership comes from the configuration itself: no "." on maps set in it.
        let expected = json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                        ".": {}, "f:image": {}, "f:name": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
                    }}}
                }
            }
        });
        assert_eq!(entry["fieldsV1"].to_string(), expected.to_string());
    }

    #[test]
    fn reapply_without_a_field_removes_it_when_nobody_else_owns_it() {
        let schema = sts_schema();
        let first = apply(None, &sts(2, "nginx:1"), &who("kubectl", T0), false, schema)
            .unwrap()
            .object;
        let mut without_replicas = sts(2, "nginx:1");
        without_replicas["spec"]
            .as_object_mut()
            .unwrap()
            .shift_remove("replicas");
        without_replicas["metadata"]
            .as_object_mut()
            .unwrap()
            .shift_remove("labels");
        let second = apply(
            Some(&first),
            &without_replicas,
            &who("kubectl", T1),
            false,
            schema,
        )
        .unwrap()
        .object;
        assert_eq!(second["spec"].get("replicas"), None);
        assert_eq!(second["metadata"].get("labels"), None);
        assert_eq!(second["metadata"]["name"], "web");
        let fields = fields_of(&second, "kubectl");
        assert_eq!(fields["f:spec"].get("f:replicas"), None);
        assert_eq!(fields.get("f:metadata"), None);
        assert_eq!(second["metadata"]["managedFields"][0]["time"], T1);
    }

    #[test]
    fn conflicts_name_the_owner_and_field_unless_forced() {
        let schema = sts_schema();
        let live = created_by("kubectl-client-side-apply", sts(1, "nginx:1"));
        let err = apply(
            Some(&live),
            &sts(3, "nginx:1"),
            &who("kubectl", T1),
            false,
            schema,
        )
        .unwrap_err();
        let Error::Conflicts { message, conflicts } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            message,
            r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
        );
        assert_eq!(
            conflicts,
            &vec![ApplyConflict {
                manager: r#""kubectl-client-side-apply" using apps/v1"#.into(),
                field: ".spec.replicas".into()
            }]
        );
        assert_eq!(
            conflicts[0].message(),
            r#"conflict with "kubectl-client-side-apply" using apps/v1"#
        );
        assert_eq!(err.code(), 409);

        let forced = apply(
            Some(&live),
            &sts(3, "nginx:1"),
            &who("kubectl", T1),
            true,
            schema,
        )
        .unwrap()
        .object;
        assert_eq!(forced["spec"]["replicas"], 3);
        assert!(
            fields_of(&forced, "kubectl")["f:spec"]
                .get("f:replicas")
                .is_some()
        );
        assert_eq!(
            fields_of(&forced, "kubectl-client-side-apply")["f:spec"].get("f:replicas"),
            None
        );
        // The untouched image is shared, not taken.
        let image = |m: &str| {
            fields_of(&forced, m)["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"].get("f:image").is_some()
        };
        assert!(image("kubectl") && image("kubectl-client-side-apply"));
    }

    #[test]
    fn several_conflicts_are_grouped_by_manager() {
        let live = created_by("kubectl-create", sts(1, "nginx:1"));
        let err = apply(
            Some(&live),
            &sts(3, "nginx:2"),
            &who("kubectl", T1),
            false,
            sts_schema(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Apply failed with 2 conflicts: conflicts with \"kubectl-create\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image"
        );
    }

    #[test]
    fn shared_fields_survive_when_one_owner_stops_applying_them() {
        let schema = sts_schema();
        let live = created_by("kubectl-create", sts(1, "nginx:1"));
        let applied = apply(
            Some(&live),
            &sts(1, "nginx:1"),
            &who("kubectl", T1),
            false,
            schema,
        )
        .unwrap()
        .object;
        assert_eq!(applied["spec"], live["spec"]);
        assert!(
            fields_of(&applied, "kubectl")["f:spec"]
                .get("f:replicas")
                .is_some()
        );
        let mut without_replicas = sts(1, "nginx:1");
        without_replicas["spec"]
            .as_object_mut()
            .unwrap()
            .shift_remove("replicas");
        let again = apply(
            Some(&applied),
            &without_replicas,
            &who("kubectl", T1),
            false,
            schema,
        )
        .unwrap()
        .object;
        assert_eq!(
            again["spec"]["replicas"], 1,
            "still owned by kubectl-create"
        );
    }

    #[test]
    fn a_noop_apply_keeps_the_object_and_times() {
        let schema = sts_schema();
        let first = apply(None, &sts(2, "nginx:1"), &who("kubectl", T0), false, schema)
            .unwrap()
            .object;
        let second = apply(
            Some(&first),
            &sts(2, "nginx:1"),
            &who("kubectl", T1),
            false,
            schema,
        )
        .unwrap()
        .object;
        assert_eq!(second, first);
    }

    #[test]
    fn apply_over_untracked_fields_conflicts_with_before_first_apply() {
        let mut live = sts(1, "nginx:1");
        live["metadata"]["uid"] = json!("u-1");
        let err = apply(
            Some(&live),
            &sts(2, "nginx:1"),
            &who("kubectl", T1),
            false,
            sts_schema(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas"#
        );
    }

    #[test]
    fn apply_rejects_bad_bodies() {
        let schema = sts_schema();
        let mut wrong_kind = sts(1, "nginx:1");
        wrong_kind["kind"] = json!("Deployment");
        assert_eq!(
            apply(None, &wrong_kind, &who("kubectl", T0), false, schema),
            Err(Error::BadRequest(
                "invalid object type: apps/v1, Kind=Deployment".into()
            ))
        );
        let mut with_managed_fields = sts(1, "nginx:1");
        with_managed_fields["metadata"]["managedFields"] = json!([]);
        let err = apply(
            None,
            &with_managed_fields,
            &who("kubectl", T0),
            false,
            schema,
        )
        .unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (400, "metadata.managedFields must be nil")
        );
        let mut keyless_port = sts(1, "nginx:1");
        keyless_port["spec"]["template"]["spec"]["containers"][0]["ports"] =
            json!([{"name": "http"}]);
        let err = apply(None, &keyless_port, &who("kubectl", T0), false, schema).unwrap_err();
        assert_eq!(err.code(), 500);
        assert!(
            err.to_string()
                .contains("omits key field \"containerPort\""),
            "{err}"
        );
    }

    #[test]
    fn updates_move_ownership_of_changed_fields() {
        let schema = sts_schema();
        let old = created_by("kubectl-create", sts(1, "nginx:1"));
        let mut new = old.clone();
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        record_update(Some(&old), &mut new, &who("kubectl-edit", T1), schema);
        let container = |m: &str| {
            fields_of(&new, m)["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"].clone()
        };
        assert_eq!(container("kubectl-edit"), json!({"f:image": {}}));
        assert_eq!(container("kubectl-create").get("f:image"), None);
        let managers: Vec<(String, String)> =
            entries(&new).into_iter().map(|(m, o, _)| (m, o)).collect();
        assert_eq!(
            managers,
            vec![
                ("kubectl-create".into(), "Update".into()),
                ("kubectl-edit".into(), "Update".into())
            ]
        );

        // A write that changes nothing leaves the entries alone.
        let mut same = new.clone();
        record_update(
            Some(&new),
            &mut same,
            &who("kubectl-edit", "2030-01-01T00:00:00Z"),
            schema,
        );
        assert_eq!(same, new);
    }

    #[test]
    fn untracked_objects_stay_untracked_and_an_empty_list_resets() {
        let schema = sts_schema();
        let mut old = sts(1, "nginx:1");
        old["metadata"]["uid"] = json!("u-1");
        let mut new = old.clone();
        new["spec"]["replicas"] = json!(2);
        record_update(Some(&old), &mut new, &who("kubectl-edit", T1), schema);
        assert_eq!(new["metadata"].get("managedFields"), None);

        let tracked = created_by("kubectl-create", sts(1, "nginx:1"));
        let mut reset = tracked.clone();
        reset["metadata"]["managedFields"] = json!([]);
        record_update(Some(&tracked), &mut reset, &who("kubectl-edit", T1), schema);
        assert_eq!(reset["metadata"].get("managedFields"), None);
    }

    #[test]
    fn status_writes_are_tracked_apart() {
        let schema = sts_schema();
        let old = created_by("kubectl-create", sts(1, "nginx:1"));
        let mut new = old.clone();
        new["status"] = json!({"replicas": 1, "readyReplicas": 1});
        let controller = ManagerInfo {
            manager: "berth-controllers",
            subresource: Some("status"),
            now: T1,
        };
        record_update(Some(&old), &mut new, &controller, schema);
        let entry = new["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["manager"] == "berth-controllers")
            .unwrap();
        assert_eq!(entry["subresource"], "status");
        assert_eq!(
            entry["fieldsV1"],
            json!({"f:status": {".": {}, "f:readyReplicas": {}, "f:replicas": {}}})
        );
        // Through the main resource, status is not owned.
        let mut main = old.clone();
        main["status"] = json!({"replicas": 5});
        record_update(Some(&old), &mut main, &who("kubectl-edit", T1), schema);
        assert_eq!(entries(&main).len(), 1);
    }

    #[test]
    fn field_sets_round_trip_through_fields_v1() {
        let fields = json!({
            "f:metadata": {"f:finalizers": {".": {}, "v:\"a\"": {}}},
            "f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}, "k:{\"port\":443,\"protocol\":\"TCP\"}": {}}}
        });
        let set = FieldSet::from_json(&fields).unwrap();
        let round_trip = set.to_json();
        assert_eq!(round_trip, fields);
        // Numbers order numerically, as upstream sorts keys.
        let ports: Vec<&String> = round_trip["f:spec"]["f:ports"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(
            ports,
            [
                "k:{\"port\":80,\"protocol\":\"TCP\"}",
                "k:{\"port\":443,\"protocol\":\"TCP\"}"
            ]
        );
        let paths: Vec<String> = set.paths().iter().map(|p| path_string(p)).collect();
        let expected = [
            ".metadata.finalizers",
            ".metadata.finalizers[=\"a\"]",
            ".spec.ports[port=80,protocol=\"TCP\"]",
            ".spec.ports[port=443,protocol=\"TCP\"]",
            ".spec.ports[port=80,protocol=\"TCP\"].port",
        ];
        assert_eq!(
            paths, expected,
            "members of a level come before the levels below"
        );
        assert!(FieldSet::from_json(&json!({"x": {}})).is_err());
    }
}
