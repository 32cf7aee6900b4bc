"""Benchmark the chaos evaluation (issue 6) and print its table.

    .venv/bin/python benchmarks/bench_evaluation.py [--seeds 10] [--workers 2] [--http] [--agents naive,production]

Targets (2 cores): the in-process evaluation of every scenario x 5 profiles x 10 seeds x 2
agents under 60 s; the same through the loopback HTTP server (the real ChatOpenAI and openai
client) under 3 minutes. Also checks the production agent's targets under storm and outage.
Prints wall time, CPU time of the workers (what an idle machine would need), the machine's load
average (other work on the machine slows the wall time), and the table.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

from course_lib.agent.evaluation import evaluate, plan_cells, render_table, summarise


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _check_targets(summary: dict, results: list) -> list[str]:
    lines = []
    storm = summary.get("production/storm")
    if storm:
        worst = max(
            r.max_attempts_per_call for r in results if r.agent == "production" and r.profile == "storm"
        )
        ok = (
            storm["accuracy"] >= 0.95
            and storm["unhandled_exceptions"] == 0
            and storm["deadline_exceeded"] == 0
            and worst <= 3
        )
        lines.append(
            f"production/storm: accuracy {storm['accuracy']:.1%}, unhandled {storm['unhandled_exceptions']}, "
            f"late {storm['deadline_exceeded']}, worst call {worst} HTTP attempts -> {'OK' if ok else 'MISSED'}"
        )
    outage = [r for r in results if r.agent == "production" and r.profile == "outage"]
    if outage:
        ok = all(r.completed and not r.deadline_exceeded for r in outage)
        lines.append(
            f"production/outage: every run answered or degraded within its deadline -> {'OK' if ok else 'MISSED'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--agents", default="naive,production")
    parser.add_argument("--http", action="store_true", help="through the loopback HTTP server")
    parser.add_argument("--no-backup", action="store_true")
    args = parser.parse_args(argv)
    transport = "http" if args.http else "in-process"
    cells = plan_cells(
        args.agents.split(","), None, args.seeds, transport=transport, backup=not args.no_backup
    )
    load_before = os.getloadavg()[0]
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    results = evaluate(cells, workers=args.workers)
    wall, cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
    target = 180.0 if args.http else 60.0
    print(render_table(results))
    print()
    for line in _check_targets(summarise(results), results):
        print(line)
    print(
        f"{len(cells)} runs ({transport}, {args.workers} workers): wall {wall:.1f} s "
        f"(target < {target:g} s: {'OK' if wall < target else 'MISSED'}), CPU {cpu:.1f} s "
        f"(= {cpu / max(1, args.workers):.1f} s per worker), {1000 * wall / len(cells):.1f} ms per run; "
        f"load average before {load_before:.2f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
