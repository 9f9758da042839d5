"""Services and what the endpoints controllers make of them, seen through kubectl."""

import json

import pytest

from util import SIMULATED_NODE_ARGS, dump, wait_until


@pytest.fixture(scope="module")
def server(server_pool):
    return server_pool.start(extra_args=SIMULATED_NODE_ARGS)


def service(name, selector, **spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": selector, "ports": [{"port": 80}], **spec}}


def test_external_name_service_gets_no_endpoints(server, namespace):
    server.kubectl("run", "web", "--image=nginx", "--labels=app=web", "-n", namespace)
    server.kubectl("wait", "pod/web", "-n", namespace, "--for=condition=Ready", "--timeout=30s")
    server.kubectl("create", "-n", namespace, "-f", "-", input=dump(
        service("alias", {"app": "web"}, type="ExternalName", externalName="db.example.com"),
        service("direct", {"app": "web"}),
    ))

    # The ClusterIP service with the same selector gets its endpoints; by then the
    # controller has been through the ExternalName one too.
    def endpoints(name):
        out = server.kubectl("get", "endpoints", name, "-n", namespace, "-o", "json",
                             check=False)
        return json.loads(out.stdout).get("subsets") if out.returncode == 0 else None
    wait_until(lambda: endpoints("direct"), what="the endpoints of the ClusterIP service")
    wait_until(lambda: server.kubectl("get", "endpointslices", "-n", namespace, "-l",
                                      "kubernetes.io/service-name=direct", "-o", "name").stdout,
               what="the slice of the ClusterIP service")

    missing = server.kubectl("get", "endpoints", "alias", "-n", namespace, check=False)
    assert missing.returncode != 0
    assert 'endpoints "alias" not found' in missing.stderr
    slices = server.kubectl("get", "endpointslices", "-n", namespace, "-l",
                            "kubernetes.io/service-name=alias")
    assert slices.stderr.strip() == f"No resources found in {namespace} namespace."
    row = server.kubectl("get", "svc", "alias", "-n", namespace, "--no-headers").stdout.split()
    assert row[1:4] == ["ExternalName", "<none>", "db.example.com"]
