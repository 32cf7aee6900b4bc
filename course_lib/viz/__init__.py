"""Charts for the notebooks: pure functions that take data and return a matplotlib Figure.

They never call ``plt.show()`` and never read global state, so tests can inspect what they draw
and notebooks can display them by ending a cell with the returned figure.
"""

from course_lib.viz.timeline import plot_waits

__all__ = ["plot_waits"]
