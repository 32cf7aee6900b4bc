"""The exercise framework: verdict states, answer lookup, crash handling, hints and solutions."""

import pytest

from course_lib.checks import Exercise, NotAttempted, Status, Wrong


def _checker(answer):
    if answer == "starter":
        raise NotAttempted("replace the starter value.")
    if answer == 1 / 1:
        return "one it is."
    if answer == "boom":
        raise KeyError("missing")
    raise Wrong(f"expected 1.0, got {answer!r}.")


def make():
    return Exercise("exT", target="answer_value", checker=_checker, hints=["a", "b"], solution="x = 1")


def test_three_states_and_messages():
    ex = make()
    assert ex.check("starter").status is Status.NOT_ATTEMPTED
    bad = ex.check(2)
    assert bad.status is Status.WRONG and bad.message == "expected 1.0, got 2."
    good = ex.check(1.0)
    assert good.ok and "Correct" in str(good) and "exT" in str(good)
    assert [v.status for v in ex.attempts] == [Status.NOT_ATTEMPTED, Status.WRONG, Status.CORRECT]


@pytest.mark.parametrize("untouched", [None, Ellipsis])
def test_placeholders_count_as_not_attempted(untouched):
    verdict = make().check(untouched)
    assert verdict.status is Status.NOT_ATTEMPTED
    assert "answer_value" in verdict.message


def test_not_implemented_error_is_not_attempted():
    def starter():
        raise NotImplementedError

    ex = Exercise("exN", target="f", checker=lambda f: f() or "ok", hints=["h"], solution="def f(): return 1")
    verdict = ex.check(starter)
    assert verdict.status is Status.NOT_ATTEMPTED
    assert "NotImplementedError" in verdict.message


def test_a_crash_in_the_learners_code_becomes_a_wrong_verdict():
    verdict = make().check("boom")
    assert verdict.status is Status.WRONG
    assert "KeyError" in verdict.message and "missing" in verdict.message


answer_value = 1.0  # looked up by check() with no argument, as in a notebook


def test_check_without_argument_reads_the_callers_globals():
    assert make().check().ok


def test_check_without_argument_and_nothing_defined():
    ex = Exercise("exU", target="no_such_name_here", checker=_checker, hints=["h"], solution="s")
    verdict = ex.check()
    assert verdict.status is Status.NOT_ATTEMPTED and "no_such_name_here" in verdict.message


def test_hints_progress_and_solution_prints(capsys):
    ex = make()
    ex.hint()
    assert "Hint 1/2: a" in capsys.readouterr().out
    ex.check(5)
    ex.check(6)
    ex.hint()
    assert "Hint 2/2: b" in capsys.readouterr().out
    ex.hint(1)
    assert "Hint 1/2" in capsys.readouterr().out
    ex.solution()
    assert "x = 1" in capsys.readouterr().out


def test_bad_hint_number_and_bad_definitions_are_refused():
    with pytest.raises(ValueError, match="hints 1 to 2"):
        make().hint(3)
    with pytest.raises(ValueError, match="at least one hint"):
        Exercise("e", target="t", checker=_checker, hints=[], solution="s")
    with pytest.raises(ValueError, match="needs a solution"):
        Exercise("e", target="t", checker=_checker, hints=["h"], solution="  ")


def test_html_repr_escapes_the_message():
    verdict = make().check("<b>")
    assert "&lt;b&gt;" in verdict._repr_html_()
