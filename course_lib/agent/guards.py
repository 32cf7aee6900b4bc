"""Loop guards for tool-calling agents: detect loops, refuse identical repeats, cap calls gracefully.

A model that is stuck calls the same tool with the same arguments again and again, or cycles
between two calls (A-B-A-B), and every round costs a model call, a tool call and context. Three
layers stop it, cheapest first:

* ``LoopDetector`` / ``find_loop``: a pure function of the calls so far (no LangChain), used for
  charts, alerts and the notebook exercise. Arguments are normalised first (key order, padding
  whitespace, ``None`` and default values do not make two calls different).
* ``RepeatedCallGuard``: LangChain 1.x middleware that refuses an identical repeated tool call
  *without running it* and answers the model with a ToolMessage telling it to move on, as
  HolmesGPT's ``prevent_overly_repeated_tool_call`` does. It is safe only because the course's
  tools are read-only: repeating a read cannot be needed to change anything.
* ``InvalidToolCallFeedback``: a turn whose tool-call arguments are not JSON gets an error
  ToolMessage and another try, instead of silently ending the run with an empty answer.
* ``call_limits``: ModelCallLimitMiddleware + ToolCallLimitMiddleware configured so a run that
  hits its budget ends with an answer, not an exception (``FinalAnswerOnLastCall`` takes the
  tools away on the last allowed model call, HolmesGPT's "last step" trick).

Public API (stable; the production agent imports it):
``normalise_args``, ``call_signature``, ``Loop``, ``LoopDetector``, ``find_loop``,
``RepeatedCallGuard``, ``REFUSAL_TEMPLATE``, ``is_refusal``, ``InvalidToolCallFeedback``,
``INVALID_CALL_TEMPLATE``, ``FinalAnswerOnLastCall``, ``FINAL_STEP_NOTE``, ``call_limits``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired

from langchain.agents.middleware import (
    AgentMiddleware,
    AgentState,
    ModelCallLimitMiddleware,
    ModelRequest,
    ModelResponse,
    ToolCallLimitMiddleware,
)
from langchain.agents.middleware.types import PrivateStateAttr, hook_config
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.channels.untracked_value import UntrackedValue
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command
from pydantic import BaseModel

__all__ = [
    "FINAL_STEP_NOTE",
    "INVALID_CALL_TEMPLATE",
    "REFUSAL_TEMPLATE",
    "FinalAnswerOnLastCall",
    "InvalidToolCallFeedback",
    "Loop",
    "LoopDetector",
    "RepeatedCallGuard",
    "call_limits",
    "call_signature",
    "find_loop",
    "is_refusal",
    "normalise_args",
]

CallLike = Mapping[str, Any] | tuple[str, Mapping[str, Any] | None]
"""A tool call: a LangChain ``ToolCall`` dict (``name``, ``args``) or a ``(name, args)`` pair."""

_MISSING = object()


# -- pure loop detection --------------------------------------------------------------------------
def _normal_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping):
        return {str(k): _normal_value(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_normal_value(v) for v in value]
    return value


def normalise_args(
    args: Mapping[str, Any] | None, defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Arguments with sorted keys, stripped strings, and no ``None`` or default-valued entries.

    ``{"namespace": "shop ", "tail": 100}`` and ``{"tail": 100, "namespace": "shop"}`` are the
    same call, and with ``defaults={"namespace": "default"}`` so are ``{}`` and
    ``{"namespace": "default"}``: a model that only reorders or pads arguments is still looping.
    """
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise TypeError(f"tool arguments must be a mapping, got {type(args).__name__}")
    defaults = defaults or {}
    out: dict[str, Any] = {}
    for key in sorted(args, key=str):
        value = _normal_value(args[key])
        if value is None or (key in defaults and _normal_value(defaults[key]) == value):
            continue
        out[str(key)] = value
    return out


def _split(call: CallLike) -> tuple[str, Mapping[str, Any] | None]:
    if isinstance(call, tuple):
        if len(call) != 2 or not isinstance(call[0], str):
            raise TypeError(f"a call tuple must be (name, args), got {call!r}")
        return call[0], call[1]
    if isinstance(call, Mapping) and isinstance(call.get("name"), str):
        return call["name"], call.get("args")
    raise TypeError(f"a call must be a (name, args) tuple or a mapping with 'name' and 'args', got {call!r}")


