"""Fidelity: the REAL kubectl reading the loopback API server prints what the fake kubectl prints.

Both read the same scenario. The server moves the scenario to the current second before each
command, and the fake renders at that same moment, so ages agree. Skipped (with a reason) where
no kubectl is installed; CI machines have one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from course_lib.fakes.cluster import list_scenarios, load_scenario
from course_lib.fakes.cluster.kubectl import run_kubectl
from course_lib.fakes.k8s_api_server import LoopbackApiServer, serve, write_kubeconfig

KUBECTL = shutil.which("kubectl")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        KUBECTL is None, reason="no real kubectl on PATH: the fidelity check needs one (CI has it)"
    ),
]


@pytest.fixture(scope="module")
def kube_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kube-home")


def _commands(name: str) -> list[list[str]]:
    s = load_scenario(name)
    ns = ["-n", s.namespace]
    cmds = [["get", "pods", *ns, "-o", "wide"], ["get", "events", *ns],
            ["get", "pod", s.pods[0]["metadata"]["name"], *ns, "-o", "json"]]  # fmt: skip
    for pod in s.pods:
        pod_name = pod["metadata"]["name"]
        cmds.append(["describe", "pod", pod_name, *ns])
        statuses = pod["status"].get("initContainerStatuses", []) + pod["status"].get("containerStatuses", [])
        for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
            cmds.append(["logs", pod_name, *ns, "-c", c["name"]])
            if any(st["name"] == c["name"] and st.get("lastState") for st in statuses):
                cmds.append(["logs", pod_name, *ns, "-c", c["name"], "--previous", "--tail=3"])
    return cmds


def _run_both(
    server: LoopbackApiServer, args: list[str], home: Path, kubeconfig: Path
) -> tuple[tuple, tuple]:
    if time.time() % 1 > 0.8:  # start early in a second, so both sides see the same whole-second ages
        time.sleep(1.02 - time.time() % 1)
    moved = server.set_now(datetime.fromtimestamp(int(time.time()), UTC))
    env = {
        **os.environ,
        "HOME": str(home),
        "KUBECACHEDIR": str(home / "cache"),
        "KUBECONFIG": str(kubeconfig),
    }
    env.pop("KUBERNETES_SERVICE_HOST", None)
    real = subprocess.run([KUBECTL or "kubectl", *args], capture_output=True, text=True, env=env, timeout=30,
                          check=False)  # fmt: skip
    fake = run_kubectl(args, moved)
    return (real.stdout, real.stderr, real.returncode), (fake.stdout, fake.stderr, fake.exit_code)


@pytest.fixture
def server_for(kube_home: Path) -> Iterator[object]:
    servers: list[object] = []

    def start(name: str) -> tuple[LoopbackApiServer, Path]:
        ctx = serve(load_scenario(name))
        server = ctx.__enter__()
        servers.append(ctx)
        return server, write_kubeconfig(kube_home / f"{name}.kubeconfig", server.url)

    yield start
    for ctx in servers:
        ctx.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", list_scenarios())
def test_real_kubectl_prints_what_the_fake_prints(name: str, server_for, kube_home: Path) -> None:  # type: ignore[no-untyped-def]
    server, kubeconfig = server_for(name)
    for args in _commands(name):
        for _ in range(3):  # a second boundary may pass between the two renderings: try again
            real, fake = _run_both(server, args, kube_home, kubeconfig)
            if real == fake:
                break
        assert fake == real, f"kubectl {' '.join(args)} differs"


@pytest.mark.parametrize(
    "args",
    [
        ["get", "pod", "nope", "-n", "shop"], ["describe", "pod", "nope", "-n", "shop"], ["logs", "nope", "-n", "shop"],
        ["get", "pod", "nope", "-n", "nope"], ["logs", "nope", "-n", "nope"], ["get", "pods", "-n", "nope"],
        ["get", "events", "-n", "shop", "--field-selector", "involvedObject.name=frontend-7c9d8b6f5-2kq9x"],
        ["get", "pods", "-n", "shop", "-o", "yaml"], ["get", "pods", "-n", "shop", "-o", "name"],
        ["get", "pods", "-A"], ["get", "pods", "-n", "shop"], ["describe", "pods", "-n", "shop"],
        ["logs", "frontend-7c9d8b6f5-2kq9x", "-n", "shop", "--previous"],
    ],
)  # fmt: skip
def test_errors_and_formats_match(args: list[str], server_for, kube_home: Path) -> None:  # type: ignore[no-untyped-def]
    server, kubeconfig = server_for("healthy-shop")
    real, fake = _run_both(server, args, kube_home, kubeconfig)
    assert fake == real
