"""RetryBudget (never overdrawn, exact under threads) and Deadline helpers."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.clock import VirtualClock
from course_lib.resilience import Deadline, DeadlineExceeded, RetryBudget, RetryBudgetExhausted


def test_budget_allows_a_fraction_of_calls_in_steady_state():
    budget = RetryBudget(ratio=0.1, max_tokens=5, initial_tokens=0)
    allowed = 0
    for _ in range(1000):
        budget.deposit()
        if budget.try_withdraw():
            allowed += 1
    assert allowed == 100  # 10% of calls


def test_budget_caps_the_burst():
    budget = RetryBudget(ratio=0.5, max_tokens=3)
    for _ in range(100):
        budget.deposit()
    assert budget.tokens == 3
    assert [budget.try_withdraw() for _ in range(4)] == [True, True, True, False]
    with pytest.raises(RetryBudgetExhausted):
        budget.withdraw_or_raise()
    assert "denied=2" in repr(budget)


def test_budget_validation():
    with pytest.raises(ValueError):
        RetryBudget(ratio=1.5)
    with pytest.raises(ValueError):
        RetryBudget(max_tokens=0.5)
    with pytest.raises(ValueError):
        RetryBudget(max_tokens=2, initial_tokens=3)


@settings(max_examples=200, deadline=None)
@given(
    ops=st.lists(st.booleans(), max_size=300),
    ratio=st.floats(min_value=0.0, max_value=1.0),
    max_tokens=st.floats(min_value=1.0, max_value=50.0),
    initial=st.floats(min_value=0.0, max_value=1.0),
)
def test_property_budget_is_never_overdrawn(ops, ratio, max_tokens, initial):
    budget = RetryBudget(ratio=ratio, max_tokens=max_tokens, initial_tokens=initial * max_tokens)
    for deposit in ops:
        if deposit:
            budget.deposit()
        else:
            budget.try_withdraw()
        assert 0.0 <= budget.tokens <= max_tokens
    s = budget.snapshot()
    assert s.retries_allowed <= initial * max_tokens + ratio * s.calls + 1e-9


def test_budget_is_exact_under_16_threads():
    budget = RetryBudget(ratio=0.25, max_tokens=1000, initial_tokens=0)
    barrier = threading.Barrier(16)

    def worker():
        barrier.wait()
        for _ in range(2000):
            budget.deposit()
            budget.try_withdraw()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = budget.snapshot()
    assert s.calls == 32_000
    assert s.retries_allowed + s.retries_denied == 32_000
    assert s.tokens >= 0
    assert s.retries_allowed == pytest.approx(32_000 * 0.25 - s.tokens, abs=1e-6)


def test_deadline_counts_down_on_the_clock():
    clock = VirtualClock()
    deadline = Deadline(10, clock=clock)
    assert deadline.remaining() == 10 and not deadline.expired()
    clock.advance(4)
    assert deadline.remaining() == 6 and deadline.elapsed() == 4
    assert deadline.cap(30) == 6  # a per-attempt timeout never runs past the deadline
    assert deadline.cap(2) == 2
    assert deadline.cap() == 6
    assert deadline.allows(6) and not deadline.allows(6.5)
    deadline.check("listing pods")
    clock.advance(6)
    assert deadline.expired() and deadline.remaining() == 0
    with pytest.raises(DeadlineExceeded, match="before listing pods"):
        deadline.check("listing pods")
    with pytest.raises(DeadlineExceeded):
        deadline.cap(5)
    assert isinstance(DeadlineExceeded("x"), TimeoutError)


def test_deadline_never_and_validation():
    clock = VirtualClock()
    never = Deadline.never(clock=clock)
    clock.advance(1e9)
    assert not never.expired()
    with pytest.raises(ValueError):
        Deadline(-1, clock=clock)
    assert "remaining" in repr(Deadline(3, clock=clock))
