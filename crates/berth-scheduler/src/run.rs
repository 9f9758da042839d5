//! The scheduler's executor: one task that owns the [`Cluster`] picture and the
//! [`SchedulingQueue`], fed by watches (pods, nodes, claims, volumes, classes,
//! namespaces). Decisions are made one at a time against the in-memory picture; the API
//! calls they lead to (binding, claim annotations, events, conditions) run as spawned
//! tasks whose outcomes come back into the loop.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_api::events::EventType;
use futures::stream::{BoxStream, FuturesUnordered, SelectAll};
use futures::{FutureExt, StreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event as WatchEvent, watcher};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info_span, warn};

use berth_informer::{Informer, Informers};

use crate::Error;
use crate::cluster::Cluster;
use crate::events::{self, COMPONENT, FAILED_SCHEDULING, SCHEDULED};
use crate::queue::SchedulingQueue;
use crate::schedule::{Placement, schedule};
use crate::volumes::SELECTED_NODE_ANNOTATION;

/// Upstream's limit on waiting for volumes to be bound before giving up on a placement.
const VOLUME_BIND_TIMEOUT: Duration = Duration::from_secs(600);
/// How many FailedScheduling reports (event + pod condition) may be in flight: thousands
/// of pods failing at once must not become thousands of concurrent requests.
const REPORTS_IN_FLIGHT: usize = 16;
/// How often long-unschedulable pods are checked for a retry.
const FLUSH_INTERVAL: Duration = Duration::from_secs(30);

/// A pod by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PodKey {
    namespace: String,
    name: String,
}

impl PodKey {
    fn of(pod: &Pod) -> PodKey {
        PodKey {
            namespace: pod.namespace().unwrap_or_default(),
            name: pod.name_any(),
        }
    }
}

/// One watch event of any kind the scheduler follows.
enum Update {
    /// Pods come from the process's shared informer, which retries by itself.
    Pod(Box<WatchEvent<Arc<Pod>>>),
    Node(Box<watcher::Result<WatchEvent<Node>>>),
    Claim(Box<watcher::Result<WatchEvent<PersistentVolumeClaim>>>),
    Volume(Box<watcher::Result<WatchEvent<PersistentVolume>>>),
    Class(Box<watcher::Result<WatchEvent<StorageClass>>>),
    Namespace(Box<watcher::Result<WatchEvent<Namespace>>>),
}

/// What a spawned API task reports back.
enum Outcome {
    Bound {
        key: PodKey,
    },
    BindFailed {
        key: PodKey,
        uid: String,
        error: Error,
    },
    ClaimsAnnotated {
        key: PodKey,
        uid: String,
    },
    AnnotateFailed {
        key: PodKey,
        uid: String,
        error: Error,
    },
}

enum Timer {
    Backoff(PodKey),
    VolumeTimeout(PodKey, String),
}

/// A placement waiting for its claims to be bound.
struct VolumeWait {
    uid: String,
    node: String,
    claims: Vec<String>,
    annotated: bool,
}

/// The last FailedScheduling event posted for a pod, so repeats bump its count.
struct PostedFailure {
    event: String,
    message: String,
    count: i32,
}

/// Watch buffers for re-lists: objects arrive between Init and InitDone.
struct Relist<K> {
    buffer: Vec<K>,
    synced: bool,
}

impl<K> Default for Relist<K> {
    fn default() -> Self {
        Relist {
            buffer: Vec::new(),
            synced: false,
        }
    }
}

impl<K> Relist<K> {
    /// Feeds one event; returns the complete new list at InitDone, and the single
    /// changes as (object, deleted).
    fn feed(&mut self, event: WatchEvent<K>) -> Change<K> {
        match event {
            WatchEvent::Init => {
                self.buffer.clear();
                Change::None
            }
            WatchEvent::InitApply(object) => {
                self.buffer.push(object);
                Change::None
            }
            WatchEvent::InitDone => {
                self.synced = true;
                Change::Relisted(std::mem::take(&mut self.buffer))
            }
            WatchEvent::Apply(object) => Change::Applied(object),
            WatchEvent::Delete(object) => Change::Deleted(object),
        }
    }
}

enum Change<K> {
    None,
    Relisted(Vec<K>),
    Applied(K),
    Deleted(K),
}

type Timers = FuturesUnordered<Pin<Box<dyn Future<Output = Timer> + Send>>>;

