"""Request rules a client relies on beyond plain CRUD: which collection verbs exist where,
preconditions, immortal namespaces, request options and their 4xx/5xx answers."""

import json
import time

import pytest

from util import configmap, dump, status_body, statefulset, unique_name


def cm_url(server, namespace, name=""):
    base = server.url(f"/api/v1/namespaces/{namespace}/configmaps")
    return f"{base}/{name}" if name else base


def test_collection_delete_across_namespaces_is_405_and_deletes_nothing(server, namespace):
    session = server.session()
    name = unique_name("keep")
    assert session.post(cm_url(server, namespace), json=configmap(name), timeout=10).status_code == 201
    for path in ["/api/v1/configmaps", "/apis/apps/v1/statefulsets", "/api/v1/pods?dryRun=All"]:
        resp = session.delete(server.url(path), timeout=10)
        assert resp.status_code == 405, resp.text
        status = status_body(resp)
        assert status["reason"] == "MethodNotAllowed"
        assert status["message"] == "the server does not allow this method on the requested resource"
    assert session.get(cm_url(server, namespace, name), timeout=10).status_code == 200


def test_system_namespaces_may_not_be_deleted(server):
    for ns in ["default", "kube-system", "kube-public"]:
        result = server.kubectl("delete", "namespace", ns, check=False)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f'Error from server (Forbidden): namespaces "{ns}" is forbidden: '
            "this namespace may not be deleted"
        )
        got = json.loads(server.kubectl("get", "namespace", ns, "-o", "json").stdout)
        assert "deletionTimestamp" not in got["metadata"]
        assert got["status"]["phase"] == "Active"


def test_server_dry_run_create_of_an_existing_object_is_409(server, namespace):
    server.kubectl("create", "configmap", "dry", "-n", namespace, "--from-literal=a=b")
    result = server.kubectl("create", "configmap", "dry", "-n", namespace, "--from-literal=a=c",
                            "--dry-run=server", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'error: failed to create configmap: configmaps "dry" already exists'
    )


