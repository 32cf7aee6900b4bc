"""Notebook 01's chart: what each failure family cost the naive agent, beside a healthy run.

Three panels share one row per run: calls (model requests plus tool calls), virtual seconds and
billed tokens. Each bar is coloured by how the run ended, and a dashed line marks the healthy
run's value in every panel, so "more calls than healthy, and it still crashed" reads at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = ["ENDINGS", "FailureCost", "cost_from_result", "ending_of", "plot_failure_costs"]

ENDINGS: dict[str, tuple[str, str]] = {
    "ok": ("#16a34a", "answered correctly"),
    "late": ("#ca8a04", "answered, past its deadline"),
    "wrong": ("#7c3aed", "no usable answer (wrong or empty)"),
    "loop": ("#ea580c", "stopped by a step guard"),
    "crashed": ("#dc2626", "crashed (exception escaped)"),
}
"""Ending kind -> (bar colour, legend text)."""

BASELINE_COLOUR = "#6b7280"


@dataclass(frozen=True, slots=True)
class FailureCost:
    """One run's row in the chart: a label, how it ended, and what it cost."""

    label: str
    ending: str  # a key of ENDINGS
    model_requests: int  # HTTP requests to the provider, retries included
    tool_calls: int
    seconds: float  # virtual
    tokens: int  # billed

    def __post_init__(self) -> None:
        if self.ending not in ENDINGS:
            raise ValueError(f"unknown ending {self.ending!r}; valid: {', '.join(ENDINGS)}")
        if min(self.model_requests, self.tool_calls, self.tokens) < 0 or self.seconds < 0:
            raise ValueError(f"{self.label}: costs cannot be negative")

    @property
    def calls(self) -> int:
        return self.model_requests + self.tool_calls


def ending_of(result: Any) -> str:
    """The ending kind of an ``AgentResult`` (duck-typed: outcome, correct, deadline_exceeded)."""
    outcome = str(result.outcome)
    if outcome == "crashed":
        return "crashed"
    if outcome in ("would_loop", "hung"):
        return "loop"
    if outcome in ("answered", "degraded") and result.correct:
        return "late" if result.deadline_exceeded else "ok"
    return "wrong"


def cost_from_result(label: str, result: Any) -> FailureCost:
    """A chart row from an ``AgentResult``."""
    return FailureCost(
        label=label,
        ending=ending_of(result),
        model_requests=int(result.http_attempts),
        tool_calls=int(result.tool_calls),
        seconds=float(result.duration_s),
        tokens=int(result.tokens),
    )


def _tokens_text(n: float) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else f"{n:g}"


_PANELS = (
    (
        "calls (model requests + tool calls)",
        lambda c: c.calls,
        lambda c: f"{c.model_requests}+{c.tool_calls}",
    ),
    ("virtual seconds", lambda c: c.seconds, lambda c: f"{c.seconds:g} s"),
    ("tokens billed", lambda c: c.tokens, lambda c: _tokens_text(c.tokens)),
)


def plot_failure_costs(
    costs: Sequence[FailureCost],
    *,
    baseline: str | None = "healthy",
    title: str = "What each failure cost the naive agent (virtual clock)",
) -> Figure:
    """One row per run, three panels (calls, virtual seconds, tokens), bars coloured by ending.

    ``baseline`` names the row whose values are drawn as a dashed line in every panel (None:
    no line; a label that is not among the rows raises ValueError).
    """
    fig = Figure(figsize=(12, 1.6 + 0.42 * max(1, len(costs))), layout="constrained")
    axes = fig.subplots(1, len(_PANELS), sharey=True)
    if not costs:
        fig.suptitle(f"{title}: no runs")
        return fig
    base = None
    if baseline is not None:
        base = next((c for c in costs if c.label == baseline), None)
        if base is None:
            raise ValueError(f"baseline {baseline!r} is not a row; rows: {', '.join(c.label for c in costs)}")
    rows = range(len(costs))
    colours = [ENDINGS[c.ending][0] for c in costs]
    for ax, (name, value, text) in zip(axes, _PANELS, strict=True):
        values = [value(c) for c in costs]
        bars = ax.barh(list(rows), values, height=0.6, color=colours)
        ax.bar_label(bars, labels=[text(c) for c in costs], fontsize=8, padding=2)
        if base is not None:
            ax.axvline(value(base), color=BASELINE_COLOUR, linestyle="--", linewidth=1, label=baseline)
        ax.set_xlim(0, max([*values, 1]) * 1.3)
        ax.set_title(name, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(list(rows), [c.label for c in costs])
    axes[0].invert_yaxis()
    used = list(dict.fromkeys(c.ending for c in costs))
    handles: list[Any] = [Patch(color=ENDINGS[k][0], label=ENDINGS[k][1]) for k in used]
    if base is not None:
        handles += axes[0].get_legend_handles_labels()[0]
        handles[-1].set_label(f"{baseline} run")
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), fontsize=8)
    fig.suptitle(title)
    return fig
