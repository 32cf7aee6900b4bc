"""What both in-process fakes share: real tool binding, a call log, token usage, thread safety.

``bind_tools`` converts tools to OpenAI schemas and binds them, as ``ChatOpenAI`` does, so the
model knows which tool names exist (the stock LangChain fakes raise NotImplementedError there).
Every call is recorded, faults and errors included, so a lesson can count attempts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

from course_lib.clock import Clock, RealClock
from course_lib.fakes.llm.messages import prompt_tokens

__all__ = ["ModelCall", "RecordingChatModel", "Reply"]


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One call of a fake model: when, what it saw, what it did (answer, fault, or error)."""

    index: int
    at: float  # clock seconds since the model was created (or last reset)
    message_count: int
    tools: tuple[str, ...]
    input_tokens: int
    output_tokens: int
    fault: str | None
    error: str | None  # the exception's class name when the call raised
    finish_reason: str | None


@dataclass(frozen=True, slots=True)
class Reply:
    """A subclass's answer to one call: a message, or an error to raise; and the fault, if any."""

    message: AIMessage | None = None
    error: BaseException | None = None
    fault: str | None = None


class RecordingChatModel(BaseChatModel):
    """Base class: subclasses implement ``_reply``; this class records and returns/raises it."""

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    model_name: str = Field(default="course-fake-1", alias="model")
    clock: Clock = Field(default_factory=RealClock, exclude=True)

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _calls: list[ModelCall] = PrivateAttr(default_factory=list)
    _start: float = PrivateAttr(default=0.0)
    _claimed: int = PrivateAttr(default=0)

    def model_post_init(self, context: Any, /) -> None:
        self._start = self.clock.now()

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tool schemas (OpenAI format) so each call knows which tools exist."""
        schemas = [convert_to_openai_tool(tool) for tool in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=schemas, **kwargs)

    @property
    def calls(self) -> list[ModelCall]:
        """A copy of the call log, oldest first."""
        with self._lock:
            return list(self._calls)

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self._calls)

    @property
    def total_tokens(self) -> int:
        with self._lock:
            return sum(call.input_tokens + call.output_tokens for call in self._calls)

    def reset(self) -> None:
        """Forget the call log and restart the model's time origin (and script position)."""
        with self._lock:
            self._calls.clear()
            self._claimed = 0
            self._start = self.clock.now()
            self._reset_state()

    def _reset_state(self) -> None:
        """Hook for subclasses with more state; called under the lock."""

    def _reply(
        self,
        index: int,
        at: float,
        messages: list[BaseMessage],
        tools: list[dict[str, Any]] | None,
        input_tokens: int,
    ) -> Reply:
        raise NotImplementedError

    def _next_index(self) -> int:
        # Claimed before the call runs, so concurrent calls never share an index.
        with self._lock:
            index = self._claimed
            self._claimed += 1
            return index

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        tools: list[dict[str, Any]] | None = kwargs.get("tools")
        index = self._next_index()
        at = self.clock.now() - self._start
        input_tokens = prompt_tokens(messages, tools)
        try:
            reply = self._reply(index, at, messages, tools, input_tokens)
        except Exception as err:  # a bug in a script callable: record it, then let it propagate
            reply = Reply(error=err)
        message = reply.message
        usage = message.usage_metadata if message is not None else None
        record = ModelCall(
            index=index,
            at=at,
            message_count=len(messages),
            tools=tuple(sorted(str(t.get("function", {}).get("name", "")) for t in tools or ())),
            input_tokens=input_tokens,
            output_tokens=usage["output_tokens"] if usage else 0,
            fault=reply.fault,
            error=type(reply.error).__name__ if reply.error is not None else None,
            finish_reason=message.response_metadata.get("finish_reason") if message is not None else None,
        )
        with self._lock:
            self._calls.append(record)
        if reply.error is not None:
            raise reply.error
        assert message is not None, "a Reply holds a message or an error"
        return ChatResult(generations=[ChatGeneration(message=message)])
