//! The StatefulSet controller (upstream `pkg/controller/statefulset`), see
//! reference/statefulset-spec.md.
//!
//! - [`plan::plan`] decides, as a pure function of what was observed, what to write;
//! - [`executor::execute`] writes it through [`PodControl`] (real: [`KubeControl`]);
//! - [`run`] feeds it: one watch per kind (StatefulSets, Pods, PVCs, ControllerRevisions)
//!   fills an in-memory cache, and every event queues the sets it concerns at once. The
//!   queue (kube-runtime's applier) never runs one set twice at a time, runs several sets
//!   concurrently, retries failures with exponential backoff and honours requeue hints
//!   (minReadySeconds).

mod executor;
mod identity;
mod plan;
mod retention;
mod revision;
#[cfg(test)]
mod simulator;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use berth_api::selectors::LabelSelector;
use berth_informer::{Informers, key_of};
use futures::channel::mpsc;
use futures::{StreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::runtime::controller::{self, Action};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use tracing::{debug, instrument, warn};

pub use executor::{Executed, KubeControl, PodControl, execute};
pub use identity::{POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL};
pub use plan::{Action as PlanAction, Lane, Observed, OwnedKind, Plan, Stage, plan};
pub use revision::HASH_LABEL;

use crate::Error;
use crate::events::EventRecorder;
use identity::{claim_templates, controller_of, ordinal_in, set_uid};

/// The `source.component` of the controller's Events.
pub const COMPONENT: &str = "statefulset-controller";
/// Sets synced at the same time (upstream `--concurrent-statefulset-syncs` is 5).
const CONCURRENCY: u16 = 8;
/// Revision-name collisions tolerated in one sync before backing off.
const COLLISION_RETRIES: usize = 5;
const FIRST_RETRY: Duration = Duration::from_millis(5);
const MAX_RETRY: Duration = Duration::from_secs(300);

/// Runs the StatefulSet controller until `shutdown` completes.
pub async fn run(informers: Informers, shutdown: impl Future<Output = ()> + Send + 'static) {
    let client = informers.client().clone();
    let (sets, set_writer) = reflector::store::<StatefulSet>();
    let (queue, requests) = mpsc::unbounded::<ObjectRef<StatefulSet>>();
    let context = Arc::new(Context {
        control: KubeControl::new(
            client.clone(),
            EventRecorder::new(client.clone(), COMPONENT),
        ),
        cache: RwLock::default(),
        failures: Mutex::default(),
    });
    let follow = follow_watches(
        informers,
        sets.clone(),
        set_writer,
        Arc::clone(&context),
        queue,
    );
    let apply = controller::applier(
        |set, context: Arc<Context>| Box::pin(async move { reconcile(set, &context).await }),
        error_policy,
        Arc::clone(&context),
        sets,
        requests.map(Ok::<_, Infallible>),
        controller::Config::default().concurrency(CONCURRENCY),
    )
    .for_each(|result| {
        if let Err(error) = result {
            debug!(%error, "statefulset queue");
        }
        futures::future::ready(())
    });
    tokio::select! {
        () = shutdown => {}
        () = follow => {}
        () = apply => {}
    }
}

struct Context {
    control: KubeControl,
    cache: RwLock<Cache>,
    /// Consecutive failures per set, for the backoff.
    failures: Mutex<HashMap<ObjectRef<StatefulSet>, u32>>,
}

impl Context {
    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<ObjectRef<StatefulSet>, u32>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[instrument(skip_all, fields(namespace = set.metadata.namespace, name = set.metadata.name))]
async fn reconcile(set: Arc<StatefulSet>, context: &Context) -> Result<Action, Error> {
    let mut observed = {
        let cache = context
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.observe(Arc::clone(&set), Timestamp::now())
    };
    for _ in 0..COLLISION_RETRIES {
        let plan = plan::plan(&observed);
        match execute(&context.control, &observed.set, &plan).await? {
            Executed::Done => {
                context.failures().remove(&ObjectRef::from(&*set));
                return Ok(plan
                    .requeue_after
                    .map_or(Action::await_change(), Action::requeue));
            }
            Executed::Collision => {
                let set = Arc::make_mut(&mut observed.set);
                let status = set.status.get_or_insert_with(Default::default);
                status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
            }
        }
    }
    Err(Error::Conflict(format!(
        "revision names of statefulset {}/{} keep colliding",
        set.metadata.namespace.as_deref().unwrap_or_default(),
        set.metadata.name.as_deref().unwrap_or_default()
    )))
}

fn error_policy(set: Arc<StatefulSet>, error: &Error, context: Arc<Context>) -> Action {
    let failures = {
        let mut failures = context.failures();
        let count = failures.entry(ObjectRef::from(&*set)).or_insert(0);
        *count += 1;
        *count
    };
    warn!(
        namespace = set.metadata.namespace,
        name = set.metadata.name,
        %error,
        "statefulset sync failed; will retry"
    );
    Action::requeue(retry_delay(failures))
}

/// The delay before retry number `failures` (1-based): 5 ms doubling up to 5 minutes.
fn retry_delay(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1));
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
}

