"""Retry: safe defaults, Retry-After, deadline, budget, hooks, history, sync and async, properties."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.clock import VirtualClock
from course_lib.resilience import (
    ConstantBackoff,
    ExponentialBackoff,
    FullJitterBackoff,
    Retry,
    RetryBudget,
    StopReason,
    classify,
    retry,
)


def test_on_is_required():
    with pytest.raises(TypeError):
        Retry()  # type: ignore[call-arg]


def test_unbounded_retry_is_refused():
    with pytest.raises(ValueError, match="forever"):
        Retry(on=TimeoutError, attempts=None, deadline=None)
    with pytest.raises(ValueError):
        Retry(on=TimeoutError, attempts=0)
    with pytest.raises(TypeError):
        Retry(on=(TimeoutError, "nope"))  # type: ignore[arg-type]


def test_default_policy_is_bounded(clock, script):
    fn = script([TimeoutError("down")])
    with pytest.raises(TimeoutError):
        Retry(on=Exception, clock=clock).call(fn)
    assert fn.calls == 3  # not forever (tenacity's default) and not 10 (stamina's)


def test_success_first_time_costs_no_wait(clock, script):
    fn = script(["ok"])
    assert Retry(on=TimeoutError, clock=clock).call(fn) == "ok"
    assert clock.sleeps == []


def test_transient_failures_then_success(clock, script, rng):
    fn = script([TimeoutError("1"), ConnectionError("2"), "answer"])
    policy = Retry(on=classify, attempts=5, clock=clock, rng=rng, backoff=FullJitterBackoff(0.5, 8.0))
    assert policy.call(fn) == "answer"
    assert fn.calls == 3
    waits = [s.seconds for s in clock.sleeps]
    assert len(waits) == 2
    assert 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 1.0


def test_give_up_reraises_the_original_exception_with_history(clock, script):
    errors = [TimeoutError("a"), TimeoutError("b"), TimeoutError("c")]
    fn = script(errors)
    policy = Retry(on=TimeoutError, attempts=3, clock=clock, backoff=ConstantBackoff(1.0), name="kubectl")
    with pytest.raises(TimeoutError) as info:
        policy.call(fn)
    assert info.value is errors[-1]  # the original object, not a wrapper
    history = info.value.retry_history
    assert history.stop is StopReason.ATTEMPTS
    assert [a.error for a in history.attempts] == errors
    assert [a.wait for a in history.attempts] == [1.0, 1.0, 0.0]
    assert history.total_wait == 2.0 and history.elapsed == 2.0
    assert "gave up after 3 attempt(s)" in info.value.__notes__[0]
    assert "kubectl" in history.describe()
    assert info.value.__context__ is None  # no misleading "during handling of ..." chain


def test_not_retryable_errors_raise_at_once(clock, script):
    fn = script([KeyError("bug")])
    with pytest.raises(KeyError) as info:
        Retry(on=classify, clock=clock).call(fn)
    assert fn.calls == 1
    assert info.value.retry_history.stop is StopReason.NOT_RETRYABLE
    assert "bug" in info.value.retry_history.stop_detail


def test_exception_types_only_retry_what_is_listed(clock, script):
    fn = script([TimeoutError(), ValueError("bad")])
    with pytest.raises(ValueError) as info:
        Retry(on=(TimeoutError, ConnectionError), clock=clock).call(fn)
    assert fn.calls == 2
    assert "not listed in on=(TimeoutError, ConnectionError)" in info.value.retry_history.attempts[-1].reason


def test_cancellation_is_never_caught(clock, script):
    fn = script([KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        Retry(on=BaseException, clock=clock).call(fn)
    assert fn.calls == 1


def test_deadline_stops_before_a_wait_that_would_overrun(clock, script):
    fn = script([TimeoutError()], clock=clock, cost=1.0)
    policy = Retry(on=TimeoutError, attempts=100, deadline=10.0, clock=clock, backoff=ConstantBackoff(2.0))
    with pytest.raises(TimeoutError) as info:
        policy.call(fn)
    history = info.value.retry_history
    assert history.stop is StopReason.DEADLINE
    assert clock.now() <= 10.0
    assert fn.calls == 4  # t=0..1, wait 2, 3..4, wait 2, 6..7, wait 2, 9..10: stop (no wait left)
    assert "deadline" in history.stop_detail


def test_retry_after_is_waited_exactly(clock, script, make_status_error):
    fn = script(
        [
            make_status_error(429, {"retry-after-ms": "1500"}),
            make_status_error(503, {"Retry-After": "2"}),
            "ok",
        ]
    )
    assert Retry(on=classify, clock=clock).call(fn) == "ok"
    assert [(s.seconds) for s in clock.sleeps] == [1.5, 2.0]


def test_retry_after_http_date_uses_the_clocks_wall_time(script, make_status_error):
    clock = VirtualClock()
    when = clock.wall_time() + timedelta(seconds=30)
    header = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    fn = script([make_status_error(503, {"Retry-After": header}), "ok"])
    assert Retry(on=classify, clock=clock).call(fn) == "ok"
    assert clock.sleeps[0].seconds == 30.0


def test_retry_after_above_the_maximum_gives_up_immediately(clock, script, make_status_error):
    exc = make_status_error(429, {"Retry-After": "200"})
    fn = script([exc])
    with pytest.raises(type(exc)) as info:
        Retry(on=(type(exc),), clock=clock).call(fn)  # even when the type is listed
    assert fn.calls == 1
    assert info.value.retry_history.stop is StopReason.RETRY_AFTER_TOO_LONG
    assert clock.sleeps == []


def test_retry_after_longer_than_the_deadline_is_not_waited(clock, script, make_status_error):
    fn = script([make_status_error(429, {"Retry-After": "90"})])
    with pytest.raises(Exception) as info:
        Retry(on=classify, deadline=60, clock=clock).call(fn)
    assert info.value.retry_history.stop is StopReason.DEADLINE
    assert clock.sleeps == []


def test_retry_after_can_be_ignored(clock, script, make_status_error):
    fn = script([make_status_error(429, {"Retry-After": "50"}), "ok"])
    Retry(on=classify, respect_retry_after=False, backoff=ConstantBackoff(0.1), clock=clock).call(fn)
    assert clock.sleeps[0].seconds == 0.1


def test_budget_is_shared_and_limits_retries(clock, script):
    budget = RetryBudget(ratio=0.1, max_tokens=2.0)
    policy = Retry(on=TimeoutError, attempts=3, clock=clock, budget=budget, backoff=ConstantBackoff(0.0))
    failing = script([TimeoutError()])
    with pytest.raises(TimeoutError) as first:
        policy.call(failing)
    assert failing.calls == 3  # 2 tokens (+0.1 deposited) pay for 2 retries
    assert first.value.retry_history.stop is StopReason.ATTEMPTS
    with pytest.raises(TimeoutError) as second:
        policy.call(failing)
    assert failing.calls == 4  # 0.2 tokens: no retry allowed
    assert second.value.retry_history.stop is StopReason.BUDGET
    snapshot = budget.snapshot()
    assert (snapshot.calls, snapshot.retries_allowed, snapshot.retries_denied) == (2, 2, 1)


def test_hooks_see_every_wait_and_the_give_up(clock, script):
    slept, gave_up = [], []
    policy = Retry(
        on=TimeoutError,
        attempts=3,
        clock=clock,
        backoff=ConstantBackoff(0.5),
        before_sleep=slept.append,
        on_giveup=gave_up.append,
    )
    with pytest.raises(TimeoutError):
        policy.call(script([TimeoutError()]))
    assert [(e.attempt, e.wait, e.wait_source) for e in slept] == [(1, 0.5, "backoff"), (2, 0.5, "backoff")]
    assert len(gave_up) == 1
    assert gave_up[0].stop is StopReason.ATTEMPTS and gave_up[0].history.count == 3


def test_decorator_keeps_metadata_and_policy():
    @retry(on=TimeoutError, attempts=2, clock=VirtualClock())
    def list_pods(namespace: str) -> str:
        """List pods."""
        return f"pods in {namespace}"

    assert list_pods("prod") == "pods in prod"
    assert list_pods.__name__ == "list_pods" and list_pods.__doc__ == "List pods."
    assert list_pods.retry.attempts == 2


def test_decorated_function_retries(clock, script):
    fn = script([TimeoutError(), "ok"])
    wrapped = Retry(on=TimeoutError, clock=clock)(fn)
    assert wrapped() == "ok" and fn.calls == 2


def test_retry_on_results(clock, script):
    class Result:
        def __init__(self, retryable):
            self.retryable = retryable

    fn = script([Result(True), Result(True), Result(False)])
    policy = Retry(on=classify, on_result=classify, clock=clock, backoff=ConstantBackoff(1.0))
    assert policy.call(fn).retryable is False
    assert fn.calls == 3
    stuck = script([Result(True)])
    value, history = policy.call_with_history(stuck)
    assert value.retryable and stuck.calls == 3  # the last result comes back when retries run out
    assert history.stop is StopReason.ATTEMPTS
    decorated = policy(script([Result(True), Result(False)]))
    assert decorated().retryable is False


def test_call_with_history(clock, script):
    value, history = Retry(on=TimeoutError, clock=clock).call_with_history(script([TimeoutError(), 42]))
    assert value == 42
    assert history.succeeded and history.count == 2
    assert [a.outcome for a in history.attempts] == ["TimeoutError", "ok"]
    assert "succeeded on attempt 2" in history.summary()


def test_async_retry(clock, async_script):
    fn = async_script([TimeoutError(), TimeoutError(), "ok"])
    policy = Retry(on=TimeoutError, clock=clock, backoff=ConstantBackoff(0.25))

    async def main():
        return await policy.acall(fn), await policy(async_script([TimeoutError(), "again"]))()

    assert asyncio.run(main()) == ("ok", "again")
    assert [s.seconds for s in clock.sleeps] == [0.25, 0.25, 0.25]


def test_async_give_up_and_history(clock, async_script):
    fn = async_script([ConnectionError("x")])
    policy = Retry(on=ConnectionError, attempts=2, clock=clock, backoff=ConstantBackoff(0))

    async def main():
        with pytest.raises(ConnectionError) as info:
            await policy.acall(fn)
        value, history = await policy.acall_with_history(async_script([ConnectionError(), "ok"]))
        return info.value, value, history

    error, value, history = asyncio.run(main())
    assert error.retry_history.count == 2 and value == "ok" and history.succeeded


def test_shared_decorated_function_across_threads_keeps_per_call_state():
    """8 threads x 100 calls, each failing k times: exactly k+1 attempts every time (no cross-talk)."""
    clock = VirtualClock()
    local = threading.local()

    @Retry(on=TimeoutError, attempts=5, clock=clock, backoff=ConstantBackoff(0))
    def flaky(k):
        local.n = getattr(local, "n", 0) + 1
        if local.n <= k:
            raise TimeoutError
        return local.n

    mismatches = []

    def worker(seed):
        rnd = random.Random(seed)
        for _ in range(100):
            k = rnd.randint(0, 3)
            local.n = 0
            if flaky(k) != k + 1:
                mismatches.append(k)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mismatches == []


def test_repr_mentions_the_policy():
    text = repr(Retry(on=(TimeoutError,), attempts=4, deadline=9))
    assert "TimeoutError" in text and "attempts=4" in text and "deadline=9.0" in text


# ---------------------------------------------------------------------------- properties

outcomes = st.lists(st.sampled_from(["ok", "timeout", "conn", "bug", "http429"]), min_size=1, max_size=30)


def _item(kind, make_status_error):
    return {
        "ok": "ok",
        "timeout": TimeoutError(),
        "conn": ConnectionResetError(),
        "bug": TypeError("bug"),
        "http429": make_status_error(429),
    }[kind]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=outcomes,
    attempts=st.integers(min_value=1, max_value=12),
    deadline=st.floats(min_value=0.01, max_value=120.0),
    cost=st.floats(min_value=0.0, max_value=5.0),
    base=st.floats(min_value=0.0, max_value=10.0),
    seed=st.integers(0, 10_000),
)
def test_property_bounds_hold(kinds, attempts, deadline, cost, base, seed, make_status_error):
    """Attempts never exceed the maximum; every wait ends within the deadline; bugs never retried."""
    clock = VirtualClock()
    items = [_item(k, make_status_error) for k in kinds]

    def fn():
        index = fn.calls
        fn.calls += 1
        clock.advance(cost)
        item = items[min(index, len(items) - 1)]
        if isinstance(item, BaseException):
            raise item
        return item

    fn.calls = 0
    policy = Retry(
        on=classify,
        attempts=attempts,
        deadline=deadline,
        clock=clock,
        rng=random.Random(seed),
        backoff=ExponentialBackoff(base, 30.0) if seed % 2 else FullJitterBackoff(base, 30.0),
    )
    try:
        policy.call(fn)
    except Exception as exc:
        history = exc.retry_history
        assert history.count == fn.calls
        if isinstance(exc, TypeError):
            assert history.stop is StopReason.NOT_RETRYABLE
    assert fn.calls <= attempts
    for record in clock.sleeps:
        assert record.until <= deadline + 1e-9
    first_bug = next((i for i, k in enumerate(kinds) if k == "bug"), None)
    if first_bug is not None:
        assert fn.calls <= first_bug + 1  # a bug is never retried


@settings(max_examples=100, deadline=None)
@given(
    bug=st.sampled_from([TypeError, KeyError, AttributeError, IndexError, NameError, ZeroDivisionError]),
    attempts=st.integers(min_value=1, max_value=20),
)
def test_property_fatal_errors_are_never_retried(bug, attempts):
    calls = []

    def fn():
        calls.append(1)
        raise bug("x")

    with pytest.raises(bug):
        Retry(on=classify, attempts=attempts, clock=VirtualClock()).call(fn)
    assert len(calls) == 1


def test_on_classify_gets_the_policys_limit_and_clock(script, make_status_error):
    clock = VirtualClock()
    fn = script([make_status_error(429, {"Retry-After": "200"}), "ok"])
    assert Retry(on=classify, max_retry_after=300, deadline=600, clock=clock).call(fn) == "ok"
    assert clock.sleeps[0].seconds == 200
    # An HTTP-date 3 minutes after the *virtual* now: above the default 120 s limit.
    when = (clock.wall_time() + timedelta(seconds=180)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    with pytest.raises(Exception) as info:
        Retry(on=classify, clock=clock).call(script([make_status_error(503, {"Retry-After": when})]))
    assert "180 s" in info.value.retry_history.stop_detail


def test_a_failing_hook_is_logged_and_does_not_break_the_call(clock, script, caplog):
    def broken_hook(event):
        raise RuntimeError("metrics backend down")

    policy = Retry(on=TimeoutError, clock=clock, before_sleep=broken_hook, on_giveup=broken_hook)
    assert policy.call(script([TimeoutError(), "ok"])) == "ok"
    with pytest.raises(TimeoutError):
        policy.call(script([TimeoutError()]))
    assert "retry hook" in caplog.text and "metrics backend down" in caplog.text


def test_importing_the_package_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, course_lib.resilience as r; "
        "heavy = [m for m in ('openai', 'langchain_core', 'httpx2', 'httpx', 'tenacity', 'numpy') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