def call_signature(call: CallLike, defaults: Mapping[str, Any] | None = None) -> str:
    """A canonical text for one call, e.g. ``get_pod_logs({"pod_name":"api","tail":50})``."""
    name, args = _split(call)
    body = json.dumps(normalise_args(args, defaults), sort_keys=True, separators=(",", ":"), default=str)
    return f"{name.strip()}({body})"


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop found in a call sequence.

    ``kind`` is "repeat" (one call ``repeats`` times in the window) or "cycle" (the last calls are
    ``pattern`` repeated ``repeats`` times back to back, e.g. A-B-A-B).
    """

    kind: Literal["repeat", "cycle"]
    pattern: tuple[str, ...]
    repeats: int

    def __str__(self) -> str:
        if self.kind == "repeat":
            return f"{self.pattern[0]} called {self.repeats} times"
        return (
            f"cycle of {len(self.pattern)} calls ({' -> '.join(self.pattern)}) repeated {self.repeats} times"
        )


@dataclass(frozen=True, slots=True)
class LoopDetector:
    """Flags a loop in the last ``window`` calls.

    * repeat: the same call (same tool, same normalised arguments) ``max_repeats`` times;
    * cycle: the newest calls are a block of 2 to ``max_period`` calls repeated ``cycle_repeats``
      times in a row (A-B-A-B with the defaults).

    Different arguments are different calls: describing three different pods is not a loop.
    """

    max_repeats: int = 3
    window: int = 10
    cycle_repeats: int = 2
    max_period: int = 3

    def __post_init__(self) -> None:
        if self.max_repeats < 2:
            raise ValueError(f"max_repeats must be >= 2 (one call is never a loop), got {self.max_repeats}")
        if self.cycle_repeats < 2:
            raise ValueError(f"cycle_repeats must be >= 2, got {self.cycle_repeats}")
        if self.max_period < 2:
            raise ValueError(f"max_period must be >= 2, got {self.max_period}")
        if self.window < self.max_repeats:
            raise ValueError(
                f"window ({self.window}) must hold at least max_repeats ({self.max_repeats}) calls"
            )

    def find(
        self, calls: Sequence[CallLike], defaults: Mapping[str, Mapping[str, Any]] | None = None
    ) -> Loop | None:
        """The loop in ``calls`` (oldest first), or None. ``defaults`` maps tool name to its defaults."""
        defaults = defaults or {}
        signatures = [call_signature(c, defaults.get(_split(c)[0])) for c in calls]
        recent = signatures[-self.window :]
        for period in range(2, self.max_period + 1):
            span = period * self.cycle_repeats
            if span > len(recent):
                break
            tail = recent[-span:]
            block = tail[-period:]
            if len(set(block)) > 1 and all(tail[i] == block[i % period] for i in range(span)):
                return Loop("cycle", tuple(block), self.cycle_repeats)
        if recent:
            signature, count = Counter(recent).most_common(1)[0]
            if count >= self.max_repeats:
                return Loop("repeat", (signature,), count)
        return None

    def is_looping(self, calls: Sequence[CallLike]) -> bool:
        return self.find(calls) is not None


def find_loop(calls: Sequence[CallLike], **settings: int) -> Loop | None:
    """``LoopDetector(**settings).find(calls)``: the functional form."""
    return LoopDetector(**settings).find(calls)


# -- the repeated-call guard (middleware) ----------------------------------------------------------
REFUSAL_TEMPLATE = (
    "Refusing to run {signature} again: it already ran {times} in this investigation with "
    "exactly these arguments, and its result is above. Move on: call a different tool, change the "
    "arguments, or answer with what you have."
)
_FAILED_PREFIXES = ("error", "refusing", "tool call limit", "failed")


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def is_refusal(message: BaseMessage) -> bool:
    """True for a ToolMessage written by ``RepeatedCallGuard`` (the call did not run)."""
    return isinstance(message, ToolMessage) and message.text.startswith("Refusing to run ")


def _failed(message: ToolMessage) -> bool:
    """A result that carried no data: an error status, or text that says it failed."""
    return message.status == "error" or message.text.lstrip().lower().startswith(_FAILED_PREFIXES)


def _tool_defaults(tool: Any) -> dict[str, Any]:
    schema = getattr(tool, "args_schema", None)
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return {}
    return {
        name: field.default
        for name, field in schema.model_fields.items()
        if not field.is_required() and field.default_factory is None
    }


def _since_last_question(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    for position in range(len(messages) - 1, -1, -1):
        if isinstance(messages[position], HumanMessage):
            return list(messages[position + 1 :])
    return list(messages)


class RepeatedCallGuard(AgentMiddleware):
    """Refuse an identical repeated tool call; the model gets a ToolMessage telling it to move on.

    Counts earlier calls of the same tool with the same normalised arguments since the latest
    user message (read from the agent state, so one guard serves concurrent runs). A call is
    refused when ``max_identical`` of those returned data, or when more than
    ``retries_after_error`` of them failed (a retry after a transient error is legitimate).
    The refused call never runs; the ToolMessage has ``status="error"`` and starts "Refusing".
    """

    def __init__(self, *, max_identical: int = 1, retries_after_error: int = 2) -> None:
        super().__init__()
        if max_identical < 1:
            raise ValueError(f"max_identical must be >= 1 (0 would refuse every call), got {max_identical}")
        if retries_after_error < 0:
            raise ValueError(f"retries_after_error must be >= 0, got {retries_after_error}")
        self.max_identical = max_identical
        self.retries_after_error = retries_after_error
        self._lock = threading.Lock()
        self._refused: list[str] = []

    @property
    def refused(self) -> list[str]:
        """Signatures of the calls refused so far (all runs), oldest first."""
        with self._lock:
            return list(self._refused)

    def previous_outcomes(self, request: ToolCallRequest) -> tuple[str, int, int, int]:
        """(signature, earlier identical calls that returned data, that failed, of those refused)."""
        call = request.tool_call
        defaults = _tool_defaults(request.tool)
        signature = call_signature(call, defaults)
        state = request.state if isinstance(request.state, Mapping) else {}
        messages = _since_last_question(state.get("messages", []))
        results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
        current = next(
            (
                i
                for i in range(len(messages) - 1, -1, -1)
                if isinstance(messages[i], AIMessage)
                and any(c.get("id") == call.get("id") for c in messages[i].tool_calls)
            ),
            len(messages),
        )
        ok = failed = refused = 0
        for position, message in enumerate(messages[: current + 1]):
            if not isinstance(message, AIMessage):
                continue
            same_turn = position == current
            for earlier in message.tool_calls:
                if same_turn and earlier.get("id") == call.get("id"):
                    break  # later calls in the same turn are not "earlier"
                if call_signature(earlier, defaults) != signature:
                    continue
                result = results.get(earlier.get("id") or "")
                if result is None:
                    ok += same_turn  # a duplicate in the same turn: it is running right now
                elif _failed(result):
                    failed += 1
                    refused += is_refusal(result)
                else:
                    ok += 1
        return signature, ok, failed, refused

    def refusal(self, request: ToolCallRequest) -> ToolMessage | None:
        """The refusal for this call, or None when it may run."""
        signature, ok, failed, refused = self.previous_outcomes(request)
        if ok < self.max_identical and failed <= self.retries_after_error:
            return None
        with self._lock:
            self._refused.append(signature)
        return ToolMessage(
            content=REFUSAL_TEMPLATE.format(signature=signature, times=_times(ok + failed - refused)),
            tool_call_id=request.tool_call.get("id") or "",
            name=request.tool_call.get("name"),
            status="error",
        )

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
    ) -> ToolMessage | Command[Any]:
        return self.refusal(request) or handler(request)

    async def awrap_tool_call(self, request: ToolCallRequest, handler: Any) -> ToolMessage | Command[Any]:
        return self.refusal(request) or await handler(request)


# -- malformed tool calls ------------------------------------------------------------------------
INVALID_CALL_TEMPLATE = (
    "Error: your call to {name!r} was not run because its arguments are not valid JSON ({problem}). "
    'Send the call again with a JSON object of arguments, e.g. {{"namespace": "shop"}}.'
)


def _first_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    problem = next(
        (line for line in lines if "JSONDecodeError" in line), lines[0] if lines else "unparseable"
    )
    return problem.split("JSONDecodeError", 1)[-1].strip()


class InvalidToolCallFeedback(AgentMiddleware):
    """Answer a turn whose only tool calls are unparseable, instead of ending the run on it.

    A tool-calling model whose arguments are not valid JSON produces an AIMessage with
    ``invalid_tool_calls`` and no ``tool_calls``; ``create_agent`` treats that as the final answer
    (an empty one). This is the tool-calling form of ReAct's ``handle_parsing_errors``: each broken
    call gets an error ToolMessage saying what was wrong, and the model is asked again, at most
    ``max_repairs`` times in a row.
    """

    def __init__(self, *, max_repairs: int = 2) -> None:
        super().__init__()
        if max_repairs < 1:
            raise ValueError(f"max_repairs must be >= 1, got {max_repairs}")
        self.max_repairs = max_repairs

    @hook_config(can_jump_to=["model"])
    def after_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        messages = state.get("messages", [])
        last = messages[-1] if messages else None
        if not isinstance(last, AIMessage) or last.tool_calls or not last.invalid_tool_calls:
            return None
        consecutive = 0
        for message in reversed(_since_last_question(messages[:-1])):
            if isinstance(message, AIMessage):
                if message.tool_calls or not message.invalid_tool_calls:
                    break
                consecutive += 1
        if consecutive >= self.max_repairs:
            return None  # give up: the empty answer stands, and a caller can see why
        feedback = [
            ToolMessage(
                content=INVALID_CALL_TEMPLATE.format(
                    name=call.get("name") or "?", problem=_first_line(call.get("error"))
                ),
                tool_call_id=call.get("id") or "",
                name=call.get("name") or "",
                status="error",
            )
            for call in last.invalid_tool_calls
        ]
        return {"messages": feedback, "jump_to": "model"}

    async def aafter_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return self.after_model(state, runtime)


# -- call limits with a graceful final answer ------------------------------------------------------
FINAL_STEP_NOTE = (
    "This is your last step: tools are no longer available. Answer now from the tool results above, "
    "and say plainly what you could not check."
)


class _FinalAnswerState(AgentState):
    final_answer_run_model_calls: NotRequired[Annotated[int, UntrackedValue, PrivateStateAttr]]


class FinalAnswerOnLastCall(AgentMiddleware):
    """On the ``max_model_calls``-th model call of a run, take the tools away and ask for an answer.

    A model without tools can only answer, so a run that reaches its budget ends with a diagnosis
    from the evidence so far instead of "limit exceeded". Pair it with ModelCallLimitMiddleware
    (``call_limits`` does) for a model that ignores the note.
    """

    state_schema = _FinalAnswerState

    def __init__(self, max_model_calls: int, *, note: str = FINAL_STEP_NOTE) -> None:
        super().__init__()
        if max_model_calls < 1:
            raise ValueError(f"max_model_calls must be >= 1, got {max_model_calls}")
        self.max_model_calls = max_model_calls
        self.note = note

    def _final(self, request: ModelRequest) -> ModelRequest:
        if request.state.get("final_answer_run_model_calls", 0) + 1 < self.max_model_calls:
            return request
        system = request.system_prompt
        text = f"{system}\n\n{self.note}" if system else self.note
        return request.override(tools=[], system_message=SystemMessage(text))

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> Any:
        return handler(self._final(request))

    async def awrap_model_call(self, request: ModelRequest, handler: Any) -> Any:
        return await handler(self._final(request))

    def after_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return {"final_answer_run_model_calls": state.get("final_answer_run_model_calls", 0) + 1}


def call_limits(
    max_model_calls: int = 12,
    max_tool_calls: int = 20,
    *,
    per_tool: Mapping[str, int] | None = None,
    final_answer: bool = True,
) -> list[AgentMiddleware]:
    """Middleware that bounds a run and still ends it with an answer, never an exception.

    * ``ToolCallLimitMiddleware(run_limit=max_tool_calls, exit_behavior="continue")``: calls over
      the budget are not run; the model reads "Do not make additional tool calls" and answers.
    * ``per_tool``: the same for single tools (``{"get_pod_logs": 3}``).
    * ``FinalAnswerOnLastCall(max_model_calls)`` (if ``final_answer``): the last call has no tools.
    * ``ModelCallLimitMiddleware(run_limit=max_model_calls, exit_behavior="end")``: the backstop for
      a model that ignores everything; the run ends with "Model call limits exceeded" as its answer.

    ``exit_behavior="error"`` would raise instead, which is right only when a caller above handles it.
    """
    if max_model_calls < 1 or max_tool_calls < 1:
        raise ValueError(
            f"limits must be >= 1, got max_model_calls={max_model_calls}, max_tool_calls={max_tool_calls}"
        )
    middleware: list[AgentMiddleware] = [
        ToolCallLimitMiddleware(run_limit=max_tool_calls, exit_behavior="continue"),
    ]
    for name, limit in (per_tool or {}).items():
        if limit < 1:
            raise ValueError(f"per_tool[{name!r}] must be >= 1, got {limit}")
        middleware.append(ToolCallLimitMiddleware(tool_name=name, run_limit=limit, exit_behavior="continue"))
    if final_answer:
        middleware.append(FinalAnswerOnLastCall(max_model_calls))
    middleware.append(ModelCallLimitMiddleware(run_limit=max_model_calls, exit_behavior="end"))
    return middleware
