"""The project's seed documents as end-to-end tests on simulated nodes.

- Seed 003 (Alibaba Cloud's StatefulSet walkthrough): create, ordered creation seen through
  `kubectl get pod -w`, PVCs Bound, scale 3 → 2 → 3 keeping and reusing claims and
  volumes, and a deleted pod coming back on the same claim.
- Seed 001 (DaoCloud's example StatefulSet YAML): invalid as printed, so kubectl refuses it
  with a parse error; once the YAML is fixed, the server treats it as upstream does,
  including the ownerReference to a kind berth does not serve."""

import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client as k8s_client

from util import SIMULATED_NODE_ARGS, LineReader, row_by_name, table, wait_until

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ALIBABA = FIXTURES / "seed003_alibaba_statefulset.yaml"
DAOCLOUD_AS_PRINTED = FIXTURES / "seed001_daocloud_statefulset_as_printed.yaml"
DAOCLOUD_CORRECTED = FIXTURES / "seed001_daocloud_statefulset_corrected.yaml"
DAOCLOUD_SET = "test-mysql-123-mysql"
DAOCLOUD_EXPORTED_UID = "d3f45527-a0ab-4b22-9013-5842a06f4e0e"


@pytest.fixture(scope="module")
def server(server_pool):
    return server_pool.start(extra_args=SIMULATED_NODE_ARGS)


# --- seed 003 ---------------------------------------------------------------------------

def get_table(server, namespace, kind):
    return table(server.kubectl("get", kind, "-n", namespace).stdout)


def pods_running(server, namespace, names):
    """`kubectl get pod` lists exactly these pods, each 1/1 Running."""
    out = server.kubectl("get", "pod", "-n", namespace, "--ignore-not-found").stdout
    if not out.strip():
        return names == []
    headers, rows = table(out)
    assert headers[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], headers
    return [r[0] for r in rows] == names and all(r[1:3] == ["1/1", "Running"] for r in rows)


def bound_claims(server, namespace, count):
    """`kubectl get pvc` rows as {name: volume} once `count` claims are all Bound."""
    headers, rows = get_table(server, namespace, "pvc")
    assert headers[:6] == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES",
                           "STORAGECLASS"], headers
    if len(rows) != count or any(r[1] != "Bound" for r in rows):
        return None
    for row in rows:
        assert row[3:6] == ["20Gi", "RWO", "alicloud-disk-ssd"], row
    return {r[0]: r[2] for r in rows}


