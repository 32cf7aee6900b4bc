"""Backoff: how long to wait before retry number n.

Five strategies, all capped, all taking their randomness from a ``random.Random`` you pass in
(seed it and the sequence is the same every run, which is what charts and tests need):

===================  ===========================================================  ==============
strategy             delay before retry n (n = 0 for the first retry)              randomness
===================  ===========================================================  ==============
constant             ``delay``                                                    none
exponential          ``min(cap, base * factor**n)``                               none
full jitter          ``uniform(0, min(cap, base * factor**n))``                   all of it
equal jitter         ``t/2 + uniform(0, t/2)`` with ``t = min(cap, base*factor**n)``  half
decorrelated jitter  ``min(cap, uniform(base, previous * 3))``, previous starts at base  depends on the last wait
===================  ===========================================================  ==============

Why jitter: clients that failed together and wait the same ``2**n`` seconds come back together
and fail together again. AWS's simulation ("Exponential Backoff And Jitter", 2015) with 100
contending clients: exponential without jitter made 1,858 calls and took 63.5 s; full jitter
797 calls and 5.0 s. :mod:`course_lib.resilience.contention` reproduces that shape.

Each strategy is a small frozen object with one method, ``delay(n, previous, rng)``; the retry
loop calls it. For charts, :func:`delays` (and the generator functions :func:`constant`,
:func:`exponential`, :func:`full_jitter`, :func:`equal_jitter`, :func:`decorrelated_jitter`)
yield the sequence of waits a single client would make.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "STRATEGIES",
    "Backoff",
    "ConstantBackoff",
    "DecorrelatedJitterBackoff",
    "EqualJitterBackoff",
    "ExponentialBackoff",
    "FullJitterBackoff",
    "constant",
    "decorrelated_jitter",
    "delays",
    "equal_jitter",
    "exponential",
    "full_jitter",
    "make_backoff",
]


@runtime_checkable
class Backoff(Protocol):
    """A backoff strategy: the wait before retry ``n`` (0-based), in seconds, never negative."""

    def delay(self, n: int, previous: float, rng: random.Random) -> float:
        """Wait before retry ``n``; ``previous`` is the last wait (0.0 before the first retry)."""
        ...


def _check_positive(name: str, value: float, *, allow_zero: bool = True) -> float:
    value = float(value)
    if math.isnan(value) or math.isinf(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return value


def _capped_exponential(base: float, factor: float, cap: float, n: int) -> float:
    """``min(cap, base * factor**n)`` without overflowing for large ``n``."""
    if n < 0:
        raise ValueError(f"retry number must be >= 0, got {n}")
    try:
        value = base * factor**n
    except OverflowError:
        return cap
    return cap if value > cap else value


@dataclass(frozen=True, slots=True)
class ConstantBackoff:
    """The same wait every time. Fine for one client; a herd stays in step."""

    delay_s: float = 1.0

    def __post_init__(self) -> None:
        _check_positive("delay_s", self.delay_s)

    def delay(self, n: int, previous: float, rng: random.Random) -> float:
        return self.delay_s


@dataclass(frozen=True, slots=True)
class ExponentialBackoff:
    """Capped exponential, no jitter: ``min(cap, base * factor**n)``. The AWS "clear loser"."""

    base: float = 0.5
    cap: float = 8.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        _check_positive("base", self.base)
        _check_positive("cap", self.cap)
        _check_positive("factor", self.factor)

    def delay(self, n: int, previous: float, rng: random.Random) -> float:
        return _capped_exponential(self.base, self.factor, self.cap, n)


@dataclass(frozen=True, slots=True)
class FullJitterBackoff:
    """``uniform(0, min(cap, base * factor**n))``: AWS's and gRPC's choice, and our default."""

    base: float = 0.5
    cap: float = 8.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        _check_positive("base", self.base)
        _check_positive("cap", self.cap)
        _check_positive("factor", self.factor)

    def delay(self, n: int, previous: float, rng: random.Random) -> float:
        return rng.random() * _capped_exponential(self.base, self.factor, self.cap, n)


@dataclass(frozen=True, slots=True)
class EqualJitterBackoff:
    """Keep half of the exponential wait, randomise the other half: never waits less than t/2."""

    base: float = 0.5
    cap: float = 8.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        _check_positive("base", self.base)
        _check_positive("cap", self.cap)
        _check_positive("factor", self.factor)

    def delay(self, n: int, previous: float, rng: random.Random) -> float:
        half = _capped_exponential(self.base, self.factor, self.cap, n) / 2
        return half + rng.random() * half


@dataclass(frozen=True, slots=True)
class DecorrelatedJitterBackoff:
    """``min(cap, uniform(base, previous * 3))``, the first wait drawn from ``uniform(base, 3*base)``.

    Each wait depends on the previous one instead of on n. Caveat: once ``3 * previous`` passes
    the cap, many waits land exactly on the cap, so the jitter partly collapses there.
    """

    base: float = 0.5
    cap: float = 8.0

    def __post_init__(self) -> None:
        _check_positive("base", self.base, allow_zero=False)
        _check_positive("cap", self.cap)

    def delay(self, n: int, previous: float, rng: random.Random) -> float:
        last = previous if previous > self.base else self.base
        value = self.base + rng.random() * (last * 3 - self.base)
        return self.cap if value > self.cap else value


STRATEGIES: dict[str, type] = {
    "constant": ConstantBackoff,
    "exponential": ExponentialBackoff,
    "full_jitter": FullJitterBackoff,
    "equal_jitter": EqualJitterBackoff,
    "decorrelated_jitter": DecorrelatedJitterBackoff,
}
"""Strategy name -> class, for widgets and the contention simulator."""


def make_backoff(name: str, *, base: float = 0.5, cap: float = 8.0) -> Backoff:
    """Build a strategy by name (``constant`` uses ``base`` as its delay)."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown backoff {name!r}; choose one of {', '.join(STRATEGIES)}") from None
    if cls is ConstantBackoff:
        return ConstantBackoff(base)
    return cls(base=base, cap=cap)


