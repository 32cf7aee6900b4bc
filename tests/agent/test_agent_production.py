"""The production agent: the issue's targets on a subset, and each layer's behaviour on its own."""

from __future__ import annotations

import threading

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from course_lib.agent.accounting import RunStats
from course_lib.agent.degraded import DEGRADED_PREFIX, degraded_answer, evidence_lines
from course_lib.agent.production import (
    ProductionConfig,
    build_production_agent,
    final_text,
    looks_garbled,
    model_retry_verdict,
)
from course_lib.agent.result import Outcome
from course_lib.agent.runner import backup_plan, run_agent
from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import PROFILES, FaultPlan, LLMFault
from course_lib.fakes.cluster import list_scenarios
from course_lib.fakes.llm import ScriptedChatModel, invalid_json_error, rate_limit_error
from course_lib.observability import AgentMetrics, MemorySink, get_event_logger
from course_lib.tools import KubectlSettings, KubectlTransientError, all_tools

SCENARIOS = list(list_scenarios())
QUESTION = "Why is the report-worker pod failing in namespace data?"


def _tools(scenario: str = "oomkilled", profile: str = "none", clock: VirtualClock | None = None) -> list:
    settings = KubectlSettings(
        scenario=scenario,
        fault_plan=FaultPlan.named(profile),
        clock=clock or VirtualClock(),
        raise_on_transient=True,
    )
    return all_tools(settings, mode="in-process")


# --------------------------------------------------------------------------- the targets (subset)
def test_storm_targets_on_every_scenario_with_three_seeds() -> None:
    results = [run_agent("production", s, "storm", seed) for s in SCENARIOS for seed in range(3)]
    correct = sum(r.correct for r in results)
    assert correct / len(results) >= 0.95, [
        (r.scenario, r.seed, r.output[:80]) for r in results if not r.correct
    ]
    assert all(r.unhandled_exception is None for r in results)
    assert all(not r.deadline_exceeded for r in results)
    assert max(r.max_attempts_per_call for r in results) <= 3
    assert sum(r.http_attempts for r in results) > sum(r.llm_calls for r in results)  # storm did strike


def test_outage_without_backup_ends_degraded_within_the_deadline() -> None:
    for scenario in SCENARIOS[:8]:
        result = run_agent("production", scenario, "outage", 0, backup=False)
        assert result.outcome is Outcome.DEGRADED
        assert result.output.startswith(DEGRADED_PREFIX)
        assert "unable to diagnose" in result.output
        assert not result.success and result.diagnosis is None
        assert result.duration_s <= result.deadline_s
        assert result.unhandled_exception is None
        assert result.max_attempts_per_call <= 3


def test_outage_with_backup_answers_through_the_backup_after_the_breaker_opens() -> None:
    result = run_agent("production", "oomkilled", "outage", 0)
    assert result.outcome is Outcome.ANSWERED and result.correct
    assert result.fallback_calls >= 1
    assert any(t.startswith("primary-model:closed->open") for t in result.breaker_transitions)
    assert result.max_attempts_per_call <= 3


def test_no_unhandled_exception_under_any_profile() -> None:
    for profile in PROFILES:
        for scenario in SCENARIOS[::3]:
            result = run_agent("production", scenario, profile, 1)
            assert result.unhandled_exception is None, (profile, scenario, result.errors)
            assert result.completed
            assert not result.deadline_exceeded


def test_same_seed_same_result() -> None:
    first = run_agent("production", "crashloop-app-error", "storm", 4).to_dict()
    second = run_agent("production", "crashloop-app-error", "storm", 4).to_dict()
    assert first == second
    other = run_agent("production", "crashloop-app-error", "storm", 5).to_dict()
    assert other["trace_id"] != first["trace_id"]


