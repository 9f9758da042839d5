//! `persistentVolumeClaimRetentionPolicy`: which ownerReferences a claim must carry so that the
//! garbage collector deletes it at the right moment (upstream `isClaimOwnerUpToDate` and
//! `updateClaimOwnerRefForSetAndPod`).
//!
//! | whenScaled / whenDeleted | refs on a claim                                          |
//! |--------------------------|----------------------------------------------------------|
//! | Retain / Retain          | none from the set or pod                                 |
//! | Retain / Delete          | controller ref → set                                     |
//! | Delete / Retain          | controller ref → pod, only while the pod is condemned    |
//! | Delete / Delete          | condemned pod: ref → pod; in-range pod: ref → set        |

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::identity::{pod_controller_ref, set_controller_ref, set_name, set_uid};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub delete_when_deleted: bool,
    pub delete_when_scaled: bool,
}

impl Retention {
    /// The set's policy; anything but `Delete` (including unknown values) means Retain.
    pub fn of(set: &StatefulSet) -> Retention {
        let policy = set.spec.persistent_volume_claim_retention_policy.as_ref();
        let is_delete = |value: Option<&String>| value.is_some_and(|v| v == "Delete");
        Retention {
            delete_when_deleted: is_delete(policy.and_then(|p| p.when_deleted.as_ref())),
            delete_when_scaled: is_delete(policy.and_then(|p| p.when_scaled.as_ref())),
        }
    }

    fn retains_all(self) -> bool {
        !self.delete_when_deleted && !self.delete_when_scaled
    }
}

/// An object a claim may be owned by: the set, or one of its pods.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    /// Empty for a pod that is not created yet.
    pub uid: &'a str,
}

impl<'a> Owner<'a> {
    pub fn set(set: &'a StatefulSet) -> Owner<'a> {
        Owner {
            api_version: "apps/v1",
            kind: "StatefulSet",
            name: set_name(set),
            uid: set_uid(set),
        }
    }

    pub fn pod(name: &'a str, uid: &'a str) -> Owner<'a> {
        Owner {
            api_version: "v1",
            kind: "Pod",
            name,
            uid,
        }
    }

    /// Same kind and name (whatever the UID).
    fn named_by(&self, reference: &OwnerReference) -> bool {
        reference.api_version == self.api_version
            && reference.kind == self.kind
            && reference.name == self.name
    }
}

/// Whether the first ref naming `owner` carries another UID: the claim belongs to an
/// earlier incarnation of the set or pod and is left for the garbage collector.
pub fn has_stale_ref(refs: &[OwnerReference], owner: Owner<'_>) -> bool {
    refs.iter()
        .find(|r| owner.named_by(r))
        .is_some_and(|r| r.uid != owner.uid)
}

fn has_ref(refs: &[OwnerReference], owner: Owner<'_>) -> bool {
    refs.iter().any(|r| r.uid == owner.uid)
}

/// A controller other than our set and pod, under a non-Retain policy (a stale ref to our
/// own names counts as foreign).
pub fn has_unexpected_controller(
    refs: &[OwnerReference],
    retention: Retention,
    set: Owner<'_>,
    pod: Owner<'_>,
) -> bool {
    if retention.retains_all() {
        return false;
    }
    refs.iter().any(|r| {
        for ours in [set, pod] {
            if ours.named_by(r) {
                return r.uid != ours.uid;
            }
        }
        r.controller == Some(true)
    })
}

fn has_non_controller_owner(refs: &[OwnerReference], set: Owner<'_>, pod: Owner<'_>) -> bool {
    refs.iter()
        .any(|r| (r.uid == set.uid || r.uid == pod.uid) && r.controller != Some(true))
}

/// Whether the claim's refs already agree with the policy for a pod that is `condemned`
/// (outside the ordinal range) or not.
pub fn owners_up_to_date(
    refs: &[OwnerReference],
    retention: Retention,
    set: Owner<'_>,
    pod: Owner<'_>,
    condemned: bool,
) -> bool {
    if has_stale_ref(refs, set) || has_stale_ref(refs, pod) {
        return true;
    }
    if has_unexpected_controller(refs, retention, set, pod) {
        // Our refs must go; with none left there is nothing to do.
        return !has_ref(refs, set) && !has_ref(refs, pod);
    }
    if has_non_controller_owner(refs, set, pod) {
        return false;
    }
    let (want_set, want_pod) = wanted_refs(retention, condemned);
    has_ref(refs, set) == want_set && has_ref(refs, pod) == want_pod
}

/// Which of (set, pod) must own the claim.
fn wanted_refs(retention: Retention, condemned: bool) -> (bool, bool) {
    match (retention.delete_when_scaled, retention.delete_when_deleted) {
        (false, false) => (false, false),
        (false, true) => (true, false),
        (true, false) => (false, condemned),
        (true, true) => (!condemned, condemned),
    }
}

