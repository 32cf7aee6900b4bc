"""The contention simulator reproduces the shape (and roughly the numbers) of AWS's result."""

from __future__ import annotations

import pytest

from course_lib.resilience import FullJitterBackoff, compare_strategies, simulate


@pytest.fixture(scope="module")
def table_100():
    return {row.strategy: row for row in compare_strategies(100, seeds=range(10))}


def test_no_jitter_does_far_more_work_and_takes_far_longer_than_full_jitter(table_100):
    expo, full = table_100["exponential"], table_100["full_jitter"]
    assert expo.mean_calls > 2 * full.mean_calls  # AWS: 1,858 vs 797
    assert expo.mean_time > 8 * full.mean_time  # AWS: 63.5 s vs 5.0 s


def test_equal_and_decorrelated_land_in_between_on_calls(table_100):
    expo, full = table_100["exponential"], table_100["full_jitter"]
    for name in ("equal_jitter", "decorrelated_jitter"):
        assert full.mean_calls <= table_100[name].mean_calls < expo.mean_calls
        assert table_100[name].mean_time < expo.mean_time
    assert table_100["equal_jitter"].mean_time > full.mean_time  # AWS: equal jitter is slower
    assert table_100["decorrelated_jitter"].mean_calls > table_100["equal_jitter"].mean_calls


def test_no_backoff_is_fastest_but_does_the_most_work(table_100):
    none = table_100["none"]
    assert none.mean_calls > max(row.mean_calls for name, row in table_100.items() if name != "none")
    assert none.mean_time < table_100["full_jitter"].mean_time


def test_numbers_are_close_to_aws_published_simulation(table_100):
    """AWS's simulator, 100 clients (30-run means, resilience-facts.md §1.1): ours within 15%."""
    aws = {
        "none": (2424, 2.02),
        "exponential": (1858, 63.5),
        "equal_jitter": (811, 6.59),
        "full_jitter": (797, 4.96),
        "decorrelated_jitter": (1006, 4.81),
    }
    for name, (calls, seconds) in aws.items():
        assert table_100[name].mean_calls == pytest.approx(calls, rel=0.15), name
        assert table_100[name].mean_time == pytest.approx(seconds, rel=0.15), name


def test_work_grows_roughly_quadratically():
    small = simulate("none", 50, seed=1).calls
    large = simulate("none", 100, seed=1).calls
    assert 3.0 < large / small < 4.5


def test_seeded_and_pure():
    a, b = simulate("full_jitter", 200, seed=7), simulate("full_jitter", 200, seed=7)
    assert (a.calls, a.completion_time, a.write_times) == (b.calls, b.completion_time, b.write_times)
    assert simulate("full_jitter", 200, seed=8).calls != a.calls


def test_result_shapes_for_charts():
    result = simulate("full_jitter", 20, seed=3)
    assert result.calls == len(result.write_times) == len(result.write_clients) == len(result.write_ok)
    assert sum(result.write_ok) == 20  # every client writes exactly once
    assert result.failures == result.calls - 20
    timelines = result.timelines()
    assert len(timelines) == 20
    assert all(line[-1][1] and not any(ok for _, ok in line[:-1]) for line in timelines)
    assert result.timeline(0) == timelines[0]
    assert sum(result.calls_per_bucket(0.05)) == result.calls
    assert result.completion_time == max(result.done_times)
    assert result.calls_per_client == result.calls / 20


def test_capacity_and_custom_strategies():
    one = simulate("full_jitter", 100, seed=2)
    four = simulate("full_jitter", 100, seed=2, capacity=4)
    assert four.calls < one.calls
    custom = simulate(FullJitterBackoff(0.005, 2.0), 50, seed=0, name="mine")
    assert custom.strategy == "mine"
    rows = compare_strategies(30, strategies=["full_jitter"], seeds=[0])
    assert [r.strategy for r in rows] == ["full_jitter"] and rows[0].stdev_calls == 0.0
    with pytest.raises(ValueError):
        simulate("fibonacci")
    assert simulate("none", 0).calls == 0


@pytest.mark.parametrize(
    "name", ["none", "exponential", "full_jitter", "equal_jitter", "decorrelated_jitter"]
)
def test_the_inlined_fast_path_matches_backoff_delay(name):
    """The simulator inlines the five known strategies for speed; a subclass takes the generic
    path through .delay(). Both must produce the very same run."""
    from course_lib.resilience.contention import default_strategies

    strategy = default_strategies()[name]
    generic_cls = type(f"Generic{type(strategy).__name__}", (type(strategy),), {"__slots__": ()})
    fields = {field: getattr(strategy, field) for field in strategy.__dataclass_fields__}
    fast, generic = simulate(strategy, 300, seed=5), simulate(generic_cls(**fields), 300, seed=5)
    assert (fast.calls, fast.writes, fast.winners) == (generic.calls, generic.writes, generic.winners)
