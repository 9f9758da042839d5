//! `meta.k8s.io/v1 Table` responses for `kubectl get`.

use std::borrow::Cow;

use berth_api::printers;
use berth_api::registry::ResourceType;
use berth_store::KeyValue;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::request::Query;
use crate::response;

/// What a row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    pub include: IncludeObject,
}

/// How a response body is shaped, from the Accept header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    Object,
    Table(TableOptions),
}

impl Rendering {
    pub fn from_accept(headers: &HeaderMap, q: &Query) -> ApiResult<Rendering> {
        let accept = headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut json_ok = accept.is_empty();
        for part in accept.split(',') {
            let params: Vec<&str> = part.split(';').map(str::trim).collect();
            let media = params[0];
            let is_table = params.contains(&"as=Table") && params.contains(&"g=meta.k8s.io");
            if is_table && matches!(media, "application/json" | "*/*") {
                let include = match q.get("includeObject") {
                    Some("None") => IncludeObject::None,
                    Some("Object") => IncludeObject::Object,
                    _ => IncludeObject::Metadata,
                };
                return Ok(Rendering::Table(TableOptions { include }));
            }
            if !params.iter().any(|p| p.starts_with("as="))
                && matches!(
                    media,
                    "application/json" | "*/*" | "application/*" | "application/yaml"
                )
            {
                json_ok = true;
            }
        }
        if json_ok {
            Ok(Rendering::Object)
        } else {
            Err(ApiError::NotAcceptable("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf".to_string()))
        }
    }
}

/// One object to render as a row: its decoded form (for the cells) and, when it comes
/// straight from the store, its stored version (copied into the row without re-encoding).
pub struct RowSource<'a> {
    pub object: Cow<'a, Value>,
    pub stored: Option<&'a KeyValue>,
}

impl<'a> RowSource<'a> {
    pub fn decoded(object: &'a Value) -> RowSource<'a> {
        RowSource {
            object: Cow::Borrowed(object),
            stored: None,
        }
    }

    /// A stored version, decoded as its row is written (so a list holds one decoded object
    /// at a time).
    pub fn stored(kv: &'a KeyValue) -> RowSource<'a> {
        RowSource {
            object: Cow::Owned(response::object_summary(kv)),
            stored: Some(kv),
        }
    }
}

/// A Table of `rows`, as JSON. `with_columns` is false only for watch events after the
/// first.
pub fn table<'a>(
    rt: &ResourceType,
    rows: impl IntoIterator<Item = RowSource<'a>>,
    opts: TableOptions,
    list_meta: &Value,
    with_columns: bool,
) -> Vec<u8> {
    let mut out = table_head(rt, list_meta, with_columns);
    let now = jiff::Timestamp::now();
    for (index, row) in rows.into_iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_row(&mut out, rt, row, opts, now);
    }
    out.extend_from_slice(TABLE_TAIL);
    out
}

/// What closes a Table after its last row.
pub const TABLE_TAIL: &[u8] = b"]}";

/// A Table up to its first row: the rows and then [`TABLE_TAIL`] follow.
pub fn table_head(rt: &ResourceType, list_meta: &Value, with_columns: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(br#"{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":"#);
    write_json(&mut out, list_meta);
    out.extend_from_slice(br#","columnDefinitions":"#);
    if with_columns {
        let columns: Vec<Value> = printers::columns(rt)
            .iter()
            .map(|c| json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority}))
            .collect();
        write_json(&mut out, &Value::from(columns));
    } else {
        out.extend_from_slice(b"null");
    }
    out.extend_from_slice(br#","rows":["#);
    out
}

/// One row (`now` is when the Age cells are measured to).
pub fn write_row(
    out: &mut Vec<u8>,
    rt: &ResourceType,
    row: RowSource<'_>,
    opts: TableOptions,
    now: jiff::Timestamp,
) {
    out.extend_from_slice(br#"{"cells":"#);
    write_json(out, &Value::from(printers::row_cells(rt, &row.object, now)));
    match opts.include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            out.extend_from_slice(
                br#","object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":"#,
            );
            match row.stored {
                Some(kv) => response::metadata_bytes(kv, out),
                None => write_json(out, row.object.get("metadata").unwrap_or(&json!({}))),
            }
            out.push(b'}');
        }
        IncludeObject::Object => {
            out.extend_from_slice(br#","object":"#);
            match row.stored {
                Some(kv) => response::object_bytes(kv, out),
                None => write_json(out, &row.object),
            }
        }
    }
    out.push(b'}');
}

fn write_json(out: &mut Vec<u8>, value: &Value) {
    // Writing a Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}
