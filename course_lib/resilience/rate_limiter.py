"""Client-side rate limiter: pace requests to a provider's RPM (and TPM) instead of hitting 429s.

Providers publish limits per minute (requests per minute, tokens per minute) and enforce them
over shorter intervals ("60,000 RPM may be enforced as 1,000 requests per second"). Sending
bursts and then retrying the 429s wastes quota and time; pacing on the client avoids most of
them.

:class:`RateLimiter` keeps one token bucket per limit. The request bucket refills at ``rpm/60``
per second and holds one second's worth by default; the optional token bucket refills at
``tpm/60`` per second. :meth:`RateLimiter.acquire` *reserves* capacity under a lock (so
concurrent callers queue fairly, in arrival order) and then sleeps the computed wait on the
injected clock, outside the lock. A request larger than the bucket is allowed: the bucket goes
into debt and later callers wait it off, so the average rate still holds.

Estimate tokens before the call (prompt + ``max_tokens``), then :meth:`RateLimiter.report_usage`
with the real count afterwards to give back what was not used.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from course_lib.clock import Clock, RealClock

__all__ = ["RateLimiter", "RateLimiterStats", "RateLimiterTimeout"]


class RateLimiterTimeout(Exception):
    """The wait for capacity would be longer than the caller's ``timeout``; nothing was reserved."""

    def __init__(self, message: str, *, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True, slots=True)
class RateLimiterStats:
    granted: int
    refused: int
    tokens: float
    total_wait: float
    max_wait: float


def _rate(name: str, value: float) -> float:
    value = float(value)
    if math.isnan(value) or value <= 0 or math.isinf(value):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


class RateLimiter:
    """Token-bucket pacing for ``rpm`` requests (and optionally ``tpm`` tokens) per minute."""

    def __init__(
        self,
        rpm: float,
        tpm: float | None = None,
        *,
        request_burst: float | None = None,
        token_burst: float | None = None,
        clock: Clock | None = None,
        name: str = "rate-limiter",
    ) -> None:
        self.rpm = _rate("rpm", rpm)
        self.tpm = None if tpm is None else _rate("tpm", tpm)
        self._req_rate = self.rpm / 60.0
        self._req_cap = (
            _rate("request_burst", request_burst) if request_burst is not None else max(1.0, self._req_rate)
        )
        self._tok_rate = 0.0 if self.tpm is None else self.tpm / 60.0
        self._tok_cap = 0.0
        if self.tpm is not None:
            self._tok_cap = (
                _rate("token_burst", token_burst) if token_burst is not None else max(1.0, self._tok_rate)
            )
        self.clock: Clock = clock if clock is not None else RealClock()
        self.name = name
        self._lock = threading.Lock()
        self._last = self.clock.now()
        self._req_level = self._req_cap
        self._tok_level = self._tok_cap
        self._granted = 0
        self._refused = 0
        self._tokens = 0.0
        self._total_wait = 0.0
        self._max_wait = 0.0

    def _refill(self, now: float) -> None:
        elapsed = now - self._last
        if elapsed > 0:
            self._last = now
            level = self._req_level + elapsed * self._req_rate
            self._req_level = level if level < self._req_cap else self._req_cap
            if self.tpm is not None:
                level = self._tok_level + elapsed * self._tok_rate
                self._tok_level = level if level < self._tok_cap else self._tok_cap

    def _check_tokens(self, tokens: float) -> float:
        tokens = float(tokens)
        if math.isnan(tokens) or tokens < 0 or math.isinf(tokens):
            raise ValueError(f"tokens must be a finite number >= 0, got {tokens!r}")
        if tokens and self.tpm is None:
            raise ValueError("tokens given but this limiter has no tpm")
        return tokens

    def reserve(self, tokens: float = 0, *, timeout: float | None = None) -> float:
        """Reserve capacity for one request of ``tokens`` tokens; return the seconds to wait.

        Raises :class:`RateLimiterTimeout` (reserving nothing) if the wait exceeds ``timeout``.
        """
        tokens = self._check_tokens(tokens)
        with self._lock:
            self._refill(self.clock.now())
            self._req_level -= 1.0
            wait = -self._req_level / self._req_rate if self._req_level < 0 else 0.0
            if self.tpm is not None:
                self._tok_level -= tokens
                if self._tok_level < 0:
                    wait = max(wait, -self._tok_level / self._tok_rate)
            if timeout is not None and wait > timeout:
                self._req_level += 1.0
                if self.tpm is not None:
                    self._tok_level += tokens
                self._refused += 1
                raise RateLimiterTimeout(
                    f"{self.name}: the next slot is {wait:.3g} s away, more than timeout={timeout:g} s",
                    wait=wait,
                )
            self._granted += 1
            self._tokens += tokens
            self._total_wait += wait
            if wait > self._max_wait:
                self._max_wait = wait
        return wait

    def acquire(self, tokens: float = 0, *, timeout: float | None = None) -> float:
        """Wait (on the clock) until one request of ``tokens`` tokens may go; return the wait."""
        wait = self.reserve(tokens, timeout=timeout)
        if wait > 0:
            self.clock.sleep(wait)
        return wait

    async def acquire_async(self, tokens: float = 0, *, timeout: float | None = None) -> float:
        wait = self.reserve(tokens, timeout=timeout)
        if wait > 0:
            await self.clock.sleep_async(wait)
        return wait

    def try_acquire(self, tokens: float = 0) -> bool:
        """Take capacity only if it is available now (no waiting)."""
        try:
            self.reserve(tokens, timeout=0.0)
        except RateLimiterTimeout:
            return False
        return True

    def report_usage(self, estimated: float, actual: float) -> None:
        """Correct a token estimate after the response: give back (or charge) the difference."""
        if self.tpm is None:
            return
        with self._lock:
            self._refill(self.clock.now())
            level = self._tok_level + float(estimated) - float(actual)
            self._tok_level = level if level < self._tok_cap else self._tok_cap
            self._tokens += float(actual) - float(estimated)

    def stats(self) -> RateLimiterStats:
        with self._lock:
            return RateLimiterStats(
                self._granted, self._refused, self._tokens, self._total_wait, self._max_wait
            )

    def __repr__(self) -> str:
        tpm = f", tpm={self.tpm:g}" if self.tpm is not None else ""
        return f"RateLimiter(rpm={self.rpm:g}{tpm})"
