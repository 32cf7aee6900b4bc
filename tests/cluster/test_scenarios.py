"""Scenario catalog: loading, validation errors, answer keys, and evidence carried by kubectl output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course_lib.fakes.cluster import (
    Scenario,
    ScenarioError,
    UnknownScenarioError,
    grade,
    list_scenarios,
    load_scenario,
)
from course_lib.fakes.cluster.kubectl import run_kubectl
from course_lib.fakes.scenarios_cli import main as scenarios_main

NAMES = list_scenarios()
SCENARIO_DIR = Path(load_scenario(NAMES[0]).source).parent


def test_catalog_has_enough_failure_modes_and_controls() -> None:
    scenarios = [load_scenario(n) for n in NAMES]
    assert len(scenarios) >= 17
    assert sum(s.healthy for s in scenarios) >= 2
    assert sum(not s.healthy for s in scenarios) >= 15


REQUIRED = [
    "crashloop-app-error", "oomkilled", "imagepull-bad-tag", "imagepull-private-registry",
    "pending-insufficient-cpu", "pending-node-selector", "pending-taint", "pending-unbound-pvc",
    "liveness-probe-failing", "readiness-probe-failing", "missing-configmap", "start-error-bad-command",
    "evicted-memory-pressure", "node-not-ready", "init-crashloop", "job-backoff-limit", "service-no-endpoints",
]  # fmt: skip


@pytest.mark.parametrize("name", REQUIRED)
def test_issue_failure_modes_exist(name: str) -> None:
    assert name in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_scenario_is_complete(name: str) -> None:
    s = load_scenario(name)
    assert s.name == name
    assert s.namespace in s.question
    assert s.pods and s.root_cause and s.keywords
    assert s.grade(s.root_cause), "the answer key must pass its own grading"
    assert grade(s, s.root_cause)
    assert not s.grade("I could not determine anything.")
    for pod in s.pods:
        assert pod["metadata"]["namespace"] == s.namespace
        assert pod["metadata"]["uid"]


def _all_tool_output(s: Scenario) -> str:
    ns = s.namespace
    parts = [
        run_kubectl(["get", "pods", "-n", ns, "-o", "wide"], s).stdout,
        run_kubectl(["get", "events", "-n", ns], s).stdout,
    ]
    for pod in s.pods_in(ns):
        name = pod["metadata"]["name"]
        parts.append(run_kubectl(["describe", "pod", name, "-n", ns], s).stdout)
        parts.append(run_kubectl(["get", "pod", name, "-n", ns, "-o", "json"], s).stdout)
        containers = [c["name"] for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", [])]
        for c in containers:
            for extra in ([], ["--previous"]):
                out = run_kubectl(["logs", name, "-n", ns, "-c", c, *extra], s)
                parts.append(out.stdout + out.stderr)
    return "\n".join(parts)


@pytest.mark.parametrize("name", [n for n in NAMES if not load_scenario(n).healthy])
def test_kubectl_output_carries_the_evidence(name: str) -> None:
    """A diagnosis policy must be able to find every keyword group in what kubectl prints."""
    s = load_scenario(name)
    text = _all_tool_output(s).casefold()
    missing = [g for g in s.keywords if not any(k.casefold() in text for k in g)]
    assert not missing, f"no tool output mentions any of {missing}"


def test_healthy_controls_have_no_warning_events() -> None:
    for s in (load_scenario(n) for n in NAMES):
        if s.healthy:
            assert all(e["type"] == "Normal" for e in s.events)


def test_unknown_scenario_lists_valid_names() -> None:
    with pytest.raises(UnknownScenarioError) as info:
        load_scenario("crashloop")
    assert "crashloop-app-error" in str(info.value) and "oomkilled" in str(info.value)
    assert isinstance(info.value, LookupError)


def test_scenario_loads_from_a_path(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    shutil.copy(SCENARIO_DIR / "oomkilled.yaml", target)
    s = load_scenario(str(target))
    assert s.name == "oomkilled" and s.source == str(target)
    assert load_scenario(target).pods == s.pods


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")


BASE = """
name: t
title: T
namespace: ns1
question: Why is x in ns1 broken?
nodes: {n1: {ip: 10.0.0.1}}
diagnosis: {root_cause: because, keywords: [[because]]}
pods:
  - name: x
    created: 5m
    node: n1
    containers: [{name: c, image: busybox:1.36, state: {running: {started: 5m}}}]
"""


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("name: t\n", ""), "missing required field 'name'"),
        (lambda t: t.replace("created: 5m", "created: five minutes"), "not a relative age"),
        (lambda t: t.replace("keywords: [[because]]", "keywords: []"), "keywords must be a non-empty list"),
        (lambda t: t.replace("node: n1", "node: n9"), "node 'n9' is not listed"),
        (lambda t: t.replace("{running: {started: 5m}}", "{sleeping: {}}"), "unknown container state"),
        (
            lambda t: t + "  - name: x\n    created: 1m\n    containers: [{name: c, image: busybox}]\n",
            "duplicate pod",
        ),
        (lambda t: t.replace("question: Why is x in ns1 broken?\n", ""), "missing required field 'question'"),
        (lambda t: "[not, a, mapping]", "holds a mapping"),
        (lambda t: "a: [unclosed", "not valid YAML"),
    ],
)
def test_bad_scenario_files_give_precise_errors(tmp_path: Path, edit: object, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(edit(BASE), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)


def test_grading_is_case_and_whitespace_insensitive() -> None:
    s = load_scenario("oomkilled")
    assert s.grade("the worker was oomkilled:   it hit the MEMORY\n limit")
    assert s.diagnosis.missing("it was oomkilled above its memory limit") == []
    assert s.diagnosis.missing("it crashed") == list(s.keywords)


def test_loading_is_deterministic() -> None:
    assert load_scenario("node-not-ready") == load_scenario("node-not-ready")


def test_scenarios_cli_lists_everything(capsys: pytest.CaptureFixture[str]) -> None:
    assert scenarios_main([]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in NAMES)
    assert f"{len(NAMES)} scenarios" in out
    assert scenarios_main(["--show", "oomkilled"]) == 0
    assert "root cause" in capsys.readouterr().out
    assert scenarios_main(["--show", "nope"]) == 1
    assert "unknown scenario" in capsys.readouterr().err
