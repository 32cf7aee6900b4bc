"""A slider for the token budget that redraws notebook 05's token-growth chart.

It replays a finished conversation: for every model call it shows what the whole history would
cost, what trimming to the budget sends, and what capping tool outputs and then trimming sends,
and says what the budget costs in evidence (tool results no longer sent).
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
from langchain_core.messages import BaseMessage, ToolMessage

from course_lib.viz.context_charts import budget_series, plot_token_growth
from course_lib.viz.widgets import figure_png

__all__ = ["TokenBudgetExplorer"]


class TokenBudgetExplorer(widgets.VBox):
    """A ``budget (tokens)`` slider over one conversation, a chart and an HTML summary."""

    def __init__(
        self,
        messages: Sequence[BaseMessage],
        *,
        window: int,
        budget: int = 8000,
        fixed_tokens: int = 0,
        name: str = "conversation",
    ) -> None:
        if not messages:
            raise ValueError("TokenBudgetExplorer needs a conversation with at least one message")
        self._messages = list(messages)
        self._window = window
        self._fixed = fixed_tokens
        self._name = name
        self.budget = widgets.IntSlider(
            value=budget,
            min=2000,
            max=window,
            step=1000,
            description="budget (tokens)",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.summary = widgets.HTML()
        self.chart = widgets.Image(format="png")
        super().__init__([self.budget, self.summary, self.chart])
        # stable hooks for the browser tests (tests/e2e) and for course CSS
        self.add_class("token-budget-explorer")
        self.summary.add_class("token-budget-explorer-summary")
        self.chart.add_class("token-budget-explorer-chart")
        self.budget.observe(self._redraw, names="value")
        self._redraw()

    def _redraw(self, _change: object = None) -> None:
        budget = self.budget.value
        series, kept = budget_series(self._messages, budget, fixed_tokens=self._fixed)
        total = sum(isinstance(m, ToolMessage) for m in self._messages)
        over = sum(v > self._window for v in series["no limit"])
        self.summary.value = (
            f"Budget {budget:,} tokens: the whole history passes the {self._window:,}-token window on "
            f"{over} of {len(series['no limit'])} calls; trimmed, the largest request is "
            f"{max(series['trim to budget']):,} tokens and the last call still sees "
            f"{kept['trim to budget']} of {total} tool results, "
            f"or {kept['cap tool outputs + trim']} with tool outputs capped first."
        )
        fig = plot_token_growth(
            series, window=self._window, budget=budget, title=f"{self._name}: budget {budget:,}"
        )
        self.chart.value = figure_png(fig)

    def __repr__(self) -> str:
        return f"TokenBudgetExplorer({self._name}, budget={self.budget.value}, window={self._window})"
