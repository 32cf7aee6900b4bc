"""Helpers that drive a course notebook in JupyterLab 4 with Playwright (sync API).

Every wait here is Playwright's auto-retrying ``expect`` or ``wait_for_function``: no sleeps.
Selectors were read from the live JupyterLab 4.6 / ipywidgets 8 DOM
(see ``shared/research/browser-e2e-facts.md``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
# Ignored by git (.gitignore); one sub-folder per notebook. E2E_SCREENSHOTS moves it.
SCREENSHOTS_DIR = Path(os.environ.get("E2E_SCREENSHOTS") or REPO_ROOT / "e2e-screenshots")

# Timeouts in milliseconds. Generous for the cold start of a 2-core CI box, bounded everywhere.
KERNEL_START_TIMEOUT = 90_000  # first kernel start (imports ipykernel, matplotlib, ...)
RUN_ALL_TIMEOUT = 90_000  # every cell of one notebook, from "Run All Cells" to the last prompt
DEFAULT_TIMEOUT = 30_000  # anything else: a slider redraw, a menu, a screenshot

CELLS = ".jp-NotebookPanel .jp-Notebook .jp-Cell"
NOTEBOOK_SCROLLER = ".jp-NotebookPanel .jp-WindowedPanel-outer"  # the notebook's own scrollbar
CODE_CELLS = ".jp-NotebookPanel .jp-Notebook .jp-CodeCell"
# Charts a cell displays (matplotlib Figure -> image/png output) and charts inside widgets.
PNG_OUTPUT_IMAGES = '.jp-OutputArea-output[data-mime-type="image/png"] img'
WIDGET_IMAGES = "img.widget-image"

# The toolbar indicator reads "idle" for a moment *before* a kernel is attached (facts, gotcha 1),
# so the status bar text ("Python 3 (ipykernel) | Idle") must agree.
_IDLE_INDICATOR = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
_IDLE_STATUS_TEXT = re.compile(r"ipykernel\) \| Idle")


# --------------------------------------------------------------------------- notebook copies


def copy_notebooks_stripped(src: Path, dst: Path) -> list[str]:
    """Copy ``src`` (notebooks and any data beside them) to ``dst``, outputs stripped.

    Committed outputs would let ``expect(img).to_be_visible()`` pass before a cell has run
    (facts, gotcha 3), so every code cell starts empty, as in a fresh clone after "Clear outputs".
    Saved widget state goes too: only the live kernel may draw widgets.
    """
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    names = []
    for path in sorted(dst.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.get("kernelspec", {}).get("name"), (
            f"{path.name} has no kernelspec: JupyterLab would pop a kernel chooser (facts, gotcha 9)"
        )
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, path)
        names.append(path.name)
    return names


# --------------------------------------------------------------------------- JavaScript errors


@dataclass(frozen=True)
class KnownNoise:
    """A browser message that is harmless for learners; ``why`` is shown in failure reports."""

    pattern: re.Pattern[str]
    why: str


# Every entry must say why it is harmless. Add entries only after reading the message in a
# real run; never filter a message that a learner would notice (a broken widget, a failed render).
KNOWN_NOISE: tuple[KnownNoise, ...] = ()


@dataclass
class JsErrorLog:
    """Uncaught exceptions (``pageerror``) and ``console.error`` messages of one page."""

    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def _add(self, text: str) -> None:
        if any(noise.pattern.search(text) for noise in KNOWN_NOISE):
            self.ignored.append(text)
        else:
            self.errors.append(text)

    def on_page_error(self, exc: Error) -> None:
        self._add(f"pageerror: {exc.name}: {exc.message}")

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            location = msg.location
            url = location.get("url") if location else None
            where = f" ({url}:{location.get('lineNumber', '')})" if url else ""
            self._add(f"console.error: {msg.text}{where}")


_LOGS: dict[int, JsErrorLog] = {}


def watch_js_errors(page: Page) -> JsErrorLog:
    """Start recording the page's JavaScript errors; call before the first ``goto``."""
    log = JsErrorLog()
    page.on("pageerror", log.on_page_error)
    page.on("console", log.on_console)
    _LOGS[id(page)] = log
    page.on("close", lambda closed: _LOGS.pop(id(closed), None))
    return log


def assert_no_js_errors(page: Page) -> None:
    """Fail if the page logged an uncaught exception or a console error (known noise aside)."""
    log = _LOGS[id(page)]
    assert not log.errors, "the page logged JavaScript errors:\n" + "\n".join(log.errors)


# --------------------------------------------------------------------------- kernel and cells


