//! Per-kind rules applied on create, update and delete (upstream's "registry strategies"):
//! status resets, namespace finalizers, ClusterIP allocation, graceful pod deletion,
//! deletion propagation finalizers, the scale and binding subresources, patch application.

use axum::response::Response;
use berth_api::meta;
use berth_api::registry::{self, ResourceType};
use berth_api::{FieldError, FieldErrorType};
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::request::{Query, ResourcePath};
use crate::response::json_response;
use crate::rest::{self, DeleteOptions, Requested, Target};

pub const FINALIZER_FOREGROUND: &str = "foregroundDeletion";
pub const FINALIZER_ORPHAN: &str = "orphan";
pub const NAMESPACE_FINALIZER: &str = "kubernetes";

/// Initial state upstream gives new objects of some kinds.
pub async fn prepare_for_create(
    state: &AppState,
    rt: &ResourceType,
    obj: &mut Value,
) -> ApiResult<()> {
    match (rt.group, rt.kind) {
        ("", "Namespace") => {
            let name = meta::name(obj).unwrap_or_default().to_string();
            let labels = meta::metadata_mut(obj)
                .entry("labels")
                .or_insert_with(|| json!({}));
            labels["kubernetes.io/metadata.name"] = json!(name);
            let spec = obj
                .as_object_mut()
                .expect("object")
                .entry("spec")
                .or_insert_with(|| json!({}));
            let finalizers = spec
                .as_object_mut()
                .map(|s| s.entry("finalizers").or_insert_with(|| json!([])));
            if let Some(Value::Array(f)) = finalizers
                && !f.iter().any(|x| x == NAMESPACE_FINALIZER)
            {
                f.push(json!(NAMESPACE_FINALIZER));
            }
            obj["status"] = json!({"phase": "Active"});
        }
        ("", "Pod") => {
            let qos = qos_class(obj);
            obj["status"] = json!({"phase": "Pending", "qosClass": qos});
        }
        ("", "PersistentVolumeClaim") => {
            obj["status"] = json!({"phase": "Pending"});
            if obj["spec"].get("storageClassName").is_none()
                && let Some(class) = default_storage_class(state).await?
            {
                obj["spec"]["storageClassName"] = json!(class);
            }
        }
        ("", "PersistentVolume") => {
            obj["status"] = json!({"phase": "Pending"});
        }
        ("apps", "StatefulSet") => {
            obj["status"] = json!({"replicas": 0, "availableReplicas": 0});
        }
        ("", "Service") => crate::service_alloc::allocate(state, obj, None).await?,
        // Nodes register with their status (upstream allows every field on create).
        ("", "Node") => {}
        _ => {
            if rt.has(registry::Subresource::Status)
                && let Some(m) = obj.as_object_mut()
            {
                m.remove("status");
            }
        }
    }
    Ok(())
}