# --------------------------------------------------------------------------- observability
def test_events_and_metrics_come_out_with_one_trace_id() -> None:
    clock = VirtualClock()
    sink = MemorySink()
    events = get_event_logger(clock=clock, sink=sink, propagate=False)
    metrics = AgentMetrics()
    result = run_agent("production", "oomkilled", "outage", 0, clock=clock, events=events, metrics=metrics)
    names = {e["event"] for e in sink.events}
    assert {
        "run_start",
        "run_end",
        "model_call",
        "tool_call",
        "retry",
        "breaker_transition",
        "fallback_step",
    } <= names
    assert {e["trace_id"] for e in sink.events} == {result.trace_id}
    retry = sink.find("retry")[0]
    assert retry["layer"] == "model" and retry["delay_s"] > 0
    text = metrics.prometheus_text()
    assert 'llm_calls_total{agent="production",status="ok"}' in text
    assert "breaker_transitions_total" in text
    assert metrics.llm_http_attempts.value() == result.http_attempts


def test_retry_after_is_waited_exactly() -> None:
    clock = VirtualClock()
    sink = MemorySink()
    events = get_event_logger(clock=clock, sink=sink, propagate=False)
    plan = FaultPlan.named("storm", 0)
    seeds = [s for s in range(30) if FaultPlan.named("storm", s).llm_fault(0) is LLMFault.RATE_LIMIT]
    assert seeds, "some storm seed starts with a 429"
    run_agent("production", "oomkilled", "storm", seeds[0], clock=clock, events=events)
    first = sink.find("retry", layer="model")[0]
    assert first["delay_s"] == plan.profile.retry_after_s
    assert first["wait_source"].startswith("retry-after")


# --------------------------------------------------------------------------- single layers
def test_unusable_reply_is_asked_again_in_the_same_logical_call() -> None:
    broken = AIMessage(
        content="",
        invalid_tool_calls=[
            {"name": "list_pods", "args": "{'namespace': data", "id": "c1", "error": "bad json"}
        ],
    )
    model = ScriptedChatModel(script=[broken, "The pod is OOMKilled."])
    agent = build_production_agent(model, _tools(), clock=VirtualClock())
    state = agent.invoke(QUESTION)
    assert final_text(state["messages"]) == "The pod is OOMKilled."
    assert agent.stats.llm_calls == 1 and agent.stats.http_attempts == 2


def test_invalid_json_body_is_retried_but_bugs_are_not() -> None:
    assert model_retry_verdict(invalid_json_error()).retryable
    assert not model_retry_verdict(TypeError("bug")).retryable
    model = ScriptedChatModel(script=[TypeError("a bug in our code")])
    agent = build_production_agent(model, _tools(), clock=VirtualClock())
    with pytest.raises(TypeError, match="a bug in our code"):
        agent.invoke(QUESTION)
    assert agent.stats.http_attempts == 1


def test_persistent_429_stops_when_the_circuit_opens_then_degrades() -> None:
    clock = VirtualClock()
    model = ScriptedChatModel(script=[rate_limit_error(retry_after=2.0)], clock=clock)
    agent = build_production_agent(model, _tools(clock=clock), clock=clock)
    state = agent.invoke(QUESTION)
    assert final_text(state["messages"]).startswith(DEGRADED_PREFIX)
    assert agent.stats.attempts_per_call == [2]  # the breaker opened after 2 failures: fail fast
    assert agent.stats.degraded_reason is not None
    assert [s.seconds for s in clock.sleeps] == [2.0]  # Retry-After once; no wait before a rejection


def test_the_deadline_stops_attempts_that_could_not_finish() -> None:
    clock = VirtualClock()
    config = ProductionConfig(deadline_s=30.0, model_attempt_timeout_s=20.0, breaker_failure_threshold=10)
    model = ScriptedChatModel(script=[rate_limit_error(retry_after=8.0)], clock=clock)
    agent = build_production_agent(model, _tools(clock=clock), clock=clock, config=config)
    state = agent.invoke(QUESTION)
    assert final_text(state["messages"]).startswith(DEGRADED_PREFIX)
    assert clock.now() <= 30.0
    assert agent.stats.http_attempts == 2  # a third attempt would start with < 20 s left


