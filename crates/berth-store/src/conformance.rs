//! The behaviour every [`Store`] backend must show, as one suite: call [`run_all`] from the
//! backend's tests. Each case panics with a message naming what broke.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use crate::{Compare, Error, Event, KeyValue, Op, RangeRequest, Store, TxnResult, WatchStream};

/// Makes the stores the suite runs against.
pub trait StoreFactory: Sync {
    type Store: Store;

    /// A new, empty store.
    fn fresh(&self) -> impl Future<Output = Arc<Self::Store>> + Send;

    /// Shuts `store` down and opens its data again, as a process restart would.
    fn reopen(&self, store: Arc<Self::Store>) -> impl Future<Output = Arc<Self::Store>> + Send;
}

/// Runs every case, each on a fresh store.
pub async fn run_all<F: StoreFactory>(factory: &F) {
    create_update_delete(&*factory.fresh().await).await;
    one_txn_is_one_revision(&*factory.fresh().await).await;
    range_by_prefix(&*factory.fresh().await).await;
    range_and_get_at_old_revisions(&*factory.fresh().await).await;
    watch_replays_then_follows(&*factory.fresh().await).await;
    watch_carries_previous_versions(&*factory.fresh().await).await;
    compacted_history_is_refused(&*factory.fresh().await).await;
    compaction_keeps_latest(&*factory.fresh().await).await;
    concurrent_writers(factory.fresh().await).await;
    restart_keeps_everything(factory).await;
}

/// How long a watch may take to deliver an event that is due.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn kv(key: &str, value: &str, create_revision: i64, mod_revision: i64) -> Arc<KeyValue> {
    Arc::new(KeyValue {
        key: key.into(),
        value: value.into(),
        create_revision,
        mod_revision,
    })
}

pub(crate) fn put(key: &str, value: &str) -> Op {
    Op::Put {
        key: key.into(),
        value: value.into(),
    }
}

pub(crate) fn delete(key: &str) -> Op {
    Op::Delete { key: key.into() }
}

fn prefix(prefix: &str) -> RangeRequest {
    RangeRequest {
        prefix: prefix.into(),
        ..Default::default()
    }
}

/// Runs a transaction that must commit; returns its revision.
async fn commit(store: &dyn Store, compares: Vec<Compare>, ops: Vec<Op>) -> i64 {
    match store.txn(compares.clone(), ops.clone()).await {
        Ok(TxnResult::Committed { revision, .. }) => revision,
        other => panic!("txn {compares:?} {ops:?} should commit, got {other:?}"),
    }
}

