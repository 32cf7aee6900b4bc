"""Factories for the openai SDK's real exceptions, built on real ``httpx2`` requests/responses.

Lessons catch ``openai.RateLimitError``, read ``err.response.headers["retry-after-ms"]``, check
``err.code == "context_length_exceeded"``: the fakes must raise those exact types with those
exact attributes, not look-alikes. By default (``flavour="langchain"``) the factories return what
``ChatOpenAI`` raises: langchain-openai's subclasses that are *both* the SDK class and a
``langchain_core.exceptions.ModelError`` (so ``ModelRetryMiddleware`` sees ``is_retryable``),
chained to the plain SDK error exactly as ChatOpenAI chains them. ``flavour="sdk"`` returns
what the bare ``openai.OpenAI`` client raises.
"""

from __future__ import annotations

import json
from typing import Literal

import httpx2
import openai

from course_lib.fakes.chaos import LLMFault
from course_lib.fakes.llm.error_replies import (
    ErrorReply,
    context_length_reply,
    rate_limit_reply,
    reply_for_fault,
    request_timeout_reply,
    server_error_reply,
    unauthorized_reply,
)

__all__ = [
    "Flavour",
    "authentication_error",
    "connection_error",
    "context_length_error",
    "error_for_fault",
    "invalid_json_error",
    "rate_limit_error",
    "request_timeout_error",
    "server_error",
    "status_error",
    "timeout_error",
]

Flavour = Literal["langchain", "sdk"]
DEFAULT_URL = "https://api.openai.com/v1/chat/completions"


def _request(url: str) -> httpx2.Request:
    return httpx2.Request("POST", url)


def _sdk_status_error(reply: ErrorReply, request: httpx2.Request) -> openai.APIStatusError:
    """The class and message the SDK picks for this status (mirrors ``OpenAI._make_status_error``)."""
    headers = [*reply.headers, ("content-type", reply.content_type), ("x-request-id", "req_course_fake")]
    response = httpx2.Response(reply.status, headers=headers, text=reply.body, request=request)
    message = f"Error code: {reply.status}"
    if reply.message:
        message += f" - {reply.message}"
    try:
        decoded: object = json.loads(reply.body)
    except ValueError:
        decoded = reply.body
    body = decoded.get("error", decoded) if isinstance(decoded, dict) else decoded
    classes: dict[int, type[openai.APIStatusError]] = {
        400: openai.BadRequestError,
        401: openai.AuthenticationError,
        403: openai.PermissionDeniedError,
        404: openai.NotFoundError,
        409: openai.ConflictError,
        422: openai.UnprocessableEntityError,
        429: openai.RateLimitError,
    }
    cls = classes.get(
        reply.status, openai.InternalServerError if reply.status >= 500 else openai.APIStatusError
    )
    return cls(message, response=response, body=body)


def _as_langchain(error: openai.APIError) -> openai.APIError:
    """Re-raise ``error`` as ChatOpenAI does: a dual SDK + LangChain class, chained to the original."""
    from langchain_openai.chat_models import base as lc

    wrapped: openai.APIError
    if isinstance(error, openai.BadRequestError):
        cls = (
            lc.OpenAIContextOverflowError
            if "context_length_exceeded" in str(error) or (error.code == "context_length_exceeded")
            else lc.OpenAIInvalidRequestError
        )
        wrapped = cls(message=error.message, response=error.response, body=error.body)
    elif isinstance(error, openai.AuthenticationError):
        wrapped = lc.OpenAIAuthenticationError(
            message=error.message, response=error.response, body=error.body
        )
    elif isinstance(error, openai.RateLimitError):
        wrapped = lc.OpenAIRateLimitError(message=error.message, response=error.response, body=error.body)
    elif isinstance(error, openai.InternalServerError):
        wrapped = lc.OpenAIAPIError(message=error.message, response=error.response, body=error.body)
    elif isinstance(error, openai.APITimeoutError):
        wrapped = lc.OpenAITimeoutError(error.request)
    elif isinstance(error, openai.APIConnectionError):
        wrapped = lc.OpenAIConnectionError(message=error.message, request=error.request)
    else:
        return error  # e.g. 408: ChatOpenAI lets a plain APIStatusError through unchanged
    wrapped.__cause__ = error
    return wrapped


def _finish(error: openai.APIError, flavour: Flavour) -> openai.APIError:
    if flavour == "sdk":
        return error
    if flavour == "langchain":
        return _as_langchain(error)
    raise ValueError(f"flavour must be 'langchain' or 'sdk', got {flavour!r}")


