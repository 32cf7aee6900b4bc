"""Notebook 02's checkers: a correct, an untouched and many specific wrong answers for each."""

from __future__ import annotations

import random
import time

import openai
import pytest

from course_lib.checks.nb02 import BUG_IDS, CLAIMS, OUTLINE_RETRY, ex1, ex2
from course_lib.resilience import FullJitterBackoff, Retry, classify, retry_after_seconds

# --------------------------------------------------------------------------- ex1: answers


def reference(fn, clock, attempts=4, base=0.5, cap=8.0):
    namespace: dict = {}
    exec(ex1.solution_code, namespace)
    return namespace["retry_call"](fn, clock, attempts=attempts, base=base, cap=cap)


def with_the_library(fn, clock, attempts=4, base=0.5, cap=8.0):
    return Retry(on=classify, attempts=attempts, clock=clock, backoff=FullJitterBackoff(base, cap)).call(fn)


def equal_jitter(fn, clock, attempts=4, base=0.5, cap=8.0):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as err:
            if not classify(err) or attempt + 1 == attempts:
                raise
            asked = retry_after_seconds(err)
            half = min(cap, base * 2**attempt) / 2
            clock.sleep(asked if asked else half + random.uniform(0, half))
    raise AssertionError("unreachable")


def starter(fn, clock, attempts=4, base=0.5, cap=8.0):
    raise NotImplementedError


def make(*, retry_if=None, wait=None, loop=None, final=None, before=None):
    """Build a retry_call variant from the reference by swapping one decision."""

    def retryable(err):
        return classify(err).retryable

    def backoff(err, attempt, base, cap):
        asked = retry_after_seconds(err)
        return asked if asked and asked > 0 else random.uniform(0, min(cap, base * 2**attempt))

    retry_if = retry_if or retryable
    wait = wait or backoff

    def answer(fn, clock, attempts=4, base=0.5, cap=8.0):
        if before:
            before(clock)
        last = None
        for attempt in range(loop(attempts) if loop else attempts):
            try:
                return fn()
            except Exception as err:
                last = err
                if not retry_if(err):
                    raise
                if attempt == (loop(attempts) if loop else attempts) - 1 and final is None:
                    raise
                clock.sleep(wait(err, attempt, base, cap))
        return final(last) if final else None

    return answer


def outline_style(fn, clock, attempts=4, base=0.5, cap=8.0):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception:
            clock.sleep(2**attempt)
    return None


def sleeps_on_401(fn, clock, attempts=4, base=0.5, cap=8.0):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as err:
            clock.sleep(0.5)
            if not classify(err) or attempt == attempts - 1:
                raise


def wraps_the_error(fn, clock, attempts=4, base=0.5, cap=8.0):
    try:
        return reference(fn, clock, attempts, base, cap)
    except Exception as err:
        raise RuntimeError("the model call failed") from err


def reraises_the_first(fn, clock, attempts=4, base=0.5, cap=8.0):
    first = None
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as err:
            first = first or err
            if not classify(err):
                raise
            if attempt == attempts - 1:
                raise first from None
            asked = retry_after_seconds(err)
            clock.sleep(asked if asked else random.uniform(0, min(cap, base * 2**attempt)))


def swallows_401(fn, clock, attempts=4, base=0.5, cap=8.0):
    try:
        return reference(fn, clock, attempts, base, cap)
    except openai.AuthenticationError:
        return None


def uses_time_sleep(fn, clock, attempts=4, base=0.5, cap=8.0):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as err:
            if not classify(err) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def never_stops(fn, clock, attempts=4, base=0.5, cap=8.0):
    while True:
        try:
            return fn()
        except Exception as err:
            if not classify(err):
                raise
            clock.sleep(retry_after_seconds(err) or random.uniform(0, base))


def sleeps_first(fn, clock, attempts=4, base=0.5, cap=8.0):
    clock.sleep(base)
    return reference(fn, clock, attempts, base, cap)


def returns_a_string(fn, clock, attempts=4, base=0.5, cap=8.0):
    try:
        return reference(fn, clock, attempts, base, cap)
    except openai.InternalServerError:
        return "Error: the model call failed"


def wrong_signature(fn, clock, max_attempts=4):
    return fn()


def _retryable(err):
    return classify(err).retryable