async fn keys_and_values(store: &dyn Store, req: RangeRequest) -> Vec<(String, String)> {
    let res = store
        .range(req.clone())
        .await
        .unwrap_or_else(|e| panic!("range {req:?}: {e}"));
    res.kvs
        .iter()
        .map(|kv| (kv.key.clone(), String::from_utf8_lossy(&kv.value).into()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn next_events(stream: &mut WatchStream, count: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        match tokio::time::timeout(EVENT_TIMEOUT, stream.next()).await {
            Ok(Some(Ok(event))) => events.push(event),
            Ok(other) => panic!("watch ended after {events:?}: {other:?}"),
            Err(_) => panic!(
                "watch delivered {} of {count} events: {events:?}",
                events.len()
            ),
        }
    }
    events
}

async fn assert_quiet(stream: &mut WatchStream) {
    if let Ok(item) = tokio::time::timeout(Duration::from_millis(100), stream.next()).await {
        panic!("watch should have nothing to say, got {item:?}");
    }
}

/// Events as (revision, key, value or "<deleted>") for compact comparison.
fn summary(events: &[Event]) -> Vec<(i64, String, String)> {
    events
        .iter()
        .map(|event| match event {
            Event::Put { kv, .. } => (
                kv.mod_revision,
                kv.key.clone(),
                String::from_utf8_lossy(&kv.value).into(),
            ),
            Event::Delete { prev, revision } => (*revision, prev.key.clone(), "<deleted>".into()),
        })
        .collect()
}

async fn create_update_delete(store: &dyn Store) {
    let a = || "a".to_string();
    let created = store
        .txn(vec![Compare::Absent(a())], vec![put("a", "1")])
        .await
        .unwrap();
    let TxnResult::Committed { revision: r1, kvs } = created else {
        panic!("create of an absent key failed: {created:?}")
    };
    assert_eq!(
        kvs,
        vec![Some(kv("a", "1", r1, r1))],
        "create answers the new version"
    );
    assert_eq!(store.current_revision(), r1);

    let again = store
        .txn(vec![Compare::Absent(a())], vec![put("a", "x")])
        .await
        .unwrap();
    assert_eq!(
        again,
        TxnResult::Failed {
            current: vec![Some(kv("a", "1", r1, r1))]
        },
        "a second create fails and answers the current version"
    );
    assert_eq!(
        store.current_revision(),
        r1,
        "a failed txn takes no revision"
    );

    let updated = store
        .txn(vec![Compare::ModRevision(a(), r1)], vec![put("a", "2")])
        .await;
    let Ok(TxnResult::Committed { revision: r2, kvs }) = updated else {
        panic!("update at the current revision failed: {updated:?}")
    };
    assert!(r2 > r1, "revisions increase: {r1} then {r2}");
    assert_eq!(
        kvs,
        vec![Some(kv("a", "2", r1, r2))],
        "update keeps the create revision"
    );

    let stale = store
        .txn(vec![Compare::ModRevision(a(), r1)], vec![put("a", "x")])
        .await
        .unwrap();
    assert_eq!(
        stale,
        TxnResult::Failed {
            current: vec![Some(kv("a", "2", r1, r2))]
        }
    );
    assert_eq!(
        store.get("a", None).await.unwrap(),
        Some(kv("a", "2", r1, r2))
    );

    let deleted = store
        .txn(vec![Compare::Present(a())], vec![delete("a")])
        .await;
    let Ok(TxnResult::Committed { revision: r3, kvs }) = deleted else {
        panic!("delete of a present key failed: {deleted:?}")
    };
    assert!(r3 > r2);
    assert_eq!(
        kvs,
        vec![Some(kv("a", "2", r1, r2))],
        "delete answers the deleted version"
    );
    assert_eq!(store.get("a", None).await.unwrap(), None);

    for compare in [Compare::Present(a()), Compare::ModRevision(a(), r2)] {
        let res = store
            .txn(vec![compare.clone()], vec![put("a", "x")])
            .await
            .unwrap();
        assert_eq!(
            res,
            TxnResult::Failed {
                current: vec![None]
            },
            "{compare:?} on a deleted key"
        );
    }
    let res = store.txn(vec![], vec![delete("a")]).await.unwrap();
    assert_eq!(
        res,
        TxnResult::Committed {
            revision: r3,
            kvs: vec![None]
        },
        "deleting an absent key changes nothing and takes no revision"
    );

    let r4 = commit(store, vec![Compare::Absent(a())], vec![put("a", "3")]).await;
    assert!(r4 > r3);
    assert_eq!(
        store.get("a", None).await.unwrap(),
        Some(kv("a", "3", r4, r4)),
        "a recreated key starts a new create revision"
    );
    let r5 = commit(store, vec![], vec![put("a", "4")]).await;
    assert_eq!(
        store.get("a", None).await.unwrap(),
        Some(kv("a", "4", r4, r5))
    );
}

async fn one_txn_is_one_revision(store: &dyn Store) {
    let r1 = commit(store, vec![], vec![put("t/c", "1")]).await;
    let mut stream = store.watch("t/", r1).await.unwrap();
    let ops = vec![put("t/a", "1"), put("t/b", "1"), delete("t/c")];
    let res = store
        .txn(vec![Compare::Present("t/c".into())], ops)
        .await
        .unwrap();
    let TxnResult::Committed { revision: r2, kvs } = res else {
        panic!("txn failed: {res:?}")
    };
    assert_eq!(r2, r1 + 1, "one txn takes exactly one revision");
    assert_eq!(
        kvs,
        vec![
            Some(kv("t/a", "1", r2, r2)),
            Some(kv("t/b", "1", r2, r2)),
            Some(kv("t/c", "1", r1, r1))
        ]
    );
    let mut events = summary(&next_events(&mut stream, 3).await);
    events.sort();
    assert_eq!(
        events,
        vec![
            (r2, "t/a".into(), "1".into()),
            (r2, "t/b".into(), "1".into()),
            (r2, "t/c".into(), "<deleted>".into())
        ],
        "every op of the txn is an event at its revision"
    );
    let mut last = r2;
    for i in 0..20 {
        let revision = commit(store, vec![], vec![put(&format!("t/{i}"), "v")]).await;
        assert!(revision > last, "revision {revision} after {last}");
        assert_eq!(store.current_revision(), revision);
        last = revision;
    }
}

async fn range_by_prefix(store: &dyn Store) {
    for key in ["p/c", "p/a", "pa", "p/b", "q/x", "o"] {
        commit(store, vec![], vec![put(key, key)]).await;
    }
    let newest = store.current_revision();
    let res = store.range(prefix("p/")).await.unwrap();
    assert_eq!(res.revision, newest, "a range reports the revision it read");
    assert!(!res.more);
    assert_eq!(
        keys_and_values(store, prefix("p/")).await,
        pairs(&[("p/a", "p/a"), ("p/b", "p/b"), ("p/c", "p/c")]),
        "only keys under the prefix, in key order"
    );

    let page = store
        .range(RangeRequest {
            limit: 2,
            ..prefix("p/")
        })
        .await
        .unwrap();
    let keys: Vec<&str> = page.kvs.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        (keys, page.more),
        (vec!["p/a", "p/b"], true),
        "limit cuts and says more"
    );
    assert_eq!(page.count, 3, "the count ignores the limit");

    let rest = store
        .range(RangeRequest {
            limit: 2,
            start_after: Some("p/b".into()),
            ..prefix("p/")
        })
        .await
        .unwrap();
    let keys: Vec<&str> = rest.kvs.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        (keys, rest.more),
        (vec!["p/c"], false),
        "start_after continues the list"
    );
    assert_eq!(rest.count, 1, "the count starts after start_after");

    let exact = store
        .range(RangeRequest {
            limit: 3,
            ..prefix("p/")
        })
        .await
        .unwrap();
    assert!(
        !exact.more,
        "a limit equal to the count leaves nothing more"
    );
    let all = store.range(prefix("")).await.unwrap();
    assert_eq!(all.kvs.len(), 6, "the empty prefix covers every key");
    let none = store.range(prefix("z/")).await.unwrap();
    assert!(none.kvs.is_empty() && !none.more);
}

