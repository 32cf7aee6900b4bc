"""A timed-out kubectl is killed together with everything it started (HolmesGPT #2365)."""

import os
import stat
import time
from pathlib import Path

import pytest

from course_lib.tools import KubectlSettings
from course_lib.tools.results import ErrorKind
from course_lib.tools.runners import SubprocessRunner


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to inspect processes")
def test_timeout_kills_the_children_kubectl_started(tmp_path):
    pidfile = tmp_path / "helper.pid"
    fake = tmp_path / "kubectl-with-plugin"
    # Like kubectl running an exec credential plugin: a child that outlives a plain kill.
    fake.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {pidfile}\nsleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    runner = SubprocessRunner(KubectlSettings(binary=(str(fake),), timeout_s=0.5))

    result = runner.run(["get", "pods"])

    assert result.error is not None and result.error.kind is ErrorKind.TIMEOUT
    helper = int(pidfile.read_text())
    deadline = time.monotonic() + 5  # the kill is immediate; allow the kernel a moment
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper), "the plugin kubectl started survived the timeout"


def test_a_normal_exit_still_returns_output(tmp_path):
    fake = tmp_path / "kubectl-echo"
    fake.write_text("#!/bin/sh\necho \"NAME READY\"\necho oops >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    result = SubprocessRunner(KubectlSettings(binary=(str(fake),), timeout_s=5)).run(["get", "pods"])
    assert result.exit_code == 1 and result.stdout == "NAME READY\n" and result.stderr == "oops\n"
    assert os.path.basename(result.argv[0]) == "kubectl-echo"
