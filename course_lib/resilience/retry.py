"""Retry with safe defaults: you name what to retry, attempts *and* time are bounded.

What the outline's retry loops got wrong, and what this one does instead:

* they retried every exception, bugs included: here ``on=`` is required (exception types, or a
  predicate such as :func:`~course_lib.resilience.errors.classify`), and only ``Exception``
  subclasses are ever caught (never ``KeyboardInterrupt`` or task cancellation);
* they could run for minutes: here both ``attempts`` (default 3) and ``deadline`` (default 60 s
  for the whole call, waits included) are bounded, and a wait that would end after the deadline
  is not started. ``Retry(on=..., attempts=None, deadline=None)`` is refused: it could retry forever;
* they slept ``2 ** attempt``: here the default is full-jitter exponential backoff
  (0.5 s doubling to 8 s, like the openai SDK's schedule but with full jitter);
* they ignored Retry-After: here ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP-date) on
  the exception's response is waited exactly, and a server delay above ``max_retry_after``
  (120 s, as in openai 3.57) ends the retries at once;
* they returned error strings or swallowed the last error: here the *original* exception is
  re-raised, carrying ``retry_history`` (every attempt, why it was (not) retried, every wait)
  and a one-line note (``add_note``) that shows up in the traceback.

Extras for production: a shared :class:`~course_lib.resilience.budget.RetryBudget` (retries
limited to a fraction of calls), ``before_sleep`` and ``on_giveup`` hooks for logs and
metrics, sync and async, the injected clock (so tests wait in virtual time) and an injected
``random.Random`` for the jitter.

Usage::

    retry = Retry(on=classify, attempts=3, deadline=30, clock=clock)

    @retry
    def ask_model(prompt): ...

    answer = retry.call(client.chat.completions.create, model=..., messages=...)

The success path costs one clock reading and a ``try``: well under a microsecond
(``benchmarks/bench_resilience.py`` measures it against tenacity).
"""

from __future__ import annotations

import functools
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

from course_lib.clock import Clock, RealClock
from course_lib.resilience.backoff import Backoff, FullJitterBackoff
from course_lib.resilience.budget import RetryBudget
from course_lib.resilience.callables import is_async
from course_lib.resilience.errors import Classification, classify
from course_lib.resilience.retry_after import DEFAULT_MAX_RETRY_AFTER, headers_of, parse_retry_after

__all__ = [
    "AttemptRecord",
    "Retry",
    "RetryEvent",
    "RetryHistory",
    "StopReason",
    "retry",
]

_log = logging.getLogger(__name__)
P = ParamSpec("P")


T = TypeVar("T")

RetryOn = type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], Any]
"""What to retry: exception type(s), or a predicate returning a bool or a Classification."""