async fn range_and_get_at_old_revisions(store: &dyn Store) {
    let r1 = commit(store, vec![], vec![put("h/a", "a1")]).await;
    let r2 = commit(store, vec![], vec![put("h/b", "b1")]).await;
    let r3 = commit(store, vec![], vec![put("h/a", "a2")]).await;
    let r4 = commit(store, vec![], vec![delete("h/b")]).await;
    let r5 = commit(store, vec![], vec![put("h/c", "c1"), put("h/d", "d1")]).await;
    let at = |revision: i64| RangeRequest {
        revision: Some(revision),
        ..prefix("h/")
    };
    let cases = [
        (r1, pairs(&[("h/a", "a1")])),
        (r2, pairs(&[("h/a", "a1"), ("h/b", "b1")])),
        (r3, pairs(&[("h/a", "a2"), ("h/b", "b1")])),
        (r4, pairs(&[("h/a", "a2")])),
        (r5, pairs(&[("h/a", "a2"), ("h/c", "c1"), ("h/d", "d1")])),
    ];
    for (revision, want) in &cases {
        assert_eq!(
            &keys_and_values(store, at(*revision)).await,
            want,
            "range at {revision}"
        );
        let res = store.range(at(*revision)).await.unwrap();
        assert_eq!(
            res.revision, *revision,
            "a range at a revision reports that revision"
        );
    }
    // Paging at a fixed revision while the store moves on.
    commit(store, vec![], vec![put("h/a", "a3"), put("h/b", "b2")]).await;
    let first = store
        .range(RangeRequest { limit: 2, ..at(r5) })
        .await
        .unwrap();
    assert_eq!(
        first.kvs,
        vec![kv("h/a", "a2", r1, r3), kv("h/c", "c1", r5, r5)]
    );
    assert!(first.more);
    assert_eq!(first.count, 3, "counted at the revision read");
    let second = store
        .range(RangeRequest {
            limit: 2,
            start_after: Some("h/c".into()),
            ..at(r5)
        })
        .await
        .unwrap();
    assert_eq!(
        (second.kvs, second.more, second.count),
        (vec![kv("h/d", "d1", r5, r5)], false, 1)
    );

    assert_eq!(
        store.get("h/a", Some(r1)).await.unwrap(),
        Some(kv("h/a", "a1", r1, r1))
    );
    assert_eq!(
        store.get("h/a", Some(r2)).await.unwrap(),
        Some(kv("h/a", "a1", r1, r1))
    );
    assert_eq!(
        store.get("h/a", Some(r3)).await.unwrap(),
        Some(kv("h/a", "a2", r1, r3))
    );
    assert_eq!(
        store.get("h/b", Some(r3)).await.unwrap(),
        Some(kv("h/b", "b1", r2, r2))
    );
    assert_eq!(
        store.get("h/b", Some(r4)).await.unwrap(),
        None,
        "deleted at r4"
    );
    assert_eq!(
        store.get("h/c", Some(r4)).await.unwrap(),
        None,
        "not yet created"
    );

    let current = store.current_revision();
    assert!(
        matches!(
            store.get("h/a", Some(current + 1)).await,
            Err(Error::FutureRevision { .. })
        ),
        "get past the current revision"
    );
    let future = store.range(at(current + 5)).await;
    assert!(
        matches!(future, Err(Error::FutureRevision { requested, current: c }) if requested == current + 5 && c == current),
        "range past the current revision: {future:?}"
    );
    let newest = store.range(at(current)).await.unwrap();
    assert_eq!(newest.kvs.len(), 4, "the current revision is readable");
}

