"""One caller, one provider outage, the real :class:`~course_lib.resilience.CircuitBreaker`.

:func:`simulate_breaker` is what notebook 06's live chart redraws: pure, seeded and in virtual
time, so the same settings always give the same trace (and the same picture). :class:`CallLog`
records calls made through any breaker, so a notebook can chart its own runs the same way.

The caller is one agent sending a model request every ``every`` seconds, one at a time (a
request waits while the previous one is still running). A request that reaches the provider
takes ``call_seconds``; a rejected one costs nothing. The provider fails every request that
starts inside the outage window, and outside it fails with probability ``error_rate``, drawn
per request index, so changing the breaker's settings never changes which requests meet noise.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from course_lib.clock import VirtualClock
from course_lib.resilience import CircuitBreaker, CircuitOpenError, StateChange

__all__ = [
    "BreakerTrace",
    "CallLog",
    "CallRecord",
    "Outcome",
    "ProviderUnavailable",
    "simulate_breaker",
]

T = TypeVar("T")


class Outcome(StrEnum):
    OK = "ok"  # reached the provider and got an answer
    FAILED = "failed"  # reached the provider and failed (counted by the breaker)
    IGNORED = "ignored"  # failed with an error the breaker does not count (a 400, a 404)
    REJECTED = "rejected"  # refused by the breaker without reaching the provider


class ProviderUnavailable(ConnectionError):
    """The simulated provider's failure: a 503 during the outage, or background noise."""

    status = 503


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One request: when it started, what happened, whether it was a HALF_OPEN probe, how long."""

    at: float
    outcome: Outcome
    probe: bool = False
    seconds: float = 0.0


class CallLog:
    """Wraps a breaker and records each call made through it, for :mod:`course_lib.viz.breaker_charts`.

    ``log.call(fn, *args)`` behaves exactly like ``breaker.call(fn, *args)`` (same result, same
    exception); the outcome is read from the breaker's own counters, so "failed" and "ignored"
    mean what the breaker decided. Meant for one caller at a time (a notebook, a simulation).
    """

    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker
        self.records: list[CallRecord] = []

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        clock = self.breaker.clock
        at = clock.now()
        before = self.breaker.stats()
        try:
            result = self.breaker.call(fn, *args, **kwargs)
        except CircuitOpenError:
            self.records.append(CallRecord(at, Outcome.REJECTED))
            raise
        except Exception:
            after = self.breaker.stats()
            failed = after.failures > before.failures
            self._add(at, Outcome.FAILED if failed else Outcome.IGNORED, before, after)
            raise
        self._add(at, Outcome.OK, before, self.breaker.stats())
        return result

    def _add(self, at: float, outcome: Outcome, before: Any, after: Any) -> None:
        probe = after.probes_started > before.probes_started
        self.records.append(CallRecord(at, outcome, probe, self.breaker.clock.now() - at))

    def __repr__(self) -> str:
        return f"CallLog({self.breaker.name!r}, calls={len(self.records)})"


@dataclass(frozen=True, slots=True)
class BreakerTrace:
    """What :func:`simulate_breaker` saw: every call, every state change, the outage window."""

    calls: tuple[CallRecord, ...]
    history: tuple[StateChange, ...]  # empty when the run had no breaker
    end: float
    outage: tuple[float, float] | None

    def count(self, outcome: Outcome) -> int:
        return sum(1 for call in self.calls if call.outcome is outcome)

    @property
    def made(self) -> int:
        """Requests that reached the provider."""
        return sum(1 for call in self.calls if call.outcome is not Outcome.REJECTED)

    @property
    def rejected(self) -> int:
        return self.count(Outcome.REJECTED)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)

    @property
    def wasted_seconds(self) -> float:
        """Caller time spent on requests that failed."""
        return sum(call.seconds for call in self.calls if call.outcome is Outcome.FAILED)

    @property
    def recovery_time(self) -> float | None:
        """Seconds from the end of the outage to the caller's first answer (None: no outage or none)."""
        if self.outage is None:
            return None
        end = self.outage[1]
        first = next((c.at for c in self.calls if c.outcome is Outcome.OK and c.at >= end), None)
        return None if first is None else first - end

    def summary(self) -> str:
        recovery = self.recovery_time
        after = (
            "no outage"
            if self.outage is None
            else (
                "no answer after the outage"
                if recovery is None
                else f"first answer {recovery:g} s after the outage"
            )
        )
        return (
            f"{len(self.calls)} requests: {self.made} reached the provider ({self.failed} failed), "
            f"{self.rejected} rejected fast; {after}"
        )


def simulate_breaker(
    *,
    outage: tuple[float, float] | None = (60.0, 180.0),
    duration: float = 420.0,
    every: float = 2.0,
    call_seconds: float = 1.0,
    error_rate: float = 0.0,
    failure_threshold: int = 5,
    reset_timeout: float = 30.0,
    half_open_max_calls: int = 1,
    seed: int = 0,
    breaker: bool = True,
) -> BreakerTrace:
    """Run one caller for ``duration`` virtual seconds against a provider with an outage.

    ``outage=(start, end)`` in seconds (``None``, or ``end <= start``: no outage). With
    ``breaker=False`` the caller sends every request straight to the provider: the baseline.
    """
    for label, value in (("duration", duration), ("every", every)):
        if not value > 0 or math.isinf(value):
            raise ValueError(f"{label} must be a finite number of seconds > 0, got {value!r}")
    if not 0 <= call_seconds < math.inf:
        raise ValueError(f"call_seconds must be >= 0, got {call_seconds!r}")
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError(f"error_rate must be in [0, 1], got {error_rate!r}")
    window = None if outage is None or outage[1] <= outage[0] else (float(outage[0]), float(outage[1]))

    clock = VirtualClock()
    cb = CircuitBreaker(
        "provider",
        failure_threshold=failure_threshold,
        reset_timeout=reset_timeout,
        half_open_max_calls=half_open_max_calls,
        clock=clock,
    )
    log = CallLog(cb)
    direct: list[CallRecord] = []
    for index in range(math.ceil(duration / every)):
        arrival = index * every
        if clock.now() < arrival:
            clock.advance(arrival - clock.now())
        noisy = random.Random(f"{seed}|{index}").random() < error_rate

        def provider(noisy: bool = noisy) -> str:
            started = clock.now()
            clock.advance(call_seconds)
            if noisy or (window is not None and window[0] <= started < window[1]):
                raise ProviderUnavailable("503 Service Unavailable")
            return "ok"

        if breaker:
            with contextlib.suppress(CircuitOpenError, ProviderUnavailable):  # recorded by the log
                log.call(provider)
        else:
            at = clock.now()
            try:
                provider()
                direct.append(CallRecord(at, Outcome.OK, seconds=call_seconds))
            except ProviderUnavailable:
                direct.append(CallRecord(at, Outcome.FAILED, seconds=call_seconds))
    end = max(duration, clock.now())
    if breaker:
        return BreakerTrace(tuple(log.records), tuple(cb.history), end, window)
    return BreakerTrace(tuple(direct), (), end, window)
