"""Environment self-check: can this Python run the course, and if not, what exactly fixes it?

Used by notebook 00, by ``make lab`` before JupyterLab starts, and as ``python -m course_lib
doctor``. It reads the requirements from the installed package metadata (so it never drifts from
``pyproject.toml``) and prints one line per check: ``[OK]``, ``[FAIL]`` with the command that
fixes it, or ``[INFO]`` for optional extras.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata

__all__ = ["MIN_PYTHON", "Check", "main", "report", "run_checks"]

MIN_PYTHON = (3, 11)
DIST_NAME = "resilient-agents"
FIX_SETUP = (
    "run `make lab` (or `make test`) from the repository root; it creates .venv and installs the course"
)


@dataclass(frozen=True, slots=True)
class Check:
    status: str  # "OK", "FAIL" or "INFO"
    name: str
    detail: str
    fix: str = ""

    def line(self, width: int = 18) -> str:
        text = f"[{self.status}]{' ' * (5 - len(self.status))}{self.name:<{width}} {self.detail}"
        return text + (f"\n       fix: {self.fix}" if self.fix else "")


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Check:
    shown = ".".join(map(str, version))
    if tuple(version[:2]) >= MIN_PYTHON:
        return Check("OK", "python", shown)
    want = ".".join(map(str, MIN_PYTHON))
    return Check(
        "FAIL",
        "python",
        f"{shown} (the course needs {want} or newer)",
        f"install Python {want}+ and run `make PYTHON=python{want} lab`",
    )


def declared_requirements(dist: str = DIST_NAME, extras: Iterable[str] = ()) -> list[str]:
    """The requirement strings the installed course package declares (base, plus ``extras``)."""
    from packaging.requirements import Requirement

    wanted = set(extras)
    result = []
    for text in metadata.requires(dist) or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in wanted):
            result.append(text)
    return result


def check_requirement(text: str, version_of: Callable[[str], str] = metadata.version) -> Check:
    """One requirement: installed, and inside the declared range?"""
    from packaging.requirements import Requirement

    req = Requirement(text)
    spec = str(req.specifier) or "any"
    fix = f"{sys.executable} -m pip install -c constraints.txt '{req.name}{req.specifier}'"
    try:
        installed = version_of(req.name)
    except metadata.PackageNotFoundError:
        return Check("FAIL", req.name, f"missing (needs {spec})", fix)
    if req.specifier and not req.specifier.contains(installed, prereleases=True):
        return Check("FAIL", req.name, f"{installed} is outside {spec}", fix)
    return Check("OK", req.name, installed)


def check_course_package() -> Check:
    try:
        version = metadata.version(DIST_NAME)
    except metadata.PackageNotFoundError:
        return Check("FAIL", "course_lib", "not installed in this Python", FIX_SETUP)
    return Check("OK", "course_lib", version)


def check_real_kubectl() -> Check:
    found = shutil.which("kubectl")
    detail = (
        "found (used only by the fidelity test)" if found else "not found (optional: the course uses a fake)"
    )
    return Check("INFO", "kubectl", f"real kubectl on PATH: {detail}")


def run_checks(extras: Iterable[str] = ()) -> list[Check]:
    checks = [check_python(), check_course_package()]
    if checks[-1].status == "OK":
        checks += [check_requirement(r) for r in declared_requirements(extras=extras)]
    checks.append(check_real_kubectl())
    return checks


def report(extras: Iterable[str] = (), *, quiet: bool = False) -> bool:
    """Print the checks (only failures when ``quiet``); return True when nothing failed."""
    checks = run_checks(extras)
    failed = [c for c in checks if c.status == "FAIL"]
    for check in checks:
        if not quiet or check.status == "FAIL":
            print(check.line())
    if failed:
        print(f"\n{len(failed)} check(s) failed: apply the fix lines above, then restart the kernel.")
    elif not quiet:
        print(f"\nAll {len(checks) - 1} required checks passed: this environment can run the course.")
    return not failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib doctor", description=__doc__)
    parser.add_argument("--dev", action="store_true", help="also check the test tools (the dev extra)")
    parser.add_argument("--quiet", action="store_true", help="print failures only")
    args = parser.parse_args(argv)
    return 0 if report(["dev"] if args.dev else [], quiet=args.quiet) else 1
