//! Pure pod lifecycle decisions and the pod statuses a node reports, kubelet-style.
//!
//! The pod worker asks [`next_step`] what to do with a pod bound to this node, checks
//! admission (host ports, [`berth_api::pods::host_port_conflict`]) and volumes ([`unready_claims`]) before a start, and
//! builds each status it writes through `pods/status` with the `*_status` functions here.

use std::sync::Arc;
use std::time::Duration;

use berth_api::pods::claim_names;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateWaiting, ContainerStatus, HostIP, PersistentVolumeClaim, Pod,
    PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::runtime::{StartedPod, StoppedPod};

pub const PHASE_PENDING: &str = "Pending";
pub const PHASE_RUNNING: &str = "Running";
pub const PHASE_SUCCEEDED: &str = "Succeeded";
pub const PHASE_FAILED: &str = "Failed";

const POD_SCHEDULED: &str = "PodScheduled";
const READY_TO_START_CONTAINERS: &str = "PodReadyToStartContainers";
const INITIALIZED: &str = "Initialized";
const CONTAINERS_READY: &str = "ContainersReady";
const READY: &str = "Ready";

/// The kubelet's admission failure for a host port already taken on the node
/// (its `NodePorts` predicate).
pub const HOST_PORT_REJECTION_REASON: &str = "NodePorts";
pub const HOST_PORT_REJECTION_MESSAGE: &str = "Pod was rejected: Predicate NodePorts failed: \
     node(s) didn't have free ports for the requested pod ports";

/// What the pod worker should do next with a pod bound to this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing until the pod changes: it is running or finished. Its status belongs to
    /// clients now (e2e tests flip Ready through `pods/status`), so it is never rewritten.
    Keep,
    /// Not started yet: admit it, wait for its volumes, start it.
    Start,
    /// Being deleted while containers run: stop them within `grace`, report them
    /// terminated, then confirm the deletion.
    StopAndDelete { grace: Duration },
    /// Being deleted and nothing runs: confirm the deletion (DELETE, grace 0, UID
    /// precondition).
    Delete,
}

/// Decides the next step for `pod` at `now`.
pub fn next_step(pod: &Pod, now: Timestamp) -> Step {
    let phase = phase(pod);
    if let Some(deleted_at) = &pod.metadata.deletion_timestamp {
        if has_running_containers(pod) && phase != PHASE_SUCCEEDED && phase != PHASE_FAILED {
            let remaining = deleted_at.0.duration_since(now);
            let grace = Duration::try_from(remaining).unwrap_or(Duration::ZERO);
            return Step::StopAndDelete { grace };
        }
        // A grace-0 deletion held by finalizers is already all a DELETE can do; asking
        // again would only repeat it.
        let held = pod.metadata.deletion_grace_period_seconds == Some(0)
            && pod
                .metadata
                .finalizers
                .as_ref()
                .is_some_and(|finalizers| !finalizers.is_empty());
        return if held { Step::Keep } else { Step::Delete };
    }
    if phase.is_empty() || phase == PHASE_PENDING {
        Step::Start
    } else {
        Step::Keep
    }
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|status| status.phase.as_deref())
        .unwrap_or_default()
}

fn has_running_containers(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status
        .container_statuses
        .iter()
        .chain(&status.init_container_statuses)
        .flatten()
        .any(|status| {
            status
                .state
                .as_ref()
                .is_some_and(|state| state.running.is_some())
        })
}

/// Whether the pod holds node resources a new pod could conflict with (host ports).
pub fn is_active(pod: &Pod) -> bool {
    let phase = phase(pod);
    phase != PHASE_SUCCEEDED && phase != PHASE_FAILED
}

/// The claims of `pod` that are missing or not yet Bound, given a lookup by claim name
/// in the pod's namespace.
pub fn unready_claims(
    pod: &Pod,
    claim: impl Fn(&str) -> Option<Arc<PersistentVolumeClaim>>,
) -> Vec<String> {
    claim_names(pod)
        .into_iter()
        .filter(|name| {
            let bound = claim(name).is_some_and(|claim| {
                claim
                    .status
                    .as_ref()
                    .and_then(|status| status.phase.as_deref())
                    == Some("Bound")
            });
            !bound
        })
        .collect()
}

