"""Ports of upstream's "Non-retain StatefulSetPersistentVolumeClaimPolicy", "Scaling
StatefulSetStartOrdinal" and maxUnavailable e2e tests, plus kubectl's rollout commands,
against simulated nodes and the built-in local-path provisioner (default StorageClass)."""

import json
import time

import pytest
from kubernetes import client as k8s_client

from util import (
    NEW_WEBSERVER_IMAGE,
    SIMULATED_NODE_ARGS,
    WEBSERVER_IMAGE,
    headless_service,
    pod_is_ready,
    sim_statefulset,
    sts_pods,
    wait_for_sts,
    wait_running_ready,
    wait_until,
)

LABELS = {"foo": "bar", "baz": "blah"}


@pytest.fixture(scope="module")
def server(server_pool):
    return server_pool.start(extra_args=SIMULATED_NODE_ARGS)


@pytest.fixture
def core(server):
    return k8s_client.CoreV1Api(server.api_client)


@pytest.fixture
def apps(server):
    return k8s_client.AppsV1Api(server.api_client)


def create_set(server, namespace, body):
    core = k8s_client.CoreV1Api(server.api_client)
    svc = headless_service("test")
    svc["spec"]["selector"] = dict(LABELS)
    core.create_namespaced_service(namespace, svc)
    return k8s_client.AppsV1Api(server.api_client).create_namespaced_stateful_set(namespace, body)


def scale(server, namespace, name, replicas):
    server.kubectl("scale", "statefulset", name, "-n", namespace, f"--replicas={replicas}")


def all_claims(core, namespace):
    """Every claim, terminating ones included (as upstream's checks list them)."""
    return {c.metadata.name: c for c in
            core.list_namespaced_persistent_volume_claim(namespace).items}


def wait_claims(core, namespace, set_name, ordinals, timeout=20.0):
    """upstream's verifyStatefulSetPVCsExist: exactly these claims of the set remain."""
    want = sorted(f"datadir-{set_name}-{o}" for o in ordinals)

    def check():
        have = all_claims(core, namespace)
        return (have,) if sorted(have) == want else None

    return wait_until(check, timeout=timeout, what=f"claims {want}")[0]


def controller_refs(claim):
    return [(r.kind, r.name, r.uid) for r in claim.metadata.owner_references or []
            if r.controller]


def check_claim_refs(core, namespace, sts, ordinals, want_set_ref, want_pod_ref):
    """upstream's verifyStatefulSetPVCsExistWithOwnerRefs."""
    def check():
        claims = wait_claims(core, namespace, sts.metadata.name, ordinals)
        for name, claim in claims.items():
            refs = claim.metadata.owner_references or []
            set_refs = [r for r in refs if r.kind == "StatefulSet"]
            pod_refs = [r for r in refs if r.kind == "Pod"]
            if want_set_ref != bool(set_refs) or want_pod_ref != bool(pod_refs):
                return None
            if set_refs and (set_refs[0].uid != sts.metadata.uid or not set_refs[0].controller):
                return None
        return claims

    return wait_until(check, what="claim owner references")


# --- Non-retain StatefulSetPersistentVolumeClaimPolicy -----------------------------------

