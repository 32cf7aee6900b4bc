"""Retry-After parsing: retry-after-ms first, then seconds, then an HTTP-date against an injected now."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import httpx2

from course_lib.resilience import DEFAULT_MAX_RETRY_AFTER, parse_retry_after, retry_after_seconds
from course_lib.resilience.retry_after import headers_of

NOW = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)


def test_the_limit_follows_the_installed_openai_sdk():
    from openai._constants import MAX_RETRY_AFTER_DELAY

    assert DEFAULT_MAX_RETRY_AFTER == MAX_RETRY_AFTER_DELAY == 120


def test_milliseconds_win_over_seconds():
    parsed = parse_retry_after({"retry-after-ms": "200", "Retry-After": "3"})
    assert parsed.seconds == 0.2
    assert parsed.header == "retry-after-ms"


def test_seconds_integer_and_float():
    assert retry_after_seconds({"Retry-After": "2"}) == 2.0
    assert retry_after_seconds({"retry-after": " 1.5 "}) == 1.5


def test_http_date_is_relative_to_the_injected_now():
    parsed = parse_retry_after({"Retry-After": "Thu, 01 Jan 2026 00:00:05 GMT"}, now=NOW)
    assert parsed.seconds == 5.0
    assert parsed.header == "retry-after (HTTP-date)"
    past = parse_retry_after({"Retry-After": "Wed, 31 Dec 2025 23:59:00 GMT"}, now=NOW)
    assert past.seconds == -60.0
    assert not past.usable()


def test_garbage_and_missing_headers():
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({"retry-after-ms": "nan"}) is None
    assert parse_retry_after(None) is None
    assert parse_retry_after(object()) is None


def test_usable_and_exceeds():
    assert parse_retry_after({"Retry-After": "120"}).usable()
    assert not parse_retry_after({"Retry-After": "121"}).usable()
    assert parse_retry_after({"Retry-After": "121"}).exceeds(120)
    assert not parse_retry_after({"Retry-After": "0"}).usable()  # 0 means: use your own backoff
    huge = parse_retry_after({"retry-after": "1e999"})
    assert math.isinf(huge.seconds) and huge.exceeds(120)


def test_headers_from_an_openai_exception_and_an_httpx2_response(make_status_error):
    exc = make_status_error(429, {"retry-after-ms": "1500"})
    assert retry_after_seconds(exc) == 1.5
    response = httpx2.Response(503, headers={"Retry-After": "7"})
    assert retry_after_seconds(response) == 7.0
    assert headers_of(response) is response.headers


def test_plain_mapping_lookup_is_case_insensitive():
    assert retry_after_seconds({"RETRY-AFTER-MS": "10"}) == 0.01
    assert retry_after_seconds({b"x": b"y", "Retry-After": b"4"}) == 4.0