/// The DefaultStorageClass admission step: the newest class marked as the default.
async fn default_storage_class(state: &AppState) -> ApiResult<Option<String>> {
    const DEFAULT: &str = "storageclass.kubernetes.io/is-default-class";
    let classes = registry::find("storage.k8s.io", "v1", "storageclasses").expect("registered");
    Ok(rest::stored_objects(state, classes)
        .await?
        .into_iter()
        .filter(|c| c["metadata"]["annotations"][DEFAULT] == "true")
        .max_by(|a, b| {
            let created = |c: &Value| {
                c["metadata"]["creationTimestamp"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            };
            created(a).cmp(&created(b)).then_with(|| {
                b["metadata"]["name"]
                    .as_str()
                    .cmp(&a["metadata"]["name"].as_str())
            })
        })
        .and_then(|c| c["metadata"]["name"].as_str().map(str::to_string)))
}

/// The pod's QoS class from its containers' requests and limits.
fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .filter_map(|f| pod["spec"][f].as_array())
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let requests = c["resources"]["requests"].as_object();
        let limits = c["resources"]["limits"].as_object();
        for res in ["cpu", "memory"] {
            let r = requests.and_then(|m| m.get(res));
            let l = limits.and_then(|m| m.get(res));
            if r.is_some() || l.is_some() {
                any = true;
            }
            match (r, l) {
                (_, None) => guaranteed = false,
                (Some(r), Some(l)) if r != l => guaranteed = false,
                _ => {}
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed && !containers.is_empty() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// An update of the main resource keeps the stored status (and a namespace's finalizers).
pub fn keep_status(old: &Value, new: &mut Value) {
    match old.get("status") {
        Some(s) => new["status"] = s.clone(),
        None => {
            if let Some(m) = new.as_object_mut() {
                m.remove("status");
            }
        }
    }
    if old["kind"] == "Namespace" {
        new["spec"] = old.get("spec").cloned().unwrap_or_else(|| json!({}));
    }
}

/// An update through `/status` changes only the status.
pub fn status_only(old: &Value, new: &Value) -> Value {
    let mut out = old.clone();
    match new.get("status") {
        Some(s) => out["status"] = s.clone(),
        None => {
            if let Some(m) = out.as_object_mut() {
                m.remove("status");
            }
        }
    }
    out
}

/// An update through `namespaces/<n>/finalize` changes only `spec.finalizers`.
pub fn finalize_only(old: &Value, new: &Value) -> Value {
    let mut out = old.clone();
    out["spec"]["finalizers"] = new["spec"]
        .get("finalizers")
        .cloned()
        .unwrap_or_else(|| json!([]));
    out
}

/// Kind-specific update rules that are not validation.
pub async fn prepare_for_update(
    state: &AppState,
    rt: &ResourceType,
    old: &Value,
    new: &mut Value,
    target: Target,
) -> ApiResult<()> {
    if (rt.group, rt.kind) == ("", "Service") && target == Target::Main {
        crate::service_alloc::allocate(state, new, Some(old)).await?;
    }
    Ok(())
}

/// Whether an object that is being deleted may go now: no finalizers left.
pub fn finalizers_done(rt: &ResourceType, obj: &Value) -> bool {
    let spec_done = rt.kind != "Namespace"
        || obj["spec"]["finalizers"]
            .as_array()
            .is_none_or(|f| f.is_empty());
    meta::finalizers(obj).is_empty() && spec_done
}

/// For the no-op check: managedFields timestamps change on every write and do not count.
pub fn without_managed_times(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Array(entries)) = v
        .get_mut("metadata")
        .and_then(|m| m.get_mut("managedFields"))
    {
        for e in entries {
            if let Some(m) = e.as_object_mut() {
                m.remove("time");
            }
        }
    }
    v
}

/// Kinds whose PUT creates a missing object (upstream `AllowCreateOnUpdate`).
pub fn allow_create_on_update(rt: &ResourceType) -> bool {
    matches!(
        rt.kind,
        "Endpoints"
            | "EndpointSlice"
            | "Event"
            | "Lease"
            | "Role"
            | "RoleBinding"
            | "ClusterRole"
            | "ClusterRoleBinding"
    )
}

/// Kinds whose PUT may omit `metadata.resourceVersion` (upstream `AllowUnconditionalUpdate`).
pub fn allow_unconditional_update(_rt: &ResourceType) -> bool {
    true
}

/// Object-metadata rules shared by all kinds.
pub fn validate_meta(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(old) = old {
        if meta::uid(old) != meta::uid(obj) {
            errs.push(FieldError::invalid(
                "metadata.uid",
                meta::uid(obj).unwrap_or_default(),
                "field is immutable",
            ));
        }
        // Finalizers may not be added to an object that is going away (upstream rule).
        if meta::is_deleting(old) {
            let before = meta::finalizers(old);
            let added: Vec<String> = meta::finalizers(obj)
                .into_iter()
                .filter(|f| !before.contains(f))
                .collect();
            if !added.is_empty() {
                errs.push(FieldError {
                    kind: FieldErrorType::Forbidden,
                    field: "metadata.finalizers".into(),
                    value: None,
                    detail: format!("no new finalizers can be added if the object is being deleted, found new finalizers {:?}", added),
                });
            }
        }
    }
    let _ = rt;
    errs
}

/// Rules for writes through `/status` (StatefulSet counts and collisionCount).
pub fn validate_status_update(rt: &ResourceType, new: &Value, old: &Value) -> Vec<FieldError> {
    use k8s_openapi::api::apps::v1::StatefulSet;
    if (rt.group, rt.kind) != ("apps", "StatefulSet") {
        return Vec::new();
    }
    match (StatefulSet::deserialize(new), StatefulSet::deserialize(old)) {
        (Ok(n), Ok(o)) => {
            berth_api::validation::workloads::validate_statefulset_status_update(&n, &o)
        }
        _ => Vec::new(),
    }
}

/// Maintains `metadata.managedFields` for a non-apply write.
pub fn record_managed_fields(
    rt: &ResourceType,
    old: Option<&Value>,
    new: &mut Value,
    field_manager: Option<&str>,
    headers: &HeaderMap,
    operation: &str,
    subresource: Option<&str>,
) {
    if operation == "Apply" {
        // The apply merge already recorded the applier's fields.
        return;
    }
    let manager = match field_manager.filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => default_manager(headers),
    };
    let now = meta::format_time(jiff::Timestamp::now());
    let info = berth_api::apply::ManagerInfo {
        manager: &manager,
        subresource,
        now: &now,
    };
    berth_api::apply::record_update(old, new, &info, berth_api::smp::patch_schema(rt));
}

/// Upstream names an unnamed manager after the client's user agent (`kubectl`, `OpenAPI-Generator`).
fn default_manager(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.split('/').next().unwrap_or(ua).to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The patch formats the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchKind {
    pub fn from_content_type(ct: &str) -> Option<PatchKind> {
        match ct {
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Some(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                Some(PatchKind::Apply)
            }
            _ => None,
        }
    }
}

/// Applies a patch document to the current object.
pub fn apply_patch(
    rt: &'static ResourceType,
    current: &Value,
    patch: &Value,
    kind: PatchKind,
    manager: &str,
    subresource: Option<&str>,
    force: bool,
) -> ApiResult<Value> {
    match kind {
        PatchKind::Merge => {
            if !patch.is_object() {
                return Err(ApiError::BadRequest(
                    "json: cannot unmarshal into Go value of type map[string]interface {}".into(),
                ));
            }
            let mut out = current.clone();
            json_patch::merge(&mut out, patch);
            Ok(out)
        }
        PatchKind::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone()).map_err(|e| {
                ApiError::BadRequest(format!(
                    "the server rejected our request due to an error in our request: {e}"
                ))
            })?;
            let mut out = current.clone();
            json_patch::patch(&mut out, &ops)
                .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
            Ok(out)
        }
        PatchKind::Strategic => {
            let schema = berth_api::smp::patch_schema(rt);
            berth_api::smp::strategic_merge(current, patch, schema).map_err(patch_error)
        }
        PatchKind::Apply => {
            let schema = berth_api::smp::patch_schema(rt);
            let live = (!current.is_null()).then_some(current);
            let now = meta::format_time(jiff::Timestamp::now());
            let info = berth_api::apply::ManagerInfo {
                manager,
                subresource,
                now: &now,
            };
            berth_api::apply::apply(live, patch, &info, force, schema)
                .map(|o| o.object)
                .map_err(|e| apply_error(rt, current, e))
        }
    }
}

