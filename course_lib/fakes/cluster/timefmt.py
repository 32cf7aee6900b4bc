"""Time formats exactly as kubectl prints them.

kubectl shows ages with apimachinery's ``duration.HumanDuration`` ("8s", "3m12s", "25m", "5h2m",
"3d4h"), absolute times in describe as Go's RFC1123Z, and the API serves RFC 3339 with whole
seconds. Scenario files write times as "how long before the scenario's now" ("25m", "3m12s"),
so one scenario reads the same whenever it is loaded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = [
    "RelativeTimeError",
    "human_duration",
    "parse_ago",
    "parse_rfc3339",
    "rfc1123z",
    "rfc3339",
    "since",
]

_AGO = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


class RelativeTimeError(ValueError):
    """A scenario time that is neither a relative age ("3m12s") nor an RFC 3339 timestamp."""


def human_duration(delta: timedelta) -> str:
    """apimachinery ``duration.HumanDuration``: the AGE column's format."""
    seconds = int(delta.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: str | None, now: datetime) -> str:
    """``translateTimestampSince``: "<unknown>" for a missing timestamp, else a human age."""
    if not timestamp:
        return "<unknown>"
    return human_duration(now - parse_rfc3339(timestamp))


def parse_rfc3339(text: str) -> datetime:
    """Parse the API's timestamps ("2025-03-04T10:30:00Z"); always returns an aware datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """The API's timestamp format: UTC, whole seconds, a trailing Z."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc1123z(text: str) -> str:
    """Go's ``time.RFC1123Z`` in UTC, as describe prints Start Time, Started and Finished."""
    return parse_rfc3339(text).astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def parse_ago(value: object, now: datetime) -> str:
    """A scenario time: "25m" / "3m12s" / "2d" before ``now``, or an RFC 3339 string, as RFC 3339."""
    text = str(value).strip()
    if "T" in text:
        try:
            return rfc3339(parse_rfc3339(text))
        except ValueError:
            raise RelativeTimeError(f"not an RFC 3339 timestamp: {text!r}") from None
    match = _AGO.fullmatch(text)
    if not text or match is None:
        raise RelativeTimeError(f"not a relative age like '3m12s' or '2d': {text!r}")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return rfc3339(now - timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds))
