"""Bad requests get upstream's status code, reason, message and details, and change nothing."""

import json
import subprocess

import pytest

from util import configmap, dump, status_body, statefulset, unique_name

CONFLICT_TAIL = (
    "the object has been modified; please apply your changes to the latest version and try again"
)
STS_IMMUTABLE = (
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' "
    "and 'minReadySeconds' "
    "are forbidden"
)


def cm_url(server, namespace, name=""):
    base = server.url(f"/api/v1/namespaces/{namespace}/configmaps")
    return f"{base}/{name}" if name else base


def sts_url(server, namespace, name=""):
    base = server.url(f"/apis/apps/v1/namespaces/{namespace}/statefulsets")
    return f"{base}/{name}" if name else base


def assert_absent(server, url):
    resp = server.session().get(url, timeout=10)
    assert resp.status_code == 404, f"object exists after a rejected request: {resp.text}"


def test_invalid_statefulset_is_422_with_causes(server, namespace):
    body = statefulset("web", replicas=-1)
    resp = server.session().post(sts_url(server, namespace), json=body, timeout=10)
    assert resp.status_code == 422, resp.text
    status = status_body(resp)
    assert status["reason"] == "Invalid"
    assert status["message"] == (
        'StatefulSet.apps "web" is invalid: spec.replicas: Invalid value: -1: '
        "must be greater than or equal to 0"
    )
    assert status["details"] == {
        "name": "web",
        "group": "apps",
        "kind": "StatefulSet",
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: -1: must be greater than or equal to 0",
                "field": "spec.replicas",
            }
        ],
    }
    assert_absent(server, sts_url(server, namespace, "web"))

    refused = refused_apply(server, namespace, body)
    assert (
        'The StatefulSet "web" is invalid: spec.replicas: Invalid value: -1: '
        "must be greater than or equal to 0" in refused
    ), refused


