//! The node lifecycle controller (upstream `pkg/controller/nodelifecycle`) and taint-based
//! eviction (`pkg/controller/tainteviction`): a node whose kubelet stops renewing its Lease
//! in `kube-node-lease` gets Ready Unknown and the `unreachable` taints, a NotReady node the
//! `not-ready` ones, its pods are marked not Ready, and pods that do not tolerate a
//! NoExecute taint are deleted, at once or after their `tolerationSeconds`. A cordoned node
//! (`spec.unschedulable`) and one under pressure get their NoSchedule taints.
//!
//! Woken by node, lease and pod events and by a periodic health check (the only way to
//! notice silence); pending evictions wait in the work queue with a delay.

pub mod decide;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use berth_informer::{Informer, Informers};
use futures::{StreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, PostParams, Preconditions};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tracing::{debug, info, instrument, warn};

use crate::Error;
use crate::events::{EventRecorder, EventType, Report, object_reference};
use crate::gc::queue::WorkQueue;
use decide::Eviction;

const WORKERS: usize = 2;
const LEASE_NAMESPACE: &str = "kube-node-lease";

/// Timings of the node lifecycle controller; tests shorten them.
#[derive(Debug, Clone)]
pub struct NodeLifecycleConfig {
    /// Silence after which a node is Unknown (upstream `--node-monitor-grace-period`).
    pub grace_period: Duration,
    /// The same for a node that never posted its Ready condition.
    pub startup_grace_period: Duration,
    /// How often every node's health is checked (`--node-monitor-period`).
    pub monitor_period: Duration,
}

