"""Structured events: one JSON object per line, each with a trace id, clock time and no secrets.

Why structured: "retry 2 after 1.5 s" in prose has to be parsed back with a regex before it can
be counted; ``{"event": "retry", "attempt": 2, "delay_s": 1.5}`` can be filtered, counted and
charted as it is. Why a trace id: one agent run makes many model and tool calls, interleaved
with other runs in the same log; the id ties them back together.

Built on the stdlib ``logging`` module, so it composes with whatever logging an application
already has: :class:`EventLogger` makes ordinary ``LogRecord`` objects, hands them to its own
sinks (e.g. a :class:`MemorySink` for a notebook) and also propagates them to the stdlib logger
of the same name. :class:`JsonFormatter` turns any record, an event or a plain
``logger.info("...")``, into one JSON line, and it runs every value through
:func:`course_lib.safety.redaction.redact_mapping` and truncates long strings before writing.

Time comes from the injected clock: ``ts`` is ``clock.wall_time()`` (ISO 8601, UTC, aware;
never ``datetime.utcnow()``, seed errata 27) and ``t`` is ``clock.now()`` in seconds, which is
what charts and durations use. Ids come from an injected :class:`IdGenerator`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import math
import random
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any, Protocol
from uuid import UUID

from course_lib.clock import Clock, RealClock
from course_lib.safety.redaction import redact_mapping

__all__ = [
    "BREAKER_TRANSITION",
    "CHAIN_ERROR",
    "FALLBACK_STEP",
    "GIVE_UP",
    "MODEL_CALL",
    "MODEL_START",
    "RESERVED_FIELDS",
    "RETRY",
    "RUN_END",
    "RUN_START",
    "TOOL_CALL",
    "TOOL_START",
    "EventLogger",
    "IdGenerator",
    "JsonFormatter",
    "MemorySink",
    "Span",
    "TraceContext",
    "TraceContextFilter",
    "current_trace",
    "current_trace_id",
    "get_event_logger",
    "json_handler",
    "to_jsonable",
    "trace",
    "truncate_text",
]

# The course's event vocabulary (the ``event`` field).
RUN_START = "run_start"
RUN_END = "run_end"
MODEL_START = "model_start"
MODEL_CALL = "model_call"
TOOL_START = "tool_start"
TOOL_CALL = "tool_call"
RETRY = "retry"
GIVE_UP = "give_up"
BREAKER_TRANSITION = "breaker_transition"
FALLBACK_STEP = "fallback_step"
CHAIN_ERROR = "chain_error"

RESERVED_FIELDS = frozenset(
    {"ts", "t", "level", "logger", "event", "trace_id", "span_id", "parent_span_id", "message"}
)
DEFAULT_MAX_FIELD_CHARS = 2000
_EVENT_NAME = re.compile(r"[a-z][a-z0-9_.]*")
_OK_OUTCOMES = frozenset({"ok", "success"})

# A library adds a NullHandler to its top logger (logging HOWTO, "Configuring Logging for a
# Library"), so that events never reach Python's last-resort stderr handler unasked.
logging.getLogger("course_lib").addHandler(logging.NullHandler())


# --------------------------------------------------------------------------------------- ids
class IdGenerator:
    """Trace and span ids (W3C sizes: 32 and 16 hex digits) from an injectable random source.

    ``IdGenerator(seed=1)`` gives the same ids every run, so notebook outputs and tests are
    stable; ``IdGenerator()`` draws its seed from the OS. Thread-safe.
    """

    def __init__(self, seed: int | None = None, *, rng: random.Random | None = None) -> None:
        if seed is not None and rng is not None:
            raise ValueError("pass either seed or rng, not both")
        self._rng = rng if rng is not None else random.Random(seed)
        self._lock = threading.Lock()

    def _hex(self, bits: int) -> str:
        with self._lock:
            value = self._rng.getrandbits(bits)
        return f"{value or 1:0{bits // 4}x}"  # all-zero ids are invalid in W3C trace context

    def trace_id(self) -> str:
        return self._hex(128)

    def span_id(self) -> str:
        return self._hex(64)


_DEFAULT_IDS = IdGenerator()


# ------------------------------------------------------------------------------ trace context
@dataclass(frozen=True, slots=True)
class TraceContext:
    """The trace (and span, if any) that events emitted here belong to."""

    trace_id: str
    span_id: str | None = None
    parent_span_id: str | None = None


_CURRENT: ContextVar[TraceContext | None] = ContextVar("course_lib_trace", default=None)


def current_trace() -> TraceContext | None:
    """The trace context of this thread or task, or None outside any trace."""
    return _CURRENT.get()


def current_trace_id() -> str | None:
    ctx = _CURRENT.get()
    return ctx.trace_id if ctx is not None else None


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


@contextmanager
def trace(trace_id: str | None = None, *, ids: IdGenerator | None = None) -> Iterator[TraceContext]:
    """Make ``trace_id`` (or a new one) current for the ``with`` block, in this context only.

    A ``ContextVar`` rather than a global: two runs in two threads or two asyncio tasks each see
    their own id. Threads started inside the block do not inherit it (use
    ``contextvars.copy_context().run`` or bind the id to the logger).
    """
    tid = _check_id(trace_id, "trace_id") if trace_id is not None else (ids or _DEFAULT_IDS).trace_id()
    token = _CURRENT.set(TraceContext(tid))
    try:
        yield _CURRENT.get() or TraceContext(tid)
    finally:
        _CURRENT.reset(token)


# ------------------------------------------------------------------------- value conversion
def truncate_text(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters plus a marker saying how much was dropped."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}…[TRUNCATED {len(text) - max_chars} of {len(text)} chars]"


def to_jsonable(value: Any, *, _depth: int = 0) -> Any:
    """A JSON-native copy of ``value``: dicts, lists, str, int, float, bool, None.

    Datetimes become ISO strings, enums their value, exceptions ``"Type: message"``, dataclasses
    dicts, non-finite floats strings (JSON has no NaN); anything else its ``str()``.
    """
    if _depth > 20:
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, _depth=_depth + 1)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | deque):
        return [to_jsonable(v, _depth=_depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v, _depth=_depth + 1) for v in value), key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name), _depth=_depth + 1) for f in dataclasses.fields(value)
        }
    return str(value)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value


# ------------------------------------------------------------------------------- formatting
_STANDARD_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "obs",
    "taskName",
}


def _iso(wall: datetime) -> str:
    if wall.tzinfo is None or wall.utcoffset() is None:
        raise ValueError(f"clock.wall_time() must return an aware datetime, got naive {wall!r}")
    return wall.astimezone(UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """Formats any LogRecord as one line of JSON, redacted and truncated.

    Records made by :class:`EventLogger` carry their event in ``record.obs``; plain records
    (``logging.getLogger("x").info("hello", extra={"pod": "api"})``) become
    ``{"event": "log", "message": "hello", "pod": "api", ...}`` with the current trace id.
    ``clock`` only matters for plain records: without one their ``ts`` comes from
    ``record.created`` and ``t`` is null.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
        redact_emails: bool = True,
        include_traceback: bool = False,
        sort_keys: bool = False,
    ) -> None:
        super().__init__()
        if max_field_chars < 1:
            raise ValueError(f"max_field_chars must be >= 1, got {max_field_chars}")
        self.clock = clock
        self.max_field_chars = max_field_chars
        self.redact_emails = redact_emails
        self.include_traceback = include_traceback
        self.sort_keys = sort_keys
        # Redaction is regex work; bound it on huge values (a 2 MB kubectl log) by cutting first,
        # far enough past the limit that the final truncation still decides what is kept.
        self._precut = max(8 * max_field_chars, 20_000)

    def _clean(self, value: Any) -> Any:
        jsonable = _map_strings(to_jsonable(value), lambda s: s[: self._precut])
        redacted = redact_mapping(jsonable, emails=self.redact_emails)
        return _map_strings(redacted, lambda s: truncate_text(s, self.max_field_chars))

    def event_dict(self, record: logging.LogRecord) -> dict[str, Any]:
        """The redacted, JSON-native dict that :meth:`format` serialises."""
        payload: dict[str, Any] | None = getattr(record, "obs", None)
        head: dict[str, Any]
        fields: dict[str, Any]
        if payload is not None:
            head = {
                "ts": payload["ts"],
                "t": payload["t"],
                "level": record.levelname.lower(),
                "logger": record.name,
                "event": payload["event"],
                "trace_id": payload["trace_id"],
            }
            for key in ("span_id", "parent_span_id"):
                if payload.get(key) is not None:
                    head[key] = payload[key]
            fields = dict(payload["fields"])
        else:
            ctx = getattr(record, "trace_context", None) or current_trace()
            if self.clock is not None:
                ts, t = _iso(self.clock.wall_time()), round(self.clock.now(), 6)
            else:
                ts, t = _iso(datetime.fromtimestamp(record.created, UTC)), None
            head = {
                "ts": ts,
                "t": t,
                "level": record.levelname.lower(),
                "logger": record.name,
                "event": "log",
                "trace_id": ctx.trace_id if ctx is not None else None,
            }
            if ctx is not None and ctx.span_id is not None:
                head["span_id"] = ctx.span_id
            fields = {"message": record.getMessage()}
            fields.update(
                (k, v)
                for k, v in record.__dict__.items()
                if k not in _STANDARD_RECORD_ATTRS and k not in RESERVED_FIELDS and k != "trace_context"
            )
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields.setdefault("error_type", type(exc).__name__)
            fields.setdefault("error", str(exc))
            if self.include_traceback:
                fields["traceback"] = self.formatException(record.exc_info)
        return {**head, **self._clean(fields)}

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.event_dict(record), ensure_ascii=False, sort_keys=self.sort_keys)


