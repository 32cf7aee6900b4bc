"""``python -m course_lib evaluate [--agent ...] [--chaos ...] [--seeds N] [--json]``.

Runs every scenario under each chosen chaos profile and seed for each chosen agent and prints
the comparison table (or, with ``--json``, ``{"summary": {"<agent>/<profile>": {...}}, "runs":
[...]}``). ``--agent`` and ``--chaos`` may be repeated or comma-separated; the defaults are the
naive and production agents under every profile. A progress bar goes to stderr when stderr is a
terminal. Exit codes: 0 done, 2 bad arguments (unknown names are listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["ProgressBar", "build_parser", "main"]


class ProgressBar:
    """A one-line text progress bar, redrawn in place with a carriage return (no dependency)."""

    def __init__(self, stream: TextIO, *, width: int = 30, label: str = "evaluating") -> None:
        self.stream = stream
        self.width = width
        self.label = label

    def render(self, done: int, total: int) -> str:
        fraction = done / total if total else 1.0
        filled = round(self.width * fraction)
        return f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} ({fraction:.0%})"

    def __call__(self, done: int, total: int) -> None:
        self.stream.write(self.render(done, total))
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _names(values: Sequence[str] | None) -> list[str]:
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib evaluate", description="Evaluate agents under chaos."
    )
    parser.add_argument(
        "--agent", action="append", help="naive, production, kept (repeatable; default naive,production)"
    )
    parser.add_argument("--chaos", action="append", help="profiles (repeatable; default all five)")
    parser.add_argument("--scenario", action="append", help="scenarios (repeatable; default all)")
    parser.add_argument(
        "--seeds", type=int, default=10, help="seeds 0..N-1 per scenario and profile (default 10)"
    )
    parser.add_argument(
        "--transport",
        default="in-process",
        help="in-process (default), http (loopback chaos server) or live (COURSE_LLM=openai)",
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per CPU)")
    parser.add_argument("--no-backup", action="store_true", help="no backup model for production and kept")
    parser.add_argument("--json", action="store_true", help="print one JSON object: summary and runs")
    return parser


def _validate(args: argparse.Namespace) -> str | None:
    from course_lib.agent.runner import AGENTS, TRANSPORTS
    from course_lib.fakes.chaos import PROFILES
    from course_lib.fakes.cluster import list_scenarios

    for agent in _names(args.agent):
        if agent not in AGENTS:
            return f"unknown agent {agent!r}; valid agents: {', '.join(AGENTS)}"
    for profile in _names(args.chaos):
        if profile not in PROFILES:
            return f"unknown chaos profile {profile!r}; valid profiles: {', '.join(PROFILES)}"
    known = list(list_scenarios())
    for scenario in _names(args.scenario):
        if scenario not in known:
            return f"unknown scenario {scenario!r}; valid scenarios: {', '.join(known)}"
    if args.transport not in TRANSPORTS:
        return f"unknown transport {args.transport!r}; valid transports: {', '.join(TRANSPORTS)}"
    if args.transport == "live":
        from course_lib.agent.runner import require_live_mode
        from course_lib.mode import LiveModeError

        try:
            require_live_mode()
        except LiveModeError as err:
            return str(err)
    if args.seeds < 1:
        return f"--seeds must be >= 1, got {args.seeds}"
    if args.workers is not None and args.workers < 1:
        return f"--workers must be >= 1, got {args.workers}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    problem = _validate(args)
    if problem is not None:
        print(f"evaluate: {problem}", file=sys.stderr)
        return 2
    from course_lib.agent.evaluation import DEFAULT_AGENTS, evaluate, plan_cells, render_table, report

    cells = plan_cells(
        _names(args.agent) or DEFAULT_AGENTS,
        _names(args.chaos) or None,
        args.seeds,
        _names(args.scenario) or None,
        transport=args.transport,
        backup=not args.no_backup,
    )
    progress = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    results = evaluate(cells, workers=args.workers, progress=progress)
    if args.json:
        print(json.dumps(report(results)))
    else:
        print(render_table(results))
    return 0