fn apply_error(rt: &'static ResourceType, current: &Value, e: berth_api::Error) -> ApiError {
    match e {
        berth_api::Error::Conflicts { message, conflicts } => ApiError::ConflictRaw {
            message,
            causes: conflicts
                .iter()
                .map(|c| json!({"reason": "FieldManagerConflict", "message": c.message(), "field": c.field}))
                .collect(),
            rt,
            name: meta::name(current).unwrap_or_default().to_string(),
        },
        other => patch_error(other),
    }
}

/// A patch that cannot apply, answered with the status upstream gives it.
fn patch_error(e: berth_api::Error) -> ApiError {
    match e.code() {
        422 => ApiError::Unprocessable(e.to_string()),
        500 => ApiError::Internal(e.to_string()),
        _ => ApiError::BadRequest(e.to_string()),
    }
}

/// What a delete request does to an object.
#[derive(Debug, PartialEq)]
pub enum DeleteDecision {
    /// Remove it from the store now.
    Now,
    /// Store it marked for deletion (deletionTimestamp, finalizers); something else finishes.
    Mark(Value),
}

/// Decides a delete: graceful pod termination, propagation finalizers, namespace lifecycle.
pub fn plan_delete(
    rt: &ResourceType,
    obj: &Value,
    opts: &DeleteOptions,
    now: jiff::Timestamp,
) -> DeleteDecision {
    let mut finalizers = meta::finalizers(obj);
    let policy = opts.propagation_policy.as_deref().unwrap_or("Background");
    let wanted = match policy {
        "Foreground" => Some(FINALIZER_FOREGROUND),
        "Orphan" => Some(FINALIZER_ORPHAN),
        _ => None,
    };
    // A later delete with another policy replaces the earlier propagation finalizer.
    let had_propagation = finalizers
        .iter()
        .any(|f| f == FINALIZER_FOREGROUND || f == FINALIZER_ORPHAN);
    if opts.propagation_policy.is_some() || !had_propagation {
        finalizers.retain(|f| f != FINALIZER_FOREGROUND && f != FINALIZER_ORPHAN);
        if let Some(w) = wanted {
            finalizers.push(w.to_string());
        }
    }
    let grace = grace_period(rt, obj, opts);
    let deleting = meta::is_deleting(obj);
    let namespace_pending = rt.kind == "Namespace"
        && obj["spec"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
    if finalizers.is_empty() && grace == 0 && !namespace_pending {
        return DeleteDecision::Now;
    }
    let mut marked = obj.clone();
    meta::set_finalizers(&mut marked, &finalizers);
    let deadline = now + jiff::SignedDuration::from_secs(grace);
    let keep_earlier = deleting
        && meta::meta_str(obj, "deletionTimestamp")
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .is_some_and(|t| t <= deadline);
    if !keep_earlier {
        meta::set_meta(
            &mut marked,
            "deletionTimestamp",
            json!(meta::format_time(deadline)),
        );
        meta::set_meta(&mut marked, "deletionGracePeriodSeconds", json!(grace));
    }
    // Being marked for deletion changes what an object's controller (a pod's kubelet) must
    // do, so upstream bumps the generation once, when the deletion starts.
    if !deleting
        && rt.has_generation
        && let Some(generation) = obj["metadata"]["generation"].as_i64().filter(|g| *g > 0)
    {
        meta::set_meta(&mut marked, "generation", json!(generation + 1));
    }
    if rt.kind == "Namespace" {
        marked["status"]["phase"] = json!("Terminating");
    }
    DeleteDecision::Mark(marked)
}

/// Seconds a deletion waits: pods honour their grace period while a node runs them.
fn grace_period(rt: &ResourceType, obj: &Value, opts: &DeleteOptions) -> i64 {
    if rt.kind != "Pod" {
        return 0;
    }
    let unscheduled = obj["spec"]["nodeName"].as_str().unwrap_or("").is_empty();
    let terminal = matches!(
        obj["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    );
    if unscheduled || terminal {
        return 0;
    }
    opts.grace_period_seconds
        .or_else(|| obj["spec"]["terminationGracePeriodSeconds"].as_i64())
        .unwrap_or(30)
        .max(0)
}

// ---------------------------------------------------------------------------------------------
// The scale subresource (autoscaling/v1 Scale).

pub fn scale_of(obj: &Value) -> ApiResult<Value> {
    let selector = obj["spec"]
        .get("selector")
        .map(|s| {
            serde_json::from_value::<k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>(
                s.clone(),
            )
            .ok()
            .and_then(|s| berth_api::selectors::LabelSelector::from_k8s(&s).ok())
            .map(|s| s.to_string())
            .unwrap_or_default()
        })
        .unwrap_or_default();
    let m = &obj["metadata"];
    Ok(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(0)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
    }))
}

/// `PUT .../scale`: sets `spec.replicas`, honouring the Scale's resourceVersion.
pub async fn update_scale(
    state: &AppState,
    rp: &ResourcePath,
    name: &str,
    scale: Value,
    q: &Query,
) -> ApiResult<Response> {
    let replicas = scale["spec"]["replicas"].as_i64().unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::Invalid {
            kind: "Scale.autoscaling".into(),
            group: "autoscaling".into(),
            kind_only: "Scale".into(),
            name: name.to_string(),
            errors: vec![FieldError::invalid(
                "spec.replicas",
                replicas,
                "must be greater than or equal to 0",
            )],
        });
    }
    let rv = meta::resource_version(&scale).map(str::to_string);
    let (updated, _) = rest::update_object(
        state,
        rp.rt,
        rp.namespace.as_deref(),
        name,
        Target::Main,
        q,
        &HeaderMap::new(),
        "Update",
        |cur| {
            let mut obj = cur.cloned().unwrap_or(Value::Null);
            obj["spec"]["replicas"] = json!(replicas);
            meta::set_meta(&mut obj, "resourceVersion", Value::Null);
            Ok(Requested {
                object: obj,
                precondition_rv: rv.clone(),
                create_if_missing: false,
                patched: false,
                duplicates: Vec::new(),
            })
        },
    )
    .await?;
    Ok(json_response(StatusCode::OK, &scale_of(&updated.object)?))
}

