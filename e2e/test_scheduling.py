"""The scheduler and node lifecycle on simulated nodes: what `kubectl describe` and
`kubectl get` show a user when pods cannot be placed, when they spread, when a node
stops reporting and when it is cordoned."""

import json

import pytest

from util import SIMULATED_NODE_ARGS, dump, sim_statefulset, unique_name, wait_until

# Nodes that stop renewing their Lease go NotReady after this (upstream: 40 s).
NODE_GRACE_MS = "2000"


@pytest.fixture(scope="module")
def server(server_pool):
    return server_pool.start(extra_args=SIMULATED_NODE_ARGS)


@pytest.fixture(scope="module")
def quick_lifecycle_server(server_pool):
    """No simulated nodes (their Leases renew every 10 s), and a short node grace period."""
    return server_pool.start(extra_args=["--node-mode", "none"],
                             env={"BERTH_NODE_MONITOR_GRACE_MS": NODE_GRACE_MS})


def pod(name, **spec):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}
    return body


def events_for(server, namespace, name):
    out = server.kubectl("get", "events", "-n", namespace, "-o", "json",
                         "--field-selector", f"involvedObject.name={name}")
    return json.loads(out.stdout)["items"]


def test_unschedulable_pod_gets_failed_scheduling_event(server, namespace):
    big = pod("big")
    big["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1000"}}
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(big))

    def failed():
        return [e for e in events_for(server, namespace, "big") if e["reason"] == "FailedScheduling"]
    events = wait_until(failed, what="a FailedScheduling event")
    assert events[0]["type"] == "Warning"
    assert events[0]["message"].startswith("0/3 nodes are available: 3 Insufficient cpu."), events[0]
    got = json.loads(server.kubectl("get", "pod", "big", "-n", namespace, "-o", "json").stdout)
    scheduled = [c for c in got["status"]["conditions"] if c["type"] == "PodScheduled"][0]
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    assert "nodeName" not in got["spec"]


def test_node_selector_mismatch_is_reported(server, namespace):
    server.kubectl("create", "-n", namespace, "-f", "-",
                   input=dump(pod("picky", nodeSelector={"disk": "ssd"})))
    events = wait_until(lambda: [e for e in events_for(server, namespace, "picky")
                                 if e["reason"] == "FailedScheduling"], what="FailedScheduling")
    assert events[0]["message"].startswith(
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    ), events[0]
    # Labelling a node makes the pod schedulable there, without any other action.
    server.kubectl("label", "node", "sim-1", "disk=ssd")
    try:
        wait_until(lambda: json.loads(server.kubectl(
            "get", "pod", "picky", "-n", namespace, "-o", "json").stdout)["spec"].get("nodeName")
            == "sim-1", what="picky on sim-1")
    finally:
        server.kubectl("label", "node", "sim-1", "disk-")


def test_statefulset_replicas_spread_over_nodes(server, namespace):
    body = sim_statefulset("spread", replicas=3, labels={"app": "spread"})
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(body))
    server.kubectl("rollout", "status", "sts/spread", "-n", namespace, "--timeout=30s")
    pods = json.loads(server.kubectl("get", "pods", "-n", namespace, "-l", "app=spread",
                                     "-o", "json").stdout)["items"]
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["sim-0", "sim-1", "sim-2"]


def test_silent_node_goes_unknown_and_tainted_then_evicts(quick_lifecycle_server):
    server = quick_lifecycle_server
    namespace = "default"
    name = unique_name("ghost")
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}]}}
    server.kubectl("create", "-f", "-", input=dump(node))
    try:
        victim = pod(unique_name("victim"), nodeName=name, tolerations=[
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 1}])
        server.kubectl("create", "-n", namespace, "-f", "-", input=dump(victim))

        # Like upstream's node lifecycle controller, the condition and the taints are two
        # separate writes: wait until both are there.
        def unknown_and_tainted():
            got = json.loads(server.kubectl("get", "node", name, "-o", "json").stdout)
            ready = [c for c in got["status"].get("conditions", []) if c["type"] == "Ready"]
            tainted = got.get("spec", {}).get("taints")
            return got if ready and ready[0]["status"] == "Unknown" and tainted else None
        got = wait_until(unknown_and_tainted, timeout=30, what="Ready=Unknown and taints")
        ready = [c for c in got["status"]["conditions"] if c["type"] == "Ready"][0]
        assert ready["reason"] == "NodeStatusUnknown"
        assert ready["message"] == "Kubelet stopped posting node status."
        taints = {(t["key"], t["effect"]) for t in got["spec"]["taints"]}
        assert ("node.kubernetes.io/unreachable", "NoExecute") in taints
        assert ("node.kubernetes.io/unreachable", "NoSchedule") in taints
        status = server.kubectl("get", "node", name, "--no-headers").stdout.split()[1]
        assert status == "NotReady"
        # The pod tolerated the taint for 1 s only.
        victim_name = victim["metadata"]["name"]

        def evicted():
            out = server.kubectl("get", "pod", victim_name, "-n", namespace, "-o", "json",
                                 check=False)
            return out.returncode != 0 or json.loads(out.stdout)["metadata"].get(
                "deletionTimestamp")
        wait_until(evicted, timeout=30, what="the victim's eviction")
    finally:
        server.kubectl("delete", "node", name, "--wait=false")


def test_cordoned_node_is_tainted_until_uncordoned(server):
    server.kubectl("cordon", "sim-1")
    try:
        def taints():
            described = server.kubectl("describe", "node", "sim-1").stdout
            line = next(l for l in described.splitlines() if l.startswith("Taints:"))
            return line.split(":", 1)[1].strip()
        wait_until(lambda: taints() == "node.kubernetes.io/unschedulable:NoSchedule",
                   what="the unschedulable taint in kubectl describe")
        got = json.loads(server.kubectl("get", "node", "sim-1", "-o", "json").stdout)
        assert got["spec"]["unschedulable"] is True
        [taint] = got["spec"]["taints"]
        assert taint["timeAdded"], taint
        status = server.kubectl("get", "node", "sim-1", "--no-headers").stdout.split()[1]
        assert status == "Ready,SchedulingDisabled"
    finally:
        server.kubectl("uncordon", "sim-1")
    wait_until(lambda: taints() == "<none>", what="the taint removed after uncordon")


def test_scheduled_running_pod_keeps_generation_one(server, namespace):
    server.kubectl("run", "g1", "--image=nginx", "-n", namespace)
    server.kubectl("wait", "pod/g1", "-n", namespace, "--for=jsonpath={.status.phase}=Running",
                   "--timeout=30s")
    generation = server.kubectl("get", "pod", "g1", "-n", namespace,
                                "-o", "jsonpath={.metadata.generation}").stdout
    assert generation == "1"
