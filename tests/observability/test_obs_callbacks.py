"""The step-logging callback on a real ``create_agent`` run with a scripted model: one event and
one step per model and tool call, exact virtual durations, tokens, errors, redaction, metrics,
and separate trace ids for concurrent runs."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool

from course_lib.clock import VirtualClock
from course_lib.observability.callbacks import StepLogger
from course_lib.observability.events import EventLogger, MemorySink
from course_lib.observability.metrics import AgentMetrics

from .conftest import ScriptedChatModel, answer, tool_call

KEY = "sk-proj-" + "Zz9" * 8


def build(clock: VirtualClock, script: list[Any], *, tool_latency: float = 0.2) -> Any:
    @tool
    def get_pods(namespace: str) -> str:
        """List the pods of a namespace."""
        clock.advance(tool_latency)
        if namespace == "forbidden":
            raise PermissionError("pods is forbidden: User cannot list resource")
        return "NAME READY STATUS\napi-7d9 0/1 CrashLoopBackOff\nDB_PASSWORD=hunter2"

    @tool
    def get_logs(pod: str, token: str = "") -> str:
        """Read a pod's logs."""
        clock.advance(tool_latency)
        return "connect ECONNREFUSED 10.0.0.5:5432\n" * 10

    model = ScriptedChatModel(script=script, clock=clock)
    return create_agent(model, tools=[get_pods, get_logs])


def diagnosis_script() -> list[Any]:
    return [
        tool_call("get_pods", {"namespace": "shop"}, "c1", tokens=(100, 20)),
        tool_call("get_logs", {"pod": "api-7d9", "token": KEY}, "c2", tokens=(180, 25)),
        answer("api-7d9 crashes: the database at 10.0.0.5:5432 refuses connections.", tokens=(260, 30)),
    ]


def test_every_step_is_logged_with_exact_virtual_durations(
    clock: VirtualClock, events: EventLogger, sink: MemorySink
) -> None:
    metrics = AgentMetrics()
    handler = StepLogger(events, metrics=metrics, agent="naive", raise_error=True)
    agent = build(clock, diagnosis_script())
    result = agent.invoke({"messages": [("user", "why is api down?")]}, config={"callbacks": [handler]})
    assert "refuses connections" in result["messages"][-1].content

    steps = handler.steps
    assert [(s.kind, s.name, s.status) for s in steps] == [
        ("run", "naive", "ok"),
        ("model", "scripted-model", "ok"),
        ("tool", "get_pods", "ok"),
        ("model", "scripted-model", "ok"),
        ("tool", "get_logs", "ok"),
        ("model", "scripted-model", "ok"),
    ]
    assert [round(s.duration or 0, 9) for s in steps] == [1.9, 0.5, 0.2, 0.5, 0.2, 0.5]
    assert [s.started_at for s in steps[1:]] == pytest.approx([0.0, 0.5, 0.7, 1.2, 1.4])
    assert steps[1].detail["tool_calls"] == ["get_pods"] and steps[5].detail["finish_reason"] == "stop"
    assert steps[3].detail["total_tokens"] == 205 and steps[1].detail["message_count"] == 1
    assert steps[2].detail["output_chars"] == len(
        "NAME READY STATUS\napi-7d9 0/1 CrashLoopBackOff\nDB_PASSWORD=hunter2"
    )
    assert all(s.parent_run_id == steps[0].run_id for s in steps[1:])

    names = [e["event"] for e in sink.events]
    assert names == [
        "run_start",
        "model_start",
        "model_call",
        "tool_start",
        "tool_call",
        "model_start",
        "model_call",
        "tool_start",
        "tool_call",
        "model_start",
        "model_call",
        "run_end",
    ]
    assert len({e["trace_id"] for e in sink.events}) == 1
    run_span = sink.events[0]["span_id"]
    assert all(e["parent_span_id"] == run_span for e in sink.events[1:-1])
    calls = sink.find("model_call")
    assert [(c["input_tokens"], c["output_tokens"], c["finish_reason"]) for c in calls] == [
        (100, 20, "tool_calls"),
        (180, 25, "tool_calls"),
        (260, 30, "stop"),
    ]
    end = sink.find("run_end")[0]
    assert (end["outcome"], end["duration_s"], end["steps"]) == ("success", 1.9, 5)

    assert metrics.llm_calls.value(agent="naive", status="ok") == 3
    assert metrics.tool_calls.by("tool") == {"get_pods": 1, "get_logs": 1}
    assert metrics.tokens.by("kind") == {"input": 540, "output": 75}
    assert metrics.run_seconds.percentiles(agent="naive").max == pytest.approx(1.9)
    assert metrics.llm_call_seconds.percentiles().p50 == pytest.approx(0.5)