/// The claim's refs rewritten for the policy: refs to our set and pod are scrubbed, foreign
/// refs kept, and the wanted controller refs appended — unless another controller owns the
/// claim, in which case none are added.
pub fn desired_owners(
    refs: &[OwnerReference],
    retention: Retention,
    set_object: &StatefulSet,
    pod: Owner<'_>,
    condemned: bool,
) -> Vec<OwnerReference> {
    let set = Owner::set(set_object);
    let unexpected = has_unexpected_controller(refs, retention, set, pod);
    let mut owners: Vec<OwnerReference> = refs
        .iter()
        .filter(|r| !set.named_by(r) && !pod.named_by(r))
        .cloned()
        .collect();
    if unexpected {
        return owners;
    }
    let (want_set, want_pod) = wanted_refs(retention, condemned);
    if want_pod {
        owners.push(pod_controller_ref(pod.name, pod.uid));
    }
    if want_set {
        owners.push(set_controller_ref(set_object));
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statefulset::identity::tests::web;

    const RETAIN_RETAIN: Retention = Retention {
        delete_when_deleted: false,
        delete_when_scaled: false,
    };
    const RETAIN_DELETE: Retention = Retention {
        delete_when_deleted: true,
        delete_when_scaled: false,
    };
    const DELETE_RETAIN: Retention = Retention {
        delete_when_deleted: false,
        delete_when_scaled: true,
    };
    const DELETE_DELETE: Retention = Retention {
        delete_when_deleted: true,
        delete_when_scaled: true,
    };

    fn foreign_controller() -> OwnerReference {
        OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "other".into(),
            uid: "cm-uid".into(),
            controller: Some(true),
            block_owner_deletion: None,
        }
    }

    fn kinds(refs: &[OwnerReference]) -> Vec<&str> {
        refs.iter().map(|r| r.kind.as_str()).collect()
    }

    #[test]
    fn the_policy_table_holds_for_in_range_and_condemned_pods() {
        let set = web(2);
        let pod = Owner::pod("web-1", "pod-uid");
        // (policy, condemned, expected ref kinds)
        let table: [(Retention, bool, &[&str]); 8] = [
            (RETAIN_RETAIN, false, &[]),
            (RETAIN_RETAIN, true, &[]),
            (RETAIN_DELETE, false, &["StatefulSet"]),
            (RETAIN_DELETE, true, &["StatefulSet"]),
            (DELETE_RETAIN, false, &[]),
            (DELETE_RETAIN, true, &["Pod"]),
            (DELETE_DELETE, false, &["StatefulSet"]),
            (DELETE_DELETE, true, &["Pod"]),
        ];
        for (retention, condemned, expected) in table {
            let owners = desired_owners(&[], retention, &set, pod, condemned);
            assert_eq!(
                kinds(&owners),
                expected,
                "{retention:?} condemned={condemned}"
            );
            assert!(owners.iter().all(|r| r.controller == Some(true)));
            assert!(owners_up_to_date(
                &owners,
                retention,
                Owner::set(&set),
                pod,
                condemned
            ));
            let up_to_date_empty =
                owners_up_to_date(&[], retention, Owner::set(&set), pod, condemned);
            assert_eq!(up_to_date_empty, expected.is_empty());
        }
    }

    #[test]
    fn a_non_controller_ref_to_us_is_corrected() {
        let set = web(2);
        let pod = Owner::pod("web-0", "pod-uid");
        let mut set_ref = set_controller_ref(&set);
        set_ref.controller = Some(false);
        assert!(!owners_up_to_date(
            std::slice::from_ref(&set_ref),
            RETAIN_DELETE,
            Owner::set(&set),
            pod,
            false
        ));
        let owners = desired_owners(&[set_ref], RETAIN_DELETE, &set, pod, false);
        assert_eq!(owners, vec![set_controller_ref(&set)]);
    }

    #[test]
    fn another_controller_makes_us_remove_our_refs_and_add_none() {
        let set = web(2);
        let pod = Owner::pod("web-1", "pod-uid");
        let refs = vec![foreign_controller(), set_controller_ref(&set)];
        assert!(!owners_up_to_date(
            &refs,
            DELETE_DELETE,
            Owner::set(&set),
            pod,
            true
        ));
        let owners = desired_owners(&refs, DELETE_DELETE, &set, pod, true);
        assert_eq!(owners, vec![foreign_controller()]);
        assert!(owners_up_to_date(
            &owners,
            DELETE_DELETE,
            Owner::set(&set),
            pod,
            true
        ));
        // Under Retain/Retain a foreign controller is nobody's business.
        assert!(!has_unexpected_controller(
            &refs,
            RETAIN_RETAIN,
            Owner::set(&set),
            pod
        ));
    }

    #[test]
    fn stale_refs_leave_the_claim_alone() {
        let set = web(2);
        let mut stale = set_controller_ref(&set);
        stale.uid = "old-set-uid".into();
        let pod = Owner::pod("web-1", "pod-uid");
        assert!(has_stale_ref(
            std::slice::from_ref(&stale),
            Owner::set(&set)
        ));
        assert!(owners_up_to_date(
            &[stale],
            DELETE_DELETE,
            Owner::set(&set),
            pod,
            false
        ));
        // A not-yet-created pod (empty UID) sees any ref to its name as stale.
        let old_pod_ref = pod_controller_ref("web-1", "old-pod-uid");
        assert!(has_stale_ref(&[old_pod_ref], Owner::pod("web-1", "")));
    }

    #[test]
    fn foreign_non_controller_refs_are_kept() {
        let set = web(2);
        let mut foreign = foreign_controller();
        foreign.controller = None;
        let owners = desired_owners(
            std::slice::from_ref(&foreign),
            RETAIN_DELETE,
            &set,
            Owner::pod("web-1", "u"),
            false,
        );
        assert_eq!(owners, vec![foreign, set_controller_ref(&set)]);
    }

    #[test]
    fn unknown_policy_values_mean_retain() {
        let mut set = web(1);
        set.spec.persistent_volume_claim_retention_policy = Some(
            k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy {
                when_deleted: Some("Delete".into()),
                when_scaled: Some("Sometimes".into()),
            },
        );
        assert_eq!(Retention::of(&set), RETAIN_DELETE);
        assert_eq!(Retention::of(&web(1)), RETAIN_RETAIN);
    }
}
