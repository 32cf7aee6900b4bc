"""The chaos evaluation: every scenario x profile x seed for each agent, summarised honestly.

Each cell runs :func:`~course_lib.agent.runner.run_agent` with its own virtual clock, so runs are
independent and reproducible (same arguments, same numbers) and can be spread over processes.
The summary has one row per ``agent/profile`` with exactly the fields of issue 6; the table adds
columns that explain them (degraded answers, loops stopped by the harness). If the naive agent
survives a profile, the table says so: nothing is tuned per agent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from course_lib.agent.result import AgentResult, Outcome
from course_lib.agent.runner import AGENTS, Transport, check_agent, check_profile, run_agent
from course_lib.fakes.chaos import PROFILES
from course_lib.fakes.cluster import list_scenarios
from course_lib.observability import percentile

__all__ = [
    "SUMMARY_FIELDS",
    "Cell",
    "evaluate",
    "plan_cells",
    "render_table",
    "report",
    "summarise",
]

SUMMARY_FIELDS = (
    "runs",
    "correct",
    "accuracy",
    "completed",
    "unhandled_exceptions",
    "deadline_exceeded",
    "llm_calls",
    "http_attempts_per_call",
    "tool_calls",
    "p50_latency_s",
    "p95_latency_s",
    "tokens",
)
DEFAULT_AGENTS = ("naive", "production")


@dataclass(frozen=True, slots=True)
class Cell:
    """One run to make."""

    agent: str
    scenario: str
    profile: str
    seed: int
    transport: Transport = "in-process"
    backup: bool = True


def plan_cells(
    agents: Sequence[str] = DEFAULT_AGENTS,
    profiles: Sequence[str] | None = None,
    seeds: int | Sequence[int] = 10,
    scenarios: Sequence[str] | None = None,
    *,
    transport: Transport = "in-process",
    backup: bool = True,
) -> list[Cell]:
    """Every (agent, scenario, profile, seed), validated. ``seeds=10`` means seeds 0..9."""
    for agent in agents:
        check_agent(agent)
    chosen_profiles = list(profiles) if profiles else list(PROFILES)
    for profile in chosen_profiles:
        check_profile(profile)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    names = list(scenarios) if scenarios else list(list_scenarios())
    return [
        Cell(agent, scenario, profile, seed, transport, backup)
        for agent in agents
        for profile in chosen_profiles
        for scenario in names
        for seed in seed_list
    ]


def _run_cell(cell: Cell) -> AgentResult:
    return run_agent(
        cell.agent, cell.scenario, cell.profile, cell.seed, transport=cell.transport, backup=cell.backup
    )


def _run_chunk(cells: Sequence[Cell], threads: int) -> list[AgentResult]:
    """Run a chunk of cells, ``threads`` at a time (HTTP runs mostly wait on sockets and the SDK's sleeps)."""
    if threads <= 1:
        return [_run_cell(cell) for cell in cells]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(_run_cell, cells))


def _chunks(cells: Sequence[Cell], size: int) -> list[list[Cell]]:
    return [list(cells[i : i + size]) for i in range(0, len(cells), size)]


