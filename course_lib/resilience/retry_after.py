"""Retry-After: the server says how long to wait. Listen.

A 429 or 503 often carries the answer to "how long should I back off?":

* ``retry-after-ms: 1500``: milliseconds (OpenAI's own header; preferred when present);
* ``Retry-After: 2`` (RFC 9110 delay-seconds; providers also send floats such as ``1.5``);
* ``Retry-After: Wed, 01 Jan 2026 00:00:05 GMT`` (an HTTP-date, relative to "now").

This module parses them in that order, exactly as openai 3.57's ``_parse_retry_after_header``
does, but against an injected wall time so a test can pin "now". Deciding what to *do* with
the value (wait it, or refuse because it is longer than you are willing to wait) is the retry
loop's job; the limit the SDK uses is :data:`DEFAULT_MAX_RETRY_AFTER` (120 s in openai 3.57:
a longer Retry-After means "do not retry", a value of 0 or an unparsable one means "use your
own backoff").

Headers can come from an exception (``exc.response.headers``, as on openai's
``APIStatusError``; or ``exc.headers``), from an ``httpx2``/``httpx`` response, or from a
plain mapping (looked up case-insensitively).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "DEFAULT_MAX_RETRY_AFTER",
    "RetryAfter",
    "headers_of",
    "parse_retry_after",
    "retry_after_seconds",
]

DEFAULT_MAX_RETRY_AFTER = 120.0
"""openai 3.57 ``MAX_RETRY_AFTER_DELAY``: it honours 0 < delay <= 120 s and will not retry above."""


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """A parsed server delay: ``seconds`` to wait, which header said so, and its raw text."""

    seconds: float
    header: str  # "retry-after-ms", "retry-after" or "retry-after (HTTP-date)"
    raw: str

    def exceeds(self, maximum: float) -> bool:
        """True if the server asks for a longer wait than ``maximum`` seconds."""
        return self.seconds > maximum

    def usable(self, maximum: float = DEFAULT_MAX_RETRY_AFTER) -> bool:
        """True if this delay should be waited as given: ``0 < seconds <= maximum``."""
        return 0 < self.seconds <= maximum


def _get(headers: Any, name: str) -> str | None:
    """Case-insensitive header lookup on httpx-style headers or a plain mapping."""
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter(name)
    if value is None and isinstance(headers, Mapping):
        lowered = name.lower()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == lowered:
                value = candidate
                break
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value)


def headers_of(source: Any) -> Any | None:
    """Find response headers on ``source``: an exception, a response, or a mapping itself."""
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source
    response = getattr(source, "response", None)
    if response is not None:
        headers = getattr(response, "headers", None)
        if headers is not None:
            return headers
    headers = getattr(source, "headers", None)
    if headers is not None and hasattr(headers, "get"):
        return headers
    return None


def _to_seconds(raw: str, divisor: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    if math.isnan(value):
        return None
    return value / divisor


def parse_retry_after(source: Any, *, now: datetime | None = None) -> RetryAfter | None:
    """Parse the server's delay from headers (or from an exception/response carrying them).

    Returns None when no header is present or none parses. Precedence: ``retry-after-ms``,
    then ``retry-after`` as a number of seconds (floats allowed), then ``retry-after`` as an
    HTTP-date, measured from ``now`` (an aware datetime; defaults to the real UTC time).
    A date in the past gives a negative number of seconds; an absurd number gives ``inf``.
    Both are reported as parsed; :meth:`RetryAfter.usable` says whether to wait them.
    """
    headers = headers_of(source)
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = _get(headers, name)
        if raw is None:
            continue
        seconds = _to_seconds(raw.strip(), divisor)
        if seconds is not None:
            return RetryAfter(seconds, name, raw)
    raw = _get(headers, "retry-after")
    if raw is None:
        return None
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:  # pragma: no cover - older Pythons returned None instead of raising
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    if now is None:
        from course_lib.clock import RealClock  # the one module allowed to read real time

        now = RealClock().wall_time()
    return RetryAfter((when - now).total_seconds(), "retry-after (HTTP-date)", raw)


def retry_after_seconds(source: Any, *, now: datetime | None = None) -> float | None:
    """Just the number of seconds from :func:`parse_retry_after`, or None."""
    parsed = parse_retry_after(source, now=now)
    return None if parsed is None else parsed.seconds
