"""Observability for the agents: JSON events with trace ids, step-logging callbacks, metrics.

``events`` (structured logs, redacted), ``callbacks`` (a LangChain handler, imported lazily
because it pulls in langchain_core) and ``metrics`` (counters, percentiles, Prometheus text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from course_lib.observability.events import (
    BREAKER_TRANSITION,
    CHAIN_ERROR,
    FALLBACK_STEP,
    GIVE_UP,
    MODEL_CALL,
    MODEL_START,
    RETRY,
    RUN_END,
    RUN_START,
    TOOL_CALL,
    TOOL_START,
    EventLogger,
    IdGenerator,
    JsonFormatter,
    MemorySink,
    Span,
    TraceContext,
    TraceContextFilter,
    current_trace,
    current_trace_id,
    get_event_logger,
    json_handler,
    trace,
)
from course_lib.observability.metrics import AgentMetrics, Counter, Histogram, Percentiles, percentile

if TYPE_CHECKING:
    from course_lib.observability.callbacks import Step, StepLogger

__all__ = [
    "BREAKER_TRANSITION",
    "CHAIN_ERROR",
    "FALLBACK_STEP",
    "GIVE_UP",
    "MODEL_CALL",
    "MODEL_START",
    "RETRY",
    "RUN_END",
    "RUN_START",
    "TOOL_CALL",
    "TOOL_START",
    "AgentMetrics",
    "Counter",
    "EventLogger",
    "Histogram",
    "IdGenerator",
    "JsonFormatter",
    "MemorySink",
    "Percentiles",
    "Span",
    "Step",
    "StepLogger",
    "TraceContext",
    "TraceContextFilter",
    "current_trace",
    "current_trace_id",
    "get_event_logger",
    "json_handler",
    "percentile",
    "trace",
]


def __getattr__(name: str) -> Any:
    if name in ("Step", "StepLogger"):
        from course_lib.observability import callbacks

        return getattr(callbacks, name)
    raise AttributeError(f"module 'course_lib.observability' has no attribute {name!r}")
