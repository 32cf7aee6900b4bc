"""Hostile and malformed tool arguments: each gets a clear error, and nothing runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.clock import VirtualClock
from course_lib.safety.validation import (
    InvalidArgumentError,
    ReadOnlyViolation,
    check_read_only,
    validate_container_name,
    validate_namespace,
    validate_pod_name,
    validate_tail,
)
from course_lib.tools import KubectlSettings, KubectlTools, all_tools

HOSTILE_NAMES = [
    "--all-namespaces", "-A", "-oyaml", "-o=json", "--kubeconfig=/etc/shadow", "--server=https://evil.example",
    "--token=abc", "-n", "--", "-", "--previous", "--tail=999999", "pod; rm -rf /", "pod && kubectl delete ns shop",
    "pod | tee /tmp/x", "$(whoami)", "`id`", "pod\ndelete", "pod\r\n", "pod\x00", "pod\t-A", "pod name",
    " pod", "pod ", "Pod", "POD-1", "pod_1", "pod/x", "../etc/passwd", "pod*", "pod?", "pod'", 'pod"', "pod>out",
    "pod<in", "pod{a,b}", "pod[0]", "pod#", "pod%20", "pod@host", "pod:8080", "pod=1", "pod,other",
    "p\u043ed",  # Cyrillic o
    "\u0440od",  # Cyrillic er looks like p
    "pod\u200b",  # zero-width space
    "ｐｏｄ",  # fullwidth
    "pod\u2010x",  # Unicode hyphen
    "café", "pod-", "-pod", ".pod", "pod.", "pod..x", "a" * 254, "x" * 10_000, "", "\u202epod",  # RTL override
]  # fmt: skip
HOSTILE_NAMESPACES = ["shop.prod", "a" * 64, "kube_system", "Shop", "shop\n", "--namespace=kube-system", "*"]


def tools_with_log(tmp_path: Path) -> tuple[KubectlTools, Path]:
    log = tmp_path / "kubectl.log"
    settings = KubectlSettings(scenario="crashloop-app-error", clock=VirtualClock(), log_path=str(log))
    return KubectlTools(settings, mode="in-process"), log


def test_there_are_at_least_50_hostile_inputs() -> None:
    assert len(set(HOSTILE_NAMES)) >= 50


@pytest.mark.parametrize("bad", HOSTILE_NAMES, ids=lambda v: repr(v)[:30])
def test_hostile_pod_name_runs_nothing(bad: str, tmp_path: Path) -> None:
    tools, log = tools_with_log(tmp_path)
    answers = [
        tools.get_pod_status(bad, "shop"),
        tools.describe_pod(bad, "shop"),
        tools.get_pod_logs(bad, "shop"),
        tools.get_events("shop", bad),
    ]
    for text in answers:
        assert text.startswith("Error: invalid pod_name ") and "Nothing was run" in text
        assert len(text) < 500, "the message must stay short even for a 10 kB input"
    assert tools.results == [] and not log.exists()


@pytest.mark.parametrize("bad", HOSTILE_NAMESPACES + HOSTILE_NAMES[:20], ids=lambda v: repr(v)[:30])
def test_hostile_namespace_runs_nothing(bad: str, tmp_path: Path) -> None:
    tools, log = tools_with_log(tmp_path)
    for text in (tools.list_pods(bad), tools.get_events(bad), tools.describe_pod("x", bad)):
        assert text.startswith("Error: invalid namespace ")
    assert not log.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"container": "--previous"}, "container"), ({"container": "app;ls"}, "container"),
        ({"container": "a" * 64}, "container"), ({"tail": 0}, "tail"), ({"tail": -1}, "tail"),
        ({"tail": 5001}, "tail"), ({"tail": 10**12}, "tail"), ({"tail": True}, "tail"), ({"tail": "10"}, "tail"),
        ({"tail": 1.5}, "tail"), ({"previous": "yes"}, "previous"), ({"previous": 1}, "previous"),
    ],
)  # fmt: skip
def test_bad_log_arguments_run_nothing(kwargs: dict[str, object], field: str, tmp_path: Path) -> None:
    tools, log = tools_with_log(tmp_path)
    text = tools.get_pod_logs("checkout-6d8f7b9c5d-q7x2m", "shop", **kwargs)  # type: ignore[arg-type]
    assert text.startswith(f"Error: invalid {field} ") and not log.exists()


def test_messages_explain_the_problem() -> None:
    cases = {
        "--all-namespaces": "starts with '-', which kubectl would read as a flag",
        "p\u043ed": "U+043E (CYRILLIC SMALL LETTER O)",
        "Pod": "upper-case",
        "pod\ndelete": "control or whitespace character '\\n'",
        "x" * 10_000: "10000 characters long; the limit is 253",
        "": "it is empty",
        "pod;x": "contains ';'",
    }
    for value, expected in cases.items():
        with pytest.raises(InvalidArgumentError) as info:
            validate_pod_name(value)
        assert expected in str(info.value)
    with pytest.raises(InvalidArgumentError, match="expected a string, got int"):
        validate_namespace(42)


def test_valid_names_pass() -> None:
    assert validate_pod_name("checkout-6d8f7b9c5d-q7x2m") == "checkout-6d8f7b9c5d-q7x2m"
    assert validate_pod_name("web.v2-0") == "web.v2-0"
    assert validate_namespace("kube-system") == "kube-system"
    assert validate_container_name("istio-proxy") == "istio-proxy"
    assert validate_tail(1) == 1 and validate_tail(5000) == 5000


LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@given(st.text(max_size=70))
def test_namespace_validation_is_exactly_dns1123_label(value: str) -> None:
    expected = len(value) <= 63 and LABEL.fullmatch(value) is not None and value.isascii()
    try:
        validate_namespace(value)
        accepted = True
    except InvalidArgumentError as err:
        accepted = False
        assert err.field == "namespace" and str(err)
    assert accepted == expected


@given(st.text(alphabet=st.characters(), max_size=300))
def test_accepted_pod_names_are_safe_argv_words(value: str) -> None:
    try:
        name = validate_pod_name(value)
    except InvalidArgumentError:
        return
    assert name.isascii() and not name.startswith("-") and name == name.strip() and name == name.lower()


def test_read_only_guard() -> None:
    check_read_only(["get", "pods"])
    for argv in (["delete", "pod", "x"], [], ["exec", "x"], ["get", "pods\n-A"]):
        with pytest.raises(ReadOnlyViolation):
            check_read_only(argv)


def test_langchain_tools_reject_hostile_input_without_running(tmp_path: Path) -> None:
    log = tmp_path / "kubectl.log"
    tools = {
        t.name: t
        for t in all_tools(KubectlSettings(scenario="oomkilled", log_path=str(log)), mode="in-process")
    }
    assert (
        tools["get_pod_logs"]
        .invoke({"pod_name": "-oyaml", "namespace": "data"})
        .startswith("Error: invalid pod_name")
    )
    assert tools["list_pods"].invoke({"namespace": "--all-namespaces"}).startswith("Error: invalid namespace")
    wrong_type = tools["get_pod_logs"].invoke({"pod_name": "x", "tail": [1]})
    assert wrong_type.startswith("Error: invalid tool arguments (tail:")
    missing = tools["describe_pod"].invoke({"namespace": "data"})
    assert missing.startswith("Error: invalid tool arguments (pod_name:")
    assert not log.exists()
