"""Step logging for LangChain agents: a callback handler that turns each model and tool call into
a structured event, an in-memory step and (optionally) metrics.

Why a callback and not prints in the tools: callbacks see every step of ``create_agent`` (the
model's token usage and finish reason, each tool's arguments, output size and errors) without
touching the agent's code, and they work the same for the naive and the production agent.
Pass it per run: ``agent.invoke(inputs, config={"callbacks": [StepLogger(events)]})``.

Durations come from the injected clock, so under a VirtualClock they are the virtual time the
fakes spent. Arguments and outputs go through the event logger, which redacts before writing.
One handler can serve concurrent runs (LangGraph runs parallel tool calls in threads); state
is guarded by a lock, and each top-level run gets its own trace id.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from course_lib.clock import Clock
from course_lib.observability.events import EventLogger, get_event_logger
from course_lib.observability.metrics import AgentMetrics
from course_lib.safety.redaction import redact, redact_mapping

__all__ = ["Step", "StepLogger"]


@dataclass(slots=True)
class Step:
    """One model call, tool call or whole run, as the notebook's trace table shows it.

    ``kind`` is "run", "model" or "tool"; ``status`` is "running", "ok" or "error";
    ``started_at``/``ended_at`` are clock readings (seconds). ``detail`` holds the redacted
    specifics: tokens and finish reason for a model, arguments and output size for a tool.
    """

    index: int
    kind: str
    name: str
    run_id: str
    parent_run_id: str | None
    trace_id: str | None
    started_at: float
    ended_at: float | None = None
    status: str = "running"
    error_type: str | None = None
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    def summary(self) -> str:
        """A one-line description of what happened in this step."""
        d = self.detail
        if self.status == "error":
            return f"{self.error_type}: {self.error}"
        if self.kind == "model":
            calls = d.get("tool_calls") or []
            what = f"calls {', '.join(calls)}" if calls else "answers"
            tokens = d.get("total_tokens")
            return what + (f" ({tokens} tok, {d.get('finish_reason')})" if tokens is not None else "")
        if self.kind == "tool":
            return f"{d.get('args')} -> {d.get('output_chars')} chars"
        return str(d.get("question") or "")


def _short(run_id: UUID | None) -> str | None:
    return None if run_id is None else run_id.hex[-16:]  # uuid7: the tail is the random part


def _text_of(value: Any) -> str:
    content = getattr(value, "content", value)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, Mapping) else str(b) for b in content)
    return str(content)


def _question(inputs: Any) -> str | None:
    """The last message's text of an agent's ``{"messages": [...]}`` input, if there is one."""
    messages = inputs.get("messages") if isinstance(inputs, Mapping) else None
    if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
        return None
    last = messages[-1]
    if isinstance(last, tuple) and len(last) == 2:
        return str(last[1])
    if isinstance(last, Mapping):
        return str(last.get("content", ""))
    return _text_of(last)


def _usage(response: LLMResult) -> dict[str, int]:
    """Token usage: the messages' ``usage_metadata`` if present, else ``llm_output['token_usage']``."""
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    found = False
    for generations in response.generations:
        message = getattr(generations[0], "message", None) if generations else None
        usage = getattr(message, "usage_metadata", None)
        if usage:
            found = True
            for key in totals:
                totals[key] += int(usage.get(key, 0) or 0)
    if not found:
        raw = (response.llm_output or {}).get("token_usage") or (response.llm_output or {}).get("usage") or {}
        if raw:
            found = True
            totals["input_tokens"] = int(raw.get("prompt_tokens", raw.get("input_tokens", 0)) or 0)
            totals["output_tokens"] = int(raw.get("completion_tokens", raw.get("output_tokens", 0)) or 0)
            totals["total_tokens"] = int(raw.get("total_tokens", 0) or 0)
    if found and not totals["total_tokens"]:
        totals["total_tokens"] = totals["input_tokens"] + totals["output_tokens"]
    return totals if found else {}


