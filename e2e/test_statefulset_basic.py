"""Ports of upstream's "Basic StatefulSet functionality [StatefulSetBasic]" e2e tests
(test/e2e/apps/statefulset.go) that need no real containers, run against simulated nodes.

Where upstream breaks a readiness probe by moving a file in the container, these tests
patch the pod's Ready condition through pods/status; where upstream writes data into the
volume, they check which claim and which volume a pod gets."""

import json
import threading
import time

import pytest
from kubernetes import client as k8s_client
from kubernetes import watch as k8s_watch

from util import (
    NEW_WEBSERVER_IMAGE,
    PAUSE_IMAGE,
    SIMULATED_NODE_ARGS,
    WEBSERVER_IMAGE,
    PodWatch,
    headless_service,
    pod_is_ready,
    set_pod_ready,
    sim_statefulset,
    sts_pods,
    wait_for_sts,
    wait_running_ready,
    wait_until,
)

LABELS = {"foo": "bar", "baz": "blah"}
REVISION_LABEL = "controller-revision-hash"


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
    """Creates the headless Service `test` (once) and the StatefulSet, as upstream's
    BeforeEach and test bodies do."""
    core = k8s_client.CoreV1Api(server.api_client)
    svc = headless_service("test")
    svc["spec"]["selector"] = dict(LABELS)
    try:
        core.create_namespaced_service(namespace, svc)
    except k8s_client.ApiException as err:
        if err.status != 409:
            raise
    return k8s_client.AppsV1Api(server.api_client).create_namespaced_stateful_set(namespace, body)


def update_set(apps, namespace, name, mutate):
    """Read-modify-update with retry on conflict (upstream's updateStatefulSetWithRetries)."""
    for _ in range(10):
        sts = apps.read_namespaced_stateful_set(name, namespace)
        mutate(sts)
        try:
            return apps.replace_namespaced_stateful_set(name, namespace, sts)
        except k8s_client.ApiException as err:
            if err.status != 409:
                raise
    raise AssertionError(f"could not update statefulset {name}")


def settled(sts) -> bool:
    """upstream's waitForStatus: the controller has observed the current generation."""
    return sts.status is not None and sts.status.observed_generation == sts.metadata.generation


def delete_pod_now(core, namespace, name):
    core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)


def images(pods):
    return [p.spec.containers[0].image for p in pods]


def revisions(pods):
    return [p.metadata.labels[REVISION_LABEL] for p in pods]


def wait_rolled_out(server, namespace, name, timeout=20.0):
    """upstream's waitForRollingUpdate: currentRevision == updateRevision and every pod at it."""
    def done():
        sts = k8s_client.AppsV1Api(server.api_client).read_namespaced_stateful_set(name, namespace)
        if not settled(sts) or sts.status.current_revision != sts.status.update_revision:
            return None
        pods = sts_pods(server, namespace, LABELS)
        if len(pods) != sts.spec.replicas or not all(map(pod_is_ready, pods)):
            return None
        if any(r != sts.status.update_revision for r in revisions(pods)):
            return None
        return sts, pods

    return wait_until(done, timeout=timeout, what=f"rolling update of {name}")


def events_for(core, namespace, name):
    items = core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={name}").items
    return [(e.reason, e.message) for e in items]


# --- basic identity ---------------------------------------------------------------------

