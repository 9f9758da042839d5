//! The pod worker: runs the pods bound to this node through a [`PodRuntime`].
//!
//! Event-driven: a watch on pods with `spec.nodeName=<node>` (and on claims, for pods
//! waiting for volumes) feeds a work queue; each reconcile asks [`next_step`] what to do
//! and writes the result through `pods/status` with the pod's resourceVersion, so a
//! status a client changed meanwhile is never overwritten.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use std::panic::AssertUnwindSafe;

use berth_api::events::EventType;
use berth_api::pods::{HostPort, claim_names, host_port_conflict, host_ports};
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, PodStatus};
use kube::api::{Api, DeleteParams, PostParams, Preconditions};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info, instrument, warn};

use crate::Error;
use crate::events;
use crate::pod_status::{self, HOST_PORT_REJECTION_MESSAGE, HOST_PORT_REJECTION_REASON, Step};
use crate::runtime::PodRuntime;

const RETRY_AFTER_CONFLICT: Duration = Duration::from_millis(100);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(2);

struct Context<R> {
    client: Client,
    node: String,
    host_ip: String,
    runtime: R,
    pods: Store<Pod>,
    claims: Store<PersistentVolumeClaim>,
    /// Pods admitted on this node (started, or found running), by UID, with the host
    /// ports they hold.
    admitted: Mutex<HashMap<String, Vec<HostPort>>>,
}

impl<R: PodRuntime> Context<R> {
    fn admitted(&self) -> MutexGuard<'_, HashMap<String, Vec<HostPort>>> {
        // Every critical section is a single map operation, so a poisoned map is intact.
        self.admitted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Releases what a pod held: its host ports and runtime resources.
    fn release(&self, uid: &str) {
        if self.admitted().remove(uid).is_some() {
            self.runtime.forget_pod(uid);
        }
    }

    /// After a re-list, pods that vanished while the watch was down are released.
    fn release_vanished(&self) {
        let live: HashSet<String> = self
            .pods
            .state()
            .iter()
            .filter_map(|pod| pod.metadata.uid.clone())
            .collect();
        let vanished: Vec<String> = self
            .admitted()
            .keys()
            .filter(|uid| !live.contains(*uid))
            .cloned()
            .collect();
        for uid in vanished {
            self.release(&uid);
        }
    }
}

/// Runs the pods bound to `node` until `stop` turns true.
pub async fn run_pod_worker<R: PodRuntime>(
    client: Client,
    node: String,
    host_ip: String,
    runtime: R,
    mut stop: watch::Receiver<bool>,
) {
    let on_node = watcher::Config::default().fields(&format!("spec.nodeName={node}"));
    let (pods, pod_writer) = reflector::store();
    let (claims, claim_writer) = reflector::store();
    let context = Arc::new(Context {
        client: client.clone(),
        node,
        host_ip,
        runtime,
        pods,
        claims,
        admitted: Mutex::new(HashMap::new()),
    });
    let mut pod_events = reflector::reflector(
        pod_writer,
        watcher(Api::<Pod>::all(client.clone()), on_node)
            .modify(|p| p.metadata.managed_fields = None),
    )
    .default_backoff()
    .boxed();
    let mut claim_events = reflector::reflector(
        claim_writer,
        watcher(
            Api::<PersistentVolumeClaim>::all(client),
            watcher::Config::default(),
        ),
    )
    .default_backoff()
    .touched_objects()
    .boxed();

    let mut queue = WorkQueue::default();
    loop {
        tokio::select! {
            () = crate::stop_requested(&mut stop) => return,
            Some(event) = pod_events.next() => match event {
                Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => {
                    queue.add(ObjectRef::from_obj(&pod), &context);
                }
                Ok(watcher::Event::Delete(pod)) => {
                    context.release(pod.metadata.uid.as_deref().unwrap_or_default());
                }
                Ok(watcher::Event::InitDone) => context.release_vanished(),
                Ok(watcher::Event::Init) => {}
                Err(error) => debug!(%error, "pod watch failed; retrying"),
            },
            Some(event) = claim_events.next() => match event {
                Ok(claim) => {
                    for key in pods_waiting_for(&context.pods, &claim) {
                        queue.add(key, &context);
                    }
                }
                Err(error) => debug!(%error, "claim watch failed; retrying"),
            },
            Some(finished) = queue.running.next() => queue.finished(finished, &context),
            Some(key) = queue.delayed.next() => queue.add(key, &context),
        }
    }
}

type Finished = Result<(ObjectRef<Pod>, Option<Duration>), tokio::task::JoinError>;

