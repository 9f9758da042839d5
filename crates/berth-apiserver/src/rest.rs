//! The generic REST handler: create, read, list, update, patch and delete of any kind.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use berth_api::meta;
use berth_api::registry::{self, ResourceType};
use berth_store::{Compare, KeyValue, Op, RangeRequest, TxnResult};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::list_options;
use crate::request::{
    FieldValidation, MAX_BODY_BYTES, Query, ResourcePath, decode_body, decode_object,
};
use crate::response::{self, json_response, object_bytes, object_summary, object_value};
use crate::strategy;
use crate::table::{self, Rendering, RowSource};

/// Server-side apply refuses fields the kind's schema does not declare whatever
/// `fieldValidation` says, as upstream's typed conversion of the patch does.
fn undeclared_fields_check(rp: &ResourcePath, name: &str, patch: &Value) -> ApiResult<()> {
    let mut undeclared = Vec::new();
    // Decoding errors are reported later, with the patch's other checks.
    let _ = rp
        .rt
        .codec
        .normalize(patch, false, &mut |path| undeclared.push(path));
    if undeclared.is_empty() {
        return Ok(());
    }
    let errors: Vec<String> = undeclared
        .iter()
        .map(|path| format!(".{path}: field not declared in schema"))
        .collect();
    let errors = match errors.as_slice() {
        [one] => one.clone(),
        many => format!("errors:\n  {}", many.join("\n  ")),
    };
    let object = match rp.namespace.as_deref() {
        Some(ns) if rp.rt.namespaced => format!("{ns}/{name}"),
        _ => name.to_string(),
    };
    Err(ApiError::Unclassified(format!(
        "failed to create typed patch object ({object}; {}, Kind={}): {errors}",
        if rp.rt.group.is_empty() {
            format!("/{}", rp.rt.version)
        } else {
            rp.rt.api_version()
        },
        rp.rt.kind
    )))
}

/// Upstream's limit on a `fieldManager` name.
const MAX_FIELD_MANAGER_LEN: usize = 128;

/// What is wrong with the `fieldManager` parameter of a write.
fn field_manager_errors(q: &Query) -> Vec<berth_api::FieldError> {
    let manager = q.get("fieldManager").unwrap_or_default();
    let mut errors = Vec::new();
    if manager.len() > MAX_FIELD_MANAGER_LEN {
        errors.push(berth_api::validation::meta::too_long(
            &berth_api::field_error::Path::new("fieldManager"),
            MAX_FIELD_MANAGER_LEN,
        ));
    }
    for (position, c) in manager.chars().enumerate() {
        if c.is_control() {
            errors.push(berth_api::FieldError::invalid(
                "fieldManager",
                manager,
                format!(
                    "invalid character U+{:04X} (at position {position})",
                    c as u32
                ),
            ));
        }
    }
    errors
}

/// Namespaces the lifecycle admission of upstream refuses to delete.
const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// How much of `generateName` a generated name keeps (63 minus 5 random characters).
const MAX_GENERATE_NAME_PREFIX: usize = 58;

/// How many times a write that lost a compare-and-swap race is retried (patch, status, scale).
const MAX_UPDATE_ATTEMPTS: usize = 16;

