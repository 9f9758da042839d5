//! The garbage collector: deletes objects whose owners are gone, and carries out
//! foreground and orphan deletion, with upstream's semantics
//! (kubernetes `pkg/controller/garbagecollector`).
//!
//! One watch per stored kind feeds a dependency [`graph::Graph`]; each change yields work
//! items for a deduplicating [`queue::WorkQueue`]; workers re-read the objects concerned
//! from the API server (the watch cache may lag), take a decision from [`decide`] and apply
//! it with plain API calls guarded by UID and resourceVersion preconditions.

mod decide;
mod graph;
pub(crate) mod queue;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use berth_api::registry::RESOURCES;
use futures::{StreamExt, stream};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Client;
use kube::api::{
    Api, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions, PropagationPolicy,
};
use kube::core::GroupVersionKind;
use kube::discovery::{self, ApiResource, Scope};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::{Value, json};
use tracing::{Span, debug, info, instrument, warn};

use crate::Error;
use decide::{DependentAction, Dependents, ForegroundAction, OwnerState, Propagation, Stage};
use graph::{FOREGROUND_FINALIZER, Graph, Location, Node, ORPHAN_FINALIZER, Work};
use queue::WorkQueue;

/// Work items processed at the same time.
const WORKERS: usize = 8;
/// How long to wait for every kind's first list before collecting anyway.
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts of a read-modify-write before giving up to the retry queue.
const CONFLICT_RETRIES: usize = 5;

/// Runs the garbage collector until `shutdown` completes.
///
/// It watches every kind of `berth_api::registry::RESOURCES` (except `events.k8s.io`
/// events, stored as core events) and starts deleting once every watch has listed its
/// kind once. Owners of other kinds are found through the server's discovery.
pub async fn run_garbage_collector(
    client: Client,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let collector = Arc::new(Collector {
        client,
        kinds: RESOURCES.iter().map(crate::api_resource).collect(),
        graph: Mutex::new(Graph::default()),
        queue: WorkQueue::new(),
        discovered: Mutex::new(HashMap::new()),
    });
    let (synced_tx, synced_rx) = tokio::sync::watch::channel(false);
    let workers = async {
        let mut synced = synced_rx;
        match tokio::time::timeout(SYNC_TIMEOUT, synced.wait_for(|done| *done)).await {
            Ok(Ok(_)) => info!("garbage collector caches synced; collecting"),
            Ok(Err(_)) => return,
            // Decisions never rest on the graph's word that an owner is gone (they read
            // the owner live), so starting with an incomplete graph is safe, only slower.
            Err(_) => warn!("some kinds could not be listed; collecting anyway"),
        }
        futures::future::join_all((0..WORKERS).map(|_| collector.work())).await;
    };
    collector
        .queue
        .run_until(shutdown, collector.follow_watches(synced_tx), workers)
        .await;
}

struct Collector {
    client: Client,
    /// `ApiResource` of each registry kind, by index.
    kinds: Vec<ApiResource>,
    graph: Mutex<Graph>,
    queue: Arc<WorkQueue<Work>>,
    /// Owner kinds outside the registry, resolved through discovery: (apiVersion, kind) →
    /// (resource, namespaced).
    discovered: Mutex<HashMap<(String, String), (ApiResource, bool)>>,
}

