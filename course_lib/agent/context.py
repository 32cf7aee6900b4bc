"""Token budgeting for agents: count, cap tool outputs, trim history, recover from an overflow.

Every model call resends the whole conversation, so one large ``kubectl logs`` result is paid for
again on every later turn, and a window of the last *k messages* does not bound *tokens*: ten
messages holding big tool outputs still overflow. This module bounds tokens:

* ``count_tokens`` / ``message_tokens``: an approximation, ceil(characters / 4) per message plus 4
  tokens of overhead, over the text and the tool calls as the Chat Completions API sends them.
  It is the rule the course's fake provider uses (so a budget and the fake context window agree)
  and within about 20 % of OpenAI's tokenizers for English and kubectl text: keep a margin.
* ``TruncateToolOutputs``: middleware that caps every tool result (keeps the newest log lines,
  says what it cut; reuses ``course_lib.tools.cap_output``).
* ``trim_history`` / ``TrimHistory``: the newest messages that fit a token budget, built on
  ``langchain_core.messages.trim_messages``, always keeping the system prompt and the latest
  question, and never splitting an AI tool call from its ToolMessages.
* ``TokenMeter`` and ``token_growth``: prompt tokens per model call, for charts.
* ``is_context_overflow`` / ``ContextOverflowRecovery``: on ``context_length_exceeded``, shrink the
  request (cap tool outputs, trim) and retry once; a second overflow is raised.
* ``context_budget``: the pieces above as one middleware list for an agent.

Public API (stable; the production agent imports it): ``CHARS_PER_TOKEN``,
``MESSAGE_OVERHEAD_TOKENS``, ``message_tokens``, ``count_tokens``, ``tools_tokens``,
``request_tokens``, ``token_growth``,
``ContextBudgetError``, ``truncate_tool_message``, ``trim_history``, ``shrink_to_fit``,
``is_context_overflow``, ``overflow_window``, ``TruncateToolOutputs``, ``TrimHistory``,
``TokenMeter``, ``ContextOverflowRecovery``, ``context_budget``, ``DEFAULT_KEEP``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.exceptions import ContextOverflowError
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_openai_messages,
    trim_messages,
)
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from course_lib.tools.truncation import approx_tokens, cap_output

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_KEEP",
    "MESSAGE_OVERHEAD_TOKENS",
    "ContextBudgetError",
    "ContextOverflowRecovery",
    "TokenMeter",
    "TrimHistory",
    "TruncateToolOutputs",
    "context_budget",
    "count_tokens",
    "is_context_overflow",
    "message_tokens",
    "overflow_window",
    "request_tokens",
    "shrink_to_fit",
    "token_growth",
    "tools_tokens",
    "trim_history",
    "truncate_tool_message",
]

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4  # role markers and separators, as in OpenAI's own accounting

Keep = Literal["head", "tail"]
DEFAULT_KEEP: Mapping[str, Keep] = {"get_pod_logs": "tail", "get_events": "tail"}
"""Which end of a tool's output matters: the newest lines of logs and events; the head otherwise."""


class ContextBudgetError(ValueError):
    """The messages that must stay (system prompt and latest question) alone exceed the budget."""


# -- counting ------------------------------------------------------------------------------------
def message_tokens(message: BaseMessage) -> int:
    """Approximate tokens of one message as sent: text plus tool calls, plus the overhead."""
    raw = convert_to_openai_messages(message)
    content = raw.get("content")
    if isinstance(content, list):
        text = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    else:
        text = content or ""
    for call in raw.get("tool_calls") or ():
        text += json.dumps(call, sort_keys=True)
    return MESSAGE_OVERHEAD_TOKENS + approx_tokens(text)


def count_tokens(messages: Sequence[BaseMessage]) -> int:
    """Approximate prompt tokens of ``messages`` (additive: the sum over the messages)."""
    return sum(message_tokens(m) for m in messages)


def token_growth(messages: Sequence[BaseMessage]) -> list[int]:
    """Prompt tokens each model call of a finished transcript was sent, oldest first.

    The call that produced the AIMessage at position *i* saw ``messages[:i]``, so the growth per
    turn is plain to see: every tool result is paid for again on every later call.
    """
    sizes: list[int] = []
    total = 0
    for message in messages:
        if isinstance(message, AIMessage):
            sizes.append(total)
        total += message_tokens(message)
    return sizes


# -- truncating tool outputs -----------------------------------------------------------------------
def truncate_tool_message(message: ToolMessage, max_tokens: int, keep: Keep = "tail") -> ToolMessage:
    """``message`` with its text capped at about ``max_tokens`` (whole lines, a marker says what was cut)."""
    text = message.text
    capped = cap_output(text, max_tokens, keep=keep)
    if capped == text:
        return message
    return message.model_copy(update={"content": capped})


