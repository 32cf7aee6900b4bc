"""Notebook 06's teaching pieces: the outline's breaker has exactly the bugs the notebook shows, the
thread experiments count deterministically, and the simulation is pure and seeded."""

from __future__ import annotations

import pytest

from course_lib.clock import VirtualClock
from course_lib.resilience import CircuitBreaker, CircuitOpenError, CircuitState
from course_lib.teaching.breaker_sim import CallLog, Outcome, ProviderUnavailable, simulate_breaker
from course_lib.teaching.naive_breaker import NaiveBreaker, SteppedWallClock
from course_lib.teaching.threads import half_open_stampede, late_success


def fail(error=None):
    def call():
        raise error or ConnectionError("down")

    return call


def trip(breaker, n=3):
    for _ in range(n):
        with pytest.raises(ConnectionError):
            breaker.call(fail())


# --------------------------------------------------------------------------- the outline's breaker


def test_naive_breaker_opens_rejects_with_a_bare_exception_and_probes_after_the_timeout():
    clock = VirtualClock()
    naive = NaiveBreaker(failure_threshold=3, timeout=30, clock=clock)
    trip(naive)
    assert naive.state == "OPEN"
    with pytest.raises(Exception, match=r"^Circuit breaker is OPEN\. Service unavailable\.$") as info:
        naive.call(lambda: "ok")
    assert type(info.value) is Exception
    clock.advance(31)
    assert naive.call(lambda: "ok") == "ok" and naive.state == "CLOSED"


def test_naive_breaker_counts_every_exception():
    naive = NaiveBreaker(failure_threshold=2, clock=VirtualClock())
    for _ in range(2):
        with pytest.raises(KeyError):
            naive.call(fail(KeyError("choices")))
    assert naive.state == "OPEN"


def test_naive_breaker_is_fooled_by_a_wall_clock_step_ours_is_not():
    clock = SteppedWallClock()
    naive = NaiveBreaker(failure_threshold=3, timeout=30, clock=clock)
    ours = CircuitBreaker(failure_threshold=3, reset_timeout=30, clock=clock)
    trip(naive)
    trip(ours)
    clock.step_wall(-3600)
    clock.advance(31)
    assert clock.now() == 31 and repr(clock) == "SteppedWallClock(now=31.000, wall_offset=-3600)"
    with pytest.raises(Exception, match="OPEN"):
        naive.call(lambda: "ok")
    assert ours.call(lambda: "ok") == "ok"


def test_verbose_prints_like_the_outline(capsys):
    naive = NaiveBreaker(failure_threshold=1, clock=VirtualClock(), verbose=True)
    naive.call(lambda: "ok")
    with pytest.raises(ConnectionError):
        naive.call(fail())
    assert capsys.readouterr().out == "Circuit breaker CLOSED\nCircuit breaker OPEN after 1 failures\n"


# --------------------------------------------------------------------------- threads


def ready_to_probe(breaker, clock, advance):
    trip(breaker)
    clock.advance(advance)
    return breaker


@pytest.mark.parametrize("recovered", [False, True])
def test_stampede_counts_are_exact_for_both_breakers(recovered):
    for _ in range(20):  # the counts never depend on scheduling
        clock = VirtualClock()
        naive = ready_to_probe(NaiveBreaker(failure_threshold=3, timeout=30, clock=clock), clock, 31)
        assert (half_open_stampede(naive.call, recovered=recovered).admitted, naive.state) == (
            16,
            "CLOSED" if recovered else "OPEN",
        )
        ours = ready_to_probe(CircuitBreaker(failure_threshold=3, reset_timeout=30, clock=clock), clock, 30)
        result = half_open_stampede(ours.call, recovered=recovered)
        assert (result.admitted, result.rejected) == (1, 15)
        assert ours.state is (CircuitState.CLOSED if recovered else CircuitState.OPEN)
    three = ready_to_probe(
        CircuitBreaker(failure_threshold=3, reset_timeout=30, half_open_max_calls=3, clock=clock), clock, 30
    )
    assert (
        str(half_open_stampede(three.call))
        == "3 of 16 callers reached the provider, 13 were rejected at once"
    )


