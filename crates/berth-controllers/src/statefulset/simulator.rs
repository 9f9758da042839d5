//! A step simulator: a fake cluster ([`FakeControl`]) that the real executor writes to, a
//! stand-in kubelet that makes created pods Running and Ready a step later (unless told
//! otherwise) and lets deleted pods go, and a stand-in garbage collector for claims. Every
//! plan is checked against the StatefulSet invariants before it is carried out, across pod
//! management policy × update strategy × retention policy.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::executor::fake::FakeControl;
use super::executor::{Executed, execute};
use super::identity::{REVISION_LABEL, ordinal_in, tests::web};
use super::plan::tests::{State, set_state};
use super::plan::{Action, Observed, Plan, plan, scaled_max_unavailable};
use super::retention::{Owner, Retention, owners_up_to_date};

const MAX_STEPS: usize = 200;

#[derive(Debug, Clone, Copy)]
enum Strategy {
    Rolling {
        partition: i32,
        max_unavailable: i32,
    },
    OnDelete,
}

struct Sim {
    control: FakeControl,
    now: Timestamp,
    /// Pods the kubelet leaves Running but not Ready.
    unready: HashSet<String>,
    steps: usize,
}

fn is_ready(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    let status = pod.status.as_ref();
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

impl Sim {
    fn new(set: StatefulSet) -> Sim {
        let control = FakeControl::default();
        control.cluster().set = set;
        Sim {
            control,
            now: Timestamp::from_second(1_800_000_000).unwrap(),
            unready: HashSet::new(),
            steps: 0,
        }
    }

    fn set(&self) -> StatefulSet {
        self.control.cluster().set.clone()
    }

    fn edit(&self, change: impl FnOnce(&mut StatefulSet)) {
        let mut cluster = self.control.cluster();
        change(&mut cluster.set);
        let generation = cluster.set.metadata.generation.unwrap_or(0);
        cluster.set.metadata.generation = Some(generation + 1);
    }

    fn observed(&self) -> Observed {
        let cluster = self.control.cluster();
        Observed {
            set: Arc::new(cluster.set.clone()),
            pods: cluster.pods.values().cloned().map(Arc::new).collect(),
            claims: cluster
                .claims
                .iter()
                .map(|(name, claim)| (name.clone(), Arc::new(claim.clone())))
                .collect(),
            revisions: cluster.revisions.values().cloned().map(Arc::new).collect(),
            now: self.now,
        }
    }

    /// One controller sync (checked, then executed), then one kubelet and GC pass.
    async fn step(&mut self) -> Plan {
        self.step_and_kubelet().await.0
    }

    /// A step; also tells whether the kubelet or GC changed anything.
    async fn step_and_kubelet(&mut self) -> (Plan, bool) {
        self.steps += 1;
        assert!(self.steps < MAX_STEPS * 10, "simulation does not converge");
        let mut observed = self.observed();
        let plan = loop {
            let plan = plan(&observed);
            check(&observed, &plan);
            match execute(&self.control, &observed.set, &plan).await {
                Ok(Executed::Done) => break plan,
                Ok(Executed::Collision) => {
                    let set = Arc::make_mut(&mut observed.set);
                    let status = set.status.get_or_insert_with(Default::default);
                    status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
                }
                Err(error) => panic!("execution failed: {error}"),
            }
        };
        let changed = self.kubelet();
        (plan, changed)
    }

    /// Returns whether anything changed.
    fn kubelet(&mut self) -> bool {
        self.now += SignedDuration::from_secs(1);
        let now = self.now;
        let mut cluster = self.control.cluster();
        let before = (cluster.pods.len(), cluster.claims.len());
        cluster
            .pods
            .retain(|_, pod| pod.metadata.deletion_timestamp.is_none());
        let mut changed = before.0 != cluster.pods.len();
        for (name, pod) in cluster.pods.iter_mut() {
            let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
            let unready = self.unready.contains(name);
            match phase.as_deref() {
                Some("Pending") if !unready => set_state(pod, State::ReadyFor(0), now),
                Some("Pending") => set_state(pod, State::Unready, now),
                Some("Running") if unready && is_ready(pod) => set_state(pod, State::Unready, now),
                Some("Running") if !unready && !is_ready(pod) => {
                    set_state(pod, State::ReadyFor(0), now)
                }
                _ => continue,
            }
            changed = true;
        }
        // Garbage collector: claims owned by a pod or set that no longer exists go.
        let pod_uids: HashSet<String> = cluster
            .pods
            .values()
            .filter_map(|p| p.metadata.uid.clone())
            .collect();
        let set_uid = cluster.set.metadata.uid.clone().unwrap_or_default();
        let set_exists = cluster.set.metadata.deletion_timestamp.is_none();
        cluster.claims.retain(|_, claim| {
            claim
                .metadata
                .owner_references
                .iter()
                .flatten()
                .all(|r| match r.kind.as_str() {
                    "Pod" => pod_uids.contains(&r.uid),
                    "StatefulSet" => r.uid == set_uid && set_exists,
                    _ => true,
                })
        });
        changed || before.1 != cluster.claims.len()
    }

    /// Steps until a sync has nothing to do.
    async fn settle(&mut self) {
        for _ in 0..MAX_STEPS {
            let (plan, changed) = self.step_and_kubelet().await;
            if plan.actions().next().is_none() && !plan.write_status && !changed {
                return;
            }
        }
        panic!("no steady state after {MAX_STEPS} steps");
    }

    fn pods(&self) -> Vec<(String, String, bool)> {
        self.control
            .cluster()
            .pods
            .values()
            .map(|p| {
                (
                    p.metadata.name.clone().unwrap(),
                    p.metadata.labels.as_ref().unwrap()[REVISION_LABEL].clone(),
                    is_ready(p),
                )
            })
            .collect()
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<(i32, String)> = self
            .pods()
            .into_iter()
            .map(|(name, _, _)| (ordinal_in("web", &name).unwrap(), name))
            .collect();
        names.sort();
        names.into_iter().map(|(_, name)| name).collect()
    }

    fn claim_uid(&self, name: &str) -> Option<String> {
        self.control
            .cluster()
            .claims
            .get(name)
            .and_then(|c| c.metadata.uid.clone())
    }
}

/// The invariants every plan must keep.
fn check(observed: &Observed, plan: &Plan) {
    let set = &observed.set;
    let spec = &set.spec;
    let monotonic = spec.pod_management_policy.as_deref() != Some("Parallel");
    let replicas = spec.replicas.unwrap_or(1);
    let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0);
    let in_range = |ordinal: i32| ordinal >= start && ordinal < start + replicas;
    let pods: std::collections::HashMap<&str, &k8s_openapi::api::core::v1::Pod> = observed
        .pods
        .iter()
        .map(|p| (p.metadata.name.as_deref().unwrap(), &**p))
        .collect();
    let healthy = |pod: &k8s_openapi::api::core::v1::Pod| {
        pod.metadata.deletion_timestamp.is_none() && is_ready(pod)
    };
    let phase = |pod: &k8s_openapi::api::core::v1::Pod| {
        pod.status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default()
    };
    let update_revision = plan.status.update_revision.clone().unwrap_or_default();
    let (partition, max_unavailable) = match spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.rolling_update.as_ref())
    {
        Some(r) => (
            r.partition.unwrap_or(0),
            scaled_max_unavailable(r.max_unavailable.as_ref(), replicas),
        ),
        None => (0, 1),
    };
    let unavailable_before = (start..start + replicas)
        .filter(|o| {
            pods.get(format!("web-{o}").as_str())
                .is_none_or(|p| !healthy(p))
        })
        .count();

    let mut created = 0;
    let mut scale_down_deletions = 0;
    let mut available_deleted_for_update = 0;
    for action in plan.actions() {
        match action {
            Action::CreatePod { pod, .. } => {
                let name = pod.metadata.name.as_deref().unwrap();
                created += 1;
                assert!(
                    !pods.contains_key(name),
                    "at most one pod per ordinal: {name}"
                );
                let ordinal = ordinal_in("web", name).unwrap();
                assert!(in_range(ordinal), "created out of range: {name}");
                if monotonic {
                    for lower in start..ordinal {
                        let lower_pod = pods.get(format!("web-{lower}").as_str());
                        assert!(
                            lower_pod.is_some_and(|p| healthy(p)),
                            "{name} created while web-{lower} is not Running and Ready"
                        );
                    }
                }
            }
            Action::DeletePod { name, .. } => {
                let pod = pods[name.as_str()];
                let ordinal = ordinal_in("web", name).unwrap();
                let finished = matches!(phase(pod).as_str(), "Failed" | "Succeeded");
                if !in_range(ordinal) {
                    scale_down_deletions += 1;
                    if monotonic {
                        let higher = pods
                            .keys()
                            .any(|other| ordinal_in("web", other).is_some_and(|o| o > ordinal));
                        assert!(!higher, "scale-down must remove the highest ordinal first");
                    }
                } else if !finished {
                    assert!(
                        ordinal - start >= partition,
                        "{name} deleted for update below partition {partition}"
                    );
                    assert_ne!(
                        pod.metadata.labels.as_ref().unwrap()[REVISION_LABEL],
                        update_revision,
                        "{name} is already updated"
                    );
                    if healthy(pod) {
                        available_deleted_for_update += 1;
                    }
                }
            }
            _ => {}
        }
    }
    if monotonic {
        assert!(created <= 1, "OrderedReady creates one pod per sync");
        assert!(
            scale_down_deletions <= 1,
            "OrderedReady deletes one pod per sync"
        );
    }
    if available_deleted_for_update > 0 {
        assert!(
            unavailable_before + available_deleted_for_update <= max_unavailable,
            "maxUnavailable {max_unavailable} exceeded: {unavailable_before} unavailable, \
             {available_deleted_for_update} more deleted"
        );
    }
}

