//! Shared informers, as in client-go's `SharedInformerFactory`: every component in the
//! process that follows a kind (the scheduler, the StatefulSet, endpoints, volume and node
//! lifecycle controllers all follow pods) shares one list+watch through the API server and
//! one cache of `Arc` objects, instead of each decoding and keeping its own copy.
//!
//! A subscriber gets the kube-runtime watcher's event sequence (`Init`, `InitApply`…,
//! `InitDone`, then `Apply`/`Delete`, and again from `Init` after a re-list) with shared
//! objects, and can read the cache at any time. Components stay ordinary API clients: the
//! informer is only the client side of their watches.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Client, Resource};
use tokio::sync::{mpsc, watch};
use tracing::warn;

/// A namespaced name (namespace empty for cluster-scoped objects).
pub type Key = (String, String);

/// The cache key of an object.
pub fn key_of<K: Resource>(object: &K) -> Key {
    (
        object.meta().namespace.clone().unwrap_or_default(),
        object.meta().name.clone().unwrap_or_default(),
    )
}

/// The kinds an informer can follow.
pub trait Kind:
    Resource<DynamicType = ()> + Clone + Debug + Send + Sync + serde::de::DeserializeOwned + 'static
{
}

impl<K> Kind for K where
    K: Resource<DynamicType = ()>
        + Clone
        + Debug
        + Send
        + Sync
        + serde::de::DeserializeOwned
        + 'static
{
}

