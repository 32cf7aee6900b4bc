"""Model-side faults bend a completion; ai_message parses the result exactly as ChatOpenAI does."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from course_lib.fakes.chaos import LLMFault
from course_lib.fakes.llm.completion import Answer, CallTool, Completion, completion_from_decision
from course_lib.fakes.llm.faults import HTTP_FAULTS, MODEL_FAULTS, PLAIN_TEXT_REPLY, apply_model_fault
from course_lib.fakes.llm.messages import ai_message
from course_lib.fakes.llm.transcript import Step, ToolCall, Transcript

TOOLS = frozenset({"list_pods", "describe_pod", "get_pod_logs"})
CALL = completion_from_decision(
    CallTool("describe_pod", {"pod_name": "api-1", "namespace": "shop"}), "call_1"
)
ANSWER = completion_from_decision(Answer("OOMKilled: the container exceeded its memory limit."), "unused")
EMPTY = Transcript("why?", (), TOOLS)
AFTER_ONE = Transcript("why?", (Step(ToolCall("c0", "list_pods", {"namespace": "shop"}), "NAME ..."),), TOOLS)

names = st.sampled_from(["list_pods", "describe_pod", "get_pod_logs", "get_events"])
values = st.one_of(st.text(max_size=20), st.integers(-5, 500), st.booleans())
args = st.dictionaries(st.sampled_from(["namespace", "pod_name", "tail", "previous"]), values, max_size=4)


def parsed(completion: Completion) -> object:
    return ai_message(completion, input_tokens=10, model_name="m")


def test_the_fault_lists_cover_every_llm_fault_exactly_once() -> None:
    assert frozenset(LLMFault) == HTTP_FAULTS | MODEL_FAULTS and not HTTP_FAULTS & MODEL_FAULTS


def test_malformed_arguments_become_invalid_tool_calls() -> None:
    bent = apply_model_fault(CALL, LLMFault.MALFORMED_TOOL_CALL, EMPTY)
    message = parsed(bent)
    assert message.tool_calls == [] and len(message.invalid_tool_calls) == 1  # type: ignore[attr-defined]
    assert "not valid JSON" in (message.invalid_tool_calls[0]["error"] or "")  # type: ignore[attr-defined]
    assert bent.fault == "malformed_tool_call"


def test_unknown_tool_names_a_tool_that_is_not_bound() -> None:
    bent = apply_model_fault(CALL, LLMFault.UNKNOWN_TOOL, EMPTY)
    assert bent.tool_calls[0].name == "kubectl_describe" and bent.tool_calls[0].name not in TOOLS
    clash = Transcript("why?", (), TOOLS | {"kubectl_describe"})
    assert apply_model_fault(CALL, LLMFault.UNKNOWN_TOOL, clash).tool_calls[0].name == "kubectl_describe_v2"


def test_wrong_argument_types_are_valid_json_of_the_wrong_types() -> None:
    bent = apply_model_fault(CALL, LLMFault.WRONG_ARGUMENT_TYPES, EMPTY)
    assert json.loads(bent.tool_calls[0].arguments) == {"pod_name": ["api-1"], "namespace": ["shop"]}


def test_truncation_sets_finish_reason_length_for_both_kinds_of_turn() -> None:
    call = apply_model_fault(CALL, LLMFault.TRUNCATED, EMPTY)
    answer = apply_model_fault(ANSWER, LLMFault.TRUNCATED, EMPTY)
    assert call.finish_reason == answer.finish_reason == "length"
    assert parsed(call).invalid_tool_calls  # type: ignore[attr-defined]
    assert len(answer.content) < len(ANSWER.content) and ANSWER.content.startswith(answer.content)
    assert parsed(answer).response_metadata["finish_reason"] == "length"  # type: ignore[attr-defined]


def test_repeat_call_re_emits_the_previous_call() -> None:
    bent = apply_model_fault(CALL, LLMFault.REPEAT_CALL, AFTER_ONE)
    assert (bent.tool_calls[0].name, json.loads(bent.tool_calls[0].arguments)) == (
        "list_pods",
        {"namespace": "shop"},
    )
    assert apply_model_fault(CALL, LLMFault.REPEAT_CALL, EMPTY) == CALL  # nothing to repeat yet


def test_plain_text_replaces_the_tool_call_with_prose() -> None:
    bent = apply_model_fault(CALL, LLMFault.PLAIN_TEXT, EMPTY)
    assert bent.tool_calls == () and bent.content == PLAIN_TEXT_REPLY and "Action:" not in bent.content


def test_tool_call_faults_leave_a_final_answer_alone() -> None:
    for fault in MODEL_FAULTS - {LLMFault.TRUNCATED}:
        assert apply_model_fault(ANSWER, fault, AFTER_ONE) == ANSWER


@given(names, args, st.sampled_from(sorted(HTTP_FAULTS | {None}, key=str)))
def test_no_fault_and_http_faults_never_change_a_completion(
    name: str, arguments: dict, fault: object
) -> None:
    completion = completion_from_decision(CallTool(name, arguments), "c")
    assert apply_model_fault(completion, fault, EMPTY) == completion  # type: ignore[arg-type]


@given(names, args)
def test_a_faultless_call_round_trips_through_the_parser(name: str, arguments: dict) -> None:
    message = parsed(completion_from_decision(CallTool(name, arguments), "c"))
    assert message.tool_calls == [{"name": name, "args": arguments, "id": "c", "type": "tool_call"}]  # type: ignore[attr-defined]


@given(names, args.filter(bool))
def test_malformed_arguments_never_parse(name: str, arguments: dict) -> None:
    bent = apply_model_fault(
        completion_from_decision(CallTool(name, arguments), "c"), LLMFault.MALFORMED_TOOL_CALL, EMPTY
    )
    message = parsed(bent)
    assert message.tool_calls == [] and len(message.invalid_tool_calls) == 1  # type: ignore[attr-defined]


@given(names, args)
def test_wrong_types_always_parse_but_change_every_value(name: str, arguments: dict) -> None:
    bent = apply_model_fault(
        completion_from_decision(CallTool(name, arguments), "c"), LLMFault.WRONG_ARGUMENT_TYPES, EMPTY
    )
    changed = json.loads(bent.tool_calls[0].arguments)
    assert changed and all(type(changed[k]) is not type(v) for k, v in arguments.items())
