"""Notebook 02's exercises: a retry that knows what to retry and listens to the server; spot the bugs.

``ex1`` replays scripted failures (the real openai exceptions from ``course_lib.fakes.llm``) against
the learner's ``retry_call`` on a recording virtual clock, and names the first thing that is wrong:
a retried 401, a Retry-After not honoured, a sleep after the last attempt, a swallowed error.

``ex2`` shows a retry loop in the style of the course's source outline and a list of claims about
it, some true, some false. The learner answers with the ids of the true ones; the checker rejects
a false claim with the reason it is false, and for a missed bug names where to look (not what).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from course_lib.checks.exercise import Exercise, NotAttempted, Wrong
from course_lib.clock import VirtualClock

__all__ = ["CLAIMS", "OUTLINE_RETRY", "ex1", "ex2"]

_RUNAWAY_CALLS = 50
_TOLERANCE = 1e-6


# =========================================================================== ex1


class _Runaway(Exception):
    """The learner's loop kept calling far past any sensible number of attempts."""


class _RealSleep(Exception):
    """The learner called time.sleep instead of the injected clock."""


@dataclass
class _Run:
    """What happened in one scenario: calls and sleeps in order, and how the function ended."""

    events: list[tuple[str, Any]] = field(default_factory=list)
    result: Any = None
    raised: BaseException | None = None

    @property
    def calls(self) -> int:
        return sum(1 for kind, _ in self.events if kind == "call")

    @property
    def sleeps(self) -> list[float]:
        return [value for kind, value in self.events if kind == "sleep"]

    def waits_between_calls(self) -> list[float]:
        """Total sleep before each call after the first (0.0: retried immediately)."""
        waits, pending, seen_call = [], 0.0, False
        for kind, value in self.events:
            if kind == "sleep":
                pending += value
            else:
                if seen_call:
                    waits.append(pending)
                seen_call, pending = True, 0.0
        return waits

    def slept_before_first_call(self) -> bool:
        return bool(self.events) and self.events[0][0] == "sleep"

    def ended_with_sleep(self) -> bool:
        return bool(self.events) and self.events[-1][0] == "sleep"


class _RecordingClock(VirtualClock):
    def __init__(self, run: _Run) -> None:
        super().__init__()
        self._run = run

    def sleep(self, seconds: float, label: str = "") -> None:
        super().sleep(seconds, label)
        self._run.events.append(("sleep", float(seconds)))


class _Script:
    """fn() for the learner: plays ``items`` (an exception is raised, anything else returned)."""

    def __init__(self, items: list[Any], run: _Run) -> None:
        self.items = items
        self.run = run
        self.__name__ = "ask_model"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.run.calls >= _RUNAWAY_CALLS:
            raise _Runaway
        item = self.items[min(self.run.calls, len(self.items) - 1)]
        self.run.events.append(("call", item))
        if isinstance(item, BaseException):
            raise item
        return item


def _no_real_sleep(_seconds: float) -> None:
    raise _RealSleep


def _play(answer: Callable[..., Any], items: list[Any], **options: Any) -> _Run:
    run = _Run()
    clock = _RecordingClock(run)
    with mock.patch.object(time, "sleep", _no_real_sleep):
        try:
            run.result = answer(_Script(items, run), clock, **options)
        except (_Runaway, _RealSleep, NotImplementedError):
            raise
        except Exception as err:
            run.raised = err
    return run


def _name(error: BaseException) -> str:
    """The openai class a learner would write in an except clause (not langchain's dual subclass)."""
    for cls in type(error).__mro__:
        if cls.__module__.startswith("openai"):
            return cls.__name__
    return type(error).__name__


def _status(error: BaseException) -> str:
    code = getattr(error, "status_code", None)
    return f"a {code}" if code else f"a {type(error).__name__}"


