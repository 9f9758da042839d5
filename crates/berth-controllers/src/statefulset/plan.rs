//! The StatefulSet controller's decisions as a pure function: [`plan`] takes what the
//! controller observed (the set, the pods and claims of its namespace, its revisions) and
//! returns the writes to make, in order, and the status to report. It follows upstream
//! `stateful_set_control.go` (see reference/statefulset-spec.md §2–§3) at v1.37 semantics:
//! `maxUnavailable` on (with the fix of kubernetes#137666), and `currentRevision` promoted
//! for OnDelete sets too.
//!
//! Cost: one pass over the namespace's pods plus a sort of the set's own; no quadratic scans.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use berth_api::selectors::LabelSelector;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::identity::{
    REVISION_LABEL, claim_name, claim_templates, controller_of, identity_matches, new_claims,
    new_pod, ordinal_in, pod_name, set_controller_ref, set_name, set_uid, storage_matches,
    with_identity_and_storage,
};
use super::retention::{
    Owner, Retention, desired_owners, has_stale_ref, has_unexpected_controller, owners_up_to_date,
};
use super::revision::{new_revision, revision_data, revision_number, template_of};
use crate::events::{EventType, Report};

/// Largest batch of concurrent writes in Parallel mode (upstream `MaxBatchSize`).
const MAX_BATCH: usize = 500;
/// How soon to look again when waiting on something no watch event may announce.
const RECHECK: Duration = Duration::from_secs(1);
/// Margin added to a minReadySeconds wait, so the pod is available when we look.
const AVAILABILITY_MARGIN: Duration = Duration::from_millis(50);

/// What the controller saw of one set.
#[derive(Debug, Clone)]
pub struct Observed {
    pub set: Arc<StatefulSet>,
    /// Pods of the set's namespace that it controls or might adopt (others are ignored).
    pub pods: Vec<Arc<Pod>>,
    /// Claims of the set's namespace that it might use, by name.
    pub claims: HashMap<String, Arc<PersistentVolumeClaim>>,
    /// ControllerRevisions of the set's namespace that it controls or might adopt.
    pub revisions: Vec<Arc<ControllerRevision>>,
    pub now: Timestamp,
}

/// The kinds whose ownerReferences the controller rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedKind {
    Pod,
    Claim,
    Revision,
}

/// One write.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Replace the object's ownerReferences (adoption, release, claim retention), guarded
    /// by its UID and resourceVersion.
    SetOwners {
        kind: OwnedKind,
        name: String,
        uid: String,
        resource_version: Option<String>,
        owner_references: Vec<OwnerReference>,
    },
    CreateRevision(ControllerRevision),
    /// Give an older revision equal to the template the newest number (rollback).
    BumpRevision {
        name: String,
        revision: i64,
    },
    /// Create the missing claims, then the pod.
    CreatePod {
        pod: Pod,
        claims: Vec<PersistentVolumeClaim>,
    },
    /// Recreate claims missing under an existing (pending) pod.
    CreateClaims {
        pod: String,
        claims: Vec<PersistentVolumeClaim>,
    },
    DeletePod {
        name: String,
        uid: String,
    },
    /// Put a pod's identity labels and claim volumes right.
    UpdatePod(Pod),
    Event(Report),
}

/// Actions run one after another; a failure ends the lane.
pub type Lane = Vec<Action>;
/// Lanes run concurrently; a failure in any ends the plan after the stage.
pub type Stage = Vec<Lane>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Adoption and release of pods and revisions, and the update revision; everything
    /// else depends on them, so a failure here ends the sync.
    pub prepare: Vec<Action>,
    /// Pod and claim work.
    pub stages: Vec<Stage>,
    /// The status computed for this sync.
    pub status: StatefulSetStatus,
    /// Whether `status` differs from the stored status in a field upstream compares.
    pub write_status: bool,
    /// Revisions beyond `revisionHistoryLimit`, oldest first, to delete after the rest.
    pub prune: Vec<String>,
    /// When to sync again if nothing else happens (minReadySeconds, waits on claims).
    pub requeue_after: Option<Duration>,
}

impl Plan {
    /// Every action of the plan in execution order (stages flattened lane by lane).
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.prepare
            .iter()
            .chain(self.stages.iter().flatten().flatten())
    }
}

/// The pure decision: what to do for `observed` now.
pub fn plan(observed: &Observed) -> Plan {
    match Planner::new(observed) {
        Some(planner) => planner.plan(),
        // No spec or an unparsable selector: nothing sensible to do until the user fixes it.
        None => Plan::default(),
    }
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or_default()
}

fn is_created(pod: &Pod) -> bool {
    !phase(pod).is_empty()
}

fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

/// When the pod became Ready, if it is Running and Ready now.
fn ready_since(pod: &Pod) -> Option<Option<Timestamp>> {
    if phase(pod) != "Running" {
        return None;
    }
    let ready = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")?;
    Some(ready.last_transition_time.as_ref().map(|t| t.0))
}

fn pod_uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or_default()
}

fn name_of(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or_default()
}

/// Batches of 1, 2, 4, … (at most [`MAX_BATCH`]) lanes, like upstream's slow start: a
/// failing batch stops the rest, so a systematic error costs few calls.
fn slow_start(lanes: Vec<Lane>) -> Vec<Stage> {
    let mut stages = Vec::new();
    let mut lanes = lanes.into_iter().peekable();
    let mut size = 1;
    while lanes.peek().is_some() {
        stages.push(lanes.by_ref().take(size).collect());
        size = (size * 2).min(MAX_BATCH);
    }
    stages
}

/// The slot of a replica: its pod, or nothing yet.
type Slot<'a> = Option<&'a Pod>;

struct Planner<'a> {
    observed: &'a Observed,
    set: &'a StatefulSet,
    name: &'a str,
    uid: &'a str,
    selector: LabelSelector,
    replicas: i32,
    start: i32,
    monotonic: bool,
    on_delete: bool,
    /// `(partition, maxUnavailable)`, when `rollingUpdate` is set.
    rolling_update: Option<(i32, Option<&'a IntOrString>)>,
    min_ready: Duration,
    retention: Retention,
    deleting: bool,
    old_status: StatefulSetStatus,
}

/// The revision a pod is made from.
struct Target<'a> {
    name: String,
    template: std::borrow::Cow<'a, PodTemplateSpec>,
}

impl<'a> Planner<'a> {
    fn new(observed: &'a Observed) -> Option<Planner<'a>> {
        let set = &*observed.set;
        let spec = &set.spec;
        let selector = LabelSelector::from_k8s(&spec.selector).ok()?;
        let strategy = spec.update_strategy.as_ref();
        let on_delete = strategy.and_then(|s| s.type_.as_deref()) == Some("OnDelete");
        let rolling_update = strategy
            .and_then(|s| s.rolling_update.as_ref())
            .map(|r| (r.partition.unwrap_or(0), r.max_unavailable.as_ref()));
        Some(Planner {
            observed,
            set,
            name: set_name(set),
            uid: set_uid(set),
            selector,
            replicas: spec.replicas.unwrap_or(1).max(0),
            start: spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0),
            monotonic: spec.pod_management_policy.as_deref() != Some("Parallel"),
            on_delete,
            rolling_update,
            min_ready: Duration::from_secs(spec.min_ready_seconds.unwrap_or(0).max(0) as u64),
            retention: Retention::of(set),
            deleting: set.metadata.deletion_timestamp.is_some(),
            old_status: set.status.clone().unwrap_or_default(),
        })
    }

