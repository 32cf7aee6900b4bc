"""Map to production: our Retry beside tenacity and stamina.

Where they agree, the same policy gives the same attempts and (seeded) the same waits; where
they differ (tenacity's defaults retry forever; tenacity's stop_after_delay overruns the
deadline, stop_before_delay does not; stamina defaults to 10 attempts), the tests show it.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import stamina
import tenacity

from course_lib.clock import VirtualClock
from course_lib.resilience import (
    ConstantBackoff,
    FullJitterBackoff,
    Retry,
    StopReason,
    classify,
    is_retryable,
)


class Enough(BaseException):
    """Raised by a guard to stop a loop that would otherwise never end (not an Exception, so no
    retry library catches it)."""


@pytest.fixture
def tenacity_on(clock, monkeypatch):
    """tenacity on our virtual clock: its elapsed time comes from ``tenacity.time.monotonic``."""
    monkeypatch.setattr(tenacity, "time", SimpleNamespace(monotonic=clock.now))
    return clock


def failing(clock=None, cost=0.0, exc=TimeoutError):
    def fn():
        fn.calls += 1
        if clock is not None:
            clock.advance(cost)
        raise exc("down")

    fn.calls = 0
    return fn


# ---------------------------------------------------------------------------- tenacity


def test_wait_random_exponential_is_our_full_jitter_draw_for_draw(monkeypatch):
    """Same formula, same random stream: identical waits (uniform(0, min(max, m * 2**(n-1))))."""
    monkeypatch.setattr(tenacity.wait, "random", random.Random(7))
    theirs = []
    r = tenacity.Retrying(
        wait=tenacity.wait_random_exponential(multiplier=0.5, max=8),
        stop=tenacity.stop_after_attempt(8),
        retry=tenacity.retry_if_exception_type(TimeoutError),
        sleep=theirs.append,
        reraise=True,
    )
    with pytest.raises(TimeoutError):
        r(failing())
    ours = VirtualClock()
    policy = Retry(
        on=TimeoutError,
        attempts=8,
        deadline=None,
        backoff=FullJitterBackoff(0.5, 8.0),
        rng=random.Random(7),
        clock=ours,
    )
    with pytest.raises(TimeoutError):
        policy.call(failing())
    assert [s.seconds for s in ours.sleeps] == theirs
    assert len(theirs) == 7


def test_stop_after_delay_overruns_the_deadline_and_ours_does_not(tenacity_on):
    """Attempts take 1 s, waits 3 s, limit 10 s. tenacity's stop_after_delay checks *after* an
    attempt, so it sleeps past the limit and runs again (ends at 13 s). Ours never starts a
    wait that would end after the deadline, exactly like tenacity's stop_before_delay."""
    clock = tenacity_on

    def run_tenacity(stop):
        start = clock.now()
        fn = failing(clock, cost=1.0)
        r = tenacity.Retrying(stop=stop, wait=tenacity.wait_fixed(3), sleep=clock.sleep, reraise=True)
        with pytest.raises(TimeoutError):
            r(fn)
        return fn.calls, clock.now() - start

    assert run_tenacity(tenacity.stop_after_delay(10)) == (4, 13.0)
    assert run_tenacity(tenacity.stop_before_delay(10)) == (3, 9.0)

    start = clock.now()
    fn = failing(clock, cost=1.0)
    with pytest.raises(TimeoutError) as info:
        Retry(on=TimeoutError, attempts=None, deadline=10, backoff=ConstantBackoff(3), clock=clock).call(fn)
    assert (fn.calls, clock.now() - start) == (3, 9.0)
    assert info.value.retry_history.stop is StopReason.DEADLINE


def test_retry_if_exception_with_our_predicate_makes_the_same_decisions(tenacity_on, make_status_error):
    clock = tenacity_on
    sequences = [
        [TimeoutError(), make_status_error(503), "ok"],
        [make_status_error(429), make_status_error(401)],
        [KeyError("bug")],
        [ConnectionError(), ConnectionError(), ConnectionError(), "ok"],
    ]
    for items in sequences:
        counts = []
        for runner in ("tenacity", "ours"):
            calls = []

            def fn(items=items, calls=calls):
                item = items[min(len(calls), len(items) - 1)]
                calls.append(item)
                if isinstance(item, BaseException):
                    raise item
                return item

            if runner == "tenacity":
                r = tenacity.Retrying(
                    retry=tenacity.retry_if_exception(is_retryable),
                    stop=tenacity.stop_after_attempt(3),
                    sleep=clock.sleep,
                    reraise=True,
                )
                call = lambda fn=fn, r=r: r(fn)  # noqa: E731
            else:
                call = lambda fn=fn: Retry(on=classify, attempts=3, clock=clock).call(fn)  # noqa: E731
            try:
                result = call()
            except Exception as exc:
                result = type(exc).__name__
            counts.append((len(calls), result))
        assert counts[0] == counts[1], items


