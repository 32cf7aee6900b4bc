"""Charts of the chaos evaluation (capstone): one grouped bar chart per question.

Each function takes the evaluation summary (``course_lib.agent.evaluation.summarise``:
``{"<agent>/<profile>": {field: value}}``) and returns a ``matplotlib.figure.Figure`` (never
pyplot) with one group of bars per chaos profile and one bar per agent, in first-seen order.
:func:`evaluation_data` gives the numbers a chart draws, so a test or a notebook can check them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

__all__ = [
    "AGENT_COLOURS",
    "ChartData",
    "evaluation_data",
    "plot_accuracy",
    "plot_calls",
    "plot_completion",
    "plot_crashes",
    "plot_evaluation",
    "plot_latency",
    "plot_tokens",
]

AGENT_COLOURS = {"naive": "#dc2626", "production": "#16a34a", "kept": "#2563eb"}
_OTHER = "#7c3aed"
Summary = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class ChartData:
    """What one chart shows: ``values[agent][i]`` is the bar of ``agent`` for ``profiles[i]``."""

    title: str
    ylabel: str
    profiles: tuple[str, ...]
    agents: tuple[str, ...]
    values: dict[str, tuple[float, ...]]


def _split(key: str) -> tuple[str, str]:
    agent, sep, profile = key.partition("/")
    if not sep or not agent or not profile:
        raise ValueError(f"summary keys look like 'agent/profile', got {key!r}")
    return agent, profile


def evaluation_data(
    summary: Summary, value: Callable[[Mapping[str, Any]], float], *, title: str, ylabel: str
) -> ChartData:
    """The bars for ``value(row)`` per agent and profile (NaN where an agent lacks a profile)."""
    if not summary:
        raise ValueError("the summary is empty: run an evaluation first")
    agents: list[str] = []
    profiles: list[str] = []
    for key in summary:
        agent, profile = _split(key)
        agents += [agent] if agent not in agents else []
        profiles += [profile] if profile not in profiles else []
    values = {
        agent: tuple(
            float(value(summary[f"{agent}/{p}"])) if f"{agent}/{p}" in summary else float("nan")
            for p in profiles
        )
        for agent in agents
    }
    return ChartData(title, ylabel, tuple(profiles), tuple(agents), values)


def _bars(data: ChartData, *, percent: bool = False, ax: Any = None) -> Figure:
    fig = ax.figure if ax is not None else Figure(figsize=(8, 3.6), layout="constrained")
    ax = ax if ax is not None else fig.add_subplot()
    n = len(data.agents)
    width = 0.8 / n
    for i, agent in enumerate(data.agents):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(data.profiles))]
        heights = [v * 100 if percent else v for v in data.values[agent]]
        ax.bar(xs, heights, width, label=agent, color=AGENT_COLOURS.get(agent, _OTHER))
    ax.set_xticks(range(len(data.profiles)), data.profiles)
    ax.set_title(data.title)
    ax.set_ylabel(data.ylabel)
    if percent:
        ax.set_ylim(0, 105)
    ax.legend(fontsize="small")
    return fig


def _accuracy(summary: Summary) -> ChartData:
    return evaluation_data(summary, lambda r: r["accuracy"], title="Correct diagnoses", ylabel="% of runs")


def _completion(summary: Summary) -> ChartData:
    return evaluation_data(
        summary,
        lambda r: r["completed"] / r["runs"],
        title="Runs that ended with an answer",
        ylabel="% of runs",
    )


def _crashes(summary: Summary) -> ChartData:
    return evaluation_data(
        summary, lambda r: r["unhandled_exceptions"], title="Unhandled exceptions", ylabel="runs"
    )


def _calls(summary: Summary) -> ChartData:
    return evaluation_data(
        summary,
        lambda r: r["http_attempts_per_call"],
        title="HTTP attempts per logical model call",
        ylabel="attempts",
    )


def _tokens(summary: Summary) -> ChartData:
    return evaluation_data(
        summary, lambda r: r["tokens"] / r["runs"], title="Tokens per run", ylabel="tokens"
    )


def plot_accuracy(summary: Summary) -> Figure:
    """Percent of runs whose answer matches the scenario's answer key."""
    return _bars(_accuracy(summary), percent=True)


def plot_completion(summary: Summary) -> Figure:
    """Percent of runs that ended with an answer (a model's or a degraded one), not a crash or loop."""
    return _bars(_completion(summary), percent=True)


def plot_crashes(summary: Summary) -> Figure:
    """Runs that ended with an exception escaping the agent."""
    return _bars(_crashes(summary))


def plot_calls(summary: Summary) -> Figure:
    """Retry amplification: HTTP attempts per logical model call."""
    return _bars(_calls(summary))


def plot_tokens(summary: Summary) -> Figure:
    """Billed tokens per run (prompt + completion of the replies that arrived)."""
    return _bars(_tokens(summary))


def latency_data(summary: Summary) -> tuple[ChartData, ChartData]:
    """(p50, p95) virtual seconds per run."""
    p50 = evaluation_data(summary, lambda r: r["p50_latency_s"], title="p50", ylabel="virtual s")
    p95 = evaluation_data(summary, lambda r: r["p95_latency_s"], title="p95", ylabel="virtual s")
    return p50, p95


def plot_latency(summary: Summary) -> Figure:
    """p50 and p95 run duration (virtual seconds) side by side: the tail is what deadlines must cover."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    p50, p95 = latency_data(summary)
    _bars(ChartData("Run duration p50", p50.ylabel, p50.profiles, p50.agents, p50.values), ax=left)
    _bars(ChartData("Run duration p95", p95.ylabel, p95.profiles, p95.agents, p95.values), ax=right)
    return fig


def plot_evaluation(summary: Summary, *, panels: Sequence[str] | None = None) -> Figure:
    """A dashboard of the evaluation: accuracy, completion, crashes, attempts/call, p95, tokens."""
    makers: dict[str, tuple[Callable[[Summary], ChartData], bool]] = {
        "accuracy": (_accuracy, True),
        "completion": (_completion, True),
        "crashes": (_crashes, False),
        "calls": (_calls, False),
        "latency": (lambda s: latency_data(s)[1], False),
        "tokens": (_tokens, False),
    }
    chosen = list(panels) if panels else list(makers)
    unknown = [p for p in chosen if p not in makers]
    if unknown:
        raise ValueError(f"unknown panels {unknown}; valid panels: {', '.join(makers)}")
    cols = min(3, len(chosen))
    rows = -(-len(chosen) // cols)
    fig = Figure(figsize=(5 * cols, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, chosen, strict=False):
        make, percent = makers[name]
        data = make(summary)
        if name == "latency":
            data = ChartData("Run duration p95", data.ylabel, data.profiles, data.agents, data.values)
        _bars(data, percent=percent, ax=ax)
    for ax in axes[len(chosen) :]:
        ax.set_visible(False)
    return fig


__all__ += ["latency_data"]
