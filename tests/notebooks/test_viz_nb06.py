"""Notebook 06's state chart draws the breaker's history and calls it is given (bars, dots, colours)."""

from __future__ import annotations

import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from course_lib.resilience import CircuitState, StateChange
from course_lib.teaching.breaker_sim import CallRecord, Outcome, simulate_breaker
from course_lib.viz.breaker_charts import (
    NO_BREAKER_COLOUR,
    OUTCOME_COLOURS,
    STATE_COLOURS,
    plot_breaker_timeline,
    plot_breaker_trace,
    state_intervals,
)

C, OP, H = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN
HISTORY = [
    StateChange(0.0, C, C, "created"),
    StateChange(10.0, C, OP, "3 consecutive failures"),
    StateChange(40.0, OP, H, "reset timeout of 30 s elapsed"),
    StateChange(41.0, H, C, "1 probe(s) succeeded"),
]
CALLS = [
    CallRecord(2.0, Outcome.OK, seconds=1.0),
    CallRecord(8.0, Outcome.FAILED, seconds=1.0),
    CallRecord(9.0, Outcome.IGNORED, seconds=1.0),
    CallRecord(20.0, Outcome.REJECTED),
    CallRecord(22.0, Outcome.REJECTED),
    CallRecord(40.0, Outcome.OK, probe=True, seconds=1.0),
]


def bands(ax):
    return [
        (round(p.get_x(), 6), round(p.get_x() + p.get_width(), 6), to_hex(p.get_facecolor()))
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_gid() != "outage"
    ]


def outage_spans(ax):
    return [
        (round(p.get_x(), 6), round(p.get_x() + p.get_width(), 6))
        for p in ax.patches
        if p.get_gid() == "outage"
    ]


def dots(ax):
    """{row label: (x positions, face colour, sizes)} for each scatter on the calls axis."""
    labels = [t.get_text() for t in ax.get_yticklabels()]
    found = {}
    for collection in ax.collections:
        if isinstance(collection, PathCollection):
            offsets = collection.get_offsets()
            row = labels[round(float(offsets[0][1]))]
            found[row] = (
                [float(x) for x, _ in offsets],
                to_hex(collection.get_facecolor()[0]),
                [float(s) for s in collection.get_sizes()],
            )
    return found


def test_state_intervals_follow_the_history_to_the_end():
    assert state_intervals(HISTORY, end=60.0) == [
        (0.0, 10.0, C),
        (10.0, 40.0, OP),
        (40.0, 41.0, H),
        (41.0, 60.0, C),
    ]
    # two changes at the same instant leave no zero-length stretch
    same_time = [*HISTORY[:2], StateChange(10.0, OP, C, "reset manually")]
    assert state_intervals(same_time, end=20.0) == [(0.0, 10.0, C), (10.0, 20.0, C)]


def test_state_bands_are_drawn_from_the_history():
    fig = plot_breaker_timeline(HISTORY, CALLS, end=60.0, outage=(5.0, 35.0))
    state_ax, calls_ax = fig.axes
    assert bands(state_ax) == [
        (0.0, 10.0, STATE_COLOURS[C]),
        (10.0, 40.0, STATE_COLOURS[OP]),
        (40.0, 41.0, STATE_COLOURS[H]),
        (41.0, 60.0, STATE_COLOURS[C]),
    ]
    assert [t.get_text() for t in state_ax.get_legend().get_texts()] == ["closed", "open", "half-open"]
    assert calls_ax.get_xlim() == (0.0, 60.0)


def test_calls_are_dots_on_their_outcome_row_and_probes_stand_out():
    fig = plot_breaker_timeline(HISTORY, CALLS, end=60.0)
    calls_ax = fig.axes[1]
    assert [t.get_text() for t in calls_ax.get_yticklabels()] == [
        "rejected fast",
        "error, not counted",
        "failed",
        "answered",
    ]
    found = dots(calls_ax)
    assert found["answered"][:2] == ([2.0, 40.0], OUTCOME_COLOURS[Outcome.OK])
    assert found["answered"][2][1] > found["answered"][2][0]  # the probe is the bigger dot
    assert found["failed"][:2] == ([8.0], OUTCOME_COLOURS[Outcome.FAILED])
    assert found["error, not counted"][:2] == ([9.0], OUTCOME_COLOURS[Outcome.IGNORED])
    assert found["rejected fast"][:2] == ([20.0, 22.0], OUTCOME_COLOURS[Outcome.REJECTED])
    legend = [t.get_text() for t in calls_ax.get_legend().get_texts()]
    assert legend == [
        "answered (2)",
        "failed (1)",
        "error, not counted (1)",
        "rejected fast (2)",
        "half-open probe",
    ]


def test_the_ignored_row_only_appears_when_needed_and_the_outage_is_shaded():
    calls = [c for c in CALLS if c.outcome is not Outcome.IGNORED]
    fig = plot_breaker_timeline(HISTORY, calls, end=60.0, outage=(5.0, 35.0))
    state_ax, calls_ax = fig.axes
    assert "error, not counted" not in [t.get_text() for t in calls_ax.get_yticklabels()]
    assert outage_spans(state_ax) == outage_spans(calls_ax) == [(5.0, 35.0)]
    assert outage_spans(plot_breaker_timeline(HISTORY, calls, end=60.0).axes[1]) == []


def test_no_breaker_is_one_grey_band():
    fig = plot_breaker_timeline([], [CallRecord(1.0, Outcome.FAILED, seconds=1.0)], end=10.0)
    assert bands(fig.axes[0]) == [(0.0, 10.0, NO_BREAKER_COLOUR)]


def test_the_trace_chart_titles_itself_with_the_counts():
    trace = simulate_breaker(outage=(60.0, 180.0), duration=420.0, failure_threshold=5, reset_timeout=30.0)
    fig = plot_breaker_trace(trace)
    state_ax, calls_ax = fig.axes
    assert state_ax.get_title() == (
        f"{trace.made} requests reached the provider ({trace.failed} failed), {trace.rejected} rejected fast"
    )
    found = dots(calls_ax)
    assert len(found["rejected fast"][0]) == trace.rejected
    assert sum(len(v[0]) for v in found.values()) == len(trace.calls)
    opened = [b for b in bands(state_ax) if b[2] == STATE_COLOURS[OP]]
    assert opened[0][0] == pytest.approx(69.0)  # 5th failure (t=68) ends at 69 s