/// One request to a resource path; `body` is the request's whole body (read by the router
/// before any answer).
pub async fn handle(
    state: &Arc<AppState>,
    parts: http::request::Parts,
    body: bytes::Bytes,
    rp: ResourcePath,
    query: Query,
) -> ApiResult<Response> {
    let headers = parts.headers;
    let rendering = Rendering::from_accept(&headers, &query)?;
    let rt = rp.rt;
    let sub = rp.subresource.as_deref();
    if let Some(s) = sub {
        let known = rt.has_named_subresource(s);
        if !known {
            return Err(ApiError::NoRoute);
        }
    }
    let method = parts.method;
    match (&method, rp.name.as_deref(), sub) {
        (&Method::GET, None, None) if query.flag("watch") => {
            crate::watch::watch(state, &rp, &query, rendering).await
        }
        (&Method::GET, None, None) => list(state, &rp, &query, rendering).await,
        (&Method::GET, Some(name), None | Some("status")) => {
            if let Some(rv) = query.get("resourceVersion").filter(|rv| !rv.is_empty()) {
                let rv = list_options::parse_resource_version(rv)?;
                list_options::wait_until_fresh(state, rv).await?;
            }
            let kv = get_kv(state, rt, rp.namespace.as_deref(), name).await?;
            render_one(rt, &kv, rendering, StatusCode::OK)
        }
        (&Method::GET, Some(name), Some("scale")) => {
            let kv = get_kv(state, rt, rp.namespace.as_deref(), name).await?;
            Ok(json_response(
                StatusCode::OK,
                &strategy::scale_of(&object_value(&kv))?,
            ))
        }
        (&Method::POST, None, None) => {
            create(state, &rp, &query, &headers, &body, rendering, "Update").await
        }
        (&Method::POST, Some(name), Some("binding")) => {
            strategy::bind_pod(
                state,
                rp.namespace.as_deref().unwrap_or_default(),
                name,
                &headers,
                &body,
                &query,
            )
            .await
        }
        (&Method::POST, Some(name), Some("eviction")) => {
            evict(state, &rp, name, &headers, &body).await
        }
        (&Method::PUT, Some(name), _) => {
            let new = decode_object(rt.kind, content_type(&headers), &body)?;
            replace(state, &rp, name, sub, new, &query, &headers, rendering).await
        }
        (&Method::PATCH, Some(name), _) => {
            patch(state, &rp, name, sub, &headers, &body, &query, rendering).await
        }
        (&Method::DELETE, Some(name), None) => {
            let opts = DeleteOptions::parse(&query, content_type(&headers), &body)?;
            delete(state, rt, rp.namespace.as_deref(), name, &opts).await
        }
        // Across all namespaces a namespaced kind only lists and watches.
        (&Method::DELETE, None, None)
            if rt.collection_delete && (!rt.namespaced || rp.namespace.is_some()) =>
        {
            let opts = DeleteOptions::parse(&query, content_type(&headers), &body)?;
            delete_collection(state, &rp, &query, &opts).await
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

trait NamedSubresource {
    fn has_named_subresource(&self, name: &str) -> bool;
}

impl NamedSubresource for ResourceType {
    fn has_named_subresource(&self, name: &str) -> bool {
        (self.kind == "Namespace" && name == "finalize")
            || registry::Subresource::from_name(name).is_some_and(|s| self.has(s))
    }
}

pub fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
}

/// Reads a request body of at most [`MAX_BODY_BYTES`]. A larger one is still read to its
/// end (up to [`MAX_DRAINED_BYTES`]) and dropped before the 413: an HTTP/2 stream whose
/// body was left unread is reset, and clients such as curl then report a stream error
/// instead of the answer.
pub(crate) async fn read_body(mut body: Body) -> ApiResult<bytes::Bytes> {
    let mut chunks: Vec<bytes::Bytes> = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError::BadRequest(format!("unable to read request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen <= MAX_BODY_BYTES {
            chunks.push(data);
        } else if seen > MAX_DRAINED_BYTES {
            break;
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(ApiError::TooLarge(MAX_BODY_BYTES));
    }
    Ok(match chunks.len() {
        1 => chunks.pop().unwrap_or_default(),
        _ => chunks.concat().into(),
    })
}

/// How much of an oversized body is read and dropped before answering 413.
const MAX_DRAINED_BYTES: usize = 64 * 1024 * 1024;

pub async fn get_kv(
    state: &AppState,
    rt: &'static ResourceType,
    ns: Option<&str>,
    name: &str,
) -> ApiResult<Arc<KeyValue>> {
    state
        .store
        .get(&rt.key(ns, name), None)
        .await?
        .map(|kv| view(rt, kv))
        .ok_or_else(|| ApiError::NotFound {
            rt,
            name: name.to_string(),
        })
}

/// Every stored object of `rt` in every namespace, decoded: for admission steps that look
/// at a whole kind (the default StorageClass, the addresses services hold).
pub async fn stored_objects(state: &AppState, rt: &'static ResourceType) -> ApiResult<Vec<Value>> {
    let listed = state
        .store
        .range(RangeRequest {
            prefix: rt.list_prefix(None),
            ..Default::default()
        })
        .await?;
    Ok(listed
        .kvs
        .iter()
        .filter_map(|kv| serde_json::from_slice(&kv.value).ok())
        .collect())
}

fn render_one(
    rt: &'static ResourceType,
    kv: &KeyValue,
    rendering: Rendering,
    code: StatusCode,
) -> ApiResult<Response> {
    match rendering {
        Rendering::Object => {
            let mut out = Vec::with_capacity(kv.value.len() + 32);
            object_bytes(kv, &mut out);
            Ok(response::bytes_response(code, out, "application/json"))
        }
        Rendering::Table(opts) => {
            let list_meta = json!({"resourceVersion": kv.mod_revision.to_string()});
            Ok(table_response(
                code,
                table::table(rt, [RowSource::stored(kv)], opts, &list_meta, true),
            ))
        }
    }
}

fn table_response(code: StatusCode, body: Vec<u8>) -> Response {
    response::bytes_response(code, body, "application/json")
}

fn respond_value(
    rt: &'static ResourceType,
    obj: &Value,
    rendering: Rendering,
    code: StatusCode,
    warnings: &[String],
) -> Response {
    let mut r = match rendering {
        Rendering::Object => json_response(code, obj),
        Rendering::Table(opts) => table_response(
            code,
            table::table(rt, [RowSource::decoded(obj)], opts, &json!({}), true),
        ),
    };
    add_warnings(&mut r, warnings);
    r
}

fn add_warnings(r: &mut Response, warnings: &[String]) {
    for w in warnings {
        let text = format!("299 - {}", serde_json::to_string(w).unwrap_or_default());
        if let Ok(v) = HeaderValue::from_str(&text) {
            r.headers_mut().append("Warning", v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// List

/// A continue token: the revision the list is read at and the last key returned.
fn encode_continue(revision: i64, last_key: &str) -> String {
    use base64::Engine;
    let body = json!({"v": "meta.k8s.io/v1", "rv": revision, "start": format!("{last_key}\u{0}")});
    base64::engine::general_purpose::STANDARD.encode(body.to_string())
}

fn decode_continue(token: &str) -> ApiResult<(i64, String)> {
    use base64::Engine;
    let invalid =
        |detail: String| ApiError::BadRequest(format!("invalid continue token: {detail}"));
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token))
        .map_err(|e| invalid(format!("continue key is not valid: {e}")))?;
    let v: Value = serde_json::from_slice(&raw)
        .map_err(|e| invalid(format!("continue key is not valid: {e}")))?;
    let rv = v["rv"].as_i64().filter(|r| *r > 0).ok_or_else(|| {
        invalid(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
                .into(),
        )
    })?;
    let start = v["start"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("continue key is not valid: encoded start key empty".into()))?;
    Ok((rv, start.trim_end_matches('\u{0}').to_string()))
}

/// Label and field selectors of a list or watch request.
pub struct Filter {
    labels: Option<berth_api::selectors::LabelSelector>,
    fields: Option<berth_api::selectors::FieldSelector>,
    rt: &'static ResourceType,
}

impl Filter {
    pub fn from_query(rt: &'static ResourceType, q: &Query) -> ApiResult<Filter> {
        use berth_api::selectors::{FieldSelector, LabelSelector, check_field_selector};
        let bad = |e: berth_api::Error| ApiError::BadRequest(e.to_string());
        let labels = match q.get("labelSelector").filter(|s| !s.trim().is_empty()) {
            Some(s) => Some(LabelSelector::parse(s).map_err(bad)?),
            None => None,
        };
        let fields = match q.get("fieldSelector").filter(|s| !s.trim().is_empty()) {
            Some(s) => {
                let fs = FieldSelector::parse(s).map_err(bad)?;
                check_field_selector(rt, &fs).map_err(bad)?;
                Some(fs)
            }
            None => None,
        };
        Ok(Filter { labels, fields, rt })
    }

    pub fn is_everything(&self) -> bool {
        self.labels.is_none() && self.fields.is_none()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        if let Some(l) = &self.labels
            && !l.matches_object(obj)
        {
            return false;
        }
        if let Some(f) = &self.fields {
            let rt = self.rt;
            if !f.matches(|field| berth_api::selectors::field_value(rt, obj, field)) {
                return false;
            }
        }
        true
    }
}

async fn list(
    state: &AppState,
    rp: &ResourcePath,
    q: &Query,
    rendering: Rendering,
) -> ApiResult<Response> {
    let rt = rp.rt;
    list_options::check(q, false)?;
    let filter = Filter::from_query(rt, q)?;
    let limit = q
        .int("limit")?
        .filter(|l| *l > 0)
        .map(|l| l as usize)
        .unwrap_or(0);
    let prefix = rt.list_prefix(rp.namespace.as_deref());
    let requested_rv = q.get("resourceVersion").filter(|rv| !rv.is_empty());
    let (mut revision, mut start_after) = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(_) if requested_rv.is_some() => {
            return Err(ApiError::BadRequest(
                "specifying resource version is not allowed when using continue".into(),
            ));
        }
        Some(token) => {
            let (rv, start) = decode_continue(token)?;
            (Some(rv), Some(start))
        }
        None => match requested_rv {
            None => (None, None),
            Some(rv) => {
                let rv = list_options::parse_resource_version(rv)?;
                if q.get("resourceVersionMatch") == Some("Exact") {
                    (Some(rv), None)
                } else {
                    // "Not older than": the newest state serves, once the store has it.
                    list_options::wait_until_fresh(state, rv).await?;
                    (None, None)
                }
            }
        },
    };
    let mut items: Vec<Arc<KeyValue>> = Vec::new();
    let mut more = false;
    let mut last_key = None;
    // Keys in the range after the first page's start, known when one unfiltered read serves
    // the page (upstream sets remainingItemCount only for lists without selectors).
    let mut in_range = None;
    loop {
        let want = if limit == 0 {
            0
        } else {
            (limit - items.len()).max(if filter.is_everything() { 0 } else { 64 })
        };
        let res = state
            .store
            .range(RangeRequest { prefix: prefix.clone(), start_after: start_after.clone(), limit: want, revision })
            .await
            .map_err(|e| match e {
                berth_store::Error::Compacted { .. } if q.get("continue").is_none() => {
                    ApiError::Expired("The resourceVersion for the provided list is too old.".into())
                }
                berth_store::Error::Compacted { .. } => ApiError::Expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.".into(),
                ),
                other => other.into(),
            })?;
        revision = Some(res.revision);
        if filter.is_everything() {
            in_range = Some(res.count);
        }
        let exhausted = !res.more;
        for kv in res.kvs.into_iter().map(|kv| view(rt, kv)) {
            if limit != 0 && items.len() == limit {
                more = true;
                break;
            }
            last_key = Some(kv.key.clone());
            if filter.is_everything() || filter.matches(&object_summary(&kv)) {
                items.push(kv);
            }
        }
        if more || exhausted || limit == 0 {
            if !exhausted && limit != 0 && items.len() == limit {
                more = true;
            }
            break;
        }
        if items.len() == limit {
            more = true;
            break;
        }
        start_after = last_key.clone();
    }
    let revision = revision.unwrap_or_else(|| state.store.current_revision());
    let mut list_meta = json!({"resourceVersion": revision.to_string()});
    if more && let Some(k) = items.last().map(|kv| kv.key.clone()) {
        list_meta["continue"] = json!(encode_continue(revision, &k));
        if let Some(count) = in_range {
            list_meta["remainingItemCount"] = json!(count.saturating_sub(items.len()));
        }
    }
    let response = match rendering {
        Rendering::Table(opts) => {
            let head = table::table_head(rt, &list_meta, true);
            let now = jiff::Timestamp::now();
            streamed_list(head, items, table::TABLE_TAIL, move |out, kv| {
                table::write_row(out, rt, RowSource::stored(kv), opts, now);
            })
        }
        Rendering::Object => {
            let mut head = Vec::new();
            head.extend_from_slice(b"{\"kind\":");
            head.extend_from_slice(
                serde_json::to_string(&rt.list_kind())
                    .unwrap_or_default()
                    .as_bytes(),
            );
            head.extend_from_slice(b",\"apiVersion\":");
            head.extend_from_slice(
                serde_json::to_string(&rt.api_version())
                    .unwrap_or_default()
                    .as_bytes(),
            );
            head.extend_from_slice(b",\"metadata\":");
            head.extend_from_slice(list_meta.to_string().as_bytes());
            head.extend_from_slice(b",\"items\":[");
            streamed_list(head, items, b"]}", |out, kv| object_bytes(kv, out))
        }
    };
    Ok(response)
}

/// How many items of a list are rendered into one chunk of the response body.
const LIST_CHUNK_ITEMS: usize = 256;

/// A list response: `head`, the items separated by commas, then `tail`. The items are
/// rendered a chunk at a time as the connection takes them, so a list of thousands of
/// objects never exists whole in memory, and a slow reader holds back only the rendering.
fn streamed_list(
    head: Vec<u8>,
    items: Vec<Arc<KeyValue>>,
    tail: &'static [u8],
    render: impl Fn(&mut Vec<u8>, &KeyValue) + Send + Sync + 'static,
) -> Response {
    let count = items.len();
    let chunks = (0..count).step_by(LIST_CHUNK_ITEMS).map(move |start| {
        let mut out = Vec::new();
        for (index, kv) in items.iter().enumerate().skip(start).take(LIST_CHUNK_ITEMS) {
            if index > 0 {
                out.push(b',');
            }
            render(&mut out, kv);
        }
        Bytes::from(out)
    });
    let parts = std::iter::once(Bytes::from(head))
        .chain(chunks)
        .chain(std::iter::once(Bytes::from_static(tail)))
        .map(Ok::<_, std::convert::Infallible>);
    let mut response = Response::new(Body::from_stream(futures::stream::iter(parts)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

// ---------------------------------------------------------------------------------------------
// Create

/// Decodes into the kind's type (dropping unknown fields per `fieldValidation`) and applies defaults.
fn normalize(
    rt: &'static ResourceType,
    obj: Value,
    fv: FieldValidation,
    duplicates: &[String],
) -> ApiResult<(Value, Vec<String>)> {
    if !obj.is_object() {
        return Err(ApiError::BadRequest(format!(
            "Object 'Kind' is missing in '{}'",
            serde_json::to_string(&obj).unwrap_or_default()
        )));
    }
    decode_typed(rt, &obj, fv, duplicates)
        .map_err(|e| ApiError::BadRequest(decode_error_message(rt, &e)))
}

/// [`normalize`] with the decoding error as the codec words it.
fn decode_typed(
    rt: &'static ResourceType,
    obj: &Value,
    fv: FieldValidation,
    duplicates: &[String],
) -> Result<(Value, Vec<String>), String> {
    let mut unknown = Vec::new();
    let normalized = rt
        .codec
        .normalize(obj, true, &mut |path| unknown.push(path))
        // Upstream words a type error as Go's decoder does; serde's words differ.
        .map_err(|e| berth_api::decode_error::type_mismatch(rt, obj).unwrap_or(e))?;
    let mut warnings = Vec::new();
    let problems: Vec<String> = duplicates
        .iter()
        .cloned()
        .chain(unknown.iter().map(|p| format!("unknown field \"{p}\"")))
        .collect();
    if !problems.is_empty() {
        match fv {
            FieldValidation::Strict => {
                return Err(format!("strict decoding error: {}", problems.join(", ")));
            }
            FieldValidation::Warn => warnings.extend(problems),
            FieldValidation::Ignore => {}
        }
    }
    Ok((normalized, warnings))
}

fn decode_error_message(rt: &ResourceType, err: &str) -> String {
    decode_error_message_for(rt.kind, rt, err)
}

/// Upstream's decoding error: `<body kind> in version "<v>" cannot be handled as a <kind>`.
fn decode_error_message_for(body_kind: &str, rt: &ResourceType, err: &str) -> String {
    format!(
        "{body_kind} in version \"{}\" cannot be handled as a {}: {err}",
        rt.version, rt.kind
    )
}

/// Checks `apiVersion`/`kind` in a body against the endpoint, filling them when absent.
fn check_type_meta(rt: &ResourceType, obj: &mut Value) -> ApiResult<()> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::BadRequest(
            "the body of the request must be a JSON object".into(),
        ));
    };
    let api_version = rt.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        Some(v) if !v.is_empty() && v != api_version => {
            return Err(ApiError::BadRequest(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
        _ => {}
    }
    match map.get("kind").and_then(Value::as_str) {
        // Another kind of the same group/version: upstream's decoder finds no conversion.
        Some(k)
            if !k.is_empty()
                && k != rt.kind
                && registry::RESOURCES.iter().any(|other| {
                    other.kind == k && other.group == rt.group && other.version == rt.version
                }) =>
        {
            let internal = if rt.group.is_empty() {
                "core"
            } else {
                rt.group.split('.').next().unwrap_or(rt.group)
            };
            return Err(ApiError::BadRequest(decode_error_message_for(
                k,
                rt,
                &format!(
                    "converting ({}.{k}) to ({internal}.{}): unknown conversion",
                    rt.version, rt.kind
                ),
            )));
        }
        Some(k) if !k.is_empty() && k != rt.kind => {
            return Err(ApiError::BadRequest(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )));
        }
        _ => {}
    }
    Ok(())
}

/// The stored form: `apiVersion`, `kind`, `metadata` first (see [`response::object_bytes`]),
/// without `resourceVersion` (the store's revision is the version).
pub fn canonical_bytes(rt: &ResourceType, obj: &Value) -> Vec<u8> {
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::from(rt.api_version()));
    out.insert("kind".into(), Value::from(rt.kind));
    let mut metadata = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    if let Some(m) = metadata.as_object_mut() {
        m.remove("resourceVersion");
        // Go drops empty maps and lists from metadata when it encodes (omitempty).
        m.retain(|_, v| match v {
            Value::Object(o) => !o.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        });
    }
    out.insert("metadata".into(), metadata);
    if let Some(map) = obj.as_object() {
        for (k, v) in map {
            if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::to_vec(&Value::Object(out)).unwrap_or_default()
}

/// The bytes stored for `obj`, an object of `rt`: in the shape of its storage kind.
pub fn stored_bytes(rt: &'static ResourceType, obj: &Value) -> Vec<u8> {
    match rt.stored_as() {
        None => canonical_bytes(rt, obj),
        Some(storage) => {
            canonical_bytes(storage, &berth_api::events::events_v1_to_core(obj.clone()))
        }
    }
}

/// A stored version as `rt`'s API shows it (events.k8s.io shows stored core Events).
pub fn view(rt: &'static ResourceType, kv: Arc<KeyValue>) -> Arc<KeyValue> {
    if rt.stored_as().is_none() {
        return kv;
    }
    let stored: Value = serde_json::from_slice(&kv.value).unwrap_or(Value::Null);
    let shown = berth_api::events::core_to_events_v1(stored);
    Arc::new(KeyValue {
        value: canonical_bytes(rt, &shown),
        ..(*kv).clone()
    })
}

fn with_type_meta(rt: &ResourceType, obj: &Value) -> Value {
    serde_json::from_slice(&canonical_bytes(rt, obj)).unwrap_or(Value::Null)
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// Refuses new objects in a missing or terminating namespace.
async fn check_namespace_open(
    state: &AppState,
    rt: &'static ResourceType,
    ns: Option<&str>,
    name: &str,
) -> ApiResult<()> {
    let (Some(ns), true) = (ns, rt.namespaced) else {
        return Ok(());
    };
    let namespaces = registry::find("", "v1", "namespaces").expect("namespaces are registered");
    match state.store.get(&namespaces.key(None, ns), None).await? {
        None => Err(ApiError::namespace_not_found(ns)),
        Some(kv) if meta::is_deleting(&object_value(&kv)) => Err(ApiError::NamespaceTerminating {
            rt,
            name: name.to_string(),
            namespace: ns.to_string(),
        }),
        Some(_) => Ok(()),
    }
}

async fn create(
    state: &AppState,
    rp: &ResourcePath,
    q: &Query,
    headers: &HeaderMap,
    body: &[u8],
    rendering: Rendering,
    operation: &str,
) -> ApiResult<Response> {
    let rt = rp.rt;
    let (mut obj, duplicates) = decode_object(rt.kind, content_type(headers), body)?;
    check_type_meta(rt, &mut obj)?;
    let fv = FieldValidation::from_query(q)?;
    let dry_run = q.dry_run()?;
    let option_errors = field_manager_errors(q);
    if !option_errors.is_empty() {
        return Err(ApiError::invalid_options("CreateOptions", option_errors));
    }
    let (mut obj, warnings) = normalize(rt, obj, fv, &duplicates)?;
    // Namespace: the URL's, which a body may repeat but not contradict.
    let ns = rp.namespace.clone();
    if rt.namespaced {
        let url_ns = ns.clone().unwrap_or_default();
        match meta::namespace(&obj) {
            Some(body_ns) if body_ns != url_ns => {
                return Err(ApiError::BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request".into(),
                ));
            }
            _ => meta::set_meta(&mut obj, "namespace", Value::from(url_ns)),
        }
    } else {
        meta::set_meta(&mut obj, "namespace", Value::Null);
    }
    if meta::name(&obj).is_none()
        && let Some(prefix) = meta::meta_str(&obj, "generateName")
    {
        // Like upstream's name generator: at most 58 characters of prefix, 5 random.
        let cut = prefix
            .char_indices()
            .nth(MAX_GENERATE_NAME_PREFIX)
            .map_or(prefix.len(), |(at, _)| at);
        let generated = format!("{}{}", &prefix[..cut], crate::ids::name_suffix());
        meta::set_meta(&mut obj, "name", Value::from(generated));
    }
    let name = meta::name(&obj).unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(ApiError::invalid(
            rt,
            "",
            vec![berth_api::FieldError::required(
                "metadata.name",
                "name or generateName is required",
            )],
        ));
    }
    check_namespace_open(state, rt, ns.as_deref(), &name).await?;
    // Upstream's storage refuses a create that carries a resourceVersion.
    if meta::resource_version(&obj)
        .and_then(|rv| rv.parse::<u64>().ok())
        .is_some_and(|rv| rv > 0)
    {
        return Err(ApiError::Internal(
            "resourceVersion should not be set on objects to be created".into(),
        ));
    }
    let created = now();
    {
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), Value::from(crate::ids::new_uid()));
        m.insert(
            "creationTimestamp".into(),
            Value::from(meta::format_time(created)),
        );
        for f in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            m.remove(f);
        }
        if rt.has_generation {
            m.insert("generation".into(), Value::from(1));
        } else {
            m.remove("generation");
        }
    }
    strategy::prepare_for_create(state, rt, &mut obj).await?;
    let mut errors = strategy::validate_meta(rt, &obj, None);
    errors.extend(rt.codec.validate(&obj, None));
    if !errors.is_empty() {
        return Err(ApiError::invalid(rt, &name, errors));
    }
    strategy::record_managed_fields(
        rt,
        None,
        &mut obj,
        q.get("fieldManager"),
        headers,
        operation,
        None,
    );
    let obj = with_type_meta(rt, &obj);
    let key = rt.key(ns.as_deref(), &name);
    if dry_run {
        if state.store.get(&key, None).await?.is_some() {
            return Err(ApiError::AlreadyExists { rt, name });
        }
        return Ok(respond_value(
            rt,
            &obj,
            rendering,
            StatusCode::CREATED,
            &warnings,
        ));
    }
    let bytes = stored_bytes(rt, &obj);
    match state
        .store
        .txn(
            vec![Compare::Absent(key.clone())],
            vec![Op::Put { key, value: bytes }],
        )
        .await?
    {
        TxnResult::Committed { kvs, .. } => {
            let kv = kvs
                .into_iter()
                .next()
                .flatten()
                .ok_or_else(|| ApiError::Internal("missing write result".into()))?;
            let mut r = render_one(rt, &view(rt, kv), rendering, StatusCode::CREATED)?;
            add_warnings(&mut r, &warnings);
            Ok(r)
        }
        TxnResult::Failed { .. } => Err(ApiError::AlreadyExists { rt, name }),
    }
}

// ---------------------------------------------------------------------------------------------
// Update and patch

/// What an update changes: the whole object, its status, or the namespace finalizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Main,
    Status,
    Finalize,
    /// Spec and status together (pods/binding sets the node and the PodScheduled condition).
    Whole,
}

