"""Notebook 00's checker, on a correct, an untouched and several wrong answers."""

import time

import pytest

from course_lib.checks.nb00 import ex1


def reference(is_ready, clock, interval=2.0, timeout=30.0):
    exec_globals: dict = {}
    exec(ex1.solution_code, exec_globals)
    return exec_globals["wait_until_ready"](is_ready, clock, interval=interval, timeout=timeout)


def starter(is_ready, clock, interval=2.0, timeout=30.0):
    raise NotImplementedError


def test_reference_solution_is_correct():
    verdict = ex1.check(reference)
    assert verdict.ok, verdict.message


def test_untouched_starter_is_not_attempted():
    assert ex1.check(starter).status == "not attempted"


def sleeps_first(is_ready, clock, interval=2.0, timeout=30.0):
    start = clock.now()
    while True:
        clock.sleep(interval)
        if is_ready():
            return clock.now() - start


def no_deadline(is_ready, clock, interval=2.0, timeout=30.0):
    start = clock.now()
    while not is_ready():
        clock.sleep(interval)
    return clock.now() - start


def returns_false_on_timeout(is_ready, clock, interval=2.0, timeout=30.0):
    start = clock.now()
    while not is_ready():
        if clock.now() - start >= timeout:
            return False
        clock.sleep(interval)
    return clock.now() - start


def overshoots(is_ready, clock, interval=2.0, timeout=30.0):
    start = clock.now()
    while not is_ready():
        if clock.now() - start >= timeout:
            raise TimeoutError("late")
        clock.sleep(interval)  # 0, 2, 4, 6 -> sleeps to 8 > 7
    return clock.now() - start


def real_sleep(is_ready, clock, interval=2.0, timeout=30.0):
    while not is_ready():
        time.sleep(interval)
    return 0.0


def wrong_exception(is_ready, clock, interval=2.0, timeout=30.0):
    start = clock.now()
    deadline = start + timeout
    while not is_ready():
        if clock.now() >= deadline:
            raise RuntimeError("timed out")
        clock.sleep(min(interval, deadline - clock.now()))
    return clock.now() - start


def returns_count(is_ready, clock, interval=2.0, timeout=30.0):
    checks = 1
    deadline = clock.now() + timeout
    while not is_ready():
        if clock.now() >= deadline:
            raise TimeoutError("timed out")
        clock.sleep(min(interval, deadline - clock.now()))
        checks += 1
    return checks


def gives_up_early(is_ready, clock, interval=2.0, timeout=30.0):
    start = clock.now()
    for _ in range(2):
        if is_ready():
            return clock.now() - start
        clock.sleep(interval)
    if is_ready():
        return clock.now() - start
    raise TimeoutError("gave up")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (sleeps_first, "slept before the first check"),
        (no_deadline, "never stopped"),
        (returns_false_on_timeout, "raise TimeoutError"),
        (overshoots, "past the 7 s timeout"),
        (real_sleep, "time.sleep"),
        (wrong_exception, "not RuntimeError"),
        (returns_count, "return how many seconds"),
        (gives_up_early, "ready after 6 s made your function raise TimeoutError"),
        (42, "should be a function"),
    ],
)
def test_wrong_answers_get_a_specific_sentence(answer, expected):
    verdict = ex1.check(answer)
    assert verdict.status == "wrong"
    assert expected in verdict.message, verdict.message
    assert verdict.message.count(". ") <= 1  # one sentence, maybe with a clause
