"""The kept-libraries agent: what LangChain's middleware gives, and what it lacks, measured."""

from __future__ import annotations

from langchain.agents import create_agent
from langchain.agents.middleware import ModelRetryMiddleware

from course_lib.agent.kept import KEPT_FAILURE_PREFIX, build_kept_agent, virtual_sleep
from course_lib.agent.result import Outcome
from course_lib.agent.runner import run_agent
from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import FaultPlan, LLMFault
from course_lib.fakes.llm import ScriptedChatModel, rate_limit_error


def test_outage_falls_back_after_three_primary_attempts() -> None:
    """No breaker: every logical call tries the dead primary 3 times before the backup."""
    result = run_agent("kept", "oomkilled", "outage", 0)
    assert result.outcome is Outcome.ANSWERED and result.correct
    assert result.max_attempts_per_call == 4
    assert result.http_attempts >= 4 * result.llm_calls
    assert result.breaker_transitions == []


def test_without_a_backup_the_run_ends_with_a_clear_error_not_a_crash() -> None:
    result = run_agent("kept", "oomkilled", "outage", 0, backup=False)
    assert result.outcome is Outcome.ERROR
    assert result.output.startswith(KEPT_FAILURE_PREFIX)
    assert result.unhandled_exception is None


def test_retry_after_is_ignored() -> None:
    """ModelRetryMiddleware waits initial_delay * 2**n (+-25 %), not the 5 s the server asked for."""
    clock = VirtualClock()
    model = ScriptedChatModel(
        script=[rate_limit_error(retry_after=5.0), "The pod is OOMKilled."], clock=clock
    )
    graph, stats = build_kept_agent(model, [])
    with virtual_sleep(clock):
        state = graph.invoke({"messages": [{"role": "user", "content": "why?"}]})
    assert state["messages"][-1].text == "The pod is OOMKilled."
    waits = [s.seconds for s in clock.sleeps]
    assert len(waits) == 1 and 0.75 <= waits[0] <= 1.25
    assert stats.http_attempts == 2 and stats.llm_calls == 1


def test_virtual_sleep_only_applies_inside_the_block() -> None:
    clock = VirtualClock()
    model = ScriptedChatModel(script=[rate_limit_error(retry_after=1.0), "ok"], clock=clock)
    graph = create_agent(model, [], middleware=[ModelRetryMiddleware(max_retries=1, initial_delay=30.0)])
    with virtual_sleep(clock):
        graph.invoke({"messages": [{"role": "user", "content": "hi"}]})
    assert 22.5 <= clock.now() <= 37.5  # 30 s +-25 %, slept on the virtual clock, not for real


def test_storm_is_measured_not_assumed() -> None:
    seeds = [s for s in range(40) if FaultPlan.named("storm", s).llm_fault(0) is LLMFault.MALFORMED_TOOL_CALL]
    result = run_agent("kept", "oomkilled", "storm", seeds[0])
    # A malformed tool call is a 200: nothing in the kept stack re-asks, so the run ends without an answer.
    assert result.outcome is Outcome.ERROR and not result.correct
    assert result.unhandled_exception is None