impl Collector {
    fn graph(&self) -> MutexGuard<'_, Graph> {
        self.graph
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Feeds every watch event into the graph and queues the work it yields. Marks
    /// `synced` once every kind has been listed.
    async fn follow_watches(&self, synced: tokio::sync::watch::Sender<bool>) {
        let watches = crate::stored_kinds().map(|(index, _, resource)| {
            let api = Api::<DynamicObject>::all_with(self.client.clone(), &resource);
            watcher(api, watcher::Config::default())
                // The graph needs owners and finalizers, not managedFields.
                .modify(|o| o.metadata.managed_fields = None)
                .default_backoff()
                .map(move |event| (index, event))
                .boxed()
        });
        let mut events = stream::select_all(watches);
        let mut unsynced: HashSet<usize> =
            crate::stored_kinds().map(|(index, _, _)| index).collect();
        while let Some((kind, event)) = events.next().await {
            let work = match event {
                Ok(watcher::Event::Init) => {
                    self.graph().start_relist(kind);
                    Vec::new()
                }
                Ok(watcher::Event::InitDone) => {
                    if unsynced.remove(&kind) && unsynced.is_empty() {
                        synced.send_replace(true);
                    }
                    self.graph().finish_relist(kind)
                }
                Ok(watcher::Event::Apply(object) | watcher::Event::InitApply(object)) => {
                    match node_of(kind, &object) {
                        Some((uid, node)) => self.graph().observe(&uid, node),
                        None => Vec::new(),
                    }
                }
                Ok(watcher::Event::Delete(object)) => match object.metadata.uid.as_deref() {
                    Some(uid) => self.graph().forget(uid),
                    None => Vec::new(),
                },
                Err(error) => {
                    warn!(kind = RESOURCES[kind].plural, %error, "garbage collector watch failed; retrying");
                    Vec::new()
                }
            };
            for item in work {
                self.queue.add(item);
            }
        }
    }

    async fn work(&self) {
        while let Some(item) = self.queue.next().await {
            let result = match &item {
                Work::AttemptToDelete(uid) => self.attempt_to_delete(uid).await,
                Work::Orphan(uid) => self.orphan_dependents(uid).await,
            };
            match result {
                Ok(()) => self.queue.forget(&item),
                Err(error @ (Error::UnresolvableKind { .. } | Error::Conflict(_))) => {
                    debug!(?item, %error, "cannot decide yet; will retry");
                    self.queue.retry_later(item.clone());
                }
                Err(error) => {
                    warn!(?item, %error, "garbage collection failed; will retry");
                    self.queue.retry_later(item.clone());
                }
            }
            self.queue.done(&item);
        }
    }

    fn api_at(&self, location: &Location) -> Api<DynamicObject> {
        dynamic_api(
            &self.client,
            &self.kinds[location.kind],
            location.namespace.as_deref(),
        )
    }

    /// Reads an object, or `None` if it is gone or was replaced by another with the same name.
    async fn get_live(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        uid: &str,
    ) -> Result<Option<DynamicObject>, Error> {
        let live = api.get_opt(name).await?;
        Ok(live.filter(|o| o.metadata.uid.as_deref() == Some(uid)))
    }

    #[instrument(skip_all, fields(uid = uid, kind, namespace, name))]
    async fn attempt_to_delete(&self, uid: &str) -> Result<(), Error> {
        let Some(location) = self.graph().node(uid).map(|n| n.location.clone()) else {
            return Ok(());
        };
        record_location(&location);
        let api = self.api_at(&location);
        let Some(latest) = self.get_live(&api, &location.name, uid).await? else {
            // Gone: the watch will tell the graph.
            return Ok(());
        };
        match decide::stage(&latest.metadata) {
            Stage::Ignore => Ok(()),
            Stage::DeletingDependents => {
                let blocking = self.graph().blocking_dependents(uid);
                match decide::decide_deleting_owner(&blocking) {
                    ForegroundAction::RemoveFinalizer => {
                        info!(
                            "no blocking dependents left; removing the foregroundDeletion finalizer"
                        );
                        self.edit_metadata(&api, latest, |meta| {
                            remove_finalizer(meta, FOREGROUND_FINALIZER)
                        })
                        .await
                    }
                    ForegroundAction::AwaitDependents(recheck) => {
                        debug!(blocking = blocking.len(), "waiting for blocking dependents");
                        for dependent in recheck {
                            self.queue.add(Work::AttemptToDelete(dependent));
                        }
                        Ok(())
                    }
                }
            }
            Stage::CheckOwners => self.check_owners(&api, &location, latest).await,
        }
    }

