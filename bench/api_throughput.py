"""Issue 3 figure: ConfigMap creates/s through berth's HTTPS API with 1 and 16 concurrent
clients, side by side with raw etcd 3.4 puts of the same value size on the same disk, and
berth's create latency at 1 client.

Both are driven by the same harness, wrk (keep-alive connections, C, so the client is not
the bottleneck) with bench/wrk_create.lua, which gives every request a unique name. The two
servers run at the same time and the measurements alternate (etcd, berth, etcd, berth …) so
the machine's noise hits both alike. etcd is reached through its gRPC-gateway HTTP/JSON API
(/v3/kv/put) over plain HTTP; berth over HTTPS with a bearer token, as kubectl would.

Usage: .venv/bin/python bench/api_throughput.py [--duration S] [--rounds N] [--payload B]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

LUA = Path(__file__).resolve().parent / "wrk_create.lua"
CLIENT_COUNTS = (1, 16)
NAMESPACE = "bench"


def ensure_tools() -> None:
    """wrk and etcd from Debian (wrk, etcd-server), installed through scripts/lib.sh when
    missing."""
    if shutil.which("wrk") and shutil.which("etcd"):
        return
    subprocess.run(
        ["bash", "-c", f'source "{common.REPO_ROOT}/scripts/lib.sh"; ensure_apt_packages wrk etcd-server'],
        check=True,
    )


class Etcd:
    """A single-member etcd on loopback ports with a data dir next to berth's."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.client_port = common.free_port()
        self.peer_port = common.free_port()
        self.log_path = data_dir.parent / "etcd.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    def start(self) -> "Etcd":
        peer = f"http://127.0.0.1:{self.peer_port}"
        cmd = [
            "etcd", "--name", "bench", "--data-dir", str(self.data_dir),
            "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"bench={peer}", "--initial-cluster-state", "new",
        ]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        common.wait_for(self._healthy, 30, "etcd /health")
        return self

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"etcd exited with {self.proc.returncode}; log {self.log_path}")
        try:
            resp = requests.get(f"{self.url}/health", timeout=1)
            return resp.status_code == 200 and resp.json().get("health") == "true"
        except requests.RequestException:
            return False

    def count(self, prefix: str) -> int:
        key = prefix.encode()
        end = key[:-1] + bytes([key[-1] + 1])
        resp = requests.post(
            f"{self.url}/v3/kv/range",
            json={"key": base64.b64encode(key).decode(), "range_end": base64.b64encode(end).decode(),
                  "count_only": True},
            timeout=60,
        )
        resp.raise_for_status()
        return int(resp.json().get("count", 0))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
            self.proc = None


def run_wrk(url: str, clients: int, duration_s: int, lua_args: list[str], env: dict) -> dict:
    threads = min(clients, 2)
    cmd = [
        "wrk", "-t", str(threads), "-c", str(clients), "-d", f"{duration_s}s", "--latency",
        "--timeout", "10s", "-s", str(LUA), url, "--", *lua_args,
    ]
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=duration_s + 60, env={**os.environ, **env}
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            stats = json.loads(line[len("BENCH_JSON "):])
            failed = (stats["status_errors"] + stats["connect_errors"] + stats["read_errors"]
                      + stats["write_errors"] + stats["timeouts"])
            stats["ok"] = stats["requests"] - stats["status_errors"]
            stats["failed"] = failed
            stats["per_s"] = stats["ok"] / (stats["duration_us"] / 1e6)
            return stats
    raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")


def runs_text(runs: list[dict]) -> str:
    return ", ".join(f"{run['per_s']:.0f}" for run in runs)


