"""Issue 4 figures: StatefulSets on simulated nodes.

1. A 100-replica OrderedReady StatefulSet (without, then with volumeClaimTemplates): time
   to fully ready and the per-ordinal overhead, i.e. the time from pod N becoming Ready to
   pod N+1 being created. Object timestamps have second granularity, so both moments are
   taken from the client side: the arrival time of each pod's ADDED watch event and of the
   first event that shows it Ready. For reference, one pod create round trip on the same
   server is measured in the same run (the goal says the overhead should only be bounded
   by one API round trip).
2. A 1,000-replica Parallel StatefulSet: time to ready, then rolling updates of its image
   with `updateStrategy.rollingUpdate.maxUnavailable` set (default 1 would replace the
   1,000 pods one by one): time until updatedReplicas == readyReplicas == 1000 with
   currentRevision == updateRevision, and until `kubectl rollout status` returns.
3. 200 StatefulSets x 10 replicas (OrderedReady, the default) on 20 simulated nodes: time
   until all are ready, the server's CPU time (utime+stime of the one berth process:
   API server, store, controllers, scheduler and simulated nodes together) and RSS.

Each part runs on its own fresh server so CPU and memory figures are not mixed.

Usage: .venv/bin/python bench/statefulset_scale.py [--parts ordered,pvc,parallel,many]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAMESPACE = "bench"
READY_TIMEOUT_S = 600


def statefulset(name: str, replicas: int, policy: str = "OrderedReady", image: str = "nginx:1.27",
                claims: bool = False, max_unavailable=None) -> dict:
    spec = {
        "replicas": replicas,
        "serviceName": name,
        "podManagementPolicy": policy,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{
                "name": "app", "image": image,
                "ports": [{"containerPort": 80, "name": "web"}],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            }]},
        },
    }
    if claims:
        spec["template"]["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
        spec["volumeClaimTemplates"] = [{
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }]
    if max_unavailable is not None:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": max_unavailable}}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}


def headless_service(name: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
        "spec": {"clusterIP": "None", "selector": {"app": name}, "ports": [{"port": 80, "name": "web"}]},
    }


class StatefulSetWatch:
    """The latest state of every StatefulSet under a watch URL, and the client-side arrival
    time of the first event at which a predicate over all of them holds."""

    def __init__(self, session, url: str):
        self.latest: dict[tuple[str, str], dict] = {}
        self._cond = threading.Condition()
        self._predicate = None
        self._satisfied_at: float | None = None
        self.recorder = common.WatchRecorder(session, url, self._on_event)

    def _on_event(self, kind: str, obj: dict, arrival: float) -> None:
        with self._cond:
            key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            if kind == "DELETED":
                self.latest.pop(key, None)
            else:
                self.latest[key] = obj
            if self._predicate and self._satisfied_at is None and self._predicate(self.latest):
                self._satisfied_at = arrival
            self._cond.notify_all()

    def wait(self, predicate, timeout_s: float, what: str) -> float:
        """Arms `predicate` and blocks until an event satisfies it; returns that event's
        arrival time. Also true at once if the current state satisfies it."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._predicate, self._satisfied_at = predicate, None
            if predicate(self.latest):
                self._satisfied_at = time.monotonic()
            while self._satisfied_at is None:
                if self.recorder.error:
                    raise RuntimeError(f"watch failed: {self.recorder.error}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
                self._cond.wait(min(left, 1.0))
            self._predicate = None
            return self._satisfied_at


class PodTimeline:
    """Arrival times of each pod name's first ADDED event and first Ready event."""

    def __init__(self):
        self.added: dict[str, float] = {}
        self.ready: dict[str, float] = {}
        self._lock = threading.Lock()

    def on_event(self, kind: str, obj: dict, arrival: float) -> None:
        name = obj["metadata"]["name"]
        with self._lock:
            if kind == "ADDED":
                self.added.setdefault(name, arrival)
            if kind != "DELETED" and common.pod_ready(obj):
                self.ready.setdefault(name, arrival)


def all_ready(replicas: int, count: int = 1, generation_at_least: int = 0):
    """Predicate: `count` StatefulSets all report `replicas` ready and updated pods on one
    revision, for a generation the controller has observed."""
    def check(latest: dict) -> bool:
        done = 0
        for sts in latest.values():
            status = sts.get("status") or {}
            if (status.get("observedGeneration", 0) >= max(generation_at_least, sts["metadata"].get("generation", 1))
                    and status.get("readyReplicas", 0) == replicas
                    and status.get("updatedReplicas", 0) == replicas
                    and status.get("currentRevision") == status.get("updateRevision")):
                done += 1
        return done >= count
    return check


def post(session, url: str, body: dict) -> dict:
    resp = session.post(url, json=body, timeout=60)
    if resp.status_code != 201:
        raise RuntimeError(f"POST {url}: {resp.status_code} {resp.text[:400]}")
    return resp.json()


def pod_round_trip(berth: common.Berth, session, runs: int = 50) -> float:
    """Median seconds of one pod create (POST to 201) on this server, on a warm keep-alive
    connection, in a namespace nothing schedules into (no nodeName, but the scheduler will
    bind them; they are deleted right after)."""
    common.create_namespace(session, berth.url, "roundtrip")
    times = []
    for i in range(runs):
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"rt-{i}"},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
        started = time.monotonic()
        post(session, f"{berth.url}/api/v1/namespaces/roundtrip/pods", body)
        times.append(time.monotonic() - started)
    session.delete(f"{berth.url}/api/v1/namespaces/roundtrip", timeout=60)
    return common.median(times)