    fn in_range(&self, ordinal: i32) -> bool {
        let ordinal = i64::from(ordinal);
        let start = i64::from(self.start);
        ordinal >= start && ordinal < start + i64::from(self.replicas)
    }

    /// Running, Ready, and Ready for longer than minReadySeconds.
    fn is_available(&self, pod: &Pod) -> bool {
        match ready_since(pod) {
            None => false,
            Some(_) if self.min_ready.is_zero() => true,
            Some(since) => since.is_some_and(|since| since + self.min_ready < self.observed.now),
        }
    }

    fn is_healthy(&self, pod: &Pod) -> bool {
        !is_terminating(pod) && self.is_available(pod)
    }

    /// How long until a Ready pod passes minReadySeconds.
    fn availability_wait(&self, pod: &Pod) -> Option<Duration> {
        let since = ready_since(pod)??;
        let remaining = self.observed.now.duration_until(since + self.min_ready);
        Duration::try_from(remaining).ok().filter(|d| !d.is_zero())
    }

    fn labels_match(&self, labels: Option<&std::collections::BTreeMap<String, String>>) -> bool {
        match labels {
            Some(labels) => self.selector.matches(labels),
            None => self.selector.matches(&std::collections::BTreeMap::new()),
        }
    }

    fn plan(self) -> Plan {
        let mut plan = Plan::default();
        let revisions = self.claim_revisions(&mut plan.prepare);
        let owned = self.claim_pods(&mut plan.prepare);
        let collision_count = self.old_status.collision_count.unwrap_or(0);
        let (current, update) = self.revisions(&revisions, collision_count, &mut plan.prepare);

        let mut status = StatefulSetStatus {
            observed_generation: self.set.metadata.generation,
            current_revision: Some(current.name.clone()),
            update_revision: Some(update.name.clone()),
            collision_count: Some(collision_count),
            ..StatefulSetStatus::default()
        };
        self.count(&owned, &current.name, &update.name, &mut status);

        let mut slots: Vec<Slot> = vec![None; self.replicas as usize];
        let mut condemned: Vec<(i32, &Pod)> = Vec::new();
        for (ordinal, pod) in &owned {
            if self.in_range(*ordinal) {
                let slot = &mut slots[(*ordinal - self.start) as usize];
                // Two names may parse to one ordinal ("web-1", "web-01"): the canonical wins.
                if slot.is_none() || name_of(pod) == pod_name(self.name, *ordinal) {
                    *slot = Some(pod);
                }
            } else {
                condemned.push((*ordinal, pod));
            }
        }
        condemned.sort_by_key(|(ordinal, _)| std::cmp::Reverse(*ordinal));

        let mut requeue = Vec::new();
        if !self.deleting {
            let deletions_for_update = self.pod_work(
                &slots,
                &condemned,
                &current,
                &update,
                &mut plan.stages,
                &mut requeue,
            );
            let current_replicas = status.current_replicas.unwrap_or(0) - deletions_for_update;
            status.current_replicas = Some(current_replicas).filter(|n| *n != 0);
        }

        // Completion: every replica made from the update revision and ready.
        let replicas = status.replicas;
        if status.updated_replicas.unwrap_or(0) == replicas
            && status.ready_replicas.unwrap_or(0) == replicas
            && replicas == self.replicas
        {
            status.current_revision = status.update_revision.clone();
            status.current_replicas = status.updated_replicas;
        }

        if !self.min_ready.is_zero() && status.available_replicas != Some(self.replicas) {
            let soonest = owned
                .iter()
                .filter_map(|(_, pod)| self.availability_wait(pod))
                .min()
                .map_or(self.min_ready, |wait| wait + AVAILABILITY_MARGIN);
            requeue.push(soonest.min(self.min_ready));
        }

        plan.prune = self.prune(&revisions, &owned, &current.name, &update.name);
        plan.write_status = status_changed(&self.old_status, &status);
        plan.status = status;
        plan.requeue_after = requeue.into_iter().min();
        plan
    }

