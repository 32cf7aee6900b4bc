"""Error classification: should this be retried, and why?

One function, :func:`classify`, answers for everything the course's agent meets:

* openai SDK errors (status code, ``x-should-retry``, Retry-After, error ``code``);
* LangChain's provider-neutral ``langchain_core.exceptions.ModelError`` family (``is_retryable``);
* ``httpx2``/``httpx`` transport errors;
* kubectl failures: an object that says ``retryable`` itself, a result or
  ``CalledProcessError`` carrying ``stderr`` (classified by kubectl's error text), a
  ``subprocess.TimeoutExpired``;
* the standard library's ``TimeoutError`` and ``ConnectionError``;
* and everything else, which is *not* retried: a ``TypeError`` or ``KeyError`` is a bug, and
  running the same code again gives the same bug, only later and more expensively.

The answer is a :class:`Classification`: ``retryable``, a ``kind`` (a small enum a metric can
use as a label) and a ``reason`` a log line or a notebook can show. It is truthy when
retryable, so ``Retry(on=classify)`` works, and :func:`is_retryable` is the plain-bool version
for APIs that want one (``ModelRetryMiddleware(retry_on=is_retryable)``).

Nothing heavy is imported: openai and LangChain classes are looked up in ``sys.modules``, so an
exception from a library that was never imported cannot be one of its classes, and importing
``course_lib.resilience`` stays cheap.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from course_lib.resilience.retry_after import DEFAULT_MAX_RETRY_AFTER, headers_of, parse_retry_after

__all__ = [
    "BUG_TYPES",
    "Classification",
    "ErrorKind",
    "SupportsRetryable",
    "classify",
    "classify_kubectl_stderr",
    "classify_status",
    "is_dependency_failure",
    "is_retryable",
]


class ErrorKind(StrEnum):
    """What kind of failure it was. Stable strings: fine as metric labels."""

    RATE_LIMITED = "rate_limited"
    QUOTA_EXHAUSTED = "quota_exhausted"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    CONFLICT = "conflict"
    BAD_REQUEST = "bad_request"
    CONTEXT_LENGTH = "context_length"
    AUTHENTICATION = "authentication"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    BAD_RESPONSE = "bad_response"
    REFUSED = "refused"
    CIRCUIT_OPEN = "circuit_open"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    CANCELLED = "cancelled"
    CRASHED = "crashed"
    BUG = "bug"
    UNKNOWN = "unknown"
    OK = "ok"


# Kinds that say something about the *dependency's* health (for a circuit breaker).
_UNHEALTHY = frozenset(
    {ErrorKind.RATE_LIMITED, ErrorKind.SERVER_ERROR, ErrorKind.TIMEOUT, ErrorKind.CONNECTION}
)


@dataclass(frozen=True, slots=True)
class Classification:
    """The verdict on one failure. Truthy when a retry may succeed."""

    retryable: bool
    kind: ErrorKind
    reason: str
    retry_after: float | None = None  # seconds the server asked for, when it said

    def __bool__(self) -> bool:
        return self.retryable

    def __str__(self) -> str:
        verdict = "retryable" if self.retryable else "not retryable"
        return f"{verdict} ({self.kind}): {self.reason}"


@runtime_checkable
class SupportsRetryable(Protocol):
    """Anything that knows whether it is worth retrying: ``retryable`` (and optionally ``reason``).

    The kubectl tools can raise (or return) objects with these attributes and every pattern in
    this package will respect them without knowing their class.
    """

    retryable: bool


BUG_TYPES: tuple[type[BaseException], ...] = (
    TypeError,
    AttributeError,
    NameError,
    LookupError,  # KeyError, IndexError
    AssertionError,
    NotImplementedError,
    ArithmeticError,
    ImportError,
    RecursionError,
    SyntaxError,
)
"""Exception types that almost always mean a bug in our own code: never retried."""


def _c(retryable: bool, kind: ErrorKind, reason: str, retry_after: float | None = None) -> Classification:
    return Classification(retryable, kind, reason, retry_after)


# --------------------------------------------------------------------------- HTTP status codes

_STATUS: dict[int, tuple[bool, ErrorKind, str]] = {
    400: (False, ErrorKind.BAD_REQUEST, "the request itself is invalid; sending it again gets the same 400"),
    401: (False, ErrorKind.AUTHENTICATION, "bad or missing credentials; a retry sends the same ones"),
    403: (False, ErrorKind.PERMISSION_DENIED, "not allowed; permissions do not change between retries"),
    404: (False, ErrorKind.NOT_FOUND, "it does not exist; it will not appear in a second"),
    408: (True, ErrorKind.TIMEOUT, "the server timed out waiting for the request; try again"),
    409: (True, ErrorKind.CONFLICT, "conflict/lock timeout; a later attempt usually succeeds"),
    422: (False, ErrorKind.BAD_REQUEST, "the server understood but rejected the content"),
    429: (True, ErrorKind.RATE_LIMITED, "rate limited; wait (as long as Retry-After says) and try again"),
}


def classify_status(status: int, *, code: str | None = None, label: str | None = None) -> Classification:
    """Classify an HTTP status code (plus the provider's error ``code``, if any).

    408, 409, 429 and every 5xx are retryable; other 4xx are not. Two refinements on what the
    openai SDK does: a 429 with code ``insufficient_quota`` is *not* retryable (the quota will
    not refill in seconds; the SDK retries it anyway), and a 400 with code
    ``context_length_exceeded`` is reported as its own kind, because the fix is a smaller prompt.
    """
    label = label or f"HTTP {status}"
    if status == 429 and code == "insufficient_quota":
        return _c(
            False,
            ErrorKind.QUOTA_EXHAUSTED,
            f"{label}: quota exhausted (insufficient_quota); "
            "retrying cannot help until billing or limits change",
        )
    if status == 400 and code == "context_length_exceeded":
        return _c(
            False,
            ErrorKind.CONTEXT_LENGTH,
            f"{label}: the prompt exceeds the model's context "
            "window; retrying resends the same prompt: shrink it (trim history, truncate tool "
            "output) or fall back to a larger-context model",
        )
    known = _STATUS.get(status)
    if known is not None:
        retryable, kind, why = known
        return _c(retryable, kind, f"{label}: {why}")
    if status >= 500:
        return _c(True, ErrorKind.SERVER_ERROR, f"{label}: server error; it may be transient, try again")
    if 400 <= status < 500:
        return _c(False, ErrorKind.BAD_REQUEST, f"{label}: client error; the same request fails the same way")
    return _c(False, ErrorKind.UNKNOWN, f"{label}: unexpected status for an error")


def _with_retry_after(
    verdict: Classification, label: str, source: Any, now: datetime | None, max_retry_after: float
) -> Classification:
    """Apply the SDK's header rules on top of a status verdict: Retry-After cap, x-should-retry."""
    parsed = parse_retry_after(source, now=now)
    seconds = None if parsed is None else parsed.seconds
    if parsed is not None and parsed.exceeds(max_retry_after):
        return _c(
            False,
            verdict.kind,
            f"{label}: server asked to wait {parsed.seconds:g} s "
            f"({parsed.header}), more than the {max_retry_after:g} s we are willing to wait; "
            "fail now instead",
            seconds,
        )
    headers = headers_of(source)
    should = headers.get("x-should-retry") if headers is not None and hasattr(headers, "get") else None
    if should == "true" and not verdict.retryable:
        return _c(True, verdict.kind, f"{label}: server sent x-should-retry: true", seconds)
    if should == "false" and verdict.retryable:
        return _c(False, verdict.kind, f"{label}: server sent x-should-retry: false", seconds)
    if verdict.retryable and parsed is not None and parsed.usable(max_retry_after):
        return _c(True, verdict.kind, f"{verdict.reason} (server asks for {parsed.seconds:g} s)", seconds)
    return verdict


# --------------------------------------------------------------------------- kubectl error text

_KUBECTL_RULES: tuple[tuple[re.Pattern[str], bool, ErrorKind, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), retryable, kind, why)
    for pattern, retryable, kind, why in (
        (r"\(NotFound\)", False, ErrorKind.NOT_FOUND, "the object does not exist"),
        (
            r"\(Forbidden\)|is forbidden: User",
            False,
            ErrorKind.PERMISSION_DENIED,
            "RBAC denies this verb; a retry has the same permissions",
        ),
        (
            r"You must be logged in|\(Unauthorized\)|provide credentials",
            False,
            ErrorKind.AUTHENTICATION,
            "credentials are missing or expired; re-authenticate instead of retrying",
        ),
        (
            r"\(TooManyRequests\)",
            True,
            ErrorKind.RATE_LIMITED,
            "the API server is throttling (client-go already retried); back off and try again",
        ),
        (
            r"\((?:ServiceUnavailable|InternalError|Timeout|ServerTimeout)\)",
            True,
            ErrorKind.SERVER_ERROR,
            "the API server reported a transient server-side error",
        ),
        (r"\(Conflict\)", True, ErrorKind.CONFLICT, "the object changed underneath; re-read and retry"),
        (
            r"\((?:BadRequest|Invalid|AlreadyExists|MethodNotAllowed|Gone)\)",
            False,
            ErrorKind.BAD_REQUEST,
            "the API server rejected the request itself",
        ),
        (
            r"context deadline exceeded|Client\.Timeout exceeded|TLS handshake timeout|i/o timeout"
            r"|request canceled",
            True,
            ErrorKind.TIMEOUT,
            "the request to the API server timed out",
        ),
        (
            r"connection to the server .* was refused|Unable to connect to the server|connection refused"
            r"|connection reset by peer|no route to host",
            True,
            ErrorKind.CONNECTION,
            "the API server is unreachable right now",
        ),
        (
            r"the server doesn't have a resource type|unknown flag|unknown command|unknown shorthand flag"
            r"|is not valid for pod|Metrics API not available",
            False,
            ErrorKind.BAD_REQUEST,
            "kubectl rejected the command; the same command fails the same way",
        ),
        (
            r"^panic:|goroutine \d+ \[running\]",
            False,
            ErrorKind.CRASHED,
            "kubectl itself crashed; the same command will most likely crash again",
        ),
    )
)


