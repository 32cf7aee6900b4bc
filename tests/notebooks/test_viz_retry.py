"""Notebook 02's charts draw the data they are given (bar lengths, line values, labels), and its
retry explorer redraws chart and summary when a control moves."""

from __future__ import annotations

import math
import statistics

import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle, StepPatch

from course_lib.resilience import StrategySummary, compare_strategies
from course_lib.viz.retry_charts import (
    STRATEGY_COLOURS,
    STRATEGY_LABELS,
    bucket_counts,
    plot_attempts_per_call,
    plot_contention,
    plot_contention_sweep,
    plot_delays_per_attempt,
    plot_retry_budget,
)
from course_lib.viz.widgets_retry import RetryExplorer, backoff_samples, exponential_ceiling


def bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def texts(ax):
    return [t.get_text().strip() for t in ax.texts]


def row(strategy, clients, calls, time):
    return StrategySummary(strategy, clients, 3, calls, time, 0.0, 0.0)


# --------------------------------------------------------------------------- delays per attempt


def test_delays_chart_plots_every_client_the_mean_and_the_ceiling():
    samples = {
        "full_jitter": [[0.1, 0.7, 1.5], [0.4, 0.2, 3.1]],
        "exponential": [[0.5, 1.0, 2.0], [0.5, 1.0, 2.0]],
    }
    ceiling = [0.5, 1.0, 2.0]
    fig = plot_delays_per_attempt(samples, ceiling=ceiling)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["full jitter", "exponential, no jitter"]
    for ax, (name, clients) in zip(axes, samples.items(), strict=True):
        dots = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert [c.get_offsets().tolist() for c in dots] == [
            [[n + 1, wait] for n, wait in enumerate(client)] for client in clients
        ]
        assert to_hex(dots[0].get_facecolor()[0]) == STRATEGY_COLOURS[name]
        mean, ceiling_line = ax.lines
        assert list(mean.get_xdata()) == [1, 2, 3]
        assert list(mean.get_ydata()) == pytest.approx(
            [statistics.fmean(c[n] for c in clients) for n in range(3)]
        )
        assert list(ceiling_line.get_ydata()) == ceiling and ceiling_line.get_linestyle() == "--"


def test_one_strategy_gets_no_panel_title_and_no_ceiling_when_not_given():
    fig = plot_delays_per_attempt({"equal_jitter": [[0.3, 0.8]]})
    (ax,) = fig.axes
    assert ax.get_title() == "" and len(ax.lines) == 1
    with pytest.raises(ValueError):
        plot_delays_per_attempt({})


def test_samples_follow_the_formulas_under_the_ceiling():
    ceiling = exponential_ceiling(base=0.5, cap=8.0, retries=8)
    assert ceiling == [0.5, 1, 2, 4, 8, 8, 8, 8]
    expo = backoff_samples("exponential", base=0.5, cap=8.0, clients=5, retries=8)
    assert all(client == ceiling for client in expo)
    full = backoff_samples("full_jitter", base=0.5, cap=8.0, clients=30, retries=8)
    assert all(0 <= w <= c for client in full for w, c in zip(client, ceiling, strict=True))
    assert len({round(client[3], 9) for client in full}) == 30  # spread: no two clients alike
    equal = backoff_samples("equal_jitter", base=0.5, cap=8.0, clients=30, retries=8)
    assert all(c / 2 <= w <= c for client in equal for w, c in zip(client, ceiling, strict=True))
    decorrelated = backoff_samples("decorrelated_jitter", base=0.5, cap=8.0, clients=30, retries=8)
    assert all(0.5 <= w <= 8.0 for client in decorrelated for w in client)
    assert backoff_samples("none", base=0.5, cap=8.0, clients=2, retries=3) == [[0.0] * 3] * 2
    assert full == backoff_samples("full_jitter", base=0.5, cap=8.0, clients=30, retries=8)  # seeded


# --------------------------------------------------------------------------- contention


