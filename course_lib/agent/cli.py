"""``python -m course_lib diagnose ["question"] --scenario NAME [--agent ...] [--chaos ...] [--seed N] [--json]``.

Runs one agent once on one scenario under one chaos profile, in virtual time, and prints the
answer and what it cost (or, with ``--json``, the whole :class:`AgentResult`). Without a
question, the scenario's own question is asked. ``--events`` writes the run's JSON events to
stderr and ``--metrics`` prints its Prometheus metrics. Exit codes: 0 the agent answered,
1 it did not (degraded answer, error, crash or loop), 2 bad arguments (unknown names are listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage with exit code 2 (its default) but never exits mid-library."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m course_lib diagnose", description="Diagnose one scenario with an agent.")
    parser.add_argument("question", nargs="?", help="what to ask (default: the scenario's own question)")
    parser.add_argument(
        "--scenario", required=True, help="scenario name (see `python -m course_lib scenarios`) or file"
    )
    parser.add_argument(
        "--agent", default="production", help="naive, production or kept (default production)"
    )
    parser.add_argument("--chaos", default="none", help="chaos profile: none, flaky, storm, outage, hostile")
    parser.add_argument("--seed", type=int, default=0, help="chaos seed (default 0)")
    parser.add_argument(
        "--transport",
        default="in-process",
        help="in-process (default), http (loopback chaos server) or live (COURSE_LLM=openai)",
    )
    parser.add_argument(
        "--no-backup", action="store_true", help="no backup model: the degraded answer is the only fallback"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--events", action="store_true", help="write the run's JSON events to stderr")
    parser.add_argument(
        "--metrics", action="store_true", help="print the run's metrics in Prometheus text format"
    )
    return parser


def _validate(args: argparse.Namespace) -> str | None:
    """An error message naming the valid choices, or None."""
    from course_lib.agent.runner import AGENTS, TRANSPORTS
    from course_lib.fakes.chaos import PROFILES, UnknownProfileError, resolve_profile
    from course_lib.fakes.cluster import UnknownScenarioError, load_scenario

    if args.agent not in AGENTS:
        return f"unknown agent {args.agent!r}; valid agents: {', '.join(AGENTS)}"
    if args.transport not in TRANSPORTS:
        return f"unknown transport {args.transport!r}; valid transports: {', '.join(TRANSPORTS)}"
    if args.transport == "live":
        from course_lib.agent.runner import require_live_mode
        from course_lib.mode import LiveModeError

        try:
            require_live_mode()
        except LiveModeError as err:
            return str(err)
    try:
        resolve_profile(args.chaos)
    except UnknownProfileError:
        return f"unknown chaos profile {args.chaos!r}; valid profiles: {', '.join(PROFILES)}"
    except (OSError, ValueError) as err:
        return f"cannot read chaos profile {args.chaos!r}: {err}"
    try:
        load_scenario(args.scenario)
    except UnknownScenarioError as err:
        return str(err)
    except (OSError, ValueError) as err:
        return f"cannot read scenario {args.scenario!r}: {err}"
    return None


def _human(result: Any) -> str:
    lines = [result.output or "(no output)", ""]
    lines.append(
        f"[{result.agent} agent | {result.scenario} | chaos {result.profile} seed {result.seed} | "
        f"{result.outcome}{' (correct)' if result.correct else ''}]"
    )
    lines.append(
        f"model calls {result.llm_calls} (HTTP attempts {result.http_attempts}, worst call "
        f"{result.max_attempts_per_call}), tool calls {result.tool_calls}, steps {result.steps}, "
        f"tokens {result.tokens}, {result.duration_s:.2f} s virtual (deadline {result.deadline_s:g} s), "
        f"trace {result.trace_id}"
    )
    if result.errors:
        lines.append("errors: " + " | ".join(e.splitlines()[0][:160] for e in result.errors))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as stop:  # argparse already printed the usage error
        return int(stop.code or 0)
    problem = _validate(args)
    if problem is not None:
        print(f"diagnose: {problem}", file=sys.stderr)
        return 2
    from course_lib.agent.runner import run_agent
    from course_lib.clock import VirtualClock
    from course_lib.observability import AgentMetrics, MemorySink, get_event_logger

    clock = VirtualClock()
    sink = MemorySink()
    events = get_event_logger(clock=clock, sink=sink, propagate=False)
    metrics = AgentMetrics()
    result = run_agent(
        args.agent,
        args.scenario,
        args.chaos,
        args.seed,
        clock=clock,
        transport=args.transport,
        question=args.question,
        backup=not args.no_backup,
        events=events,
        metrics=metrics,
    )
    if args.events:
        for line in sink.lines():
            print(line, file=sys.stderr)
    print(json.dumps(result.to_dict(), indent=2) if args.json else _human(result))
    if args.metrics:
        print(metrics.prometheus_text(), end="")
    return 0 if result.success else 1
