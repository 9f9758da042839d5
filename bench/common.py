"""Shared pieces of the benchmark scripts: the release binary, a `berth server` process on a
loopback port, an HTTPS session with the admin token, /proc readings, percentiles, a watch
recorder and a result block printer.

Nothing here talks to anything but 127.0.0.1. Every loop is bounded by a count and a
deadline.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import urllib3
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
KUBECTL = VENV_BIN / "kubectl"
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# A SIGTERM (e.g. from `timeout`) unwinds like an exception, so every script's `finally`
# stops the servers it started; they run in their own sessions and would outlive it.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

# The admin session verifies the server's CA; only the /readyz probe before the CA exists
# goes unverified, so silence the one warning it causes.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def target_dir() -> Path:
    """The cargo target directory, honouring CARGO_TARGET_DIR and cargo configuration."""
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(json.loads(meta.stdout)["target_directory"])


def release_binary() -> Path:
    """`$BERTH_BIN`, else <target>/release/berth, which run_all.sh builds."""
    explicit = os.environ.get("BERTH_BIN")
    path = Path(explicit) if explicit else target_dir() / "release" / "berth"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `cargo build --release -p berth` first")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workdir(prefix: str) -> Path:
    """A fresh directory under $BENCH_TMP (default: the system temp dir, same disk as the
    repository on the benchmark machine)."""
    base = os.environ.get("BENCH_TMP")
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"berth-bench-{prefix}-", dir=base))


def machine_summary() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return f"{platform.node()}: {os.cpu_count()} cpus ({cpu}), {mem_kb // 1024} MiB RAM, Linux {platform.release()}"


def berth_commit() -> str:
    """HEAD of the repository and when the binary was built (the binary is what ran; the
    working tree may have moved on since)."""
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(release_binary().stat().st_mtime))
    return f"HEAD {result.stdout.strip() or 'unknown'}, binary built {built}"


# --- /proc ---------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size (VmRSS) of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads) in seconds."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name is in parentheses and may contain spaces; fields follow the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS


# --- statistics ----------------------------------------------------------------------------


def percentile(values, pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of nothing")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def median(values) -> float:
    return statistics.median(values)


def print_block(title: str, rows: list[tuple[str, str]]) -> None:
    """The result block every script ends with: one aligned `name: value` per line."""
    width = max(len(name) for name, _ in rows)
    print(f"\n===== {title} =====")
    for name, value in rows:
        print(f"{name.ljust(width)} : {value}")
    print("=" * (len(title) + 12), flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def goal(ok: bool) -> str:
    return "met" if ok else "MISSED"


# --- the server ----------------------------------------------------------------------------


class Berth:
    """One `berth server` on a free loopback port with its own data directory."""

    def __init__(self, data_dir: Path, node_mode: str = "none", simulated_nodes: int = 1,
                 env: dict | None = None):
        self.binary = release_binary()
        self.data_dir = data_dir
        self.node_mode = node_mode
        self.simulated_nodes = simulated_nodes
        self.port = free_port()
        self.console_port = free_port()
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.env = {**os.environ, "BERTH_LOG": "info", "NO_COLOR": "1", **(env or {})}
        self.env.pop("KUBECONFIG", None)
        self.proc: subprocess.Popen | None = None
        self.token = ""
        self.ca_path = data_dir.parent / f"{data_dir.name}-ca.crt"
        self._log = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        cmd = [
            str(self.binary), "server",
            "--data-dir", str(self.data_dir),
            "--listen", f"127.0.0.1:{self.port}",
            "--console-listen", f"127.0.0.1:{self.console_port}",
            "--node-mode", self.node_mode,
        ]
        if self.node_mode == "simulated":
            cmd += ["--simulated-nodes", str(self.simulated_nodes)]
        return cmd

    def spawn(self) -> float:
        """Starts the process and returns the monotonic time just before the spawn."""
        assert self.proc is None
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n=== start: {' '.join(self.command())}\n".encode())
        self._log.flush()
        started = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, env=self.env,
            start_new_session=True,
        )
        return started

    def wait_ready(self, poll_s: float = 0.005) -> float:
        """Polls /readyz (unauthenticated, so before the CA is known) until it answers 200;
        returns the monotonic time of that answer. Each probe is a new connection, as a
        fresh client's would be."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"berth exited with {self.proc.returncode}; log {self.log_path}")
            try:
                resp = requests.get(f"{self.url}/readyz", verify=False, timeout=1)
                if resp.status_code == 200:
                    ready_at = time.monotonic()
                    self._load_kubeconfig()
                    return ready_at
                last = f"{resp.status_code}"
            except requests.RequestException as err:
                last = type(err).__name__
            time.sleep(poll_s)
        raise RuntimeError(f"berth not ready within {READY_TIMEOUT_S}s ({last}); log {self.log_path}")

    def start(self) -> "Berth":
        self.spawn()
        self.wait_ready(poll_s=0.05)
        return self

    def _load_kubeconfig(self) -> None:
        config = yaml.safe_load(self.kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        self.ca_path.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
        self.token = config["users"][0]["user"]["token"]

    def stop(self) -> float:
        """SIGTERM, then wait; returns the seconds the server took to exit."""
        if self.proc is None:
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        elapsed = time.monotonic() - started
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return elapsed

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_path)
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def kubectl(self, *args, timeout: float = 300, input: str | None = None):
        env = {**os.environ, "KUBECACHEDIR": str(self.data_dir.parent / "kube-cache")}
        env.pop("KUBECONFIG", None)
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), *map(str, args)],
            capture_output=True, text=True, timeout=timeout, env=env, input=input,
        )