/// Sets (or adds) a condition, keeping its transition time when the status is unchanged.
fn set_condition(
    conditions: &mut Vec<PodCondition>,
    type_: &str,
    status: bool,
    reason: Option<&str>,
    message: Option<String>,
    now: Timestamp,
    generation: Option<i64>,
) {
    let status = if status { "True" } else { "False" }.to_string();
    let existing = conditions.iter().position(|c| c.type_ == type_);
    let last_transition_time = match existing.map(|i| &conditions[i]) {
        Some(old) if old.status == status => old.last_transition_time.clone(),
        _ => Some(Time(now)),
    };
    let condition = PodCondition {
        type_: type_.to_string(),
        status,
        reason: reason.map(str::to_string),
        message,
        last_transition_time,
        last_probe_time: None,
        observed_generation: generation,
    };
    match existing {
        Some(i) => conditions[i] = condition,
        None => conditions.push(condition),
    }
}

/// Upstream's QoS class: Guaranteed when every container limits and requests CPU and
/// memory equally, BestEffort when none asks for either, else Burstable.
pub fn qos_class(pod: &Pod) -> &'static str {
    let Some(spec) = &pod.spec else {
        return "BestEffort";
    };
    let containers: Vec<_> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for container in containers {
        let resources = container.resources.as_ref();
        let requests = resources.and_then(|r| r.requests.as_ref());
        let limits = resources.and_then(|r| r.limits.as_ref());
        for name in ["cpu", "memory"] {
            let request = requests.and_then(|r| r.get(name));
            let limit = limits.and_then(|l| l.get(name));
            any |= request.is_some() || limit.is_some();
            // Requests default to limits, so a missing request with a limit is equal.
            guaranteed &= limit.is_some() && (request.is_none() || request == limit);
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// The status fields every report shares: the prior status with node address, start
/// time, QoS class and observed generation filled in.
fn base_status(pod: &Pod, host_ip: &str, now: Timestamp) -> PodStatus {
    let prior = pod.status.clone().unwrap_or_default();
    PodStatus {
        host_ip: Some(host_ip.to_string()),
        host_ips: Some(vec![HostIP {
            ip: host_ip.to_string(),
        }]),
        start_time: prior.start_time.clone().or(Some(Time(now))),
        qos_class: prior
            .qos_class
            .clone()
            .or_else(|| Some(qos_class(pod).to_string())),
        observed_generation: pod.metadata.generation,
        ..prior
    }
}

fn container_names(pod: &Pod) -> Vec<String> {
    pod.spec
        .iter()
        .flat_map(|spec| &spec.containers)
        .map(|container| container.name.clone())
        .collect()
}

/// The status of a started pod: Running, every condition True, the runtime's container
/// statuses and addresses.
pub fn running_status(pod: &Pod, started: StartedPod, host_ip: &str, now: Timestamp) -> PodStatus {
    let generation = pod.metadata.generation;
    let mut status = base_status(pod, host_ip, now);
    let mut conditions = status.conditions.take().unwrap_or_default();
    for type_ in [
        READY_TO_START_CONTAINERS,
        INITIALIZED,
        READY,
        CONTAINERS_READY,
        POD_SCHEDULED,
    ] {
        set_condition(&mut conditions, type_, true, None, None, now, generation);
    }
    let has_init_containers = !started.init_container_statuses.is_empty();
    PodStatus {
        phase: Some(PHASE_RUNNING.to_string()),
        conditions: Some(conditions),
        pod_ip: started.pod_ips.first().cloned(),
        pod_ips: Some(started.pod_ips.into_iter().map(|ip| PodIP { ip }).collect()),
        container_statuses: Some(started.container_statuses),
        init_container_statuses: has_init_containers.then_some(started.init_container_statuses),
        reason: None,
        message: None,
        ..status
    }
}

/// The status of a pod waiting for its volumes: Pending, containers ContainerCreating.
pub fn waiting_for_volumes_status(pod: &Pod, host_ip: &str, now: Timestamp) -> PodStatus {
    let generation = pod.metadata.generation;
    let mut status = base_status(pod, host_ip, now);
    let names = container_names(pod);
    let unready = Some(format!(
        "containers with unready status: [{}]",
        names.join(" ")
    ));
    let has_init = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.init_containers.as_ref())
        .is_some_and(|init| !init.is_empty());
    let mut conditions = status.conditions.take().unwrap_or_default();
    set_condition(
        &mut conditions,
        READY_TO_START_CONTAINERS,
        false,
        None,
        None,
        now,
        generation,
    );
    if has_init {
        set_condition(
            &mut conditions,
            INITIALIZED,
            false,
            Some("ContainersNotInitialized"),
            Some("containers with incomplete status: []".to_string()),
            now,
            generation,
        );
    } else {
        set_condition(
            &mut conditions,
            INITIALIZED,
            true,
            None,
            None,
            now,
            generation,
        );
    }
    for type_ in [READY, CONTAINERS_READY] {
        set_condition(
            &mut conditions,
            type_,
            false,
            Some("ContainersNotReady"),
            unready.clone(),
            now,
            generation,
        );
    }
    set_condition(
        &mut conditions,
        POD_SCHEDULED,
        true,
        None,
        None,
        now,
        generation,
    );
    let image_of = |name: &str| {
        pod.spec
            .iter()
            .flat_map(|spec| &spec.containers)
            .find(|c| c.name == name)
            .and_then(|c| c.image.clone())
            .unwrap_or_default()
    };
    let container_statuses = names
        .iter()
        .map(|name| ContainerStatus {
            name: name.clone(),
            image: image_of(name),
            started: Some(false),
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some("ContainerCreating".to_string()),
                    message: None,
                }),
                ..ContainerState::default()
            }),
            ..ContainerStatus::default()
        })
        .collect();
    PodStatus {
        phase: Some(PHASE_PENDING.to_string()),
        conditions: Some(conditions),
        container_statuses: Some(container_statuses),
        ..status
    }
}

