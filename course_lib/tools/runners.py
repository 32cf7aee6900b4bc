"""Two ways to run kubectl with the same interface and the same typed result.

``SubprocessRunner`` runs a real process, exactly as production would: captured text output, a
total ``timeout=``, a missing binary reported instead of raised. ``InProcessRunner`` calls the
fake kubectl's logic directly, which is ~100x faster for evaluations of hundreds of runs; a
LATENCY fault there advances the injected (virtual) clock, and if it exceeds the timeout the
result is the same Timeout a killed subprocess gives. Each runner counts its own calls and
hands the index to the fake, which picks the call's fault from the plan: same seed and same
call sequence, same faults, whichever runner is used. Runners never retry.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from course_lib.clock import Clock
from course_lib.fakes.chaos import PROFILES, FaultPlan, save_profile
from course_lib.safety.validation import check_read_only
from course_lib.tools.results import ErrorKind, KubectlError, KubectlResult, classify
from course_lib.tools.settings import KubectlSettings

__all__ = ["InProcessRunner", "KubectlRunner", "SubprocessRunner"]


@runtime_checkable
class KubectlRunner(Protocol):
    settings: KubectlSettings

    def run(self, args: Sequence[str]) -> KubectlResult:
        """Run ``kubectl <global flags> <args>``; ``args`` must start with a read-only verb."""
        ...


class _Counter:
    def __init__(self) -> None:
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            value = self._next
            self._next += 1
            return value


def _timeout_error(timeout_s: float) -> KubectlError:
    return KubectlError(ErrorKind.TIMEOUT, f"kubectl did not finish within {timeout_s:g} s and was stopped")


def _pass_time(clock: Clock, seconds: float) -> None:
    """Let ``seconds`` of work pass: ``advance`` on a VirtualClock (not a recorded sleep), else sleep."""
    advance = getattr(clock, "advance", None)
    if callable(advance):
        advance(seconds)
    else:
        clock.sleep(seconds)


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class SubprocessRunner:
    """Runs the configured binary as a child process."""

    def __init__(self, settings: KubectlSettings | None = None) -> None:
        self.settings = settings or KubectlSettings()
        self._calls = _Counter()
        self._profile_file: str | None = None

    def _plan_env(self, plan: FaultPlan) -> dict[str, str]:
        """Built-in profiles travel by name; a custom profile is written once to a JSON file."""
        if PROFILES.get(plan.profile.name) == plan.profile:
            return plan.to_env()
        if self._profile_file is None:
            fd, path = tempfile.mkstemp(prefix="course-chaos-", suffix=".json")
            os.close(fd)
            save_profile(plan.profile, path)
            weakref.finalize(self, os.unlink, path)
            self._profile_file = path
        return {"COURSE_CHAOS": self._profile_file, "COURSE_CHAOS_SEED": str(plan.seed)}

    def child_env(self, call: int) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        if s.scenario:
            env["COURSE_SCENARIO"] = s.scenario
        if s.fault_plan is not None:
            env.update(self._plan_env(s.fault_plan))
        env["COURSE_KUBECTL_CALL"] = str(call)
        if s.log_path:
            env["COURSE_KUBECTL_LOG"] = s.log_path
        env.update(s.extra_env)
        return env

    def run(self, args: Sequence[str]) -> KubectlResult:
        check_read_only(args)
        s = self.settings
        call = self._calls.take()
        argv = (*s.binary, *s.global_flags(), *args)
        started = s.clock.now()
        try:
            returncode, stdout, stderr = _run_in_own_group(argv, s.timeout_s, self.child_env(call))
        except (FileNotFoundError, NotADirectoryError, PermissionError) as err:
            message = f"cannot run {argv[0]!r}: {err.strerror or err}"
            return KubectlResult(
                argv,
                None,
                "",
                "",
                s.clock.now() - started,
                KubectlError(ErrorKind.BINARY_MISSING, message),
                call,
            )
        except subprocess.TimeoutExpired as err:
            return KubectlResult(
                argv,
                None,
                _text(err.stdout),
                _text(err.stderr),
                s.clock.now() - started,
                _timeout_error(s.timeout_s),
                call,
            )
        error = classify(returncode, stderr)
        return KubectlResult(argv, returncode, stdout, stderr, s.clock.now() - started, error, call)


def _run_in_own_group(argv: Sequence[str], timeout_s: float, env: Mapping[str, str]) -> tuple[int, str, str]:
    """Run argv (never through a shell) in a new session; on timeout kill the whole group.

    ``subprocess.run(timeout=...)`` kills only the direct child: anything kubectl started (an
    exec credential plugin, say) would live on and keep the pipes open. HolmesGPT hit exactly
    this (issue #2365, fixed by killing the process group), so the reference tool does it too.
    """
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=dict(env),
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as err:
        _kill_group(proc)
        stdout, stderr = proc.communicate()
        err.stdout, err.stderr = stdout, stderr
        raise
    except BaseException:  # KeyboardInterrupt included: never leave the group running
        _kill_group(proc)
        proc.wait()
        raise
    return proc.returncode, stdout, stderr


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended between the timeout and the kill
        os.killpg(proc.pid, signal.SIGKILL)


class InProcessRunner:
    """Runs the fake kubectl's logic in this process, with time on ``settings.clock``."""

    def __init__(self, settings: KubectlSettings | None = None, env: Mapping[str, str] | None = None) -> None:
        from course_lib.fakes.cluster import DEFAULT_SCENARIO, load_scenario

        self.settings = settings or KubectlSettings()
        environ = os.environ if env is None else env
        self.scenario = load_scenario(
            self.settings.scenario or environ.get("COURSE_SCENARIO") or DEFAULT_SCENARIO
        )
        self.plan = self.settings.fault_plan or FaultPlan.from_env(environ)
        self._calls = _Counter()

    def run(self, args: Sequence[str]) -> KubectlResult:
        from course_lib.fakes.cluster.faults import simulate
        from course_lib.fakes.kubectl_cli import record_invocation

        check_read_only(args)
        s = self.settings
        call = self._calls.take()
        kubectl_args = [*s.global_flags(), *args]
        argv = (*s.binary, *kubectl_args)
        if s.log_path:
            record_invocation(s.log_path, kubectl_args)
        started = s.clock.now()
        effect = simulate(kubectl_args, self.scenario, self.plan, call)
        if effect.delay_s >= s.timeout_s:
            _pass_time(s.clock, s.timeout_s)
            return KubectlResult(
                argv, None, "", "", s.clock.now() - started, _timeout_error(s.timeout_s), call
            )
        if effect.delay_s > 0:
            _pass_time(s.clock, effect.delay_s)
        out = effect.output
        return KubectlResult(
            argv,
            out.exit_code,
            out.stdout,
            out.stderr,
            s.clock.now() - started,
            classify(out.exit_code, out.stderr),
            call,
        )