/// Pods to reconcile: each pod is reconciled by at most one task at a time, and a pod
/// that changes while its task runs is reconciled again afterwards.
struct WorkQueue {
    running: FuturesUnordered<JoinHandle<(ObjectRef<Pod>, Option<Duration>)>>,
    busy: HashSet<ObjectRef<Pod>>,
    again: HashSet<ObjectRef<Pod>>,
    delayed: FuturesUnordered<Pin<Box<dyn Future<Output = ObjectRef<Pod>> + Send>>>,
}

impl Default for WorkQueue {
    fn default() -> Self {
        WorkQueue {
            running: FuturesUnordered::new(),
            busy: HashSet::new(),
            again: HashSet::new(),
            delayed: FuturesUnordered::new(),
        }
    }
}

impl WorkQueue {
    fn add<R: PodRuntime>(&mut self, key: ObjectRef<Pod>, context: &Arc<Context<R>>) {
        if self.busy.contains(&key) {
            self.again.insert(key);
            return;
        }
        self.busy.insert(key.clone());
        let context = context.clone();
        self.running.push(tokio::spawn(async move {
            let retry = match context.pods.get(&key) {
                Some(pod) => {
                    // A panic must not lose the key (it would stay busy forever).
                    let outcome = AssertUnwindSafe(reconcile(&pod, &context))
                        .catch_unwind()
                        .await;
                    match outcome {
                        Ok(Ok(())) => None,
                        Ok(Err(error)) => Some(retry_delay(&pod, &error)),
                        Err(_) => {
                            warn!(pod = %pod.name_any(), "pod worker panicked; will retry");
                            Some(RETRY_AFTER_FAILURE)
                        }
                    }
                }
                // Deleted meanwhile; the delete event releases what it held.
                None => None,
            };
            (key, retry)
        }));
    }

    fn finished<R: PodRuntime>(&mut self, finished: Finished, context: &Arc<Context<R>>) {
        // Tasks catch their panics, so a join error means the runtime is shutting down.
        let Ok((key, retry)) = finished else {
            return;
        };
        self.busy.remove(&key);
        if self.again.remove(&key) {
            self.add(key, context);
        } else if let Some(delay) = retry {
            self.delayed.push(Box::pin(async move {
                tokio::time::sleep(delay).await;
                key
            }));
        }
    }
}

/// The not-yet-started pods on this node that mount `claim`.
fn pods_waiting_for(pods: &Store<Pod>, claim: &PersistentVolumeClaim) -> Vec<ObjectRef<Pod>> {
    let namespace = claim.namespace();
    let name = claim.name_any();
    pods.state()
        .iter()
        .filter(|pod| pod.namespace() == namespace)
        .filter(|pod| pod_status::next_step(pod, Timestamp::now()) == Step::Start)
        .filter(|pod| claim_names(pod).contains(&name))
        .map(|pod| ObjectRef::from_obj(pod.as_ref()))
        .collect()
}

/// When to try a failed reconcile again: soon after a conflict (the newer pod is on its
/// way through the watch), later after other failures.
fn retry_delay(pod: &Pod, error: &Error) -> Duration {
    match error {
        Error::Kube(kube::Error::Api(status)) if status.is_conflict() => {
            debug!(pod = %pod.name_any(), "pod changed meanwhile; deciding again");
            RETRY_AFTER_CONFLICT
        }
        _ => {
            warn!(pod = %pod.name_any(), %error, "pod worker failed; will retry");
            RETRY_AFTER_FAILURE
        }
    }
}

#[instrument(skip_all, fields(pod = %pod.name_any(), namespace = pod.namespace().unwrap_or_default(), node = %context.node))]
async fn reconcile<R: PodRuntime>(pod: &Pod, context: &Context<R>) -> Result<(), Error> {
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    match pod_status::next_step(pod, Timestamp::now()) {
        Step::Keep => {
            if pod_status::is_active(pod) {
                adopt(context, pod, &uid);
            } else {
                context.release(&uid);
            }
        }
        Step::Start => start(context, pod, &uid).await?,
        Step::StopAndDelete { grace } => {
            let stopped = context.runtime.stop_pod(pod, grace).await;
            let now = Timestamp::now();
            let status = pod_status::terminated_status(pod, stopped, &context.host_ip, now);
            write_status(&context.client, pod, status).await?;
            context.release(&uid);
            confirm_deletion(&context.client, pod, &uid).await?;
        }
        Step::Delete => {
            context.release(&uid);
            confirm_deletion(&context.client, pod, &uid).await?;
        }
    }
    Ok(())
}

