"""LangChain messages in and out of the provider-neutral forms (transcript, completion).

``ai_message`` parses a completion with the very parser ``ChatOpenAI`` uses, so a malformed
tool call lands in ``invalid_tool_calls`` in process exactly as it does over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    convert_to_openai_messages,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call

from course_lib.fakes.llm.completion import Completion, completion_tokens, openai_message
from course_lib.fakes.llm.transcript import Step, ToolCall, Transcript, message_text, prompt_tokens_openai

__all__ = ["ai_message", "prompt_tokens", "tool_names", "transcript_from_messages", "usage_metadata"]


def tool_names(tools: Sequence[Mapping[str, Any]] | None) -> frozenset[str] | None:
    """Names of OpenAI-format tool schemas, or None when no tools are bound."""
    if tools is None:
        return None
    return frozenset(str((tool.get("function") or {}).get("name", "")) for tool in tools)


def transcript_from_messages(
    messages: Sequence[BaseMessage], tools: Sequence[Mapping[str, Any]] | None = None
) -> Transcript:
    """The latest human question and every tool call (valid or not) made since, with results."""
    question = ""
    calls: list[ToolCall] = []
    results: dict[str, str] = {}
    for message in messages:
        if isinstance(message, HumanMessage):
            question, calls, results = message_text(message.content), [], {}
        elif isinstance(message, AIMessage):
            calls.extend(
                ToolCall(str(c.get("id") or ""), c["name"], dict(c["args"])) for c in message.tool_calls
            )
            calls.extend(
                ToolCall(str(c.get("id") or ""), str(c.get("name") or ""), None)
                for c in message.invalid_tool_calls
            )
        elif isinstance(message, ToolMessage):
            results[message.tool_call_id] = message_text(message.content)
    return Transcript(question, tuple(Step(call, results.get(call.id)) for call in calls), tool_names(tools))


def prompt_tokens(messages: Sequence[BaseMessage], tools: Sequence[Mapping[str, Any]] | None = None) -> int:
    """Approximate prompt tokens, counted exactly as the chaos server counts them."""
    return prompt_tokens_openai(convert_to_openai_messages(list(messages)), tools)


def usage_metadata(input_tokens: int, output_tokens: int) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=input_tokens + output_tokens
    )


def ai_message(completion: Completion, *, input_tokens: int, model_name: str) -> AIMessage:
    """The AIMessage ``ChatOpenAI`` would build from this completion, with usage and metadata."""
    raw = openai_message(completion)
    tool_calls: list[Any] = []
    invalid: list[Any] = []
    for raw_call in raw.get("tool_calls") or ():
        try:
            tool_calls.append(parse_tool_call(raw_call, return_id=True))
        except Exception as err:  # parse_tool_call raises OutputParserException; keep it, as ChatOpenAI does
            invalid.append(make_invalid_tool_call(raw_call, str(err)))
    output_tokens = completion_tokens(completion)
    metadata: dict[str, Any] = {
        "finish_reason": completion.finish_reason,
        "model_name": model_name,
        "model_provider": "openai",
        "token_usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }
    if completion.fault is not None:
        metadata["course_fault"] = completion.fault
    return AIMessage(
        content=raw["content"] or "",
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(input_tokens, output_tokens),
        response_metadata=metadata,
    )
