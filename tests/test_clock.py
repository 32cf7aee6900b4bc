"""The clock is the one place real time enters; the virtual clock must be exact and thread-safe."""

import asyncio
import math
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.clock import Clock, RealClock, SleepRecord, VirtualClock, check_delay


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(RealClock(), Clock)
    assert isinstance(VirtualClock(), Clock)


def test_virtual_sleep_advances_time_at_once_and_is_recorded():
    clock = VirtualClock()
    started = time.perf_counter()
    clock.sleep(60)
    clock.sleep(0.25, label="backoff")
    assert time.perf_counter() - started < 0.5  # a minute of virtual time costs nothing
    assert clock.now() == pytest.approx(60.25)
    assert clock.sleeps == [SleepRecord(0.0, 60.0), SleepRecord(60.0, 0.25, "backoff")]
    assert clock.sleeps[1].until == pytest.approx(60.25)
    assert clock.total_slept == pytest.approx(60.25)


def test_advance_moves_time_without_recording_a_sleep():
    clock = VirtualClock(start=10)
    clock.advance(5)
    assert clock.now() == 15
    assert clock.sleeps == []


def test_reset_sleeps_keeps_the_time():
    clock = VirtualClock()
    clock.sleep(3)
    clock.reset_sleeps()
    assert clock.sleeps == [] and clock.now() == 3


def test_wall_time_follows_virtual_time_from_the_epoch():
    epoch = datetime(2030, 5, 1, tzinfo=UTC)
    clock = VirtualClock(epoch=epoch)
    clock.sleep(90)
    assert clock.wall_time() == epoch + timedelta(seconds=90)


def test_naive_epoch_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(epoch=datetime(2030, 1, 1))


@pytest.mark.parametrize("bad", [-0.001, -5, math.nan, math.inf, -math.inf])
def test_bad_delays_are_refused_with_a_clear_message(bad):
    clock = VirtualClock()
    with pytest.raises(ValueError, match="sleep duration"):
        clock.sleep(bad)
    with pytest.raises(ValueError, match="sleep duration"):
        clock.advance(bad)
    with pytest.raises(ValueError, match="sleep duration"):
        RealClock().sleep(bad)
    assert clock.now() == 0 and clock.sleeps == []


def test_non_numbers_are_refused():
    with pytest.raises((TypeError, ValueError)):
        check_delay("soon")  # type: ignore[arg-type]


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=50))
def test_virtual_time_is_the_sum_of_its_sleeps(delays):
    clock = VirtualClock()
    previous = clock.now()
    for d in delays:
        clock.sleep(d)
        assert clock.now() >= previous  # monotonic
        previous = clock.now()
    assert clock.now() == pytest.approx(math.fsum(delays))
    assert [r.seconds for r in clock.sleeps] == delays


def test_concurrent_sleeps_lose_nothing():
    clock = VirtualClock()
    barrier = threading.Barrier(16)

    def worker():
        barrier.wait()
        for _ in range(500):
            clock.sleep(0.5)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == pytest.approx(16 * 500 * 0.5)
    assert len(clock.sleeps) == 16 * 500
    starts = sorted(r.at for r in clock.sleeps)
    assert starts == [i * 0.5 for i in range(16 * 500)]  # no two sleeps overlap


def test_async_sleep_is_virtual_too():
    clock = VirtualClock()

    async def main():
        await asyncio.gather(clock.sleep_async(2), clock.sleep_async(3, label="b"))

    asyncio.run(main())
    assert clock.now() == 5
    assert sorted(r.seconds for r in clock.sleeps) == [2, 3]


def test_real_clock_is_monotonic_and_really_sleeps():
    clock = RealClock()
    a = clock.now()
    clock.sleep(0.01)
    assert clock.now() - a >= 0.009
    assert clock.wall_time().tzinfo is UTC
    asyncio.run(clock.sleep_async(0))
