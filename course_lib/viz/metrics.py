"""Charts for observability: latency distributions with their percentiles, counters, and a trace
drawn as a timeline. Pure functions returning ``matplotlib.figure.Figure`` (never pyplot)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from course_lib.observability.metrics import Percentiles, percentile

__all__ = [
    "TraceBar",
    "plot_counts",
    "plot_grouped_counts",
    "plot_latency_histogram",
    "plot_percentiles",
    "plot_trace",
    "trace_bars",
]

PERCENTILE_COLOURS = {50: "#16a34a", 95: "#d97706", 99: "#dc2626"}
KIND_COLOURS = {
    "run": "#9ca3af",
    "model": "#2563eb",
    "tool": "#059669",
    "wait": "#f59e0b",
    "other": "#7c3aed",
}
ERROR_COLOUR = "#dc2626"


def plot_latency_histogram(
    values: Sequence[float],
    *,
    title: str = "Latency",
    unit: str = "s",
    bins: int = 30,
    quantiles: Sequence[int] = (50, 95, 99),
) -> Figure:
    """A histogram of ``values`` with a vertical line at the mean and at each percentile.

    The mean is drawn dashed and grey next to p50/p95/p99, so the gap between "average" and
    "what the slowest users see" is visible on the chart itself.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel(f"latency ({unit})")
    ax.set_ylabel("count")
    if len(values) == 0:
        ax.set_title(f"{title}: no observations")
        return fig
    data = [float(v) for v in values]
    ax.hist(data, bins=bins, color="#93c5fd", edgecolor="#1e40af")
    mean = sum(data) / len(data)
    ax.axvline(mean, color="#6b7280", linestyle="--", label=f"mean = {mean:.3g} {unit}")
    for q in quantiles:
        value = percentile(data, q)
        ax.axvline(
            value, color=PERCENTILE_COLOURS.get(q, "#111827"), linewidth=2, label=f"p{q} = {value:.3g} {unit}"
        )
    ax.legend(loc="upper right")
    ax.set_title(f"{title} (n = {len(data)})")
    return fig


