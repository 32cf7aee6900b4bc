"""``python -m course_lib scenarios``: list the fake cluster's scenarios (``--json`` for tools)."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib scenarios", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object per scenario")
    parser.add_argument("--show", metavar="NAME_OR_PATH", help="print one scenario's question and answer key")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from course_lib.fakes.cluster import ScenarioError, list_scenarios, load_scenario

    names = [args.show] if args.show else list_scenarios()
    try:
        scenarios = [load_scenario(n) for n in names]
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.json:
        for s in scenarios:
            print(
                json.dumps(
                    {
                        "name": s.name,
                        "title": s.title,
                        "namespace": s.namespace,
                        "question": s.question,
                        "healthy": s.healthy,
                        "pods": [p["metadata"]["name"] for p in s.pods],
                    }
                )
            )
        return 0
    if args.show:
        s = scenarios[0]
        print(
            f"{s.name}: {s.title}\n\nnamespace: {s.namespace}\nquestion:  {s.question}\n\n{s.description}\n"
        )
        print(f"root cause: {s.root_cause}\nkeywords:   {[list(g) for g in s.keywords]}")
        return 0
    width = max(len(s.name) for s in scenarios)
    for s in scenarios:
        print(f"{s.name:<{width}}  {s.namespace:<13}  {'[control] ' if s.healthy else ''}{s.title}")
    print(
        f"\n{len(scenarios)} scenarios ({sum(s.healthy for s in scenarios)} healthy controls). "
        "Use one with COURSE_SCENARIO=NAME (or a file path)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
