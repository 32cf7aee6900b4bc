"""A retry budget shared across calls: retries may be at most a fraction of calls.

Per-call limits ("3 attempts") still let a struggling dependency receive three times its normal
load from every client at once, exactly when it can least take it. The Google SRE book adds a
per-client budget: retry only while retries are below ~10% of requests; gRPC's
``retryThrottling`` and the AWS SDK's retry quota are token buckets doing the same job.

:class:`RetryBudget` is that bucket. Every call deposits ``ratio`` tokens (0.1 by default), up
to ``max_tokens``; every retry must withdraw one whole token or it is refused. In steady state
at most ``ratio`` retries happen per call, plus a burst of ``max_tokens`` after a quiet period.
When the dependency is down the budget drains and the callers stop piling retries on it; they
fail fast instead (and a breaker or fallback can take over).

Thread-safe: one small lock around the arithmetic, never around a call. Tokens are counted in
millionths with integers, so ten deposits of 0.1 make exactly one token and the balance can
never go below zero (the property tests check it).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

__all__ = ["BudgetSnapshot", "RetryBudget", "RetryBudgetExhausted"]


_UNIT = 1_000_000  # one token, in integer millionths


def _units(tokens: float) -> int:
    """Tokens -> integer millionths, rounded down (never credit more than was asked)."""
    return math.floor(tokens * _UNIT + 1e-9)


class RetryBudgetExhausted(Exception):
    """Raised by :meth:`RetryBudget.withdraw_or_raise` when no whole token is left."""


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    tokens: float
    max_tokens: float
    ratio: float
    calls: int
    retries_allowed: int
    retries_denied: int


class RetryBudget:
    """Token bucket for retries: each call deposits ``ratio``, each retry costs 1 token.

    ``initial_tokens`` defaults to ``max_tokens`` so a fresh process can still retry its first
    few failures. Share one budget between every caller of the same dependency.
    """

    __slots__ = (
        "_calls",
        "_cap",
        "_denied",
        "_deposit",
        "_lock",
        "_retries",
        "_units",
        "max_tokens",
        "name",
        "ratio",
    )

    def __init__(
        self,
        ratio: float = 0.1,
        max_tokens: float = 10.0,
        *,
        initial_tokens: float | None = None,
        name: str = "retry-budget",
    ) -> None:
        if not (0 <= ratio <= 1) or math.isnan(ratio):
            raise ValueError(f"ratio must be in [0, 1], got {ratio!r}")
        if not (max_tokens >= 1) or math.isinf(max_tokens):
            raise ValueError(f"max_tokens must be a finite number >= 1 (one retry), got {max_tokens!r}")
        start = max_tokens if initial_tokens is None else initial_tokens
        if not (0 <= start <= max_tokens):
            raise ValueError(f"initial_tokens must be in [0, max_tokens], got {initial_tokens!r}")
        self.ratio = float(ratio)
        self.max_tokens = float(max_tokens)
        self.name = name
        self._deposit = _units(self.ratio)
        self._cap = _units(self.max_tokens)
        self._units = _units(start)
        self._calls = 0
        self._retries = 0
        self._denied = 0
        self._lock = threading.Lock()

    def deposit(self) -> None:
        """Record one call (a first attempt): earns ``ratio`` tokens, up to ``max_tokens``."""
        with self._lock:
            self._calls += 1
            units = self._units + self._deposit
            self._units = units if units < self._cap else self._cap

    def try_withdraw(self) -> bool:
        """Take one token for a retry. False (and nothing taken) if less than one is left."""
        with self._lock:
            if self._units >= _UNIT:
                self._units -= _UNIT
                self._retries += 1
                return True
            self._denied += 1
            return False

    def withdraw_or_raise(self) -> None:
        if not self.try_withdraw():
            raise RetryBudgetExhausted(f"retry budget {self.name!r} is spent ({self.tokens:.2f} tokens left)")

    @property
    def tokens(self) -> float:
        with self._lock:
            return self._units / _UNIT

    def snapshot(self) -> BudgetSnapshot:
        with self._lock:
            return BudgetSnapshot(
                self._units / _UNIT, self.max_tokens, self.ratio, self._calls, self._retries, self._denied
            )

    def __repr__(self) -> str:
        s = self.snapshot()
        return (
            f"RetryBudget(name={self.name!r}, tokens={s.tokens:.2f}/{s.max_tokens:g}, ratio={s.ratio:g}, "
            f"calls={s.calls}, retries={s.retries_allowed}, denied={s.retries_denied})"
        )
