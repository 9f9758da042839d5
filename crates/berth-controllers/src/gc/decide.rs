//! The garbage collector's decisions, apart from any I/O: given what the API server said
//! about an object and its owners, what to do.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::graph::{FOREGROUND_FINALIZER, ORPHAN_FINALIZER};

/// What a live lookup of an owner found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OwnerState {
    /// The owner exists (possibly being deleted, but not waiting for its dependents).
    Solid,
    /// No object with that name, or one with another UID: the owner is gone.
    Dangling,
    /// The owner is being deleted in the foreground and waits for its dependents.
    WaitingForDependents,
}

/// Classifies an owner from the live object found under its name (if any).
pub(crate) fn owner_state(expected_uid: &str, live: Option<&ObjectMeta>) -> OwnerState {
    match live {
        Some(meta) if meta.uid.as_deref() == Some(expected_uid) => {
            let foreground = meta
                .finalizers
                .iter()
                .flatten()
                .any(|f| f == FOREGROUND_FINALIZER);
            if meta.deletion_timestamp.is_some() && foreground {
                OwnerState::WaitingForDependents
            } else {
                OwnerState::Solid
            }
        }
        _ => OwnerState::Dangling,
    }
}

/// What to do with an item, from its own live state alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Being deleted already (not in the foreground), or owned by nobody.
    Ignore,
    /// Deleted in the foreground: finish once its blocking dependents are gone.
    DeletingDependents,
    /// Look up its owners.
    CheckOwners,
}

pub(crate) fn stage(meta: &ObjectMeta) -> Stage {
    let foreground = meta
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == FOREGROUND_FINALIZER);
    match (meta.deletion_timestamp.is_some(), foreground) {
        (true, true) => Stage::DeletingDependents,
        (true, false) => Stage::Ignore,
        (false, _) if meta.owner_references.as_ref().is_none_or(Vec::is_empty) => Stage::Ignore,
        (false, _) => Stage::CheckOwners,
    }
}

/// `propagationPolicy` of a delete issued by the collector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Propagation {
    Background,
    Foreground,
    Orphan,
}

/// The graph's knowledge of an item's own dependents.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Dependents {
    pub any: bool,
    /// Some dependent is itself deleting its dependents (a possible cycle).
    pub any_deleting_dependents: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DependentAction {
    Keep,
    /// Some owner is alive: only drop the references (by owner UID) to the others.
    RemoveOwnerReferences(Vec<String>),
    /// No owner is alive. With `unblock_owners`, first set `blockOwnerDeletion: false` on
    /// its references so a cycle of foreground deletions cannot wait on itself.
    Delete {
        propagation: Propagation,
        unblock_owners: bool,
    },
}

