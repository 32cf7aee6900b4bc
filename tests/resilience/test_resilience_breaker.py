"""Circuit breaker: state machine, sliding window, probes, probe time limit, listeners, async,
and concurrency (exact HALF_OPEN admission under 16 threads, no lost counts, parallel CLOSED)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import threading

import openai
import pytest

from course_lib.clock import VirtualClock
from course_lib.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    is_dependency_failure,
)

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def fail(exc: BaseException):
    def fn():
        raise exc

    return fn


def ok():
    return "ok"


def trip(breaker: CircuitBreaker, n: int, exc: BaseException | None = None) -> None:
    for _ in range(n):
        with pytest.raises(type(exc) if exc else TimeoutError):
            breaker.call(fail(exc or TimeoutError("down")))


def transitions(breaker: CircuitBreaker) -> list[tuple[str, str]]:
    return [(c.from_state.value, c.to_state.value) for c in breaker.history[1:]]


def test_opens_after_consecutive_failures_and_reraises_the_original(clock):
    breaker = CircuitBreaker("llm", failure_threshold=3, reset_timeout=30, clock=clock)
    trip(breaker, 2)
    assert breaker.state is CLOSED
    boom = TimeoutError("third")
    with pytest.raises(TimeoutError) as info:
        breaker.call(fail(boom))
    assert info.value is boom  # the tripping failure is not replaced (pybreaker replaces it)
    assert breaker.state is OPEN
    calls = []
    with pytest.raises(CircuitOpenError) as rejected:
        breaker.call(lambda: calls.append(1))
    assert calls == []  # rejected without running
    assert rejected.value.retry_after == 30 and rejected.value.state is OPEN
    assert "3 consecutive failures" in str(rejected.value)


def test_success_resets_the_consecutive_count(clock):
    breaker = CircuitBreaker(failure_threshold=3, clock=clock)
    for _ in range(10):
        trip(breaker, 2)
        breaker.call(ok)
    assert breaker.state is CLOSED


def test_half_open_probe_success_closes(clock):
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=clock)
    trip(breaker, 2)
    clock.advance(9.5)
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(ok)
    assert info.value.retry_after == pytest.approx(0.5)
    clock.advance(0.5)
    assert breaker.call(ok) == "ok"
    assert breaker.state is CLOSED
    assert transitions(breaker) == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_half_open_probe_failure_reopens_for_another_timeout(clock):
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10, clock=clock)
    trip(breaker, 1)
    clock.advance(10)
    trip(breaker, 1)
    assert breaker.state is OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(ok)
    assert info.value.retry_after == 10
    assert breaker.history[-1].reason == "probe failed with TimeoutError"


def test_half_open_admits_exactly_max_calls_and_rejects_the_rest_immediately(clock):
    breaker = CircuitBreaker(
        failure_threshold=1, reset_timeout=5, half_open_max_calls=2, success_threshold=2, clock=clock
    )
    trip(breaker, 1)
    clock.advance(5)
    tickets = [breaker._admit(), breaker._admit()]
    assert all(t < 0 for t in tickets)
    with pytest.raises(CircuitOpenError) as info:
        breaker._admit()
    assert info.value.state is HALF_OPEN
    breaker._on_success(tickets[0])
    assert breaker.state is HALF_OPEN  # needs 2 successes
    breaker._on_success(tickets[1])
    assert breaker.state is CLOSED


def test_a_hung_probe_frees_its_slot_after_probe_timeout(clock):
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=5, probe_timeout=20, clock=clock)
    trip(breaker, 1)
    clock.advance(5)
    hung = breaker._admit()  # this probe never reports back
    clock.advance(19)
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(ok)
    assert info.value.retry_after == pytest.approx(1.0)
    clock.advance(1)
    assert breaker.call(ok) == "ok"  # a new probe was admitted and closed the circuit
    assert breaker.state is CLOSED
    breaker._on_error(hung, TimeoutError("late"))  # the late report is ignored
    assert breaker.state is CLOSED
    assert breaker.stats().probes_timed_out == 1


def test_excluded_errors_do_not_count(clock, make_status_error):
    breaker = CircuitBreaker(failure_threshold=2, clock=clock, excluded=(KeyError,))
    for _ in range(5):
        with pytest.raises(KeyError):
            breaker.call(fail(KeyError("missing")))
    assert breaker.state is CLOSED
    smart = CircuitBreaker(failure_threshold=2, clock=clock, is_failure=is_dependency_failure)
    for _ in range(5):
        with pytest.raises(openai.NotFoundError):
            smart.call(fail(make_status_error(404)))
    assert smart.state is CLOSED  # a 404 says nothing about the dependency's health
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            smart.call(fail(make_status_error(503)))
    assert smart.state is OPEN
    assert smart.stats().ignored == 5


def test_a_probe_that_gets_an_excluded_error_counts_as_an_answer(clock):
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=1, clock=clock, excluded=(KeyError,))
    trip(breaker, 1)
    clock.advance(1)
    with pytest.raises(KeyError):
        breaker.call(fail(KeyError("404")))
    assert breaker.state is CLOSED


def test_failure_rate_over_a_sliding_window(clock):
    breaker = CircuitBreaker(failure_threshold=None, window_size=10, failure_rate_threshold=0.5, clock=clock)
    pattern = [True, False] * 4  # alternate: never 2 in a row, but 50% failures
    for failed in pattern:
        if failed:
            trip(breaker, 1)
        else:
            breaker.call(ok)
    assert breaker.state is CLOSED  # only 8 calls, minimum_calls defaults to the window size
    trip(breaker, 1)
    assert breaker.state is CLOSED  # 9 calls
    breaker.call(ok)
    trip(breaker, 1)  # 10 calls in the window, 5 failures... oldest evicted: still 50%
    assert breaker.state is OPEN
    assert "failure rate 50%" in breaker.history[-1].reason


def test_window_evicts_old_outcomes(clock):
    breaker = CircuitBreaker(
        failure_threshold=None, window_size=4, minimum_calls=4, failure_rate_threshold=0.75, clock=clock
    )
    trip(breaker, 2)
    for _ in range(4):
        breaker.call(ok)
    stats = breaker.stats()
    assert (stats.window_calls, stats.window_failures, stats.failure_rate) == (4, 0, 0.0)
    trip(breaker, 2)
    assert breaker.state is CLOSED  # 2 of 4
    trip(breaker, 1)
    assert breaker.state is OPEN  # 3 of 4


def test_listeners_and_history(clock):
    seen = []
    breaker = CircuitBreaker(
        "kubectl", failure_threshold=1, reset_timeout=2, clock=clock, listeners=[seen.append]
    )
    trip(breaker, 1)
    clock.advance(2)
    breaker.call(ok)
    assert [(c.to_state.value, c.at) for c in seen] == [("open", 0.0), ("half_open", 2.0), ("closed", 2.0)]
    assert seen[0].breaker == "kubectl"
    breaker.remove_listener(seen.append)
    breaker.trip("operator says so")
    breaker.reset()
    assert len(seen) == 3
    assert [c.reason for c in breaker.history[-2:]] == ["operator says so", "reset manually"]


def test_cancellation_frees_a_probe_without_counting(clock):
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=1, clock=clock)
    trip(breaker, 1)
    clock.advance(1)
    with pytest.raises(KeyboardInterrupt):
        breaker.call(fail(KeyboardInterrupt()))
    assert breaker.state is HALF_OPEN
    assert breaker.call(ok) == "ok"  # the slot was freed at once, not after probe_timeout
    assert breaker.state is CLOSED


def test_decorator_sync_and_async(clock):
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=1, clock=clock)

    @breaker
    def get_pods():
        """Docstring kept."""
        return "pods"

    @breaker
    async def ask_model():
        return "answer"

    @breaker
    async def broken():
        raise ConnectionError("down")

    assert get_pods() == "pods" and get_pods.__doc__ == "Docstring kept." and get_pods.breaker is breaker

    async def main():
        assert await ask_model() == "answer"
        with pytest.raises(ConnectionError):
            await broken()
        with pytest.raises(CircuitOpenError):
            await ask_model()
        clock.advance(1)
        assert await breaker.acall(ask_model.__wrapped__) == "answer"

    asyncio.run(main())
    assert breaker.state is CLOSED


def test_async_cancellation_of_a_probe_frees_the_slot(clock):
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=1, clock=clock)
    trip(breaker, 1)
    clock.advance(1)

    async def main():
        started = asyncio.Event()

        async def slow():
            started.set()
            await asyncio.sleep(3600)

        task = asyncio.create_task(breaker.acall(slow))
        await started.wait()
        with pytest.raises(CircuitOpenError):
            await breaker.acall(slow)  # the slot is taken by the running probe
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        async def fine():
            return "ok"

        return await breaker.acall(fine)

    assert asyncio.run(main()) == "ok"


def test_validation():
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=None, window_size=None)
    with pytest.raises(ValueError):
        CircuitBreaker(half_open_max_calls=0)
    with pytest.raises(ValueError):
        CircuitBreaker(half_open_max_calls=1, success_threshold=2)
    with pytest.raises(ValueError):
        CircuitBreaker(reset_timeout=0)
    with pytest.raises(ValueError):
        CircuitBreaker(window_size=5, minimum_calls=6)
    assert "closed" in repr(CircuitBreaker("x"))


# ---------------------------------------------------------------------------- concurrency


@pytest.fixture
def fast_switching():
    """Make the interpreter switch threads every microsecond, so races actually happen."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def half_open_trials(make_breaker, max_probes: int, trials: int, threads_n: int = 16) -> list:
    """Release `threads_n` threads at a HALF_OPEN breaker, `trials` times; return the bad trials.

    A trial is good when exactly `max_probes` callers run the protected function and every other
    caller is rejected *while the probes are still running* (nobody queues behind a probe).
    """
    clock = VirtualClock()
    start = threading.Barrier(threads_n + 1)
    finish = threading.Barrier(threads_n + 1)
    release = threading.Event()
    all_decided = threading.Event()
    lock = threading.Lock()
    outcome = {"admitted": 0, "rejected": 0}
    state = {"breaker": None, "stop": False}

    def note(key):
        with lock:
            outcome[key] += 1
            if outcome["admitted"] + outcome["rejected"] == threads_n:
                all_decided.set()

    def probe():
        note("admitted")
        release.wait()  # hold the slot until every thread has been admitted or rejected
        return "ok"

    def worker():
        while True:
            start.wait()
            if state["stop"]:
                return
            try:
                state["breaker"].call(probe)
            except CircuitOpenError:
                note("rejected")
            finish.wait()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads_n)]
    for w in workers:
        w.start()
    bad = []
    try:
        for trial in range(trials):
            breaker = make_breaker(clock)
            breaker.trip()
            clock.advance(breaker.reset_timeout)
            state["breaker"] = breaker
            outcome.update(admitted=0, rejected=0)
            release.clear()
            all_decided.clear()
            start.wait()
            decided_in_time = all_decided.wait(5)
            release.set()
            finish.wait()
            if not decided_in_time or (outcome["admitted"], outcome["rejected"]) != (
                max_probes,
                threads_n - max_probes,
            ):
                bad.append((trial, dict(outcome), decided_in_time))
    finally:
        state["stop"] = True
        start.wait()
        for w in workers:
            w.join()
    return bad


