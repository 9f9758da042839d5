"""kubectl's writing commands: create, apply (client- and server-side), replace, edit, patch,
label, annotate, delete with cascades and grace periods, wait, dry-run, diff, namespaces,
generateName and managedFields."""

import json
import os
import re
import stat
import threading
import time

from util import (
    unique_name,
    LineReader,
    as_json,
    configmap,
    create_cm,
    dump,
    statefulset,
    wait_until,
)


def get_json(server, namespace, *what, check=True):
    result = server.kubectl("get", *what, "-n", namespace, "-o", "json", check=check)
    return json.loads(result.stdout) if result.returncode == 0 else None


def exists(server, namespace, *what) -> bool:
    out = server.kubectl("get", *what, "-n", namespace, "--ignore-not-found", "-o", "name").stdout
    return bool(out.strip())


def test_create_from_file(server, namespace):
    out = server.kubectl("create", "-n", namespace, "-f", "-", input=dump(configmap("from-file")))
    assert out.stdout.strip() == "configmap/from-file created"
    again = server.kubectl("create", "-n", namespace, "-f", "-", input=dump(configmap("from-file")),
                           check=False)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        'Error from server (AlreadyExists): error when creating "STDIN": '
        'configmaps "from-file" already exists'
    )


def test_create_generators(server, namespace):
    # kubectl's generator commands send protobuf bodies (Content-Type
    # application/vnd.kubernetes.protobuf), unlike `create -f` and apply.
    ns = unique_name("gen")
    assert server.kubectl("create", "namespace", ns).stdout.strip() == f"namespace/{ns} created"
    server.kubectl("delete", "namespace", ns, "--wait=false")
    out = server.kubectl("create", "secret", "generic", "sec", "-n", namespace,
                         "--from-literal=password=hunter2")
    assert out.stdout.strip() == "secret/sec created"
    secret = get_json(server, namespace, "secret", "sec")
    assert secret["type"] == "Opaque"
    assert secret["data"] == {"password": "aHVudGVyMg=="}
    out = server.kubectl("create", "configmap", "gen", "-n", namespace, "--from-literal=a=b")
    assert out.stdout.strip() == "configmap/gen created"
    assert get_json(server, namespace, "cm", "gen")["data"] == {"a": "b"}

    again = server.kubectl("create", "configmap", "gen", "-n", namespace, "--from-literal=a=b",
                           check=False)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        'error: failed to create configmap: configmaps "gen" already exists'
    )


def test_create_from_a_list_file_validates_each_item(server, namespace):
    items = [configmap("l1", {"a": "1"}), configmap("l2", {"b": "2"})]
    listing = {"apiVersion": "v1", "kind": "List", "items": items}
    out = server.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(listing))
    assert out.stdout.split() == ["configmap/l1", "created", "configmap/l2", "created"]
    bad = configmap("l3", {"c": "3"})
    bad["bogus"] = 1
    listing = {"apiVersion": "v1", "kind": "List", "items": [bad]}
    result = server.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(listing),
                            check=False)
    assert result.returncode == 1
    # Like against kube-apiserver, kubectl checks a List's items itself with the OpenAPI v2
    # definitions (it asks the server to validate only objects of a kind with a PATCH
    # operation in OpenAPI v3).
    assert result.stderr.strip() == (
        'error: error validating "STDIN": error validating data: ValidationError(ConfigMap): '
        'unknown field "bogus" in io.k8s.api.core.v1.ConfigMap; if you choose to ignore these '
        'errors, turn validation off with --validate=false'
    ), result.stderr
    assert server.kubectl("get", "cm", "l3", "-n", namespace, check=False).returncode == 1


