//! An Event recorder for controllers, writing core/v1 Events the way client-go's recorder
//! does: named `<object>.<hex nanoseconds>`, with `source.component`, first/last timestamps
//! and a count; an event identical to an earlier one (same object, type, reason and message)
//! is not written again but patched with `count + 1` and a new `lastTimestamp`.
//!
//! Writes happen on a background task so that recording never delays a controller; when that
//! task falls behind by more than [`QUEUE`] events, new ones are dropped (as upstream does).
//! Not done: upstream's aggregation of *similar* events (same reason, differing messages)
//! and its per-object spam filter.

use std::collections::HashMap;

pub use berth_api::events::{EventType, Report, object_reference};
use berth_api::events::{Reporter, event_name};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Events waiting to be written before new ones are dropped.
const QUEUE: usize = 1000;
/// Distinct events remembered for aggregation (upstream's LRU holds 4096).
const REMEMBERED: usize = 4096;

/// Records Events for one component; cheap to clone.
#[derive(Clone)]
pub struct EventRecorder {
    queue: mpsc::Sender<(ObjectReference, Report)>,
}

impl EventRecorder {
    /// Starts the writer task; call from within a tokio runtime. The task ends when every
    /// clone of the recorder is dropped.
    pub fn new(client: Client, component: &str) -> EventRecorder {
        let (queue, mut pending) = mpsc::channel::<(ObjectReference, Report)>(QUEUE);
        let component = component.to_string();
        tokio::spawn(async move {
            let mut correlator = Correlator::default();
            while let Some((object, report)) = pending.recv().await {
                write(&client, &component, &mut correlator, object, report).await;
            }
        });
        EventRecorder { queue }
    }

    /// Queues an Event on `object`; never blocks.
    pub fn publish(&self, object: &ObjectReference, report: Report) {
        if let Err(error) = self.queue.try_send((object.clone(), report)) {
            warn!(%error, "event queue full; dropping event");
        }
    }
}

/// Identifies events that are "the same" for aggregation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    object: (String, String, String, String, String),
    report: Report,
}

impl Key {
    fn new(object: &ObjectReference, report: &Report) -> Key {
        let field = |v: &Option<String>| v.clone().unwrap_or_default();
        Key {
            object: (
                field(&object.api_version),
                field(&object.kind),
                field(&object.namespace),
                field(&object.name),
                field(&object.uid),
            ),
            report: report.clone(),
        }
    }
}

/// The event already written for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    name: String,
    count: i32,
    first: Timestamp,
}

/// How to write an event: create it, or bump the count of the one written before.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Write {
    Create {
        name: String,
    },
    Bump {
        name: String,
        count: i32,
        first: Timestamp,
    },
}

/// Remembers written events (pure; the writer task owns it).
#[derive(Debug, Default)]
struct Correlator {
    written: HashMap<Key, Written>,
}

impl Correlator {
    fn decide(&self, key: &Key, now: Timestamp) -> Write {
        match self.written.get(key) {
            Some(seen) => Write::Bump {
                name: seen.name.clone(),
                count: seen.count + 1,
                first: seen.first,
            },
            None => Write::Create {
                name: event_name(&key.object.3, now),
            },
        }
    }

    fn remember(&mut self, key: Key, written: Written) {
        if self.written.len() >= REMEMBERED && !self.written.contains_key(&key) {
            // Forgetting only costs a fresh event instead of a bumped count.
            self.written.clear();
        }
        self.written.insert(key, written);
    }

    fn forget(&mut self, key: &Key) {
        self.written.remove(key);
    }
}

/// An Event written under `name` for `count` occurrences since `first`.
fn new_event(
    component: &str,
    name: &str,
    object: &ObjectReference,
    report: &Report,
    count: i32,
    first: Timestamp,
    now: Timestamp,
) -> Event {
    let reporter = Reporter {
        component,
        instance: "",
        host: None,
    };
    let mut event = berth_api::events::new_event(&reporter, object, report, now);
    event.metadata.name = Some(name.into());
    event.count = Some(count);
    event.first_timestamp = Some(Time(first));
    event
}

