"""What every namespace holds without anyone creating it, as on upstream clusters: the
ServiceAccount `default` (serviceaccounts-controller) and the ConfigMap `kube-root-ca.crt`
with the cluster CA (root-ca-cert-publisher), both put back when deleted or edited."""

import json

import pytest

from util import create_ns, unique_name, wait_until

SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]
DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters."
)
CA_JSONPATH = r"jsonpath={.data.ca\.crt}"


def get_json(server, *args):
    out = server.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(out.stdout) if out.returncode == 0 else None


def published_ca(server, namespace):
    out = server.kubectl("get", "cm", "kube-root-ca.crt", "-n", namespace, "-o", CA_JSONPATH,
                         check=False)
    return out.stdout if out.returncode == 0 else None


@pytest.mark.parametrize("namespace", SYSTEM_NAMESPACES)
def test_system_namespaces_have_the_defaults(server, namespace):
    wait_until(lambda: get_json(server, "sa", "default", "-n", namespace),
               what=f"ServiceAccount default in {namespace}")
    ca = wait_until(lambda: published_ca(server, namespace),
                    what=f"kube-root-ca.crt in {namespace}")
    assert ca == server.ca_path.read_text()


def test_new_namespace_gets_a_default_service_account_back_after_deletion(server):
    namespace = unique_name("sa")
    create_ns(server, namespace)
    first = wait_until(lambda: get_json(server, "sa", "default", "-n", namespace),
                       what="ServiceAccount default")
    listed = server.kubectl("get", "sa", "-n", namespace).stdout
    assert listed.splitlines()[0].split() == ["NAME", "SECRETS", "AGE"]
    assert listed.splitlines()[1].split()[:2] == ["default", "0"]

    server.kubectl("delete", "sa", "default", "-n", namespace)
    again = wait_until(
        lambda: (sa := get_json(server, "sa", "default", "-n", namespace))
        and sa["metadata"]["uid"] != first["metadata"]["uid"] and sa,
        what="a new ServiceAccount default",
    )
    assert again["metadata"]["name"] == "default"
    server.kubectl("delete", "namespace", namespace, "--wait=false")


def test_new_namespace_gets_the_cluster_ca_restored_after_deletion_and_edits(server):
    namespace = unique_name("ca")
    create_ns(server, namespace)
    kubeconfig_ca = server.ca_path.read_text()
    ca = wait_until(lambda: published_ca(server, namespace), what="kube-root-ca.crt")
    assert ca == kubeconfig_ca
    assert ca.startswith("-----BEGIN CERTIFICATE-----")
    cm = get_json(server, "cm", "kube-root-ca.crt", "-n", namespace)
    assert cm["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION}
    assert list(cm["data"]) == ["ca.crt"]

    # An edit is undone: the data and the description come back, other changes stay.
    server.kubectl("patch", "cm", "kube-root-ca.crt", "-n", namespace, "--type", "merge", "-p",
                   json.dumps({"data": {"ca.crt": "forged", "extra": "x"},
                               "metadata": {"annotations": {"kubernetes.io/description": None,
                                                            "team": "a"}}}))

    def restored():
        got = get_json(server, "cm", "kube-root-ca.crt", "-n", namespace)
        return got if got["data"] == {"ca.crt": kubeconfig_ca} else None
    got = wait_until(restored, what="the CA data restored")
    assert got["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION,
                                              "team": "a"}

    server.kubectl("delete", "cm", "kube-root-ca.crt", "-n", namespace)
    again = wait_until(
        lambda: (cm := get_json(server, "cm", "kube-root-ca.crt", "-n", namespace))
        and cm["metadata"]["uid"] != got["metadata"]["uid"] and cm,
        what="a new kube-root-ca.crt",
    )
    assert again["data"] == {"ca.crt": kubeconfig_ca}
    server.kubectl("delete", "namespace", namespace, "--wait=false")


def test_terminating_namespace_is_emptied_and_not_refilled(server):
    namespace = unique_name("gone")
    create_ns(server, namespace)
    wait_until(lambda: get_json(server, "sa", "default", "-n", namespace), what="the defaults")
    wait_until(lambda: published_ca(server, namespace), what="the defaults")
    # The namespace controller deletes them, the publishers do not put them back, and so
    # the namespace goes away.
    server.kubectl("delete", "namespace", namespace, "--timeout=30s")
    assert server.kubectl("get", "namespace", namespace, check=False).returncode != 0


def test_default_namespace_has_the_kubernetes_service(server):
    svc = json.loads(server.kubectl("get", "svc", "kubernetes", "-n", "default",
                                    "-o", "json").stdout)
    assert svc["spec"]["clusterIP"] == "10.96.0.1"
    assert svc["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    port = svc["spec"]["ports"][0]
    assert (port["name"], port["port"], port["protocol"]) == ("https", 443, "TCP")
    assert port["targetPort"] == server.port
    row = server.kubectl("get", "svc", "kubernetes", "-n", "default", "--no-headers").stdout.split()
    assert row[:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
