//! Building HTTP responses: JSON bodies, and the stored-object fast path that splices
//! `metadata.resourceVersion` into stored bytes without re-encoding the object.

use axum::body::Body;
use axum::response::Response;
use berth_store::KeyValue;
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

pub fn json_response(code: StatusCode, body: &Value) -> Response {
    bytes_response(
        code,
        serde_json::to_vec(body).unwrap_or_default(),
        "application/json",
    )
}

pub fn bytes_response(
    code: StatusCode,
    body: impl Into<Body>,
    content_type: &'static str,
) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = code;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Where stored objects' metadata starts: they always begin
/// `{"apiVersion":…,"kind":…,"metadata":{`.
const METADATA_MARK: &[u8] = b"\"metadata\":{";

/// The stored JSON of an object with `metadata.resourceVersion` set to the version's revision.
///
/// The revision is spliced in right after the first `"metadata":{` instead of decoding and
/// re-encoding the object (this keeps large lists cheap).
pub fn object_bytes(kv: &KeyValue, out: &mut Vec<u8>) {
    let v = &kv.value;
    match find(v, METADATA_MARK) {
        Some(pos) => {
            let at = pos + METADATA_MARK.len();
            out.extend_from_slice(&v[..at]);
            splice_resource_version(kv, at, v.len(), out);
        }
        None => {
            // Not in canonical form: fall back to decoding.
            let value = object_value(kv);
            out.extend_from_slice(&serde_json::to_vec(&value).unwrap_or_default());
        }
    }
}

/// The stored object's `metadata` as JSON, with `resourceVersion` set, copied from the stored
/// bytes (what a Table row or a PartialObjectMetadata carries).
pub fn metadata_bytes(kv: &KeyValue, out: &mut Vec<u8>) {
    let v = &kv.value;
    let span = find(v, METADATA_MARK).and_then(|pos| {
        let open = pos + METADATA_MARK.len() - 1;
        Some((open + 1, object_end(v, open)?))
    });
    match span {
        Some((at, end)) => {
            out.push(b'{');
            splice_resource_version(kv, at, end, out);
        }
        None => {
            let value = object_value(kv);
            let metadata = value.get("metadata").unwrap_or(&Value::Null);
            out.extend_from_slice(&serde_json::to_vec(metadata).unwrap_or_default());
        }
    }
}

/// Writes `"resourceVersion":"N"` and then the stored bytes `at..end`, which continue an
/// object's metadata right after its opening brace.
fn splice_resource_version(kv: &KeyValue, at: usize, end: usize, out: &mut Vec<u8>) {
    let v = &kv.value;
    out.extend_from_slice(b"\"resourceVersion\":\"");
    out.extend_from_slice(kv.mod_revision.to_string().as_bytes());
    out.push(b'"');
    if v.get(at) != Some(&b'}') {
        out.push(b',');
    }
    out.extend_from_slice(&v[at..end]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The index just past the JSON object whose `{` is at `open`, skipping over strings.
fn object_end(json: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &byte) in json.iter().enumerate().skip(open) {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The stored object as a value, with `metadata.resourceVersion` set.
pub fn object_value(kv: &KeyValue) -> Value {
    let mut v: Value = serde_json::from_slice(&kv.value).unwrap_or(Value::Null);
    berth_api::meta::set_meta(
        &mut v,
        "resourceVersion",
        Value::from(kv.mod_revision.to_string()),
    );
    v
}

/// The stored object as a value without `metadata.managedFields`, for what only reads
/// (Table cells, selectors): decoding it costs about half as much.
pub fn object_summary(kv: &KeyValue) -> Value {
    let mut v = berth_api::meta::decode_without_managed_fields(&kv.value).unwrap_or(Value::Null);
    berth_api::meta::set_meta(
        &mut v,
        "resourceVersion",
        Value::from(kv.mod_revision.to_string()),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(value: &str) -> KeyValue {
        KeyValue {
            key: "k".into(),
            value: value.as_bytes().to_vec(),
            create_revision: 1,
            mod_revision: 7,
        }
    }

    #[test]
    fn splices_resource_version() {
        let mut out = Vec::new();
        object_bytes(
            &kv(
                r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"x":"y"}}"#,
            ),
            &mut out,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["metadata"]["resourceVersion"], "7");
        assert_eq!(v["metadata"]["name"], "a");
        out.clear();
        object_bytes(
            &kv(r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}"#),
            &mut out,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["metadata"]["resourceVersion"], "7");
    }

    #[test]
    fn copies_metadata_with_resource_version() {
        let stored = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","annotations":{"x":"}{\"]"},"labels":{"k":"v"}},"spec":{"x":[{}]}}"#;
        let mut out = Vec::new();
        metadata_bytes(&kv(stored), &mut out);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"resourceVersion": "7", "name": "a", "annotations": {"x": "}{\"]"}, "labels": {"k": "v"}})
        );
        out.clear();
        metadata_bytes(
            &kv(r#"{"apiVersion":"v1","kind":"Pod","metadata":{}}"#),
            &mut out,
        );
        assert_eq!(out, br#"{"resourceVersion":"7"}"#);
        // Not canonical: decoded instead.
        out.clear();
        metadata_bytes(
            &kv(r#"{"metadata": {"name": "b"}, "kind": "Pod"}"#),
            &mut out,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, serde_json::json!({"name": "b", "resourceVersion": "7"}));
    }
}
