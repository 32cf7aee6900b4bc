"""Notebook 01's checkers (reference, untouched starter, realistic wrong answers) and the harness
they and the notebook stand on (course_lib.teaching.failure_demos)."""

import pytest

from course_lib.checks.nb01 import EX1_CASES, FAMILY_NAMES, ex1, ex2, hidden_runs
from course_lib.fakes.chaos import PROFILES, ChaosProfile, KubectlFault, LLMFault
from course_lib.teaching.failure_demos import (
    FAMILIES,
    error_line,
    project_loop,
    record,
    render_summary,
    run_naive,
    run_naive_by_hand,
    summary_row,
)


def _solution(exercise, name):
    namespace: dict = {}
    exec(exercise.solution_code, namespace)
    return namespace[name]


# --------------------------------------------------------------------------- ex1
REFERENCE_FAMILIES = _solution(ex1, "my_families")


def _with(**changes):
    return {**REFERENCE_FAMILIES, **changes}


def test_ex1_reference_is_correct_and_covers_every_case_with_a_known_family():
    verdict = ex1.check(dict(REFERENCE_FAMILIES))
    assert verdict.ok, verdict.message
    assert set(REFERENCE_FAMILIES) == set(EX1_CASES)
    assert set(REFERENCE_FAMILIES.values()) == set(FAMILY_NAMES) == set(FAMILIES)


def test_ex1_untouched_starter_is_not_attempted():
    assert ex1.check(dict.fromkeys("ABCDEFG")).status == "not attempted"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"B": "rate_limit"},
            "case B is tool_failure, not rate_limit: the 429 came from the Kubernetes API server",
        ),
        ({"D": "rate_limit"}, "case D is context_overflow, not rate_limit"),
        ({"C": "tool_failure"}, "GraphRecursionError is the guard firing, not the cause"),
        ({"F": "endless_loop"}, "no exception, only time passing"),
        ({"E": "rate_limit", "G": "tool_failure"}, "5 of 7 right; case E is unparseable_output"),
    ],
)
def test_ex1_names_the_first_mistake_and_why(changes, expected):
    verdict = ex1.check(_with(**changes))
    assert verdict.status == "wrong"
    assert expected in verdict.message


def test_ex1_accepts_any_case_spacing_or_hyphens():
    answer = {k.lower(): v.upper().replace("_", "-") for k, v in REFERENCE_FAMILIES.items()}
    assert ex1.check(answer).ok


def test_ex1_half_filled_answer_says_which_case_is_missing():
    verdict = ex1.check(_with(C=None, F="?"))
    assert verdict.status == "wrong"
    assert "case C has no answer yet" in verdict.message


def test_ex1_unknown_family_lists_the_valid_names():
    verdict = ex1.check(_with(C="loop"))
    assert verdict.status == "wrong"
    assert "use one of rate_limit, tool_failure" in verdict.message and "'loop'" in verdict.message


def test_ex1_rejects_extra_cases_and_non_dicts():
    assert "there is no case H" in ex1.check(_with(H="rate_limit")).message
    assert "should be a dict" in ex1.check(["rate_limit"] * 7).message


# --------------------------------------------------------------------------- ex2
reference = _solution(ex2, "failure_family")


def starter(result):
    raise NotImplementedError  # replace this line with your code


def trusts_success(result):
    if result.success:
        return None
    name = result.unhandled_exception or ""
    if "RateLimit" in name:
        return "rate_limit"
    if "ContextOverflow" in name:
        return "context_overflow"
    return "tool_failure" if name == "CalledProcessError" else "endless_loop"


def any_fault_is_a_failure(result):
    """Calls the recovered run (an unknown tool, then a correct answer) a failure."""
    if result.llm_calls > 4 and result.outcome == "answered":
        return "unparseable_output"
    return reference(result)


def all_http_errors_are_rate_limits(result):
    name = result.unhandled_exception or ""
    if name.startswith("OpenAI"):
        return "rate_limit"
    return reference(result)


def ignores_the_deadline(result):
    if result.outcome == "answered" and result.correct:
        return None
    return reference(result)


def loop_label(result):
    return "loop" if result.outcome == "would_loop" else reference(result)


def crashes(result):
    return result.exception.__name__  # AgentResult has no such attribute


def test_ex2_reference_is_correct():
    verdict = ex2.check(reference)
    assert verdict.ok, verdict.message


def test_ex2_untouched_starter_is_not_attempted():
    assert ex2.check(starter).status == "not attempted"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (trusts_success, "failed (tool_failure), but you returned None: success=True alone"),
        (any_fault_is_a_failure, "did its job: return None for it, not 'unparseable_output'"),
        (all_http_errors_are_rate_limits, "is context_overflow, not 'rate_limit'"),
        (ignores_the_deadline, "waited 900 s on one kubectl call"),
        (loop_label, "you returned 'loop': return None or one of rate_limit"),
        (crashes, "your code raised AttributeError"),
        ("rate_limit", "should be a function of one AgentResult"),
    ],
)
def test_ex2_realistic_wrong_answers_get_one_clear_sentence(answer, expected):
    verdict = ex2.check(answer)
    assert verdict.status == "wrong"
    assert expected in verdict.message


