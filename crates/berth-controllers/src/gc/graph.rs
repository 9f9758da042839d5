//! The garbage collector's view of the cluster: which object owns which, built from watch
//! events. Pure state: every change returns the work it makes necessary, so the event
//! handling is tested without an API server.

use std::collections::{BTreeSet, HashMap, HashSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

/// Set by the API server on an owner deleted with `propagationPolicy=Foreground`.
pub(crate) const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
/// Set by the API server on an owner deleted with `propagationPolicy=Orphan`.
pub(crate) const ORPHAN_FINALIZER: &str = "orphan";

/// Where an observed object lives: its kind (index into `RESOURCES`), namespace and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub kind: usize,
    pub namespace: Option<String>,
    pub name: String,
}

/// What the collector remembers of one object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub location: Location,
    pub owners: Vec<OwnerReference>,
    pub being_deleted: bool,
    pub finalizers: Vec<String>,
}

impl Node {
    /// Deleted in the foreground: waits for its blocking dependents to go.
    pub fn deleting_dependents(&self) -> bool {
        self.being_deleted && self.finalizers.iter().any(|f| f == FOREGROUND_FINALIZER)
    }

    /// Deleted with orphan propagation: its dependents lose their reference to it.
    pub fn orphaning_dependents(&self) -> bool {
        self.being_deleted && self.finalizers.iter().any(|f| f == ORPHAN_FINALIZER)
    }
}

/// A unit of work for the collector's workers, keyed by object UID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Work {
    /// Check the object: delete it if all its owners are gone, drop dangling references,
    /// or (for an owner deleted in the foreground) finish once its dependents are gone.
    AttemptToDelete(String),
    /// Remove references to this owner from its dependents, then its `orphan` finalizer.
    Orphan(String),
}

/// Objects by UID, and for each owner UID the UIDs of the objects that reference it.
#[derive(Default)]
pub(crate) struct Graph {
    nodes: HashMap<String, Node>,
    dependents: HashMap<String, BTreeSet<String>>,
    /// Kinds whose watch is re-listing, with the UIDs listed so far.
    relists: HashMap<usize, HashSet<String>>,
}