/// Whether the pod already reports that it waits for volumes (so the report is not
/// written again on every claim event).
pub fn shows_waiting_for_volumes(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status.phase.as_deref() == Some(PHASE_PENDING)
        && status.container_statuses.as_ref().is_some_and(|statuses| {
            !statuses.is_empty()
                && statuses.iter().all(|s| {
                    s.state
                        .as_ref()
                        .and_then(|state| state.waiting.as_ref())
                        .and_then(|waiting| waiting.reason.as_deref())
                        == Some("ContainerCreating")
                })
        })
}

/// The status of a pod the node refused at admission: Failed with the kubelet's reason.
pub fn rejected_status(
    pod: &Pod,
    reason: &str,
    message: &str,
    host_ip: &str,
    now: Timestamp,
) -> PodStatus {
    PodStatus {
        phase: Some(PHASE_FAILED.to_string()),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        ..base_status(pod, host_ip, now)
    }
}

/// The status of a deleted pod whose containers stopped: Succeeded when every container
/// exited 0, Failed otherwise; nothing is ready any more.
pub fn terminated_status(
    pod: &Pod,
    stopped: StoppedPod,
    host_ip: &str,
    now: Timestamp,
) -> PodStatus {
    let generation = pod.metadata.generation;
    let mut status = base_status(pod, host_ip, now);
    let all_succeeded = stopped.container_statuses.iter().all(|status| {
        status
            .state
            .as_ref()
            .and_then(|state| state.terminated.as_ref())
            .is_some_and(|terminated| terminated.exit_code == 0)
    });
    let names = container_names(pod);
    let unready = Some(format!(
        "containers with unready status: [{}]",
        names.join(" ")
    ));
    let mut conditions = status.conditions.take().unwrap_or_default();
    set_condition(
        &mut conditions,
        READY_TO_START_CONTAINERS,
        false,
        None,
        None,
        now,
        generation,
    );
    for type_ in [READY, CONTAINERS_READY] {
        set_condition(
            &mut conditions,
            type_,
            false,
            Some("PodCompleted"),
            unready.clone(),
            now,
            generation,
        );
    }
    let phase = if all_succeeded {
        PHASE_SUCCEEDED
    } else {
        PHASE_FAILED
    };
    let has_init = !stopped.init_container_statuses.is_empty();
    PodStatus {
        phase: Some(phase.to_string()),
        conditions: Some(conditions),
        container_statuses: Some(stopped.container_statuses),
        init_container_statuses: has_init.then_some(stopped.init_container_statuses),
        ..status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        Container, ContainerStateRunning, ContainerStateTerminated, EphemeralVolumeSource,
        PersistentVolumeClaimStatus, PersistentVolumeClaimVolumeSource, PodSpec,
        ResourceRequirements, Volume,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use std::collections::BTreeMap;

    fn now() -> Timestamp {
        "2026-05-01T10:00:00Z".parse().unwrap()
    }

    fn pod() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("web-0".to_string()),
                namespace: Some("default".to_string()),
                uid: Some("uid-0".to_string()),
                generation: Some(1),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "nginx".to_string(),
                    image: Some("nginx:1.27".to_string()),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: Some(PHASE_PENDING.to_string()),
                ..PodStatus::default()
            }),
        }
    }

    fn running_container(name: &str) -> ContainerStatus {
        ContainerStatus {
            name: name.to_string(),
            ready: true,
            container_id: Some("berth-sim://1".to_string()),
            state: Some(ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(Time(now())),
                }),
                ..ContainerState::default()
            }),
            ..ContainerStatus::default()
        }
    }

    fn with_phase(mut pod: Pod, phase: &str, running: bool) -> Pod {
        let status = pod.status.get_or_insert_with(PodStatus::default);
        status.phase = Some(phase.to_string());
        if running {
            status.container_statuses = Some(vec![running_container("nginx")]);
        }
        pod
    }

    fn deleting(mut pod: Pod, grace: i64, finalizers: &[&str]) -> Pod {
        pod.metadata.deletion_timestamp = Some(Time(
            now()
                .checked_add(jiff::SignedDuration::from_secs(grace))
                .unwrap(),
        ));
        pod.metadata.deletion_grace_period_seconds = Some(grace);
        pod.metadata.finalizers = Some(finalizers.iter().map(|f| f.to_string()).collect());
        pod
    }

    #[test]
    fn next_step_table() {
        let cases: Vec<(&str, Pod, Step)> = vec![
            (
                "new pod without status",
                Pod {
                    status: None,
                    ..pod()
                },
                Step::Start,
            ),
            ("pending pod", pod(), Step::Start),
            (
                "running pod is left alone",
                with_phase(pod(), PHASE_RUNNING, true),
                Step::Keep,
            ),
            (
                "succeeded pod",
                with_phase(pod(), PHASE_SUCCEEDED, false),
                Step::Keep,
            ),
            (
                "rejected pod",
                with_phase(pod(), PHASE_FAILED, false),
                Step::Keep,
            ),
            (
                "deleted running pod stops within its grace",
                deleting(with_phase(pod(), PHASE_RUNNING, true), 30, &[]),
                Step::StopAndDelete {
                    grace: Duration::from_secs(30),
                },
            ),
            (
                "deleted running pod with grace 0",
                deleting(with_phase(pod(), PHASE_RUNNING, true), 0, &[]),
                Step::StopAndDelete {
                    grace: Duration::ZERO,
                },
            ),
            (
                "grace already over",
                deleting(with_phase(pod(), PHASE_RUNNING, true), -5, &[]),
                Step::StopAndDelete {
                    grace: Duration::ZERO,
                },
            ),
            (
                "deleted pod that never started",
                deleting(pod(), 30, &[]),
                Step::Delete,
            ),
            (
                "deleted pod already stopped",
                deleting(with_phase(pod(), PHASE_SUCCEEDED, false), 30, &[]),
                Step::Delete,
            ),
            (
                "finalizers hold a confirmed deletion",
                deleting(
                    with_phase(pod(), PHASE_SUCCEEDED, false),
                    0,
                    &["example.com/hold"],
                ),
                Step::Keep,
            ),
            (
                "finalizers on a running pod: still stop it",
                deleting(
                    with_phase(pod(), PHASE_RUNNING, true),
                    0,
                    &["example.com/hold"],
                ),
                Step::StopAndDelete {
                    grace: Duration::ZERO,
                },
            ),
        ];
        for (name, pod, expected) in cases {
            assert_eq!(next_step(&pod, now()), expected, "{name}");
        }
    }

    fn claim(name: &str, phase: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(PersistentVolumeClaimStatus {
                phase: Some(phase.to_string()),
                ..PersistentVolumeClaimStatus::default()
            }),
        }
    }

    #[test]
    fn claims_must_exist_and_be_bound() {
        let mut pod = pod();
        pod.spec.as_mut().unwrap().volumes = Some(vec![
            Volume {
                name: "datadir".to_string(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: "datadir-web-0".to_string(),
                    read_only: None,
                }),
                ..Volume::default()
            },
            Volume {
                name: "scratch".to_string(),
                ephemeral: Some(EphemeralVolumeSource::default()),
                ..Volume::default()
            },
            Volume {
                name: "config".to_string(),
                ..Volume::default()
            },
        ]);
        assert_eq!(claim_names(&pod), ["datadir-web-0", "web-0-scratch"]);
        let lookup = |claims: Vec<PersistentVolumeClaim>| {
            move |name: &str| {
                claims
                    .iter()
                    .find(|c| c.metadata.name.as_deref() == Some(name))
                    .cloned()
                    .map(Arc::new)
            }
        };
        let some_bound = vec![
            claim("datadir-web-0", "Bound"),
            claim("web-0-scratch", "Pending"),
        ];
        assert_eq!(unready_claims(&pod, lookup(some_bound)), ["web-0-scratch"]);
        assert_eq!(
            unready_claims(&pod, |_| None),
            ["datadir-web-0", "web-0-scratch"]
        );
        let all_bound = vec![
            claim("datadir-web-0", "Bound"),
            claim("web-0-scratch", "Bound"),
        ];
        assert!(unready_claims(&pod, lookup(all_bound)).is_empty());
    }

    fn resources(
        requests: &[(&str, &str)],
        limits: &[(&str, &str)],
    ) -> Option<ResourceRequirements> {
        let map = |items: &[(&str, &str)]| {
            (!items.is_empty()).then(|| {
                items
                    .iter()
                    .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        Some(ResourceRequirements {
            requests: map(requests),
            limits: map(limits),
            ..ResourceRequirements::default()
        })
    }

    #[test]
    fn qos_classes() {
        let with = |r: Option<ResourceRequirements>| {
            let mut pod = pod();
            pod.spec.as_mut().unwrap().containers[0].resources = r;
            pod
        };
        assert_eq!(qos_class(&with(None)), "BestEffort");
        assert_eq!(
            qos_class(&with(resources(&[("cpu", "100m")], &[]))),
            "Burstable"
        );
        let equal = [("cpu", "1"), ("memory", "1Gi")];
        assert_eq!(qos_class(&with(resources(&equal, &equal))), "Guaranteed");
        assert_eq!(qos_class(&with(resources(&[], &equal))), "Guaranteed");
        assert_eq!(
            qos_class(&with(resources(
                &[("cpu", "500m"), ("memory", "1Gi")],
                &equal
            ))),
            "Burstable"
        );
        assert_eq!(
            qos_class(&with(resources(&[], &[("cpu", "1")]))),
            "Burstable"
        );
    }

    fn condition<'a>(status: &'a PodStatus, type_: &str) -> &'a PodCondition {
        status
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == type_)
            .unwrap_or_else(|| panic!("no {type_} condition"))
    }

    #[test]
    fn running_status_sets_every_condition_and_address() {
        let mut pending = pod();
        let scheduled_at: Timestamp = "2026-05-01T09:59:59Z".parse().unwrap();
        pending.status.as_mut().unwrap().conditions = Some(vec![
            PodCondition {
                type_: POD_SCHEDULED.to_string(),
                status: "True".to_string(),
                last_transition_time: Some(Time(scheduled_at)),
                ..PodCondition::default()
            },
            PodCondition {
                type_: "example.com/gate".to_string(),
                status: "False".to_string(),
                ..PodCondition::default()
            },
        ]);
        let started = StartedPod {
            pod_ips: vec!["10.244.0.2".to_string()],
            init_container_statuses: vec![],
            container_statuses: vec![running_container("nginx")],
        };
        let status = running_status(&pending, started, "10.89.0.2", now());
        assert_eq!(status.phase.as_deref(), Some(PHASE_RUNNING));
        for type_ in [
            READY_TO_START_CONTAINERS,
            INITIALIZED,
            READY,
            CONTAINERS_READY,
            POD_SCHEDULED,
        ] {
            let c = condition(&status, type_);
            assert_eq!(c.status, "True", "{type_}");
            assert_eq!(c.observed_generation, Some(1));
        }
        assert_eq!(
            condition(&status, POD_SCHEDULED).last_transition_time,
            Some(Time(scheduled_at)),
            "an unchanged condition keeps its transition time"
        );
        assert_eq!(
            condition(&status, READY).last_transition_time,
            Some(Time(now()))
        );
        assert_eq!(
            condition(&status, "example.com/gate").status,
            "False",
            "foreign conditions stay"
        );
        assert_eq!(status.pod_ip.as_deref(), Some("10.244.0.2"));
        assert_eq!(status.pod_ips.unwrap()[0].ip, "10.244.0.2");
        assert_eq!(status.host_ip.as_deref(), Some("10.89.0.2"));
        assert_eq!(status.start_time, Some(Time(now())));
        assert_eq!(status.qos_class.as_deref(), Some("BestEffort"));
        assert_eq!(status.observed_generation, Some(1));
        assert!(status.init_container_statuses.is_none());
    }

    #[test]
    fn waiting_for_volumes_status_is_recognised() {
        let waiting = waiting_for_volumes_status(&pod(), "10.89.0.2", now());
        assert_eq!(waiting.phase.as_deref(), Some(PHASE_PENDING));
        assert_eq!(condition(&waiting, READY).status, "False");
        assert_eq!(
            condition(&waiting, READY).message.as_deref(),
            Some("containers with unready status: [nginx]")
        );
        assert_eq!(condition(&waiting, INITIALIZED).status, "True");
        assert_eq!(condition(&waiting, POD_SCHEDULED).status, "True");
        assert!(!shows_waiting_for_volumes(&pod()));
        let mut shown = pod();
        shown.status = Some(waiting);
        assert!(shows_waiting_for_volumes(&shown));
        assert_eq!(
            next_step(&shown, now()),
            Step::Start,
            "still waiting to start"
        );
    }

    #[test]
    fn rejected_status_is_failed_with_the_kubelet_reason() {
        let status = rejected_status(
            &pod(),
            HOST_PORT_REJECTION_REASON,
            HOST_PORT_REJECTION_MESSAGE,
            "10.89.0.2",
            now(),
        );
        assert_eq!(status.phase.as_deref(), Some(PHASE_FAILED));
        assert_eq!(status.reason.as_deref(), Some("NodePorts"));
        assert!(status.message.unwrap().starts_with("Pod was rejected: "));
        let mut rejected = pod();
        rejected.status = Some(rejected_status(
            &pod(),
            "NodePorts",
            "x",
            "10.89.0.2",
            now(),
        ));
        assert!(!is_active(&rejected));
        assert_eq!(next_step(&rejected, now()), Step::Keep);
    }

    #[test]
    fn terminated_status_phase_follows_exit_codes() {
        let exited = |code: i32| ContainerStatus {
            name: "nginx".to_string(),
            state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: code,
                    ..ContainerStateTerminated::default()
                }),
                ..ContainerState::default()
            }),
            ..ContainerStatus::default()
        };
        let running = with_phase(pod(), PHASE_RUNNING, true);
        for (code, phase) in [(0, PHASE_SUCCEEDED), (1, PHASE_FAILED)] {
            let stopped = StoppedPod {
                init_container_statuses: vec![],
                container_statuses: vec![exited(code)],
            };
            let status = terminated_status(&running, stopped, "10.89.0.2", now());
            assert_eq!(status.phase.as_deref(), Some(phase));
            assert_eq!(condition(&status, READY).status, "False");
            let mut done = running.clone();
            done.status = Some(status);
            assert!(!has_running_containers(&done));
        }
    }
}
