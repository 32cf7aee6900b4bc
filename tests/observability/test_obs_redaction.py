"""Redaction takes every recognised secret out of text and nested data, says what it removed,
and leaves look-alikes (token counts, secret *names*, image digests) alone."""

from __future__ import annotations

import string
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from course_lib.safety.redaction import is_sensitive_key, redact, redact_mapping

JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdCJ9.c2lnbmF0dXJl"

CASES = [
    # (text, secret that must disappear, marker that must appear)
    (
        "OPENAI_API_KEY=sk-proj-Abc123def456GHI789jkl012",
        "sk-proj-Abc123def456GHI789jkl012",
        "[REDACTED:api_key]",
    ),
    (
        "key sk-ant-api03-abcdefghijklmnopqrstuv here",
        "sk-ant-api03-abcdefghijklmnopqrstuv",
        "[REDACTED:api_key]",
    ),
    ("Authorization: Bearer abcdef123456.xyz", "abcdef123456.xyz", "[REDACTED:authorization]"),
    ('curl -H "Authorization: Basic dXNlcjpwYXNz" x', "dXNlcjpwYXNz", "[REDACTED:authorization]"),
    ("sent bearer AbCdEf0123456789 to the api", "AbCdEf0123456789", "[REDACTED:bearer_token]"),
    ("postgres://admin:hunter2@db.shop:5432/orders", "hunter2", "[REDACTED:password]"),
    ("redis://:s3cr3t@cache:6379", "s3cr3t", "[REDACTED:password]"),
    (f"    token: {JWT}", JWT, "[REDACTED:jwt]"),
    (
        "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt",
        "LS0tLS1CRUdJTiBSU0E",
        "[REDACTED:private_key]",
    ),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws_access_key]"),
    (
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
        "[REDACTED:access_key]",
    ),
    ('{"password": "correct horse", "user": "bob"}', "correct horse", '"[REDACTED:password]"'),
    ("{'client_secret': 'abc'}", "abc'", "'[REDACTED:secret]'"),
    ("kubectl get pods --token eyJhbGciOi --namespace x", "eyJhbGciOi", "--token [REDACTED:token]"),
    ("kubectl --token=abc123 get pods", "abc123", "--token=[REDACTED:token]"),
    ("accessToken=abc123xyz&next=1", "abc123xyz", "accessToken=[REDACTED:token]"),
    ("ghp_" + "a" * 36, "ghp_" + "a" * 36, "[REDACTED:github_token]"),
    ("AIza" + "B" * 35, "AIza" + "B" * 35, "[REDACTED:google_api_key]"),
    ("xoxb-1234567890-abcdef", "xoxb-1234567890-abcdef", "[REDACTED:slack_token]"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----",
        "MIIEow",
        "[REDACTED:private_key]",
    ),
    ("contact ops@example.com now", "ops@example.com", "[REDACTED:email]"),
]


@pytest.mark.parametrize(
    ("text", "secret", "expected"), CASES, ids=[c[2] + str(i) for i, c in enumerate(CASES)]
)
def test_each_secret_shape_is_replaced_by_a_marker_naming_it(text: str, secret: str, expected: str) -> None:
    out = redact(text)
    assert secret not in out
    assert expected in out