impl Graph {
    pub fn node(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    /// The owner is known to exist and is not waiting for its dependents.
    pub fn is_solid_owner(&self, uid: &str) -> bool {
        self.nodes
            .get(uid)
            .is_some_and(|n| !n.deleting_dependents())
    }

    pub fn has_dependents(&self, uid: &str) -> bool {
        self.dependents.get(uid).is_some_and(|d| !d.is_empty())
    }

    /// Used to break cycles of foreground deletions (upstream does the same).
    pub fn has_dependent_deleting_dependents(&self, uid: &str) -> bool {
        self.dependent_nodes(uid)
            .any(|(_, n)| n.deleting_dependents())
    }

    /// Dependents that block their owner's foreground deletion, each with whether it is
    /// itself deleting its dependents.
    pub fn blocking_dependents(&self, owner: &str) -> Vec<(String, bool)> {
        self.dependent_nodes(owner)
            .filter(|(_, n)| {
                n.owners
                    .iter()
                    .any(|r| r.uid == owner && r.block_owner_deletion == Some(true))
            })
            .map(|(uid, n)| (uid.to_string(), n.deleting_dependents()))
            .collect()
    }

    /// Every observed dependent of `owner`, with where to find it.
    pub fn dependents_of(&self, owner: &str) -> Vec<(String, Location)> {
        self.dependent_nodes(owner)
            .map(|(uid, n)| (uid.to_string(), n.location.clone()))
            .collect()
    }

    fn dependent_nodes<'a>(&'a self, owner: &str) -> impl Iterator<Item = (&'a str, &'a Node)> {
        self.dependents
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|uid| self.nodes.get(uid).map(|n| (uid.as_str(), n)))
    }

    /// The watch of `kind` restarted: objects not listed again before
    /// [`Graph::finish_relist`] are gone.
    pub fn start_relist(&mut self, kind: usize) {
        self.relists.insert(kind, HashSet::new());
    }

    pub fn finish_relist(&mut self, kind: usize) -> Vec<Work> {
        let Some(listed) = self.relists.remove(&kind) else {
            return Vec::new();
        };
        let stale: Vec<String> = self
            .nodes
            .iter()
            .filter(|(uid, n)| n.location.kind == kind && !listed.contains(*uid))
            .map(|(uid, _)| uid.clone())
            .collect();
        let mut work = Vec::new();
        for uid in stale {
            work.extend(self.forget(&uid));
        }
        dedup(work)
    }

    /// An object was added or changed.
    pub fn observe(&mut self, uid: &str, node: Node) -> Vec<Work> {
        if let Some(listed) = self.relists.get_mut(&node.location.kind) {
            listed.insert(uid.to_string());
        }
        let old = self.nodes.remove(uid);
        let old_owners = old
            .as_ref()
            .map(|o| o.owners.as_slice())
            .unwrap_or_default();
        let mut work = Vec::new();

        for gone in old_owners
            .iter()
            .filter(|r| !node.owners.iter().any(|n| n.uid == r.uid))
        {
            self.remove_edge(&gone.uid, uid);
            // An owner waiting for its dependents may be waiting for this one.
            if self
                .nodes
                .get(&gone.uid)
                .is_some_and(Node::deleting_dependents)
            {
                work.push(Work::AttemptToDelete(gone.uid.clone()));
            }
        }
        for released in old_owners
            .iter()
            .filter(|r| r.block_owner_deletion == Some(true))
        {
            let still_blocks = node
                .owners
                .iter()
                .any(|n| n.uid == released.uid && n.block_owner_deletion == Some(true));
            if !still_blocks
                && self
                    .nodes
                    .get(&released.uid)
                    .is_some_and(Node::deleting_dependents)
            {
                work.push(Work::AttemptToDelete(released.uid.clone()));
            }
        }
        for owner in &node.owners {
            self.dependents
                .entry(owner.uid.clone())
                .or_default()
                .insert(uid.to_string());
        }

        // A new or changed reference to an owner not known to be alive needs checking.
        let references_changed = old.as_ref().is_none_or(|o| o.owners != node.owners);
        if references_changed && node.owners.iter().any(|r| !self.is_solid_owner(&r.uid)) {
            work.push(Work::AttemptToDelete(uid.to_string()));
        }

        if node.deleting_dependents() && !old.as_ref().is_some_and(Node::deleting_dependents) {
            work.push(Work::AttemptToDelete(uid.to_string()));
            let dependents = self.dependents.get(uid).into_iter().flatten();
            work.extend(dependents.map(|d| Work::AttemptToDelete(d.clone())));
        }
        if node.orphaning_dependents() && !old.as_ref().is_some_and(Node::orphaning_dependents) {
            work.push(Work::Orphan(uid.to_string()));
        }

        self.nodes.insert(uid.to_string(), node);
        dedup(work)
    }

    /// An object was deleted.
    pub fn forget(&mut self, uid: &str) -> Vec<Work> {
        let Some(node) = self.nodes.remove(uid) else {
            return Vec::new();
        };
        let mut work = Vec::new();
        for owner in &node.owners {
            self.remove_edge(&owner.uid, uid);
            if self
                .nodes
                .get(&owner.uid)
                .is_some_and(Node::deleting_dependents)
            {
                work.push(Work::AttemptToDelete(owner.uid.clone()));
            }
        }
        // Its dependents keep their reference (and so their edge) until they are
        // deleted or patched; each of them may now be garbage.
        let dependents = self.dependents.get(uid).into_iter().flatten();
        work.extend(dependents.map(|d| Work::AttemptToDelete(d.clone())));
        dedup(work)
    }

    fn remove_edge(&mut self, owner: &str, dependent: &str) {
        if let Some(set) = self.dependents.get_mut(owner) {
            set.remove(dependent);
            if set.is_empty() {
                self.dependents.remove(owner);
            }
        }
    }
}