/// `PATCH .../scale`: patches the Scale view, then stores its replicas.
pub async fn patch_scale(
    state: &AppState,
    rp: &ResourcePath,
    name: &str,
    kind: PatchKind,
    body: &[u8],
    q: &Query,
) -> ApiResult<Response> {
    let kv = rest::get_kv(state, rp.rt, rp.namespace.as_deref(), name).await?;
    let current = scale_of(&crate::response::object_value(&kv))?;
    let patch: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("error decoding patch: {e}")))?;
    let scale_rt = registry::find("apps", "v1", "statefulsets").expect("registered");
    let patched = match kind {
        PatchKind::Apply => {
            return Err(ApiError::UnsupportedMediaType(
                "apply patches are not supported on the scale subresource".into(),
            ));
        }
        PatchKind::Strategic => {
            let mut out = current.clone();
            json_patch::merge(&mut out, &patch);
            out
        }
        other => apply_patch(scale_rt, &current, &patch, other, "", Some("scale"), false)?,
    };
    // The resourceVersion of the Scale read above is not a precondition unless the
    // patch itself names one (another writer may have changed the status since).
    let mut patched = patched;
    if patch
        .get("metadata")
        .and_then(|m| m.get("resourceVersion"))
        .is_none()
    {
        meta::set_meta(&mut patched, "resourceVersion", Value::Null);
    }
    update_scale(state, rp, name, patched, q).await
}

