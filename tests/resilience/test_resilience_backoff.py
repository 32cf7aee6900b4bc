"""Backoff strategies: the formulas, seeded determinism, and delays within [0, cap] (property)."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.resilience import backoff as B


def test_exponential_doubles_up_to_the_cap():
    assert list(B.exponential(0.5, 8.0, limit=7)) == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_constant():
    assert list(B.constant(2.0, limit=3)) == [2.0, 2.0, 2.0]


def test_full_jitter_is_uniform_below_the_exponential():
    waits = list(B.full_jitter(0.5, 8.0, seed=1, limit=8))
    for n, wait in enumerate(waits):
        assert 0 <= wait <= min(8.0, 0.5 * 2**n)
    assert waits == list(B.full_jitter(0.5, 8.0, seed=1, limit=8))  # seeded: reproducible
    assert waits != list(B.full_jitter(0.5, 8.0, seed=2, limit=8))


def test_equal_jitter_keeps_half():
    for n, wait in enumerate(B.equal_jitter(0.5, 8.0, seed=3, limit=8)):
        t = min(8.0, 0.5 * 2**n)
        assert t / 2 <= wait <= t


def test_decorrelated_jitter_depends_on_the_previous_wait():
    previous = 0.0
    for wait in B.decorrelated_jitter(0.5, 8.0, seed=4, limit=20):
        assert 0.5 <= wait <= 8.0
        assert wait <= max(0.5, previous) * 3
        previous = wait


def test_full_jitter_spreads_a_herd_and_exponential_does_not():
    """The point of jitter: 100 clients that failed together come back at 100 different times."""
    rng = random.Random(0)
    jittered = {round(B.FullJitterBackoff(0.5, 8.0).delay(3, 0.0, rng), 6) for _ in range(100)}
    lockstep = {B.ExponentialBackoff(0.5, 8.0).delay(3, 0.0, rng) for _ in range(100)}
    assert len(jittered) == 100
    assert lockstep == {4.0}


def test_huge_retry_numbers_do_not_overflow():
    assert B.ExponentialBackoff(0.5, 8.0, factor=10.0).delay(10_000, 0.0, random.Random()) == 8.0


def test_make_backoff_and_validation():
    assert isinstance(B.make_backoff("full_jitter", base=0.1, cap=1.0), B.FullJitterBackoff)
    assert B.make_backoff("constant", base=0.3).delay(5, 0, random.Random()) == 0.3
    with pytest.raises(ValueError, match="unknown backoff"):
        B.make_backoff("fibonacci")
    with pytest.raises(ValueError):
        B.ExponentialBackoff(base=-1)
    with pytest.raises(ValueError):
        B.DecorrelatedJitterBackoff(base=0)
    with pytest.raises(ValueError, match="rng or seed"):
        list(B.full_jitter(rng=random.Random(), seed=1, limit=1))


def test_every_strategy_is_a_backoff():
    for cls in B.STRATEGIES.values():
        assert isinstance(cls(), B.Backoff)


def test_delays_is_an_endless_generator_without_limit():
    assert len(list(itertools.islice(B.delays(B.FullJitterBackoff(), seed=0), 1000))) == 1000


capped = st.sampled_from(
    [B.ExponentialBackoff, B.FullJitterBackoff, B.EqualJitterBackoff, B.DecorrelatedJitterBackoff]
)


@settings(max_examples=300, deadline=None)
@given(
    cls=capped,
    base=st.floats(min_value=1e-4, max_value=10.0),
    cap=st.floats(min_value=0.0, max_value=120.0),
    seed=st.integers(min_value=0, max_value=2**32),
    count=st.integers(min_value=1, max_value=60),
)
def test_property_delays_stay_within_zero_and_cap(cls, base, cap, seed, count):
    for wait in B.delays(cls(base=base, cap=cap), seed=seed, limit=count):
        assert 0.0 <= wait <= cap