/// Upstream's rule for an item whose owners were all looked up.
pub(crate) fn decide_dependent(
    finalizers: &[String],
    dependents: Dependents,
    owners: &[(String, OwnerState)],
) -> DependentAction {
    let mut not_solid: Vec<String> = Vec::new();
    for (uid, state) in owners {
        if *state != OwnerState::Solid && !not_solid.contains(uid) {
            not_solid.push(uid.clone());
        }
    }
    if owners.iter().any(|(_, s)| *s == OwnerState::Solid) {
        return if not_solid.is_empty() {
            DependentAction::Keep
        } else {
            DependentAction::RemoveOwnerReferences(not_solid)
        };
    }
    let owner_waits = owners
        .iter()
        .any(|(_, s)| *s == OwnerState::WaitingForDependents);
    if owner_waits && dependents.any {
        // The waiting owner must also wait for this item's dependents.
        return DependentAction::Delete {
            propagation: Propagation::Foreground,
            unblock_owners: dependents.any_deleting_dependents,
        };
    }
    let propagation = if finalizers.iter().any(|f| f == ORPHAN_FINALIZER) {
        Propagation::Orphan
    } else if finalizers.iter().any(|f| f == FOREGROUND_FINALIZER) {
        Propagation::Foreground
    } else {
        Propagation::Background
    };
    DependentAction::Delete {
        propagation,
        unblock_owners: false,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ForegroundAction {
    /// No blocking dependent is left: remove the `foregroundDeletion` finalizer.
    RemoveFinalizer,
    /// Wait; check these blocking dependents again (those not themselves waiting).
    AwaitDependents(Vec<String>),
}

/// For an owner deleted in the foreground, given its blocking dependents and whether each
/// is itself deleting its dependents.
pub(crate) fn decide_deleting_owner(blocking: &[(String, bool)]) -> ForegroundAction {
    if blocking.is_empty() {
        return ForegroundAction::RemoveFinalizer;
    }
    let recheck = blocking
        .iter()
        .filter(|(_, waiting)| !waiting)
        .map(|(uid, _)| uid.clone());
    ForegroundAction::AwaitDependents(recheck.collect())
}

/// The namespace an owner must be looked up in, or `None` for an invalid reference: a
/// cluster-scoped object cannot be owned by a namespaced one. A namespaced object's owner
/// is in the same namespace or cluster-scoped.
pub(crate) fn owner_namespace(
    dependent_namespace: Option<&str>,
    owner_namespaced: bool,
) -> Option<Option<String>> {
    match (dependent_namespace, owner_namespaced) {
        (_, false) => Some(None),
        (Some(ns), true) => Some(Some(ns.to_string())),
        (None, true) => None,
    }
}

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub(crate) fn group_of(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(group, _)| group)
}

pub(crate) fn without_owners(refs: &[OwnerReference], uids: &[String]) -> Vec<OwnerReference> {
    refs.iter()
        .filter(|r| !uids.contains(&r.uid))
        .cloned()
        .collect()
}

/// References with `blockOwnerDeletion: true` turned to `false`.
pub(crate) fn unblocked(refs: &[OwnerReference]) -> Vec<OwnerReference> {
    let unblock = |r: &OwnerReference| OwnerReference {
        block_owner_deletion: r.block_owner_deletion.map(|_| false),
        ..r.clone()
    };
    refs.iter().map(unblock).collect()
}

pub(crate) fn without_finalizer(finalizers: &[String], name: &str) -> Vec<String> {
    finalizers.iter().filter(|f| *f != name).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use OwnerState::{Dangling, Solid, WaitingForDependents as Waiting};

    fn meta(uid: &str, deleting: bool, finalizers: &[&str], owners: usize) -> ObjectMeta {
        ObjectMeta {
            uid: Some(uid.into()),
            deletion_timestamp: deleting.then_some(Time(jiff::Timestamp::UNIX_EPOCH)),
            finalizers: Some(finalizers.iter().map(|f| f.to_string()).collect()),
            owner_references: Some(
                (0..owners)
                    .map(|i| owner_ref(&format!("o{i}"), true))
                    .collect(),
            ),
            ..ObjectMeta::default()
        }
    }

    fn owner_ref(uid: &str, block: bool) -> OwnerReference {
        OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: uid.into(),
            uid: uid.into(),
            controller: None,
            block_owner_deletion: Some(block),
        }
    }

    #[test]
    fn owner_states() {
        let cases = [
            ("missing", None, Dangling),
            ("uid differs", Some(meta("other", false, &[], 0)), Dangling),
            ("alive", Some(meta("u", false, &[], 0)), Solid),
            (
                "deleting in background",
                Some(meta("u", true, &["x"], 0)),
                Solid,
            ),
            (
                "deleting with orphan",
                Some(meta("u", true, &[ORPHAN_FINALIZER], 0)),
                Solid,
            ),
            (
                "foreground finalizer, not deleting",
                Some(meta("u", false, &[FOREGROUND_FINALIZER], 0)),
                Solid,
            ),
            (
                "deleting in foreground",
                Some(meta("u", true, &[FOREGROUND_FINALIZER], 0)),
                Waiting,
            ),
        ];
        for (name, live, want) in cases {
            assert_eq!(owner_state("u", live.as_ref()), want, "{name}");
        }
    }

    #[test]
    fn stages() {
        let cases = [
            ("no owners", meta("u", false, &[], 0), Stage::Ignore),
            ("owned", meta("u", false, &[], 1), Stage::CheckOwners),
            (
                "owned, being deleted",
                meta("u", true, &["x"], 1),
                Stage::Ignore,
            ),
            (
                "deleting in foreground",
                meta("u", true, &[FOREGROUND_FINALIZER], 0),
                Stage::DeletingDependents,
            ),
            (
                "owned, deleting in foreground",
                meta("u", true, &[FOREGROUND_FINALIZER], 2),
                Stage::DeletingDependents,
            ),
        ];
        for (name, m, want) in cases {
            assert_eq!(stage(&m), want, "{name}");
        }
    }

    #[test]
    fn dependent_decisions() {
        let none = Dependents::default();
        let some = Dependents {
            any: true,
            any_deleting_dependents: false,
        };
        let cyclic = Dependents {
            any: true,
            any_deleting_dependents: true,
        };
        let background = DependentAction::Delete {
            propagation: Propagation::Background,
            unblock_owners: false,
        };
        let foreground = DependentAction::Delete {
            propagation: Propagation::Foreground,
            unblock_owners: false,
        };
        struct Case {
            name: &'static str,
            finalizers: Vec<String>,
            dependents: Dependents,
            owners: Vec<(&'static str, OwnerState)>,
            want: DependentAction,
        }
        let case = |name, finalizers: &[&str], dependents, owners, want| Case {
            name,
            finalizers: finalizers.iter().map(|f| f.to_string()).collect(),
            dependents,
            owners,
            want,
        };
        let cases = [
            case(
                "single live owner",
                &[],
                none,
                vec![("a", Solid)],
                DependentAction::Keep,
            ),
            case(
                "single owner gone",
                &[],
                none,
                vec![("a", Dangling)],
                background.clone(),
            ),
            case(
                "one owner gone, one alive: drop the dangling reference",
                &[],
                none,
                vec![("a", Dangling), ("b", Solid)],
                DependentAction::RemoveOwnerReferences(vec!["a".into()]),
            ),
            case(
                "alive owner keeps it; waiting owner's reference is dropped",
                &[],
                some,
                vec![("a", Waiting), ("b", Solid), ("c", Dangling)],
                DependentAction::RemoveOwnerReferences(vec!["a".into(), "c".into()]),
            ),
            case(
                "all owners gone",
                &[],
                some,
                vec![("a", Dangling), ("b", Dangling)],
                background.clone(),
            ),
            case(
                "owner waits, item has no dependents",
                &[],
                none,
                vec![("a", Waiting)],
                background.clone(),
            ),
            case(
                "owner waits, item has dependents",
                &[],
                some,
                vec![("a", Waiting)],
                foreground.clone(),
            ),
            case(
                "owner waits, a dependent also waits: unblock first",
                &[],
                cyclic,
                vec![("a", Waiting), ("b", Dangling)],
                DependentAction::Delete {
                    propagation: Propagation::Foreground,
                    unblock_owners: true,
                },
            ),
            case(
                "item's own orphan finalizer picks the policy",
                &[ORPHAN_FINALIZER],
                some,
                vec![("a", Dangling)],
                DependentAction::Delete {
                    propagation: Propagation::Orphan,
                    unblock_owners: false,
                },
            ),
            case(
                "item's own foreground finalizer picks the policy",
                &[FOREGROUND_FINALIZER],
                none,
                vec![("a", Dangling)],
                foreground,
            ),
            case(
                "the same owner referenced twice is dropped once",
                &[],
                none,
                vec![("a", Dangling), ("a", Dangling), ("b", Solid)],
                DependentAction::RemoveOwnerReferences(vec!["a".into()]),
            ),
        ];
        for c in cases {
            let owners: Vec<(String, OwnerState)> =
                c.owners.iter().map(|(u, s)| (u.to_string(), *s)).collect();
            assert_eq!(
                decide_dependent(&c.finalizers, c.dependents, &owners),
                c.want,
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn deleting_owner_decisions() {
        assert_eq!(
            decide_deleting_owner(&[]),
            ForegroundAction::RemoveFinalizer
        );
        let blocking = [("a".to_string(), false), ("b".to_string(), true)];
        assert_eq!(
            decide_deleting_owner(&blocking),
            ForegroundAction::AwaitDependents(vec!["a".into()])
        );
    }

    #[test]
    fn owner_namespaces() {
        assert_eq!(
            owner_namespace(Some("ns"), true),
            Some(Some("ns".to_string()))
        );
        assert_eq!(owner_namespace(Some("ns"), false), Some(None));
        assert_eq!(owner_namespace(None, false), Some(None));
        assert_eq!(
            owner_namespace(None, true),
            None,
            "cluster-scoped object with a namespaced owner"
        );
    }

    #[test]
    fn metadata_edits() {
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("v1"), "");
        let refs = [owner_ref("a", true), owner_ref("b", false)];
        assert_eq!(
            without_owners(&refs, &["a".into()]),
            vec![owner_ref("b", false)]
        );
        let mut no_flag = owner_ref("c", false);
        no_flag.block_owner_deletion = None;
        let refs = [owner_ref("a", true), owner_ref("b", false), no_flag.clone()];
        assert_eq!(
            unblocked(&refs),
            vec![owner_ref("a", false), owner_ref("b", false), no_flag]
        );
        let fins = ["orphan".to_string(), "x".to_string()];
        assert_eq!(
            without_finalizer(&fins, ORPHAN_FINALIZER),
            vec!["x".to_string()]
        );
    }
}