/// Records a pod that runs already (started before an agent restart).
fn adopt<R: PodRuntime>(context: &Context<R>, pod: &Pod, uid: &str) {
    let mut admitted = context.admitted();
    if !admitted.contains_key(uid) {
        admitted.insert(uid.to_string(), host_ports(pod));
        context.runtime.adopt_pod(pod);
    }
}

/// Admits the pod (host ports), waits for its claims, starts it and reports it Running
/// and Ready.
async fn start<R: PodRuntime>(context: &Context<R>, pod: &Pod, uid: &str) -> Result<(), Error> {
    let now = Timestamp::now();
    if !admit(context, pod, uid) {
        info!("rejected: host port in use");
        let status = pod_status::rejected_status(
            pod,
            HOST_PORT_REJECTION_REASON,
            HOST_PORT_REJECTION_MESSAGE,
            &context.host_ip,
            now,
        );
        write_status(&context.client, pod, status).await?;
        let message = HOST_PORT_REJECTION_MESSAGE.trim_start_matches("Pod was rejected: ");
        let event = events::pod_event(
            pod,
            &context.node,
            EventType::Warning,
            HOST_PORT_REJECTION_REASON,
            message,
            now,
        );
        if let Err(error) = events::post(&context.client, &event).await {
            debug!(%error, "posting the rejection event failed");
        }
        return Ok(());
    }

    let namespace = pod.namespace().unwrap_or_default();
    let unready = pod_status::unready_claims(pod, |name| {
        context.claims.get(&ObjectRef::new(name).within(&namespace))
    });
    if !unready.is_empty() {
        debug!(claims = ?unready, "waiting for volumes");
        if !pod_status::shows_waiting_for_volumes(pod) {
            let status = pod_status::waiting_for_volumes_status(pod, &context.host_ip, now);
            write_status(&context.client, pod, status).await?;
        }
        return Ok(());
    }

    let started = context.runtime.start_pod(pod, now).await?;
    let status = pod_status::running_status(pod, started, &context.host_ip, now);
    write_status(&context.client, pod, status).await?;
    debug!("running");
    Ok(())
}

/// Admission: the pod may start unless a host port it wants is held by another pod on
/// this node. Admitting reserves its ports at once, so concurrent starts cannot both win.
fn admit<R: PodRuntime>(context: &Context<R>, pod: &Pod, uid: &str) -> bool {
    let wanted = host_ports(pod);
    let mut admitted = context.admitted();
    if admitted.contains_key(uid) {
        return true;
    }
    if !wanted.is_empty() {
        let held_by_admitted = admitted
            .iter()
            .filter(|(other, _)| *other != uid)
            .flat_map(|(_, ports)| ports);
        // Pods found running but not reconciled yet (just after an agent restart).
        let running: Vec<Arc<Pod>> = context
            .pods
            .state()
            .into_iter()
            .filter(|other| {
                other.metadata.uid.as_deref() != Some(uid)
                    && other.status.as_ref().and_then(|s| s.phase.as_deref())
                        == Some(pod_status::PHASE_RUNNING)
            })
            .collect();
        let held_by_running: Vec<HostPort> = running.iter().flat_map(|p| host_ports(p)).collect();
        if host_port_conflict(&wanted, held_by_admitted.chain(&held_by_running)) {
            return false;
        }
    }
    admitted.insert(uid.to_string(), wanted);
    true
}

/// Writes `status` through `pods/status`, conditional on the pod's resourceVersion.
async fn write_status(client: &Client, pod: &Pod, status: PodStatus) -> Result<(), Error> {
    let api = Api::<Pod>::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
    let updated = Pod {
        metadata: pod.metadata.clone(),
        spec: pod.spec.clone(),
        status: Some(status),
    };
    match api
        .replace_status(&pod.name_any(), &PostParams::default(), &updated)
        .await
    {
        Ok(_) => Ok(()),
        // Deleted meanwhile: nothing left to report on.
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// The kubelet's last word on a deleted pod: DELETE with grace 0, only for this UID.
async fn confirm_deletion(client: &Client, pod: &Pod, uid: &str) -> Result<(), Error> {
    let api = Api::<Pod>::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: Some(uid.to_string()),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(&pod.name_any(), &params).await {
        Ok(_) => Ok(()),
        // Gone already, or the name belongs to a newer pod now.
        Err(kube::Error::Api(status)) if status.is_not_found() || status.is_conflict() => Ok(()),
        Err(error) => Err(error.into()),
    }
}