    /// The revisions the set controls or may adopt (adopting orphans), oldest first.
    fn claim_revisions(&self, prepare: &mut Vec<Action>) -> Vec<&'a ControllerRevision> {
        let mut revisions = Vec::new();
        for revision in &self.observed.revisions {
            let meta = &revision.metadata;
            if !self.labels_match(meta.labels.as_ref()) {
                continue;
            }
            match controller_of(meta.owner_references.as_ref()) {
                Some(controller) if controller.uid != self.uid => continue,
                Some(_) => {}
                None if self.deleting => {}
                None => prepare.push(self.adoption(OwnedKind::Revision, meta)),
            }
            revisions.push(&**revision);
        }
        revisions.sort_by(|a, b| {
            (
                revision_number(a),
                &a.metadata.creation_timestamp,
                &a.metadata.name,
            )
                .cmp(&(
                    revision_number(b),
                    &b.metadata.creation_timestamp,
                    &b.metadata.name,
                ))
        });
        revisions
    }

    fn adoption(
        &self,
        kind: OwnedKind,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    ) -> Action {
        let mut owners = meta.owner_references.clone().unwrap_or_default();
        owners.push(set_controller_ref(self.set));
        Action::SetOwners {
            kind,
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            resource_version: meta.resource_version.clone(),
            owner_references: owners,
        }
    }

    /// The pods the set keeps (with their ordinals): owned pods that still match, plus
    /// orphans it adopts; owned pods that no longer match are released.
    fn claim_pods(&self, prepare: &mut Vec<Action>) -> Vec<(i32, &'a Pod)> {
        let namespace = self.set.metadata.namespace.as_deref();
        let mut owned = Vec::new();
        for pod in &self.observed.pods {
            let meta = &pod.metadata;
            if meta.namespace.as_deref() != namespace {
                continue;
            }
            let ordinal = ordinal_in(self.name, name_of(pod));
            let matches = ordinal.is_some() && self.labels_match(meta.labels.as_ref());
            match (controller_of(meta.owner_references.as_ref()), ordinal) {
                (Some(controller), _) if controller.uid != self.uid => {}
                (Some(_), Some(ordinal)) if matches => owned.push((ordinal, &**pod)),
                (Some(_), _) if !self.deleting => prepare.push(Action::SetOwners {
                    kind: OwnedKind::Pod,
                    name: name_of(pod).into(),
                    uid: pod_uid(pod).into(),
                    resource_version: meta.resource_version.clone(),
                    owner_references: meta
                        .owner_references
                        .iter()
                        .flatten()
                        .filter(|r| r.uid != self.uid)
                        .cloned()
                        .collect(),
                }),
                (None, Some(ordinal)) if matches && !self.deleting && !is_terminating(pod) => {
                    prepare.push(self.adoption(OwnedKind::Pod, meta));
                    owned.push((ordinal, &**pod));
                }
                _ => {}
            }
        }
        owned
    }

    /// The current and update revisions; creating the update revision, or renumbering an
    /// older equal one (rollback), when needed.
    fn revisions(
        &self,
        revisions: &[&'a ControllerRevision],
        collision_count: i32,
        prepare: &mut Vec<Action>,
    ) -> (Target<'a>, Target<'a>) {
        let live_template = &self.set.spec.template;
        let data = revision_data(live_template);
        let newest = revisions.last().map_or(0, |r| revision_number(r));
        let update_name = match revisions.iter().rposition(|r| r.data.0 == data) {
            Some(index) => {
                let name = revisions[index].metadata.name.clone().unwrap_or_default();
                if index + 1 != revisions.len() {
                    prepare.push(Action::BumpRevision {
                        name: name.clone(),
                        revision: newest + 1,
                    });
                }
                name
            }
            None => {
                let revision = new_revision(self.set, data, collision_count, newest + 1);
                let name = revision.metadata.name.clone().unwrap_or_default();
                prepare.push(Action::CreateRevision(revision));
                name
            }
        };
        let update = Target {
            name: update_name,
            template: std::borrow::Cow::Borrowed(live_template),
        };
        let wanted = self.old_status.current_revision.as_deref();
        let current = revisions
            .iter()
            .find(|r| r.metadata.name.as_deref() == wanted && wanted != Some(&update.name))
            // A revision whose data cannot be read is treated like a missing one.
            .and_then(|r| {
                Some(Target {
                    name: r.metadata.name.clone()?,
                    template: std::borrow::Cow::Owned(template_of(r)?),
                })
            })
            .unwrap_or_else(|| Target {
                name: update.name.clone(),
                template: update.template.clone(),
            });
        (current, update)
    }

    fn count(
        &self,
        pods: &[(i32, &Pod)],
        current: &str,
        update: &str,
        status: &mut StatefulSetStatus,
    ) {
        let (mut replicas, mut ready, mut available, mut current_n, mut updated) = (0, 0, 0, 0, 0);
        for (_, pod) in pods {
            if is_created(pod) {
                replicas += 1;
                if !is_terminating(pod) {
                    let revision = revision_of(pod);
                    current_n += i32::from(revision == Some(current));
                    updated += i32::from(revision == Some(update));
                }
            }
            if ready_since(pod).is_some() {
                ready += 1;
                available += i32::from(self.is_available(pod));
            }
        }
        let nonzero = |n: i32| Some(n).filter(|n| *n != 0);
        status.replicas = replicas;
        status.ready_replicas = nonzero(ready);
        status.available_replicas = Some(available);
        status.current_replicas = nonzero(current_n);
        status.updated_replicas = nonzero(updated);
    }

    /// Scale, repair and update pods; returns how many pods it deletes for the rolling update.
    fn pod_work(
        &self,
        slots: &[Slot<'a>],
        condemned: &[(i32, &'a Pod)],
        current: &Target<'a>,
        update: &Target<'a>,
        stages: &mut Vec<Stage>,
        requeue: &mut Vec<Duration>,
    ) -> i32 {
        // 1. Replicas in ordinal order.
        let mut lanes: Vec<Lane> = Vec::new();
        let mut blocked = false;
        for (index, slot) in slots.iter().enumerate() {
            let ordinal = self.start + index as i32;
            let mut lane = Vec::new();
            let exit = self.replica(ordinal, *slot, current, update, &mut lane, requeue);
            if self.monotonic {
                lanes.push(lane);
                if exit {
                    blocked = true;
                    break;
                }
            } else if !lane.is_empty() {
                lanes.push(lane);
            }
        }
        self.push_lanes(lanes, stages);
        if blocked {
            return 0;
        }

        // 2. Retention refs of condemned pods, before any of them is deleted.
        let lanes = condemned
            .iter()
            .map(|(ordinal, pod)| {
                let mut lane = Vec::new();
                self.fix_claim_owners(*ordinal, pod, true, &mut lane);
                lane
            })
            .filter(|lane| !lane.is_empty())
            .collect();
        self.push_lanes(lanes, stages);

        // 3. Scale down, highest ordinal first.
        let first_unhealthy = condemned
            .iter()
            .rev()
            .find(|(_, pod)| !self.is_healthy(pod))
            .map(|(ordinal, _)| *ordinal);
        let mut lanes = Vec::new();
        for (ordinal, pod) in condemned {
            if is_terminating(pod) {
                if self.monotonic {
                    blocked = true;
                    break;
                }
                continue;
            }
            if self.monotonic && !self.is_healthy(pod) && first_unhealthy != Some(*ordinal) {
                blocked = true;
                break;
            }
            lanes.push(vec![delete(pod)]);
            if self.monotonic {
                blocked = true;
                break;
            }
        }
        self.push_lanes(lanes, stages);
        if blocked || self.on_delete {
            return 0;
        }

        // 4. Rolling update.
        let deletions = self.rolling_update(slots, &update.name);
        let count = deletions.len() as i32;
        if !deletions.is_empty() {
            stages.push(deletions.into_iter().map(|pod| vec![delete(pod)]).collect());
        }
        count
    }

    /// Monotonic work stays in one lane, in order; Parallel work is batched.
    fn push_lanes(&self, lanes: Vec<Lane>, stages: &mut Vec<Stage>) {
        if self.monotonic {
            let lane: Lane = lanes.into_iter().flatten().collect();
            if !lane.is_empty() {
                stages.push(vec![lane]);
            }
        } else {
            stages.extend(slow_start(lanes));
        }
    }

    /// One replica's work; `true` when a monotonic set must go no further this sync.
    fn replica(
        &self,
        ordinal: i32,
        slot: Slot<'a>,
        current: &Target<'a>,
        update: &Target<'a>,
        lane: &mut Lane,
        requeue: &mut Vec<Duration>,
    ) -> bool {
        let Some(pod) = slot else {
            return self.create(ordinal, current, update, lane, requeue);
        };
        let name = name_of(pod);
        let phase = phase(pod);
        if phase == "Failed" || phase == "Succeeded" {
            // The replacement comes on a later sync, once this object is gone.
            if !is_terminating(pod) {
                let (event_type, reason, state) = if phase == "Failed" {
                    (EventType::Warning, "RecreatingFailedPod", "failed")
                } else {
                    (EventType::Normal, "RecreatingTerminatedPod", "terminated")
                };
                lane.push(Action::Event(Report::new(
                    event_type,
                    reason,
                    format!(
                        "StatefulSet {}/{} is recreating {state} Pod {name}",
                        self.set.metadata.namespace.as_deref().unwrap_or_default(),
                        self.name
                    ),
                )));
                lane.push(delete(pod));
            }
            return true;
        }
        if phase == "Pending" {
            // A claim deleted under a pending pod is made again (kubernetes#113270).
            let (missing, deleting) = self.missing_claims(ordinal, pod_uid(pod));
            if deleting.is_some() {
                requeue.push(RECHECK);
                return true;
            }
            if !missing.is_empty() {
                lane.push(Action::CreateClaims {
                    pod: name.into(),
                    claims: missing,
                });
            }
        }
        if self.monotonic && !self.is_healthy(pod) {
            return true;
        }
        if !identity_matches(self.set, pod, ordinal) || !storage_matches(self.set, pod, ordinal) {
            lane.push(Action::UpdatePod(with_identity_and_storage(
                self.set, pod, ordinal,
            )));
        }
        self.fix_claim_owners(ordinal, pod, false, lane);
        false
    }

    /// Creates the pod of an empty slot (and its claims).
    fn create(
        &self,
        ordinal: i32,
        current: &Target<'a>,
        update: &Target<'a>,
        lane: &mut Lane,
        requeue: &mut Vec<Duration>,
    ) -> bool {
        let name = pod_name(self.name, ordinal);
        let claims = &self.observed.claims;
        let claim_names: Vec<String> = claim_templates(self.set)
            .iter()
            .map(|t| {
                claim_name(
                    t.metadata.name.as_deref().unwrap_or_default(),
                    self.name,
                    ordinal,
                )
            })
            .collect();
        // A claim still owned by a previous pod of this name waits for the garbage collector.
        if self.retention.delete_when_scaled
            && claim_names
                .iter()
                .filter_map(|c| claims.get(c))
                .any(|claim| {
                    has_stale_ref(
                        claim
                            .metadata
                            .owner_references
                            .as_deref()
                            .unwrap_or_default(),
                        Owner::pod(&name, ""),
                    )
                })
        {
            requeue.push(RECHECK);
            return true;
        }
        let (missing, deleting) = self.missing_claims(ordinal, "");
        if let Some(claim) = deleting {
            lane.push(Action::Event(Report::new(
                EventType::Warning,
                "FailedCreate",
                format!(
                    "create Pod {name} in StatefulSet {} failed error: pvc {claim} is being deleted",
                    self.name
                ),
            )));
            requeue.push(RECHECK);
            return true;
        }
        // Ordinals below the partition stay at the current revision; OnDelete always uses
        // the update revision for new pods.
        let at_current = !self.on_delete
            && match self.rolling_update {
                Some((partition, _)) => {
                    i64::from(ordinal) < i64::from(self.start) + i64::from(partition)
                }
                None => {
                    i64::from(ordinal)
                        < i64::from(self.start)
                            + i64::from(self.old_status.current_replicas.unwrap_or(0))
                }
            };
        let target = if at_current { current } else { update };
        let pod = new_pod(self.set, &target.template, &target.name, ordinal);
        lane.push(Action::CreatePod {
            pod,
            claims: missing,
        });
        // Claims that existed already get their retention refs now.
        for claim_name in &claim_names {
            if let Some(claim) = claims.get(claim_name) {
                self.fix_claim(claim, &name, "", false, lane);
            }
        }
        self.monotonic
    }

    /// The claims of `ordinal` absent from the cache (with retention refs for an in-range
    /// pod), and the name of one being deleted, if any.
    fn missing_claims(
        &self,
        ordinal: i32,
        pod_uid: &str,
    ) -> (Vec<PersistentVolumeClaim>, Option<String>) {
        let name = pod_name(self.name, ordinal);
        let mut missing = Vec::new();
        for mut claim in new_claims(self.set, ordinal) {
            let claim_name = claim.metadata.name.clone().unwrap_or_default();
            match self.observed.claims.get(&claim_name) {
                Some(existing) if existing.metadata.deletion_timestamp.is_some() => {
                    return (Vec::new(), Some(claim_name));
                }
                Some(_) => {}
                None => {
                    let template_refs = claim.metadata.owner_references.take().unwrap_or_default();
                    let owners = desired_owners(
                        &template_refs,
                        self.retention,
                        self.set,
                        Owner::pod(&name, pod_uid),
                        false,
                    );
                    claim.metadata.owner_references = Some(owners).filter(|o| !o.is_empty());
                    missing.push(claim);
                }
            }
        }
        (missing, None)
    }

    fn fix_claim_owners(&self, ordinal: i32, pod: &Pod, condemned: bool, lane: &mut Lane) {
        for template in claim_templates(self.set) {
            let template_name = template.metadata.name.as_deref().unwrap_or_default();
            let name = claim_name(template_name, self.name, ordinal);
            // A missing claim is picked up on a later sync.
            if let Some(claim) = self.observed.claims.get(&name) {
                self.fix_claim(claim, name_of(pod), pod_uid(pod), condemned, lane);
            }
        }
    }

    fn fix_claim(
        &self,
        claim: &PersistentVolumeClaim,
        pod_name: &str,
        pod_uid: &str,
        condemned: bool,
        lane: &mut Lane,
    ) {
        let refs = claim
            .metadata
            .owner_references
            .as_deref()
            .unwrap_or_default();
        let pod = Owner::pod(pod_name, pod_uid);
        let set = Owner::set(self.set);
        if owners_up_to_date(refs, self.retention, set, pod, condemned) {
            return;
        }
        let claim_name = claim.metadata.name.clone().unwrap_or_default();
        if has_unexpected_controller(refs, self.retention, set, pod) {
            lane.push(Action::Event(Report::new(
                EventType::Warning,
                "ConflictingController",
                format!(
                    "PersistentVolumeClaim {claim_name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim"
                ),
            )));
        }
        lane.push(Action::SetOwners {
            kind: OwnedKind::Claim,
            name: claim_name,
            uid: claim.metadata.uid.clone().unwrap_or_default(),
            resource_version: claim.metadata.resource_version.clone(),
            owner_references: desired_owners(refs, self.retention, self.set, pod, condemned),
        });
    }

    /// The pods to delete for the rolling update this sync, highest ordinal first.
    fn rolling_update(&self, slots: &[Slot<'a>], update: &str) -> Vec<&'a Pod> {
        let (partition, max_unavailable) = self.rolling_update.unwrap_or((0, None));
        let max_unavailable = scaled_max_unavailable(max_unavailable, self.replicas);
        let first = usize::try_from(partition).unwrap_or(0);
        let unavailable = slots
            .iter()
            .filter(|slot| slot.is_none_or(|pod| !self.is_healthy(pod)))
            .count();
        // Old pods the update may replace: at or above the partition, not yet going away.
        let outdated = || {
            slots
                .iter()
                .enumerate()
                .rev()
                .filter(move |(index, _)| *index >= first)
                .filter_map(|(_, slot)| *slot)
                .filter(|pod| revision_of(pod) != Some(update) && !is_terminating(pod))
        };
        if self.monotonic {
            if unavailable >= max_unavailable {
                return Vec::new();
            }
            return outdated().take(max_unavailable - unavailable).collect();
        }
        // Parallel (kubernetes#137666): old pods that are unavailable anyway go first and do
        // not count against the budget; available old pods only within what remains.
        let broken: Vec<&Pod> = outdated().filter(|pod| !self.is_healthy(pod)).collect();
        let mut deletions: Vec<&Pod> = broken.iter().copied().take(max_unavailable).collect();
        let other_unavailable = unavailable - broken.len();
        let budget = max_unavailable.saturating_sub(other_unavailable + deletions.len());
        deletions.extend(outdated().filter(|pod| self.is_healthy(pod)).take(budget));
        deletions
    }

    /// Revisions beyond the history limit, oldest first; the current and update revisions
    /// and those of existing pods are never pruned.
    fn prune(
        &self,
        revisions: &[&ControllerRevision],
        owned: &[(i32, &Pod)],
        current: &str,
        update: &str,
    ) -> Vec<String> {
        let limit = self.set.spec.revision_history_limit.unwrap_or(10);
        let Ok(limit) = usize::try_from(limit) else {
            return Vec::new();
        };
        let mut live: HashSet<&str> = owned.iter().filter_map(|(_, p)| revision_of(p)).collect();
        live.insert(current);
        live.insert(update);
        let history: Vec<&str> = revisions
            .iter()
            .filter_map(|r| r.metadata.name.as_deref())
            .filter(|name| !live.contains(name))
            .collect();
        let excess = history.len().saturating_sub(limit);
        history[..excess].iter().map(|n| n.to_string()).collect()
    }
}

fn delete(pod: &Pod) -> Action {
    Action::DeletePod {
        name: name_of(pod).into(),
        uid: pod_uid(pod).into(),
    }
}

/// `maxUnavailable` as a count: an int, or a percentage of `replicas` rounded down; at
/// least 1 (default 1).
pub fn scaled_max_unavailable(value: Option<&IntOrString>, replicas: i32) -> usize {
    let count = match value {
        None => 1,
        Some(IntOrString::Int(n)) => i64::from(*n),
        Some(IntOrString::String(s)) => s
            .strip_suffix('%')
            .and_then(|p| p.parse::<i64>().ok())
            .map_or(1, |percent| percent * i64::from(replicas) / 100),
    };
    usize::try_from(count.max(1)).unwrap_or(1)
}

/// Upstream `inconsistentStatus`: the fields whose change warrants a status write.
fn status_changed(old: &StatefulSetStatus, new: &StatefulSetStatus) -> bool {
    let n = |v: Option<i32>| v.unwrap_or(0);
    new.observed_generation.unwrap_or(0) > old.observed_generation.unwrap_or(0)
        || new.replicas != old.replicas
        || n(new.current_replicas) != n(old.current_replicas)
        || n(new.ready_replicas) != n(old.ready_replicas)
        || n(new.updated_replicas) != n(old.updated_replicas)
        || n(new.available_replicas) != n(old.available_replicas)
        || new.current_revision.as_deref().unwrap_or_default()
            != old.current_revision.as_deref().unwrap_or_default()
        || new.update_revision.as_deref().unwrap_or_default()
            != old.update_revision.as_deref().unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::statefulset::identity::tests::web;
    use crate::statefulset::identity::{pod_controller_ref, set_controller_ref};
    use crate::statefulset::revision::{revision_hash, revision_name};
    use k8s_openapi::api::apps::v1::{
        RollingUpdateStatefulSetStrategy, StatefulSetOrdinals,
        StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetUpdateStrategy,
    };
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    pub(crate) fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    /// The name of the revision the set's current template gets.
    pub(crate) fn revision_of_set(set: &StatefulSet) -> String {
        let data = revision_data(&set.spec.template);
        revision_name(set_name(set), &revision_hash(&data, 0))
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    pub(crate) enum State {
        Ready,
        Unready,
        Pending,
        Failed,
        Succeeded,
        Terminating,
        /// Ready for this many seconds.
        ReadyFor(i64),
    }

    /// A pod of `set` at `ordinal`, made from revision `revision`, in `state`.
    pub(crate) fn pod(set: &StatefulSet, ordinal: i32, revision: &str, state: State) -> Pod {
        let mut pod = new_pod(set, &set.spec.template, revision, ordinal);
        pod.metadata.uid = Some(format!("pod-uid-{ordinal}"));
        pod.metadata.resource_version = Some("1".into());
        set_state(&mut pod, state, now());
        pod
    }

    pub(crate) fn set_state(pod: &mut Pod, state: State, now: Timestamp) {
        let (phase, ready_for) = match state {
            State::Ready | State::Terminating => ("Running", Some(3600)),
            State::ReadyFor(seconds) => ("Running", Some(seconds)),
            State::Unready => ("Running", None),
            State::Pending => ("Pending", None),
            State::Failed => ("Failed", None),
            State::Succeeded => ("Succeeded", None),
        };
        let conditions = ready_for.map(|seconds| {
            vec![PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: Some(Time(now - jiff::SignedDuration::from_secs(seconds))),
                ..PodCondition::default()
            }]
        });
        pod.status = Some(PodStatus {
            phase: Some(phase.into()),
            conditions,
            ..PodStatus::default()
        });
        if state == State::Terminating {
            pod.metadata.deletion_timestamp = Some(Time(now));
        }
    }

    pub(crate) fn claim(name: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                uid: Some(format!("{name}-uid")),
                ..Default::default()
            },
            ..PersistentVolumeClaim::default()
        }
    }

    /// A set with `replicas` whose first revision exists and is current.
    struct Fixture {
        set: StatefulSet,
        pods: Vec<Pod>,
        claims: Vec<PersistentVolumeClaim>,
        revisions: Vec<ControllerRevision>,
    }

    impl Fixture {
        fn new(replicas: i32) -> Fixture {
            let mut set = web(replicas);
            let data = revision_data(&set.spec.template);
            let revision = new_revision(&set, data, 0, 1);
            let name = revision.metadata.name.clone().unwrap();
            set.status = Some(StatefulSetStatus {
                current_revision: Some(name.clone()),
                update_revision: Some(name),
                collision_count: Some(0),
                ..StatefulSetStatus::default()
            });
            Fixture {
                set,
                pods: Vec::new(),
                claims: Vec::new(),
                revisions: vec![revision],
            }
        }

        fn revision(&self) -> String {
            self.revisions[0].metadata.name.clone().unwrap()
        }

        /// Pods at the first revision.
        fn with(mut self, pods: &[(i32, State)]) -> Fixture {
            let revision = self.revision();
            for (ordinal, state) in pods {
                self.pods.push(pod(&self.set, *ordinal, &revision, *state));
                self.claims.push(claim(&format!("www-web-{ordinal}")));
            }
            self
        }

        fn parallel(mut self) -> Fixture {
            self.set.spec.pod_management_policy = Some("Parallel".into());
            self
        }

        fn rolling(mut self, partition: i32, max_unavailable: Option<IntOrString>) -> Fixture {
            self.set.spec.update_strategy = Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateStatefulSetStrategy {
                    partition: Some(partition),
                    max_unavailable,
                }),
            });
            self
        }

        fn on_delete(mut self) -> Fixture {
            self.set.spec.update_strategy = Some(StatefulSetUpdateStrategy {
                type_: Some("OnDelete".into()),
                rolling_update: None,
            });
            self
        }

        fn retention(mut self, when_deleted: &str, when_scaled: &str) -> Fixture {
            self.set.spec.persistent_volume_claim_retention_policy =
                Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some(when_deleted.into()),
                    when_scaled: Some(when_scaled.into()),
                });
            self
        }

        fn new_image(mut self) -> Fixture {
            self.set.spec.template.spec.as_mut().unwrap().containers[0].image =
                Some("nginx:2".into());
            self
        }

        fn observed(&self) -> Observed {
            Observed {
                set: Arc::new(self.set.clone()),
                pods: self.pods.iter().cloned().map(Arc::new).collect(),
                claims: self
                    .claims
                    .iter()
                    .map(|c| (c.metadata.name.clone().unwrap(), Arc::new(c.clone())))
                    .collect(),
                revisions: self.revisions.iter().cloned().map(Arc::new).collect(),
                now: now(),
            }
        }

        fn plan(&self) -> Plan {
            plan(&self.observed())
        }
    }

    /// A compact, readable form of a plan's actions.
    pub(crate) fn summary(plan: &Plan) -> Vec<String> {
        plan.actions()
            .map(|action| match action {
                Action::SetOwners {
                    kind,
                    name,
                    owner_references,
                    ..
                } => format!(
                    "owners {kind:?} {name} [{}]",
                    owner_references
                        .iter()
                        .map(|r| r.kind.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Action::CreateRevision(_) => "create revision".into(),
                Action::BumpRevision { revision, .. } => format!("bump revision to {revision}"),
                Action::CreatePod { pod, claims } => format!(
                    "create {} claims [{}]",
                    pod.metadata.name.as_deref().unwrap(),
                    claims
                        .iter()
                        .map(|c| c.metadata.name.clone().unwrap())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Action::CreateClaims { pod, claims } => {
                    format!("claims for {pod}: {}", claims.len())
                }
                Action::DeletePod { name, .. } => format!("delete {name}"),
                Action::UpdatePod(pod) => {
                    format!("update {}", pod.metadata.name.as_deref().unwrap())
                }
                Action::Event(report) => format!("event {}", report.reason),
            })
            .collect()
    }

    fn created_revision(plan: &Plan) -> Option<&Pod> {
        plan.actions().find_map(|a| match a {
            Action::CreatePod { pod, .. } => Some(pod),
            _ => None,
        })
    }

    #[test]
    fn ordered_ready_creates_one_pod_at_a_time_after_its_predecessors_are_ready() {
        let fixture = Fixture::new(3);
        let plan = fixture.plan();
        assert_eq!(summary(&plan), ["create web-0 claims [www-web-0]"]);
        assert_eq!(plan.status.replicas, 0);
        assert!(plan.write_status, "observedGeneration advanced");

        for state in [State::Pending, State::Unready, State::Terminating] {
            let plan = Fixture::new(3).with(&[(0, state)]).plan();
            assert!(summary(&plan).is_empty(), "{state:?}: {:?}", summary(&plan));
        }
        let plan = Fixture::new(3).with(&[(0, State::Ready)]).plan();
        assert_eq!(summary(&plan), ["create web-1 claims [www-web-1]"]);
    }

    #[test]
    fn parallel_creates_every_missing_pod_in_slow_start_batches() {
        let plan = Fixture::new(4)
            .parallel()
            .with(&[(1, State::Unready)])
            .plan();
        let sizes: Vec<usize> = plan.stages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 2]);
        assert_eq!(
            summary(&plan),
            [
                "create web-0 claims [www-web-0]",
                "create web-2 claims [www-web-2]",
                "create web-3 claims [www-web-3]"
            ]
        );
        let lanes: Vec<Lane> = (0..1000).map(|_| Vec::new()).collect();
        let sizes: Vec<usize> = slow_start(lanes).iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 489]);
    }

    #[test]
    fn ordered_scale_down_removes_the_highest_ordinal_and_halts_on_unhealthy_pods() {
        let ready = [
            (0, State::Ready),
            (1, State::Ready),
            (2, State::Ready),
            (3, State::Ready),
        ];
        let plan = Fixture::new(2).with(&ready).plan();
        assert_eq!(summary(&plan), ["delete web-3"]);

        // A kept replica unhealthy: nothing is removed.
        let plan = Fixture::new(2)
            .with(&[(0, State::Unready), (1, State::Ready), (2, State::Ready)])
            .plan();
        assert!(summary(&plan).is_empty());

        // A terminating condemned pod blocks further deletions.
        let plan = Fixture::new(1)
            .with(&[
                (0, State::Ready),
                (1, State::Ready),
                (2, State::Terminating),
            ])
            .plan();
        assert!(summary(&plan).is_empty());

        // An unhealthy condemned pod is removed only if it is the first unhealthy one.
        let plan = Fixture::new(1)
            .with(&[(0, State::Ready), (1, State::Unready), (2, State::Ready)])
            .plan();
        assert_eq!(summary(&plan), ["delete web-2"]);
        let plan = Fixture::new(1)
            .with(&[(0, State::Ready), (1, State::Unready), (2, State::Unready)])
            .plan();
        assert!(
            summary(&plan).is_empty(),
            "web-2 waits behind unhealthy web-1"
        );
        let plan = Fixture::new(1)
            .with(&[(0, State::Ready), (1, State::Unready)])
            .plan();
        assert_eq!(summary(&plan), ["delete web-1"]);
    }

    #[test]
    fn parallel_scale_down_removes_all_condemned_pods_at_once() {
        let plan = Fixture::new(1)
            .parallel()
            .with(&[
                (0, State::Unready),
                (1, State::Unready),
                (2, State::Terminating),
                (3, State::Ready),
            ])
            .plan();
        assert_eq!(summary(&plan), ["delete web-3", "delete web-1"]);
    }

    #[test]
    fn failed_and_succeeded_pods_are_deleted_and_replaced_later() {
        let plan = Fixture::new(2)
            .with(&[(0, State::Failed), (1, State::Ready)])
            .plan();
        assert_eq!(
            summary(&plan),
            ["event RecreatingFailedPod", "delete web-0"]
        );
        let Action::Event(report) = plan.actions().next().unwrap() else {
            unreachable!()
        };
        assert_eq!(
            report.message,
            "StatefulSet default/web is recreating failed Pod web-0"
        );
        assert_eq!(report.event_type, EventType::Warning);

        let plan = Fixture::new(1).with(&[(0, State::Succeeded)]).plan();
        assert_eq!(
            summary(&plan),
            ["event RecreatingTerminatedPod", "delete web-0"]
        );

        // Already being deleted: wait for it to go (at most one pod per ordinal).
        let mut fixture = Fixture::new(1).with(&[(0, State::Failed)]);
        fixture.pods[0].metadata.deletion_timestamp = Some(Time(now()));
        assert!(summary(&fixture.plan()).is_empty());

        // Parallel: other replicas go on.
        let plan = Fixture::new(2)
            .parallel()
            .with(&[(0, State::Failed)])
            .plan();
        assert_eq!(
            summary(&plan),
            [
                "event RecreatingFailedPod",
                "delete web-0",
                "create web-1 claims [www-web-1]"
            ]
        );
    }

    #[test]
    fn rolling_update_replaces_the_highest_old_pod_first() {
        let ready = [(0, State::Ready), (1, State::Ready), (2, State::Ready)];
        let fixture = Fixture::new(3).with(&ready).new_image();
        let plan = fixture.plan();
        assert_eq!(summary(&plan), ["create revision", "delete web-2"]);
        let update = revision_of_set(&fixture.set);
        assert_eq!(
            plan.status.update_revision.as_deref(),
            Some(update.as_str())
        );
        assert_eq!(plan.status.current_revision, Some(fixture.revision()));
        assert_eq!(
            plan.status.current_replicas,
            Some(2),
            "one deletion counted"
        );
        assert_eq!(plan.status.updated_replicas, None);

        // A replaced pod that is not ready yet stops the update (OrderedReady).
        let mut fixture = Fixture::new(3).with(&ready[..2]).new_image();
        fixture.pods.push(pod(
            &fixture.set,
            2,
            &revision_of_set(&fixture.set),
            State::Unready,
        ));
        assert_eq!(summary(&fixture.plan()), ["create revision"]);
    }

    #[test]
    fn partition_holds_lower_ordinals_at_the_current_revision() {
        let ready = [(0, State::Ready), (1, State::Ready), (2, State::Ready)];
        let fixture = Fixture::new(3).with(&ready).new_image().rolling(2, None);
        assert_eq!(
            summary(&fixture.plan()),
            ["create revision", "delete web-2"]
        );

        let mut fixture = Fixture::new(3)
            .with(&ready[..2])
            .new_image()
            .rolling(2, None);
        let update = revision_of_set(&fixture.set);
        fixture
            .pods
            .push(pod(&fixture.set, 2, &update, State::Ready));
        assert_eq!(
            summary(&fixture.plan()),
            ["create revision"],
            "web-0, web-1 stay"
        );

        // A deleted pod below the partition comes back at the current revision.
        let fixture = Fixture::new(3)
            .with(&ready[1..])
            .new_image()
            .rolling(2, None);
        let plan = fixture.plan();
        let created = created_revision(&plan).expect("web-0 recreated");
        assert_eq!(created.metadata.name.as_deref(), Some("web-0"));
        assert_eq!(
            created.metadata.labels.as_ref().unwrap()[REVISION_LABEL],
            fixture.revision()
        );
        let image = created.spec.as_ref().unwrap().containers[0]
            .image
            .as_deref();
        assert_eq!(image, Some("nginx:1"));

        // Partition beyond replicas: nothing updates.
        let fixture = Fixture::new(3).with(&ready).new_image().rolling(5, None);
        assert_eq!(summary(&fixture.plan()), ["create revision"]);
    }

    #[test]
    fn max_unavailable_allows_several_replacements_at_once() {
        let ready: Vec<(i32, State)> = (0..5).map(|o| (o, State::Ready)).collect();
        let fixture = Fixture::new(5)
            .with(&ready)
            .new_image()
            .rolling(0, Some(IntOrString::Int(2)));
        assert_eq!(
            summary(&fixture.plan()),
            ["create revision", "delete web-4", "delete web-3"]
        );
        // Budget shared with pods unavailable already.
        let mut unready = ready.clone();
        unready[0].1 = State::Unready;
        let fixture = Fixture::new(5)
            .parallel()
            .with(&unready)
            .new_image()
            .rolling(0, Some(IntOrString::Int(2)));
        // web-0 is old and broken: it goes first and costs nothing; one healthy pod follows.
        assert_eq!(
            summary(&fixture.plan()),
            ["create revision", "delete web-0", "delete web-4"]
        );
        let fixture = Fixture::new(5)
            .parallel()
            .with(&unready)
            .rolling(0, Some(IntOrString::Int(2)));
        assert!(summary(&fixture.plan()).is_empty(), "nothing outdated");
    }

    #[test]
    fn a_broken_first_revision_is_replaced_in_parallel_mode() {
        // kubernetes#137409: one replica, old revision never became ready.
        let fixture = Fixture::new(1)
            .parallel()
            .with(&[(0, State::Unready)])
            .new_image()
            .rolling(0, Some(IntOrString::Int(1)));
        assert_eq!(
            summary(&fixture.plan()),
            ["create revision", "delete web-0"]
        );
        // OrderedReady waits for the stuck pod ("forced rollback" is manual).
        let fixture = Fixture::new(1)
            .with(&[(0, State::Unready)])
            .new_image()
            .rolling(0, Some(IntOrString::Int(1)));
        assert_eq!(summary(&fixture.plan()), ["create revision"]);
    }

    #[test]
    fn max_unavailable_scales_percentages_down_with_a_floor_of_one() {
        let percent = |p: &str| IntOrString::String(p.into());
        assert_eq!(scaled_max_unavailable(None, 10), 1);
        assert_eq!(scaled_max_unavailable(Some(&IntOrString::Int(3)), 10), 3);
        assert_eq!(scaled_max_unavailable(Some(&percent("50%")), 5), 2);
        assert_eq!(scaled_max_unavailable(Some(&percent("10%")), 5), 1);
        assert_eq!(scaled_max_unavailable(Some(&percent("100%")), 7), 7);
        assert_eq!(scaled_max_unavailable(Some(&IntOrString::Int(0)), 3), 1);
    }

    #[test]
    fn on_delete_never_deletes_for_updates_and_recreates_at_the_update_revision() {
        let ready = [(0, State::Ready), (1, State::Ready)];
        let fixture = Fixture::new(2).with(&ready).new_image().on_delete();
        assert_eq!(summary(&fixture.plan()), ["create revision"]);

        let fixture = Fixture::new(2).with(&ready[1..]).new_image().on_delete();
        let plan = fixture.plan();
        let created = created_revision(&plan).unwrap();
        assert_eq!(
            created.metadata.labels.as_ref().unwrap()[REVISION_LABEL],
            revision_of_set(&fixture.set)
        );
    }

    #[test]
    fn completion_promotes_the_update_revision_for_both_strategies() {
        for on_delete in [false, true] {
            let mut fixture = Fixture::new(2).new_image();
            if on_delete {
                fixture = fixture.on_delete();
            }
            let update = revision_of_set(&fixture.set);
            fixture.pods = (0..2)
                .map(|o| pod(&fixture.set, o, &update, State::Ready))
                .collect();
            let plan = fixture.plan();
            assert_eq!(
                plan.status.current_revision.as_deref(),
                Some(update.as_str())
            );
            assert_eq!(plan.status.current_replicas, Some(2));
            assert_eq!(plan.status.updated_replicas, Some(2));
        }
    }

    #[test]
    fn min_ready_seconds_gates_availability_ordering_and_requeues() {
        let mut fixture = Fixture::new(2).with(&[(0, State::ReadyFor(4))]);
        fixture.set.spec.min_ready_seconds = Some(10);
        let plan = fixture.plan();
        assert!(
            summary(&plan).is_empty(),
            "web-1 waits for web-0 to be available"
        );
        assert_eq!(plan.status.ready_replicas, Some(1));
        assert_eq!(plan.status.available_replicas, Some(0));
        assert_eq!(
            plan.requeue_after,
            Some(Duration::from_secs(6) + AVAILABILITY_MARGIN)
        );

        let mut fixture = Fixture::new(2).with(&[(0, State::ReadyFor(11))]);
        fixture.set.spec.min_ready_seconds = Some(10);
        let plan = fixture.plan();
        assert_eq!(summary(&plan), ["create web-1 claims [www-web-1]"]);
        assert_eq!(plan.status.available_replicas, Some(1));
        assert_eq!(plan.requeue_after, Some(Duration::from_secs(10)));
    }

    #[test]
    fn start_ordinal_shifts_the_range() {
        let mut fixture = Fixture::new(2).with(&[(0, State::Ready), (1, State::Ready)]);
        fixture.set.spec.ordinals = Some(StatefulSetOrdinals { start: Some(1) });
        // web-1 is kept, web-2 created first (monotonic), web-0 condemned afterwards.
        assert_eq!(
            summary(&fixture.plan()),
            ["create web-2 claims [www-web-2]"]
        );
        fixture
            .pods
            .push(pod(&fixture.set, 2, &fixture.revision(), State::Ready));
        assert_eq!(summary(&fixture.plan()), ["delete web-0"]);
    }

    #[test]
    fn claims_get_retention_refs_when_created_and_when_condemned() {
        let fixture = Fixture::new(1).retention("Delete", "Retain");
        let plan = fixture.plan();
        let Some(Action::CreatePod { claims, .. }) = plan.actions().next() else {
            panic!("{:?}", summary(&plan));
        };
        assert_eq!(
            claims[0].metadata.owner_references,
            Some(vec![set_controller_ref(&fixture.set)])
        );

        // Existing claims of healthy pods get the set ref.
        let fixture = Fixture::new(1)
            .with(&[(0, State::Ready)])
            .retention("Delete", "Retain");
        assert_eq!(
            summary(&fixture.plan()),
            ["owners Claim www-web-0 [StatefulSet]"]
        );

        // Scale-down with whenScaled=Delete: the pod ref goes on before the deletion.
        let fixture = Fixture::new(1)
            .with(&[(0, State::Ready), (1, State::Ready)])
            .retention("Retain", "Delete");
        assert_eq!(
            summary(&fixture.plan()),
            ["owners Claim www-web-1 [Pod]", "delete web-1"]
        );
        let plan = fixture.plan();
        assert_eq!(
            plan.stages.len(),
            2,
            "refs stage completes before the delete"
        );
    }

    #[test]
    fn a_stale_claim_blocks_recreation_until_collected() {
        let mut fixture = Fixture::new(1).retention("Retain", "Delete");
        let mut stale = claim("www-web-0");
        stale.metadata.owner_references = Some(vec![pod_controller_ref("web-0", "old-uid")]);
        fixture.claims.push(stale);
        let plan = fixture.plan();
        assert!(summary(&plan).is_empty());
        assert_eq!(plan.requeue_after, Some(RECHECK));
    }

    #[test]
    fn a_claim_being_deleted_blocks_pod_creation_with_an_event() {
        let mut fixture = Fixture::new(1);
        let mut deleting = claim("www-web-0");
        deleting.metadata.deletion_timestamp = Some(Time(now()));
        fixture.claims.push(deleting);
        let plan = fixture.plan();
        assert_eq!(summary(&plan), ["event FailedCreate"]);
        let Some(Action::Event(report)) = plan.actions().next() else {
            unreachable!()
        };
        assert_eq!(
            report.message,
            "create Pod web-0 in StatefulSet web failed error: pvc www-web-0 is being deleted"
        );
    }

    #[test]
    fn a_pending_pod_gets_its_missing_claims_back() {
        let mut fixture = Fixture::new(1).with(&[(0, State::Pending)]);
        fixture.claims.clear();
        assert_eq!(summary(&fixture.plan()), ["claims for web-0: 1"]);
    }

    #[test]
    fn orphans_are_adopted_and_mismatches_released() {
        let mut fixture = Fixture::new(3).with(&[(0, State::Ready), (1, State::Ready)]);
        fixture.pods[0].metadata.owner_references = None;
        fixture.pods[1]
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .insert("app".into(), "other".into());
        let mut stranger = pod(&fixture.set, 7, &fixture.revision(), State::Ready);
        stranger.metadata.name = Some("db-7".into());
        stranger.metadata.owner_references = None;
        fixture.pods.push(stranger);
        let plan = fixture.plan();
        assert_eq!(
            summary(&plan)[..2],
            [
                "owners Pod web-0 [StatefulSet]".to_string(),
                "owners Pod web-1 []".to_string()
            ]
        );
        // web-0 counts as ours; web-1 is gone from the set and gets recreated.
        assert_eq!(plan.status.replicas, 1);
        assert_eq!(summary(&plan)[2], "create web-1 claims []");
    }

    #[test]
    fn rollback_reuses_the_older_equal_revision() {
        let fixture = Fixture::new(1).with(&[(0, State::Ready)]).new_image();
        let mut newer = new_revision(
            &fixture.set,
            revision_data(&fixture.set.spec.template),
            0,
            2,
        );
        newer.metadata.creation_timestamp = Some(Time(now()));
        // Revert the template to the first revision's.
        let mut fixture = Fixture::new(1).with(&[(0, State::Ready)]);
        fixture.revisions.push(newer);
        let plan = fixture.plan();
        assert_eq!(summary(&plan), ["bump revision to 3"]);
        assert_eq!(plan.status.update_revision, Some(fixture.revision()));
    }

    #[test]
    fn history_beyond_the_limit_is_pruned_oldest_first() {
        let mut fixture = Fixture::new(1).with(&[(0, State::Ready)]);
        fixture.set.spec.revision_history_limit = Some(1);
        for (number, image) in [(2, "a"), (3, "b"), (4, "c")] {
            let mut set = fixture.set.clone();
            set.spec.template.spec.as_mut().unwrap().containers[0].image = Some(image.into());
            let revision = new_revision(&set, revision_data(&set.spec.template), 0, number);
            fixture.revisions.push(revision);
        }
        let names: Vec<String> = fixture
            .revisions
            .iter()
            .map(|r| r.metadata.name.clone().unwrap())
            .collect();
        // Template equals revision 1 (live via the pod and as current): it gets bumped; of
        // the three others one is kept.
        let plan = fixture.plan();
        assert_eq!(plan.prune, [names[1].clone(), names[2].clone()]);
        fixture.set.spec.revision_history_limit = Some(-1);
        assert!(fixture.plan().prune.is_empty());
    }

    #[test]
    fn orphan_revisions_are_adopted_and_foreign_ones_ignored() {
        let mut fixture = Fixture::new(1).with(&[(0, State::Ready)]);
        fixture.revisions[0].metadata.owner_references = None;
        let plan = fixture.plan();
        assert_eq!(
            summary(&plan)[0],
            format!("owners Revision {} [StatefulSet]", fixture.revision())
        );
        fixture.revisions[0].metadata.owner_references = Some(vec![OwnerReference {
            uid: "someone-else".into(),
            ..set_controller_ref(&fixture.set)
        }]);
        // Not ours: a new revision is made with the same data and name; the executor
        // detects the collision.
        assert_eq!(summary(&fixture.plan()), ["create revision"]);
    }

    #[test]
    fn status_counts_pods_and_is_written_only_on_change() {
        let mut fixture = Fixture::new(3).with(&[
            (0, State::Ready),
            (1, State::Unready),
            (2, State::Terminating),
        ]);
        let plan = fixture.plan();
        let status = &plan.status;
        assert_eq!(status.observed_generation, Some(1));
        assert_eq!(status.replicas, 3);
        assert_eq!(
            status.ready_replicas,
            Some(2),
            "terminating yet ready counts"
        );
        assert_eq!(status.available_replicas, Some(2));
        assert_eq!(
            status.current_replicas,
            Some(2),
            "terminating pods are not current"
        );
        assert_eq!(status.collision_count, Some(0));
        assert!(status.conditions.is_none());
        assert!(plan.write_status);
        fixture.set.status = Some(plan.status.clone());
        assert!(!fixture.plan().write_status);
    }

    #[test]
    fn broken_identity_is_repaired_with_an_update() {
        let mut fixture = Fixture::new(1).with(&[(0, State::Ready)]);
        fixture.pods[0]
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .remove(crate::statefulset::identity::POD_NAME_LABEL);
        assert_eq!(summary(&fixture.plan()), ["update web-0"]);
    }

    #[test]
    fn a_deleting_set_only_reports_status() {
        let mut fixture = Fixture::new(3).with(&[(0, State::Ready)]);
        fixture.set.metadata.deletion_timestamp = Some(Time(now()));
        let plan = fixture.plan();
        assert!(plan.stages.is_empty());
        assert_eq!(plan.status.replicas, 1);
    }
}
