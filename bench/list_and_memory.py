"""Issue 3 figure: `kubectl get pods -A` with 10,000 pods stored, and berth's memory.

A `berth server --node-mode none` (nothing runs the pods) is started on a fresh data dir;
its RSS is read idle, then 10,000 pods are created in parallel through the API (spread
over 10 namespaces), and the list is timed N times three ways: the raw JSON list
`GET /api/v1/pods`, the same list as a Table (what `kubectl get` asks for, in one page),
and the real `kubectl get pods -A` command end to end (it pages by 500). RSS is read after
the creates and sampled during the lists. Finally the server is restarted on the same data
dir to time a cold start with 10k pods stored.

Usage: .venv/bin/python bench/list_and_memory.py [--pods N] [--runs N] [--kubectl-runs N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

NAMESPACES = [f"bench-{i}" for i in range(10)]
CREATE_WORKERS = 16
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def pod_body(index: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{index:05d}", "labels": {"app": "bench", "shard": str(index % 10)}},
        "spec": {
            "containers": [{
                "name": "app",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80, "name": "http"}],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            }],
        },
    }


def create_pods(berth: common.Berth, count: int) -> float:
    """Creates `count` pods with CREATE_WORKERS threads, each with its own keep-alive
    session; returns the elapsed seconds."""
    local = threading.local()

    def create(index: int) -> None:
        if not hasattr(local, "session"):
            local.session = berth.session()
        namespace = NAMESPACES[index % len(NAMESPACES)]
        resp = local.session.post(
            f"{berth.url}/api/v1/namespaces/{namespace}/pods", json=pod_body(index), timeout=60
        )
        if resp.status_code != 201:
            raise RuntimeError(f"creating pod {index}: {resp.status_code} {resp.text[:300]}")

    started = time.monotonic()
    with ThreadPoolExecutor(CREATE_WORKERS) as pool:
        for future in [pool.submit(create, i) for i in range(count)]:
            future.result(timeout=600)
    return time.monotonic() - started


class RssSampler:
    """Samples a process's RSS every 20 ms in a thread and keeps the peak."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, common.rss_mb(self.pid))
            self._stop.wait(0.02)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def settled_rss(pid: int, seconds: float = 3.0) -> float:
    """RSS after letting the server settle for a few seconds (the peak over the last
    second, so a passing allocation does not hide)."""
    time.sleep(max(0.0, seconds - 1))
    peak = 0.0
    for _ in range(10):
        peak = max(peak, common.rss_mb(pid))
        time.sleep(0.1)
    return peak


def timed_get(session, url: str, headers: dict | None = None) -> tuple[float, bytes]:
    started = time.monotonic()
    resp = session.get(url, headers=headers or {}, timeout=120)
    body = resp.content
    elapsed = time.monotonic() - started
    resp.raise_for_status()
    return elapsed, body


RESPONSE_MS = re.compile(r'"Response" verb="GET" url="[^"]*/api/v1/pods\?[^"]*" status="200 OK" milliseconds=(\d+)')
THROTTLE_MS = re.compile(r'"Waited before sending request" delay="([0-9.]+)(ms|s)"')


def kubectl_breakdown(berth: common.Berth) -> tuple[float, int, float, float]:
    """Runs `kubectl get pods -A -v=6` once; returns (elapsed s, pages, sum of the server's
    response times s as kubectl saw them, sum of kubectl's own client-side throttling
    waits s). kubectl pages by 500 and client-go throttles itself to 5 requests/s after
    a burst of 10, whatever the server: 20 pages spend about 2 s waiting."""
    started = time.monotonic()
    result = berth.kubectl("get", "pods", "-A", "-v=6", timeout=120)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"kubectl get pods -A failed: {result.stderr[-500:]}")
    pages = [int(ms) / 1000 for ms in RESPONSE_MS.findall(result.stderr)]
    waits = [float(v) / (1000 if unit == "ms" else 1) for v, unit in THROTTLE_MS.findall(result.stderr)]
    return elapsed, len(pages), sum(pages), sum(waits)


