"""Charts for tool errors (notebook 03): what a tool result costs in tokens, which failures are
worth a retry, and how kubectl's own retries stretch a "3 second" timeout.

Pure functions returning ``matplotlib.figure.Figure`` (never pyplot). The measured kubectl runs
are data, kept here next to the chart that draws them, with where they come from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = [
    "MEASURED_KUBECTL_RUNS",
    "OUTCOME_COLOURS",
    "MeasuredRun",
    "plot_error_outcomes",
    "plot_kubectl_retries",
    "plot_tool_tokens",
]

UNCAPPED_COLOUR = "#dc2626"
CAPPED_COLOUR = "#2563eb"
CAP_COLOUR = "#15803d"
OUTCOME_COLOURS = {"ok": "#16a34a", "retry": "#f59e0b", "no retry": "#dc2626"}
ATTEMPT_COLOURS = ("#2563eb", "#60a5fa")
OTHER_COLOUR = "#9ca3af"
TIMEOUT_COLOUR = "#b91c1c"


@dataclass(frozen=True, slots=True)
class MeasuredRun:
    """One kubectl failure measured against a loopback endpoint: its attempts and total time.

    ``attempt_s`` is how long one attempt (or one wait between attempts) lasted; ``wall_s`` is
    the total measured wall time (the upper end when a range was measured, given in ``measured``).
    Whatever the attempts do not explain (the final request, client-go's own waits) is ``other_s``.
    """

    case: str
    flag: str
    attempts: int
    attempt_s: float
    wall_s: float
    measured: str
    final_line: str

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.attempt_s <= 0:
            raise ValueError(f"{self.case}: need at least one attempt of positive length")
        if self.attempts * self.attempt_s > self.wall_s + 1e-9:
            raise ValueError(f"{self.case}: the attempts take longer than the measured wall time")

    @property
    def other_s(self) -> float:
        return self.wall_s - self.attempts * self.attempt_s


MEASURED_KUBECTL_RUNS: tuple[MeasuredRun, ...] = (
    MeasuredRun(
        "server accepts TCP, TLS never answers", "(no flag)", 5, 10.0, 55.0, "55 s",
        "Unable to connect to the server: net/http: TLS handshake timeout",
    ),
    MeasuredRun(
        "server accepts TCP, TLS never answers", "--request-timeout=3s", 5, 3.0, 18.0, "15-18 s",
        "Unable to connect to the server: context deadline exceeded",
    ),
    MeasuredRun(
        "discovery answers, the pods request hangs", "--request-timeout=3s", 1, 3.0, 4.0, "3-4 s",
        "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
    ),
    MeasuredRun(
        "HTTP 429 with Retry-After: 1", "(no flag)", 10, 1.0, 10.0, "about 10 s",
        "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later (get pods)",
    ),
)  # fmt: skip
"""kubectl 1.32 against loopback endpoints (research notes, kubernetes-facts §2.3 and §0).

Discovery is retried 5 times; a 429 is retried by client-go for about 10 s; every case exits 1.
"""


def plot_tool_tokens(
    uncapped: Sequence[int],
    capped: Sequence[int],
    *,
    cap: int,
    context_window: int | None = None,
    title: str = "Tokens per tool result",
) -> Figure:
    """Paired bars per tool call: tokens of kubectl's raw output and of what the model receives.

    The y axis is logarithmic (a huge log is a million times a normal one); a horizontal line
    marks ``cap`` and, when given, another marks the model's ``context_window``.
    """
    if len(uncapped) != len(capped):
        raise ValueError(f"uncapped has {len(uncapped)} values, capped has {len(capped)}: one pair per call")
    if cap < 1:
        raise ValueError(f"cap must be >= 1 token, got {cap}")
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel("tool call")
    ax.set_ylabel("tokens (log scale)")
    if not uncapped:
        ax.set_title(f"{title}: no tool calls")
        return fig
    xs = range(len(uncapped))
    width = 0.4
    ax.bar([x - width / 2 for x in xs], [max(v, 1) for v in uncapped], width, color=UNCAPPED_COLOUR,
           label="kubectl's output (uncapped)")  # fmt: skip
    ax.bar([x + width / 2 for x in xs], [max(v, 1) for v in capped], width, color=CAPPED_COLOUR,
           label="what the model receives (capped)")  # fmt: skip
    ax.set_yscale("log")
    ax.axhline(cap, color=CAP_COLOUR, linestyle="--", label=f"cap {cap:,} tokens")
    if context_window is not None:
        ax.axhline(context_window, color="#111827", linestyle=":", label=f"context window {context_window:,}")
    ax.set_xticks(list(xs), [str(x + 1) for x in xs])
    top = max([*uncapped, *capped, cap, context_window or 0])
    ax.set_ylim(10, top * 40)  # room for the legend above the tallest bar
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    ax.set_title(f"{title}: {sum(uncapped):,} tokens uncapped, {sum(capped):,} capped")
    return fig


def plot_error_outcomes(
    counts: Mapping[str, int],
    *,
    retryable: Collection[str],
    ok: str = "ok",
    title: str = "Outcomes of kubectl calls",
) -> Figure:
    """One horizontal bar per outcome, most frequent first, coloured by what to do about it.

    ``ok`` is green, kinds in ``retryable`` amber (a retry may succeed), every other kind red
    (retrying cannot help). Each bar is labelled with its count.
    """
    unknown = set(retryable) - set(counts)
    if unknown:
        raise ValueError(f"retryable names outcomes that were not counted: {sorted(unknown)}")
    fig = Figure(figsize=(8, 1.4 + 0.38 * max(1, len(counts))), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel("calls")
    if not counts:
        ax.set_title(f"{title}: nothing counted")
        return fig
    order = sorted(counts, key=lambda k: (-counts[k], k))
    groups = {k: "ok" if k == ok else "retry" if k in retryable else "no retry" for k in order}
    bars = ax.barh(range(len(order)), [counts[k] for k in order],
                   color=[OUTCOME_COLOURS[groups[k]] for k in order])  # fmt: skip
    ax.bar_label(bars, fmt="%g", padding=3)
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    names = {"ok": ok, "retry": "a retry may help", "no retry": "a retry cannot help"}
    handles = [Patch(color=c, label=names[g]) for g, c in OUTCOME_COLOURS.items() if g in groups.values()]
    ax.legend(handles=handles, loc="lower right")
    ax.set_xlim(0, max(counts.values()) * 1.15)
    total = sum(counts.values())
    failed = total - counts.get(ok, 0)
    worth = sum(counts[k] for k in order if groups[k] == "retry")
    ax.set_title(f"{title}: {failed} of {total} failed, {worth} worth a retry")
    return fig


def plot_kubectl_retries(
    runs: Sequence[MeasuredRun],
    *,
    timeout_s: float | None = None,
    title: str = "A per-request timeout is not a total timeout (kubectl 1.32, measured)",
) -> Figure:
    """One row per measured run: its attempts as consecutive segments, then the unexplained rest.

    A dashed line at ``timeout_s`` shows where a total deadline (``subprocess``'s ``timeout=``)
    would have stopped each run; the part of a run beyond it is drawn hatched.
    """
    if timeout_s is not None and timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
    fig = Figure(figsize=(9, 1.5 + 0.6 * max(1, len(runs))), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel("wall-clock seconds until kubectl gave up")
    if not runs:
        ax.set_title(f"{title}: no runs")
        return fig

    def segment(row: int, left: float, width: float, colour: str) -> None:
        inside = width if timeout_s is None else max(0.0, min(width, timeout_s - left))
        if inside > 0:
            ax.barh(row, inside, left=left, height=0.55, color=colour, edgecolor="white")
        if width - inside > 1e-9:
            ax.barh(row, width - inside, left=left + inside, height=0.55, color=colour, alpha=0.35,
                    hatch="//", edgecolor="white")  # fmt: skip

    for row, run in enumerate(runs):
        for i in range(run.attempts):
            segment(row, i * run.attempt_s, run.attempt_s, ATTEMPT_COLOURS[i % 2])
        if run.other_s > 1e-9:
            segment(row, run.attempts * run.attempt_s, run.other_s, OTHER_COLOUR)
    handles = [
        Patch(color=ATTEMPT_COLOURS[0], label="one attempt (or Retry-After wait)"),
        Patch(color=OTHER_COLOUR, label="the rest (final request, waits)"),
    ]
    if timeout_s is not None:
        ax.axvline(timeout_s, color=TIMEOUT_COLOUR, linestyle="--", zorder=2)
        handles += [
            Line2D([], [], color=TIMEOUT_COLOUR, linestyle="--", label=f"subprocess timeout={timeout_s:g} s"),
            Patch(facecolor=ATTEMPT_COLOURS[1], alpha=0.35, hatch="//", label="cut off by that timeout"),
        ]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    labels = [f"{r.case}\n{r.flag}: {r.measured} ({r.attempts} × {r.attempt_s:g} s)" for r in runs]
    ax.set_yticks(range(len(runs)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(r.wall_s for r in runs) * 1.05)
    ax.set_title(title)
    return fig