def test_secrets_in_questions_arguments_and_outputs_never_reach_the_log(
    clock: VirtualClock, events: EventLogger, sink: MemorySink
) -> None:
    handler = StepLogger(events, raise_error=True)
    agent = build(clock, diagnosis_script())
    agent.invoke(
        {"messages": [("user", f"why is api down? my key is {KEY}")]}, config={"callbacks": [handler]}
    )
    text = "\n".join(sink.lines()) + handler.table(width=500) + repr(handler.rows())
    assert KEY not in text
    logs_call = sink.find("tool_call", tool="get_logs")[0]
    assert logs_call["args"] == {"pod": "api-7d9", "token": "[REDACTED:token]"}
    assert sink.find("run_start")[0]["question"] == "why is api down? my key is [REDACTED:api_key]"


def test_a_failing_tool_is_an_error_step_and_the_run_error_is_logged_once(
    clock: VirtualClock, events: EventLogger, sink: MemorySink
) -> None:
    metrics = AgentMetrics()
    handler = StepLogger(events, metrics=metrics, agent="naive", raise_error=True)
    agent = build(clock, [tool_call("get_pods", {"namespace": "forbidden"}, "c1"), answer("unused")])
    with pytest.raises(PermissionError):
        agent.invoke({"messages": [("user", "q")]}, config={"callbacks": [handler]})
    tool_step = next(s for s in handler.steps if s.kind == "tool")
    assert (tool_step.status, tool_step.error_type) == ("error", "PermissionError")
    assert tool_step.duration == pytest.approx(0.2)
    (failed,) = sink.find("tool_call")
    assert (failed["status"], failed["error_type"], failed["level"]) == (
        "error",
        "PermissionError",
        "warning",
    )
    assert len(sink.find("chain_error")) == 1
    end = sink.find("run_end")[0]
    assert (end["outcome"], end["error_type"]) == ("error", "PermissionError")
    assert metrics.runs.by("outcome") == {"error": 1}
    assert metrics.tool_calls.value(outcome="error") == 1


def test_a_tool_error_returned_as_a_message_is_still_an_error_step(
    clock: VirtualClock, events: EventLogger, sink: MemorySink
) -> None:
    @tool
    def get_pods(namespace: str) -> str:
        """List pods."""
        from langchain_core.tools import ToolException

        raise ToolException("Error from server (Forbidden): pods is forbidden")

    get_pods.handle_tool_error = True
    model = ScriptedChatModel(
        script=[tool_call("get_pods", {"namespace": "x"}, "c1"), answer("I cannot list pods.")]
    )
    handler = StepLogger(events, raise_error=True)
    create_agent(model, tools=[get_pods]).invoke(
        {"messages": [("user", "q")]}, config={"callbacks": [handler]}
    )
    (call,) = sink.find("tool_call")
    assert call["status"] == "error" and "Forbidden" in call["error"]
    assert sink.find("run_end")[0]["outcome"] == "success"  # the model read the error and answered


