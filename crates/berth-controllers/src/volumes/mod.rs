//! Volumes: the PersistentVolume binder (upstream `pkg/controller/volume/persistentvolume`),
//! berth's built-in local-path provisioner (StorageClass `local-path`, one directory per
//! volume), reclaim (Delete / Retain), retroactive default StorageClass assignment, and the
//! `pvc-protection` / `pv-protection` finalizers.
//!
//! Watches on claims, volumes, classes, pods and nodes feed one work queue of claims and
//! volumes. A worker re-reads the object, takes a decision from [`decide`] and applies it
//! with plain API calls; the watch events those writes cause bring the next step.

pub mod decide;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use berth_api::pods::claim_names;
use berth_informer::{Informer, Informers};
use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::{
    Node, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimStatus,
    PersistentVolumeStatus, Pod,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::json;
use tracing::{debug, info, instrument, warn};

use crate::Error;
use crate::events::{EventRecorder, EventType, Report, object_reference};
use crate::gc::queue::WorkQueue;
use decide::{
    BIND_COMPLETED_ANNOTATION, BOUND_BY_CONTROLLER_ANNOTATION, ClaimStep, FinalizerChange,
    LOCAL_PATH_CLASS, LOCAL_PATH_PROVISIONER, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER,
    SELECTED_NODE_ANNOTATION, STORAGE_PROVISIONER_ANNOTATION, VolumeStep,
};

const WORKERS: usize = 4;

/// Where local-path volumes live.
#[derive(Debug, Clone)]
pub struct VolumesConfig {
    /// Volumes are directories `<base_dir>/volumes/pvc-<claim uid>`.
    pub base_dir: PathBuf,
    /// Create and delete the directories (when the volumes are on this machine); when
    /// false (simulated nodes) the paths are only recorded in the volumes.
    pub create_dirs: bool,
}

/// Creates the `local-path` StorageClass (the default class) unless it exists.
pub async fn ensure_default_storage_class(client: &Client) -> Result<(), Error> {
    let api = Api::<StorageClass>::all(client.clone());
    if api.get_opt(LOCAL_PATH_CLASS).await?.is_some() {
        return Ok(());
    }
    match api
        .create(&PostParams::default(), &decide::local_path_storage_class())
        .await
    {
        Ok(_) => {
            info!("created the default StorageClass local-path");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.reason == "AlreadyExists" => Ok(()),
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Work {
    Claim(String, String),
    Volume(String),
}

enum Changed {
    Claim(Box<PersistentVolumeClaim>),
    Volume(Box<PersistentVolume>),
    Class,
    Pod(Arc<Pod>),
    Node,
}

/// Runs the binder, provisioner and protection controllers until `shutdown` completes.
/// Creates the `local-path` StorageClass first if it is missing.
pub async fn run_volume_controller(
    informers: Informers,
    config: VolumesConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (claims, claims_writer) = reflector::store::<PersistentVolumeClaim>();
    let (volumes, volumes_writer) = reflector::store::<PersistentVolume>();
    let (classes, classes_writer) = reflector::store::<StorageClass>();
    let client = informers.client().clone();
    let pods = informers.get::<Pod>();
    let (nodes, nodes_writer) = reflector::store::<Node>();
    let watch = watcher::Config::default;
    let events = stream::select_all([
        reflector::reflector(claims_writer, watcher(Api::all(client.clone()), watch()))
            .default_backoff()
            .touched_objects()
            .map(|e| e.map(|c| Changed::Claim(Box::new(c))))
            .boxed(),
        reflector::reflector(volumes_writer, watcher(Api::all(client.clone()), watch()))
            .default_backoff()
            .touched_objects()
            .map(|e| e.map(|v| Changed::Volume(Box::new(v))))
            .boxed(),
        reflector::reflector(classes_writer, watcher(Api::all(client.clone()), watch()))
            .default_backoff()
            .touched_objects()
            .map(|e| e.map(|_: StorageClass| Changed::Class))
            .boxed(),
        pods.touched_objects()
            .map(|pod| Ok(Changed::Pod(pod)))
            .boxed(),
        reflector::reflector(nodes_writer, watcher(Api::all(client.clone()), watch()))
            .default_backoff()
            .touched_objects()
            .map(|e| e.map(|_: Node| Changed::Node))
            .boxed(),
    ]);
    let controller = Arc::new(VolumeController {
        binder_events: EventRecorder::new(client.clone(), "persistentvolume-controller"),
        provisioner_events: EventRecorder::new(client.clone(), LOCAL_PATH_PROVISIONER),
        client,
        config,
        claims,
        volumes,
        classes,
        pods,
        nodes,
        queue: WorkQueue::new(),
    });
    let workers = async {
        if let Err(error) = ensure_default_storage_class(&controller.client).await {
            warn!(%error, "cannot create the local-path StorageClass");
        }
        let synced = futures::future::join5(
            controller.claims.wait_until_ready(),
            controller.volumes.wait_until_ready(),
            controller.classes.wait_until_ready(),
            controller.pods.synced(),
            controller.nodes.wait_until_ready(),
        )
        .await;
        if let (Ok(()), Ok(()), Ok(()), (), Ok(())) = synced {
            futures::future::join_all((0..WORKERS).map(|_| controller.work())).await;
        }
    };
    controller
        .queue
        .run_until(shutdown, controller.follow(events), workers)
        .await;
}

struct VolumeController {
    client: Client,
    config: VolumesConfig,
    binder_events: EventRecorder,
    /// Events of the provisioner, under its own name as an external provisioner's are.
    provisioner_events: EventRecorder,
    claims: Store<PersistentVolumeClaim>,
    volumes: Store<PersistentVolume>,
    classes: Store<StorageClass>,
    pods: Informer<Pod>,
    nodes: Store<Node>,
    queue: Arc<WorkQueue<Work>>,
}

impl VolumeController {
    async fn follow(
        &self,
        mut events: impl futures::Stream<Item = Result<Changed, watcher::Error>> + Unpin,
    ) {
        while let Some(event) = events.next().await {
            match event {
                Ok(Changed::Claim(claim)) => {
                    let namespace = claim.namespace().unwrap_or_default();
                    let name = claim.name_any();
                    // Volumes that name the claim learn of its binding or its deletion.
                    for volume in self.volumes.state() {
                        let reference = decide::claim_ref(&volume);
                        if reference.is_some_and(|r| {
                            r.namespace.as_deref() == Some(&namespace)
                                && r.name.as_deref() == Some(&name)
                        }) {
                            self.queue.add(Work::Volume(volume.name_any()));
                        }
                    }
                    self.queue.add(Work::Claim(namespace, name));
                }
                Ok(Changed::Volume(volume)) => {
                    if let Some(reference) = decide::claim_ref(&volume)
                        && let (Some(namespace), Some(name)) =
                            (&reference.namespace, &reference.name)
                    {
                        self.queue.add(Work::Claim(namespace.clone(), name.clone()));
                    }
                    self.queue.add(Work::Volume(volume.name_any()));
                }
                // A new class, or a new default, may unblock pending claims.
                Ok(Changed::Class | Changed::Node) => {
                    for claim in self.claims.state() {
                        let spec = claim.spec.as_ref();
                        if spec
                            .and_then(|s| s.volume_name.as_deref())
                            .unwrap_or_default()
                            .is_empty()
                        {
                            self.queue.add(Work::Claim(
                                claim.namespace().unwrap_or_default(),
                                claim.name_any(),
                            ));
                        }
                    }
                }
                // Pods hold their claims (protection).
                Ok(Changed::Pod(pod)) => {
                    let namespace = pod.namespace().unwrap_or_default();
                    for claim in claim_names(&pod) {
                        self.queue.add(Work::Claim(namespace.clone(), claim));
                    }
                }
                Err(error) => warn!(%error, "volume controller watch failed; retrying"),
            }
        }
    }

    async fn work(&self) {
        while let Some(item) = self.queue.next().await {
            let result = match &item {
                Work::Claim(namespace, name) => self.sync_claim(namespace, name).await,
                Work::Volume(name) => self.sync_volume(name).await,
            };
            self.queue.finish(&item, result, "volumes");
        }
    }

    fn claims_api(&self, namespace: &str) -> Api<PersistentVolumeClaim> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn volumes_api(&self) -> Api<PersistentVolume> {
        Api::all(self.client.clone())
    }

    fn publish(
        &self,
        recorder: &EventRecorder,
        object: &impl k8s_openapi::Metadata<Ty = ObjectMeta>,
        type_: EventType,
        reason: &str,
        note: String,
    ) {
        recorder.publish(&object_reference(object), Report::new(type_, reason, note));
    }

    #[instrument(skip_all, fields(namespace, claim = name))]
    async fn sync_claim(&self, namespace: &str, name: &str) -> Result<(), Error> {
        tracing::Span::current().record("namespace", namespace);
        let api = self.claims_api(namespace);
        let Some(claim) = api.get_opt(name).await? else {
            return Ok(());
        };
        if self.protect_claim(&api, &claim).await? || claim.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let volumes = self.volumes.state();
        let classes = self.classes.state();
        let class_name = claim
            .spec
            .as_ref()
            .and_then(|s| s.storage_class_name.as_deref());
        let class = classes
            .iter()
            .find(|c| c.metadata.name.as_deref() == class_name.filter(|n| !n.is_empty()));
        let default_class = decide::default_storage_class_for(classes.iter().map(|c| c.as_ref()));
        let node_labels = claim
            .annotations()
            .get(SELECTED_NODE_ANNOTATION)
            .and_then(|node| self.nodes.get(&ObjectRef::new(node)))
            .map(|node| node.labels().clone());
        let step = decide::plan_claim(
            &claim,
            volumes.iter().map(|v| v.as_ref()),
            class.map(|c| c.as_ref()),
            default_class,
            node_labels.as_ref(),
        );
        debug!(?step, "claim");
        match step {
            ClaimStep::Nothing => Ok(()),
            ClaimStep::AssignClass(class) => {
                info!(%class, "assigning the default StorageClass");
                let patch = json!({
                    "metadata": {"resourceVersion": claim.resource_version()},
                    "spec": {"storageClassName": class},
                });
                api.patch(name, &PatchParams::default(), &Patch::Merge(patch))
                    .await?;
                Ok(())
            }
            ClaimStep::Bind(volume) => self.bind(&api, claim, &volume).await,
            ClaimStep::FinishBinding(volume) => {
                let Some(volume) = self.volumes_api().get_opt(&volume).await? else {
                    return Ok(());
                };
                self.finish_claim_binding(&api, claim, &volume).await
            }
            ClaimStep::WaitForFirstConsumer => {
                self.set_claim_phase(&api, &claim, "Pending").await?;
                self.publish(
                    &self.binder_events,
                    &claim,
                    EventType::Normal,
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding".into(),
                );
                Ok(())
            }
            ClaimStep::Provision { provisioner, node } => {
                self.set_claim_phase(&api, &claim, "Pending").await?;
                self.provision(
                    &api,
                    claim,
                    class.map(|c| c.as_ref()),
                    &provisioner,
                    node.as_deref(),
                )
                .await
            }
            ClaimStep::Pending(message) => {
                self.set_claim_phase(&api, &claim, "Pending").await?;
                let (type_, reason) =
                    if class_name.is_some_and(|n| !n.is_empty()) && class.is_none() {
                        (EventType::Warning, "ProvisioningFailed")
                    } else {
                        (EventType::Normal, "FailedBinding")
                    };
                self.publish(&self.binder_events, &claim, type_, reason, message);
                Ok(())
            }
            ClaimStep::Lost => {
                if claim.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Lost") {
                    self.set_claim_phase(&api, &claim, "Lost").await?;
                    self.publish(
                        &self.binder_events,
                        &claim,
                        EventType::Warning,
                        "ClaimLost",
                        "Bound claim has lost its PersistentVolume. Data on the claim is lost!"
                            .into(),
                    );
                }
                Ok(())
            }
            ClaimStep::Misbound => {
                self.publish(
                    &self.binder_events,
                    &claim,
                    EventType::Warning,
                    "ClaimMisbound",
                    "Two claims are bound to the same volume, this one is bound incorrectly".into(),
                );
                Ok(())
            }
        }
    }

    /// Adds or removes `kubernetes.io/pvc-protection`. True when it wrote something.
    async fn protect_claim(
        &self,
        api: &Api<PersistentVolumeClaim>,
        claim: &PersistentVolumeClaim,
    ) -> Result<bool, Error> {
        let namespace = claim.namespace().unwrap_or_default();
        let cached: Vec<Arc<Pod>> = self
            .pods
            .list()
            .into_iter()
            .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()))
            .collect();
        let cached: Vec<&Pod> = cached.iter().map(|p| p.as_ref()).collect();
        let change = match decide::pvc_protection(claim, &cached) {
            // The cache may miss a pod created a moment ago: ask the server before letting go.
            FinalizerChange::Remove => {
                let live = Api::<Pod>::namespaced(self.client.clone(), &namespace)
                    .list(&ListParams::default())
                    .await?;
                let live: Vec<&Pod> = live.items.iter().collect();
                decide::pvc_protection(claim, &live)
            }
            change => change,
        };
        let written =
            edit_finalizer(api, &claim.metadata, PVC_PROTECTION_FINALIZER, change).await?;
        if written && change == FinalizerChange::Remove {
            info!("no pod uses the claim any more; removed the pvc-protection finalizer");
        }
        Ok(written)
    }

    /// Binds both sides: the volume's claimRef and phase, then the claim.
    async fn bind(
        &self,
        claims: &Api<PersistentVolumeClaim>,
        claim: PersistentVolumeClaim,
        volume_name: &str,
    ) -> Result<(), Error> {
        let volumes = self.volumes_api();
        let Some(mut volume) = volumes.get_opt(volume_name).await? else {
            return Ok(());
        };
        let fully_bound = decide::claim_ref(&volume)
            .and_then(|r| r.uid.as_deref())
            .is_some_and(|uid| Some(uid) == claim.metadata.uid.as_deref());
        if !fully_bound {
            let set_by_us = !decide::is_bound_to(&volume, &claim);
            let spec = volume.spec.get_or_insert_with(Default::default);
            spec.claim_ref = Some(object_reference(&claim));
            if set_by_us {
                volume.annotations_mut().insert(
                    BOUND_BY_CONTROLLER_ANNOTATION.to_string(),
                    "yes".to_string(),
                );
            }
            volume = volumes
                .replace(volume_name, &PostParams::default(), &volume)
                .await?;
            info!(volume = volume_name, "bound volume to claim");
        }
        if decide::volume_phase(&volume) != "Bound" {
            volume.status = Some(PersistentVolumeStatus {
                phase: Some("Bound".to_string()),
                ..volume.status.clone().unwrap_or_default()
            });
            volume = volumes
                .replace_status(volume_name, &PostParams::default(), &volume)
                .await?;
        }
        self.finish_claim_binding(claims, claim, &volume).await
    }

    /// The claim's side of a binding: volumeName and annotations, then status.
    async fn finish_claim_binding(
        &self,
        api: &Api<PersistentVolumeClaim>,
        mut claim: PersistentVolumeClaim,
        volume: &PersistentVolume,
    ) -> Result<(), Error> {
        let name = claim.name_any();
        let volume_name = volume.name_any();
        let spec = claim.spec.get_or_insert_with(Default::default);
        let unbound = spec.volume_name.as_deref().unwrap_or_default().is_empty();
        let completed = claim.annotations().contains_key(BIND_COMPLETED_ANNOTATION);
        if unbound || !completed {
            if let Some(spec) = claim.spec.as_mut() {
                spec.volume_name = Some(volume_name.clone());
            }
            let annotations = claim.annotations_mut();
            annotations.insert(BIND_COMPLETED_ANNOTATION.to_string(), "yes".to_string());
            if unbound {
                annotations.insert(
                    BOUND_BY_CONTROLLER_ANNOTATION.to_string(),
                    "yes".to_string(),
                );
            }
            claim = api.replace(&name, &PostParams::default(), &claim).await?;
        }
        let volume_spec = volume.spec.clone().unwrap_or_default();
        let status = claim.status.clone().unwrap_or_default();
        let wanted = PersistentVolumeClaimStatus {
            phase: Some("Bound".to_string()),
            access_modes: volume_spec.access_modes,
            capacity: volume_spec.capacity,
            ..status.clone()
        };
        if wanted != status {
            claim.status = Some(wanted);
            api.replace_status(&name, &PostParams::default(), &claim)
                .await?;
            info!(volume = %volume_name, "claim bound");
        }
        Ok(())
    }

    async fn set_claim_phase(
        &self,
        api: &Api<PersistentVolumeClaim>,
        claim: &PersistentVolumeClaim,
        phase: &str,
    ) -> Result<(), Error> {
        if claim.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(phase) {
            return Ok(());
        }
        let mut updated = claim.clone();
        updated.status.get_or_insert_with(Default::default).phase = Some(phase.to_string());
        api.replace_status(&claim.name_any(), &PostParams::default(), &updated)
            .await?;
        Ok(())
    }

    /// Provisions a volume for the claim: announces the provisioner on the claim (as the
    /// in-tree controller does for out-of-tree provisioners), and when it is berth's own,
    /// makes the directory and creates the volume, pre-bound to the claim.
    async fn provision(
        &self,
        api: &Api<PersistentVolumeClaim>,
        claim: PersistentVolumeClaim,
        class: Option<&StorageClass>,
        provisioner: &str,
        node: Option<&str>,
    ) -> Result<(), Error> {
        let name = claim.name_any();
        if claim
            .annotations()
            .get(STORAGE_PROVISIONER_ANNOTATION)
            .map(String::as_str)
            != Some(provisioner)
        {
            let patch = json!({"metadata": {
                "resourceVersion": claim.resource_version(),
                "annotations": {
                    STORAGE_PROVISIONER_ANNOTATION: provisioner,
                    decide::BETA_STORAGE_PROVISIONER_ANNOTATION: provisioner,
                },
            }});
            api.patch(&name, &PatchParams::default(), &Patch::Merge(patch))
                .await?;
            self.publish(
                &self.binder_events,
                &claim,
                EventType::Normal,
                "ExternalProvisioning",
                format!(
                    "Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
                ),
            );
            // The annotation's watch event brings the claim back for the next step.
            return Ok(());
        }
        let Some(class) = class.filter(|_| provisioner == LOCAL_PATH_PROVISIONER) else {
            return Ok(());
        };
        let volume_name = decide::provisioned_volume_name(&claim);
        if self.volumes.get(&ObjectRef::new(&volume_name)).is_some() {
            return Ok(());
        }
        let namespace = claim.namespace().unwrap_or_default();
        self.publish(
            &self.provisioner_events,
            &claim,
            EventType::Normal,
            "Provisioning",
            format!("External provisioner is provisioning volume for claim \"{namespace}/{name}\""),
        );
        let volume = decide::provisioned_volume(&claim, class, node, &self.config.base_dir);
        if self.config.create_dirs {
            let path = volume_path(&volume);
            if let Err(error) = std::fs::create_dir_all(&path) {
                let message = format!(
                    "failed to provision volume with StorageClass \"{}\": {error}",
                    class.name_any()
                );
                self.publish(
                    &self.provisioner_events,
                    &claim,
                    EventType::Warning,
                    "ProvisioningFailed",
                    message.clone(),
                );
                return Err(Error::Decode(message));
            }
        }
        match self
            .volumes_api()
            .create(&PostParams::default(), &volume)
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.reason == "AlreadyExists" => return Ok(()),
            Err(error) => return Err(error.into()),
        }
        info!(volume = %volume_name, node, "provisioned volume");
        self.publish(
            &self.provisioner_events,
            &claim,
            EventType::Normal,
            "ProvisioningSucceeded",
            format!("Successfully provisioned volume {volume_name}"),
        );
        Ok(())
    }

    #[instrument(skip_all, fields(volume = name))]
    async fn sync_volume(&self, name: &str) -> Result<(), Error> {
        let api = self.volumes_api();
        let Some(volume) = api.get_opt(name).await? else {
            return Ok(());
        };
        let change = decide::pv_protection(&volume);
        if edit_finalizer(&api, &volume.metadata, PV_PROTECTION_FINALIZER, change).await? {
            return Ok(());
        }
        let claim = match decide::claim_ref(&volume) {
            Some(reference) => {
                let namespace = reference.namespace.clone().unwrap_or_default();
                let name = reference.name.clone().unwrap_or_default();
                self.claims.get(&ObjectRef::new(&name).within(&namespace))
            }
            None => None,
        };
        let mut step = decide::plan_volume(&volume, claim.as_deref());
        if matches!(step, VolumeStep::SetPhase("Released") | VolumeStep::Delete) {
            // Releasing is for good: make sure the claim is really gone, not just unseen.
            if let Some(reference) = decide::claim_ref(&volume) {
                let namespace = reference.namespace.clone().unwrap_or_default();
                let live = self
                    .claims_api(&namespace)
                    .get_opt(reference.name.as_deref().unwrap_or_default())
                    .await?;
                step = decide::plan_volume(&volume, live.as_ref());
            }
        }
        debug!(?step, "volume");
        match step {
            VolumeStep::Nothing => Ok(()),
            VolumeStep::SetPhase(phase) => {
                let mut updated = volume.clone();
                updated.status = Some(PersistentVolumeStatus {
                    phase: Some(phase.to_string()),
                    last_phase_transition_time: Some(
                        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now()),
                    ),
                    ..PersistentVolumeStatus::default()
                });
                api.replace_status(name, &PostParams::default(), &updated)
                    .await?;
                info!(phase, "volume phase");
                Ok(())
            }
            VolumeStep::Unbind => {
                let mut updated = volume.clone();
                if let Some(spec) = updated.spec.as_mut() {
                    spec.claim_ref = None;
                }
                updated
                    .annotations_mut()
                    .remove(BOUND_BY_CONTROLLER_ANNOTATION);
                api.replace(name, &PostParams::default(), &updated).await?;
                Ok(())
            }
            VolumeStep::Delete => {
                if self.config.create_dirs {
                    let path = volume_path(&volume);
                    // Only ever remove what this provisioner made.
                    if path.starts_with(self.config.base_dir.join("volumes")) {
                        match std::fs::remove_dir_all(&path) {
                            Ok(()) => {}
                            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                            Err(error) => {
                                self.publish(
                                    &self.binder_events,
                                    &volume,
                                    EventType::Warning,
                                    "VolumeFailedDelete",
                                    format!("failed to delete {}: {error}", path.display()),
                                );
                                return Err(Error::Decode(error.to_string()));
                            }
                        }
                    }
                }
                match api.delete(name, &DeleteParams::default()).await {
                    Ok(_) => info!("reclaimed: deleted the volume"),
                    Err(kube::Error::Api(status)) if status.is_not_found() => {}
                    Err(error) => return Err(error.into()),
                }
                Ok(())
            }
            VolumeStep::Fail(message) => {
                let mut updated = volume.clone();
                updated.status = Some(PersistentVolumeStatus {
                    phase: Some("Failed".to_string()),
                    message: Some(message.clone()),
                    ..volume.status.clone().unwrap_or_default()
                });
                api.replace_status(name, &PostParams::default(), &updated)
                    .await?;
                self.publish(
                    &self.binder_events,
                    &volume,
                    EventType::Warning,
                    "VolumeFailedDelete",
                    message,
                );
                Ok(())
            }
        }
    }
}