def classify_kubectl_stderr(stderr: str | bytes | None, exit_code: int | None = None) -> Classification:
    """Classify a kubectl failure by its stderr text (and exit code).

    Text matching is a last resort (kubectl's messages change between versions), so the rules
    key on the stable parts: the ``(Reason)`` that ``Error from server`` prints, and a few
    client-side phrases measured with kubectl 1.28-1.33. Unrecognised failures are not retried.
    """
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    text = stderr or ""
    label = "kubectl" if exit_code is None else f"kubectl (exit {exit_code})"
    if exit_code == 0:
        return _c(False, ErrorKind.OK, f"{label}: succeeded")
    for pattern, retryable, kind, why in _KUBECTL_RULES:
        if pattern.search(text):
            first = next((line for line in text.splitlines() if pattern.search(line)), text)
            return _c(retryable, kind, f"{label}: {why} [{first.strip()[:160]}]")
    if exit_code is not None and exit_code < 0:
        return _c(False, ErrorKind.CRASHED, f"{label}: killed by signal {-exit_code}")
    if exit_code == 255:
        return _c(
            False,
            ErrorKind.CRASHED,
            f"{label}: kubectl crashed; the same command will most likely crash again",
        )
    snippet = text.strip().splitlines()[-1][:160] if text.strip() else "no stderr"
    return _c(False, ErrorKind.UNKNOWN, f"{label}: unrecognised failure, not retried [{snippet}]")


