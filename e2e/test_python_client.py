"""The official Python client against berth: list and watch with resourceVersion, bookmarks,
pagination, 410 Gone after compaction, and WatchList (sendInitialEvents) over raw HTTP."""

import json
import threading
import time

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from util import ROOT_CA_CONFIGMAP, create_ns, unique_name


# Compaction every 200 ms keeping 5 revisions, so old resourceVersions expire within a
# second. Only the 410 tests use such servers: the others watch from recent versions.
COMPACTING = {"BERTH_COMPACT_INTERVAL_MS": "200", "BERTH_COMPACT_KEEP": "5"}


def compacting_server(fresh_servers):
    server = fresh_servers.start(extra_args=["--node-mode", "none"], env=COMPACTING)
    create_ns(server, "churn")
    return server, "churn"


def core(server) -> client.CoreV1Api:
    return client.CoreV1Api(server.api_client)


def cm(name, **data):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data=data or {"k": "v"})


def test_create_get_list_with_python_client(server, namespace):
    api = core(server)
    created = api.create_namespaced_config_map(namespace, cm("py", a="1"))
    assert created.metadata.uid and created.metadata.resource_version
    got = api.read_namespaced_config_map("py", namespace)
    assert got.data == {"a": "1"}
    assert got.metadata.resource_version == created.metadata.resource_version
    listed = api.list_namespaced_config_map(namespace)
    assert "py" in [item.metadata.name for item in listed.items]
    assert int(listed.metadata.resource_version) >= int(created.metadata.resource_version)


def test_watch_from_list_resource_version_sees_only_later_changes(server, namespace):
    api = core(server)
    api.create_namespaced_config_map(namespace, cm("old"))
    listed = api.list_namespaced_config_map(namespace)
    api.create_namespaced_config_map(namespace, cm("new"))
    api.patch_namespaced_config_map("new", namespace, {"data": {"k": "v2"}})
    api.delete_namespaced_config_map("new", namespace)

    events = []
    w = watch.Watch()
    for event in w.stream(api.list_namespaced_config_map, namespace,
                          resource_version=listed.metadata.resource_version, timeout_seconds=5):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 3:
            w.stop()
    assert events == [("ADDED", "new"), ("MODIFIED", "new"), ("DELETED", "new")]


def test_watch_resource_versions_increase(server, namespace):
    api = core(server)
    start = api.list_namespaced_config_map(namespace).metadata.resource_version
    for i in range(5):
        api.create_namespaced_config_map(namespace, cm(f"seq-{i}"))
    versions = []
    w = watch.Watch()
    for event in w.stream(api.list_namespaced_config_map, namespace, resource_version=start,
                          timeout_seconds=5):
        versions.append(int(event["object"].metadata.resource_version))
        if len(versions) == 5:
            w.stop()
    assert versions == sorted(versions) and len(set(versions)) == 5


def test_watch_delivers_bookmarks_when_allowed(server, namespace):
    api = core(server)
    api.create_namespaced_config_map(namespace, cm("bm"))
    rv = api.list_namespaced_config_map(namespace).metadata.resource_version
    bookmark = None
    w = watch.Watch()
    # The module's server sends bookmarks every second (BERTH_BOOKMARK_INTERVAL_MS).
    for event in w.stream(api.list_namespaced_config_map, namespace, resource_version=rv,
                          allow_watch_bookmarks=True, timeout_seconds=10):
        if event["type"] == "BOOKMARK":
            bookmark = event["raw_object"]
            w.stop()
    assert bookmark is not None, "no BOOKMARK within 10 s"
    assert bookmark["kind"] == "ConfigMap"
    assert int(bookmark["metadata"]["resourceVersion"]) >= int(rv)


def test_pagination_with_limit_and_continue(server, namespace):
    api = core(server)
    created = [f"page-{i:02d}" for i in range(7)]
    for name in created:
        api.create_namespaced_config_map(namespace, cm(name))
    # The namespace also holds the root CA ConfigMap the controllers publish.
    names = sorted(created + [ROOT_CA_CONFIGMAP])
    first = api.list_namespaced_config_map(namespace, limit=3)
    assert [i.metadata.name for i in first.items] == names[:3]
    assert first.metadata._continue
    assert first.metadata.remaining_item_count == 5
    # An object created after the first page does not show up in later pages: the whole
    # list is served at the first page's resourceVersion.
    api.create_namespaced_config_map(namespace, cm("page-99"))
    seen = [i.metadata.name for i in first.items]
    token = first.metadata._continue
    remaining = []
    while token:
        page = api.list_namespaced_config_map(namespace, limit=3, _continue=token)
        assert len(page.items) <= 3
        assert page.metadata.resource_version == first.metadata.resource_version
        seen += [i.metadata.name for i in page.items]
        token = page.metadata._continue
        remaining.append(page.metadata.remaining_item_count)
    assert seen == names
    # What is left is counted at the list's resourceVersion; the last page has no count.
    assert remaining == [2, None]


def test_list_with_label_selector_and_limit(server, namespace):
    api = core(server)
    for i in range(6):
        body = cm(f"sel-{i}")
        body.metadata.labels = {"even": str(i % 2 == 0).lower()}
        api.create_namespaced_config_map(namespace, body)
    collected = []
    token = None
    while True:
        page = api.list_namespaced_config_map(namespace, label_selector="even=true", limit=2,
                                              _continue=token)
        collected += [i.metadata.name for i in page.items]
        # Upstream does not count what remains when a selector filters the list.
        assert page.metadata.remaining_item_count is None
        token = page.metadata._continue
        if not token:
            break
    assert collected == ["sel-0", "sel-2", "sel-4"]


