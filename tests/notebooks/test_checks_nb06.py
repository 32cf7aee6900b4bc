"""Notebook 06's checkers: the reference, the untouched starter and realistic wrong answers."""

from __future__ import annotations

import openai
import pytest

from course_lib.checks.nb06 import CALLS, ex1, ex2, failure_examples, replay
from course_lib.resilience import classify, is_dependency_failure

# --------------------------------------------------------------------------- ex1: is_failure


def reference_is_failure(exc):
    namespace: dict = {}
    exec(ex1.solution_code, namespace)
    return namespace["is_failure"](exc)


def starter_is_failure(exc):
    raise NotImplementedError


def test_reference_and_the_library_predicate_are_correct():
    assert ex1.check(reference_is_failure).ok, ex1.check(reference_is_failure).message
    assert ex1.check(is_dependency_failure).ok


def test_untouched_is_failure_starter_is_not_attempted():
    assert ex1.check(starter_is_failure).status == "not attempted"
    assert ex1.check(None).status == "not attempted"


def test_examples_agree_with_the_library():
    """The answer key is the library's own notion of a health signal."""
    assert [e.counts for e in failure_examples()] == [
        is_dependency_failure(e.error) for e in failure_examples()
    ]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (  # the outline: every exception counts
            lambda exc: True,
            "you count the 400 context too long as a failure, but a 400 context_length_exceeded is one "
            "oversized prompt: the provider answered, and counting it lets one user's huge log open the "
            "breaker for everyone.",
        ),
        (  # "API errors are failures": every 4xx too
            lambda exc: isinstance(exc, openai.APIError | TimeoutError | ConnectionError),
            "you count the 400 context too long as a failure",
        ),
        (  # only the SDK's classes: the network layer's TimeoutError is missed
            lambda exc: (
                isinstance(
                    exc, openai.APIConnectionError | openai.RateLimitError | openai.InternalServerError
                )
                or getattr(exc, "status_code", 0) == 408
            ),
            "you do not count the TimeoutError (socket) as a failure, but a plain TimeoutError from the network "
            "layer is a timeout all the same.",
        ),
        (  # 5xx only: a 429 is load shedding
            lambda exc: getattr(exc, "status_code", 0) >= 500,
            "you do not count the 429 rate limited as a failure, but a 429 is the provider shedding load",
        ),
        (  # "authentication failed, so the provider is broken"
            lambda exc: is_dependency_failure(exc) or isinstance(exc, openai.AuthenticationError),
            "you count the 401 bad API key as a failure, but a 401 is our configuration, not the provider's "
            "health: counting it turns 'fix the key' into 'provider down, try again in 30 s'; let it fail "
            "loudly (and never retry it).",
        ),
        (  # every status error except 400: the 404 slips through
            lambda exc: is_dependency_failure(exc) or isinstance(exc, openai.NotFoundError),
            "you count the 404 model not found as a failure",
        ),
        (  # a bug in our code
            lambda exc: is_dependency_failure(exc) or isinstance(exc, KeyError),
            "you count the KeyError in our code as a failure, but a KeyError is a bug in our code",
        ),
        (  # answers in words
            lambda exc: "yes" if is_dependency_failure(exc) else "no",
            "`is_failure` returned the string 'yes': return True or False.",
        ),
    ],
)
def test_wrong_answers_get_one_sentence_that_names_the_error(answer, message):
    verdict = ex1.check(answer)
    assert verdict.status == "wrong"
    assert verdict.message.startswith(message), verdict.message


def test_retryable_is_accepted_here_but_is_a_different_question():
    """classify().retryable agrees on every example (a 401 is neither); the solution explains the difference."""
    assert ex1.check(lambda exc: classify(exc).retryable).ok


def test_a_predicate_that_crashes_is_reported_not_raised():
    verdict = ex1.check(lambda exc: exc.status_code == 429 or exc.status_code >= 500)
    assert verdict.status == "wrong" and "AttributeError" in verdict.message


def test_not_a_function():
    assert ex1.check(True).message.startswith("`is_failure` should be a function")


# --------------------------------------------------------------------------- ex2: predict the states

REFERENCE = [
    "failed",
    "failed",
    "ok",
    "failed",
    "failed",
    "failed",
    "rejected",
    "failed",
    "rejected",
    "ok",
    "failed",
]


def test_reference_solution_matches_the_real_breaker():
    namespace: dict = {}
    exec(ex2.solution_code, namespace)
    assert namespace["predicted"] == REFERENCE
    assert [step.outcome for step in replay()] == REFERENCE
    assert ex2.check(REFERENCE).ok


def test_untouched_predicted_starter_is_not_attempted():
    assert ex2.check([]).status == "not attempted"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (  # the success at t=2 does not reset the count
            ["failed", "failed", "ok", "failed", "rejected", *REFERENCE[5:]],
            "call 5 at t=4 s: you said 'rejected', but the breaker is closed, so it reaches the provider and "
            "fails (2 consecutive failures; a success resets the count).",
        ),
        (  # an open breaker still lets calls through
            [*REFERENCE[:6], "ok", *REFERENCE[7:]],
            "call 7 at t=10 s: you said 'ok', but the breaker opened at t=5 s (3 consecutive failures) and "
            "admits nothing before t=35 s, so it is rejected without reaching the provider.",
        ),
        (  # the wait is counted from the first opening, not from the failed probe
            [*REFERENCE[:8], "ok", *REFERENCE[9:]],
            "call 9 at t=40 s: you said 'ok', but the breaker opened at t=35 s (probe failed with "
            "ServiceUnavailable) and admits nothing before t=65 s",
        ),
        (  # the probe is rejected too
            [*REFERENCE[:7], "rejected", *REFERENCE[8:]],
            "call 8 at t=35 s: you said 'rejected', but the 30 s reset timeout has run out, so it is the "
            "half-open probe: it reaches the provider, fails and reopens it until t=65 s.",
        ),
        (REFERENCE[:-1], "there are 11 calls and you predicted 10 outcomes."),
        (
            [*REFERENCE[:3], "open", *REFERENCE[4:]],
            "use only 'ok', 'failed' or 'rejected'; 'open' is not one",
        ),
        ("failed failed ok", "`predicted` should be a list of strings, one per call, not a str."),
    ],
)
def test_wrong_predictions_name_the_first_wrong_call_and_why(answer, message):
    verdict = ex2.check(answer)
    assert verdict.status == "wrong"
    assert verdict.message.startswith(message), verdict.message


def test_the_sequence_is_the_one_shown():
    assert len(CALLS) == len(REFERENCE)
    assert all(step.at == at for step, (at, _) in zip(replay(), CALLS, strict=True))