impl Target {
    fn from_sub(sub: Option<&str>) -> Target {
        match sub {
            Some("status") => Target::Status,
            Some("finalize") => Target::Finalize,
            _ => Target::Main,
        }
    }
}

/// The result of a successful update.
pub struct Updated {
    pub object: Value,
    pub created: bool,
}

/// Runs one update of an existing object: `compute` turns the current object into the
/// requested one; this applies the kind's update rules, validates and stores it under a
/// compare-and-swap, retrying when another writer won the race and `compute` allows it.
#[allow(clippy::too_many_arguments)]
pub async fn update_object(
    state: &AppState,
    rt: &'static ResourceType,
    ns: Option<&str>,
    name: &str,
    target: Target,
    q: &Query,
    headers: &HeaderMap,
    operation: &str,
    mut compute: impl FnMut(Option<&Value>) -> ApiResult<Requested>,
) -> ApiResult<(Updated, Vec<String>)> {
    let fv = FieldValidation::from_query(q)?;
    let dry_run = q.dry_run()?;
    let key = rt.key(ns, name);
    for _ in 0..MAX_UPDATE_ATTEMPTS {
        let current = state.store.get(&key, None).await?.map(|kv| view(rt, kv));
        let current_obj = current.as_ref().map(|kv| object_value(kv));
        let requested = compute(current_obj.as_ref())?;
        let Some(kv) = current else {
            if requested.create_if_missing
                && (operation == "Apply" || strategy::allow_create_on_update(rt))
                && target == Target::Main
            {
                // Fall back to create semantics.
                let body = serde_json::to_vec(&requested.object).unwrap_or_default();
                let rp = ResourcePath {
                    rt,
                    namespace: ns.map(str::to_string),
                    name: None,
                    subresource: None,
                };
                let mut h = headers.clone();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                let resp = create(state, &rp, q, &h, &body, Rendering::Object, operation).await?;
                let bytes = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| ApiError::Internal(e.to_string()))?
                    .to_bytes();
                let object = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                return Ok((
                    Updated {
                        object,
                        created: true,
                    },
                    Vec::new(),
                ));
            }
            return Err(ApiError::NotFound {
                rt,
                name: name.to_string(),
            });
        };
        let old = current_obj.expect("current exists");
        if let Some(rv) = requested.precondition_rv.as_deref()
            && rv != kv.mod_revision.to_string()
        {
            return Err(ApiError::conflict_modified(rt, name));
        }
        let (mut new, warnings) = if requested.patched {
            // Upstream reports a patched object that does not decode as an invalid patch.
            decode_typed(rt, &requested.object, fv, &[]).map_err(|e| {
                let patched = serde_json::to_string(&requested.object).unwrap_or_default();
                ApiError::Invalid {
                    kind: String::new(),
                    group: String::new(),
                    kind_only: String::new(),
                    name: String::new(),
                    errors: vec![berth_api::FieldError::invalid("patch", patched, e)],
                }
            })?
        } else {
            normalize(rt, requested.object, fv, &requested.duplicates)?
        };
        // Identity checks.
        match meta::name(&new) {
            Some(n) if n != name => {
                return Err(ApiError::BadRequest(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => meta::set_meta(&mut new, "name", Value::from(name)),
        }
        if rt.namespaced {
            let url_ns = ns.unwrap_or_default();
            match meta::namespace(&new) {
                Some(body_ns) if body_ns != url_ns => {
                    return Err(ApiError::BadRequest(
                        "the namespace of the provided object does not match the namespace sent on the request".into(),
                    ));
                }
                _ => meta::set_meta(&mut new, "namespace", Value::from(url_ns)),
            }
        }
        let mut new = match target {
            Target::Main => {
                let mut n = new;
                if rt.subresources.contains(&registry::Subresource::Status)
                    || rt.kind == "Namespace"
                {
                    strategy::keep_status(&old, &mut n);
                }
                n
            }
            Target::Status => strategy::status_only(&old, &new),
            Target::Finalize => strategy::finalize_only(&old, &new),
            Target::Whole => new,
        };
        if let Some(uid) = meta::uid(&new).filter(|uid| !uid.is_empty())
            && Some(uid) != meta::uid(&old)
        {
            return Err(ApiError::invalid(
                rt,
                name,
                vec![berth_api::FieldError::invalid(
                    "metadata.uid",
                    uid,
                    "field is immutable",
                )],
            ));
        }
        for f in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            meta::copy_meta(&old, &mut new, f);
        }
        if rt.has_generation {
            let old_gen = old["metadata"]["generation"].as_i64().unwrap_or(1);
            // Upstream's binding writes the node straight to storage, past the strategy
            // that counts spec changes: a scheduled pod keeps its generation.
            let spec_changed = target != Target::Whole && old.get("spec") != new.get("spec");
            meta::set_meta(
                &mut new,
                "generation",
                Value::from(if spec_changed { old_gen + 1 } else { old_gen }),
            );
        } else {
            meta::set_meta(&mut new, "generation", Value::Null);
        }
        strategy::prepare_for_update(state, rt, &old, &mut new, target).await?;
        let mut errors = strategy::validate_meta(rt, &new, Some(&old));
        // Finalize and binding change one field the user-facing update rules forbid.
        if matches!(target, Target::Main | Target::Status) {
            errors.extend(rt.codec.validate(&new, Some(&old)));
        }
        if target == Target::Status {
            errors.extend(strategy::validate_status_update(rt, &new, &old));
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(rt, name, errors));
        }
        let subresource = match target {
            Target::Status => Some("status"),
            _ => None,
        };
        strategy::record_managed_fields(
            rt,
            Some(&old),
            &mut new,
            q.get("fieldManager"),
            headers,
            operation,
            subresource,
        );
        let new = with_type_meta(rt, &new);
        // A deleting object whose last finalizer is gone is removed.
        let remove = meta::is_deleting(&new) && strategy::finalizers_done(rt, &new);
        let mut unchanged = old.clone();
        meta::set_meta(&mut unchanged, "resourceVersion", Value::Null);
        let mut compare_new = new.clone();
        meta::set_meta(&mut compare_new, "resourceVersion", Value::Null);
        if !remove
            && strategy::without_managed_times(&unchanged)
                == strategy::without_managed_times(&compare_new)
        {
            // No-op updates do not write (the resourceVersion stays).
            return Ok((
                Updated {
                    object: old,
                    created: false,
                },
                warnings,
            ));
        }
        if dry_run {
            let mut object = new;
            meta::set_meta(
                &mut object,
                "resourceVersion",
                Value::from(kv.mod_revision.to_string()),
            );
            return Ok((
                Updated {
                    object,
                    created: false,
                },
                warnings,
            ));
        }
        let op = if remove {
            Op::Delete { key: key.clone() }
        } else {
            Op::Put {
                key: key.clone(),
                value: stored_bytes(rt, &new),
            }
        };
        match write_if_unchanged(state, &key, kv.mod_revision, op).await? {
            TxnResult::Committed { kvs, revision } => {
                let object = if remove {
                    let mut o = new;
                    meta::set_meta(&mut o, "resourceVersion", Value::from(revision.to_string()));
                    o
                } else {
                    let kv: Arc<KeyValue> = kvs
                        .into_iter()
                        .next()
                        .flatten()
                        .ok_or_else(|| ApiError::Internal("missing write result".into()))?;
                    object_value(&view(rt, kv))
                };
                return Ok((
                    Updated {
                        object,
                        created: false,
                    },
                    warnings,
                ));
            }
            TxnResult::Failed { .. } => {
                if requested.precondition_rv.is_some() {
                    return Err(ApiError::conflict_modified(rt, name));
                }
            }
        }
    }
    Err(ApiError::conflict_modified(rt, name))
}

