"""Per-run bookkeeping shared by the agents and the runner: calls, attempts, errors, transitions.

Counting happens where the thing happens (a logical model call in the retry layer, an HTTP
attempt next to the model, a tool attempt next to the tool), so the numbers are exact rather
than reconstructed from logs afterwards. Thread-safe: LangGraph may run tool calls in threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["RunStats"]


@dataclass
class RunStats:
    """Counters of one run. ``attempts_per_call[i]`` is the HTTP attempts of logical call ``i``."""

    llm_calls: int = 0
    http_attempts: int = 0
    attempts_per_call: list[int] = field(default_factory=list)
    tool_calls: int = 0
    tool_attempts: int = 0
    fallback_calls: int = 0
    tokens: int = 0
    degraded_reason: str | None = None
    errors: list[str] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def begin_llm_call(self) -> int:
        with self._lock:
            self.llm_calls += 1
            self.attempts_per_call.append(0)
            return self.llm_calls

    def http_attempt(self) -> None:
        with self._lock:
            self.http_attempts += 1
            if self.attempts_per_call:
                self.attempts_per_call[-1] += 1

    def tool_call(self) -> None:
        with self._lock:
            self.tool_calls += 1

    def tool_attempt(self) -> None:
        with self._lock:
            self.tool_attempts += 1

    def fallback(self) -> None:
        with self._lock:
            self.fallback_calls += 1

    def add_tokens(self, n: int) -> None:
        with self._lock:
            self.tokens += n

    def error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def transition(self, text: str) -> None:
        with self._lock:
            self.transitions.append(text)

    def degrade(self, reason: str) -> None:
        with self._lock:
            if self.degraded_reason is None:
                self.degraded_reason = reason

    @property
    def max_attempts_per_call(self) -> int:
        with self._lock:
            return max(self.attempts_per_call, default=0)
