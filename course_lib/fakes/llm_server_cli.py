"""``python -m course_lib serve-llm``: run the chaos server in the foreground.

The first line printed is the base URL (so scripts can read it, with ``--port 0`` too); then one
line per request. Stop it with Ctrl-C. Does not import LangChain.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable

from course_lib.fakes.chaos import PROFILES, FaultPlan, UnknownProfileError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib serve-llm",
        description="Serve an OpenAI-compatible chat API on loopback that injects provider failures.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: pick a free one)")
    parser.add_argument(
        "--chaos",
        default="none",
        help=f"fault profile: {', '.join(PROFILES)}, or a JSON/YAML profile file (default: none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="fault-plan seed (default: 0)")
    parser.add_argument("--retry-after", type=float, default=None, help="seconds a 429 asks to wait")
    parser.add_argument(
        "--slow", type=float, default=None, help="seconds before a slow response's first byte"
    )
    parser.add_argument("--context-window", type=int, default=128_000, help="tokens (default: 128000)")
    parser.add_argument("--api-key", default=None, help="require this bearer key (default: accept any)")
    parser.add_argument("--quiet", action="store_true", help="print only the base URL")
    return parser


def main(
    argv: list[str] | None = None,
    *,
    stop: threading.Event | None = None,
    out: Callable[[str], None] | None = None,
) -> int:
    """Run until Ctrl-C (or until ``stop`` is set, for tests). Returns the exit code."""
    from course_lib.fakes.llm.server import ChaosServer

    args = build_parser().parse_args(argv)
    emit = out or (lambda line: print(line, flush=True))
    try:
        plan = FaultPlan.named(args.chaos, args.seed)
        server = ChaosServer(
            plan,
            host=args.host,
            port=args.port,
            retry_after_s=args.retry_after,
            slow_s=args.slow,
            context_window=args.context_window,
            api_key=args.api_key,
        )
        server.start()
    except (UnknownProfileError, ValueError, OSError) as err:
        print(f"serve-llm: {err}", file=sys.stderr)
        return 2
    emit(server.base_url)
    if not args.quiet:
        emit(f"# chaos={plan.profile.name} seed={plan.seed}; Ctrl-C to stop")
    stop = stop or threading.Event()
    shown = 0
    try:
        while not stop.wait(0.2):
            records = server.requests
            if not args.quiet:
                for record in records[shown:]:
                    emit(
                        f"{record.real_at:8.3f}s #{record.index} {record.method} {record.path} "
                        f"-> {record.status or 'reset'} fault={record.fault or '-'} call={record.call_id or '-'}"
                    )
            shown = len(records)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
