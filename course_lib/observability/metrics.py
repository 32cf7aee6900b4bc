"""Thread-safe agent metrics: labelled counters and latency histograms with percentiles.

Why percentiles and not averages (seed errata 29): latency is skewed. If 98 calls take 0.2 s
and 2 wait out a 30 s timeout, the mean is 0.8 s, a number no call actually took, and it looks
healthy. p50 (0.2 s) says what a typical call feels like, p99 (30 s) says what the unlucky ones
feel like, and with an agent making ten model calls per run, a 1-in-100 slow call hits about
one run in ten. Tail latency is what users notice and what deadlines must be sized for.

Why a lock (seed errata 30): ``self.count += 1`` is a read-modify-write; two threads can read
the same value and one increment is lost. Every update here happens under the metric's lock.

Storage. Counters and histogram count/sum/min/max/buckets are exact. For percentiles a
histogram keeps the raw observations of each label set: exactly, up to ``max_observations``
(10,000 by default, far more than a course evaluation makes), then as a uniform random sample
of that size (reservoir sampling, Vitter's Algorithm R, from a seeded ``random.Random``), so
memory stays bounded in a long-running process. :class:`Percentiles` says which (``exact``).

Export. Each :class:`AgentMetrics` owns a dedicated ``prometheus_client.CollectorRegistry``
(never the global one, so two notebooks cells or tests do not collide on metric names) and
serves the same numbers in Prometheus text format through a custom collector: one source of
truth, no second copy to drift.
"""

from __future__ import annotations

import bisect
import math
import random
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

__all__ = [
    "DEFAULT_LATENCY_BUCKETS",
    "DEFAULT_MAX_OBSERVATIONS",
    "AgentMetrics",
    "Counter",
    "Histogram",
    "Percentiles",
    "percentile",
]