class StepLogger(BaseCallbackHandler):
    """Logs agent steps as events, keeps them as :class:`Step` objects, and feeds metrics.

    events:
        Where events go (default: a new ``EventLogger`` on "course_lib.agent" with ``clock``).
    metrics:
        If given, model calls, tool calls, runs and tokens are recorded there too. Leave it None
        when the agent's middleware already records them, or they are counted twice.
    agent:
        The agent label for events and metrics ("naive", "production").
    log_runs:
        Emit ``run_start``/``run_end`` for each top-level invocation. Turn off when the agent
        logs its own run events (with richer fields).
    raise_error:
        LangChain's switch: if False (default) a bug in this handler is logged as a warning by
        LangChain and the agent carries on; tests set True so such bugs fail loudly.
    """

    run_inline = True  # async runs call it in the event loop thread: steps stay in order

    def __init__(
        self,
        events: EventLogger | None = None,
        *,
        metrics: AgentMetrics | None = None,
        agent: str = "agent",
        clock: Clock | None = None,
        log_runs: bool = True,
        raise_error: bool = False,
    ) -> None:
        if events is None:
            events = get_event_logger(clock=clock)
        self.events = events
        self.clock: Clock = clock if clock is not None else events.clock
        self.metrics = metrics
        self.agent = agent
        self.log_runs = log_runs
        self.raise_error = raise_error
        self._lock = threading.Lock()
        self._steps: list[Step] = []
        self._open: dict[UUID, Step] = {}
        self._root_of: dict[UUID, UUID] = {}
        self._step_parent: dict[UUID, UUID | None] = {}  # nearest ancestor that is a step
        self._trace_of_root: dict[UUID, str | None] = {}
        self._chain_names: dict[UUID, str] = {}
        self._reported_errors: dict[UUID, set[int]] = {}

    # ---------------------------------------------------------------- bookkeeping
    @property
    def steps(self) -> list[Step]:
        """A copy of every step so far, in start order."""
        with self._lock:
            return list(self._steps)

    def clear(self) -> None:
        with self._lock:
            self._steps.clear()

    def _register(self, run_id: UUID, parent_run_id: UUID | None) -> tuple[UUID, str | None]:
        """Remember where a run sits; returns its root run and that root's trace id."""
        if parent_run_id is None or parent_run_id not in self._root_of:
            root = run_id
            if root not in self._trace_of_root:
                self._trace_of_root[root] = self.events.resolve_trace_id() or self.events.ids.trace_id()
                self._reported_errors[root] = set()
        else:
            root = self._root_of[parent_run_id]
        self._root_of[run_id] = root
        if parent_run_id is None:
            self._step_parent[run_id] = None
        elif parent_run_id in self._open:
            self._step_parent[run_id] = parent_run_id
        else:
            self._step_parent[run_id] = self._step_parent.get(parent_run_id)
        return root, self._trace_of_root[root]

    def _start(self, kind: str, name: str, run_id: UUID, parent_run_id: UUID | None, **detail: Any) -> Step:
        with self._lock:
            _, trace_id = self._register(run_id, parent_run_id)
            parent_step = self._step_parent.get(run_id)
            step = Step(
                index=len(self._steps) + 1,
                kind=kind,
                name=name,
                run_id=run_id.hex,
                parent_run_id=parent_step.hex if parent_step is not None else None,
                trace_id=trace_id,
                started_at=self.clock.now(),
                detail=redact_mapping(detail),
            )
            self._steps.append(step)
            self._open[run_id] = step
        return step

    def _finish(
        self, run_id: UUID, status: str, error: BaseException | None = None, **detail: Any
    ) -> tuple[Step | None, float]:
        with self._lock:
            step = self._open.pop(run_id, None)
            if step is None:
                return None, 0.0
            step.ended_at = self.clock.now()
            step.status = status
            if error is not None:
                step.error_type, step.error = type(error).__name__, redact(str(error))
            step.detail.update(redact_mapping(detail))
            return step, step.ended_at - step.started_at

    def _ids(self, step: Step) -> dict[str, Any]:
        return {
            "trace_id": step.trace_id,
            "span_id": step.run_id[-16:],
            "parent_span_id": step.parent_run_id[-16:] if step.parent_run_id else None,
        }

    def _forget_root(self, root: UUID) -> None:
        with self._lock:
            for run in [r for r, rt in self._root_of.items() if rt == root]:
                self._root_of.pop(run, None)
                self._step_parent.pop(run, None)
                self._chain_names.pop(run, None)
            self._trace_of_root.pop(root, None)
            self._reported_errors.pop(root, None)

    # ---------------------------------------------------------------- runs (chains)
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: dict[str, Any] | Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "chain"
        if parent_run_id is None and self.log_runs:
            step = self._start("run", self.agent, run_id, None, question=_question(inputs), graph=name)
            self.events.run_start(agent=self.agent, question=step.detail.get("question"), **self._ids(step))
        else:
            with self._lock:
                self._register(run_id, parent_run_id)
        with self._lock:
            self._chain_names[run_id] = str(name)

    def on_chain_end(
        self, outputs: dict[str, Any] | Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        if parent_run_id is not None:
            return
        answer = _question(outputs)  # the last message of the final state is the answer
        step, seconds = self._finish(run_id, "ok", answer_chars=len(answer) if answer is not None else None)
        if step is not None:
            self.events.run_end(
                agent=self.agent,
                outcome="success",
                duration_s=round(seconds, 6),
                steps=self._count_steps(step.trace_id),
                answer_chars=step.detail.get("answer_chars"),
                **self._ids(step),
            )
            if self.metrics is not None:
                self.metrics.record_run(self.agent, "success", seconds)
        self._forget_root(run_id)

    def on_chain_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        with self._lock:
            root = self._root_of.get(run_id, run_id)
            reported = self._reported_errors.setdefault(root, set())
            first = id(error) not in reported
            reported.add(id(error))
            chain = self._chain_names.get(run_id, "chain")
            trace_id = self._trace_of_root.get(root)
        if first:  # the same exception bubbles through every enclosing chain: log it once
            self.events.chain_error(chain=chain, error=error, trace_id=trace_id, span_id=_short(run_id))
        if parent_run_id is None:
            step, seconds = self._finish(run_id, "error", error)
            if step is not None:
                self.events.run_end(
                    agent=self.agent,
                    outcome="error",
                    duration_s=round(seconds, 6),
                    steps=self._count_steps(step.trace_id),
                    error=error,
                    **self._ids(step),
                )
                if self.metrics is not None:
                    self.metrics.record_run(self.agent, "error", seconds)
            self._forget_root(run_id)

    def _count_steps(self, trace_id: str | None) -> int:
        with self._lock:
            return sum(1 for s in self._steps if s.trace_id == trace_id and s.kind != "run")

    # ---------------------------------------------------------------- model calls
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._model_start(serialized, sum(len(m) for m in messages), run_id, parent_run_id, metadata, kwargs)

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._model_start(serialized, len(prompts), run_id, parent_run_id, metadata, kwargs)

    def _model_start(
        self,
        serialized: Mapping[str, Any] | None,
        message_count: int,
        run_id: UUID,
        parent_run_id: UUID | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
        params = kwargs.get("invocation_params") or {}
        model = (
            (metadata or {}).get("ls_model_name")
            or params.get("model")
            or params.get("model_name")
            or kwargs.get("name")
            or (serialized or {}).get("name")
            or params.get("_type")
            or "model"
        )
        step = self._start("model", str(model), run_id, parent_run_id, message_count=message_count)
        self.events.model_start(model=step.name, message_count=message_count, **self._ids(step))

    def on_llm_end(
        self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        first = response.generations[0][0] if response.generations and response.generations[0] else None
        message = getattr(first, "message", None)
        meta: Mapping[str, Any] = getattr(message, "response_metadata", None) or {}
        finish = (getattr(first, "generation_info", None) or {}).get("finish_reason") or meta.get(
            "finish_reason"
        )
        tool_calls = [str(c.get("name")) for c in getattr(message, "tool_calls", None) or []]
        usage = _usage(response)
        step, seconds = self._finish(
            run_id,
            "ok",
            finish_reason=finish,
            tool_calls=tool_calls,
            output_chars=len(_text_of(message)),
            **usage,
        )
        if step is None:
            return
        self.events.model_call(
            model=step.name,
            status="ok",
            duration_s=round(seconds, 6),
            input_tokens=usage.get("input_tokens"),
            output_tokens=usage.get("output_tokens"),
            finish_reason=finish,
            tool_calls=tool_calls,
            message_count=step.detail.get("message_count"),
            **self._ids(step),
        )
        if self.metrics is not None:
            self.metrics.record_llm_call(self.agent, "ok", seconds)
            if usage:
                self.metrics.record_tokens(
                    input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"]
                )

    def on_llm_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        step, seconds = self._finish(run_id, "error", error)
        if step is None:
            return
        self.events.model_call(
            model=step.name, status="error", duration_s=round(seconds, 6), error=error, **self._ids(step)
        )
        if self.metrics is not None:
            self.metrics.record_llm_call(self.agent, "error", seconds)

    # ---------------------------------------------------------------- tool calls
    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "tool")
        args: Any = inputs if inputs is not None else input_str
        step = self._start(
            "tool", name, run_id, parent_run_id, args=args, tool_call_id=kwargs.get("tool_call_id")
        )
        self.events.tool_start(tool=name, args=step.detail["args"], **self._ids(step))

    def on_tool_end(
        self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        # A tool that handles its own error returns a ToolMessage with status="error".
        failed = getattr(output, "status", None) == "error"
        text = _text_of(output)
        step, seconds = self._finish(run_id, "error" if failed else "ok", output_chars=len(text))
        if step is None:
            return
        if failed:
            step.error_type, step.error = "ToolError", redact(text[:500])
        self.events.tool_call(
            tool=step.name,
            status=step.status,
            duration_s=round(seconds, 6),
            args=step.detail.get("args"),
            output_chars=len(text),
            error=step.error if failed else None,
            tool_call_id=step.detail.get("tool_call_id"),
            **self._ids(step),
        )
        if self.metrics is not None:
            self.metrics.record_tool_call(step.name, step.status, seconds)

    def on_tool_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        step, seconds = self._finish(run_id, "error", error)
        if step is None:
            return
        self.events.tool_call(
            tool=step.name,
            status="error",
            duration_s=round(seconds, 6),
            args=step.detail.get("args"),
            error=error,
            tool_call_id=step.detail.get("tool_call_id"),
            **self._ids(step),
        )
        if self.metrics is not None:
            self.metrics.record_tool_call(step.name, "error", seconds)

    # ---------------------------------------------------------------- presentation
    def rows(self) -> list[dict[str, Any]]:
        """The steps as plain dicts (for JSON, or a DataFrame if you have pandas)."""
        return [
            {
                "#": s.index,
                "kind": s.kind,
                "name": s.name,
                "start_s": round(s.started_at, 6),
                "duration_s": None if s.duration is None else round(s.duration, 6),
                "status": s.status,
                "summary": s.summary(),
            }
            for s in self.steps
        ]

    def table(self, *, width: int = 60) -> str:
        """A fixed-width trace table: one line per step, times relative to the first step."""
        steps = self.steps
        if not steps:
            return "(no steps recorded)"
        t0 = steps[0].started_at
        lines = [f"{'#':>3}  {'start':>8}  {'took':>8}  {'kind':<5}  {'name':<20}  {'status':<7}  what"]
        for s in steps:
            took = "…" if s.duration is None else f"{s.duration:.3f}s"
            what = s.summary()
            what = what if len(what) <= width else what[: width - 1] + "…"
            lines.append(
                f"{s.index:>3}  {s.started_at - t0:>7.3f}s  {took:>8}  {s.kind:<5}  {s.name[:20]:<20}  {s.status:<7}  {what}"
            )
        return "\n".join(lines)