def test_contention_bars_are_the_means_with_labels_and_highlight():
    rows = [row("exponential", 100, 1813.0, 62.9), row("full_jitter", 100, 795.0, 5.1)]
    fig = plot_contention(rows, highlight="full_jitter")
    ax_calls, ax_time = fig.axes
    assert [b.get_width() for b in bars(ax_calls)] == [1813.0, 795.0]
    assert [b.get_width() for b in bars(ax_time)] == [62.9, 5.1]
    assert [t.get_text() for t in ax_calls.get_yticklabels()] == ["exponential, no jitter", "full jitter"]
    assert texts(ax_calls) == ["1,813", "795"] and texts(ax_time) == ["62.9 s", "5.1 s"]
    assert [b.get_alpha() for b in bars(ax_calls)] == [0.3, 1.0]
    assert [to_hex(b.get_facecolor()) for b in bars(ax_calls)] == [
        STRATEGY_COLOURS["exponential"],
        STRATEGY_COLOURS["full_jitter"],
    ]
    assert "100 clients" in fig.texts[0].get_text()


def test_contention_chart_of_the_real_simulation_shows_the_aws_shape():
    rows = compare_strategies(100, seeds=range(3))
    fig = plot_contention(rows)
    calls = dict(zip([r.strategy for r in rows], [b.get_width() for b in bars(fig.axes[0])], strict=True))
    times = dict(zip([r.strategy for r in rows], [b.get_width() for b in bars(fig.axes[1])], strict=True))
    assert calls == {r.strategy: r.mean_calls for r in rows}
    assert calls["exponential"] > 2 * calls["full_jitter"]  # what the notebook's caption says
    assert times["exponential"] > 8 * times["full_jitter"]
    assert calls["none"] == max(calls.values()) and times["none"] == min(times.values())


def test_contention_sweep_draws_one_line_per_strategy_over_clients():
    rows = [
        row("full_jitter", 50, 333.0, 2.9),
        row("exponential", 50, 616.0, 36.4),
        row("full_jitter", 10, 40.0, 0.5),
        row("exponential", 10, 45.0, 3.0),
    ]
    fig = plot_contention_sweep(rows)
    ax_calls, ax_time = fig.axes
    lines = {line.get_label(): line for line in ax_calls.lines}
    assert set(lines) == {STRATEGY_LABELS["full_jitter"], STRATEGY_LABELS["exponential"]}
    full = lines[STRATEGY_LABELS["full_jitter"]]
    assert list(full.get_xdata()) == [10, 50] and list(full.get_ydata()) == [40.0, 333.0]
    time_lines = {line.get_label(): line for line in ax_time.lines}
    assert list(time_lines[STRATEGY_LABELS["exponential"]].get_ydata()) == [3.0, 36.4]
    with pytest.raises(ValueError):
        plot_contention_sweep([])


# --------------------------------------------------------------------------- amplification


def test_attempts_chart_bar_lengths_colours_and_labels():
    attempts = {"SDK, max_retries=0": 1, "SDK default": 3, "loop > SDK": 9, "loop > agent > SDK": 27}
    fig = plot_attempts_per_call(attempts, budget=3)
    (ax,) = fig.axes
    assert [b.get_width() for b in bars(ax)] == [1, 3, 9, 27]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(attempts)
    assert texts(ax) == ["1", "3", "9", "27"]
    assert [to_hex(b.get_facecolor()) for b in bars(ax)] == ["#15803d", "#15803d", "#dc2626", "#dc2626"]
    (budget_line,) = ax.lines
    assert list(budget_line.get_xdata()) == [3, 3]
    assert "3 attempts" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError):
        plot_attempts_per_call({})


# --------------------------------------------------------------------------- budget


def test_bucket_counts():
    assert bucket_counts([0.0, 0.5, 0.99, 1.0, 2.5, 3.0], 1.0, 3.0) == [3, 1, 1]  # 3.0 is past the end
    assert bucket_counts([], 0.5, 1.0) == [0, 0]
    assert bucket_counts([0.1], 1.0, 0.0) == [1]
    with pytest.raises(ValueError):
        bucket_counts([1.0], 0.0, 1.0)