def reads_only_retry_after(err, attempt, base, cap):
    response = getattr(err, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    return float(header) if header else random.uniform(0, min(cap, base * 2**attempt))


WRONG_ANSWERS = [
    (outline_style, "you retried a 401 (AuthenticationError): authentication errors cannot succeed on retry"),
    (
        make(retry_if=lambda err: not isinstance(err, openai.AuthenticationError)),
        "you retried a 400 (BadRequestError): context_length_exceeded cannot succeed on retry",
    ),
    (
        make(retry_if=lambda err: _retryable(err) or isinstance(err, KeyError)),
        "you retried a KeyError: that is a bug in our code",
    ),
    (sleeps_on_401, "you slept after a 401 (AuthenticationError) that you did not retry"),
    (swallows_401, "after a 401 (AuthenticationError) you returned None instead of raising"),
    (
        make(retry_if=lambda err: isinstance(err, openai.RateLimitError)),
        "you gave up on a 500: a server error is often transient",
    ),
    (make(retry_if=lambda err: False), "you gave up on a 429"),
    (make(wait=lambda err, attempt, base, cap: 0.0), "you retried the 429 immediately"),
    (make(wait=lambda err, attempt, base, cap: 1.0), "you waited 1 s but the server asked for 2.5 s"),
    (
        make(wait=reads_only_retry_after),
        "you waited 3 s, the Retry-After header, but the server asked for 2.5 s in retry-after-ms",
    ),
    (make(wait=lambda err, attempt, base, cap: 6.0), "you waited 6 s but the server asked for 2.5 s"),
    (
        make(wait=lambda err, attempt, base, cap: retry_after_seconds(err) or 0.0),
        "you retried the 500 immediately (retry 1): back off",
    ),
    (
        make(wait=lambda err, attempt, base, cap: retry_after_seconds(err) or base * 4**attempt * 1.5),
        "too long for base=0.5 s",
    ),
    (
        make(
            wait=lambda err, attempt, base, cap: (
                retry_after_seconds(err) or base * 2**attempt * random.uniform(0.6, 1)
            )
        ),
        "more than cap=1 s",
    ),
    (
        make(wait=lambda err, attempt, base, cap: retry_after_seconds(err) or min(cap, base * 2**attempt)),
        "add jitter",
    ),
    (make(loop=lambda attempts: attempts + 1), "you made 5 attempts: attempts=4 means 4 calls in total"),
    (make(loop=lambda attempts: attempts - 1), "you gave up after 3 attempts"),
    (make(final=lambda last: None), "you slept after the last attempt"),
    (returns_a_string, "you never re-raised the last error: you returned 'Error: the model call failed'"),
    (wraps_the_error, "you raised RuntimeError: re-raise the original AuthenticationError itself"),
    (reraises_the_first, "you re-raised an earlier error"),
    (uses_time_sleep, "you called time.sleep"),
    (never_stops, "your loop never stopped"),
    (sleeps_first, "you slept before the first call"),
    (wrong_signature, "must accept (fn, clock, attempts=4, base=0.5, cap=8.0)"),
    (42, "should be a function"),
]


# --------------------------------------------------------------------------- ex1: tests


@pytest.mark.parametrize("answer", [reference, with_the_library, equal_jitter], ids=lambda f: f.__name__)
def test_correct_answers_pass(answer):
    verdict = ex1.check(answer)
    assert verdict.ok, verdict.message


def test_the_reference_passes_every_time():
    """The checker runs a random backoff; a correct answer must never be failed by bad luck."""
    for seed in range(30):
        random.seed(seed)
        assert ex1.check(reference).ok


def test_untouched_starter_is_not_attempted():
    assert ex1.check(starter).status == "not attempted"


@pytest.mark.parametrize(("answer", "expected"), WRONG_ANSWERS, ids=[w[1][:40] for w in WRONG_ANSWERS])
def test_wrong_answers_get_a_specific_sentence(answer, expected):
    verdict = ex1.check(answer)
    assert verdict.status == "wrong", verdict.message
    assert expected in verdict.message, verdict.message
    assert verdict.message.count(". ") <= 1  # one sentence


def test_the_checker_waits_in_virtual_time_only():
    started = time.monotonic()
    ex1.check(reference)
    assert time.monotonic() - started < 2.0  # 2.5 s Retry-After and backoffs: all virtual


def test_hints_and_solution(capsys):
    ex1.hint(1)
    ex1.solution()
    out = capsys.readouterr().out
    assert "classify(err).retryable" in out and "def retry_call" in out


# --------------------------------------------------------------------------- ex2


def test_spot_the_bugs_solution_is_correct():
    namespace: dict = {}
    exec(ex2.solution_code, namespace)
    verdict = ex2.check(namespace["bugs"])
    assert verdict.ok, verdict.message
    assert namespace["bugs"] == set(BUG_IDS)


def test_empty_set_is_not_attempted():
    assert ex2.check(set()).status == "not attempted"


@pytest.mark.parametrize("decoy", [name for name, claim in CLAIMS.items() if not claim.bug])
def test_a_false_claim_is_rejected_with_its_reason(decoy):
    verdict = ex2.check({*BUG_IDS, decoy})
    assert verdict.status == "wrong"
    assert verdict.message.startswith(f"{decoy!r} is not a bug: {CLAIMS[decoy].why}")


def test_missing_bugs_point_to_where_to_look_without_naming_them():
    verdict = ex2.check(set(BUG_IDS) - {"stacked_retries"})
    assert verdict.status == "wrong"
    assert "6 of the 7 bugs found" in verdict.message
    assert CLAIMS["stacked_retries"].area in verdict.message
    assert "stacked_retries" not in verdict.message


def test_one_string_and_a_list_are_accepted():
    assert "1 of the 7 bugs found" in ex2.check("no_jitter").message
    assert ex2.check(list(BUG_IDS)).ok


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"no_jitter", "jitter"}, "'jitter' is not a claim id"),
        ({"no_jitter", 3}, "3 is not a claim id"),
        (7, "should be a set of claim ids"),
        ({"no_jitter": True}, "should be a set of claim ids"),
    ],
)
def test_malformed_answers(answer, expected):
    verdict = ex2.check(answer)
    assert verdict.status == "wrong"
    assert expected in verdict.message, verdict.message


def test_claims_are_mixed_and_every_bug_is_in_the_code():
    flags = [claim.bug for claim in CLAIMS.values()]
    assert flags[:7] != [True] * 7  # true and false claims interleaved, not bugs first
    assert sum(flags) == 7 and len(flags) == 11
    for needle in ("except Exception", "2 ** attempt", "timeout=30", 'return f"Error', "ChatOpenAI("):
        assert needle in OUTLINE_RETRY


def test_show_claims_lists_every_id(capsys):
    ex2.show_claims()
    out = capsys.readouterr().out
    assert all(name in out for name in CLAIMS)