def test_ex2_hidden_runs_really_show_their_family():
    """The checker's expectations rest on how the naive agent ends under each forced fault."""
    for name, _, expected, result in hidden_runs():
        if expected is None:
            assert result.outcome == "answered" and result.correct and not result.deadline_exceeded, name
        else:
            assert not (result.success and result.correct and not result.deadline_exceeded), name
        assert reference(result) == expected, name


# --------------------------------------------------------------------------- the harness
CASES = [
    ChaosProfile("always-429", "x", llm={LLMFault.RATE_LIMIT: 1.0}),
    ChaosProfile("crash", "x", kubectl={KubectlFault.CRASH: 0.3}),
    ChaosProfile("prose", "x", llm={LLMFault.PLAIN_TEXT: 1.0}),
    ChaosProfile("huge", "x", kubectl={KubectlFault.HUGE_OUTPUT: 1.0}),
]


@pytest.mark.parametrize("profile", CASES, ids=lambda p: p.name)
def test_the_run_by_hand_and_the_runners_record_saw_the_same_chaos(profile):
    run = run_naive("tool_failure", profile, seed=1)
    steps = run.scratch.steps
    assert sum(1 for s in steps if s.kind == "tool") == run.result.tool_calls
    assert len(run.scratch.attempts) == run.result.llm_calls
    assert sum(run.scratch.attempts) == run.result.http_attempts
    assert run.scratch.clock.now() == pytest.approx(run.result.duration_s)
    escaped = type(run.error).__name__ if run.error is not None else None
    assert escaped == run.result.unhandled_exception


def test_record_takes_a_profile_name_too_and_run_naive_refuses_unknown_families():
    assert record("none").correct
    with pytest.raises(ValueError, match="unknown failure family 'loop'"):
        run_naive("loop", PROFILES["none"])


def test_the_loop_projection_matches_a_real_run_to_the_context_limit():
    repeat = ChaosProfile("repeat", "x", llm={LLMFault.REPEAT_CALL: 1.0})
    guarded = run_naive_by_hand(repeat, recursion_limit=25)
    projection = project_loop(guarded.steps, context_window=20_000)
    real = run_naive_by_hand(repeat, recursion_limit=9_999, context_window=20_000)
    models = [s for s in real.steps if s.kind == "model"]
    assert type(real.error).__name__ == "OpenAIContextOverflowError"
    assert projection.ends_with == "context overflow"
    assert projection.model_calls == len(models)
    assert projection.tool_calls == sum(1 for s in real.steps if s.kind == "tool")
    assert projection.tokens == sum(s.detail.get("total_tokens", 0) for s in models if s.status == "ok")
    assert f"resulted in {projection.last_prompt_tokens} tokens" in str(real.error)


def test_the_loop_projection_stops_at_the_recursion_limit_when_the_window_is_large():
    guarded = run_naive_by_hand(
        ChaosProfile("repeat", "x", llm={LLMFault.REPEAT_CALL: 1.0}), recursion_limit=25
    )
    projection = project_loop(guarded.steps, context_window=10**9, recursion_limit=25)
    assert (projection.ends_with, projection.model_calls, projection.tool_calls) == (
        "recursion limit",
        13,
        12,
    )
    assert projection.minutes_at(60.0) == 13.0


def test_the_loop_projection_refuses_runs_it_cannot_extrapolate():
    healthy = run_naive_by_hand(PROFILES["none"])
    with pytest.raises(ValueError, match="does not grow by a constant step"):
        project_loop(healthy.steps)
    with pytest.raises(ValueError, match="need at least 3 successful model steps"):
        project_loop(healthy.steps[:3])


def test_trace_summary_and_error_lines_are_deterministic_text():
    run = run_naive("rate_limit", CASES[0])
    table = run.scratch.table()
    assert "OpenAIRateLimitError: Error code: 429" in table and "run_id" not in table
    assert "ScratchRun(OpenAIRateLimitError" in repr(run.scratch)
    row = summary_row(run, "429 on every request")
    assert (row["ended as"], row["calls"], row["HTTP"], row["virtual s"]) == (
        "OpenAIRateLimitError",
        1,
        3,
        4.0,
    )
    text = render_summary([row])
    assert text.splitlines()[0].startswith("family") and "429 on every request" in text
    assert render_summary([]) == "(no rows)"
    assert error_line(None) == "no exception"
    assert error_line(ValueError("x" * 300)).endswith("…") and len(error_line(ValueError("x" * 300))) == 190
