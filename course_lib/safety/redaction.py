"""Redaction: take secrets out of text and nested data before anything is logged or shown.

An agent's logs carry its question, the model's replies and raw kubectl output, any of which can
hold an API key, a bearer token or a kubeconfig credential (seed errata 28). Logs travel further
than the process (files, log shippers, screenshots in a workshop), so the log formatter runs
every event through :func:`redact_mapping` before it writes a byte.

Each replacement says what it removed, e.g. ``[REDACTED:api_key]``, so a reader still knows
that a key was there and which kind. Redaction is pattern-based: it catches the common shapes
(below) and values stored under keys whose *name* says "secret"; it cannot recognise a
password typed into free text with nothing around it. The safe direction is over-redaction.

Shapes recognised in text: PEM private keys; ``Authorization:`` header values; ``Bearer`` and
``Basic`` credentials; passwords in URLs (``scheme://user:pw@host``); JWTs (service-account and
kubeconfig tokens); OpenAI/Anthropic-style ``sk-...`` keys; AWS access key ids; GitHub, Slack
and Google API tokens; ``key=value`` / ``key: value`` pairs whose key ends in password, secret,
token, api_key, access_key, private_key, client-key-data, ...; ``--token VALUE`` style flags;
and (optionally, on by default) e-mail addresses, which are personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["is_sensitive_key", "marker", "redact", "redact_mapping"]


def marker(kind: str) -> str:
    """The text that replaces a secret of ``kind``."""
    return f"[REDACTED:{kind}]"


_NOT_ALREADY = r"(?!\[REDACTED:)"

# The words that make a key sensitive when the key *ends* with them (``db_password``,
# ``accessToken``, ``x-api-key``), mapped to the kind named in the marker. ``secretName`` or
# ``token_count`` end in something else and are left alone: they name or count a secret.
_SENSITIVE_WORDS: dict[str, str] = {
    "password": "password",
    "passwd": "password",
    "pwd": "password",
    "passphrase": "password",
    "secret": "secret",
    "token": "token",
    "api_key": "api_key",
    "apikey": "api_key",
    "access_key": "access_key",
    "secret_key": "secret_key",
    "private_key": "private_key",
    "client_key_data": "private_key",
    "authorization": "authorization",
    "cookie": "cookie",
    "credential": "credentials",
    "credentials": "credentials",
    "session_id": "session_id",
    "sessionid": "session_id",
}


def _normalise_key(key: str) -> str:
    """``accessToken`` / ``X-Api-Key`` / ``client-key-data`` -> ``access_token`` / ``x_api_key``..."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def _key_kind(key: str) -> str | None:
    normal = _normalise_key(key)
    for word, kind in _SENSITIVE_WORDS.items():
        if normal == word or normal.endswith("_" + word):
            return kind
    return None


def is_sensitive_key(key: str) -> bool:
    """True if a value stored under ``key`` should never be logged (``api_key``, ``X-Auth-Token``...)."""
    return _key_kind(key) is not None


# key = value in free text: an optional run of segments, then a sensitive word at the end.
_KEY_WORDS = (
    r"pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|"
    r"private[_-]?key|client[_-]?key[_-]?data|cookie|credentials?|session[_-]?id"
)
_KEY_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])"
    rf"(?P<key>[A-Za-z0-9_-]*?(?:{_KEY_WORDS}))"
    r"(?P<sep>[\"']?\s*[:=]\s*)" + _NOT_ALREADY + r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}\])]+)"
)
_AUTH_HEADER = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])(?P<key>(?:proxy-)?authorization)(?P<sep>[\"']?\s*[:=]\s*)"
    + _NOT_ALREADY
    + r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|(?:(?:bearer|basic|token|digest|negotiate|apikey)\s+)?[^\s,;\"'}\])]+)"
)
_FLAG = re.compile(
    r"(?i)(?P<key>--(?:token|password|client-secret|api-key|secret))(?P<sep>\s+)"
    + _NOT_ALREADY
    + r"(?P<value>[^\s\"']+)"
)

_Replacement = str | Callable[[re.Match[str]], str]


def _keyed(kind_from_key: bool, kind: str = "") -> Callable[[re.Match[str]], str]:
    """Keep the key and separator (and quotes), replace only the value."""

    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        label = (_key_kind(match.group("key").lstrip("-")) or "secret") if kind_from_key else kind
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            return f"{match.group('key')}{match.group('sep')}{value[0]}{marker(label)}{value[0]}"
        return f"{match.group('key')}{match.group('sep')}{marker(label)}"

    return replace


# Order matters: whole blocks and specific shapes first, then the generic key=value rule, which
# skips anything already replaced.
_RULES: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S
        ),
        marker("private_key"),
    ),
    (_AUTH_HEADER, _keyed(False, "authorization")),
    (
        re.compile(r"(?i)\bbearer\s+" + _NOT_ALREADY + r"[A-Za-z0-9\-._~+/]{8,}=*"),
        "Bearer " + marker("bearer_token"),
    ),
    (
        re.compile(r"(?i)\bbasic\s+" + _NOT_ALREADY + r"[A-Za-z0-9+/]{8,}={0,2}"),
        "Basic " + marker("basic_auth"),
    ),
    (
        re.compile(
            r"(?P<pre>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s:/?#@]{0,256}:)"
            + _NOT_ALREADY
            + r"[^\s/?#@]+(?=@)"
        ),
        lambda m: m.group("pre") + marker("password"),
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), marker("jwt")),
    (re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}"), marker("api_key")),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"), marker("aws_access_key")),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"), marker("github_token")),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), marker("slack_token")),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), marker("google_api_key")),
    (_FLAG, _keyed(True)),
    (_KEY_VALUE, _keyed(True)),
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)


def redact(text: str, *, emails: bool = True) -> str:
    """Return ``text`` with every recognised secret replaced by ``[REDACTED:<kind>]``.

    Pure and idempotent: ``redact(redact(t)) == redact(t)``. Raises TypeError for non-text, so a
    caller that meant to pass a dict finds out (use :func:`redact_mapping` for data).
    """
    if not isinstance(text, str):
        raise TypeError(f"redact() takes a str, got {type(text).__name__}; use redact_mapping() for data")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    if emails:
        text = _EMAIL.sub(marker("email"), text)
    return text


def redact_mapping(obj: Any, *, emails: bool = True) -> Any:
    """Return a redacted copy of ``obj``, walking nested dicts, lists, tuples and sets.

    Strings are passed through :func:`redact`; a value stored under a sensitive key
    (:func:`is_sensitive_key`) is replaced whole, whatever its type, unless it is None or a bool
    (``"token": null`` leaks nothing and says there was none). Other values (numbers, None,
    objects) are returned unchanged; the input is never modified.
    """
    if isinstance(obj, str):
        return redact(obj, emails=emails)
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            kind = _key_kind(key) if isinstance(key, str) else None
            if kind is not None and value is not None and not isinstance(value, bool):
                out[key] = marker(kind)
            else:
                out[key] = redact_mapping(value, emails=emails)
        return out
    if isinstance(obj, list):
        return [redact_mapping(item, emails=emails) for item in obj]
    if isinstance(obj, tuple):
        return tuple(redact_mapping(item, emails=emails) for item in obj)
    if isinstance(obj, set | frozenset):
        return type(obj)(redact_mapping(item, emails=emails) for item in obj)
    return obj