/// After settling, every claim of an in-range pod carries the refs its policy wants.
fn check_claim_refs(sim: &Sim) {
    let cluster = sim.control.cluster();
    let retention = Retention::of(&cluster.set);
    for pod in cluster.pods.values() {
        let name = pod.metadata.name.as_deref().unwrap();
        let claim = &cluster.claims[&format!("www-{name}")];
        let refs = claim
            .metadata
            .owner_references
            .as_deref()
            .unwrap_or_default();
        let pod_owner = Owner::pod(name, pod.metadata.uid.as_deref().unwrap());
        assert!(
            owners_up_to_date(refs, retention, Owner::set(&cluster.set), pod_owner, false),
            "claim of {name}: {refs:?}"
        );
    }
}

fn configured(policy: &str, strategy: Strategy, retention: (&str, &str)) -> StatefulSet {
    let mut set = web(3);
    set.spec.pod_management_policy = Some(policy.into());
    set.spec.update_strategy = Some(match strategy {
        Strategy::Rolling {
            partition,
            max_unavailable,
        } => StatefulSetUpdateStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateStatefulSetStrategy {
                partition: Some(partition),
                max_unavailable: Some(IntOrString::Int(max_unavailable)),
            }),
        },
        Strategy::OnDelete => StatefulSetUpdateStrategy {
            type_: Some("OnDelete".into()),
            rolling_update: None,
        },
    });
    set.spec.persistent_volume_claim_retention_policy =
        Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_deleted: Some(retention.0.into()),
            when_scaled: Some(retention.1.into()),
        });
    set
}