def test_client_side_apply_three_way_merge(server, namespace):
    manifest = configmap("app", {"a": "1", "b": "2"})
    out = server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(manifest))
    assert out.stdout.strip() == "configmap/app created"
    live = get_json(server, namespace, "cm", "app")
    annotation = live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert json.loads(annotation)["data"] == {"a": "1", "b": "2"}

    out = server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(manifest))
    assert out.stdout.strip() == "configmap/app unchanged"

    # Someone else adds a key; the next apply drops "b" (it left the manifest) and changes
    # "a", but keeps the key it never managed.
    server.kubectl("patch", "cm", "app", "-n", namespace, "--type=merge",
                   "-p", '{"data":{"other":"x"}}')
    out = server.kubectl("apply", "-n", namespace, "-f", "-",
                         input=dump(configmap("app", {"a": "10"})))
    assert out.stdout.strip() == "configmap/app configured"
    assert get_json(server, namespace, "cm", "app")["data"] == {"a": "10", "other": "x"}


def test_client_side_apply_statefulset_update(server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(statefulset("web")))
    out = server.kubectl("apply", "-n", namespace, "-f", "-",
                         input=dump(statefulset("web", image="nginx:1.28")))
    assert out.stdout.strip() == "statefulset.apps/web configured"
    sts = get_json(server, namespace, "sts", "web")
    container = sts["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.28"
    assert container["ports"][0]["containerPort"] == 80
    assert sts["metadata"]["generation"] == 2


def test_server_side_apply_conflict_and_force(server, namespace):
    out = server.kubectl("apply", "--server-side", "-n", namespace, "-f", "-",
                         input=dump(configmap("ssa", {"key": "mine"})))
    assert out.stdout.strip() == "configmap/ssa serverside-applied"

    conflict = server.kubectl(
        "apply", "--server-side", "--field-manager=other", "-n", namespace, "-f", "-",
        input=dump(configmap("ssa", {"key": "theirs"})), check=False,
    )
    assert conflict.returncode == 1
    assert (
        'error: Apply failed with 1 conflict: conflict with "kubectl": .data.key'
        in conflict.stderr
    ), conflict.stderr
    assert get_json(server, namespace, "cm", "ssa")["data"] == {"key": "mine"}

    forced = server.kubectl(
        "apply", "--server-side", "--force-conflicts", "--field-manager=other",
        "-n", namespace, "-f", "-", input=dump(configmap("ssa", {"key": "theirs"})),
    )
    assert forced.stdout.strip() == "configmap/ssa serverside-applied"
    live = get_json(server, namespace, "cm", "ssa", "--show-managed-fields")
    assert live["data"] == {"key": "theirs"}
    owners = {
        entry["manager"]: entry for entry in live["metadata"]["managedFields"]
    }
    assert owners["other"]["operation"] == "Apply"
    assert "f:key" in owners["other"]["fieldsV1"]["f:data"]
    # The forced apply took the field away from the first manager.
    assert "f:key" not in owners.get("kubectl", {}).get("fieldsV1", {}).get("f:data", {})


def test_managed_fields_shown_on_request(server, namespace):
    create_cm(server, namespace, "mf", a="b")
    hidden = get_json(server, namespace, "cm", "mf")
    assert "managedFields" not in hidden["metadata"]
    shown = get_json(server, namespace, "cm", "mf", "--show-managed-fields")
    entries = shown["metadata"]["managedFields"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["manager"] == "kubectl-create"
    assert entry["operation"] == "Update"
    assert entry["apiVersion"] == "v1"
    assert entry["fieldsType"] == "FieldsV1"
    assert entry["fieldsV1"]["f:data"] == {".": {}, "f:a": {}}
    assert entry["time"].endswith("Z")


def test_replace_and_stale_replace(server, namespace):
    create_cm(server, namespace, "rep", a="1")
    obj = get_json(server, namespace, "cm", "rep")
    stale = json.loads(json.dumps(obj))
    obj["data"] = {"a": "2"}
    out = server.kubectl("replace", "-n", namespace, "-f", "-", input=json.dumps(obj))
    assert out.stdout.strip() == "configmap/rep replaced"
    assert get_json(server, namespace, "cm", "rep")["data"] == {"a": "2"}

    stale["data"] = {"a": "3"}
    result = server.kubectl("replace", "-n", namespace, "-f", "-", input=json.dumps(stale),
                            check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be '
        'fulfilled on configmaps "rep": the object has been modified; please apply your '
        "changes to the latest version and try again"
    )
    assert get_json(server, namespace, "cm", "rep")["data"] == {"a": "2"}


def test_edit_with_editor_script(server, namespace, tmp_path):
    create_cm(server, namespace, "ed", color="blue")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/color: blue/color: green/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    out = server.kubectl("edit", "cm", "ed", "-n", namespace,
                         env={"KUBE_EDITOR": str(editor), "EDITOR": str(editor)})
    assert out.stdout.strip() == "configmap/ed edited"
    assert get_json(server, namespace, "cm", "ed")["data"] == {"color": "green"}


def test_patch_types(server, namespace):
    create_cm(server, namespace, "pt", a="1")
    out = server.kubectl("patch", "cm", "pt", "-n", namespace, "--type=merge",
                         "-p", '{"data":{"b":"2"}}')
    assert out.stdout.strip() == "configmap/pt patched"
    out = server.kubectl("patch", "cm", "pt", "-n", namespace, "--type=json",
                         "-p", '[{"op":"remove","path":"/data/a"}]')
    assert out.stdout.strip() == "configmap/pt patched"
    assert get_json(server, namespace, "cm", "pt")["data"] == {"b": "2"}
    out = server.kubectl("patch", "cm", "pt", "-n", namespace, "--type=merge",
                         "-p", '{"data":{"b":"2"}}')
    assert out.stdout.strip() == "configmap/pt patched (no change)"

    failed = server.kubectl("patch", "cm", "pt", "-n", namespace, "--type=json",
                            "-p", '[{"op":"test","path":"/data/b","value":"9"}]', check=False)
    assert failed.returncode == 1
    assert get_json(server, namespace, "cm", "pt")["data"] == {"b": "2"}


def test_strategic_merge_patch_merges_containers_by_name(server, namespace):
    server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(statefulset("web")))
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.28"},
        {"name": "sidecar", "image": "busybox:1.36"},
    ]}}}}
    out = server.kubectl("patch", "sts", "web", "-n", namespace, "-p", json.dumps(patch))
    assert out.stdout.strip() == "statefulset.apps/web patched"
    containers = get_json(server, namespace, "sts", "web")["spec"]["template"]["spec"]["containers"]
    by_name = {c["name"]: c for c in containers}
    assert set(by_name) == {"nginx", "sidecar"}
    assert by_name["nginx"]["image"] == "nginx:1.28"
    # Strategic merge kept the port of the merged container; a merge patch would drop it.
    assert by_name["nginx"]["ports"] == [{"name": "web", "containerPort": 80, "protocol": "TCP"}]

    delete = {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "$patch": "delete"}
    ]}}}}
    server.kubectl("patch", "sts", "web", "-n", namespace, "-p", json.dumps(delete))
    containers = get_json(server, namespace, "sts", "web")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["nginx"]