def test_delete_pvcs_with_when_deleted_policy(server, namespace, core, apps):
    body = sim_statefulset("ss", 3, claims=("datadir",),
                           persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete"})
    sts = create_set(server, namespace, body)
    wait_running_ready(server, namespace, "ss", 3)
    claims = check_claim_refs(core, namespace, sts, [0, 1, 2], True, False)
    assert all(controller_refs(c) == [("StatefulSet", "ss", sts.metadata.uid)]
               for c in claims.values())
    apps.delete_namespaced_stateful_set("ss", namespace)
    wait_claims(core, namespace, "ss", [])


def test_delete_pvcs_with_when_scaled_policy(server, namespace, core):
    body = sim_statefulset("ss", 3, claims=("datadir",),
                           persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"})
    sts = create_set(server, namespace, body)
    wait_running_ready(server, namespace, "ss", 3)
    check_claim_refs(core, namespace, sts, [0, 1, 2], False, False)
    scale(server, namespace, "ss", 1)
    wait_claims(core, namespace, "ss", [0])
    wait_running_ready(server, namespace, "ss", 1)


def test_when_scaled_keeps_pvc_owned_by_another_controller(server, namespace, core, apps):
    sts = create_set(server, namespace, sim_statefulset("ss", 3, claims=("datadir",)))
    wait_running_ready(server, namespace, "ss", 3)
    wait_claims(core, namespace, "ss", [0, 1, 2])
    dummy = core.create_namespaced_config_map(namespace, {
        "metadata": {"generateName": "dummy-controller"}, "data": {}})
    core.patch_namespaced_persistent_volume_claim("datadir-ss-1", namespace, {
        "metadata": {"ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": dummy.metadata.name,
            "uid": dummy.metadata.uid, "controller": True}]}})
    apps.patch_namespaced_stateful_set("ss", namespace, {
        "spec": {"persistentVolumeClaimRetentionPolicy": {"whenScaled": "Delete"}}})

    scale(server, namespace, "ss", 0)
    wait_until(lambda: not sts_pods(server, namespace, LABELS), what="pods gone")
    wait_claims(core, namespace, "ss", [1])
    # The claim the other controller owns is left alone.
    time.sleep(1.0)
    claim = core.read_namespaced_persistent_volume_claim("datadir-ss-1", namespace)
    assert claim.metadata.deletion_timestamp is None
    assert controller_refs(claim) == [("ConfigMap", dummy.metadata.name, dummy.metadata.uid)]

    core.patch_namespaced_persistent_volume_claim("datadir-ss-1", namespace, [
        {"op": "remove", "path": "/metadata/ownerReferences"}])
    scale(server, namespace, "ss", 2)
    wait_running_ready(server, namespace, "ss", 2)
    wait_claims(core, namespace, "ss", [0, 1])
    scale(server, namespace, "ss", 1)
    wait_claims(core, namespace, "ss", [0])
    assert sts.metadata.uid == apps.read_namespaced_stateful_set("ss", namespace).metadata.uid


def orphan_and_wait_adopted(core, namespace, sts, pod_name):
    """Removes the pod's ownerReferences and waits for the controller to adopt it back."""
    uid = core.read_namespaced_pod(pod_name, namespace).metadata.uid
    core.patch_namespaced_pod(pod_name, namespace, [
        {"op": "remove", "path": "/metadata/ownerReferences"}])

    def adopted():
        pod = core.read_namespaced_pod(pod_name, namespace)
        refs = [(r.kind, r.uid) for r in pod.metadata.owner_references or [] if r.controller]
        return pod if refs == [("StatefulSet", sts.metadata.uid)] else None

    assert wait_until(adopted, what=f"{pod_name} adopted").metadata.uid == uid


