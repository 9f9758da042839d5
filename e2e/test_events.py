"""Events expire a TTL after they were last recorded (created, or recorded again), as with
kube-apiserver's `--event-ttl` (1 h by default; 4 s here)."""

import datetime
import json
import time

from util import create_ns, unique_name, wait_until

TTL_S = 4


def stamp(micro: bool = False) -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def core_event(name: str, namespace: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": namespace},
        "reason": "Tested", "message": "recorded", "type": "Normal", "count": 1,
        "firstTimestamp": stamp(), "lastTimestamp": stamp(),
    }


def new_api_event(name: str, namespace: str) -> dict:
    return {
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "eventTime": stamp(micro=True), "reportingController": "tests",
        "reportingInstance": "tests-1", "action": "Testing", "reason": "Tested",
        "regarding": {"kind": "Pod", "name": "web-0", "namespace": namespace}, "type": "Normal",
    }


def names(server, resource: str, namespace: str) -> set[str]:
    out = server.kubectl("get", resource, "-n", namespace, "-o", "name").stdout
    return {line.split("/", 1)[1] for line in out.split()}


def test_events_expire_a_ttl_after_they_were_last_recorded(fresh_servers):
    server = fresh_servers.start(
        extra_args=["--node-mode", "none"],
        env={"BERTH_EVENT_TTL_MS": str(TTL_S * 1000), "BERTH_EVENT_EXPIRY_INTERVAL_MS": "200"},
    )
    namespace = unique_name("ev")
    create_ns(server, namespace)
    started = time.monotonic()
    server.kubectl("create", "-f", "-", input=json.dumps(core_event("first", namespace)))
    server.kubectl("create", "-f", "-", input=json.dumps(new_api_event("first-new-api", namespace)))
    # One stored Event, two APIs.
    assert names(server, "events", namespace) == {"first", "first-new-api"}
    assert names(server, "events.v1.events.k8s.io", namespace) == {"first", "first-new-api"}
    time.sleep(2)
    server.kubectl("create", "-f", "-", input=json.dumps(core_event("second", namespace)))

    # The first events go a TTL after their creation; the second, two seconds younger, stays.
    wait_until(lambda: names(server, "events", namespace) == {"second"}, timeout=TTL_S + 1,
               what="the first event to expire")
    assert time.monotonic() - started >= TTL_S - 1, "expired early"
    wait_until(lambda: "first-new-api" not in names(server, "events.v1.events.k8s.io", namespace),
               timeout=2, what="the events.k8s.io event (created just after) to expire")

    # Recorded again (a recorder bumps count and lastTimestamp): its TTL starts over, so it
    # outlives the TTL counted from its creation.
    server.kubectl("patch", "event", "second", "-n", namespace, "--type", "merge",
                   "-p", json.dumps({"count": 2, "lastTimestamp": stamp()}))
    time.sleep(max(0.0, started + 2 + TTL_S + 1 - time.monotonic()))
    assert names(server, "events", namespace) == {"second"}
    wait_until(lambda: not names(server, "events", namespace), timeout=TTL_S + 2,
               what="the re-recorded event to expire too")


def test_core_and_events_k8s_io_events_are_one_object_in_two_shapes(server):
    namespace = unique_name("ev")
    create_ns(server, namespace)
    server.kubectl("create", "-f", "-", input=json.dumps(new_api_event("via-new", namespace)))
    server.kubectl("create", "-f", "-", input=json.dumps(core_event("via-core", namespace)))

    as_core = json.loads(server.kubectl("get", "event", "via-new", "-n", namespace,
                                        "-o", "json").stdout)
    assert as_core["apiVersion"] == "v1"
    assert as_core["involvedObject"]["name"] == "web-0"
    assert as_core["reportingComponent"] == "tests"
    assert "regarding" not in as_core

    as_new = json.loads(server.kubectl("get", "events.v1.events.k8s.io", "via-core", "-n",
                                       namespace, "-o", "json").stdout)
    assert as_new["apiVersion"] == "events.k8s.io/v1"
    assert as_new["regarding"]["name"] == "web-0"
    assert as_new["note"] == "recorded"
    assert as_new["deprecatedCount"] == 1
    assert "message" not in as_new
    assert as_new["metadata"]["resourceVersion"] == json.loads(server.kubectl(
        "get", "event", "via-core", "-n", namespace, "-o", "json").stdout)["metadata"]["resourceVersion"]

    # A change through one API is the change the other sees: events.k8s.io lets an Event
    # grow its series and keeps the rest as recorded, like upstream.
    series = {"series": {"count": 2, "lastObservedTime": stamp(micro=True)}}
    server.kubectl("patch", "events.v1.events.k8s.io", "via-new", "-n", namespace,
                   "--type", "merge", "-p", json.dumps(series))
    again = json.loads(server.kubectl("get", "event", "via-new", "-n", namespace,
                                      "-o", "json").stdout)
    assert again["series"]["count"] == 2
    refused = server.kubectl("patch", "events.v1.events.k8s.io", "via-new", "-n", namespace,
                             "--type", "merge", "-p", '{"note": "rewritten"}', check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'The Event "via-new" is invalid: note: Invalid value: "rewritten": field is immutable'
    )
    server.kubectl("patch", "event", "via-core", "-n", namespace, "--type", "merge",
                   "-p", '{"message": "updated"}')
    assert json.loads(server.kubectl("get", "events.v1.events.k8s.io", "via-core", "-n", namespace,
                                     "-o", "json").stdout)["note"] == "updated"
    server.kubectl("delete", "events.v1.events.k8s.io", "via-new", "-n", namespace)
    assert names(server, "events", namespace) == {"via-core"}