    async fn check_owners(
        &self,
        api: &Api<DynamicObject>,
        location: &Location,
        latest: DynamicObject,
    ) -> Result<(), Error> {
        let uid = latest.metadata.uid.clone().unwrap_or_default();
        let references = latest.metadata.owner_references.clone().unwrap_or_default();
        // Resolve every owner first: one invalid reference makes the whole item ignored.
        let mut lookups = Vec::with_capacity(references.len());
        for reference in &references {
            let (resource, namespaced) = self.resolve_owner_kind(reference).await?;
            let Some(namespace) =
                decide::owner_namespace(location.namespace.as_deref(), namespaced)
            else {
                warn!(owner = %reference.name, owner_kind = %reference.kind,
                    "a cluster-scoped object cannot have a namespaced owner; ignoring it");
                return Ok(());
            };
            lookups.push((reference, resource, namespace));
        }
        let mut owners = Vec::with_capacity(lookups.len());
        for (reference, resource, namespace) in lookups {
            // An owner the graph holds (and that is not waiting) is alive: skip the read.
            let state = if self.graph().is_solid_owner(&reference.uid) {
                OwnerState::Solid
            } else {
                let owner_api = dynamic_api(&self.client, &resource, namespace.as_deref());
                let live = owner_api.get_opt(&reference.name).await?;
                decide::owner_state(&reference.uid, live.as_ref().map(|o| &o.metadata))
            };
            owners.push((reference.uid.clone(), state));
        }
        let dependents = {
            let graph = self.graph();
            Dependents {
                any: graph.has_dependents(&uid),
                any_deleting_dependents: graph.has_dependent_deleting_dependents(&uid),
            }
        };
        let finalizers = latest.metadata.finalizers.clone().unwrap_or_default();
        match decide::decide_dependent(&finalizers, dependents, &owners) {
            DependentAction::Keep => Ok(()),
            DependentAction::RemoveOwnerReferences(gone) => {
                info!(owners = ?gone, "removing references to owners that are gone or waiting");
                self.edit_metadata(api, latest, |meta| {
                    let refs = meta.owner_references.clone().unwrap_or_default();
                    let kept = decide::without_owners(&refs, &gone);
                    (kept.len() != refs.len()).then(|| json!({ "ownerReferences": kept }))
                })
                .await
            }
            DependentAction::Delete {
                propagation,
                unblock_owners,
            } => {
                let latest = if unblock_owners {
                    self.edit_metadata(api, latest, unblock_owner_references)
                        .await?;
                    match self.get_live(api, &location.name, &uid).await? {
                        Some(object) => object,
                        None => return Ok(()),
                    }
                } else {
                    latest
                };
                info!(?propagation, "all owners are gone; deleting");
                self.delete(api, &latest, propagation).await
            }
        }
    }

