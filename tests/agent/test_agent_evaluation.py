"""The evaluation: cells, summary arithmetic, determinism across processes, table, charts' data, HTTP."""

from __future__ import annotations

import math

import pytest

from course_lib.agent.evaluation import (
    SUMMARY_FIELDS,
    Cell,
    evaluate,
    plan_cells,
    render_table,
    report,
    summarise,
)
from course_lib.agent.result import AgentResult, Outcome
from course_lib.agent.runner import UnknownAgentError, run_agent
from course_lib.fakes.chaos import UnknownProfileError
from course_lib.fakes.cluster import UnknownScenarioError
from course_lib.viz.evaluation_charts import (
    evaluation_data,
    latency_data,
    plot_accuracy,
    plot_calls,
    plot_completion,
    plot_crashes,
    plot_evaluation,
    plot_latency,
    plot_tokens,
)


def _result(
    agent: str, profile: str, *, correct: bool, outcome: Outcome, duration: float, **kw: object
) -> AgentResult:
    base: dict = dict(
        agent=agent, scenario="s", profile=profile, seed=0, success=outcome is Outcome.ANSWERED, output="x",
        diagnosis=None, degraded=outcome is Outcome.DEGRADED, outcome=outcome, correct=correct, attempts=3, steps=3,
        llm_calls=2, http_attempts=3, max_attempts_per_call=2, tool_calls=1, duration_s=duration, deadline_s=120.0,
        tokens=100,
    )  # fmt: skip
    base.update(kw)
    return AgentResult(**base)


def test_summary_arithmetic() -> None:
    rows = [
        _result("naive", "storm", correct=True, outcome=Outcome.ANSWERED, duration=1.0),
        _result(
            "naive", "storm", correct=False, outcome=Outcome.CRASHED, duration=3.0, unhandled_exception="X"
        ),
        _result("naive", "storm", correct=False, outcome=Outcome.WOULD_LOOP, duration=200.0),
        _result(
            "production",
            "storm",
            correct=True,
            outcome=Outcome.DEGRADED,
            duration=2.0,
            llm_calls=4,
            http_attempts=4,
        ),
    ]
    summary = summarise(rows)
    naive = summary["naive/storm"]
    assert tuple(naive) == SUMMARY_FIELDS
    assert naive["runs"] == 3 and naive["correct"] == 1 and naive["accuracy"] == 0.333
    assert naive["completed"] == 1 and naive["unhandled_exceptions"] == 1 and naive["deadline_exceeded"] == 1
    assert naive["llm_calls"] == 6 and naive["http_attempts_per_call"] == 1.5
    assert naive["p50_latency_s"] == 3.0 and naive["p95_latency_s"] == 180.3
    assert summary["production/storm"]["completed"] == 1
    table = render_table(rows)
    assert "naive/storm" in table and "production/storm" in table
    assert report(rows)["runs"][1]["unhandled_exception"] == "X"


def test_plan_cells_validates_names() -> None:
    cells = plan_cells(["production"], ["none", "storm"], 2, ["oomkilled"])
    assert [(c.profile, c.seed) for c in cells] == [("none", 0), ("none", 1), ("storm", 0), ("storm", 1)]
    with pytest.raises(UnknownAgentError, match="valid agents: naive, production, kept"):
        plan_cells(["smart"])
    with pytest.raises(UnknownProfileError, match="valid profiles"):
        plan_cells(["naive"], ["typhoon"])
    with pytest.raises(UnknownScenarioError):
        run_agent("naive", "no-such-scenario")
    with pytest.raises(ValueError, match="valid transports"):
        run_agent("naive", "oomkilled", transport="pigeon")  # type: ignore[arg-type]


def test_processes_give_the_same_results_in_the_same_order() -> None:
    cells = plan_cells(
        ["naive", "production"], ["storm"], [0, 1], ["oomkilled", "crashloop-app-error", "healthy-shop"]
    )
    serial = evaluate(cells, workers=1)
    progress: list[tuple[int, int]] = []
    forked = evaluate(cells, workers=2, progress=lambda done, total: progress.append((done, total)))
    assert [r.to_dict() for r in forked] == [r.to_dict() for r in serial]
    assert progress[-1] == (len(cells), len(cells))


