"""Widget builders: sliders that redraw a course chart, for learners who would rather look.

Charts are rendered to PNG into an ``ipywidgets.Image`` (not an Output area), so a widget's
state is plain data that tests can inspect and a browser test can watch change.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from course_lib.clock import VirtualClock
from course_lib.viz.timeline import plot_waits

__all__ = ["DeadlineExplorer", "figure_png"]

PollFunction = Callable[..., Any]


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes (for an ``ipywidgets.Image``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


class DeadlineExplorer(widgets.VBox):
    """Sliders for ``interval`` and ``timeout``; shows how a polling function meets its deadline.

    The function is run against a pod that never becomes ready, on a fresh virtual clock, for
    every slider change; the chart shows each wait and the summary says how late it finished.
    """

    def __init__(self, poll: PollFunction, *, name: str = "", interval: float = 2.0, timeout: float = 7.0):
        self._poll = poll
        self._name = name or getattr(poll, "__name__", "poll")
        self.interval = widgets.FloatSlider(
            value=interval, min=0.5, max=5.0, step=0.5, description="interval (s)", continuous_update=False
        )
        self.timeout = widgets.FloatSlider(
            value=timeout, min=1.0, max=20.0, step=1.0, description="timeout (s)", continuous_update=False
        )
        self.summary = widgets.HTML()
        self.chart = widgets.Image(format="png")
        super().__init__([widgets.HBox([self.interval, self.timeout]), self.summary, self.chart])
        # stable hooks for the browser tests (tests/e2e) and for course CSS
        self.add_class("deadline-explorer")
        self.summary.add_class("deadline-explorer-summary")
        self.chart.add_class("deadline-explorer-chart")
        self.interval.observe(self._redraw, names="value")
        self.timeout.observe(self._redraw, names="value")
        self._redraw()

    def run(self) -> tuple[VirtualClock, str]:
        """Run the poll function once with the current slider values; return the clock and outcome."""
        clock = VirtualClock()
        try:
            self._poll(lambda: False, clock, interval=self.interval.value, timeout=self.timeout.value)
            outcome = "returned without raising"
        except TimeoutError:
            outcome = "raised TimeoutError"
        return clock, outcome

    def _redraw(self, _change: object = None) -> None:
        clock, outcome = self.run()
        timeout = self.timeout.value
        late = clock.now() - timeout
        verdict = f"<b style='color:#b91c1c'>{late:g} s late</b>" if late > 1e-9 else "<b>on time</b>"
        self.summary.value = (
            f"<code>{self._name}</code> waited {clock.now():g} s for a {timeout:g} s timeout "
            f"and {outcome}: {verdict}"
        )
        fig = plot_waits(
            clock.sleeps, deadline=timeout, title=f"{self._name}: interval {self.interval.value:g} s"
        )
        self.chart.value = figure_png(fig)

    def __repr__(self) -> str:
        return f"DeadlineExplorer({self._name}, interval={self.interval.value:g}, timeout={self.timeout.value:g})"