def stored_configmaps(session: requests.Session, url: str) -> int:
    """Counts the namespace's ConfigMaps page by page (bounded: at most 1,000 pages)."""
    count, token = 0, ""
    for _ in range(1000):
        resp = session.get(f"{url}/api/v1/namespaces/{NAMESPACE}/configmaps",
                           params={"limit": 10000, "continue": token}, timeout=120)
        resp.raise_for_status()
        body = resp.json()
        count += len(body["items"])
        token = body["metadata"].get("continue") or ""
        if not token:
            return count
    raise RuntimeError("more than 1,000 pages of ConfigMaps")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--payload", type=int, default=256, help="ConfigMap data bytes")
    args = parser.parse_args()

    ensure_tools()
    work = common.workdir("api")
    berth = common.Berth(work / "berth-data", node_mode="none")
    etcd = Etcd(work / "etcd-data")
    try:
        etcd.start()
        berth.start()
        session = berth.session()
        common.create_namespace(session, berth.url, NAMESPACE)

        # The etcd value is the ConfigMap as berth returns it (what a kube-apiserver would
        # store, give or take its own encoding), so both sides write the same bytes.
        probe = session.post(
            f"{berth.url}/api/v1/namespaces/{NAMESPACE}/configmaps",
            json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe"},
                  "data": {"payload": "x" * args.payload}},
            timeout=30,
        )
        probe.raise_for_status()
        value = json.dumps(probe.json(), separators=(",", ":")).encode()
        berth_url = f"{berth.url}/api/v1/namespaces/{NAMESPACE}/configmaps"
        etcd_url = f"{etcd.url}/v3/kv/put"
        berth_env = {"BENCH_TOKEN": berth.token}
        etcd_env = {"BENCH_VALUE_B64": base64.b64encode(value).decode()}

        def measure(target: str, clients: int, label: str, duration: int) -> dict:
            pid = berth.pid if target == "berth" else etcd.proc.pid
            cpu_before = common.cpu_seconds(pid)
            if target == "berth":
                stats = run_wrk(berth_url, clients, duration,
                                ["configmap", label, str(args.payload)], berth_env)
            else:
                stats = run_wrk(etcd_url, clients, duration, ["etcd", label], etcd_env)
            stats["cpu_ms_per_op"] = (common.cpu_seconds(pid) - cpu_before) * 1000 / max(stats["ok"], 1)
            print(f"{target:5} clients={clients:2} {label}: {stats['per_s']:8.0f}/s "
                  f"p50={stats['p50_us'] / 1000:.2f}ms p99={stats['p99_us'] / 1000:.2f}ms "
                  f"failed={stats['failed']} server-cpu/op={stats['cpu_ms_per_op']:.3f}ms", flush=True)
            return stats

        # Warm both up (connections, caches, the SQLite file) before measuring.
        measure("etcd", 16, "warmup", 2)
        berth_warmup = measure("berth", 16, "warmup", 2)
        results: dict[tuple[str, int], list[dict]] = {}
        for round_no in range(1, args.rounds + 1):
            for clients in CLIENT_COUNTS:
                for target in ("etcd", "berth"):
                    stats = measure(target, clients, f"r{round_no}c{clients}", args.duration)
                    results.setdefault((target, clients), []).append(stats)

        berth_runs = [berth_warmup] + [s for (t, _), runs in results.items() if t == "berth" for s in runs]
        acknowledged = 1 + sum(s["ok"] for s in berth_runs)  # 1: the probe
        # wrk stops with requests in flight: they may be stored without being counted.
        in_flight = 16 + sum(clients * len(runs) for (t, clients), runs in results.items() if t == "berth")
        stored = stored_configmaps(session, berth.url)
        etcd_stored = etcd.count("/registry/configmaps/bench/")

        rows = [("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")), ("machine", common.machine_summary()),
                ("berth commit", common.berth_commit()),
                ("setup", f"wrk, {args.duration}s per run, {args.rounds} alternating rounds, "
                          f"ConfigMap payload {args.payload} B, etcd value {len(value)} B")]
        for clients in CLIENT_COUNTS:
            berth_rate = common.median([s["per_s"] for s in results[("berth", clients)]])
            etcd_rate = common.median([s["per_s"] for s in results[("etcd", clients)]])
            ratio = berth_rate / etcd_rate
            rows.append((f"{clients} client(s): berth creates/s", f"{berth_rate:.0f} "
                         f"(runs: {runs_text(results[('berth', clients)])})"))
            rows.append((f"{clients} client(s): etcd puts/s", f"{etcd_rate:.0f} "
                         f"(runs: {runs_text(results[('etcd', clients)])})"))
            per_round = [b["per_s"] / e["per_s"] for b, e in
                         zip(results[("berth", clients)], results[("etcd", clients)])]
            line = f"{ratio:.2f}x (per round: {', '.join(f'{r:.2f}x' for r in per_round)})"
            if clients == 16:
                line += f"  (goal >= 1.0x: {common.goal(ratio >= 1.0)})"
            rows.append((f"{clients} client(s): ratio berth/etcd", line))
            rows.append((f"{clients} client(s): server CPU per op berth/etcd",
                         f"{common.median([s['cpu_ms_per_op'] for s in results[('berth', clients)]]):.3f} ms / "
                         f"{common.median([s['cpu_ms_per_op'] for s in results[('etcd', clients)]]):.3f} ms"))
        one = results[("berth", 1)]
        p50 = common.median([s["p50_us"] for s in one]) / 1000
        p99 = max(s["p99_us"] for s in one) / 1000
        etcd_one = results[("etcd", 1)]
        rows.append(("1 client: berth create p50 / p99", f"{p50:.2f} ms / {p99:.2f} ms  "
                     f"(goal p99 <= 10 ms: {common.goal(p99 <= 10)})"))
        rows.append(("1 client: etcd put p50 / p99",
                     f"{common.median([s['p50_us'] for s in etcd_one]) / 1000:.2f} ms / "
                     f"{max(s['p99_us'] for s in etcd_one) / 1000:.2f} ms"))
        p99_16 = max(s["p99_us"] for s in results[("berth", 16)]) / 1000
        rows.append(("16 clients: berth create p99 / etcd put p99",
                     f"{p99_16:.2f} ms / {max(s['p99_us'] for s in results[('etcd', 16)]) / 1000:.2f} ms"))
        failed = sum(s["failed"] for runs in results.values() for s in runs)
        rows.append(("failed requests (all runs)", str(failed)))
        lost = acknowledged - stored
        rows.append(("berth: acknowledged creates / ConfigMaps stored",
                     f"{acknowledged} / {stored} ({'none lost' if lost <= 0 else f'{lost} LOST'}; "
                     f"stored may exceed by the {in_flight} requests in flight when wrk stops)"))
        rows.append(("etcd keys stored", str(etcd_stored)))
        rows.append(("berth RSS after the run", f"{common.rss_mb(berth.pid):.0f} MiB"))
        common.print_block("API throughput: ConfigMap creates vs etcd puts", rows)
    finally:
        berth.stop()
        etcd.stop()
        common.remove_tree(work)


if __name__ == "__main__":
    main()
