//! Events expire an hour after they were last recorded, as with kube-apiserver's
//! `--event-ttl` (there a lease on each event's key in etcd): without it every pod ever
//! scheduled, started or deleted would leave events in the store and in every watcher's
//! cache for good.

use std::sync::{Arc, Weak};
use std::time::Duration;

use berth_api::registry;
use berth_store::{Compare, Op, RangeRequest, Store, TxnResult};
use jiff::Timestamp;
use serde_json::Value;
use tracing::{debug, warn};

/// kube-apiserver's default `--event-ttl`.
pub const DEFAULT_EVENT_TTL: Duration = Duration::from_secs(3600);

/// When an event was last recorded: the newest of the times its recorders set (core
/// `lastTimestamp`/`firstTimestamp`, `events.k8s.io` `eventTime`, series and deprecated
/// fields), else its creation.
pub fn last_recorded(event: &Value) -> Option<Timestamp> {
    [
        "/lastTimestamp",
        "/firstTimestamp",
        "/eventTime",
        "/series/lastObservedTime",
        "/deprecatedLastTimestamp",
        "/metadata/creationTimestamp",
    ]
    .iter()
    .filter_map(|pointer| event.pointer(pointer)?.as_str()?.parse::<Timestamp>().ok())
    .max()
}

/// Whether an event recorded last at `recorded` has outlived `ttl` at `now`.
pub fn expired(recorded: Option<Timestamp>, ttl: Duration, now: Timestamp) -> bool {
    let Ok(ttl) = jiff::SignedDuration::try_from(ttl) else {
        return false;
    };
    // An event without any time cannot be dated: it is left alone.
    recorded.is_some_and(|recorded| recorded.saturating_add(ttl).is_ok_and(|end| end <= now))
}

/// Deletes expired events (core and `events.k8s.io`) every `interval` until the store goes
/// away. Each delete is conditional on the version read, so an event recorded again in
/// the meantime stays.
pub fn spawn_event_expiry(
    store: Weak<dyn Store>,
    ttl: Duration,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(store) = store.upgrade() else {
                return;
            };
            match expire_events(&store, ttl, Timestamp::now()).await {
                Ok(0) => {}
                Ok(deleted) => debug!(deleted, "expired events"),
                Err(berth_store::Error::Closed) => return,
                Err(error) => warn!(%error, "expiring events failed"),
            }
        }
    })
}

/// One pass: deletes the events expired at `now`; returns how many.
pub async fn expire_events(
    store: &Arc<dyn Store>,
    ttl: Duration,
    now: Timestamp,
) -> berth_store::Result<usize> {
    let mut deleted = 0;
    // events.k8s.io Events are the core ones under another name: one pass covers both.
    for kind in registry::RESOURCES
        .iter()
        .filter(|k| k.kind == "Event" && k.stored_as().is_none())
    {
        let listed = store
            .range(RangeRequest {
                prefix: kind.list_prefix(None),
                ..Default::default()
            })
            .await?;
        for kv in listed.kvs {
            let recorded = berth_api::meta::decode_without_managed_fields(&kv.value)
                .ok()
                .and_then(|event| last_recorded(&event));
            if !expired(recorded, ttl, now) {
                continue;
            }
            let compare = Compare::ModRevision(kv.key.clone(), kv.mod_revision);
            let delete = Op::Delete {
                key: kv.key.clone(),
            };
            if let TxnResult::Committed { .. } = store.txn(vec![compare], vec![delete]).await? {
                deleted += 1;
            }
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_newest_recorded_time_counts() {
        let core = json!({
            "metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"},
            "firstTimestamp": "2026-01-01T00:00:00Z",
            "lastTimestamp": "2026-01-01T02:00:00Z",
        });
        assert_eq!(last_recorded(&core), Some(at("2026-01-01T02:00:00Z")));
        let series = json!({
            "metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"},
            "eventTime": "2026-01-01T00:00:00.000001Z",
            "series": {"count": 3, "lastObservedTime": "2026-01-01T03:00:00.5Z"},
        });
        assert_eq!(last_recorded(&series), Some(at("2026-01-01T03:00:00.5Z")));
        assert_eq!(last_recorded(&json!({"lastTimestamp": null})), None);
    }

    #[test]
    fn events_expire_a_ttl_after_their_last_record() {
        let recorded = Some(at("2026-01-01T00:00:00Z"));
        let hour = Duration::from_secs(3600);
        assert!(!expired(recorded, hour, at("2026-01-01T00:59:59Z")));
        assert!(expired(recorded, hour, at("2026-01-01T01:00:00Z")));
        assert!(!expired(None, hour, at("2030-01-01T00:00:00Z")), "undated");
    }
}
