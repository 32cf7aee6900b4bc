"""FallbackChain (why each step was taken) and RateLimiter (pacing on the injected clock)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from course_lib.clock import VirtualClock
from course_lib.resilience import (
    CircuitBreaker,
    DeadlineExceeded,
    FallbackChain,
    RateLimiter,
    RateLimiterTimeout,
)

# ---------------------------------------------------------------------------- fallback


def test_primary_answers(clock, script):
    chain = FallbackChain(("primary", script(["p"])), ("secondary", script(["s"])), clock=clock)
    result = chain.run("why is api down?")
    assert (result.value, result.source, result.degraded) == ("p", "primary", False)
    assert [s.outcome for s in result.steps] == ["ok"]
    assert chain("q") == "p"


def test_falls_back_and_records_why(clock, script, make_status_error):
    primary = script([make_status_error(429)])
    secondary = script([make_status_error(400, code="context_length_exceeded")])
    chain = FallbackChain(
        ("gpt-primary", primary),
        ("gpt-small", secondary),
        degraded=lambda steps: f"degraded after {len(steps)} steps",
        clock=clock,
    )
    result = chain.run("prompt")
    assert result.degraded and result.source == "degraded"
    assert result.value == "degraded after 2 steps"
    first, second, last = result.steps
    assert first.outcome == "failed" and first.kind == "rate_limited" and "RateLimitError" in first.reason
    assert second.kind == "context_length" and "shrink" in second.reason
    assert last.outcome == "degraded"
    assert "gpt-primary" in result.describe()


def test_an_open_circuit_is_recorded_as_such(clock, script):
    breaker = CircuitBreaker("primary", failure_threshold=1, clock=clock)
    breaker.trip("5 consecutive failures")
    chain = FallbackChain(
        ("primary", lambda q: breaker.call(script(["never"]), q)),
        ("secondary", script(["from secondary"])),
        clock=clock,
    )
    result = chain.run("q")
    assert result.source == "secondary"
    assert result.steps[0].kind == "circuit_open"
    assert result.steps[0].reason.startswith("circuit open:")


def test_bugs_are_not_hidden_by_a_fallback(clock, script):
    secondary = script(["unused"])
    chain = FallbackChain(("primary", script([KeyError("choices")])), ("secondary", secondary), clock=clock)
    with pytest.raises(KeyError) as info:
        chain.run("q")
    assert secondary.calls == 0
    assert "not a fallback trigger" in info.value.fallback_steps[0].reason


def test_fall_back_on_types(clock, script):
    chain = FallbackChain(script([ValueError("x")]), script(["b"]), fall_back_on=ValueError, clock=clock)
    assert chain("q") == "b"
    narrow = FallbackChain(script([TimeoutError()]), script(["b"]), fall_back_on=(ValueError,), clock=clock)
    with pytest.raises(TimeoutError):
        narrow("q")


def test_everything_failing_without_degraded_reraises_the_last_error(clock, script):
    last = ConnectionError("secondary down")
    chain = FallbackChain(("a", script([TimeoutError("a down")])), ("b", script([last])), clock=clock)
    with pytest.raises(ConnectionError) as info:
        chain.run()
    assert info.value is last
    assert [s.name for s in info.value.fallback_steps] == ["a", "b"]
    assert "every step failed" in info.value.__notes__[0]


def test_chain_deadline_skips_remaining_steps(clock, script):
    slow = script([TimeoutError()], clock=clock, cost=5.0)
    never = script(["x"])
    chain = FallbackChain(
        ("slow", slow), ("next", never), degraded=lambda steps: "canned", deadline=5, clock=clock
    )
    result = chain.run()
    assert result.value == "canned" and never.calls == 0
    assert result.steps[1].outcome == "skipped"
    no_degraded = FallbackChain(
        ("slow", script([TimeoutError()], clock=clock, cost=5.0)), deadline=1, clock=clock
    )
    with pytest.raises(TimeoutError):
        no_degraded.run()
    instant = FallbackChain(("a", script(["x"])), deadline=0.0, clock=clock)
    with pytest.raises(DeadlineExceeded):
        instant.run()


def test_async_chain(clock, script, async_script):
    chain = FallbackChain(
        ("a", async_script([TimeoutError()])), ("b", async_script(["async b"])), clock=clock
    )
    result = asyncio.run(chain.arun("q"))
    assert result.source == "b" and result.value == "async b"
    mixed = FallbackChain(("sync", script([TimeoutError()])), ("async", async_script(["ok"])), clock=clock)
    assert asyncio.run(mixed.acall()) == "ok"
    assert "sync -> async" in repr(mixed)


def test_validation(script):
    with pytest.raises(ValueError):
        FallbackChain()
    with pytest.raises(TypeError):
        FallbackChain(("x", 42))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- rate limiter


def test_paces_requests_to_the_rpm():
    clock = VirtualClock()
    limiter = RateLimiter(rpm=60, clock=clock)  # 1 request per second, burst 1
    waits = [limiter.acquire() for _ in range(5)]
    assert waits == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert clock.now() == 4.0


def test_burst_then_steady_rate():
    clock = VirtualClock()
    limiter = RateLimiter(rpm=600, clock=clock)  # 10/s, burst of one second's worth
    waits = [limiter.acquire() for _ in range(12)]
    assert waits[:10] == [0.0] * 10
    assert waits[10] == pytest.approx(0.1) and waits[11] == pytest.approx(0.1)


def test_tokens_per_minute_limit():
    clock = VirtualClock()
    limiter = RateLimiter(rpm=10_000, tpm=6_000, clock=clock)  # 100 tokens/s, burst 100
    assert limiter.acquire(100) == 0.0
    assert limiter.acquire(50) == pytest.approx(0.5)
    big = limiter.reserve(1_000)  # larger than the bucket: allowed, paid off over time
    assert big == pytest.approx(10.0)
    limiter.report_usage(estimated=1_000, actual=200)  # give back what was not used
    assert limiter.reserve(100) == pytest.approx(3.0)  # instead of 11 s
    assert limiter.stats().tokens == pytest.approx(450)


def test_timeout_and_try_acquire_reserve_nothing():
    clock = VirtualClock()
    limiter = RateLimiter(rpm=60, clock=clock)
    assert limiter.try_acquire()
    assert not limiter.try_acquire()
    with pytest.raises(RateLimiterTimeout) as info:
        limiter.acquire(timeout=0.5)
    assert info.value.wait == pytest.approx(1.0)
    clock.advance(1)
    assert limiter.try_acquire()  # the refused attempts did not eat capacity
    stats = limiter.stats()
    assert (stats.granted, stats.refused) == (2, 2)


def test_validation_of_limiter():
    with pytest.raises(ValueError):
        RateLimiter(rpm=0)
    with pytest.raises(ValueError, match="no tpm"):
        RateLimiter(rpm=10).acquire(5)
    assert "rpm=10" in repr(RateLimiter(rpm=10))


def test_async_acquire():
    clock = VirtualClock()
    limiter = RateLimiter(rpm=120, clock=clock)

    async def main():
        return [await limiter.acquire_async() for _ in range(3)]

    assert asyncio.run(main()) == [0.0, 0.0, 0.5]


def test_limiter_is_thread_safe_and_fair():
    """16 threads x 50 requests at 6,000 RPM: every reservation is exactly 10 ms after the last."""
    clock = VirtualClock()
    limiter = RateLimiter(rpm=6_000, request_burst=1, clock=clock)
    waits = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def worker():
        barrier.wait()
        for _ in range(50):
            wait = limiter.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w, 6) for w in waits) == [round(i * 0.01, 6) for i in range(800)]