def _expect_raised(run: _Run, error: BaseException, what: str) -> None:
    """The function must have raised ``error`` (the same object, or at least its type)."""
    if run.raised is None:
        raise Wrong(
            f"after {what} you returned {run.result!r} instead of raising: re-raise the error so the "
            "caller cannot mistake a failure for an answer."
        )
    if run.raised is not error and type(run.raised) is not type(error):
        raise Wrong(
            f"after {what} you raised {type(run.raised).__name__}: re-raise the original "
            f"{_name(error)} itself (`raise`), so callers can still catch it by its type."
        )


def _not_retryable(answer: Callable[..., Any], error: BaseException, why: str) -> None:
    run = _play(answer, [error, "should never be reached"], attempts=4, base=0.5, cap=8.0)
    label = f"{_status(error)} ({_name(error)})" if getattr(error, "status_code", None) else _status(error)
    if run.calls > 1:
        raise Wrong(f"you retried {label}: {why}.")
    if run.sleeps:
        raise Wrong(
            f"you slept after {label} that you did not retry: a wait that precedes no retry only delays the error."
        )
    _expect_raised(run, error, label)


def _check_backoff(waits: list[float], base: float, cap: float, after: str) -> None:
    for k, wait in enumerate(waits, start=1):
        if wait <= 0:
            raise Wrong(f"you retried {after} immediately (retry {k}): back off before trying again.")
        if wait > cap + _TOLERANCE:
            raise Wrong(
                f"your wait before retry {k} was {wait:g} s, more than cap={cap:g} s: cap every backoff."
            )
        if wait > base * 3**k + _TOLERANCE:
            raise Wrong(
                f"your wait before retry {k} was {wait:g} s, too long for base={base:g} s: start from "
                f"`base` and double, min(cap, base * 2**n), with jitter."
            )


def _signature_ok(answer: Callable[..., Any]) -> None:
    try:
        inspect.signature(answer).bind(lambda: None, VirtualClock(), attempts=4, base=0.5, cap=8.0)
    except TypeError:
        raise Wrong(
            "`retry_call` must accept (fn, clock, attempts=4, base=0.5, cap=8.0): keep the starter's signature."
        ) from None
    except ValueError:  # no signature (a builtin): let the call decide
        pass


