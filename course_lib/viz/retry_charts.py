"""Charts for notebook 02 (API errors and retries): backoff, contention, amplification, budgets.

Pure functions: data in, a matplotlib ``Figure`` out (no pyplot, no global state), so the tests in
``tests/notebooks/test_viz_retry.py`` can read back exactly what was drawn and the widget in
``course_lib.viz.widgets_retry`` can render them to PNG.

=============================  ==========================================================
``plot_delays_per_attempt``    each client's wait before retry n, per strategy, under the
                               un-jittered ceiling ``min(cap, base * 2**n)``
``plot_contention``            calls and completion time per strategy (one client count)
``plot_contention_sweep``      the AWS-style picture: calls and time as clients grow
``plot_attempts_per_call``     HTTP attempts per logical call as retry layers stack
``plot_retry_budget``          load on a failing dependency over time, with and without
                               a retry budget, and the budget's tokens
=============================  ==========================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

__all__ = [
    "STRATEGY_COLOURS",
    "STRATEGY_LABELS",
    "bucket_counts",
    "plot_attempts_per_call",
    "plot_contention",
    "plot_contention_sweep",
    "plot_delays_per_attempt",
    "plot_retry_budget",
]

STRATEGY_COLOURS: dict[str, str] = {
    "none": "#6b7280",
    "constant": "#6b7280",
    "exponential": "#dc2626",
    "full_jitter": "#2563eb",
    "equal_jitter": "#d97706",
    "decorrelated_jitter": "#7c3aed",
}
"""One colour per strategy, the same in every chart of the notebook."""

STRATEGY_LABELS: dict[str, str] = {
    "none": "no backoff",
    "constant": "constant",
    "exponential": "exponential, no jitter",
    "full_jitter": "full jitter",
    "equal_jitter": "equal jitter",
    "decorrelated_jitter": "decorrelated jitter",
}

_GOOD = "#15803d"
_BAD = "#dc2626"
_NEUTRAL = "#2563eb"


def _colour(strategy: str) -> str:
    return STRATEGY_COLOURS.get(strategy, "#0f766e")


def _label(strategy: str) -> str:
    return STRATEGY_LABELS.get(strategy, strategy)


def _seconds_text(value: float) -> str:
    """3.2 s, 45 ms: short labels for bars."""
    if value >= 1 or value == 0:
        return f"{value:.3g} s"
    return f"{value * 1000:.3g} ms"


# --------------------------------------------------------------------------- delays per attempt


def plot_delays_per_attempt(
    samples: Mapping[str, Sequence[Sequence[float]]],
    *,
    ceiling: Sequence[float] | None = None,
    title: str = "Wait before each retry",
) -> Figure:
    """One panel per strategy: a dot per client and retry, the mean as a line.

    ``samples[strategy][client][n]`` is the wait (seconds) that client made before retry n+1.
    ``ceiling[n]``, when given, is drawn dashed in every panel: the un-jittered exponential
    ``min(cap, base * 2**n)``. Full jitter spreads its dots between 0 and the ceiling, equal
    jitter between half and the ceiling, and exponential sits on it (every client in step).
    """
    if not samples:
        raise ValueError("samples is empty: pass at least one strategy")
    names = list(samples)
    fig = Figure(figsize=(max(4.0, 3.1 * len(names)), 3.4), layout="constrained")
    axes = fig.subplots(1, len(names), sharey=True, squeeze=False)[0]
    for ax, name in zip(axes, names, strict=True):
        clients = [list(map(float, row)) for row in samples[name]]
        retries = max((len(row) for row in clients), default=0)
        for row in clients:
            ax.scatter(
                range(1, len(row) + 1), row, s=14, alpha=0.45, color=_colour(name), linewidths=0, zorder=2
            )
        means = [
            sum(row[n] for row in clients if len(row) > n) / sum(1 for row in clients if len(row) > n)
            for n in range(retries)
        ]
        ax.plot(range(1, retries + 1), means, color=_colour(name), linewidth=2, label="mean", zorder=3)
        if ceiling is not None:
            ax.plot(
                range(1, len(ceiling) + 1),
                list(map(float, ceiling)),
                color="#111827",
                linestyle="--",
                linewidth=1,
                label="min(cap, base·2ⁿ)",
                zorder=1,
            )
        if len(names) > 1:
            ax.set_title(_label(name))
        ax.set_xlabel("retry number")
        ax.set_xticks(range(1, retries + 1))
    axes[0].set_ylabel("wait before the retry (s)")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- contention


def _field(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


def plot_contention(
    summaries: Sequence[Any],
    *,
    highlight: str | None = None,
    title: str | None = None,
) -> Figure:
    """Two bar panels per strategy: mean calls made, and mean time until the last client is done.

    ``summaries`` are :class:`~course_lib.resilience.contention.StrategySummary` rows (or mappings
    with ``strategy``, ``clients``, ``mean_calls``, ``mean_time``) for one number of clients.
    ``highlight`` draws every other strategy faded.
    """
    if not summaries:
        raise ValueError("summaries is empty")
    names = [str(_field(r, "strategy")) for r in summaries]
    calls = [float(_field(r, "mean_calls")) for r in summaries]
    times = [float(_field(r, "mean_time")) for r in summaries]
    clients = _field(summaries[0], "clients")
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_calls, ax_time = fig.subplots(1, 2)
    colours = [_colour(n) for n in names]
    alphas = [1.0 if highlight in (None, n) else 0.3 for n in names]
    labels = [_label(n) for n in names]
    for ax, values, what, fmt in (
        (ax_calls, calls, "calls (all clients)", lambda v: f"{v:,.0f}"),
        (ax_time, times, "time until all are done (s)", _seconds_text),
    ):
        bars = ax.barh(range(len(names)), values, color=colours)
        for bar, alpha, value in zip(bars, alphas, values, strict=True):
            bar.set_alpha(alpha)
            ax.text(
                bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {fmt(value)}", va="center", fontsize=9
            )
        ax.set_yticks(range(len(names)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(what)
        ax.set_xlim(0, max([*values, 1e-9]) * 1.3)
    ax_time.tick_params(labelleft=False)
    fig.suptitle(title or f"{clients} clients contending for one resource")
    return fig


def plot_contention_sweep(rows: Sequence[Any], *, title: str | None = None) -> Figure:
    """The AWS-style picture: one line per strategy, calls and completion time against clients.

    ``rows`` are StrategySummary rows for several client counts (any order).
    """
    if not rows:
        raise ValueError("rows is empty")
    by_strategy: dict[str, list[tuple[int, float, float]]] = {}
    for r in rows:
        by_strategy.setdefault(str(_field(r, "strategy")), []).append(
            (int(_field(r, "clients")), float(_field(r, "mean_calls")), float(_field(r, "mean_time")))
        )
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_calls, ax_time = fig.subplots(1, 2)
    for name, points in by_strategy.items():
        points.sort()
        xs = [p[0] for p in points]
        ax_calls.plot(xs, [p[1] for p in points], marker="o", color=_colour(name), label=_label(name))
        ax_time.plot(xs, [p[2] for p in points], marker="o", color=_colour(name), label=_label(name))
    ax_calls.set_xlabel("contending clients")
    ax_calls.set_ylabel("calls (work)")
    ax_time.set_xlabel("contending clients")
    ax_time.set_ylabel("time until all are done (s)")
    ax_calls.legend(fontsize=8)
    fig.suptitle(title or "More clients: work and completion time per backoff strategy")
    return fig


# --------------------------------------------------------------------------- retry amplification


def plot_attempts_per_call(
    attempts: Mapping[str, int],
    *,
    budget: int | None = None,
    title: str = "HTTP attempts for ONE logical call (the provider keeps answering 429)",
) -> Figure:
    """One horizontal bar per stack of retry layers: how many HTTP requests one call became.

    ``budget`` (e.g. 3: one layer making 3 attempts) draws a dashed line; bars above it are red,
    bars within it green.
    """
    if not attempts:
        raise ValueError("attempts is empty")
    names = list(attempts)
    counts = [int(attempts[n]) for n in names]
    fig = Figure(figsize=(9, 0.9 + 0.55 * len(names)), layout="constrained")
    ax = fig.add_subplot()
    colours = [_NEUTRAL if budget is None else (_BAD if c > budget else _GOOD) for c in counts]
    bars = ax.barh(range(len(names)), counts, color=colours, height=0.6)
    for bar, count in zip(bars, counts, strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {count}", va="center", fontsize=10)
    if budget is not None:
        ax.axvline(
            budget, color="#111827", linestyle="--", linewidth=1, label=f"one layer: {budget} attempts"
        )
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, max(counts) * 1.15 + 1)
    ax.set_xlabel("HTTP requests the server received")
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- retry budget


def bucket_counts(times: Sequence[float], width: float, end: float) -> list[int]:
    """How many of ``times`` fall in each bucket ``[k*width, (k+1)*width)`` for ``k*width < end``."""
    if width <= 0:
        raise ValueError(f"width must be > 0, got {width!r}")
    buckets = max(1, math.ceil(end / width - 1e-9))
    counts = [0] * buckets
    for t in times:
        k = int(t // width)
        if 0 <= k < buckets:
            counts[k] += 1
    return counts


def plot_retry_budget(
    attempts_without: Sequence[float],
    attempts_with: Sequence[float],
    tokens: Sequence[tuple[float, float]],
    *,
    end: float,
    bucket: float = 1.0,
    offered: float | None = None,
    outage: tuple[float, float] | None = None,
    title: str = "A dependency fails for a while: the load our retries put on it",
) -> Figure:
    """Top: HTTP attempts per ``bucket`` seconds without and with a retry budget (two ``stairs``).
    Bottom: the budget's tokens over time (``tokens`` = (time, balance) pairs).

    ``offered`` (calls per bucket) draws the load with no retries at all; ``outage`` shades the
    window when the dependency fails.
    """
    fig = Figure(figsize=(9, 5.2), layout="constrained")
    ax_load, ax_tokens = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    for times, label, colour in (
        (attempts_without, "no budget: every call retries", _BAD),
        (attempts_with, "shared retry budget", _GOOD),
    ):
        counts = bucket_counts(times, bucket, end)
        edges = [k * bucket for k in range(len(counts) + 1)]
        ax_load.stairs(counts, edges, color=colour, label=label, linewidth=2, baseline=None)
    if offered is not None:
        ax_load.axhline(offered, color="#111827", linestyle="--", linewidth=1, label="calls (no retries)")
    ax_load.set_ylabel(f"attempts per {bucket:g} s")
    ax_load.set_ylim(bottom=0)
    ax_load.legend(loc="upper right", fontsize=8)
    ax_tokens.plot([t for t, _ in tokens], [b for _, b in tokens], color=_GOOD, label="tokens")
    ax_tokens.set_ylabel("budget tokens")
    ax_tokens.set_xlabel("time (s)")
    ax_tokens.set_ylim(bottom=0)
    if outage is not None:
        for ax in (ax_load, ax_tokens):
            ax.axvspan(outage[0], outage[1], color=_BAD, alpha=0.08, linewidth=0)
        ax_load.text(
            outage[0], 0.03, " dependency failing", transform=ax_load.get_xaxis_transform(), fontsize=8
        )
    ax_load.set_xlim(0, end)
    ax_load.set_title(title)
    return fig
