"""Resilience patterns for LLM agents: the course's reference implementations.

One concept per module:

=================  ==================================================================
``errors``         :func:`classify`: retryable or not, and why (openai, LangChain, kubectl, timeouts)
``backoff``        constant / exponential / full, equal, decorrelated jitter (pure, seeded)
``retry_after``    parse ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP-date)
``retry``          :class:`Retry`: safe defaults, Retry-After, budget, hooks, sync + async
``budget``         :class:`RetryBudget`: retries limited to a fraction of calls (SRE/gRPC)
``deadline``       :class:`Deadline`: one time budget for a whole operation
``breaker``        :class:`CircuitBreaker`: exact HALF_OPEN probes, lock only for bookkeeping
``fallback``       :class:`FallbackChain`: primary -> secondary -> degraded, with reasons
``rate_limiter``   :class:`RateLimiter`: pace to a provider's RPM/TPM
``contention``     :func:`simulate`: AWS's backoff-and-jitter experiment, in milliseconds
=================  ==================================================================

Everything that waits takes the injected clock (:mod:`course_lib.clock`), so notebooks and
tests run in virtual time. Importing this package loads only the standard library.
"""

from course_lib.resilience.backoff import (
    STRATEGIES,
    Backoff,
    ConstantBackoff,
    DecorrelatedJitterBackoff,
    EqualJitterBackoff,
    ExponentialBackoff,
    FullJitterBackoff,
    delays,
    make_backoff,
)
from course_lib.resilience.breaker import (
    BreakerStats,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    StateChange,
)
from course_lib.resilience.budget import BudgetSnapshot, RetryBudget, RetryBudgetExhausted
from course_lib.resilience.contention import ContentionResult, StrategySummary, compare_strategies, simulate
from course_lib.resilience.deadline import Deadline, DeadlineExceeded
from course_lib.resilience.errors import (
    Classification,
    ErrorKind,
    SupportsRetryable,
    classify,
    classify_kubectl_stderr,
    classify_status,
    is_dependency_failure,
    is_retryable,
)
from course_lib.resilience.fallback import FallbackChain, FallbackResult, FallbackStep
from course_lib.resilience.rate_limiter import RateLimiter, RateLimiterStats, RateLimiterTimeout
from course_lib.resilience.retry import AttemptRecord, Retry, RetryEvent, RetryHistory, StopReason, retry
from course_lib.resilience.retry_after import (
    DEFAULT_MAX_RETRY_AFTER,
    RetryAfter,
    parse_retry_after,
    retry_after_seconds,
)

__all__ = [
    "DEFAULT_MAX_RETRY_AFTER",
    "STRATEGIES",
    "AttemptRecord",
    "Backoff",
    "BreakerStats",
    "BudgetSnapshot",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "Classification",
    "ConstantBackoff",
    "ContentionResult",
    "Deadline",
    "DeadlineExceeded",
    "DecorrelatedJitterBackoff",
    "EqualJitterBackoff",
    "ErrorKind",
    "ExponentialBackoff",
    "FallbackChain",
    "FallbackResult",
    "FallbackStep",
    "FullJitterBackoff",
    "RateLimiter",
    "RateLimiterStats",
    "RateLimiterTimeout",
    "Retry",
    "RetryAfter",
    "RetryBudget",
    "RetryBudgetExhausted",
    "RetryEvent",
    "RetryHistory",
    "StateChange",
    "StopReason",
    "StrategySummary",
    "SupportsRetryable",
    "classify",
    "classify_kubectl_stderr",
    "classify_status",
    "compare_strategies",
    "delays",
    "is_dependency_failure",
    "is_retryable",
    "make_backoff",
    "parse_retry_after",
    "retry",
    "retry_after_seconds",
    "simulate",
]