async fn watch_replays_then_follows(store: &dyn Store) {
    let start = store.current_revision();
    let r1 = commit(store, vec![], vec![put("w/a", "1")]).await;
    commit(store, vec![], vec![put("x/a", "other prefix")]).await;
    let r3 = commit(store, vec![], vec![put("w/b", "1")]).await;
    let r4 = commit(store, vec![], vec![put("w/a", "2")]).await;

    let mut from_start = store.watch("w/", start).await.unwrap();
    let mut from_r3 = store.watch("w/", r3).await.unwrap();
    let mut from_now = store.watch("w/", r4).await.unwrap();
    let mut everything = store.watch("", start).await.unwrap();

    let r5 = commit(store, vec![], vec![delete("w/b")]).await;
    let r6 = commit(store, vec![], vec![put("x/b", "other prefix")]).await;
    let r7 = commit(store, vec![], vec![put("w/c", "1")]).await;

    assert_eq!(
        summary(&next_events(&mut from_start, 5).await),
        vec![
            (r1, "w/a".into(), "1".into()),
            (r3, "w/b".into(), "1".into()),
            (r4, "w/a".into(), "2".into()),
            (r5, "w/b".into(), "<deleted>".into()),
            (r7, "w/c".into(), "1".into()),
        ],
        "history, then live events, in order, only under the prefix"
    );
    assert_eq!(
        summary(&next_events(&mut from_r3, 3).await),
        vec![
            (r4, "w/a".into(), "2".into()),
            (r5, "w/b".into(), "<deleted>".into()),
            (r7, "w/c".into(), "1".into()),
        ],
        "only events after the revision"
    );
    assert_eq!(
        summary(&next_events(&mut from_now, 2).await),
        vec![
            (r5, "w/b".into(), "<deleted>".into()),
            (r7, "w/c".into(), "1".into())
        ]
    );
    let revisions: Vec<i64> = next_events(&mut everything, 7)
        .await
        .iter()
        .map(Event::revision)
        .collect();
    assert_eq!(
        revisions,
        vec![r1, r1 + 1, r3, r4, r5, r6, r7],
        "no gap, no duplicate"
    );
    for stream in [
        &mut from_start,
        &mut from_r3,
        &mut from_now,
        &mut everything,
    ] {
        assert_quiet(stream).await;
    }

    // Many watchers opened while writes race with them: each sees every write after its start.
    let mut watchers = Vec::new();
    let mut written = Vec::new();
    for i in 0..30 {
        let revision = store.current_revision();
        watchers.push((revision, store.watch("race/", revision).await.unwrap()));
        written.push(commit(store, vec![], vec![put("race/k", &i.to_string())]).await);
    }
    for (start, mut stream) in watchers {
        let due: Vec<i64> = written.iter().copied().filter(|r| *r > start).collect();
        let seen: Vec<i64> = next_events(&mut stream, due.len())
            .await
            .iter()
            .map(Event::revision)
            .collect();
        assert_eq!(seen, due, "watch from {start}");
        assert_quiet(&mut stream).await;
    }
}

