"""Fallback chain: primary, then secondary, then a degraded answer, and a record of why.

When the primary model is rate limited, its circuit is open, or the prompt is too long for it,
try the next option instead of failing the whole diagnosis. The chain records every step it
took and *why* it moved on (exception type and classification reason, or "circuit open"), so
a log line or a notebook can show exactly which path produced the answer::

    chain = FallbackChain(
        ("gpt-primary", ask_primary),
        ("gpt-small", ask_secondary),
        degraded=lambda steps: "Could not reach a model; raw kubectl output follows: ...",
        clock=clock,
    )
    result = chain.run(prompt)        # FallbackResult: value, source, degraded, steps
    answer = chain(prompt)            # just the value

What triggers a fallback is ``fall_back_on`` (exception types or a predicate). The default
falls back on every ``Exception`` *except* ones that look like bugs in our code (``TypeError``,
``KeyError``...): a fallback that hides a bug turns a crash into a silently worse answer.
When every step fails and there is no degraded answer, the last exception is re-raised with
``fallback_steps`` attached.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from course_lib.clock import Clock, RealClock
from course_lib.resilience.breaker import CircuitOpenError
from course_lib.resilience.deadline import DeadlineExceeded
from course_lib.resilience.errors import ErrorKind, classify

__all__ = ["FallbackChain", "FallbackResult", "FallbackStep"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FallbackStep:
    """One step of a chain run: ``outcome`` is "ok", "failed", "skipped" or "degraded"."""

    name: str
    outcome: str
    reason: str
    error: BaseException | None = None
    kind: str = ""
    started_at: float = 0.0
    ended_at: float = 0.0

    @property
    def error_type(self) -> str:
        return type(self.error).__name__ if self.error is not None else ""


@dataclass(frozen=True, slots=True)
class FallbackResult(Generic[T]):
    """The value, which step produced it, whether it is the degraded answer, and every step."""

    value: T
    source: str
    degraded: bool
    steps: tuple[FallbackStep, ...]

    def describe(self) -> str:
        lines = [f"answer from {self.source!r}" + (" (degraded)" if self.degraded else "")]
        for step in self.steps:
            lines.append(f"  {step.name:<16} {step.outcome:<8} {step.reason}")
        return "\n".join(lines)


def _default_fall_back_on(exc: BaseException) -> bool:
    """Fall back on anything except what looks like a bug in our own code."""
    return classify(exc).kind is not ErrorKind.BUG


class FallbackChain(Generic[T]):
    """Try each step in order with the same arguments; see the module docstring."""

    def __init__(
        self,
        *steps: Callable[..., T] | tuple[str, Callable[..., T]],
        degraded: Callable[[Sequence[FallbackStep]], T] | None = None,
        fall_back_on: type[BaseException]
        | tuple[type[BaseException], ...]
        | Callable[[BaseException], Any]
        | None = None,
        deadline: float | None = None,
        clock: Clock | None = None,
        name: str = "fallback",
    ) -> None:
        if not steps:
            raise ValueError("a fallback chain needs at least one step")
        named: list[tuple[str, Callable[..., T]]] = []
        for index, step in enumerate(steps):
            if isinstance(step, tuple):
                label, fn = step
            else:
                fn = step
                label = getattr(step, "__name__", None) or f"step{index + 1}"
            if not callable(fn):
                raise TypeError(f"fallback step {label!r} is not callable")
            named.append((label, fn))
        self.steps = tuple(named)
        self.degraded = degraded
        if fall_back_on is None:
            self._should = _default_fall_back_on
        elif isinstance(fall_back_on, type | tuple):
            types = fall_back_on if isinstance(fall_back_on, tuple) else (fall_back_on,)
            self._should = lambda exc: isinstance(exc, types)
        else:
            self._should = fall_back_on
        self.deadline = deadline
        self.clock: Clock = clock if clock is not None else RealClock()
        self.name = name

    # ------------------------------------------------------------------ shared bookkeeping

    def _failed_step(self, label: str, exc: BaseException, started: float) -> tuple[FallbackStep, bool]:
        """Describe a failure and say whether the chain may move on."""
        ended = self.clock.now()
        if not isinstance(exc, Exception):
            return FallbackStep(
                label, "failed", f"{type(exc).__name__}: cancelled", exc, "cancelled", started, ended
            ), False
        if isinstance(exc, CircuitOpenError):
            reason = f"circuit open: {exc}"
            kind = ErrorKind.CIRCUIT_OPEN.value
        else:
            verdict = classify(exc, now=self.clock.wall_time())
            reason = f"{type(exc).__name__}: {verdict.reason}"
            kind = verdict.kind.value
        move_on = bool(self._should(exc))
        if not move_on:
            reason += " (not a fallback trigger: re-raised)"
        return FallbackStep(label, "failed", reason, exc, kind, started, ended), move_on

    def _out_of_time(self, start: float) -> bool:
        return self.deadline is not None and self.clock.now() - start >= self.deadline

    def _finish(self, steps: list[FallbackStep], last_error: BaseException | None) -> FallbackResult[T]:
        if self.degraded is None:
            if last_error is None:
                raise DeadlineExceeded(
                    f"{self.name}: the {self.deadline:g} s deadline passed before any step ran"
                )
            last_error.fallback_steps = tuple(steps)  # type: ignore[attr-defined]
            last_error.add_note(
                f"{self.name}: every step failed: "
                + "; ".join(f"{s.name} {s.outcome} ({s.reason})" for s in steps)
            )
            raise last_error
        value = self.degraded(tuple(steps))  # it sees the failed steps, e.g. to explain them
        now = self.clock.now()
        steps.append(
            FallbackStep(
                "degraded", "degraded", "every step failed; returning the degraded answer", None, "", now, now
            )
        )
        return FallbackResult(value, "degraded", True, tuple(steps))

    # ------------------------------------------------------------------ sync

    def run(self, *args: Any, **kwargs: Any) -> FallbackResult[T]:
        """Try the steps in order; return the first success (or the degraded answer)."""
        start = self.clock.now()
        steps: list[FallbackStep] = []
        last_error: BaseException | None = None
        for label, fn in self.steps:
            if self._out_of_time(start):
                steps.append(
                    FallbackStep(label, "skipped", f"the chain's {self.deadline:g} s deadline passed")
                )
                continue
            started = self.clock.now()
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:
                step, move_on = self._failed_step(label, exc, started)
                steps.append(step)
                if not move_on:
                    exc.fallback_steps = tuple(steps)  # type: ignore[attr-defined]
                    raise
                last_error = exc
                continue
            steps.append(FallbackStep(label, "ok", "succeeded", None, "", started, self.clock.now()))
            return FallbackResult(value, label, False, tuple(steps))
        return self._finish(steps, last_error)

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        return self.run(*args, **kwargs).value

    # ------------------------------------------------------------------ async

    async def arun(self, *args: Any, **kwargs: Any) -> FallbackResult[T]:
        """Async :meth:`run`; steps may be coroutine functions or plain callables."""
        start = self.clock.now()
        steps: list[FallbackStep] = []
        last_error: BaseException | None = None
        for label, fn in self.steps:
            if self._out_of_time(start):
                steps.append(
                    FallbackStep(label, "skipped", f"the chain's {self.deadline:g} s deadline passed")
                )
                continue
            started = self.clock.now()
            try:
                value = fn(*args, **kwargs)
                if inspect.isawaitable(value):
                    value = await value
            except BaseException as exc:
                step, move_on = self._failed_step(label, exc, started)
                steps.append(step)
                if not move_on:
                    exc.fallback_steps = tuple(steps)  # type: ignore[attr-defined]
                    raise
                last_error = exc
                continue
            steps.append(FallbackStep(label, "ok", "succeeded", None, "", started, self.clock.now()))
            return FallbackResult(value, label, False, tuple(steps))  # type: ignore[arg-type]
        return self._finish(steps, last_error)

    async def acall(self, *args: Any, **kwargs: Any) -> T:
        return (await self.arun(*args, **kwargs)).value

    def __repr__(self) -> str:
        names = " -> ".join(label for label, _ in self.steps)
        tail = " -> degraded" if self.degraded is not None else ""
        return f"FallbackChain({names}{tail})"
