"""The last step of the fallback chain: an honest, rule-based answer when no model can finish.

It never pretends to be a diagnosis. It says that it is degraded and why, and then lists the
kubectl evidence the run had already gathered (the lines that usually carry the cause: statuses,
reasons, exit codes, warning events), so an on-call engineer still gets something to act on.
Deterministic: the same evidence gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, ToolMessage

__all__ = ["DEGRADED_PREFIX", "degraded_answer", "evidence_lines", "is_degraded_text"]

DEGRADED_PREFIX = "DEGRADED ANSWER"
_SIGNAL = re.compile(
    r"CrashLoopBackOff|OOMKilled|ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerConfigError"
    r"|RunContainerError|StartError|Evicted|Pending|FailedScheduling|FailedMount|Insufficient|NotReady"
    r"|Unhealthy|probe failed|BackOff|BackoffLimitExceeded|Reason:|Exit Code:|Warning|Init:|Error|"
    r"not found|taint|unbound",
)
_FAILED = ("error", "refusing", "tool call limit", "failed")
MAX_LINES = 12
MAX_LINE_CHARS = 200


def _usable(message: ToolMessage) -> bool:
    return message.status != "error" and not message.text.lstrip().lower().startswith(_FAILED)


def evidence_lines(messages: Sequence[BaseMessage], *, limit: int = MAX_LINES) -> list[str]:
    """The most telling lines of the successful tool results, oldest first, without repeats."""
    lines: list[str] = []
    for message in messages:
        if not isinstance(message, ToolMessage) or not _usable(message):
            continue
        for raw in message.text.splitlines():
            line = " ".join(raw.split())
            if not line or not _SIGNAL.search(line):
                continue
            entry = f"{message.name or 'tool'}: {line[:MAX_LINE_CHARS]}"
            if entry not in lines:
                lines.append(entry)
            if len(lines) >= limit:
                return lines
    return lines


def degraded_answer(reason: str, messages: Sequence[BaseMessage]) -> str:
    """The degraded answer: says it is degraded and why, then the evidence gathered so far."""
    lines = evidence_lines(messages)
    if not lines:
        return (
            f"{DEGRADED_PREFIX}: unable to diagnose: {reason}. No kubectl evidence was gathered "
            "before the failure. Try again later, or run list_pods / describe_pod yourself."
        )
    body = "\n".join(f"- {line}" for line in lines)
    return (
        f"{DEGRADED_PREFIX}: no model could finish the diagnosis ({reason}). This is a rule-based "
        f"summary of the kubectl evidence gathered so far, not a diagnosis:\n{body}"
    )


def is_degraded_text(text: str) -> bool:
    return text.startswith(DEGRADED_PREFIX)
