"""The retry explorer: sliders for base delay, cap, strategy and clients that redraw two charts.

House style of :mod:`course_lib.viz.widgets`: charts rendered to PNG into ``ipywidgets.Image``
(state is plain data a test can read and a browser test can watch change), stable CSS classes,
a short ``__repr__``. Everything it draws is seeded, so the same settings give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

from course_lib.resilience.backoff import delays
from course_lib.resilience.contention import StrategySummary, compare_strategies, default_strategies
from course_lib.viz.retry_charts import STRATEGY_LABELS, plot_contention, plot_delays_per_attempt
from course_lib.viz.widgets import figure_png

__all__ = ["RetryExplorer", "backoff_samples", "exponential_ceiling"]

STRATEGY_CHOICES = ("exponential", "full_jitter", "equal_jitter", "decorrelated_jitter", "none")


def backoff_samples(
    strategy: str, *, base: float, cap: float, clients: int = 30, retries: int = 10
) -> list[list[float]]:
    """The waits ``clients`` independent clients make before retries 1..``retries`` (seeded 0..clients-1).

    ``strategy`` is a name of :func:`~course_lib.resilience.contention.default_strategies`
    (``none`` retries at once), built with this ``base`` and ``cap`` (seconds).
    """
    backoff = default_strategies(base, cap)[strategy]
    return [list(delays(backoff, seed=seed, limit=retries)) for seed in range(clients)]


def exponential_ceiling(*, base: float, cap: float, retries: int = 10) -> list[float]:
    """``min(cap, base * 2**n)`` for n = 0..retries-1: the un-jittered schedule."""
    return [min(cap, base * 2**n) for n in range(retries)]


class RetryExplorer(widgets.VBox):
    """Base delay, cap, strategy and number of clients -> waits per retry, and the contention result.

    Top chart: the waits 30 clients make before each retry with the chosen strategy, under the
    un-jittered ceiling. Bottom chart: the contention simulation (every strategy, the chosen one
    highlighted) for that many clients. The summary line compares the choice with exponential
    backoff without jitter.
    """

    def __init__(
        self,
        *,
        strategy: str = "full_jitter",
        base_ms: int = 5,
        cap_s: float = 2.0,
        clients: int = 100,
        seeds: Sequence[int] = range(3),
    ) -> None:
        if strategy not in STRATEGY_CHOICES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGY_CHOICES)}, got {strategy!r}")
        self._seeds = tuple(seeds)
        self.base = widgets.IntSlider(
            value=base_ms, min=1, max=50, step=1, description="base (ms)", continuous_update=False
        )
        self.cap = widgets.FloatSlider(
            value=cap_s, min=0.25, max=5.0, step=0.25, description="cap (s)", continuous_update=False
        )
        self.strategy = widgets.Dropdown(
            options=[(STRATEGY_LABELS[name], name) for name in STRATEGY_CHOICES],
            value=strategy,
            description="strategy",
        )
        self.clients = widgets.IntSlider(
            value=clients, min=10, max=200, step=10, description="clients", continuous_update=False
        )
        self.summary = widgets.HTML()
        self.delays_chart = widgets.Image(format="png")
        self.contention_chart = widgets.Image(format="png")
        controls = widgets.VBox(
            [widgets.HBox([self.base, self.cap]), widgets.HBox([self.strategy, self.clients])]
        )
        super().__init__([controls, self.summary, self.delays_chart, self.contention_chart])
        # stable hooks for the browser tests (tests/e2e) and for course CSS
        self.add_class("retry-explorer")
        self.summary.add_class("retry-explorer-summary")
        self.delays_chart.add_class("retry-explorer-delays")
        self.contention_chart.add_class("retry-explorer-contention")
        self.rows: list[StrategySummary] = []
        for control in (self.base, self.cap, self.strategy, self.clients):
            control.observe(self._redraw, names="value")
        self._redraw()

    @property
    def base_s(self) -> float:
        return self.base.value / 1000

    def run(self) -> list[StrategySummary]:
        """The contention simulation for the current settings (mean over the seeds)."""
        return compare_strategies(self.clients.value, seeds=self._seeds, base=self.base_s, cap=self.cap.value)

    def _redraw(self, _change: object = None) -> None:
        name = self.strategy.value
        base, cap = self.base_s, self.cap.value
        self.rows = self.run()
        by_name = {row.strategy: row for row in self.rows}
        chosen, expo = by_name[name], by_name["exponential"]
        self.summary.value = (
            f"<b>{STRATEGY_LABELS[name]}</b>, base {self.base.value} ms, cap {cap:g} s, "
            f"{self.clients.value} clients: <b>{chosen.mean_calls:,.0f} calls</b> "
            f"({chosen.mean_calls / self.clients.value:.1f} per client), all done after "
            f"<b>{chosen.mean_time:.2f} s</b>. Exponential without jitter: "
            f"{expo.mean_calls:,.0f} calls, {expo.mean_time:.2f} s."
        )
        samples = {name: backoff_samples(name, base=base, cap=cap)}
        fig = plot_delays_per_attempt(
            samples,
            ceiling=exponential_ceiling(base=base, cap=cap),
            title=f"{STRATEGY_LABELS[name]}: 30 clients, base {self.base.value} ms, cap {cap:g} s",
        )
        fig.set_size_inches(9, 3.0)
        self.delays_chart.value = figure_png(fig)
        self.contention_chart.value = figure_png(plot_contention(self.rows, highlight=name))

    def __repr__(self) -> str:
        return (
            f"RetryExplorer(strategy={self.strategy.value}, base={self.base.value} ms, "
            f"cap={self.cap.value:g} s, clients={self.clients.value})"
        )