# --------------------------------------------------------------------------- library-specific rules


def _classify_openai(
    exc: BaseException, now: datetime | None, max_retry_after: float
) -> Classification | None:
    openai = sys.modules.get("openai")
    if openai is None or not isinstance(exc, openai.OpenAIError):
        return None
    name = type(exc).__name__
    if isinstance(exc, openai.APIStatusError):
        code = getattr(exc, "code", None)
        if code is None and _looks_like_context_overflow(exc):
            code = "context_length_exceeded"
        label = f"{name} (HTTP {exc.status_code})"
        verdict = classify_status(exc.status_code, code=code, label=label)
        return _with_retry_after(verdict, label, exc, now, max_retry_after)
    if isinstance(exc, openai.APITimeoutError):
        return _c(True, ErrorKind.TIMEOUT, f"{name}: the request timed out; try again (with a deadline)")
    if isinstance(exc, openai.APIConnectionError):
        return _c(True, ErrorKind.CONNECTION, f"{name}: could not reach the API; try again")
    if isinstance(exc, openai.APIResponseValidationError):
        return _c(False, ErrorKind.BAD_RESPONSE, f"{name}: the response did not match the expected schema")
    return _c(False, ErrorKind.UNKNOWN, f"{name}: an openai error that is not a transport or HTTP failure")