def create_namespace(session: requests.Session, url: str, name: str) -> None:
    resp = session.post(
        f"{url}/api/v1/namespaces",
        json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        timeout=30,
    )
    if resp.status_code not in (201, 409):
        raise RuntimeError(f"creating namespace {name}: {resp.status_code} {resp.text[:300]}")


def remove_tree(path: Path) -> None:
    if os.environ.get("BENCH_KEEP") != "1":
        shutil.rmtree(path, ignore_errors=True)


# --- watches -------------------------------------------------------------------------------


class WatchRecorder:
    """Streams a watch in a thread and calls `on_event(type, object, arrival)` for each event
    with its client-side arrival time (time.monotonic). Stops at `close()` or when the
    server ends the stream (timeoutSeconds bounds it)."""

    def __init__(self, session: requests.Session, url: str, on_event, timeout_s: int = 900):
        self.session = session
        self.url = url
        self.on_event = on_event
        self.timeout_s = timeout_s
        self.error: Exception | None = None
        self._resp = None
        self._closed = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "WatchRecorder":
        self._thread.start()
        if not self._started.wait(30):
            raise RuntimeError(f"watch {self.url} did not start")
        if self.error:
            raise self.error
        return self

    def _run(self) -> None:
        try:
            sep = "&" if "?" in self.url else "?"
            self._resp = self.session.get(
                f"{self.url}{sep}watch=1&allowWatchBookmarks=false&timeoutSeconds={self.timeout_s}",
                stream=True, timeout=(10, self.timeout_s + 30),
            )
            if self._resp.status_code != 200:
                raise RuntimeError(f"watch answered {self._resp.status_code}: {self._resp.text[:300]}")
            self._started.set()
            for line in self._resp.iter_lines(chunk_size=None):
                arrival = time.monotonic()
                if self._closed.is_set():
                    break
                if not line:
                    continue
                event = json.loads(line)
                self.on_event(event["type"], event["object"], arrival)
        except Exception as err:  # noqa: BLE001 - reported by the caller
            if not self._closed.is_set():
                self.error = err
        finally:
            self._started.set()

    def close(self) -> None:
        """Ends the stream. Closing a response that another thread is reading blocks, so
        the socket is shut down underneath it instead; the reader then sees EOF."""
        self._closed.set()
        try:
            sock = self._resp.raw._fp.fp.raw._sock  # http.client's socket under urllib3
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass
        self._thread.join(timeout=5)
        if self._thread.is_alive():
            raise RuntimeError(f"watch {self.url} did not stop")


def pod_ready(pod: dict) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def wait_for(predicate, timeout_s: float, what: str, interval_s: float = 0.01):
    """Polls `predicate` until it is truthy; raises after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
