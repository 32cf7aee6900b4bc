"""The policy's pieces: question parsing, kubectl text parsing, retries on tool errors, transcripts."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.fakes.llm.completion import Answer, CallTool
from course_lib.fakes.llm.kubectl_text import error_line, parse_describe, parse_pod_table
from course_lib.fakes.llm.policy import NO_TOOLS_ANSWER, DiagnosisPolicy, question_namespace, question_pod
from course_lib.fakes.llm.transcript import (
    MalformedConversationError,
    Step,
    ToolCall,
    Transcript,
    transcript_from_openai,
)

from .samples import OOM_DESCRIBE, SAMPLES

TOOLS = frozenset({"list_pods", "get_pod_status", "describe_pod", "get_pod_logs", "get_events"})
OOM = SAMPLES["oom"]


@pytest.mark.parametrize(
    ("question", "namespace", "pod"),
    [
        ("Why is the checkout pod in namespace shop not running?", "shop", "checkout"),
        ("What is wrong with the web pod in the shop namespace?", "shop", "web"),
        ("kubectl -n data: why won't the postgres-0 pod start?", "data", "postgres-0"),
        ("Is pod named api-1 ok?", "default", "api-1"),
        ("Why does the frontend in namespace shop return errors?", "shop", "frontend"),
        ("Is my pod healthy?", "default", None),
    ],
)
def test_question_parsing(question: str, namespace: str, pod: str | None) -> None:
    assert (question_namespace(question), question_pod(question)) == (namespace, pod)


def test_pod_table_and_describe_parsing() -> None:
    rows = parse_pod_table(OOM.pods)
    assert [(r.name, r.status, r.restarts, r.healthy) for r in rows] == [
        ("checkout-6f7d8c9b5-x2x7q", "CrashLoopBackOff", 5, False),
        ("cart-77c-1", "Running", 0, True),
    ]
    assert parse_pod_table("No resources found in shop namespace.") == []
    described = parse_describe(OOM_DESCRIBE)
    assert described.memory_limit == "100Mi" and described.status == "Running"
    assert [(s.kind, s.reason, s.exit_code) for s in described.states] == [
        ("State", "CrashLoopBackOff", None),
        ("Last State", "OOMKilled", 137),
    ]
    assert [e.reason for e in described.events] == ["Pulled", "BackOff"]


def test_error_line_prefers_the_last_error() -> None:
    assert error_line("ok\nERROR db refused\nshutting down\n") == "ERROR db refused"
    assert error_line("just\nlines\n") == "lines" and error_line("") is None


def step(name: str, result: str | None, **args: object) -> Step:
    return Step(ToolCall(f"c{name}{len(args)}", name, dict(args)), result)


def test_transient_tool_errors_are_retried_then_worked_around() -> None:
    policy = DiagnosisPolicy(max_attempts=2)
    refused = "Error: The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"
    once = Transcript(OOM.question, (step("list_pods", refused, namespace="shop"),), TOOLS)
    assert policy.decide(once) == CallTool("list_pods", {"namespace": "shop"})
    twice = Transcript(OOM.question, once.steps * 2, TOOLS)
    decision = policy.decide(twice)  # gave up on the list: describe the named pod directly
    assert decision == CallTool("describe_pod", {"pod_name": "checkout", "namespace": "shop"})


def test_a_permanent_error_is_not_retried() -> None:
    policy = DiagnosisPolicy()
    gone = 'Error from server (NotFound): pods "checkout-6f7d8c9b5-x2x7q" not found'
    listed = step("list_pods", OOM.pods, namespace="shop")
    described = step("describe_pod", gone, pod_name="checkout-6f7d8c9b5-x2x7q", namespace="shop")
    decision = policy.decide(Transcript(OOM.question, (listed, described), TOOLS))
    assert decision == CallTool("get_events", {"namespace": "shop", "pod_name": "checkout-6f7d8c9b5-x2x7q"})


def test_a_stop_message_makes_it_answer_with_what_it_has() -> None:
    limit = "Tool call limit exceeded. Do not make additional tool calls."
    decision = DiagnosisPolicy().decide(
        Transcript(OOM.question, (step("list_pods", limit, namespace="shop"),), TOOLS)
    )
    assert isinstance(decision, Answer) and "could not" in decision.text


def test_without_tools_it_says_so() -> None:
    assert DiagnosisPolicy().decide(Transcript(OOM.question, (), None)) == Answer(NO_TOOLS_ANSWER)


@given(st.text(max_size=300), st.lists(st.text(max_size=200), max_size=6))
def test_the_policy_is_total_and_deterministic(question: str, results: list[str]) -> None:
    steps = tuple(
        step("list_pods" if i % 2 else "describe_pod", r, namespace="x", pod_name="p")
        for i, r in enumerate(results)
    )
    transcript = Transcript(question, steps, TOOLS)
    first = DiagnosisPolicy().decide(transcript)
    assert first == DiagnosisPolicy().decide(transcript)
    assert isinstance(first, Answer | CallTool)
    if isinstance(first, CallTool):
        assert first.name in TOOLS


def test_bad_policy_settings() -> None:
    with pytest.raises(ValueError, match="max_attempts must be >= 1"):
        DiagnosisPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="log_tail must be >= 1"):
        DiagnosisPolicy(log_tail=0)


def test_openai_transcripts_pair_calls_with_results_and_reject_nonsense() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "why?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "a",
                    "type": "function",
                    "function": {"name": "list_pods", "arguments": '{"namespace":"x"}'},
                },
                {"id": "b", "type": "function", "function": {"name": "describe_pod", "arguments": "{oops"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "NAME ..."},
    ]
    transcript = transcript_from_openai(messages, [{"type": "function", "function": {"name": "list_pods"}}])
    assert transcript.question == "why?" and transcript.tools == frozenset({"list_pods"})
    assert [(s.call.name, s.call.args, s.result) for s in transcript.steps] == [
        ("list_pods", {"namespace": "x"}, "NAME ..."),
        ("describe_pod", None, None),
    ]
    with pytest.raises(MalformedConversationError, match="non-empty array"):
        transcript_from_openai([])
    with pytest.raises(MalformedConversationError, match="tool_calls entries need a 'function' object"):
        transcript_from_openai([{"role": "assistant", "tool_calls": [{"id": "x"}]}])
    with pytest.raises(MalformedConversationError, match="content must be text"):
        transcript_from_openai([{"role": "user", "content": 42}])


def test_the_server_modules_do_not_import_langchain() -> None:
    code = (
        "import sys, course_lib.fakes.llm.server, course_lib.fakes.llm_server_cli;"
        "bad = [m for m in sys.modules if m.startswith(('langchain', 'openai'))]; print(bad); assert not bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
