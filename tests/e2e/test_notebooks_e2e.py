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