DEFAULT_LATENCY_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip
DEFAULT_MAX_OBSERVATIONS = 10_000
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, interpolating linearly between ranks.

    The same definition as numpy's default (Hyndman-Fan type 7): with n sorted values the
    percentile sits at rank ``(n - 1) * q / 100``. It is monotonic in ``q`` and always between
    min and max. Raises ValueError for no values, a q outside [0, 100] or a NaN value.
    """
    if not 0 <= q <= 100 or math.isnan(q):
        raise ValueError(f"percentile q must be within [0, 100], got {q!r}")
    if len(values) == 0:
        raise ValueError("percentile of no values is undefined; check count() first")
    ordered = sorted(float(v) for v in values)
    if math.isnan(ordered[0]) or any(math.isnan(v) for v in ordered):
        raise ValueError("values contain NaN; a percentile of NaN is meaningless")
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    lo, hi, frac = ordered[low], ordered[high], rank - low
    value = lo + (hi - lo) * frac
    if not math.isfinite(value):  # (hi - lo) overflowed for extreme floats
        value = lo * (1 - frac) + hi * frac
    return min(max(value, lo), hi)


@dataclass(frozen=True, slots=True)
class Percentiles:
    """A latency summary. ``mean``, ``min``, ``max`` and ``count`` are exact; the percentiles are
    exact when ``exact`` is True, else estimated from a uniform sample of the observations."""

    count: int
    min: float
    max: float
    mean: float
    p50: float
    p95: float
    p99: float
    exact: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _METRIC_NAME.fullmatch(name):
        raise ValueError(f"invalid metric name {name!r}: use letters, digits and underscores")
    return name


def _check_labelnames(labelnames: Iterable[str], reserved: frozenset[str] = frozenset()) -> tuple[str, ...]:
    names = tuple(labelnames)
    for label in names:
        if not isinstance(label, str) or not _LABEL_NAME.fullmatch(label) or label.startswith("__"):
            raise ValueError(f"invalid label name {label!r}")
        if label in reserved:
            raise ValueError(f"label name {label!r} is reserved for this metric type")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate label names in {names}")
    return names


def _label_value(value: Any) -> str:
    value = getattr(value, "value", value)  # enums (StrEnum states, outcomes)
    if value is None:
        raise ValueError("a label value cannot be None")
    return str(value)


class _Labelled:
    """Shared label handling: a full label set names one series; a partial one filters series."""

    def __init__(
        self, name: str, documentation: str, labelnames: Iterable[str], reserved: frozenset[str]
    ) -> None:
        self.name = _check_name(name)
        self.documentation = documentation or name
        self.labelnames = _check_labelnames(labelnames, reserved)
        self._lock = threading.Lock()

    def _key(self, labels: Mapping[str, Any]) -> tuple[str, ...]:
        if set(labels) != set(self.labelnames):
            missing = sorted(set(self.labelnames) - set(labels))
            extra = sorted(set(labels) - set(self.labelnames))
            raise ValueError(
                f"{self.name} takes labels {list(self.labelnames)}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unexpected {extra}" if extra else "")
            )
        return tuple(_label_value(labels[n]) for n in self.labelnames)

    def _matcher(self, filters: Mapping[str, Any]) -> dict[int, str]:
        unknown = sorted(set(filters) - set(self.labelnames))
        if unknown:
            raise ValueError(f"{self.name} has no labels {unknown}; its labels are {list(self.labelnames)}")
        return {self.labelnames.index(k): _label_value(v) for k, v in filters.items()}

    @staticmethod
    def _matches(key: tuple[str, ...], matcher: Mapping[int, str]) -> bool:
        return all(key[i] == v for i, v in matcher.items())

    def _label_index(self, label: str) -> int:
        if label not in self.labelnames:
            raise ValueError(f"{self.name} has no label {label!r}; its labels are {list(self.labelnames)}")
        return self.labelnames.index(label)


class Counter(_Labelled):
    """A monotonically increasing count per label set (``runs{agent, outcome}``)."""

    def __init__(self, name: str, documentation: str = "", labelnames: Iterable[str] = ()) -> None:
        super().__init__(name.removesuffix("_total"), documentation, labelnames, frozenset())
        self._values: dict[tuple[str, ...], float] = {}

    def inc(self, amount: float = 1.0, **labels: Any) -> None:
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise TypeError(f"counter increment must be a number, got {type(amount).__name__}")
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"counters only go up: increment must be finite and >= 0, got {amount!r}")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **filters: Any) -> float:
        """The count of one label set, or the sum over every set matching a partial filter."""
        matcher = self._matcher(filters)
        with self._lock:
            return sum(v for k, v in self._values.items() if self._matches(k, matcher))

    def by(self, label: str, **filters: Any) -> dict[str, float]:
        """Counts grouped by one label, e.g. ``runs.by("outcome", agent="naive")``, in first-seen order."""
        index, matcher = self._label_index(label), self._matcher(filters)
        out: dict[str, float] = {}
        with self._lock:
            for key, v in self._values.items():
                if self._matches(key, matcher):
                    out[key[index]] = out.get(key[index], 0.0) + v
        return out

    def series(self) -> dict[tuple[str, ...], float]:
        """A copy of every label set's count, keyed by label values in ``labelnames`` order."""
        with self._lock:
            return dict(self._values)

    def collect(self) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for key, v in self.series().items():
            family.add_metric(list(key), v)
        return family


class _Series:
    """One label set of a histogram: exact aggregates plus a bounded sample."""

    __slots__ = ("buckets", "count", "max", "min", "sample", "sum")

    def __init__(self, n_buckets: int) -> None:
        self.buckets = [0] * n_buckets  # non-cumulative counts; the last one is +Inf
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.sample: list[float] = []


