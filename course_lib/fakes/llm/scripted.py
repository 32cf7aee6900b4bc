"""A chat model that plays a script: the precise tool for one lesson's failure, step by step.

Script items are served in order, one per call:

* an ``AIMessage`` (with or without tool calls) is returned, as a fresh copy each time;
* a ``str`` becomes an ``AIMessage`` with that text;
* an exception (e.g. ``rate_limit_error(retry_after_ms=50)``) is raised;
* a callable ``f(messages) -> item`` decides from the conversation, and its result is served.

When the script runs out the last item repeats (``when_exhausted="repeat"``, the default, which
is how a model stuck in a loop is scripted) or ``ScriptExhaustedError`` is raised (``"error"``).
Repeats get fresh message and tool-call ids: LangGraph's ``add_messages`` would otherwise
*replace* the earlier message with the same id instead of appending.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import Field, PrivateAttr, field_validator

from course_lib.fakes.llm.base import RecordingChatModel, Reply
from course_lib.fakes.llm.completion import Completion, completion_tokens
from course_lib.fakes.llm.messages import usage_metadata

__all__ = ["ScriptExhaustedError", "ScriptItem", "ScriptedChatModel"]

ScriptItem = AIMessage | str | BaseException | Callable[[list[BaseMessage]], Any]


class ScriptExhaustedError(RuntimeError):
    """The model was called more times than its script has items (with ``when_exhausted="error"``)."""


def _output_tokens(message: AIMessage) -> int:
    text = message.text + "".join(call["name"] + str(call["args"]) for call in message.tool_calls)
    return completion_tokens(Completion(content=text))


class ScriptedChatModel(RecordingChatModel):
    """Serves ``script`` one item per call; see the module docstring for the item kinds."""

    script: list[Any] = Field(min_length=1)
    when_exhausted: Literal["repeat", "error"] = "repeat"

    _position: int = PrivateAttr(default=0)

    @field_validator("script")
    @classmethod
    def _check_items(cls, script: list[Any]) -> list[Any]:
        for position, item in enumerate(script):
            if not isinstance(item, AIMessage | str | BaseException) and not callable(item):
                raise TypeError(
                    f"script[{position}] must be an AIMessage, a str, an exception or a callable, "
                    f"got {type(item).__name__}"
                )
        return script

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    @property
    def position(self) -> int:
        """How many script items have been served so far."""
        with self._lock:
            return self._position

    def _reset_state(self) -> None:
        self._position = 0

    def _take(self) -> tuple[Any, bool]:
        """The next item and whether it was served before (a repeat)."""
        with self._lock:
            position = self._position
            self._position += 1
        if position >= len(self.script):
            if self.when_exhausted == "error":
                raise ScriptExhaustedError(
                    f"script has {len(self.script)} items but the model was called {position + 1} times"
                )
            return self.script[-1], True
        return self.script[position], False

    def _reply(
        self,
        index: int,
        at: float,
        messages: list[BaseMessage],
        tools: list[dict[str, Any]] | None,
        input_tokens: int,
    ) -> Reply:
        item, repeated = self._take()
        if callable(item) and not isinstance(item, BaseException | AIMessage):
            item = item(list(messages))
        if isinstance(item, BaseException):
            return Reply(error=item)
        if isinstance(item, str):
            item = AIMessage(content=item)
        if not isinstance(item, AIMessage):
            raise TypeError(
                f"a script callable must return an AIMessage, str or exception, got {type(item).__name__}"
            )
        message = item.model_copy(deep=True)
        if repeated:
            message.id = None
            message.tool_calls = [
                {**call, "id": f"{call.get('id') or 'call'}_r{index}"} for call in message.tool_calls
            ]
        if message.usage_metadata is None:
            message.usage_metadata = usage_metadata(input_tokens, _output_tokens(message))
        metadata = dict(message.response_metadata)
        metadata.setdefault("finish_reason", "tool_calls" if message.tool_calls else "stop")
        metadata.setdefault("model_name", self.model_name)
        message.response_metadata = metadata
        return Reply(message=message)