/// Objects of one kind by namespace and name, refilled on relists.
struct Index<K> {
    objects: HashMap<String, HashMap<String, Arc<K>>>,
    /// The objects of a relist in progress; they replace `objects` when it completes.
    relist: Option<HashMap<String, HashMap<String, Arc<K>>>>,
}

impl<K> Default for Index<K> {
    fn default() -> Self {
        Index {
            objects: HashMap::new(),
            relist: None,
        }
    }
}

impl<K: Resource> Index<K> {
    fn namespace(&self, namespace: &str) -> impl Iterator<Item = &Arc<K>> {
        self.objects
            .get(namespace)
            .into_iter()
            .flat_map(|m| m.values())
    }

    fn get(&self, namespace: &str, name: &str) -> Option<&Arc<K>> {
        self.objects.get(namespace)?.get(name)
    }

    /// Applies a watch event; returns the object it replaced or removed.
    fn apply(&mut self, event: watcher::Event<Arc<K>>) -> Option<Arc<K>> {
        match event {
            watcher::Event::Init => {
                self.relist = Some(HashMap::new());
                None
            }
            watcher::Event::InitApply(object) => {
                let (namespace, name) = key_of(&*object);
                let old = self.get(&namespace, &name).cloned();
                self.relist
                    .get_or_insert_with(HashMap::new)
                    .entry(namespace)
                    .or_default()
                    .insert(name, object);
                old
            }
            watcher::Event::InitDone => {
                if let Some(relisted) = self.relist.take() {
                    self.objects = relisted;
                }
                None
            }
            watcher::Event::Apply(object) => {
                let (namespace, name) = key_of(&*object);
                self.objects
                    .entry(namespace)
                    .or_default()
                    .insert(name, object)
            }
            watcher::Event::Delete(object) => {
                let (namespace, name) = key_of(&*object);
                self.objects.get_mut(&namespace)?.remove(&name)
            }
        }
    }
}

#[derive(Default)]
struct Cache {
    pods: Index<Pod>,
    claims: Index<PersistentVolumeClaim>,
    revisions: Index<ControllerRevision>,
}

impl Cache {
    /// What `set` may act on: its namespace's pods and revisions that it controls or that
    /// are orphans it might adopt, and the claims named after its claim templates.
    fn observe(&self, set: Arc<StatefulSet>, now: Timestamp) -> Observed {
        let namespace = set.metadata.namespace.clone().unwrap_or_default();
        let name = set.metadata.name.clone().unwrap_or_default();
        let uid = set_uid(&set).to_string();
        let ours_or_orphan = |meta: &ObjectMeta| match controller_of(meta.owner_references.as_ref())
        {
            Some(controller) => controller.uid == uid,
            None => true,
        };
        let pods = self
            .pods
            .namespace(&namespace)
            .filter(|pod| {
                let meta = &pod.metadata;
                match controller_of(meta.owner_references.as_ref()) {
                    Some(controller) => controller.uid == uid,
                    None => ordinal_in(&name, meta.name.as_deref().unwrap_or_default()).is_some(),
                }
            })
            .cloned()
            .collect();
        let prefixes: Vec<String> = claim_templates(&set)
            .iter()
            .map(|t| format!("{}-{name}-", t.metadata.name.as_deref().unwrap_or_default()))
            .collect();
        let claims = self
            .claims
            .namespace(&namespace)
            .filter_map(|claim| {
                let claim_name = claim.metadata.name.as_deref()?;
                prefixes
                    .iter()
                    .any(|p| claim_name.starts_with(p.as_str()))
                    .then(|| (claim_name.to_string(), Arc::clone(claim)))
            })
            .collect();
        let revisions = self
            .revisions
            .namespace(&namespace)
            .filter(|r| ours_or_orphan(&r.metadata))
            .cloned()
            .collect();
        Observed {
            set,
            pods,
            claims,
            revisions,
            now,
        }
    }
}

