//! The Endpoints and EndpointSlice controllers (upstream `pkg/controller/endpoint` and
//! `pkg/controller/endpointslice`), run as one loop: for every Service with a selector
//! (ExternalName ones excepted), an Endpoints object of the same name and
//! `discovery.k8s.io/v1` EndpointSlices listing the selected pods.
//!
//! Watches on services, pods, nodes (zones) and slices feed a work queue of service keys;
//! a worker computes the wanted state with [`desired`] from the caches and writes the
//! difference. Existing Endpoints and slices are read live, so a lagging cache never makes
//! the worker create a second slice.

pub mod desired;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use berth_api::selectors::LabelSelector;
use berth_informer::{Informer, Informers};
use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::{Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tracing::{debug, instrument, warn};

use crate::Error;
use crate::gc::queue::WorkQueue;
use desired::{SERVICE_NAME_LABEL, endpoints_subsets, is_managed_slice, plan_slices, slice_groups};

const WORKERS: usize = 4;

/// (namespace, service name)
type ServiceKey = (String, String);

/// Runs the Endpoints and EndpointSlice controllers until `shutdown` completes.
pub async fn run_endpoints_controller(
    informers: Informers,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (services, services_writer) = reflector::store::<Service>();
    let client = informers.client().clone();
    let pods = informers.get::<Pod>();
    let (nodes, nodes_writer) = reflector::store::<Node>();
    let config = watcher::Config::default;
    let service_events = reflector::reflector(
        services_writer,
        watcher(Api::<Service>::all(client.clone()), config()),
    )
    .default_backoff()
    .touched_objects()
    .map(|e| e.map(|s| Changed::Service(Box::new(s))));
    let pod_events = pods.subscribe().filter_map(|event| {
        futures::future::ready(match event {
            watcher::Event::Apply(pod) | watcher::Event::InitApply(pod) => {
                Some(Ok(Changed::Pod(pod, false)))
            }
            watcher::Event::Delete(pod) => Some(Ok(Changed::Pod(pod, true))),
            watcher::Event::Init | watcher::Event::InitDone => None,
        })
    });
    let node_events = reflector::reflector(
        nodes_writer,
        watcher(Api::<Node>::all(client.clone()), config()),
    )
    .default_backoff()
    .touched_objects()
    .map(|e| e.map(|n| Changed::Node(Box::new(n))));
    let slice_events = watcher(
        Api::<EndpointSlice>::all(client.clone()),
        config().labels(SERVICE_NAME_LABEL),
    )
    .default_backoff()
    .touched_objects()
    .map(|e| e.map(Changed::Slice));
    let endpoints_events = watcher(Api::<Endpoints>::all(client.clone()), config())
        .default_backoff()
        .touched_objects()
        .map(|e| e.map(Changed::Endpoints));
    let events = stream::select_all([
        service_events.boxed(),
        pod_events.boxed(),
        node_events.boxed(),
        slice_events.boxed(),
        endpoints_events.boxed(),
    ]);

    let controller = Arc::new(EndpointsController {
        client,
        services,
        pods,
        nodes,
        queue: WorkQueue::new(),
    });
    let workers = async {
        let synced = futures::future::join3(
            controller.services.wait_until_ready(),
            controller.pods.synced(),
            controller.nodes.wait_until_ready(),
        )
        .await;
        if let (Ok(()), (), Ok(())) = synced {
            futures::future::join_all((0..WORKERS).map(|_| controller.work())).await;
        }
    };
    controller
        .queue
        .run_until(shutdown, controller.follow(events), workers)
        .await;
}

enum Changed {
    Service(Box<Service>),
    /// A pod, and whether it was deleted.
    Pod(Arc<Pod>, bool),
    Node(Box<Node>),
    Slice(EndpointSlice),
    Endpoints(Endpoints),
}

struct EndpointsController {
    client: Client,
    services: Store<Service>,
    pods: Informer<Pod>,
    nodes: Store<Node>,
    queue: Arc<WorkQueue<ServiceKey>>,
}

impl EndpointsController {
    /// Turns watch events into service keys. A pod's services are those its labels match
    /// now and those they matched before, so a relabelled pod leaves its old services.
    async fn follow(
        &self,
        mut events: impl futures::Stream<Item = Result<Changed, watcher::Error>> + Unpin,
    ) {
        let mut pod_services: HashMap<(String, String), HashSet<String>> = HashMap::new();
        while let Some(event) = events.next().await {
            let changed = match event {
                Ok(changed) => changed,
                Err(error) => {
                    warn!(%error, "endpoints controller watch failed; retrying");
                    continue;
                }
            };
            match changed {
                Changed::Service(service) => self.queue.add(key_of(&service.metadata)),
                Changed::Endpoints(endpoints) => self.queue.add(key_of(&endpoints.metadata)),
                Changed::Slice(slice) => {
                    let service = slice.labels().get(SERVICE_NAME_LABEL).cloned();
                    if let (Some(namespace), Some(service)) = (slice.namespace(), service) {
                        self.queue.add((namespace, service));
                    }
                }
                Changed::Pod(pod, deleted) => {
                    let namespace = pod.namespace().unwrap_or_default();
                    let pod_key = (namespace.clone(), pod.name_any());
                    let now = if deleted {
                        HashSet::new()
                    } else {
                        self.services_selecting(&pod)
                    };
                    let before = pod_services.remove(&pod_key).unwrap_or_default();
                    for service in now.union(&before) {
                        self.queue.add((namespace.clone(), service.clone()));
                    }
                    if !now.is_empty() {
                        pod_services.insert(pod_key, now);
                    }
                }
                Changed::Node(node) => {
                    // Zones only matter when they change; re-sync the services of its pods.
                    let name = node.name_any();
                    for pod in self.pods.list() {
                        if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(&name) {
                            for service in self.services_selecting(&pod) {
                                self.queue
                                    .add((pod.namespace().unwrap_or_default(), service));
                            }
                        }
                    }
                }
            }
        }
    }

    fn services_selecting(&self, pod: &Pod) -> HashSet<String> {
        let namespace = pod.namespace();
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        self.services
            .state()
            .iter()
            .filter(|s| s.namespace() == namespace)
            .filter(|s| managed_selector(s).is_some_and(|sel| sel.matches(&labels)))
            .map(|s| s.name_any())
            .collect()
    }

    async fn work(&self) {
        while let Some(key) = self.queue.next().await {
            match self.sync(&key).await {
                Ok(()) => self.queue.forget(&key),
                // Creates there keep failing until the namespace, and the service, are gone.
                Err(error) if error.is_namespace_terminating() => self.queue.forget(&key),
                Err(error) => {
                    warn!(namespace = %key.0, service = %key.1, %error, "endpoints sync failed; will retry");
                    self.queue.retry_later(key.clone());
                }
            }
            self.queue.done(&key);
        }
    }

    #[instrument(skip_all, fields(namespace = %key.0, service = %key.1))]
    async fn sync(&self, key: &ServiceKey) -> Result<(), Error> {
        let (namespace, name) = key;
        let endpoints_api = Api::<Endpoints>::namespaced(self.client.clone(), namespace);
        let service = self.services.get(&ObjectRef::new(name).within(namespace));
        let Some(service) = service else {
            // Slices go with their owner through the garbage collector; Endpoints have none.
            match endpoints_api.delete(name, &DeleteParams::default()).await {
                Ok(_) => debug!("service gone; deleted its Endpoints"),
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                Err(error) => return Err(error.into()),
            }
            return Ok(());
        };
        let Some(selector) = managed_selector(&service) else {
            // Endpoints of selector-less services belong to their users; ExternalName
            // services have none.
            return Ok(());
        };
        let pods: Vec<Arc<Pod>> = self
            .pods
            .list()
            .into_iter()
            .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()))
            .filter(|p| selector.matches(p.metadata.labels.as_ref().unwrap_or(&Default::default())))
            .collect();
        let pods: Vec<&Pod> = pods.iter().map(|p| p.as_ref()).collect();
        self.sync_endpoints(&endpoints_api, &service, &pods).await?;
        self.sync_slices(&service, &pods).await
    }

    async fn sync_endpoints(
        &self,
        api: &Api<Endpoints>,
        service: &Service,
        pods: &[&Pod],
    ) -> Result<(), Error> {
        let subsets = endpoints_subsets(service, pods);
        let subsets = (!subsets.is_empty()).then_some(subsets);
        let labels = desired::service_labels(service);
        let name = service.name_any();
        match api.get_opt(&name).await? {
            None => {
                let endpoints = Endpoints {
                    metadata: ObjectMeta {
                        name: Some(name),
                        labels: Some(labels),
                        ..ObjectMeta::default()
                    },
                    subsets,
                };
                match api.create(&PostParams::default(), &endpoints).await {
                    Ok(_) => debug!("created Endpoints"),
                    // Someone else created it meanwhile: the watch brings us back.
                    Err(kube::Error::Api(status)) if status.reason == "AlreadyExists" => {}
                    Err(error) => return Err(error.into()),
                }
            }
            Some(mut existing) => {
                let same_labels = existing.metadata.labels.clone().unwrap_or_default() == labels;
                if existing.subsets == subsets && same_labels {
                    return Ok(());
                }
                existing.subsets = subsets;
                existing.metadata.labels = Some(labels);
                // A conflict means it changed under us: the watch queues us again.
                api.replace(&name, &PostParams::default(), &existing)
                    .await?;
                debug!("updated Endpoints");
            }
        }
        Ok(())
    }

    async fn sync_slices(&self, service: &Service, pods: &[&Pod]) -> Result<(), Error> {
        let namespace = service.namespace().unwrap_or_default();
        let api = Api::<EndpointSlice>::namespaced(self.client.clone(), &namespace);
        let listed = api
            .list(
                &ListParams::default()
                    .labels(&format!("{SERVICE_NAME_LABEL}={}", service.name_any())),
            )
            .await?;
        let existing: Vec<EndpointSlice> =
            listed.items.into_iter().filter(is_managed_slice).collect();
        let zone_of = |node: &str| {
            let node = self.nodes.get(&ObjectRef::new(node))?;
            node.labels().get(desired::ZONE_LABEL).cloned()
        };
        let plan = plan_slices(service, &slice_groups(service, pods, zone_of), &existing);
        for slice in &plan.create {
            api.create(&PostParams::default(), slice).await?;
        }
        for slice in &plan.update {
            api.replace(&slice.name_any(), &PostParams::default(), slice)
                .await?;
        }
        for name in &plan.delete {
            match api.delete(name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.is_not_found() => {}
                Err(error) => return Err(error.into()),
            }
        }
        if plan.create.len() + plan.update.len() + plan.delete.len() > 0 {
            debug!(
                created = plan.create.len(),
                updated = plan.update.len(),
                deleted = plan.delete.len(),
                "synced EndpointSlices"
            );
        }
        Ok(())
    }
}