def _looks_like_context_overflow(exc: BaseException) -> bool:
    core = sys.modules.get("langchain_core.exceptions")
    if core is not None and isinstance(exc, core.ContextOverflowError):
        return True
    text = str(exc)
    return "context_length_exceeded" in text or "maximum context length" in text


_MODEL_ERROR_KINDS: tuple[tuple[str, ErrorKind, str], ...] = (
    (
        "ContextOverflowError",
        ErrorKind.CONTEXT_LENGTH,
        "the prompt exceeds the context window; shrink it or use a larger-context model",
    ),
    ("ModelRateLimitError", ErrorKind.RATE_LIMITED, "rate limited; back off and try again"),
    ("ModelAPIError", ErrorKind.SERVER_ERROR, "the provider reported a server error"),
    ("ModelConnectionError", ErrorKind.CONNECTION, "the provider could not be reached"),
    ("ModelTimeoutError", ErrorKind.TIMEOUT, "the model request timed out"),
    ("ModelAuthenticationError", ErrorKind.AUTHENTICATION, "authentication failed"),
    ("ModelPermissionDeniedError", ErrorKind.PERMISSION_DENIED, "permission denied"),
    ("ModelNotFoundError", ErrorKind.NOT_FOUND, "the model does not exist"),
    ("ModelInvalidRequestError", ErrorKind.BAD_REQUEST, "the provider rejected the request as invalid"),
    ("ModelRefusalError", ErrorKind.REFUSED, "the model refused; the same request will be refused again"),
)


def _classify_model_error(exc: BaseException) -> Classification | None:
    core = sys.modules.get("langchain_core.exceptions")
    if core is None or not isinstance(exc, core.ModelError):
        return None
    retryable = bool(exc.is_retryable)
    name = type(exc).__name__
    for class_name, kind, why in _MODEL_ERROR_KINDS:
        cls = getattr(core, class_name, None)
        if cls is not None and isinstance(exc, cls):
            return _c(retryable, kind, f"{name}: {why} (is_retryable={retryable})")
    kind = ErrorKind.UNKNOWN
    return _c(retryable, kind, f"{name}: LangChain ModelError with is_retryable={retryable}")


def _classify_httpx(
    exc: BaseException, now: datetime | None, max_retry_after: float
) -> Classification | None:
    for module_name in ("httpx2", "httpx"):
        module = sys.modules.get(module_name)
        if module is None or not isinstance(exc, module.HTTPError):
            continue
        name = f"{module_name}.{type(exc).__name__}"
        if isinstance(exc, module.TimeoutException):
            return _c(True, ErrorKind.TIMEOUT, f"{name}: the request timed out")
        if isinstance(exc, module.HTTPStatusError):
            label = f"{name} (HTTP {exc.response.status_code})"
            verdict = classify_status(exc.response.status_code, label=label)
            return _with_retry_after(verdict, label, exc, now, max_retry_after)
        if isinstance(exc, module.NetworkError | module.RemoteProtocolError):
            return _c(True, ErrorKind.CONNECTION, f"{name}: network failure; try again")
        return _c(False, ErrorKind.BAD_REQUEST, f"{name}: not a transient transport failure")
    return None