/// A watch event of any of the four kinds.
enum Change {
    Set(Box<watcher::Event<StatefulSet>>),
    Pod(watcher::Event<Arc<Pod>>),
    Claim(watcher::Event<Arc<PersistentVolumeClaim>>),
    Revision(watcher::Event<Arc<ControllerRevision>>),
}

/// The sets' own watch (pods, claims and revisions come from the shared informers).
fn watch_sets(client: &Client) -> stream::BoxStream<'static, Change> {
    watcher(
        Api::<StatefulSet>::all(client.clone()),
        watcher::Config::default(),
    )
    .modify(|set| set.metadata.managed_fields = None)
    .default_backoff()
    .filter_map(|event| {
        futures::future::ready(match event {
            Ok(event) => Some(Change::Set(Box::new(event))),
            Err(error) => {
                warn!(%error, "statefulset controller watch failed; retrying");
                None
            }
        })
    })
    .boxed()
}

/// Keeps the cache and the set store current, and queues the sets each change concerns —
/// after the cache holds the change, so the sync sees it.
async fn follow_watches(
    informers: Informers,
    sets: Store<StatefulSet>,
    mut set_writer: reflector::store::Writer<StatefulSet>,
    context: Arc<Context>,
    queue: mpsc::UnboundedSender<ObjectRef<StatefulSet>>,
) {
    let mut changes = stream::select_all([
        watch_sets(informers.client()),
        informers.get::<Pod>().subscribe().map(Change::Pod).boxed(),
        informers
            .get::<PersistentVolumeClaim>()
            .subscribe()
            .map(Change::Claim)
            .boxed(),
        informers
            .get::<ControllerRevision>()
            .subscribe()
            .map(Change::Revision)
            .boxed(),
    ]);
    while let Some(change) = changes.next().await {
        let mut keys = Vec::new();
        match change {
            Change::Set(event) => {
                set_writer.apply_watcher_event(&event);
                match &*event {
                    watcher::Event::Apply(set) | watcher::Event::InitApply(set) => {
                        keys.push(ObjectRef::from(set));
                    }
                    watcher::Event::Delete(set) => {
                        context.failures().remove(&ObjectRef::from(set));
                    }
                    watcher::Event::Init | watcher::Event::InitDone => {}
                }
            }
            Change::Pod(event) => {
                let current = current_object(&event);
                let mut cache = context.cache.write().unwrap_or_else(|p| p.into_inner());
                let previous = cache.pods.apply(event);
                drop(cache);
                for object in current.iter().chain(previous.as_ref()) {
                    keys.extend(sets_concerned(&sets, object.meta(), false));
                }
            }
            Change::Claim(event) => {
                let current = current_object(&event);
                let mut cache = context.cache.write().unwrap_or_else(|p| p.into_inner());
                let previous = cache.claims.apply(event);
                drop(cache);
                for object in current.iter().chain(previous.as_ref()) {
                    keys.extend(sets_concerned(&sets, object.meta(), true));
                }
            }
            Change::Revision(event) => {
                let current = current_object(&event);
                let mut cache = context.cache.write().unwrap_or_else(|p| p.into_inner());
                let previous = cache.revisions.apply(event);
                drop(cache);
                for object in current.iter().chain(previous.as_ref()) {
                    keys.extend(sets_concerned(&sets, object.meta(), false));
                }
            }
        }
        keys.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        keys.dedup();
        for key in keys {
            if queue.unbounded_send(key).is_err() {
                return;
            }
        }
    }
}

fn current_object<K>(event: &watcher::Event<Arc<K>>) -> Option<Arc<K>> {
    match event {
        watcher::Event::Apply(object)
        | watcher::Event::InitApply(object)
        | watcher::Event::Delete(object) => Some(object.clone()),
        watcher::Event::Init | watcher::Event::InitDone => None,
    }
}

