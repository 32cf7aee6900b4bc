"""Notebook 06's breaker explorer: moving a slider re-runs the simulation and redraws chart and summary."""

from __future__ import annotations

import re

from course_lib.teaching.breaker_sim import simulate_breaker
from course_lib.viz.widgets_breaker import BreakerExplorer


def text(explorer):
    return re.sub(r"<[^>]+>", "", explorer.summary.value)


def test_initial_state_matches_the_simulation():
    explorer = BreakerExplorer()
    trace = simulate_breaker(
        outage=(60.0, 180.0), error_rate=0.05, failure_threshold=5, reset_timeout=30.0, seed=6
    )
    assert explorer.trace == trace
    assert text(explorer) == (
        f"With the breaker: {trace.made} calls made ({trace.failed} failed), {trace.rejected} rejected fast, "
        f"first answer {trace.recovery_time:g} s after the outage ended. "
        f"Without: {explorer.baseline.made} calls made ({explorer.baseline.failed} failed), first answer after 0 s."
    )
    assert bytes(explorer.chart.value).startswith(b"\x89PNG")
    assert repr(explorer) == "BreakerExplorer(threshold=5, reset_timeout=30, outage=120, error_rate=0.05)"
    assert explorer._dom_classes == ("breaker-explorer",)
    assert explorer.summary._dom_classes == ("breaker-explorer-summary",)
    assert explorer.chart._dom_classes == ("breaker-explorer-chart",)


def test_the_same_settings_draw_the_same_bytes():
    assert bytes(BreakerExplorer().chart.value) == bytes(BreakerExplorer().chart.value)


def test_each_slider_changes_the_chart_and_the_summary():
    explorer = BreakerExplorer()
    for control, value in (
        (explorer.reset_timeout, 60),
        (explorer.threshold, 3),
        (explorer.outage, 240),
        (explorer.error_rate, 0.2),
    ):
        before_png, before_text = bytes(explorer.chart.value), explorer.summary.value
        control.value = value
        assert bytes(explorer.chart.value) != before_png, control.description
        assert explorer.summary.value != before_text, control.description


def test_a_longer_reset_timeout_wastes_fewer_calls_and_recovers_later():
    short, long = BreakerExplorer(reset_timeout=10), BreakerExplorer(reset_timeout=90)
    assert long.trace.made < short.trace.made
    assert long.trace.recovery_time > short.trace.recovery_time
    assert "With the breaker:" in long.summary.value and "rejected fast" in long.summary.value


def test_no_outage_says_so():
    explorer = BreakerExplorer(outage=0, error_rate=0.0)
    assert explorer.trace.rejected == 0 and explorer.trace.failed == 0
    assert "no outage to recover from" in explorer.summary.value
    assert "first answer after" not in explorer.summary.value