def test_basic_identity(server, namespace, core, apps):
    create_set(server, namespace, sim_statefulset("ss", 3, claims=("datadir",)))
    pods = wait_running_ready(server, namespace, "ss", 3)
    sts = apps.read_namespaced_stateful_set("ss", namespace)
    assert [p.metadata.name for p in pods] == ["ss-0", "ss-1", "ss-2"]
    volumes = {}
    for ordinal, pod in enumerate(pods):
        assert pod.spec.hostname == pod.metadata.name
        assert pod.spec.subdomain == "test"
        labels = pod.metadata.labels
        assert labels["statefulset.kubernetes.io/pod-name"] == pod.metadata.name
        assert labels["apps.kubernetes.io/pod-index"] == str(ordinal)
        assert labels[REVISION_LABEL] == sts.status.update_revision
        owner = pod.metadata.owner_references[0]
        assert (owner.kind, owner.name, owner.uid, owner.controller) == (
            "StatefulSet", "ss", sts.metadata.uid, True)
        claim = next(v for v in pod.spec.volumes if v.name == "datadir")
        assert claim.persistent_volume_claim.claim_name == f"datadir-ss-{ordinal}"
        pvc = wait_until(lambda o=ordinal: (
            lambda c: c if c.status.phase == "Bound" else None)(
            core.read_namespaced_persistent_volume_claim(f"datadir-ss-{o}", namespace)),
            what=f"datadir-ss-{ordinal} Bound")
        volumes[pvc.metadata.name] = pvc.spec.volume_name
    assert len(set(volumes.values())) == 3, volumes

    # Pods were created one at a time: each after its predecessor became Ready.
    for before, after in zip(pods, pods[1:]):
        ready_at = next(c.last_transition_time for c in before.status.conditions
                        if c.type == "Ready")
        assert after.metadata.creation_timestamp >= ready_at.replace(microsecond=0)

    server.kubectl("scale", "statefulset", "ss", "-n", namespace, "--replicas=0")
    wait_until(lambda: not sts_pods(server, namespace, LABELS), what="pods gone")
    server.kubectl("scale", "statefulset", "ss", "-n", namespace, "--replicas=3")
    pods = wait_running_ready(server, namespace, "ss", 3)
    for ordinal, pod in enumerate(pods):
        assert pod.spec.hostname == f"ss-{ordinal}"
        claim = next(v for v in pod.spec.volumes if v.name == "datadir")
        assert claim.persistent_volume_claim.claim_name == f"datadir-ss-{ordinal}"
        pvc = core.read_namespaced_persistent_volume_claim(f"datadir-ss-{ordinal}", namespace)
        assert pvc.spec.volume_name == volumes[pvc.metadata.name]
        assert pvc.status.phase == "Bound"


def test_components_write_under_their_upstream_manager_names(server, namespace):
    create_set(server, namespace, sim_statefulset("mgr", 1))
    wait_running_ready(server, namespace, "mgr", 1)
    pod = json.loads(server.kubectl("get", "pod", "mgr-0", "-n", namespace, "-o", "json",
                                    "--show-managed-fields").stdout)
    managers = {(m["manager"], m.get("subresource", "")) for m in pod["metadata"]["managedFields"]}
    assert ("kube-controller-manager", "") in managers
    assert ("kube-scheduler", "") in managers
    assert ("kubelet", "status") in managers
    assert not any(name == "unknown" for name, _ in managers)


def test_adopt_matching_orphans_and_release_non_matching_pods(server, namespace, core, apps):
    sts = create_set(server, namespace, sim_statefulset("ss", 1))
    wait_running_ready(server, namespace, "ss", 1)

    def controlled_by_set():
        pod = core.read_namespaced_pod("ss-0", namespace)
        refs = [r for r in pod.metadata.owner_references or [] if r.controller]
        return pod if len(refs) == 1 and (refs[0].kind, refs[0].name, refs[0].uid) == (
            "StatefulSet", "ss", sts.metadata.uid) else None

    pod = wait_until(controlled_by_set, what="ss-0 controlled by ss")

    # Orphan it: the controller adopts it back (same pod, not a replacement).
    core.patch_namespaced_pod("ss-0", namespace, [
        {"op": "remove", "path": "/metadata/ownerReferences"}])
    adopted = wait_until(controlled_by_set, what="ss-0 re-adopted")
    assert adopted.metadata.uid == pod.metadata.uid

    # Labels no longer match: the controller releases it.
    server.kubectl("label", "pod", "ss-0", "-n", namespace, "foo-", "baz-")
    released = wait_until(
        lambda: (lambda p: p if not p.metadata.owner_references else None)(
            core.read_namespaced_pod("ss-0", namespace)), what="ss-0 released")
    assert released.metadata.uid == pod.metadata.uid

    # Matching labels again: adopted again.
    server.kubectl("label", "pod", "ss-0", "-n", namespace, "foo=bar", "baz=blah")
    assert wait_until(controlled_by_set, what="ss-0 adopted").metadata.uid == pod.metadata.uid


