"""Deadlines: one budget of time for the whole operation, shared by every step and retry.

``timeout=30`` on a request is per attempt; with three attempts and backoff the call can take
two minutes. A :class:`Deadline` is fixed once, when the operation starts, and everything
downstream asks it how much time is left::

    deadline = Deadline(20.0, clock=clock)
    for pod in pods:
        deadline.check("listing events")                       # raises DeadlineExceeded when over
        run_kubectl(..., timeout=deadline.cap(5.0))            # per-attempt timeout, never past the end

It reads the injected monotonic clock, so it is immune to wall-clock jumps and free to test.
"""

from __future__ import annotations

import math

from course_lib.clock import Clock, RealClock

__all__ = ["Deadline", "DeadlineExceeded"]


class DeadlineExceeded(TimeoutError):
    """The overall deadline has passed. A ``TimeoutError``, but never retried (no time is left)."""

    def __init__(self, message: str, *, overrun: float = 0.0) -> None:
        super().__init__(message)
        self.overrun = overrun


class Deadline:
    """A point in (monotonic, injected) time after which the operation should stop."""

    __slots__ = ("_clock", "expires_at", "seconds", "started_at")

    def __init__(self, seconds: float, *, clock: Clock | None = None) -> None:
        seconds = float(seconds)
        if math.isnan(seconds) or seconds < 0:
            raise ValueError(f"deadline must be >= 0 seconds (inf for none), got {seconds!r}")
        self._clock = clock if clock is not None else RealClock()
        self.seconds = seconds
        self.started_at = self._clock.now()
        self.expires_at = self.started_at + seconds

    @classmethod
    def never(cls, *, clock: Clock | None = None) -> Deadline:
        """A deadline that never expires (for code paths that take an optional deadline)."""
        return cls(math.inf, clock=clock)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        left = self.expires_at - self._clock.now()
        return left if left > 0 else 0.0

    def elapsed(self) -> float:
        return self._clock.now() - self.started_at

    def expired(self) -> bool:
        return self._clock.now() >= self.expires_at

    def check(self, what: str = "") -> None:
        """Raise :class:`DeadlineExceeded` if the deadline has passed."""
        now = self._clock.now()
        if now >= self.expires_at:
            doing = f" before {what}" if what else ""
            raise DeadlineExceeded(
                f"deadline of {self.seconds:g} s passed{doing} ({now - self.started_at:.3g} s elapsed)",
                overrun=now - self.expires_at,
            )

    def cap(self, timeout: float | None = None) -> float:
        """A per-attempt timeout that does not run past the deadline: ``min(timeout, remaining)``.

        Raises :class:`DeadlineExceeded` when nothing is left (a zero timeout is never useful).
        """
        now = self._clock.now()
        left = self.expires_at - now
        if left <= 0:
            raise DeadlineExceeded(
                f"deadline of {self.seconds:g} s passed ({now - self.started_at:.3g} s elapsed)",
                overrun=-left,
            )
        return left if timeout is None or timeout > left else float(timeout)

    def allows(self, seconds: float) -> bool:
        """Would waiting ``seconds`` now still end before the deadline?"""
        return self._clock.now() + seconds <= self.expires_at

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, remaining={self.remaining():.3f} s)"
