"""One call at the top of every notebook: deterministic settings and the FAKE/LIVE banner.

Notebooks are compared output-for-output in CI (nbval), so anything that varies between runs or
machines (warnings with temp paths, figure formats, random seeds) is pinned here, once.
"""

from __future__ import annotations

import logging
import os
import random
import warnings

from course_lib.mode import ModeInfo, current_mode

__all__ = ["EnvironmentNotReady", "setup"]

SEED = 11


class EnvironmentNotReady(SystemExit):
    """This kernel lacks a package (or a version) the course needs; the message says how to fix it."""


def setup(*, seed: int = SEED, show_banner: bool = True) -> ModeInfo:
    """Check the environment, pin what can vary, print the mode banner, and return the mode."""
    _require_environment()
    random.seed(seed)
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")
    # Library warnings carry temp paths that change every run; the lessons show errors on purpose.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    warnings.filterwarnings("ignore", module="langchain.*")
    warnings.filterwarnings("ignore", module="langgraph.*")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _configure_matplotlib()
    _plain_tracebacks()
    info = current_mode()
    if show_banner:
        print(info.banner())
    return info


def _require_environment() -> None:
    """Stop at the first cell, with the fix, rather than at an ImportError twenty cells later."""
    from course_lib.envcheck import run_checks

    failed = [check for check in run_checks() if check.status == "FAIL"]
    if failed:
        lines = "\n".join(check.line() for check in failed)
        raise EnvironmentNotReady(
            f"This kernel cannot run the course yet:\n{lines}\n"
            "Apply the fix lines (or run `make lab` from the repository root), then restart the kernel."
        )


def _configure_matplotlib() -> None:
    try:
        import matplotlib as mpl
    except ImportError:  # envcheck reports it; a notebook without charts still runs
        return
    _enable_inline_figures()
    mpl.rcParams.update(
        {
            "figure.figsize": (8, 3.6),
            "figure.dpi": 100,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 10,
            "svg.hashsalt": "resilient-agents",
        }
    )


def _plain_tracebacks() -> None:
    """Tracebacks without ANSI colour codes: stored outputs stay readable as plain text everywhere."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("colors", "nocolor")


def _enable_inline_figures() -> None:
    """Let a cell that ends in a Figure show it as a PNG (course charts never touch pyplot)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:  # plain Python: nothing to display into
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")
