"""kube-rs (the Rust client the controllers use) against berth over HTTPS, from another process.

The berth-agent crate's `simulated_cluster` example is a kube-rs program that registers
simulated nodes from a kubeconfig and runs the pods bound to them; `cargo test` builds it.
"""

import subprocess
import time

from util import dump, unique_name


def test_kube_rs_registers_a_node_and_runs_a_pod(server, namespace, berth_bin):
    example = berth_bin.parent / "examples" / "simulated_cluster"
    assert example.exists(), f"{example} missing: run `cargo test` (it builds examples) first"
    proc = subprocess.Popen([str(example), str(server.kubeconfig), "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            out = server.kubectl("get", "node", "sim-0", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}", check=False)
            if out.returncode == 0 and out.stdout == "True":
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the kube-rs node never became Ready")
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": unique_name("p")},
            "spec": {"nodeName": "sim-0", "containers": [{"name": "c", "image": "busybox"}]},
        }
        server.kubectl("create", "-n", namespace, "-f", "-", input=dump(pod))
        server.kubectl("wait", "-n", namespace, f"pod/{pod['metadata']['name']}",
                       "--for=condition=Ready", "--timeout=30s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
