"""Loop detection and the repeated-call guard, on a real create_agent with the real kubectl tools."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain.agents import create_agent
from langchain.agents.middleware import ModelCallLimitMiddleware, ToolCallLimitMiddleware
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from course_lib.agent.guards import (
    FINAL_STEP_NOTE,
    FinalAnswerOnLastCall,
    InvalidToolCallFeedback,
    Loop,
    LoopDetector,
    RepeatedCallGuard,
    call_limits,
    call_signature,
    find_loop,
    is_refusal,
    normalise_args,
)
from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import ChaosProfile, FaultPlan, KubectlFault
from course_lib.fakes.llm import PolicyChatModel, ScriptedChatModel
from course_lib.tools import KubectlSettings, all_tools

QUESTION = "Why is the checkout pod failing in namespace shop?"
POD = "checkout-6d8f7b9c5d-q7x2m"


def call(name: str, **args: object) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"c_{name}"}])


def tools(scenario: str = "crashloop-app-error", fault_plan: FaultPlan | None = None):
    settings = KubectlSettings(scenario=scenario, clock=VirtualClock(), fault_plan=fault_plan)
    return all_tools(settings, mode="in-process")


def run(model, middleware=(), *, limit: int = 60, scenario: str = "crashloop-app-error", plan=None):
    agent = create_agent(model, tools(scenario, plan), middleware=list(middleware))
    out = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config={"recursion_limit": limit})
    return out["messages"]


def tool_messages(messages):
    return [m for m in messages if isinstance(m, ToolMessage)]


# -- normalisation and signatures ------------------------------------------------------------------
def test_normalise_args_ignores_order_padding_none_and_defaults():
    assert normalise_args({"tail": 50, "namespace": " shop "}) == {"namespace": "shop", "tail": 50}
    assert normalise_args({"namespace": "default", "x": None}, {"namespace": "default"}) == {}
    assert normalise_args(None) == {}
    assert normalise_args({"a": {"b": 1, "a": [" x "]}}) == {"a": {"a": ["x"], "b": 1}}


def test_call_signature_accepts_tuples_and_toolcall_dicts():
    as_tuple = call_signature(("get_pod_logs", {"tail": 50, "pod_name": "api"}))
    as_dict = call_signature({"name": "get_pod_logs", "args": {"pod_name": "api", "tail": 50}, "id": "x"})
    assert as_tuple == as_dict == 'get_pod_logs({"pod_name":"api","tail":50})'


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (("list_pods",), r"\(name, args\)"),
        ({"args": {}}, "mapping with 'name'"),
        ("list_pods", "tuple or a mapping"),
        (("list_pods", ["ns"]), "must be a mapping"),
    ],
)
def test_call_signature_rejects_what_is_not_a_call(bad, message):
    with pytest.raises(TypeError, match=message):
        call_signature(bad)


# -- the pure detector -------------------------------------------------------------------------------
A = ("list_pods", {"namespace": "shop"})
B = ("describe_pod", {"pod_name": "api", "namespace": "shop"})
C = ("get_events", {"namespace": "shop"})


def test_three_identical_calls_in_the_window_are_a_repeat_loop():
    loop = find_loop([A, B, ("list_pods", {"namespace": "shop "}), C, A])
    assert loop == Loop("repeat", (call_signature(A),), 3)
    assert "called 3 times" in str(loop)


def test_abab_is_a_cycle_and_different_arguments_are_not_a_loop():
    assert find_loop([C, A, B, A, B]) == Loop("cycle", (call_signature(A), call_signature(B)), 2)
    describe = [("describe_pod", {"pod_name": f"pod-{i}"}) for i in range(6)]
    assert find_loop(describe) is None
    assert find_loop([A, B, C]) is None and find_loop([]) is None


def test_the_window_forgets_old_calls():
    detector = LoopDetector(max_repeats=3, window=5)
    calls = [A, A, B, C, ("get_pod_logs", {"pod_name": "x"}), ("get_pod_status", {"pod_name": "x"}), A]
    assert detector.find(calls) is None  # only one A in the last five
    assert detector.is_looping([*calls, A, A])


def test_defaults_per_tool_make_omitted_arguments_equal():
    detector = LoopDetector(max_repeats=2)
    calls = [("list_pods", {}), ("list_pods", {"namespace": "default"})]
    assert detector.find(calls) is None
    assert detector.find(calls, defaults={"list_pods": {"namespace": "default"}}) is not None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_repeats": 1}, "max_repeats must be >= 2"),
        ({"cycle_repeats": 1}, "cycle_repeats must be >= 2"),
        ({"max_period": 1}, "max_period must be >= 2"),
        ({"window": 2}, "window"),
    ],
)
def test_detector_rejects_settings_that_make_no_sense(settings, message):
    with pytest.raises(ValueError, match=message):
        LoopDetector(**settings)


calls_strategy = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.fixed_dictionaries({"n": st.integers(0, 2)})), max_size=20
)


@given(calls_strategy)
def test_a_reported_loop_is_really_in_the_recent_calls(calls):
    detector = LoopDetector()
    loop = detector.find(calls)
    recent = [call_signature(c) for c in calls[-detector.window :]]
    if loop is None:
        assert all(recent.count(s) < detector.max_repeats for s in recent)
    elif loop.kind == "repeat":
        assert recent.count(loop.pattern[0]) == loop.repeats >= detector.max_repeats
    else:
        assert recent[-len(loop.pattern) * loop.repeats :] == list(loop.pattern) * loop.repeats


@given(calls_strategy, st.randoms())
def test_key_order_never_changes_the_verdict(calls, rnd):
    shuffled = [(name, dict(rnd.sample(list(args.items()), len(args)))) for name, args in calls]
    assert find_loop(calls) == find_loop(shuffled)


# -- the guard in a real agent ---------------------------------------------------------------------
def test_without_a_guard_a_stuck_model_runs_the_same_tool_until_the_recursion_limit():
    from langgraph.errors import GraphRecursionError

    model = ScriptedChatModel(script=[call("list_pods", namespace="shop")])
    with pytest.raises(GraphRecursionError):
        run(model, limit=12)
    assert model.call_count == 6  # each round is a model node and a tools node


def test_guard_refuses_identical_repeats_without_running_them():
    model = ScriptedChatModel(script=[call("list_pods", namespace="shop")])
    guard = RepeatedCallGuard()
    messages = run(model, [guard, ModelCallLimitMiddleware(run_limit=5)])
    results = tool_messages(messages)
    assert len(results) == 5  # five model calls, each asking for the same call
    assert results[0].status == "success" and "CrashLoopBackOff" in results[0].text
    assert all(is_refusal(m) and m.status == "error" for m in results[1:])
    assert "Refusing to run list_pods" in results[1].text and "ran once" in results[1].text
    assert "Move on" in results[1].text
    assert guard.refused == ['list_pods({"namespace":"shop"})'] * 4
    assert messages[-1].text.startswith("Model call limits exceeded")


def test_reordered_or_default_arguments_are_still_the_same_call():
    script = [call("list_pods"), call("list_pods", namespace="default"), "done"]
    messages = run(ScriptedChatModel(script=script), [RepeatedCallGuard()], scenario="healthy-shop")
    assert [is_refusal(m) for m in tool_messages(messages)] == [False, True]


def test_two_identical_calls_in_one_turn_run_once():
    twice = AIMessage(
        content="",
        tool_calls=[
            {"name": "list_pods", "args": {"namespace": "shop"}, "id": "x1"},
            {"name": "list_pods", "args": {"namespace": "shop"}, "id": "x2"},
        ],
    )
    messages = run(ScriptedChatModel(script=[twice, "done"]), [RepeatedCallGuard()])
    refusals = [is_refusal(m) for m in tool_messages(messages)]
    assert sorted(refusals) == [False, True]


def test_a_retry_after_an_error_is_allowed_up_to_the_limit():
    always_refused = FaultPlan(ChaosProfile("down", "", kubectl={KubectlFault.CONNECTION_REFUSED: 1.0}))
    model = ScriptedChatModel(script=[call("list_pods", namespace="shop")] * 5 + ["giving up"])
    messages = run(model, [RepeatedCallGuard(retries_after_error=2)], plan=always_refused)
    results = tool_messages(messages)
    assert [is_refusal(m) for m in results] == [False, False, False, True, True]
    assert "connection refused" in results[0].text
    assert "ran 3 times" in results[3].text


def test_a_new_question_starts_a_new_count():
    guard = RepeatedCallGuard()
    agent = create_agent(
        ScriptedChatModel(script=[call("list_pods", namespace="shop"), "ok"]), tools(), middleware=[guard]
    )
    first = agent.invoke({"messages": [HumanMessage(QUESTION)]})
    model2 = ScriptedChatModel(script=[call("list_pods", namespace="shop"), "ok"])
    agent2 = create_agent(model2, tools(), middleware=[guard])
    second = agent2.invoke({"messages": [*first["messages"], HumanMessage("And now?")]})
    assert not any(is_refusal(m) for m in second["messages"])


def test_the_guard_does_not_disturb_a_healthy_diagnosis():
    model = PolicyChatModel(clock=VirtualClock())
    messages = run(model, [RepeatedCallGuard(), *call_limits()])
    assert "CrashLoopBackOff" in messages[-1].text
    assert not any(is_refusal(m) for m in messages)


def test_the_policy_model_repeating_calls_is_stopped_by_the_guard():
    plan = FaultPlan(ChaosProfile("loopy", "", llm={"repeat_call": 1.0}))  # type: ignore[dict-item]
    model = PolicyChatModel(clock=VirtualClock(), fault_plan=plan)
    messages = run(model, [RepeatedCallGuard(), *call_limits(max_model_calls=8)])
    assert any(is_refusal(m) for m in messages)
    assert model.call_count <= 8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_identical": 0}, "max_identical must be >= 1"),
        ({"retries_after_error": -1}, "retries_after_error"),
    ],
)
def test_guard_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RepeatedCallGuard(**kwargs)


# -- call limits -------------------------------------------------------------------------------------
def test_call_limits_end_a_stuck_model_with_an_answer_not_an_exception():
    model = ScriptedChatModel(script=[call("list_pods", namespace="shop")])
    messages = run(model, call_limits(max_model_calls=4, max_tool_calls=10))
    assert model.call_count == 4
    assert isinstance(messages[-1], AIMessage) and not messages[-1].tool_calls
    assert messages[-1].text == "Model call limits exceeded: run limit (4/4)"


def test_the_last_allowed_call_has_no_tools_so_a_real_model_answers():
    model = PolicyChatModel(clock=VirtualClock())
    messages = run(model, call_limits(max_model_calls=2))
    assert [len(c.tools) for c in model.calls] == [5, 0]
    assert model.call_count == 2 and not messages[-1].tool_calls
    assert messages[-1].text and "limits exceeded" not in messages[-1].text


def test_final_step_note_is_added_to_the_system_prompt():
    seen = []

    def spy(messages):
        seen.append(messages[0].text if messages and messages[0].type == "system" else "")
        return "answer"

    agent = create_agent(
        ScriptedChatModel(script=[spy]),
        tools(),
        system_prompt="Be brief.",
        middleware=[FinalAnswerOnLastCall(1)],
    )
    agent.invoke({"messages": [HumanMessage(QUESTION)]})
    assert seen == [f"Be brief.\n\n{FINAL_STEP_NOTE}"]


def test_tool_call_budget_tells_the_model_to_stop():
    model = PolicyChatModel(clock=VirtualClock())
    messages = run(model, call_limits(max_model_calls=10, max_tool_calls=1))
    assert "Tool call limit exceeded" in tool_messages(messages)[-1].text
    assert not messages[-1].tool_calls


def test_call_limits_composition_and_per_tool_limits():
    names = [m.name for m in call_limits(5, 9, per_tool={"get_pod_logs": 2})]
    assert names == [
        "ToolCallLimitMiddleware",
        "ToolCallLimitMiddleware[get_pod_logs]",
        "FinalAnswerOnLastCall",
        "ModelCallLimitMiddleware",
    ]
    limit = call_limits(5, 9)[0]
    assert isinstance(limit, ToolCallLimitMiddleware) and limit.exit_behavior == "continue"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [((0, 5), {}, "limits must be >= 1"), ((5, 5), {"per_tool": {"x": 0}}, r"per_tool\['x'\]")],
)
def test_call_limits_rejects_bad_limits(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        call_limits(*args, **kwargs)
    with pytest.raises(ValueError, match="max_model_calls must be >= 1"):
        FinalAnswerOnLastCall(0)


# -- malformed tool calls ------------------------------------------------------------------------------
def malformed_model(p: float, seed: int = 0) -> PolicyChatModel:
    plan = FaultPlan(ChaosProfile("broken-json", "", llm={"malformed_tool_call": p}), seed=seed)  # type: ignore[dict-item]
    return PolicyChatModel(clock=VirtualClock(), fault_plan=plan)


def test_without_feedback_broken_json_ends_the_run_with_an_empty_answer():
    messages = run(malformed_model(0.34))
    assert messages[-1].text == "" and messages[-1].invalid_tool_calls


def test_feedback_turns_broken_json_into_an_error_the_model_can_fix():
    model = malformed_model(0.34)
    messages = run(model, [InvalidToolCallFeedback()])
    feedback = [m for m in tool_messages(messages) if m.status == "error"]
    assert len(feedback) == 2
    assert "not valid JSON (Expecting ',' delimiter" in feedback[0].text
    assert "CrashLoopBackOff" in messages[-1].text


def test_feedback_gives_up_after_max_repairs_in_a_row():
    model = malformed_model(1.0)
    messages = run(model, [InvalidToolCallFeedback(max_repairs=2)])
    assert model.call_count == 3 and messages[-1].invalid_tool_calls
    with pytest.raises(ValueError, match="max_repairs must be >= 1"):
        InvalidToolCallFeedback(max_repairs=0)