def _check_retry(answer: Callable[..., Any]) -> str:
    from course_lib.fakes.llm import (
        authentication_error,
        context_length_error,
        rate_limit_error,
        server_error,
    )

    if not callable(answer):
        raise Wrong(f"`retry_call` should be a function, but it is a {type(answer).__name__}.")
    _signature_ok(answer)
    try:
        # 1. Success at once: one call, no wait, the result returned.
        answer_text = "pod api-7d9: OOMKilled"
        run = _play(answer, [answer_text], attempts=4, base=0.5, cap=8.0)
        if run.raised is not None:
            raise Wrong(
                f"a call that succeeds at once made your function raise {type(run.raised).__name__}: {run.raised}."
            )
        if run.slept_before_first_call():
            raise Wrong("you slept before the first call: only wait between a failure and its retry.")
        if run.result != answer_text:
            raise Wrong(f"return what fn() returned (here {answer_text!r}), not {run.result!r}.")
        if run.calls != 1:
            raise Wrong(f"fn() succeeded on the first call, but you called it {run.calls} times.")

        # 2-4. What can never succeed on retry.
        _not_retryable(
            answer,
            authentication_error(),
            "authentication errors cannot succeed on retry (the same key is sent again)",
        )
        _not_retryable(
            answer,
            context_length_error(),
            "context_length_exceeded cannot succeed on retry (the same prompt is too long every "
            "time): shrink it instead",
        )
        _not_retryable(
            answer,
            KeyError("choices"),
            "that is a bug in our code, and running the same code again fails the same way",
        )

        # 5. 429 with retry-after-ms 2500 (and Retry-After: 3), then a 500, then success.
        throttled, broken = rate_limit_error(retry_after=3, retry_after_ms=2500), server_error(500)
        run = _play(answer, [throttled, broken, "recovered"], attempts=4, base=0.5, cap=8.0)
        waits = run.waits_between_calls()
        if run.calls == 1:
            raise Wrong("you gave up on a 429: rate limiting is temporary, so wait and retry.")
        if waits[0] <= 0:
            raise Wrong(
                "you retried the 429 immediately: wait what the server asks (retry-after-ms: 2500) first."
            )
        if abs(waits[0] - 3.0) < _TOLERANCE:
            raise Wrong(
                "you waited 3 s, the Retry-After header, but the server asked for 2.5 s in retry-after-ms, "
                "which is more precise and takes precedence."
            )
        if waits[0] < 2.5 - _TOLERANCE:
            raise Wrong(f"you waited {waits[0]:g} s but the server asked for 2.5 s (retry-after-ms: 2500).")
        if waits[0] > 2.5 * 1.1 + _TOLERANCE:
            raise Wrong(
                f"you waited {waits[0]:g} s but the server asked for 2.5 s: wait what it asks (a little "
                "jitter on top is fine)."
            )
        if run.calls == 2:
            raise Wrong("you gave up on a 500: a server error is often transient, so retry it with backoff.")
        _check_backoff(waits[1:2], 0.5, 8.0, "the 500")
        if run.raised is not None:
            raise Wrong(f"the third call succeeded, but you raised {type(run.raised).__name__}.")
        if run.calls > 3:
            raise Wrong(
                f"the third call succeeded, but you called fn() {run.calls} times: stop at the first success."
            )
        if run.result != "recovered":
            raise Wrong(f"return the successful result ('recovered'), not {run.result!r}.")

        # 6. The server never recovers: exactly `attempts` calls, no sleep at the end, the last error raised.
        errors = [server_error(503) for _ in range(_RUNAWAY_CALLS + 1)]
        run = _play(answer, errors, attempts=4, base=0.5, cap=1.0)
        if run.calls < 4:
            raise Wrong(
                f"you gave up after {run.calls} attempts on a server that keeps failing: attempts=4 means "
                "4 calls in total (the first and 3 retries)."
            )
        if run.calls > 4:
            raise Wrong(
                f"you made {run.calls} attempts: attempts=4 means 4 calls in total (the first and 3 retries)."
            )
        if run.ended_with_sleep():
            raise Wrong(
                "you slept after the last attempt: that wait only delays the error, so raise right "
                "after the final failure."
            )
        if run.raised is None:
            raise Wrong(
                f"you never re-raised the last error: you returned {run.result!r}, so the caller cannot "
                "tell a failure from an answer."
            )
        if run.raised in errors[:3]:
            raise Wrong("you re-raised an earlier error: raise the last one, it is the freshest news.")
        _expect_raised(run, errors[3], "4 failed attempts")
        first = run.waits_between_calls()
        _check_backoff(first, 0.5, 1.0, "the 503")
        second = _play(answer, errors, attempts=4, base=0.5, cap=1.0).waits_between_calls()
        if first == second:
            shown = ", ".join(f"{w:g}" for w in first)
            raise Wrong(
                f"your backoff waited [{shown}] s in two runs: add jitter (random.uniform(0, ...)), or "
                "clients that failed together retry together."
            )
    except _Runaway:
        raise Wrong("your loop never stopped: make at most `attempts` calls, then re-raise.") from None
    except _RealSleep:
        raise Wrong(
            "you called time.sleep: call clock.sleep(...) so the virtual clock can skip the wait."
        ) from None
    return (
        "no retry for a 401, a context overflow or a bug; the server's 2.5 s honoured; jittered "
        "backoff within the cap; and the last error re-raised without a useless final wait."
    )


_SOLUTION_1 = '''
import random

from course_lib.resilience import classify, retry_after_seconds


def retry_call(fn, clock, attempts=4, base=0.5, cap=8.0):
    """Call fn(); retry what can succeed on retry, waiting what the server asks or a full-jitter backoff."""
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as err:
            if not classify(err).retryable or attempt == attempts - 1:
                raise  # not worth retrying, or no attempts left: re-raise, no final sleep
            server_asks = retry_after_seconds(err)  # retry-after-ms, then Retry-After
            if server_asks is not None and server_asks > 0:
                wait = server_asks
            else:
                wait = random.uniform(0, min(cap, base * 2**attempt))
            clock.sleep(wait)
'''

