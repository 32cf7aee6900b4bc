"""Charts for notebook 04: how many calls a run makes, with and without limits and guards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

__all__ = ["RunCalls", "plot_calls_per_run", "run_calls"]

MODEL_COLOUR = "#2563eb"
TOOL_COLOUR = "#16a34a"
BLOCKED_COLOUR = "#9ca3af"
_BLOCKED_PREFIXES = ("Refusing to run ", "Tool call limit exceeded")


@dataclass(frozen=True, slots=True)
class RunCalls:
    """What one agent run cost: model calls, tool calls that ran, tool calls blocked, how it ended."""

    label: str
    model_calls: int
    tool_calls: int
    blocked: int = 0
    outcome: str = ""


def run_calls(label: str, model: Any, messages: Sequence[Any], outcome: str) -> RunCalls:
    """Count a finished run: model calls from the fake model's log, tool calls from the ToolMessages.

    A ToolMessage written by a guard or a limit ("Refusing to run ...", "Tool call limit
    exceeded ...") is counted as blocked: that call never reached kubectl.
    """
    results = [m for m in messages if getattr(m, "type", None) == "tool"]
    blocked = sum(1 for m in results if m.text.startswith(_BLOCKED_PREFIXES))
    return RunCalls(label, model.call_count, len(results) - blocked, blocked, outcome)


def plot_calls_per_run(runs: Sequence[RunCalls], *, title: str = "Calls per run") -> Figure:
    """Per run (one row each): model calls, tool calls that ran, and blocked calls, with the outcome.

    Rows are drawn top to bottom in the order given; each bar is labelled with its count and the
    outcome is written after the longest bar, so "ran 50 times and crashed" and "ran 6 times and
    answered" are read side by side.
    """
    fig = Figure(figsize=(9, 1.4 + 0.75 * max(1, len(runs))), layout="constrained")
    ax = fig.add_subplot()
    if not runs:
        ax.set_title(f"{title}: no runs")
        return fig
    height = 0.26
    series = (
        ("model calls", MODEL_COLOUR, [r.model_calls for r in runs]),
        ("tool calls run", TOOL_COLOUR, [r.tool_calls for r in runs]),
        ("tool calls blocked", BLOCKED_COLOUR, [r.blocked for r in runs]),
    )
    for i, (label, colour, values) in enumerate(series):
        ys = [row + (i - 1) * height for row in range(len(runs))]
        bars = ax.barh(ys, values, height, color=colour, label=label)
        ax.bar_label(bars, fmt="%g", fontsize=8, padding=2)
    longest = max(max(r.model_calls, r.tool_calls, r.blocked) for r in runs)
    for row, run in enumerate(runs):
        end = max(run.model_calls, run.tool_calls, run.blocked)
        ax.text(end + longest * 0.08 + 1, row, run.outcome, va="center", fontsize=9)
    ax.set_yticks(range(len(runs)), [r.label for r in runs])
    ax.invert_yaxis()
    ax.set_xlim(0, longest * 1.75 + 3)
    ax.set_xlabel("calls in one run")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    return fig
