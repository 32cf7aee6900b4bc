"""Map to production: our classification and Retry beside the openai SDK's own retries.

The SDK (3.57) retries 408/409/429/5xx, timeouts and connection errors, ``max_retries=2`` times
by default, honours ``retry-after-ms``/``Retry-After`` up to 120 s and obeys
``x-should-retry``. Here a real ``openai.OpenAI`` client talks to an ``httpx2.MockTransport``
(no sockets), with the SDK's sleep recorded instead of slept, so the two retry layers can be
compared attempt for attempt. Stacking them multiplies attempts: retry at one layer.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import httpx2
import openai
import pytest

from course_lib.clock import VirtualClock
from course_lib.resilience import Retry, StopReason, classify


@pytest.fixture
def sdk_sleeps(monkeypatch):
    """Record the SDK's retry sleeps instead of sleeping (it calls ``time.sleep`` in _base_client)."""
    import openai._base_client as base_client

    slept: list[float] = []
    monkeypatch.setattr(base_client, "time", SimpleNamespace(sleep=slept.append, time=time.time))
    return slept


class Server:
    """A scripted endpoint: each item is (status, headers, body) or an exception class to raise."""

    def __init__(self, *items):
        self.items = list(items)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        item = self.items[min(len(self.requests), len(self.items) - 1)]
        self.requests.append(request)
        if isinstance(item, type) and issubclass(item, Exception):
            raise item("scripted transport failure", request=request)
        status, headers, code = item
        if status == 200:
            return httpx2.Response(200, json=_completion("recovered"))
        return httpx2.Response(
            status, headers=headers, json={"error": {"message": f"status {status}", "code": code}}
        )

    def client(self, **options) -> openai.OpenAI:
        transport = httpx2.MockTransport(self)
        return openai.OpenAI(
            api_key="test",
            base_url="http://fake.test/v1",
            http_client=httpx2.Client(transport=transport),
            **options,
        )


def _completion(text: str) -> dict:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
    }


def ask(client: openai.OpenAI) -> str:
    reply = client.chat.completions.create(model="fake", messages=[{"role": "user", "content": "why?"}])
    return reply.choices[0].message.content


def attempts_by_sdk(server: Server, **options) -> tuple[int, str]:
    try:
        result = ask(server.client(**options))
    except Exception as exc:
        result = type(exc).__name__
    return len(server.requests), result


def attempts_by_us(server: Server, clock: VirtualClock | None = None, **policy) -> tuple[int, str]:
    client = server.client(max_retries=0)  # one retry layer only: ours
    try:
        result = Retry(on=classify, attempts=3, clock=clock or VirtualClock(), **policy).call(ask, client)
    except Exception as exc:
        result = type(exc).__name__
    return len(server.requests), result


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504])
def test_same_retry_decision_for_every_status(sdk_sleeps, status):
    sdk = attempts_by_sdk(Server((status, {}, None)))
    ours = attempts_by_us(Server((status, {}, None)))
    assert sdk == ours
    assert sdk[0] == (3 if status in (408, 409, 429) or status >= 500 else 1)


def test_recovers_like_the_sdk(sdk_sleeps):
    script = [(503, {"retry-after-ms": "100"}, None), (429, {"retry-after-ms": "250"}, None), (200, {}, None)]
    clock = VirtualClock()
    assert attempts_by_sdk(Server(*script)) == attempts_by_us(Server(*script), clock) == (3, "recovered")
    assert sdk_sleeps == [0.1, 0.25]  # the SDK waited what the server asked
    assert [s.seconds for s in clock.sleeps] == [0.1, 0.25]  # and so did we


def test_retry_after_above_120_seconds_is_not_retried_by_either(sdk_sleeps):
    too_long = (429, {"retry-after": "200"}, None)
    assert attempts_by_sdk(Server(too_long)) == (1, "RateLimitError")
    count, name = attempts_by_us(Server(too_long))
    assert (count, name) == (1, "RateLimitError")


def test_x_should_retry_is_obeyed_by_both(sdk_sleeps):
    assert attempts_by_sdk(Server((500, {"x-should-retry": "false"}, None)))[0] == 1
    assert attempts_by_us(Server((500, {"x-should-retry": "false"}, None)))[0] == 1
    assert attempts_by_sdk(Server((400, {"x-should-retry": "true"}, None)))[0] == 3
    assert attempts_by_us(Server((400, {"x-should-retry": "true"}, None)))[0] == 3


def test_timeouts_and_connection_errors_are_retried_by_both(sdk_sleeps):
    for failure, name in (
        (httpx2.ReadTimeout, "APITimeoutError"),
        (httpx2.ConnectError, "APIConnectionError"),
    ):
        assert attempts_by_sdk(Server(failure)) == (3, name)
        assert attempts_by_us(Server(failure)) == (3, name)


def test_where_we_differ_insufficient_quota(sdk_sleeps):
    """The SDK retries a 429 whose code is insufficient_quota; the quota will not come back in
    seconds, so we do not."""
    quota = (429, {}, "insufficient_quota")
    assert attempts_by_sdk(Server(quota)) == (3, "RateLimitError")
    assert attempts_by_us(Server(quota)) == (1, "RateLimitError")


def test_max_retries_and_timeout_are_what_the_sdk_accepts(sdk_sleeps):
    server = Server(httpx2.ReadTimeout)
    client = server.client(max_retries=4, timeout=5.0)
    assert client.max_retries == 4
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=1.5, max_retries=1).chat.completions.create(
            model="fake", messages=[{"role": "user", "content": "x"}]
        )
    assert len(server.requests) == 2
    assert server.requests[0].extensions["timeout"]["read"] == 1.5
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]
    assert openai.OpenAI(api_key="x").max_retries == 2  # the default: 3 attempts


def test_stacked_retries_multiply(sdk_sleeps):
    """Erratum 1: the SDK's 2 retries inside a 3-attempt loop make 9 HTTP attempts."""
    server = Server((503, {}, None))
    client = server.client()  # default max_retries=2
    with pytest.raises(openai.InternalServerError) as info:
        Retry(on=classify, attempts=3, clock=VirtualClock()).call(ask, client)
    assert len(server.requests) == 9
    assert info.value.retry_history.stop is StopReason.ATTEMPTS
    assert info.value.retry_history.count == 3
