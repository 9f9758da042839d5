//! Watch: a chunked stream of `{"type":…,"object":…}` events, with initial events,
//! bookmarks, WatchList (`sendInitialEvents`) and 410 Expired for compacted history.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use berth_api::registry::ResourceType;
use berth_store::{Event, KeyValue, RangeRequest};
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::list_options;
use crate::request::{Query, ResourcePath};
use crate::response::{object_bytes, object_summary};
use crate::rest::{Filter, view};
use crate::table::{Rendering, RowSource, table};

/// Upstream keeps a watch open between 30 and 60 minutes unless told otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

struct WatchParams {
    start: Start,
    bookmarks: bool,
    initial_events_end: bool,
    timeout: Duration,
}

enum Start {
    /// Send the current state as ADDED events first, then changes after it.
    CurrentState,
    /// Only changes after this revision.
    After(i64),
}

fn params(state: &AppState, q: &Query) -> ApiResult<WatchParams> {
    let rv = q.get("resourceVersion").filter(|s| !s.is_empty());
    let send_initial = match q.get("sendInitialEvents") {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let bookmarks = q.flag("allowWatchBookmarks");
    list_options::check(q, true)?;
    let start = match (send_initial, rv) {
        (Some(true), _) | (None, None) | (None, Some("0")) => Start::CurrentState,
        (_, Some(rv)) => Start::After(list_options::parse_resource_version(rv)?),
        (Some(false), None) => Start::After(state.store.current_revision()),
    };
    let timeout = match q.int("timeoutSeconds")? {
        Some(s) if s > 0 => Duration::from_secs(s as u64),
        _ => DEFAULT_TIMEOUT,
    };
    Ok(WatchParams {
        start,
        bookmarks,
        initial_events_end: send_initial == Some(true) && bookmarks,
        timeout,
    })
}

pub async fn watch(
    state: &Arc<AppState>,
    rp: &ResourcePath,
    q: &Query,
    rendering: Rendering,
) -> ApiResult<Response> {
    let rt = rp.rt;
    let filter = Filter::from_query(rt, q)?;
    let p = params(state, q)?;
    let prefix = rt.list_prefix(rp.namespace.as_deref());
    let mut encoder = Encoder {
        rt,
        rendering,
        columns_sent: false,
    };
    let mut initial: Vec<Bytes> = Vec::new();
    let start_rev = match p.start {
        Start::CurrentState => {
            let res = state
                .store
                .range(RangeRequest {
                    prefix: prefix.clone(),
                    ..Default::default()
                })
                .await?;
            for kv in res.kvs.into_iter().map(|kv| view(rt, kv)) {
                let decoded = decode_for(&filter, &kv);
                if passes(&filter, &decoded) {
                    initial.push(encoder.event("ADDED", &kv, decoded.as_ref()));
                }
            }
            if p.initial_events_end {
                initial.push(encoder.bookmark(res.revision, true));
            }
            res.revision
        }
        Start::After(rv) => rv,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(256);
    let stream = match state.store.watch(&prefix, start_rev).await {
        Ok(s) => Some(s),
        Err(berth_store::Error::Compacted {
            requested,
            compacted,
        }) => {
            let status = ApiError::Expired(format!(
                "too old resource version: {requested} ({compacted})"
            ))
            .status();
            let _ = tx.try_send(line(&json!({"type": "ERROR", "object": status})));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let bookmark_interval = state.config.bookmark_interval;
    let task = async move {
        for chunk in initial {
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
        let Some(mut stream) = stream else { return };
        let deadline = tokio::time::sleep(p.timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + bookmark_interval,
            bookmark_interval,
        );
        let mut last_rev = start_rev;
        loop {
            tokio::select! {
                next = stream.next() => match next {
                    Some(Ok(ev)) => {
                        last_rev = ev.revision();
                        if let Some(chunk) = encoder.change(&ev, &filter)
                            && tx.send(chunk).await.is_err() { return; }
                    }
                    Some(Err(e)) => {
                        let err = match e {
                            berth_store::Error::Compacted { requested, compacted } => ApiError::Expired(format!("too old resource version: {requested} ({compacted})")),
                            other => ApiError::Expired(format!("watch closed: {other}")),
                        };
                        let _ = tx.send(line(&json!({"type": "ERROR", "object": err.status()}))).await;
                        return;
                    }
                    None => return,
                },
                _ = ticker.tick(), if p.bookmarks => {
                    if tx.send(encoder.bookmark(last_rev, false)).await.is_err() { return; }
                }
                () = &mut deadline => {
                    if p.bookmarks {
                        let _ = tx.send(encoder.bookmark(last_rev, false)).await;
                    }
                    return;
                }
                () = tx.closed() => return,
            }
        }
    };
    tokio::spawn(task);
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<Bytes, std::convert::Infallible>(b), rx))
    }));
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::OK;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    Ok(r)
}

