//! berth-apiserver: the Kubernetes REST API over a [`berth_store::Store`].
//!
//! One generic handler serves every kind in [`berth_api::registry::RESOURCES`]: discovery,
//! CRUD, list and watch, subresources, patches and server-side apply, OpenAPI, tables. Every
//! request is authenticated; errors are `metav1.Status` objects with upstream's texts.

mod auth;
mod discovery;
pub mod error;
pub mod event_expiry;
mod ids;
mod list_options;
mod openapi;
mod openapi_v2;
mod request;
mod response;
mod rest;
mod reviews;
#[cfg(test)]
mod router_tests;
mod service_alloc;
mod strategy;
mod table;
pub mod tls;
mod watch;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use berth_store::Store;
use http::{HeaderValue, Method, StatusCode, header};
use tracing::Instrument;

pub use auth::{Authenticator, User};
use error::ApiError;
pub use ids::new_token;
use request::{ApiPath, Query};

/// Tunables of the API server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How often a watch that asked for bookmarks gets one.
    pub bookmark_interval: Duration,
    /// The address clients reach the server at (`https://127.0.0.1:6443`), for discovery.
    pub external_address: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bookmark_interval: Duration::from_secs(60),
            external_address: "127.0.0.1:6443".into(),
        }
    }
}

/// Everything a request handler needs.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub authenticator: Authenticator,
    pub config: ServerConfig,
    ready: AtomicBool,
    /// Serialises ClusterIP allocation so two services never get the same address.
    service_ip_lock: tokio::sync::Mutex<()>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        authenticator: Authenticator,
        config: ServerConfig,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            store,
            authenticator,
            config,
            ready: AtomicBool::new(false),
            service_ip_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// `/readyz` answers 200 from now on.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }
}

/// The API as a tower service (used over TLS, and in-process by controllers).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// Creates the namespaces every cluster has, if missing.
pub async fn bootstrap(state: &AppState) -> Result<(), ApiError> {
    rest::ensure_bootstrap_objects(state).await
}

async fn dispatch(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), user = tracing::field::Empty);
    async move {
        let started = std::time::Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let response = match route(&state, req).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
        tracing::debug!(%method, %path, status = response.status().as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "handled");
        response
    }
    .instrument(span)
    .await
}

/// Whether a request may carry a body to read up front: writes that are not connection
/// upgrades (exec, attach and port-forward stream over the upgraded connection).
fn carries_body(parts: &http::request::Parts) -> bool {
    matches!(
        parts.method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && !parts.headers.contains_key(header::UPGRADE)
}

/// Paths anyone may read, as upstream's `system:public-info-viewer` allows.
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/livez" | "/readyz" | "/version")
        || path.starts_with("/healthz/")
        || path.starts_with("/livez/")
        || path.starts_with("/readyz/")
}