def test_a_late_success_closes_the_naive_breaker_but_not_ours():
    clock = VirtualClock()
    naive = NaiveBreaker(failure_threshold=3, timeout=30, clock=clock)
    assert late_success(naive.call, lambda: trip(naive)) == "ok"
    assert naive.state == "CLOSED" and naive.failures == 0
    ours = CircuitBreaker(failure_threshold=3, reset_timeout=30, clock=clock)
    assert late_success(ours.call, lambda: trip(ours)) == "ok"
    assert ours.state is CircuitState.OPEN


def test_late_success_reports_a_call_that_could_not_start():
    clock = VirtualClock()
    ours = CircuitBreaker(failure_threshold=1, reset_timeout=30, clock=clock)
    trip(ours, 1)
    with pytest.raises(RuntimeError, match="did not stay in flight: CircuitOpenError"):
        late_success(ours.call, lambda: None)


def test_stampede_rejects_a_bad_thread_count():
    with pytest.raises(ValueError, match="threads must be >= 1"):
        half_open_stampede(lambda fn: fn(), threads=0)


# --------------------------------------------------------------------------- simulation


def test_simulation_is_pure_and_seeded():
    a = simulate_breaker(error_rate=0.2, seed=3)
    assert a == simulate_breaker(error_rate=0.2, seed=3)
    assert a != simulate_breaker(error_rate=0.2, seed=4)


def test_simulation_numbers_for_the_default_outage():
    trace = simulate_breaker(outage=(60.0, 180.0), duration=420.0, failure_threshold=5, reset_timeout=30.0)
    assert len(trace.calls) == 210
    assert (trace.made, trace.failed, trace.rejected) == (150, 8, 60)  # 5 to open + 3 failed probes
    assert trace.recovery_time == 16.0  # the probe at 196 s, 16 s after the outage ended
    assert [c.at for c in trace.calls if c.probe] == [100.0, 132.0, 164.0, 196.0]
    baseline = simulate_breaker(outage=(60.0, 180.0), duration=420.0, breaker=False)
    assert (baseline.made, baseline.failed, baseline.rejected, baseline.recovery_time) == (210, 60, 0, 0.0)
    assert baseline.history == () and baseline.wasted_seconds == 60.0
    assert trace.summary() == (
        "210 requests: 150 reached the provider (8 failed), 60 rejected fast; first answer 16 s after the outage"
    )


def test_background_noise_does_not_depend_on_the_breaker_settings():
    """The same requests meet noise whatever the threshold: comparisons between settings are fair."""
    a = simulate_breaker(outage=None, error_rate=0.3, failure_threshold=10)
    b = simulate_breaker(outage=None, error_rate=0.3, breaker=False)
    assert [c.outcome for c in a.calls] == [c.outcome for c in b.calls]
    assert a.recovery_time is None and "no outage" in a.summary()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": 0}, "duration must be a finite number of seconds > 0"),
        ({"every": -1}, "every must be a finite number of seconds > 0"),
        ({"call_seconds": -1}, "call_seconds must be >= 0"),
        ({"error_rate": 1.5}, r"error_rate must be in \[0, 1\]"),
    ],
)
def test_simulation_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_breaker(**kwargs)


def test_call_log_records_what_the_breaker_decided():
    clock = VirtualClock()
    breaker = CircuitBreaker(
        "model", failure_threshold=1, reset_timeout=10, excluded=(KeyError,), clock=clock
    )
    log = CallLog(breaker)
    assert log.call(lambda: "ok") == "ok"
    with pytest.raises(KeyError):
        log.call(fail(KeyError("x")))
    with pytest.raises(ProviderUnavailable):
        log.call(fail(ProviderUnavailable("503")))
    with pytest.raises(CircuitOpenError):
        log.call(lambda: "ok")
    clock.advance(10)
    log.call(lambda: "ok")
    assert [(r.outcome, r.probe) for r in log.records] == [
        (Outcome.OK, False),
        (Outcome.IGNORED, False),
        (Outcome.FAILED, False),
        (Outcome.REJECTED, False),
        (Outcome.OK, True),
    ]
    assert repr(log) == "CallLog('model', calls=5)"
