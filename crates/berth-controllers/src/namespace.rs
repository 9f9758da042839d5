//! The namespace controller (upstream `pkg/controller/namespace`): when a namespace is
//! deleted, the API server marks it (deletionTimestamp, phase Terminating) and keeps it
//! while `spec.finalizers` holds `kubernetes`. This controller deletes everything in it,
//! reports progress in the namespace's status conditions, and once nothing is left removes
//! the `kubernetes` finalizer through the `finalize` subresource; the server then deletes
//! the namespace.
//!
//! Event-driven: it reconciles on namespace changes and on any change to an object inside
//! a terminating namespace (a pod finishing its grace period, a finalizer removed), with a
//! timed requeue only as a fallback.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use berth_api::registry::ResourceType;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, NamespaceCondition, NamespaceStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use tracing::{debug, info, instrument, warn};

use crate::Error;

/// The token in `spec.finalizers` that this controller owns.
const KUBERNETES_FINALIZER: &str = "kubernetes";
const TERMINATING: &str = "Terminating";
/// Upstream's guess of how long a finalizer on remaining content takes.
const FINALIZER_ESTIMATE_SECONDS: i64 = 15;
/// Collapses bursts of events (a namespace's objects going one by one) into one pass.
const DEBOUNCE: Duration = Duration::from_millis(100);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
const CONFLICT_RETRIES: usize = 5;

const DISCOVERY_FAILURE: &str = "NamespaceDeletionDiscoveryFailure";
const GROUP_VERSION_PARSING_FAILURE: &str = "NamespaceDeletionGroupVersionParsingFailure";
const CONTENT_FAILURE: &str = "NamespaceDeletionContentFailure";
const CONTENT_REMAINING: &str = "NamespaceContentRemaining";
const FINALIZERS_REMAINING: &str = "NamespaceFinalizersRemaining";

