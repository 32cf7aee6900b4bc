"""Structured events: the envelope (ts, t, level, event, trace id), trace and span context,
redaction and truncation before writing, composition with stdlib logging, thread safety."""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from course_lib.clock import VirtualClock
from course_lib.observability.events import (
    EventLogger,
    IdGenerator,
    JsonFormatter,
    MemorySink,
    TraceContextFilter,
    current_trace_id,
    get_event_logger,
    json_handler,
    to_jsonable,
    trace,
    truncate_text,
)


def test_envelope_comes_from_the_injected_clock(
    events: EventLogger, sink: MemorySink, clock: VirtualClock
) -> None:
    clock.advance(90.25)
    with events.trace("trace-1"):
        events.emit("pod_checked", pod="api-7d9", restarts=5)
    (event,) = sink.events
    assert event == {
        "ts": "2026-01-01T00:01:30.250+00:00",
        "t": 90.25,
        "level": "info",
        "logger": "course_lib.test",
        "event": "pod_checked",
        "trace_id": "trace-1",
        "pod": "api-7d9",
        "restarts": 5,
    }
    assert datetime.fromisoformat(event["ts"]).tzinfo is not None
    assert json.loads(sink.lines()[0]) == event


def test_a_clock_with_naive_wall_time_is_refused() -> None:
    class NaiveClock(VirtualClock):
        def wall_time(self) -> datetime:
            return datetime(2026, 1, 1)

    log = get_event_logger(clock=NaiveClock(), sink=MemorySink())
    with pytest.raises(ValueError, match="aware datetime"):
        log.emit("x")


def test_each_course_event_carries_its_fields_and_level(events: EventLogger, sink: MemorySink) -> None:
    with events.trace():
        events.run_start(agent="production", question="why?")
        events.model_call(
            model="gpt", status="ok", duration_s=0.4, input_tokens=10, output_tokens=3, finish_reason="stop"
        )
        events.tool_call(
            tool="get_pods", status="error", duration_s=0.1, args={"ns": "shop"}, error=TimeoutError("slow")
        )
        events.retry(layer="model", attempt=1, delay_s=1.5, reason="RateLimitError", error="429")
        events.give_up(layer="model", attempts=3, reason="attempts")
        events.breaker_transition(breaker="llm", from_state="closed", to_state="open", reason="5 failures")
        events.breaker_transition(breaker="llm", from_state="open", to_state="half_open", reason="timeout")
        events.fallback_step(chain="answer", step="primary", outcome="failed", reason="open circuit")
        events.run_end(agent="production", outcome="degraded", duration_s=2.0)
    got = [(e["event"], e["level"]) for e in sink.events]
    assert got == [
        ("run_start", "info"),
        ("model_call", "info"),
        ("tool_call", "warning"),
        ("retry", "warning"),
        ("give_up", "error"),
        ("breaker_transition", "warning"),
        ("breaker_transition", "info"),
        ("fallback_step", "warning"),
        ("run_end", "warning"),
    ]
    assert len({e["trace_id"] for e in sink.events}) == 1
    tool = sink.find("tool_call")[0]
    assert (tool["error_type"], tool["error"], tool["args"]) == ("TimeoutError", "slow", {"ns": "shop"})
    retry = sink.find("retry")[0]
    assert (retry["attempt"], retry["delay_s"], retry["reason"]) == (1, 1.5, "RateLimitError")
    assert sink.find("breaker_transition", to_state="open")[0]["from_state"] == "closed"


def test_trace_ids_resolve_explicit_then_bound_then_context(clock: VirtualClock) -> None:
    sink = MemorySink()
    free = get_event_logger(clock=clock, sink=sink)
    bound = free.bind(trace_id="bound", agent="naive")
    free.emit("outside")
    with trace("ctx"):
        free.emit("inside")
        bound.emit("bound_wins")
        free.emit("explicit", trace_id="given")
        with trace("nested"):
            free.emit("nested")
        free.emit("restored")
    assert [(e["event"], e["trace_id"]) for e in sink.events] == [
        ("outside", None),
        ("inside", "ctx"),
        ("bound_wins", "bound"),
        ("explicit", "given"),
        ("nested", "nested"),
        ("restored", "ctx"),
    ]
    assert sink.find("bound_wins")[0]["agent"] == "naive"
    assert current_trace_id() is None


def test_threads_keep_their_own_trace_ids(events: EventLogger, sink: MemorySink) -> None:
    barrier = threading.Barrier(16)

    def worker(n: int) -> None:
        with events.trace(f"run-{n}"):
            barrier.wait()
            for i in range(50):
                events.emit("step", worker=n, i=i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sink) == 16 * 50
    assert all(e["trace_id"] == f"run-{e['worker']}" for e in sink.events)
    for n in range(16):
        assert [e["i"] for e in sink.find("step", worker=n)] == list(range(50))