def test_not_deadlock_when_predecessor_fails(server, namespace, core):
    create_set(server, namespace, sim_statefulset("ss", 2))
    pods = wait_running_ready(server, namespace, "ss", 2)
    set_pod_ready(server, namespace, "ss-1", False)
    wait_for_sts(server, namespace, "ss", lambda s: s.status.ready_replicas == 1)

    delete_pod_now(core, namespace, "ss-0")
    recreated = wait_until(lambda: (lambda ps: ps[0] if ps and ps[0].metadata.name == "ss-0"
                                    and ps[0].metadata.uid != pods[0].metadata.uid
                                    and pod_is_ready(ps[0]) else None)(
        sts_pods(server, namespace, LABELS)), what="ss-0 recreated")
    assert recreated.metadata.uid != pods[0].metadata.uid

    set_pod_ready(server, namespace, "ss-1", True)
    wait_running_ready(server, namespace, "ss", 2)


# --- rolling update and rollback --------------------------------------------------------

@pytest.mark.parametrize("claims", [(), ("datadir",)], ids=["conformance", "with-pvcs"])
def test_rolling_update_and_rollback(server, namespace, core, apps, claims):
    create_set(server, namespace, sim_statefulset("ss2", 3, claims=claims))
    pods = wait_running_ready(server, namespace, "ss2", 3)
    sts = wait_for_sts(server, namespace, "ss2", settled)
    current, update = sts.status.current_revision, sts.status.update_revision
    assert current == update
    assert revisions(pods) == [current] * 3

    watch = PodWatch(server, namespace, LABELS)
    try:
        set_pod_ready(server, namespace, "ss2-1", False)
        wait_for_sts(server, namespace, "ss2", lambda s: s.status.ready_replicas == 2)
        update_set(apps, namespace, "ss2",
                   lambda s: setattr(s.spec.template.spec.containers[0], "image",
                                     NEW_WEBSERVER_IMAGE))
        sts = wait_for_sts(server, namespace, "ss2",
                           lambda s: settled(s) and s.status.update_revision != current)
        prior, update = sts.status.current_revision, sts.status.update_revision
        assert prior == current
        # With ss2-1 unready the OrderedReady rollout does not replace anything.
        time.sleep(1.5)
        assert revisions(sts_pods(server, namespace, LABELS)) == [current] * 3

        set_pod_ready(server, namespace, "ss2-1", True)
        sts, pods = wait_rolled_out(server, namespace, "ss2")
        assert sts.status.current_revision == update
        assert images(pods) == [NEW_WEBSERVER_IMAGE] * 3
        assert revisions(pods) == [update] * 3
        assert watch.order_of("DELETED") == ["ss2-2", "ss2-1", "ss2-0"]
    finally:
        watch.stop()

    set_pod_ready(server, namespace, "ss2-1", False)
    wait_for_sts(server, namespace, "ss2", lambda s: s.status.ready_replicas == 2)
    update_set(apps, namespace, "ss2",
               lambda s: setattr(s.spec.template.spec.containers[0], "image", WEBSERVER_IMAGE))
    sts = wait_for_sts(server, namespace, "ss2",
                       lambda s: settled(s) and s.status.update_revision != update)
    assert sts.status.current_revision == update
    # Reverting the template reuses the prior revision rather than making a third one.
    assert sts.status.update_revision == prior
    set_pod_ready(server, namespace, "ss2-1", True)
    sts, pods = wait_rolled_out(server, namespace, "ss2")
    assert sts.status.current_revision == prior
    assert images(pods) == [WEBSERVER_IMAGE] * 3
    assert revisions(pods) == [prior] * 3
    if claims:
        for ordinal, pod in enumerate(pods):
            claim = next(v for v in pod.spec.volumes if v.name == "datadir")
            assert claim.persistent_volume_claim.claim_name == f"datadir-ss2-{ordinal}"
        names = sorted(c.metadata.name for c in
                       core.list_namespaced_persistent_volume_claim(namespace).items)
        assert names == ["datadir-ss2-0", "datadir-ss2-1", "datadir-ss2-2"]