# Other vocabularies for the same kinds (e.g. kubectl's API reasons, a tool layer's own enum),
# compared after lower-casing and dropping "_", "-" and spaces.
_KIND_ALIASES: dict[str, ErrorKind] = {
    "forbidden": ErrorKind.PERMISSION_DENIED,
    "permissiondenied": ErrorKind.PERMISSION_DENIED,
    "unauthorized": ErrorKind.AUTHENTICATION,
    "unauthenticated": ErrorKind.AUTHENTICATION,
    "connectionrefused": ErrorKind.CONNECTION,
    "unavailable": ErrorKind.SERVER_ERROR,
    "serviceunavailable": ErrorKind.SERVER_ERROR,
    "internalerror": ErrorKind.SERVER_ERROR,
    "toomanyrequests": ErrorKind.RATE_LIMITED,
    "ratelimit": ErrorKind.RATE_LIMITED,
    "servertimeout": ErrorKind.TIMEOUT,
    "deadlineexceeded": ErrorKind.TIMEOUT,
    "invalid": ErrorKind.BAD_REQUEST,
    "usage": ErrorKind.BAD_REQUEST,
    "crash": ErrorKind.CRASHED,
    "invalidoutput": ErrorKind.BAD_RESPONSE,
    "binarymissing": ErrorKind.NOT_FOUND,
}
_KIND_BY_KEY = {kind.value.replace("_", ""): kind for kind in ErrorKind} | _KIND_ALIASES


def _kind_of(value: Any) -> ErrorKind:
    if isinstance(value, ErrorKind):
        return value
    if value is None:
        return ErrorKind.UNKNOWN
    key = str(getattr(value, "value", value)).lower()
    for char in "_- ":
        key = key.replace(char, "")
    return _KIND_BY_KEY.get(key, ErrorKind.UNKNOWN)


def _classify_declared(obj: Any) -> Classification | None:
    """Objects that declare ``retryable`` (or ``is_retryable``) themselves.

    Optional attributes make the verdict more useful: ``kind`` (mapped onto :class:`ErrorKind`,
    also from spellings such as ``"NotFound"`` or ``"TooManyRequests"``), and ``message`` and/or
    ``reason`` (shown in the reason text).
    """
    for attribute in ("retryable", "is_retryable"):
        value = getattr(obj, attribute, None)
        if isinstance(value, bool):
            kind = _kind_of(getattr(obj, "kind", None))
            parts = [
                text
                for text in (getattr(obj, "message", None), getattr(obj, "reason", None))
                if isinstance(text, str) and text
            ]
            text = " / ".join(dict.fromkeys(parts)) or f"declares {attribute}={value}"
            return _c(value, kind, f"{type(obj).__name__}: {text} ({attribute}={value})")
    return None


