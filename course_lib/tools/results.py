"""Typed results of kubectl invocations, and the classification of kubectl's failures.

Matching ``"not found"`` anywhere in stderr is fragile (the text differs between versions,
and an app's log line can contain it). kubectl's own framing is stable: server errors start
with ``Error from server (Reason):`` (1.32+ logs: ``error: error from server (Reason):``),
and the client-side failures have fixed sentences. We classify on those, and keep the raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ErrorKind", "KubectlError", "KubectlResult", "classify"]


class ErrorKind(StrEnum):
    NOT_FOUND = "NotFound"
    FORBIDDEN = "Forbidden"
    UNAUTHORIZED = "Unauthorized"
    CONNECTION_REFUSED = "ConnectionRefused"
    TOO_MANY_REQUESTS = "TooManyRequests"
    SERVER_ERROR = "ServerError"
    TIMEOUT = "Timeout"
    BINARY_MISSING = "BinaryMissing"
    BAD_REQUEST = "BadRequest"
    USAGE = "Usage"  # kubectl rejected the command line itself (unknown flag, refused verb)
    CRASH = "Crash"  # the kubectl process died (a Go panic, a signal)
    INVALID_OUTPUT = "InvalidOutput"  # exit 0 but the output cannot be parsed (truncated JSON)
    UNKNOWN = "Unknown"


_RETRYABLE = frozenset(
    {ErrorKind.CONNECTION_REFUSED, ErrorKind.TOO_MANY_REQUESTS, ErrorKind.SERVER_ERROR, ErrorKind.TIMEOUT,
     ErrorKind.INVALID_OUTPUT}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class KubectlError:
    """What went wrong, in a form code can branch on. ``retryable``: trying again may succeed."""

    kind: ErrorKind
    message: str
    reason: str = ""  # the API server's reason (e.g. "InternalError") when there is one

    @property
    def retryable(self) -> bool:
        return self.kind in _RETRYABLE


@dataclass(frozen=True, slots=True)
class KubectlResult:
    """One kubectl invocation: exactly what ran, what it printed, how it ended, how long it took."""

    argv: tuple[str, ...]
    exit_code: int | None  # None: the process never ran or was killed on timeout
    stdout: str
    stderr: str
    duration_s: float
    error: KubectlError | None = None
    call_index: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


_SERVER = re.compile(r"(?im)^(?:error: )?error from server(?: \((?P<reason>[A-Za-z]+)\))?: (?P<msg>.*)$")
_SERVER_REASONS = {
    "NotFound": ErrorKind.NOT_FOUND,
    "Forbidden": ErrorKind.FORBIDDEN,
    "Unauthorized": ErrorKind.UNAUTHORIZED,
    "TooManyRequests": ErrorKind.TOO_MANY_REQUESTS,
    "BadRequest": ErrorKind.BAD_REQUEST,
    "Invalid": ErrorKind.BAD_REQUEST,
    "Timeout": ErrorKind.TIMEOUT,
    "ServerTimeout": ErrorKind.TIMEOUT,
    "InternalError": ErrorKind.SERVER_ERROR,
    "ServiceUnavailable": ErrorKind.SERVER_ERROR,
}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def classify(exit_code: int, stderr: str) -> KubectlError | None:
    """The error behind a finished kubectl process, or None when it succeeded (exit code 0)."""
    if exit_code == 0:
        return None
    match = _SERVER.search(stderr)
    if match:
        reason = match.group("reason") or ""
        kind = _SERVER_REASONS.get(reason, ErrorKind.SERVER_ERROR if not reason else ErrorKind.UNKNOWN)
        return KubectlError(kind, match.group(0).strip(), reason)
    if "was refused - did you specify the right host or port?" in stderr:
        return KubectlError(ErrorKind.CONNECTION_REFUSED, _last_line(stderr))
    if "You must be logged in to the server" in stderr:
        return KubectlError(ErrorKind.UNAUTHORIZED, _last_line(stderr))
    if "Unable to connect to the server:" in stderr:
        line = _last_line(stderr)
        timeout = any(t in line for t in ("timeout", "deadline exceeded", "Timeout"))
        return KubectlError(ErrorKind.TIMEOUT if timeout else ErrorKind.CONNECTION_REFUSED, line)
    if stderr.lstrip().startswith("panic:") or exit_code < 0 or (exit_code == 2 and "goroutine" in stderr):
        first = stderr.strip().splitlines()[0] if stderr.strip() else "no message"
        return KubectlError(ErrorKind.CRASH, f"kubectl crashed (exit code {exit_code}): {first}")
    if re.search(
        r"(?m)^error: (unknown (flag|shorthand flag|command)|flag needs an argument|refusing)", stderr
    ):
        return KubectlError(ErrorKind.USAGE, _last_line(stderr.split("\nSee '")[0]))
    if re.search(r"(?m)^error: container \S+ is not valid for pod", stderr):
        return KubectlError(ErrorKind.BAD_REQUEST, _last_line(stderr))
    return KubectlError(ErrorKind.UNKNOWN, _last_line(stderr) or f"kubectl exited with code {exit_code}")
