//! Carries out a [`Plan`] through [`PodControl`], recording the Events upstream's
//! `StatefulPodControl` records ("create Pod web-0 in StatefulSet web successful", …).
//! [`KubeControl`] is the real implementation over `kube::Api`; tests use a fake.

use std::future::Future;

use futures::future::join_all;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::{Client, Resource};
use serde_json::json;

use super::identity::{set_name, set_namespace};
use super::plan::{Action, OwnedKind, Plan};
use crate::Error;
use crate::events::{EventRecorder, EventType, Report, object_reference};

/// Attempts of the status write before giving up to the retry queue.
const STATUS_RETRIES: usize = 5;

/// The writes the controller makes. Each answers with the API server's error, if any.
pub trait PodControl: Sync {
    fn create_pod(&self, pod: &Pod) -> impl Future<Output = kube::Result<()>> + Send;
    /// Deletes the pod if it still has this UID.
    fn delete_pod(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
    ) -> impl Future<Output = kube::Result<()>> + Send;
    fn update_pod(&self, pod: &Pod) -> impl Future<Output = kube::Result<()>> + Send;
    fn create_claim(
        &self,
        claim: &PersistentVolumeClaim,
    ) -> impl Future<Output = kube::Result<()>> + Send;
    fn get_claim(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = kube::Result<Option<PersistentVolumeClaim>>> + Send;
    /// Replaces the ownerReferences of a pod, claim or revision, guarded by its UID and
    /// resourceVersion.
    fn set_owners(
        &self,
        kind: OwnedKind,
        namespace: &str,
        name: &str,
        uid: &str,
        resource_version: Option<&str>,
        owners: &[OwnerReference],
    ) -> impl Future<Output = kube::Result<()>> + Send;
    fn create_revision(
        &self,
        revision: &ControllerRevision,
    ) -> impl Future<Output = kube::Result<()>> + Send;
    fn get_revision(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = kube::Result<Option<ControllerRevision>>> + Send;
    fn bump_revision(
        &self,
        namespace: &str,
        name: &str,
        revision: i64,
    ) -> impl Future<Output = kube::Result<()>> + Send;
    fn delete_revision(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = kube::Result<()>> + Send;
    fn get_set(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = kube::Result<Option<StatefulSet>>> + Send;
    /// Writes `set.status` through the status subresource (guarded by its resourceVersion).
    fn update_status(&self, set: &StatefulSet) -> impl Future<Output = kube::Result<()>> + Send;
    /// Records an Event on the set; never fails.
    fn record(&self, set: &StatefulSet, report: Report);
}

/// How a plan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executed {
    Done,
    /// The update revision's name is taken by a revision with other data: plan again with
    /// `collisionCount + 1`.
    Collision,
}

fn is_status(error: &kube::Error, test: impl Fn(&kube::core::Status) -> bool) -> bool {
    matches!(error, kube::Error::Api(status) if test(status))
}

fn is_not_found(error: &kube::Error) -> bool {
    is_status(error, |s| s.is_not_found())
}

fn is_already_exists(error: &kube::Error) -> bool {
    is_status(error, |s| s.is_already_exists())
}

fn is_conflict(error: &kube::Error) -> bool {
    is_status(error, |s| s.is_conflict())
}

/// The error as upstream prints it in event messages: the server's message.
fn error_text(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// Runs `plan` for `set`: preparation, then the stages (stopping after the first stage
/// with a failure), then the status write (even after a failure, as upstream does), then
/// history pruning.
pub async fn execute<C: PodControl>(
    control: &C,
    set: &StatefulSet,
    plan: &Plan,
) -> Result<Executed, Error> {
    let runner = Runner { control, set };
    for action in &plan.prepare {
        if let Action::CreateRevision(revision) = action {
            if !runner.create_revision(revision).await? {
                return Ok(Executed::Collision);
            }
        } else {
            runner.run(action).await?;
        }
    }
    let mut failure = None;
    for stage in &plan.stages {
        let results = join_all(stage.iter().map(|lane| runner.run_lane(lane))).await;
        if let Some(error) = results.into_iter().find_map(Result::err) {
            failure = Some(error);
            break;
        }
    }
    if plan.write_status {
        runner.write_status(&plan.status).await?;
    }
    if let Some(error) = failure {
        return Err(error.into());
    }
    for name in &plan.prune {
        match control.delete_revision(set_namespace(set), name).await {
            Err(error) if !is_not_found(&error) => return Err(error.into()),
            _ => {}
        }
    }
    Ok(Executed::Done)
}

struct Runner<'a, C> {
    control: &'a C,
    set: &'a StatefulSet,
}

impl<C: PodControl> Runner<'_, C> {
    fn namespace(&self) -> &str {
        set_namespace(self.set)
    }

    fn record(&self, event_type: EventType, reason: &str, message: String) {
        self.control
            .record(self.set, Report::new(event_type, reason, message));
    }

    /// Upstream `recordPodEvent`.
    fn record_pod(&self, verb: &str, pod: &str, result: &kube::Result<()>) {
        let set = set_name(self.set);
        match result {
            Ok(()) => self.record(
                EventType::Normal,
                &format!("Successful{}", title(verb)),
                format!("{verb} Pod {pod} in StatefulSet {set} successful"),
            ),
            Err(error) => self.record(
                EventType::Warning,
                &format!("Failed{}", title(verb)),
                format!(
                    "{verb} Pod {pod} in StatefulSet {set} failed error: {}",
                    error_text(error)
                ),
            ),
        }
    }

    async fn run_lane(&self, lane: &[Action]) -> kube::Result<()> {
        for action in lane {
            self.run(action).await?;
        }
        Ok(())
    }

    async fn run(&self, action: &Action) -> kube::Result<()> {
        let namespace = self.namespace();
        match action {
            Action::SetOwners {
                kind,
                name,
                uid,
                resource_version,
                owner_references,
            } => {
                let result = self
                    .control
                    .set_owners(
                        *kind,
                        namespace,
                        name,
                        uid,
                        resource_version.as_deref(),
                        owner_references,
                    )
                    .await;
                // Gone already: nothing left to own or release.
                ignore(result, is_not_found)
            }
            Action::CreateRevision(revision) => self.control.create_revision(revision).await,
            Action::BumpRevision { name, revision } => {
                self.control.bump_revision(namespace, name, *revision).await
            }
            Action::CreatePod { pod, claims } => {
                let pod_name = pod.metadata.name.as_deref().unwrap_or_default();
                if let Err(error) = self.create_claims(pod_name, claims).await {
                    self.record_pod("create", pod_name, &Err(clone_error(&error)));
                    return Err(error);
                }
                match self.control.create_pod(pod).await {
                    // The cache had not seen it yet: nothing to do, the watch will tell.
                    Err(error) if is_already_exists(&error) => Ok(()),
                    result => {
                        self.record_pod("create", pod_name, &result);
                        result
                    }
                }
            }
            Action::CreateClaims { pod, claims } => self.create_claims(pod, claims).await,
            Action::DeletePod { name, uid } => {
                match self.control.delete_pod(namespace, name, uid).await {
                    // Gone, or replaced by a newer pod of the same name: nothing to delete.
                    Err(error) if is_not_found(&error) || is_conflict(&error) => Ok(()),
                    result => {
                        self.record_pod("delete", name, &result);
                        result
                    }
                }
            }
            Action::UpdatePod(pod) => {
                let result = self.control.update_pod(pod).await;
                self.record_pod(
                    "update",
                    pod.metadata.name.as_deref().unwrap_or_default(),
                    &result,
                );
                result
            }
            Action::Event(report) => {
                self.control.record(self.set, report.clone());
                Ok(())
            }
        }
    }

    /// Creates claims, recording upstream's claim events. A claim that exists already is
    /// fine unless it is being deleted (kubernetes#93457).
    async fn create_claims(&self, pod: &str, claims: &[PersistentVolumeClaim]) -> kube::Result<()> {
        let set = set_name(self.set);
        for claim in claims {
            let name = claim.metadata.name.as_deref().unwrap_or_default();
            match self.control.create_claim(claim).await {
                Ok(()) => self.record(
                    EventType::Normal,
                    "SuccessfulCreate",
                    format!("create Claim {name} Pod {pod} in StatefulSet {set} success"),
                ),
                Err(error) if is_already_exists(&error) => {
                    let existing = self.control.get_claim(self.namespace(), name).await?;
                    if existing.is_some_and(|c| c.metadata.deletion_timestamp.is_some()) {
                        return Err(kube::Error::Api(Box::new(
                            kube::core::Status::failure(
                                &format!("pvc {name} is being deleted"),
                                "Conflict",
                            )
                            .with_code(409),
                        )));
                    }
                }
                Err(error) => {
                    self.record(
                        EventType::Warning,
                        "FailedCreate",
                        format!(
                            "create Claim {name} for Pod {pod} in StatefulSet {set} failed error: {}",
                            error_text(&error)
                        ),
                    );
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Creates the update revision; `false` on a name collision with other data.
    async fn create_revision(&self, revision: &ControllerRevision) -> Result<bool, Error> {
        match self.control.create_revision(revision).await {
            Ok(()) => Ok(true),
            Err(error) if is_already_exists(&error) => {
                let name = revision.metadata.name.as_deref().unwrap_or_default();
                let existing = self.control.get_revision(self.namespace(), name).await?;
                Ok(existing.is_some_and(|e| e.data == revision.data))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Writes the status, re-reading the set after each conflict.
    async fn write_status(&self, status: &StatefulSetStatus) -> Result<(), Error> {
        let mut latest = self.set.clone();
        for _ in 0..STATUS_RETRIES {
            latest.status = Some(status.clone());
            match self.control.update_status(&latest).await {
                Ok(()) => return Ok(()),
                Err(error) if is_conflict(&error) => {
                    match self
                        .control
                        .get_set(self.namespace(), set_name(self.set))
                        .await?
                    {
                        Some(fresh) if fresh.metadata.uid == self.set.metadata.uid => {
                            latest = fresh;
                        }
                        // Deleted (or replaced) meanwhile: no status to write.
                        _ => return Ok(()),
                    }
                }
                Err(error) if is_not_found(&error) => return Ok(()),
                Err(error) => return Err(error.into()),
            }
        }
        Err(Error::Conflict(format!(
            "status of statefulset {}/{}",
            self.namespace(),
            set_name(self.set)
        )))
    }
}

fn ignore(result: kube::Result<()>, benign: impl Fn(&kube::Error) -> bool) -> kube::Result<()> {
    match result {
        Err(error) if benign(&error) => Ok(()),
        other => other,
    }
}

/// kube::Error is not Clone; events only need its text.
fn clone_error(error: &kube::Error) -> kube::Error {
    match error {
        kube::Error::Api(status) => kube::Error::Api(status.clone()),
        other => kube::Error::Service(other.to_string().into()),
    }
}

fn title(verb: &str) -> String {
    let mut chars = verb.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// [`PodControl`] over the API server.
pub struct KubeControl {
    client: Client,
    recorder: EventRecorder,
}

impl KubeControl {
    pub fn new(client: Client, recorder: EventRecorder) -> KubeControl {
        KubeControl { client, recorder }
    }

    fn api<K: Resource<Scope = k8s_openapi::NamespaceResourceScope>>(
        &self,
        namespace: &str,
    ) -> Api<K>
    where
        K::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), namespace)
    }
}

fn namespace_of<K: Resource>(object: &K) -> &str {
    object.meta().namespace.as_deref().unwrap_or_default()
}

fn name_of<K: Resource>(object: &K) -> &str {
    object.meta().name.as_deref().unwrap_or_default()
}

impl PodControl for KubeControl {
    async fn create_pod(&self, pod: &Pod) -> kube::Result<()> {
        let api: Api<Pod> = self.api(namespace_of(pod));
        api.create(&PostParams::default(), pod).await.map(drop)
    }

    async fn delete_pod(&self, namespace: &str, name: &str, uid: &str) -> kube::Result<()> {
        let api: Api<Pod> = self.api(namespace);
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: Some(uid.into()).filter(|u: &String| !u.is_empty()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        api.delete(name, &params).await.map(drop)
    }

    async fn update_pod(&self, pod: &Pod) -> kube::Result<()> {
        let api: Api<Pod> = self.api(namespace_of(pod));
        api.replace(name_of(pod), &PostParams::default(), pod)
            .await
            .map(drop)
    }

    async fn create_claim(&self, claim: &PersistentVolumeClaim) -> kube::Result<()> {
        let api: Api<PersistentVolumeClaim> = self.api(namespace_of(claim));
        api.create(&PostParams::default(), claim).await.map(drop)
    }

    async fn get_claim(
        &self,
        namespace: &str,
        name: &str,
    ) -> kube::Result<Option<PersistentVolumeClaim>> {
        self.api(namespace).get_opt(name).await
    }

    async fn set_owners(
        &self,
        kind: OwnedKind,
        namespace: &str,
        name: &str,
        uid: &str,
        resource_version: Option<&str>,
        owners: &[OwnerReference],
    ) -> kube::Result<()> {
        let mut metadata = json!({ "ownerReferences": owners });
        if !uid.is_empty() {
            metadata["uid"] = json!(uid);
        }
        if let Some(version) = resource_version {
            metadata["resourceVersion"] = json!(version);
        }
        let patch = Patch::Merge(json!({ "metadata": metadata }));
        let params = PatchParams::default();
        match kind {
            OwnedKind::Pod => self
                .api::<Pod>(namespace)
                .patch(name, &params, &patch)
                .await
                .map(drop),
            OwnedKind::Claim => self
                .api::<PersistentVolumeClaim>(namespace)
                .patch(name, &params, &patch)
                .await
                .map(drop),
            OwnedKind::Revision => self
                .api::<ControllerRevision>(namespace)
                .patch(name, &params, &patch)
                .await
                .map(drop),
        }
    }

    async fn create_revision(&self, revision: &ControllerRevision) -> kube::Result<()> {
        let api: Api<ControllerRevision> = self.api(namespace_of(revision));
        api.create(&PostParams::default(), revision).await.map(drop)
    }

    async fn get_revision(
        &self,
        namespace: &str,
        name: &str,
    ) -> kube::Result<Option<ControllerRevision>> {
        self.api(namespace).get_opt(name).await
    }

    async fn bump_revision(&self, namespace: &str, name: &str, revision: i64) -> kube::Result<()> {
        let api: Api<ControllerRevision> = self.api(namespace);
        let patch = Patch::Merge(json!({ "revision": revision }));
        api.patch(name, &PatchParams::default(), &patch)
            .await
            .map(drop)
    }

    async fn delete_revision(&self, namespace: &str, name: &str) -> kube::Result<()> {
        let api: Api<ControllerRevision> = self.api(namespace);
        api.delete(name, &DeleteParams::default()).await.map(drop)
    }

    async fn get_set(&self, namespace: &str, name: &str) -> kube::Result<Option<StatefulSet>> {
        self.api(namespace).get_opt(name).await
    }

    async fn update_status(&self, set: &StatefulSet) -> kube::Result<()> {
        let api: Api<StatefulSet> = self.api(namespace_of(set));
        api.replace_status(name_of(set), &PostParams::default(), set)
            .await
            .map(drop)
    }

    fn record(&self, set: &StatefulSet, report: Report) {
        self.recorder.publish(&object_reference(set), report);
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! An in-memory [`PodControl`]: it keeps the objects written, logs every call and fails
    //! the calls it is told to.

    use std::collections::{BTreeMap, HashMap};
    use std::sync::{Mutex, MutexGuard};

    use jiff::Timestamp;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    pub(crate) fn api_error(code: u16, reason: &str, message: &str) -> kube::Error {
        kube::Error::Api(Box::new(
            kube::core::Status::failure(message, reason).with_code(code),
        ))
    }

    #[derive(Default)]
    pub(crate) struct Cluster {
        pub set: StatefulSet,
        pub pods: BTreeMap<String, Pod>,
        pub claims: BTreeMap<String, PersistentVolumeClaim>,
        pub revisions: BTreeMap<String, ControllerRevision>,
        pub events: Vec<Report>,
        /// Every call, as "<verb> <kind> <name>".
        pub calls: Vec<String>,
        /// Calls to fail, by "<verb> <kind> <name>", with the error to answer.
        pub failures: HashMap<String, (u16, &'static str)>,
        /// Status writes that answer 409 before one succeeds.
        pub status_conflicts: usize,
        next_uid: u64,
        next_version: u64,
    }

    impl Cluster {
        fn call(&mut self, call: String) -> kube::Result<()> {
            let failure = self.failures.get(&call).copied();
            self.calls.push(call.clone());
            match failure {
                Some((code, reason)) => Err(api_error(code, reason, &format!("{call}: {reason}"))),
                None => Ok(()),
            }
        }

        /// The fake API's create: records the call, refuses a taken name, then stamps and
        /// stores the object.
        fn create<K: Resource>(
            &mut self,
            label: &str,
            mut object: K,
            store: fn(&mut Cluster) -> &mut BTreeMap<String, K>,
        ) -> kube::Result<()> {
            let name = name_of(&object).to_string();
            self.call(format!("create {label} {name}"))?;
            if store(self).contains_key(&name) {
                return Err(exists());
            }
            self.stamp(object.meta_mut());
            store(self).insert(name, object);
            Ok(())
        }

        fn stamp(&mut self, meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) {
            self.next_version += 1;
            meta.resource_version = Some(self.next_version.to_string());
            if meta.uid.is_none() {
                self.next_uid += 1;
                meta.uid = Some(format!("uid-{}", self.next_uid));
                meta.creation_timestamp = Some(Time(Timestamp::now()));
            }
        }
    }

    #[derive(Default)]
    pub(crate) struct FakeControl(pub Mutex<Cluster>);

    impl FakeControl {
        pub(crate) fn cluster(&self) -> MutexGuard<'_, Cluster> {
            self.0.lock().unwrap()
        }
    }

    fn exists() -> kube::Error {
        api_error(409, "AlreadyExists", "already exists")
    }

    fn missing() -> kube::Error {
        api_error(404, "NotFound", "not found")
    }

    impl PodControl for FakeControl {
        async fn create_pod(&self, pod: &Pod) -> kube::Result<()> {
            let mut pod = pod.clone();
            pod.status = Some(k8s_openapi::api::core::v1::PodStatus {
                phase: Some("Pending".into()),
                ..Default::default()
            });
            self.cluster().create("pod", pod, |c| &mut c.pods)
        }

        async fn delete_pod(&self, _: &str, name: &str, uid: &str) -> kube::Result<()> {
            let mut cluster = self.cluster();
            cluster.call(format!("delete pod {name}"))?;
            let Some(pod) = cluster.pods.get_mut(name) else {
                return Err(missing());
            };
            if pod.metadata.uid.as_deref() != Some(uid) {
                return Err(api_error(409, "Conflict", "uid precondition"));
            }
            // Graceful: the pod stays until the (simulated) kubelet lets it go.
            pod.metadata.deletion_timestamp = Some(Time(Timestamp::now()));
            Ok(())
        }

        async fn update_pod(&self, pod: &Pod) -> kube::Result<()> {
            let mut cluster = self.cluster();
            let name = name_of(pod).to_string();
            cluster.call(format!("update pod {name}"))?;
            let mut pod = pod.clone();
            cluster.stamp(&mut pod.metadata);
            cluster.pods.insert(name, pod);
            Ok(())
        }

        async fn create_claim(&self, claim: &PersistentVolumeClaim) -> kube::Result<()> {
            self.cluster()
                .create("claim", claim.clone(), |c| &mut c.claims)
        }

        async fn get_claim(
            &self,
            _: &str,
            name: &str,
        ) -> kube::Result<Option<PersistentVolumeClaim>> {
            Ok(self.cluster().claims.get(name).cloned())
        }

        async fn set_owners(
            &self,
            kind: OwnedKind,
            _: &str,
            name: &str,
            _: &str,
            _: Option<&str>,
            owners: &[OwnerReference],
        ) -> kube::Result<()> {
            let mut cluster = self.cluster();
            let label = match kind {
                OwnedKind::Pod => "pod",
                OwnedKind::Claim => "claim",
                OwnedKind::Revision => "revision",
            };
            cluster.call(format!("own {label} {name}"))?;
            let cluster = &mut *cluster;
            let meta = match kind {
                OwnedKind::Pod => cluster.pods.get_mut(name).map(|o| &mut o.metadata),
                OwnedKind::Claim => cluster.claims.get_mut(name).map(|o| &mut o.metadata),
                OwnedKind::Revision => cluster.revisions.get_mut(name).map(|o| &mut o.metadata),
            };
            let meta = meta.ok_or_else(missing)?;
            meta.owner_references = Some(owners.to_vec()).filter(|o| !o.is_empty());
            Ok(())
        }

        async fn create_revision(&self, revision: &ControllerRevision) -> kube::Result<()> {
            self.cluster()
                .create("revision", revision.clone(), |c| &mut c.revisions)
        }

        async fn get_revision(
            &self,
            _: &str,
            name: &str,
        ) -> kube::Result<Option<ControllerRevision>> {
            Ok(self.cluster().revisions.get(name).cloned())
        }

        async fn bump_revision(&self, _: &str, name: &str, number: i64) -> kube::Result<()> {
            let mut cluster = self.cluster();
            cluster.call(format!("bump revision {name}"))?;
            let revision = cluster.revisions.get_mut(name).ok_or_else(missing)?;
            revision.revision = Some(number);
            Ok(())
        }

        async fn delete_revision(&self, _: &str, name: &str) -> kube::Result<()> {
            let mut cluster = self.cluster();
            cluster.call(format!("delete revision {name}"))?;
            cluster.revisions.remove(name).map(drop).ok_or_else(missing)
        }

        async fn get_set(&self, _: &str, _: &str) -> kube::Result<Option<StatefulSet>> {
            Ok(Some(self.cluster().set.clone()))
        }

        async fn update_status(&self, set: &StatefulSet) -> kube::Result<()> {
            let mut cluster = self.cluster();
            let name = name_of(set).to_string();
            cluster.call(format!("status set {name}"))?;
            if cluster.status_conflicts > 0 {
                cluster.status_conflicts -= 1;
                return Err(api_error(409, "Conflict", "the object has been modified"));
            }
            cluster.set.status = set.status.clone();
            Ok(())
        }

        fn record(&self, _: &StatefulSet, report: Report) {
            self.cluster().events.push(report);
        }
    }
}