impl Default for NodeLifecycleConfig {
    fn default() -> Self {
        NodeLifecycleConfig {
            grace_period: Duration::from_secs(40),
            startup_grace_period: Duration::from_secs(60),
            monitor_period: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Work {
    Node(String),
    Pod(String, String),
}

enum Changed {
    Node(String),
    Lease(String),
    Pod(Arc<Pod>),
}

/// Runs the node lifecycle controller and taint-based eviction until `shutdown` completes.
pub async fn run_node_lifecycle_controller(
    informers: Informers,
    config: NodeLifecycleConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (nodes, nodes_writer) = reflector::store::<Node>();
    let (leases, leases_writer) = reflector::store::<Lease>();
    let client = informers.client().clone();
    let pods = informers.get::<Pod>();
    let watch = watcher::Config::default;
    let events = stream::select_all([
        reflector::reflector(
            nodes_writer,
            watcher(Api::<Node>::all(client.clone()), watch()),
        )
        .default_backoff()
        .touched_objects()
        .map(|e| e.map(|n| Changed::Node(n.name_any())))
        .boxed(),
        reflector::reflector(
            leases_writer,
            watcher(
                Api::<Lease>::namespaced(client.clone(), LEASE_NAMESPACE),
                watch(),
            ),
        )
        .default_backoff()
        .touched_objects()
        .map(|e| e.map(|l| Changed::Lease(l.name_any())))
        .boxed(),
        pods.touched_objects()
            .map(|pod| Ok(Changed::Pod(pod)))
            .boxed(),
    ]);
    let controller = Arc::new(NodeLifecycle {
        node_events: EventRecorder::new(client.clone(), "node-controller"),
        eviction_events: EventRecorder::new(client.clone(), "taint-eviction-controller"),
        client,
        config,
        nodes,
        leases,
        pods,
        queue: WorkQueue::new(),
    });
    let workers = async {
        let synced = futures::future::join3(
            controller.nodes.wait_until_ready(),
            controller.leases.wait_until_ready(),
            controller.pods.synced(),
        )
        .await;
        if let (Ok(()), Ok(()), ()) = synced {
            futures::future::join(
                controller.monitor(),
                futures::future::join_all((0..WORKERS).map(|_| controller.work())),
            )
            .await;
        }
    };
    controller
        .queue
        .run_until(shutdown, controller.follow(events), workers)
        .await;
}

struct NodeLifecycle {
    client: Client,
    config: NodeLifecycleConfig,
    node_events: EventRecorder,
    eviction_events: EventRecorder,
    nodes: Store<Node>,
    leases: Store<Lease>,
    pods: Informer<Pod>,
    queue: Arc<WorkQueue<Work>>,
}

fn node_of(pod: &Pod) -> Option<&str> {
    let node = pod.spec.as_ref()?.node_name.as_deref()?;
    (!node.is_empty()).then_some(node)
}

fn has_no_execute_taint(node: &Node) -> bool {
    let taints = node.spec.as_ref().and_then(|s| s.taints.as_ref());
    taints
        .into_iter()
        .flatten()
        .any(|t| t.effect == "NoExecute")
}

impl NodeLifecycle {
    async fn follow(
        &self,
        mut events: impl futures::Stream<Item = Result<Changed, watcher::Error>> + Unpin,
    ) {
        while let Some(event) = events.next().await {
            match event {
                Ok(Changed::Node(name) | Changed::Lease(name)) => self.queue.add(Work::Node(name)),
                Ok(Changed::Pod(pod)) => {
                    let node = node_of(&pod).and_then(|n| self.nodes.get(&ObjectRef::new(n)));
                    if node.is_some_and(|n| has_no_execute_taint(&n)) {
                        self.queue.add(Work::Pod(
                            pod.namespace().unwrap_or_default(),
                            pod.name_any(),
                        ));
                    }
                }
                Err(error) => warn!(%error, "node lifecycle watch failed; retrying"),
            }
        }
    }

    /// Silence causes no event: check every node periodically.
    async fn monitor(&self) {
        let mut tick = tokio::time::interval(self.config.monitor_period);
        loop {
            tick.tick().await;
            for node in self.nodes.state() {
                self.queue.add(Work::Node(node.name_any()));
            }
        }
    }

    async fn work(&self) {
        while let Some(item) = self.queue.next().await {
            let result = match &item {
                Work::Node(name) => self.sync_node(name).await,
                Work::Pod(namespace, name) => self.sync_pod(namespace, name).await,
            };
            self.queue.finish(&item, result, "node lifecycle");
        }
    }

    #[instrument(skip_all, fields(node = name))]
    async fn sync_node(&self, name: &str) -> Result<(), Error> {
        let api = Api::<Node>::all(self.client.clone());
        let Some(mut node) = api.get_opt(name).await? else {
            return Ok(());
        };
        let now = Timestamp::now();
        let lease = self
            .leases
            .get(&ObjectRef::new(name).within(LEASE_NAMESPACE));
        let renewed = lease
            .as_ref()
            .and_then(|l| l.spec.as_ref())
            .and_then(|s| s.renew_time.as_ref())
            .map(|t| t.0);
        let config = &self.config;
        if let Some(conditions) = decide::stale_conditions(
            &node,
            renewed,
            now,
            config.grace_period,
            config.startup_grace_period,
        ) {
            let was_ready = decide::ready_condition(&node).map(|c| c.status.clone());
            node.status.get_or_insert_with(Default::default).conditions = Some(conditions);
            node = api
                .replace_status(name, &PostParams::default(), &node)
                .await?;
            info!("kubelet stopped posting node status; Ready is Unknown");
            if was_ready.as_deref() == Some("True") {
                self.node_events.publish(
                    &object_reference(&node),
                    Report::new(
                        EventType::Normal,
                        "NodeNotReady",
                        format!("Node {name} status is now: NodeNotReady"),
                    ),
                );
            }
        }
        let ready = decide::ready_condition(&node).map(|c| c.status.clone());
        if ready.as_deref() == Some("Unknown") {
            self.mark_pods_not_ready(name).await?;
        }
        let existing = node.spec.as_ref().and_then(|s| s.taints.as_deref());
        let taints = decide::wanted_taints(&node, now);
        if taints != existing.unwrap_or_default() {
            node.spec.get_or_insert_with(Default::default).taints =
                (!taints.is_empty()).then_some(taints);
            node = api.replace(name, &PostParams::default(), &node).await?;
            info!(ready = ?ready, "node taints updated");
        }
        if has_no_execute_taint(&node) {
            for pod in self.pods.list() {
                if node_of(&pod) == Some(name) {
                    self.queue.add(Work::Pod(
                        pod.namespace().unwrap_or_default(),
                        pod.name_any(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Upstream `MarkPodsNotReady`: the pods of an unreachable node are not Ready.
    async fn mark_pods_not_ready(&self, node: &str) -> Result<(), Error> {
        for pod in self.pods.list() {
            if node_of(&pod) != Some(node) || !crate::endpoints::desired::pod_is_ready(&pod) {
                continue;
            }
            let mut updated = (*pod).clone();
            let conditions = updated
                .status
                .get_or_insert_with(Default::default)
                .conditions
                .get_or_insert_with(Vec::new);
            for condition in conditions.iter_mut().filter(|c| c.type_ == "Ready") {
                *condition = PodCondition {
                    status: "False".to_string(),
                    last_transition_time: Some(Time(Timestamp::now())),
                    ..condition.clone()
                };
            }
            let api =
                Api::<Pod>::namespaced(self.client.clone(), &pod.namespace().unwrap_or_default());
            match api
                .replace_status(&pod.name_any(), &PostParams::default(), &updated)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.is_not_found() => continue,
                Err(error) => return Err(error.into()),
            }
            self.node_events.publish(
                &object_reference(&updated),
                Report::new(
                    EventType::Warning,
                    "NodeNotReady",
                    "Node is not ready".into(),
                ),
            );
        }
        Ok(())
    }

    #[instrument(skip_all, fields(namespace, pod = name))]
    async fn sync_pod(&self, namespace: &str, name: &str) -> Result<(), Error> {
        tracing::Span::current().record("namespace", namespace);
        let Some(pod) = self.pods.get(namespace, name) else {
            return Ok(());
        };
        if pod.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let Some(node) = node_of(&pod).and_then(|n| self.nodes.get(&ObjectRef::new(n))) else {
            return Ok(());
        };
        let taints = node
            .spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default();
        let tolerations = pod
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.clone())
            .unwrap_or_default();
        match decide::eviction(&tolerations, &taints, Timestamp::now()) {
            Eviction::Keep => Ok(()),
            Eviction::After(delay) => {
                debug!(?delay, "eviction scheduled");
                self.queue
                    .add_after(Work::Pod(namespace.to_string(), name.to_string()), delay);
                Ok(())
            }
            Eviction::Now => self.evict(&pod).await,
        }
    }

    /// Marks the pod as a disruption target, as upstream does, then deletes it.
    async fn evict(&self, pod: &Pod) -> Result<(), Error> {
        let namespace = pod.namespace().unwrap_or_default();
        let name = pod.name_any();
        let api = Api::<Pod>::namespaced(self.client.clone(), &namespace);
        let mut updated = pod.clone();
        let conditions = updated
            .status
            .get_or_insert_with(Default::default)
            .conditions
            .get_or_insert_with(Vec::new);
        conditions.retain(|c| c.type_ != "DisruptionTarget");
        conditions.push(PodCondition {
            type_: "DisruptionTarget".to_string(),
            status: "True".to_string(),
            reason: Some("DeletionByTaintManager".to_string()),
            message: Some("Taint manager: deleting due to NoExecute taint".to_string()),
            last_transition_time: Some(Time(Timestamp::now())),
            ..PodCondition::default()
        });
        if let Err(error) = api
            .replace_status(&name, &PostParams::default(), &updated)
            .await
        {
            debug!(%error, "cannot set the DisruptionTarget condition; deleting anyway");
        }
        self.eviction_events.publish(
            &object_reference(pod),
            Report::new(
                EventType::Normal,
                "TaintManagerEviction",
                format!("Marking for deletion Pod {namespace}/{name}"),
            ),
        );
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: pod.metadata.uid.clone(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(&name, &params).await {
            Ok(_) => info!("evicted: the pod does not tolerate its node's NoExecute taints"),
            Err(kube::Error::Api(status)) if status.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
        Ok(())
    }
}