fn volume_path(volume: &PersistentVolume) -> PathBuf {
    let source = volume.spec.as_ref().and_then(|s| s.host_path.as_ref());
    Path::new(source.map(|h| h.path.as_str()).unwrap_or_default()).to_path_buf()
}

/// Adds or removes one finalizer with a merge patch guarded by resourceVersion. True when
/// it wrote.
async fn edit_finalizer<K>(
    api: &Api<K>,
    meta: &ObjectMeta,
    finalizer: &str,
    change: FinalizerChange,
) -> Result<bool, Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut finalizers = meta.finalizers.clone().unwrap_or_default();
    match change {
        FinalizerChange::Keep => return Ok(false),
        FinalizerChange::Add => finalizers.push(finalizer.to_string()),
        FinalizerChange::Remove => finalizers.retain(|f| f != finalizer),
    }
    let patch = json!({"metadata": {
        "resourceVersion": meta.resource_version,
        "finalizers": finalizers,
    }});
    let name = meta.name.clone().unwrap_or_default();
    match api
        .patch(&name, &PatchParams::default(), &Patch::Merge(patch))
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(true),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_paths_come_from_host_path() {
        let claim: PersistentVolumeClaim = serde_json::from_value(json!({
            "metadata": {"name": "c", "namespace": "ns", "uid": "u1"},
            "spec": {"resources": {"requests": {"storage": "1Gi"}}}
        }))
        .unwrap();
        let volume = decide::provisioned_volume(
            &claim,
            &decide::local_path_storage_class(),
            None,
            Path::new("/srv/berth"),
        );
        assert_eq!(volume_path(&volume), Path::new("/srv/berth/volumes/pvc-u1"));
        assert!(volume_path(&volume).starts_with("/srv/berth/volumes"));
        let reference = object_reference(&claim);
        assert_eq!(
            (
                reference.kind.as_deref(),
                reference.uid.as_deref(),
                reference.name.as_deref()
            ),
            (Some("PersistentVolumeClaim"), Some("u1"), Some("c"))
        );
    }
}