@pytest.mark.parametrize(
    "text",
    [
        "max_tokens=512 token_count: 7 input_tokens=30",
        "secretName: db-creds  secretKeyRef: {name: x}",
        "image: nginx@sha256:0123abcd",
        "Pod api-7d9 is in CrashLoopBackOff (exit code 1)",
        "risk-assessment-for-the-cluster-nodes",
        "password_hash: sha512",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_emails_can_be_kept_when_asked() -> None:
    assert redact("ops@example.com", emails=False) == "ops@example.com"
    assert redact_mapping({"to": "ops@example.com"}, emails=False) == {"to": "ops@example.com"}


def test_redact_rejects_non_text_with_a_pointer_to_redact_mapping() -> None:
    with pytest.raises(TypeError, match="redact_mapping"):
        redact({"password": "x"})  # type: ignore[arg-type]


def test_redact_mapping_walks_nested_data_and_never_modifies_its_input() -> None:
    data = {
        "headers": {"X-Api-Key": "abc", "Authorization": "Bearer zzz", "Accept": "json"},
        "kubeconfig": {"users": [{"name": "admin", "user": {"token": 12345, "client-key-data": "LS0t"}}]},
        "messages": ("see sk-abcdefghijklmnopqrstuvwxyz", {"note": "password=pw1"}),
        "apiKey": None,
        "token_count": 3,
        "secretName": "db",
        "flags": {"has_secret": True, "secret": False},
        "tags": {"ops@example.com"},
    }
    snapshot = repr(data)
    out = redact_mapping(data)
    assert repr(data) == snapshot
    assert out["headers"] == {
        "X-Api-Key": "[REDACTED:api_key]",
        "Authorization": "[REDACTED:authorization]",
        "Accept": "json",
    }
    user = out["kubeconfig"]["users"][0]["user"]
    assert user == {"token": "[REDACTED:token]", "client-key-data": "[REDACTED:private_key]"}
    assert out["messages"] == ("see [REDACTED:api_key]", {"note": "password=[REDACTED:password]"})
    assert out["apiKey"] is None and out["token_count"] == 3 and out["secretName"] == "db"
    assert out["flags"] == {"has_secret": True, "secret": False}
    assert out["tags"] == {"[REDACTED:email]"}


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("accessToken", True),
        ("x-api-key", True),
        ("Proxy-Authorization", True),
        ("client_secret", True),
        ("set-cookie", True),
        ("token_count", False),
        ("max_tokens", False),
        ("secretName", False),
        ("secret_key_ref", False),
        ("name", False),
    ],
)
def test_sensitive_keys_are_judged_by_how_they_end(key: str, sensitive: bool) -> None:
    assert is_sensitive_key(key) is sensitive


# ------------------------------------------------------------------ properties
_SAFE_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " .,:-_/\n", max_size=80)
_SEP = st.sampled_from([" ", "\n", "\t", ", ", "; ", " (", '"', "'"])
_TOKEN_CHARS = string.ascii_letters + string.digits


@st.composite
def secrets(draw: st.DrawFn) -> tuple[str, str]:
    """(text containing a secret, the secret itself), for several shapes."""
    body = draw(st.text(alphabet=_TOKEN_CHARS, min_size=24, max_size=60))
    kind = draw(st.sampled_from(["sk", "bearer", "url", "kv", "aws", "jwt", "json"]))
    if kind == "sk":
        return f"sk-{body}", f"sk-{body}"
    if kind == "bearer":
        return f"Authorization: Bearer {body}", body
    if kind == "url":
        return f"https://user:{body}@host.example/x", body
    if kind == "kv":
        key = draw(
            st.sampled_from(["password", "api_key", "token", "DB_PASSWORD", "client_secret", "apiKey"])
        )
        sep = draw(st.sampled_from(["=", ": ", " = "]))
        return f"{key}{sep}{body}", body
    if kind == "aws":
        aws = "AKIA" + draw(
            st.text(alphabet=string.ascii_uppercase + string.digits, min_size=16, max_size=16)
        )
        return aws, aws
    if kind == "jwt":
        jwt = f"eyJ{body[:10]}.eyJ{body[10:]}.{body[:8]}"
        return jwt, jwt
    return f'{{"secret": "{body}"}}', body


@settings(max_examples=300, deadline=None)
@given(before=_SAFE_TEXT, sep1=_SEP, secret=secrets(), sep2=_SEP, after=_SAFE_TEXT)
def test_a_generated_secret_never_survives(
    before: str, sep1: str, secret: tuple[str, str], sep2: str, after: str
) -> None:
    text, raw = secret
    assume(raw not in before and raw not in after)  # the secret must come only from the secret
    out = redact(before + sep1 + text + sep2 + after)
    assert raw not in out
    assert "[REDACTED:" in out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=100, deadline=None)
@given(secret=secrets(), depth=st.integers(min_value=0, max_value=4))
def test_a_secret_nested_anywhere_in_data_is_removed(secret: tuple[str, str], depth: int) -> None:
    text, raw = secret
    data: object = {"log": f"line 1\n{text}\nline 3"}
    for level in range(depth):
        data = [data] if level % 2 else {"inner": data, "n": level}
    assert raw not in repr(redact_mapping(data))


@pytest.mark.parametrize("unit", ["a-", "a.", "a@", "a://b:", "token=", "Bearer ", "-", "sk-", "eyJa."])
def test_adversarial_input_stays_linear(unit: str) -> None:
    text = (unit * (200_000 // len(unit)))[:200_000]
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < 1.0