/// The conditions the controller maintains, in upstream's order, each with the reason and
/// message it has when all is well.
const CONDITIONS: [(&str, &str, &str); 5] = [
    (
        DISCOVERY_FAILURE,
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    (
        GROUP_VERSION_PARSING_FAILURE,
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    (
        CONTENT_FAILURE,
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    (
        CONTENT_REMAINING,
        "ContentRemoved",
        "All content successfully removed",
    ),
    (
        FINALIZERS_REMAINING,
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
];

/// Runs the namespace controller until `shutdown` completes.
pub async fn run_namespace_controller(
    client: Client,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let controller = Controller::new(
        Api::<Namespace>::all(client.clone()),
        watcher::Config::default(),
    )
    .with_config(controller::Config::default().debounce(DEBOUNCE));
    let namespaces = controller.store();
    let mut controller = controller;
    for (_, _, resource) in crate::stored_kinds().filter(|(_, kind, _)| kind.namespaced) {
        let api = Api::<DynamicObject>::all_with(client.clone(), &resource);
        let namespaces = namespaces.clone();
        controller =
            controller.watches_with(api, resource, watcher::Config::default(), move |object| {
                terminating_namespace_of(&namespaces, &object)
            });
    }
    let context = Arc::new(Context { client });
    let run = controller
        .run(reconcile, error_policy, context)
        .for_each(|result| {
            if let Err(error) = result {
                debug!(%error, "namespace controller");
            }
            futures::future::ready(())
        });
    tokio::select! {
        () = run => {}
        () = shutdown => {}
    }
}

struct Context {
    client: Client,
}

/// The namespace to reconcile when `object` changes: its own, if that is terminating.
fn terminating_namespace_of(
    namespaces: &Store<Namespace>,
    object: &DynamicObject,
) -> Option<ObjectRef<Namespace>> {
    let reference = ObjectRef::new(object.metadata.namespace.as_deref()?);
    let namespace = namespaces.get(&reference)?;
    namespace.metadata.deletion_timestamp.as_ref()?;
    Some(reference)
}

fn error_policy(_namespace: Arc<Namespace>, error: &Error, _context: Arc<Context>) -> Action {
    warn!(%error, "namespace deletion failed; will retry");
    Action::requeue(RETRY_AFTER_FAILURE)
}

#[instrument(skip_all, fields(namespace = %namespace.name_any()))]
async fn reconcile(namespace: Arc<Namespace>, context: Arc<Context>) -> Result<Action, Error> {
    if namespace.metadata.deletion_timestamp.is_none() {
        return Ok(Action::await_change());
    }
    let api = Api::<Namespace>::all(context.client.clone());
    // The cache may lag, and other controllers may be finalizing too: work on the latest.
    let Some(latest) = api.get_opt(&namespace.name_any()).await? else {
        return Ok(Action::await_change());
    };
    if latest.metadata.deletion_timestamp.is_none() || !holds_kubernetes_finalizer(&latest) {
        return Ok(Action::await_change());
    }

    let report = delete_content(&context.client, &latest.name_any()).await;
    let Some(latest) = update_status(&api, latest, &report).await? else {
        return Ok(Action::await_change());
    };
    match next_step(&report) {
        NextStep::Finalize => {
            finalize(&api, latest).await?;
            info!("namespace is empty; finalized");
            Ok(Action::await_change())
        }
        NextStep::Wait(after) => {
            debug!(remaining = ?report.remaining, failures = report.failures.len(), "content remains");
            Ok(Action::requeue(after))
        }
    }
}

fn holds_kubernetes_finalizer(namespace: &Namespace) -> bool {
    let finalizers = namespace.spec.as_ref().and_then(|s| s.finalizers.as_ref());
    finalizers
        .into_iter()
        .flatten()
        .any(|f| f == KUBERNETES_FINALIZER)
}

/// What one pass over the namespace's content found.
#[derive(Debug, Default, PartialEq)]
struct ContentReport {
    /// `<plural>.<group>` (upstream's form, so `pods.` for core) → objects left.
    remaining: BTreeMap<String, usize>,
    /// Finalizer → objects left that carry it.
    finalizers: BTreeMap<String, usize>,
    /// Kinds whose deletion failed.
    failures: Vec<String>,
    /// Seconds until the remaining content is likely gone.
    estimate_seconds: i64,
}

/// What remained of one kind after deleting it.
struct KindContent {
    /// Longest termination grace period of the pods that were deleted.
    grace_estimate_seconds: i64,
    /// Finalizers of each object left.
    left: Vec<Vec<String>>,
}

impl ContentReport {
    fn add(&mut self, namespace: &str, kind: &ResourceType, content: KindContent) {
        if content.left.is_empty() {
            return;
        }
        self.remaining.insert(
            format!("{}.{}", kind.plural, kind.group),
            content.left.len(),
        );
        for finalizer in content.left.iter().flatten() {
            *self.finalizers.entry(finalizer.clone()).or_default() += 1;
        }
        let estimate = if content.grace_estimate_seconds > 0 {
            content.grace_estimate_seconds
        } else if content.left.iter().any(|f| !f.is_empty()) {
            FINALIZER_ESTIMATE_SECONDS
        } else {
            // Nothing explains why these are still here; upstream reports it as a failure.
            let resource = format!("{}/{}, Resource={}", kind.group, kind.version, kind.plural);
            self.failures.push(format!(
                "unexpected items still remain in namespace: {namespace} for gvr: {resource}"
            ));
            0
        };
        self.estimate_seconds = self.estimate_seconds.max(estimate);
    }
}

/// Deletes every namespaced kind in `namespace` (all kinds at once) and reports what is left.
async fn delete_content(client: &Client, namespace: &str) -> ContentReport {
    let kinds: Vec<_> = crate::stored_kinds()
        .filter(|(_, kind, _)| kind.namespaced)
        .collect();
    let passes = kinds.iter().map(|(_, kind, resource)| {
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), namespace, resource);
        async move { (*kind, delete_kind(&api, kind).await) }
    });
    let mut report = ContentReport::default();
    for (kind, result) in futures::future::join_all(passes).await {
        match result {
            Ok(content) => report.add(namespace, kind, content),
            Err(error) => report
                .failures
                .push(format!("{}: {error}", kind.qualified_plural())),
        }
    }
    report
}

async fn delete_kind(
    api: &Api<DynamicObject>,
    kind: &ResourceType,
) -> Result<KindContent, kube::Error> {
    let everything = ListParams::default();
    let grace_estimate_seconds = if kind.group.is_empty() && kind.plural == "pods" {
        pod_termination_estimate(&api.list(&everything).await?.items)
    } else {
        0
    };
    if kind.collection_delete {
        api.delete_collection(&DeleteParams::background(), &everything)
            .await?;
    } else {
        for object in api.list(&everything).await?.items {
            match api
                .delete(&object.name_any(), &DeleteParams::background())
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                Err(error) => return Err(error),
            }
        }
    }
    let left = api.list(&everything).await?.items;
    Ok(KindContent {
        grace_estimate_seconds,
        left: left
            .into_iter()
            .map(|o| o.metadata.finalizers.unwrap_or_default())
            .collect(),
    })
}

/// Longest `terminationGracePeriodSeconds` among pods that are not finished (upstream's
/// estimate of how long their graceful deletion takes).
fn pod_termination_estimate(pods: &[DynamicObject]) -> i64 {
    pods.iter()
        .filter(|pod| {
            !matches!(
                pod.data["status"]["phase"].as_str(),
                Some("Succeeded" | "Failed")
            )
        })
        .filter_map(|pod| pod.data["spec"]["terminationGracePeriodSeconds"].as_i64())
        .max()
        .unwrap_or(0)
}

#[derive(Debug, PartialEq)]
enum NextStep {
    Finalize,
    Wait(Duration),
}

fn next_step(report: &ContentReport) -> NextStep {
    if report.remaining.is_empty() && report.failures.is_empty() {
        return NextStep::Finalize;
    }
    if report.estimate_seconds > 0 {
        // Upstream checks again halfway through the estimate; events usually come sooner.
        let seconds = u64::try_from(report.estimate_seconds / 2 + 1).unwrap_or(1);
        return NextStep::Wait(Duration::from_secs(seconds));
    }
    NextStep::Wait(RETRY_AFTER_FAILURE)
}

/// The conditions that report a problem (status True), with upstream's reasons and messages.
fn failing_conditions(report: &ContentReport) -> Vec<NamespaceCondition> {
    let condition = |type_: &str, reason: &str, message: String| NamespaceCondition {
        type_: type_.to_string(),
        status: "True".to_string(),
        reason: Some(reason.to_string()),
        message: Some(message),
        last_transition_time: None,
    };
    let mut failing = Vec::new();
    if !report.failures.is_empty() {
        let errors = match report.failures.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let message = format!(
            "Failed to delete all resource types, {} remaining: {errors}",
            report.failures.len()
        );
        failing.push(condition(CONTENT_FAILURE, "ContentDeletionFailed", message));
    }
    if !report.remaining.is_empty() {
        let mut parts: Vec<String> = report
            .remaining
            .iter()
            .map(|(resource, n)| format!("{resource} has {n} resource instances"))
            .collect();
        parts.sort();
        let message = format!("Some resources are remaining: {}", parts.join(", "));
        failing.push(condition(CONTENT_REMAINING, "SomeResourcesRemain", message));
    }
    if !report.finalizers.is_empty() {
        let mut parts: Vec<String> = report
            .finalizers
            .iter()
            .map(|(finalizer, n)| format!("{finalizer} in {n} resource instances"))
            .collect();
        parts.sort();
        let message = format!(
            "Some content in the namespace has finalizers remaining: {}",
            parts.join(", ")
        );
        failing.push(condition(
            FINALIZERS_REMAINING,
            "SomeFinalizersRemain",
            message,
        ));
    }
    failing
}

/// Upstream's update of the conditions: every maintained condition is set, to the failing
/// one given or else to its "all is well" form. A condition whose status, reason and message
/// do not change keeps its transition time; conditions of other types are kept as they are.
fn merge_conditions(
    existing: &[NamespaceCondition],
    failing: &[NamespaceCondition],
    now: &Time,
) -> Vec<NamespaceCondition> {
    let mut merged = existing.to_vec();
    for (type_, ok_reason, ok_message) in CONDITIONS {
        let mut wanted = failing
            .iter()
            .find(|c| c.type_ == type_)
            .cloned()
            .unwrap_or_else(|| NamespaceCondition {
                type_: type_.to_string(),
                status: "False".to_string(),
                reason: Some(ok_reason.to_string()),
                message: Some(ok_message.to_string()),
                last_transition_time: None,
            });
        wanted.last_transition_time = Some(now.clone());
        match merged.iter_mut().find(|c| c.type_ == type_) {
            None => merged.push(wanted),
            Some(current) => {
                let same = current.status == wanted.status
                    && current.reason == wanted.reason
                    && current.message == wanted.message;
                if !same {
                    *current = wanted;
                }
            }
        }
    }
    merged
}

/// Sets phase Terminating and the deletion conditions. `None` when the namespace is gone.
async fn update_status(
    api: &Api<Namespace>,
    mut latest: Namespace,
    report: &ContentReport,
) -> Result<Option<Namespace>, Error> {
    let failing = failing_conditions(report);
    let now = Time(jiff::Timestamp::now());
    let name = latest.name_any();
    for _ in 0..CONFLICT_RETRIES {
        let status = latest.status.clone().unwrap_or_default();
        let existing = status.conditions.clone().unwrap_or_default();
        let conditions = merge_conditions(&existing, &failing, &now);
        if status.phase.as_deref() == Some(TERMINATING) && conditions == existing {
            return Ok(Some(latest));
        }
        let mut updated = latest.clone();
        updated.status = Some(NamespaceStatus {
            phase: Some(TERMINATING.to_string()),
            conditions: Some(conditions),
        });
        match api
            .replace_status(&name, &PostParams::default(), &updated)
            .await
        {
            Ok(written) => return Ok(Some(written)),
            Err(kube::Error::Api(status)) if status.is_not_found() => return Ok(None),
            Err(kube::Error::Api(status)) if status.is_conflict() => {
                match reread(api, &latest).await? {
                    Some(again) => latest = again,
                    None => return Ok(None),
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(Error::Conflict(format!(
        "updating the status of namespace {name}"
    )))
}

/// Removes the `kubernetes` token through `PUT /api/v1/namespaces/{name}/finalize`.
async fn finalize(api: &Api<Namespace>, mut latest: Namespace) -> Result<(), Error> {
    let name = latest.name_any();
    for _ in 0..CONFLICT_RETRIES {
        let mut finalized = latest.clone();
        if let Some(spec) = finalized.spec.as_mut() {
            let finalizers = spec.finalizers.take().unwrap_or_default();
            spec.finalizers = Some(
                finalizers
                    .into_iter()
                    .filter(|f| f != KUBERNETES_FINALIZER)
                    .collect(),
            );
        }
        match api
            .replace_subresource("finalize", &name, &PostParams::default(), &finalized)
            .await
        {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.is_not_found() => return Ok(()),
            Err(kube::Error::Api(status)) if status.is_conflict() => {
                match reread(api, &latest).await? {
                    Some(again) => latest = again,
                    None => return Ok(()),
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(Error::Conflict(format!("finalizing namespace {name}")))
}

/// The namespace again, unless it is gone or was replaced by another of the same name.
async fn reread(api: &Api<Namespace>, previous: &Namespace) -> Result<Option<Namespace>, Error> {
    let again = api.get_opt(&previous.name_any()).await?;
    Ok(again.filter(|ns| ns.metadata.uid == previous.metadata.uid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_api::registry::find;
    use serde_json::json;

    fn content(grace: i64, left: &[&[&str]]) -> KindContent {
        KindContent {
            grace_estimate_seconds: grace,
            left: left
                .iter()
                .map(|f| f.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    fn report_of(parts: Vec<(&str, &str, KindContent)>) -> ContentReport {
        let mut report = ContentReport::default();
        for (group, plural, content) in parts {
            report.add("ns", find(group, "v1", plural).unwrap(), content);
        }
        report
    }

    #[test]
    fn content_reports_and_next_steps() {
        struct Case {
            name: &'static str,
            report: ContentReport,
            remaining: Vec<(&'static str, usize)>,
            finalizers: Vec<(&'static str, usize)>,
            failures: usize,
            next: NextStep,
        }
        let cases = vec![
            Case {
                name: "empty namespace is finalized",
                report: report_of(vec![
                    ("", "pods", content(30, &[])),
                    ("", "configmaps", content(0, &[])),
                ]),
                remaining: vec![],
                finalizers: vec![],
                failures: 0,
                next: NextStep::Finalize,
            },
            Case {
                name: "terminating pods: wait half their grace period",
                report: report_of(vec![("", "pods", content(30, &[&[], &[]]))]),
                remaining: vec![("pods.", 2)],
                finalizers: vec![],
                failures: 0,
                next: NextStep::Wait(Duration::from_secs(16)),
            },
            Case {
                name: "objects with finalizers: upstream's finalizer estimate",
                report: report_of(vec![
                    (
                        "",
                        "persistentvolumeclaims",
                        content(0, &[&["kubernetes.io/pvc-protection"]]),
                    ),
                    (
                        "apps",
                        "statefulsets",
                        content(0, &[&["foregroundDeletion", "example.com/x"]]),
                    ),
                ]),
                remaining: vec![("persistentvolumeclaims.", 1), ("statefulsets.apps", 1)],
                finalizers: vec![
                    ("example.com/x", 1),
                    ("foregroundDeletion", 1),
                    ("kubernetes.io/pvc-protection", 1),
                ],
                failures: 0,
                next: NextStep::Wait(Duration::from_secs(8)),
            },
            Case {
                name: "unexplained leftovers are a failure",
                report: report_of(vec![("", "secrets", content(0, &[&[]]))]),
                remaining: vec![("secrets.", 1)],
                finalizers: vec![],
                failures: 1,
                next: NextStep::Wait(RETRY_AFTER_FAILURE),
            },
        ];
        for case in cases {
            let remaining: BTreeMap<String, usize> = case
                .remaining
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect();
            let finalizers: BTreeMap<String, usize> = case
                .finalizers
                .iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect();
            assert_eq!(case.report.remaining, remaining, "{}", case.name);
            assert_eq!(case.report.finalizers, finalizers, "{}", case.name);
            assert_eq!(case.report.failures.len(), case.failures, "{}", case.name);
            assert_eq!(next_step(&case.report), case.next, "{}", case.name);
        }
        let leftovers = report_of(vec![("", "secrets", content(0, &[&[]]))]);
        assert_eq!(
            leftovers.failures,
            vec![
                "unexpected items still remain in namespace: ns for gvr: /v1, Resource=secrets"
                    .to_string()
            ]
        );
    }

    #[test]
    fn failing_conditions_use_upstream_messages() {
        let report = ContentReport {
            remaining: [
                ("deployments.apps".to_string(), 5),
                ("daemonsets.apps".to_string(), 5),
            ]
            .into(),
            finalizers: [
                ("service-catalog".to_string(), 6),
                ("kubedb".to_string(), 5),
            ]
            .into(),
            failures: vec!["pods: boom".into(), "secrets: bang".into()],
            estimate_seconds: 0,
        };
        let conditions = failing_conditions(&report);
        let summary: Vec<(&str, &str, &str, &str)> = conditions
            .iter()
            .map(|c| {
                (
                    c.type_.as_str(),
                    c.status.as_str(),
                    c.reason.as_deref().unwrap(),
                    c.message.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    CONTENT_FAILURE,
                    "True",
                    "ContentDeletionFailed",
                    "Failed to delete all resource types, 2 remaining: [pods: boom, secrets: bang]"
                ),
                (
                    CONTENT_REMAINING,
                    "True",
                    "SomeResourcesRemain",
                    "Some resources are remaining: daemonsets.apps has 5 resource instances, deployments.apps has 5 resource instances"
                ),
                (
                    FINALIZERS_REMAINING,
                    "True",
                    "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: kubedb in 5 resource instances, service-catalog in 6 resource instances"
                ),
            ]
        );
        assert!(failing_conditions(&ContentReport::default()).is_empty());
    }

    #[test]
    fn conditions_merge_like_upstream() {
        let then = Time(jiff::Timestamp::UNIX_EPOCH);
        let now = Time(jiff::Timestamp::from_second(1_000).unwrap());
        let unknown = NamespaceCondition {
            type_: "Other".into(),
            status: "True".into(),
            ..Default::default()
        };

        // From nothing: all five, in order, after conditions of other types.
        let merged = merge_conditions(std::slice::from_ref(&unknown), &[], &now);
        let types: Vec<&str> = merged.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(
            types,
            [
                "Other",
                DISCOVERY_FAILURE,
                GROUP_VERSION_PARSING_FAILURE,
                CONTENT_FAILURE,
                CONTENT_REMAINING,
                FINALIZERS_REMAINING
            ]
        );
        assert_eq!(merged[4].reason.as_deref(), Some("ContentRemoved"));
        assert_eq!(
            merged[4].message.as_deref(),
            Some("All content successfully removed")
        );
        assert!(merged[1..].iter().all(|c| c.status == "False"));

        // Unchanged conditions keep their time; a changed one moves, in place.
        let earlier: Vec<NamespaceCondition> = merged
            .into_iter()
            .map(|c| NamespaceCondition {
                last_transition_time: Some(then.clone()),
                ..c
            })
            .collect();
        let report = ContentReport {
            remaining: [("pods.".to_string(), 1)].into(),
            ..Default::default()
        };
        let merged = merge_conditions(&earlier, &failing_conditions(&report), &now);
        assert_eq!(merged.len(), earlier.len());
        assert_eq!(merged[4].status, "True");
        assert_eq!(
            merged[4].message.as_deref(),
            Some("Some resources are remaining: pods. has 1 resource instances")
        );
        assert_eq!(merged[4].last_transition_time, Some(now.clone()));
        assert_eq!(merged[5], earlier[5]);
        assert_eq!(
            merge_conditions(&merged, &failing_conditions(&report), &now),
            merged,
            "stable once set"
        );
    }

    #[test]
    fn pod_estimate_ignores_finished_pods() {
        let pod = |phase: &str, grace: Option<i64>| -> DynamicObject {
            let mut value = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" },
                "spec": {}, "status": { "phase": phase } });
            if let Some(g) = grace {
                value["spec"]["terminationGracePeriodSeconds"] = json!(g);
            }
            serde_json::from_value(value).unwrap()
        };
        assert_eq!(pod_termination_estimate(&[]), 0);
        let pods = [
            pod("Running", Some(30)),
            pod("Succeeded", Some(600)),
            pod("Pending", Some(45)),
            pod("Failed", Some(90)),
        ];
        assert_eq!(pod_termination_estimate(&pods), 45);
        assert_eq!(pod_termination_estimate(&[pod("Running", None)]), 0);
    }

    #[test]
    fn only_namespaces_with_the_kubernetes_finalizer_are_emptied() {
        let with = |finalizers: Option<Vec<&str>>| Namespace {
            spec: Some(k8s_openapi::api::core::v1::NamespaceSpec {
                finalizers: finalizers.map(|f| f.into_iter().map(String::from).collect()),
            }),
            ..Namespace::default()
        };
        assert!(holds_kubernetes_finalizer(&with(Some(vec![
            "other",
            "kubernetes"
        ]))));
        assert!(!holds_kubernetes_finalizer(&with(Some(vec!["other"]))));
        assert!(!holds_kubernetes_finalizer(&with(None)));
        assert!(!holds_kubernetes_finalizer(&Namespace::default()));
    }
}
