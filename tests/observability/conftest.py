"""Shared fixtures for the observability tests: a virtual clock, an event logger with an
in-memory sink, and a scripted tool-calling chat model for real ``create_agent`` runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from course_lib.clock import VirtualClock
from course_lib.observability.events import EventLogger, IdGenerator, MemorySink, get_event_logger


class ScriptedChatModel(BaseChatModel):
    """Replies from a script (AIMessage or Exception items), one per call, in order.

    Each call takes ``latency`` seconds of virtual time, so durations are exact. A fresh copy
    of each message is returned (LangGraph replaces messages that share an id).
    """

    script: list[Any]
    clock: Any = None
    latency: float = 0.5
    calls: int = 0
    model: str = "scripted-model"

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.calls >= len(self.script):
            raise AssertionError(f"script exhausted after {self.calls} calls")
        item = self.script[self.calls]
        self.calls += 1
        if self.clock is not None:
            self.clock.advance(self.latency)
        if isinstance(item, BaseException):
            raise item
        return ChatResult(generations=[ChatGeneration(message=item.model_copy(deep=True))])

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> ScriptedChatModel:
        return self


def tool_call(
    name: str, args: dict[str, Any], call_id: str, *, tokens: tuple[int, int] = (10, 5)
) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}],
        usage_metadata={"input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": sum(tokens)},
        response_metadata={"finish_reason": "tool_calls"},
    )


def answer(text: str, *, tokens: tuple[int, int] = (30, 7)) -> AIMessage:
    return AIMessage(
        content=text,
        usage_metadata={"input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": sum(tokens)},
        response_metadata={"finish_reason": "stop"},
    )


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def events(clock: VirtualClock, sink: MemorySink) -> EventLogger:
    return get_event_logger("course_lib.test", clock=clock, sink=sink, ids=IdGenerator(7))
