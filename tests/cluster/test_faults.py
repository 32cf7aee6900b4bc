"""Fault injection for the fake kubectl, and the real executable (a few subprocess runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.fakes.chaos import PROFILES, ChaosProfile, FaultPlan, KubectlFault
from course_lib.fakes.cluster import load_scenario
from course_lib.fakes.cluster.faults import HUGE_LOG_LINES, INJECTED_LINE, fault_for_call, inject, simulate
from course_lib.fakes.cluster.kubectl import run_kubectl

S = load_scenario("crashloop-app-error")
POD = "checkout-6d8f7b9c5d-q7x2m"
LOGS = ["logs", POD, "-n", "shop"]
GET = ["get", "pods", "-n", "shop"]


def plan_for(fault: KubectlFault, latency: float = 3.0) -> FaultPlan:
    return FaultPlan(ChaosProfile("only", "test", kubectl={fault: 1.0}, kubectl_latency_s=latency), seed=1)


def apply(fault: KubectlFault, argv: list[str]):  # type: ignore[no-untyped-def]
    return inject(fault, argv, run_kubectl(argv, S), plan_for(fault), 0, S.now)


EXPECTED_STDERR = {
    KubectlFault.CONNECTION_REFUSED: "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n",
    KubectlFault.UNAUTHORIZED: "error: You must be logged in to the server (the server has asked for the client to provide credentials)\n",
    KubectlFault.FORBIDDEN: 'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:diag:k8s-agent" cannot list resource "pods" in API group "" in the namespace "shop"\n',
    KubectlFault.TOO_MANY_REQUESTS: "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later (list pods)\n",
}  # fmt: skip


@pytest.mark.parametrize("fault", list(EXPECTED_STDERR))
def test_error_faults_print_kubectl_texts(fault: KubectlFault) -> None:
    effect = apply(fault, GET)
    assert effect.output.exit_code == 1 and effect.output.stdout == "" and effect.fault is fault
    assert effect.output.stderr.endswith(EXPECTED_STDERR[fault])


def test_refused_and_unauthorized_show_the_discovery_retries() -> None:
    stderr = apply(KubectlFault.CONNECTION_REFUSED, GET).output.stderr
    assert (
        stderr.count('memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list')
        == 5
    )


def test_forbidden_names_the_right_rbac_verb() -> None:
    assert 'cannot get resource "pods/log"' in apply(KubectlFault.FORBIDDEN, LOGS).output.stderr
    named = apply(KubectlFault.FORBIDDEN, ["describe", "pod", POD, "-n", "shop"]).output.stderr
    assert f'pods "{POD}" is forbidden' in named and 'cannot get resource "pods"' in named


def test_server_error_is_500_or_503() -> None:
    stderrs = {
        inject(
            KubectlFault.SERVER_ERROR, GET, run_kubectl(GET, S), plan_for(KubectlFault.SERVER_ERROR), c, S.now
        ).output.stderr.split(")")[0]
        for c in range(30)
    }
    assert stderrs == {"Error from server (InternalError", "Error from server (ServiceUnavailable"}


def test_latency_returns_a_delay_and_the_normal_output() -> None:
    effect = apply(KubectlFault.LATENCY, GET)
    assert effect.delay_s == 3.0 and effect.output == run_kubectl(GET, S)


def test_huge_output_keeps_the_real_logs_at_the_end() -> None:
    out = apply(KubectlFault.HUGE_OUTPUT, LOGS).output
    lines = out.stdout.splitlines()
    assert len(lines) == HUGE_LOG_LINES + 10 and lines[-1] == "KeyError: 'DATABASE_URL'"
    assert len(out.stdout) > 3_000_000


def test_garbage_output_is_truncated_and_binary_looking() -> None:
    normal = run_kubectl(["get", "pod", POD, "-n", "shop", "-o", "json"], S).stdout
    out = apply(KubectlFault.GARBAGE_OUTPUT, ["get", "pod", POD, "-n", "shop", "-o", "json"]).output
    assert out.exit_code == 0 and out.stdout != normal and len(out.stdout) < len(normal)
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.stdout)


def test_crash_is_a_go_panic_with_exit_2() -> None:
    out = apply(KubectlFault.CRASH, GET).output
    assert out.exit_code == 2 and out.stderr.startswith("panic: runtime error")


def test_injection_plants_a_line_in_logs() -> None:
    out = apply(KubectlFault.INJECTION, LOGS).output
    assert INJECTED_LINE.format(namespace="shop") in out.stdout and out.stdout.endswith(
        "KeyError: 'DATABASE_URL'\n"
    )


def test_usage_errors_are_never_faulted() -> None:
    argv = ["get", "pods", "--bogus"]
    assert apply(KubectlFault.CONNECTION_REFUSED, argv).output == run_kubectl(argv, S)


def test_every_kubectl_fault_kind_is_handled() -> None:
    for fault in KubectlFault:
        assert apply(fault, LOGS).fault is fault


def test_faults_are_deterministic_per_seed_and_call() -> None:
    plan = FaultPlan(PROFILES["storm"], seed=7)
    first = [fault_for_call(plan, c) for c in range(200)]
    assert first == [fault_for_call(FaultPlan(PROFILES["storm"], seed=7), c) for c in range(200)]
    assert first != [fault_for_call(FaultPlan(PROFILES["storm"], seed=8), c) for c in range(200)]
    share = sum(f is not None for f in first) / len(first)
    assert 0.15 < share < 0.45  # storm: 30 % of kubectl calls fail
    assert [simulate(GET, S, plan, c) for c in range(20)] == [simulate(GET, S, plan, c) for c in range(20)]


def test_no_faults_without_a_profile() -> None:
    plan = FaultPlan(PROFILES["none"])
    assert all(simulate(GET, S, plan, c).fault is None for c in range(50))


# -------------------------------------------------------------- the executable
def _run(args: list[str], env: dict[str, str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "course_lib", "kubectl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        check=False,
    )


def test_executable_logs_every_invocation_and_counts_calls(tmp_path: Path) -> None:
    log = tmp_path / "kubectl.log"
    env = {"COURSE_SCENARIO": "crashloop-app-error", "COURSE_KUBECTL_LOG": str(log)}
    first = _run(["get", "pods", "-n", "shop"], env)
    second = _run(["delete", "pod", POD, "-n", "shop"], env)
    assert first.returncode == 0 and "CrashLoopBackOff" in first.stdout
    assert second.returncode == 1 and "read-only" in second.stderr
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        ["get", "pods", "-n", "shop"],
        ["delete", "pod", POD, "-n", "shop"],
    ]
    assert (tmp_path / "kubectl.log.calls").read_text() == "2"


def test_executable_reports_bad_configuration() -> None:
    out = _run(["get", "pods"], {"COURSE_SCENARIO": "no-such-scenario"})
    assert out.returncode == 1 and "unknown scenario 'no-such-scenario'" in out.stderr
    out = _run(["get", "pods"], {"COURSE_CHAOS": "tornado"})
    assert out.returncode == 1 and "unknown chaos profile" in out.stderr


def test_executable_cold_start_does_not_import_langchain() -> None:
    code = (
        "import sys; from course_lib.fakes.kubectl_cli import main; main(['version', '--client']); "
        "print(sorted(m for m in sys.modules if m.startswith(('langchain', 'openai', 'pydantic'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=True)
    assert out.stdout.strip().endswith("[]")


def test_executable_moves_the_scenario_to_a_given_now() -> None:
    out = _run(
        ["get", "pods", "-n", "shop"],
        {"COURSE_SCENARIO": "crashloop-app-error", "COURSE_CLUSTER_NOW": "2030-01-01T00:00:00Z"},
    )
    assert "8 (2m39s ago)   18m" in out.stdout