def test_delete_pvcs_after_adopting_pod_when_deleted(server, namespace, core, apps):
    body = sim_statefulset("ss", 3, claims=("datadir",),
                           persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete"})
    sts = create_set(server, namespace, body)
    wait_running_ready(server, namespace, "ss", 3)
    check_claim_refs(core, namespace, sts, [0, 1, 2], True, False)
    orphan_and_wait_adopted(core, namespace, sts, "ss-2")
    apps.delete_namespaced_stateful_set("ss", namespace)
    wait_claims(core, namespace, "ss", [])
    wait_until(lambda: not sts_pods(server, namespace, LABELS), what="pods collected")


def test_delete_pvcs_after_adopting_pod_when_scaled(server, namespace, core):
    body = sim_statefulset("ss", 3, claims=("datadir",),
                           persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"})
    sts = create_set(server, namespace, body)
    wait_running_ready(server, namespace, "ss", 3)
    check_claim_refs(core, namespace, sts, [0, 1, 2], False, False)
    orphan_and_wait_adopted(core, namespace, sts, "ss-2")
    scale(server, namespace, "ss", 1)
    wait_claims(core, namespace, "ss", [0])


def test_pvc_refs_with_another_controller_and_stale_refs(server, namespace, core, apps):
    """upstream's "should not delete PVCs when there is another controller"."""
    sts = create_set(server, namespace, sim_statefulset("ss", 4, claims=("datadir",)))
    wait_running_ready(server, namespace, "ss", 4)
    wait_claims(core, namespace, "ss", [0, 1, 2, 3])
    foreign = core.create_namespaced_config_map(namespace, {
        "metadata": {"name": "foreign-owner"}, "data": {}})
    foreign_ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "foreign-owner",
                   "uid": foreign.metadata.uid}
    stale_uid = "9d86d6ae-4e06-4ff1-bc55-f77f52e272e9"
    stale_ref = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "unknown",
                 "uid": stale_uid, "controller": True, "blockOwnerDeletion": True}
    core.patch_namespaced_persistent_volume_claim("datadir-ss-1", namespace, {
        "metadata": {"ownerReferences": [foreign_ref]}})
    core.patch_namespaced_persistent_volume_claim("datadir-ss-3", namespace, {
        "metadata": {"ownerReferences": [stale_ref], "finalizers": ["e2e.berth.io/keep"]}})
    try:
        apps.patch_namespaced_stateful_set("ss", namespace, {
            "spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}})

        def refs(name):
            claim = core.read_namespaced_persistent_volume_claim(name, namespace)
            return [(r.kind, r.uid, bool(r.controller))
                    for r in claim.metadata.owner_references or []]

        set_ref = ("StatefulSet", sts.metadata.uid, True)
        wait_until(lambda: refs("datadir-ss-0") == [set_ref]
                   and refs("datadir-ss-2") == [set_ref]
                   and refs("datadir-ss-1") == [("ConfigMap", foreign.metadata.uid, False),
                                                set_ref],
                   what="claim refs reconciled")
        assert refs("datadir-ss-3") == [("StatefulSet", stale_uid, True)]

        # A ref to the set without controller=true is put right again.
        claim0 = core.read_namespaced_persistent_volume_claim("datadir-ss-0", namespace)
        ref0 = claim0.metadata.owner_references[0].to_dict()
        core.patch_namespaced_persistent_volume_claim("datadir-ss-0", namespace, {
            "metadata": {"ownerReferences": [{
                "apiVersion": ref0["api_version"], "kind": ref0["kind"], "name": ref0["name"],
                "uid": ref0["uid"], "controller": False}]}})
        wait_until(lambda: refs("datadir-ss-0") == [set_ref], what="controller=true restored")

        apps.delete_namespaced_stateful_set("ss", namespace)
        wait_until(lambda: not sts_pods(server, namespace, LABELS), what="pods collected")
        wait_claims(core, namespace, "ss", [1, 3])
    finally:
        core.patch_namespaced_persistent_volume_claim("datadir-ss-3", namespace, [
            {"op": "remove", "path": "/metadata/finalizers"}])


# --- StartOrdinal ---------------------------------------------------------------------------

def wait_pod_names(server, namespace, names, timeout=20.0):
    def check():
        pods = [p for p in sts_pods(server, namespace, LABELS)
                if p.metadata.deletion_timestamp is None]
        return pods if [p.metadata.name for p in pods] == names and all(
            map(pod_is_ready, pods)) else None

    return wait_until(check, timeout=timeout, what=f"pods {names}")


def wait_replicas(server, namespace, count):
    wait_for_sts(server, namespace, "ss",
                 lambda s: s.status.observed_generation == s.metadata.generation
                 and s.status.replicas == count and s.status.ready_replicas == count)


@pytest.mark.parametrize(
    "start, replicas, new_start, new_replicas",
    [(None, 2, 2, 3), (2, 2, 4, 2), (3, 2, 2, 2), (3, 2, None, 2)],
    ids=["set", "increase", "decrease", "remove"],
)
def test_start_ordinal(server, namespace, apps, start, replicas, new_start, new_replicas):
    extra = {"persistentVolumeClaimRetentionPolicy": {"whenScaled": "Delete"}}
    if start is not None:
        extra["ordinals"] = {"start": start}
    create_set(server, namespace, sim_statefulset("ss", replicas, **extra))
    first = start or 0
    wait_pod_names(server, namespace, [f"ss-{i}" for i in range(first, first + replicas)])
    wait_replicas(server, namespace, replicas)

    ordinals = {"start": new_start} if new_start is not None else None
    apps.patch_namespaced_stateful_set("ss", namespace, [
        {"op": "replace" if start is not None else "add", "path": "/spec/ordinals",
         "value": ordinals},
        {"op": "replace", "path": "/spec/replicas", "value": new_replicas},
    ])
    first = new_start or 0
    wait_pod_names(server, namespace, [f"ss-{i}" for i in range(first, first + new_replicas)])
    wait_replicas(server, namespace, new_replicas)


# --- maxUnavailable -------------------------------------------------------------------------

def test_max_unavailable_parallel_rolling_update(server, namespace, core, apps):
    """Gate MaxUnavailableStatefulSet is beta and on in v1.37: with Parallel management and
    maxUnavailable 2, two old pods are replaced at once, never more."""
    finalizer = "e2e.berth.io/hold"
    body = sim_statefulset("ss", 4, podManagementPolicy="Parallel", updateStrategy={
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}})
    create_set(server, namespace, body)
    pods = wait_running_ready(server, namespace, "ss", 4)
    sts = apps.read_namespaced_stateful_set("ss", namespace)
    assert sts.spec.update_strategy.rolling_update.max_unavailable == 2
    for pod in pods:
        core.patch_namespaced_pod(pod.metadata.name, namespace,
                                  {"metadata": {"finalizers": [finalizer]}})
    try:
        server.kubectl("set", "image", "statefulset/ss", "-n", namespace,
                       f"webserver={NEW_WEBSERVER_IMAGE}")

        def terminating():
            return sorted(p.metadata.name for p in sts_pods(server, namespace, LABELS)
                          if p.metadata.deletion_timestamp is not None)

        wait_until(lambda: len(terminating()) == 2, what="two pods terminating")
        time.sleep(1.5)
        # Highest ordinals first, and the budget holds while they hang on the finalizer.
        assert terminating() == ["ss-2", "ss-3"]
    finally:
        for pod in sts_pods(server, namespace, LABELS):
            if pod.metadata.finalizers:
                core.patch_namespaced_pod(pod.metadata.name, namespace, [
                    {"op": "remove", "path": "/metadata/finalizers"}])
    sts = wait_for_sts(server, namespace, "ss",
                       lambda s: s.status.current_revision == s.status.update_revision
                       and s.status.updated_replicas == 4 and s.status.ready_replicas == 4)
    pods = wait_running_ready(server, namespace, "ss", 4)
    assert all(p.spec.containers[0].image == NEW_WEBSERVER_IMAGE for p in pods)


# --- kubectl rollout ------------------------------------------------------------------------

def test_kubectl_rollout_status_history_undo_restart(server, namespace, core, apps):
    create_set(server, namespace, sim_statefulset("web", 3))
    out = server.kubectl("rollout", "status", "statefulset/web", "-n", namespace,
                         "--timeout=20s")
    # kubectl reports every set with a rollingUpdate.partition (defaulted to 0) this way.
    assert out.stdout.strip().endswith(
        "partitioned roll out complete: 3 new pods have been updated..."), out.stdout
    first = apps.read_namespaced_stateful_set("web", namespace).status.update_revision

    server.kubectl("set", "image", "statefulset/web", "-n", namespace,
                   f"webserver={NEW_WEBSERVER_IMAGE}")
    server.kubectl("annotate", "statefulset/web", "-n", namespace,
                   "kubernetes.io/change-cause=image to 2.4.39")
    out = server.kubectl("rollout", "status", "statefulset/web", "-n", namespace,
                         "--timeout=20s")
    sts = apps.read_namespaced_stateful_set("web", namespace)
    second = sts.status.update_revision
    assert second != first
    assert sts.status.current_revision == second
    assert out.stdout.strip().endswith(
        "partitioned roll out complete: 3 new pods have been updated..."), out.stdout

    history = server.kubectl("rollout", "history", "statefulset/web", "-n", namespace).stdout
    lines = [line.split(None, 1) for line in history.strip().splitlines()[2:]]
    assert [line[0] for line in lines] == ["1", "2"], history
    revisions = {r.metadata.name: r.revision for r in
                 apps.list_namespaced_controller_revision(namespace).items}
    assert revisions == {first: 1, second: 2}

    out = server.kubectl("rollout", "undo", "statefulset/web", "-n", namespace,
                         "--to-revision=1")
    assert out.stdout.strip() == "statefulset.apps/web rolled back"
    server.kubectl("rollout", "status", "statefulset/web", "-n", namespace, "--timeout=20s")
    sts = apps.read_namespaced_stateful_set("web", namespace)
    # The rollback reuses revision 1's object, renumbered as the newest.
    assert sts.status.update_revision == first
    assert sts.status.current_revision == first
    assert sts.spec.template.spec.containers[0].image == WEBSERVER_IMAGE
    revisions = {r.metadata.name: r.revision for r in
                 apps.list_namespaced_controller_revision(namespace).items}
    assert revisions == {first: 3, second: 2}

    before = {p.metadata.name: p.metadata.uid for p in sts_pods(server, namespace, LABELS)}
    out = server.kubectl("rollout", "restart", "statefulset/web", "-n", namespace)
    assert out.stdout.strip() == "statefulset.apps/web restarted"
    server.kubectl("rollout", "status", "statefulset/web", "-n", namespace, "--timeout=20s")
    sts = apps.read_namespaced_stateful_set("web", namespace)
    assert "kubectl.kubernetes.io/restartedAt" in sts.spec.template.metadata.annotations
    assert sts.status.update_revision not in (first, second)
    pods = wait_running_ready(server, namespace, "web", 3)
    assert not set(before.values()) & {p.metadata.uid for p in pods}

    out = server.kubectl("rollout", "undo", "statefulset/web", "-n", namespace,
                         "--to-revision=9", check=False)
    assert out.returncode == 1
    assert out.stderr.strip() == "error: unable to find specified revision 9 in history"
    events = {(e.reason, e.message) for e in core.list_namespaced_event(
        namespace, field_selector="involvedObject.name=web").items}
    assert ("SuccessfulDelete", "delete Pod web-2 in StatefulSet web successful") in events


# --- missing claim of a pending pod ---------------------------------------------------------

def test_pvc_recreated_when_pod_pending_due_to_missing_pvc(server, namespace, core, apps):
    node = "sim-2"
    body = sim_statefulset("ss", 1, claims=("datadir",))
    body["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": node}
    create_set(server, namespace, body)
    wait_claims(core, namespace, "ss", [0])
    [pod] = wait_running_ready(server, namespace, "ss", 1)
    assert pod.spec.node_name == node

    server.kubectl("cordon", node)
    try:
        core.delete_namespaced_pod("ss-0", namespace)
        # Recreated, but it cannot be scheduled on the cordoned node.
        def recreated_pending():
            try:
                again = core.read_namespaced_pod("ss-0", namespace)
            except k8s_client.ApiException as err:
                if err.status == 404:
                    return None
                raise
            return again.metadata.uid != pod.metadata.uid and again.status.phase == "Pending"

        wait_until(recreated_pending, what="ss-0 recreated Pending")
        time.sleep(0.5)
        assert not core.read_namespaced_pod("ss-0", namespace).spec.node_name
        old_claim = core.read_namespaced_persistent_volume_claim("datadir-ss-0", namespace)
        core.delete_namespaced_persistent_volume_claim("datadir-ss-0", namespace)
        def old_claim_gone():
            claim = all_claims(core, namespace).get("datadir-ss-0")
            return claim is None or claim.metadata.uid != old_claim.metadata.uid

        wait_until(old_claim_gone, what="old claim gone")
    finally:
        server.kubectl("uncordon", node)

    claim = wait_claims(core, namespace, "ss", [0])["datadir-ss-0"]
    assert claim.metadata.uid != old_claim.metadata.uid
    [again] = wait_running_ready(server, namespace, "ss", 1)
    assert again.spec.node_name == node