async fn route(state: &Arc<AppState>, req: Request) -> Result<Response, ApiError> {
    let path = req.uri().path().to_string();
    let mut user = None;
    if !is_public(&path) {
        let known = state
            .authenticator
            .authenticate(req.headers())
            .ok_or(ApiError::Unauthorized)?;
        tracing::Span::current().record("user", known.name.as_str());
        user = Some(known.clone());
    }
    // Read the body before any answer, so that one given without reading it (404, 405)
    // does not reset an HTTP/2 stream the client is still sending on.
    let (parts, body) = req.into_parts();
    let body = if carries_body(&parts) {
        rest::read_body(body).await?
    } else {
        bytes::Bytes::new()
    };
    if let (Some(review), Some(user), &Method::POST) =
        (reviews::Review::from_path(&path), &user, &parts.method)
    {
        let content_type = rest::content_type(&parts.headers);
        // The rules and subject reviews answer the same whatever the body says; kubectl
        // sends the rules review as protobuf, whose schema berth's decoder does not carry.
        let body = match review {
            reviews::Review::Access => {
                request::decode_body("SelfSubjectAccessReview", content_type, &body)?
            }
            _ => request::decode_body("SelfSubjectReview", content_type, &body)
                .unwrap_or_else(|_| serde_json::json!({})),
        };
        let (code, answer) = reviews::answer(review, user, &body)?;
        return Ok(response::json_response(code, &answer));
    }
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if parts.method == Method::GET {
        match path.as_str() {
            "/healthz" | "/livez" => return Ok(text(StatusCode::OK, "ok")),
            "/readyz" => {
                return Ok(if state.ready.load(Ordering::SeqCst) {
                    text(StatusCode::OK, "ok")
                } else {
                    text(StatusCode::SERVICE_UNAVAILABLE, "not ready")
                });
            }
            "/version" => {
                return Ok(response::json_response(
                    StatusCode::OK,
                    &discovery::version_info(),
                ));
            }
            "/api" => {
                return Ok(discovery_response(
                    &accept,
                    || discovery::api_versions(&state.config.external_address),
                    discovery::aggregated_core,
                ));
            }
            "/apis" => {
                return Ok(discovery_response(
                    &accept,
                    discovery::api_group_list,
                    discovery::aggregated_apis,
                ));
            }
            "/openapi/v2" => return Ok(openapi_v2(&accept)),
            "/openapi/v3" => {
                return Ok(response::json_response(
                    StatusCode::OK,
                    &openapi::v3_index(),
                ));
            }
            _ => {}
        }
        if let Some(doc_path) = path.strip_prefix("/openapi/v3/") {
            let doc = openapi::v3_document(doc_path).ok_or(ApiError::NoRoute)?;
            let mut r =
                response::bytes_response(StatusCode::OK, doc.as_ref().clone(), "application/json");
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache, private"),
            );
            return Ok(r);
        }
    }
    // The deprecated `/<prefix>/watch/...` paths watch what the path without it lists.
    let (path, legacy_watch) = match request::strip_legacy_watch(&path) {
        Some(stripped) => (stripped, true),
        None => (path, false),
    };
    match request::parse_api_path(&path) {
        Some(ApiPath::Resource(mut rp)) if legacy_watch => {
            if parts.method != Method::GET || rp.subresource.is_some() {
                return Err(ApiError::NoRoute);
            }
            let mut query = Query::parse(parts.uri.query());
            query.set("watch", "true");
            if let Some(name) = rp.name.take() {
                query.set("fieldSelector", &format!("metadata.name={name}"));
            }
            rest::handle(state, parts, body, rp, query).await
        }
        Some(ApiPath::Resource(rp)) => {
            let query = Query::parse(parts.uri.query());
            rest::handle(state, parts, body, rp, query).await
        }
        Some(ApiPath::GroupVersion { group, version }) if parts.method == Method::GET => {
            let list = discovery::api_resource_list(&group, &version).ok_or(ApiError::NoRoute)?;
            Ok(response::json_response(StatusCode::OK, &list))
        }
        Some(ApiPath::Group { group }) if parts.method == Method::GET => {
            let groups = discovery::api_group_list();
            let found = groups["groups"]
                .as_array()
                .and_then(|gs| gs.iter().find(|g| g["name"] == group.as_str()))
                .cloned();
            let mut g = found.ok_or(ApiError::NoRoute)?;
            g["kind"] = "APIGroup".into();
            g["apiVersion"] = "v1".into();
            Ok(response::json_response(StatusCode::OK, &g))
        }
        _ => Err(ApiError::NoRoute),
    }
}

/// `GET /openapi/v2`: gnostic protobuf for kubectl, JSON for everyone else.
fn openapi_v2(accept: &str) -> Response {
    let (body, content_type) = if accept.contains("protobuf") {
        (
            openapi_v2::protobuf_bytes(),
            openapi_v2::PROTOBUF_CONTENT_TYPE,
        )
    } else {
        (openapi_v2::json_bytes(), "application/json")
    };
    response::bytes_response(StatusCode::OK, body, content_type)
}

fn discovery_response(
    accept: &str,
    legacy: impl FnOnce() -> serde_json::Value,
    aggregated: impl FnOnce() -> serde_json::Value,
) -> Response {
    let mut r = if discovery::wants_aggregated(accept) {
        let mut r = response::json_response(StatusCode::OK, &aggregated());
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(discovery::AGGREGATED_CONTENT_TYPE),
        );
        r
    } else {
        response::json_response(StatusCode::OK, &legacy())
    };
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    r
}

fn text(code: StatusCode, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::service::TowerToHyperService;

    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
            };
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}