async fn watch_carries_previous_versions(store: &dyn Store) {
    let start = store.current_revision();
    let r1 = commit(store, vec![], vec![put("v/a", "1")]).await;
    let r2 = commit(store, vec![], vec![put("v/a", "2")]).await;
    let r3 = commit(store, vec![], vec![delete("v/a")]).await;
    let mut replayed = store.watch("v/", start).await.unwrap();
    let mut live = store.watch("v/", r3).await.unwrap();
    let r4 = commit(store, vec![], vec![put("v/a", "3")]).await;
    let r5 = commit(store, vec![], vec![put("v/a", "4")]).await;
    let r6 = commit(store, vec![], vec![delete("v/a")]).await;
    let want = vec![
        Event::Put {
            kv: kv("v/a", "1", r1, r1),
            prev: None,
        },
        Event::Put {
            kv: kv("v/a", "2", r1, r2),
            prev: Some(kv("v/a", "1", r1, r1)),
        },
        Event::Delete {
            prev: kv("v/a", "2", r1, r2),
            revision: r3,
        },
        Event::Put {
            kv: kv("v/a", "3", r4, r4),
            prev: None,
        },
        Event::Put {
            kv: kv("v/a", "4", r4, r5),
            prev: Some(kv("v/a", "3", r4, r4)),
        },
        Event::Delete {
            prev: kv("v/a", "4", r4, r5),
            revision: r6,
        },
    ];
    assert_eq!(
        next_events(&mut replayed, 6).await,
        want,
        "replayed and live events"
    );
    assert_eq!(
        next_events(&mut live, 3).await,
        want[3..].to_vec(),
        "live events"
    );
}