fn line(v: &Value) -> Bytes {
    let mut out = serde_json::to_vec(v).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

/// Turns store changes into watch events in the requested rendering.
struct Encoder {
    rt: &'static ResourceType,
    rendering: Rendering,
    columns_sent: bool,
}

/// The stored version decoded, when the filter needs it to decide (a watch without
/// selectors sends stored bytes as they are).
fn decode_for(filter: &Filter, kv: &KeyValue) -> Option<Value> {
    (!filter.is_everything()).then(|| object_summary(kv))
}

fn passes(filter: &Filter, decoded: &Option<Value>) -> bool {
    decoded.as_ref().is_none_or(|obj| filter.matches(obj))
}

impl Encoder {
    /// One event line; `decoded` is the stored version decoded, if it already was.
    fn event(&mut self, kind: &str, kv: &KeyValue, decoded: Option<&Value>) -> Bytes {
        let mut out = Vec::with_capacity(kv.value.len() + 64);
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"object\":");
        match self.rendering {
            Rendering::Object => object_bytes(kv, &mut out),
            Rendering::Table(opts) => {
                let row = match decoded {
                    Some(object) => RowSource {
                        object: Cow::Borrowed(object),
                        stored: Some(kv),
                    },
                    None => RowSource::stored(kv),
                };
                let list_meta = json!({"resourceVersion": kv.mod_revision.to_string()});
                out.extend(table(self.rt, [row], opts, &list_meta, !self.columns_sent));
                self.columns_sent = true;
            }
        }
        out.extend_from_slice(b"}\n");
        Bytes::from(out)
    }

    /// A change, as seen through the request's selectors (objects entering or leaving the
    /// selection appear as ADDED or DELETED).
    fn change(&mut self, ev: &Event, filter: &Filter) -> Option<Bytes> {
        let rt = self.rt;
        match ev {
            Event::Put { kv, prev } => {
                let kv = &view(rt, kv.clone());
                let prev = prev.clone().map(|p| view(rt, p));
                let decoded = decode_for(filter, kv);
                let now = passes(filter, &decoded);
                let before = prev
                    .as_ref()
                    .map(|p| passes(filter, &decode_for(filter, p)));
                let kind = match (before, now) {
                    (None | Some(false), true) => "ADDED",
                    (Some(true), true) => "MODIFIED",
                    (Some(true), false) => "DELETED",
                    _ => return None,
                };
                Some(self.event(kind, kv, decoded.as_ref()))
            }
            Event::Delete { prev, revision } => {
                let prev = &view(rt, prev.clone());
                let decoded = decode_for(filter, prev);
                if !passes(filter, &decoded) {
                    return None;
                }
                // The deletion is reported at its own revision.
                let kv = KeyValue {
                    mod_revision: *revision,
                    ..(**prev).clone()
                };
                Some(self.event("DELETED", &kv, decoded.as_ref()))
            }
        }
    }

    fn bookmark(&self, revision: i64, initial_events_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = match self.rendering {
            Rendering::Object => {
                json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": metadata})
            }
            Rendering::Table(_) => {
                json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": null, "rows": []})
            }
        };
        line(&json!({"type": "BOOKMARK", "object": object}))
    }
}