def test_a_failing_model_call_is_logged_as_an_error(
    clock: VirtualClock, events: EventLogger, sink: MemorySink
) -> None:
    handler = StepLogger(events, raise_error=True)
    agent = build(clock, [ConnectionError(f"upstream rejected {KEY}")])
    with pytest.raises(ConnectionError):
        agent.invoke({"messages": [("user", "q")]}, config={"callbacks": [handler]})
    (call,) = sink.find("model_call")
    assert (call["status"], call["error_type"], call["duration_s"]) == ("error", "ConnectionError", 0.5)
    assert call["error"] == "upstream rejected [REDACTED:api_key]"
    model_step = handler.steps[1]
    assert model_step.error == "upstream rejected [REDACTED:api_key]"


def test_the_current_trace_id_is_used_when_there_is_one(
    clock: VirtualClock, events: EventLogger, sink: MemorySink
) -> None:
    handler = StepLogger(events, raise_error=True)
    agent = build(clock, diagnosis_script())
    with events.trace("trace-from-the-cli"):
        agent.invoke({"messages": [("user", "q")]}, config={"callbacks": [handler]})
    assert {e["trace_id"] for e in sink.events} == {"trace-from-the-cli"}
    assert {s.trace_id for s in handler.steps} == {"trace-from-the-cli"}


def test_concurrent_runs_through_one_handler_keep_separate_traces(
    events: EventLogger, sink: MemorySink
) -> None:
    clock = VirtualClock()
    handler = StepLogger(events, agent="production", raise_error=True)
    agents = [build(clock, diagnosis_script()) for _ in range(8)]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def run(agent: Any) -> None:
        barrier.wait()
        try:
            agent.invoke({"messages": [("user", "q")]}, config={"callbacks": [handler]})
        except BaseException as exc:  # surfaced below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    traces = {e["trace_id"] for e in sink.events}
    assert len(traces) == 8
    for trace_id in traces:
        per_run = [e["event"] for e in sink.events if e["trace_id"] == trace_id]
        assert per_run.count("model_call") == 3 and per_run.count("tool_call") == 2
        assert per_run[0] == "run_start" and per_run[-1] == "run_end"
    assert len(handler.steps) == 8 * 6


def test_async_runs_are_logged_too(clock: VirtualClock, events: EventLogger, sink: MemorySink) -> None:
    handler = StepLogger(events, raise_error=True)
    agent = build(clock, diagnosis_script())
    asyncio.run(agent.ainvoke({"messages": [("user", "q")]}, config={"callbacks": [handler]}))
    assert [s.kind for s in handler.steps] == ["run", "model", "tool", "model", "tool", "model"]
    assert sink.find("run_end")[0]["outcome"] == "success"


def test_table_and_rows_describe_each_step(clock: VirtualClock, events: EventLogger) -> None:
    handler = StepLogger(events, agent="naive", raise_error=True, log_runs=False)
    assert handler.table() == "(no steps recorded)"
    build(clock, diagnosis_script()).invoke({"messages": [("user", "q")]}, config={"callbacks": [handler]})
    lines = handler.table().splitlines()
    assert lines[0].split() == ["#", "start", "took", "kind", "name", "status", "what"]
    assert len(lines) == 1 + 5  # log_runs=False: no run row
    assert "calls get_pods (120 tok, tool_calls)" in lines[1]
    assert "get_pods" in lines[2] and "0.200s" in lines[2]
    rows = handler.rows()
    assert [r["kind"] for r in rows] == ["model", "tool", "model", "tool", "model"]
    assert rows[4]["summary"] == "answers (290 tok, stop)"
    handler.clear()
    assert handler.steps == []


def test_without_an_event_logger_it_makes_one_on_the_given_clock() -> None:
    clock = VirtualClock()
    sink = MemorySink()
    handler = StepLogger(clock=clock, raise_error=True)
    handler.events.add_sink(sink)
    build(clock, diagnosis_script()).invoke({"messages": [("user", "q")]}, config={"callbacks": [handler]})
    assert sink.find("run_end")[0]["duration_s"] == 1.9