class StopReason(StrEnum):
    """Why the retrying stopped (a stable label for metrics)."""

    NOT_RETRYABLE = "not_retryable"
    ATTEMPTS = "attempts_exhausted"
    DEADLINE = "deadline"
    RETRY_AFTER_TOO_LONG = "retry_after_too_long"
    BUDGET = "budget_exhausted"


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt: when it ran (clock seconds), how it ended, and the wait that followed it."""

    number: int
    started_at: float
    ended_at: float
    error: BaseException | None
    retryable: bool
    reason: str
    wait: float = 0.0
    wait_source: str = ""  # "backoff", "retry-after-ms", "retry-after", ... ("" if no wait)
    result: Any = None

    @property
    def succeeded(self) -> bool:
        return self.error is None and not self.retryable

    @property
    def outcome(self) -> str:
        if self.error is not None:
            return type(self.error).__name__
        return "retry-worthy result" if self.retryable else "ok"

    @property
    def duration(self) -> float:
        return self.ended_at - self.started_at


@dataclass(frozen=True, slots=True)
class RetryHistory:
    """Everything one call went through. Attached to the re-raised exception as ``retry_history``."""

    name: str
    attempts: tuple[AttemptRecord, ...]
    succeeded: bool
    stop: StopReason | None
    stop_detail: str
    started_at: float
    ended_at: float

    @property
    def elapsed(self) -> float:
        return self.ended_at - self.started_at

    @property
    def total_wait(self) -> float:
        return sum(a.wait for a in self.attempts)

    @property
    def count(self) -> int:
        return len(self.attempts)

    def summary(self) -> str:
        """One line, e.g. for ``add_note`` and log messages."""
        if self.succeeded:
            head = f"retry {self.name!r}: succeeded on attempt {self.count}"
        else:
            head = f"retry {self.name!r}: gave up after {self.count} attempt(s): {self.stop_detail}"
        steps = "; ".join(
            f"#{a.number} {a.outcome}" + (f" -> waited {a.wait:.3g} s ({a.wait_source})" if a.wait else "")
            for a in self.attempts
        )
        return f"{head} [{self.elapsed:.3g} s: {steps}]"

    def describe(self) -> str:
        """A small multi-line table for notebooks."""
        lines = [self.summary(), f"{'#':>3}  {'at':>9}  {'outcome':<28} {'wait':>8}  why"]
        for a in self.attempts:
            wait = f"{a.wait:.3f}s" if a.wait else "-"
            at = a.started_at - self.started_at
            lines.append(f"{a.number:>3}  {at:>8.3f}s  {a.outcome:<28} {wait:>8}  {a.reason}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """What the hooks receive. ``before_sleep``: ``wait`` is about to be slept.
    ``on_giveup``: ``stop`` says why, ``history`` has every attempt."""

    name: str
    attempt: int
    error: BaseException | None
    result: Any
    reason: str
    wait: float
    wait_source: str
    elapsed: float
    stop: StopReason | None = None
    stop_detail: str = ""
    history: RetryHistory | None = None


def _call_hook(hook: Callable[[RetryEvent], None], event: RetryEvent) -> None:
    """Run a logging/metrics hook. A failing hook is logged, never allowed to break the call."""
    try:
        hook(event)
    except Exception:
        _log.exception("retry hook %r failed (ignored)", hook)


def _describe_types(types: tuple[type[BaseException], ...]) -> str:
    return "(" + ", ".join(t.__name__ for t in types) + ")"


def _make_judge(on: RetryOn) -> Callable[[BaseException], tuple[bool, str]]:
    """Turn ``on=`` into ``exc -> (retryable, reason)``."""
    if isinstance(on, type) and issubclass(on, BaseException):
        on = (on,)
    if isinstance(on, tuple):
        if not all(isinstance(t, type) and issubclass(t, BaseException) for t in on):
            raise TypeError(f"on= must be exception types or a predicate, got {on!r}")
        names = _describe_types(on)

        def judge_types(exc: BaseException) -> tuple[bool, str]:
            name = type(exc).__name__
            if isinstance(exc, on):
                return True, f"{name} is listed in on={names}"
            return False, f"{name} is not listed in on={names}"

        return judge_types
    if callable(on):
        label = getattr(on, "__name__", None) or type(on).__name__

        def judge_predicate(exc: BaseException) -> tuple[bool, str]:
            verdict = on(exc)
            if isinstance(verdict, Classification):
                return verdict.retryable, verdict.reason
            return bool(verdict), f"on={label}() returned {bool(verdict)} for {type(exc).__name__}"

        return judge_predicate
    raise TypeError(f"on= must be exception types or a predicate, got {on!r}")


def _make_result_judge(on_result: Callable[[Any], Any]) -> Callable[[Any], tuple[bool, str]]:
    label = getattr(on_result, "__name__", None) or type(on_result).__name__

    def judge(result: Any) -> tuple[bool, str]:
        verdict = on_result(result)
        if isinstance(verdict, Classification):
            return verdict.retryable, verdict.reason
        return bool(verdict), f"on_result={label}() returned {bool(verdict)}"

    return judge


@dataclass(slots=True)
class _Plan:
    wait: float = 0.0
    source: str = ""
    stop: StopReason | None = None
    detail: str = ""
    reason: str = ""
    retryable: bool = False


class _Run:
    """Per-call state (never shared between calls or threads)."""

    __slots__ = ("attempt_started", "name", "prev_wait", "records", "result_reason", "start")

    def __init__(self, start: float, name: str, result_reason: str | None = None) -> None:
        self.result_reason = result_reason or ""
        self.start = start
        self.attempt_started = start
        self.prev_wait = 0.0
        self.records: list[AttemptRecord] = []
        self.name = name


class Retry:
    """A retry policy. Use as a decorator (sync or async functions), or via :meth:`call` / :meth:`acall`.

    Parameters
    ----------
    on:
        Required. Exception type(s) to retry, or a predicate ``exc -> bool | Classification``.
        ``on=classify`` is the recommended one (it is given this policy's clock and
        ``max_retry_after``). Nothing else is retried.
    attempts:
        Total attempts including the first (3). ``None`` for no count limit (then ``deadline`` must be set).
    deadline:
        Seconds for the whole call, attempts and waits included (60). No wait is started that
        would end after it. ``None`` for no time limit (then ``attempts`` must be set).
    backoff:
        Strategy for the wait before retry n (default ``FullJitterBackoff(0.5, 8.0)``).
    respect_retry_after, max_retry_after:
        Wait what the server asks (Retry-After headers on ``exc.response``) when it is in
        (0, max_retry_after]; give up at once when it asks for more (120 s, as openai 3.57).
    budget:
        A shared :class:`RetryBudget`; each call deposits, each retry withdraws.
    on_result:
        Optional predicate on a *returned* value that should be retried (e.g. a kubectl result
        that says ``retryable``). When retries run out the last result is returned.
    before_sleep, on_giveup:
        Hooks receiving a :class:`RetryEvent`, for logs and metrics. Keep them cheap; an
        exception in a hook is logged and ignored (observability must not break the call).
    clock, rng:
        The injected clock (``RealClock()`` by default) and the jitter's random source.
    """

    def __init__(
        self,
        *,
        on: RetryOn,
        attempts: int | None = 3,
        deadline: float | None = 60.0,
        backoff: Backoff | None = None,
        respect_retry_after: bool = True,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        budget: RetryBudget | None = None,
        on_result: Callable[[Any], Any] | None = None,
        before_sleep: Callable[[RetryEvent], None] | None = None,
        on_giveup: Callable[[RetryEvent], None] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        name: str | None = None,
    ) -> None:
        if attempts is None and deadline is None:
            raise ValueError("attempts=None and deadline=None could retry forever; bound at least one")
        if attempts is not None and (
            not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1
        ):
            raise ValueError(f"attempts must be an int >= 1 (it counts the first call), got {attempts!r}")
        if deadline is not None:
            deadline = float(deadline)
            if math.isnan(deadline) or deadline <= 0 or math.isinf(deadline):
                raise ValueError(f"deadline must be a finite number of seconds > 0, got {deadline!r}")
        if math.isnan(max_retry_after) or max_retry_after < 0:
            raise ValueError(f"max_retry_after must be >= 0, got {max_retry_after!r}")
        self.on = on
        self.clock: Clock = clock if clock is not None else RealClock()
        self.max_retry_after = float(max_retry_after)
        if on is classify:
            # Give classify() this policy's clock (for HTTP-date Retry-After) and its limit.
            def judge_classify(exc: BaseException) -> tuple[bool, str]:
                verdict = classify(exc, now=self.clock.wall_time(), max_retry_after=self.max_retry_after)
                return verdict.retryable, verdict.reason

            self._judge = judge_classify
        else:
            self._judge = _make_judge(on)
        self.attempts = attempts
        self.deadline = deadline
        self.backoff: Backoff = backoff if backoff is not None else FullJitterBackoff()
        self.respect_retry_after = respect_retry_after
        self.budget = budget
        self.on_result = on_result
        self._result_judge = _make_result_judge(on_result) if on_result is not None else None
        self.before_sleep = before_sleep
        self.on_giveup = on_giveup
        self.rng = rng if rng is not None else random.Random()
        self.name = name

    # ------------------------------------------------------------------ decision logic (shared)

    def _plan(self, run: _Run, error: BaseException | None, result: Any) -> _Plan:
        """Decide what happens after a failed attempt: wait how long, or stop and why."""
        now = self.clock.now()
        number = len(run.records) + 1
        if error is not None:
            retryable, reason = self._judge(error)
        else:  # a returned value that on_result rejected; run.result_reason says why
            retryable, reason = True, run.result_reason
        plan = _Plan(reason=reason, retryable=retryable)
        if not retryable:
            plan.stop, plan.detail = StopReason.NOT_RETRYABLE, f"not retryable: {reason}"
        elif self.attempts is not None and number >= self.attempts:
            plan.stop, plan.detail = StopReason.ATTEMPTS, f"all {self.attempts} attempts used"
        else:
            wait: float | None = None
            if self.respect_retry_after and error is not None and headers_of(error) is not None:
                parsed = parse_retry_after(error, now=self.clock.wall_time())
                if parsed is not None:
                    if parsed.exceeds(self.max_retry_after):
                        plan.stop = StopReason.RETRY_AFTER_TOO_LONG
                        plan.detail = (
                            f"server asked to wait {parsed.seconds:g} s ({parsed.header}), more than "
                            f"max_retry_after={self.max_retry_after:g} s"
                        )
                    elif parsed.seconds > 0:
                        wait, plan.source = parsed.seconds, parsed.header
            if plan.stop is None:
                if wait is None:
                    wait = self.backoff.delay(number - 1, run.prev_wait, self.rng)
                    plan.source = "backoff"
                plan.wait = wait
                elapsed = now - run.start
                if self.deadline is not None and elapsed + wait > self.deadline:
                    plan.stop = StopReason.DEADLINE
                    plan.detail = (
                        f"waiting {wait:.3g} s ({plan.source}) would end after the {self.deadline:g} s "
                        f"deadline ({max(0.0, self.deadline - elapsed):.3g} s left)"
                    )
                elif self.budget is not None and not self.budget.try_withdraw():
                    plan.stop = StopReason.BUDGET
                    plan.detail = f"retry budget {self.budget.name!r} is spent"
        if plan.stop is not None:
            plan.wait, plan.source = 0.0, ""
        run.records.append(
            AttemptRecord(
                number,
                run.attempt_started,
                now,
                error,
                retryable,
                reason,
                plan.wait,
                plan.source,
                result if error is None else None,
            )
        )
        run.prev_wait = plan.wait
        return plan

    def _event(
        self,
        run: _Run,
        plan: _Plan,
        error: BaseException | None,
        result: Any,
        history: RetryHistory | None = None,
    ) -> RetryEvent:
        return RetryEvent(
            name=run.name,
            attempt=len(run.records),
            error=error,
            result=result,
            reason=plan.reason,
            wait=plan.wait,
            wait_source=plan.source,
            elapsed=self.clock.now() - run.start,
            stop=plan.stop,
            stop_detail=plan.detail,
            history=history,
        )

    def _history(self, run: _Run, plan: _Plan | None, succeeded: bool) -> RetryHistory:
        return RetryHistory(
            name=run.name,
            attempts=tuple(run.records),
            succeeded=succeeded,
            stop=None if plan is None else plan.stop,
            stop_detail="" if plan is None else plan.detail,
            started_at=run.start,
            ended_at=self.clock.now(),
        )

    def _give_up(self, run: _Run, plan: _Plan, error: BaseException | None, result: Any) -> RetryHistory:
        history = self._history(run, plan, succeeded=False)
        if self.on_giveup is not None:
            _call_hook(self.on_giveup, self._event(run, plan, error, result, history))
        if error is not None:
            error.retry_history = history  # type: ignore[attr-defined]
            error.add_note(history.summary())
        return history

    def _succeed(self, run: _Run, result: Any) -> RetryHistory:
        run.records.append(
            AttemptRecord(
                len(run.records) + 1,
                run.attempt_started,
                self.clock.now(),
                None,
                False,
                "succeeded",
                result=result,
            )
        )
        return self._history(run, None, succeeded=True)

    def _result_failed(self, result: Any) -> str | None:
        """None if ``result`` is acceptable, else why ``on_result`` wants it retried."""
        if self._result_judge is None:
            return None
        failed, reason = self._result_judge(result)
        return reason if failed else None

    def _name_for(self, fn: Callable[..., Any]) -> str:
        return self.name or getattr(fn, "__qualname__", None) or repr(fn)

    # ------------------------------------------------------------------ sync

    def _retry_sync(
        self,
        fn: Callable[..., Any],
        args: tuple,
        kwargs: dict,
        start: float,
        error: BaseException | None,
        result: Any,
        want_history: bool = False,
        result_reason: str | None = None,
    ) -> Any:
        """The slow path, entered after a failed first attempt (and outside any ``except``
        block, so a re-raised exception gets no misleading implicit ``__context__``)."""
        run = _Run(start, self._name_for(fn), result_reason)
        while True:
            plan = self._plan(run, error, result)
            if plan.stop is not None:
                history = self._give_up(run, plan, error, result)
                if error is not None:
                    raise error
                return (result, history) if want_history else result
            if self.before_sleep is not None:
                _call_hook(self.before_sleep, self._event(run, plan, error, result))
            self.clock.sleep(plan.wait)
            run.attempt_started = self.clock.now()
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                error, result = exc, None
                continue
            error = None
            if self._result_judge is not None:
                rejected = self._result_failed(result)
                if rejected is not None:
                    run.result_reason = rejected
                    continue
            history = self._succeed(run, result) if want_history else None
            return (result, history) if want_history else result

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call ``fn(*args, **kwargs)`` under this policy."""
        start = self.clock.now()
        if self.budget is not None:
            self.budget.deposit()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            error = exc
        else:
            rejected = self._result_failed(result)
            if rejected is None:
                return result
            return self._retry_sync(fn, args, kwargs, start, None, result, result_reason=rejected)
        return self._retry_sync(fn, args, kwargs, start, error, None)

    def call_with_history(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> tuple[T, RetryHistory]:
        """Like :meth:`call`, and also return the :class:`RetryHistory` (for notebooks).

        On failure the exception is raised as usual, its ``retry_history`` set.
        """
        start = self.clock.now()
        if self.budget is not None:
            self.budget.deposit()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            error = exc
        else:
            rejected = self._result_failed(result)
            if rejected is None:
                return result, self._succeed(_Run(start, self._name_for(fn)), result)
            return self._retry_sync(fn, args, kwargs, start, None, result, True, rejected)
        return self._retry_sync(fn, args, kwargs, start, error, None, want_history=True)

    # ------------------------------------------------------------------ async

    async def _retry_async(
        self,
        fn: Callable[..., Awaitable[Any]],
        args: tuple,
        kwargs: dict,
        start: float,
        error: BaseException | None,
        result: Any,
        want_history: bool = False,
        result_reason: str | None = None,
    ) -> Any:
        run = _Run(start, self._name_for(fn), result_reason)
        while True:
            plan = self._plan(run, error, result)
            if plan.stop is not None:
                history = self._give_up(run, plan, error, result)
                if error is not None:
                    raise error
                return (result, history) if want_history else result
            if self.before_sleep is not None:
                _call_hook(self.before_sleep, self._event(run, plan, error, result))
            await self.clock.sleep_async(plan.wait)
            run.attempt_started = self.clock.now()
            try:
                result = await fn(*args, **kwargs)
            except Exception as exc:
                error, result = exc, None
                continue
            error = None
            if self._result_judge is not None:
                rejected = self._result_failed(result)
                if rejected is not None:
                    run.result_reason = rejected
                    continue
            history = self._succeed(run, result) if want_history else None
            return (result, history) if want_history else result

    async def acall(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)`` under this policy (waits use ``clock.sleep_async``)."""
        start = self.clock.now()
        if self.budget is not None:
            self.budget.deposit()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            error = exc
        else:
            rejected = self._result_failed(result)
            if rejected is None:
                return result
            return await self._retry_async(fn, args, kwargs, start, None, result, result_reason=rejected)
        return await self._retry_async(fn, args, kwargs, start, error, None)

    async def acall_with_history(
        self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any
    ) -> tuple[T, RetryHistory]:
        start = self.clock.now()
        if self.budget is not None:
            self.budget.deposit()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            error = exc
        else:
            rejected = self._result_failed(result)
            if rejected is None:
                return result, self._succeed(_Run(start, self._name_for(fn)), result)
            return await self._retry_async(fn, args, kwargs, start, None, result, True, rejected)
        return await self._retry_async(fn, args, kwargs, start, error, None, want_history=True)

    # ------------------------------------------------------------------ decorator

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorate ``fn`` (a plain or ``async def`` function)."""
        if is_async(fn):
            return self._wrap_async(fn)  # type: ignore[return-value]
        return self._wrap_sync(fn)

    def _wrap_sync(self, fn: Callable[P, T]) -> Callable[P, T]:
        # The hot path is inlined here: one clock reading, (a budget deposit), a try. Nothing else
        # runs unless the first attempt fails.
        now = self.clock.now
        slow = self._retry_sync
        budget = self.budget
        result_failed = self._result_failed

        if budget is None and self._result_judge is None:

            @functools.wraps(fn)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
                start = now()
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:
                    error = exc
                return slow(fn, args, kwargs, start, error, None)

        else:
            deposit = budget.deposit if budget is not None else None

            @functools.wraps(fn)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
                start = now()
                if deposit is not None:
                    deposit()
                try:
                    result = fn(*args, **kwargs)
                except Exception as exc:
                    error = exc
                else:
                    rejected = result_failed(result)
                    if rejected is None:
                        return result
                    return slow(fn, args, kwargs, start, None, result, False, rejected)
                return slow(fn, args, kwargs, start, error, None)

        wrapper.retry = self  # type: ignore[attr-defined]
        return wrapper

    def _wrap_async(self, fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        acall = self.acall

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return await acall(fn, *args, **kwargs)

        wrapper.retry = self  # type: ignore[attr-defined]
        return wrapper

    def __repr__(self) -> str:
        on = self.on
        on_text = _describe_types(on) if isinstance(on, tuple) else getattr(on, "__name__", None) or repr(on)
        return (
            f"Retry(on={on_text}, attempts={self.attempts}, deadline={self.deadline}, backoff={self.backoff!r}, "
            f"max_retry_after={self.max_retry_after:g})"
        )


def retry(
    *,
    on: RetryOn,
    attempts: int | None = 3,
    deadline: float | None = 60.0,
    backoff: Backoff | None = None,
    **options: Any,
) -> Retry:
    """``@retry(on=..., attempts=..., deadline=...)``: the decorator spelling of :class:`Retry`."""
    return Retry(on=on, attempts=attempts, deadline=deadline, backoff=backoff, **options)