def evaluate(
    cells: Sequence[Cell],
    *,
    workers: int | None = 1,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[AgentResult]:
    """Run every cell; results come back in cell order whatever ``workers`` and ``threads`` are.

    ``workers`` > 1 uses forked processes (each run is independent, with its own virtual clock,
    models and servers); ``None`` means one per CPU. ``threads`` runs that many cells at once in
    each process (default: 1 in process, 8 over HTTP, where the real openai SDK sleeps for real
    between its retries). ``progress(done, total)`` is called as runs finish.
    """
    total = len(cells)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if threads is None:
        threads = 8 if any(cell.transport == "http" for cell in cells) else 1
    size = max(1, min(25 * threads, -(-total // max(1, workers * 4))))
    chunks = _chunks(cells, size)
    out: list[AgentResult] = []
    if workers <= 1 or len(chunks) < 2:
        for chunk in chunks:
            out.extend(_run_chunk(chunk, threads))
            if progress is not None:
                progress(len(out), total)
        return out
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for results in pool.map(_run_chunk, chunks, [threads] * len(chunks)):
            out.extend(results)
            if progress is not None:
                progress(len(out), total)
    return out


def _round(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


def summarise(results: Iterable[AgentResult]) -> dict[str, dict[str, Any]]:
    """One row per ``agent/profile``, in first-seen order, with exactly :data:`SUMMARY_FIELDS`."""
    groups: dict[str, list[AgentResult]] = {}
    for result in results:
        groups.setdefault(f"{result.agent}/{result.profile}", []).append(result)
    summary: dict[str, dict[str, Any]] = {}
    for key, rows in groups.items():
        latencies = [r.duration_s for r in rows]
        llm_calls = sum(r.llm_calls for r in rows)
        http = sum(r.http_attempts for r in rows)
        correct = sum(r.correct for r in rows)
        summary[key] = {
            "runs": len(rows),
            "correct": correct,
            "accuracy": _round(correct / len(rows)),
            "completed": sum(r.completed for r in rows),
            "unhandled_exceptions": sum(r.unhandled_exception is not None for r in rows),
            "deadline_exceeded": sum(r.deadline_exceeded for r in rows),
            "llm_calls": llm_calls,
            "http_attempts_per_call": _round(http / llm_calls) if llm_calls else 0.0,
            "tool_calls": sum(r.tool_calls for r in rows),
            "p50_latency_s": _round(percentile(latencies, 50)),
            "p95_latency_s": _round(percentile(latencies, 95)),
            "tokens": sum(r.tokens for r in rows),
        }
    return summary


def _extras(results: Iterable[AgentResult]) -> dict[str, dict[str, int]]:
    extras: dict[str, dict[str, int]] = {}
    for r in results:
        row = extras.setdefault(f"{r.agent}/{r.profile}", {"degraded": 0, "loops": 0, "max_att": 0})
        row["degraded"] += r.outcome is Outcome.DEGRADED
        row["loops"] += r.outcome is Outcome.WOULD_LOOP
        row["max_att"] = max(row["max_att"], r.max_attempts_per_call)
    return extras


TABLE_COLUMNS = (
    ("agent/profile", "{key}", 22),
    ("runs", "{runs}", 5),
    ("correct", "{accuracy:.0%}", 8),
    ("done", "{completed}", 5),
    ("degr", "{degraded}", 5),
    ("crash", "{unhandled_exceptions}", 6),
    ("loop", "{loops}", 5),
    ("late", "{deadline_exceeded}", 5),
    ("llm", "{llm_calls}", 6),
    ("att/call", "{http_attempts_per_call:.2f}", 9),
    ("max", "{max_att}", 4),
    ("tools", "{tool_calls}", 6),
    ("p50 s", "{p50_latency_s:.1f}", 7),
    ("p95 s", "{p95_latency_s:.1f}", 7),
    ("tokens", "{tokens}", 9),
)


def render_table(results: Sequence[AgentResult]) -> str:
    """A fixed-width text table: the summary plus degraded answers, harness-stopped loops, max attempts."""
    summary = summarise(results)
    extras = _extras(results)
    header = " ".join(
        f"{title:>{width}}" if i else f"{title:<{width}}" for i, (title, _, width) in enumerate(TABLE_COLUMNS)
    )
    lines = [header, "-" * len(header)]
    for key, row in summary.items():
        values = {"key": key, **row, **extras[key]}
        cells = [
            f"{fmt.format(**values):>{width}}" if i else f"{fmt.format(**values):<{width}}"
            for i, (_, fmt, width) in enumerate(TABLE_COLUMNS)
        ]
        lines.append(" ".join(cells))
    lines.append(
        "correct: graded against the scenario's answer key; done: ended with an answer (model or degraded); "
        "degr: degraded answers; crash: unhandled exceptions; loop: stopped by the harness's step guard; "
        "late: past the deadline; att/call: HTTP attempts per logical model call (max: the worst call); "
        "p50/p95: virtual seconds per run."
    )
    return "\n".join(lines)


def report(results: Sequence[AgentResult]) -> dict[str, Any]:
    """The ``evaluate --json`` document: ``{"summary": {...}, "runs": [...]}``."""
    return {"summary": summarise(results), "runs": [r.to_dict() for r in results]}


__all__ += ["AGENTS", "DEFAULT_AGENTS", "TABLE_COLUMNS"]
