"""Benchmark course_lib.resilience against tenacity, stamina and pybreaker (issue 5).

Run from the repository root::

    .venv/bin/python benchmarks/bench_resilience.py [--quick] [--json out.json]

Every peer is measured in the same process, in the same run, with an equivalent policy, and
the table reports ratios (absolute nanoseconds vary between machines; ratios much less):

* retry, success path: a decorated function that succeeds at once
  (3 attempts, 60 s deadline, full-jitter exponential 0.5 s..8 s, retry on TimeoutError);
* retry, fail-fail-ok: two TimeoutErrors then success, every library's sleep replaced by a no-op;
* breaker, closed path: a decorated function through a CLOSED breaker (5 failures, 60 s);
* breaker, open path: the cost of a rejection;
* 8 threads x 50 ms calls through a CLOSED breaker: throughput (pybreaker holds its lock for
  the whole call, so its calls run one at a time);
* the contention simulator with 1,000 clients, per backoff strategy (the "none" row, no backoff
  at all, is shown as a baseline: it makes ~190,000 writes, 11x full jitter's, and takes about
  100 ms on its own).

Micro-benchmarks take the best of several ``timeit`` loops of >= 0.2 s each (GC off, as
``timeit`` does). Targets from the issue are checked at the end; the exit status is 1 if one
is missed. A full run takes about 35-45 s on the 2-core course machine (`--quick`: ~20 s).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import threading
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pybreaker
import stamina
import tenacity

from course_lib.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    FullJitterBackoff,
    Retry,
    simulate,
)
from course_lib.resilience.contention import default_strategies


class NoSleepClock:
    """Real monotonic readings, no waiting: the retry loop runs at full speed."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        pass

    async def sleep_async(self, seconds: float) -> None:
        pass

    def wall_time(self) -> datetime:
        return datetime.now(UTC)