def test_invalid_name_is_422(server, namespace):
    resp = server.session().post(cm_url(server, namespace), json=configmap("Bad_Name"), timeout=10)
    assert resp.status_code == 422, resp.text
    status = status_body(resp)
    assert status["reason"] == "Invalid"
    assert status["message"] == (
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase '
        "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
        "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    )
    assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_statefulset_immutable_fields(server, namespace):
    session = server.session()
    created = session.post(sts_url(server, namespace), json=statefulset("web"), timeout=10)
    assert created.status_code == 201, created.text
    obj = created.json()
    changed = json.loads(json.dumps(obj))
    changed["spec"]["serviceName"] = "other"
    resp = session.put(sts_url(server, namespace, "web"), json=changed, timeout=10)
    assert resp.status_code == 422, resp.text
    status = status_body(resp)
    assert status["message"] == f'StatefulSet.apps "web" is invalid: {STS_IMMUTABLE}'
    live = session.get(sts_url(server, namespace, "web"), timeout=10).json()
    assert live["spec"]["serviceName"] == "web"
    assert live["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def test_stale_resource_version_is_409_conflict(server, namespace):
    session = server.session()
    name = unique_name("x")
    created = session.post(cm_url(server, namespace), json=configmap(name, {"v": "1"}), timeout=10)
    assert created.status_code == 201, created.text
    stale = created.json()
    fresh = json.loads(json.dumps(stale))
    fresh["data"] = {"v": "2"}
    ok = session.put(cm_url(server, namespace, name), json=fresh, timeout=10)
    assert ok.status_code == 200, ok.text

    stale["data"] = {"v": "3"}
    resp = session.put(cm_url(server, namespace, name), json=stale, timeout=10)
    assert resp.status_code == 409, resp.text
    status = status_body(resp)
    assert status["reason"] == "Conflict"
    assert status["message"] == f'Operation cannot be fulfilled on configmaps "{name}": {CONFLICT_TAIL}'
    assert status["details"] == {"name": name, "kind": "configmaps"}
    live = session.get(cm_url(server, namespace, name), timeout=10).json()
    assert live["data"] == {"v": "2"}
    assert live["metadata"]["resourceVersion"] == ok.json()["metadata"]["resourceVersion"]


def test_duplicate_create_is_409_already_exists(server, namespace):
    session = server.session()
    name = unique_name("dup")
    first = session.post(cm_url(server, namespace), json=configmap(name, {"v": "1"}), timeout=10)
    assert first.status_code == 201
    resp = session.post(cm_url(server, namespace), json=configmap(name, {"v": "2"}), timeout=10)
    assert resp.status_code == 409, resp.text
    status = status_body(resp)
    assert status["reason"] == "AlreadyExists"
    assert status["message"] == f'configmaps "{name}" already exists'
    assert status["details"] == {"name": name, "kind": "configmaps"}
    live = session.get(cm_url(server, namespace, name), timeout=10).json()
    assert live["data"] == {"v": "1"}
    assert live["metadata"]["resourceVersion"] == first.json()["metadata"]["resourceVersion"]


@pytest.mark.parametrize("method", ["get", "delete", "put", "patch"])
def test_missing_object_is_404(server, namespace, method):
    session = server.session()
    kwargs = {}
    if method == "put":
        kwargs["json"] = configmap("nope")
    if method == "patch":
        kwargs["data"] = '{"data":{"a":"b"}}'
        kwargs["headers"] = {"Content-Type": "application/merge-patch+json"}
    resp = getattr(session, method)(cm_url(server, namespace, "nope"), timeout=10, **kwargs)
    assert resp.status_code == 404, resp.text
    status = status_body(resp)
    assert status["reason"] == "NotFound"
    assert status["message"] == 'configmaps "nope" not found'
    assert status["details"] == {"name": "nope", "kind": "configmaps"}
    assert_absent(server, cm_url(server, namespace, "nope"))


def test_malformed_json_is_400(server, namespace):
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"'
    resp = server.session().post(
        cm_url(server, namespace), data=body, headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 400, resp.text
    status = status_body(resp)
    assert status["reason"] == "BadRequest"
    # The middle is the JSON parser's own wording; the frame and the body summary are upstream's.
    assert status["message"].startswith(
        "the object provided is unrecognized (must be of type ConfigMap): "
    ), status["message"]
    assert status["message"].endswith(f" ({body[:30].decode()} ...)"), status["message"]
    assert_absent(server, cm_url(server, namespace, "broken"))


def test_wrongly_typed_json_is_400(server, namespace):
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typed"},
            "data": {"k": 1}}
    resp = server.session().post(cm_url(server, namespace), json=body, timeout=10)
    assert resp.status_code == 400, resp.text
    status = status_body(resp)
    assert status["reason"] == "BadRequest"
    assert status["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
        "number into Go struct field ConfigMap.data of type string"
    ), status["message"]
    assert_absent(server, cm_url(server, namespace, "typed"))


def refused_apply(server, namespace, body) -> str:
    """kubectl apply of `body`, which the server must refuse: kubectl's error line."""
    result = server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(body), check=False)
    assert result.returncode == 1
    assert_absent(server, sts_url(server, namespace, body["metadata"]["name"]))
    return result.stderr.strip()


def test_kubectl_apply_of_a_wrongly_typed_field_reads_like_upstream(server, namespace):
    body = statefulset("typed")
    body["spec"]["replicas"] = "3"
    assert refused_apply(server, namespace, body) == (
        'Error from server (BadRequest): error when creating "STDIN": StatefulSet in version '
        '"v1" cannot be handled as a StatefulSet: json: cannot unmarshal string into Go struct '
        "field StatefulSetSpec.spec.replicas of type int32"
    )


def test_malformed_yaml_is_400(server, namespace):
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n"
    resp = server.session().post(
        cm_url(server, namespace), data=body, headers={"Content-Type": "application/yaml"},
        timeout=10,
    )
    assert resp.status_code == 400, resp.text
    status = status_body(resp)
    assert status["reason"] == "BadRequest"
    assert status["message"].startswith(
        "the object provided is unrecognized (must be of type ConfigMap): "
    ), status["message"]
    # Bodies that are not JSON objects are summarised in hex.
    assert status["message"].endswith(f" ({body[:30].hex()} ...)"), status["message"]


def test_yaml_body_is_accepted(server, namespace):
    body = dump(configmap("from-yaml", {"a": "1"})).encode()
    resp = server.session().post(
        cm_url(server, namespace), data=body, headers={"Content-Type": "application/yaml"},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["data"] == {"a": "1"}


@pytest.mark.parametrize("method", ["post", "put"])
def test_body_over_3_mib_is_413(server, namespace, method):
    name = unique_name("big")
    body = json.dumps(configmap(name, {"blob": "x" * (3 * 1024 * 1024)})).encode()
    assert len(body) > 3 * 1024 * 1024
    url = cm_url(server, namespace) if method == "post" else cm_url(server, namespace, name)
    resp = getattr(server.session(), method)(
        url, data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert resp.status_code == 413, resp.text[:500]
    status = status_body(resp)
    assert status["reason"] == "RequestEntityTooLarge"
    assert status["message"] == "Request entity too large: limit is 3145728"
    assert_absent(server, cm_url(server, namespace, name))


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_401(server, namespace, token):
    session = server.session(token=token)
    for resp in [
        session.get(server.url("/api/v1/namespaces"), timeout=10),
        session.post(cm_url(server, namespace), json=configmap("anon"), timeout=10),
    ]:
        assert resp.status_code == 401, resp.text
        assert resp.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }
    assert_absent(server, cm_url(server, namespace, "anon"))


def test_kubectl_with_wrong_token(server, tmp_path):
    kubeconfig = server.kubeconfig.read_text().replace(server.token, "not-the-token")
    assert "not-the-token" in kubeconfig
    bad = tmp_path / "kubeconfig"
    bad.write_text(kubeconfig)
    result = server.kubectl("--kubeconfig", bad, "get", "namespaces", check=False)
    assert result.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in result.stderr


def test_kubectl_apply_unknown_field_is_strict_error(server, namespace):
    body = statefulset("strict")
    body["spec"]["foo"] = "bar"
    assert refused_apply(server, namespace, body) == (
        'Error from server (BadRequest): error when creating "STDIN": StatefulSet in version '
        '"v1" cannot be handled as a StatefulSet: strict decoding error: unknown field "spec.foo"'
    )

    relaxed = server.kubectl("apply", "--validate=false", "-n", namespace, "-f", "-",
                             input=dump(body))
    assert relaxed.stdout.strip() == "statefulset.apps/strict created"


@pytest.mark.parametrize("mode", ["Strict", "Warn", "Ignore", None])
def test_field_validation_modes(server, namespace, mode):
    name = unique_name("fv")
    body = statefulset(name)
    body["spec"]["foo"] = "bar"
    params = {"fieldValidation": mode} if mode else {}
    resp = server.session().post(sts_url(server, namespace), json=body, params=params, timeout=10)
    if mode == "Strict":
        assert resp.status_code == 400, resp.text
        status = status_body(resp)
        assert status["reason"] == "BadRequest"
        assert status["message"] == (
            'StatefulSet in version "v1" cannot be handled as a StatefulSet: '
            'strict decoding error: unknown field "spec.foo"'
        )
        assert_absent(server, sts_url(server, namespace, name))
        return
    assert resp.status_code == 201, resp.text
    assert "foo" not in resp.json()["spec"]
    warning = resp.headers.get("Warning")
    if mode == "Ignore":
        assert warning is None
    else:
        # Warn is the server's default when the client does not say.
        assert warning == '299 - "unknown field \\"spec.foo\\""'


def test_unknown_resource_is_404(server):
    resp = server.session().get(server.url("/api/v1/widgets"), timeout=10)
    assert resp.status_code == 404
    result = server.kubectl("get", "widgets", check=False)
    assert result.returncode == 1
    assert 'error: the server doesn\'t have a resource type "widgets"' in result.stderr


def test_unsupported_patch_type_is_415(server, namespace):
    session = server.session()
    name = unique_name("p")
    assert session.post(cm_url(server, namespace), json=configmap(name), timeout=10).status_code == 201
    resp = session.patch(cm_url(server, namespace, name), data="{}",
                         headers={"Content-Type": "text/plain"}, timeout=10)
    assert resp.status_code == 415, resp.text
    status = status_body(resp)
    assert status["reason"] == "UnsupportedMediaType"


@pytest.mark.parametrize("method, path, code", [
    ("POST", "/api/v1/namespaces/default/configmaps", 413),
    ("PUT", "/api/v1/configmaps", 405),
    ("POST", "/api/v1/widgets", 404),
])
def test_http2_clients_get_the_answer_to_a_body_the_server_does_not_use(
        server, tmp_path, method, path, code):
    # An answer given before the body is read must not reset the HTTP/2 stream: curl
    # (nghttp2) reports a framing error instead of the status when it is.
    size = 4 * 1024 * 1024 if code == 413 else 200 * 1024
    body = tmp_path / "body"
    body.write_bytes(b"a" * size)
    for _ in range(3):
        result = subprocess.run(
            ["curl", "--http2", "-sS", "--cacert", str(server.ca_path),
             "-H", f"Authorization: Bearer {server.token}",
             "-H", "Content-Type: application/json", "-X", method,
             "--data-binary", f"@{body}", "-o", "/dev/null",
             "-w", "%{http_code} %{http_version}", server.url(path)],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{code} 2", result.stdout