def test_http_transport_meets_the_same_chaos() -> None:
    """The real ChatOpenAI against the loopback server: the naive agent's SDK retries, the production one's don't."""
    cells = [
        Cell("production", "oomkilled", "storm", 3, "http"),
        Cell("naive", "oomkilled", "outage", 0, "http"),
        Cell("production", "oomkilled", "outage", 0, "http", backup=False),
    ]
    production, naive, degraded = evaluate(cells, workers=1, threads=3)
    assert production.correct and production.transport == "http" and production.max_attempts_per_call <= 3
    assert (
        naive.unhandled_exception == "OpenAIAPIError" and naive.http_attempts == 3
    )  # max_retries=2 by default
    assert degraded.outcome is Outcome.DEGRADED and degraded.unhandled_exception is None
    in_process = run_agent("production", "oomkilled", "storm", 3)
    assert (in_process.llm_calls, in_process.correct) == (production.llm_calls, production.correct)


SUMMARY = {
    "naive/none": {"runs": 10, "accuracy": 0.9, "completed": 9, "unhandled_exceptions": 1, "http_attempts_per_call": 1.0,
                   "p50_latency_s": 0.1, "p95_latency_s": 0.5, "tokens": 1000},
    "naive/storm": {"runs": 10, "accuracy": 0.2, "completed": 4, "unhandled_exceptions": 6, "http_attempts_per_call": 1.9,
                    "p50_latency_s": 5.0, "p95_latency_s": 15.0, "tokens": 500},
    "production/storm": {"runs": 10, "accuracy": 1.0, "completed": 10, "unhandled_exceptions": 0,
                         "http_attempts_per_call": 1.5, "p50_latency_s": 6.0, "p95_latency_s": 13.0, "tokens": 2000},
}  # fmt: skip


def _heights(fig: object) -> list[float]:
    return [round(p.get_height(), 6) for p in fig.axes[0].patches]  # type: ignore[attr-defined]


def test_chart_data_per_agent_and_profile() -> None:
    data = evaluation_data(SUMMARY, lambda r: r["accuracy"], title="t", ylabel="y")
    assert data.profiles == ("none", "storm") and data.agents == ("naive", "production")
    assert data.values["naive"] == (0.9, 0.2)
    assert math.isnan(data.values["production"][0]) and data.values["production"][1] == 1.0
    p50, p95 = latency_data(SUMMARY)
    assert p95.values["production"][1] == 13.0 and p50.values["naive"] == (0.1, 5.0)


def test_charts_draw_the_numbers() -> None:
    assert _heights(plot_accuracy(SUMMARY))[:2] == [90.0, 20.0]
    assert _heights(plot_completion(SUMMARY))[:2] == [90.0, 40.0]
    assert _heights(plot_crashes(SUMMARY))[:2] == [1.0, 6.0]
    assert _heights(plot_calls(SUMMARY))[:2] == [1.0, 1.9]
    assert _heights(plot_tokens(SUMMARY))[:2] == [100.0, 50.0]
    latency = plot_latency(SUMMARY)
    assert [round(p.get_height(), 3) for p in latency.axes[1].patches][:2] == [0.5, 15.0]
    assert plot_accuracy(SUMMARY).axes[0].get_title() == "Correct diagnoses"
    dashboard = plot_evaluation(SUMMARY)
    assert [ax.get_title() for ax in dashboard.axes] == [
        "Correct diagnoses", "Runs that ended with an answer", "Unhandled exceptions",
        "HTTP attempts per logical model call", "Run duration p95", "Tokens per run",
    ]  # fmt: skip
    assert len(plot_evaluation(SUMMARY, panels=["crashes"]).axes) == 1


def test_charts_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        plot_accuracy({})
    with pytest.raises(ValueError, match="agent/profile"):
        plot_accuracy({"naive": SUMMARY["naive/none"]})
    with pytest.raises(ValueError, match="valid panels"):
        plot_evaluation(SUMMARY, panels=["vibes"])