def test_alibaba_walkthrough(server, namespace):
    # The walkthrough's cluster has an `alicloud-disk-ssd` class; here it is served by
    # berth's local-path provisioner.
    server.kubectl("create", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "alicloud-disk-ssd"}, "provisioner": "berth.io/local-path",
        "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Delete"}))

    watch = server.kubectl_popen("get", "pod", "-w", "-l", "app=nginx", "-n", namespace)
    lines = LineReader(watch.stdout)
    try:
        out = server.kubectl("create", "-f", str(ALIBABA), "-n", namespace)
        assert out.stdout.splitlines() == ["service/nginx created",
                                           "statefulset.apps/web created"]
        lines.wait_for(lambda line: line.split()[:3] == ["web-1", "1/1", "Running"])
    finally:
        watch.terminate()
        watch.wait(timeout=5)
    rows = [line.split() for line in lines.seen]
    names = [row[0] for row in rows if row[0] != "NAME"]
    first_web1 = names.index("web-1")
    # web-1 appears only after web-0 was reported Running and ready.
    assert ["web-0", "1/1", "Running"] in [row[:3] for row in rows[:first_web1 + 1]], rows
    assert set(names[:first_web1]) == {"web-0"}, rows
    assert [row[:3] for row in rows if row[0] == "web-0"][0][1:3] == ["0/1", "Pending"], rows

    wait_until(lambda: pods_running(server, namespace, ["web-0", "web-1"]), what="2 pods")
    volumes = wait_until(lambda: bound_claims(server, namespace, 2), what="2 claims Bound")
    assert sorted(volumes) == ["disk-ssd-web-0", "disk-ssd-web-1"]
    assert len(set(volumes.values())) == 2

    out = server.kubectl("scale", "sts", "web", "--replicas=3", "-n", namespace)
    assert out.stdout.strip() == "statefulset.apps/web scaled"
    wait_until(lambda: pods_running(server, namespace, ["web-0", "web-1", "web-2"]),
               what="3 pods")
    scaled_out = wait_until(lambda: bound_claims(server, namespace, 3), what="3 claims Bound")
    assert {k: scaled_out[k] for k in volumes} == volumes

    out = server.kubectl("scale", "sts", "web", "--replicas=2", "-n", namespace)
    assert out.stdout.strip() == "statefulset.apps/web scaled"
    wait_until(lambda: pods_running(server, namespace, ["web-0", "web-1"]), what="2 pods")
    # "PVCs and PVs are not decreased during the scale-in process."
    time.sleep(0.5)
    assert bound_claims(server, namespace, 3) == scaled_out
    pvs = table(server.kubectl("get", "pv").stdout)[1]
    assert {row[0] for row in pvs} >= set(scaled_out.values())

    server.kubectl("scale", "sts", "web", "--replicas=3", "-n", namespace)
    wait_until(lambda: pods_running(server, namespace, ["web-0", "web-1", "web-2"]),
               what="3 pods again")
    # "The newly created pods use the existing PVCs and PVs."
    assert bound_claims(server, namespace, 3) == scaled_out

    described = server.kubectl("describe", "pod", "web-1", "-n", namespace).stdout
    # kubectl aligns describe's columns over the whole output, so compare words.
    claim_lines = [line.split() for line in described.splitlines() if "ClaimName" in line]
    assert claim_lines == [["ClaimName:", "disk-ssd-web-1"]]
    old_uid = server.kubectl("get", "pod", "web-1", "-n", namespace,
                             "-o", "jsonpath={.metadata.uid}").stdout

    watch = server.kubectl_popen("get", "pod", "-w", "-l", "app=nginx", "-n", namespace)
    lines = LineReader(watch.stdout)
    try:
        lines.wait_for(lambda line: line.startswith("web-2"))
        out = server.kubectl("delete", "pod", "web-1", "-n", namespace)
        assert out.stdout.strip() == f'pod "web-1" deleted from {namespace} namespace'
        lines.wait_for(lambda line: line.split()[:3] == ["web-1", "1/1", "Running"]
                       and "Terminating" in "".join(lines.seen))
    finally:
        watch.terminate()
        watch.wait(timeout=5)
    web1 = [line.split()[2] for line in lines.seen if line.startswith("web-1")]
    assert "Terminating" in web1 and web1[-1] == "Running", lines.seen
    assert web1.index("Terminating") < len(web1) - 1 - web1[::-1].index("Pending"), lines.seen

    wait_until(lambda: pods_running(server, namespace, ["web-0", "web-1", "web-2"]),
               what="web-1 back")
    new_uid = server.kubectl("get", "pod", "web-1", "-n", namespace,
                             "-o", "jsonpath={.metadata.uid}").stdout
    assert new_uid != old_uid
    # "The recreated pod uses the same PVC as the deleted pod."
    described = server.kubectl("describe", "pod", "web-1", "-n", namespace).stdout
    assert [line.split() for line in described.splitlines() if "ClaimName" in line] == [
        ["ClaimName:", "disk-ssd-web-1"]]
    assert bound_claims(server, namespace, 3) == scaled_out
    row = row_by_name(get_table(server, namespace, "statefulset")[1], "web")
    assert row[1] == "3/3"


# --- seed 001 ---------------------------------------------------------------------------

@pytest.mark.parametrize("verb", ["create", "apply"])
def test_daocloud_yaml_as_printed_is_rejected_by_kubectl(server, verb):
    out = server.kubectl(verb, "-f", str(DAOCLOUD_AS_PRINTED), check=False)
    assert out.returncode == 1
    # `-name: conf` on line 42 (printed without the space after the dash) turns the list
    # item into a scalar followed by a mapping.
    assert out.stderr.strip() == (
        f"error: error parsing {DAOCLOUD_AS_PRINTED}: error converting YAML to JSON: "
        "yaml: line 42: mapping values are not allowed in this context"
    )
    assert out.stdout == ""
    listed = server.kubectl("get", "statefulsets", "-A", "-o", "name").stdout
    assert DAOCLOUD_SET not in listed


def test_daocloud_corrected_yaml_differs_only_in_layout():
    """The corrected fixture fixes indentation and the missing spaces and line breaks, and
    nothing else: both say the same words in the same order."""
    def words(path):
        return path.read_text().replace("-name:", "- name:").replace(
            "fieldRef:apiVersion:", "fieldRef: apiVersion:").replace(
            "lifecycle:preStop:", "lifecycle: preStop:").split()

    assert words(DAOCLOUD_AS_PRINTED) == words(DAOCLOUD_CORRECTED)
    doc = yaml.safe_load(DAOCLOUD_CORRECTED.read_text())
    assert doc["metadata"]["resourceVersion"] == "20504385"


