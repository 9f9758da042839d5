//! What the scheduler reports on pods: core/v1 Events (`Scheduled`, `FailedScheduling`)
//! and the `PodScheduled` condition.

use berth_api::events::{EventType, Report, Reporter, new_event, object_reference};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

pub const COMPONENT: &str = "default-scheduler";
pub const FAILED_SCHEDULING: &str = "FailedScheduling";
pub const SCHEDULED: &str = "Scheduled";
const POD_SCHEDULED: &str = "PodScheduled";
const UNSCHEDULABLE: &str = "Unschedulable";
const REPORTER: Reporter = Reporter {
    component: COMPONENT,
    instance: COMPONENT,
    host: None,
};

/// An Event about `pod` from the scheduler.
pub fn pod_event(
    pod: &Pod,
    event_type: EventType,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Event {
    let report = Report::new(event_type, reason, message.to_string());
    Event {
        action: Some("Scheduling".to_string()),
        ..new_event(&REPORTER, &object_reference(pod), &report, now)
    }
}

/// The message of a successful placement, as upstream words it.
pub fn scheduled_message(pod: &Pod, node: &str) -> String {
    format!(
        "Successfully assigned {}/{} to {node}",
        pod.namespace().unwrap_or_default(),
        pod.name_any()
    )
}

/// The pod's conditions with `PodScheduled` False/Unschedulable and `message`, or `None`
/// when the pod already says exactly that.
pub fn unschedulable_conditions(
    pod: &Pod,
    message: &str,
    now: Timestamp,
) -> Option<Vec<PodCondition>> {
    let mut conditions = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let existing = conditions.iter().position(|c| c.type_ == POD_SCHEDULED);
    if let Some(i) = existing {
        let c = &conditions[i];
        if c.status == "False"
            && c.reason.as_deref() == Some(UNSCHEDULABLE)
            && c.message.as_deref() == Some(message)
        {
            return None;
        }
    }
    let last_transition_time = existing
        .map(|i| &conditions[i])
        .filter(|c| c.status == "False")
        .and_then(|c| c.last_transition_time.clone())
        .or(Some(Time(now)));
    let condition = PodCondition {
        type_: POD_SCHEDULED.to_string(),
        status: "False".to_string(),
        reason: Some(UNSCHEDULABLE.to_string()),
        message: Some(message.to_string()),
        last_transition_time,
        last_probe_time: None,
        observed_generation: pod.metadata.generation,
    };
    match existing {
        Some(i) => conditions[i] = condition,
        None => conditions.push(condition),
    }
    Some(conditions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::tests::pod;
    use k8s_openapi::api::core::v1::PodStatus;

    #[test]
    fn failed_scheduling_event() {
        let now: Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        let event = pod_event(
            &pod("web-0", ""),
            EventType::Warning,
            FAILED_SCHEDULING,
            "0/1 nodes are available",
            now,
        );
        assert!(event.metadata.name.unwrap().starts_with("web-0."));
        assert_eq!(event.reason.as_deref(), Some("FailedScheduling"));
        assert_eq!(
            event.source.unwrap().component.as_deref(),
            Some("default-scheduler")
        );
        assert_eq!(
            event.reporting_component.as_deref(),
            Some("default-scheduler")
        );
        assert_eq!(event.involved_object.kind.as_deref(), Some("Pod"));
        assert_eq!(
            scheduled_message(&pod("web-0", ""), "n1"),
            "Successfully assigned default/web-0 to n1"
        );
    }

    #[test]
    fn unschedulable_condition_is_written_only_when_it_changes() {
        let now: Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        let mut p = pod("web-0", "");
        let conditions = unschedulable_conditions(&p, "m1", now).unwrap();
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].status, "False");
        assert_eq!(conditions[0].reason.as_deref(), Some("Unschedulable"));
        p.status = Some(PodStatus {
            conditions: Some(conditions),
            ..PodStatus::default()
        });
        assert!(unschedulable_conditions(&p, "m1", now).is_none());
        let later: Timestamp = "2026-05-01T10:01:00Z".parse().unwrap();
        let changed = unschedulable_conditions(&p, "m2", later).unwrap();
        assert_eq!(changed[0].message.as_deref(), Some("m2"));
        assert_eq!(
            changed[0].last_transition_time,
            Some(Time(now)),
            "still False: time kept"
        );
    }
}