def test_uid_in_an_update_is_a_precondition_and_immutable_in_a_patch(server, namespace):
    session = server.session()
    name = unique_name("uid")
    created = session.post(cm_url(server, namespace), json=configmap(name, {"a": "1"}), timeout=10)
    uid = created.json()["metadata"]["uid"]
    body = created.json()
    body["metadata"]["uid"] = "0a1b2c3d-0000-0000-0000-000000000000"
    body["data"] = {"a": "2"}
    resp = session.put(cm_url(server, namespace, name), json=body, timeout=10)
    assert resp.status_code == 409, resp.text
    assert status_body(resp)["message"] == (
        f'Operation cannot be fulfilled on configmaps "{name}": Precondition failed: '
        f"UID in precondition: 0a1b2c3d-0000-0000-0000-000000000000, UID in object meta: {uid}"
    )
    resp = session.patch(cm_url(server, namespace, name), data=json.dumps({"metadata": {"uid": "abc"}}),
                         headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    assert resp.status_code == 422, resp.text
    assert status_body(resp)["message"] == (
        f'ConfigMap "{name}" is invalid: metadata.uid: Invalid value: "abc": field is immutable'
    )
    got = session.get(cm_url(server, namespace, name), timeout=10).json()
    assert got["metadata"]["uid"] == uid and got["data"] == {"a": "1"}


def test_json_patch_with_a_stale_resource_version_is_409(server, namespace):
    session = server.session()
    name = unique_name("jp")
    session.post(cm_url(server, namespace), json=configmap(name, {"a": "1"}), timeout=10)
    session.patch(cm_url(server, namespace, name), data=json.dumps({"data": {"a": "2"}}),
                  headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    ops = [{"op": "replace", "path": "/metadata/resourceVersion", "value": "1"},
           {"op": "replace", "path": "/data/a", "value": "9"}]
    resp = session.patch(cm_url(server, namespace, name), data=json.dumps(ops),
                         headers={"Content-Type": "application/json-patch+json"}, timeout=10)
    assert resp.status_code == 409, resp.text
    assert status_body(resp)["reason"] == "Conflict"
    assert session.get(cm_url(server, namespace, name), timeout=10).json()["data"] == {"a": "2"}


def test_foreground_delete_answers_200_with_the_object(server, namespace):
    session = server.session()
    url = server.url(f"/apis/apps/v1/namespaces/{namespace}/statefulsets")
    assert session.post(url, json=statefulset("fg", replicas=0), timeout=10).status_code == 201
    resp = session.delete(f"{url}/fg", params={"propagationPolicy": "Foreground"}, timeout=10)
    assert resp.status_code == 200, resp.text
    # The owner stays, marked, until the garbage collector has removed its dependents.
    assert resp.json()["metadata"]["finalizers"] == ["foregroundDeletion"]
    # Marking it for deletion bumps its generation once, as upstream's store does.
    assert resp.json()["metadata"]["generation"] == 2


def test_create_in_a_terminating_namespace_is_403_with_its_cause(server):
    ns = unique_name("dying")
    server.kubectl("create", "namespace", ns)
    server.kubectl("create", "-n", ns, "-f", "-",
                   input=dump(configmap("held", finalizers=["example.com/hold"])))
    server.kubectl("delete", "namespace", ns, "--wait=false")
    try:
        session = server.session()
        resp = session.post(cm_url(server, ns), json=configmap("new"), timeout=10)
        assert resp.status_code == 403, resp.text
        status = status_body(resp)
        assert status["message"] == (
            f'configmaps "new" is forbidden: unable to create new content in namespace {ns} '
            "because it is being terminated"
        )
        assert status["details"] == {
            "name": "new", "kind": "configmaps",
            "causes": [{"reason": "NamespaceTerminating",
                        "message": f"namespace {ns} is being terminated",
                        "field": "metadata.namespace"}],
        }
    finally:
        server.kubectl("patch", "cm", "held", "-n", ns, "--type=merge",
                       "-p", '{"metadata":{"finalizers":null}}')


def test_generate_name_keeps_at_most_58_characters_of_prefix(server, namespace):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x" * 250}}
    resp = server.session().post(cm_url(server, namespace), json=body, timeout=10)
    assert resp.status_code == 201, resp.text
    name = resp.json()["metadata"]["name"]
    assert len(name) == 63 and name.startswith("x" * 58)


def test_list_options_are_validated_like_upstream(server, namespace):
    session = server.session()
    url = cm_url(server, namespace)

    def status_of(params, code):
        resp = session.get(url, params=params, timeout=10)
        assert resp.status_code == code, resp.text
        return status_body(resp)

    assert status_of({"resourceVersionMatch": "Exact"}, 422)["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden unless resourceVersion is provided"
    )
    assert status_of({"sendInitialEvents": "true"}, 422)["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: '
        "sendInitialEvents is forbidden for list"
    )
    watch = status_of({"watch": "1", "resourceVersion": "0",
                       "resourceVersionMatch": "NotOlderThan"}, 422)
    assert watch["details"]["causes"] == [{
        "reason": "FieldValueForbidden", "field": "resourceVersionMatch",
        "message": "Forbidden: resourceVersionMatch is forbidden for watch unless "
                   "sendInitialEvents is provided"}]
    assert status_of({"resourceVersion": "abc"}, 400)["message"] == (
        'invalid resource version: resourceVersion: Invalid value: "abc": '
        'strconv.ParseUint: parsing "abc": invalid syntax'
    )
    for i in range(3):
        session.post(url, json=configmap(f"opt-{i}"), timeout=10)
    token = session.get(url, params={"limit": 1}, timeout=10).json()["metadata"]["continue"]
    assert status_of({"continue": token, "resourceVersion": "5"}, 400)["message"] == (
        "specifying resource version is not allowed when using continue"
    )


def test_a_resource_version_from_the_future_times_out_with_504(server, namespace):
    session = server.session()
    current = int(session.get(cm_url(server, namespace), timeout=10).json()["metadata"]["resourceVersion"])
    started = time.monotonic()
    resp = session.get(cm_url(server, namespace), params={"resourceVersion": current + 1000}, timeout=20)
    waited = time.monotonic() - started
    assert resp.status_code == 504, resp.text
    status = status_body(resp)
    assert status["reason"] == "Timeout"
    assert status["message"].startswith(f"Timeout: Too large resource version: {current + 1000}, current: ")
    assert status["details"]["causes"] == [
        {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}]
    assert waited >= 2.5
    # A version the store already has is served at once.
    assert session.get(cm_url(server, namespace), params={"resourceVersion": current},
                       timeout=10).status_code == 200


def test_patch_options_are_validated_like_upstream(server, namespace):
    session = server.session()
    name = unique_name("po")
    session.post(cm_url(server, namespace), json=configmap(name), timeout=10)
    resp = session.patch(cm_url(server, namespace, name), data=dump(configmap(name)),
                         headers={"Content-Type": "application/apply-patch+yaml"}, timeout=10)
    assert resp.status_code == 422, resp.text
    assert status_body(resp)["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
        "is required for apply patch"
    )
    resp = session.patch(cm_url(server, namespace, name), params={"force": "true"},
                         data=json.dumps({"data": {"a": "b"}}),
                         headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    assert resp.status_code == 422, resp.text
    assert status_body(resp)["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: '
        "may not be specified for non-apply patch"
    )
    resp = session.post(cm_url(server, namespace), params={"fieldManager": "m" * 129},
                        json=configmap(unique_name("po")), timeout=10)
    assert resp.status_code == 422, resp.text
    assert status_body(resp)["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: '
        "may not be more than 128 bytes"
    )


def test_server_side_apply_refuses_undeclared_fields(server, namespace):
    body = configmap("ssa-unknown", {"a": "b"})
    body["zzz"] = {"q": 1}
    resp = server.session().patch(
        cm_url(server, namespace, "ssa-unknown"), data=json.dumps(body),
        params={"fieldManager": "m", "fieldValidation": "Ignore"},
        headers={"Content-Type": "application/apply-patch+yaml"}, timeout=10)
    assert resp.status_code == 500, resp.text
    status = status_body(resp)
    assert "reason" not in status
    assert status["message"] == (
        f"failed to create typed patch object ({namespace}/ssa-unknown; /v1, Kind=ConfigMap): "
        ".zzz: field not declared in schema"
    )
    result = server.kubectl("apply", "--server-side", "-n", namespace, "-f", "-",
                            input=dump(body), check=False)
    assert result.returncode == 1
    assert "field not declared in schema" in result.stderr, result.stderr
    assert server.kubectl("get", "cm", "ssa-unknown", "-n", namespace,
                          check=False).returncode == 1


def test_node_ports_and_cluster_ips_are_allocated_and_checked(server, namespace):
    server.kubectl("create", "service", "nodeport", "np1", "-n", namespace, "--tcp=80:8080")
    np1 = json.loads(server.kubectl("get", "svc", "np1", "-n", namespace, "-o", "json").stdout)
    node_port = np1["spec"]["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767
    ports = server.kubectl("get", "svc", "np1", "-n", namespace, "--no-headers").stdout.split()[4]
    assert ports == f"80:{node_port}/TCP"

    taken = server.kubectl("create", "service", "nodeport", "np2", "-n", namespace,
                           "--tcp=80:8080", f"--node-port={node_port}", check=False)
    assert taken.returncode == 1
    assert taken.stderr.strip() == (
        'error: failed to create NodePort service: Service "np2" is invalid: '
        f"spec.ports[0].nodePort: Invalid value: {node_port}: provided port is already allocated"
    )
    out_of_range = server.kubectl("create", "service", "nodeport", "np3", "-n", namespace,
                                  "--tcp=80:8080", "--node-port=80", check=False)
    assert out_of_range.returncode == 1
    assert ("spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid "
            "range. The range of valid ports is 30000-32767") in out_of_range.stderr

    bad_ip = server.kubectl("create", "service", "clusterip", "badip", "-n", namespace,
                            "--clusterip=1.2.3.4", "--tcp=80", check=False)
    assert bad_ip.returncode == 1
    assert ("failed to allocate IP 1.2.3.4: the provided IP (1.2.3.4) is not in the valid "
            "range. The range of valid IPs is 10.96.0.0/12") in bad_ip.stderr

    # Turning a ClusterIP service into a NodePort one allocates its node port; later
    # updates that leave it out keep it.
    server.kubectl("create", "service", "clusterip", "grow", "-n", namespace, "--tcp=80")
    server.kubectl("patch", "svc", "grow", "-n", namespace, "-p", '{"spec":{"type":"NodePort"}}')
    grown = json.loads(server.kubectl("get", "svc", "grow", "-n", namespace, "-o", "json").stdout)
    allocated = grown["spec"]["ports"][0]["nodePort"]
    assert 30000 <= allocated <= 32767 and allocated != node_port
    server.kubectl("label", "svc", "grow", "-n", namespace, "touched=yes")
    again = json.loads(server.kubectl("get", "svc", "grow", "-n", namespace, "-o", "json").stdout)
    assert again["spec"]["ports"][0]["nodePort"] == allocated
    assert again["spec"]["clusterIP"] == grown["spec"]["clusterIP"]


def test_a_patch_that_does_not_decode_is_422_invalid_patch(server, namespace):
    session = server.session()
    name = unique_name("pd")
    session.post(cm_url(server, namespace), json=configmap(name, {"a": "b"}), timeout=10)
    resp = session.patch(cm_url(server, namespace, name), params={"fieldValidation": "Strict"},
                         data=json.dumps({"bar": 1}),
                         headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    assert resp.status_code == 422, resp.text
    status = status_body(resp)
    assert status["reason"] == "Invalid"
    assert status["message"].startswith(' "" is invalid: patch: Invalid value: "{')
    assert status["message"].endswith('": strict decoding error: unknown field "bar"')
    assert [c["field"] for c in status["details"]["causes"]] == ["patch"]
    result = server.kubectl("patch", "cm", name, "-n", namespace, "--type=merge",
                            "-p", '{"data":{"a":1}}', check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("The request is invalid: patch: Invalid value: "), result.stderr
    assert session.get(cm_url(server, namespace, name), timeout=10).json()["data"] == {"a": "b"}


def test_legacy_watch_paths_watch_the_collection_or_one_object(server, namespace):
    session = server.session()
    name = unique_name("lw")
    session.post(cm_url(server, namespace), json=configmap(name), timeout=10)
    session.post(cm_url(server, namespace), json=configmap(unique_name("other")), timeout=10)
    resp = session.get(server.url(f"/api/v1/watch/namespaces/{namespace}/configmaps/{name}"),
                       params={"timeoutSeconds": "1"}, stream=True, timeout=10)
    assert resp.status_code == 200, resp.text
    events = [json.loads(line) for line in resp.iter_lines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", name)]


def test_bad_continue_tokens_and_foreign_kinds_are_400(server, namespace):
    session = server.session()
    resp = session.get(cm_url(server, namespace), params={"continue": "abc"}, timeout=10)
    assert resp.status_code == 400, resp.text
    assert status_body(resp)["message"].startswith(
        "invalid continue token: continue key is not valid: ")
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    resp = session.post(cm_url(server, namespace), json=secret, timeout=10)
    assert resp.status_code == 400, resp.text
    assert status_body(resp)["message"] == (
        'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) '
        "to (core.ConfigMap): unknown conversion"
    )


def test_kubectl_auth_can_i_and_whoami(server, namespace):
    result = server.kubectl("auth", "can-i", "create", "statefulsets", "-n", namespace)
    assert result.stdout.strip() == "yes"
    listed = server.kubectl("auth", "can-i", "--list", "-n", namespace).stdout.splitlines()
    assert listed[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert listed[1].split() == ["*.*", "[]", "[]", "[*]"]
    whoami = server.kubectl("auth", "whoami", "-o", "json").stdout
    user = json.loads(whoami)["status"]["userInfo"]
    assert user["username"] == "admin"
    assert "system:masters" in user["groups"]


@pytest.mark.parametrize("content_type, body, problem", [
    ("application/json",
     '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice"},'
     '"data":{"a":"1","a":"2"}}',
     'duplicate field "data.a"'),
    ("application/yaml",
     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\ndata:\n  a: '1'\n  a: '2'\n",
     'yaml: unmarshal errors:\n  line 7: key "a" already set in map'),
])
def test_keys_named_twice_follow_field_validation(server, namespace, content_type, body,
                                                  problem):
    session = server.session()
    headers = {"Content-Type": content_type}

    def post(mode, dry_run=True):
        params = {"fieldValidation": mode} if mode else {}
        if dry_run:
            params["dryRun"] = "All"
        return session.post(cm_url(server, namespace), params=params, data=body,
                            headers=headers, timeout=10)

    resp = post("Strict")
    assert resp.status_code == 400, resp.text
    assert status_body(resp)["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        + problem
    )
    # Warn is the default; the last value wins under Warn and Ignore.
    for mode, warning, dry_run in [(None, "299 - " + json.dumps(problem), True),
                                   ("Ignore", None, False)]:
        resp = post(mode, dry_run)
        assert resp.status_code == 201, resp.text
        assert resp.headers.get("Warning") == warning
        assert resp.json()["data"] == {"a": "2"}