def _rng(rng: random.Random | None, seed: int | None) -> random.Random:
    if rng is not None and seed is not None:
        raise ValueError("pass rng or seed, not both")
    return rng if rng is not None else random.Random(seed)


def delays(
    backoff: Backoff, *, rng: random.Random | None = None, seed: int | None = None, limit: int | None = None
) -> Iterator[float]:
    """Yield the waits one client would make: before retry 0, 1, 2, ... (forever unless ``limit``)."""
    generator = _rng(rng, seed)
    previous = 0.0
    n = 0
    while limit is None or n < limit:
        previous = backoff.delay(n, previous, generator)
        yield previous
        n += 1


def constant(delay: float = 1.0, *, limit: int | None = None) -> Iterator[float]:
    """Yield ``delay`` again and again."""
    return delays(ConstantBackoff(delay), seed=0, limit=limit)


def exponential(
    base: float = 0.5, cap: float = 8.0, *, factor: float = 2.0, limit: int | None = None
) -> Iterator[float]:
    """Yield ``min(cap, base * factor**n)`` for n = 0, 1, 2, ..."""
    return delays(ExponentialBackoff(base, cap, factor), seed=0, limit=limit)


def full_jitter(
    base: float = 0.5,
    cap: float = 8.0,
    *,
    factor: float = 2.0,
    rng: random.Random | None = None,
    seed: int | None = None,
    limit: int | None = None,
) -> Iterator[float]:
    """Yield full-jitter waits (seeded by ``seed`` or drawn from ``rng``)."""
    return delays(FullJitterBackoff(base, cap, factor), rng=rng, seed=seed, limit=limit)


def equal_jitter(
    base: float = 0.5,
    cap: float = 8.0,
    *,
    factor: float = 2.0,
    rng: random.Random | None = None,
    seed: int | None = None,
    limit: int | None = None,
) -> Iterator[float]:
    """Yield equal-jitter waits."""
    return delays(EqualJitterBackoff(base, cap, factor), rng=rng, seed=seed, limit=limit)


def decorrelated_jitter(
    base: float = 0.5,
    cap: float = 8.0,
    *,
    rng: random.Random | None = None,
    seed: int | None = None,
    limit: int | None = None,
) -> Iterator[float]:
    """Yield decorrelated-jitter waits."""
    return delays(DecorrelatedJitterBackoff(base, cap), rng=rng, seed=seed, limit=limit)
