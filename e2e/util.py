"""Small helpers shared by the e2e tests: table parsing, polling, manifests."""

from __future__ import annotations

import json
import queue
import re
import threading
import time
import uuid

import yaml


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def table(output: str) -> tuple[list[str], list[list[str]]]:
    """Splits `kubectl get` output into headers and rows. Columns are separated by at
    least two spaces (kubectl pads with three), so headers like "ACCESS MODES" survive."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, f"no table in output: {output!r}"
    split = lambda line: re.split(r"\s{2,}", line.strip())  # noqa: E731
    return split(lines[0]), [split(line) for line in lines[1:]]


def row_by_name(rows: list[list[str]], name: str, column: int = 0) -> list[str]:
    for row in rows:
        if row[column] == name:
            return row
    raise AssertionError(f"no row named {name!r} in {rows}")


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.1, what: str = ""):
    """Polls predicate until it returns a truthy value, which is returned."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}; last={last!r}")


def status_body(resp) -> dict:
    """The metav1.Status of an error response, checked for its envelope."""
    body = resp.json()
    assert body.get("kind") == "Status", body
    assert body.get("apiVersion") == "v1", body
    assert body.get("status") == "Failure", body
    assert body.get("code") == resp.status_code, body
    return body


def configmap(name: str, data: dict | None = None, **metadata) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, **metadata},
        "data": data if data is not None else {"key": "value"},
    }


def statefulset(name: str, replicas: int = 2, image: str = "nginx:1.27") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": image,
                            "ports": [{"name": "web", "containerPort": 80}],
                        }
                    ]
                },
            },
        },
    }


def headless_service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "clusterIP": "None",
            "selector": {"app": name},
            "ports": [{"name": "web", "port": 80}],
        },
    }


def create_cm(server, namespace: str, name: str, **data: str):
    """Creates a ConfigMap with `kubectl create -f` (a JSON body). Setup steps use this
    rather than `kubectl create configmap`, whose protobuf body has tests of its own."""
    return server.kubectl("create", "-n", namespace, "-f", "-",
                          input=json.dumps(configmap(name, data)))


def create_ns(server, name: str):
    return server.kubectl("create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    ))


def dump(*objects: dict) -> str:
    return yaml.safe_dump_all(objects)


def as_json(result) -> dict:
    return json.loads(result.stdout)


class LineReader:
    """Reads a subprocess's stdout on a thread so tests can wait for lines with a timeout."""

    def __init__(self, stream):
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream):
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, predicate, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching line within {timeout}s; saw {self.seen}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(line)
            if predicate(line):
                return line