def partition_of(sts):
    return sts.spec.update_strategy.rolling_update.partition


def check_partitioned(pods, sts, old_revision, new_revision):
    for pod in pods:
        if pod_ordinal_index(pod) < partition_of(sts):
            assert (pod.spec.containers[0].image, pod.metadata.labels[REVISION_LABEL]) == (
                WEBSERVER_IMAGE, old_revision), pod.metadata.name
        else:
            assert (pod.spec.containers[0].image, pod.metadata.labels[REVISION_LABEL]) == (
                NEW_WEBSERVER_IMAGE, new_revision), pod.metadata.name


def pod_ordinal_index(pod):
    return int(pod.metadata.name.rsplit("-", 1)[1])


def wait_partitioned(server, namespace, name, replicas=3):
    """upstream's waitForPartitionedRollingUpdate."""
    def done():
        sts = k8s_client.AppsV1Api(server.api_client).read_namespaced_stateful_set(name, namespace)
        if not settled(sts):
            return None
        partition = partition_of(sts)
        pods = [p for p in sts_pods(server, namespace, LABELS)
                if p.metadata.deletion_timestamp is None and pod_is_ready(p)]
        if len(pods) != replicas:
            return None
        if sts.status.updated_replicas != max(replicas - partition, 0):
            return None
        if any(p.metadata.labels[REVISION_LABEL] != sts.status.update_revision
               for p in pods if pod_ordinal_index(p) >= partition):
            return None
        return sts, pods

    return wait_until(done, what=f"partitioned rolling update of {name}")


def test_canary_and_phased_rolling_updates(server, namespace, core, apps):
    body = sim_statefulset("ss2", 3, updateStrategy={
        "type": "RollingUpdate", "rollingUpdate": {"partition": 3}})
    create_set(server, namespace, body)
    pods = wait_running_ready(server, namespace, "ss2", 3)
    sts = wait_for_sts(server, namespace, "ss2", settled)
    current = sts.status.current_revision
    assert sts.status.update_revision == current
    assert revisions(pods) == [current] * 3

    update_set(apps, namespace, "ss2",
               lambda s: setattr(s.spec.template.spec.containers[0], "image", NEW_WEBSERVER_IMAGE))
    sts = wait_for_sts(server, namespace, "ss2",
                       lambda s: settled(s) and s.status.update_revision != current)
    update = sts.status.update_revision
    assert sts.status.current_revision == current
    # Partition 3 > replicas: nothing is updated.
    time.sleep(1.0)
    pods = sts_pods(server, namespace, LABELS)
    assert images(pods) == [WEBSERVER_IMAGE] * 3
    assert revisions(pods) == [current] * 3

    # Canary: partition 2 updates only ss2-2.
    server.kubectl("patch", "statefulset", "ss2", "-n", namespace, "-p",
                   json.dumps({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 2}}}}))
    sts, pods = wait_partitioned(server, namespace, "ss2")
    check_partitioned(pods, sts, current, update)

    # Deleted pods come back at the revision their ordinal is due.
    delete_pod_now(core, namespace, "ss2-0")
    delete_pod_now(core, namespace, "ss2-2")
    old_uids = {p.metadata.name: p.metadata.uid for p in pods}
    wait_until(lambda: (lambda ps: len(ps) == 3 and all(map(pod_is_ready, ps))
                        and ps[0].metadata.uid != old_uids["ss2-0"]
                        and ps[2].metadata.uid != old_uids["ss2-2"])(
        sts_pods(server, namespace, LABELS)), what="ss2-0 and ss2-2 recreated")
    sts, pods = wait_partitioned(server, namespace, "ss2")
    check_partitioned(pods, sts, current, update)

    # Phased: partition 1, then 0.
    for partition in (1, 0):
        update_set(apps, namespace, "ss2",
                   lambda s, p=partition: setattr(s.spec.update_strategy.rolling_update,
                                                  "partition", p))
        sts, pods = wait_partitioned(server, namespace, "ss2")
        check_partitioned(pods, sts, current, update)
    sts = wait_for_sts(server, namespace, "ss2",
                       lambda s: s.status.current_revision == update)
    assert sts.status.current_replicas == 3