def wait_kernel_idle(page: Page, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until the notebook's kernel is attached and idle."""
    expect(page.locator(_IDLE_INDICATOR)).to_have_count(1, timeout=timeout)
    expect(page.locator(".jp-StatusBar-TextItem", has_text=_IDLE_STATUS_TEXT)).to_have_count(
        1, timeout=timeout
    )


def run_all_cells(page: Page) -> None:
    """Run > Run All Cells, through the menu bar as a learner would."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def wait_all_cells_executed(page: Page, timeout: float = RUN_ALL_TIMEOUT) -> None:
    """Wait until every code cell shows an execution count ``[n]:``.

    "Run All" stops at the first cell that raises, leaving the later prompts empty, so this also
    proves that no cell failed. Then the kernel must be idle (no output still arriving).
    """
    prompts = page.locator(f"{CODE_CELLS} .jp-InputArea-prompt")
    count = prompts.count()
    assert count > 0, "the notebook shows no code cells"
    expect(prompts).to_have_text([re.compile(r"^\[\d+\]:$")] * count, timeout=timeout)
    wait_kernel_idle(page)


def open_notebook(page: Page, base_url: str, token: str, notebook: str) -> Page:
    """Open ``notebook`` (relative to the server root) in a fresh workspace and wait for its kernel."""
    # ?reset: ignore any saved workspace layout (facts, gotcha 5); the token logs the page in.
    page.goto(f"{base_url}/lab/tree/{notebook}?reset&token={token}")
    expect(page.locator(CELLS).first).to_be_visible(timeout=KERNEL_START_TIMEOUT)
    wait_kernel_idle(page, timeout=KERNEL_START_TIMEOUT)
    return page


def code_cell(page: Page, source_snippet: str) -> Locator:
    """The single code cell whose source contains ``source_snippet``."""
    cell = page.locator(CODE_CELLS).filter(has=page.locator(".jp-InputArea", has_text=source_snippet))
    expect(cell, f"exactly one code cell containing {source_snippet!r}").to_have_count(1)
    return cell


# --------------------------------------------------------------------------- charts


def assert_images_decoded(scope: Page | Locator, selector: str, expected: int) -> None:
    """Wait until exactly ``expected`` ``<img>`` match ``selector`` and each is a decoded image."""
    images = scope.locator(selector)
    expect(images, f"number of {selector!r}").to_have_count(expected)
    for i in range(expected):
        image = images.nth(i)
        expect(image).to_be_visible()
        # A broken image is "visible" too; decode() waits for the PNG and rejects if it is broken.
        width = image.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)")
        assert width > 0, f"{selector} #{i} did not decode as an image (naturalWidth={width})"


def assert_charts_rendered(page: Page, png_outputs: int, widget_images: int = 0) -> None:
    """Every matplotlib chart rendered: ``png_outputs`` PNG outputs plus ``widget_images`` widget charts."""
    assert_images_decoded(page, PNG_OUTPUT_IMAGES, png_outputs)
    srcs = page.locator(PNG_OUTPUT_IMAGES).evaluate_all("imgs => imgs.map(i => i.src.slice(0, 22))")
    assert all(src == "data:image/png;base64," for src in srcs), srcs
    assert_images_decoded(page, WIDGET_IMAGES, widget_images)


class ChartWatch:
    """Watches one chart ``<img>`` (a widget's Image): counts redraws and fingerprints the bytes.

    A slider moved by N steps redraws the chart N times, one ``src`` change each; waiting for
    the N-th change (instead of "src differs") is what makes the final assertion race-free.
    """

    def __init__(self, image: Locator) -> None:
        expect(image).to_have_count(1)
        self.image = image
        self.fingerprint = image_fingerprint(image)
        self._seen = 0
        image.evaluate(
            """img => {
                img.e2eRedraws = 0;
                new MutationObserver(() => { img.e2eRedraws += 1; })
                    .observe(img, {attributes: true, attributeFilter: ["src"]});
            }"""
        )

    def expect_redrawn(self, times: int) -> str:
        """Wait for ``times`` more redraws; assert the chart's bytes changed; return the new fingerprint."""
        self._seen += times
        handle = self.image.element_handle()
        handle.wait_for_element_state("visible")
        self.image.page.wait_for_function("([img, n]) => img.e2eRedraws >= n", arg=[handle, self._seen])
        redraws = handle.evaluate("img => img.e2eRedraws")
        assert redraws == self._seen, f"expected {self._seen} chart redraws so far, saw {redraws}"
        width = handle.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)")
        assert width > 0, "the redrawn chart did not decode as an image"
        fingerprint = image_fingerprint(self.image)
        assert fingerprint != self.fingerprint, "the chart was redrawn with the same picture"
        self.fingerprint = fingerprint
        return fingerprint


def image_fingerprint(image: Locator) -> str:
    """A digest of the bytes an ``<img>`` shows (data: or blob: URL), to tell redrawn charts apart.

    ipywidgets serves every new value under a fresh blob: URL, so a changed ``src`` alone would not
    prove that the chart changed; the bytes do.
    """
    return image.evaluate(
        """async img => {
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            let hash = 2166136261;  // FNV-1a, 32 bit
            for (const b of bytes) { hash = Math.imul(hash ^ b, 16777619) >>> 0; }
            return `${bytes.length}:${hash.toString(16)}`;
        }"""
    )


# --------------------------------------------------------------------------- widgets


def slider(scope: Page | Locator, label: str) -> Locator:
    """The ipywidgets slider whose description is exactly ``label``."""
    page = scope if isinstance(scope, Page) else scope.page
    # A `has=` locator is matched inside each candidate, so it is built from the page, not the scope.
    description = page.locator("label.widget-label", has_text=re.compile(rf"^{re.escape(label)}$"))
    found = scope.locator(".widget-slider").filter(has=description)
    expect(found, f"exactly one slider labelled {label!r}").to_have_count(1)
    return found


def move_slider(scope: Page | Locator, label: str, steps: int) -> Locator:
    """Move the slider labelled ``label`` by ``steps`` steps (negative: left) with the keyboard.

    The noUiSlider handle takes arrow keys, each one step, and commits the value on every key even
    with ``continuous_update=False``. Returns the slider, for asserting its new value.
    """
    found = slider(scope, label)
    handle = found.locator('[role="slider"]')
    handle.focus()
    for _ in range(abs(steps)):
        handle.press("ArrowRight" if steps > 0 else "ArrowLeft")
    return found


def expect_slider_value(found: Locator, value: float) -> None:
    """The slider's handle reports ``value`` (aria-valuenow may be "8", "8.0" or "8.00")."""
    text = f"{value:g}"
    trailing = "0*" if "." in text else r"(\.0*)?"
    pattern = re.compile(rf"^{re.escape(text)}{trailing}$")
    expect(found.locator('[role="slider"]')).to_have_attribute("aria-valuenow", pattern)


# --------------------------------------------------------------------------- screenshots


def screenshot_dir(notebook: str) -> Path:
    """``e2e-screenshots/<notebook stem>/``, emptied of the previous run's pictures."""
    directory = SCREENSHOTS_DIR / Path(notebook).stem
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.png"):
        old.unlink()
    return directory


def screenshot_cells(page: Page, directory: Path, prefix: str = "cell") -> list[Path]:
    """Save one PNG per cell (``<prefix>-NN.png``), as the learner sees it.

    ``page.screenshot(full_page=True)`` misses Lab's inner scroller (facts, gotcha 7); a locator
    screenshot scrolls its cell into view first. A cell taller than the scroller would come out
    cut off, so the window is made tall enough for the tallest cell meanwhile (same width, so the
    same layout), then restored.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cells = page.locator(CELLS)
    tallest = max(cells.evaluate_all("cells => cells.map(c => Math.ceil(c.getBoundingClientRect().height))"))
    original = page.viewport_size
    assert original is not None, "the browser context needs a fixed viewport"
    visible = page.locator(NOTEBOOK_SCROLLER).evaluate("el => el.clientHeight")
    needed = tallest + 40  # room for the cell's margins
    if needed > visible:
        _resize_until_scroller_fits(page, original["width"], original["height"] + needed - visible, needed)
    paths = []
    try:
        for i in range(cells.count()):
            path = directory / f"{prefix}-{i:02d}.png"
            cells.nth(i).screenshot(path=path, animations="disabled")
            paths.append(path)
    finally:
        if needed > visible:
            _resize_until_scroller_fits(page, original["width"], original["height"], visible)
    return paths


def _resize_until_scroller_fits(page: Page, width: int, height: int, scroller_height: int) -> None:
    """Resize the window; wait until the notebook scroller is ``scroller_height`` px tall (±1)."""
    page.set_viewport_size({"width": width, "height": height})
    # Lumino lays the panels out on its next animation frame: wait for the scroller's new size.
    page.wait_for_function(
        "([selector, h]) => Math.abs(document.querySelector(selector).clientHeight - h) <= 1",
        arg=[NOTEBOOK_SCROLLER, scroller_height],
    )


OpenAndRunAll = Callable[[str], Page]