class TruncateToolOutputs(AgentMiddleware):
    """Cap every tool result at ``max_tokens`` before the model (and every later call) pays for it.

    ``keep`` maps a tool name to the end worth keeping ("tail" for logs and events, whose newest
    lines matter; "head" for everything else). The marker line tells the model what was cut.
    """

    def __init__(self, max_tokens: int = 1500, *, keep: Mapping[str, Keep] | None = None) -> None:
        super().__init__()
        if max_tokens < 50:
            raise ValueError(f"max_tokens must be >= 50 (room for the truncation marker), got {max_tokens}")
        self.max_tokens = max_tokens
        self.keep = dict(DEFAULT_KEEP if keep is None else keep)
        self._lock = threading.Lock()
        self.truncated = 0

    def _cap(self, result: ToolMessage | Command[Any]) -> ToolMessage | Command[Any]:
        if not isinstance(result, ToolMessage):
            return result
        capped = truncate_tool_message(result, self.max_tokens, self.keep.get(result.name or "", "head"))
        if capped is not result:
            with self._lock:
                self.truncated += 1
        return capped

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
    ) -> ToolMessage | Command[Any]:
        return self._cap(handler(request))

    async def awrap_tool_call(self, request: ToolCallRequest, handler: Any) -> ToolMessage | Command[Any]:
        return self._cap(await handler(request))


# -- trimming history ------------------------------------------------------------------------------
def _suffix(messages: list[BaseMessage], max_tokens: int, start_on: Sequence[str]) -> list[BaseMessage]:
    if not messages or max_tokens <= 0:
        return []
    return trim_messages(
        messages,
        max_tokens=max_tokens,
        token_counter=count_tokens,
        strategy="last",
        start_on=list(start_on),
        allow_partial=False,
    )


