"""The waits chart draws one bar per sleep at the right place, and says so when there are none."""

from course_lib.clock import VirtualClock
from course_lib.viz import plot_waits


def test_one_bar_per_sleep_at_its_start():
    clock = VirtualClock()
    for d in (1, 2, 4):
        clock.sleep(d, label="backoff")
    fig = plot_waits(clock.sleeps, deadline=10)
    ax = fig.axes[0]
    bars = ax.patches
    assert [(b.get_x(), b.get_width()) for b in bars] == [(0, 1), (1, 2), (3, 4)]
    assert any("deadline 10 s" in t.get_text() for t in ax.get_legend().get_texts())
    assert "4 s (backoff)" in [t.get_text().strip() for t in ax.texts]
    assert bars[0].get_facecolor() == bars[2].get_facecolor()  # all within the deadline


def test_waits_past_the_deadline_are_red():
    clock = VirtualClock()
    for _ in range(4):
        clock.sleep(2)
    bars = plot_waits(clock.sleeps, deadline=7).axes[0].patches
    colours = [b.get_facecolor() for b in bars]
    assert colours[0] == colours[2] != colours[3]


def test_empty_timeline_says_no_waits():
    fig = plot_waits([])
    assert "no waits recorded" in fig.axes[0].get_title()
    assert len(fig.axes[0].patches) == 0
