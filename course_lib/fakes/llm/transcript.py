"""A provider-neutral view of a conversation: the question, and each tool call with its result.

The diagnosis policy decides from this view alone, so the in-process model (LangChain messages)
and the chaos server (OpenAI JSON messages) feed it the same thing and answer identically.
This module imports nothing from LangChain, so the server and the CLI start fast.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MalformedConversationError",
    "Step",
    "ToolCall",
    "Transcript",
    "estimate_tokens",
    "message_text",
    "prompt_tokens_openai",
    "transcript_from_openai",
]

# A rough, deterministic tokenizer stand-in: English prose and kubectl output average about
# four characters per token with OpenAI's tokenizers. Good enough to trip a context window.
CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4  # role markers and separators, as in OpenAI's own accounting


class MalformedConversationError(ValueError):
    """The messages do not form a chat conversation (a client bug, answered with HTTP 400)."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model made. ``args`` is None when its arguments were not valid JSON."""

    id: str
    name: str
    args: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class Step:
    """A tool call and the text the tool returned (None while no result has come back)."""

    call: ToolCall
    result: str | None


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the model can see: the latest user question, the tool work since, and the tool names."""

    question: str
    steps: tuple[Step, ...] = ()
    tools: frozenset[str] | None = None  # None: the caller bound no tools (plain-text mode)

    def results_for(self, name: str, **args: Any) -> list[str]:
        """Results of every completed call of ``name`` whose arguments include ``args``."""
        return [
            step.result
            for step in self.steps
            if step.result is not None
            and step.call.name == name
            and step.call.args is not None
            and all(step.call.args.get(k) == v for k, v in args.items())
        ]


def estimate_tokens(text: str) -> int:
    """Approximate token count of ``text`` (ceil of characters / 4)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def message_text(content: Any) -> str:
    """The text of a message content: a string, or a list of content blocks / parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, Mapping) and isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "".join(parts)
    raise MalformedConversationError(f"message content must be text or a list of parts, got {content!r}")


def _parse_arguments(raw: Any) -> Mapping[str, Any] | None:
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str):
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def transcript_from_openai(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None
) -> Transcript:
    """Build a transcript from Chat Completions ``messages`` (and the request's ``tools``)."""
    if not isinstance(messages, Sequence) or isinstance(messages, str | bytes) or not messages:
        raise MalformedConversationError("'messages' must be a non-empty array")
    question = ""
    calls: list[ToolCall] = []
    results: dict[str, str] = {}
    for position, message in enumerate(messages):
        if not isinstance(message, Mapping) or "role" not in message:
            raise MalformedConversationError(f"messages[{position}] must be an object with a 'role'")
        role = message["role"]
        if role == "user":
            question, calls, results = message_text(message.get("content")), [], {}
        elif role == "assistant":
            for raw in message.get("tool_calls") or ():
                function = raw.get("function") if isinstance(raw, Mapping) else None
                if not isinstance(function, Mapping):
                    raise MalformedConversationError(
                        f"messages[{position}].tool_calls entries need a 'function' object"
                    )
                calls.append(
                    ToolCall(
                        id=str(raw.get("id", "")),
                        name=str(function.get("name", "")),
                        args=_parse_arguments(function.get("arguments")),
                    )
                )
        elif role == "tool":
            results[str(message.get("tool_call_id", ""))] = message_text(message.get("content"))
    steps = tuple(Step(call, results.get(call.id)) for call in calls)
    names = None
    if tools:
        names = frozenset(
            str((tool.get("function") or {}).get("name", "")) for tool in tools if isinstance(tool, Mapping)
        )
    return Transcript(question=question, steps=steps, tools=names)


def prompt_tokens_openai(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None
) -> int:
    """Approximate prompt size of a Chat Completions request, tool schemas included."""
    total = 0
    for message in messages:
        text = message_text(message.get("content"))
        for raw in message.get("tool_calls") or ():
            text += json.dumps(raw, sort_keys=True)
        total += MESSAGE_OVERHEAD_TOKENS + estimate_tokens(text)
    if tools:
        total += estimate_tokens(json.dumps(list(tools), sort_keys=True))
    return total