def trim_history(
    messages: Sequence[BaseMessage], max_tokens: int, *, token_counter: Callable[..., int] = count_tokens
) -> list[BaseMessage]:
    """The newest messages that fit in ``max_tokens``, as a valid conversation.

    Leading system messages and the latest HumanMessage (the question being worked on) always
    stay. After them come the newest whole exchanges: the kept part never starts with a
    ToolMessage whose AI tool call was dropped. Older turns are added only if the current one
    fits whole. Raises ``ContextBudgetError`` if the pinned messages alone do not fit.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    messages = list(messages)
    leading = 0
    while leading < len(messages) and isinstance(messages[leading], SystemMessage):
        leading += 1
    system, rest = messages[:leading], messages[leading:]
    question_at = next((i for i in range(len(rest) - 1, -1, -1) if isinstance(rest[i], HumanMessage)), None)
    question = [rest[question_at]] if question_at is not None else []
    budget = max_tokens - token_counter(system + question)
    if budget < 0:
        raise ContextBudgetError(
            f"the system prompt and the latest question need {token_counter(system + question)} tokens, "
            f"more than the whole budget of {max_tokens}"
        )
    if question_at is None:
        return system + _suffix(rest, budget, ("human", "ai"))
    current = rest[question_at + 1 :]
    kept_current = _suffix(current, budget, ("ai",))
    older: list[BaseMessage] = []
    if len(kept_current) == len(current):
        older = _suffix(rest[:question_at], budget - token_counter(kept_current), ("human",))
    return system + older + question + kept_current


def shrink_to_fit(
    messages: Sequence[BaseMessage], max_tokens: int, *, tool_share: float = 0.25
) -> list[BaseMessage]:
    """Cap each tool output at ``tool_share`` of the budget (newest lines kept), then trim to fit.

    Capping first keeps the evidence: trimming alone would drop a huge tool result entirely, and
    a model that no longer sees it simply calls the tool again.
    """
    if not 0 < tool_share <= 1:
        raise ValueError(f"tool_share must be in (0, 1], got {tool_share}")
    cap = max(50, int(max_tokens * tool_share))
    capped = [
        truncate_tool_message(m, cap, DEFAULT_KEEP.get(m.name or "", "tail"))
        if isinstance(m, ToolMessage)
        else m
        for m in messages
    ]
    return trim_history(capped, max_tokens)


def tools_tokens(tools: Sequence[Any]) -> int:
    """Approximate tokens of the tool schemas a request carries (sent with every call)."""
    if not tools:
        return 0
    schemas = [convert_to_openai_tool(t) for t in tools]
    return approx_tokens(json.dumps(schemas, sort_keys=True))


def request_tokens(request: ModelRequest) -> int:
    """Approximate prompt tokens of a model request: system prompt, messages and tool schemas."""
    system = [request.system_message] if request.system_message is not None else []
    return count_tokens([*system, *request.messages]) + tools_tokens(request.tools)


def _fixed_tokens(request: ModelRequest) -> int:
    system = count_tokens([request.system_message]) if request.system_message is not None else 0
    return system + tools_tokens(request.tools)


class TrimHistory(AgentMiddleware):
    """Send the model only the newest messages that fit ``max_tokens`` (system prompt and tool
    schemas included, so ``max_tokens`` compares directly with the model's context window).

    The agent's state keeps the whole history; only the request is trimmed, so nothing is lost
    for logs or a later summary. Put it after ``TruncateToolOutputs`` in the middleware list.
    """

    def __init__(self, max_tokens: int) -> None:
        super().__init__()
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        self.max_tokens = max_tokens

    def _trim(self, request: ModelRequest) -> ModelRequest:
        if request_tokens(request) <= self.max_tokens:
            return request
        return request.override(
            messages=trim_history(request.messages, self.max_tokens - _fixed_tokens(request))
        )

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> Any:
        return handler(self._trim(request))

    async def awrap_model_call(self, request: ModelRequest, handler: Any) -> Any:
        return await handler(self._trim(request))


class TokenMeter(AgentMiddleware):
    """Records the prompt tokens of every model request that passes through it (thread-safe).

    Place it last in the middleware list to measure what the model is really sent.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._sizes: list[int] = []

    @property
    def per_call(self) -> list[int]:
        with self._lock:
            return list(self._sizes)

    def reset(self) -> None:
        with self._lock:
            self._sizes.clear()

    def _record(self, request: ModelRequest) -> None:
        with self._lock:
            self._sizes.append(request_tokens(request))

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> Any:
        self._record(request)
        return handler(request)

    async def awrap_model_call(self, request: ModelRequest, handler: Any) -> Any:
        self._record(request)
        return await handler(request)


# -- context_length_exceeded -----------------------------------------------------------------------
_WINDOW = re.compile(r"maximum context length is (\d[\d,]*) tokens")


def is_context_overflow(err: BaseException) -> bool:
    """True for a provider's "prompt too long" error (``context_length_exceeded``).

    It is a 400: retrying the same request can never succeed, only a smaller one can.
    """
    if isinstance(err, ContextOverflowError):
        return True
    code = getattr(err, "code", None)
    body = getattr(err, "body", None)
    if isinstance(body, Mapping):
        code = code or body.get("code")
    return code == "context_length_exceeded"


def overflow_window(err: BaseException) -> int | None:
    """The context window the error message names ("maximum context length is N tokens"), if any."""
    match = _WINDOW.search(str(err))
    return int(match[1].replace(",", "")) if match else None


class ContextOverflowRecovery(AgentMiddleware):
    """On ``context_length_exceeded``: shrink the request to fit and retry once; never more.

    The target is ``margin`` times the window named in the error (or ``fallback_fraction`` of what
    was sent when the error names none). A second overflow is raised: something else is wrong.
    ``recoveries`` counts the retries, for logs and tests.
    """

    def __init__(self, *, margin: float = 0.8, fallback_fraction: float = 0.5) -> None:
        super().__init__()
        if not 0 < margin <= 1 or not 0 < fallback_fraction < 1:
            raise ValueError(
                f"margin must be in (0, 1] and fallback_fraction in (0, 1), got {margin}, {fallback_fraction}"
            )
        self.margin = margin
        self.fallback_fraction = fallback_fraction
        self._lock = threading.Lock()
        self.recoveries = 0

    def shrunk(self, request: ModelRequest, err: BaseException) -> ModelRequest:
        """The request cut down to fit the window the error reports."""
        window = overflow_window(err)
        target = (
            int(window * self.margin) if window else int(request_tokens(request) * self.fallback_fraction)
        )
        return request.override(
            messages=shrink_to_fit(request.messages, max(1, target - _fixed_tokens(request)))
        )

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> Any:
        try:
            return handler(request)
        except Exception as err:
            if not is_context_overflow(err):
                raise
            smaller = self.shrunk(request, err)
        with self._lock:
            self.recoveries += 1
        return handler(smaller)

    async def awrap_model_call(self, request: ModelRequest, handler: Any) -> Any:
        try:
            return await handler(request)
        except Exception as err:
            if not is_context_overflow(err):
                raise
            smaller = self.shrunk(request, err)
        with self._lock:
            self.recoveries += 1
        return await handler(smaller)


def context_budget(
    max_tokens: int,
    *,
    tool_output_tokens: int = 1500,
    keep: Mapping[str, Keep] | None = None,
    summarizer: Any = None,
) -> list[AgentMiddleware]:
    """The token budget as middleware, outermost first.

    ``ContextOverflowRecovery`` (a last resort), optionally ``SummarizationMiddleware(summarizer)``
    (summarises old turns at 80 % of the budget, keeps the newest half), ``TrimHistory(max_tokens)``
    and ``TruncateToolOutputs(tool_output_tokens)``. ``max_tokens`` should leave room below the
    model's window for the tool schemas and the answer.
    """
    if tool_output_tokens * 2 > max_tokens:
        raise ValueError(
            f"tool_output_tokens ({tool_output_tokens}) must be at most half of max_tokens ({max_tokens}): "
            "otherwise one tool result crowds out the rest of the conversation"
        )
    middleware: list[AgentMiddleware] = [ContextOverflowRecovery()]
    if summarizer is not None:
        from langchain.agents.middleware import SummarizationMiddleware

        middleware.append(
            SummarizationMiddleware(
                summarizer,
                trigger=("tokens", int(max_tokens * 0.8)),
                keep=("tokens", max_tokens // 2),
                token_counter=count_tokens,
            )
        )
    middleware += [TrimHistory(max_tokens), TruncateToolOutputs(tool_output_tokens, keep=keep)]
    return middleware
