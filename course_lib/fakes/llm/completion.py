"""What the fake model decides, and the assistant turn it emits, in OpenAI's wire format.

A *decision* is the policy's intent (call this tool / give this answer). A *completion* is what
the model actually emits, after model-side faults may have bent it: raw JSON argument text
(which can be invalid), a finish reason, content. Both fakes render completions through
``openai_message``, so the in-process model parses exactly what the server would send.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from course_lib.fakes.llm.transcript import estimate_tokens

__all__ = [
    "Answer",
    "CallTool",
    "Completion",
    "Decision",
    "FinishReason",
    "RawToolCall",
    "chat_completion_json",
    "completion_from_decision",
    "completion_tokens",
    "openai_message",
]

FinishReason = Literal["stop", "tool_calls", "length"]


@dataclass(frozen=True, slots=True)
class CallTool:
    """The policy wants to call tool ``name`` with ``args``."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Answer:
    """The policy is done: ``text`` is the final answer."""

    text: str


Decision = CallTool | Answer


@dataclass(frozen=True, slots=True)
class RawToolCall:
    """A tool call as emitted on the wire: ``arguments`` is JSON text, possibly invalid."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Completion:
    """One assistant turn: text, tool calls, why generation stopped, and the fault that shaped it."""

    content: str = ""
    tool_calls: tuple[RawToolCall, ...] = ()
    finish_reason: FinishReason = "stop"
    fault: str | None = None


def completion_from_decision(decision: Decision, call_id: str) -> Completion:
    """The faultless completion for ``decision``; ``call_id`` names its tool call."""
    if isinstance(decision, CallTool):
        arguments = json.dumps(dict(decision.args), separators=(",", ":"))
        return Completion(
            tool_calls=(RawToolCall(call_id, decision.name, arguments),), finish_reason="tool_calls"
        )
    return Completion(content=decision.text, finish_reason="stop")


def completion_tokens(completion: Completion) -> int:
    """Approximate number of tokens the model generated for ``completion``."""
    text = completion.content + "".join(call.name + call.arguments for call in completion.tool_calls)
    return max(1, estimate_tokens(text))


def openai_message(completion: Completion) -> dict[str, Any]:
    """The ``choices[0].message`` object of a Chat Completions response."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": completion.content or None,
        "refusal": None,
    }
    if completion.tool_calls:
        message["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call in completion.tool_calls
        ]
    return message


def chat_completion_json(
    completion: Completion,
    *,
    completion_id: str,
    model: str,
    created: int,
    prompt_tokens: int,
) -> dict[str, Any]:
    """A complete, non-streaming ``chat.completion`` object as OpenAI's API returns it."""
    generated = completion_tokens(completion)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": openai_message(completion),
                "logprobs": None,
                "finish_reason": completion.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": generated,
            "total_tokens": prompt_tokens + generated,
        },
        "system_fingerprint": "fp_course_fake",
    }