def test_label_and_annotate(server, namespace):
    create_cm(server, namespace, "lbl", a="1")
    assert server.kubectl("label", "cm", "lbl", "-n", namespace, "tier=db").stdout.strip() == (
        "configmap/lbl labeled"
    )
    refused = server.kubectl("label", "cm", "lbl", "-n", namespace, "tier=web", check=False)
    assert refused.returncode == 1
    assert "'tier' already has a value (db), and --overwrite is false" in refused.stderr
    server.kubectl("label", "cm", "lbl", "-n", namespace, "tier=web", "--overwrite")
    assert get_json(server, namespace, "cm", "lbl")["metadata"]["labels"] == {"tier": "web"}
    assert server.kubectl("label", "cm", "lbl", "-n", namespace, "tier-").stdout.strip() == (
        "configmap/lbl unlabeled"
    )
    assert "labels" not in get_json(server, namespace, "cm", "lbl")["metadata"]

    out = server.kubectl("annotate", "cm", "lbl", "-n", namespace, "owner=team-a")
    assert out.stdout.strip() == "configmap/lbl annotated"
    annotations = get_json(server, namespace, "cm", "lbl")["metadata"]["annotations"]
    assert annotations["owner"] == "team-a"


def owned_configmap(name, owner, block=False, finalizers=None):
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if block:
        ref["blockOwnerDeletion"] = True
    meta = {"ownerReferences": [ref]}
    if finalizers:
        meta["finalizers"] = finalizers
    return configmap(name, **meta)


