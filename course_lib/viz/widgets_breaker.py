"""The breaker explorer: sliders for the breaker and the outage that redraw the state chart live.

House style of :mod:`course_lib.viz.widgets`: the chart is a PNG in an ``ipywidgets.Image``
(plain data a test can read and a browser test can watch change), an HTML summary, stable CSS
classes and a short ``__repr__``. Every redraw re-runs :func:`simulate_breaker`, which is pure,
seeded and in virtual time: the same settings always give the same numbers and the same bytes.
"""

from __future__ import annotations

import ipywidgets as widgets

from course_lib.teaching.breaker_sim import BreakerTrace, simulate_breaker
from course_lib.viz.breaker_charts import plot_breaker_trace
from course_lib.viz.widgets import figure_png

__all__ = ["BreakerExplorer"]

OUTAGE_START = 60.0
DURATION = 420.0


class BreakerExplorer(widgets.VBox):
    """Failure threshold, reset timeout, outage length and background error rate -> the breaker's day.

    One agent sends a request every 2 s for 7 minutes; the provider is down from t = 60 s for
    ``outage`` seconds and otherwise fails ``error rate`` of requests at random (seeded). The
    summary compares the breaker with no breaker: requests that reached the provider, requests
    rejected fast, and how long after the outage the first answer came back.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        outage: float = 120.0,
        error_rate: float = 0.05,
        seed: int = 6,
    ) -> None:
        self._seed = seed
        self.threshold = widgets.IntSlider(
            value=failure_threshold,
            min=1,
            max=10,
            step=1,
            description="failure threshold",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.reset_timeout = widgets.IntSlider(
            value=int(reset_timeout),
            min=5,
            max=120,
            step=5,
            description="reset timeout (s)",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.outage = widgets.IntSlider(
            value=int(outage),
            min=0,
            max=300,
            step=30,
            description="outage (s)",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.error_rate = widgets.FloatSlider(
            value=error_rate,
            min=0.0,
            max=0.5,
            step=0.05,
            description="error rate",
            continuous_update=False,
            readout_format=".2f",
            style={"description_width": "initial"},
        )
        self.summary = widgets.HTML()
        self.chart = widgets.Image(format="png")
        controls = widgets.VBox(
            [widgets.HBox([self.threshold, self.reset_timeout]), widgets.HBox([self.outage, self.error_rate])]
        )
        super().__init__([controls, self.summary, self.chart])
        # stable hooks for the browser tests (tests/e2e) and for course CSS
        self.add_class("breaker-explorer")
        self.summary.add_class("breaker-explorer-summary")
        self.chart.add_class("breaker-explorer-chart")
        self.trace: BreakerTrace
        self.baseline: BreakerTrace
        for control in (self.threshold, self.reset_timeout, self.outage, self.error_rate):
            control.observe(self._redraw, names="value")
        self._redraw()

    def run(self, *, breaker: bool = True) -> BreakerTrace:
        """The simulation for the current slider values (``breaker=False``: the baseline)."""
        return simulate_breaker(
            outage=(OUTAGE_START, OUTAGE_START + self.outage.value),
            duration=DURATION,
            error_rate=round(self.error_rate.value, 2),
            failure_threshold=self.threshold.value,
            reset_timeout=float(self.reset_timeout.value),
            seed=self._seed,
            breaker=breaker,
        )

    def _redraw(self, _change: object = None) -> None:
        self.trace, self.baseline = self.run(), self.run(breaker=False)
        trace, base = self.trace, self.baseline
        recovery = trace.recovery_time
        if trace.outage is None:
            after = "no outage to recover from"
        elif recovery is None:
            after = "<b>no answer</b> after the outage ended"
        else:
            after = f"first answer <b>{recovery:g} s</b> after the outage ended"
        base_recovery = base.recovery_time
        base_after = "" if base_recovery is None else f", first answer after {base_recovery:g} s"
        self.summary.value = (
            f"With the breaker: <b>{trace.made} calls made</b> ({trace.failed} failed), "
            f"<b>{trace.rejected} rejected fast</b>, {after}. "
            f"Without: {base.made} calls made ({base.failed} failed){base_after}."
        )
        fig = plot_breaker_trace(
            trace,
            title=(
                f"threshold {self.threshold.value}, reset timeout {self.reset_timeout.value} s, "
                f"outage {self.outage.value} s, error rate {self.error_rate.value:.2f}"
            ),
        )
        self.chart.value = figure_png(fig)

    def __repr__(self) -> str:
        return (
            f"BreakerExplorer(threshold={self.threshold.value}, reset_timeout={self.reset_timeout.value}, "
            f"outage={self.outage.value}, error_rate={self.error_rate.value:.2f})"
        )
