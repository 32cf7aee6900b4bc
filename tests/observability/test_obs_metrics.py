"""Metrics: exact counts under 16 threads, percentiles that agree with numpy and stay ordered,
bounded memory, and Prometheus text from a dedicated registry."""

from __future__ import annotations

import random
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from course_lib.observability.metrics import AgentMetrics, Counter, Histogram, percentile


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_percentiles_of_one_to_a_hundred() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50.5
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert (percentile(values, 0), percentile(values, 100)) == (1, 100)
    assert percentile([7.0], 99) == 7.0


def test_the_mean_hides_the_tail_that_percentiles_show() -> None:
    h = Histogram("lat", labelnames=("agent",))
    for _ in range(98):
        h.observe(0.2, agent="a")
    for _ in range(2):
        h.observe(30.0, agent="a")
    p = h.percentiles(agent="a")
    assert p.mean == pytest.approx(0.796)
    assert p.p50 == 0.2 and p.p99 == pytest.approx(30.0)
    assert (p.count, p.min, p.max, p.exact) == (100, 0.2, 30.0, True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=300))
def test_percentiles_are_ordered_bounded_and_match_numpy(values: list[float]) -> None:
    p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
    assert min(values) <= p50 <= p95 <= p99 <= max(values)
    assert [p50, p95, p99] == pytest.approx(list(np.percentile(values, [50, 95, 99])), rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50),
    st.floats(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=100),
)
def test_percentile_is_monotonic_in_q_even_for_extreme_floats(
    values: list[float], q1: float, q2: float
) -> None:
    lo, hi = sorted((q1, q2))
    assert min(values) <= percentile(values, lo) <= percentile(values, hi) <= max(values)


def test_percentile_rejects_what_has_no_answer() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="NaN"):
        percentile([1.0, float("nan")], 50)


def test_reservoir_bounds_memory_but_keeps_exact_aggregates() -> None:
    h = Histogram("lat", max_observations=500, rng=random.Random(1))
    rng = random.Random(2)
    values = [rng.random() for _ in range(20_000)]
    for v in values:
        h.observe(v)
    p = h.percentiles()
    assert len(h.observations()) == 500
    assert (p.count, p.exact) == (20_000, False)
    assert p.mean == pytest.approx(sum(values) / len(values))
    assert (p.min, p.max) == (min(values), max(values))
    assert p.p50 == pytest.approx(0.5, abs=0.08) and p.p95 == pytest.approx(0.95, abs=0.04)


def test_counters_filter_and_group_by_labels() -> None:
    c = Counter("runs_total", "runs", ("agent", "outcome"))
    c.inc(agent="naive", outcome="crash")
    c.inc(2, agent="naive", outcome="success")
    c.inc(agent="production", outcome="success")
    assert c.name == "runs"
    assert c.value(agent="naive", outcome="crash") == 1
    assert c.value(agent="naive") == 3 and c.value() == 4
    assert c.by("outcome") == {"crash": 1, "success": 3}
    assert c.by("agent", outcome="success") == {"naive": 2, "production": 1}
    assert c.value(agent="nobody") == 0