def ordered(claims: bool, replicas: int) -> list[tuple[str, str]]:
    label = "with volumeClaimTemplates" if claims else "no volumes"
    work = common.workdir("ordered")
    berth = common.Berth(work / "data", node_mode="simulated", simulated_nodes=3)
    try:
        berth.start()
        session = berth.session()
        round_trip = pod_round_trip(berth, session)
        common.create_namespace(session, berth.url, NAMESPACE)
        post(session, f"{berth.url}/api/v1/namespaces/{NAMESPACE}/services", headless_service("web"))
        timeline = PodTimeline()
        pods = common.WatchRecorder(session, f"{berth.url}/api/v1/namespaces/{NAMESPACE}/pods",
                                    timeline.on_event).start()
        sets = StatefulSetWatch(session, f"{berth.url}/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets")
        sets.recorder.start()
        cpu_before = common.cpu_seconds(berth.pid)
        started = time.monotonic()
        post(session, f"{berth.url}/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets",
             statefulset("web", replicas, claims=claims))
        ready_at = sets.wait(all_ready(replicas), READY_TIMEOUT_S, f"{replicas} ordered replicas ready")
        cpu = common.cpu_seconds(berth.pid) - cpu_before
        pods.close()
        sets.recorder.close()

        names = [f"web-{i}" for i in range(replicas)]
        missing = [n for n in names if n not in timeline.added or n not in timeline.ready]
        if missing:
            raise RuntimeError(f"no ADDED/Ready event seen for {missing[:5]}")
        gaps = [timeline.added[names[i + 1]] - timeline.ready[names[i]] for i in range(replicas - 1)]
        startups = [timeline.ready[n] - timeline.added[n] for n in names]
        out_of_order = sum(1 for g in gaps if g < 0)
        total = ready_at - started
        per_ordinal = common.median(gaps)
        if claims:
            pvcs = session.get(f"{berth.url}/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims",
                               timeout=60).json()["items"]
            bound = sum(1 for p in pvcs if (p.get("status") or {}).get("phase") == "Bound")
            claims_line = [(f"ordered {label}: PVCs Bound", f"{bound} of {len(pvcs)}")]
        else:
            claims_line = []
        return [
            (f"ordered {label}: {replicas} replicas fully ready", f"{total:.2f} s "
             f"({total / replicas * 1000:.1f} ms per replica)"),
            (f"ordered {label}: pod N Ready -> pod N+1 ADDED", f"median {common.ms(per_ordinal)}, "
             f"p90 {common.ms(common.percentile(gaps, 90))}, max {common.ms(max(gaps))}  "
             f"(goal <= 10 ms: {common.goal(per_ordinal <= 0.010)})"),
            (f"ordered {label}: pod ADDED -> Ready (scheduler + sim node)",
             f"median {common.ms(common.median(startups))}, p90 {common.ms(common.percentile(startups, 90))}"),
            (f"ordered {label}: create request -> web-0 ADDED", common.ms(timeline.added["web-0"] - started)),
            (f"ordered {label}: reference pod create round trip (median)",
             f"{common.ms(round_trip)}; overhead/round trip = {per_ordinal / round_trip:.1f}x"),
            (f"ordered {label}: server CPU", f"{cpu:.2f} s"),
            *claims_line,
            *([(f"ordered {label}: Ready->ADDED gaps below zero", str(out_of_order))] if out_of_order else []),
        ]
    finally:
        berth.stop()
        common.remove_tree(work)