ex1 = Exercise(
    "ex1",
    target="retry_call",
    checker=_check_retry,
    task="retry only what can succeed, honour Retry-After, re-raise the last error",
    hints=[
        "Ask `classify(err).retryable` whether an error is worth another attempt; if not, `raise` at once.",
        "`retry_after_seconds(err)` reads retry-after-ms, then Retry-After: when it gives a number > 0, "
        "sleep exactly that; otherwise sleep random.uniform(0, min(cap, base * 2**attempt)).",
        "Loop `for attempt in range(attempts)`: return on success; in the except block, `raise` when the "
        "error is not retryable or `attempt == attempts - 1` (so no sleep follows the last attempt), "
        "else clock.sleep(wait).",
    ],
    solution=_SOLUTION_1,
)


# =========================================================================== ex2

OUTLINE_RETRY = """
import time
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", timeout=30)


def call_llm_with_retry(prompt, max_retries=3):
    for attempt in range(max_retries):
        try:
            return llm.invoke(prompt).content
        except Exception as e:
            print(f"Attempt {attempt + 1} failed: {e}")
            time.sleep(2 ** attempt)
    return f"Error: LLM call failed after {max_retries} attempts"
""".strip("\n")
"""The loop to review, in the style of the course's source outline."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement about OUTLINE_RETRY: true (a bug) or false, with why, and where to look."""

    text: str
    bug: bool
    why: str
    area: str = ""


CLAIMS: dict[str, Claim] = {
    "retries_everything": Claim(
        "`except Exception` also retries a 401, a 400 context_length_exceeded and our own bugs, "
        "none of which can succeed on a retry.",
        True,
        "retrying what cannot succeed burns time and quota; classify the error first",
        "which errors the `except` clause lets into the retry",
    ),
    "off_by_one": Claim(
        "`range(max_retries)` makes only 2 attempts when max_retries=3.",
        False,
        "range(3) is 0, 1, 2: three attempts (the name max_retries is misleading: they are attempts, not retries)",
    ),
    "no_jitter": Claim(
        "`2 ** attempt` has no randomness: clients that failed together retry together, in lock-step.",
        True,
        "AWS's simulation: no jitter 1,858 calls and 63.5 s, full jitter 797 calls and 5.0 s",
        "how long each wait is, if many clients run this loop at once",
    ),
    "catches_ctrl_c": Claim(
        "`except Exception` also catches Ctrl-C (KeyboardInterrupt), so the loop cannot be interrupted.",
        False,
        "KeyboardInterrupt derives from BaseException, not Exception, so Ctrl-C goes through",
    ),
    "ignores_retry_after": Claim(
        "It sleeps 1, 2, 4 s whatever the 429's retry-after-ms / Retry-After header asks for.",
        True,
        "the server says how long to wait; listen",
        "what the server's 429 response says",
    ),
    "sleeps_after_last_attempt": Claim(
        "After the final failed attempt it still sleeps (4 s) before giving up.",
        True,
        "a wait that precedes no retry only delays the error",
        "what happens in the last iteration",
    ),
    "return_in_try": Claim(
        "`return` inside `try` means a successful answer is never returned.",
        False,
        "a return inside try returns at once; the except block only runs when invoke() raises",
    ),
    "error_as_string": Claim(
        "It returns an error string: the caller cannot tell a failure from an answer, and the "
        "real exception (its type, status and headers) is lost.",
        True,
        "inside a library, raise the typed exception; strings are for the model, at the tool boundary",
        "the last line of the function",
    ),
    "stacked_retries": Claim(
        "ChatOpenAI already retries twice by default, so one call can become up to 9 HTTP requests.",
        True,
        "retry at one layer: set max_retries=0 on the client when you retry outside it",
        "what `llm` does before the exception reaches this loop",
    ),
    "overflow": Claim(
        "`2 ** attempt` overflows for a large attempt number.",
        False,
        "Python integers do not overflow, and with max_retries=3 the largest wait is 4 s",
    ),
    "no_deadline": Claim(
        "`timeout=30` is per attempt; with retries and sleeps one call can take minutes, and "
        "nothing bounds the total.",
        True,
        "3 loop attempts x 3 SDK attempts x 30 s, plus the sleeps, is over 4.5 minutes; a Deadline bounds the total",
        "how long one call to call_llm_with_retry can take in the worst case",
    ),
}
"""Claim id -> claim, true and false ones mixed. Seven are bugs, four are not."""