def _exit_code(obj: Any) -> int | None:
    for attribute in ("returncode", "exit_code"):
        value = getattr(obj, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _classify_result(obj: Any) -> Classification:
    """A non-exception: a kubectl-style result object, a stderr string, or None."""
    declared = _classify_declared(obj)
    if declared is not None:
        return declared
    if isinstance(obj, str | bytes):
        return classify_kubectl_stderr(obj)
    error = getattr(obj, "error", None)  # a result that carries its own structured error
    if error is not None:
        return classify(error)
    if getattr(obj, "ok", None) is True:
        return _c(False, ErrorKind.OK, f"{type(obj).__name__}: succeeded")
    if getattr(obj, "timed_out", False) is True:
        return _c(True, ErrorKind.TIMEOUT, f"{type(obj).__name__}: timed out")
    if hasattr(obj, "stderr"):
        return classify_kubectl_stderr(obj.stderr, _exit_code(obj))
    return _c(False, ErrorKind.UNKNOWN, f"{type(obj).__name__}: not an error this module knows")


# --------------------------------------------------------------------------- the entry point


def classify(
    error: Any, *, now: datetime | None = None, max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
) -> Classification:
    """Should ``error`` be retried, and why?

    ``error`` is usually an exception; a kubectl-style result (with ``retryable``, or with
    ``stderr`` and ``returncode``/``exit_code``) or a stderr string also works. ``now`` is the
    wall time used for HTTP-date Retry-After values (pass ``clock.wall_time()``); a server
    delay above ``max_retry_after`` makes an otherwise retryable error not retryable, as in
    the openai SDK.
    """
    if not isinstance(error, BaseException):
        return _classify_result(error)
    # Our own signals first (imported lazily to keep the module graph acyclic).
    from course_lib.resilience.breaker import CircuitOpenError
    from course_lib.resilience.budget import RetryBudgetExhausted
    from course_lib.resilience.deadline import DeadlineExceeded

    name = type(error).__name__
    if isinstance(error, CircuitOpenError):
        return _c(
            False,
            ErrorKind.CIRCUIT_OPEN,
            f"{name}: the circuit is open; fail fast or fall back "
            f"(it may admit a probe in {error.retry_after:.3g} s)",
            error.retry_after,
        )
    if isinstance(error, DeadlineExceeded):
        return _c(False, ErrorKind.DEADLINE_EXCEEDED, f"{name}: the overall deadline has passed")
    if isinstance(error, RetryBudgetExhausted):
        return _c(False, ErrorKind.RATE_LIMITED, f"{name}: the shared retry budget is spent")
    if not isinstance(error, Exception):
        return _c(False, ErrorKind.CANCELLED, f"{name}: cancellation/exit, never retried")

    # (Classification is falsy when not retryable, so test for None, never chain with `or`.)
    verdict = _classify_openai(error, now, max_retry_after)
    if verdict is None:
        verdict = _classify_model_error(error)
    if verdict is None:
        verdict = _classify_httpx(error, now, max_retry_after)
    if verdict is None:
        verdict = _classify_declared(error)
    if verdict is not None:
        return verdict

    if isinstance(error, subprocess.TimeoutExpired):
        return _c(
            True,
            ErrorKind.TIMEOUT,
            f"{name}: the command ran past its timeout "
            f"({error.timeout:g} s); try again, within an overall deadline",
        )
    if isinstance(error, subprocess.CalledProcessError):
        return classify_kubectl_stderr(error.stderr, error.returncode)
    if isinstance(error, TimeoutError):
        return _c(True, ErrorKind.TIMEOUT, f"{name}: timed out; try again")
    if isinstance(error, ConnectionError):
        return _c(True, ErrorKind.CONNECTION, f"{name}: connection failed; try again")
    if isinstance(error, json.JSONDecodeError):
        return _c(
            False,
            ErrorKind.BAD_RESPONSE,
            f"{name}: the response was not valid JSON (the openai "
            "SDK does not retry this either); name it in on= if your provider glitches",
        )
    if isinstance(error, BUG_TYPES):
        return _c(
            False,
            ErrorKind.BUG,
            f"{name}: looks like a bug in our code; retrying runs the same code and fails the same way",
        )
    if isinstance(error, FileNotFoundError):
        return _c(False, ErrorKind.NOT_FOUND, f"{name}: a file or executable is missing")
    return _c(
        False,
        ErrorKind.UNKNOWN,
        f"{name}: unknown error type; not retried (retry only what you know is transient: name it in on=)",
    )


def is_retryable(error: Any) -> bool:
    """``classify(error).retryable``: a plain-bool predicate (e.g. for LangChain ``retry_on=``)."""
    return classify(error).retryable


def is_dependency_failure(error: BaseException) -> bool:
    """Does this failure say the dependency is unhealthy? For a circuit breaker's ``is_failure``.

    Timeouts, connection failures, 5xx and rate limiting count; a 404, a bad request, an
    authentication error or a bug in our code say nothing about the dependency's health.
    """
    return classify(error).kind in _UNHEALTHY
