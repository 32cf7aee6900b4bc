"""Charts for the notebooks: pure functions that take data and return a matplotlib Figure.

They never call ``plt.show()`` and never read global state, so tests can inspect what they draw
and notebooks can display them by ending a cell with the returned figure. Widget builders live in
``course_lib.viz.widgets`` (imported on demand: it needs ipywidgets).
"""

from course_lib.viz.metrics import (
    plot_counts,
    plot_grouped_counts,
    plot_latency_histogram,
    plot_percentiles,
    plot_trace,
)
from course_lib.viz.timeline import plot_waits

__all__ = [
    "plot_counts",
    "plot_grouped_counts",
    "plot_latency_histogram",
    "plot_percentiles",
    "plot_trace",
    "plot_waits",
]