def test_histograms_aggregate_over_partial_labels() -> None:
    h = Histogram("call_seconds", labelnames=("agent",))
    for v in (1, 2, 3):
        h.observe(v, agent="a")
    h.observe(10, agent="b")
    assert h.count() == 4 and h.sum() == 16 and h.count(agent="b") == 1
    assert h.percentiles().max == 10 and h.percentiles(agent="a").p50 == 2
    with pytest.raises(LookupError, match="no observations"):
        h.percentiles(agent="c")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda c, h: c.inc(agent="a"), ValueError, r"missing \['outcome'\]"),
        (lambda c, h: c.inc(agent="a", outcome="b", pod="x"), ValueError, r"unexpected \['pod'\]"),
        (lambda c, h: c.inc(-1, agent="a", outcome="b"), ValueError, "only go up"),
        (lambda c, h: c.inc(float("inf"), agent="a", outcome="b"), ValueError, "only go up"),
        (lambda c, h: c.inc(True, agent="a", outcome="b"), TypeError, "number"),
        (lambda c, h: c.inc(agent=None, outcome="b"), ValueError, "None"),
        (lambda c, h: c.value(pod="x"), ValueError, "no labels"),
        (lambda c, h: c.by("pod"), ValueError, "no label"),
        (lambda c, h: h.observe(float("nan"), agent="a"), ValueError, "finite"),
        (lambda c, h: h.observe("1", agent="a"), TypeError, "number"),
    ],
)
def test_bad_recordings_are_refused_clearly(call, error: type[Exception], match: str) -> None:
    c = Counter("c", "", ("agent", "outcome"))
    h = Histogram("h", "", ("agent",))
    with pytest.raises(error, match=match):
        call(c, h)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Counter("bad name"), "invalid metric name"),
        (lambda: Counter("c", "", ("bad-label",)), "invalid label name"),
        (lambda: Counter("c", "", ("__x",)), "invalid label name"),
        (lambda: Counter("c", "", ("a", "a")), "duplicate"),
        (lambda: Histogram("h", "", ("le",)), "reserved"),
        (lambda: Histogram("h", buckets=(1, 0.5)), "strictly increasing"),
        (lambda: Histogram("h", buckets=()), "non-empty"),
        (lambda: Histogram("h", max_observations=0), "max_observations"),
    ],
)
def test_bad_definitions_are_refused_clearly(build, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


def test_sixteen_threads_lose_no_counts() -> None:
    m = AgentMetrics(max_observations=100_000)  # exact: every observation is kept
    per_thread = 2_000
    barrier = threading.Barrier(16)

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            m.record_llm_call("production", "ok" if i % 4 else "error", 0.001 * (i % 50))
            m.record_tokens(input_tokens=3, output_tokens=1)
            m.record_retry("model", "RateLimitError")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = 16 * per_thread
    assert m.llm_calls.value() == total and m.llm_calls.value(status="error") == total // 4
    assert m.llm_call_seconds.count() == total == len(m.llm_call_seconds.observations())
    assert m.tokens.by("kind") == {"input": 3 * total, "output": total}
    got = samples(m.prometheus_text())
    assert got[("llm_calls_total", (("agent", "production"), ("status", "ok")))] == total * 3 // 4
    assert got[("retries_total", (("layer", "model"), ("reason", "RateLimitError")))] == total
    assert got[("llm_call_seconds_count", (("agent", "production"),))] == total


def test_prometheus_text_has_every_standard_metric_with_cumulative_buckets() -> None:
    m = AgentMetrics()
    m.record_run("naive", "crash", 0.3)
    m.record_run("naive", "success", 2.0)
    m.record_http_attempt("production", 429)
    m.record_tool_call("get_pods", "ok", 0.05)
    m.record_tool_call("get_logs", "error")
    m.record_breaker_transition("llm", "open")
    m.record_fallback_step("diag", "rules", "degraded")
    text = m.prometheus_text()
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert families == {
        "agent_runs": "counter",
        "llm_calls": "counter",
        "llm_http_attempts": "counter",
        "tool_calls": "counter",
        "retries": "counter",
        "breaker_transitions": "counter",
        "fallback_steps": "counter",
        "tokens": "counter",
        "agent_run_seconds": "histogram",
        "llm_call_seconds": "histogram",
        "tool_call_seconds": "histogram",
    }
    got = samples(text)
    run = (("agent", "naive"),)
    assert got[("agent_run_seconds_bucket", (*run, ("le", "0.25")))] == 0
    assert got[("agent_run_seconds_bucket", (*run, ("le", "0.5")))] == 1
    assert got[("agent_run_seconds_bucket", (*run, ("le", "2.5")))] == 2
    assert got[("agent_run_seconds_bucket", (*run, ("le", "+Inf")))] == 2
    assert got[("agent_run_seconds_sum", run)] == 2.3
    assert got[("llm_http_attempts_total", (("agent", "production"), ("status", "429")))] == 1
    assert got[("tool_calls_total", (("outcome", "error"), ("tool", "get_logs")))] == 1
    assert m.tool_call_seconds.count() == 1  # a call without a duration is counted, not timed


def test_bucket_bounds_are_inclusive() -> None:
    m = AgentMetrics(latency_buckets=(1.0, 2.0))
    m.record_run("a", "success", 1.0)
    got = samples(m.prometheus_text())
    assert got[("agent_run_seconds_bucket", (("agent", "a"), ("le", "1.0")))] == 1


def test_each_instance_has_its_own_registry_and_a_shared_one_refuses_duplicates() -> None:
    before = {f.name for f in REGISTRY.collect()}
    a, b = AgentMetrics(), AgentMetrics()
    a.record_run("x", "success", 1)
    assert not [k for k in samples(b.prometheus_text()) if k[0] == "agent_runs_total"]
    assert [k for k in samples(a.prometheus_text()) if k[0] == "agent_runs_total"]
    assert {f.name for f in REGISTRY.collect()} == before
    shared = CollectorRegistry()
    AgentMetrics(registry=shared)
    with pytest.raises(ValueError, match="Duplicated"):
        AgentMetrics(registry=shared)


def test_snapshot_gives_plain_numbers() -> None:
    m = AgentMetrics()
    m.record_run("naive", "success", 1.0)
    m.record_run("naive", "success", 3.0)
    snap = m.snapshot()
    assert snap["agent_runs_total"] == {"agent=naive,outcome=success": 2}
    assert snap["agent_run_seconds"]["agent=naive"]["p50"] == 2.0
    assert snap["tool_call_seconds"] == {}


def test_token_counts_must_be_non_negative_ints() -> None:
    m = AgentMetrics()
    with pytest.raises(ValueError, match="input_tokens"):
        m.record_tokens(input_tokens=-1)
    with pytest.raises(ValueError, match="output_tokens"):
        m.record_tokens(output_tokens=1.5)  # type: ignore[arg-type]


def test_resilience_adapters_count_transitions_and_retries() -> None:
    m = AgentMetrics()
    m.on_breaker_change(SimpleNamespace(breaker="llm", to_state=SimpleNamespace(value="open")))
    hook = m.retry_hook("tool")
    hook(SimpleNamespace(error=TimeoutError()))
    hook(SimpleNamespace(error=None))
    assert m.breaker_transitions.value(breaker="llm", to="open") == 1
    assert m.retries.by("reason") == {"TimeoutError": 1, "result": 1}
