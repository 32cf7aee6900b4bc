"""Notebook 01's chart: the figure shows each run's calls, virtual seconds and tokens, by ending."""

import matplotlib.colors as mcolors
import pytest
from matplotlib.figure import Figure

from course_lib.agent.result import AgentResult, Outcome
from course_lib.viz.failure_charts import (
    ENDINGS,
    FailureCost,
    cost_from_result,
    ending_of,
    plot_failure_costs,
)

COSTS = [
    FailureCost("healthy", "ok", 4, 3, 0.0, 3731),
    FailureCost("rate limit", "crashed", 6, 2, 15.0, 901),
    FailureCost("tool: hang", "late", 4, 3, 900.0, 3731),
    FailureCost("output: prose", "wrong", 3, 2, 0.0, 2203),
    FailureCost("loop", "loop", 13, 12, 0.0, 13299),
]


def _result(**changes):
    fields = dict(
        agent="naive",
        scenario="crashloop-app-error",
        profile="none",
        seed=0,
        success=True,
        output="CrashLoopBackOff ...",
        diagnosis="CrashLoopBackOff ...",
        degraded=False,
        outcome=Outcome.ANSWERED,
        correct=True,
        attempts=7,
        steps=7,
        llm_calls=4,
        http_attempts=4,
        max_attempts_per_call=1,
        tool_calls=3,
        duration_s=0.0,
        deadline_s=120.0,
        tokens=3731,
    )
    fields.update(changes)
    return AgentResult(**fields)


def _bars(ax):
    return [p for p in ax.patches if p.get_height() > 0]


def test_three_panels_one_bar_per_run_with_the_values_as_widths():
    fig = plot_failure_costs(COSTS)
    assert isinstance(fig, Figure)
    calls, seconds, tokens = fig.axes
    assert [b.get_width() for b in _bars(calls)] == [7, 8, 7, 5, 25]
    assert [b.get_width() for b in _bars(seconds)] == [0.0, 15.0, 900.0, 0.0, 0.0]
    assert [b.get_width() for b in _bars(tokens)] == [3731, 901, 3731, 2203, 13299]
    assert [t.get_text() for t in calls.get_yticklabels()] == [c.label for c in COSTS]
    assert (
        "calls" in calls.get_title() and "seconds" in seconds.get_title() and "tokens" in tokens.get_title()
    )


def test_rows_are_drawn_top_to_bottom_in_the_order_given():
    calls = plot_failure_costs(COSTS).axes[0]
    ys = [b.get_y() for b in _bars(calls)]
    assert ys == sorted(ys)
    assert calls.yaxis_inverted()


def test_bars_are_coloured_by_how_the_run_ended_and_the_legend_names_each_ending_once():
    fig = plot_failure_costs(COSTS)
    colours = [mcolors.to_hex(b.get_facecolor()) for b in _bars(fig.axes[0])]
    assert colours == [ENDINGS[c.ending][0] for c in COSTS]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [ENDINGS[k][1] for k in ("ok", "crashed", "late", "wrong", "loop")] + ["healthy run"]


def test_the_healthy_run_is_a_dashed_line_in_every_panel():
    fig = plot_failure_costs(COSTS)
    for ax, expected in zip(fig.axes, (7, 0.0, 3731), strict=True):
        lines = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert len(lines) == 1
        assert list(lines[0].get_xdata()) == [expected, expected]


def test_bar_labels_say_the_split_of_calls_the_seconds_and_the_tokens():
    fig = plot_failure_costs(COSTS)
    texts = [[t.get_text() for t in ax.texts] for ax in fig.axes]
    assert texts[0] == ["4+3", "6+2", "4+3", "3+2", "13+12"]
    assert texts[1] == ["0 s", "15 s", "900 s", "0 s", "0 s"]
    assert texts[2] == ["3.7k", "901", "3.7k", "2.2k", "13.3k"]


def test_no_baseline_draws_no_line_and_an_unknown_baseline_is_refused():
    fig = plot_failure_costs(COSTS, baseline=None)
    assert not any(line.get_linestyle() == "--" for ax in fig.axes for line in ax.get_lines())
    with pytest.raises(ValueError, match="baseline 'nope' is not a row"):
        plot_failure_costs(COSTS, baseline="nope")


def test_no_runs_gives_a_titled_empty_figure():
    fig = plot_failure_costs([])
    assert fig._suptitle.get_text().endswith("no runs")
    assert not any(ax.patches for ax in fig.axes)


def test_a_cost_refuses_an_unknown_ending_and_negative_numbers():
    with pytest.raises(ValueError, match="unknown ending 'fine'"):
        FailureCost("x", "fine", 1, 1, 0.0, 1)
    with pytest.raises(ValueError, match="cannot be negative"):
        FailureCost("x", "ok", -1, 1, 0.0, 1)
    with pytest.raises(ValueError, match="cannot be negative"):
        FailureCost("x", "ok", 1, 1, -0.5, 1)


@pytest.mark.parametrize(
    ("changes", "ending"),
    [
        ({}, "ok"),
        ({"duration_s": 900.0}, "late"),
        ({"correct": False}, "wrong"),
        ({"outcome": Outcome.ERROR, "correct": False, "success": False}, "wrong"),
        ({"outcome": Outcome.CRASHED, "correct": False, "success": False}, "crashed"),
        ({"outcome": Outcome.WOULD_LOOP, "correct": False, "success": False}, "loop"),
        ({"outcome": Outcome.HUNG, "correct": False, "success": False}, "loop"),
        ({"outcome": Outcome.DEGRADED, "correct": True, "success": False}, "ok"),
    ],
)
def test_ending_of_an_agent_result(changes, ending):
    assert ending_of(_result(**changes)) == ending


def test_cost_from_result_takes_http_requests_not_logical_calls():
    cost = cost_from_result(
        "rate limit", _result(http_attempts=6, llm_calls=3, tool_calls=2, duration_s=15.0)
    )
    assert (cost.model_requests, cost.tool_calls, cost.seconds, cost.calls) == (6, 2, 15.0, 8)