def test_tenacitys_default_retries_forever_and_ours_stops_at_three():
    """``Retrying()`` defaults: stop_never, wait_none, retry on any Exception, a TypeError (a bug)
    included. A guard stops it after 1,000 attempts; left alone it would never stop."""
    r = tenacity.Retrying()
    assert isinstance(r.stop, tenacity.stop._stop_never)
    assert isinstance(r.wait, tenacity.wait.wait_none)

    def bug():
        bug.calls += 1
        if bug.calls >= 1000:
            raise Enough
        raise TypeError("'NoneType' object is not subscriptable")

    bug.calls = 0
    with pytest.raises(Enough):
        r(bug)
    assert bug.calls == 1000  # and it had not given up

    bug.calls = 0
    with pytest.raises(TypeError):
        Retry(on=classify, clock=VirtualClock()).call(bug)
    assert bug.calls == 1  # a bug is not retried
    bug.calls = 0
    with pytest.raises(TypeError):
        Retry(on=Exception, clock=VirtualClock()).call(bug)
    assert bug.calls == 3  # even told to retry everything, the default is bounded


def test_tenacity_wraps_the_error_unless_reraise_and_ours_always_reraises_the_original():
    r = tenacity.Retrying(stop=tenacity.stop_after_attempt(2), sleep=lambda s: None)
    with pytest.raises(tenacity.RetryError):
        r(failing())
    original = TimeoutError("the real one")

    def fn():
        raise original

    with pytest.raises(TimeoutError) as info:
        Retry(on=TimeoutError, attempts=2, clock=VirtualClock()).call(fn)
    assert info.value is original and info.value.retry_history.count == 2


# ---------------------------------------------------------------------------- stamina


def test_stamina_and_ours_both_require_on():
    with pytest.raises(TypeError):
        stamina.retry()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Retry()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("script", "attempts_expected"),
    [
        (["ok"], 1),
        ([TimeoutError(), "ok"], 2),
        ([TimeoutError(), TimeoutError(), "ok"], 3),
        ([TimeoutError()], 3),
        ([ValueError("not listed")], 1),
    ],
)
def test_same_attempts_as_stamina_in_testing_mode(script, attempts_expected):
    """stamina's testing mode (no waits, capped attempts) beside ours on a virtual clock."""

    def make():
        calls = []

        def fn():
            item = script[min(len(calls), len(script) - 1)]
            calls.append(1)
            if isinstance(item, BaseException):
                raise item
            return item

        return fn, calls

    theirs, their_calls = make()
    with stamina.set_testing(True, attempts=3):
        try:
            their_result = stamina.retry(on=TimeoutError, attempts=3)(theirs)()
        except Exception as exc:
            their_result = type(exc)
    ours, our_calls = make()
    try:
        our_result = Retry(on=TimeoutError, attempts=3, clock=VirtualClock())(ours)()
    except Exception as exc:
        our_result = type(exc)
    assert len(their_calls) == len(our_calls) == attempts_expected
    assert their_result == our_result


def test_stamina_accepts_our_predicate():
    calls = []

    def fn():
        calls.append(1)
        raise KeyError("bug") if len(calls) > 1 else TimeoutError()

    with stamina.set_testing(True, attempts=5), pytest.raises(KeyError):
        stamina.retry(on=is_retryable, attempts=5)(fn)()
    assert len(calls) == 2  # retried the timeout, not the bug


def test_stamina_defaults_are_bounded_too_but_larger():
    """stamina: 10 attempts and 45 s by default. Ours: 3 attempts and 60 s (SRE/gRPC/AWS use 3)."""
    import inspect

    params = inspect.signature(stamina.retry).parameters
    assert (params["attempts"].default, params["timeout"].default) == (10, 45.0)
    ours = inspect.signature(Retry).parameters
    assert (ours["attempts"].default, ours["deadline"].default) == (3, 60.0)
