"""The naive agent fails the way the seed errata say, and survives where it honestly survives."""

from __future__ import annotations

import subprocess

import pytest
from langchain_core.messages import AIMessage
from langgraph.errors import GraphRecursionError

from course_lib.agent.naive import (
    SdkDefaultRetries,
    build_naive_agent,
    naive_kubectl_runner,
    naive_tools,
    openai_sdk_should_retry,
)
from course_lib.agent.result import Outcome
from course_lib.agent.runner import run_agent
from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import FaultPlan, KubectlFault
from course_lib.fakes.llm import (
    PolicyChatModel,
    ScriptedChatModel,
    authentication_error,
    rate_limit_error,
    server_error,
)
from course_lib.tools import KubectlSettings, all_tools


def test_outage_crashes_after_the_sdks_three_attempts() -> None:
    """Errata 1/7: the SDK retries twice on its own, then the error escapes create_agent."""
    result = run_agent("naive", "oomkilled", "outage", 0)
    assert result.outcome is Outcome.CRASHED
    assert result.unhandled_exception == "OpenAIAPIError"
    assert result.http_attempts == 3 and result.llm_calls == 1
    assert not result.correct and result.diagnosis is None


def test_a_kubectl_error_crashes_the_run() -> None:
    """Errata 2b/15: a failing command raises (check=True) and create_agent does not catch it."""
    result = run_agent("naive", "node-not-ready", "none", 0)
    assert result.outcome is Outcome.CRASHED
    assert result.unhandled_exception == "CalledProcessError"


def test_it_survives_a_quiet_day_honestly() -> None:
    result = run_agent("naive", "oomkilled", "none", 0)
    assert result.outcome is Outcome.ANSWERED and result.correct


def test_pod_names_become_flags() -> None:
    """Errata 16: no validation, so a pod name like ``-oyaml`` reaches kubectl's argv."""
    seen: list[list[str]] = []
    tools = {t.name: t for t in naive_tools(lambda args: seen.append(args) or "ok")}
    tools["get_pod_logs"].invoke({"pod_name": "--all-namespaces", "namespace": "-oyaml"})
    assert seen == [["logs", "--all-namespaces", "-n", "-oyaml", "--tail=100"]]


def test_output_is_not_truncated() -> None:
    """Errata 18: a huge log reaches the model whole; the production tool caps it."""
    profile = FaultPlan.named("hostile", 0)
    seed = next(
        s for s in range(200) if FaultPlan(profile.profile, s).kubectl_fault(0) is KubectlFault.HUGE_OUTPUT
    )
    plan = FaultPlan(profile.profile, seed)
    run = naive_kubectl_runner(scenario="crashloop-app-error", fault_plan=plan, clock=VirtualClock())
    args = ["logs", "checkout-6d8f7b9c5d-q7x2m", "-n", "shop", "--previous", "--tail=50"]
    huge = run(args)
    capped = all_tools(
        KubectlSettings(scenario="crashloop-app-error", fault_plan=plan, clock=VirtualClock()),
        mode="in-process",
    )[3].invoke({"pod_name": "checkout-6d8f7b9c5d-q7x2m", "namespace": "shop", "previous": True, "tail": 50})
    assert len(huge) > 20 * len(capped)
    assert "truncated" in capped


def test_slow_kubectl_has_no_timeout() -> None:
    profile = FaultPlan.named("storm").profile
    seed = next(s for s in range(200) if FaultPlan(profile, s).kubectl_fault(0) is KubectlFault.LATENCY)
    clock = VirtualClock()
    run = naive_kubectl_runner(scenario="oomkilled", fault_plan=FaultPlan(profile, seed), clock=clock)
    run(["get", "pods", "-n", "data", "-o", "wide"])
    assert clock.now() == profile.kubectl_latency_s


def test_kubectl_errors_raise_called_process_error() -> None:
    run = naive_kubectl_runner(scenario="oomkilled", clock=VirtualClock())
    with pytest.raises(subprocess.CalledProcessError) as info:
        run(["describe", "pod", "nope", "-n", "data"])
    assert "NotFound" in info.value.stderr


def test_subprocess_mode_runs_the_fake_executable() -> None:
    run = naive_kubectl_runner(scenario="oomkilled", mode="subprocess")
    assert "report-worker" in run(["get", "pods", "-n", "data"])
    with pytest.raises(ValueError, match="mode must be"):
        naive_kubectl_runner(scenario="oomkilled", mode="ssh")  # type: ignore[arg-type]


def test_a_looping_model_runs_until_the_recursion_limit() -> None:
    """Errata 25: create_agent's own limit is 9,999 steps; only the harness's guard stops it early."""
    loop = AIMessage(content="", tool_calls=[{"name": "list_pods", "args": {"namespace": "data"}, "id": "x"}])
    model = ScriptedChatModel(script=[loop])
    run = naive_kubectl_runner(scenario="oomkilled", clock=VirtualClock())
    agent = build_naive_agent(model, naive_tools(run))
    assert agent.config["recursion_limit"] == 9_999
    with pytest.raises(GraphRecursionError):
        agent.invoke({"messages": [{"role": "user", "content": "why?"}]}, config={"recursion_limit": 20})
    assert model.call_count == 10


class TestSdkDefaultRetries:
    def _model(self, script: list, clock: VirtualClock) -> SdkDefaultRetries:
        return SdkDefaultRetries(inner=ScriptedChatModel(script=script, clock=clock), clock=clock)

    def test_retry_after_is_honoured_up_to_120_s(self) -> None:
        clock = VirtualClock()
        model = self._model(
            [rate_limit_error(retry_after=5.0), rate_limit_error(retry_after=5.0), "ok"], clock
        )
        assert model.invoke("hi").content == "ok"
        assert [s.seconds for s in clock.sleeps] == [5.0, 5.0]
        assert model.attempts == [3]

    def test_a_long_retry_after_is_not_retried(self) -> None:
        clock = VirtualClock()
        model = self._model([rate_limit_error(retry_after=200.0), "ok"], clock)
        with pytest.raises(Exception, match="429"):
            model.invoke("hi")
        assert model.attempts == [1]

    def test_backoff_without_header_follows_the_sdk_schedule(self) -> None:
        clock = VirtualClock()
        model = self._model([server_error(500)], clock)
        with pytest.raises(Exception, match="500"):
            model.invoke("hi")
        waits = [s.seconds for s in clock.sleeps]
        assert len(waits) == 2
        assert 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0

    def test_auth_errors_are_not_retried(self) -> None:
        clock = VirtualClock()
        model = self._model([authentication_error(), "ok"], clock)
        with pytest.raises(Exception, match="401"):
            model.invoke("hi")
        assert model.attempts == [1]
        assert not openai_sdk_should_retry(ValueError("x"))

    def test_tools_are_bound_through_the_wrapper(self) -> None:
        clock = VirtualClock()
        inner = PolicyChatModel(clock=clock)
        run = naive_kubectl_runner(scenario="oomkilled", clock=clock)
        agent = build_naive_agent(SdkDefaultRetries(inner=inner, clock=clock), naive_tools(run))
        state = agent.invoke(
            {"messages": [{"role": "user", "content": "Why is report-worker failing in namespace data?"}]}
        )
        assert "OOMKilled" in state["messages"][-1].text
        assert inner.calls[0].tools == (
            "describe_pod",
            "get_events",
            "get_pod_logs",
            "get_pod_status",
            "list_pods",
        )