async fn compacted_history_is_refused(store: &dyn Store) {
    let r1 = commit(store, vec![], vec![put("c/a", "1")]).await;
    let r2 = commit(store, vec![], vec![put("c/a", "2")]).await;
    let r3 = commit(store, vec![], vec![put("c/a", "3")]).await;
    store.compact(r2).await.unwrap();
    assert_eq!(store.compacted_revision(), r2);

    let watch = store.watch("c/", r1).await;
    assert!(
        matches!(watch, Err(Error::Compacted { requested, compacted }) if requested == r1 && compacted == r2),
        "watch from a compacted revision: {:?}",
        watch.map(|_| "a stream")
    );
    let range = store
        .range(RangeRequest {
            revision: Some(r1),
            ..prefix("c/")
        })
        .await;
    assert!(
        matches!(range, Err(Error::Compacted { .. })),
        "range at {r1}: {range:?}"
    );
    let get = store.get("c/a", Some(r1)).await;
    assert!(
        matches!(get, Err(Error::Compacted { .. })),
        "get at {r1}: {get:?}"
    );

    let mut stream = store
        .watch("c/", r2)
        .await
        .expect("watch from the compacted revision");
    assert_eq!(
        summary(&next_events(&mut stream, 1).await),
        vec![(r3, "c/a".into(), "3".into())]
    );
    assert_eq!(
        store.get("c/a", Some(r2)).await.unwrap(),
        Some(kv("c/a", "2", r1, r2))
    );

    let future = store.compact(store.current_revision() + 1).await;
    assert!(
        matches!(future, Err(Error::FutureRevision { .. })),
        "compact ahead: {future:?}"
    );
    store
        .compact(r1)
        .await
        .expect("compacting an older revision again changes nothing");
    assert_eq!(store.compacted_revision(), r2);
}

async fn compaction_keeps_latest(store: &dyn Store) {
    let mut revisions = Vec::new();
    for round in 0..5 {
        for key in ["k/a", "k/b", "k/c", "k/d"] {
            revisions.push(commit(store, vec![], vec![put(key, &format!("{key}{round}"))]).await);
        }
    }
    commit(store, vec![], vec![delete("k/b")]).await;
    commit(store, vec![], vec![put("k/e", "e"), delete("k/d")]).await;
    let kept = store.range(prefix("k/")).await.unwrap().kvs;
    let compacted = store.current_revision();
    store.compact(compacted).await.unwrap();

    assert_eq!(
        store.range(prefix("k/")).await.unwrap().kvs,
        kept,
        "newest state survives"
    );
    let at = RangeRequest {
        revision: Some(compacted),
        ..prefix("k/")
    };
    assert_eq!(
        store.range(at).await.unwrap().kvs,
        kept,
        "state at the compacted revision"
    );
    for kv in &kept {
        assert_eq!(
            store.get(&kv.key, Some(compacted)).await.unwrap().as_ref(),
            Some(kv)
        );
    }
    assert_eq!(store.get("k/b", Some(compacted)).await.unwrap(), None);

    // The kept versions still serve compare-and-swap and the previous versions of events.
    let a = kept.iter().find(|kv| kv.key == "k/a").unwrap().clone();
    let mut stream = store.watch("k/", compacted).await.unwrap();
    let next = commit(
        store,
        vec![Compare::ModRevision("k/a".into(), a.mod_revision)],
        vec![put("k/a", "after")],
    )
    .await;
    assert!(next > compacted);
    assert_eq!(
        next_events(&mut stream, 1).await,
        vec![Event::Put {
            kv: kv("k/a", "after", a.create_revision, next),
            prev: Some(a),
        }]
    );
}