/// Writes `op` if `key` is still at `mod_revision`: the optimistic concurrency of every
/// read-modify-write here.
async fn write_if_unchanged(
    state: &AppState,
    key: &str,
    mod_revision: i64,
    op: Op,
) -> ApiResult<TxnResult> {
    let unchanged = vec![Compare::ModRevision(key.to_string(), mod_revision)];
    Ok(state.store.txn(unchanged, vec![op]).await?)
}

/// The object a write asks for, and how it may be retried.
pub struct Requested {
    pub object: Value,
    /// Fail with 409 unless the current resourceVersion is this one.
    pub precondition_rv: Option<String>,
    pub create_if_missing: bool,
    /// The object is a patch's result (not a body the client sent whole).
    pub patched: bool,
    /// Fields the client's body named twice.
    pub duplicates: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn replace(
    state: &AppState,
    rp: &ResourcePath,
    name: &str,
    sub: Option<&str>,
    (mut body, duplicates): (Value, Vec<String>),
    q: &Query,
    headers: &HeaderMap,
    rendering: Rendering,
) -> ApiResult<Response> {
    let rt = rp.rt;
    if sub == Some("scale") {
        return strategy::update_scale(state, rp, name, body, q).await;
    }
    check_type_meta(rt, &mut body)?;
    let option_errors = field_manager_errors(q);
    if !option_errors.is_empty() {
        return Err(ApiError::invalid_options("UpdateOptions", option_errors));
    }
    let rv = meta::resource_version(&body).map(str::to_string);
    if rv.is_none() && !strategy::allow_unconditional_update(rt) {
        return Err(ApiError::invalid(
            rt,
            name,
            vec![berth_api::FieldError::invalid(
                "metadata.resourceVersion",
                "",
                "must be specified for an update",
            )],
        ));
    }
    let target = Target::from_sub(sub);
    let (updated, warnings) = update_object(
        state,
        rt,
        rp.namespace.as_deref(),
        name,
        target,
        q,
        headers,
        "Update",
        |current| {
            // A uid in the body is a precondition, as upstream's update takes it.
            if let (Some(wanted), Some(current)) = (meta::uid(&body), current) {
                let actual = meta::uid(current).unwrap_or_default();
                if !wanted.is_empty() && wanted != actual {
                    return Err(ApiError::Conflict {
                        rt,
                        name: name.to_string(),
                        detail: format!(
                            "Precondition failed: UID in precondition: {wanted}, UID in object meta: {actual}"
                        ),
                    });
                }
            }
            Ok(Requested {
                object: body.clone(),
                precondition_rv: rv.clone(),
                create_if_missing: true,
                patched: false,
                duplicates: duplicates.clone(),
            })
        },
    )
    .await?;
    let code = if updated.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond_value(
        rt,
        &updated.object,
        rendering,
        code,
        &warnings,
    ))
}