class Histogram(_Labelled):
    """Observations (latencies in seconds) per label set: percentiles, and Prometheus buckets."""

    def __init__(
        self,
        name: str,
        documentation: str = "",
        labelnames: Iterable[str] = (),
        *,
        buckets: Sequence[float] = DEFAULT_LATENCY_BUCKETS,
        max_observations: int = DEFAULT_MAX_OBSERVATIONS,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(name, documentation, labelnames, frozenset({"le"}))
        bounds = [float(b) for b in buckets]
        if not bounds or any(not math.isfinite(b) for b in bounds) or bounds != sorted(set(bounds)):
            raise ValueError(
                f"buckets must be finite, strictly increasing and non-empty, got {list(buckets)}"
            )
        if max_observations < 1:
            raise ValueError(f"max_observations must be >= 1, got {max_observations}")
        self.bounds = tuple(bounds)
        self.max_observations = max_observations
        self._rng = rng if rng is not None else random.Random(0)
        self._series: dict[tuple[str, ...], _Series] = {}

    def observe(self, value: float, **labels: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"an observation must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"an observation must be finite, got {value!r}")
        key = self._key(labels)
        value = float(value)
        with self._lock:
            s = self._series.get(key)
            if s is None:
                s = self._series[key] = _Series(len(self.bounds) + 1)
            s.buckets[bisect.bisect_left(self.bounds, value)] += 1  # le is inclusive
            s.count += 1
            s.sum += value
            s.min = min(s.min, value)
            s.max = max(s.max, value)
            if len(s.sample) < self.max_observations:
                s.sample.append(value)
            else:  # Algorithm R: keep each of the count values with equal probability
                j = self._rng.randrange(s.count)
                if j < self.max_observations:
                    s.sample[j] = value

    def _matching(self, filters: Mapping[str, Any]) -> list[_Series]:
        matcher = self._matcher(filters)
        return [s for k, s in self._series.items() if self._matches(k, matcher)]

    def count(self, **filters: Any) -> int:
        with self._lock:
            return sum(s.count for s in self._matching(filters))

    def sum(self, **filters: Any) -> float:
        with self._lock:
            return math.fsum(s.sum for s in self._matching(filters))

    def observations(self, **filters: Any) -> list[float]:
        """The kept observations of the matching label sets (all of them while exact)."""
        with self._lock:
            return [v for s in self._matching(filters) for v in s.sample]

    def percentiles(self, **filters: Any) -> Percentiles:
        """p50/p95/p99 over the matching label sets; raises LookupError if there are none."""
        with self._lock:
            series = self._matching(filters)
            count = sum(s.count for s in series)
            if count == 0:
                raise LookupError(f"{self.name} has no observations for {filters or 'any labels'}")
            values = [v for s in series for v in s.sample]
            total = math.fsum(s.sum for s in series)
            low, high = min(s.min for s in series), max(s.max for s in series)
            exact = all(s.count <= self.max_observations for s in series)
        p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
        return Percentiles(count, low, high, min(max(total / count, low), high), p50, p95, p99, exact)

    def series_keys(self) -> list[tuple[str, ...]]:
        with self._lock:
            return list(self._series)

    def collect(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        with self._lock:
            rows = [(k, list(s.buckets), s.sum) for k, s in self._series.items()]
        for key, counts, total in rows:
            cumulative, running = [], 0
            for bound, n in zip((*self.bounds, math.inf), counts, strict=True):
                running += n
                cumulative.append((floatToGoString(bound), running))
            family.add_metric(list(key), cumulative, sum_value=total)
        return family


class _Collector:
    """Presents a set of metrics to a prometheus_client registry."""

    def __init__(self, metrics: Sequence[Counter | Histogram]) -> None:
        self._metrics = tuple(metrics)

    def collect(self) -> Iterator[Metric]:
        for metric in self._metrics:
            yield metric.collect()

    def describe(self) -> Iterator[Metric]:
        """Names without samples, so any registry detects a clash at ``register`` time."""
        for metric in self._metrics:
            family = CounterMetricFamily if isinstance(metric, Counter) else HistogramMetricFamily
            yield family(metric.name, metric.documentation, labels=metric.labelnames)


class StateChangeLike(Protocol):
    @property
    def to_state(self) -> Any: ...


class RetryEventLike(Protocol):
    @property
    def error(self) -> BaseException | None: ...


class AgentMetrics:
    """The course's standard agent metrics, with one small method to record each thing.

    Labels must have few distinct values (agent names, outcomes, exception *types*), never
    free text or ids: every distinct label set is a new time series in Prometheus.
    """

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        latency_buckets: Sequence[float] = DEFAULT_LATENCY_BUCKETS,
        max_observations: int = DEFAULT_MAX_OBSERVATIONS,
        seed: int = 0,
    ) -> None:
        rng = random.Random(seed)

        def hist(name: str, doc: str, labels: tuple[str, ...]) -> Histogram:
            return Histogram(
                name, doc, labels, buckets=latency_buckets, max_observations=max_observations, rng=rng
            )

        self.runs = Counter("agent_runs_total", "Agent runs by outcome.", ("agent", "outcome"))
        self.llm_calls = Counter(
            "llm_calls_total", "Logical model calls by final status.", ("agent", "status")
        )
        self.llm_http_attempts = Counter(
            "llm_http_attempts_total",
            "HTTP attempts made for model calls (retries included).",
            ("agent", "status"),
        )
        self.tool_calls = Counter("tool_calls_total", "Tool calls by outcome.", ("tool", "outcome"))
        self.retries = Counter(
            "retries_total", "Retries scheduled, by layer and error type.", ("layer", "reason")
        )
        self.breaker_transitions = Counter(
            "breaker_transitions_total", "Circuit breaker state changes, by target state.", ("breaker", "to")
        )
        self.fallback_steps = Counter(
            "fallback_steps_total", "Fallback chain steps, by outcome.", ("chain", "step", "outcome")
        )
        self.tokens = Counter("tokens_total", "Model tokens, by kind (input/output).", ("kind",))
        self.run_seconds = hist("agent_run_seconds", "Agent run duration in seconds.", ("agent",))
        self.llm_call_seconds = hist(
            "llm_call_seconds", "Logical model call duration in seconds.", ("agent",)
        )
        self.tool_call_seconds = hist("tool_call_seconds", "Tool call duration in seconds.", ("tool",))
        self.registry = registry if registry is not None else CollectorRegistry()
        self.registry.register(_Collector(self.all_metrics()))  # ValueError if names already taken

    def all_metrics(self) -> list[Counter | Histogram]:
        return [
            self.runs,
            self.llm_calls,
            self.llm_http_attempts,
            self.tool_calls,
            self.retries,
            self.breaker_transitions,
            self.fallback_steps,
            self.tokens,
            self.run_seconds,
            self.llm_call_seconds,
            self.tool_call_seconds,
        ]

    # ---- recording
    def record_run(self, agent: str, outcome: str, seconds: float) -> None:
        self.runs.inc(agent=agent, outcome=outcome)
        self.run_seconds.observe(seconds, agent=agent)

    def record_llm_call(self, agent: str, status: str, seconds: float) -> None:
        """One logical model call (after its retries); HTTP attempts are counted separately."""
        self.llm_calls.inc(agent=agent, status=status)
        self.llm_call_seconds.observe(seconds, agent=agent)

    def record_http_attempt(self, agent: str, status: str | int) -> None:
        """One HTTP request to the model API (``status`` e.g. 200, 429, "timeout")."""
        self.llm_http_attempts.inc(agent=agent, status=status)

    def record_tool_call(self, tool: str, outcome: str, seconds: float | None = None) -> None:
        self.tool_calls.inc(tool=tool, outcome=outcome)
        if seconds is not None:
            self.tool_call_seconds.observe(seconds, tool=tool)

    def record_retry(self, layer: str, reason: str) -> None:
        """``reason`` should be low-cardinality: an exception type or a status, not a message."""
        self.retries.inc(layer=layer, reason=reason)

    def record_breaker_transition(self, breaker: str, to: str) -> None:
        self.breaker_transitions.inc(breaker=breaker, to=to)

    def record_fallback_step(self, chain: str, step: str, outcome: str) -> None:
        self.fallback_steps.inc(chain=chain, step=step, outcome=outcome)

    def record_tokens(self, *, input_tokens: int = 0, output_tokens: int = 0) -> None:
        for kind, n in (("input", input_tokens), ("output", output_tokens)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"{kind}_tokens must be an int >= 0, got {n!r}")
            if n:
                self.tokens.inc(n, kind=kind)

    # ---- adapters for course_lib.resilience hooks
    def on_breaker_change(self, change: StateChangeLike) -> None:
        """A ``CircuitBreaker`` listener counting transitions by target state."""
        breaker = str(getattr(change, "breaker", "") or "breaker")
        self.record_breaker_transition(breaker, str(getattr(change.to_state, "value", change.to_state)))

    def retry_hook(self, layer: str) -> Callable[[RetryEventLike], None]:
        """A ``Retry`` ``before_sleep`` hook counting retries by the failing exception's type."""

        def hook(event: RetryEventLike) -> None:
            self.record_retry(layer, type(event.error).__name__ if event.error is not None else "result")

        return hook

    # ---- reading
    def prometheus_text(self) -> str:
        """Every metric in the Prometheus text exposition format (what ``/metrics`` would serve)."""
        return generate_latest(self.registry).decode("utf-8")

    def snapshot(self) -> dict[str, Any]:
        """Plain numbers for tables and JSON: counters by series, histograms as percentiles."""
        out: dict[str, Any] = {}
        for metric in self.all_metrics():
            if isinstance(metric, Counter):
                out[metric.name + "_total"] = {
                    ",".join(f"{n}={v}" for n, v in zip(metric.labelnames, key, strict=True)): value
                    for key, value in metric.series().items()
                }
            else:
                out[metric.name] = {
                    ",".join(
                        f"{n}={v}" for n, v in zip(metric.labelnames, key, strict=True)
                    ): metric.percentiles(**dict(zip(metric.labelnames, key, strict=True))).as_dict()
                    for key in metric.series_keys()
                }
        return out

    def __repr__(self) -> str:
        return f"AgentMetrics(runs={self.runs.value():g}, llm_calls={self.llm_calls.value():g})"
