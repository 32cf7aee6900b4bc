"""Notebook 04's checkers on the reference solutions, the untouched starters and realistic wrong answers."""

import itertools
import json

import pytest
from langchain.agents.middleware import ModelCallLimitMiddleware, ToolCallLimitMiddleware

from course_lib.agent.guards import LoopDetector, RepeatedCallGuard, call_limits
from course_lib.checks.nb04 import ex1, ex2


def solution(exercise, name):
    namespace: dict = {}
    exec(exercise.solution_code, namespace)
    return namespace[name]


def starter(*_args):
    raise NotImplementedError


# -- ex1: is_looping ---------------------------------------------------------------------------------
def test_ex1_reference_and_the_library_detector_are_correct():
    assert ex1.check(solution(ex1, "is_looping")).ok
    detector = LoopDetector(max_period=2)
    assert ex1.check(detector.is_looping).ok


def test_ex1_untouched_starter_is_not_attempted():
    assert ex1.check(starter).status == "not attempted"


def names_only(calls):
    recent = [name for name, _ in calls[-10:]]
    return any(recent.count(n) >= 3 for n in recent)


def consecutive_only(calls):
    run = 1
    for before, after in itertools.pairwise(calls):
        run = run + 1 if before == after else 1
        if run >= 3:
            return True
    return False


def str_args(calls):
    recent = [f"{n}{args}" for n, args in calls[-10:]]
    last4 = recent[-4:]
    cycle = len(last4) == 4 and last4[0] == last4[2] and last4[1] == last4[3] and last4[0] != last4[1]
    return cycle or any(recent.count(k) >= 3 for k in recent)


def no_cycles(calls):
    recent = [json.dumps([n, a], sort_keys=True) for n, a in calls[-10:]]
    return any(recent.count(k) >= 3 for k in recent)


def whole_history(calls):
    keys = [json.dumps([n, a], sort_keys=True) for n, a in calls]
    last4 = keys[-4:]
    cycle = len(last4) == 4 and last4[0] == last4[2] and last4[1] == last4[3] and last4[0] != last4[1]
    return cycle or any(keys.count(k) >= 3 for k in keys)


def eager_cycle(calls):
    keys = [json.dumps([n, a], sort_keys=True) for n, a in calls[-10:]]
    return (len(keys) >= 3 and keys[-1] == keys[-3]) or any(keys.count(k) >= 3 for k in keys)


def returns_loop_object(calls):
    return LoopDetector().find(calls)


def mutates(calls):
    calls.clear()
    return False


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (names_only, "compare the arguments, not only the tool names"),
        (consecutive_only, "not only consecutive ones"),
        (str_args, "not str(args)"),
        (no_cycles, "A-B-A-B, a cycle"),
        (whole_history, "last 10 calls only"),
        (eager_cycle, "A-B-A is not yet a cycle"),
        (returns_loop_object, "should return True or False"),
        (mutates, "changed the list of calls"),
        ("nope", "should be a function"),
    ],
)
def test_ex1_wrong_answers_get_a_specific_sentence(answer, expected):
    verdict = ex1.check(answer)
    assert verdict.status == "wrong"
    assert expected in verdict.message, verdict.message


# -- ex2: make_limits ----------------------------------------------------------------------------------
def test_ex2_reference_and_the_library_helper_are_correct():
    verdict = ex2.check(solution(ex2, "make_limits"))
    assert verdict.ok, verdict.message
    assert "after 6 model calls" in verdict.message
    assert ex2.check(lambda: [RepeatedCallGuard(), *call_limits(max_model_calls=6)]).ok


def test_ex2_untouched_starter_is_not_attempted():
    assert ex2.check(starter).status == "not attempted"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda: [], "into the recursion limit"),
        (lambda: [ToolCallLimitMiddleware(run_limit=3)], "add ModelCallLimitMiddleware"),
        (
            lambda: [ModelCallLimitMiddleware(run_limit=6, exit_behavior="error")],
            "ModelCallLimitExceededError",
        ),
        (lambda: [ToolCallLimitMiddleware(run_limit=3, exit_behavior="error")], "ToolCallLimitExceededError"),
        (lambda: [ModelCallLimitMiddleware(run_limit=10)], "called 10 times, more than 6"),
        (
            lambda: [ModelCallLimitMiddleware(run_limit=3)],
            "cut a healthy diagnosis short after 3 model calls",
        ),
        (lambda: ModelCallLimitMiddleware(run_limit=6), "should return a list"),
        (lambda: ["ModelCallLimitMiddleware"], "every item must be middleware"),
        (42, "should be a function"),
    ],
)
def test_ex2_wrong_answers_get_a_specific_sentence(answer, expected):
    verdict = ex2.check(answer)
    assert verdict.status == "wrong"
    assert expected in verdict.message, verdict.message
