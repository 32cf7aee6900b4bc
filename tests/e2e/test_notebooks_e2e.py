"""The course notebooks in a real JupyterLab (headless Chromium): run all, look, move the widgets.

One test per notebook. Each opens a stripped copy, runs all cells, checks what only a fresh run
can show, moves the widgets and checks that the dependent text and chart change, asserts that
the page logged no JavaScript errors, and saves a screenshot of every cell to
``e2e-screenshots/<notebook>/`` for a person to look at.

Run alone: ``.venv/bin/python -m pytest -m e2e tests/e2e``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .lab import (
    WIDGET_IMAGES,
    ChartWatch,
    OpenAndRunAll,
    assert_charts_rendered,
    assert_no_js_errors,
    code_cell,
    expect_slider_value,
    move_slider,
    screenshot_cells,
    screenshot_dir,
    wait_kernel_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_00_start_here(open_and_run_all: OpenAndRunAll) -> None:
    page = open_and_run_all("00_start_here.ipynb")
    shots = screenshot_dir("00_start_here.ipynb")
    screenshot_cells(page, shots)  # what a learner sees right after Run All

    # Outputs that only a fresh run produces (the copy was stripped).
    expect(code_cell(page, "mode = setup()")).to_contain_text("Mode: FAKE")
    expect(code_cell(page, "ex1.check()").locator(".jp-OutputArea-output")).to_contain_text(
        "Not attempted yet"
    )
    expect(code_cell(page, "ex1.check(first_try)").locator(".jp-OutputArea-output")).to_contain_text(
        "Not quite"
    )
    # Two matplotlib charts as PNG outputs, and the explorer's chart inside its Image widget.
    assert_charts_rendered(page, png_outputs=2, widget_images=1)

    explorer_cell = code_cell(page, "DeadlineExplorer(first_try")
    explorer = explorer_cell.locator(".deadline-explorer")
    summary = explorer.locator(".widget-html-content")
    chart = ChartWatch(explorer.locator(WIDGET_IMAGES))
    expect(summary).to_have_text("first_try waited 8 s for a 7 s timeout and raised TimeoutError: 1 s late")

    # timeout 7 -> 8, a multiple of the 2 s interval: exactly on time.
    timeout = move_slider(explorer, "timeout (s)", steps=1)
    expect_slider_value(timeout, 8)
    expect(summary).to_have_text("first_try waited 8 s for a 8 s timeout and raised TimeoutError: on time")
    chart.expect_redrawn(times=1)

    # interval 2 -> 3 in two steps (two redraws): waits at 3, 6, 9 s, one second past 8 s.
    interval = move_slider(explorer, "interval (s)", steps=2)
    expect_slider_value(interval, 3)
    expect(summary).to_have_text("first_try waited 9 s for a 8 s timeout and raised TimeoutError: 1 s late")
    chart.expect_redrawn(times=2)

    wait_kernel_idle(page)
    explorer_cell.screenshot(path=shots / "explorer-after-sliders.png", animations="disabled")
    page.screenshot(path=shots / "window.png", animations="disabled")  # the whole JupyterLab window
    assert_no_js_errors(page)


def test_02_api_errors_and_retries(open_and_run_all: OpenAndRunAll) -> None:
    import html
    import re

    from course_lib.viz.widgets_retry import RetryExplorer

    def summary_text(**settings: float) -> str:
        """The explorer's summary for these settings, as the browser shows it (same seeded code)."""
        return html.unescape(re.sub(r"<[^>]+>", "", RetryExplorer(**settings).summary.value))

    page = open_and_run_all("02_api_errors_and_retries.ipynb")
    shots = screenshot_dir("02_api_errors_and_retries.ipynb")
    screenshot_cells(page, shots)  # what a learner sees right after Run All

    # Outputs that only a fresh run produces: real HTTP against the loopback server, the checkers.
    expect(code_cell(page, "mode = setup()")).to_contain_text("Mode: FAKE")
    expect(code_cell(page, "attempts = server.attempts_by_call()")).to_contain_text(
        "27 HTTP attempts  Retry x3 > agent > middleware x3 > ChatOpenAI()"
    )
    expect(code_cell(page, "every retry waited at least")).to_contain_text("the 40 ms asked for: True")
    expect(code_cell(page, "ex1.check()").locator(".jp-OutputArea-output")).to_contain_text(
        "Not attempted yet"
    )
    expect(code_cell(page, "ex1.check(outline_style)").locator(".jp-OutputArea-output")).to_contain_text(
        "you retried a 401"
    )
    expect(code_cell(page, "bugs = set()").locator(".jp-OutputArea-output")).to_contain_text(
        "Not attempted yet"
    )
    # Six matplotlib charts as PNG outputs, and the explorer's two charts inside Image widgets.
    assert_charts_rendered(page, png_outputs=6, widget_images=2)

    explorer_cell = code_cell(page, "RetryExplorer(strategy=")
    explorer = explorer_cell.locator(".retry-explorer")
    summary = explorer.locator(".retry-explorer-summary .widget-html-content")
    delays = ChartWatch(explorer.locator("img.retry-explorer-delays"))
    contention = ChartWatch(explorer.locator("img.retry-explorer-contention"))
    expect(summary).to_have_text(summary_text())

    # clients 100 -> 110: the contention chart and the summary change; one client's waits do not.
    clients = move_slider(explorer, "clients", steps=1)
    expect_slider_value(clients, 110)
    expect(summary).to_have_text(summary_text(clients=110))
    contention.expect_redrawn(times=1)

    # base 5 -> 7 ms in two steps: both charts redraw twice.
    base = move_slider(explorer, "base (ms)", steps=2)
    expect_slider_value(base, 7)
    expect(summary).to_have_text(summary_text(clients=110, base_ms=7))
    delays.expect_redrawn(times=2)
    contention.expect_redrawn(times=2)

    wait_kernel_idle(page)
    explorer_cell.screenshot(path=shots / "explorer-after-sliders.png", animations="disabled")
    page.screenshot(path=shots / "window.png", animations="disabled")
    assert_no_js_errors(page)


