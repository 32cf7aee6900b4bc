"""The HTTP error replies of an OpenAI-compatible API: status, headers and body, as data.

The chaos server sends these bytes; ``errors`` wraps the very same replies in real ``httpx2``
responses to build the SDK's exceptions in process. One source, so a lesson that catches
``RateLimitError`` from the in-process fake sees the same headers, code and message as one that
meets a 429 over HTTP. Bodies follow OpenAI's ``{"error": {message, type, param, code}}`` shape.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from course_lib.fakes.chaos import LLMFault

__all__ = [
    "ErrorReply",
    "bad_request_reply",
    "context_length_reply",
    "rate_limit_reply",
    "reply_for_fault",
    "request_timeout_reply",
    "server_error_reply",
    "unauthorized_reply",
]

SERVER_ERROR_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """One error response: ``body`` is the exact text sent (JSON, or HTML from a gateway)."""

    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"

    @property
    def message(self) -> str | None:
        """The ``error.message`` field, when the body is OpenAI-style JSON."""
        try:
            data = json.loads(self.body)
        except json.JSONDecodeError:
            return None
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return message if isinstance(message, str) else None


def _json_error(message: str, type_: str, code: str | None, param: str | None = None) -> str:
    return json.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def rate_limit_reply(
    retry_after: float | None = None,
    retry_after_ms: float | None = None,
    *,
    code: str = "rate_limit_exceeded",
    model: str = "gpt-4o-mini",
) -> ErrorReply:
    """429 with ``Retry-After`` (seconds) and/or ``retry-after-ms``; None omits a header."""
    for name, value in (("retry_after", retry_after), ("retry_after_ms", retry_after_ms)):
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    headers: list[tuple[str, str]] = [
        ("x-ratelimit-limit-requests", "500"),
        ("x-ratelimit-remaining-requests", "0"),
    ]
    wait = retry_after_ms / 1000 if retry_after_ms is not None else retry_after
    if wait is not None:
        headers.append(("x-ratelimit-reset-requests", f"{wait:g}s"))
    if retry_after is not None:
        headers.append(("retry-after", f"{retry_after:g}"))
    if retry_after_ms is not None:
        headers.append(("retry-after-ms", f"{retry_after_ms:g}"))
    if code == "insufficient_quota":
        message = "You exceeded your current quota, please check your plan and billing details."
        type_ = "insufficient_quota"
    else:
        after = "" if wait is None else f" Please try again in {wait * 1000:.0f}ms."
        message = f"Rate limit reached for {model} on requests per min (RPM): Limit 500, Used 500.{after}"
        type_ = "requests"
    return ErrorReply(429, _json_error(message, type_, code), tuple(headers))


def server_error_reply(status: int = 500) -> ErrorReply:
    """A 5xx: 500 from the API itself, 502/504 as a gateway's HTML page, 503 overloaded."""
    if status not in SERVER_ERROR_STATUSES:
        raise ValueError(f"server_error status must be one of {SERVER_ERROR_STATUSES}, got {status!r}")
    if status in (502, 504):
        title = "502 Bad Gateway" if status == 502 else "504 Gateway Time-out"
        html = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        return ErrorReply(status, html + "</body>\r\n</html>\r\n", content_type="text/html")
    if status == 503:
        message = "The engine is currently overloaded, please try again later."
        return ErrorReply(503, _json_error(message, "server_error", None))
    message = "The server had an error while processing your request. Sorry about that!"
    return ErrorReply(500, _json_error(message, "server_error", None))


def request_timeout_reply() -> ErrorReply:
    """408: the server gave up waiting for the request (retried by the SDK, no dedicated class)."""
    return ErrorReply(408, _json_error("Request timed out.", "timeout", None))


def context_length_reply(prompt_tokens: int, context_window: int) -> ErrorReply:
    """400 ``context_length_exceeded``, worded like OpenAI's."""
    message = (
        f"This model's maximum context length is {context_window} tokens. However, your messages "
        f"resulted in {prompt_tokens} tokens. Please reduce the length of the messages."
    )
    return ErrorReply(
        400, _json_error(message, "invalid_request_error", "context_length_exceeded", "messages")
    )


def unauthorized_reply() -> ErrorReply:
    """401 ``invalid_api_key``: never retried by the SDK."""
    message = (
        "Incorrect API key provided: sk-cours*****fake. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )
    return ErrorReply(401, _json_error(message, "invalid_request_error", "invalid_api_key"))


def bad_request_reply(message: str, param: str | None = None) -> ErrorReply:
    """400 for a request the API cannot accept (malformed JSON, missing fields)."""
    return ErrorReply(400, _json_error(message, "invalid_request_error", None, param))


# Tokens a request claims once it is over the window, for the CONTEXT_LENGTH fault: a little above.
OVERFLOW_MARGIN = 1.05


def reply_for_fault(
    fault: LLMFault | None,
    *,
    retry_after_s: float,
    prompt_tokens: int,
    context_window: int,
    retry_after_ms: float | None = None,
    model: str = "gpt-4o-mini",
) -> ErrorReply | None:
    """The error reply an HTTP fault sends, or None for no fault / a fault that is not a reply.

    A 429 carries ``Retry-After: retry_after_s`` and ``retry-after-ms`` (default: the same wait).
    SLOW_RESPONSE, CONNECTION_RESET and INVALID_JSON are transport behaviours, not replies.
    """
    if fault is LLMFault.RATE_LIMIT:
        ms = retry_after_s * 1000 if retry_after_ms is None else retry_after_ms
        return rate_limit_reply(retry_after_s, ms, model=model)
    if fault is LLMFault.SERVER_ERROR:
        return server_error_reply(500)
    if fault is LLMFault.BAD_GATEWAY:
        return server_error_reply(502)
    if fault is LLMFault.UNAVAILABLE:
        return server_error_reply(503)
    if fault is LLMFault.REQUEST_TIMEOUT:
        return request_timeout_reply()
    if fault is LLMFault.CONTEXT_LENGTH:
        claimed = max(prompt_tokens, math.ceil(context_window * OVERFLOW_MARGIN))
        return context_length_reply(claimed, context_window)
    if fault is LLMFault.UNAUTHORIZED:
        return unauthorized_reply()
    return None
