"""Time, injected.

Everything in the course that waits takes a ``Clock`` instead of calling ``time.sleep`` or
``time.monotonic`` itself. Production code passes ``RealClock()``; notebooks and tests pass a
``VirtualClock``, where ``sleep(60)`` returns at once, moves time forward by exactly 60 s and is
recorded, so a breaker's 60-second timeout or a 10-minute outage costs nothing and every wait
can be charted to the millisecond. This is the only module in ``course_lib`` that reads real time.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "RealClock", "SleepRecord", "VirtualClock", "check_delay"]


@runtime_checkable
class Clock(Protocol):
    """What a waiting component needs: a monotonic reading and a way to wait."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the caller for ``seconds``."""
        ...

    async def sleep_async(self, seconds: float) -> None:
        """Wait ``seconds`` without blocking the event loop."""
        ...

    def wall_time(self) -> datetime:
        """An aware UTC datetime for log timestamps (never for measuring durations)."""
        ...


def check_delay(seconds: float) -> float:
    """Return ``seconds`` as a float, or raise ValueError for a negative or non-finite delay.

    A negative sleep is always a bug upstream (a deadline computed the wrong way round), so it
    is reported instead of being clamped to zero.
    """
    value = float(seconds)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"sleep duration must be a finite number of seconds, got {seconds!r}")
    if value < 0:
        raise ValueError(f"sleep duration must be >= 0 seconds, got {seconds!r}")
    return value


class RealClock:
    """The machine's clock: ``time.monotonic`` for readings, ``time.sleep`` for waits."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(check_delay(seconds))

    async def sleep_async(self, seconds: float) -> None:
        await asyncio.sleep(check_delay(seconds))

    def wall_time(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "RealClock()"


@dataclass(frozen=True, slots=True)
class SleepRecord:
    """One recorded wait: when it started (virtual seconds), how long, and an optional label."""

    at: float
    seconds: float
    label: str = ""

    @property
    def until(self) -> float:
        return self.at + self.seconds


DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class VirtualClock:
    """A clock that only moves when told to.

    ``sleep`` advances time immediately and records the wait in ``sleeps``; ``advance`` moves
    time without recording a sleep (to stand for work that takes time, such as a slow response).
    Thread-safe: concurrent sleepers each add their own delay, in the order they take the lock.
    """

    def __init__(self, start: float = 0.0, *, epoch: datetime = DEFAULT_EPOCH) -> None:
        if epoch.tzinfo is None:
            raise ValueError("epoch must be timezone-aware (use datetime(..., tzinfo=UTC))")
        self._now = check_delay(start)
        self._epoch = epoch
        self._lock = threading.Lock()
        self._sleeps: list[SleepRecord] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float, label: str = "") -> None:
        delay = check_delay(seconds)
        with self._lock:
            self._sleeps.append(SleepRecord(self._now, delay, label))
            self._now += delay

    async def sleep_async(self, seconds: float, label: str = "") -> None:
        self.sleep(seconds, label)
        await asyncio.sleep(0)  # still give other tasks their turn, as a real await would

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep."""
        delay = check_delay(seconds)
        with self._lock:
            self._now += delay

    def wall_time(self) -> datetime:
        return self._epoch + timedelta(seconds=self.now())

    @property
    def sleeps(self) -> list[SleepRecord]:
        """A copy of every recorded wait, oldest first."""
        with self._lock:
            return list(self._sleeps)

    @property
    def total_slept(self) -> float:
        with self._lock:
            return sum(record.seconds for record in self._sleeps)

    def reset_sleeps(self) -> None:
        """Forget the recorded waits (time itself does not go back)."""
        with self._lock:
            self._sleeps.clear()

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now():.3f}, sleeps={len(self._sleeps)})"
