"""Concurrency experiments on a breaker, arranged so their *counts* never depend on timing.

Threads are synchronised with barriers and events, never with sleeps: each experiment holds the
protected call open until every caller has been admitted or rejected, so the numbers it returns
are the same on every run and machine (only how long it takes varies, and it is never printed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ProviderStillDown", "StampedeResult", "half_open_stampede", "late_success"]

# A breaker's call method: takes a zero-argument function, runs it (or refuses to).
BreakerCall = Callable[[Callable[[], Any]], Any]

PATIENCE_S = 10.0  # real seconds a thread waits for the others before giving up (never reached)


class ProviderStillDown(ConnectionError):
    """What a probe gets from a dependency that has not recovered yet."""


@dataclass(frozen=True, slots=True)
class StampedeResult:
    """How many of ``threads`` simultaneous callers reached the provider, and how many were refused."""

    threads: int
    admitted: int
    rejected: int

    def __str__(self) -> str:
        return (
            f"{self.admitted} of {self.threads} callers reached the provider, "
            f"{self.rejected} were rejected at once"
        )


def half_open_stampede(call: BreakerCall, *, threads: int = 16, recovered: bool = False) -> StampedeResult:
    """Release ``threads`` callers at the same moment at ``call`` (a breaker's ``call`` method).

    Use it on a breaker whose reset timeout has just elapsed, i.e. one about to go HALF_OPEN.
    Every caller that gets into the protected function holds it until all ``threads`` callers
    have been admitted or rejected, so a breaker that limits its probes is caught with the limit
    exactly and one that admits everyone is caught with everyone. The provider then answers
    (``recovered=True``) or fails with :class:`ProviderStillDown`.
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    start = threading.Barrier(threads)
    lock = threading.Lock()
    decided = threading.Event()
    counts = {"admitted": 0, "rejected": 0}

    def note(kind: str) -> None:
        with lock:
            counts[kind] += 1
            if counts["admitted"] + counts["rejected"] == threads:
                decided.set()

    def provider() -> str:
        note("admitted")
        decided.wait(PATIENCE_S)  # hold the probe slot until every caller has an answer
        if not recovered:
            raise ProviderStillDown("the provider has not recovered")
        return "ok"

    def caller() -> None:
        start.wait(PATIENCE_S)
        try:
            call(provider)
        except ProviderStillDown:
            pass  # admitted, and the provider failed: counted in provider()
        except Exception:  # CircuitOpenError, or the outline's bare Exception: refused
            note("rejected")

    workers = [threading.Thread(target=caller, name=f"caller-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return StampedeResult(threads, counts["admitted"], counts["rejected"])


def late_success(call: BreakerCall, meanwhile: Callable[[], None]) -> Any:
    """Start a slow call that succeeds, run ``meanwhile`` while it is in flight, then let it answer.

    ``meanwhile`` is typically "three other calls fail and open the breaker": the experiment
    shows what the breaker does with a success that belongs to the time *before* it opened.
    Returns the slow call's result.
    """
    inside, release = threading.Event(), threading.Event()
    result: list[Any] = []

    def slow_but_fine() -> str:
        inside.set()
        release.wait(PATIENCE_S)
        return "ok"

    def run() -> None:
        try:
            result.append(call(slow_but_fine))
        except Exception as err:  # reported to the caller below, never printed by the thread
            result.append(err)
        inside.set()

    worker = threading.Thread(target=run, name="slow-call")
    worker.start()
    inside.wait(PATIENCE_S)
    if result:  # it finished before `meanwhile`: it was refused or failed at once
        worker.join()
        raise RuntimeError(f"the slow call did not stay in flight: {result[0]!r}")
    try:
        meanwhile()
    finally:
        release.set()
        worker.join()
    if isinstance(result[0], Exception):
        raise result[0]
    return result[0]
