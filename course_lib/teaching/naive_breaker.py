"""The outline's circuit breaker, kept so notebook 06 can break it (seed errata points 10-14).

Behaviour is the outline's, line for line; only two things are added so a lesson can run it:
time comes from an injected clock (its *wall* time, exactly where the outline calls
``datetime.now()``), and the outline's prints (one on every success) are off unless ``verbose``.

Its bugs, each shown in notebook 06:

* **not thread-safe**: counters and state are read and written by every caller without a lock
  or a generation check, so a late success from a call that started before an outage closes a
  breaker that has just opened (:func:`course_lib.teaching.threads.late_success`);
* **HALF_OPEN admits everyone**: nothing limits the probes, so every concurrent caller hits a
  dependency that may still be down (:func:`course_lib.teaching.threads.half_open_stampede`);
* **wall clock**: the reset timeout is measured with the wall clock, so a clock step (NTP, a VM
  resumed from suspend) keeps it open for an hour or probes at once (:class:`SteppedWallClock`);
* **every exception counts**: a 400 ``context_length_exceeded`` from one oversized prompt, a
  404 or a bug in our code opens it for every caller;
* the rejection is a bare ``Exception`` that cannot be told from a real failure and does not
  say when to try again; and it prints on every success.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from course_lib.clock import Clock, RealClock, VirtualClock

__all__ = ["NaiveBreaker", "SteppedWallClock"]

T = TypeVar("T")


class NaiveBreaker:
    """The outline's ``CircuitBreaker``: states ``"CLOSED"``, ``"OPEN"``, ``"HALF_OPEN"``."""

    def __init__(
        self,
        failure_threshold: int = 5,
        timeout: float = 60,
        *,
        clock: Clock | None = None,
        verbose: bool = False,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.timeout = timeout  # seconds
        self.failures = 0
        self.last_failure_time: datetime | None = None
        self.state = "CLOSED"  # CLOSED, OPEN, HALF_OPEN
        self.clock = clock if clock is not None else RealClock()
        self.verbose = verbose

    def call(self, func: Callable[[], T]) -> T:
        """Execute function with circuit breaker protection (the outline's code)."""
        if self.state == "OPEN":
            if self._should_attempt_reset():
                self.state = "HALF_OPEN"
                self._say("Circuit breaker HALF_OPEN, attempting call...")
            else:
                raise Exception("Circuit breaker is OPEN. Service unavailable.")  # bare: bug
        try:
            result = func()
            self._on_success()
            return result
        except Exception:  # every exception counts: bug
            self._on_failure()
            raise

    def _on_success(self) -> None:
        self.failures = 0  # unconditionally, even for a call that started long ago: bug
        self.state = "CLOSED"
        self._say("Circuit breaker CLOSED")  # on every success

    def _on_failure(self) -> None:
        self.failures += 1  # read-modify-write without a lock: bug
        self.last_failure_time = self.clock.wall_time()  # the outline's datetime.now(): bug
        if self.failures >= self.failure_threshold:
            self.state = "OPEN"
            self._say(f"Circuit breaker OPEN after {self.failures} failures")

    def _should_attempt_reset(self) -> bool:
        if self.last_failure_time is None:
            return True
        return self.clock.wall_time() - self.last_failure_time > timedelta(seconds=self.timeout)

    def _say(self, message: str) -> None:
        if self.verbose:
            print(message)

    def __repr__(self) -> str:
        return f"NaiveBreaker(state={self.state}, failures={self.failures})"


class SteppedWallClock(VirtualClock):
    """A virtual clock whose *wall* time can be stepped, as NTP or a resumed VM steps a real one.

    ``now()`` (monotonic) never jumps; ``wall_time()`` is shifted by every :meth:`step_wall`.
    A breaker that measures its timeout with ``now()`` does not notice; one that uses the wall
    clock does.
    """

    def __init__(self, start: float = 0.0, **kwargs: Any) -> None:
        super().__init__(start, **kwargs)
        self._wall_offset = 0.0

    def step_wall(self, seconds: float) -> None:
        """Move the wall clock by ``seconds`` (negative: back) without moving monotonic time."""
        self._wall_offset += float(seconds)

    def wall_time(self) -> datetime:
        return super().wall_time() + timedelta(seconds=self._wall_offset)

    def __repr__(self) -> str:
        return f"SteppedWallClock(now={self.now():.3f}, wall_offset={self._wall_offset:g})"
