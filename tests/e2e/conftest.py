"""Fixtures for the browser end-to-end tests: one JupyterLab and one Chromium per pytest run.

* ``jupyter_lab``: a throw-away JupyterLab on a free loopback port with a token, every Jupyter,
  IPython and matplotlib state directory isolated in a temp dir, serving a copy of ``notebooks/``
  with all outputs stripped. Always terminated, also when a test fails.
* ``browser``: Debian's ``chromium`` driven by Playwright (no ``playwright install``). Missing, it
  skips the e2e tests with the install command, except under CI (``CI`` set), where it fails them.
* ``open_and_run_all``: ``open_and_run_all("00_start_here.ipynb")`` opens a notebook in a fresh
  browser context, runs all cells, waits until every cell ran and the kernel is idle, and returns
  the page, which records its JavaScript errors for ``lab.assert_no_js_errors``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from .lab import (
    DEFAULT_TIMEOUT,
    REPO_ROOT,
    SCREENSHOTS_DIR,
    OpenAndRunAll,
    copy_notebooks_stripped,
    open_notebook,
    run_all_cells,
    wait_all_cells_executed,
    watch_js_errors,
)

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"

INSTALL_HINT = (
    "install Debian's Chromium with `sudo apt-get install -y chromium` (as root: without sudo); "
    "never `playwright install`"
)
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0  # seconds, cold start on a busy 2-core CI box
SERVER_STOP_TIMEOUT = 20.0
VIEWPORT = {"width": 1280, "height": 1000}


def in_ci() -> bool:
    """CI systems set ``CI`` (usually to "true"); there a missing browser must fail, never skip."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def find_chromium() -> tuple[str | None, str]:
    """The browser to drive, and where it was looked for.

    ``E2E_CHROMIUM`` if set (no fallback then), else Debian's /usr/bin/chromium, else ``chromium``
    on PATH.
    """
    if configured := os.environ.get("E2E_CHROMIUM"):
        found = configured if os.access(configured, os.X_OK) else None
        return found, f"E2E_CHROMIUM={configured} is not an executable file"
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium", ""
    return shutil.which("chromium"), "no /usr/bin/chromium and no `chromium` on PATH"


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path, looked = find_chromium()
    if path is None:
        reason = f"browser e2e tests need Chromium: {looked}; {INSTALL_HINT}"
        if in_ci():
            pytest.fail(
                f"{reason}. CI is set, so a missing browser fails instead of skipping.", pytrace=False
            )
        pytest.skip(reason)
    return path


# Package scope, not session: the sync API marks an asyncio loop as running in this thread for as
# long as Playwright is started, which makes every later `asyncio.run()` in the same pytest run
# fail ("cannot be called from a running event loop"). tests/e2e is a package, so Playwright
# stops right after its last test, before the rest of the suite runs.
@pytest.fixture(scope="package")
def browser(chromium_executable: str) -> Iterator[Browser]:
    # launch() starts from a fresh temporary profile; --user-data-dir in args would be rejected.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------- JupyterLab


@dataclass(frozen=True)
class LabServer:
    base_url: str
    token: str
    root_dir: Path  # the stripped copy of notebooks/
    log_path: Path
    notebooks: tuple[str, ...]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def isolated_env(home: Path) -> dict[str, str]:
    """The server's environment: all Jupyter/IPython/matplotlib state under ``home`` (facts, gotcha 5)."""
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        # tests/conftest.py sets MPLBACKEND=Agg for the unit tests; the kernel must use the inline
        # backend, which is what ipykernel picks when a learner starts JupyterLab.
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    # No "get notified about Jupyter news?" toast over the widgets, and no network fetch for it
    # or for update checks (facts, gotcha 4).
    settings = (
        home / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    )
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_command(port: int, token: str, root_dir: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",  # a busy port fails loudly instead of drifting (facts, gotcha 6)
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=None",  # no announcements fetch from the server side either
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root; JupyterLab refuses otherwise
    return command


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the server shuts its kernels down), SIGKILL as a fallback, then reap its group.

    The server runs in its own process group (``start_new_session``), so a kernel it failed to
    shut down is still found by the group id, which is the server's own pid.
    """
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=SERVER_STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is already empty
        os.killpg(proc.pid, signal.SIGKILL)


def wait_until_up(proc: subprocess.Popen[bytes], url: str, token: str, log_path: Path) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)  # polling interval of a readiness probe, not test synchronisation
    raise TimeoutError(f"JupyterLab not up after {SERVER_START_TIMEOUT:g} s:\n{log_path.read_text()[-4000:]}")


# Once per pytest run; package scope so that the server and its kernels stop as soon as the e2e
# tests are done instead of idling through the rest of the suite.
@pytest.fixture(scope="package")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("e2e-lab")
    root_dir = base / "notebooks"
    notebooks = copy_notebooks_stripped(NOTEBOOKS_DIR, root_dir)
    env = isolated_env(base / "jupyter-home")
    token = secrets.token_hex(24)
    for attempt in range(3):  # the free port can be taken between bind() and the server's listen()
        port = free_port()
        log_path = base / f"jupyterlab-{attempt}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                lab_command(port, token, root_dir),
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            try:
                wait_until_up(proc, f"http://127.0.0.1:{port}/api/status", token, log_path)
            except RuntimeError:
                if "already in use" in log_path.read_text() and attempt < 2:
                    continue
                raise
            yield LabServer(f"http://127.0.0.1:{port}", token, root_dir, log_path, tuple(notebooks))
            return
        finally:
            stop_server(proc)


# --------------------------------------------------------------------------- pages


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember a failed setup or call, so the page fixture can leave a screenshot behind."""
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=VIEWPORT)  # fresh cookies and storage per test
    context.set_default_timeout(DEFAULT_TIMEOUT)
    expect.set_options(timeout=DEFAULT_TIMEOUT)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def open_and_run_all(
    request: pytest.FixtureRequest, browser_context: BrowserContext, jupyter_lab: LabServer
) -> Iterator[OpenAndRunAll]:
    pages: list[tuple[str, Page]] = []

    def open_and_run_all(notebook: str) -> Page:
        assert notebook in jupyter_lab.notebooks, f"{notebook} is not in notebooks/: {jupyter_lab.notebooks}"
        page = browser_context.new_page()
        pages.append((notebook, page))
        watch_js_errors(page)
        open_notebook(page, jupyter_lab.base_url, jupyter_lab.token, notebook)
        run_all_cells(page)
        wait_all_cells_executed(page)
        return page

    yield open_and_run_all

    if request.node.stash.get(_FAILED, False):
        # Leave evidence for a person: what the browser showed, and the server's log.
        for notebook, page in pages:
            if not page.is_closed():
                path = SCREENSHOTS_DIR / Path(notebook).stem / "FAILED.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=path)
        print(f"JupyterLab log ({jupyter_lab.log_path}):\n{jupyter_lab.log_tail()}")
