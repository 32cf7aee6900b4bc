"""``python -m course_lib diagnose`` and ``evaluate``: exit codes, JSON schema, defaults, progress bar."""

from __future__ import annotations

import io
import json

import pytest

from course_lib.agent import cli, evaluate_cli
from course_lib.agent.evaluate_cli import ProgressBar
from course_lib.agent.evaluation import SUMMARY_FIELDS
from course_lib.fakes.cluster import load_scenario

RESULT_KEYS = {
    "agent", "scenario", "profile", "seed", "success", "output", "diagnosis", "degraded", "outcome", "correct",
    "attempts", "steps", "llm_calls", "http_attempts", "max_attempts_per_call", "tool_calls", "duration_s",
    "deadline_s", "tokens", "errors", "trace_id", "unhandled_exception", "fallback_calls", "breaker_transitions",
    "transport", "question", "completed", "deadline_exceeded",
}  # fmt: skip


def test_diagnose_json_uses_the_scenarios_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--scenario", "oomkilled", "--chaos", "storm", "--seed", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == RESULT_KEYS
    assert data["question"] == load_scenario("oomkilled").question
    assert data["success"] is True and data["correct"] is True and data["outcome"] == "answered"


def test_diagnose_human_output_and_own_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["Why is report-worker failing in namespace data?", "--scenario", "oomkilled"]) == 0
    out = capsys.readouterr().out
    assert (
        "OOMKilled" in out
        and "[production agent | oomkilled | chaos none seed 0 | answered (correct)]" in out
    )


def test_diagnose_exit_1_when_the_agent_did_not_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--scenario", "oomkilled", "--chaos", "outage", "--no-backup"]) == 1
    assert "DEGRADED ANSWER" in capsys.readouterr().out
    assert cli.main(["--scenario", "oomkilled", "--chaos", "outage", "--agent", "naive", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["unhandled_exception"] == "OpenAIAPIError"


def test_diagnose_events_and_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--scenario", "oomkilled", "--chaos", "outage", "--events", "--metrics"]) == 0
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.err.splitlines()]
    assert {"run_start", "model_call", "tool_call", "retry", "breaker_transition", "run_end"} <= {
        e["event"] for e in events
    }
    assert "# TYPE llm_http_attempts_total counter" in captured.out


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--scenario", "nope"], "oomkilled"),
        (["--scenario", "oomkilled", "--chaos", "typhoon"], "none, flaky, storm, outage, hostile"),
        (["--scenario", "oomkilled", "--agent", "clever"], "naive, production, kept"),
        (["--scenario", "oomkilled", "--transport", "carrier-pigeon"], "in-process, http"),
    ],
)
def test_diagnose_unknown_names_exit_2_and_list_the_valid_ones(
    argv: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    assert names in capsys.readouterr().err


def test_diagnose_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2  # --scenario is required
    assert cli.main(["--scenario", "oomkilled", "--seed", "x"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_evaluate_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--chaos",
        "storm",
        "--seeds",
        "2",
        "--scenario",
        "oomkilled,healthy-shop",
        "--workers",
        "1",
        "--json",
    ]
    assert evaluate_cli.main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"summary", "runs"}
    assert list(data["summary"]) == ["naive/storm", "production/storm"]
    for row in data["summary"].values():
        assert tuple(row) == SUMMARY_FIELDS
        assert row["runs"] == 4
    assert len(data["runs"]) == 8 and set(data["runs"][0]) == RESULT_KEYS
    assert data["summary"]["production/storm"]["accuracy"] == 1.0


def test_evaluate_table_and_agent_lists(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--agent",
        "kept",
        "--agent",
        "production",
        "--chaos",
        "none",
        "--seeds",
        "1",
        "--scenario",
        "oomkilled",
    ]
    assert evaluate_cli.main([*argv, "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "kept/none" in captured.out and "production/none" in captured.out
    assert "\r" not in captured.err  # stderr is not a terminal: no progress bar


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--agent", "naive,genius"], "naive, production, kept"),
        (["--chaos", "storm,typhoon"], "none, flaky, storm, outage, hostile"),
        (["--scenario", "nope"], "oomkilled"),
        (["--seeds", "0"], "--seeds must be >= 1"),
        (["--workers", "0"], "--workers must be >= 1"),
        (["--transport", "fax"], "in-process, http"),
    ],
)
def test_evaluate_bad_arguments_exit_2(
    argv: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert evaluate_cli.main(argv) == 2
    assert names in capsys.readouterr().err


def test_progress_bar_draws_in_place() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, width=10)
    bar(1, 4)
    bar(4, 4)
    assert stream.getvalue() == "\revaluating [##........] 1/4 (25%)\revaluating [##########] 4/4 (100%)\n"
    assert ProgressBar(io.StringIO(), width=4).render(0, 0).endswith("0/0 (100%)")


def test_the_dispatcher_reaches_both_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from course_lib.__main__ import main

    assert main(["diagnose", "--scenario", "nope"]) == 2
    assert main(["evaluate", "--agent", "nope"]) == 2
