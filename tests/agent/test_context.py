"""Token budgeting: counting, truncation, trimming that keeps tool pairs, overflow recovery."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from course_lib.agent.context import (
    ContextBudgetError,
    ContextOverflowRecovery,
    TokenMeter,
    TrimHistory,
    TruncateToolOutputs,
    context_budget,
    count_tokens,
    is_context_overflow,
    message_tokens,
    overflow_window,
    shrink_to_fit,
    token_growth,
    trim_history,
    truncate_tool_message,
)
from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import ChaosProfile, FaultPlan, KubectlFault
from course_lib.fakes.llm import PolicyChatModel, ScriptedChatModel, context_length_error, rate_limit_error
from course_lib.fakes.llm.messages import prompt_tokens
from course_lib.tools import KubectlSettings, all_tools, approx_tokens

QUESTION = "Why is the checkout pod failing in namespace shop?"
HUGE_LOGS = FaultPlan(ChaosProfile("huge", "", kubectl={KubectlFault.HUGE_OUTPUT: 1.0}))


def tools(plan: FaultPlan | None = None, cap: int = 2000):
    settings = KubectlSettings(
        scenario="crashloop-app-error", clock=VirtualClock(), fault_plan=plan, max_output_tokens=cap
    )
    return all_tools(settings, mode="in-process")


def exchange(i: int, size: int) -> list:
    ai = AIMessage(
        content="", tool_calls=[{"name": "get_pod_logs", "args": {"pod_name": f"p{i}"}, "id": f"t{i}"}]
    )
    return [ai, ToolMessage(content="log line\n" * size, tool_call_id=f"t{i}", name="get_pod_logs")]


# -- counting ------------------------------------------------------------------------------------------
def test_counting_matches_the_fake_provider_exactly():
    model = PolicyChatModel(clock=VirtualClock())
    meter = TokenMeter()
    agent = create_agent(model, tools(), middleware=[meter])
    messages = agent.invoke({"messages": [HumanMessage(QUESTION)]})["messages"]
    assert count_tokens(messages) == prompt_tokens(messages)
    assert meter.per_call == [c.input_tokens for c in model.calls]  # tool schemas included
    schema_tokens = model.calls[0].input_tokens - message_tokens(messages[0])
    assert token_growth(messages) == [c.input_tokens - schema_tokens for c in model.calls]
    meter.reset()
    assert meter.per_call == []


def test_message_tokens_is_text_over_four_plus_overhead():
    assert message_tokens(HumanMessage("x" * 40)) == 4 + 10
    assert count_tokens([HumanMessage("x" * 40)] * 3) == 42
    assert token_growth([HumanMessage("hi"), AIMessage("a"), HumanMessage("b"), AIMessage("c")]) == [5, 15]


# -- truncating ----------------------------------------------------------------------------------------
def test_truncation_keeps_the_newest_lines_and_says_what_was_cut():
    text = "".join(f"line {i}\n" for i in range(1000))
    message = ToolMessage(content=text, tool_call_id="t", name="get_pod_logs")
    capped = truncate_tool_message(message, 100)
    assert approx_tokens(capped.text) <= 100
    assert capped.text.startswith("[... truncated:") and capped.text.endswith("line 999\n")
    assert capped.tool_call_id == "t" and capped.name == "get_pod_logs"
    small = ToolMessage(content="ok", tool_call_id="s")
    assert truncate_tool_message(small, 100) is small


def test_truncate_middleware_caps_real_huge_logs_by_tool():
    cap = TruncateToolOutputs(300)
    logs = {
        "name": "get_pod_logs",
        "args": {"pod_name": "checkout-6d8f7b9c5d-q7x2m", "namespace": "shop"},
        "id": "l",
    }
    describe = {
        "name": "describe_pod",
        "args": {"pod_name": "checkout-6d8f7b9c5d-q7x2m", "namespace": "shop"},
        "id": "d",
    }
    script = [AIMessage(content="", tool_calls=[logs]), AIMessage(content="", tool_calls=[describe]), "done"]
    agent = create_agent(ScriptedChatModel(script=script), tools(HUGE_LOGS, cap=100_000), middleware=[cap])
    results = [
        m for m in agent.invoke({"messages": [HumanMessage(QUESTION)]})["messages"] if m.type == "tool"
    ]
    assert all(approx_tokens(m.text) <= 300 for m in results)
    assert results[0].text.startswith("[... truncated:")  # logs: the newest lines kept
    assert results[1].text.startswith("Name:") and "truncated" in results[1].text  # describe: the head kept
    assert cap.truncated == 2


def test_truncate_middleware_rejects_a_budget_without_room_for_the_marker():
    with pytest.raises(ValueError, match="max_tokens must be >= 50"):
        TruncateToolOutputs(10)


# -- trimming ------------------------------------------------------------------------------------------
def test_trim_keeps_system_and_question_and_whole_exchanges():
    history = [SystemMessage("You diagnose pods."), HumanMessage(QUESTION)]
    for i in range(6):
        history += exchange(i, 40)
    kept = trim_history(history, 400)
    assert kept[:2] == history[:2]
    assert isinstance(kept[2], AIMessage) and kept[-1] is history[-1]
    assert count_tokens(kept) <= 400 < count_tokens(history)


def test_older_turns_come_back_only_when_the_current_one_fits():
    old = [HumanMessage("first question"), *exchange(0, 5), AIMessage("first answer")]
    new = [HumanMessage("second question"), *exchange(1, 5)]
    everything = old + new
    assert trim_history(everything, 10_000) == everything
    without_old = trim_history(everything, count_tokens(new) + 5)
    assert without_old == new


def test_a_message_window_still_overflows_where_a_token_window_does_not():
    from langchain_core.messages import trim_messages

    history = [HumanMessage(QUESTION)]
    for i in range(8):
        history += exchange(i, 800)  # about 2,000 tokens per tool result
    by_messages = trim_messages(history, max_tokens=6, token_counter=len, strategy="last", start_on="ai")
    assert len(by_messages) <= 6 and count_tokens(by_messages) > 5000
    assert count_tokens(trim_history(history, 5000)) <= 5000


def test_pinned_messages_over_budget_raise_a_clear_error():
    with pytest.raises(ContextBudgetError, match="more than the whole budget of 5"):
        trim_history([SystemMessage("x" * 100), HumanMessage("q")], 5)
    with pytest.raises(ValueError, match="max_tokens must be >= 1"):
        trim_history([], 0)


@st.composite
def conversations(draw):
    messages: list = []
    if draw(st.booleans()):
        messages.append(SystemMessage("s" * draw(st.integers(0, 200))))
    ident = 0
    for _turn in range(draw(st.integers(0, 3))):
        messages.append(HumanMessage("q" * draw(st.integers(1, 200))))
        for _round in range(draw(st.integers(0, 4))):
            ids = [f"id{ident + k}" for k in range(draw(st.integers(1, 3)))]
            ident += len(ids)
            messages.append(
                AIMessage(content="", tool_calls=[{"name": "t", "args": {}, "id": i} for i in ids])
            )
            messages += [ToolMessage(content="r" * draw(st.integers(0, 3000)), tool_call_id=i) for i in ids]
        if draw(st.booleans()):
            messages.append(AIMessage("answer " * draw(st.integers(1, 50))))
    return messages


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(1, 6000))
def test_trimmed_history_fits_the_budget_and_never_orphans_a_tool_message(messages, budget):
    try:
        kept = trim_history(messages, budget)
    except ContextBudgetError:
        pinned = [m for m in messages if isinstance(m, SystemMessage)]
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        assert count_tokens(pinned + humans[-1:]) > budget
        return
    assert count_tokens(kept) <= budget
    positions = [next(i for i, m in enumerate(messages) if m is k) for k in kept]
    assert positions == sorted(positions)  # a subsequence, order kept
    humans = [m for m in messages if isinstance(m, HumanMessage)]
    if humans:
        assert any(k is humans[-1] for k in kept)
    body = [m for m in kept if not isinstance(m, SystemMessage)]
    assert not body or not isinstance(body[0], ToolMessage)
    seen_calls: set[str] = set()
    for m in kept:
        if isinstance(m, AIMessage):
            seen_calls |= {c["id"] for c in m.tool_calls}
        if isinstance(m, ToolMessage):
            assert m.tool_call_id in seen_calls  # its AI tool call is kept, and earlier


@given(conversations(), st.integers(200, 6000))
@settings(max_examples=60, deadline=None)
def test_shrink_to_fit_fits_and_keeps_every_tool_message_it_can(messages, budget):
    try:
        kept = shrink_to_fit(messages, budget)
    except ContextBudgetError:
        return
    assert count_tokens(kept) <= budget


def test_trim_middleware_sends_a_smaller_request_but_keeps_the_state():
    meter = TokenMeter()
    agent = create_agent(
        PolicyChatModel(clock=VirtualClock()),
        tools(HUGE_LOGS, cap=3000),
        middleware=[TrimHistory(4000), TruncateToolOutputs(1500), meter],
    )
    state = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config={"recursion_limit": 30})
    assert max(meter.per_call) <= 4000
    assert "CrashLoopBackOff" in state["messages"][-1].text


def test_trimming_alone_drops_a_huge_result_and_the_model_asks_again():
    from langgraph.errors import GraphRecursionError

    model = PolicyChatModel(clock=VirtualClock())
    agent = create_agent(model, tools(HUGE_LOGS, cap=3000), middleware=[TrimHistory(3000)])
    with pytest.raises(GraphRecursionError):
        agent.invoke({"messages": [HumanMessage(QUESTION)]}, config={"recursion_limit": 16})
    assert model.call_count == 8


# -- context_length_exceeded --------------------------------------------------------------------------
def test_overflow_errors_are_recognised_and_others_are_not():
    err = context_length_error(140_000, 128_000)
    assert is_context_overflow(err) and overflow_window(err) == 128_000
    assert not is_context_overflow(rate_limit_error()) and overflow_window(rate_limit_error()) is None
    assert not is_context_overflow(ValueError("x"))


def test_recovery_shrinks_and_retries_once_against_a_real_window():
    model = PolicyChatModel(clock=VirtualClock(), context_window=4000)
    recovery = ContextOverflowRecovery()
    agent = create_agent(model, tools(HUGE_LOGS, cap=6000), middleware=[recovery])
    messages = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config={"recursion_limit": 30})[
        "messages"
    ]
    assert recovery.recoveries >= 1
    assert [c.error for c in model.calls].count("OpenAIContextOverflowError") == recovery.recoveries
    assert "CrashLoopBackOff" in messages[-1].text


def test_without_recovery_the_same_run_fails_with_context_length_exceeded():
    import openai

    model = PolicyChatModel(clock=VirtualClock(), context_window=4000)
    agent = create_agent(model, tools(HUGE_LOGS, cap=6000))
    with pytest.raises(openai.BadRequestError, match="maximum context length is 4000 tokens"):
        agent.invoke({"messages": [HumanMessage(QUESTION)]})


def test_a_second_overflow_is_raised_not_retried_again():
    model = ScriptedChatModel(script=[context_length_error(9000, 8000)])
    recovery = ContextOverflowRecovery()
    agent = create_agent(model, [], middleware=[recovery])
    with pytest.raises(Exception, match="maximum context length is 8000"):
        agent.invoke({"messages": [HumanMessage(QUESTION)]}, config={"recursion_limit": 10})
    assert model.call_count == 2 and recovery.recoveries == 1


def test_other_errors_pass_through_untouched():
    model = ScriptedChatModel(script=[rate_limit_error()])
    agent = create_agent(model, [], middleware=[ContextOverflowRecovery()])
    with pytest.raises(Exception, match="429"):
        agent.invoke({"messages": [HumanMessage(QUESTION)]})
    assert model.call_count == 1


def test_context_budget_composition_and_bad_settings():
    names = [m.name for m in context_budget(8000, tool_output_tokens=2000)]
    assert names == ["ContextOverflowRecovery", "TrimHistory", "TruncateToolOutputs"]
    with_summary = context_budget(8000, summarizer=ScriptedChatModel(script=["summary"]))
    assert [m.name for m in with_summary][1] == "SummarizationMiddleware"
    with pytest.raises(ValueError, match="at most half of max_tokens"):
        context_budget(2000, tool_output_tokens=1500)
    with pytest.raises(ValueError, match="margin"):
        ContextOverflowRecovery(margin=0)
    with pytest.raises(ValueError, match="tool_share"):
        shrink_to_fit([], 100, tool_share=0)
    with pytest.raises(ValueError, match="max_tokens must be >= 1"):
        TrimHistory(0)