/// Drops repeated work items, keeping the first occurrence.
fn dedup(work: Vec<Work>) -> Vec<Work> {
    let mut seen = HashSet::new();
    work.into_iter()
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner_ref(uid: &str, block: bool) -> OwnerReference {
        OwnerReference {
            api_version: "apps/v1".into(),
            kind: "StatefulSet".into(),
            name: format!("owner-{uid}"),
            uid: uid.into(),
            controller: Some(true),
            block_owner_deletion: block.then_some(true),
        }
    }

    fn node(kind: usize, name: &str, owners: Vec<OwnerReference>) -> Node {
        Node {
            location: Location {
                kind,
                namespace: Some("default".into()),
                name: name.into(),
            },
            owners,
            being_deleted: false,
            finalizers: Vec::new(),
        }
    }

    fn deleting(mut n: Node, finalizer: &str) -> Node {
        n.being_deleted = true;
        n.finalizers = vec![finalizer.into()];
        n
    }

    fn attempt(uid: &str) -> Work {
        Work::AttemptToDelete(uid.into())
    }

    /// owner "o" (kind 1) with dependents "a" (blocking) and "b" (not blocking).
    fn family() -> Graph {
        let mut g = Graph::default();
        g.observe("o", node(1, "web", vec![]));
        g.observe("a", node(2, "web-0", vec![owner_ref("o", true)]));
        g.observe("b", node(2, "web-1", vec![owner_ref("o", false)]));
        g
    }

    #[test]
    fn observed_events_produce_the_expected_work() {
        struct Case {
            name: &'static str,
            uid: &'static str,
            node: Node,
            want: Vec<Work>,
        }
        let cases = vec![
            Case {
                name: "dependent of a live owner needs nothing",
                uid: "c",
                node: node(2, "web-2", vec![owner_ref("o", true)]),
                want: vec![],
            },
            Case {
                name: "dependent of an unknown owner is checked",
                uid: "c",
                node: node(2, "web-2", vec![owner_ref("missing", true)]),
                want: vec![attempt("c")],
            },
            Case {
                name: "status-only update of a dependent needs nothing",
                uid: "a",
                node: node(2, "web-0", vec![owner_ref("o", true)]),
                want: vec![],
            },
            Case {
                name: "owner starts foreground deletion: it and all dependents are checked",
                uid: "o",
                node: deleting(node(1, "web", vec![]), FOREGROUND_FINALIZER),
                want: vec![attempt("o"), attempt("a"), attempt("b")],
            },
            Case {
                name: "owner starts orphan deletion",
                uid: "o",
                node: deleting(node(1, "web", vec![]), ORPHAN_FINALIZER),
                want: vec![Work::Orphan("o".into())],
            },
            Case {
                name: "owner deleted with another finalizer needs nothing",
                uid: "o",
                node: deleting(node(1, "web", vec![]), "example.com/keep"),
                want: vec![],
            },
        ];
        for case in cases {
            let mut g = family();
            assert_eq!(g.observe(case.uid, case.node), case.want, "{}", case.name);
        }
    }

    #[test]
    fn foreground_owner_is_rechecked_when_a_blocking_dependent_lets_go() {
        let mut g = family();
        g.observe("o", deleting(node(1, "web", vec![]), FOREGROUND_FINALIZER));
        // "a" stops blocking: the owner is rechecked, and so is "a", whose reference changed.
        assert_eq!(
            g.observe("a", node(2, "web-0", vec![owner_ref("o", false)])),
            vec![attempt("o"), attempt("a")]
        );
        assert!(g.blocking_dependents("o").is_empty());
        // "b" drops its reference entirely.
        assert_eq!(g.observe("b", node(2, "web-1", vec![])), vec![attempt("o")]);
        assert_eq!(g.dependents_of("o").len(), 1);
    }

    #[test]
    fn deleting_an_owner_queues_its_dependents() {
        let mut g = family();
        assert_eq!(g.forget("o"), vec![attempt("a"), attempt("b")]);
        assert!(g.node("o").is_none());
        // The edges stay until the dependents change, so orphaning still finds them.
        assert_eq!(g.dependents_of("o").len(), 2);
        assert!(!g.is_solid_owner("o"));
    }

    #[test]
    fn deleting_a_dependent_queues_an_owner_waiting_for_it() {
        let mut g = family();
        assert_eq!(g.forget("a"), vec![]);
        g.observe("o", deleting(node(1, "web", vec![]), FOREGROUND_FINALIZER));
        assert_eq!(g.forget("b"), vec![attempt("o")]);
        assert!(!g.has_dependents("o"));
        assert_eq!(g.forget("unknown"), vec![]);
    }

    #[test]
    fn blocking_dependents_report_their_own_foreground_deletion() {
        let mut g = family();
        g.observe(
            "a",
            deleting(
                node(2, "web-0", vec![owner_ref("o", true)]),
                FOREGROUND_FINALIZER,
            ),
        );
        assert_eq!(g.blocking_dependents("o"), vec![("a".to_string(), true)]);
        assert!(g.has_dependent_deleting_dependents("o"));
        assert!(!g.has_dependent_deleting_dependents("a"));
    }

    #[test]
    fn relist_forgets_objects_that_were_not_listed_again() {
        let mut g = family();
        g.start_relist(2);
        g.observe("a", node(2, "web-0", vec![owner_ref("o", true)]));
        let work = g.finish_relist(2);
        assert_eq!(work, vec![]);
        assert!(g.node("a").is_some());
        assert!(g.node("b").is_none());
        assert!(g.node("o").is_some(), "other kinds are untouched");
        assert_eq!(
            g.finish_relist(2),
            vec![],
            "a relist that did not start changes nothing"
        );

        g.start_relist(1);
        assert_eq!(g.finish_relist(1), vec![attempt("a")]);
    }
}