def test_transient_tool_errors_are_retried_then_returned_as_a_message() -> None:
    clock = VirtualClock()
    profile = PROFILES["storm"]
    calls = {"n": 0}

    def flaky(namespace: str = "default") -> str:
        calls["n"] += 1
        raise KubectlTransientError(
            "Error: cannot reach the Kubernetes API server (connection refused).", None
        )  # type: ignore[arg-type]

    from langchain_core.tools import StructuredTool

    tool = StructuredTool.from_function(flaky, name="list_pods", description="List pods.")
    model = ScriptedChatModel(
        script=[
            AIMessage(
                content="", tool_calls=[{"name": "list_pods", "args": {"namespace": "data"}, "id": "t1"}]
            ),
            "Cannot reach the cluster.",
        ],
        clock=clock,
    )
    agent = build_production_agent(model, [tool], clock=clock)
    state = agent.invoke(QUESTION)
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert calls["n"] == 2 and agent.stats.tool_attempts == 2
    assert tool_messages[0].status == "error" and "connection refused" in tool_messages[0].text
    assert profile.name == "storm"


def test_other_tool_exceptions_become_messages_and_are_recorded() -> None:
    from langchain_core.tools import StructuredTool

    def broken(namespace: str = "default") -> str:
        raise RuntimeError("disk full")

    tool = StructuredTool.from_function(broken, name="list_pods", description="List pods.")
    model = ScriptedChatModel(
        script=[
            AIMessage(content="", tool_calls=[{"name": "list_pods", "args": {}, "id": "t1"}]),
            "done",
        ]
    )
    agent = build_production_agent(model, [tool], clock=VirtualClock())
    state = agent.invoke(QUESTION)
    message = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert message.status == "error" and "RuntimeError: disk full" in message.text
    assert any("disk full" in e for e in agent.stats.errors)


def test_garbled_kubectl_output_is_recognised() -> None:
    assert looks_garbled("NAME READY\nx\x00\x1b\ufffd#%")
    assert not looks_garbled("NAME   READY   STATUS\napi-1  1/1     Running\n\ttabbed")


def test_degraded_answer_quotes_the_evidence_and_says_it_is_degraded() -> None:
    messages = [
        ToolMessage(
            content="NAME READY STATUS\nworker 0/1 CrashLoopBackOff", tool_call_id="1", name="list_pods"
        ),
        ToolMessage(content="Error: forbidden", tool_call_id="2", name="describe_pod", status="error"),
    ]
    text = degraded_answer("provider down", messages)
    assert text.startswith(DEGRADED_PREFIX) and "provider down" in text
    assert "list_pods: worker 0/1 CrashLoopBackOff" in text
    assert evidence_lines(messages) == ["list_pods: worker 0/1 CrashLoopBackOff"]
    assert "unable to diagnose" in degraded_answer("x", [])


def test_backup_provider_keeps_model_faults_only() -> None:
    plan = backup_plan(FaultPlan.named("storm", 3))
    assert plan.profile.outages == ()
    assert LLMFault.RATE_LIMIT not in plan.profile.llm
    assert LLMFault.MALFORMED_TOOL_CALL in plan.profile.llm
    assert backup_plan(FaultPlan.named("outage", 0)).profile.outages == ()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deadline_s": 10.0, "model_attempt_timeout_s": 10.0}, "shorter than deadline_s"),
        ({"model_attempts": 0}, "must be >= 1"),
        ({"tool_attempts": 0}, "must be >= 1"),
    ],
)
def test_bad_config_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProductionConfig(**kwargs)


def test_backup_model_needs_a_breaker() -> None:
    from course_lib.agent.production import ResilientModelMiddleware, make_breaker

    clock = VirtualClock()
    with pytest.raises(ValueError, match="backup_breaker"):
        ResilientModelMiddleware(
            clock=clock,
            stats=RunStats(),
            config=ProductionConfig(),
            primary_breaker=make_breaker("p", clock, ProductionConfig()),
            backup_model=ScriptedChatModel(script=["x"]),
        )


def test_run_stats_count_exactly_under_threads() -> None:
    stats = RunStats()
    stats.begin_llm_call()

    def work() -> None:
        for _ in range(1000):
            stats.http_attempt()
            stats.tool_call()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stats.http_attempts == 8000 and stats.tool_calls == 8000
    assert stats.attempts_per_call == [8000]
