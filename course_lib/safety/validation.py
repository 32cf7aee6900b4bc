"""Validate every tool argument before it becomes part of a kubectl command line.

A model (or a prompt injection speaking through it) chooses the arguments. Unchecked, a pod
name such as ``--all-namespaces`` or ``-oyaml`` turns into a kubectl flag, and a name with a
newline or a look-alike Unicode letter confuses logs and humans. Kubernetes names have a strict
grammar (DNS-1123), so the safe rule is to accept exactly that grammar and reject everything
else with a message that says what a valid value looks like. Nothing runs on a rejected value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "MAX_TAIL_LINES",
    "READ_ONLY_VERBS",
    "InvalidArgumentError",
    "ReadOnlyViolation",
    "check_read_only",
    "validate_container_name",
    "validate_namespace",
    "validate_pod_name",
    "validate_previous",
    "validate_tail",
]

MAX_TAIL_LINES = 5000
READ_ONLY_VERBS = frozenset({"get", "describe", "logs"})

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII)


class InvalidArgumentError(ValueError):
    """A tool argument that is not allowed; ``str()`` is a message a model can act on."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {field} {_preview(value)}: {reason}")


class ReadOnlyViolation(PermissionError):
    """An argv whose verb is not read-only; raised before anything is executed."""


def _preview(value: object, limit: int = 40) -> str:
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else type(value).__name__
    return f"{text[:limit]}... ({size})"


def _why_not_dns(value: str, max_len: int, subdomain: bool) -> str:
    grammar = (
        "lowercase letters, digits, '-'" + (" and '.'" if subdomain else "") + ", starting and ending with a "
        f"letter or digit, at most {max_len} characters"
    )
    if value == "":
        return f"it is empty; expected {grammar}"
    if len(value) > max_len:
        return f"it is {len(value)} characters long; the limit is {max_len}"
    if value.startswith("-"):
        return f"it starts with '-', which kubectl would read as a flag; expected {grammar}"
    for ch in value:
        if not ch.isascii():
            name = unicodedata.name(ch, "unnamed character")
            return f"it contains the non-ASCII character U+{ord(ch):04X} ({name}); expected {grammar}"
        if not ch.isprintable() or ch.isspace():
            return f"it contains the control or whitespace character {ch!r}; expected {grammar}"
    if any(ch.isupper() for ch in value):
        return f"it contains upper-case letters; Kubernetes names are lower-case ({grammar})"
    bad = sorted({ch for ch in value if not (ch.isalnum() or ch == "-" or (subdomain and ch == "."))})
    if bad:
        return f"it contains {', '.join(repr(b) for b in bad)}; expected {grammar}"
    return f"it does not match the Kubernetes name grammar ({grammar})"


def _dns_name(field: str, value: object, max_len: int, subdomain: bool) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(field, value, f"expected a string, got {type(value).__name__}")
    pattern = _DNS1123_SUBDOMAIN if subdomain else _DNS1123_LABEL
    if len(value) <= max_len and pattern.fullmatch(value):
        return value
    raise InvalidArgumentError(field, value, _why_not_dns(value, max_len, subdomain))


def validate_pod_name(value: object) -> str:
    """A pod name: a DNS-1123 subdomain (at most 253 characters)."""
    return _dns_name("pod_name", value, 253, subdomain=True)


def validate_namespace(value: object) -> str:
    """A namespace: a DNS-1123 label (at most 63 characters)."""
    return _dns_name("namespace", value, 63, subdomain=False)


def validate_container_name(value: object) -> str:
    """A container name: a DNS-1123 label (at most 63 characters)."""
    return _dns_name("container", value, 63, subdomain=False)


def validate_tail(value: object, max_lines: int = MAX_TAIL_LINES) -> int:
    """A line count for ``--tail``: an integer from 1 to ``max_lines`` (bool is not an integer here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError("tail", value, f"expected an integer from 1 to {max_lines}")
    if not 1 <= value <= max_lines:
        raise InvalidArgumentError("tail", value, f"must be between 1 and {max_lines} lines")
    return value


def validate_previous(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError("previous", value, "expected true or false")
    return value


def check_read_only(args: Sequence[str]) -> None:
    """Refuse an argv (without the binary and global flags) whose first word is not a read-only verb."""
    if not args or args[0] not in READ_ONLY_VERBS:
        verb = args[0] if args else "<nothing>"
        raise ReadOnlyViolation(
            f"refusing to run kubectl {verb!r}: only {sorted(READ_ONLY_VERBS)} are allowed"
        )
    for arg in args:
        if "\n" in arg or "\r" in arg or "\x00" in arg:
            raise ReadOnlyViolation(f"refusing an argument with a control character: {arg!r}")
