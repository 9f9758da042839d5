"""Acknowledged writes survive kill -9; restarts keep everything; SIGTERM stops cleanly."""

import json
import threading
import time

import requests

from util import ROOT_CA_CONFIGMAP, configmap, create_cm, create_ns, wait_until

WRITERS = 8


def cm_url(server, namespace, name=""):
    base = server.url(f"/api/v1/namespaces/{namespace}/configmaps")
    return f"{base}/{name}" if name else base


def create_namespace(server, name):
    resp = server.session().post(
        server.url("/api/v1/namespaces"),
        json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    # The controllers publish the root CA ConfigMap in it: let that write land before a
    # test takes a resourceVersion to watch configmaps from.
    wait_until(lambda: server.session().get(cm_url(server, name, ROOT_CA_CONFIGMAP),
                                            timeout=10).status_code == 200,
               what=f"the root CA ConfigMap in {name}")


def test_acknowledged_creates_survive_kill_9(fresh_servers):
    server = fresh_servers.start(extra_args=["--node-mode", "none"])
    create_namespace(server, "durable")
    acknowledged: dict[str, str] = {}  # name -> resourceVersion from the 201 response
    lock = threading.Lock()
    stop = threading.Event()

    def writer(index):
        session = server.session()
        seq = 0
        while not stop.is_set():
            name = f"w{index}-{seq}"
            seq += 1
            try:
                resp = session.post(
                    cm_url(server, "durable"),
                    json=configmap(name, {"writer": str(index), "seq": str(seq)}),
                    timeout=10,
                )
            except requests.RequestException:
                return  # the server is gone; unacknowledged writes may or may not exist
            if resp.status_code == 201:
                with lock:
                    acknowledged[name] = resp.json()["metadata"]["resourceVersion"]
            elif not stop.is_set():
                raise AssertionError(f"create {name}: {resp.status_code} {resp.text}")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    # Let the writers get going, then kill the server while requests are in flight.
    deadline = time.monotonic() + 20
    while len(acknowledged) < 1000 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    with lock:
        acked = dict(acknowledged)
    assert len(acked) >= 50, f"only {len(acked)} creates acknowledged before the kill"

    server.start()
    session = server.session()
    listed = session.get(cm_url(server, "durable"), timeout=30).json()
    stored = {item["metadata"]["name"]: item for item in listed["items"]}
    missing = sorted(set(acked) - set(stored))
    assert not missing, f"{len(missing)} acknowledged creates lost, e.g. {missing[:5]}"
    for name, rv in acked.items():
        assert stored[name]["metadata"]["resourceVersion"] == rv, name

    highest = max(int(rv) for rv in acked.values())
    after = session.post(cm_url(server, "durable"), json=configmap("after-restart"), timeout=10)
    assert after.status_code == 201, after.text
    assert int(after.json()["metadata"]["resourceVersion"]) > highest
    assert int(listed["metadata"]["resourceVersion"]) >= highest


def test_restart_keeps_objects_and_kubeconfig(fresh_servers):
    server = fresh_servers.start(extra_args=["--node-mode", "none"])
    create_ns(server, "keep")
    create_cm(server, "keep", "kept", a="1")
    before = json.loads(server.kubectl("get", "cm", "kept", "-n", "keep", "-o", "json").stdout)
    token, ca = server.token, server.ca_path.read_bytes()

    elapsed = server.stop()
    assert elapsed < 10
    server.start()

    assert server.token == token, "restart changed the admin token"
    assert server.ca_path.read_bytes() == ca, "restart changed the CA"
    after = json.loads(server.kubectl("get", "cm", "kept", "-n", "keep", "-o", "json").stdout)
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["data"] == {"a": "1"}
    server.kubectl("patch", "cm", "kept", "-n", "keep", "--type=merge", "-p", '{"data":{"a":"2"}}')
    patched = json.loads(server.kubectl("get", "cm", "kept", "-n", "keep", "-o", "json").stdout)
    assert int(patched["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])


def test_watch_resumes_across_restart(fresh_servers):
    server = fresh_servers.start(extra_args=["--node-mode", "none"])
    create_namespace(server, "resume")
    session = server.session()
    rv = session.get(cm_url(server, "resume"), timeout=10).json()["metadata"]["resourceVersion"]
    for name in ["r1", "r2"]:
        assert session.post(cm_url(server, "resume"), json=configmap(name), timeout=10).status_code == 201
    server.restart()

    resp = server.session().get(
        cm_url(server, "resume"),
        params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "3"},
        stream=True, timeout=10,
    )
    assert resp.status_code == 200, resp.text
    names = []
    for line in resp.iter_lines():
        event = json.loads(line)
        assert event["type"] == "ADDED", event
        names.append(event["object"]["metadata"]["name"])
        if len(names) == 2:
            break
    resp.close()
    assert names == ["r1", "r2"]


def test_sigterm_stops_within_10_seconds_with_open_watches(fresh_servers):
    server = fresh_servers.start(extra_args=["--node-mode", "none"])
    watch = server.session().get(
        server.url("/api/v1/configmaps"), params={"watch": "true"}, stream=True, timeout=30
    )
    assert watch.status_code == 200
    elapsed = server.stop()
    watch.close()
    assert elapsed < 10
