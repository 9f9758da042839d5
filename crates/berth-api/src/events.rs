//! core/v1 Events as upstream components write them (client-go's recorder, the kubelet, the
//! scheduler): named `<object>.<hex nanoseconds>`, with `source`, the reporting component and
//! instance, and first/last timestamps. Only the construction lives here; posting and the
//! aggregation of repeated events are I/O and stay with the components.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

/// `Event.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// What happened, to be recorded as an Event on some object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Report {
    pub event_type: EventType,
    pub reason: String,
    pub message: String,
}

impl Report {
    pub fn new(event_type: EventType, reason: &str, message: String) -> Report {
        Report {
            event_type,
            reason: reason.into(),
            message,
        }
    }
}

/// Who writes an Event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reporter<'a> {
    /// `source.component` and `reportingComponent`: `kubelet`, `default-scheduler`, a
    /// controller's name.
    pub component: &'a str,
    /// `reportingInstance`: the kubelet's node, the scheduler's name; empty for controllers.
    pub instance: &'a str,
    /// `source.host`: the kubelet's node; none for control-plane components.
    pub host: Option<&'a str>,
}

/// A reference to `object`: an Event's `involvedObject`, a volume's `claimRef`.
pub fn object_reference<K: k8s_openapi::Metadata<Ty = ObjectMeta>>(object: &K) -> ObjectReference {
    let meta = object.metadata();
    ObjectReference {
        api_version: Some(K::API_VERSION.to_string()),
        kind: Some(K::KIND.to_string()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        field_path: None,
    }
}

/// Upstream's name for a new Event on the object named `object_name`: the name and the time
/// in nanoseconds, in hex, so that names are unique per object.
pub fn event_name(object_name: &str, now: Timestamp) -> String {
    format!("{object_name}.{:x}", now.as_nanosecond().max(0) as u128)
}

/// The first occurrence, at `now`, of `report` on `object`: count 1, named by [`event_name`],
/// in the object's namespace (`default` for cluster-scoped objects, as upstream).
pub fn new_event(
    reporter: &Reporter,
    object: &ObjectReference,
    report: &Report,
    now: Timestamp,
) -> Event {
    Event {
        metadata: ObjectMeta {
            name: Some(event_name(object.name.as_deref().unwrap_or_default(), now)),
            namespace: Some(object.namespace.clone().unwrap_or_else(|| "default".into())),
            ..ObjectMeta::default()
        },
        involved_object: object.clone(),
        reason: Some(report.reason.clone()),
        message: Some(report.message.clone()),
        type_: Some(report.event_type.as_str().into()),
        count: Some(1),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        source: Some(EventSource {
            component: Some(reporter.component.into()),
            host: reporter.host.map(Into::into),
        }),
        reporting_component: Some(reporter.component.into()),
        reporting_instance: Some(reporter.instance.into()),
        ..Event::default()
    }
}

/// events.k8s.io/v1 field names and the core/v1 names of the same fields: one stored
/// Event serves both APIs, as upstream's conversion does.
const EVENTS_V1_TO_CORE: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

/// An events.k8s.io/v1 Event (JSON) as the core/v1 Event it is stored as.
pub fn events_v1_to_core(event: serde_json::Value) -> serde_json::Value {
    rename_fields(event, "v1", |name| {
        EVENTS_V1_TO_CORE
            .iter()
            .find(|(v1, _)| *v1 == name)
            .map(|(_, core)| *core)
    })
}

/// A stored core/v1 Event (JSON) as events.k8s.io/v1 shows it.
pub fn core_to_events_v1(event: serde_json::Value) -> serde_json::Value {
    rename_fields(event, "events.k8s.io/v1", |name| {
        EVENTS_V1_TO_CORE
            .iter()
            .find(|(_, core)| *core == name)
            .map(|(v1, _)| *v1)
    })
}

fn rename_fields<'a>(
    event: serde_json::Value,
    api_version: &str,
    renamed: impl Fn(&str) -> Option<&'a str>,
) -> serde_json::Value {
    let serde_json::Value::Object(fields) = event else {
        return event;
    };
    let mut out: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .map(|(name, value)| match renamed(&name) {
            Some(other) => (other.to_string(), value),
            None => (name, value),
        })
        .collect();
    out.insert("apiVersion".into(), api_version.into());
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Node, Pod};

    #[test]
    fn events_convert_between_the_two_apis_without_loss() {
        let core = serde_json::json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "web-0.1", "namespace": "e2e"},
            "involvedObject": {"kind": "Pod", "name": "web-0"},
            "reason": "Scheduled", "message": "assigned", "type": "Normal",
            "source": {"component": "default-scheduler"}, "count": 2,
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:01Z",
            "reportingComponent": "default-scheduler", "reportingInstance": "s",
            "eventTime": null, "action": "Binding",
        });
        let v1 = core_to_events_v1(core.clone());
        assert_eq!(v1["apiVersion"], "events.k8s.io/v1");
        assert_eq!(v1["regarding"]["name"], "web-0");
        assert_eq!(v1["note"], "assigned");
        assert_eq!(v1["reportingController"], "default-scheduler");
        assert_eq!(v1["deprecatedCount"], 2);
        assert_eq!(v1["deprecatedSource"]["component"], "default-scheduler");
        assert!(v1.get("message").is_none() && v1.get("involvedObject").is_none());
        assert_eq!(events_v1_to_core(v1), core);
    }

    fn pod() -> Pod {
        let mut pod = Pod::default();
        pod.metadata.name = Some("web-0".into());
        pod.metadata.namespace = Some("e2e".into());
        pod.metadata.uid = Some("u1".into());
        pod.metadata.resource_version = Some("7".into());
        pod
    }

    #[test]
    fn references_carry_the_kind_and_identity() {
        let reference = object_reference(&pod());
        assert_eq!(reference.api_version.as_deref(), Some("v1"));
        assert_eq!(reference.kind.as_deref(), Some("Pod"));
        assert_eq!(reference.name.as_deref(), Some("web-0"));
        assert_eq!(reference.namespace.as_deref(), Some("e2e"));
        assert_eq!(reference.uid.as_deref(), Some("u1"));
        assert_eq!(reference.resource_version.as_deref(), Some("7"));
    }

    #[test]
    fn new_events_carry_upstream_fields() {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let reporter = Reporter {
            component: "kubelet",
            instance: "sim-0",
            host: Some("sim-0"),
        };
        let report = Report::new(EventType::Warning, "NodePorts", "in use".into());
        let event = new_event(&reporter, &object_reference(&pod()), &report, now);
        assert_eq!(
            event.metadata.name.as_deref(),
            Some("web-0.17979cfe362a0000")
        );
        assert_eq!(event.metadata.namespace.as_deref(), Some("e2e"));
        assert_eq!(event.involved_object.uid.as_deref(), Some("u1"));
        assert_eq!(event.type_.as_deref(), Some("Warning"));
        assert_eq!(event.reason.as_deref(), Some("NodePorts"));
        assert_eq!(event.message.as_deref(), Some("in use"));
        assert_eq!(event.count, Some(1));
        assert_eq!(event.first_timestamp, Some(Time(now)));
        assert_eq!(event.last_timestamp, Some(Time(now)));
        let source = event.source.unwrap();
        assert_eq!(source.component.as_deref(), Some("kubelet"));
        assert_eq!(source.host.as_deref(), Some("sim-0"));
        assert_eq!(event.reporting_component.as_deref(), Some("kubelet"));
        assert_eq!(event.reporting_instance.as_deref(), Some("sim-0"));
    }

    #[test]
    fn cluster_scoped_objects_get_events_in_default() {
        let mut node = Node::default();
        node.metadata.name = Some("n1".into());
        let reporter = Reporter {
            component: "node-controller",
            instance: "",
            host: None,
        };
        let report = Report::new(EventType::Normal, "RegisteredNode", "m".into());
        let now = Timestamp::from_second(1).unwrap();
        let event = new_event(&reporter, &object_reference(&node), &report, now);
        assert_eq!(event.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(event.metadata.name.as_deref(), Some("n1.3b9aca00"));
        assert_eq!(event.source.unwrap().host, None);
    }
}