def parallel(replicas: int, max_unavailables: list[str]) -> list[tuple[str, str]]:
    work = common.workdir("parallel")
    berth = common.Berth(work / "data", node_mode="simulated", simulated_nodes=4)
    rows = []
    try:
        berth.start()
        session = berth.session()
        common.create_namespace(session, berth.url, NAMESPACE)
        post(session, f"{berth.url}/api/v1/namespaces/{NAMESPACE}/services", headless_service("big"))
        sets = StatefulSetWatch(session, f"{berth.url}/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets")
        sets.recorder.start()
        sts_url = f"{berth.url}/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets"
        cpu_before = common.cpu_seconds(berth.pid)
        started = time.monotonic()
        post(session, sts_url, statefulset("big", replicas, policy="Parallel"))
        ready_at = sets.wait(all_ready(replicas), READY_TIMEOUT_S, f"{replicas} parallel replicas ready")
        total = ready_at - started
        rows.append((f"parallel: {replicas} replicas ready", f"{total:.2f} s  "
                     f"(goal <= 10 s: {common.goal(total <= 10)}); server CPU "
                     f"{common.cpu_seconds(berth.pid) - cpu_before:.1f} s, RSS {common.rss_mb(berth.pid):.0f} MiB"))

        for step, max_unavailable in enumerate(max_unavailables, start=1):
            value = max_unavailable if max_unavailable.endswith("%") else int(max_unavailable)
            patch = {"spec": {
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": value}},
                "template": {"spec": {"containers": [{"name": "app", "image": f"nginx:1.{27 + step}"}]}},
            }}
            cpu_before = common.cpu_seconds(berth.pid)
            started = time.monotonic()
            resp = session.patch(f"{sts_url}/big", json=patch, timeout=60,
                                 headers={"Content-Type": "application/strategic-merge-patch+json"})
            if resp.status_code != 200:
                raise RuntimeError(f"patching the image: {resp.status_code} {resp.text[:400]}")
            generation = resp.json()["metadata"]["generation"]
            rollout = berth_rollout_status(berth)
            done_at = sets.wait(all_ready(replicas, generation_at_least=generation), READY_TIMEOUT_S,
                                f"rolling update with maxUnavailable {max_unavailable}")
            rollout_s, rollout_ok = rollout.result()
            total = done_at - started
            rows.append((f"parallel: rolling update, maxUnavailable {value!r}",
                         f"{total:.2f} s to updated==ready=={replicas} on one revision  "
                         f"(goal <= 20 s: {common.goal(total <= 20)}); `kubectl rollout status` "
                         f"returned after {rollout_s - started:.2f} s ({'ok' if rollout_ok else 'FAILED'}); "
                         f"server CPU {common.cpu_seconds(berth.pid) - cpu_before:.1f} s"))
        rows.append(("parallel: server RSS at the end", f"{common.rss_mb(berth.pid):.0f} MiB"))
        sets.recorder.close()
        return rows
    finally:
        berth.stop()
        common.remove_tree(work)


class berth_rollout_status:  # noqa: N801 - reads as the command it runs
    """`kubectl rollout status statefulset/big` started now in the background."""

    def __init__(self, berth: common.Berth):
        self.done_at = 0.0
        self.ok = False
        self._thread = threading.Thread(target=self._run, args=(berth,), daemon=True)
        self._thread.start()

    def _run(self, berth: common.Berth) -> None:
        try:
            result = berth.kubectl("rollout", "status", "statefulset/big", "-n", NAMESPACE,
                                   "--timeout=300s", timeout=330)
            self.ok = result.returncode == 0
        except subprocess.TimeoutExpired:
            self.ok = False
        self.done_at = time.monotonic()

    def result(self) -> tuple[float, bool]:
        self._thread.join(timeout=360)
        return self.done_at, self.ok


