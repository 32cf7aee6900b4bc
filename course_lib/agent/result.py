"""What one agent run produced, as one structured record (never a bare string).

The outline's agents returned a string, or an error string, and the caller could not tell them
apart (seed errata 6). :class:`AgentResult` says whether the run answered, whether the answer
is degraded, how much it cost (model calls, HTTP attempts, tool calls, tokens, virtual seconds)
and what went wrong on the way. The evaluation aggregates these; ``diagnose --json`` prints one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["AgentResult", "Outcome"]


class Outcome(StrEnum):
    """How a run ended (a stable label for tables and metrics)."""

    ANSWERED = "answered"  # a final answer from a model
    DEGRADED = "degraded"  # a rule-based answer that says it is degraded
    ERROR = "error"  # the agent gave up with a clear error message (handled)
    CRASHED = "crashed"  # an exception escaped the agent: an unhandled exception
    WOULD_LOOP = "would_loop"  # stopped by the harness's step guard, not by the agent
    HUNG = "hung"  # ran past the harness's time guard without ending


@dataclass(slots=True)
class AgentResult:
    """One run of one agent on one scenario under one chaos profile and seed.

    ``attempts`` counts everything that was tried: HTTP attempts to the model plus kubectl
    invocations (retries included). ``llm_calls`` are *logical* model calls (one turn of the
    agent, however many retries it needed); ``http_attempts`` the requests the provider received,
    so ``http_attempts / llm_calls`` is the retry amplification. ``duration_s`` is virtual time.
    ``unhandled_exception`` names the exception type that escaped the agent, if one did.
    """

    agent: str
    scenario: str
    profile: str
    seed: int
    success: bool
    output: str
    diagnosis: str | None
    degraded: bool
    outcome: Outcome
    correct: bool
    attempts: int
    steps: int
    llm_calls: int
    http_attempts: int
    max_attempts_per_call: int
    tool_calls: int
    duration_s: float
    deadline_s: float
    tokens: int
    errors: list[str] = field(default_factory=list)
    trace_id: str = ""
    unhandled_exception: str | None = None
    fallback_calls: int = 0
    breaker_transitions: list[str] = field(default_factory=list)
    transport: str = "in-process"
    question: str = ""

    @property
    def completed(self) -> bool:
        """The run ended with an answer (model or degraded), not a crash, loop or hang."""
        return self.outcome in (Outcome.ANSWERED, Outcome.DEGRADED)

    @property
    def deadline_exceeded(self) -> bool:
        return self.duration_s > self.deadline_s + 1e-9

    @property
    def http_attempts_per_call(self) -> float:
        return self.http_attempts / self.llm_calls if self.llm_calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain types only, plus the derived fields."""
        data = asdict(self)
        data["outcome"] = str(self.outcome)
        data["completed"] = self.completed
        data["deadline_exceeded"] = self.deadline_exceeded
        data["duration_s"] = round(self.duration_s, 6)
        return data
