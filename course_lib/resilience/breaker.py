"""Circuit breaker: stop calling a dependency that is down, and test its recovery carefully.

States::

    CLOSED --(too many failures)--> OPEN --(reset_timeout elapsed)--> HALF_OPEN
       ^                              ^                                  |
       |                              +------(a probe fails)-------------+
       +--------------(success_threshold probes succeed)-----------------+

What this implementation gets right that the outline (and several PyPI packages) do not:

* **HALF_OPEN admits exactly ``half_open_max_calls`` probes.** Every other caller is rejected
  *immediately* with :class:`CircuitOpenError`, which says when to try again. (circuitbreaker,
  aiobreaker and purgatory let every concurrent caller through; pybreaker admits one probe but
  makes the others queue behind it on a lock.)
* **The lock is held only for bookkeeping, never around the protected call.** In CLOSED state
  calls run fully in parallel. pybreaker holds an ``RLock`` for the whole call, so 8 threads
  making 50 ms calls take 400 ms instead of 50 ms.
* **A probe has a time limit.** A probe that has not reported back within ``probe_timeout``
  seconds loses its slot, so one hung request cannot wedge the breaker in HALF_OPEN.
* **Which failures count is configurable** (``excluded`` types, or an ``is_failure``
  predicate such as :func:`~course_lib.resilience.errors.is_dependency_failure`): a 404 or a bad
  request says nothing about the dependency's health. Excluded errors count as "the dependency
  answered", i.e. as successes (pybreaker does the same).
* **Two trip rules**: ``failure_threshold`` consecutive failures, and/or a failure rate over a
  count-based sliding window (resilience4j style: ``window_size`` calls, at least
  ``minimum_calls`` of them, rate >= ``failure_rate_threshold``), kept in O(1) per call.
* **The original exception is re-raised** when a call fails, even the one that trips the breaker;
  :class:`CircuitOpenError` is raised only for calls that were rejected without running.
* **Monotonic injected clock**, state-change listeners, and a state history ``(time, from, to,
  reason)`` for charts; sync and async calls; decorator use.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

from course_lib.clock import Clock, RealClock
from course_lib.resilience.callables import is_async

__all__ = [
    "BreakerStats",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "StateChange",
]

_log = logging.getLogger(__name__)
P = ParamSpec("P")


T = TypeVar("T")


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_CLOSED = CircuitState.CLOSED
_OPEN = CircuitState.OPEN
_HALF_OPEN = CircuitState.HALF_OPEN


class CircuitOpenError(Exception):
    """A call was rejected without running. ``retry_after`` says when trying again makes sense.

    Attributes: ``breaker`` (name), ``state`` (OPEN, or HALF_OPEN with every probe slot taken),
    ``retry_after`` (seconds from now), ``retry_at`` (clock time) and ``reason`` (why it opened).
    """

    # Constructed as ``CircuitOpenError(breaker, state, retry_after, retry_at, reason)`` by the
    # plain C constructor (the values live in ``args``, which also makes it picklable). Creating
    # the error is most of the cost of a rejection, so no Python code runs until someone reads it.

    breaker = property(lambda self: self.args[0], doc="the breaker's name")
    state = property(lambda self: self.args[1], doc="OPEN, or HALF_OPEN with every probe slot taken")
    retry_after = property(lambda self: self.args[2], doc="seconds from now until a probe may be admitted")
    retry_at = property(lambda self: self.args[3], doc="clock time at which a probe may be admitted")
    reason = property(lambda self: self.args[4], doc="why the circuit opened")

    def __str__(self) -> str:
        if self.state is _OPEN:
            return (
                f"circuit {self.breaker!r} is open ({self.reason}); "
                f"next probe allowed in {self.retry_after:.3g} s"
            )
        return (
            f"circuit {self.breaker!r} is half-open and every probe slot is taken; "
            f"a slot frees within {self.retry_after:.3g} s"
        )


@dataclass(frozen=True, slots=True)
class StateChange:
    """One transition, for listeners and charts."""

    at: float
    from_state: CircuitState
    to_state: CircuitState
    reason: str
    breaker: str = ""


@dataclass(frozen=True, slots=True)
class BreakerStats:
    """Counters since creation (exact: every call is counted exactly once)."""

    state: CircuitState
    calls: int
    successes: int
    failures: int
    ignored: int  # exceptions that did not count as failures (excluded / is_failure False)
    rejected: int
    probes_started: int
    probes_timed_out: int
    consecutive_failures: int
    window_calls: int
    window_failures: int

    @property
    def failure_rate(self) -> float:
        return self.window_failures / self.window_calls if self.window_calls else 0.0


class CircuitBreaker:
    """A thread-safe, asyncio-friendly circuit breaker. See the module docstring.

    Parameters
    ----------
    name:
        Shown in errors, history and logs.
    failure_threshold:
        Open after this many consecutive counted failures (5). ``None`` disables the rule.
    window_size, failure_rate_threshold, minimum_calls:
        Also open when, over the last ``window_size`` calls (at least ``minimum_calls``,
        default ``window_size``), the failure rate is >= ``failure_rate_threshold`` (0.5).
        ``window_size=None`` (default) disables the rule.
    reset_timeout:
        Seconds to stay OPEN before admitting probes (30).
    half_open_max_calls:
        How many probes may run at once in HALF_OPEN (1). Everyone else is rejected at once.
    success_threshold:
        Probe successes needed to close (1; at most ``half_open_max_calls``). One probe failure reopens.
    probe_timeout:
        A probe that has not reported back after this many seconds frees its slot (60).
    excluded, is_failure:
        Exception types that never count as failures, and/or a predicate ``exc -> bool``
        deciding which do (default: every ``Exception``). Non-failures count as successes.
    listeners:
        Callables receiving each :class:`StateChange` (called outside the lock; an exception
        in a listener is logged and ignored).
    """

    def __init__(
        self,
        name: str = "breaker",
        *,
        failure_threshold: int | None = 5,
        window_size: int | None = None,
        failure_rate_threshold: float = 0.5,
        minimum_calls: int | None = None,
        reset_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        success_threshold: int = 1,
        probe_timeout: float = 60.0,
        excluded: Iterable[type[BaseException]] = (),
        is_failure: Callable[[BaseException], bool] | None = None,
        listeners: Iterable[Callable[[StateChange], None]] = (),
        clock: Clock | None = None,
        history_limit: int = 1000,
    ) -> None:
        if failure_threshold is None and window_size is None:
            raise ValueError("set failure_threshold and/or window_size, or the breaker can never open")
        if failure_threshold is not None and failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if window_size is not None:
            if window_size < 1:
                raise ValueError(f"window_size must be >= 1, got {window_size}")
            minimum_calls = window_size if minimum_calls is None else minimum_calls
            if not (1 <= minimum_calls <= window_size):
                raise ValueError(f"minimum_calls must be in [1, window_size], got {minimum_calls}")
            if not (0 < failure_rate_threshold <= 1):
                raise ValueError(f"failure_rate_threshold must be in (0, 1], got {failure_rate_threshold}")
        for label, value in (("reset_timeout", reset_timeout), ("probe_timeout", probe_timeout)):
            if math.isnan(value) or value <= 0 or math.isinf(value):
                raise ValueError(f"{label} must be a finite number of seconds > 0, got {value!r}")
        if half_open_max_calls < 1:
            raise ValueError(f"half_open_max_calls must be >= 1, got {half_open_max_calls}")
        if not (1 <= success_threshold <= half_open_max_calls):
            raise ValueError(
                f"success_threshold must be in [1, half_open_max_calls], got {success_threshold}"
            )

        self.name = name
        self.failure_threshold = failure_threshold
        self.window_size = window_size
        self.failure_rate_threshold = float(failure_rate_threshold)
        self.minimum_calls = minimum_calls
        self.reset_timeout = float(reset_timeout)
        self.half_open_max_calls = half_open_max_calls
        self.success_threshold = success_threshold
        self.probe_timeout = float(probe_timeout)
        self.excluded: tuple[type[BaseException], ...] = tuple(excluded)
        self.is_failure = is_failure
        self.clock: Clock = clock if clock is not None else RealClock()
        self._listeners: list[Callable[[StateChange], None]] = list(listeners)

        self._lock = threading.Lock()
        # State. Writers (under the lock) set _state before bumping _gen; the lock-free CLOSED
        # fast path reads _gen, then _state (see _admit).
        self._state: CircuitState = _CLOSED
        self._gen = 0
        self._reason = "initial state"
        self._retry_at = 0.0  # when OPEN: the time a probe becomes allowed
        self._consecutive = 0
        self._probes: dict[int, float] = {}  # probe id -> start time
        self._probe_seq = 0
        self._probe_successes = 0
        self._window = bytearray(window_size or 0)
        self._win_index = 0
        self._win_count = 0
        self._win_failures = 0
        # Counters.
        self._successes = 0
        self._failures = 0
        self._ignored = 0
        self._rejected = 0
        self._probes_started = 0
        self._probes_timed_out = 0
        self._history: deque[StateChange] = deque(maxlen=history_limit)
        self._history.append(StateChange(self.clock.now(), _CLOSED, _CLOSED, "created", name))

    # ------------------------------------------------------------------ public state

    @property
    def state(self) -> CircuitState:
        """The stored state. An OPEN breaker whose timeout has passed turns HALF_OPEN on the next call."""
        return self._state

    @property
    def history(self) -> list[StateChange]:
        """Every transition (oldest first; the first entry is the creation)."""
        with self._lock:
            return list(self._history)

    def stats(self) -> BreakerStats:
        with self._lock:
            return BreakerStats(
                state=self._state,
                calls=self._successes + self._failures + self._ignored,
                successes=self._successes,
                failures=self._failures,
                ignored=self._ignored,
                rejected=self._rejected,
                probes_started=self._probes_started,
                probes_timed_out=self._probes_timed_out,
                consecutive_failures=self._consecutive,
                window_calls=self._win_count,
                window_failures=self._win_failures,
            )

    def add_listener(self, listener: Callable[[StateChange], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[StateChange], None]) -> None:
        self._listeners.remove(listener)

    # ------------------------------------------------------------------ transitions (lock held)

    def _transition(self, to: CircuitState, reason: str, now: float, pending: list[StateChange]) -> None:
        change = StateChange(now, self._state, to, reason, self.name)
        self._state = to
        self._gen += 1
        self._reason = reason
        self._probes.clear()
        self._probe_successes = 0
        if to is _OPEN:
            self._retry_at = now + self.reset_timeout
        elif to is _CLOSED:
            self._consecutive = 0
            self._win_index = self._win_count = self._win_failures = 0
        self._history.append(change)
        pending.append(change)

    def _notify(self, pending: list[StateChange]) -> None:
        """Call the listeners, outside the lock. A failing listener is logged, never allowed to
        break the protected call (or replace its exception)."""
        for change in pending:
            for listener in tuple(self._listeners):
                try:
                    listener(change)
                except Exception:
                    _log.exception("circuit breaker listener %r failed (ignored)", listener)

    def _window_add(self, failed: int) -> None:
        """Push one outcome into the count-based ring buffer (subtract-on-evict, O(1))."""
        size = self.window_size
        assert size
        window = self._window
        index = self._win_index
        if self._win_count == size:
            self._win_failures -= window[index]
        else:
            self._win_count += 1
        window[index] = failed
        self._win_failures += failed
        self._win_index = index + 1 if index + 1 < size else 0

    def _record_closed(self, failed: bool, pending: list[StateChange]) -> None:
        """Record a CLOSED-state outcome (lock held) and open if a trip rule fires."""
        if failed:
            self._consecutive += 1
        else:
            self._consecutive = 0
        size = self.window_size
        if size:
            self._window_add(1 if failed else 0)
        if not failed:
            return
        threshold = self.failure_threshold
        if threshold is not None and self._consecutive >= threshold:
            self._transition(_OPEN, f"{self._consecutive} consecutive failures", self.clock.now(), pending)
        elif (
            size
            and self._win_count >= self.minimum_calls
            and self._win_failures >= self.failure_rate_threshold * self._win_count
        ):
            rate = self._win_failures / self._win_count
            self._transition(
                _OPEN,
                f"failure rate {rate:.0%} over the last {self._win_count} calls "
                f"(threshold {self.failure_rate_threshold:.0%})",
                self.clock.now(),
                pending,
            )

    # ------------------------------------------------------------------ admission

    def _admit(self) -> int:
        """Return a ticket (>= 0: a CLOSED call of that generation; < 0: probe id) or raise."""
        gen = self._gen
        if self._state is _CLOSED:  # lock-free fast path; a stale read is caught at record time
            return gen
        error: CircuitOpenError | None = None
        with self._lock:  # the common OPEN case first: reject, cheaply
            if self._state is _OPEN:
                now = self.clock.now()
                retry_at = self._retry_at
                if now < retry_at:
                    self._rejected += 1
                    error = CircuitOpenError(self.name, _OPEN, retry_at - now, retry_at, self._reason)
        if error is not None:
            raise error
        return self._admit_probe()

    def _admit_probe(self) -> int:
        """OPEN with its timeout elapsed, or HALF_OPEN: admit a probe if a slot is free."""
        pending: list[StateChange] = []
        error: CircuitOpenError | None = None
        ticket = 0
        with self._lock:
            state = self._state
            if state is _CLOSED:
                return self._gen
            now = self.clock.now()
            if state is _OPEN:
                if now >= self._retry_at:
                    self._transition(
                        _HALF_OPEN, f"reset timeout of {self.reset_timeout:g} s elapsed", now, pending
                    )
                    state = _HALF_OPEN
                else:
                    self._rejected += 1
                    error = CircuitOpenError(
                        self.name, _OPEN, self._retry_at - now, self._retry_at, self._reason
                    )
            if state is _HALF_OPEN:
                probes = self._probes
                if probes:
                    limit = now - self.probe_timeout
                    for probe_id, started in list(probes.items()):
                        if started <= limit:
                            del probes[probe_id]
                            self._probes_timed_out += 1
                if len(probes) < self.half_open_max_calls:
                    self._probe_seq += 1
                    probes[self._probe_seq] = now
                    self._probes_started += 1
                    ticket = -self._probe_seq
                else:
                    self._rejected += 1
                    free_at = min(probes.values()) + self.probe_timeout
                    error = CircuitOpenError(self.name, _HALF_OPEN, free_at - now, free_at, self._reason)
        if pending:
            self._notify(pending)
        if error is not None:
            raise error
        return ticket

    # ------------------------------------------------------------------ recording

    def _on_success(self, ticket: int) -> None:
        if ticket >= 0:
            # The hot path: a success in CLOSED never changes state, so no listener work.
            with self._lock:
                self._successes += 1
                if ticket == self._gen and self._state is _CLOSED:
                    self._consecutive = 0
                    if self.window_size:
                        self._window_add(0)
            return
        pending: list[StateChange] = []
        with self._lock:
            self._successes += 1
            if self._probes.pop(-ticket, None) is not None:
                self._probe_successes += 1
                if self._probe_successes >= self.success_threshold:
                    self._transition(
                        _CLOSED, f"{self._probe_successes} probe(s) succeeded", self.clock.now(), pending
                    )
        if pending:
            self._notify(pending)

    def _counts(self, exc: BaseException) -> bool:
        if self.excluded and isinstance(exc, self.excluded):
            return False
        if self.is_failure is not None:
            return bool(self.is_failure(exc))
        return True

    def _on_error(self, ticket: int, exc: BaseException) -> None:
        if not isinstance(exc, Exception):
            # Cancellation, KeyboardInterrupt, SystemExit: says nothing about the dependency.
            # Free a probe slot so the breaker is not wedged, count nothing.
            if ticket < 0:
                with self._lock:
                    self._probes.pop(-ticket, None)
            return
        if not self._counts(exc):
            pending: list[StateChange] = []
            with self._lock:
                self._ignored += 1
                if ticket >= 0:
                    if ticket == self._gen and self._state is _CLOSED:
                        self._record_closed(False, pending)
                elif self._probes.pop(-ticket, None) is not None:
                    self._probe_successes += 1
                    if self._probe_successes >= self.success_threshold:
                        self._transition(
                            _CLOSED,
                            f"probe answered ({type(exc).__name__}, not a health failure)",
                            self.clock.now(),
                            pending,
                        )
            if pending:
                self._notify(pending)
            return
        pending = []
        with self._lock:
            self._failures += 1
            if ticket >= 0:
                if ticket == self._gen and self._state is _CLOSED:
                    self._record_closed(True, pending)
            elif self._probes.pop(-ticket, None) is not None:
                self._transition(_OPEN, f"probe failed with {type(exc).__name__}", self.clock.now(), pending)
        if pending:
            self._notify(pending)

    # ------------------------------------------------------------------ calling

    def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` through the breaker (raises CircuitOpenError if rejected)."""
        gen = self._gen
        ticket = gen if self._state is _CLOSED else self._admit()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._on_error(ticket, exc)
            raise
        self._on_success(ticket)
        return result

    async def acall(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args, **kwargs)`` through the breaker. Cancellation frees a probe slot."""
        gen = self._gen
        ticket = gen if self._state is _CLOSED else self._admit()
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            self._on_error(ticket, exc)
            raise
        self._on_success(ticket)
        return result

    def __call__(self, fn: Callable[P, T]) -> Callable[P, T]:
        """Decorator: ``@breaker`` on a plain or ``async def`` function."""
        if is_async(fn):
            acall = self.acall

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                return await acall(fn, *args, **kwargs)

            async_wrapper.breaker = self  # type: ignore[attr-defined]
            return async_wrapper  # type: ignore[return-value]

        admit = self._admit
        on_error = self._on_error
        on_success = self._on_success
        breaker = self

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            ticket = breaker._gen  # same lock-free CLOSED fast path as call()
            if breaker._state is not _CLOSED:
                ticket = admit()
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                on_error(ticket, exc)
                raise
            on_success(ticket)
            return result

        wrapper.breaker = self  # type: ignore[attr-defined]
        return wrapper

    # ------------------------------------------------------------------ manual control

    def trip(self, reason: str = "opened manually") -> None:
        """Force OPEN now (for demos and operator overrides)."""
        pending: list[StateChange] = []
        with self._lock:
            self._transition(_OPEN, reason, self.clock.now(), pending)
        self._notify(pending)

    def reset(self, reason: str = "reset manually") -> None:
        """Force CLOSED now, clearing the failure counts."""
        pending: list[StateChange] = []
        with self._lock:
            self._transition(_CLOSED, reason, self.clock.now(), pending)
        self._notify(pending)

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.name!r}, state={self._state.value}, reason={self._reason!r})"