async fn scenario(policy: &str, strategy: Strategy, retention: (&str, &str)) {
    let context = format!("{policy} {strategy:?} {retention:?}");
    let mut sim = Sim::new(configured(policy, strategy, retention));

    // Create: three pods, ready, one revision.
    sim.settle().await;
    assert_eq!(sim.names(), ["web-0", "web-1", "web-2"], "{context}");
    let first = sim.set().status.unwrap();
    assert_eq!(first.ready_replicas, Some(3), "{context}");
    assert_eq!(first.current_revision, first.update_revision, "{context}");
    check_claim_refs(&sim);
    let kept_claim = sim.claim_uid("www-web-2");

    // An unready pod holds OrderedReady scale-up (checked by the invariants) until ready.
    sim.unready.insert("web-1".into());
    sim.kubelet();
    sim.edit(|set| set.spec.replicas = Some(5));
    for _ in 0..5 {
        sim.step().await;
    }
    if policy == "OrderedReady" {
        assert_eq!(sim.names().len(), 3, "{context}: scale-up must halt");
    } else {
        assert_eq!(sim.names().len(), 5, "{context}: burst scaling goes on");
    }
    sim.unready.clear();
    sim.settle().await;
    assert_eq!(sim.names().len(), 5, "{context}");

    // Template change.
    sim.edit(|set| {
        set.spec.template.spec.as_mut().unwrap().containers[0].image = Some("nginx:2".into());
    });
    sim.settle().await;
    let status = sim.set().status.unwrap();
    let update = status.update_revision.clone().unwrap();
    assert_ne!(Some(&update), first.update_revision.as_ref(), "{context}");
    let updated: Vec<String> = sim
        .pods()
        .into_iter()
        .filter(|(_, revision, _)| *revision == update)
        .map(|(name, _, _)| name)
        .collect();
    match strategy {
        Strategy::OnDelete => {
            assert!(
                updated.is_empty(),
                "{context}: OnDelete waits for deletions"
            );
            // The user deletes every pod; they come back at the update revision.
            for pod in sim.control.cluster().pods.values_mut() {
                pod.metadata.deletion_timestamp = Some(
                    k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(sim.now),
                );
            }
            sim.kubelet();
            sim.settle().await;
            assert!(sim.pods().iter().all(|(_, r, _)| *r == update), "{context}");
        }
        Strategy::Rolling { partition, .. } => {
            let expected: Vec<String> = (partition..5).map(|o| format!("web-{o}")).collect();
            let mut updated = updated;
            updated.sort();
            assert_eq!(updated, expected, "{context}");
        }
    }
    let status = sim.set().status.unwrap();
    if matches!(strategy, Strategy::Rolling { partition, .. } if partition > 0) {
        assert_ne!(status.current_revision, status.update_revision, "{context}");
    } else {
        assert_eq!(status.current_revision, status.update_revision, "{context}");
    }

    // A failed pod is replaced.
    {
        let mut cluster = sim.control.cluster();
        let pod = cluster.pods.get_mut("web-3").unwrap();
        set_state(pod, State::Failed, sim.now);
    }
    sim.settle().await;
    assert_eq!(sim.names().len(), 5, "{context}");
    assert!(sim.pods().iter().all(|(_, _, ready)| *ready), "{context}");

    // Scale down to 2, then back up to 3: claims kept or recreated per policy.
    sim.edit(|set| set.spec.replicas = Some(2));
    sim.settle().await;
    assert_eq!(sim.names(), ["web-0", "web-1"], "{context}");
    let scaled_claim = sim.claim_uid("www-web-2");
    if retention.1 == "Delete" {
        assert_eq!(scaled_claim, None, "{context}: claim deleted on scale-down");
    } else {
        assert_eq!(scaled_claim, kept_claim, "{context}: claim retained");
    }
    sim.edit(|set| set.spec.replicas = Some(3));
    sim.settle().await;
    assert_eq!(sim.names(), ["web-0", "web-1", "web-2"], "{context}");
    if retention.1 == "Retain" {
        assert_eq!(
            sim.claim_uid("www-web-2"),
            kept_claim,
            "{context}: claim reused"
        );
    }
    check_claim_refs(&sim);
    let status = sim.set().status.unwrap();
    assert_eq!(
        (status.replicas, status.ready_replicas),
        (3, Some(3)),
        "{context}"
    );
}

