"""The kubectl tools: every scenario through every tool, faults, timeouts, truncation, typed results."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import ChaosProfile, FaultPlan, KubectlFault
from course_lib.fakes.cluster import list_scenarios, load_scenario
from course_lib.tools import (
    ErrorKind,
    InProcessRunner,
    KubectlSettings,
    KubectlTools,
    KubectlTransientError,
    SubprocessRunner,
    all_tools,
    approx_tokens,
    cap_output,
    classify,
)

NAMES = list_scenarios()


def in_process(scenario: str, **kw: object) -> KubectlTools:
    return KubectlTools(KubectlSettings(scenario=scenario, clock=VirtualClock(), **kw), mode="in-process")  # type: ignore[arg-type]


def only(fault: KubectlFault, latency: float = 3.0) -> FaultPlan:
    return FaultPlan(
        ChaosProfile("only-" + fault, "test", kubectl={fault: 1.0}, kubectl_latency_s=latency), seed=3
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_scenario_through_every_tool(name: str) -> None:
    s = load_scenario(name)
    tools = in_process(name)
    listing = tools.list_pods(s.namespace)
    events = tools.get_events(s.namespace)
    assert all(p["metadata"]["name"] in listing for p in s.pods)
    assert not events.startswith("Error") and "Event" not in events[:0]
    for pod in s.pods:
        pod_name = pod["metadata"]["name"]
        status = tools.get_pod_status(pod_name, s.namespace)
        assert status.startswith(f"Pod {s.namespace}/{pod_name}\n  Status: ")
        describe = tools.describe_pod(pod_name, s.namespace)
        assert describe.split("\n", 1)[0].split() == ["Name:", pod_name]
        logs = tools.get_pod_logs(pod_name, s.namespace)
        assert logs and "Traceback" not in logs[:0]
        assert not tools.get_events(s.namespace, pod_name).startswith("Error")
        for c in pod["spec"]["containers"]:
            answer = tools.get_pod_logs(pod_name, s.namespace, container=c["name"], previous=True, tail=20)
            assert (
                answer.startswith(("Error: previous terminated container", "(no log output", "Error: "))
                or answer
            )
    kinds = {r.error.kind for r in tools.results if r.error}
    assert kinds <= {ErrorKind.BAD_REQUEST, ErrorKind.SERVER_ERROR}  # waiting containers, unreachable node


@pytest.mark.parametrize(
    "name", ["crashloop-app-error", "imagepull-bad-tag", "pending-unbound-pvc", "healthy-shop"]
)
def test_subprocess_and_in_process_runners_agree(name: str) -> None:
    s = load_scenario(name)
    pod = s.pods[0]["metadata"]["name"]
    real = KubectlTools(KubectlSettings(scenario=name, timeout_s=20))
    fast = in_process(name)
    for call in (
        lambda t: t.list_pods(s.namespace),
        lambda t: t.describe_pod(pod, s.namespace),
        lambda t: t.get_pod_logs(pod, s.namespace, tail=5),
    ):
        assert call(real) == call(fast)
    assert [r.exit_code for r in real.results] == [r.exit_code for r in fast.results]


def test_typed_results_record_argv_and_outcome() -> None:
    tools = in_process("crashloop-app-error")
    tools.get_pod_status("nope", "shop")
    result = tools.results[-1]
    assert result.argv[-6:] == ("get", "pod", "nope", "-n", "shop", "-o", "json")[-6:]
    assert result.exit_code == 1 and result.error is not None
    assert (
        result.error.kind is ErrorKind.NOT_FOUND
        and not result.error.retryable
        and result.error.reason == "NotFound"
    )


def test_status_summary_carries_state_and_exit_codes() -> None:
    text = in_process("oomkilled").get_pod_status("report-worker-84c5d9f7b-xv2lp", "data")
    assert "Status: CrashLoopBackOff (phase Running), 0/1 containers ready, 6 restarts" in text
    assert "last state: Terminated, reason OOMKilled, exit code 137" in text
    pending = in_process("pending-node-selector").get_pod_status("gpu-inference-6b8c7d9f4-lx7pq", "ml")
    assert "didn't match Pod's node affinity/selector" in pending and "<none> (not scheduled)" in pending


def test_messages_for_empty_results() -> None:
    tools = in_process("healthy-shop")
    assert tools.list_pods("nope").startswith("No resources found in nope namespace. Check the namespace")
    assert "Events expire" in tools.get_events("nope")
    pending = in_process("pending-taint").get_pod_logs("etl-scheduler-5c7d9b8f6-n8vwd", "data")
    assert pending.startswith("(no log output")


FAULT_KINDS = {
    KubectlFault.CONNECTION_REFUSED: (ErrorKind.CONNECTION_REFUSED, True, "cannot reach the Kubernetes API server"),
    KubectlFault.UNAUTHORIZED: (ErrorKind.UNAUTHORIZED, False, "not authenticated"),
    KubectlFault.FORBIDDEN: (ErrorKind.FORBIDDEN, False, "permission denied (Forbidden)"),
    KubectlFault.TOO_MANY_REQUESTS: (ErrorKind.TOO_MANY_REQUESTS, True, "rate limiting"),
    KubectlFault.SERVER_ERROR: (ErrorKind.SERVER_ERROR, True, "API server failed"),
    KubectlFault.CRASH: (ErrorKind.CRASH, False, "kubectl crashed (exit code 2)"),
    KubectlFault.GARBAGE_OUTPUT: (ErrorKind.INVALID_OUTPUT, True, "not a valid pod object"),
    KubectlFault.LATENCY: (ErrorKind.TIMEOUT, True, "did not answer within 10 s"),
}  # fmt: skip


@pytest.mark.parametrize("fault", list(FAULT_KINDS))
def test_faults_become_typed_errors_and_actionable_messages(fault: KubectlFault) -> None:
    kind, retryable, words = FAULT_KINDS[fault]
    clock = VirtualClock()
    tools = KubectlTools(
        KubectlSettings(scenario="oomkilled", clock=clock, fault_plan=only(fault, latency=30)),
        mode="in-process",
    )
    text = tools.get_pod_status("report-worker-84c5d9f7b-xv2lp", "data")
    assert text.startswith("Error: ") and words in text
    error = tools.results[-1].error
    assert error is not None and error.kind is kind and error.retryable is retryable
    if fault is KubectlFault.LATENCY:
        assert clock.now() == 10.0 and tools.results[-1].exit_code is None


def test_short_latency_passes_virtual_time_and_succeeds() -> None:
    clock = VirtualClock()
    tools = KubectlTools(
        KubectlSettings(scenario="oomkilled", clock=clock, fault_plan=only(KubectlFault.LATENCY, 2.5)),
        mode="in-process",
    )
    assert "report-worker" in tools.list_pods("data")
    assert clock.now() == 2.5 and clock.sleeps == [] and tools.results[-1].duration_s == 2.5


def test_huge_logs_are_capped_keeping_the_newest_lines() -> None:
    tools = in_process(
        "crashloop-app-error", fault_plan=only(KubectlFault.HUGE_OUTPUT), max_output_tokens=500
    )
    text = tools.get_pod_logs("checkout-6d8f7b9c5d-q7x2m", "shop", tail=5000)
    assert approx_tokens(text) <= 500
    assert text.startswith("[... truncated: ") and "older lines" in text
    assert text.endswith("KeyError: 'DATABASE_URL'\n")


def test_injected_instructions_reach_the_model_as_data_only() -> None:
    tools = in_process("crashloop-app-error", fault_plan=only(KubectlFault.INJECTION))
    text = tools.get_pod_logs("checkout-6d8f7b9c5d-q7x2m", "shop")
    assert "ignore all previous instructions" in text and all(r.ok for r in tools.results)


def test_raise_on_transient_raises_only_for_retryable_errors() -> None:
    tools = in_process("oomkilled", fault_plan=only(KubectlFault.SERVER_ERROR), raise_on_transient=True)
    with pytest.raises(KubectlTransientError) as info:
        tools.list_pods("data")
    assert info.value.result.error is not None and info.value.result.error.retryable
    denied = in_process("oomkilled", fault_plan=only(KubectlFault.FORBIDDEN), raise_on_transient=True)
    assert denied.list_pods("data").startswith("Error: permission denied")


def test_calls_are_numbered_so_faults_follow_the_call_sequence() -> None:
    plan = FaultPlan.named("storm", seed=11)
    runs = []
    for _ in range(2):
        tools = in_process("oomkilled", fault_plan=plan)
        for _ in range(30):
            tools.list_pods("data")
        runs.append([(r.call_index, r.error.kind if r.error else None) for r in tools.results])
    assert runs[0] == runs[1] and [i for i, _ in runs[0]] == list(range(30))
    assert any(kind is not None for _, kind in runs[0])


# ------------------------------------------------------------ real processes
def test_subprocess_timeout_really_fires() -> None:
    settings = KubectlSettings(
        scenario="oomkilled", timeout_s=0.3, fault_plan=only(KubectlFault.LATENCY, 1.0)
    )
    tools = KubectlTools(settings)
    text = tools.list_pods("data")
    result = tools.results[-1]
    assert text.startswith("Error: kubectl did not answer within 0.3 s")
    assert result.error is not None and result.error.kind is ErrorKind.TIMEOUT and result.exit_code is None
    assert 0.3 <= result.duration_s < 1.0


def test_missing_binary_is_reported_not_raised(tmp_path: Path) -> None:
    tools = KubectlTools(KubectlSettings(binary=(str(tmp_path / "no-kubectl"),)))
    text = tools.list_pods("shop")
    assert text.startswith("Error: the kubectl executable is not available")
    assert tools.results[-1].error is not None and tools.results[-1].error.kind is ErrorKind.BINARY_MISSING


def test_subprocess_faults_and_invocation_log(tmp_path: Path) -> None:
    log = tmp_path / "k.log"
    settings = KubectlSettings(
        scenario="oomkilled",
        log_path=str(log),
        fault_plan=only(KubectlFault.UNAUTHORIZED),
        kubeconfig="/tmp/kc",
        context="lab",
    )
    tools = KubectlTools(settings)
    assert "not authenticated" in tools.describe_pod("report-worker-84c5d9f7b-xv2lp", "data")
    line = json.loads(log.read_text())
    assert line == [
        "--kubeconfig=/tmp/kc",
        "--context=lab",
        "describe",
        "pod",
        "report-worker-84c5d9f7b-xv2lp",
        "-n",
        "data",
    ]
    assert tools.results[-1].argv[:4] == (sys.executable, "-m", "course_lib", "kubectl")


def test_runners_refuse_mutating_argv() -> None:
    from course_lib.safety.validation import ReadOnlyViolation

    for runner in (SubprocessRunner(), InProcessRunner(KubectlSettings(clock=VirtualClock()))):
        with pytest.raises(ReadOnlyViolation):
            runner.run(["delete", "pod", "x"])


# ------------------------------------------------------------ pieces
def test_cap_output_head_and_tail() -> None:
    text = "".join(f"line {i:05d}\n" for i in range(10_000))
    tail = cap_output(text, 200, "tail")
    assert (
        approx_tokens(tail) <= 200 and tail.endswith("line 09999\n") and "older lines" in tail.splitlines()[0]
    )
    head = cap_output(text, 200, "head")
    assert (
        approx_tokens(head) <= 200
        and head.startswith("line 00000\n")
        and "more lines" in head.splitlines()[-1]
    )
    assert cap_output("short\n", 200) == "short\n"
    one_line = cap_output("x" * 10_000, 100)
    assert approx_tokens(one_line) <= 100
    with pytest.raises(ValueError, match="max_tokens"):
        cap_output(text, 0)


@pytest.mark.parametrize(
    ("code", "stderr", "kind"),
    [
        (1, 'Error from server (NotFound): pods "x" not found', ErrorKind.NOT_FOUND),
        (1, 'error: error from server (NotFound): pods "x" not found in namespace "d"', ErrorKind.NOT_FOUND),
        (1, "Error from server (Timeout): the server was unable to return a response", ErrorKind.TIMEOUT),
        (1, "Unable to connect to the server: net/http: TLS handshake timeout", ErrorKind.TIMEOUT),
        (
            1,
            "Unable to connect to the server: dial tcp: lookup nope: no such host",
            ErrorKind.CONNECTION_REFUSED,
        ),
        (1, "error: You must be logged in to the server (Unauthorized)", ErrorKind.UNAUTHORIZED),
        (1, "error: unknown flag: --x\nSee 'kubectl get --help' for usage.", ErrorKind.USAGE),
        (1, "error: container a is not valid for pod b", ErrorKind.BAD_REQUEST),
        (
            1,
            'Error from server: Get "https://10.0.0.1:10250/containerLogs": no route to host',
            ErrorKind.SERVER_ERROR,
        ),
        (1, "Error from server (Conflict): the object has been modified", ErrorKind.UNKNOWN),
        (-9, "", ErrorKind.CRASH),
        (3, "something odd", ErrorKind.UNKNOWN),
    ],
)
def test_classify(code: int, stderr: str, kind: ErrorKind) -> None:
    error = classify(code, stderr)
    assert error is not None and error.kind is kind and error.message
    assert classify(0, "No resources found in x namespace.") is None


def test_all_tools_contract() -> None:
    tools = all_tools(KubectlSettings(scenario="oomkilled", clock=VirtualClock()), mode="in-process")
    schemas = {t.name: set(t.args) for t in tools}
    assert schemas == {
        "list_pods": {"namespace"},
        "get_pod_status": {"pod_name", "namespace"},
        "describe_pod": {"pod_name", "namespace"},
        "get_pod_logs": {"pod_name", "namespace", "container", "previous", "tail"},
        "get_events": {"namespace", "pod_name"},
    }
    by_name = {t.name: t for t in tools}
    assert "OOMKilled" in by_name["describe_pod"].invoke(
        {"pod_name": "report-worker-84c5d9f7b-xv2lp", "namespace": "data"}
    )
    assert all(len(t.description) > 60 for t in tools)


def test_settings_reject_nonsense() -> None:
    with pytest.raises(TypeError):
        KubectlSettings(binary="kubectl")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout_s"):
        KubectlSettings(timeout_s=0)
    with pytest.raises(ValueError, match="max_output_tokens"):
        KubectlSettings(max_output_tokens=10)
    with pytest.raises(ValueError, match="mode"):
        KubectlTools(mode="telepathy")  # type: ignore[arg-type]
