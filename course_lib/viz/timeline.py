"""A timeline of waits: where a run spent its (virtual) time."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from course_lib.clock import SleepRecord

__all__ = ["plot_waits"]


def plot_waits(
    sleeps: Sequence[SleepRecord],
    *,
    title: str = "Waits on the virtual clock",
    deadline: float | None = None,
) -> Figure:
    """One bar per recorded sleep, from its start to its end, labelled with its duration.

    A vertical line marks ``deadline`` when given, and waits that end past it are drawn in red,
    so an overshoot is visible at a glance.
    """
    fig = Figure(figsize=(8, 1.2 + 0.35 * max(1, len(sleeps))), layout="constrained")
    ax = fig.add_subplot()
    for row, record in enumerate(sleeps):
        late = deadline is not None and record.until > deadline + 1e-9
        ax.barh(row, record.seconds, left=record.at, height=0.6, color="#dc2626" if late else "#2563eb")
        label = f"{record.seconds:g} s" + (f" ({record.label})" if record.label else "")
        ax.text(record.until, row, f"  {label}", va="center", fontsize=9)
    if deadline is not None:
        ax.axvline(deadline, color="#b91c1c", linestyle="--", label=f"deadline {deadline:g} s")
        ax.legend(loc="upper right")
    ax.set_yticks(range(len(sleeps)), [f"wait {i + 1}" for i in range(len(sleeps))])
    ax.invert_yaxis()
    end = max([r.until for r in sleeps] + [deadline or 0.0, 1.0])
    ax.set_xlim(0, end * 1.2)
    ax.set_xlabel("virtual time (s)")
    ax.set_title(title if sleeps else f"{title}: no waits recorded")
    return fig