/// One informer per kind, started on first use; cheap to clone.
#[derive(Clone)]
pub struct Informers {
    client: Client,
    stop: watch::Receiver<bool>,
    started: Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl Informers {
    /// Informers watching through `client` until `stop` turns true.
    pub fn new(client: Client, stop: watch::Receiver<bool>) -> Informers {
        Informers {
            client,
            stop,
            started: Arc::default(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The same informers (watches and caches) handing `client` to the component that
    /// uses them, for its own requests.
    pub fn with_client(&self, client: Client) -> Informers {
        Informers {
            client,
            ..self.clone()
        }
    }

    /// The informer of kind `K`, starting its watch if this is the first request.
    pub fn get<K: Kind>(&self) -> Informer<K> {
        let mut started = lock(&self.started);
        if let Some(informer) = started
            .get(&TypeId::of::<K>())
            .and_then(|any| any.downcast_ref::<Informer<K>>())
        {
            return informer.clone();
        }
        let informer = Informer::default();
        started.insert(TypeId::of::<K>(), Box::new(informer.clone()));
        let events = watcher(
            Api::<K>::all(self.client.clone()),
            watcher::Config::default(),
        )
        // managedFields are half of a typical object and no component reads them.
        .modify(|o| o.meta_mut().managed_fields = None)
        .default_backoff();
        tokio::spawn(informer.clone().run(events, self.stop.clone()));
        informer
    }
}

/// The shared watch and cache of one kind.
pub struct Informer<K> {
    shared: Arc<Shared<K>>,
}

impl<K> Clone for Informer<K> {
    fn clone(&self) -> Self {
        Informer {
            shared: self.shared.clone(),
        }
    }
}

impl<K> Default for Informer<K> {
    fn default() -> Self {
        Informer {
            shared: Arc::new(Shared {
                cache: RwLock::default(),
                feed: Mutex::new(Feed {
                    relist: None,
                    subscribers: Vec::new(),
                }),
                synced: watch::channel(false).0,
            }),
        }
    }
}

struct Shared<K> {
    cache: RwLock<HashMap<Key, Arc<K>>>,
    feed: Mutex<Feed<K>>,
    synced: watch::Sender<bool>,
}

/// What changes under the feed lock: a subscriber joins between two events, never inside
/// one.
struct Feed<K> {
    /// The objects of a list in progress (between `Init` and `InitDone`).
    relist: Option<Vec<Arc<K>>>,
    subscribers: Vec<mpsc::UnboundedSender<Event<Arc<K>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K> Shared<K> {
    fn cache(&self) -> RwLockReadGuard<'_, HashMap<Key, Arc<K>>> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn cache_mut(&self) -> RwLockWriteGuard<'_, HashMap<Key, Arc<K>>> {
        self.cache.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Kind> Informer<K> {
    /// The changes from now on, starting with the current list (or the rest of the list
    /// in progress) so the subscriber's picture is complete.
    pub fn subscribe(&self) -> impl Stream<Item = Event<Arc<K>>> + Send + 'static {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut feed = lock(&self.shared.feed);
        // The channel is fresh and its receiver is alive: these sends cannot fail.
        if let Some(listed) = &feed.relist {
            let _ = tx.send(Event::Init);
            for object in listed {
                let _ = tx.send(Event::InitApply(object.clone()));
            }
        } else if self.is_synced() {
            let _ = tx.send(Event::Init);
            for object in self.list() {
                let _ = tx.send(Event::InitApply(object));
            }
            let _ = tx.send(Event::InitDone);
        }
        feed.subscribers.push(tx);
        futures::stream::unfold(rx, |mut rx| async move {
            let event = rx.recv().await?;
            Some((event, rx))
        })
    }

    /// The objects of every change from now on, applied or deleted (for components that
    /// only need to know what to look at again).
    pub fn touched_objects(&self) -> impl Stream<Item = Arc<K>> + Send + 'static {
        self.subscribe().filter_map(|event| {
            futures::future::ready(match event {
                Event::Apply(object) | Event::InitApply(object) | Event::Delete(object) => {
                    Some(object)
                }
                Event::Init | Event::InitDone => None,
            })
        })
    }

    /// The cached object, if any.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let cache = self.shared.cache();
        cache
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Every cached object.
    pub fn list(&self) -> Vec<Arc<K>> {
        let cache = self.shared.cache();
        cache.values().cloned().collect()
    }

    /// Whether the first list has completed.
    pub fn is_synced(&self) -> bool {
        *self.shared.synced.borrow()
    }

    /// Completes once the first list has completed.
    pub async fn synced(&self) {
        let _ = self
            .shared
            .synced
            .subscribe()
            .wait_for(|synced| *synced)
            .await;
    }

    async fn run(
        self,
        events: impl Stream<Item = watcher::Result<Event<K>>> + Send,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut events = std::pin::pin!(events);
        loop {
            let event = tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return,
                event = events.next() => event,
            };
            match event {
                Some(Ok(event)) => self.publish(event),
                Some(Err(error)) => {
                    warn!(kind = %K::kind(&()), %error, "informer watch failed; retrying");
                }
                None => return,
            }
        }
    }

    /// Takes one event into the cache, then hands it to every subscriber.
    fn publish(&self, event: Event<K>) {
        let mut feed = lock(&self.shared.feed);
        let event = match event {
            Event::Init => {
                feed.relist = Some(Vec::new());
                Event::Init
            }
            Event::InitApply(object) => {
                let object = Arc::new(object);
                feed.relist.get_or_insert_default().push(object.clone());
                Event::InitApply(object)
            }
            Event::InitDone => {
                let listed = feed.relist.take().unwrap_or_default();
                let cache = listed.into_iter().map(|o| (key_of(&*o), o)).collect();
                *self.shared.cache_mut() = cache;
                self.shared.synced.send_replace(true);
                Event::InitDone
            }
            Event::Apply(object) => {
                let object = Arc::new(object);
                self.shared
                    .cache_mut()
                    .insert(key_of(&*object), object.clone());
                Event::Apply(object)
            }
            Event::Delete(object) => {
                let object = Arc::new(object);
                self.shared.cache_mut().remove(&key_of(&*object));
                Event::Delete(object)
            }
        };
        feed.subscribers
            .retain(|subscriber| subscriber.send(event.clone()).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::ObjectMeta;

    fn pod(name: &str, version: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                resource_version: Some(version.into()),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        }
    }

    /// An event as (type, name@version) for comparisons.
    fn label(event: &Event<Arc<Pod>>) -> String {
        let of = |p: &Arc<Pod>| {
            format!(
                "{}@{}",
                p.metadata.name.as_deref().unwrap_or_default(),
                p.metadata.resource_version.as_deref().unwrap_or_default()
            )
        };
        match event {
            Event::Init => "Init".into(),
            Event::InitApply(p) => format!("InitApply {}", of(p)),
            Event::InitDone => "InitDone".into(),
            Event::Apply(p) => format!("Apply {}", of(p)),
            Event::Delete(p) => format!("Delete {}", of(p)),
        }
    }

    async fn drain(
        stream: &mut (impl Stream<Item = Event<Arc<Pod>>> + Unpin),
        count: usize,
    ) -> Vec<String> {
        let mut labels = Vec::new();
        for _ in 0..count {
            labels.push(label(&stream.next().await.expect("an event")));
        }
        labels
    }

    #[tokio::test]
    async fn subscribers_share_one_cache_and_see_complete_lists() {
        let informer = Informer::<Pod>::default();
        let mut early = Box::pin(informer.subscribe());
        informer.publish(Event::Init);
        informer.publish(Event::InitApply(pod("a", "1")));
        // Joins during the list: gets the part already listed, then the rest live.
        let mut during = Box::pin(informer.subscribe());
        informer.publish(Event::InitApply(pod("b", "2")));
        assert!(informer.list().is_empty(), "the cache switches at InitDone");
        informer.publish(Event::InitDone);
        assert!(informer.is_synced());
        informer.publish(Event::Apply(pod("a", "3")));
        informer.publish(Event::Delete(pod("b", "2")));
        // Joins later: gets the current state as a list.
        let mut late = Box::pin(informer.subscribe());

        let whole = [
            "Init",
            "InitApply a@1",
            "InitApply b@2",
            "InitDone",
            "Apply a@3",
            "Delete b@2",
        ];
        assert_eq!(drain(&mut early, 6).await, whole);
        assert_eq!(drain(&mut during, 6).await, whole);
        assert_eq!(
            drain(&mut late, 3).await,
            ["Init", "InitApply a@3", "InitDone"]
        );

        let cached = informer.get("ns", "a").expect("cached");
        assert_eq!(cached.metadata.resource_version.as_deref(), Some("3"));
        assert!(informer.get("ns", "b").is_none());
        assert_eq!(informer.list().len(), 1);
        // Subscribers and the cache hold the same allocation, not copies.
        informer.publish(Event::Apply(pod("c", "4")));
        let Event::Apply(seen) = late.next().await.expect("an event") else {
            panic!("expected Apply");
        };
        assert!(Arc::ptr_eq(
            &seen,
            &informer.get("ns", "c").expect("cached")
        ));
    }

    #[tokio::test]
    async fn a_relist_replaces_the_cache_and_gone_subscribers_are_dropped() {
        let informer = Informer::<Pod>::default();
        for event in [
            Event::Init,
            Event::InitApply(pod("a", "1")),
            Event::InitDone,
        ] {
            informer.publish(event);
        }
        drop(informer.subscribe());
        let mut kept = Box::pin(informer.subscribe());
        // The watch restarted and `a` is gone by the time of the new list.
        for event in [
            Event::Init,
            Event::InitApply(pod("b", "5")),
            Event::InitDone,
        ] {
            informer.publish(event);
        }
        assert_eq!(lock(&informer.shared.feed).subscribers.len(), 1);
        assert_eq!(
            drain(&mut kept, 6).await,
            [
                "Init",
                "InitApply a@1",
                "InitDone",
                "Init",
                "InitApply b@5",
                "InitDone"
            ]
        );
        assert!(informer.get("ns", "a").is_none());
        assert!(informer.get("ns", "b").is_some());
    }

    #[tokio::test]
    async fn touched_objects_are_those_applied_or_deleted() {
        let informer = Informer::<Pod>::default();
        let mut touched = Box::pin(informer.touched_objects());
        for event in [
            Event::Init,
            Event::InitApply(pod("a", "1")),
            Event::InitDone,
            Event::Apply(pod("b", "2")),
            Event::Delete(pod("a", "1")),
        ] {
            informer.publish(event);
        }
        let mut seen = Vec::new();
        for _ in 0..3 {
            let object = touched.next().await.expect("an object");
            seen.push(object.metadata.name.clone().unwrap_or_default());
        }
        assert_eq!(seen, ["a", "b", "a"]);
    }

    #[tokio::test]
    async fn run_follows_the_watch_until_stopped() {
        let informer = Informer::<Pod>::default();
        let (stop_tx, stop) = watch::channel(false);
        let events = futures::stream::iter([
            Ok(Event::Init),
            Ok(Event::InitApply(pod("a", "1"))),
            Ok(Event::InitDone),
        ])
        .chain(futures::stream::pending());
        let running = tokio::spawn(informer.clone().run(events, stop));
        informer.synced().await;
        assert!(informer.get("ns", "a").is_some());
        stop_tx.send_replace(true);
        running.await.expect("run ends when stopped");
    }
}