// ---------------------------------------------------------------------------------------------
// pods/binding

/// `POST pods/<name>/binding`: assigns the pod to a node, once.
pub async fn bind_pod(
    state: &AppState,
    ns: &str,
    name: &str,
    headers: &HeaderMap,
    body: &[u8],
    q: &Query,
) -> ApiResult<Response> {
    let binding = crate::request::decode_body("Binding", rest::content_type(headers), body)?;
    let node = binding["target"]["name"].as_str().unwrap_or("").to_string();
    let pods = registry::find("", "v1", "pods").expect("registered");
    if node.is_empty() {
        return Err(ApiError::Invalid {
            kind: "Binding".into(),
            group: String::new(),
            kind_only: "Binding".into(),
            name: name.to_string(),
            errors: vec![FieldError::required("target.name", "")],
        });
    }
    rest::update_object(state, pods, Some(ns), name, Target::Whole, q, headers, "Update", |cur| {
        let Some(cur) = cur else { return Err(ApiError::NotFound { rt: pods, name: name.to_string() }) };
        if meta::is_deleting(cur) {
            return Err(ApiError::Conflict { rt: pods, name: name.to_string(), detail: "pod is being deleted, cannot be assigned to a host".into() });
        }
        if let Some(existing) = cur["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
            return Err(ApiError::Conflict {
                rt: pods,
                name: name.to_string(),
                detail: format!("pod {name} is already assigned to node \"{existing}\""),
            });
        }
        let mut obj = cur.clone();
        obj["spec"]["nodeName"] = json!(node);
        let conditions = obj["status"].as_object_mut().map(|s| s.entry("conditions").or_insert_with(|| json!([])));
        if let Some(Value::Array(c)) = conditions {
            c.retain(|x| x["type"] != "PodScheduled");
            c.push(json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": meta::format_time(jiff::Timestamp::now())}));
        }
        Ok(Requested {
            object: obj,
            precondition_rv: None,
            create_if_missing: false,
            patched: false,
            duplicates: Vec::new(),
        })
    })
    .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}