pub(crate) struct Scheduler {
    client: Client,
    pod_informer: Informer<Pod>,
    reports: Arc<Semaphore>,
    cluster: Cluster,
    /// Unbound pods this scheduler is responsible for.
    pending: HashMap<PodKey, Arc<Pod>>,
    queue: SchedulingQueue<PodKey>,
    /// Pods with a placement under way (binding, or waiting for volumes), until the
    /// watch shows them bound.
    placing: HashSet<PodKey>,
    volume_waits: HashMap<PodKey, VolumeWait>,
    failures: HashMap<PodKey, PostedFailure>,
    tie_breaker: usize,
    tasks: FuturesUnordered<JoinHandle<Option<Outcome>>>,
    timers: Timers,
    changed: bool,
    pods: Relist<Arc<Pod>>,
    nodes: Relist<Node>,
    claims: Relist<PersistentVolumeClaim>,
    volumes: Relist<PersistentVolume>,
    classes: Relist<StorageClass>,
    namespaces: Relist<Namespace>,
}

fn watch_all<K>(
    client: &Client,
    wrap: fn(Box<watcher::Result<WatchEvent<K>>>) -> Update,
) -> BoxStream<'static, Update>
where
    K: Resource
        + Clone
        + k8s_openapi::serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static,
    K::DynamicType: Default,
{
    watcher(Api::<K>::all(client.clone()), watcher::Config::default())
        // managedFields are half of a pod and the scheduler never reads them.
        .modify(|o| o.meta_mut().managed_fields = None)
        .default_backoff()
        .map(move |event| wrap(Box::new(event)))
        .boxed()
}

/// Whether a pod event can make another, unschedulable pod fit: only placed pods use
/// resources and ports and count for affinity, so a pending pod arriving or changing is
/// not a reason to retry every unschedulable pod (upstream moves them on assigned-pod
/// events only).
fn may_make_others_fit(change: &Change<Arc<Pod>>) -> bool {
    match change {
        Change::Relisted(_) => true,
        Change::Applied(pod) | Change::Deleted(pod) => is_bound(pod),
        Change::None => false,
    }
}

/// Whether the default scheduler should place this pod.
fn is_ours(pod: &Pod) -> bool {
    let Some(spec) = &pod.spec else {
        return false;
    };
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    spec.node_name.as_deref().unwrap_or_default().is_empty()
        && spec.scheduler_name.as_deref().unwrap_or(COMPONENT) == COMPONENT
        && pod.metadata.deletion_timestamp.is_none()
        && spec
            .scheduling_gates
            .as_ref()
            .is_none_or(|gates| gates.is_empty())
        && !matches!(phase, Some("Succeeded" | "Failed"))
}

fn is_bound(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
}

/// Whether an update changed what a scheduling decision reads (spec, labels,
/// annotations), as opposed to status or bookkeeping fields.
fn scheduling_inputs_differ(old: &Pod, new: &Pod) -> bool {
    old.spec != new.spec
        || old.metadata.labels != new.metadata.labels
        || old.metadata.annotations != new.metadata.annotations
}

fn claim_is_bound(claim: &PersistentVolumeClaim) -> bool {
    claim.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound")
}

impl Scheduler {
    pub(crate) fn new(informers: &Informers) -> Scheduler {
        Scheduler {
            client: informers.client().clone(),
            pod_informer: informers.get::<Pod>(),
            reports: Arc::new(Semaphore::new(REPORTS_IN_FLIGHT)),
            cluster: Cluster::default(),
            pending: HashMap::new(),
            queue: SchedulingQueue::default(),
            placing: HashSet::new(),
            volume_waits: HashMap::new(),
            failures: HashMap::new(),
            tie_breaker: 0,
            tasks: FuturesUnordered::new(),
            timers: FuturesUnordered::new(),
            changed: false,
            pods: Relist::default(),
            nodes: Relist::default(),
            claims: Relist::default(),
            volumes: Relist::default(),
            classes: Relist::default(),
            namespaces: Relist::default(),
        }
    }

    fn synced(&self) -> bool {
        self.pods.synced
            && self.nodes.synced
            && self.claims.synced
            && self.volumes.synced
            && self.classes.synced
            && self.namespaces.synced
    }