def test_spans_nest_time_themselves_and_record_errors(
    events: EventLogger, sink: MemorySink, clock: VirtualClock
) -> None:
    with events.trace("tr"), events.span("run_span", agent="p") as run:
        clock.advance(1.0)
        with events.span("model_span") as call:
            events.emit("inner_note")
            clock.advance(0.25)
            call.set(input_tokens=12)
        with pytest.raises(KeyError), events.span("tool_span"):
            clock.advance(0.5)
            raise KeyError("pod")
    model, tool, outer = sink.find("model_span")[0], sink.find("tool_span")[0], sink.find("run_span")[0]
    note = sink.find("inner_note")[0]
    assert (model["duration_s"], model["status"], model["input_tokens"]) == (0.25, "ok", 12)
    assert (tool["status"], tool["error_type"], tool["level"]) == ("error", "KeyError", "warning")
    assert outer["duration_s"] == 1.75 and "parent_span_id" not in outer
    assert model["parent_span_id"] == tool["parent_span_id"] == run.span_id == outer["span_id"]
    assert note["span_id"] == model["span_id"] and note["parent_span_id"] == run.span_id
    assert {e["trace_id"] for e in sink.events} == {"tr"}


def test_secrets_are_redacted_in_every_part_of_an_event(events: EventLogger, sink: MemorySink) -> None:
    key = "sk-proj-" + "A1b2C3d4" * 4
    events.emit(
        "tool_call",
        args={"pod": "api", "password": "hunter2"},
        output=f"env: OPENAI_API_KEY={key}",
        headers=[("Authorization", "Bearer abcdefgh12345678")],
    )
    events.model_call(model="m", status="error", duration_s=1, error=RuntimeError(f"bad key {key}"))
    line = "\n".join(sink.lines())
    for secret in (key, "hunter2", "abcdefgh12345678"):
        assert secret not in line
    first = sink.events[0]
    assert first["args"] == {"pod": "api", "password": "[REDACTED:password]"}
    assert first["output"] == "env: OPENAI_API_KEY=[REDACTED:api_key]"
    assert sink.events[1]["error"] == "bad key [REDACTED:api_key]"


def test_long_values_are_truncated_with_a_marker(events: EventLogger, sink: MemorySink) -> None:
    events.emit("tool_call", output="x" * 5000, nested={"logs": ["y" * 2500]}, short="ok")
    event = sink.events[0]
    assert event["output"] == "x" * 2000 + "…[TRUNCATED 3000 of 5000 chars]"
    assert event["nested"]["logs"][0].endswith("…[TRUNCATED 500 of 2500 chars]")
    assert event["short"] == "ok"


def test_a_huge_value_is_bounded_before_redaction_and_still_redacted(clock: VirtualClock) -> None:
    sink = MemorySink(formatter=JsonFormatter(max_field_chars=100))
    log = get_event_logger(clock=clock, sink=sink)
    log.emit("tool_call", output="token=abcdef " + "z" * 3_000_000)
    out = sink.events[0]["output"]
    assert out.startswith("token=[REDACTED:token] zzz")
    assert "abcdef" not in out and len(out) < 200


def test_plain_stdlib_records_become_json_lines_with_the_trace_id(clock: VirtualClock) -> None:
    stream = io.StringIO()
    logger = logging.getLogger("course_lib.test.plain")
    handler = json_handler(stream, clock=clock)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with trace("t-plain"):
            logger.info(
                "restarting %s with password=%s", "api", "hunter2", extra={"pod": "api", "api_key": "k"}
            )
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "log" and first["trace_id"] == "t-plain"
    assert first["message"] == "restarting api with password=[REDACTED:password]"
    assert (first["pod"], first["api_key"], first["ts"]) == (
        "api",
        "[REDACTED:api_key]",
        "2026-01-01T00:00:00.000+00:00",
    )
    assert (second["level"], second["error_type"], second["error"]) == ("error", "ValueError", "boom")
    assert "traceback" not in second


def test_without_a_clock_plain_records_use_their_creation_time() -> None:
    record = logging.makeLogRecord({"msg": "hi", "levelno": 20, "levelname": "INFO", "created": 0.0})
    event = JsonFormatter(include_traceback=True).event_dict(record)
    assert (event["ts"], event["t"]) == ("1970-01-01T00:00:00.000+00:00", None)


def test_events_propagate_to_ordinary_logging_unless_told_not_to(clock: VirtualClock) -> None:
    logger = logging.getLogger("course_lib.test.prop")
    captured = MemorySink()
    logger.addHandler(captured)
    logger.setLevel(logging.DEBUG)
    try:
        get_event_logger("course_lib.test.prop", clock=clock).emit("seen")
        get_event_logger("course_lib.test.prop", clock=clock, propagate=False).emit("unseen")
    finally:
        logger.removeHandler(captured)
    assert [e["event"] for e in captured.events] == ["seen"]


def test_sink_levels_filter_events(clock: VirtualClock) -> None:
    quiet = MemorySink(level=logging.WARNING)
    log = get_event_logger(clock=clock, sink=quiet)
    log.model_start(model="m", message_count=2)  # debug
    log.retry(layer="model", attempt=1, delay_s=0.5, reason="429")  # warning
    assert [e["event"] for e in quiet.events] == ["retry"]


