"""Charts for notebook 05: prompt tokens per model call, against a context window and a budget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course_lib.agent.context import count_tokens, shrink_to_fit, trim_history

__all__ = ["budget_series", "plot_token_growth"]

WINDOW_COLOUR = "#b91c1c"
BUDGET_COLOUR = "#16a34a"
COLOURS = ("#6b7280", "#2563eb", "#d97706", "#7c3aed", "#0891b2")


def budget_series(
    messages: Sequence[BaseMessage], budget: int, *, fixed_tokens: int = 0
) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Prompt tokens per model call of a finished conversation, three ways, and what survives.

    For the model call that produced each AIMessage: the whole history ("no limit"), the newest
    messages that fit ``budget`` ("trim to budget") and tool outputs capped first, then trimmed
    ("cap tool outputs + trim"). ``fixed_tokens`` (tool schemas) is added to every call. The
    second value counts the tool results each strategy still sends on the last call.
    """
    room = budget - fixed_tokens
    series: dict[str, list[int]] = {"no limit": [], "trim to budget": [], "cap tool outputs + trim": []}
    last: dict[str, list[BaseMessage]] = {}
    for position, message in enumerate(messages):
        if not isinstance(message, AIMessage):
            continue
        before = list(messages[:position])
        variants = {
            "no limit": before,
            "trim to budget": trim_history(before, room),
            "cap tool outputs + trim": shrink_to_fit(before, room),
        }
        for name, sent in variants.items():
            series[name].append(count_tokens(sent) + fixed_tokens)
            last[name] = sent
    kept = {name: sum(isinstance(m, ToolMessage) for m in sent) for name, sent in last.items()}
    return series, kept


def plot_token_growth(
    series: Mapping[str, Sequence[int]],
    *,
    window: int | None = None,
    budget: int | None = None,
    title: str = "Prompt tokens per model call",
) -> Figure:
    """One line per strategy: the prompt size of each model call, in order.

    A red dashed line marks the model's context ``window`` and calls above it are marked with a
    red cross (the provider rejects them); a green dotted line marks the ``budget``.
    """
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel("model call")
    ax.set_ylabel("prompt tokens")
    if not series or not any(series.values()):
        ax.set_title(f"{title}: no model calls")
        return fig
    for index, (name, values) in enumerate(series.items()):
        xs = list(range(1, len(values) + 1))
        ax.plot(xs, list(values), marker="o", markersize=3, color=COLOURS[index % len(COLOURS)], label=name)
        if window is not None:
            over = [(x, v) for x, v in zip(xs, values, strict=True) if v > window]
            if over:
                ax.scatter(*zip(*over, strict=True), marker="x", s=60, color=WINDOW_COLOUR, zorder=3)
    if window is not None:
        ax.axhline(window, color=WINDOW_COLOUR, linestyle="--", label=f"context window {window:,}")
    if budget is not None:
        ax.axhline(budget, color=BUDGET_COLOUR, linestyle=":", label=f"budget {budget:,}")
    top = max([max(v) for v in series.values() if v] + [window or 0, budget or 0])
    ax.set_ylim(0, top * 1.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    return fig