    pub(crate) async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut updates: SelectAll<BoxStream<'static, Update>> = stream::select_all([
            self.pod_informer
                .subscribe()
                .map(|event| Update::Pod(Box::new(event)))
                .boxed(),
            watch_all::<Node>(&self.client, Update::Node),
            watch_all::<PersistentVolumeClaim>(&self.client, Update::Claim),
            watch_all::<PersistentVolume>(&self.client, Update::Volume),
            watch_all::<StorageClass>(&self.client, Update::Class),
            watch_all::<Namespace>(&self.client, Update::Namespace),
        ]);
        let mut flush = tokio::time::interval(FLUSH_INTERVAL);
        loop {
            if self.synced() {
                while let Some(key) = self.queue.pop() {
                    self.schedule_one(key);
                }
            }
            tokio::select! {
                () = crate::stop_requested(&mut stop) => return,
                Some(update) = updates.next() => {
                    self.apply(update);
                    // Take whatever else is ready before deciding, so a burst of events
                    // is one pass.
                    while let Some(Some(update)) = updates.next().now_or_never() {
                        self.apply(update);
                    }
                }
                Some(outcome) = self.tasks.next() => {
                    if let Ok(Some(outcome)) = outcome {
                        self.outcome(outcome);
                    }
                }
                Some(timer) = self.timers.next() => self.timer(timer),
                _ = flush.tick() => self.queue.flush_stale(Instant::now()),
            }
            if std::mem::take(&mut self.changed) {
                let now = Instant::now();
                for (key, until) in self.queue.cluster_changed(now) {
                    self.arm_backoff(key, until);
                }
            }
        }
    }

    fn arm_backoff(&mut self, key: PodKey, until: Instant) {
        self.timers.push(Box::pin(async move {
            tokio::time::sleep_until(until.into()).await;
            Timer::Backoff(key)
        }));
    }

    fn apply(&mut self, update: Update) {
        let changed = match update {
            Update::Pod(event) => Ok(self.apply_pods(*event)),
            Update::Node(event) => (*event).map(|event| self.apply_nodes(event)),
            Update::Claim(event) => (*event).map(|event| self.apply_claims(event)),
            Update::Volume(event) => (*event).map(|event| self.apply_volumes(event)),
            Update::Class(event) => (*event).map(|event| self.apply_classes(event)),
            Update::Namespace(event) => (*event).map(|event| self.apply_namespaces(event)),
        };
        match changed {
            Ok(changed) => self.changed |= changed,
            Err(error) => debug!(%error, "watch failed; retrying"),
        }
    }

    /// Each `apply_*` takes one watch event into the picture and says whether anything
    /// changed that could make a failed pod fit now.
    fn apply_pods(&mut self, event: WatchEvent<Arc<Pod>>) -> bool {
        let change = self.pods.feed(event);
        // A pending pod deleted while its placement was assumed frees that node too.
        let assumed = match &change {
            Change::Deleted(pod) => self
                .cluster
                .is_assumed(pod.metadata.uid.as_deref().unwrap_or_default()),
            _ => false,
        };
        let moves_others = assumed || may_make_others_fit(&change);
        match change {
            Change::Relisted(pods) => self.relist_pods(pods),
            Change::Applied(pod) => self.pod_changed(pod),
            Change::Deleted(pod) => self.pod_deleted(&pod),
            Change::None => {}
        }
        moves_others
    }

    fn apply_nodes(&mut self, event: WatchEvent<Node>) -> bool {
        match self.nodes.feed(event) {
            Change::Relisted(nodes) => self.cluster.replace_nodes(nodes.into_iter().map(Arc::new)),
            Change::Applied(node) => self.cluster.set_node(Arc::new(node)),
            Change::Deleted(node) => self.cluster.remove_node(&node.name_any()),
            Change::None => return false,
        }
        true
    }

    fn apply_claims(&mut self, event: WatchEvent<PersistentVolumeClaim>) -> bool {
        let key = |c: &PersistentVolumeClaim| (c.namespace().unwrap_or_default(), c.name_any());
        match self.claims.feed(event) {
            Change::Relisted(claims) => {
                self.cluster.claims = claims.into_iter().map(|c| (key(&c), Arc::new(c))).collect();
            }
            Change::Applied(claim) => {
                self.cluster.claims.insert(key(&claim), Arc::new(claim));
            }
            Change::Deleted(claim) => {
                self.cluster.claims.remove(&key(&claim));
            }
            Change::None => return false,
        }
        self.check_volume_waits();
        true
    }

    fn apply_volumes(&mut self, event: WatchEvent<PersistentVolume>) -> bool {
        match self.volumes.feed(event) {
            Change::Relisted(volumes) => {
                self.cluster.volumes = volumes
                    .into_iter()
                    .map(|v| (v.name_any(), Arc::new(v)))
                    .collect();
            }
            Change::Applied(volume) => {
                self.cluster
                    .volumes
                    .insert(volume.name_any(), Arc::new(volume));
            }
            Change::Deleted(volume) => {
                self.cluster.volumes.remove(&volume.name_any());
            }
            Change::None => return false,
        }
        true
    }

    fn apply_classes(&mut self, event: WatchEvent<StorageClass>) -> bool {
        match self.classes.feed(event) {
            Change::Relisted(classes) => {
                self.cluster.classes = classes
                    .into_iter()
                    .map(|c| (c.name_any(), Arc::new(c)))
                    .collect();
            }
            Change::Applied(class) => {
                self.cluster
                    .classes
                    .insert(class.name_any(), Arc::new(class));
            }
            Change::Deleted(class) => {
                self.cluster.classes.remove(&class.name_any());
            }
            Change::None => return false,
        }
        true
    }

    fn apply_namespaces(&mut self, event: WatchEvent<Namespace>) -> bool {
        let labels = |n: &Namespace| n.metadata.labels.clone().unwrap_or_default();
        match self.namespaces.feed(event) {
            Change::Relisted(namespaces) => {
                self.cluster.namespaces = namespaces
                    .iter()
                    .map(|n| (n.name_any(), labels(n)))
                    .collect();
            }
            Change::Applied(namespace) => {
                self.cluster
                    .namespaces
                    .insert(namespace.name_any(), labels(&namespace));
            }
            Change::Deleted(namespace) => {
                self.cluster.namespaces.remove(&namespace.name_any());
            }
            Change::None => return false,
        }
        true
    }

    fn relist_pods(&mut self, pods: Vec<Arc<Pod>>) {
        self.cluster.replace_pods(pods.iter().map(|pod| &**pod));
        let listed: HashSet<PodKey> = pods.iter().map(|pod| PodKey::of(pod)).collect();
        let vanished: Vec<PodKey> = self
            .pending
            .keys()
            .filter(|k| !listed.contains(*k))
            .cloned()
            .collect();
        for key in vanished {
            self.drop_pod(&key);
        }
        for pod in pods {
            self.pod_changed(pod);
        }
    }

    fn pod_changed(&mut self, pod: Arc<Pod>) {
        self.cluster.update_pod(&pod);
        let key = PodKey::of(&pod);
        if is_bound(&pod) || !is_ours(&pod) {
            self.drop_pod(&key);
            return;
        }
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let replaced = self
            .pending
            .get(&key)
            .is_some_and(|old| old.metadata.uid.as_deref() != Some(uid.as_str()));
        if replaced {
            // Same name, new pod: what was under way for the old one is moot.
            self.drop_pod(&key);
        }
        // A status-only change (our own PodScheduled condition, say) cannot make the pod
        // fit anywhere new: it is not a reason to try again.
        let relevant = self
            .pending
            .get(&key)
            .is_none_or(|old| scheduling_inputs_differ(old, &pod));
        self.pending.insert(key.clone(), pod);
        if relevant
            && !self.placing.contains(&key)
            && let Some(until) = self.queue.add(key.clone(), Instant::now())
        {
            self.arm_backoff(key, until);
        }
    }

    fn pod_deleted(&mut self, pod: &Pod) {
        self.cluster
            .remove_pod(pod.metadata.uid.as_deref().unwrap_or_default());
        self.drop_pod(&PodKey::of(pod));
    }

    /// Stops tracking a pending pod (bound, deleted, or not ours any more).
    fn drop_pod(&mut self, key: &PodKey) {
        // An assumed placement of a pod that is gone or deleting is void (a bound pod's
        // placement is settled by now, so forgetting leaves it alone).
        if let Some(old) = self.pending.remove(key) {
            self.cluster
                .forget_assumed(old.metadata.uid.as_deref().unwrap_or_default());
        }
        self.queue.forget(key);
        self.placing.remove(key);
        self.volume_waits.remove(key);
        self.failures.remove(key);
    }

    fn schedule_one(&mut self, key: PodKey) {
        let Some(pod) = self.pending.get(&key).cloned() else {
            return;
        };
        if self.placing.contains(&key) {
            return;
        }
        let span = info_span!("schedule", pod = %key.name, namespace = %key.namespace);
        let _entered = span.enter();
        match schedule(&pod, &self.cluster, self.tie_breaker) {
            Ok(placement) => {
                self.tie_breaker = self.tie_breaker.wrapping_add(1);
                debug!(node = %placement.node, "placed");
                self.place(key, &pod, placement);
            }
            Err(fit) => {
                let message = fit.message();
                debug!(%message, "unschedulable");
                self.queue.failed(key.clone(), Instant::now());
                self.report_failure(&key, &pod, message);
            }
        }
    }

    fn place(&mut self, key: PodKey, pod: &Arc<Pod>, placement: Placement) {
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        self.cluster.assume(pod, &placement.node);
        self.placing.insert(key.clone());
        if placement.volumes_ready {
            self.spawn_bind(key, pod.clone(), placement.node);
            return;
        }
        let annotated = placement.claims_to_provision.is_empty();
        let claims = placement.claims_to_provision.clone();
        self.volume_waits.insert(
            key.clone(),
            VolumeWait {
                uid: uid.clone(),
                node: placement.node.clone(),
                claims: crate::volumes::plan_volumes(pod, &self.cluster)
                    .map(|plan| plan.delayed.into_iter().map(|c| c.name).collect())
                    .unwrap_or_default(),
                annotated,
            },
        );
        let timeout_key = key.clone();
        let timeout_uid = uid.clone();
        self.timers.push(Box::pin(async move {
            tokio::time::sleep(VOLUME_BIND_TIMEOUT).await;
            Timer::VolumeTimeout(timeout_key, timeout_uid)
        }));
        if annotated {
            self.check_volume_waits();
            return;
        }
        let client = self.client.clone();
        let namespace = key.namespace.clone();
        let node = placement.node;
        self.tasks.push(tokio::spawn(async move {
            let api = Api::<PersistentVolumeClaim>::namespaced(client, &namespace);
            let patch =
                json!({ "metadata": { "annotations": { SELECTED_NODE_ANNOTATION: node } } });
            for claim in claims {
                if let Err(error) = api
                    .patch(&claim, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    return Some(Outcome::AnnotateFailed {
                        key,
                        uid,
                        error: error.into(),
                    });
                }
            }
            Some(Outcome::ClaimsAnnotated { key, uid })
        }));
    }

    /// Binds placements whose claims are all bound now.
    fn check_volume_waits(&mut self) {
        let ready: Vec<PodKey> = self
            .volume_waits
            .iter()
            .filter(|(key, wait)| {
                wait.annotated
                    && wait.claims.iter().all(|claim| {
                        self.cluster
                            .claims
                            .get(&(key.namespace.clone(), claim.clone()))
                            .is_some_and(|c| claim_is_bound(c))
                    })
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in ready {
            let Some(wait) = self.volume_waits.remove(&key) else {
                continue;
            };
            match self.pending.get(&key).cloned() {
                Some(pod) if pod.metadata.uid.as_deref() == Some(wait.uid.as_str()) => {
                    self.spawn_bind(key, pod, wait.node);
                }
                _ => {
                    self.cluster.forget_assumed(&wait.uid);
                    self.placing.remove(&key);
                }
            }
        }
    }

    fn spawn_bind(&mut self, key: PodKey, pod: Arc<Pod>, node: String) {
        let client = self.client.clone();
        self.tasks.push(tokio::spawn(async move {
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            let api = Api::<Pod>::namespaced(client.clone(), &key.namespace);
            let binding = json!({
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": { "name": key.name, "namespace": key.namespace, "uid": uid },
                "target": { "apiVersion": "v1", "kind": "Node", "name": node },
            });
            let bound: Result<serde_json::Value, kube::Error> = api
                .create_subresource("binding", &key.name, &PostParams::default(), &binding)
                .await;
            match bound {
                Ok(_) => {
                    let now = Timestamp::now();
                    let message = events::scheduled_message(&pod, &node);
                    let event =
                        events::pod_event(&pod, EventType::Normal, SCHEDULED, &message, now);
                    post_event(&client, event).await;
                    Some(Outcome::Bound { key })
                }
                Err(error) => Some(Outcome::BindFailed {
                    key,
                    uid,
                    error: error.into(),
                }),
            }
        }));
    }

    fn outcome(&mut self, outcome: Outcome) {
        match outcome {
            // The watch will show the pod bound; until then it stays "placing".
            Outcome::Bound { key } => {
                self.failures.remove(&key);
            }
            Outcome::BindFailed { key, uid, error } => {
                self.cluster.forget_assumed(&uid);
                self.placing.remove(&key);
                self.changed = true;
                if let Error::Kube(kube::Error::Api(status)) = &error
                    && (status.is_not_found() || status.is_conflict())
                {
                    // Deleted, or bound meanwhile: the watch tells the rest.
                    debug!(pod = %key.name, %error, "binding not needed any more");
                    return;
                }
                self.retry_after_error(key, &format!("Binding rejected: {}", api_message(&error)));
            }
            Outcome::ClaimsAnnotated { key, uid } => {
                if let Some(wait) = self.volume_waits.get_mut(&key)
                    && wait.uid == uid
                {
                    wait.annotated = true;
                }
                self.check_volume_waits();
            }
            Outcome::AnnotateFailed { key, uid, error } => {
                self.cluster.forget_assumed(&uid);
                self.placing.remove(&key);
                self.volume_waits.remove(&key);
                self.changed = true;
                self.retry_after_error(
                    key,
                    &format!(
                        "running PreBind plugin \"VolumeBinding\": {}",
                        api_message(&error)
                    ),
                );
            }
        }
    }

    fn retry_after_error(&mut self, key: PodKey, message: &str) {
        warn!(pod = %key.name, namespace = %key.namespace, message, "scheduling failed; will retry");
        let Some(pod) = self.pending.get(&key).cloned() else {
            return;
        };
        self.queue.failed(key.clone(), Instant::now());
        self.report_failure(&key, &pod, message.to_string());
    }

    fn timer(&mut self, timer: Timer) {
        match timer {
            Timer::Backoff(key) => self.queue.backoff_over(&key),
            Timer::VolumeTimeout(key, uid) => {
                let expired = self.volume_waits.get(&key).is_some_and(|w| w.uid == uid);
                if expired {
                    self.volume_waits.remove(&key);
                    self.cluster.forget_assumed(&uid);
                    self.placing.remove(&key);
                    self.changed = true;
                    self.retry_after_error(
                        key,
                        "running PreBind plugin \"VolumeBinding\": binding volumes: context deadline exceeded",
                    );
                }
            }
        }
    }

    /// Posts (or repeats) the FailedScheduling event and sets PodScheduled False.
    fn report_failure(&mut self, key: &PodKey, pod: &Arc<Pod>, message: String) {
        let now = Timestamp::now();
        let repeat = self
            .failures
            .get_mut(key)
            .filter(|posted| posted.message == message);
        let client = self.client.clone();
        let write = match repeat {
            Some(posted) => {
                posted.count += 1;
                EventWrite::Repeat {
                    name: posted.event.clone(),
                    count: posted.count,
                }
            }
            None => {
                let event =
                    events::pod_event(pod, EventType::Warning, FAILED_SCHEDULING, &message, now);
                self.failures.insert(
                    key.clone(),
                    PostedFailure {
                        event: event.metadata.name.clone().unwrap_or_default(),
                        message: message.clone(),
                        count: 1,
                    },
                );
                EventWrite::New(Box::new(event))
            }
        };
        let conditions = events::unschedulable_conditions(pod, &message, now);
        let key = key.clone();
        let reports = self.reports.clone();
        tokio::spawn(async move {
            // The semaphore is never closed.
            let _permit = reports.acquire_owned().await;
            match write {
                EventWrite::New(event) => post_event(&client, *event).await,
                EventWrite::Repeat { name, count } => {
                    let api = Api::<Event>::namespaced(client.clone(), &key.namespace);
                    let patch = json!({ "count": count, "lastTimestamp": Time(now) });
                    if let Err(error) = api
                        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                    {
                        debug!(%error, "updating the FailedScheduling event failed");
                    }
                }
            }
            if let Some(conditions) = conditions {
                let api = Api::<Pod>::namespaced(client, &key.namespace);
                let patch = json!({ "status": { "conditions": conditions } });
                if let Err(error) = api
                    .patch_status(&key.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    debug!(%error, "setting PodScheduled failed");
                }
            }
        });
    }
}

/// The server's own words for a failed request (its Status message), else the error.
fn api_message(error: &Error) -> String {
    match error {
        Error::Kube(kube::Error::Api(status)) => status.message.clone(),
        Error::Kube(other) => other.to_string(),
    }
}

enum EventWrite {
    New(Box<Event>),
    Repeat { name: String, count: i32 },
}

async fn post_event(client: &Client, event: Event) {
    let namespace = event.metadata.namespace.clone().unwrap_or_default();
    let api = Api::<Event>::namespaced(client.clone(), &namespace);
    if let Err(error) = api.create(&PostParams::default(), &event).await {
        debug!(%error, "posting an event failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::tests::{bound, pod};
    use k8s_openapi::api::core::v1::PodSchedulingGate;

    #[test]
    fn which_pods_are_ours() {
        assert!(is_ours(&pod("p", "")));
        assert!(!is_ours(&bound(pod("p", ""), "n1")), "bound already");
        let mut other = pod("p", "");
        other.spec.as_mut().unwrap().scheduler_name = Some("my-scheduler".into());
        assert!(!is_ours(&other), "another scheduler's");
        let mut deleting = pod("p", "");
        deleting.metadata.deletion_timestamp = Some(Time(Timestamp::UNIX_EPOCH));
        assert!(!is_ours(&deleting), "being deleted");
        let mut gated = pod("p", "");
        gated.spec.as_mut().unwrap().scheduling_gates = Some(vec![PodSchedulingGate {
            name: "example.com/wait".into(),
        }]);
        assert!(!is_ours(&gated), "gated");
        let mut failed = pod("p", "");
        failed.status.as_mut().unwrap().phase = Some("Failed".into());
        assert!(!is_ours(&failed), "finished");
    }

    #[test]
    fn only_placed_pods_release_unschedulable_ones() {
        let pending = Arc::new(pod("p", ""));
        let placed = Arc::new(bound(pod("q", ""), "n1"));
        assert!(!may_make_others_fit(&Change::Applied(pending.clone())));
        assert!(!may_make_others_fit(&Change::Deleted(pending)));
        assert!(may_make_others_fit(&Change::Applied(placed.clone())));
        assert!(
            may_make_others_fit(&Change::Deleted(placed)),
            "frees its node"
        );
        assert!(may_make_others_fit(&Change::Relisted(Vec::new())));
        assert!(!may_make_others_fit(&Change::None));
    }

    #[test]
    fn status_changes_do_not_count_as_scheduling_inputs() {
        let old = pod("p", "1");
        let mut status_only = old.clone();
        status_only.status.as_mut().unwrap().conditions = Some(vec![Default::default()]);
        status_only.metadata.resource_version = Some("9".into());
        assert!(!scheduling_inputs_differ(&old, &status_only));
        let mut relabelled = old.clone();
        relabelled.metadata.labels = Some([("a".to_string(), "b".to_string())].into());
        assert!(scheduling_inputs_differ(&old, &relabelled));
        let mut tolerating = old.clone();
        tolerating.spec.as_mut().unwrap().tolerations = Some(vec![Default::default()]);
        assert!(scheduling_inputs_differ(&old, &tolerating));
    }

    #[test]
    fn relists_deliver_complete_lists_and_mark_the_watch_synced() {
        let mut relist = Relist::default();
        assert!(!relist.synced);
        assert!(matches!(relist.feed(WatchEvent::Init), Change::None));
        assert!(matches!(
            relist.feed(WatchEvent::InitApply(1)),
            Change::None
        ));
        assert!(matches!(
            relist.feed(WatchEvent::InitApply(2)),
            Change::None
        ));
        match relist.feed(WatchEvent::InitDone) {
            Change::Relisted(items) => assert_eq!(items, [1, 2]),
            _ => panic!("expected the full list"),
        }
        assert!(relist.synced);
        assert!(matches!(
            relist.feed(WatchEvent::Apply(3)),
            Change::Applied(3)
        ));
        assert!(matches!(
            relist.feed(WatchEvent::Delete(1)),
            Change::Deleted(1)
        ));
        // A restarted watch starts from an empty buffer.
        relist.feed(WatchEvent::Init);
        relist.feed(WatchEvent::InitApply(4));
        match relist.feed(WatchEvent::InitDone) {
            Change::Relisted(items) => assert_eq!(items, [4]),
            _ => panic!("expected the full list"),
        }
    }
}