class TraceContextFilter(logging.Filter):
    """Stamps the current trace context on plain records when they are made.

    Only needed when records are formatted in another thread (a ``QueueHandler``), where the
    formatter can no longer see the emitting thread's context.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "trace_context"):
            record.trace_context = current_trace()
        return True


def json_handler(stream: Any = None, **formatter_options: Any) -> logging.StreamHandler[Any]:
    """A ``StreamHandler`` (stderr by default) writing JSON lines through :class:`JsonFormatter`."""
    handler: logging.StreamHandler[Any] = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**formatter_options))
    return handler


class MemorySink(logging.Handler):
    """Keeps formatted events as dicts in memory, for notebooks and tests.

    What it stores is exactly what a JSON log line would hold (already redacted). Thread-safe;
    ``max_events`` bounds memory by dropping the oldest.
    """

    def __init__(
        self,
        *,
        level: int = logging.DEBUG,
        formatter: JsonFormatter | None = None,
        max_events: int | None = None,
    ) -> None:
        super().__init__(level)
        if max_events is not None and max_events < 1:
            raise ValueError(f"max_events must be >= 1 or None, got {max_events}")
        self.json_formatter = formatter or JsonFormatter()
        self.setFormatter(self.json_formatter)
        self._events: deque[dict[str, Any]] = deque(maxlen=max_events)
        self._events_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = self.json_formatter.event_dict(record)
        except Exception:  # the logging contract: report through handleError, never raise
            self.handleError(record)
            return
        with self._events_lock:
            self._events.append(event)

    @property
    def events(self) -> list[dict[str, Any]]:
        """A copy of every stored event, oldest first."""
        with self._events_lock:
            return list(self._events)

    def find(self, event: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        """Events with this ``event`` name (any if None) whose fields equal ``fields``."""
        return [
            e
            for e in self.events
            if (event is None or e.get("event") == event) and all(e.get(k) == v for k, v in fields.items())
        ]

    def lines(self) -> list[str]:
        """The events as JSON lines, as a file handler would have written them."""
        return [json.dumps(e, ensure_ascii=False) for e in self.events]

    def clear(self) -> None:
        with self._events_lock:
            self._events.clear()

    def __len__(self) -> int:
        with self._events_lock:
            return len(self._events)


# ------------------------------------------------------------------------------ the logger
def _level(level: int | str) -> int:
    if isinstance(level, bool):
        raise TypeError("level must be an int or a level name such as 'info'")
    if isinstance(level, int):
        return level
    if isinstance(level, str):
        number = logging.getLevelNamesMapping().get(level.upper())
        if number is not None:
            return number
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning, error or critical")
    raise TypeError(f"level must be an int or a level name such as 'info', got {type(level).__name__}")


def _check_fields(fields: Mapping[str, Any]) -> None:
    clash = sorted(RESERVED_FIELDS.intersection(fields))
    if clash:
        raise ValueError(f"field names {clash} are reserved for the event envelope; rename them")


def _error_fields(error: BaseException | str | None) -> dict[str, Any]:
    if error is None:
        return {}
    if isinstance(error, BaseException):
        return {"error_type": type(error).__name__, "error": str(error)}
    return {"error": str(error)}


class StateChangeLike(Protocol):
    """What :meth:`EventLogger.on_breaker_change` reads (``resilience.breaker.StateChange``)."""

    @property
    def from_state(self) -> Any: ...
    @property
    def to_state(self) -> Any: ...
    @property
    def reason(self) -> str: ...


class RetryEventLike(Protocol):
    """What :meth:`EventLogger.retry_hook` reads (``resilience.retry.RetryEvent``)."""

    @property
    def attempt(self) -> int: ...
    @property
    def wait(self) -> float: ...
    @property
    def reason(self) -> str: ...
    @property
    def error(self) -> BaseException | None: ...


class FallbackStepLike(Protocol):
    """What :meth:`EventLogger.fallback_steps` reads (``resilience.fallback.FallbackStep``)."""

    @property
    def name(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def error(self) -> BaseException | None: ...


@dataclass(slots=True)
class Span:
    """A timed section (a run, a model call); its event is emitted when the ``with`` block ends."""

    name: str
    trace_id: str | None
    span_id: str
    parent_span_id: str | None
    started_at: float
    fields: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"

    def set(self, **fields: Any) -> None:
        """Add fields to the event emitted at the end (token counts, output size...)."""
        _check_fields(fields)
        self.fields.update(fields)


class EventLogger:
    """Emits the course's structured events through stdlib logging.

    ``sinks`` are handlers owned by this logger (a :class:`MemorySink`, a :func:`json_handler`);
    with ``propagate`` the record also goes to ``logging.getLogger(name)`` and up to the root,
    subject to the application's ordinary logging configuration. ``bind(**fields)`` returns a
    logger that adds those fields (``agent="production"``) to every event. Thread-safe.
    """

    def __init__(
        self,
        name: str = "course_lib.agent",
        *,
        clock: Clock | None = None,
        trace_id: str | None = None,
        sinks: Iterable[logging.Handler] = (),
        ids: IdGenerator | None = None,
        propagate: bool = True,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("an event logger needs a non-empty name")
        self.name = name
        self.clock: Clock = clock if clock is not None else RealClock()
        self.trace_id = _check_id(trace_id, "trace_id") if trace_id is not None else None
        self.ids = ids if ids is not None else _DEFAULT_IDS
        self.propagate = propagate
        self.logger = logging.getLogger(name)
        self._sinks: list[logging.Handler] = list(sinks)
        self._sinks_lock = threading.Lock()
        self._fields = self._checked(dict(fields or {}))

    # ---- configuration
    def add_sink(self, handler: logging.Handler) -> None:
        if not isinstance(handler, logging.Handler):
            raise TypeError(f"a sink must be a logging.Handler, got {type(handler).__name__}")
        with self._sinks_lock:
            self._sinks.append(handler)

    def remove_sink(self, handler: logging.Handler) -> None:
        with self._sinks_lock:
            self._sinks.remove(handler)

    @property
    def sinks(self) -> list[logging.Handler]:
        with self._sinks_lock:
            return list(self._sinks)

    def bind(self, *, trace_id: str | None = None, **fields: Any) -> EventLogger:
        """A logger sharing this one's clock, ids and sinks, adding ``fields`` to every event."""
        child = EventLogger.__new__(EventLogger)
        child.name, child.clock, child.ids, child.propagate, child.logger = (
            self.name,
            self.clock,
            self.ids,
            self.propagate,
            self.logger,
        )
        child.trace_id = _check_id(trace_id, "trace_id") if trace_id is not None else self.trace_id
        child._sinks, child._sinks_lock = self._sinks, self._sinks_lock  # shared on purpose
        child._fields = {**self._fields, **self._checked(fields)}
        return child

    @staticmethod
    def _checked(fields: dict[str, Any]) -> dict[str, Any]:
        _check_fields(fields)
        return fields

    # ---- trace context
    def trace(self, trace_id: str | None = None) -> AbstractContextManager[TraceContext]:
        """``with events.trace() as ctx:`` makes a new (or the given) trace id current."""
        return trace(trace_id, ids=self.ids)

    def resolve_trace_id(self, explicit: str | None = None) -> str | None:
        """explicit argument > id bound to this logger > current context > None."""
        if explicit is not None:
            return explicit
        if self.trace_id is not None:
            return self.trace_id
        return current_trace_id()

    # ---- the core
    def emit(
        self,
        event: str,
        *,
        level: int | str = logging.INFO,
        trace_id: str | None = None,
        span_id: str | None = None,
        parent_span_id: str | None = None,
        **fields: Any,
    ) -> None:
        """Emit one event. ``fields`` may hold any values; the formatter makes them JSON-safe."""
        if not isinstance(event, str) or not _EVENT_NAME.fullmatch(event):
            raise ValueError(f"event name must match {_EVENT_NAME.pattern} (e.g. 'tool_call'), got {event!r}")
        levelno = _level(level)
        _check_fields(fields)
        resolved = self.resolve_trace_id(trace_id)
        ctx = current_trace()
        if span_id is None and ctx is not None and ctx.span_id is not None and ctx.trace_id == resolved:
            span_id, parent_span_id = ctx.span_id, ctx.parent_span_id
        payload = {
            "ts": _iso(self.clock.wall_time()),
            "t": round(self.clock.now(), 6),
            "event": event,
            "trace_id": resolved,
            "span_id": span_id,
            "parent_span_id": parent_span_id,
            "fields": {**self._fields, **fields},
        }
        record = self.logger.makeRecord(
            self.name, levelno, "(event)", 0, event, (), None, func=event, extra={"obs": payload}
        )
        for handler in self.sinks:
            if levelno >= handler.level:
                handler.handle(record)
        if self.propagate and self.logger.isEnabledFor(levelno):
            self.logger.handle(record)

    @contextmanager
    def span(self, name: str, *, level: int | str = logging.INFO, **fields: Any) -> Iterator[Span]:
        """Time a block and emit ``name`` at its end with ``duration_s`` and ``status``.

        Events emitted inside carry this span's id; an exception is recorded (``status="error"``,
        ``error_type``) and re-raised, never swallowed.
        """
        _check_fields(fields)
        levelno = _level(level)
        parent = current_trace()
        trace_id = self.resolve_trace_id() or self.ids.trace_id()
        span = Span(
            name=name,
            trace_id=trace_id,
            span_id=self.ids.span_id(),
            parent_span_id=parent.span_id if parent is not None and parent.trace_id == trace_id else None,
            started_at=self.clock.now(),
            fields=dict(fields),
        )
        token = _CURRENT.set(TraceContext(trace_id, span.span_id, span.parent_span_id))
        error: BaseException | None = None
        try:
            yield span
        except BaseException as exc:
            error, span.status = exc, "error"
            raise
        finally:
            _CURRENT.reset(token)
            self.emit(
                name,
                level=levelno if error is None else max(levelno, logging.WARNING),
                trace_id=trace_id,
                span_id=span.span_id,
                parent_span_id=span.parent_span_id,
                status=span.status,
                duration_s=round(self.clock.now() - span.started_at, 6),
                **{**span.fields, **_error_fields(error)},
            )

    # ---- the course's events
    def run_start(self, *, agent: str, question: str | None = None, **fields: Any) -> None:
        self.emit(RUN_START, agent=agent, question=question, **fields)

    def run_end(
        self,
        *,
        agent: str,
        outcome: str,
        duration_s: float,
        error: BaseException | str | None = None,
        level: int | str | None = None,
        **fields: Any,
    ) -> None:
        """``outcome`` "success"/"ok" logs at info, anything else (degraded, error...) at warning."""
        chosen = level if level is not None else ("info" if outcome in _OK_OUTCOMES else "warning")
        self.emit(
            RUN_END,
            level=chosen,
            agent=agent,
            outcome=outcome,
            duration_s=duration_s,
            **{**fields, **_error_fields(error)},
        )

    def model_start(self, *, model: str, message_count: int | None = None, **fields: Any) -> None:
        self.emit(MODEL_START, level="debug", model=model, message_count=message_count, **fields)

    def model_call(
        self,
        *,
        model: str,
        status: str,
        duration_s: float,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        finish_reason: str | None = None,
        error: BaseException | str | None = None,
        **fields: Any,
    ) -> None:
        """One finished logical model call (``status`` "ok" or "error")."""
        self.emit(
            MODEL_CALL,
            level="info" if status == "ok" else "warning",
            model=model,
            status=status,
            duration_s=duration_s,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            finish_reason=finish_reason,
            **{**fields, **_error_fields(error)},
        )

    def tool_start(self, *, tool: str, args: Any = None, **fields: Any) -> None:
        self.emit(TOOL_START, level="debug", tool=tool, args=args, **fields)

    def tool_call(
        self,
        *,
        tool: str,
        status: str,
        duration_s: float,
        args: Any = None,
        output_chars: int | None = None,
        error: BaseException | str | None = None,
        **fields: Any,
    ) -> None:
        """One finished tool call (``status`` "ok" or "error"); ``args`` are redacted when written."""
        self.emit(
            TOOL_CALL,
            level="info" if status == "ok" else "warning",
            tool=tool,
            status=status,
            duration_s=duration_s,
            args=args,
            output_chars=output_chars,
            **{**fields, **_error_fields(error)},
        )

    def retry(
        self,
        *,
        layer: str,
        attempt: int,
        delay_s: float,
        reason: str,
        error: BaseException | str | None = None,
        **fields: Any,
    ) -> None:
        """A retry was scheduled: attempt ``attempt`` failed and the next one waits ``delay_s``."""
        self.emit(
            RETRY,
            level="warning",
            layer=layer,
            attempt=attempt,
            delay_s=delay_s,
            reason=reason,
            **{**fields, **_error_fields(error)},
        )

    def give_up(
        self,
        *,
        layer: str,
        attempts: int,
        reason: str,
        error: BaseException | str | None = None,
        **fields: Any,
    ) -> None:
        self.emit(
            GIVE_UP,
            level="error",
            layer=layer,
            attempts=attempts,
            reason=reason,
            **{**fields, **_error_fields(error)},
        )

    def breaker_transition(
        self, *, breaker: str, from_state: str, to_state: str, reason: str, **fields: Any
    ) -> None:
        """Opening is a warning (calls will now fail fast); closing and half-opening are info."""
        self.emit(
            BREAKER_TRANSITION,
            level="warning" if str(to_state).lower() == "open" else "info",
            breaker=breaker,
            from_state=str(from_state),
            to_state=str(to_state),
            reason=reason,
            **fields,
        )

    def fallback_step(
        self,
        *,
        chain: str,
        step: str,
        outcome: str,
        reason: str = "",
        error: BaseException | str | None = None,
        **fields: Any,
    ) -> None:
        self.emit(
            FALLBACK_STEP,
            level="info" if outcome == "ok" else "warning",
            chain=chain,
            step=step,
            outcome=outcome,
            reason=reason,
            **{**fields, **_error_fields(error)},
        )

    def chain_error(self, *, chain: str, error: BaseException | str, **fields: Any) -> None:
        self.emit(CHAIN_ERROR, level="error", chain=chain, **{**fields, **_error_fields(error)})

    # ---- adapters for course_lib.resilience hooks (duck-typed, so no import cycle)
    def on_breaker_change(self, change: StateChangeLike) -> None:
        """Pass as a ``CircuitBreaker`` listener: ``CircuitBreaker(..., listeners=[events.on_breaker_change])``."""
        self.breaker_transition(
            breaker=str(getattr(change, "breaker", "") or "breaker"),
            from_state=str(getattr(change.from_state, "value", change.from_state)),
            to_state=str(getattr(change.to_state, "value", change.to_state)),
            reason=change.reason,
            at=getattr(change, "at", None),
        )

    def retry_hook(self, layer: str) -> Callable[[RetryEventLike], None]:
        """A ``before_sleep`` hook for ``Retry`` that logs each scheduled retry under ``layer``."""

        def hook(event: RetryEventLike) -> None:
            self.retry(
                layer=layer,
                attempt=event.attempt,
                delay_s=event.wait,
                reason=event.reason,
                error=event.error,
                wait_source=getattr(event, "wait_source", None),
                name=getattr(event, "name", None),
            )

        return hook

    def give_up_hook(self, layer: str) -> Callable[[RetryEventLike], None]:
        """An ``on_giveup`` hook for ``Retry``."""

        def hook(event: RetryEventLike) -> None:
            stop = getattr(event, "stop", None)
            self.give_up(
                layer=layer,
                attempts=event.attempt,
                reason=str(getattr(stop, "value", stop) or event.reason),
                error=event.error,
                detail=getattr(event, "stop_detail", None),
            )

        return hook

    def fallback_steps(self, steps: Iterable[FallbackStepLike], *, chain: str = "fallback") -> None:
        """Log each step of a finished fallback chain (``result.steps``)."""
        for step in steps:
            self.fallback_step(
                chain=chain, step=step.name, outcome=step.outcome, reason=step.reason, error=step.error
            )

    def __repr__(self) -> str:
        return f"EventLogger({self.name!r}, trace_id={self.trace_id!r}, sinks={len(self.sinks)})"


def get_event_logger(
    name: str = "course_lib.agent",
    *,
    clock: Clock | None = None,
    trace_id: str | None = None,
    sink: logging.Handler | None = None,
    ids: IdGenerator | None = None,
    propagate: bool = True,
    **fields: Any,
) -> EventLogger:
    """An :class:`EventLogger`; pass ``sink=MemorySink()`` to keep events for a notebook or test."""
    return EventLogger(
        name,
        clock=clock,
        trace_id=trace_id,
        sinks=() if sink is None else (sink,),
        ids=ids,
        propagate=propagate,
        fields=fields,
    )