@pytest.mark.parametrize("max_probes", [1, 3])
def test_half_open_admits_exactly_the_configured_probes_in_1000_trials(fast_switching, max_probes):
    def make(clock):
        return CircuitBreaker(
            failure_threshold=1,
            reset_timeout=1,
            half_open_max_calls=max_probes,
            success_threshold=max_probes,
            clock=clock,
        )

    assert half_open_trials(make, max_probes, trials=1000) == []


class OutlineBreaker(CircuitBreaker):
    """The seed outline's bug: HALF_OPEN lets every caller through."""

    def _admit(self):
        if self._state is HALF_OPEN or (self._state is OPEN and self.clock.now() >= self._retry_at):
            self._state = HALF_OPEN
            return -1
        return super()._admit()


def test_the_trial_harness_catches_a_breaker_that_admits_everyone(fast_switching):
    bad = half_open_trials(
        lambda clock: OutlineBreaker(failure_threshold=1, reset_timeout=1, clock=clock), 1, 20
    )
    assert len(bad) == 20
    assert bad[0][1] == {"admitted": 16, "rejected": 0}


def test_no_lost_counts_under_16_threads(fast_switching):
    breaker = CircuitBreaker(
        failure_threshold=10**9, window_size=50, failure_rate_threshold=1.0, clock=VirtualClock()
    )
    per_thread = 2000
    expected = {"ok": 0, "fail": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def worker(seed):
        rnd = random.Random(seed)
        mine = {"ok": 0, "fail": 0}
        barrier.wait()
        for _ in range(per_thread):
            if rnd.random() < 0.3:
                mine["fail"] += 1
                with contextlib.suppress(ConnectionError):
                    breaker.call(fail(ConnectionError()))
            else:
                mine["ok"] += 1
                breaker.call(ok)
        with lock:
            for key in mine:
                expected[key] += mine[key]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = breaker.stats()
    assert stats.calls == 16 * per_thread
    assert (stats.successes, stats.failures) == (expected["ok"], expected["fail"])
    assert stats.window_calls == 50
    assert breaker.state is CLOSED


def test_calls_in_closed_state_run_in_parallel():
    """8 calls must all be inside the protected function at the same time to pass the barrier.
    If the breaker serialised calls (as pybreaker does), the barrier would break."""
    breaker = CircuitBreaker(clock=VirtualClock())
    inside = threading.Barrier(8, timeout=10)
    peak = {"now": 0, "max": 0}
    lock = threading.Lock()

    def protected():
        with lock:
            peak["now"] += 1
            peak["max"] = max(peak["max"], peak["now"])
        inside.wait()
        with lock:
            peak["now"] -= 1
        return "ok"

    results = []
    threads = [threading.Thread(target=lambda: results.append(breaker.call(protected))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ok"] * 8
    assert peak["max"] == 8
    assert not inside.broken


def test_a_failing_listener_is_logged_and_does_not_break_the_call(clock, caplog):
    def broken(change):
        raise RuntimeError("dashboard down")

    breaker = CircuitBreaker(failure_threshold=1, clock=clock, listeners=[broken])
    boom = TimeoutError("the real error")
    with pytest.raises(TimeoutError) as info:
        breaker.call(fail(boom))
    assert info.value is boom and breaker.state is OPEN
    assert "dashboard down" in caplog.text