    /// The kind of an owner reference and whether it is namespaced: the registry first,
    /// then the server's discovery (so the collector also works on other clusters).
    async fn resolve_owner_kind(
        &self,
        reference: &OwnerReference,
    ) -> Result<(ApiResource, bool), Error> {
        let group = decide::group_of(&reference.api_version);
        if let Some(kind) = berth_api::registry::find_kind(group, &reference.kind) {
            return Ok((crate::api_resource(kind), kind.namespaced));
        }
        let key = (reference.api_version.clone(), reference.kind.clone());
        if let Some(found) = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(found.clone());
        }
        let version = reference.api_version.rsplit('/').next().unwrap_or_default();
        let gvk = GroupVersionKind::gvk(group, version, &reference.kind);
        let unresolvable = || Error::UnresolvableKind {
            api_version: reference.api_version.clone(),
            kind: reference.kind.clone(),
        };
        match discovery::pinned_kind(&self.client, &gvk).await {
            Ok((resource, capabilities)) => {
                let found = (resource, capabilities.scope == Scope::Namespaced);
                self.discovered
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, found.clone());
                Ok(found)
            }
            // Upstream keeps retrying unknown kinds (a CRD may be installed later) and never
            // deletes on their account.
            Err(kube::Error::Discovery(_)) => Err(unresolvable()),
            Err(kube::Error::Api(status)) if status.is_not_found() => Err(unresolvable()),
            Err(error) => Err(error.into()),
        }
    }

    #[instrument(skip_all, fields(uid = uid, kind, namespace, name))]
    async fn orphan_dependents(&self, uid: &str) -> Result<(), Error> {
        let (location, dependents) = {
            let graph = self.graph();
            let Some(node) = graph.node(uid) else {
                return Ok(());
            };
            (node.location.clone(), graph.dependents_of(uid))
        };
        record_location(&location);
        let api = self.api_at(&location);
        let Some(latest) = self.get_live(&api, &location.name, uid).await? else {
            return Ok(());
        };
        if latest.metadata.deletion_timestamp.is_none() {
            return Ok(());
        }
        info!(dependents = dependents.len(), "orphaning dependents");
        let owner = [uid.to_string()];
        for (dependent_uid, dependent_location) in dependents {
            let dependent_api = self.api_at(&dependent_location);
            let Some(dependent) = self
                .get_live(&dependent_api, &dependent_location.name, &dependent_uid)
                .await?
            else {
                continue;
            };
            self.edit_metadata(&dependent_api, dependent, |meta| {
                let refs = meta.owner_references.clone().unwrap_or_default();
                let kept = decide::without_owners(&refs, &owner);
                (kept.len() != refs.len()).then(|| json!({ "ownerReferences": kept }))
            })
            .await?;
        }
        self.edit_metadata(&api, latest, |meta| {
            remove_finalizer(meta, ORPHAN_FINALIZER)
        })
        .await
    }

    /// Read-modify-write of metadata: `change` gives the metadata fields to merge (or
    /// `None` when nothing is left to change). The patch carries the resourceVersion it was
    /// computed from, so a concurrent write makes it fail with a conflict; then the object
    /// is read again and the change recomputed.
    async fn edit_metadata(
        &self,
        api: &Api<DynamicObject>,
        mut latest: DynamicObject,
        change: impl Fn(&ObjectMeta) -> Option<Value>,
    ) -> Result<(), Error> {
        let name = latest.metadata.name.clone().unwrap_or_default();
        let uid = latest.metadata.uid.clone().unwrap_or_default();
        for _ in 0..CONFLICT_RETRIES {
            let Some(mut fields) = change(&latest.metadata) else {
                return Ok(());
            };
            fields["resourceVersion"] = json!(latest.metadata.resource_version);
            let patch = json!({ "metadata": fields });
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(status)) if status.is_not_found() => return Ok(()),
                Err(kube::Error::Api(status)) if status.is_conflict() => {
                    match self.get_live(api, &name, &uid).await? {
                        Some(object) => latest = object,
                        None => return Ok(()),
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(Error::Conflict(format!("updating metadata of {name}")))
    }

    /// Deletes `latest` if it is still the object that was judged. If it changed in the
    /// meantime, the delete still goes ahead when its ownerReferences are the same (the
    /// only input of the decision), like upstream.
    async fn delete(
        &self,
        api: &Api<DynamicObject>,
        latest: &DynamicObject,
        propagation: Propagation,
    ) -> Result<(), Error> {
        let name = latest.metadata.name.clone().unwrap_or_default();
        let uid = latest.metadata.uid.clone().unwrap_or_default();
        let params = |resource_version: Option<String>| DeleteParams {
            propagation_policy: Some(match propagation {
                Propagation::Background => PropagationPolicy::Background,
                Propagation::Foreground => PropagationPolicy::Foreground,
                Propagation::Orphan => PropagationPolicy::Orphan,
            }),
            preconditions: Some(Preconditions {
                uid: Some(uid.clone()),
                resource_version,
            }),
            ..DeleteParams::default()
        };
        match api
            .delete(&name, &params(latest.metadata.resource_version.clone()))
            .await
        {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.is_not_found() => return Ok(()),
            Err(kube::Error::Api(status)) if status.is_conflict() => {}
            Err(error) => return Err(error.into()),
        }
        let Some(again) = self.get_live(api, &name, &uid).await? else {
            return Ok(());
        };
        if again.metadata.owner_references != latest.metadata.owner_references {
            return Err(Error::Conflict(format!(
                "ownerReferences of {name} changed"
            )));
        }
        match api.delete(&name, &params(None)).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

fn dynamic_api(
    client: &Client,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, resource),
        None => Api::all_with(client.clone(), resource),
    }
}

fn record_location(location: &Location) {
    let span = Span::current();
    span.record("kind", RESOURCES[location.kind].kind);
    span.record(
        "namespace",
        location.namespace.as_deref().unwrap_or_default(),
    );
    span.record("name", location.name.as_str());
}

/// The graph node of a watched object (objects without a UID are ignored).
fn node_of(kind: usize, object: &DynamicObject) -> Option<(String, Node)> {
    let meta = &object.metadata;
    let uid = meta.uid.clone()?;
    let node = Node {
        location: Location {
            kind,
            namespace: meta
                .namespace
                .clone()
                .filter(|_| RESOURCES[kind].namespaced),
            name: meta.name.clone().unwrap_or_default(),
        },
        owners: meta.owner_references.clone().unwrap_or_default(),
        being_deleted: meta.deletion_timestamp.is_some(),
        finalizers: meta.finalizers.clone().unwrap_or_default(),
    };
    Some((uid, node))
}

fn remove_finalizer(meta: &ObjectMeta, finalizer: &str) -> Option<Value> {
    let finalizers = meta.finalizers.clone().unwrap_or_default();
    let kept = decide::without_finalizer(&finalizers, finalizer);
    (kept.len() != finalizers.len()).then(|| json!({ "finalizers": kept }))
}

fn unblock_owner_references(meta: &ObjectMeta) -> Option<Value> {
    let refs = meta.owner_references.clone().unwrap_or_default();
    let unblocked = decide::unblocked(&refs);
    (unblocked != refs).then(|| json!({ "ownerReferences": unblocked }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(namespace: Option<&str>, meta: Value) -> DynamicObject {
        let mut value = json!({ "apiVersion": "v1", "kind": "X", "metadata": meta });
        if let Some(ns) = namespace {
            value["metadata"]["namespace"] = json!(ns);
        }
        serde_json::from_value(value).unwrap()
    }

    fn index(plural: &str) -> usize {
        RESOURCES.iter().position(|k| k.plural == plural).unwrap()
    }

    #[test]
    fn watched_objects_become_graph_nodes() {
        let pods = index("pods");
        let pod = object(
            Some("default"),
            json!({
                "name": "web-0", "uid": "p1", "deletionTimestamp": "2026-01-01T00:00:00Z",
                "finalizers": ["foregroundDeletion"],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "s1"}]
            }),
        );
        let (uid, node) = node_of(pods, &pod).unwrap();
        assert_eq!(uid, "p1");
        assert_eq!(
            node.location,
            Location {
                kind: pods,
                namespace: Some("default".into()),
                name: "web-0".into()
            }
        );
        assert_eq!(node.owners[0].uid, "s1");
        assert!(node.deleting_dependents());

        let nodes = index("nodes");
        let node_object = object(Some("ignored"), json!({ "name": "n1", "uid": "n1" }));
        assert_eq!(
            node_of(nodes, &node_object).unwrap().1.location.namespace,
            None
        );
        assert!(node_of(nodes, &object(None, json!({ "name": "no-uid" }))).is_none());
    }

    #[test]
    fn metadata_patches() {
        let meta = ObjectMeta {
            finalizers: Some(vec!["orphan".into(), "x".into()]),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                name: "c".into(),
                uid: "u".into(),
                block_owner_deletion: Some(true),
                controller: None,
            }]),
            ..ObjectMeta::default()
        };
        assert_eq!(
            remove_finalizer(&meta, ORPHAN_FINALIZER),
            Some(json!({ "finalizers": ["x"] }))
        );
        assert_eq!(remove_finalizer(&meta, FOREGROUND_FINALIZER), None);
        let patch = unblock_owner_references(&meta).unwrap();
        assert_eq!(
            patch["ownerReferences"][0]["blockOwnerDeletion"],
            json!(false)
        );
        assert_eq!(unblock_owner_references(&ObjectMeta::default()), None);
    }
}