def best_ns(fn: Callable[[], object], repeat: int) -> float:
    """Best per-call time in ns over `repeat` loops of >= 0.2 s each."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e9


# ---------------------------------------------------------------------------- retry


def make_retry_rows(repeat: int) -> dict[str, float]:
    def ok():
        return 1

    ours = Retry(on=TimeoutError, attempts=3, deadline=60.0, backoff=FullJitterBackoff(0.5, 8.0))(ok)
    theirs = tenacity.retry(
        stop=tenacity.stop_after_attempt(3) | tenacity.stop_after_delay(60),
        wait=tenacity.wait_random_exponential(multiplier=0.5, max=8),
        retry=tenacity.retry_if_exception_type(TimeoutError),
        reraise=True,
    )(ok)
    # stamina without its instrumentation hooks (its default logs a WARNING per retry; the
    # research measured both and the hooks only cost on the retry path).
    stamina.instrumentation.set_on_retry_hooks([])
    stamina_fn = stamina.retry(on=TimeoutError, attempts=3, timeout=60.0)(ok)

    rows = {
        "bare call": best_ns(ok, repeat),
        "retry ok: ours": best_ns(ours, repeat),
        "retry ok: tenacity": best_ns(theirs, repeat),
        "retry ok: stamina": best_ns(stamina_fn, repeat),
    }

    # fail, fail, ok -- with every library's sleep disabled
    def flaky_factory():
        state = {"n": 0}

        def flaky():
            state["n"] += 1
            if state["n"] % 3:
                raise TimeoutError("transient")
            return 1

        return flaky

    ours_flaky = Retry(on=TimeoutError, attempts=3, deadline=60.0, clock=NoSleepClock())(flaky_factory())
    theirs_flaky = tenacity.retry(
        stop=tenacity.stop_after_attempt(3) | tenacity.stop_after_delay(60),
        wait=tenacity.wait_random_exponential(multiplier=0.5, max=8),
        retry=tenacity.retry_if_exception_type(TimeoutError),
        reraise=True,
        sleep=lambda seconds: None,
    )(flaky_factory())
    with stamina.set_testing(True, attempts=3):  # stamina's no-wait mode
        stamina_flaky = stamina.retry(on=TimeoutError, attempts=3, timeout=60.0)(flaky_factory())
        rows["fail,fail,ok: stamina"] = best_ns(stamina_flaky, repeat)
    rows["fail,fail,ok: ours"] = best_ns(ours_flaky, repeat)
    rows["fail,fail,ok: tenacity"] = best_ns(theirs_flaky, repeat)
    return rows


# ---------------------------------------------------------------------------- breaker


def make_breaker_rows(repeat: int) -> dict[str, float]:
    def ok():
        return 1

    ours_breaker = CircuitBreaker("bench", failure_threshold=5, reset_timeout=60)
    their_breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60)
    rows = {
        "breaker closed: ours": best_ns(ours_breaker(ok), repeat),
        "breaker closed: pybreaker": best_ns(their_breaker(ok), repeat),
    }

    def boom():
        raise TimeoutError("down")

    ours_open = CircuitBreaker("bench-open", failure_threshold=5, reset_timeout=600)
    their_open = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=600)
    for breaker, error in ((ours_open, CircuitOpenError), (their_open, pybreaker.CircuitBreakerError)):
        for _ in range(5):
            with contextlib.suppress(TimeoutError, error):
                breaker.call(boom)
    assert ours_open.state.value == "open" and their_open.current_state == "open"

    def reject(breaker, error):
        def attempt():
            with contextlib.suppress(error):
                breaker.call(ok)

        return attempt

    rows["breaker open: ours"] = best_ns(reject(ours_open, CircuitOpenError), repeat)
    rows["breaker open: pybreaker"] = best_ns(reject(their_open, pybreaker.CircuitBreakerError), repeat)
    return rows


def threaded_throughput(
    call: Callable[[Callable[[], object]], object], threads: int, per_thread: int
) -> float:
    """Calls per second when `threads` threads each make `per_thread` 50 ms calls through `call`."""

    def slow():
        time.sleep(0.05)
        return 1

    barrier = threading.Barrier(threads + 1)

    def worker():
        barrier.wait()
        for _ in range(per_thread):
            call(slow)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return threads * per_thread / elapsed


def make_thread_rows(per_thread: int) -> dict[str, float]:
    ours = CircuitBreaker("threads", failure_threshold=5, reset_timeout=60)
    theirs = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60)
    return {
        "8 threads x 50 ms: no breaker": threaded_throughput(lambda fn: fn(), 8, per_thread),
        "8 threads x 50 ms: ours": threaded_throughput(ours.call, 8, per_thread),
        "8 threads x 50 ms: pybreaker": threaded_throughput(theirs.call, 8, per_thread),
    }


# ---------------------------------------------------------------------------- contention


def make_contention_rows(runs: int) -> dict[str, tuple[float, int, float]]:
    simulate("full_jitter", 10)  # build the lookup tables once, like a notebook's first draw
    rows = {}
    for name in default_strategies():
        best = float("inf")
        result = None
        for seed in range(runs):
            start = time.perf_counter()
            result = simulate(name, 1000, seed=seed)
            best = min(best, time.perf_counter() - start)
        assert result is not None
        rows[name] = (best * 1000, result.calls, result.completion_time)
    return rows


# ---------------------------------------------------------------------------- report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 5
    started = time.perf_counter()

    print(
        f"course_lib.resilience benchmark  (Python {platform.python_version()}, {platform.machine()}, "
        f"tenacity {tenacity.__version__ if hasattr(tenacity, '__version__') else _version('tenacity')}, "
        f"stamina {_version('stamina')}, pybreaker {_version('pybreaker')})"
    )
    retry_rows = make_retry_rows(repeat)
    breaker_rows = make_breaker_rows(repeat)
    thread_rows = make_thread_rows(per_thread=3 if args.quick else 5)
    contention_rows = make_contention_rows(runs=3 if args.quick else 5)

    print()
    print(f"{'micro-benchmark (best of ' + str(repeat) + ')':<34} {'ns/call':>10}  {'x bare':>7}")
    bare = retry_rows["bare call"]
    for name, ns in {**retry_rows, **breaker_rows}.items():
        print(f"{name:<34} {ns:>10,.0f}  {ns / bare:>7.1f}")
    print()
    print(f"{'threads (8 x 50 ms calls)':<34} {'calls/s':>10}")
    for name, rate in thread_rows.items():
        print(f"{name:<34} {rate:>10.1f}")
    print()
    print(f"{'contention, 1,000 clients':<34} {'ms (best)':>10}  {'calls':>8}  {'sim. s':>8}")
    for name, (ms, calls, sim_seconds) in contention_rows.items():
        print(f"{name:<34} {ms:>10.1f}  {calls:>8,}  {sim_seconds:>8.1f}")

    ours_retry = retry_rows["retry ok: ours"]
    ours_closed = breaker_rows["breaker closed: ours"]
    checks = [
        ("retry success path < 1 us", f"{ours_retry:,.0f} ns", ours_retry < 1000),
        (
            "retry success path >= 10x faster than tenacity",
            f"{retry_rows['retry ok: tenacity'] / ours_retry:.1f}x",
            retry_rows["retry ok: tenacity"] / ours_retry >= 10,
        ),
        ("breaker closed path < 0.6 us", f"{ours_closed:,.0f} ns", ours_closed < 600),
        (
            "breaker closed path >= 2x faster than pybreaker",
            f"{breaker_rows['breaker closed: pybreaker'] / ours_closed:.1f}x",
            breaker_rows["breaker closed: pybreaker"] / ours_closed >= 2,
        ),
        (
            "8 threads x 50 ms: >= 5x pybreaker's throughput",
            f"{thread_rows['8 threads x 50 ms: ours'] / thread_rows['8 threads x 50 ms: pybreaker']:.1f}x",
            thread_rows["8 threads x 50 ms: ours"] / thread_rows["8 threads x 50 ms: pybreaker"] >= 5,
        ),
    ]
    for name, (ms, _, _) in contention_rows.items():
        if name != "none":
            checks.append((f"contention 1,000 clients < 100 ms ({name})", f"{ms:.0f} ms", ms < 100))
    print()
    print(f"{'target (issue 5)':<56} {'measured':>10}  result")
    for name, value, ok in checks:
        print(f"{name:<56} {value:>10}  {'PASS' if ok else 'MISS'}")
    none_ms = contention_rows["none"][0]
    print(
        f"{'contention 1,000 clients, no backoff at all (baseline)':<56} {none_ms:>8.0f} ms  info: "
        f"{contention_rows['none'][1]:,} writes, the N^2 case the strategies exist to avoid"
    )
    extra = [
        ("fail,fail,ok vs tenacity", retry_rows["fail,fail,ok: tenacity"] / retry_rows["fail,fail,ok: ours"]),
        ("fail,fail,ok vs stamina", retry_rows["fail,fail,ok: stamina"] / retry_rows["fail,fail,ok: ours"]),
        ("retry success vs stamina", retry_rows["retry ok: stamina"] / ours_retry),
        (
            "open-breaker rejection vs pybreaker",
            breaker_rows["breaker open: pybreaker"] / breaker_rows["breaker open: ours"],
        ),
    ]
    print()
    print("other ratios (peer time / our time): " + "; ".join(f"{n} {r:.1f}x" for n, r in extra))
    elapsed = time.perf_counter() - started
    print(f"\ntotal benchmark time: {elapsed:.1f} s")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "micro_ns": {**retry_rows, **breaker_rows},
                    "threads_calls_per_s": thread_rows,
                    "contention_ms_calls_simseconds": contention_rows,
                    "checks": [{"target": n, "measured": v, "ok": ok} for n, v, ok in checks],
                },
                indent=2,
            )
        )
    return 0 if all(ok for _, _, ok in checks) else 1


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    sys.exit(main())