def test_daocloud_exported_resource_version_is_dropped_by_kubectl_and_refused_by_the_api(server):
    # kubectl's create clears metadata.resourceVersion before it posts, so the exported
    # object is accepted through kubectl, as with upstream.
    out = server.kubectl("create", "-f", str(DAOCLOUD_CORRECTED))
    assert out.stdout.strip() == f"statefulset.apps/{DAOCLOUD_SET} created"
    server.kubectl("delete", "statefulset", DAOCLOUD_SET, "-n", "default", "--cascade=foreground")
    # A client that posts it unchanged gets upstream storage's refusal.
    body = yaml.safe_load(DAOCLOUD_CORRECTED.read_text())
    resp = server.session().post(server.url("/apis/apps/v1/namespaces/default/statefulsets"),
                                 json=body, timeout=10)
    assert resp.status_code == 500, resp.text
    status = resp.json()
    assert status["reason"] == "InternalError"
    assert status["message"] == (
        "Internal error occurred: resourceVersion should not be set on objects to be created"
    )
    assert server.session().get(
        server.url(f"/apis/apps/v1/namespaces/default/statefulsets/{DAOCLOUD_SET}"), timeout=10
    ).status_code == 404


def daocloud_without_resource_version() -> str:
    """The corrected YAML with the one exported field a create may not carry removed."""
    doc = yaml.safe_load(DAOCLOUD_CORRECTED.read_text())
    del doc["metadata"]["resourceVersion"]
    return yaml.safe_dump(doc)


@pytest.fixture(scope="module")
def daocloud_set(server):
    out = server.kubectl("create", "-f", "-", input=daocloud_without_resource_version())
    assert out.stdout.strip() == f"statefulset.apps/{DAOCLOUD_SET} created"
    return server


def test_daocloud_corrected_yaml_is_accepted(daocloud_set):
    server = daocloud_set
    apps = k8s_client.AppsV1Api(server.api_client)
    core = k8s_client.CoreV1Api(server.api_client)
    sts = apps.read_namespaced_stateful_set(DAOCLOUD_SET, "default")
    # Server-owned metadata from the export is replaced, not kept.
    assert sts.metadata.uid != DAOCLOUD_EXPORTED_UID
    assert sts.metadata.creation_timestamp.year > 2022
    assert sts.metadata.generation == 1
    # The ownerReference is stored as given: the API server does not check owners.
    [owner] = sts.metadata.owner_references
    assert (owner.api_version, owner.kind, owner.name, owner.uid, owner.controller,
            owner.block_owner_deletion) == (
        "mysql.presslabs.org/v1alpha1", "MysqlCluster", "test-mysql-123",
        "5e877cc3-5167-49da-904e-820940cf1a6d", True, True)

    # The exported status is dropped and the controller computes its own.
    sts = wait_until(lambda: (lambda s: s if s.status.ready_replicas == 1
                              and s.status.observed_generation == 1 else None)(
        apps.read_namespaced_stateful_set(DAOCLOUD_SET, "default")), what="1 ready replica")
    assert sts.status.current_revision == sts.status.update_revision
    assert sts.status.update_revision.startswith(f"{DAOCLOUD_SET}-")
    revision = apps.read_namespaced_controller_revision(sts.status.update_revision, "default")
    assert revision.revision == 1

    pod = core.read_namespaced_pod(f"{DAOCLOUD_SET}-0", "default")
    assert pod.spec.hostname == f"{DAOCLOUD_SET}-0" and pod.spec.subdomain == "mysql"
    data = next(v for v in pod.spec.volumes if v.name == "data")
    assert data.persistent_volume_claim.claim_name == f"data-{DAOCLOUD_SET}-0"
    claim = wait_until(lambda: (lambda c: c if c.status.phase == "Bound" else None)(
        core.read_namespaced_persistent_volume_claim(f"data-{DAOCLOUD_SET}-0", "default")),
        what="claim Bound")
    assert claim.spec.storage_class_name == "local-path"
    assert claim.spec.resources.requests["storage"] == "1Gi"

    # Upstream's garbage collector cannot resolve MysqlCluster and so never treats the
    # owner as gone: the StatefulSet, its pod and its claim stay.
    time.sleep(3)
    still = apps.read_namespaced_stateful_set(DAOCLOUD_SET, "default")
    assert still.metadata.uid == sts.metadata.uid
    assert still.metadata.deletion_timestamp is None
    assert core.read_namespaced_pod(f"{DAOCLOUD_SET}-0", "default").metadata.uid == \
        pod.metadata.uid
    assert core.read_namespaced_persistent_volume_claim(
        f"data-{DAOCLOUD_SET}-0", "default").metadata.deletion_timestamp is None


def test_daocloud_claim_keeps_template_owner_reference(daocloud_set):
    core = k8s_client.CoreV1Api(daocloud_set.api_client)
    claim = wait_until(lambda: core.read_namespaced_persistent_volume_claim(
        f"data-{DAOCLOUD_SET}-0", "default"), what="claim")
    refs = [(r.kind, r.name, r.uid, r.controller) for r in claim.metadata.owner_references or []]
    assert refs == [("MysqlCluster", "test-mysql-123",
                     "5e877cc3-5167-49da-904e-820940cf1a6d", True)]
