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

pub fn bytes_response(code: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The stored JSON of an object with `metadata.resourceVersion` set to the version's revision.
///
/// Stored objects always begin `{"apiVersion":…,"kind":…,"metadata":{`, so the revision can be
/// spliced in right after the first `"metadata":{` instead of decoding and re-encoding the
/// object (this keeps large lists cheap).
pub fn object_bytes(kv: &KeyValue, out: &mut Vec<u8>) {
    const MARK: &[u8] = b"\"metadata\":{";
    let v = &kv.value;
    match v.windows(MARK.len()).position(|w| w == MARK) {
        Some(pos) => {
            let at = pos + MARK.len();
            out.extend_from_slice(&v[..at]);
            out.extend_from_slice(b"\"resourceVersion\":\"");
            out.extend_from_slice(kv.mod_revision.to_string().as_bytes());
            out.push(b'"');
            if v.get(at) != Some(&b'}') {
                out.push(b',');
            }
            out.extend_from_slice(&v[at..]);
        }
        None => {
            // Not in canonical form: fall back to decoding.
            let value = object_value(kv);
            out.extend_from_slice(&serde_json::to_vec(&value).unwrap_or_default());
        }
    }
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
}
