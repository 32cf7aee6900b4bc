"""Notebook 06's exercises: which errors are health signals; predict what a breaker does.

``ex1`` runs the learner's ``is_failure(exc)`` on the real exceptions the agent meets (built by
``course_lib.fakes.llm`` on real HTTP responses), then puts it inside a real
:class:`~course_lib.resilience.CircuitBreaker`, and names the first error it gets wrong and why.

``ex2`` asks for the outcome of each call in a timed sequence through a breaker
(``"ok"``, ``"failed"`` or ``"rejected"``); the checker replays the sequence through the real
breaker on a virtual clock and explains the first call predicted wrong.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from course_lib.checks.exercise import Exercise, NotAttempted, Wrong
from course_lib.clock import VirtualClock
from course_lib.resilience import CircuitBreaker, CircuitOpenError, CircuitState

__all__ = ["CALLS", "Example", "ex1", "ex2", "failure_examples"]


# =========================================================================== ex1


@dataclass(frozen=True, slots=True)
class Example:
    """One error the predicate must judge: does it say the provider is unhealthy?"""

    label: str
    error: BaseException
    counts: bool
    why: str


def failure_examples() -> list[Example]:
    """The errors ``ex1`` checks, health signals first (fresh exception objects on every call)."""
    from course_lib.fakes.llm import (
        authentication_error,
        connection_error,
        context_length_error,
        rate_limit_error,
        request_timeout_error,
        server_error,
        status_error,
        timeout_error,
    )
    from course_lib.fakes.llm.error_replies import ErrorReply, bad_request_reply

    missing_model = json.dumps(
        {
            "error": {
                "message": "The model `gpt-4o-mini-typo` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
        }
    )
    return [
        Example("429 rate limited", rate_limit_error(retry_after=2), True,
                "a 429 is the provider shedding load, exactly what a breaker should back off from"),
        Example("503 unavailable", server_error(503), True, "a 503 says the provider is down or overloaded"),
        Example("500 server error", server_error(500), True, "a 500 is the provider failing, not our request"),
        Example("502 bad gateway", server_error(502), True, "a 502 means the provider's front door could not reach it"),
        Example("request timed out", timeout_error(), True,
                "a timeout is the classic symptom of a provider in trouble"),
        Example("connection reset", connection_error(), True, "a dropped connection says the provider is unreachable"),
        Example("408 request timeout", request_timeout_error(), True, "a 408 is the server timing out on us"),
        Example("TimeoutError (socket)", TimeoutError("read timed out"), True,
                "a plain TimeoutError from the network layer is a timeout all the same"),
        Example("ConnectionRefusedError", ConnectionRefusedError(111, "Connection refused"), True,
                "a refused connection means nothing is listening: the dependency is down"),
        Example("400 context too long", context_length_error(), False,
                "a 400 context_length_exceeded is one oversized prompt: the provider answered, and counting it "
                "lets one user's huge log open the breaker for everyone"),
        Example("401 bad API key", authentication_error(), False,
                "a 401 is our configuration, not the provider's health: counting it turns 'fix the key' into "
                "'provider down, try again in 30 s'; let it fail loudly (and never retry it)"),
        Example("404 model not found", status_error(ErrorReply(404, missing_model)), False,
                "a 404 (a model name with a typo) is a wrong request that the provider answered promptly"),
        Example("400 bad request", status_error(bad_request_reply("Invalid 'messages[2].role'.", "messages")), False,
                "a 400 is a malformed request of ours: the provider is healthy enough to reject it"),
        Example("KeyError in our code", KeyError("choices"), False,
                "a KeyError is a bug in our code, which says nothing about the provider"),
    ]  # fmt: skip


def _breaker_with(predicate: Callable[[BaseException], Any]) -> tuple[CircuitBreaker, VirtualClock]:
    clock = VirtualClock()
    return CircuitBreaker(
        "model", failure_threshold=3, reset_timeout=30, is_failure=predicate, clock=clock
    ), clock


def _raise(error: BaseException) -> Callable[[], None]:
    def call() -> None:
        raise error

    return call


def _check_is_failure(answer: Callable[[BaseException], Any]) -> str:
    if not callable(answer):
        raise Wrong(
            f"`is_failure` should be a function of one exception, but it is a {type(answer).__name__}."
        )
    for example in failure_examples():
        verdict = answer(example.error)
        if isinstance(verdict, str):
            raise Wrong(f"`is_failure` returned the string {verdict!r}: return True or False.")
        if bool(verdict) != example.counts:
            if example.counts:
                raise Wrong(f"you do not count the {example.label} as a failure, but {example.why}.")
            raise Wrong(f"you count the {example.label} as a failure, but {example.why}.")

    # Inside a real breaker (threshold 3): three oversized prompts must not open it; three 503s must.
    from course_lib.fakes.llm import context_length_error, server_error

    clock = VirtualClock()
    breaker = CircuitBreaker("model", failure_threshold=3, reset_timeout=30, is_failure=answer, clock=clock)
    for error in [context_length_error() for _ in range(3)] + [server_error(503) for _ in range(3)]:
        with contextlib.suppress(type(error)):
            breaker.call(_raise(error))
    if breaker.state is not CircuitState.OPEN:
        raise Wrong("three 503s in a row did not open a breaker (threshold 3) that uses your predicate.")
    return (
        "timeouts, connection errors, 429 and 5xx count; a 400, 401, 404 or a bug in our code does not, "
        "so one bad request can no longer open the breaker for everyone."
    )


_SOLUTION_1 = '''
import openai


def is_failure(exc):
    """True when the error says the provider is unhealthy (so the breaker should count it)."""
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True  # no answer at all (APITimeoutError is a subclass of APIConnectionError)
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 429) or exc.status_code >= 500
    return isinstance(exc, (TimeoutError, ConnectionError))  # the network layer, outside the SDK


# Or, with the course library: from course_lib.resilience import is_dependency_failure
# (it asks classify() and counts rate limits, 5xx, timeouts and connection errors).
'''

ex1 = Exercise(
    "ex1",
    target="is_failure",
    checker=_check_is_failure,
    task="decide which errors count as failures for the breaker",
    hints=[
        "Ask of each error: does it say something about the *provider's* health, or about *our* request?",
        "HTTP status: 408, 429 and 5xx count; 400, 401, 404 do not. No HTTP answer at all (a timeout, a "
        "refused or reset connection) counts too.",
        "`isinstance(exc, openai.APIStatusError)` gives you `exc.status_code`; `openai.APITimeoutError` and "
        "`openai.APIConnectionError` cover the SDK's no-answer cases; the builtins `TimeoutError` and "
        "`ConnectionError` cover the rest. Everything else returns False.",
    ],
    solution=_SOLUTION_1,
)


# =========================================================================== ex2

# (time in seconds, does the provider answer this call?)
CALLS: tuple[tuple[float, bool], ...] = (
    (0, False),
    (1, False),
    (2, True),
    (3, False),
    (4, False),
    (5, False),
    (10, True),
    (35, False),
    (40, True),
    (65, True),
    (66, False),
)
THRESHOLD = 3
RESET_TIMEOUT = 30.0
_OUTCOMES = ("ok", "failed", "rejected")


class ServiceUnavailable(ConnectionError):
    """The provider's failure in ``ex2``'s sequence."""


@dataclass(frozen=True, slots=True)
class _Step:
    at: float
    outcome: str
    why: str


def replay(calls: Sequence[tuple[float, bool]] = CALLS) -> list[_Step]:
    """Run ``calls`` through a real breaker (threshold 3, reset timeout 30 s); explain each outcome."""
    clock = VirtualClock()
    breaker = CircuitBreaker("model", failure_threshold=THRESHOLD, reset_timeout=RESET_TIMEOUT, clock=clock)
    steps = []
    for at, answers in calls:
        clock.advance(at - clock.now())
        before = breaker.stats()

        def provider(answers: bool = answers) -> str:
            if not answers:
                raise ServiceUnavailable("503")
            return "ok"

        try:
            breaker.call(provider)
            outcome = "ok"
        except CircuitOpenError as err:
            opened = [c for c in breaker.history if c.to_state is CircuitState.OPEN][-1]
            steps.append(
                _Step(
                    at,
                    "rejected",
                    f"the breaker opened at t={opened.at:g} s ({opened.reason}) and admits nothing "
                    f"before t={err.retry_at:g} s, so it is rejected without reaching the provider",
                )
            )
            continue
        except ServiceUnavailable:
            outcome = "failed"
        probe = breaker.stats().probes_started > before.probes_started
        if probe:
            then = "closes the breaker" if outcome == "ok" else f"reopens it until t={at + RESET_TIMEOUT:g} s"
            why = (
                f"the {RESET_TIMEOUT:g} s reset timeout has run out, so it is the half-open probe: it reaches "
                f"the provider, {'is answered' if outcome == 'ok' else 'fails'} and {then}"
            )
        elif outcome == "ok":
            why = "the breaker is closed, so it reaches the provider and is answered"
        else:
            count = before.consecutive_failures + 1
            opens = " and opens the breaker" if breaker.state is CircuitState.OPEN else ""
            why = (
                f"the breaker is closed, so it reaches the provider and fails{opens} "
                f"({count} consecutive failure{'s' if count > 1 else ''}; a success resets the count)"
            )
        steps.append(_Step(at, outcome, why))
    return steps


def show_calls() -> None:
    """Print the sequence ``ex2`` asks about."""
    print(
        f"CircuitBreaker(failure_threshold={THRESHOLD}, reset_timeout={RESET_TIMEOUT:g}), calls are instant"
    )
    print("call   time   the provider would")
    for n, (at, answers) in enumerate(CALLS, start=1):
        print(f"{n:>4} {at:>5g} s   {'answer' if answers else 'fail (503)'}")


def _check_predicted(answer: Any) -> str:
    if isinstance(answer, str) or not isinstance(answer, Sequence):
        raise Wrong(f"`predicted` should be a list of strings, one per call, not a {type(answer).__name__}.")
    if len(answer) == 0:
        raise NotAttempted("`predicted` is still empty: write one outcome per call, in order.")
    unknown = [item for item in answer if item not in _OUTCOMES]
    if unknown:
        raise Wrong(f"use only 'ok', 'failed' or 'rejected'; {unknown[0]!r} is not one of them.")
    steps = replay()
    for n, (said, step) in enumerate(zip(answer, steps, strict=False), start=1):
        if said != step.outcome:
            raise Wrong(f"call {n} at t={step.at:g} s: you said {said!r}, but {step.why}.")
    if len(answer) != len(steps):
        raise Wrong(f"there are {len(steps)} calls and you predicted {len(answer)} outcomes.")
    return (
        "every outcome matches the real breaker: three consecutive failures open it, it rejects until the "
        "reset timeout, one probe decides, and a failed probe restarts the wait."
    )


_SOLUTION_2 = """
predicted = [
    "failed",    # t=0   closed, 1 consecutive failure
    "failed",    # t=1   2 consecutive
    "ok",        # t=2   a success resets the count to 0
    "failed",    # t=3   1
    "failed",    # t=4   2
    "failed",    # t=5   3 consecutive: opens, no probe before t=35
    "rejected",  # t=10  open: rejected without reaching the provider
    "failed",    # t=35  the reset timeout ran out: the probe fails and reopens until t=65
    "rejected",  # t=40  open again
    "ok",        # t=65  the probe is answered: closed
    "failed",    # t=66  closed, 1 consecutive failure
]
"""

ex2 = Exercise(
    "ex2",
    target="predicted",
    checker=_check_predicted,
    task="predict what a breaker does with each call of a timed sequence",
    hints=[
        "Only *consecutive* failures count towards the threshold: the success at t=2 s resets the count.",
        "Once open, nothing reaches the provider until reset_timeout has passed since it opened; then exactly "
        "one probe goes through.",
        "A failed probe reopens the breaker and starts a new 30 s wait from the probe's time, not from the "
        "first opening.",
    ],
    solution=_SOLUTION_2,
)