def status_error(
    reply: ErrorReply, *, url: str = DEFAULT_URL, flavour: Flavour = "langchain"
) -> openai.APIStatusError:
    """The exception a client raises on receiving ``reply`` (for any status >= 400)."""
    if reply.status < 400:
        raise ValueError(f"only a 4xx/5xx reply is an error, got status {reply.status}")
    error = _finish(_sdk_status_error(reply, _request(url)), flavour)
    assert isinstance(error, openai.APIStatusError)
    return error


def rate_limit_error(
    retry_after: float | None = 1.0,
    retry_after_ms: float | None = None,
    *,
    code: str = "rate_limit_exceeded",
    flavour: Flavour = "langchain",
) -> openai.RateLimitError:
    """429 ``RateLimitError``; its response carries ``retry-after`` / ``retry-after-ms`` headers."""
    error = status_error(rate_limit_reply(retry_after, retry_after_ms, code=code), flavour=flavour)
    assert isinstance(error, openai.RateLimitError)
    return error


def server_error(status: int = 500, *, flavour: Flavour = "langchain") -> openai.InternalServerError:
    """``InternalServerError`` for 500, 502, 503 or 504."""
    error = status_error(server_error_reply(status), flavour=flavour)
    assert isinstance(error, openai.InternalServerError)
    return error


def request_timeout_error() -> openai.APIStatusError:
    """HTTP 408: a plain ``APIStatusError`` (the SDK has no subclass; ChatOpenAI does not wrap it)."""
    return status_error(request_timeout_reply(), flavour="sdk")


def context_length_error(
    prompt_tokens: int = 131_072, context_window: int = 128_000, *, flavour: Flavour = "langchain"
) -> openai.BadRequestError:
    """400 ``BadRequestError`` with ``code == "context_length_exceeded"`` (never worth retrying)."""
    error = status_error(context_length_reply(prompt_tokens, context_window), flavour=flavour)
    assert isinstance(error, openai.BadRequestError)
    return error


def authentication_error(*, flavour: Flavour = "langchain") -> openai.AuthenticationError:
    """401 ``AuthenticationError`` with ``code == "invalid_api_key"``."""
    error = status_error(unauthorized_reply(), flavour=flavour)
    assert isinstance(error, openai.AuthenticationError)
    return error


def timeout_error(*, url: str = DEFAULT_URL, flavour: Flavour = "langchain") -> openai.APITimeoutError:
    """``APITimeoutError`` ("Request timed out."), caused by an ``httpx2.ReadTimeout`` as in the SDK."""
    request = _request(url)
    error = openai.APITimeoutError(request)
    error.__cause__ = httpx2.ReadTimeout("timed out", request=request)
    finished = _finish(error, flavour)
    assert isinstance(finished, openai.APITimeoutError)
    return finished


def connection_error(*, url: str = DEFAULT_URL, flavour: Flavour = "langchain") -> openai.APIConnectionError:
    """``APIConnectionError`` ("Connection error."), caused by the peer closing the connection."""
    request = _request(url)
    error = openai.APIConnectionError(request=request)
    error.__cause__ = httpx2.RemoteProtocolError(
        "Server disconnected without sending a response.", request=request
    )
    finished = _finish(error, flavour)
    assert isinstance(finished, openai.APIConnectionError)
    return finished


def invalid_json_error() -> ValueError:
    """What the SDK raises on a 200 whose body is not JSON: a bare ``json.JSONDecodeError``."""
    try:
        json.loads('{"id": "chatcmpl-fake", "choices": [')
    except json.JSONDecodeError as err:
        return err
    raise AssertionError("unreachable: the document above is invalid JSON")


def error_for_fault(
    fault: LLMFault | None,
    *,
    retry_after_s: float,
    prompt_tokens: int,
    context_window: int,
    flavour: Flavour = "langchain",
) -> Exception | None:
    """The exception an HTTP-level fault surfaces as in process, or None (no fault / model-side).

    SLOW_RESPONSE is not mapped here: whether it times out depends on the caller's timeout.
    """
    if fault is LLMFault.CONNECTION_RESET:
        return connection_error(flavour=flavour)
    if fault is LLMFault.INVALID_JSON:
        return invalid_json_error()
    reply = reply_for_fault(
        fault, retry_after_s=retry_after_s, prompt_tokens=prompt_tokens, context_window=context_window
    )
    return None if reply is None else status_error(reply, flavour=flavour)
