"""Notebook 03's charts draw what their captions claim: checked on the figure data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex

from course_lib.viz.tool_charts import (
    MEASURED_KUBECTL_RUNS,
    OUTCOME_COLOURS,
    MeasuredRun,
    plot_error_outcomes,
    plot_kubectl_retries,
    plot_tool_tokens,
)

# ------------------------------------------------------------------ tokens per tool result


def test_tokens_chart_pairs_raw_and_capped_bars_per_call_on_a_log_axis():
    fig = plot_tool_tokens([170, 1_169_795, 122], [170, 1_988, 122], cap=2000, context_window=128_000)
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 6
    raw, capped = bars[:3], bars[3:]
    assert [b.get_height() for b in raw] == [170, 1_169_795, 122]
    assert [b.get_height() for b in capped] == [170, 1_988, 122]
    assert all(r.get_x() < c.get_x() for r, c in zip(raw, capped, strict=True))  # raw left of capped
    assert ax.get_yscale() == "log"
    lines = {line.get_label(): line.get_ydata()[0] for line in ax.lines}
    assert lines == {"cap 2,000 tokens": 2000, "context window 128,000": 128_000}
    assert "1,170,087 tokens uncapped, 2,280 capped" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]


def test_tokens_chart_shows_an_empty_answer_as_one_token_not_a_gap():
    bars = plot_tool_tokens([0], [0], cap=100).axes[0].patches
    assert [b.get_height() for b in bars] == [1, 1]


def test_tokens_chart_refuses_mismatched_series_and_a_bad_cap():
    with pytest.raises(ValueError, match="one pair per call"):
        plot_tool_tokens([1, 2], [1], cap=10)
    with pytest.raises(ValueError, match="cap must be >= 1"):
        plot_tool_tokens([1], [1], cap=0)


def test_tokens_chart_without_calls_says_so():
    fig = plot_tool_tokens([], [], cap=10)
    assert "no tool calls" in fig.axes[0].get_title()
    assert not fig.axes[0].patches


# ------------------------------------------------------------------ outcomes per error kind


def test_outcomes_are_sorted_by_count_and_coloured_by_what_to_do():
    counts = {"ok": 51, "Forbidden": 10, "ServerError": 12, "NotFound": 7, "Timeout": 7}
    fig = plot_error_outcomes(counts, retryable={"ServerError", "Timeout"})
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["ok", "ServerError", "Forbidden", "NotFound", "Timeout"]  # ties by name
    widths = [b.get_width() for b in ax.patches]
    assert widths == [51, 12, 10, 7, 7]
    colours = [to_hex(b.get_facecolor()) for b in ax.patches]
    assert colours == [
        OUTCOME_COLOURS["ok"],
        OUTCOME_COLOURS["retry"],
        OUTCOME_COLOURS["no retry"],
        OUTCOME_COLOURS["no retry"],
        OUTCOME_COLOURS["retry"],
    ]
    assert [t.get_text() for t in ax.texts] == ["51", "12", "10", "7", "7"]
    assert ax.get_title().endswith("36 of 87 failed, 19 worth a retry")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["ok", "a retry may help", "a retry cannot help"]


def test_outcomes_refuse_retryable_kinds_that_were_not_counted():
    with pytest.raises(ValueError, match="not counted: \\['Timeout'\\]"):
        plot_error_outcomes({"ok": 1}, retryable={"Timeout"})


def test_outcomes_without_counts_say_so():
    assert "nothing counted" in plot_error_outcomes({}, retryable=()).axes[0].get_title()


# ------------------------------------------------------------------ kubectl's own retries


def test_measured_runs_match_the_research_notes():
    by_flag = {(r.case, r.flag): r for r in MEASURED_KUBECTL_RUNS}
    three = by_flag[("server accepts TCP, TLS never answers", "--request-timeout=3s")]
    assert (three.attempts, three.attempt_s, three.wall_s, three.measured) == (5, 3.0, 18.0, "15-18 s")
    none = by_flag[("server accepts TCP, TLS never answers", "(no flag)")]
    assert (none.attempts, none.attempt_s, none.wall_s) == (5, 10.0, 55.0)
    assert by_flag[("HTTP 429 with Retry-After: 1", "(no flag)")].wall_s == 10.0
    assert all(
        r.wall_s > r.attempt_s for r in MEASURED_KUBECTL_RUNS if r.flag.startswith("--request-timeout")
    )


def test_retries_chart_draws_each_attempt_and_hatches_what_a_timeout_cuts():
    run = MeasuredRun(
        "dead server", "--request-timeout=3s", 5, 3.0, 18.0, "15-18 s", "context deadline exceeded"
    )
    fig = plot_kubectl_retries([run], timeout_s=10)
    ax = fig.axes[0]
    spans = [(round(b.get_x(), 6), round(b.get_width(), 6), bool(b.get_hatch())) for b in ax.patches]
    # attempts at 0, 3, 6 fit; the 4th (9-12) is split at the 10 s timeout; the rest is hatched
    assert spans == [
        (0, 3, False), (3, 3, False), (6, 3, False),
        (9, 1, False), (10, 2, True),
        (12, 3, True),
        (15, 3, True),
    ]  # fmt: skip
    assert sum(w for _, w, _ in spans) == pytest.approx(18.0)
    timeout_lines = [line for line in ax.lines if list(line.get_xdata()) == [10, 10]]
    assert len(timeout_lines) == 1
    assert ax.get_yticklabels()[0].get_text() == "dead server\n--request-timeout=3s: 15-18 s (5 × 3 s)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "subprocess timeout=10 s" in legend and "cut off by that timeout" in legend


def test_retries_chart_without_a_timeout_hatches_nothing():
    fig = plot_kubectl_retries(MEASURED_KUBECTL_RUNS)
    ax = fig.axes[0]
    assert not any(b.get_hatch() for b in ax.patches)
    total = sum(b.get_width() for b in ax.patches)
    assert total == pytest.approx(sum(r.wall_s for r in MEASURED_KUBECTL_RUNS))
    assert not ax.lines


def test_measured_run_refuses_inconsistent_data():
    with pytest.raises(ValueError, match="longer than the measured wall time"):
        MeasuredRun("x", "f", 5, 3.0, 10.0, "10 s", "")
    with pytest.raises(ValueError, match="at least one attempt"):
        MeasuredRun("x", "f", 0, 3.0, 10.0, "10 s", "")
    with pytest.raises(ValueError, match="timeout_s must be > 0"):
        plot_kubectl_retries(MEASURED_KUBECTL_RUNS, timeout_s=0)


def test_retries_chart_without_runs_says_so():
    assert "no runs" in plot_kubectl_retries([]).axes[0].get_title()


@settings(max_examples=40, deadline=None)
@given(
    attempts=st.integers(1, 8),
    attempt_s=st.floats(0.5, 10),
    extra_s=st.floats(0, 10),
    timeout_s=st.floats(0.25, 100),
)
def test_retries_chart_covers_the_wall_time_and_hatches_exactly_what_is_past_the_timeout(
    attempts, attempt_s, extra_s, timeout_s
):
    run = MeasuredRun("case", "flag", attempts, attempt_s, attempts * attempt_s + extra_s, "m", "")
    bars = plot_kubectl_retries([run], timeout_s=timeout_s).axes[0].patches
    assert sum(b.get_width() for b in bars) == pytest.approx(run.wall_s)
    for bar in bars:
        if bar.get_hatch():
            assert bar.get_x() >= timeout_s - 1e-9
        else:
            assert bar.get_x() + bar.get_width() <= timeout_s + 1e-9