/// The sets an object's change concerns: its StatefulSet controller, or — for an orphan,
/// or for any claim (claims are owned by pods or by nobody) — every set of its namespace
/// whose selector matches its labels.
fn sets_concerned(
    sets: &Store<StatefulSet>,
    meta: &ObjectMeta,
    any_owner: bool,
) -> Vec<ObjectRef<StatefulSet>> {
    let namespace = meta.namespace.as_deref().unwrap_or_default();
    let mut keys: Vec<ObjectRef<StatefulSet>> = meta
        .owner_references
        .iter()
        .flatten()
        .filter(|r| r.kind == "StatefulSet" && r.api_version == "apps/v1")
        .filter(|r| any_owner || r.controller == Some(true))
        .map(|r| ObjectRef::new(&r.name).within(namespace))
        .collect();
    if any_owner || controller_of(meta.owner_references.as_ref()).is_none() {
        let labels = meta.labels.clone().unwrap_or_default();
        keys.extend(
            sets.state()
                .iter()
                .filter(|set| set.metadata.namespace.as_deref() == Some(namespace))
                .filter(|set| {
                    LabelSelector::from_k8s(&set.spec.selector)
                        .ok()
                        .is_some_and(|selector| !selector.is_empty() && selector.matches(&labels))
                })
                .map(|set| ObjectRef::from(&**set)),
        );
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use identity::tests::web;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    fn pod(name: &str, owner_uid: Option<&str>) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                labels: Some([("app".to_string(), "web".to_string())].into()),
                owner_references: owner_uid.map(|uid| {
                    vec![OwnerReference {
                        api_version: "apps/v1".into(),
                        kind: "StatefulSet".into(),
                        name: "other".into(),
                        uid: uid.into(),
                        controller: Some(true),
                        block_owner_deletion: None,
                    }]
                }),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        }
    }

    #[test]
    fn retry_delays_grow_and_are_capped() {
        assert_eq!(retry_delay(1), FIRST_RETRY);
        assert_eq!(retry_delay(3), FIRST_RETRY * 4);
        assert_eq!(retry_delay(u32::MAX), MAX_RETRY);
    }

    #[test]
    fn the_cache_relists_and_observes_only_what_a_set_may_touch() {
        let mut cache = Cache::default();
        cache.pods.apply(watcher::Event::Init);
        cache.pods.apply(watcher::Event::InitApply(Arc::new(pod(
            "web-0",
            Some("set-uid"),
        ))));
        cache
            .pods
            .apply(watcher::Event::InitApply(Arc::new(pod("web-1", None))));
        cache.pods.apply(watcher::Event::InitApply(Arc::new(pod(
            "web-2",
            Some("other-uid"),
        ))));
        cache
            .pods
            .apply(watcher::Event::InitApply(Arc::new(pod("db-0", None))));
        assert!(
            cache.pods.namespace("default").next().is_none(),
            "not before InitDone"
        );
        cache.pods.apply(watcher::Event::InitDone);
        let claim = |name: &str| PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..ObjectMeta::default()
            },
            ..PersistentVolumeClaim::default()
        };
        cache
            .claims
            .apply(watcher::Event::Apply(Arc::new(claim("www-web-0"))));
        cache
            .claims
            .apply(watcher::Event::Apply(Arc::new(claim("www-db-0"))));
        let observed = cache.observe(Arc::new(web(2)), Timestamp::now());
        let mut names: Vec<_> = observed
            .pods
            .iter()
            .map(|p| p.metadata.name.clone().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["web-0", "web-1"]);
        assert_eq!(observed.claims.keys().collect::<Vec<_>>(), ["www-web-0"]);
        let removed = cache
            .pods
            .apply(watcher::Event::Delete(Arc::new(pod("web-0", None))));
        assert!(removed.is_some());
        assert!(cache.pods.get("default", "web-0").is_none());
    }

    #[test]
    fn changes_reach_the_owner_or_every_matching_set() {
        let (sets, mut writer) = reflector::store::<StatefulSet>();
        writer.apply_watcher_event(&watcher::Event::Apply(web(1)));
        let owned = pod("web-0", Some("uid"));
        assert_eq!(
            sets_concerned(&sets, &owned.metadata, false),
            [ObjectRef::new("other").within("default")]
        );
        let orphan = pod("web-0", None);
        assert_eq!(
            sets_concerned(&sets, &orphan.metadata, false),
            [ObjectRef::new("web").within("default")]
        );
        let mut elsewhere = orphan.clone();
        elsewhere.metadata.namespace = Some("other".into());
        assert!(sets_concerned(&sets, &elsewhere.metadata, false).is_empty());
    }
}