def make_owner(server, namespace, name="parent"):
    create_cm(server, namespace, name, a="1")
    return get_json(server, namespace, "cm", name)


def test_delete_cascade_background(server, namespace):
    owner = make_owner(server, namespace)
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(owned_configmap("child", owner)))
    out = server.kubectl("delete", "cm", "parent", "-n", namespace, "--cascade=background")
    # kubectl 1.37 names the namespace when it reports a deletion.
    assert out.stdout.strip() == f'configmap "parent" deleted from {namespace} namespace'
    assert not exists(server, namespace, "cm", "parent")
    wait_until(lambda: not exists(server, namespace, "cm", "child"), what="GC deletes the child")


def test_delete_cascade_orphan(server, namespace):
    owner = make_owner(server, namespace)
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(owned_configmap("child", owner)))
    server.kubectl("delete", "cm", "parent", "-n", namespace, "--cascade=orphan")
    assert not exists(server, namespace, "cm", "parent")
    child = wait_until(
        lambda: (c := get_json(server, namespace, "cm", "child"))
        and not c["metadata"].get("ownerReferences") and c,
        what="the orphaned child loses its ownerReference",
    )
    assert "deletionTimestamp" not in child["metadata"]


def test_delete_cascade_foreground_waits_for_blocking_dependents(server, namespace):
    owner = make_owner(server, namespace)
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(
        owned_configmap("child", owner, block=True, finalizers=["example.com/hold"])
    ))
    server.kubectl("delete", "cm", "parent", "-n", namespace, "--cascade=foreground",
                   "--wait=false")
    parent = get_json(server, namespace, "cm", "parent")
    assert parent["metadata"]["deletionTimestamp"]
    assert "foregroundDeletion" in parent["metadata"]["finalizers"]
    child = wait_until(
        lambda: (c := get_json(server, namespace, "cm", "child"))
        and c["metadata"].get("deletionTimestamp") and c,
        what="GC marks the child for deletion",
    )
    assert child["metadata"]["finalizers"] == ["example.com/hold"]
    assert exists(server, namespace, "cm", "parent"), "owner went before its blocking dependent"

    server.kubectl("patch", "cm", "child", "-n", namespace, "--type=merge",
                   "-p", '{"metadata":{"finalizers":null}}')
    wait_until(lambda: not exists(server, namespace, "cm", "child"), what="child goes")
    wait_until(lambda: not exists(server, namespace, "cm", "parent"), what="then the owner")


def test_delete_waits_for_finalizers(server, namespace):
    server.kubectl("create", "-n", namespace, "-f", "-",
                   input=dump(configmap("held", finalizers=["example.com/hold"])))
    timed_out = server.kubectl("delete", "cm", "held", "-n", namespace, "--timeout=2s",
                               check=False)
    assert timed_out.returncode != 0
    held = get_json(server, namespace, "cm", "held")
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0

    # kubectl prints "deleted" once the DELETE is accepted, then waits for the object to go.
    deleting = server.kubectl_popen("delete", "cm", "held", "-n", namespace, "--timeout=30s")
    try:
        LineReader(deleting.stdout).wait_for(
            lambda line: line == f'configmap "held" deleted from {namespace} namespace'
        )
        assert deleting.poll() is None, "kubectl delete returned while a finalizer held the object"
        server.kubectl("patch", "cm", "held", "-n", namespace, "--type=merge",
                       "-p", '{"metadata":{"finalizers":null}}')
        assert deleting.wait(timeout=30) == 0, deleting.stderr.read()
    finally:
        if deleting.poll() is None:
            deleting.kill()
    assert not exists(server, namespace, "cm", "held")


