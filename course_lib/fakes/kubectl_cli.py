"""``course-kubectl`` / ``python -m course_lib kubectl``: the fake, read-only kubectl executable.

Configuration comes from the environment, as it would for a real kubectl:

* ``COURSE_SCENARIO``: scenario name or file path (default: the healthy control).
* ``COURSE_CHAOS`` / ``COURSE_CHAOS_SEED``: the fault plan (see ``course_lib.fakes.chaos``).
* ``COURSE_KUBECTL_CALL``: this invocation's index in the run, which selects its fault. Callers
  that count their own calls (the course's tools do) set it. Without it, the index comes from a
  counter file ``<COURSE_KUBECTL_LOG>.calls`` when a log is configured, else it is 0. So faults
  are deterministic for a given seed and call sequence.
* ``COURSE_KUBECTL_LOG``: append one line per invocation, the argv as a JSON array, so lessons and
  tests can show exactly what ran (written before anything else happens).
* ``COURSE_CLUSTER_NOW``: an RFC 3339 time to move the scenario to (the fidelity test uses it).

A LATENCY fault really sleeps here, so a caller's ``subprocess`` timeout really fires.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ENV_SCENARIO = "COURSE_SCENARIO"
ENV_LOG = "COURSE_KUBECTL_LOG"
ENV_CALL = "COURSE_KUBECTL_CALL"
ENV_NOW = "COURSE_CLUSTER_NOW"

__all__ = ["ENV_CALL", "ENV_LOG", "ENV_NOW", "ENV_SCENARIO", "main", "next_call_index", "record_invocation"]


def record_invocation(log_path: str | os.PathLike[str], argv: Sequence[str]) -> None:
    """Append argv as one JSON line (one ``write`` call, so concurrent writers do not interleave)."""
    with open(log_path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(list(argv), ensure_ascii=False) + "\n")


def next_call_index(env: Mapping[str, str]) -> int:
    """The call index from COURSE_KUBECTL_CALL, else a counter file next to the log, else 0."""
    text = env.get(ENV_CALL, "").strip()
    if text:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{ENV_CALL} must be an integer, got {text!r}") from None
    log = env.get(ENV_LOG, "")
    if not log:
        return 0
    counter = Path(log + ".calls")
    import fcntl

    with open(counter, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        current = int(fh.read().strip() or 0)
        fh.seek(0)
        fh.truncate()
        fh.write(str(current + 1))
    return current


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ
    if env.get(ENV_LOG):
        record_invocation(env[ENV_LOG], args)
    from course_lib.fakes.chaos import FaultPlan
    from course_lib.fakes.cluster import DEFAULT_SCENARIO, ScenarioError, load_scenario, shifted
    from course_lib.fakes.cluster.faults import simulate
    from course_lib.fakes.cluster.timefmt import parse_rfc3339

    try:
        scenario = load_scenario(env.get(ENV_SCENARIO) or DEFAULT_SCENARIO)
        if env.get(ENV_NOW):
            scenario = shifted(scenario, parse_rfc3339(env[ENV_NOW]))
        plan = FaultPlan.from_env(env)
        call = next_call_index(env)
    except (ScenarioError, ValueError, OSError) as err:
        print(f"error: fake kubectl is misconfigured: {err}", file=sys.stderr)
        return 1
    effect = simulate(args, scenario, plan, call)
    if effect.delay_s > 0:
        time.sleep(effect.delay_s)  # deliberately real: the caller's timeout must be able to fire
    sys.stdout.write(effect.output.stdout)
    sys.stdout.flush()
    sys.stderr.write(effect.output.stderr)
    return effect.output.exit_code


if __name__ == "__main__":
    sys.exit(main())
