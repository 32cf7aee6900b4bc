"""Observability charts: check what is drawn (bars, lines, labels), not pixels."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_rgba

from course_lib.observability.callbacks import Step
from course_lib.observability.metrics import Histogram, percentile
from course_lib.viz.metrics import (
    ERROR_COLOUR,
    KIND_COLOURS,
    plot_counts,
    plot_grouped_counts,
    plot_latency_histogram,
    plot_percentiles,
    plot_trace,
    trace_bars,
)

TAIL = [0.2] * 98 + [30.0, 30.0]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_latency_histogram_marks_mean_and_percentiles_where_they_are() -> None:
    ax = plot_latency_histogram(TAIL, title="LLM calls", bins=10).axes[0]
    assert len(ax.patches) == 10
    assert sum(p.get_height() for p in ax.patches) == 100
    xs = [line.get_xdata()[0] for line in ax.lines]
    assert xs == pytest.approx([sum(TAIL) / 100, 0.2, percentile(TAIL, 95), percentile(TAIL, 99)])
    assert legend_texts(ax) == ["mean = 0.796 s", "p50 = 0.2 s", "p95 = 0.2 s", "p99 = 30 s"]
    assert ax.get_title() == "LLM calls (n = 100)"


def test_latency_histogram_without_data_says_so() -> None:
    ax = plot_latency_histogram([]).axes[0]
    assert "no observations" in ax.get_title() and not ax.patches and not ax.lines
    with pytest.raises(ValueError, match="bins"):
        plot_latency_histogram([1.0], bins=0)


def test_histogram_metric_observations_feed_the_chart() -> None:
    h = Histogram("lat", labelnames=("agent",))
    for v in (1, 2, 3, 4):
        h.observe(v, agent="p")
    ax = plot_latency_histogram(h.observations(agent="p"), bins=4).axes[0]
    assert [p.get_height() for p in ax.patches] == [1, 1, 1, 1]


def test_percentile_bars_per_series() -> None:
    h = Histogram("lat")
    for v in range(1, 101):
        h.observe(v)
    ax = plot_percentiles({"naive": TAIL, "production": h.percentiles()}).axes[0]
    heights = [round(p.get_height(), 6) for p in ax.patches]
    # bars are drawn per percentile across series: p50 (naive, prod), p95 (...), p99 (...)
    assert heights == [
        0.2,
        50.5,
        round(percentile(TAIL, 95), 6),
        95.05,
        round(percentile(TAIL, 99), 6),
        99.01,
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["naive", "production"]
    assert legend_texts(ax) == ["p50", "p95", "p99"]
    with pytest.raises(ValueError, match="no observations"):
        plot_percentiles({"empty": []})
    assert "no data" in plot_percentiles({}).axes[0].get_title()


def test_counts_draw_one_labelled_bar_per_value() -> None:
    ax = plot_counts({"success": 9, "crash": 1}, title="runs").axes[0]
    assert [p.get_height() for p in ax.patches] == [9, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["success", "crash"]
    assert [t.get_text() for t in ax.texts] == ["9", "1"]
    assert "nothing counted" in plot_counts({}).axes[0].get_title()


def test_grouped_counts_fill_missing_values_with_zero() -> None:
    data = {"naive": {"crash": 7, "success": 3}, "production": {"success": 10}}
    ax = plot_grouped_counts(data, title="outcomes").axes[0]
    assert [p.get_height() for p in ax.patches] == [7, 0, 3, 10]
    assert legend_texts(ax) == ["crash", "success"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["naive", "production"]


def step(index: int, kind: str, name: str, start: float, end: float | None, status: str = "ok") -> Step:
    return Step(index, kind, name, f"{index:032x}", None, "t", start, end, status)


def test_trace_from_steps_draws_each_finished_step_in_its_place() -> None:
    steps = [
        step(1, "run", "naive", 0.0, 1.9),
        step(2, "model", "gpt", 0.0, 0.5),
        step(3, "tool", "get_pods", 0.5, 0.7, "error"),
        step(4, "model", "gpt", 0.7, None),  # still running: not drawn
    ]
    ax = plot_trace(steps).axes[0]
    assert [(p.get_x(), round(p.get_width(), 9)) for p in ax.patches] == [(0.0, 1.9), (0.0, 0.5), (0.5, 0.2)]
    assert ax.patches[2].get_facecolor() == to_rgba(ERROR_COLOUR)
    assert ax.patches[1].get_facecolor() == to_rgba(KIND_COLOURS["model"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["run: naive", "model: gpt", "tool: get_pods"]


def test_trace_from_log_events_includes_retry_waits_and_breaker_marks() -> None:
    events = [
        {"event": "run_start", "t": 0.0, "agent": "p"},
        {"event": "model_call", "t": 0.5, "duration_s": 0.5, "model": "gpt", "status": "error"},
        {"event": "retry", "t": 0.5, "layer": "model", "attempt": 1, "delay_s": 2.0},
        {"event": "breaker_transition", "t": 2.5, "breaker": "llm", "to_state": "open"},
        {"event": "tool_call", "t": 3.0, "duration_s": 0.25, "tool": "get_pods", "status": "ok"},
        {"event": "run_end", "t": 3.5, "duration_s": 3.5, "agent": "p", "outcome": "success"},
        {"event": "log", "t": None, "message": "ignored"},
    ]
    bars, marks = trace_bars(events)
    assert [(b.kind, b.label, b.start, b.end, b.status) for b in bars] == [
        ("run", "p", 0.0, 3.5, "ok"),
        ("model", "gpt", 0.0, 0.5, "error"),
        ("wait", "retry model #1", 0.5, 2.5, "ok"),
        ("tool", "get_pods", 2.75, 3.0, "ok"),
    ]
    assert marks == [(2.5, "llm: open")]
    ax = plot_trace(events).axes[0]
    assert len(ax.patches) == 4 and ax.lines[0].get_xdata()[0] == 2.5
    assert "llm: open" in [t.get_text() for t in ax.texts]


def test_empty_trace_says_so() -> None:
    assert "no steps recorded" in plot_trace([]).axes[0].get_title()
