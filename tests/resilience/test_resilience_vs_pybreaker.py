"""Map to production: our CircuitBreaker beside pybreaker 1.4.

Same failure sequence, same state transitions. The differences: pybreaker holds its lock for
the whole protected call, so calls run one at a time (CLOSED) and callers queue behind a
HALF_OPEN probe instead of being rejected at once; and it replaces the failure that trips the
breaker with ``CircuitBreakerError``. Serialisation is shown with barriers and events, not timing.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pybreaker
import pytest

from course_lib.clock import VirtualClock
from course_lib.resilience import CircuitBreaker, CircuitOpenError, CircuitState

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def pybreaker_on(clock, monkeypatch):
    """pybreaker reads ``datetime.now(UTC)``; point it at the virtual clock."""

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return EPOCH + timedelta(seconds=clock.now())

    monkeypatch.setattr(pybreaker, "datetime", FakeDatetime)
    return clock


class Recorder(pybreaker.CircuitBreakerListener):
    def __init__(self):
        self.changes = []

    def state_change(self, cb, old_state, new_state):
        self.changes.append((old_state.name if old_state else None, new_state.name))


NAMES = {"closed": "closed", "open": "open", "half-open": "half_open"}

# F = failure, S = success, +N = advance the clock N seconds
SEQUENCE = ["F", "F", "F", "S", "+10", "S", "F", "F", "S", "F", "F", "F", "+10", "F", "+10", "S", "S"]


def play(sequence, call, clock):
    outcomes = []
    for step in sequence:
        if step.startswith("+"):
            clock.advance(float(step[1:]))
            continue
        try:
            call(step)
            outcomes.append("ok")
        except (CircuitOpenError, pybreaker.CircuitBreakerError) as exc:
            # pybreaker raises CircuitBreakerError both for rejections and for the tripping call
            outcomes.append(
                "rejected" if "still open" in str(exc) or isinstance(exc, CircuitOpenError) else "trip"
            )
        except TimeoutError:
            outcomes.append("failed")
    return outcomes


def protected(step):
    if step == "F":
        raise TimeoutError("down")
    return "ok"


def test_same_transitions_for_the_same_failure_sequence(pybreaker_on):
    clock = pybreaker_on
    recorder = Recorder()
    theirs = pybreaker.CircuitBreaker(fail_max=3, reset_timeout=10, listeners=[recorder])
    their_outcomes = play(SEQUENCE, lambda s: theirs.call(protected, s), clock)

    ours = CircuitBreaker(failure_threshold=3, reset_timeout=10, clock=clock)
    our_outcomes = play(SEQUENCE, lambda s: ours.call(protected, s), clock)

    their_transitions = [(NAMES[a], NAMES[b]) for a, b in recorder.changes]
    our_transitions = [(c.from_state.value, c.to_state.value) for c in ours.history[1:]]
    assert our_transitions == their_transitions
    assert their_transitions == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    # The one visible difference: the call that trips the breaker.
    assert their_outcomes[2] == "trip"  # pybreaker: CircuitBreakerError instead of the TimeoutError
    assert our_outcomes[2] == "failed"  # ours: the original TimeoutError
    assert ["failed" if o == "trip" else o for o in their_outcomes] == our_outcomes


def test_excluded_exceptions_behave_alike(pybreaker_on):
    theirs = pybreaker.CircuitBreaker(fail_max=2, exclude=[KeyError])
    ours = CircuitBreaker(failure_threshold=2, excluded=(KeyError,), clock=pybreaker_on)

    def not_found():
        raise KeyError("pod not found")

    for breaker in (theirs, ours):
        for _ in range(5):
            with pytest.raises(KeyError):
                breaker.call(not_found)
    assert theirs.current_state == "closed" and ours.state is CircuitState.CLOSED


def test_pybreaker_serialises_closed_calls_and_ours_does_not():
    """Two calls must be inside the protected function at once to pass a 2-party barrier.
    Under pybreaker the second caller waits on the breaker's lock, so the barrier breaks."""

    def run(call):
        barrier = threading.Barrier(2, timeout=0.5)
        peak = {"now": 0, "max": 0}
        lock = threading.Lock()
        broken = []

        def fn():
            with lock:
                peak["now"] += 1
                peak["max"] = max(peak["max"], peak["now"])
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                broken.append(1)
            finally:
                with lock:
                    peak["now"] -= 1

        threads = [threading.Thread(target=call, args=(fn,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return peak["max"], bool(broken)

    assert run(CircuitBreaker(clock=VirtualClock()).call) == (2, False)
    assert run(pybreaker.CircuitBreaker().call) == (1, True)


def test_half_open_pybreaker_makes_others_wait_for_the_probe_ours_rejects_them_at_once(pybreaker_on):
    clock = pybreaker_on
    theirs = pybreaker.CircuitBreaker(fail_max=1, reset_timeout=1)
    ours = CircuitBreaker(failure_threshold=1, reset_timeout=1, clock=clock)
    for breaker in (theirs, ours):
        with pytest.raises((TimeoutError, pybreaker.CircuitBreakerError)):
            breaker.call(protected, "F")
    clock.advance(1)

    def scenario(breaker, patience):
        inside, release = threading.Event(), threading.Event()
        second_done = threading.Event()
        second_result = []

        def slow_probe():
            inside.set()
            release.wait(10)
            return "recovered"

        def second_caller():
            try:
                second_result.append(breaker.call(protected, "S"))
            except (CircuitOpenError, pybreaker.CircuitBreakerError) as exc:
                second_result.append(type(exc).__name__)
            second_done.set()

        probe = threading.Thread(target=lambda: breaker.call(slow_probe))
        probe.start()
        assert inside.wait(10)  # the probe is running
        other = threading.Thread(target=second_caller)
        other.start()
        answered_while_probe_ran = second_done.wait(patience)
        release.set()
        probe.join()
        other.join()
        return answered_while_probe_ran, second_result[0]

    # Ours: the second caller is answered (rejected) while the probe is still running.
    assert scenario(ours, patience=10) == (True, "CircuitOpenError")
    # pybreaker: the second caller is stuck behind the probe until it finishes, then runs.
    # (Waiting longer would not change this: the probe only finishes after we stop waiting.)
    assert scenario(theirs, patience=0.3) == (False, "ok")
