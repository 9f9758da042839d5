//! core/v1 Events the node reports about its pods, as the kubelet does.

use berth_api::events::{EventType, Report, Reporter, new_event, object_reference};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Client;
use kube::api::{Api, PostParams};

use crate::Error;

/// A Warning or Normal Event about `pod`, from the kubelet on `node`.
pub fn pod_event(
    pod: &Pod,
    node: &str,
    event_type: EventType,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Event {
    let reporter = Reporter {
        component: "kubelet",
        instance: node,
        host: Some(node),
    };
    let report = Report::new(event_type, reason, message.to_string());
    new_event(&reporter, &object_reference(pod), &report, now)
}

/// Posts `event` in its namespace.
pub async fn post(client: &Client, event: &Event) -> Result<(), Error> {
    let namespace = event.metadata.namespace.as_deref().unwrap_or("default");
    Api::<Event>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), event)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_the_pod_and_the_kubelet() {
        let mut pod = Pod::default();
        pod.metadata.name = Some("ss-0".into());
        pod.metadata.namespace = Some("e2e".into());
        pod.metadata.uid = Some("u".into());
        let now: Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        let event = pod_event(
            &pod,
            "sim-0",
            EventType::Warning,
            "NodePorts",
            "Predicate NodePorts failed",
            now,
        );
        assert!(event.metadata.name.as_deref().unwrap().starts_with("ss-0."));
        assert_eq!(event.metadata.namespace.as_deref(), Some("e2e"));
        assert_eq!(event.involved_object.uid.as_deref(), Some("u"));
        assert_eq!(event.source.unwrap().host.as_deref(), Some("sim-0"));
        assert_eq!(event.type_.as_deref(), Some("Warning"));
    }
}
