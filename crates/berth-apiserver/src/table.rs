//! `meta.k8s.io/v1 Table` responses for `kubectl get`.

use berth_api::printers;
use berth_api::registry::ResourceType;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::request::Query;

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

/// A Table of `objects`. `with_columns` is false only for watch events after the first.
pub fn table(
    rt: &ResourceType,
    objects: &[Value],
    opts: TableOptions,
    list_meta: Value,
    with_columns: bool,
) -> Value {
    let now = jiff::Timestamp::now();
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| {
            let mut row = json!({"cells": printers::row_cells(rt, obj, now)});
            match opts.include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
                    });
                }
                IncludeObject::Object => row["object"] = obj.clone(),
            }
            row
        })
        .collect();
    let mut t = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "rows": rows});
    t["columnDefinitions"] = if with_columns {
        Value::from(
            printers::columns(rt)
                .iter()
                .map(|c| json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority}))
                .collect::<Vec<_>>(),
        )
    } else {
        json!(null)
    };
    t
}
