"""classify(): retryable or not, and why, for every error family the agent meets."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2
import openai
import pytest
from langchain_core import exceptions as lc

from course_lib.resilience import (
    CircuitOpenError,
    CircuitState,
    DeadlineExceeded,
    ErrorKind,
    classify,
    classify_kubectl_stderr,
    classify_status,
    is_dependency_failure,
    is_retryable,
)


@pytest.mark.parametrize(
    ("status", "retryable", "kind"),
    [
        (400, False, ErrorKind.BAD_REQUEST),
        (401, False, ErrorKind.AUTHENTICATION),
        (403, False, ErrorKind.PERMISSION_DENIED),
        (404, False, ErrorKind.NOT_FOUND),
        (408, True, ErrorKind.TIMEOUT),
        (409, True, ErrorKind.CONFLICT),
        (422, False, ErrorKind.BAD_REQUEST),
        (429, True, ErrorKind.RATE_LIMITED),
        (500, True, ErrorKind.SERVER_ERROR),
        (502, True, ErrorKind.SERVER_ERROR),
        (503, True, ErrorKind.SERVER_ERROR),
        (504, True, ErrorKind.SERVER_ERROR),
    ],
)
def test_openai_status_errors(make_status_error, status, retryable, kind):
    verdict = classify(make_status_error(status))
    assert verdict.retryable is retryable
    assert verdict.kind is kind
    assert f"HTTP {status}" in verdict.reason
    assert bool(verdict) is retryable
    assert is_retryable(make_status_error(status)) is retryable


def test_context_length_is_not_retryable_and_says_what_to_do(make_status_error):
    verdict = classify(make_status_error(400, code="context_length_exceeded"))
    assert not verdict.retryable
    assert verdict.kind is ErrorKind.CONTEXT_LENGTH
    assert "shrink" in verdict.reason


def test_insufficient_quota_is_not_retried_even_though_the_sdk_retries_it(make_status_error):
    verdict = classify(make_status_error(429, code="insufficient_quota"))
    assert not verdict.retryable
    assert verdict.kind is ErrorKind.QUOTA_EXHAUSTED


def test_retry_after_above_the_maximum_makes_a_429_not_retryable(make_status_error):
    assert classify(make_status_error(429, {"retry-after": "120"})).retryable
    verdict = classify(make_status_error(429, {"retry-after": "200"}))
    assert not verdict.retryable
    assert "200" in verdict.reason
    assert verdict.retry_after == 200
    assert classify(make_status_error(429, {"retry-after": "200"}), max_retry_after=300).retryable


def test_retry_after_is_reported(make_status_error):
    verdict = classify(make_status_error(429, {"retry-after-ms": "1500"}))
    assert verdict.retryable
    assert verdict.retry_after == 1.5
    assert "1.5 s" in verdict.reason


def test_x_should_retry_overrides_the_status(make_status_error):
    assert not classify(make_status_error(500, {"x-should-retry": "false"})).retryable
    verdict = classify(make_status_error(400, {"x-should-retry": "true"}))
    assert verdict.retryable
    assert "x-should-retry" in verdict.reason


def test_openai_transport_errors():
    request = httpx2.Request("POST", "https://api.example.test/v1/chat/completions")
    timeout = classify(openai.APITimeoutError(request=request))
    assert timeout.retryable and timeout.kind is ErrorKind.TIMEOUT
    connection = classify(openai.APIConnectionError(request=request))
    assert connection.retryable and connection.kind is ErrorKind.CONNECTION
    other = classify(openai.OpenAIError("weird"))
    assert not other.retryable


@pytest.mark.parametrize(
    ("cls", "retryable", "kind"),
    [
        (lc.ModelRateLimitError, True, ErrorKind.RATE_LIMITED),
        (lc.ModelAPIError, True, ErrorKind.SERVER_ERROR),
        (lc.ModelConnectionError, True, ErrorKind.CONNECTION),
        (lc.ModelTimeoutError, True, ErrorKind.TIMEOUT),
        (lc.ModelAuthenticationError, False, ErrorKind.AUTHENTICATION),
        (lc.ModelPermissionDeniedError, False, ErrorKind.PERMISSION_DENIED),
        (lc.ModelNotFoundError, False, ErrorKind.NOT_FOUND),
        (lc.ModelInvalidRequestError, False, ErrorKind.BAD_REQUEST),
        (lc.ContextOverflowError, False, ErrorKind.CONTEXT_LENGTH),
        (lc.ModelRefusalError, False, ErrorKind.REFUSED),
    ],
)
def test_langchain_model_errors_follow_is_retryable(cls, retryable, kind):
    verdict = classify(cls("boom"))
    assert verdict.retryable is retryable is cls.is_retryable
    assert verdict.kind is kind
    assert f"is_retryable={retryable}" in verdict.reason


def test_langchain_openai_dual_errors_use_the_http_details():
    from langchain_openai.chat_models import base

    request = httpx2.Request("POST", "https://api.example.test/v1/chat/completions")
    response = httpx2.Response(400, request=request, headers={})
    exc = base.OpenAIContextOverflowError("too long", response=response, body={"message": "too long"})
    verdict = classify(exc)
    assert not verdict.retryable
    assert verdict.kind is ErrorKind.CONTEXT_LENGTH


def test_httpx2_transport_errors():
    request = httpx2.Request("GET", "https://x.test")
    assert classify(httpx2.ReadTimeout("slow", request=request)).kind is ErrorKind.TIMEOUT
    assert classify(httpx2.ConnectError("refused", request=request)).kind is ErrorKind.CONNECTION
    response = httpx2.Response(503, request=request)
    status = classify(httpx2.HTTPStatusError("503", request=request, response=response))
    assert status.retryable and status.kind is ErrorKind.SERVER_ERROR


def test_stdlib_timeouts_and_connection_errors_are_retryable():
    assert classify(TimeoutError()).kind is ErrorKind.TIMEOUT
    assert classify(ConnectionRefusedError()).kind is ErrorKind.CONNECTION
    assert classify(ConnectionResetError()).retryable
    expired = classify(subprocess.TimeoutExpired(["kubectl", "get", "pods"], 5))
    assert expired.retryable and expired.kind is ErrorKind.TIMEOUT
    assert "5 s" in expired.reason


@pytest.mark.parametrize(
    "exc",
    [
        TypeError("x"),
        KeyError("x"),
        AttributeError("x"),
        IndexError(1),
        ZeroDivisionError(),
        AssertionError(),
    ],
)
def test_bugs_are_never_retried(exc):
    verdict = classify(exc)
    assert not verdict.retryable
    assert verdict.kind is ErrorKind.BUG
    assert "bug" in verdict.reason


def test_unknown_exceptions_are_not_retried():
    class Weird(Exception):
        pass

    verdict = classify(Weird())
    assert not verdict.retryable and verdict.kind is ErrorKind.UNKNOWN
    assert "on=" in verdict.reason
    assert not classify(ValueError("bad input")).retryable
    assert classify(json.JSONDecodeError("x", "doc", 0)).kind is ErrorKind.BAD_RESPONSE


def test_cancellation_and_our_own_signals():
    assert classify(KeyboardInterrupt()).kind is ErrorKind.CANCELLED
    assert not classify(DeadlineExceeded("late")).retryable  # a TimeoutError, but no time is left
    open_error = CircuitOpenError("llm", CircuitState.OPEN, 12.0, 112.0, "5 consecutive failures")
    verdict = classify(open_error)
    assert not verdict.retryable and verdict.kind is ErrorKind.CIRCUIT_OPEN and verdict.retry_after == 12.0


KUBECTL_CASES = [
    ('Error from server (NotFound): pods "missing-pod" not found', False, ErrorKind.NOT_FOUND),
    (
        'error: error from server (NotFound): pods "x" not found in namespace "default"',
        False,
        ErrorKind.NOT_FOUND,
    ),
    (
        'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:diag:k8s-agent" '
        'cannot list resource "pods" in API group "" in the namespace "prod"',
        False,
        ErrorKind.PERMISSION_DENIED,
    ),
    (
        "error: You must be logged in to the server (the server has asked for the client to provide credentials)",
        False,
        ErrorKind.AUTHENTICATION,
    ),
    (
        "E1128 memcache.go:265] couldn't get current server API group list: dial tcp 127.0.0.1:1: connect: "
        "connection refused\nThe connection to the server 127.0.0.1:1 was refused - did you specify the right "
        "host or port?",
        True,
        ErrorKind.CONNECTION,
    ),
    (
        "Error from server (TooManyRequests): the server has received too many requests and has asked us "
        "to try again later (get pods)",
        True,
        ErrorKind.RATE_LIMITED,
    ),
    (
        "Error from server (ServiceUnavailable): the server is currently unable to handle the request (get pods)",
        True,
        ErrorKind.SERVER_ERROR,
    ),
    (
        'Error from server (InternalError): an error on the server ("upstream says no") has prevented the '
        "request from succeeding (get pods)",
        True,
        ErrorKind.SERVER_ERROR,
    ),
    (
        "Error from server (Timeout): the server was unable to return a response in the time allotted",
        True,
        ErrorKind.SERVER_ERROR,
    ),
    ("Unable to connect to the server: net/http: TLS handshake timeout", True, ErrorKind.TIMEOUT),
    ("Unable to connect to the server: context deadline exceeded", True, ErrorKind.TIMEOUT),
    ("Unable to connect to the server: dial tcp: lookup nowhere: no such host", True, ErrorKind.CONNECTION),
    (
        'Error from server (BadRequest): container "app" in pod "waiting" is waiting to start',
        False,
        ErrorKind.BAD_REQUEST,
    ),
    ('error: the server doesn\'t have a resource type "scaledobject"', False, ErrorKind.BAD_REQUEST),
    ("panic: runtime error: invalid memory address\ngoroutine 1 [running]:", False, ErrorKind.CRASHED),
    ("something nobody has seen before", False, ErrorKind.UNKNOWN),
]


@pytest.mark.parametrize(("stderr", "retryable", "kind"), KUBECTL_CASES)
def test_kubectl_stderr(stderr, retryable, kind):
    verdict = classify_kubectl_stderr(stderr, 1)
    assert (verdict.retryable, verdict.kind) == (retryable, kind), verdict.reason
    assert "kubectl (exit 1)" in verdict.reason


def test_kubectl_exit_codes():
    assert classify_kubectl_stderr("", 0).kind is ErrorKind.OK
    assert classify_kubectl_stderr("", 255).kind is ErrorKind.CRASHED
    assert classify_kubectl_stderr(b"", -9).kind is ErrorKind.CRASHED


def test_kubectl_shaped_results_and_exceptions():
    @dataclass
    class ToolResult:
        stdout: str
        stderr: str
        exit_code: int

    failed = ToolResult("", "Error from server (ServiceUnavailable): the server is currently unable", 1)
    assert classify(failed).retryable
    assert classify(ToolResult("NAME READY", "", 0)).kind is ErrorKind.OK
    called = subprocess.CalledProcessError(
        1, ["kubectl"], stderr='Error from server (NotFound): pods "x" not found'
    )
    assert classify(called).kind is ErrorKind.NOT_FOUND
    assert classify("Error from server (TooManyRequests): slow down").retryable


def test_objects_that_declare_retryable_are_believed():
    class KubectlError(Exception):
        def __init__(self, retryable: bool, reason: str, kind: str = "unknown") -> None:
            super().__init__(reason)
            self.retryable = retryable
            self.reason = reason
            self.kind = kind

    verdict = classify(KubectlError(True, "API server unreachable", "connection"))
    assert verdict.retryable and verdict.kind is ErrorKind.CONNECTION
    assert "API server unreachable" in verdict.reason
    assert not classify(KubectlError(False, "pod not found", "not_found")).retryable

    @dataclass
    class Result:
        retryable: bool

    assert classify(Result(True)).retryable
    assert not classify(Result(False)).retryable


def test_classify_status_directly():
    assert classify_status(599).retryable
    assert not classify_status(418).retryable
    assert classify_status(429, code="insufficient_quota").kind is ErrorKind.QUOTA_EXHAUSTED


def test_http_date_retry_after_uses_the_injected_now(make_status_error):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    exc = make_status_error(503, {"retry-after": "Thu, 01 Jan 2026 00:03:00 GMT"})
    assert not classify(exc, now=now).retryable  # 180 s > 120 s
    assert classify(exc, now=datetime(2026, 1, 1, 0, 2, tzinfo=UTC)).retryable  # 60 s


def test_is_dependency_failure(make_status_error):
    assert is_dependency_failure(make_status_error(503))
    assert is_dependency_failure(make_status_error(429))
    assert is_dependency_failure(TimeoutError())
    assert not is_dependency_failure(make_status_error(404))
    assert not is_dependency_failure(make_status_error(400))
    assert not is_dependency_failure(KeyError("bug"))


def test_str_of_a_classification(make_status_error):
    text = str(classify(make_status_error(503)))
    assert text.startswith("retryable (server_error):")


def test_a_tool_layers_own_result_and_error_shapes():
    """The shape the kubectl tools use: a result with .ok/.error, the error declaring .retryable
    with its own kind vocabulary ("NotFound", "TooManyRequests", ...)."""
    from enum import StrEnum

    class ToolKind(StrEnum):
        NOT_FOUND = "NotFound"
        TOO_MANY_REQUESTS = "TooManyRequests"
        CONNECTION_REFUSED = "ConnectionRefused"
        CRASH = "Crash"

    @dataclass(frozen=True)
    class ToolError:
        kind: ToolKind
        message: str
        reason: str = ""

        @property
        def retryable(self) -> bool:
            return self.kind in (ToolKind.TOO_MANY_REQUESTS, ToolKind.CONNECTION_REFUSED)

    @dataclass(frozen=True)
    class ToolResult:
        exit_code: int | None
        stdout: str
        stderr: str
        error: ToolError | None = None

        @property
        def ok(self) -> bool:
            return self.error is None

    throttled = ToolResult(
        1, "", "...", ToolError(ToolKind.TOO_MANY_REQUESTS, "slow down", "TooManyRequests")
    )
    verdict = classify(throttled)
    assert verdict.retryable and verdict.kind is ErrorKind.RATE_LIMITED
    assert "slow down" in verdict.reason
    missing = classify(ToolResult(1, "", "", ToolError(ToolKind.NOT_FOUND, 'pods "x" not found', "NotFound")))
    assert not missing.retryable and missing.kind is ErrorKind.NOT_FOUND
    assert classify(ToolResult(None, "", "", ToolError(ToolKind.CONNECTION_REFUSED, "refused"))).kind is (
        ErrorKind.CONNECTION
    )
    assert classify(ToolError(ToolKind.CRASH, "panic")).kind is ErrorKind.CRASHED
    assert classify(ToolResult(0, "NAME READY", "")).kind is ErrorKind.OK
