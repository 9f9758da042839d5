"""kubectl's reading commands: discovery, get with tables and every output format, watch,
selectors, describe and explain."""

import json
import re

import pytest

from util import (
    ROOT_CA_CONFIGMAP,
    LineReader,
    as_json,
    configmap,
    create_cm,
    dump,
    headless_service,
    row_by_name,
    statefulset,
    table,
    wait_until,
)


def test_kubectl_uses_the_venv_binary_at_1_37(server):
    out = server.kubectl("version", "-o", "json").stdout
    version = json.loads(out)
    assert version["clientVersion"]["gitVersion"] == "v1.37.1"
    assert version["serverVersion"]["major"] == "1"
    assert re.fullmatch(r"37\+?", version["serverVersion"]["minor"]), version["serverVersion"]


def test_readyz_through_kubectl(server):
    assert server.kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"


@pytest.mark.parametrize(
    "name,short,api_version,namespaced,kind",
    [
        ("statefulsets", "sts", "apps/v1", "true", "StatefulSet"),
        ("controllerrevisions", "", "apps/v1", "true", "ControllerRevision"),
        ("pods", "po", "v1", "true", "Pod"),
        ("services", "svc", "v1", "true", "Service"),
        ("persistentvolumeclaims", "pvc", "v1", "true", "PersistentVolumeClaim"),
        ("persistentvolumes", "pv", "v1", "false", "PersistentVolume"),
        ("configmaps", "cm", "v1", "true", "ConfigMap"),
        ("secrets", "", "v1", "true", "Secret"),
        ("namespaces", "ns", "v1", "false", "Namespace"),
        ("nodes", "no", "v1", "false", "Node"),
        ("serviceaccounts", "sa", "v1", "true", "ServiceAccount"),
        ("endpoints", "ep", "v1", "true", "Endpoints"),
        ("events", "ev", "v1", "true", "Event"),
        ("events", "ev", "events.k8s.io/v1", "true", "Event"),
        ("endpointslices", "", "discovery.k8s.io/v1", "true", "EndpointSlice"),
        ("storageclasses", "sc", "storage.k8s.io/v1", "false", "StorageClass"),
        ("leases", "", "coordination.k8s.io/v1", "true", "Lease"),
        ("roles", "", "rbac.authorization.k8s.io/v1", "true", "Role"),
        ("clusterroles", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRole"),
        ("rolebindings", "", "rbac.authorization.k8s.io/v1", "true", "RoleBinding"),
        (
            "clusterrolebindings",
            "",
            "rbac.authorization.k8s.io/v1",
            "false",
            "ClusterRoleBinding",
        ),
    ],
)
def test_api_resources_lists_served_kinds(server, name, short, api_version, namespaced, kind):
    headers, rows = table(server.kubectl("api-resources").stdout)
    assert headers == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    # Rows without short names have one cell fewer; compare on the fields that are there.
    expected = [name, short, api_version, namespaced, kind] if short else [
        name,
        api_version,
        namespaced,
        kind,
    ]
    assert expected in rows, f"{expected} not in api-resources output"


def test_api_versions(server):
    versions = server.kubectl("api-versions").stdout.split()
    for version in [
        "v1",
        "apps/v1",
        "coordination.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        "storage.k8s.io/v1",
    ]:
        assert version in versions


def test_short_names_resolve(server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(statefulset("web")))
    out = server.kubectl("get", "sts", "-n", namespace, "-o", "name").stdout
    assert out.split() == ["statefulset.apps/web"]


@pytest.mark.parametrize(
    "resource,headers,wide_headers",
    [
        ("configmaps", ["NAME", "DATA", "AGE"], None),
        ("pods", ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
         ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE",
          "READINESS GATES"]),
        ("statefulsets", ["NAME", "READY", "AGE"],
         ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]),
        ("services", ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
         ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]),
        ("persistentvolumeclaims",
         ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
          "VOLUMEATTRIBUTESCLASS", "AGE"],
         ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
          "VOLUMEATTRIBUTESCLASS", "AGE", "VOLUMEMODE"]),
        ("secrets", ["NAME", "TYPE", "DATA", "AGE"], None),
        ("namespaces", ["NAME", "STATUS", "AGE"], None),
        ("controllerrevisions", ["NAME", "CONTROLLER", "REVISION", "AGE"], None),
        ("storageclasses",
         ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION",
          "AGE"], None),
        ("events", ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
         ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE",
          "FIRST SEEN", "COUNT", "NAME"]),
    ],
)
def test_get_table_columns_match_upstream(server, namespace, resource, headers, wide_headers):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(
        configmap("cm1"),
        statefulset("web"),
        headless_service("web"),
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1"},
         "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
         "spec": {"accessModes": ["ReadWriteOnce"],
                  "resources": {"requests": {"storage": "1Gi"}}}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"},
         "stringData": {"a": "b"}},
    ))
    # Controllers create revisions and events shortly after the apply.
    out = wait_until(
        lambda: server.kubectl("get", resource, "-n", namespace).stdout,
        what=f"kubectl get {resource} lists something",
    )
    got_headers, rows = table(out)
    assert got_headers == headers
    assert rows, f"no rows for {resource}"
    got_wide, _ = table(server.kubectl("get", resource, "-n", namespace, "-o", "wide").stdout)
    assert got_wide == (wide_headers or headers)