#[tokio::test]
async fn invariants_hold_across_policy_strategy_and_retention() {
    let strategies = [
        Strategy::Rolling {
            partition: 0,
            max_unavailable: 1,
        },
        Strategy::Rolling {
            partition: 2,
            max_unavailable: 1,
        },
        Strategy::Rolling {
            partition: 0,
            max_unavailable: 2,
        },
        Strategy::OnDelete,
    ];
    let retentions = [
        ("Retain", "Retain"),
        ("Delete", "Retain"),
        ("Retain", "Delete"),
        ("Delete", "Delete"),
    ];
    for policy in ["OrderedReady", "Parallel"] {
        for strategy in strategies {
            for retention in retentions {
                scenario(policy, strategy, retention).await;
            }
        }
    }
}

#[tokio::test]
async fn ordered_ready_creates_and_removes_in_order() {
    let mut sim = Sim::new(web(3));
    let mut created = Vec::new();
    for _ in 0..MAX_STEPS {
        let plan = sim.step().await;
        created.extend(plan.actions().filter_map(|a| match a {
            Action::CreatePod { pod, .. } => pod.metadata.name.clone(),
            _ => None,
        }));
        if sim.names().len() == 3 && sim.pods().iter().all(|(_, _, r)| *r) {
            break;
        }
    }
    assert_eq!(created, ["web-0", "web-1", "web-2"]);
    sim.edit(|set| set.spec.replicas = Some(0));
    let mut deleted = Vec::new();
    for _ in 0..MAX_STEPS {
        let plan = sim.step().await;
        deleted.extend(plan.actions().filter_map(|a| match a {
            Action::DeletePod { name, .. } => Some(name.clone()),
            _ => None,
        }));
        if sim.names().is_empty() {
            break;
        }
    }
    assert_eq!(deleted, ["web-2", "web-1", "web-0"]);
    let events = sim.control.cluster().events.clone();
    assert!(events.iter().any(|e| e.reason == "SuccessfulCreate"
        && e.message == "create Pod web-0 in StatefulSet web successful"));
    assert!(
        events
            .iter()
            .any(|e| e.message == "create Claim www-web-0 Pod web-0 in StatefulSet web success")
    );
    assert!(events.iter().any(|e| e.reason == "SuccessfulDelete"
        && e.message == "delete Pod web-1 in StatefulSet web successful"));
}