#[allow(clippy::too_many_arguments)]
async fn patch(
    state: &AppState,
    rp: &ResourcePath,
    name: &str,
    sub: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    q: &Query,
    rendering: Rendering,
) -> ApiResult<Response> {
    let rt = rp.rt;
    let ct = content_type(headers)
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let patch_kind = crate::strategy::PatchKind::from_content_type(&ct).ok_or_else(|| {
        ApiError::UnsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json".to_string())
    })?;
    if sub == Some("scale") {
        return strategy::patch_scale(state, rp, name, patch_kind, body, q).await;
    }
    let patch_doc = match patch_kind {
        crate::strategy::PatchKind::Apply => {
            crate::request::decode_yaml(body).map_err(ApiError::BadRequest)?
        }
        _ => serde_json::from_slice::<Value>(body)
            .map_err(|e| ApiError::BadRequest(format!("error decoding patch: {e}")))?,
    };
    if patch_kind == crate::strategy::PatchKind::Apply {
        undeclared_fields_check(rp, name, &patch_doc)?;
    }
    let target = Target::from_sub(sub);
    let manager = q.get("fieldManager").map(str::to_string);
    let mut option_errors = field_manager_errors(q);
    if patch_kind == crate::strategy::PatchKind::Apply {
        if manager.as_deref().unwrap_or("").is_empty() {
            option_errors.push(berth_api::FieldError::required(
                "fieldManager",
                "is required for apply patch",
            ));
        }
    } else if q.get("force").is_some() {
        option_errors.push(berth_api::FieldError::forbidden(
            "force",
            "may not be specified for non-apply patch",
        ));
    }
    if !option_errors.is_empty() {
        return Err(ApiError::invalid_options("PatchOptions", option_errors));
    }
    let force = q.flag("force");
    let operation = if patch_kind == crate::strategy::PatchKind::Apply {
        "Apply"
    } else {
        "Update"
    };
    let (updated, warnings) = update_object(
        state,
        rt,
        rp.namespace.as_deref(),
        name,
        target,
        q,
        headers,
        operation,
        |current| {
            let precondition_rv = patch_doc
                .get("metadata")
                .and_then(|m| m.get("resourceVersion"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut precondition_rv = precondition_rv;
            let object = match current {
                Some(cur) => strategy::apply_patch(
                    rt,
                    cur,
                    &patch_doc,
                    patch_kind,
                    manager.as_deref().unwrap_or(""),
                    sub,
                    force,
                )?,
                None if patch_kind == crate::strategy::PatchKind::Apply => strategy::apply_patch(
                    rt,
                    &Value::Null,
                    &patch_doc,
                    patch_kind,
                    manager.as_deref().unwrap_or(""),
                    sub,
                    force,
                )?,
                None => {
                    return Err(ApiError::NotFound {
                        rt,
                        name: name.to_string(),
                    });
                }
            };
            // A patch that changes metadata.resourceVersion (a JSON patch can) makes it a
            // precondition, as upstream's store compares the patched object's version.
            let patched_rv = meta::resource_version(&object);
            if patched_rv.is_some_and(|rv| current.and_then(meta::resource_version) != Some(rv)) {
                precondition_rv = patched_rv.map(str::to_string);
            }
            Ok(Requested {
                object,
                precondition_rv,
                create_if_missing: patch_kind == crate::strategy::PatchKind::Apply,
                patched: patch_kind != crate::strategy::PatchKind::Apply,
                duplicates: Vec::new(),
            })
        },
    )
    .await?;
    let code = if updated.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    if sub == Some("scale") {
        return Ok(json_response(code, &strategy::scale_of(&updated.object)?));
    }
    Ok(respond_value(
        rt,
        &updated.object,
        rendering,
        code,
        &warnings,
    ))
}

// ---------------------------------------------------------------------------------------------
// Delete

#[derive(Debug, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<String>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
    pub dry_run: bool,
    /// The deprecated `orphanDependents`, as given.
    pub orphan_dependents: Option<bool>,
}

impl DeleteOptions {
    pub fn parse(q: &Query, content_type: &str, body: &[u8]) -> ApiResult<DeleteOptions> {
        let mut o = DeleteOptions {
            dry_run: q.dry_run()?,
            ..Default::default()
        };
        o.grace_period_seconds = q.int("gracePeriodSeconds")?;
        o.propagation_policy = q.get("propagationPolicy").map(str::to_string);
        o.orphan_dependents = match q.get("orphanDependents") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        };
        if !body.iter().all(u8::is_ascii_whitespace) {
            let v = decode_body("DeleteOptions", content_type, body)?;
            if let Some(g) = v.get("gracePeriodSeconds").and_then(Value::as_i64) {
                o.grace_period_seconds = Some(g);
            }
            if let Some(p) = v.get("propagationPolicy").and_then(Value::as_str) {
                o.propagation_policy = Some(p.to_string());
            }
            if let Some(orphan) = v.get("orphanDependents").and_then(Value::as_bool) {
                o.orphan_dependents = Some(orphan);
            }
            if let Some(p) = v.get("preconditions") {
                o.precondition_uid = p.get("uid").and_then(Value::as_str).map(str::to_string);
                o.precondition_rv = p
                    .get("resourceVersion")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
            if let Some(d) = v.get("dryRun").and_then(Value::as_array)
                && d.iter().any(|x| x == "All")
            {
                o.dry_run = true;
            }
        }
        if o.orphan_dependents == Some(true) && o.propagation_policy.is_none() {
            o.propagation_policy = Some("Orphan".into());
        }
        if let Some(p) = &o.propagation_policy
            && !matches!(p.as_str(), "Orphan" | "Background" | "Foreground")
        {
            return Err(ApiError::invalid_options(
                "DeleteOptions",
                vec![berth_api::FieldError::not_supported(
                    "propagationPolicy",
                    p.as_str(),
                    &["Foreground", "Background", "Orphan", "nil"],
                )],
            ));
        }
        if o.grace_period_seconds.is_some_and(|g| g < 0) {
            o.grace_period_seconds = Some(1);
        }
        Ok(o)
    }
}

pub async fn delete(
    state: &AppState,
    rt: &'static ResourceType,
    ns: Option<&str>,
    name: &str,
    opts: &DeleteOptions,
) -> ApiResult<Response> {
    if rt.kind == "Namespace" && IMMORTAL_NAMESPACES.contains(&name) {
        return Err(ApiError::Forbidden {
            rt,
            name: name.to_string(),
            reason: "this namespace may not be deleted".into(),
        });
    }
    let key = rt.key(ns, name);
    for _ in 0..MAX_UPDATE_ATTEMPTS {
        let kv = get_kv(state, rt, ns, name).await?;
        let obj = object_value(&kv);
        if let Some(uid) = &opts.precondition_uid {
            let actual = meta::uid(&obj).unwrap_or_default();
            if uid != actual {
                return Err(ApiError::Conflict {
                    rt,
                    name: name.to_string(),
                    detail: format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"
                    ),
                });
            }
        }
        if let Some(rv) = &opts.precondition_rv {
            let actual = kv.mod_revision.to_string();
            if *rv != actual {
                return Err(ApiError::Conflict {
                    rt,
                    name: name.to_string(),
                    detail: format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {actual}"
                    ),
                });
            }
        }
        let decision = strategy::plan_delete(rt, &obj, opts, now());
        let (op, response_obj, code) = match decision {
            strategy::DeleteDecision::Now => {
                (Op::Delete { key: key.clone() }, obj.clone(), StatusCode::OK)
            }
            strategy::DeleteDecision::Mark(marked) => {
                // Upstream answers 202 only to the deprecated `orphanDependents: false`.
                let code = if opts.orphan_dependents == Some(false) {
                    StatusCode::ACCEPTED
                } else {
                    StatusCode::OK
                };
                if marked == obj {
                    return Ok(json_response(code, &obj));
                }
                (
                    Op::Put {
                        key: key.clone(),
                        value: stored_bytes(rt, &marked),
                    },
                    marked,
                    code,
                )
            }
        };
        if opts.dry_run {
            return Ok(delete_response(
                rt,
                &response_obj,
                matches!(op, Op::Delete { .. }),
                code,
            ));
        }
        let is_delete = matches!(op, Op::Delete { .. });
        match write_if_unchanged(state, &key, kv.mod_revision, op).await? {
            TxnResult::Committed { kvs, .. } => {
                let out = if is_delete {
                    response_obj
                } else {
                    kvs[0]
                        .as_ref()
                        .map(|kv| object_value(&view(rt, kv.clone())))
                        .unwrap_or(response_obj)
                };
                return Ok(delete_response(rt, &out, is_delete, code));
            }
            TxnResult::Failed { .. } => continue,
        }
    }
    Err(ApiError::conflict_modified(rt, name))
}

