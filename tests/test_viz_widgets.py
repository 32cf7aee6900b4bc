"""The deadline explorer redraws when a slider moves, and reports lateness correctly."""

from course_lib.viz.widgets import DeadlineExplorer


def checks_then_sleeps(is_ready, clock, interval=2.0, timeout=30.0):
    start = clock.now()
    while not is_ready():
        if clock.now() - start >= timeout:
            raise TimeoutError("late")
        clock.sleep(interval)
    return clock.now() - start


def test_initial_state_shows_the_overshoot():
    explorer = DeadlineExplorer(checks_then_sleeps, interval=2, timeout=7)
    assert "waited 8 s for a 7 s timeout" in explorer.summary.value
    assert "1 s late" in explorer.summary.value
    assert bytes(explorer.chart.value).startswith(b"\x89PNG")
    assert repr(explorer) == "DeadlineExplorer(checks_then_sleeps, interval=2, timeout=7)"


def test_moving_a_slider_redraws_chart_and_summary():
    explorer = DeadlineExplorer(checks_then_sleeps, interval=2, timeout=7)
    before_png, before_text = explorer.chart.value, explorer.summary.value
    explorer.timeout.value = 8  # a multiple of the interval: exactly on time
    assert "on time" in explorer.summary.value
    assert bytes(explorer.chart.value) != bytes(before_png) and explorer.summary.value != before_text
    explorer.interval.value = 5  # 0, 5, 10: two sleeps of 5 s for an 8 s timeout
    assert "waited 10 s" in explorer.summary.value and "2 s late" in explorer.summary.value


def test_a_function_that_never_raises_is_reported():
    def gives_up_quietly(is_ready, clock, interval=2.0, timeout=30.0):
        clock.sleep(1)
        return None

    explorer = DeadlineExplorer(gives_up_quietly, timeout=5)
    assert "returned without raising" in explorer.summary.value