def test_pod_graceful_deletion(server, namespace):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "slow"},
           "spec": {"nodeName": "node-x", "containers": [{"name": "c", "image": "busybox"}]}}
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(pod))
    server.kubectl("delete", "pod", "slow", "-n", namespace, "--grace-period=60", "--wait=false")
    live = get_json(server, namespace, "pod", "slow")
    assert live["metadata"]["deletionTimestamp"]
    assert live["metadata"]["deletionGracePeriodSeconds"] == 60
    # The start of a graceful deletion is a change the kubelet must observe.
    assert live["metadata"]["generation"] == 2
    # Terminating is what `kubectl get` shows for it.
    out = server.kubectl("get", "pod", "slow", "-n", namespace, "--no-headers").stdout
    assert out.split()[2] == "Terminating"

    forced = server.kubectl("delete", "pod", "slow", "-n", namespace, "--grace-period=0",
                            "--force")
    assert forced.stdout.strip() == f'pod "slow" force deleted from {namespace} namespace'
    assert not exists(server, namespace, "pod", "slow")

    unscheduled = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "unbound"},
                   "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(unscheduled))
    server.kubectl("delete", "pod", "unbound", "-n", namespace, "--wait=false")
    assert not exists(server, namespace, "pod", "unbound"), "an unscheduled pod goes at once"