def test_budget_chart_draws_the_bucketed_load_and_the_tokens():
    without = [0.1, 0.2, 1.1, 1.2, 1.3, 1.4, 2.5]
    with_budget = [0.1, 0.2, 1.1, 1.2, 2.5]
    tokens = [(0.0, 5.0), (1.0, 3.0), (2.0, 0.5), (3.0, 1.5)]
    fig = plot_retry_budget(without, with_budget, tokens, end=3.0, bucket=1.0, offered=2, outage=(1.0, 2.0))
    ax_load, ax_tokens = fig.axes
    stairs = [p for p in ax_load.patches if isinstance(p, StepPatch)]
    values = [list(s.get_data().values) for s in stairs]
    assert values == [[2, 4, 1], [2, 2, 1]]
    assert list(stairs[0].get_data().edges) == [0.0, 1.0, 2.0, 3.0]
    assert [s.get_label() for s in stairs] == ["no budget: every call retries", "shared retry budget"]
    (offered,) = ax_load.lines
    assert list(offered.get_ydata()) == [2, 2]
    (token_line,) = ax_tokens.lines
    assert list(token_line.get_xdata()) == [0.0, 1.0, 2.0, 3.0]
    assert list(token_line.get_ydata()) == [5.0, 3.0, 0.5, 1.5]
    assert ax_load.get_xlim() == (0.0, 3.0)
    assert "dependency failing" in texts(ax_load)


# --------------------------------------------------------------------------- the explorer widget


def test_explorer_initial_state():
    explorer = RetryExplorer()
    assert repr(explorer) == "RetryExplorer(strategy=full_jitter, base=5 ms, cap=2 s, clients=100)"
    assert bytes(explorer.delays_chart.value).startswith(b"\x89PNG")
    assert bytes(explorer.contention_chart.value).startswith(b"\x89PNG")
    by_name = {r.strategy: r for r in explorer.rows}
    full, expo = by_name["full_jitter"], by_name["exponential"]
    summary = explorer.summary.value
    assert "<b>full jitter</b>, base 5 ms, cap 2 s, 100 clients" in summary
    assert f"{full.mean_calls:,.0f} calls" in summary and f"{full.mean_time:.2f} s" in summary
    assert f"Exponential without jitter: {expo.mean_calls:,.0f} calls, {expo.mean_time:.2f} s." in summary
    assert explorer._dom_classes == ("retry-explorer",)
    assert explorer.summary._dom_classes == ("retry-explorer-summary",)
    assert explorer.delays_chart._dom_classes == ("retry-explorer-delays",)
    assert explorer.contention_chart._dom_classes == ("retry-explorer-contention",)


@pytest.mark.parametrize(
    ("control", "value", "in_summary"),
    [
        ("clients", 110, "110 clients"),
        ("base", 6, "base 6 ms"),
        ("cap", 2.25, "cap 2.25 s"),
        ("strategy", "equal_jitter", "<b>equal jitter</b>"),
    ],
)
def test_moving_a_control_redraws_charts_and_summary(control, value, in_summary):
    explorer = RetryExplorer()
    before = (
        bytes(explorer.delays_chart.value),
        bytes(explorer.contention_chart.value),
        explorer.summary.value,
    )
    getattr(explorer, control).value = value
    assert in_summary in explorer.summary.value
    assert explorer.summary.value != before[2]
    assert bytes(explorer.contention_chart.value) != before[1]
    if control != "clients":  # the waits of one client do not depend on how many contend
        assert bytes(explorer.delays_chart.value) != before[0]


def test_summary_numbers_come_from_the_simulation_for_the_current_settings():
    explorer = RetryExplorer(strategy="exponential", base_ms=10, cap_s=1.0, clients=50)
    expected = {r.strategy: r for r in compare_strategies(50, seeds=range(3), base=0.010, cap=1.0)}
    assert explorer.rows == list(expected.values())
    assert f"<b>{expected['exponential'].mean_calls:,.0f} calls</b>" in explorer.summary.value
    assert math.isclose(explorer.base_s, 0.010)


def test_same_settings_give_the_same_picture():
    a, b = RetryExplorer(clients=40), RetryExplorer(clients=40)
    assert bytes(a.delays_chart.value) == bytes(b.delays_chart.value)
    assert bytes(a.contention_chart.value) == bytes(b.contention_chart.value)
    with pytest.raises(ValueError):
        RetryExplorer(strategy="linear")
