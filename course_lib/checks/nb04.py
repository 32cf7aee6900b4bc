"""Notebook 04's exercises: a loop detector, and call limits that end a stuck run with an answer.

``ex1`` replays call histories (real loops, honest progress, reordered arguments, a cycle) against
the learner's ``is_looping``. ``ex2`` builds a real ``create_agent`` with the learner's middleware
and runs it twice: against a model stuck repeating one call, and against a healthy diagnosis.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from course_lib.checks.exercise import Exercise, Wrong

__all__ = ["ex1", "ex2"]

Calls = list[tuple[str, dict[str, Any]]]

PODS: Calls = [("list_pods", {"namespace": "shop"})]
A = ("list_pods", {"namespace": "shop"})
B = ("describe_pod", {"pod_name": "checkout-6d8f7b9c5d-q7x2m", "namespace": "shop"})
C = ("get_events", {"namespace": "shop"})
LOGS = ("get_pod_logs", {"pod_name": "checkout-6d8f7b9c5d-q7x2m", "namespace": "shop", "tail": 50})
LOGS_REORDERED = ("get_pod_logs", {"tail": 50, "namespace": "shop", "pod_name": "checkout-6d8f7b9c5d-q7x2m"})
DISTINCT = [("describe_pod", {"pod_name": f"api-{i}", "namespace": "shop"}) for i in range(10)]

# (calls, expected, sentence when the answer disagrees); the first disagreement is reported.
_CASES: list[tuple[Calls, bool, str]] = [
    ([], False, "an empty history is not a loop, but your function said it was."),
    ([A, A, A], True, "three identical list_pods calls in a row are a loop, but your function said no."),
    (
        DISTINCT[:4],
        False,
        "describing four different pods is progress, not a loop: compare the arguments, not only the tool names.",
    ),
    (
        [A, B, A, C, A],
        True,
        "list_pods(shop) three times in five calls is a loop even with other calls in between: "
        "count repeats in the window, not only consecutive ones.",
    ),
    (
        [LOGS, B, LOGS_REORDERED, C, LOGS],
        True,
        "the same arguments in another key order are the same call: compare dicts (or JSON with "
        "sort_keys=True), not str(args).",
    ),
    ([C, A, B, A, B], True, "the last four calls are A-B-A-B, a cycle: your function missed it."),
    ([A, B, A], False, "A-B-A is not yet a cycle (only three calls): wait for A-B-A-B."),
    (
        [A, A, *DISTINCT[:9], A],
        False,
        "only one list_pods call is among the last 10, so this is not a loop: look at the last 10 "
        "calls only, not the whole history.",
    ),
    (DISTINCT, False, "ten different calls are not a loop, but your function said they were."),
    ([B, C, A, A, A, A], True, "four identical calls at the end are a loop, but your function said no."),
]


def _check_detector(answer: Callable[[Calls], Any]) -> str:
    if not callable(answer):
        raise Wrong(f"`is_looping` should be a function, but it is a {type(answer).__name__}.")
    for calls, expected, sentence in _CASES:
        before = copy.deepcopy(calls)
        got = answer(calls)
        if calls != before:
            raise Wrong("your function changed the list of calls it was given: read it, never modify it.")
        if not isinstance(got, bool):
            raise Wrong(f"`is_looping` should return True or False, not {got!r}.")
        if got is not expected:
            raise Wrong(sentence)
    return "it flags repeats in the window and A-B-A-B cycles, and lets honest progress through."


_SOLUTION_1 = '''
import json

def is_looping(calls, window=10, max_repeats=3):
    """True if the recent calls repeat one call max_repeats times, or end in A-B-A-B."""
    recent = [f"{name}:{json.dumps(args, sort_keys=True)}" for name, args in calls[-window:]]
    if any(recent.count(key) >= max_repeats for key in recent):
        return True
    last4 = recent[-4:]
    return len(last4) == 4 and last4[0] == last4[2] and last4[1] == last4[3] and last4[0] != last4[1]
'''

ex1 = Exercise(
    "ex1",
    target="is_looping",
    checker=_check_detector,
    task="detect a stuck agent from its tool calls",
    hints=[
        "Turn each (name, args) into one comparable key, e.g. name plus json.dumps(args, sort_keys=True).",
        "Keep only the last 10 keys (calls[-10:]); a loop is a key that appears 3 or more times there.",
        "For the cycle, look at the last four keys k: k[0] == k[2], k[1] == k[3] and k[0] != k[1].",
    ],
    solution=_SOLUTION_1,
)


# -- ex2: call limits with a graceful end ----------------------------------------------------------
QUESTION = "Why is the checkout pod failing in namespace shop?"
MAX_MODEL_CALLS = 6


def _agent_run(middleware: list[Any], model: Any) -> tuple[Any, BaseException | None]:
    from langchain.agents import create_agent
    from langchain_core.messages import HumanMessage

    from course_lib.clock import VirtualClock
    from course_lib.tools import KubectlSettings, all_tools

    tools = all_tools(
        KubectlSettings(scenario="crashloop-app-error", clock=VirtualClock()), mode="in-process"
    )
    agent = create_agent(model, tools, middleware=middleware)
    try:
        state = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config={"recursion_limit": 60})
    except Exception as err:  # the checker reports what the learner's limits let through
        return None, err
    return state["messages"], None


def _middleware(answer: Callable[[], Any]) -> list[Any]:
    from langchain.agents.middleware import AgentMiddleware

    middleware = answer()
    if not isinstance(middleware, list | tuple):
        raise Wrong(f"`make_limits()` should return a list of middleware, not {type(middleware).__name__}.")
    bad = [m for m in middleware if not isinstance(m, AgentMiddleware)]
    if bad:
        raise Wrong(f"every item must be middleware (e.g. ModelCallLimitMiddleware(...)), not {bad[0]!r}.")
    return list(middleware)


def _check_limits(answer: Callable[[], Any]) -> str:
    from langchain_core.messages import AIMessage
    from langgraph.errors import GraphRecursionError

    from course_lib.clock import VirtualClock
    from course_lib.fakes.llm import PolicyChatModel, ScriptedChatModel

    if not callable(answer):
        raise Wrong(f"`make_limits` should be a function, but it is a {type(answer).__name__}.")
    stuck_call = {"name": "list_pods", "args": {"namespace": "shop"}, "id": "stuck"}
    stuck = ScriptedChatModel(script=[AIMessage(content="", tool_calls=[stuck_call])])
    messages, error = _agent_run(_middleware(answer), stuck)
    if isinstance(error, GraphRecursionError):
        raise Wrong(
            f"the stuck model ran {stuck.call_count} times into the recursion limit: a tool-call limit "
            "with exit_behavior='continue' only asks it to stop, so add ModelCallLimitMiddleware."
        )
    if error is not None:
        raise Wrong(
            f"the stuck run ended with {type(error).__name__}: use exit_behavior='end' so it ends with a "
            "message instead of an exception the caller must catch."
        )
    if stuck.call_count > MAX_MODEL_CALLS:
        raise Wrong(
            f"the stuck model was called {stuck.call_count} times, more than {MAX_MODEL_CALLS}: lower run_limit."
        )
    last = messages[-1]
    if not isinstance(last, AIMessage) or last.tool_calls or not last.text:
        raise Wrong("the stuck run did not end with an AI message that says what happened.")

    healthy = PolicyChatModel(clock=VirtualClock())
    messages, error = _agent_run(_middleware(answer), healthy)
    if error is not None:
        raise Wrong(
            f"the healthy diagnosis ended with {type(error).__name__}: your limits must not break it."
        )
    if "CrashLoopBackOff" not in messages[-1].text:
        raise Wrong(
            f"your limits cut a healthy diagnosis short after {healthy.call_count} model calls: it needs "
            "4 model calls and 3 tool calls, so leave it room."
        )
    return (
        f"a stuck model stops after {stuck.call_count} model calls with a message, and a healthy "
        "diagnosis still completes."
    )


_SOLUTION_2 = """
from langchain.agents.middleware import ModelCallLimitMiddleware, ToolCallLimitMiddleware

def make_limits():
    return [
        # over budget: the call is not run, and the model is told to stop calling tools
        ToolCallLimitMiddleware(run_limit=5, exit_behavior="continue"),
        # the backstop: the run ends with a message, not an exception
        ModelCallLimitMiddleware(run_limit=6, exit_behavior="end"),
    ]
"""

ex2 = Exercise(
    "ex2",
    target="make_limits",
    checker=_check_limits,
    task="bound a run so a stuck model ends with a message, not a crash",
    hints=[
        "ModelCallLimitMiddleware(run_limit=...) counts model calls per run; its exit_behavior decides what "
        "happens at the limit.",
        "exit_behavior='error' raises an exception; 'end' finishes the run with an AI message instead.",
        "The healthy run needs 4 model calls: run_limit=6 leaves room, and a ToolCallLimitMiddleware with "
        "exit_behavior='continue' asks a well-behaved model to stop early.",
    ],
    solution=_SOLUTION_2,
)