async fn write(
    client: &Client,
    component: &str,
    correlator: &mut Correlator,
    object: ObjectReference,
    report: Report,
) {
    let now = Timestamp::now();
    let key = Key::new(&object, &report);
    let namespace = object.namespace.as_deref().unwrap_or("default");
    let api = Api::<Event>::namespaced(client.clone(), namespace);
    let result = match correlator.decide(&key, now) {
        Write::Bump { name, count, first } => {
            let patch = json!({
                "count": count,
                "lastTimestamp": Time(now),
                "message": report.message,
            });
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(event) => Ok((event, count, first)),
                // Gone (expired): write it afresh under the same name, keeping the count.
                Err(kube::Error::Api(status)) if status.is_not_found() => {
                    let event = new_event(component, &name, &object, &report, count, first, now);
                    api.create(&PostParams::default(), &event)
                        .await
                        .map(|e| (e, count, first))
                }
                Err(error) => Err(error),
            }
        }
        Write::Create { name } => {
            let event = new_event(component, &name, &object, &report, 1, now, now);
            api.create(&PostParams::default(), &event)
                .await
                .map(|e| (e, 1, now))
        }
    };
    match result {
        Ok((event, count, first)) => {
            let written = Written {
                name: event.name_any(),
                count,
                first,
            };
            correlator.remember(key, written);
        }
        Err(error) => {
            correlator.forget(&key);
            debug!(%error, reason = %report.reason, "cannot write event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> ObjectReference {
        ObjectReference {
            api_version: Some("apps/v1".into()),
            kind: Some("StatefulSet".into()),
            name: Some("web".into()),
            namespace: Some("default".into()),
            uid: Some("u1".into()),
            ..ObjectReference::default()
        }
    }

    fn created() -> Report {
        Report::new(
            EventType::Normal,
            "SuccessfulCreate",
            "create Pod web-0 in StatefulSet web successful".into(),
        )
    }

    #[test]
    fn identical_events_bump_the_count_of_the_first() {
        let mut correlator = Correlator::default();
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let key = Key::new(&reference(), &created());
        let Write::Create { name } = correlator.decide(&key, t0) else {
            panic!("first event must be created");
        };
        assert_eq!(name, format!("web.{:x}", t0.as_nanosecond()));
        correlator.remember(
            key.clone(),
            Written {
                name: name.clone(),
                count: 1,
                first: t0,
            },
        );
        let t1 = Timestamp::from_second(1_700_000_010).unwrap();
        assert_eq!(
            correlator.decide(&key, t1),
            Write::Bump {
                name: name.clone(),
                count: 2,
                first: t0
            }
        );
        // Another message, another object or a forgotten key start a new event.
        let other = Key::new(
            &reference(),
            &Report::new(EventType::Normal, "SuccessfulCreate", "other".into()),
        );
        assert!(matches!(
            correlator.decide(&other, t1),
            Write::Create { .. }
        ));
        let mut pod = reference();
        pod.uid = Some("u2".into());
        assert!(matches!(
            correlator.decide(&Key::new(&pod, &created()), t1),
            Write::Create { .. }
        ));
        correlator.forget(&key);
        assert!(matches!(correlator.decide(&key, t1), Write::Create { .. }));
    }

    #[test]
    fn events_carry_upstream_fields() {
        let t0 = Timestamp::from_second(1_700_000_000).unwrap();
        let t1 = Timestamp::from_second(1_700_000_005).unwrap();
        let event = new_event(
            "statefulset-controller",
            "web.1",
            &reference(),
            &created(),
            3,
            t0,
            t1,
        );
        assert_eq!(event.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(event.type_.as_deref(), Some("Normal"));
        assert_eq!(event.count, Some(3));
        assert_eq!(event.first_timestamp, Some(Time(t0)));
        assert_eq!(event.last_timestamp, Some(Time(t1)));
        assert_eq!(
            event.source.unwrap().component.as_deref(),
            Some("statefulset-controller")
        );
        assert_eq!(event.involved_object.kind.as_deref(), Some("StatefulSet"));
    }
}
