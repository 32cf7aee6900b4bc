"""Notebook 05's checkers on the reference solutions, the untouched starters and realistic wrong answers."""

import pytest
from langchain_core.messages import trim_messages

from course_lib.agent.context import count_tokens, trim_history
from course_lib.checks.nb05 import conversation, ex1, ex2, sample_log
from course_lib.tools import approx_tokens, cap_output


def solution(exercise, name):
    namespace: dict = {"count_tokens": count_tokens, "approx_tokens": approx_tokens}
    exec(exercise.solution_code, namespace)
    return namespace[name]


def starter(*_args):
    raise NotImplementedError


# -- ex1: trim_to_budget -----------------------------------------------------------------------------
def test_ex1_reference_and_the_library_are_correct():
    assert ex1.check(solution(ex1, "trim_to_budget")).ok
    assert ex1.check(trim_history).ok


def test_ex1_untouched_starter_is_not_attempted():
    assert ex1.check(starter).status == "not attempted"


def test_the_sample_conversation_is_big_enough_to_need_trimming():
    assert count_tokens(conversation()) > 8_000


def per_message(messages, max_tokens):  # trim_messages without start_on: can orphan a ToolMessage
    head = messages[:2]
    return head + trim_messages(
        messages[2:], max_tokens=max_tokens - count_tokens(head), token_counter=count_tokens
    )


def last_k_messages(messages, max_tokens):
    return messages[:2] + messages[-4:]


def oldest_first(messages, max_tokens):
    exchanges = []
    for message in messages[2:]:
        if message.type == "ai":
            exchanges.append([message])
        else:
            exchanges[-1].append(message)
    kept = list(messages[:2])
    for exchange in exchanges:
        if count_tokens(kept + exchange) > max_tokens:
            break
        kept += exchange
    return kept


def drops_the_question(messages, max_tokens):
    return trim_history(messages, max_tokens)[2:] or messages[:1]


def one_exchange_too_few(messages, max_tokens):
    kept = trim_history(messages, max_tokens)
    body = kept[2:]
    if body and count_tokens(messages) > max_tokens:
        drop = 1 + next((i for i, m in enumerate(body[1:]) if m.type == "ai"), len(body) - 1)
        return kept[:2] + body[drop:]
    return kept


def keeps_ai_drops_a_result(messages, max_tokens):
    kept = trim_history(messages, max_tokens)
    results = [i for i, m in enumerate(kept) if m.type == "tool"]
    return kept if not results else kept[: results[-1]] + kept[results[-1] + 1 :]


def mutates(messages, max_tokens):
    del messages[3:]
    return trim_history(messages, max_tokens)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (per_message, "orphan"),
        (last_k_messages, "the newest whole exchanges that fit are"),
        (lambda messages, max_tokens: list(messages), "over the budget"),
        (oldest_first, "kept the oldest exchanges"),
        (drops_the_question, "keep the system prompt and the question"),
        (one_exchange_too_few, "the newest whole exchanges that fit are"),
        (keeps_ai_drops_a_result, "dropped one of its results"),
        (mutates, "changed the conversation"),
        (lambda messages, max_tokens: tuple(messages), "should return a list"),
        ("trim", "should be a function"),
    ],
)
def test_ex1_wrong_answers_get_a_specific_sentence(answer, expected):
    verdict = ex1.check(answer)
    assert verdict.status == "wrong"
    assert expected in verdict.message, verdict.message


# -- ex2: keep_newest_lines ----------------------------------------------------------------------------
def test_ex2_reference_and_the_library_are_correct():
    assert ex2.check(solution(ex2, "keep_newest_lines")).ok
    assert ex2.check(lambda text, max_tokens: cap_output(text, max_tokens, keep="tail")).ok


def test_ex2_untouched_starter_is_not_attempted():
    assert ex2.check(starter).status == "not attempted"


def keeps_head(text, max_tokens):
    return cap_output(text, max_tokens, keep="head")


def char_slice(text, max_tokens):
    return text if approx_tokens(text) <= max_tokens else "[cut]\n" + text[-(max_tokens * 4 - 8) :]


def no_marker(text, max_tokens):
    return text if approx_tokens(text) <= max_tokens else cap_output(text, max_tokens).split("\n", 1)[1]


def wrong_count(text, max_tokens):
    capped = solution(ex2, "keep_newest_lines")(text, max_tokens)
    return capped if capped == text else "[... some older lines cut ...]\n" + capped.split("\n", 1)[1]


def chars_as_tokens(text, max_tokens):
    return solution(ex2, "keep_newest_lines")(text, max_tokens // 4 + 20)


def always_marks(text, max_tokens):
    return (
        "[... 0 older lines cut ...]\n" + text
        if approx_tokens(text) <= max_tokens
        else cap_output(text, max_tokens)
    )


def over_budget(text, max_tokens):
    return solution(ex2, "keep_newest_lines")(text, max_tokens * 2)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (keeps_head, "keep the newest lines"),
        (char_slice, "keep whole lines"),
        (no_marker, "start with a marker line"),
        (wrong_count, "how many lines were cut"),
        (chars_as_tokens, "a token is about 4 characters"),
        (always_marks, "must come back unchanged"),
        (over_budget, "over the budget"),
        (lambda text, max_tokens: text.splitlines(), "must come back unchanged"),
        (3, "should be a function"),
    ],
)
def test_ex2_wrong_answers_get_a_specific_sentence(answer, expected):
    verdict = ex2.check(answer)
    assert verdict.status == "wrong"
    assert expected in verdict.message, verdict.message


def test_the_sample_log_ends_with_the_crash():
    assert sample_log(5).endswith("KeyError: 'PAYMENT_URL'\n") and approx_tokens(sample_log()) > 20_000
