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


# What the controllers put in every namespace (serviceaccounts-controller and
# root-ca-cert-publisher).
NAMESPACE_DEFAULTS = ["serviceaccount/default", "configmap/kube-root-ca.crt"]
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"


def create_ns(server, name: str):
    """Creates a namespace and, like upstream's e2e framework, waits until the controllers
    have provisioned its default ServiceAccount and root CA ConfigMap, so tests that list
    what a namespace holds see them every time."""
    created = server.kubectl("create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    ))
    wait_until(lambda: server.kubectl("get", *NAMESPACE_DEFAULTS, "-n", name, "-o", "name",
                                      check=False).returncode == 0,
               what=f"the default ServiceAccount and root CA ConfigMap in {name}")
    return created


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


# --- StatefulSets on simulated nodes -----------------------------------------------------

SIMULATED_NODE_ARGS = ["--node-mode", "simulated", "--simulated-nodes", "3"]
WEBSERVER_IMAGE = "registry.k8s.io/e2e-test-images/httpd:2.4.38-4"
NEW_WEBSERVER_IMAGE = "registry.k8s.io/e2e-test-images/httpd:2.4.39-4"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


def sim_statefulset(name: str, replicas: int = 1, labels: dict | None = None,
                    claims: tuple[str, ...] = (), service: str = "test", **spec) -> dict:
    """A StatefulSet shaped like upstream's e2e helper: container `webserver`, selector =
    template labels, one 1Gi RWO claim per name in `claims` mounted into the container.
    Pods get terminationGracePeriodSeconds 0 so deletions finish at once on simulated
    nodes; `spec` entries override or extend the spec."""
    labels = labels or {"foo": "bar", "baz": "blah"}
    container = {"name": "webserver", "image": WEBSERVER_IMAGE,
                 "volumeMounts": [{"name": c, "mountPath": f"/{c}"} for c in claims]}
    body = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": service,
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"terminationGracePeriodSeconds": 0, "containers": [container]},
            },
            "volumeClaimTemplates": [
                {"metadata": {"name": c},
                 "spec": {"accessModes": ["ReadWriteOnce"],
                          "resources": {"requests": {"storage": "1Gi"}}}}
                for c in claims
            ],
        },
    }
    body["spec"].update(spec)
    return body


def selector_of(labels: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def pod_ordinal(pod) -> int:
    return int(pod.metadata.name.rsplit("-", 1)[1])


def pod_is_ready(pod) -> bool:
    return pod.status.phase == "Running" and any(
        c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or [])
    )


def set_pod_ready(server, namespace: str, pod: str, ready: bool):
    """Flips the pod's Ready condition through pods/status, as a failing or recovering
    readiness probe would; simulated nodes leave the condition as the client set it."""
    status = "True" if ready else "False"
    patch = {"status": {"conditions": [{"type": "Ready", "status": status}]}}
    return server.kubectl("patch", "pod", pod, "-n", namespace, "--subresource=status",
                          "--type=strategic", "-p", json.dumps(patch))


def wait_for_sts(server, namespace: str, name: str, predicate, timeout: float = 20.0,
                 what: str = ""):
    """Polls the StatefulSet (Python client object) until predicate(set) holds."""
    from kubernetes import client as k8s_client

    apps = k8s_client.AppsV1Api(server.api_client)
    last = {}

    def check():
        sts = apps.read_namespaced_stateful_set(name, namespace)
        last["status"] = sts.status
        return sts if predicate(sts) else None

    try:
        return wait_until(check, timeout=timeout, what=what or f"statefulset {name}")
    except AssertionError as err:
        raise AssertionError(f"{err}; status={last.get('status')}") from None


def sts_pods(server, namespace: str, labels: dict) -> list:
    """The pods matching labels, sorted by ordinal (Python client objects)."""
    from kubernetes import client as k8s_client

    core = k8s_client.CoreV1Api(server.api_client)
    pods = core.list_namespaced_pod(namespace, label_selector=selector_of(labels)).items
    return sorted(pods, key=pod_ordinal)


def wait_running_ready(server, namespace: str, name: str, replicas: int,
                       labels: dict | None = None, timeout: float = 20.0) -> list:
    """Waits until exactly `replicas` pods of the set run Ready and its status agrees."""
    labels = labels or {"foo": "bar", "baz": "blah"}

    def check():
        pods = [p for p in sts_pods(server, namespace, labels)
                if p.metadata.deletion_timestamp is None]
        if len(pods) != replicas or not all(pod_is_ready(p) for p in pods):
            return None
        return pods

    pods = wait_until(check, timeout=timeout, what=f"{replicas} running ready pods of {name}")
    wait_for_sts(server, namespace, name,
                 lambda s: (s.status.ready_replicas or 0) == replicas
                 and s.status.replicas == replicas
                 and s.status.observed_generation == s.metadata.generation,
                 timeout=timeout, what=f"status of {name} with {replicas} ready replicas")
    return pods


class PodWatch:
    """`kubectl get pods -w --output-watch-events` for a label selector; records
    (event, pod name) pairs in arrival order."""

    def __init__(self, server, namespace: str, labels: dict, extra=()):
        self.proc = server.kubectl_popen(
            "get", "pods", "-n", namespace, "-l", selector_of(labels), "-w",
            "--output-watch-events", "--no-headers", *extra)
        self.reader = LineReader(self.proc.stdout)

    def events(self) -> list[tuple[str, str]]:
        while not self.reader.lines.empty():
            self.reader.seen.append(self.reader.lines.get())
        return [tuple(line.split()[:2]) for line in self.reader.seen if line.strip()]

    def wait_for(self, event: str, pod: str, timeout: float = 15.0) -> str:
        return self.reader.wait_for(
            lambda line: line.split()[:2] == [event, pod], timeout=timeout)

    def order_of(self, event: str) -> list[str]:
        """Pod names in the order of their first `event` (ADDED, DELETED, …)."""
        names = []
        for kind, name in self.events():
            if kind == event and name not in names:
                names.append(name)
        return names

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)
