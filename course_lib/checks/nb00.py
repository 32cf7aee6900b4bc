"""Notebook 00's warm-up: wait for a pod to become ready, on an injected clock.

It is the smallest honest version of every pattern in the course: bounded waiting, a deadline,
an error that says what happened, and time that comes from a clock the caller passes in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from unittest import mock

from course_lib.checks.exercise import Exercise, Wrong
from course_lib.clock import VirtualClock

__all__ = ["ex1"]

_RUNAWAY_CALLS = 10_000


class _Runaway(Exception):
    """The learner's loop kept polling far past any sensible deadline."""


class _RealSleep(Exception):
    """The learner called time.sleep instead of the injected clock."""


def _pod(ready_on_call: int | None) -> Callable[[], bool]:
    """A fake readiness probe that turns True on the given call (None: never)."""
    calls = 0

    def is_ready() -> bool:
        nonlocal calls
        calls += 1
        if calls > _RUNAWAY_CALLS:
            raise _Runaway
        return ready_on_call is not None and calls >= ready_on_call

    return is_ready


def _run(answer: Callable[..., Any], ready_on_call: int | None, interval: float, timeout: float):
    """Run the answer on a fresh virtual clock; return (result or exception, clock)."""
    clock = VirtualClock()

    def no_real_sleep(_seconds: float) -> None:
        raise _RealSleep

    with mock.patch.object(time, "sleep", no_real_sleep):
        try:
            result: Any = answer(_pod(ready_on_call), clock, interval=interval, timeout=timeout)
        except (_Runaway, _RealSleep, NotImplementedError):
            raise
        except Exception as err:
            result = err
    return result, clock


def _check(answer: Callable[..., Any]) -> str:
    if not callable(answer):
        raise Wrong(f"`wait_until_ready` should be a function, but it is a {type(answer).__name__}.")
    try:
        # 1. Ready on the first look: no waiting at all.
        result, clock = _run(answer, ready_on_call=1, interval=2.0, timeout=30.0)
        if isinstance(result, BaseException):
            raise Wrong(f"a pod that is ready at once made your function raise {type(result).__name__}.")
        if clock.sleeps:
            raise Wrong("you slept before the first check: a pod that is already ready should cost no wait.")

        # 2. Ready on the 4th look, every 2 s: exactly three sleeps of 2 s, and 6 s reported.
        result, clock = _run(answer, ready_on_call=4, interval=2.0, timeout=30.0)
        if isinstance(result, BaseException):
            raise Wrong(f"a pod that becomes ready after 6 s made your function raise {result!r}.")
        slept = [round(s.seconds, 6) for s in clock.sleeps]
        if len(slept) > 3:
            raise Wrong("you slept again after is_ready() returned True: return as soon as the pod is ready.")
        if slept != [2.0, 2.0, 2.0]:
            raise Wrong(
                f"with interval=2 and readiness on the 4th check, expected sleeps [2, 2, 2], got {slept}."
            )
        if not isinstance(result, int | float) or abs(result - 6.0) > 1e-6:
            raise Wrong(
                f"return how many seconds you waited (here 6.0, read from clock.now()), not {result!r}."
            )

        # 3. Never ready: raise TimeoutError, without sleeping past the timeout or giving up early.
        result, clock = _run(answer, ready_on_call=None, interval=2.0, timeout=7.0)
        total = clock.total_slept
        if not isinstance(result, BaseException):
            raise Wrong(
                f"when the pod never becomes ready you returned {result!r}: raise TimeoutError so "
                "the caller cannot mistake a timeout for success."
            )
        if not isinstance(result, TimeoutError):
            raise Wrong(
                f"a pod that never becomes ready should raise TimeoutError, not {type(result).__name__}."
            )
        if total > 7.0 + 1e-9:
            raise Wrong(f"you waited {total:g} s in total, past the 7 s timeout: cap the last sleep.")
        if total < 7.0 - 2.0 - 1e-9:
            raise Wrong(f"you gave up after {total:g} s of a 7 s timeout: keep checking until it has passed.")
        if not str(result):
            raise Wrong(
                "raise TimeoutError with a message (how long you waited) so the log says what happened."
            )
    except _Runaway:
        raise Wrong(
            "your loop never stopped: compare clock.now() with a deadline and stop once timeout has passed."
        ) from None
    except _RealSleep:
        raise Wrong(
            "you called time.sleep: call clock.sleep(...) so the virtual clock can skip the wait."
        ) from None
    return "it waits on the injected clock, stops at once when ready, and times out on schedule."


_SOLUTION = '''
def wait_until_ready(is_ready, clock, interval=2.0, timeout=30.0):
    """Poll is_ready() every `interval` seconds; raise TimeoutError after `timeout` seconds."""
    start = clock.now()
    deadline = start + timeout
    while not is_ready():
        remaining = deadline - clock.now()
        if remaining <= 0:
            raise TimeoutError(f"pod not ready after {timeout:g} s")
        clock.sleep(min(interval, remaining))  # never sleep past the deadline
    return clock.now() - start
'''

ex1 = Exercise(
    "ex1",
    target="wait_until_ready",
    checker=_check,
    task="poll a readiness check on an injected clock, with a deadline",
    hints=[
        "Call is_ready() first; only sleep (with clock.sleep) when it returned False.",
        "Work out `deadline = clock.now() + timeout` once, before the loop; compare clock.now() with it.",
        "Sleep min(interval, deadline - clock.now()) so the last wait never overshoots, and raise "
        "TimeoutError(...) when no time is left; return clock.now() - start when ready.",
    ],
    solution=_SOLUTION,
)