def many(count: int, replicas: int, nodes: int) -> list[tuple[str, str]]:
    work = common.workdir("many")
    berth = common.Berth(work / "data", node_mode="simulated", simulated_nodes=nodes)
    try:
        berth.start()
        session = berth.session()
        namespaces = [f"bench-{i}" for i in range(10)]
        for namespace in namespaces:
            common.create_namespace(session, berth.url, namespace)
        sets = StatefulSetWatch(session, f"{berth.url}/apis/apps/v1/statefulsets")
        sets.recorder.start()
        time.sleep(2)  # let the simulated nodes register and the server settle
        idle_rss = common.rss_mb(berth.pid)
        local = threading.local()

        def create(index: int) -> None:
            if not hasattr(local, "session"):
                local.session = berth.session()
            namespace = namespaces[index % len(namespaces)]
            name = f"db-{index:03d}"
            post(local.session, f"{berth.url}/api/v1/namespaces/{namespace}/services", headless_service(name))
            post(local.session, f"{berth.url}/apis/apps/v1/namespaces/{namespace}/statefulsets",
                 statefulset(name, replicas))

        cpu_before = common.cpu_seconds(berth.pid)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            for future in [pool.submit(create, i) for i in range(count)]:
                future.result(timeout=300)
        created = time.monotonic() - started
        ready_at = sets.wait(all_ready(replicas, count=count), READY_TIMEOUT_S,
                             f"{count} StatefulSets x {replicas} ready")
        cpu_ready = common.cpu_seconds(berth.pid) - cpu_before
        rss_ready = common.rss_mb(berth.pid)
        time.sleep(5)
        cpu_settled = common.cpu_seconds(berth.pid) - cpu_before
        rss_settled = common.rss_mb(berth.pid)
        sets.recorder.close()
        pods = session.get(f"{berth.url}/api/v1/pods", timeout=120).json()["items"]
        per_node: dict[str, int] = {}
        for pod in pods:
            node = pod["spec"].get("nodeName", "")
            per_node[node] = per_node.get(node, 0) + 1
        total = ready_at - started
        return [
            (f"many: {count} x {replicas} on {nodes} nodes, all ready", f"{total:.2f} s "
             f"(creates sent in {created:.2f} s)"),
            ("many: server CPU until all ready / +5 s settled", f"{cpu_ready:.1f} s / {cpu_settled:.1f} s "
             f"({cpu_ready / total * 100:.0f}% of one core while converging)"),
            ("many: server RSS idle / all ready / +5 s", f"{idle_rss:.0f} / {rss_ready:.0f} / {rss_settled:.0f} MiB"),
            ("many: pods per node (min / max over nodes)",
             f"{min(per_node.values())} / {max(per_node.values())} on {len(per_node)} nodes"),
        ]
    finally:
        berth.stop()
        common.remove_tree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="ordered,pvc,parallel,many")
    parser.add_argument("--ordered-replicas", type=int, default=100)
    parser.add_argument("--parallel-replicas", type=int, default=1000)
    parser.add_argument("--max-unavailable", default="100,100%",
                        help="comma-separated maxUnavailable values, one rolling update each")
    parser.add_argument("--sets", type=int, default=200)
    parser.add_argument("--set-replicas", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=20)
    args = parser.parse_args()
    parts = args.parts.split(",")

    rows = [("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")), ("machine", common.machine_summary()),
            ("berth commit", common.berth_commit())]
    if "ordered" in parts:
        rows += ordered(False, args.ordered_replicas)
        print("\n".join(f"{k}: {v}" for k, v in rows[-7:]), flush=True)
    if "pvc" in parts:
        rows += ordered(True, args.ordered_replicas)
        print("\n".join(f"{k}: {v}" for k, v in rows[-7:]), flush=True)
    if "parallel" in parts:
        rows += parallel(args.parallel_replicas, args.max_unavailable.split(","))
        print("\n".join(f"{k}: {v}" for k, v in rows[-4:]), flush=True)
    if "many" in parts:
        rows += many(args.sets, args.set_replicas, args.nodes)
    common.print_block("StatefulSets on simulated nodes", rows)


if __name__ == "__main__":
    main()