def plot_percentiles(
    series: Mapping[str, Sequence[float] | Percentiles],
    *,
    title: str = "Latency percentiles",
    unit: str = "s",
) -> Figure:
    """Grouped bars: p50, p95 and p99 for each series (e.g. one per agent), values on the bars."""
    fig = Figure(figsize=(max(5.0, 1.8 * len(series) + 2), 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_ylabel(f"latency ({unit})")
    names = list(series)
    if not names:
        ax.set_title(f"{title}: no data")
        return fig
    summaries: list[tuple[float, float, float]] = []
    for name in names:
        data = series[name]
        if isinstance(data, Percentiles):
            summaries.append((data.p50, data.p95, data.p99))
        elif len(data) == 0:
            raise ValueError(f"series {name!r} has no observations")
        else:
            summaries.append((percentile(data, 50), percentile(data, 95), percentile(data, 99)))
    width = 0.8 / 3
    for i, q in enumerate((50, 95, 99)):
        xs = [n + (i - 1) * width for n in range(len(names))]
        bars = ax.bar(xs, [s[i] for s in summaries], width, color=PERCENTILE_COLOURS[q], label=f"p{q}")
        ax.bar_label(bars, fmt="%.3g", fontsize=8)
    ax.set_xticks(range(len(names)), names)
    ax.legend()
    ax.set_title(title)
    return fig


def plot_counts(
    counts: Mapping[str, float], *, title: str = "Counts", xlabel: str = "", ylabel: str = "count"
) -> Figure:
    """One bar per label value (e.g. ``metrics.runs.by("outcome")``), each labelled with its count."""
    fig = Figure(figsize=(max(4.0, 0.9 * len(counts) + 2), 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if not counts:
        ax.set_title(f"{title}: nothing counted")
        return fig
    labels = [str(k) for k in counts]
    bars = ax.bar(labels, [float(v) for v in counts.values()], color="#2563eb")
    ax.bar_label(bars, fmt="%g")
    ax.set_title(title)
    return fig


def plot_grouped_counts(
    data: Mapping[str, Mapping[str, float]], *, title: str = "Counts", ylabel: str = "count"
) -> Figure:
    """Grouped bars: one group per outer key (agent), one bar per inner key (outcome).

    Inner keys missing from a group count as 0, so every group shows the same bars in the same
    order and a zero is visible as a zero.
    """
    fig = Figure(figsize=(max(5.0, 2.0 * len(data) + 2), 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_ylabel(ylabel)
    groups = list(data)
    inner: list[str] = []
    for group in groups:
        inner.extend(k for k in data[group] if k not in inner)
    if not groups or not inner:
        ax.set_title(f"{title}: nothing counted")
        return fig
    width = 0.8 / len(inner)
    cmap = [
        KIND_COLOURS["model"],
        KIND_COLOURS["tool"],
        KIND_COLOURS["wait"],
        ERROR_COLOUR,
        KIND_COLOURS["other"],
    ]
    for i, key in enumerate(inner):
        xs = [g + (i - (len(inner) - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(
            xs, [float(data[g].get(key, 0)) for g in groups], width, label=key, color=cmap[i % len(cmap)]
        )
        ax.bar_label(bars, fmt="%g", fontsize=8)
    ax.set_xticks(range(len(groups)), groups)
    ax.legend()
    ax.set_title(title)
    return fig


@dataclass(frozen=True, slots=True)
class TraceBar:
    """One span of a trace on the timeline: ``kind`` is run, model, tool, wait or other."""

    label: str
    kind: str
    start: float
    end: float
    status: str = "ok"


_EVENT_KINDS = {"run_end": "run", "model_call": "model", "tool_call": "tool"}


def trace_bars(trace: Sequence[Any]) -> tuple[list[TraceBar], list[tuple[float, str]]]:
    """Normalise a trace into bars and point markers ``(time, text)``.

    Accepts the :class:`~course_lib.observability.callbacks.Step` objects of a ``StepLogger``
    (anything with ``kind``, ``name``, ``started_at``, ``ended_at``, ``status``), or event dicts
    from a ``MemorySink``: finished spans (``run_end``, ``model_call``, ``tool_call``, any event
    with ``duration_s``) become bars ending at ``t``; a ``retry`` becomes a wait bar of
    ``delay_s``; a ``breaker_transition`` becomes a marker. Unfinished steps are skipped.
    """
    bars: list[TraceBar] = []
    marks: list[tuple[float, str]] = []
    for item in trace:
        if isinstance(item, Mapping):
            event, t = item.get("event"), item.get("t")
            if t is None:
                continue
            if event == "retry":
                delay = float(item.get("delay_s") or 0.0)
                bars.append(
                    TraceBar(
                        f"retry {item.get('layer', '')} #{item.get('attempt', '?')}", "wait", t, t + delay
                    )
                )
            elif event == "breaker_transition":
                marks.append((float(t), f"{item.get('breaker', 'breaker')}: {item.get('to_state')}"))
            elif item.get("duration_s") is not None:
                kind = _EVENT_KINDS.get(str(event), "other")
                label = str(item.get("tool") or item.get("model") or item.get("agent") or event)
                status = (
                    "ok" if item.get("status", item.get("outcome", "ok")) in ("ok", "success") else "error"
                )
                bars.append(TraceBar(label, kind, float(t) - float(item["duration_s"]), float(t), status))
        else:
            ended = getattr(item, "ended_at", None)
            if ended is None:
                continue
            bars.append(
                TraceBar(
                    str(item.name), str(item.kind), float(item.started_at), float(ended), str(item.status)
                )
            )
    bars.sort(key=lambda b: (b.start, b.kind != "run"))
    return bars, marks


def plot_trace(trace: Sequence[Any], *, title: str = "Agent trace") -> Figure:
    """A timeline: one bar per run, model call, tool call and retry wait, failures in red."""
    bars, marks = trace_bars(trace)
    fig = Figure(figsize=(9, 1.4 + 0.35 * max(1, len(bars))), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel("time (s)")
    if not bars and not marks:
        ax.set_title(f"{title}: no steps recorded")
        return fig
    for row, bar in enumerate(bars):
        colour = ERROR_COLOUR if bar.status == "error" else KIND_COLOURS.get(bar.kind, KIND_COLOURS["other"])
        ax.barh(row, max(bar.end - bar.start, 0.0), left=bar.start, height=0.6, color=colour)
        ax.text(bar.end, row, f"  {bar.end - bar.start:.3g} s", va="center", fontsize=8)
    for at, text in marks:
        ax.axvline(at, color="#111827", linestyle=":", linewidth=1)
        ax.text(at, -0.6, text, rotation=0, fontsize=8, va="bottom")
    ax.set_yticks(range(len(bars)), [f"{b.kind}: {b.label}" for b in bars])
    ax.invert_yaxis()
    ends = [b.end for b in bars] + [m[0] for m in marks]
    starts = [b.start for b in bars] + [m[0] for m in marks]
    span = max(max(ends) - min(starts), 1e-3)
    ax.set_xlim(min(starts), min(starts) + span * 1.2)
    ax.set_title(title)
    return fig
