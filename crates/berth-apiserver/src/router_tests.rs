//! Requests through the whole router, on a real SQLite store, without sockets.

use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{AppState, Authenticator, ServerConfig, User, bootstrap, router};

const TOKEN: &str = "test-token";

async fn app() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = berth_store::sqlite::SqliteStore::open(&dir.path().join("state.db")).unwrap();
    let mut auth = Authenticator::new();
    auth.add_token(
        TOKEN.into(),
        User {
            name: "admin".into(),
            groups: vec!["system:masters".into()],
        },
    );
    let state = AppState::new(store, auth, ServerConfig::default());
    bootstrap(&state).await.unwrap();
    state.set_ready();
    (router(state), dir)
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    content_type: &str,
    body: Value,
) -> (StatusCode, Value) {
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}})
}

#[tokio::test]
async fn create_get_conflict_and_not_found() {
    let (app, _dir) = app().await;
    let (code, created) = call(&app, "POST", CMS, "application/json", cm("x")).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert!(created["metadata"]["uid"].is_string());
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    let (code, again) = call(&app, "POST", CMS, "application/json", cm("x")).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(again["reason"], "AlreadyExists");
    assert_eq!(again["message"], "configmaps \"x\" already exists");

    let mut stale = created.clone();
    stale["data"]["a"] = json!("2");
    let (code, _) = call(
        &app,
        "PUT",
        &format!("{CMS}/x"),
        "application/json",
        stale.clone(),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    stale["metadata"]["resourceVersion"] = json!(rv);
    let (code, conflict) = call(&app, "PUT", &format!("{CMS}/x"), "application/json", stale).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        conflict["message"],
        "Operation cannot be fulfilled on configmaps \"x\": the object has been modified; please apply your changes to the latest version and try again"
    );

    let (code, missing) = call(
        &app,
        "GET",
        &format!("{CMS}/nope"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        missing["details"],
        json!({"name": "nope", "kind": "configmaps"})
    );
}

#[tokio::test]
async fn unauthenticated_requests_are_refused_but_readyz_is_public() {
    let (app, _dir) = app().await;
    let req = Request::builder().uri(CMS).body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let req = Request::builder()
        .uri("/readyz")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn lists_page_with_continue_tokens_at_one_revision() {
    let (app, _dir) = app().await;
    for i in 0..5 {
        let (code, _) = call(&app, "POST", CMS, "application/json", cm(&format!("c{i}"))).await;
        assert_eq!(code, StatusCode::CREATED);
    }
    let (_, first) = call(
        &app,
        "GET",
        &format!("{CMS}?limit=2"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    // A write between pages does not show up: pages are read at the first page's revision.
    call(&app, "POST", CMS, "application/json", cm("c9")).await;
    let (_, rest) = call(
        &app,
        "GET",
        &format!("{CMS}?limit=10&continue={token}"),
        "application/json",
        Value::Null,
    )
    .await;
    let names: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c2", "c3", "c4"]);
    assert!(rest["metadata"].get("continue").is_none());
    assert_eq!(
        rest["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
}

#[tokio::test]
async fn invalid_objects_get_422_and_change_nothing() {
    let (app, _dir) = app().await;
    let sts = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
        "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    });
    let url = "/apis/apps/v1/namespaces/default/statefulsets";
    let (code, status) = call(&app, "POST", url, "application/json", sts).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        status["message"],
        "StatefulSet.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    );
    let (code, _) = call(
        &app,
        "GET",
        &format!("{url}/web"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn finalizers_hold_deletion_until_removed() {
    let (app, _dir) = app().await;
    let mut obj = cm("held");
    obj["metadata"]["finalizers"] = json!(["example.com/hold"]);
    call(&app, "POST", CMS, "application/json", obj).await;
    let (code, marked) = call(
        &app,
        "DELETE",
        &format!("{CMS}/held"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    let patch = json!({"metadata": {"finalizers": null}});
    let (code, _) = call(
        &app,
        "PATCH",
        &format!("{CMS}/held"),
        "application/merge-patch+json",
        patch,
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = call(
        &app,
        "GET",
        &format!("{CMS}/held"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scale_subresource_reads_and_writes_replicas() {
    let (app, _dir) = app().await;
    let sts = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    });
    let url = "/apis/apps/v1/namespaces/default/statefulsets";
    let (code, _) = call(&app, "POST", url, "application/json", sts).await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, scale) = call(
        &app,
        "PATCH",
        &format!("{url}/web/scale"),
        "application/merge-patch+json",
        json!({"spec": {"replicas": 4}}),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{scale}");
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 4);
    assert_eq!(scale["status"]["selector"], "app=web");
    let (_, got): (StatusCode, Value) = call(
        &app,
        "GET",
        &format!("{url}/web"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(got["spec"]["replicas"], 4);
    assert_eq!(got["metadata"]["generation"], 2);
}

#[tokio::test]
async fn binding_a_pod_keeps_its_generation() {
    let (app, _dir) = app().await;
    let pods = "/api/v1/namespaces/default/pods";
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let (code, created) = call(&app, "POST", pods, "application/json", pod).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["metadata"]["generation"], 1);
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
        "target": {"kind": "Node", "name": "n1"}});
    let (code, body) = call(
        &app,
        "POST",
        &format!("{pods}/p/binding"),
        "application/json",
        binding,
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let (_, got) = call(
        &app,
        "GET",
        &format!("{pods}/p"),
        "application/json",
        Value::Null,
    )
    .await;
    assert_eq!(got["spec"]["nodeName"], "n1");
    assert_eq!(got["metadata"]["generation"], 1);
}