def test_memory_sink_bounds_clears_and_finds() -> None:
    sink = MemorySink(max_events=3)
    log = get_event_logger(clock=VirtualClock(), sink=sink)
    for i in range(5):
        log.emit("n", i=i)
    assert [e["i"] for e in sink.events] == [2, 3, 4]
    assert sink.find("n", i=3)[0]["i"] == 3 and sink.find("other") == []
    sink.clear()
    assert len(sink) == 0


def test_id_generator_is_reproducible_and_well_formed() -> None:
    a, b = IdGenerator(3), IdGenerator(3)
    ids = [a.trace_id(), a.span_id()]
    assert ids == [b.trace_id(), b.span_id()]
    assert len(ids[0]) == 32 and len(ids[1]) == 16 and int(ids[0], 16) > 0


def test_trace_context_filter_stamps_records_for_queue_handlers() -> None:
    record = logging.makeLogRecord({"msg": "x"})
    with trace("queued"):
        TraceContextFilter().filter(record)
    assert JsonFormatter().event_dict(record)["trace_id"] == "queued"


class State(StrEnum):
    OPEN = "open"


@dataclass
class Point:
    x: int
    when: datetime


def test_to_jsonable_handles_the_usual_suspects() -> None:
    value = {
        "nan": float("nan"),
        "state": State.OPEN,
        "point": Point(1, datetime(2026, 1, 1, tzinfo=UTC)),
        "set": {2, 1},
        "err": OSError("gone"),
        "raw": b"\xffok",
        "obj": object,
    }
    out = to_jsonable(value)
    json.dumps(out, allow_nan=False)
    assert out["nan"] == "nan" and out["state"] == "open" and out["set"] == [1, 2]
    assert out["point"] == {"x": 1, "when": "2026-01-01T00:00:00+00:00"}
    assert out["err"] == "OSError: gone" and out["raw"] == "\ufffdok"


# ------------------------------------------------------------------ adapters for resilience
def test_breaker_and_retry_hooks_log_real_resilience_objects(
    events: EventLogger, sink: MemorySink, clock: VirtualClock
) -> None:
    from course_lib.resilience.breaker import CircuitBreaker
    from course_lib.resilience.retry import Retry

    breaker = CircuitBreaker(
        "llm", failure_threshold=3, reset_timeout=10, clock=clock, listeners=[events.on_breaker_change]
    )
    policy = Retry(
        on=ConnectionError,
        attempts=3,
        clock=clock,
        before_sleep=events.retry_hook("model"),
        on_giveup=events.give_up_hook("model"),
    )

    def flaky() -> str:
        raise ConnectionError("refused")

    with events.trace("resilience"), pytest.raises(ConnectionError):
        policy.call(breaker.call, flaky)
    retries = sink.find("retry")
    assert [r["attempt"] for r in retries] == [1, 2]
    assert all(r["layer"] == "model" and r["error_type"] == "ConnectionError" for r in retries)
    assert [r["delay_s"] for r in retries] == [s.seconds for s in clock.sleeps]
    (opened,) = sink.find("breaker_transition")
    assert (opened["breaker"], opened["from_state"], opened["to_state"]) == ("llm", "closed", "open")
    assert sink.find("give_up")[0]["attempts"] == 3


def test_fallback_steps_are_logged_one_event_each(events: EventLogger, sink: MemorySink) -> None:
    @dataclass
    class FakeStep:
        name: str
        outcome: str
        reason: str
        error: BaseException | None = None

    events.fallback_steps(
        [FakeStep("primary", "failed", "open", TimeoutError()), FakeStep("rules", "degraded", "")],
        chain="diag",
    )
    assert [(e["step"], e["outcome"], e["level"]) for e in sink.find("fallback_step", chain="diag")] == [
        ("primary", "failed", "warning"),
        ("rules", "degraded", "warning"),
    ]


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda log: log.emit("Bad Name"), ValueError, "event name"),
        (lambda log: log.emit(""), ValueError, "event name"),
        (lambda log: log.emit("x", ts="now"), ValueError, "reserved"),
        (lambda log: log.emit("x", message="m"), ValueError, "reserved"),
        (lambda log: log.emit("x", level="loud"), ValueError, "unknown log level"),
        (lambda log: log.emit("x", level=True), TypeError, "level"),
        (lambda log: log.bind(trace_id=""), ValueError, "trace_id"),
        (lambda log: log.bind(event="x"), ValueError, "reserved"),
        (lambda log: log.add_sink(object()), TypeError, "logging.Handler"),
    ],
)
def test_bad_input_is_refused_clearly(events: EventLogger, call, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(events)


def test_bad_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="either seed or rng"):
        IdGenerator(1, rng=__import__("random").Random(1))
    with pytest.raises(ValueError, match="non-empty name"):
        EventLogger("")
    with pytest.raises(ValueError, match="max_field_chars"):
        JsonFormatter(max_field_chars=0)
    with pytest.raises(ValueError, match="max_events"):
        MemorySink(max_events=0)
    with pytest.raises(ValueError, match="max_chars"):
        truncate_text("abc", 0)
    log = get_event_logger(clock=VirtualClock())
    with pytest.raises(ValueError, match="reserved"), trace("x"), log.span("s") as span:
        span.set(level="x")