def test_partition_1_and_delete_pod_0_with_finalizer(server, namespace, core, apps):
    finalizer = "e2e.berth.io/hold"
    body = sim_statefulset("ss3", 3, updateStrategy={
        "type": "RollingUpdate", "rollingUpdate": {"partition": 1}})
    create_set(server, namespace, body)
    pods = wait_running_ready(server, namespace, "ss3", 3)
    sts = wait_for_sts(server, namespace, "ss3", settled)
    current = sts.status.current_revision
    assert revisions(pods) == [current] * 3
    core.patch_namespaced_pod("ss3-0", namespace, {"metadata": {"finalizers": [finalizer]}})
    try:
        update_set(apps, namespace, "ss3",
                   lambda s: setattr(s.spec.template.spec.containers[0], "image",
                                     NEW_WEBSERVER_IMAGE))
        sts = wait_for_sts(server, namespace, "ss3",
                           lambda s: settled(s) and s.status.update_revision != current)
        update = sts.status.update_revision
        sts = wait_for_sts(server, namespace, "ss3",
                           lambda s: s.status.updated_replicas == 2
                           and s.status.ready_replicas == s.status.replicas == 3)
        check_partitioned(sts_pods(server, namespace, LABELS), sts, current, update)

        old = core.read_namespaced_pod("ss3-0", namespace)
        delete_pod_now(core, namespace, "ss3-0")
        # ss3-0 hangs terminating on its finalizer: it is no longer ready.
        wait_for_sts(server, namespace, "ss3", lambda s: s.status.ready_replicas == 2,
                     what="readyReplicas 2 while ss3-0 terminates")
        time.sleep(1.0)
        pod0 = core.read_namespaced_pod("ss3-0", namespace)
        assert pod0.metadata.uid == old.metadata.uid
        assert pod0.metadata.deletion_timestamp is not None
    finally:
        core.patch_namespaced_pod("ss3-0", namespace, [
            {"op": "remove", "path": "/metadata/finalizers"}])

    pods = wait_until(lambda: (lambda ps: ps if len(ps) == 3 and all(map(pod_is_ready, ps))
                               and ps[0].metadata.uid != old.metadata.uid else None)(
        sts_pods(server, namespace, LABELS)), what="ss3-0 recreated")
    sts = wait_for_sts(server, namespace, "ss3", lambda s: s.status.ready_replicas == 3)
    # Below the partition ss3-0 comes back at the old revision.
    check_partitioned(pods, sts, current, update)


def test_on_delete_legacy_replacement(server, namespace, core, apps):
    body = sim_statefulset("ss2", 3, updateStrategy={"type": "OnDelete"})
    create_set(server, namespace, body)
    pods = wait_running_ready(server, namespace, "ss2", 3)
    sts = wait_for_sts(server, namespace, "ss2", settled)
    current = sts.status.current_revision
    assert sts.status.update_revision == current
    assert sts.spec.update_strategy.rolling_update is None

    def replace_all(old_pods):
        for pod in old_pods:
            delete_pod_now(core, namespace, pod.metadata.name)
        old = {p.metadata.uid for p in old_pods}
        return wait_until(lambda: (lambda ps: ps if len(ps) == 3 and all(map(pod_is_ready, ps))
                                   and not old & {p.metadata.uid for p in ps} else None)(
            sts_pods(server, namespace, LABELS)), what="all pods recreated")

    pods = replace_all(pods)
    assert revisions(pods) == [current] * 3

    update_set(apps, namespace, "ss2",
               lambda s: setattr(s.spec.template.spec.containers[0], "image", NEW_WEBSERVER_IMAGE))
    sts = wait_for_sts(server, namespace, "ss2",
                       lambda s: settled(s) and s.status.update_revision != current)
    update = sts.status.update_revision
    time.sleep(1.0)
    untouched = sts_pods(server, namespace, LABELS)
    assert [p.metadata.uid for p in untouched] == [p.metadata.uid for p in pods]
    assert images(untouched) == [WEBSERVER_IMAGE] * 3

    pods = replace_all(untouched)
    assert images(pods) == [NEW_WEBSERVER_IMAGE] * 3
    assert revisions(pods) == [update] * 3
    # Since v1.36 OnDelete also promotes currentRevision once every pod is updated.
    wait_for_sts(server, namespace, "ss2", lambda s: s.status.current_revision == update)


