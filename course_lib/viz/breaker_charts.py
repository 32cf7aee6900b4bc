"""Circuit-breaker charts for notebook 06: the breaker's state over time, with every call on it.

Pure functions of data (a breaker's ``history`` and a list of :class:`CallRecord`), returning a
matplotlib ``Figure``; tests read the bars and dots back from the figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from course_lib.resilience import CircuitState, StateChange
from course_lib.teaching.breaker_sim import BreakerTrace, CallRecord, Outcome

__all__ = [
    "OUTCOME_COLOURS",
    "OUTCOME_ROWS",
    "STATE_COLOURS",
    "plot_breaker_timeline",
    "plot_breaker_trace",
    "state_intervals",
]

STATE_COLOURS = {
    CircuitState.CLOSED: "#16a34a",
    CircuitState.OPEN: "#dc2626",
    CircuitState.HALF_OPEN: "#f59e0b",
}
NO_BREAKER_COLOUR = "#9ca3af"
OUTCOME_COLOURS = {
    Outcome.OK: "#16a34a",
    Outcome.FAILED: "#dc2626",
    Outcome.IGNORED: "#2563eb",
    Outcome.REJECTED: "#9ca3af",
}
# Bottom to top on the calls axis.
OUTCOME_ROWS = (Outcome.REJECTED, Outcome.IGNORED, Outcome.FAILED, Outcome.OK)
_ROW_LABELS = {
    Outcome.OK: "answered",
    Outcome.FAILED: "failed",
    Outcome.IGNORED: "error, not counted",
    Outcome.REJECTED: "rejected fast",
}
_STATE_LABELS = {
    CircuitState.CLOSED: "closed",
    CircuitState.OPEN: "open",
    CircuitState.HALF_OPEN: "half-open",
}


def state_intervals(history: Sequence[StateChange], end: float) -> list[tuple[float, float, CircuitState]]:
    """``(start, stop, state)`` for each stretch of time in one state, up to ``end``.

    The history's first entry is the creation (CLOSED -> CLOSED); each later entry starts a new
    stretch. Stretches of zero length (two changes at the same instant) are left out.
    """
    intervals: list[tuple[float, float, CircuitState]] = []
    for i, change in enumerate(history):
        stop = history[i + 1].at if i + 1 < len(history) else max(end, change.at)
        if stop > change.at:
            intervals.append((change.at, stop, change.to_state))
    return intervals


def plot_breaker_timeline(
    history: Sequence[StateChange],
    calls: Sequence[CallRecord],
    *,
    end: float | None = None,
    outage: tuple[float, float] | None = None,
    title: str = "Circuit breaker state over time",
) -> Figure:
    """Top: the breaker's state as coloured bands. Bottom: each call as a dot, one row per outcome.

    HALF_OPEN probes are drawn with a black edge. ``outage`` shades the time the provider was
    down on both panels. An empty ``history`` means "no breaker": one grey band.
    """
    last = max([c.at + c.seconds for c in calls] + [h.at for h in history] + [0.0])
    end = last if end is None else end
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    state_ax, calls_ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 3])

    if history:
        for start, stop, state in state_intervals(history, end):
            colour = STATE_COLOURS[state]
            # An edge in the same colour keeps a 1-second HALF_OPEN visible on a long axis.
            state_ax.barh(
                0, stop - start, left=start, height=1.0, color=colour, edgecolor=colour, linewidth=1.2
            )
        handles = [Patch(color=STATE_COLOURS[s], label=_STATE_LABELS[s]) for s in CircuitState]
    else:
        state_ax.barh(0, end, left=0, height=1.0, color=NO_BREAKER_COLOUR, edgecolor=NO_BREAKER_COLOUR)
        handles = [Patch(color=NO_BREAKER_COLOUR, label="no breaker")]
    state_ax.set_yticks([0], ["breaker"])
    state_ax.set_ylim(-0.5, 0.5)
    state_ax.grid(False)
    state_ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.3), frameon=False, fontsize=8)

    rows = [o for o in OUTCOME_ROWS if o is not Outcome.IGNORED or any(c.outcome is o for c in calls)]
    for y, outcome in enumerate(rows):
        mine = [c for c in calls if c.outcome is outcome]
        if not mine:
            continue
        colour = OUTCOME_COLOURS[outcome]
        calls_ax.scatter(
            [c.at for c in mine],
            [y] * len(mine),
            s=[40 if c.probe else 14 for c in mine],
            c=colour,
            edgecolors=["black" if c.probe else colour for c in mine],
            linewidths=1.0,
            zorder=3,
        )
    calls_ax.set_yticks(range(len(rows)), [_ROW_LABELS[o] for o in rows])
    calls_ax.set_ylim(-0.6, len(rows) - 0.4)
    # Legend handles drawn here (a scatter's own handle copies its first dot, which may be a probe).
    present = [o for o in rows if any(c.outcome is o for c in calls)][::-1]  # top row first
    handles = [_dot(OUTCOME_COLOURS[o], OUTCOME_COLOURS[o]) for o in present]
    labels = [f"{_ROW_LABELS[o]} ({sum(1 for c in calls if c.outcome is o)})" for o in present]
    if any(c.probe for c in calls):
        handles, labels = [*handles, _dot("white", "black")], [*labels, "half-open probe"]
    if handles:
        calls_ax.legend(
            handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8
        )

    if outage is not None:
        for ax in (state_ax, calls_ax):
            ax.axvspan(*outage, color="#111827", alpha=0.08, zorder=0, gid="outage")
        calls_ax.text(outage[0], len(rows) - 0.45, " provider down", va="top", fontsize=8, color="#374151")
    calls_ax.set_xlim(0, end)
    calls_ax.set_xlabel("virtual time (s)")
    state_ax.set_title(title)
    return fig


def _dot(face: str, edge: str) -> Line2D:
    return Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=face, markeredgecolor=edge)


def plot_breaker_trace(trace: BreakerTrace, *, title: str | None = None) -> Figure:
    """:func:`plot_breaker_timeline` for a :func:`~course_lib.teaching.breaker_sim.simulate_breaker` run."""
    if title is None:
        title = f"{trace.made} requests reached the provider ({trace.failed} failed), {trace.rejected} rejected fast"
    return plot_breaker_timeline(trace.history, trace.calls, end=trace.end, outage=trace.outage, title=title)
