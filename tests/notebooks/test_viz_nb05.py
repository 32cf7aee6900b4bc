"""Notebook 05's chart and budget widget: the data drawn, and a slider that redraws."""

import pytest
from matplotlib.colors import to_hex

from course_lib.agent.context import count_tokens, token_growth
from course_lib.checks.nb05 import conversation
from course_lib.viz.context_charts import WINDOW_COLOUR, budget_series, plot_token_growth
from course_lib.viz.widgets_context import TokenBudgetExplorer

SERIES = {"no limit": [800, 5000, 9000, 17000], "trim to budget": [800, 5000, 7900, 7950]}


def test_each_series_is_a_line_with_its_values_and_overflows_are_crossed():
    ax = plot_token_growth(SERIES, window=16000, budget=8000).axes[0]
    lines = {
        line.get_label(): list(line.get_ydata())
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
    }
    assert lines["no limit"] == SERIES["no limit"] and lines["trim to budget"] == SERIES["trim to budget"]
    assert list(lines["context window 16,000"]) == [16000, 16000] and list(lines["budget 8,000"]) == [
        8000,
        8000,
    ]
    crosses = [c for c in ax.collections if to_hex(c.get_facecolor()[0]) == WINDOW_COLOUR]
    assert [tuple(p) for c in crosses for p in c.get_offsets()] == [(4.0, 17000.0)]


def test_no_window_no_crosses_and_empty_input_says_so():
    ax = plot_token_growth(SERIES).axes[0]
    assert not ax.collections
    assert "no model calls" in plot_token_growth({}).axes[0].get_title()


def test_budget_series_matches_the_token_growth_and_respects_the_budget():
    messages = conversation()
    messages.append(messages[2].model_copy())  # a last AI turn, so the whole history is one call
    series, kept = budget_series(messages, 8000, fixed_tokens=100)
    assert series["no limit"] == [t + 100 for t in token_growth(messages)]
    assert max(series["trim to budget"]) <= 8000 and max(series["cap tool outputs + trim"]) <= 8000
    assert kept == {"no limit": 6, "trim to budget": 5, "cap tool outputs + trim": 5}
    _, kept = budget_series(messages, 5000, fixed_tokens=100)
    assert kept == {
        "no limit": 6,
        "trim to budget": 2,
        "cap tool outputs + trim": 4,
    }  # capping keeps evidence
    assert series["no limit"][-1] == count_tokens(messages[:-1]) + 100


def test_moving_the_budget_slider_changes_the_chart_and_the_summary():
    messages = conversation()
    messages.append(messages[2].model_copy())
    explorer = TokenBudgetExplorer(messages, window=10000, budget=8000, name="demo")
    assert bytes(explorer.chart.value).startswith(b"\x89PNG")
    assert "Budget 8,000 tokens" in explorer.summary.value
    assert "passes the 10,000-token window on 1 of 6 calls" in explorer.summary.value
    before_png, before_text = bytes(explorer.chart.value), explorer.summary.value
    explorer.budget.value = 3000
    assert bytes(explorer.chart.value) != before_png and explorer.summary.value != before_text
    assert "Budget 3,000 tokens" in explorer.summary.value
    assert repr(explorer) == "TokenBudgetExplorer(demo, budget=3000, window=10000)"


def test_explorer_rejects_an_empty_conversation():
    with pytest.raises(ValueError, match="at least one message"):
        TokenBudgetExplorer([], window=1000)