# --- scaling ----------------------------------------------------------------------------

def confirm_pod_count(server, namespace, count, seconds):
    """upstream's confirmStatefulPodCount with hard=true: the count holds for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pods = sts_pods(server, namespace, LABELS)
        assert len(pods) == count, [p.metadata.name for p in pods]
        time.sleep(0.2)


def set_all_ready(server, namespace, ready):
    """Flips every pod's Ready condition; a pod the controller deletes meanwhile (scale-down
    resumes as soon as the condemned pods allow it) is skipped."""
    for pod in sts_pods(server, namespace, LABELS):
        try:
            set_pod_ready(server, namespace, pod.metadata.name, ready)
        except AssertionError as err:
            if "NotFound" not in str(err):
                raise


def test_scaling_in_predictable_order_and_halting_on_unhealthy_pod(server, namespace, core):
    watch = PodWatch(server, namespace, LABELS)
    try:
        create_set(server, namespace, sim_statefulset("ss", 1))
        wait_running_ready(server, namespace, "ss", 1)

        set_all_ready(server, namespace, False)
        wait_for_sts(server, namespace, "ss", lambda s: not s.status.ready_replicas)
        server.kubectl("scale", "statefulset", "ss", "-n", namespace, "--replicas=3")
        confirm_pod_count(server, namespace, 1, 3)

        set_all_ready(server, namespace, True)
        wait_running_ready(server, namespace, "ss", 3)
        assert watch.order_of("ADDED") == ["ss-0", "ss-1", "ss-2"]

        set_all_ready(server, namespace, False)
        wait_for_sts(server, namespace, "ss", lambda s: not s.status.ready_replicas)
        server.kubectl("scale", "statefulset", "ss", "-n", namespace, "--replicas=0")
        confirm_pod_count(server, namespace, 3, 3)

        set_all_ready(server, namespace, True)
        wait_until(lambda: not sts_pods(server, namespace, LABELS), what="all pods deleted")
        wait_for_sts(server, namespace, "ss", lambda s: s.status.replicas == 0)
        for name in ("ss-2", "ss-1", "ss-0"):
            watch.wait_for("DELETED", name)
        assert watch.order_of("DELETED") == ["ss-2", "ss-1", "ss-0"]
    finally:
        watch.stop()
    messages = events_for(core, namespace, "ss")
    for ordinal in range(3):
        assert ("SuccessfulCreate", f"create Pod ss-{ordinal} in StatefulSet ss successful") \
            in messages, messages
        assert ("SuccessfulDelete", f"delete Pod ss-{ordinal} in StatefulSet ss successful") \
            in messages, messages


def test_burst_scaling_runs_to_completion_with_unhealthy_pods(server, namespace):
    create_set(server, namespace, sim_statefulset("ss", 1, podManagementPolicy="Parallel"))
    wait_running_ready(server, namespace, "ss", 1)

    set_all_ready(server, namespace, False)
    wait_for_sts(server, namespace, "ss", lambda s: not s.status.ready_replicas)
    server.kubectl("scale", "statefulset", "ss", "-n", namespace, "--replicas=3")
    wait_until(lambda: len(sts_pods(server, namespace, LABELS)) == 3, what="3 pods")
    set_all_ready(server, namespace, True)
    wait_running_ready(server, namespace, "ss", 3)

    set_all_ready(server, namespace, False)
    wait_for_sts(server, namespace, "ss", lambda s: not s.status.ready_replicas)
    server.kubectl("scale", "statefulset", "ss", "-n", namespace, "--replicas=0")
    wait_until(lambda: not sts_pods(server, namespace, LABELS), what="0 pods")
    wait_for_sts(server, namespace, "ss", lambda s: s.status.replicas == 0)


def test_recreate_evicted_statefulset(server, namespace, core):
    node = "sim-1"
    port = {"name": "conflict", "containerPort": 21017, "hostPort": 21017}
    core.create_namespaced_pod(namespace, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "webserver", "image": WEBSERVER_IMAGE,
                                 "ports": [port]}]}})
    wait_until(lambda: core.read_namespaced_pod("test-pod", namespace).status.phase == "Running",
               what="test-pod Running")

    seen = {"phases": [], "uids": [], "deleted": False}
    stop = threading.Event()

    def observe():
        w = k8s_watch.Watch()
        for event in w.stream(core.list_namespaced_pod, namespace,
                              field_selector="metadata.name=ss-0", timeout_seconds=30):
            pod = event["object"]
            if event["type"] == "DELETED":
                seen["deleted"] = True
            else:
                seen["phases"].append(pod.status.phase)
                if pod.metadata.uid not in seen["uids"]:
                    seen["uids"].append(pod.metadata.uid)
            if stop.is_set() or seen["deleted"]:
                w.stop()

    observer = threading.Thread(target=observe, daemon=True)
    observer.start()
    body = sim_statefulset("ss", 1)
    body["spec"]["template"]["spec"]["nodeName"] = node
    body["spec"]["template"]["spec"]["containers"][0]["ports"] = [port]
    create_set(server, namespace, body)
    observer.join(timeout=20)
    stop.set()
    assert seen["deleted"], f"ss-0 was never deleted; phases seen: {seen['phases']}"
    assert "Failed" in seen["phases"], seen["phases"]
    first_uid = seen["uids"][0]

    core.delete_namespaced_pod("test-pod", namespace, grace_period_seconds=0)

    def running_again():
        try:
            pod = core.read_namespaced_pod("ss-0", namespace)
        except k8s_client.ApiException:
            return None
        return pod if pod.status.phase == "Running" and pod.metadata.uid != first_uid else None

    pod = wait_until(running_again, timeout=20, what="ss-0 recreated and Running")
    assert pod.spec.node_name == node


# --- API surface (Conformance) ------------------------------------------------------------

def test_scale_subresource(server, namespace, apps):
    create_set(server, namespace, sim_statefulset("ss", 1))
    wait_running_ready(server, namespace, "ss", 1)
    scale = apps.read_namespaced_stateful_set_scale("ss", namespace)
    assert scale.spec.replicas == 1
    assert scale.status.replicas == 1
    assert scale.status.selector == "baz=blah,foo=bar"

    scale.metadata.resource_version = None
    scale.spec.replicas = 2
    result = apps.replace_namespaced_stateful_set_scale("ss", namespace, scale)
    assert result.spec.replicas == 2
    assert apps.read_namespaced_stateful_set("ss", namespace).spec.replicas == 2

    apps.patch_namespaced_stateful_set_scale("ss", namespace, {"spec": {"replicas": 4}})
    assert apps.read_namespaced_stateful_set("ss", namespace).spec.replicas == 4
    wait_running_ready(server, namespace, "ss", 4)


def test_list_patch_and_delete_collection(server, namespace, apps):
    create_set(server, namespace, sim_statefulset("test-ss", 1))
    wait_running_ready(server, namespace, "test-ss", 1)
    wait_for_sts(server, namespace, "test-ss", settled)

    patch = {
        "metadata": {"labels": {"test-ss": "patched"}},
        "spec": {
            "replicas": 2,
            "template": {"spec": {
                "TerminationGracePeriodSeconds": 1,
                "containers": [{"name": "test-ss", "image": PAUSE_IMAGE}],
            }},
        },
    }
    apps.patch_namespaced_stateful_set("test-ss", namespace, patch)
    pods = wait_running_ready(server, namespace, "test-ss", 2, timeout=25)
    sts = apps.read_namespaced_stateful_set("test-ss", namespace)
    assert sts.spec.replicas == 2
    assert [c.name for c in sts.spec.template.spec.containers] == ["test-ss", "webserver"]
    assert sts.spec.template.spec.containers[0].image == PAUSE_IMAGE
    assert all(p.spec.containers[0].image == PAUSE_IMAGE for p in pods)

    listed = apps.list_stateful_set_for_all_namespaces(label_selector="test-ss=patched")
    assert [s.metadata.name for s in listed.items] == ["test-ss"]

    apps.delete_collection_namespaced_stateful_set(
        namespace, label_selector="test-ss=patched", grace_period_seconds=0)
    wait_until(lambda: not apps.list_stateful_set_for_all_namespaces(
        label_selector="test-ss=patched").items, what="statefulsets deleted")


def test_status_endpoints(server, namespace, apps):
    create_set(server, namespace, sim_statefulset("ss", 1))
    wait_running_ready(server, namespace, "ss", 1)
    sts = wait_for_sts(server, namespace, "ss", settled)

    session = server.session()
    url = server.url(f"/apis/apps/v1/namespaces/{namespace}/statefulsets/ss/status")
    got = session.get(url)
    assert got.status_code == 200, got.text
    assert got.json()["kind"] == "StatefulSet"
    assert got.json()["status"]["replicas"] == 1

    listed = apps.list_namespaced_stateful_set(namespace)
    found = {}

    def watch_for(condition_type):
        w = k8s_watch.Watch()
        for event in w.stream(apps.list_namespaced_stateful_set, namespace,
                              resource_version=listed.metadata.resource_version,
                              timeout_seconds=15):
            obj = event["object"]
            for cond in obj.status.conditions or []:
                if obj.metadata.name == "ss" and cond.type == condition_type:
                    found[condition_type] = cond
                    w.stop()
                    return

    for _ in range(10):
        sts = apps.read_namespaced_stateful_set("ss", namespace)
        sts.status.conditions = (sts.status.conditions or []) + [
            k8s_client.V1StatefulSetCondition(type="StatusUpdate", status="True",
                                              reason="E2E", message="Set from e2e test")]
        try:
            updated = apps.replace_namespaced_stateful_set_status("ss", namespace, sts)
            break
        except k8s_client.ApiException as err:
            if err.status != 409:
                raise
    assert any(c.type == "StatusUpdate" for c in updated.status.conditions)
    watch_for("StatusUpdate")
    cond = found["StatusUpdate"]
    assert (cond.reason, cond.message) == ("E2E", "Set from e2e test")

    patched = session.patch(
        url, data=json.dumps({"status": {"conditions": [
            {"type": "StatusPatched", "status": "True"}]}}),
        headers={"Content-Type": "application/merge-patch+json"})
    assert patched.status_code == 200, patched.text
    watch_for("StatusPatched")
    assert found["StatusPatched"].status == "True"


# --- minReadySeconds ----------------------------------------------------------------------

def test_min_ready_seconds_honored(server, namespace):
    labels = {"name": "sample-pod", "pod": "httpd"}
    create_set(server, namespace, sim_statefulset("test-ss", 1, labels=labels))
    wait_for_sts(server, namespace, "test-ss", lambda s: s.status.available_replicas == 1)


def test_available_replicas_follow_min_ready_seconds(server, namespace, apps):
    labels = {"name": "sample-pod", "pod": "httpd"}
    create_set(server, namespace, sim_statefulset("test-ss", 2, labels=labels, minReadySeconds=4))
    wait_for_sts(server, namespace, "test-ss", lambda s: s.status.ready_replicas == 1)
    sts = apps.read_namespaced_stateful_set("test-ss", namespace)
    assert not sts.status.available_replicas
    time.sleep(2)
    sts = apps.read_namespaced_stateful_set("test-ss", namespace)
    assert not sts.status.available_replicas
    # OrderedReady waits for each pod to be available before the next: ~2 × 4 s.
    wait_for_sts(server, namespace, "test-ss", lambda s: s.status.available_replicas == 2,
                 timeout=20)

    update_set(apps, namespace, "test-ss", lambda s: setattr(s.spec, "min_ready_seconds", 3600))
    wait_for_sts(server, namespace, "test-ss", lambda s: s.status.available_replicas == 0)
    update_set(apps, namespace, "test-ss", lambda s: setattr(s.spec, "min_ready_seconds", 0))
    wait_for_sts(server, namespace, "test-ss", lambda s: s.status.available_replicas == 2)
    out = server.kubectl("get", "statefulset", "test-ss", "-n", namespace, "-o", "yaml").stdout
    assert "availableReplicas: 2" in out