def median_breakdown(breakdowns) -> tuple[str, str, str, str, str]:
    elapsed, pages, server, waits = sorted(breakdowns)[len(breakdowns) // 2]
    return (str(pages), common.ms(server), common.ms(server / max(pages, 1)),
            common.ms(waits), common.ms(elapsed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30, help="raw list requests timed")
    parser.add_argument("--kubectl-runs", type=int, default=10, help="kubectl commands timed")
    args = parser.parse_args()

    work = common.workdir("list")
    berth = common.Berth(work / "data", node_mode="none")
    try:
        berth.start()
        idle_rss = settled_rss(berth.pid, 5.0)
        session = berth.session()
        for namespace in NAMESPACES:
            common.create_namespace(session, berth.url, namespace)
        create_s = create_pods(berth, args.pods)
        print(f"created {args.pods} pods in {create_s:.1f}s ({args.pods / create_s:.0f}/s)", flush=True)
        loaded_rss = settled_rss(berth.pid)

        url = f"{berth.url}/api/v1/pods"
        _, body = timed_get(session, url)  # warm-up, and a count check
        listed = len(json.loads(body)["items"])
        if listed != args.pods:
            raise RuntimeError(f"listed {listed} pods, created {args.pods}")
        raw_size = len(body)
        with RssSampler(berth.pid) as sampler:
            raw = [timed_get(session, url)[0] for _ in range(args.runs)]
            timed_get(session, url, {"Accept": TABLE_ACCEPT})
            table = [timed_get(session, url, {"Accept": TABLE_ACCEPT})[0] for _ in range(args.runs)]
            berth.kubectl("get", "pods", "-A")  # warm-up: discovery cache
            kubectl_times = []
            kubectl_lines = 0
            for _ in range(args.kubectl_runs):
                started = time.monotonic()
                result = berth.kubectl("get", "pods", "-A", timeout=120)
                kubectl_times.append(time.monotonic() - started)
                if result.returncode != 0:
                    raise RuntimeError(f"kubectl get pods -A failed: {result.stderr}")
                kubectl_lines = len(result.stdout.splitlines())
            breakdowns = [kubectl_breakdown(berth) for _ in range(args.kubectl_runs)]
        list_peak_rss = sampler.peak
        after_lists_rss = settled_rss(berth.pid)

        berth.stop()
        spawned = berth.spawn()
        restart_s = berth.wait_ready() - spawned
        # Sampled over time: the first seconds hold every component's initial list and the
        # scheduler's burst of FailedScheduling events for the pending pods.
        restart_samples = []
        for _ in range(30):
            time.sleep(0.5)
            restart_samples.append(common.rss_mb(berth.pid))

        p99_raw = common.percentile(raw, 99)
        rows = [
            ("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
            ("machine", common.machine_summary()),
            ("berth commit", common.berth_commit()),
            ("pods stored", f"{args.pods} in {len(NAMESPACES)} namespaces (--node-mode none), "
                            f"created at {args.pods / create_s:.0f}/s with {CREATE_WORKERS} clients"),
            (f"GET /api/v1/pods JSON ({raw_size / 1e6:.1f} MB) p50 / p99 / max over {args.runs}",
             f"{common.ms(common.median(raw))} / {common.ms(p99_raw)} / {common.ms(max(raw))}  "
             f"(goal p99 < 300 ms: {common.goal(p99_raw < 0.3)})"),
            (f"GET /api/v1/pods as Table p50 / p99 over {args.runs}",
             f"{common.ms(common.median(table))} / {common.ms(common.percentile(table, 99))}"),
            (f"kubectl get pods -A ({kubectl_lines} lines) p50 / p99 over {args.kubectl_runs}",
             f"{common.ms(common.median(kubectl_times))} / {common.ms(common.percentile(kubectl_times, 99))}"),
            ("kubectl get pods -A -v=6: pages, server time, kubectl's own throttling waits (median run)",
             "{} pages, server {} in all ({} per page), throttling {} of {} end to end".format(
                 *median_breakdown(breakdowns))),
            ("RSS idle, no workload", f"{idle_rss:.1f} MiB  (goal <= 50 MB: {common.goal(idle_rss <= 50)})"),
            ("RSS with 10k pods, after creates", f"{loaded_rss:.1f} MiB  (goal <= 300 MB: {common.goal(loaded_rss <= 300)})"),
            ("RSS peak during the lists", f"{list_peak_rss:.1f} MiB  (goal <= 300 MB: {common.goal(list_peak_rss <= 300)})"),
            ("RSS settled after the lists", f"{after_lists_rss:.1f} MiB"),
            ("restart with 10k pods: to /readyz 200", f"{common.ms(restart_s)}  (goal <= 1 s: {common.goal(restart_s <= 1)})"),
            ("RSS after the restart: peak in the first 2 s / at 15 s",
             f"{max(restart_samples[:4]):.1f} MiB / {restart_samples[-1]:.1f} MiB"),
        ]
        common.print_block("List of 10k pods and server memory", rows)
    finally:
        berth.stop()
        common.remove_tree(work)


if __name__ == "__main__":
    main()