async fn concurrent_writers<S: Store>(store: Arc<S>) {
    const TASKS: usize = 16;
    const INCREMENTS: usize = 50;
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let own = format!("n/{task:02}");
            let mut revisions = Vec::new();
            for i in 0..INCREMENTS {
                // Alternate the shared and the own key so both contended and free CAS run.
                for key in ["n/shared", own.as_str()] {
                    revisions.push(increment(&*store, key).await);
                }
                if i % 10 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            revisions
        }));
    }
    let mut seen = HashSet::new();
    for task in tasks {
        for revision in task.await.expect("writer task panicked") {
            assert!(
                seen.insert(revision),
                "revision {revision} given to two writes"
            );
        }
    }
    let values: BTreeMap<String, String> = keys_and_values(&*store, prefix("n/"))
        .await
        .into_iter()
        .collect();
    assert_eq!(
        values["n/shared"],
        (TASKS * INCREMENTS).to_string(),
        "no lost update"
    );
    for task in 0..TASKS {
        assert_eq!(values[&format!("n/{task:02}")], INCREMENTS.to_string());
    }
    assert_eq!(store.current_revision(), *seen.iter().max().unwrap());
}

/// Adds one to the number stored at `key` with compare-and-swap; returns the revision.
async fn increment(store: &dyn Store, key: &str) -> i64 {
    loop {
        let current = store.get(key, None).await.unwrap();
        let (compare, next) = match &current {
            Some(kv) => {
                let n: u64 = String::from_utf8_lossy(&kv.value).parse().unwrap();
                (Compare::ModRevision(key.into(), kv.mod_revision), n + 1)
            }
            None => (Compare::Absent(key.into()), 1),
        };
        match store
            .txn(vec![compare], vec![put(key, &next.to_string())])
            .await
            .unwrap()
        {
            TxnResult::Committed { revision, .. } => return revision,
            TxnResult::Failed { .. } => continue,
        }
    }
}

async fn restart_keeps_everything<F: StoreFactory>(factory: &F) {
    let store = factory.fresh().await;
    let mut last = 0;
    for i in 0..10 {
        last = commit(
            &*store,
            vec![],
            vec![put(&format!("r/{i}"), &i.to_string())],
        )
        .await;
    }
    let mid = commit(&*store, vec![], vec![put("r/0", "changed"), delete("r/1")]).await;
    store.compact(mid).await.unwrap();
    let r_after = commit(&*store, vec![], vec![put("r/2", "after compaction")]).await;
    // The newest write is a delete, then compaction drops its tombstone and every old row.
    let newest = commit(&*store, vec![], vec![delete("r/9")]).await;
    assert!(newest > r_after && r_after > mid && mid > last);
    store.compact(newest).await.unwrap();
    let before = store.range(prefix("")).await.unwrap();

    let store = factory.reopen(store).await;
    assert_eq!(
        store.current_revision(),
        newest,
        "the revision survives a restart"
    );
    assert_eq!(
        store.compacted_revision(),
        newest,
        "the compacted revision survives"
    );
    assert_eq!(
        store.range(prefix("")).await.unwrap(),
        before,
        "every key survives"
    );

    let mut stream = store.watch("r/", newest).await.unwrap();
    let next = commit(&*store, vec![], vec![put("r/1", "again")]).await;
    assert!(
        next > newest,
        "revisions keep increasing after a restart: {next} after {newest}"
    );
    assert_eq!(
        next_events(&mut stream, 1).await,
        vec![Event::Put {
            kv: kv("r/1", "again", next, next),
            prev: None
        }]
    );

    // History written before a restart replays after it, with previous versions.
    let updated = commit(&*store, vec![], vec![put("r/1", "twice")]).await;
    let store = factory.reopen(store).await;
    let mut stream = store.watch("r/1", next - 1).await.unwrap();
    assert_eq!(
        next_events(&mut stream, 2).await,
        vec![
            Event::Put {
                kv: kv("r/1", "again", next, next),
                prev: None
            },
            Event::Put {
                kv: kv("r/1", "twice", next, updated),
                prev: Some(kv("r/1", "again", next, next))
            },
        ]
    );
    let at_mid = RangeRequest {
        revision: Some(next),
        ..prefix("r/1")
    };
    assert_eq!(
        store.range(at_mid).await.unwrap().kvs,
        vec![kv("r/1", "again", next, next)]
    );
}