/// `POST pods/<name>/eviction`: deletes the pod with the Eviction's delete options (berth
/// serves no PodDisruptionBudgets, so every eviction is allowed).
async fn evict(
    state: &AppState,
    rp: &ResourcePath,
    name: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Response> {
    let eviction = decode_body("Eviction", content_type(headers), body)?;
    if let Some(n) = meta::name(&eviction).filter(|n| *n != name) {
        return Err(ApiError::BadRequest(format!(
            "name in URL does not match name in Eviction object: {n}"
        )));
    }
    let options = eviction
        .get("deleteOptions")
        .map(|o| serde_json::to_vec(o).unwrap_or_default())
        .unwrap_or_default();
    let opts = DeleteOptions::parse(&Query::default(), "application/json", &options)?;
    delete(state, rp.rt, rp.namespace.as_deref(), name, &opts).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// Upstream answers an immediate delete with a Success Status (pods: with the object), and a
/// delayed one with the object as it now stands.
fn delete_response(
    rt: &ResourceType,
    obj: &Value,
    deleted_now: bool,
    code: StatusCode,
) -> Response {
    if deleted_now && rt.kind != "Pod" {
        let mut details = json!({"name": meta::name(obj).unwrap_or_default(), "kind": rt.plural});
        if !rt.group.is_empty() {
            details["group"] = json!(rt.group);
        }
        if let Some(uid) = meta::uid(obj) {
            details["uid"] = json!(uid);
        }
        return json_response(
            StatusCode::OK,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
        );
    }
    json_response(code, obj)
}

async fn delete_collection(
    state: &AppState,
    rp: &ResourcePath,
    q: &Query,
    opts: &DeleteOptions,
) -> ApiResult<Response> {
    let rt = rp.rt;
    let filter = Filter::from_query(rt, q)?;
    let res = state
        .store
        .range(RangeRequest {
            prefix: rt.list_prefix(rp.namespace.as_deref()),
            ..Default::default()
        })
        .await?;
    let mut deleted = Vec::new();
    for kv in res.kvs {
        let obj = object_value(&view(rt, kv));
        if !filter.matches(&obj) {
            continue;
        }
        let name = meta::name(&obj).unwrap_or_default().to_string();
        match delete(state, rt, meta::namespace(&obj), &name, opts).await {
            Ok(_) | Err(ApiError::NotFound { .. }) => deleted.push(obj),
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "kind": rt.list_kind(),
        "apiVersion": rt.api_version(),
        "metadata": {"resourceVersion": state.store.current_revision().to_string()},
        "items": deleted,
    });
    Ok(json_response(StatusCode::OK, &list))
}

/// Creates what every cluster starts with when missing: the namespaces `default`,
/// `kube-system`, `kube-public` and `kube-node-lease`, and the `kubernetes` Service in
/// `default` (the API server's in-cluster address: 10.96.0.1:443 → its own port).
pub async fn ensure_bootstrap_objects(state: &AppState) -> ApiResult<()> {
    let namespaces = registry::find("", "v1", "namespaces").expect("namespaces are registered");
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        ensure_object(state, namespaces, None, ns, &namespace).await?;
    }
    let services = registry::find("", "v1", "services").expect("services are registered");
    let api_port = state
        .config
        .external_address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(6443);
    let service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "sessionAffinity": "None",
                 "ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": api_port}]},
    });
    ensure_object(state, services, Some("default"), "kubernetes", &service).await
}

/// Creates `object` as the API server itself would, unless it exists.
async fn ensure_object(
    state: &AppState,
    rt: &'static ResourceType,
    namespace: Option<&str>,
    name: &str,
    object: &Value,
) -> ApiResult<()> {
    if state
        .store
        .get(&rt.key(namespace, name), None)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let rp = ResourcePath {
        rt,
        namespace: namespace.map(str::to_string),
        name: None,
        subresource: None,
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut query = Query::default();
    query.set("fieldManager", "kube-apiserver");
    let body = serde_json::to_vec(object).unwrap_or_default();
    match create(
        state,
        &rp,
        &query,
        &headers,
        &body,
        Rendering::Object,
        "Update",
    )
    .await
    {
        Ok(_) | Err(ApiError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
