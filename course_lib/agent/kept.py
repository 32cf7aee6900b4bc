"""The same agent built from kept libraries only: "build it, then buy it" (capstone).

What LangChain 1.x and the openai SDK give you off the shelf, configured as well as they allow:

* ``ModelRetryMiddleware(max_retries=2, on_failure="error")`` as the single retry layer (the
  model has ``max_retries=0``), inside ``ModelFallbackMiddleware(backup)``;
* an outermost ``ModelRetryMiddleware(max_retries=0, on_failure=...)`` whose only job is to turn a
  final failure into an answer instead of an exception (the nearest thing to a degraded answer);
* ``ToolRetryMiddleware`` for transient kubectl errors only, ``ToolCallLimitMiddleware`` and
  ``ModelCallLimitMiddleware`` (exit ``end``/``continue``: a graceful stop).

What it lacks, measured by the evaluation rather than claimed:

* **No Retry-After.** ``ModelRetryMiddleware`` waits ``initial_delay * 2**n`` (+-25 %) whatever the
  server asks (the SDK honours it, but only when the SDK itself retries, which multiplies attempts).
* **No circuit breaker**: every call during an outage tries the primary first, then falls back.
* **No overall deadline and no retry budget**: time and attempts are bounded per call only; with
  the fallback, a logical call can make up to 6 attempts (3 per model).
* **No degraded answer** built from the evidence: the run ends with "Model call failed ...".
* **No clock injection**: the middleware calls ``time.sleep``. To evaluate it in virtual time,
  :func:`virtual_sleep` swaps the ``time`` module those two middleware modules see for one whose
  ``sleep`` goes to the clock of the current context (a test seam, like stamina's
  ``set_testing``; outside the ``with`` block it sleeps for real).
"""

from __future__ import annotations

import contextvars
import time as _real_time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    ModelCallLimitMiddleware,
    ModelFallbackMiddleware,
    ModelRequest,
    ModelResponse,
    ModelRetryMiddleware,
    ToolCallLimitMiddleware,
    ToolRetryMiddleware,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from course_lib.agent.accounting import RunStats
from course_lib.agent.production import SYSTEM_PROMPT, ProviderAttempts
from course_lib.clock import Clock
from course_lib.tools import KubectlTransientError

__all__ = ["KEPT_FAILURE_PREFIX", "KeptConfig", "build_kept_agent", "virtual_sleep"]

KEPT_FAILURE_PREFIX = "Model call failed"

_CLOCK: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("kept_virtual_clock", default=None)


class _ClockTime:
    """Stands in for the ``time`` module inside LangChain's retry middleware modules."""

    def sleep(self, seconds: float) -> None:
        clock = _CLOCK.get()
        if clock is None:
            _real_time.sleep(seconds)
        else:
            clock.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_time, name)


def _install_shim() -> None:
    from langchain.agents.middleware import model_retry, tool_retry

    for module in (model_retry, tool_retry):
        if not isinstance(module.time, _ClockTime):
            module.time = _ClockTime()  # type: ignore[assignment]


@contextmanager
def virtual_sleep(clock: Clock) -> Iterator[None]:
    """Make LangChain's retry middleware sleep on ``clock`` inside this block (this context only)."""
    _install_shim()
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


@dataclass(frozen=True)
class KeptConfig:
    model_retries: int = 2
    initial_delay_s: float = 1.0
    tool_retries: int = 1
    max_model_calls: int = 12
    max_tool_calls: int = 20


class _LogicalCalls(AgentMiddleware):
    """Instrumentation only (outermost): counts logical model calls for the evaluation."""

    def __init__(self, stats: RunStats) -> None:
        super().__init__()
        self.stats = stats

    def wrap_model_call(self, request: ModelRequest, handler: Any) -> ModelResponse:
        self.stats.begin_llm_call()
        return handler(request)


class FailureAsAnswer(ModelRetryMiddleware):
    """``ModelRetryMiddleware`` with no retries, used only for its ``on_failure`` answer.

    A subclass only because ``create_agent`` refuses two instances of one middleware class.
    """


def _final_failure(exc: Exception) -> str:
    return f"{KEPT_FAILURE_PREFIX}: {type(exc).__name__}: {exc}"


def build_kept_agent(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    backup_model: BaseChatModel | None = None,
    config: KeptConfig | None = None,
    stats: RunStats | None = None,
) -> tuple[Any, RunStats]:
    """The kept-libraries agent and its stats. ``model``/``backup_model`` must have max_retries=0."""
    config = config or KeptConfig()
    stats = stats or RunStats()
    _install_shim()
    middleware: list[AgentMiddleware] = [
        _LogicalCalls(stats),
        FailureAsAnswer(max_retries=0, retry_on=lambda exc: True, on_failure=_final_failure),
    ]
    if backup_model is not None:
        middleware.append(ModelFallbackMiddleware(backup_model))
    middleware += [
        ModelRetryMiddleware(
            max_retries=config.model_retries, on_failure="error", initial_delay=config.initial_delay_s
        ),
        ToolRetryMiddleware(
            max_retries=config.tool_retries, retry_on=(KubectlTransientError,), on_failure="continue"
        ),
        ToolCallLimitMiddleware(run_limit=config.max_tool_calls, exit_behavior="continue"),
        ModelCallLimitMiddleware(run_limit=config.max_model_calls, exit_behavior="end"),
        ProviderAttempts(stats, agent="kept", validate=False),
    ]
    graph = create_agent(model, list(tools), system_prompt=SYSTEM_PROMPT, middleware=middleware)
    return graph, stats
