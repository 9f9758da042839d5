//! core/v1 Events the node reports about its pods, as the kubelet does.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};

use crate::Error;

const COMPONENT: &str = "kubelet";

/// A Warning or Normal Event about `pod`, from the kubelet on `node`.
pub fn pod_event(
    pod: &Pod,
    node: &str,
    type_: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Event {
    let name = pod.name_any();
    Event {
        metadata: ObjectMeta {
            // Upstream's scheme: the object's name and a hex timestamp in nanoseconds.
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: pod.namespace(),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".to_string()),
            kind: Some("Pod".to_string()),
            name: Some(name),
            namespace: pod.namespace(),
            uid: pod.metadata.uid.clone(),
            resource_version: pod.metadata.resource_version.clone(),
            ..ObjectReference::default()
        },
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        type_: Some(type_.to_string()),
        source: Some(EventSource {
            component: Some(COMPONENT.to_string()),
            host: Some(node.to_string()),
        }),
        reporting_component: Some(COMPONENT.to_string()),
        reporting_instance: Some(node.to_string()),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        event_time: None::<MicroTime>,
        count: Some(1),
        ..Event::default()
    }
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
            "Warning",
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