def test_06_circuit_breakers(open_and_run_all: OpenAndRunAll) -> None:
    import html
    import re

    from course_lib.viz.widgets_breaker import BreakerExplorer

    def summary_text(**settings: float) -> str:
        """The explorer's summary for these settings, as the browser shows it (same seeded simulation)."""
        return html.unescape(re.sub(r"<[^>]+>", "", BreakerExplorer(**settings).summary.value))

    page = open_and_run_all("06_circuit_breakers.ipynb")
    shots = screenshot_dir("06_circuit_breakers.ipynb")
    screenshot_cells(page, shots)  # what a learner sees right after Run All

    # Outputs that only a fresh run produces: the outage counts, the thread experiments, the checkers.
    expect(code_cell(page, "mode = setup()")).to_contain_text("Mode: FAKE")
    expect(
        code_cell(page, "answered, failed = on_call_shift(lambda: retry.call(ask_model))")
    ).to_contain_text("model requests: 140, of which 120 failed (503)")
    expect(code_cell(page, 'print("naive:", half_open_stampede(')).to_contain_text(
        "naive: 16 of 16 callers reached the provider, 0 were rejected at once"
    )
    expect(code_cell(page, 'print("ours:", half_open_stampede(')).to_contain_text(
        "ours: 1 of 16 callers reached the provider, 15 were rejected at once"
    )
    expect(code_cell(page, "late_success(naive.call, meanwhile)")).to_contain_text(
        "after the slow call answered: state CLOSED, failures 0"
    )
    expect(code_cell(page, "ex1.check()").locator(".jp-OutputArea-output")).to_contain_text(
        "Not attempted yet"
    )
    expect(code_cell(page, "ex1.check(lambda exc: True)").locator(".jp-OutputArea-output")).to_contain_text(
        "you count the 400 context too long as a failure"
    )
    expect(code_cell(page, "ex2.check()").locator(".jp-OutputArea-output")).to_contain_text(
        "Not attempted yet"
    )
    # One matplotlib chart (the on-call shift) as a PNG output, and the explorer's chart in its Image widget.
    assert_charts_rendered(page, png_outputs=1, widget_images=1)

    explorer_cell = code_cell(page, "BreakerExplorer(failure_threshold=")
    explorer = explorer_cell.locator(".breaker-explorer")
    summary = explorer.locator(".breaker-explorer-summary .widget-html-content")
    chart = ChartWatch(explorer.locator("img.breaker-explorer-chart"))
    expect(summary).to_have_text(summary_text())

    # reset timeout 30 -> 40 s in two steps: two redraws, a new summary (other failed probes, recovery).
    reset_timeout = move_slider(explorer, "reset timeout (s)", steps=2)
    expect_slider_value(reset_timeout, 40)
    expect(summary).to_have_text(summary_text(reset_timeout=40))
    chart.expect_redrawn(times=2)

    # failure threshold 5 -> 3: the breaker opens two requests earlier.
    threshold = move_slider(explorer, "failure threshold", steps=-2)
    expect_slider_value(threshold, 3)
    expect(summary).to_have_text(summary_text(reset_timeout=40, failure_threshold=3))
    chart.expect_redrawn(times=2)

    wait_kernel_idle(page)
    explorer_cell.screenshot(path=shots / "explorer-after-sliders.png", animations="disabled")
    page.screenshot(path=shots / "window.png", animations="disabled")
    assert_no_js_errors(page)


def test_05_context_window(open_and_run_all: OpenAndRunAll) -> None:
    page = open_and_run_all("05_context_window.ipynb")
    shots = screenshot_dir("05_context_window.ipynb")
    screenshot_cells(page, shots)

    # Outputs that only a fresh run produces (the copy was stripped).
    expect(code_cell(page, "naive_tokens, _, outcome = ask_all()")).to_contain_text(
        "question 4: OpenAIContextOverflowError"
    )
    expect(code_cell(page, "ex1.check(first_try)").locator(".jp-OutputArea-output")).to_contain_text("orphan")
    # Two token-growth charts as PNG outputs, and the budget explorer's chart in its Image widget.
    assert_charts_rendered(page, png_outputs=2, widget_images=1)

    explorer_cell = code_cell(page, "TokenBudgetExplorer(")
    explorer = explorer_cell.locator(".token-budget-explorer")
    summary = explorer.locator(".token-budget-explorer-summary")
    chart = ChartWatch(explorer.locator(WIDGET_IMAGES))
    expect(summary).to_contain_text("Budget 8,000 tokens")
    expect(summary).to_contain_text(
        "the last call still sees 3 of 15 tool results, or 6 with tool outputs capped first"
    )

    # 8,000 -> 4,000 one step at a time (each redraw takes a moment): trimming alone keeps nothing.
    for value in (7000, 6000, 5000, 4000):
        budget = move_slider(explorer, "budget (tokens)", steps=-1)
        expect_slider_value(budget, value)
        expect(summary).to_contain_text(f"Budget {value:,} tokens")
        chart.expect_redrawn(times=1)
    expect(summary).to_contain_text("Budget 4,000 tokens")
    expect(summary).to_contain_text(
        "the last call still sees 0 of 15 tool results, or 3 with tool outputs capped first"
    )

    wait_kernel_idle(page)
    explorer_cell.screenshot(path=shots / "explorer-after-slider.png", animations="disabled")
    page.screenshot(path=shots / "window.png", animations="disabled")
    assert_no_js_errors(page)