def test_get_cells_show_what_a_user_expects(server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(
        configmap("two-keys", {"a": "1", "b": "2"}),
        statefulset("web", replicas=2, image="nginx:1.27"),
        headless_service("web"),
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound"},
         "spec": {"nodeName": "node-x", "containers": [{"name": "c", "image": "busybox"}]}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"},
         "stringData": {"a": "b", "c": "d"}},
    ))
    _, rows = table(server.kubectl("get", "cm", "two-keys", "-n", namespace).stdout)
    assert rows[0][:2] == ["two-keys", "2"]

    _, rows = table(server.kubectl("get", "sts", "web", "-n", namespace, "-o", "wide").stdout)
    name, ready, _age, containers, images = rows[0]
    assert (name, ready, containers, images) == ("web", "0/2", "nginx", "nginx:1.27")

    _, rows = table(server.kubectl("get", "svc", "web", "-n", namespace, "-o", "wide").stdout)
    assert rows[0][:5] == ["web", "ClusterIP", "None", "<none>", "80/TCP"]
    assert rows[0][6] == "app=web"

    _, rows = table(server.kubectl("get", "pod", "bound", "-n", namespace, "-o", "wide").stdout)
    assert rows[0][:4] == ["bound", "0/1", "Pending", "0"]
    assert rows[0][6] == "node-x"

    _, rows = table(server.kubectl("get", "secret", "s1", "-n", namespace).stdout)
    assert rows[0][:3] == ["s1", "Opaque", "2"]

    _, rows = table(server.kubectl("get", "ns", namespace).stdout)
    assert rows[0][:2] == [namespace, "Active"]


def test_get_all_namespaces_adds_namespace_column(server, namespace):
    create_cm(server, namespace, "in-a", k="v")
    headers, rows = table(server.kubectl("get", "configmaps", "-A").stdout)
    assert headers == ["NAMESPACE", "NAME", "DATA", "AGE"]
    assert [namespace, "in-a", "1"] == row_by_name(rows, "in-a", column=1)[:3]


def test_output_formats(server, namespace):
    create_cm(server, namespace, "fmt", k="v")
    obj = as_json(server.kubectl("get", "cm", "fmt", "-n", namespace, "-o", "json"))
    assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1"
    assert obj["metadata"]["namespace"] == namespace
    assert obj["data"] == {"k": "v"}
    assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"]
    assert obj["metadata"]["creationTimestamp"].endswith("Z")

    yaml_out = server.kubectl("get", "cm", "fmt", "-n", namespace, "-o", "yaml").stdout
    assert "kind: ConfigMap" in yaml_out and "  k: v" in yaml_out

    listed = as_json(server.kubectl("get", "cm", "-n", namespace, "-o", "json"))
    assert listed["kind"] == "List"
    assert "fmt" in [item["metadata"]["name"] for item in listed["items"]]

    assert server.kubectl("get", "cm", "fmt", "-n", namespace, "-o", "name").stdout.strip() == (
        "configmap/fmt"
    )
    jsonpath = server.kubectl(
        "get", "cm", "fmt", "-n", namespace, "-o", "jsonpath={.metadata.name}={.data.k}"
    ).stdout
    assert jsonpath == "fmt=v"

    headers, rows = table(server.kubectl(
        "get", "cm", "fmt", "-n", namespace, "-o", "custom-columns=NAME:.metadata.name,VALUE:.data.k"
    ).stdout)
    assert headers == ["NAME", "VALUE"]
    assert rows == [["fmt", "v"]]


