"""End to end: create_agent + PolicyChatModel + the course's real tools diagnose every scenario.

The tools are ``course_lib.tools.all_tools`` on the fake cluster, in process. The policy reads
tool output only; the answer key (``scenario.grade``) is used here to judge it.
"""

from __future__ import annotations

import pytest
from langchain.agents import create_agent

from course_lib.fakes.cluster import list_scenarios, load_scenario
from course_lib.fakes.llm import PolicyChatModel
from course_lib.fakes.llm.policy import DiagnosisPolicy
from course_lib.tools import KubectlSettings, all_tools

SCENARIOS = list_scenarios()


def scenario_tools(name: str) -> list:
    return all_tools(KubectlSettings(scenario=name), mode="in-process")


def test_there_are_scenarios_to_diagnose() -> None:
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_policy_diagnoses_every_scenario_without_faults(name: str) -> None:
    scenario = load_scenario(name)
    model = PolicyChatModel()
    result = create_agent(model, scenario_tools(name)).invoke(
        {"messages": [("user", scenario.question)]}, config={"recursion_limit": 30}
    )
    answer = result["messages"][-1].content
    assert scenario.grade(answer), f"{name}: missing {scenario.diagnosis.missing(answer)} in {answer!r}"
    assert model.call_count <= 7  # a focused investigation, not a crawl


@pytest.mark.parametrize("name", ["oomkilled", "crashloop-app-error", "pending-unbound-pvc"])
def test_the_policy_never_reads_the_answer_key(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(name)
    tools = scenario_tools(name)
    monkeypatch.setattr(type(scenario), "grade", lambda self, text: pytest.fail("policy read the key"))
    answer = DiagnosisPolicy()  # the policy object has no access to scenarios at all
    assert not any("scenario" in attr for attr in vars(answer))
    result = create_agent(PolicyChatModel(policy=answer), tools).invoke(
        {"messages": [("user", scenario.question)]}
    )
    assert result["messages"][-1].content