def test_watch_from_compacted_resource_version_is_gone(fresh_servers):
    server, namespace = compacting_server(fresh_servers)
    api = core(server)
    api.create_namespaced_config_map(namespace, cm("churn"))
    for i in range(30):
        api.patch_namespaced_config_map("churn", namespace, {"data": {"k": str(i)}})
    time.sleep(1.0)  # several compaction passes at 200 ms
    with pytest.raises(ApiException) as raised:
        for _ in watch.Watch().stream(api.list_namespaced_config_map, namespace,
                                      resource_version="1", timeout_seconds=5):
            pass
    # Upstream answers 200 and then an ERROR event (the client raises with its reason);
    # a 410 response at request time carries the same Status in its body.
    assert raised.value.status == 410
    assert "too old resource version: 1 (" in f"{raised.value.reason} {raised.value.body}"


def test_raw_watch_from_compacted_version_sends_expired_status(fresh_servers):
    server, namespace = compacting_server(fresh_servers)
    api = core(server)
    api.create_namespaced_config_map(namespace, cm("churn2"))
    for i in range(30):
        api.patch_namespaced_config_map("churn2", namespace, {"data": {"k": str(i)}})
    time.sleep(1.0)
    session = server.session()
    resp = session.get(
        server.url(f"/api/v1/namespaces/{namespace}/configmaps"),
        params={"watch": "true", "resourceVersion": "1", "timeoutSeconds": "5"},
        stream=True, timeout=10,
    )
    if resp.status_code == 410:
        body = resp.json()
    else:
        assert resp.status_code == 200
        event = json.loads(next(resp.iter_lines()))
        assert event["type"] == "ERROR"
        body = event["object"]
    resp.close()
    assert body["kind"] == "Status"
    assert body["code"] == 410
    assert body["reason"] == "Expired"
    assert body["message"].startswith("too old resource version: 1 (")


def test_watch_list_sends_initial_events_then_bookmark(server, namespace):
    api = core(server)
    for name in ["wl-a", "wl-b", "wl-c"]:
        api.create_namespaced_config_map(namespace, cm(name))
    session = server.session()
    resp = session.get(
        server.url(f"/api/v1/namespaces/{namespace}/configmaps"),
        params={
            "watch": "true",
            "sendInitialEvents": "true",
            "resourceVersionMatch": "NotOlderThan",
            "allowWatchBookmarks": "true",
            "timeoutSeconds": "10",
        },
        stream=True, timeout=15,
    )
    assert resp.status_code == 200, resp.text
    lines = resp.iter_lines()
    added = []
    bookmark = None
    for line in lines:
        event = json.loads(line)
        if event["type"] == "ADDED":
            added.append(event["object"]["metadata"]["name"])
        elif event["type"] == "BOOKMARK":
            bookmark = event["object"]
            break
        else:
            pytest.fail(f"unexpected event before the initial-events bookmark: {event}")
    assert sorted(added) == [ROOT_CA_CONFIGMAP, "wl-a", "wl-b", "wl-c"]
    assert bookmark is not None
    assert bookmark["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true"
    assert int(bookmark["metadata"]["resourceVersion"]) > 0

    # After the initial events, live changes follow on the same stream.
    threading.Timer(0.2, lambda: api.create_namespaced_config_map(namespace, cm("wl-d"))).start()
    for line in lines:
        event = json.loads(line)
        if event["type"] == "ADDED":
            assert event["object"]["metadata"]["name"] == "wl-d"
            break
    else:
        pytest.fail("no live event after the initial events")
    resp.close()


def test_watch_with_field_selector_on_one_object(server, namespace):
    api = core(server)
    api.create_namespaced_config_map(namespace, cm("target"))
    api.create_namespaced_config_map(namespace, cm("other"))
    events = []
    w = watch.Watch()
    threading.Timer(0.3, lambda: (
        api.patch_namespaced_config_map("other", namespace, {"data": {"k": "x"}}),
        api.patch_namespaced_config_map("target", namespace, {"data": {"k": "y"}}),
    )).start()
    for event in w.stream(api.list_namespaced_config_map, namespace,
                          field_selector="metadata.name=target", timeout_seconds=5):
        events.append((event["type"], event["object"].metadata.name,
                       (event["object"].data or {}).get("k")))
        if event["type"] == "MODIFIED":
            w.stop()
    # Without a resourceVersion the watch starts with the current state.
    assert events == [("ADDED", "target", "v"), ("MODIFIED", "target", "y")]


def test_api_exceptions_carry_status(server, namespace):
    api = core(server)
    with pytest.raises(ApiException) as raised:
        api.read_namespaced_config_map("missing", namespace)
    assert raised.value.status == 404
    body = json.loads(raised.value.body)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'configmaps "missing" not found'
    assert body["details"] == {"name": "missing", "kind": "configmaps"}

    name = unique_name("dup")
    api.create_namespaced_config_map(namespace, cm(name))
    with pytest.raises(ApiException) as raised:
        api.create_namespaced_config_map(namespace, cm(name))
    assert raised.value.status == 409
    body = json.loads(raised.value.body)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == f'configmaps "{name}" already exists'
    assert body["details"] == {"name": name, "kind": "configmaps"}
