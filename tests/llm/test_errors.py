"""The error factories build the SDK's real exception types, with real httpx2 responses."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from course_lib.fakes.chaos import LLMFault
from course_lib.fakes.llm import errors
from course_lib.fakes.llm.error_replies import rate_limit_reply, reply_for_fault, server_error_reply


def test_rate_limit_error_carries_both_retry_headers_and_the_code() -> None:
    err = errors.rate_limit_error(retry_after=2, retry_after_ms=150)
    assert isinstance(err, openai.RateLimitError)
    assert isinstance(err, ModelRateLimitError) and err.is_retryable
    assert isinstance(err.response, httpx2.Response)
    assert err.response.headers["retry-after"] == "2"
    assert err.response.headers["retry-after-ms"] == "150"
    assert err.status_code == 429 and err.code == "rate_limit_exceeded"
    assert str(err).startswith("Error code: 429 - Rate limit reached")
    assert isinstance(err.__cause__, openai.RateLimitError)  # chained like ChatOpenAI


def test_rate_limit_error_omits_headers_given_as_none() -> None:
    err = errors.rate_limit_error(retry_after=None, retry_after_ms=None, flavour="sdk")
    assert "retry-after" not in err.response.headers and "retry-after-ms" not in err.response.headers
    assert type(err) is openai.RateLimitError


def test_insufficient_quota_is_still_a_rate_limit_error() -> None:
    err = errors.rate_limit_error(code="insufficient_quota", flavour="sdk")
    assert err.code == "insufficient_quota" and "quota" in err.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_is_internal_server_error(status: int) -> None:
    err = errors.server_error(status)
    assert isinstance(err, openai.InternalServerError) and err.status_code == status


def test_gateway_errors_have_html_bodies_like_real_proxies() -> None:
    err = errors.server_error(502, flavour="sdk")
    assert err.response.headers["content-type"] == "text/html"
    assert err.body is not None and "502 Bad Gateway" in str(err.body)


def test_request_timeout_is_a_plain_api_status_error() -> None:
    err = errors.request_timeout_error()
    assert type(err) is openai.APIStatusError and err.status_code == 408


def test_context_length_error_is_a_context_overflow() -> None:
    err = errors.context_length_error(140_000, 128_000)
    assert isinstance(err, openai.BadRequestError) and isinstance(err, ContextOverflowError)
    assert err.code == "context_length_exceeded" and not err.is_retryable
    assert "maximum context length is 128000 tokens" in err.message and "140000" in err.message


def test_authentication_error() -> None:
    err = errors.authentication_error()
    assert isinstance(err, openai.AuthenticationError) and isinstance(err, ModelAuthenticationError)
    assert err.code == "invalid_api_key" and not err.is_retryable


def test_timeout_and_connection_errors_have_the_sdk_messages_and_causes() -> None:
    timeout = errors.timeout_error()
    assert isinstance(timeout, openai.APITimeoutError) and isinstance(timeout, ModelTimeoutError)
    assert timeout.message == "Request timed out."
    assert isinstance(timeout.__cause__, openai.APITimeoutError)
    assert isinstance(timeout.__cause__.__cause__, httpx2.ReadTimeout)
    conn = errors.connection_error(flavour="sdk")
    assert type(conn) is openai.APIConnectionError and conn.message == "Connection error."
    assert isinstance(conn.__cause__, httpx2.RemoteProtocolError)


def test_invalid_json_error_is_what_the_sdk_raises_for_a_bad_body() -> None:
    assert isinstance(errors.invalid_json_error(), json.JSONDecodeError)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: errors.rate_limit_error(retry_after=-1), "retry_after must be a finite number >= 0"),
        (lambda: errors.rate_limit_error(retry_after_ms=float("nan")), "retry_after_ms must be a finite"),
        (lambda: errors.server_error(404), "server_error status must be one of"),
        (lambda: errors.status_error(server_error_reply(500), flavour="raw"), "flavour must be"),  # type: ignore[arg-type]
        (lambda: errors.status_error(rate_limit_reply(1).__class__(200, "{}")), "only a 4xx/5xx reply"),
    ],
)
def test_bad_inputs_are_rejected_with_clear_errors(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (LLMFault.RATE_LIMIT, openai.RateLimitError),
        (LLMFault.SERVER_ERROR, openai.InternalServerError),
        (LLMFault.BAD_GATEWAY, openai.InternalServerError),
        (LLMFault.UNAVAILABLE, openai.InternalServerError),
        (LLMFault.REQUEST_TIMEOUT, openai.APIStatusError),
        (LLMFault.CONNECTION_RESET, openai.APIConnectionError),
        (LLMFault.INVALID_JSON, json.JSONDecodeError),
        (LLMFault.CONTEXT_LENGTH, openai.BadRequestError),
        (LLMFault.UNAUTHORIZED, openai.AuthenticationError),
    ],
)
def test_every_http_fault_maps_to_its_exception(fault: LLMFault, expected: type[Exception]) -> None:
    err = errors.error_for_fault(fault, retry_after_s=0.5, prompt_tokens=10, context_window=100)
    assert isinstance(err, expected)


@pytest.mark.parametrize(
    "fault", [None, LLMFault.SLOW_RESPONSE, LLMFault.MALFORMED_TOOL_CALL, LLMFault.TRUNCATED]
)
def test_non_http_faults_raise_nothing(fault: LLMFault | None) -> None:
    assert errors.error_for_fault(fault, retry_after_s=1, prompt_tokens=1, context_window=10) is None


def test_a_drawn_context_fault_claims_more_tokens_than_the_window() -> None:
    reply = reply_for_fault(LLMFault.CONTEXT_LENGTH, retry_after_s=1, prompt_tokens=10, context_window=1000)
    assert reply is not None and reply.message is not None
    assert "resulted in 1050 tokens" in reply.message