#[tokio::test]
async fn a_rollback_returns_to_the_prior_revision_name() {
    let mut sim = Sim::new(web(2));
    sim.settle().await;
    let first = sim.set().status.unwrap().update_revision.unwrap();
    sim.edit(|set| {
        set.spec.template.spec.as_mut().unwrap().containers[0].image = Some("nginx:2".into());
    });
    sim.settle().await;
    let second = sim.set().status.unwrap().update_revision.unwrap();
    assert_ne!(first, second);
    sim.edit(|set| {
        set.spec.template.spec.as_mut().unwrap().containers[0].image = Some("nginx:1".into());
    });
    sim.settle().await;
    let status = sim.set().status.unwrap();
    assert_eq!(status.update_revision.as_ref(), Some(&first));
    assert_eq!(status.current_revision.as_ref(), Some(&first));
    let cluster = sim.control.cluster();
    assert_eq!(
        cluster.revisions[&first].revision,
        Some(3),
        "renumbered, not recreated"
    );
    assert_eq!(cluster.revisions.len(), 2);
}

#[tokio::test]
async fn a_revision_name_collision_bumps_the_collision_count() {
    let set = web(1);
    let sim = Sim::new(set.clone());
    // Someone else's revision already holds the name our template hashes to.
    let mut squatter = super::revision::new_revision(
        &set,
        super::revision::revision_data(&set.spec.template),
        0,
        1,
    );
    squatter.data.0 = serde_json::json!({"other": true});
    squatter.metadata.labels = None;
    let taken = squatter.metadata.name.clone().unwrap();
    sim.control
        .cluster()
        .revisions
        .insert(taken.clone(), squatter);
    let mut sim = sim;
    sim.settle().await;
    let status = sim.set().status.unwrap();
    assert_eq!(status.collision_count, Some(1));
    assert_ne!(status.update_revision.as_ref(), Some(&taken));
}

#[tokio::test]
async fn failures_stop_the_plan_record_events_and_still_write_status() {
    let mut sim = Sim::new(web(2));
    sim.control
        .cluster()
        .failures
        .insert("create pod web-0".into(), (403, "Forbidden"));
    let observed = sim.observed();
    let plan = plan(&observed);
    let result = execute(&sim.control, &observed.set, &plan).await;
    assert!(result.is_err());
    {
        let cluster = sim.control.cluster();
        assert!(cluster.pods.is_empty());
        let failed = cluster
            .events
            .iter()
            .find(|e| e.reason == "FailedCreate")
            .unwrap();
        assert_eq!(
            failed.message,
            "create Pod web-0 in StatefulSet web failed error: create pod web-0: Forbidden"
        );
        assert!(
            cluster.set.status.is_some(),
            "status written despite the failure"
        );
    }
    sim.control.cluster().failures.clear();
    sim.control.cluster().status_conflicts = 2;
    sim.settle().await;
    assert_eq!(sim.names(), ["web-0", "web-1"]);
}
