"""ScriptedChatModel: serves its script, works with create_agent, records calls and usage."""

from __future__ import annotations

import openai
import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import ValidationError

from course_lib.clock import VirtualClock
from course_lib.fakes.llm import ScriptedChatModel, ScriptExhaustedError, rate_limit_error


@tool
def list_pods(namespace: str = "default") -> str:
    """List pods."""
    return f"NAME   READY   STATUS\napi-1  0/1     CrashLoopBackOff   ({namespace})"


def call(name: str, call_id: str, **args: object) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}])


def test_tool_calls_flow_through_create_agent_and_usage_is_reported() -> None:
    model = ScriptedChatModel(script=[call("list_pods", "c1", namespace="shop"), "Diagnosis: api-1 crashes."])
    result = create_agent(model, [list_pods]).invoke({"messages": [("user", "why?")]})
    messages = result["messages"]
    assert [type(m).__name__ for m in messages] == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert isinstance(messages[2], ToolMessage) and "(shop)" in messages[2].content
    assert messages[-1].content == "Diagnosis: api-1 crashes."
    usage = messages[-1].usage_metadata
    assert (
        usage is not None
        and usage["input_tokens"] > 0
        and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    )
    assert [c.tools for c in model.calls] == [("list_pods",), ("list_pods",)]
    assert [c.finish_reason for c in model.calls] == ["tool_calls", "stop"]
    assert model.calls[1].input_tokens > model.calls[0].input_tokens  # the conversation grew
    assert model.total_tokens == sum(c.input_tokens + c.output_tokens for c in model.calls)


def test_exceptions_are_raised_and_recorded() -> None:
    model = ScriptedChatModel(script=[rate_limit_error(retry_after_ms=50), "recovered"])
    with pytest.raises(openai.RateLimitError):
        model.invoke("hi")
    assert model.invoke("hi").content == "recovered"
    assert [c.error for c in model.calls] == ["OpenAIRateLimitError", None]


def test_callable_items_decide_from_the_messages() -> None:
    def echo(messages: list[BaseMessage]) -> str:
        return f"saw {len(messages)} message(s): {messages[-1].content}"

    model = ScriptedChatModel(script=[echo])
    assert model.invoke("ping").content == "saw 1 message(s): ping"


def test_the_last_item_repeats_with_fresh_ids_so_a_loop_really_loops() -> None:
    model = ScriptedChatModel(script=[call("list_pods", "c1")])
    agent = create_agent(model, [list_pods])
    with pytest.raises(Exception, match="Recursion limit"):
        agent.invoke({"messages": [("user", "loop")]}, config={"recursion_limit": 7})
    assert model.call_count >= 3
    replies = [model.invoke("x") for _ in range(3)]
    tool_ids = [r.tool_calls[0]["id"] for r in replies]
    assert len(set(tool_ids)) == 3 and len({r.id for r in replies}) == 3


def test_exhausted_script_can_be_an_error() -> None:
    model = ScriptedChatModel(script=["only"], when_exhausted="error")
    model.invoke("a")
    with pytest.raises(ScriptExhaustedError, match="script has 1 items but the model was called 2 times"):
        model.invoke("b")


def test_reset_rewinds_the_script_and_clears_the_log() -> None:
    clock = VirtualClock()
    model = ScriptedChatModel(script=["one", "two"], clock=clock)
    model.invoke("a")
    clock.advance(5)
    model.reset()
    assert model.call_count == 0 and model.position == 0
    assert model.invoke("a").content == "one" and model.calls[0].at == 0.0


def test_returned_messages_are_copies() -> None:
    item = AIMessage("same")
    model = ScriptedChatModel(script=[item, item])
    first, second = model.invoke("a"), model.invoke("b")
    assert first is not item and second is not item and first.id != second.id


def test_bad_scripts_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ScriptedChatModel(script=[])
    with pytest.raises(
        TypeError, match=r"script\[1\] must be an AIMessage, a str, an exception or a callable"
    ):
        ScriptedChatModel(script=["ok", 42])


def test_a_callable_returning_junk_is_reported() -> None:
    model = ScriptedChatModel(script=[lambda messages: 42])
    with pytest.raises(TypeError, match="must return an AIMessage, str or exception, got int"):
        model.invoke("x")
    assert model.calls[0].error == "TypeError"