BUG_IDS = tuple(name for name, claim in CLAIMS.items() if claim.bug)


def _check_bugs(answer: Any) -> str:
    if isinstance(answer, str):
        answer = {answer}
    if not isinstance(answer, Iterable) or isinstance(answer, dict):
        raise Wrong(
            f"`bugs` should be a set of claim ids such as {{'no_jitter'}}, not a {type(answer).__name__}."
        )
    chosen = list(answer)
    if not chosen:
        raise NotAttempted("`bugs` is still empty: add the ids of the claims you think are true.")
    for item in chosen:
        if not isinstance(item, str):
            raise Wrong(f"{item!r} is not a claim id: use the strings listed by `ex2.show_claims()`.")
        if item not in CLAIMS:
            raise Wrong(f"{item!r} is not a claim id: choose from those listed by `ex2.show_claims()`.")
    for item in chosen:
        claim = CLAIMS[item]
        if not claim.bug:
            raise Wrong(f"{item!r} is not a bug: {claim.why}.")
    missing = [name for name in BUG_IDS if name not in chosen]
    if missing:
        found = len(BUG_IDS) - len(missing)
        raise Wrong(
            f"no false alarm, and {found} of the {len(BUG_IDS)} bugs found; for the next one, look at "
            f"{CLAIMS[missing[0]].area}."
        )
    return (
        f"all {len(BUG_IDS)} bugs and no false alarm; course_lib's Retry fixes each of them, and so "
        "does your retry_call from exercise 1 plus max_retries=0 and a deadline."
    )


class _SpotTheBugs(Exercise):
    """ex2 with a ``show_claims()`` helper that prints the menu."""

    def show_claims(self) -> None:
        """Print every claim id with its statement (true and false ones, in a fixed order)."""
        for name, claim in CLAIMS.items():
            print(f"{name:<26} {claim.text}")


_SOLUTION_2 = """
bugs = {
    "retries_everything",         # 401, 400 context length and bugs are retried
    "no_jitter",                  # 2 ** attempt: a herd retries in lock-step
    "ignores_retry_after",        # the server's wait is ignored
    "sleeps_after_last_attempt",  # 4 s of sleep before returning the failure
    "error_as_string",            # the caller gets a string, the exception is lost
    "stacked_retries",            # ChatOpenAI's own 2 retries: up to 9 HTTP requests
    "no_deadline",                # timeout=30 is per attempt; nothing bounds the total
}
# Not bugs: catches_ctrl_c (KeyboardInterrupt is a BaseException), off_by_one (range(3) is three
# attempts), return_in_try (it returns at once), overflow (Python ints do not overflow).
"""

ex2 = _SpotTheBugs(
    "ex2",
    target="bugs",
    checker=_check_bugs,
    task="which claims about the outline's retry loop are true?",
    hints=[
        "Read the loop once per concern: which errors it retries, how long it waits, what it returns, "
        "and what `llm` already does on its own.",
        "Four claims are false: check each against how Python works (exception hierarchy, range, "
        "return inside try, integer size).",
        "Seven claims are true; the two that people miss most are about ChatOpenAI's own retries and "
        "about timeout=30 being per attempt.",
    ],
    solution=_SOLUTION_2,
)