fn key_of(meta: &ObjectMeta) -> ServiceKey {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The pod selector of a service whose endpoints this controller manages; `None` for
/// services without one and for ExternalName services (a DNS alias, upstream issue
/// 105986), whose Endpoints and slices are left as they are, as upstream does.
fn managed_selector(service: &Service) -> Option<LabelSelector> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    let selector = spec.selector.as_ref()?;
    let k8s = k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
        match_labels: Some(selector.clone()),
        match_expressions: None,
    };
    LabelSelector::from_k8s(&k8s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_services_with_a_selector_and_not_external_names_are_managed() {
        let service = |spec: serde_json::Value| -> Service {
            serde_json::from_value(json!({"metadata": {"name": "s"}, "spec": spec})).unwrap()
        };
        let labels = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(managed_selector(&service(json!({"ports": [{"port": 80}]}))).is_none());
        let selector = managed_selector(&service(json!({"selector": {"app": "web"}}))).unwrap();
        assert!(selector.matches(&labels(&[("app", "web"), ("x", "y")])));
        assert!(!selector.matches(&labels(&[("app", "db")])));
        let alias = service(
            json!({"type": "ExternalName", "externalName": "db.example.com",
            "selector": {"app": "web"}}),
        );
        assert!(managed_selector(&alias).is_none());
    }
}
