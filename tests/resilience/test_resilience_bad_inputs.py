"""Every bad input is refused with a message that says what is wrong and what is allowed."""

from __future__ import annotations

import random

import pytest

from course_lib.clock import VirtualClock
from course_lib.resilience import (
    CircuitBreaker,
    ConstantBackoff,
    Deadline,
    DecorrelatedJitterBackoff,
    ExponentialBackoff,
    FallbackChain,
    FullJitterBackoff,
    RateLimiter,
    Retry,
    RetryBudget,
    make_backoff,
    simulate,
)
from course_lib.resilience.backoff import full_jitter

CASES = [
    (lambda: Retry(on=TimeoutError, attempts=None, deadline=None), ValueError, "could retry forever"),
    (lambda: Retry(on=TimeoutError, attempts=0), ValueError, r"attempts must be an int >= 1 .*got 0"),
    (lambda: Retry(on=TimeoutError, attempts=True), ValueError, "attempts must be an int"),
    (
        lambda: Retry(on=TimeoutError, deadline=-5),
        ValueError,
        r"deadline must be a finite number of seconds > 0",
    ),
    (lambda: Retry(on=TimeoutError, max_retry_after=-1), ValueError, "max_retry_after must be >= 0"),
    (lambda: Retry(on="TimeoutError"), TypeError, "on= must be exception types or a predicate"),
    (lambda: Retry(on=(TimeoutError, 3)), TypeError, "on= must be exception types or a predicate"),
    (lambda: Retry(), TypeError, "missing 1 required keyword-only argument: 'on'"),
    (lambda: ExponentialBackoff(base=-1), ValueError, r"base must be a finite number >= 0, got -1"),
    (lambda: FullJitterBackoff(cap=float("inf")), ValueError, "cap must be a finite number"),
    (lambda: ConstantBackoff(float("nan")), ValueError, "delay_s must be a finite number"),
    (lambda: DecorrelatedJitterBackoff(base=0), ValueError, r"base must be a finite number > 0"),
    (lambda: ExponentialBackoff().delay(-1, 0.0, random.Random()), ValueError, "retry number must be >= 0"),
    (lambda: make_backoff("fibonacci"), ValueError, "unknown backoff 'fibonacci'; choose one of constant"),
    (
        lambda: list(full_jitter(rng=random.Random(), seed=1, limit=1)),
        ValueError,
        "pass rng or seed, not both",
    ),
    (lambda: RetryBudget(ratio=2), ValueError, r"ratio must be in \[0, 1\], got 2"),
    (lambda: RetryBudget(max_tokens=0.5), ValueError, r"max_tokens must be a finite number >= 1"),
    (
        lambda: RetryBudget(max_tokens=5, initial_tokens=6),
        ValueError,
        r"initial_tokens must be in \[0, max_tokens\]",
    ),
    (lambda: Deadline(-1, clock=VirtualClock()), ValueError, r"deadline must be >= 0 seconds"),
    (lambda: CircuitBreaker(failure_threshold=None), ValueError, "or the breaker can never open"),
    (lambda: CircuitBreaker(failure_threshold=0), ValueError, "failure_threshold must be >= 1, got 0"),
    (lambda: CircuitBreaker(window_size=0), ValueError, "window_size must be >= 1, got 0"),
    (
        lambda: CircuitBreaker(window_size=10, minimum_calls=11),
        ValueError,
        r"minimum_calls must be in \[1, window_size\]",
    ),
    (
        lambda: CircuitBreaker(window_size=10, failure_rate_threshold=0),
        ValueError,
        r"failure_rate_threshold must be in \(0, 1\]",
    ),
    (
        lambda: CircuitBreaker(reset_timeout=0),
        ValueError,
        "reset_timeout must be a finite number of seconds > 0",
    ),
    (lambda: CircuitBreaker(probe_timeout=float("inf")), ValueError, "probe_timeout must be a finite number"),
    (lambda: CircuitBreaker(half_open_max_calls=0), ValueError, "half_open_max_calls must be >= 1, got 0"),
    (
        lambda: CircuitBreaker(success_threshold=2),
        ValueError,
        r"success_threshold must be in \[1, half_open_max_calls\]",
    ),
    (lambda: RateLimiter(rpm=0), ValueError, "rpm must be a finite number > 0, got 0"),
    (lambda: RateLimiter(rpm=60, tpm=-1), ValueError, "tpm must be a finite number > 0"),
    (lambda: RateLimiter(rpm=60).acquire(100), ValueError, "tokens given but this limiter has no tpm"),
    (lambda: RateLimiter(rpm=60, tpm=600).acquire(-1), ValueError, "tokens must be a finite number >= 0"),
    (lambda: FallbackChain(), ValueError, "a fallback chain needs at least one step"),
    (
        lambda: FallbackChain(("primary", "not a function")),
        TypeError,
        "fallback step 'primary' is not callable",
    ),
    (lambda: simulate("fibonacci"), ValueError, "unknown strategy 'fibonacci'; choose one of none"),
    (lambda: simulate("full_jitter", -1), ValueError, "clients must be >= 0, got -1"),
    (lambda: simulate("full_jitter", 10, capacity=0), ValueError, "capacity must be >= 1, got 0"),
]


@pytest.mark.parametrize(("make", "error", "message"), CASES, ids=[c[2][:40] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()