def test_label_and_field_selectors(server, namespace):
    for name, tier in [("a", "db"), ("b", "web"), ("c", "db")]:
        create_cm(server, namespace, name, k="v")
        server.kubectl("label", "cm", name, "-n", namespace, f"tier={tier}")

    def names(*args):
        return server.kubectl("get", "cm", "-n", namespace, "-o", "name", *args).stdout.split()

    assert names("-l", "tier=db") == ["configmap/a", "configmap/c"]
    # `!=` and `notin` also match objects without the label, as upstream: here the root CA
    # ConfigMap the controllers publish in every namespace.
    root_ca = f"configmap/{ROOT_CA_CONFIGMAP}"
    assert names("-l", "tier!=db") == ["configmap/b", root_ca]
    assert names("-l", "tier in (web)") == ["configmap/b"]
    assert names("-l", "tier notin (db,web)") == [root_ca]
    assert names("--field-selector", "metadata.name=b") == ["configmap/b"]
    assert names("--field-selector", "metadata.name!=b", "-l", "tier") == [
        "configmap/a",
        "configmap/c",
    ]
    # Cluster-wide with a namespace field selector.
    out = server.kubectl(
        "get", "cm", "-A", "-o", "name", "--field-selector", f"metadata.namespace={namespace}",
        "-l", "tier",
    ).stdout.split()
    assert out == ["configmap/a", "configmap/b", "configmap/c"]


def test_field_selector_on_unsupported_field_is_rejected(server, namespace):
    # Kinds without field selectors of their own answer with the generic metadata-only text;
    # pods have a list of their own and a different message.
    result = server.kubectl(
        "get", "cm", "-n", namespace, "--field-selector", "data.k=v", check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match '
        'label selector "", field selector "data.k=v": "data.k" is not a known field selector: '
        'only "metadata.name", "metadata.namespace"'
    )
    result = server.kubectl(
        "get", "pods", "-n", namespace, "--field-selector", "spec.foo=x", check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().endswith("field label not supported: spec.foo"), result.stderr
    selected = server.kubectl(
        "get", "pods", "-n", namespace, "--field-selector", "status.phase=Running", "-o", "name"
    )
    assert selected.stdout == ""


def test_watch_prints_new_and_changed_rows(server, namespace):
    create_cm(server, namespace, "before", k="v")
    watch = server.kubectl_popen("get", "configmaps", "-n", namespace, "-w")
    try:
        reader = LineReader(watch.stdout)
        header = reader.wait_for(lambda line: line.startswith("NAME"))
        assert re.split(r"\s{2,}", header.strip()) == ["NAME", "DATA", "AGE"]
        reader.wait_for(lambda line: line.split()[0] == "before")

        create_cm(server, namespace, "after", k="v")
        row = reader.wait_for(lambda line: line.split()[0] == "after")
        assert row.split()[1] == "1"

        server.kubectl("patch", "cm", "after", "-n", namespace, "--type=merge",
                       "-p", '{"data":{"k2":"v2"}}')
        row = reader.wait_for(lambda line: line.split()[0] == "after" and line.split()[1] == "2")
        assert row
    finally:
        watch.terminate()
        watch.wait(timeout=10)


def test_watch_one_object_by_name(server, namespace):
    create_cm(server, namespace, "single", k="v")
    watch = server.kubectl_popen("get", "configmap", "single", "-n", namespace, "-w")
    try:
        reader = LineReader(watch.stdout)
        reader.wait_for(lambda line: line.split()[:2] == ["single", "1"])
        server.kubectl("patch", "cm", "single", "-n", namespace, "--type=merge",
                       "-p", '{"data":{"k2":"v2"}}')
        reader.wait_for(lambda line: line.split()[:2] == ["single", "2"])
    finally:
        watch.terminate()
        watch.wait(timeout=10)


def test_describe_configmap_and_statefulset(server, namespace):
    create_cm(server, namespace, "desc", greeting="hello")
    server.kubectl("label", "cm", "desc", "-n", namespace, "app=demo")
    out = server.kubectl("describe", "configmap", "desc", "-n", namespace).stdout
    assert re.search(r"^Name:\s+desc$", out, re.M), out
    assert re.search(rf"^Namespace:\s+{namespace}$", out, re.M), out
    assert re.search(r"^Labels:\s+app=demo$", out, re.M), out
    assert re.search(r"^greeting:\n----\nhello$", out, re.M), out

    server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(statefulset("web", replicas=2)))
    out = server.kubectl("describe", "statefulset", "web", "-n", namespace).stdout
    assert re.search(r"^Name:\s+web$", out, re.M), out
    assert re.search(r"^Selector:\s+app=web$", out, re.M), out
    assert re.search(r"^Replicas:\s+2 desired \| \d+ total$", out, re.M), out
    assert re.search(r"^Pod Management Policy:\s+OrderedReady$", out, re.M), out
    assert re.search(r"^Update Strategy:\s+RollingUpdate$", out, re.M), out
    assert re.search(r"^\s+Image:\s+nginx:1.27$", out, re.M), out