def test_wait_for_condition_jsonpath_and_delete(server, namespace):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "waiter"},
           "spec": {"nodeName": "node-x", "containers": [{"name": "c", "image": "busybox"}]}}
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(pod))

    def run_wait(key, *args):
        results[key] = server.kubectl("wait", "-n", namespace, "--timeout=30s", *args,
                                      check=False)

    results = {}
    threads = [
        threading.Thread(target=run_wait, args=("cond", "--for=condition=Ready", "pod/waiter")),
        threading.Thread(target=run_wait,
                         args=("path", "--for=jsonpath={.data.state}=done", "cm/job")),
    ]
    create_cm(server, namespace, "job", state="running")
    for thread in threads:
        thread.start()
    server.kubectl(
        "patch", "pod", "waiter", "-n", namespace, "--subresource=status", "--type=merge",
        "-p", json.dumps({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
    )
    server.kubectl("patch", "cm", "job", "-n", namespace, "--type=merge",
                   "-p", '{"data":{"state":"done"}}')
    for thread in threads:
        thread.join(timeout=40)
    assert results["cond"].returncode == 0, results["cond"].stderr
    assert results["cond"].stdout.strip() == "pod/waiter condition met"
    assert results["path"].returncode == 0, results["path"].stderr
    assert results["path"].stdout.strip() == "configmap/job condition met"

    deleter = threading.Thread(target=run_wait, args=("gone", "--for=delete", "cm/job"))
    deleter.start()
    time.sleep(1)  # let `kubectl wait` find the object before it goes
    server.kubectl("delete", "cm", "job", "-n", namespace)
    deleter.join(timeout=40)
    assert results["gone"].returncode == 0, results["gone"].stderr
    assert results["gone"].stdout.strip() == "configmap/job condition met"

    not_met = server.kubectl("wait", "-n", namespace, "--timeout=1s",
                             "--for=condition=Initialized", "pod/waiter", check=False)
    assert not_met.returncode != 0
    assert "timed out waiting for the condition on pods/waiter" in not_met.stderr


def test_server_dry_run_persists_nothing(server, namespace):
    manifest = json.dumps(configmap("dry", {"a": "1"}))
    out = server.kubectl("create", "-n", namespace, "-f", "-", "--dry-run=server", "-o", "json",
                         input=manifest)
    obj = json.loads(out.stdout)
    assert obj["metadata"]["name"] == "dry"
    assert obj["metadata"]["uid"], "server dry run returns the object as it would be stored"
    assert not exists(server, namespace, "cm", "dry")

    out = server.kubectl("create", "-n", namespace, "-f", "-", "--dry-run=server", input=manifest)
    assert out.stdout.strip() == "configmap/dry created (server dry run)"

    create_cm(server, namespace, "real", a="1")
    before = get_json(server, namespace, "cm", "real")
    server.kubectl("patch", "cm", "real", "-n", namespace, "--type=merge",
                   "-p", '{"data":{"a":"2"}}', "--dry-run=server")
    out = server.kubectl("delete", "cm", "real", "-n", namespace, "--dry-run=server")
    assert out.stdout.strip() == (
        f'configmap "real" deleted from {namespace} namespace (server dry run)'
    )
    after = get_json(server, namespace, "cm", "real")
    assert after["data"] == {"a": "1"}
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_diff_exit_codes(server, namespace):
    manifest = configmap("df", {"k": "v1"}, namespace=namespace)
    server.kubectl("apply", "-f", "-", input=dump(manifest))
    same = server.kubectl("diff", "-f", "-", input=dump(manifest), check=False)
    assert same.returncode == 0, same.stderr
    assert same.stdout == ""

    changed = server.kubectl("diff", "-f", "-",
                             input=dump(configmap("df", {"k": "v2"}, namespace=namespace)),
                             check=False)
    assert changed.returncode == 1, changed.stderr
    assert re.search(r"^-\s+k: v1$", changed.stdout, re.M), changed.stdout
    assert re.search(r"^\+\s+k: v2$", changed.stdout, re.M), changed.stdout
    assert get_json(server, namespace, "cm", "df")["data"] == {"k": "v1"}, "diff changed nothing"


def test_generate_name(server, namespace):
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"},
                "data": {"a": "1"}}
    names = set()
    for _ in range(3):
        out = server.kubectl("create", "-n", namespace, "-f", "-", input=dump(manifest))
        match = re.fullmatch(r"configmap/(gen-[bcdfghjklmnpqrstvwxz2456789]{5}) created",
                             out.stdout.strip())
        assert match, out.stdout
        names.add(match.group(1))
    assert len(names) == 3


def test_namespace_lifecycle(server):
    ns = "lifecycle-" + os.urandom(3).hex()
    server.kubectl("create", "-f", "-", input=dump(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
    ))
    server.kubectl("apply", "-n", ns, "-f", "-", input=dump(
        configmap("plain"),
        configmap("held", finalizers=["example.com/hold"]),
        statefulset("web"),
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
         "stringData": {"a": "b"}},
    ))
    server.kubectl("delete", "namespace", ns, "--wait=false")

    live = wait_until(
        lambda: (n := get_json(server, "default", "namespace", ns)) and n, what="namespace"
    )
    assert live["status"]["phase"] == "Terminating"
    assert live["metadata"]["deletionTimestamp"]

    refused = server.kubectl("create", "-n", ns, "-f", "-", input=dump(configmap("late")),
                             check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'Error from server (Forbidden): error when creating "STDIN": configmaps "late" is '
        f"forbidden: unable to create new content in namespace {ns} because it is being "
        "terminated"
    )

    wait_until(lambda: not exists(server, ns, "cm", "plain") and not exists(server, ns, "sts", "web")
               and not exists(server, ns, "secret", "s"), what="namespace contents deleted")
    assert exists(server, "default", "namespace", ns), "namespace outlived a held object"

    server.kubectl("patch", "cm", "held", "-n", ns, "--type=merge",
                   "-p", '{"metadata":{"finalizers":null}}')
    wait_until(lambda: not exists(server, "default", "namespace", ns), what="namespace removed")


def test_create_in_missing_namespace(server):
    result = server.kubectl("create", "-n", "does-not-exist", "-f", "-",
                            input=dump(configmap("x")), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (NotFound): error when creating "STDIN": '
        'namespaces "does-not-exist" not found'
    )


def test_apply_many_kinds_from_one_file(server, namespace):
    out = server.kubectl("apply", "-n", namespace, "-f", "-", input=dump(
        configmap("one"),
        statefulset("db"),
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner"}},
    ))
    assert out.stdout.splitlines() == [
        "configmap/one created",
        "statefulset.apps/db created",
        "serviceaccount/runner created",
    ]
    listed = as_json(server.kubectl("get", "cm,sts,sa", "-n", namespace, "-o", "json"))
    kinds = {(item["kind"], item["metadata"]["name"]) for item in listed["items"]}
    assert {("ConfigMap", "one"), ("StatefulSet", "db"), ("ServiceAccount", "runner")} <= kinds