def test_explain_prints_field_documentation(server):
    out = server.kubectl("explain", "statefulset.spec.updateStrategy").stdout
    assert re.search(r"^GROUP:\s+apps$", out, re.M), out
    assert re.search(r"^KIND:\s+StatefulSet$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1$", out, re.M), out
    assert re.search(r"^FIELD:\s+updateStrategy <StatefulSetUpdateStrategy>$", out, re.M), out
    flat = " ".join(out.split())
    assert (
        "updateStrategy indicates the StatefulSetUpdateStrategy that will be employed to update "
        "Pods in the StatefulSet when a revision is made to Template." in flat
    ), out
    assert re.search(r"^\s+rollingUpdate\s+<RollingUpdateStatefulSetStrategy>$", out, re.M), out
    assert re.search(r"^\s+type\s+<string>$", out, re.M), out


def test_explain_from_openapi_v2(server):
    out = server.kubectl("explain", "--output=plaintext-openapiv2",
                         "statefulset.spec.updateStrategy").stdout
    assert re.search(r"^KIND:\s+StatefulSet$", out, re.M), out
    assert re.search(r"^VERSION:\s+apps/v1$", out, re.M), out
    assert re.search(r"^RESOURCE:\s+updateStrategy <Object>$", out, re.M), out
    assert re.search(r"^\s+rollingUpdate\s+<Object>$", out, re.M), out
    flat = " ".join(out.split())
    assert "Type indicates the type of the StatefulSetUpdateStrategy." in flat, out
    raw = json.loads(server.kubectl("get", "--raw", "/openapi/v2").stdout)
    assert raw["swagger"] == "2.0"
    pod = raw["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "version": "v1", "kind": "Pod"}]
    assert pod["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.core.v1.PodSpec"


def test_explain_recursive_top_level(server):
    out = server.kubectl("explain", "pods", "--recursive").stdout
    assert re.search(r"^KIND:\s+Pod$", out, re.M), out
    assert "terminationGracePeriodSeconds" in out


def test_scale_statefulset(server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(statefulset("web", replicas=1)))
    out = server.kubectl("scale", "sts", "web", "-n", namespace, "--replicas=3").stdout
    assert out.strip() == "statefulset.apps/web scaled"
    replicas = server.kubectl(
        "get", "sts", "web", "-n", namespace, "-o", "jsonpath={.spec.replicas}"
    ).stdout
    assert replicas == "3"
    scale = as_json(server.kubectl(
        "get", "--raw", f"/apis/apps/v1/namespaces/{namespace}/statefulsets/web/scale"
    ))
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"]["replicas"] == 3
    assert scale["status"]["selector"] == "app=web"


def test_get_nonexistent_prints_upstream_error(server, namespace):
    result = server.kubectl("get", "cm", "nope", "-n", namespace, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (NotFound): configmaps "nope" not found'
    )
    ignored = server.kubectl("get", "cm", "nope", "-n", namespace, "--ignore-not-found")
    assert ignored.stdout == ""


def test_watch_survives_until_interrupted_and_lists_across_namespaces(server, namespace):
    watch = server.kubectl_popen("get", "configmaps", "-A", "-w", "-l", "watched=yes")
    try:
        reader = LineReader(watch.stdout)
        create_cm(server, namespace, "w1", k="v")
        server.kubectl("label", "cm", "w1", "-n", namespace, "watched=yes")
        row = reader.wait_for(lambda line: "w1" in line.split())
        assert row.split()[0] == namespace
        assert watch.poll() is None, "kubectl get -w exited while watching"
    finally:
        watch.terminate()
        watch.wait(timeout=10)
