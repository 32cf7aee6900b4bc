"""Notebook 05's exercises: a token-budget trimmer, and a log cap that keeps the newest lines.

``ex1`` replays conversations (one question, then tool exchanges of different sizes, one with
two parallel tool calls) against the learner's ``trim_to_budget`` and compares with the newest
whole exchanges that fit. ``ex2`` feeds ``keep_newest_lines`` short and long kubectl logs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from course_lib.checks.exercise import Exercise, Wrong
from course_lib.tools.truncation import approx_tokens

__all__ = ["conversation", "ex1", "ex2", "sample_log"]


# -- ex1: trim_to_budget -----------------------------------------------------------------------------
def conversation(
    sizes: list[int] | tuple[int, ...] = (300, 40, 200, 60, 150), parallel_at: int = 2
) -> list[Any]:
    """A system prompt, one question, then one tool exchange per size (lines of log text).

    The exchange at ``parallel_at`` makes two tool calls at once (an AIMessage, two ToolMessages).
    """
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    messages: list[Any] = [
        SystemMessage("You diagnose Kubernetes pods with read-only kubectl tools."),
        HumanMessage("Why is the checkout pod failing in namespace shop?"),
    ]
    for i, size in enumerate(sizes):
        ids = [f"call_{i}a", f"call_{i}b"] if i == parallel_at else [f"call_{i}"]
        calls = [
            {"name": "get_pod_logs", "args": {"pod_name": f"checkout-{i}", "namespace": "shop"}, "id": c}
            for c in ids
        ]
        messages.append(AIMessage(content="", tool_calls=calls))
        for c in ids:
            text = "".join(
                f"2025-03-04T10:{n // 60:02d}:{n % 60:02d}Z INFO request ok {c}\n" for n in range(size)
            )
            messages.append(ToolMessage(content=text, tool_call_id=c, name="get_pod_logs"))
    return messages


def _describe(messages: list[Any]) -> str:
    return ", ".join(type(m).__name__.replace("Message", "") for m in messages)


def _check_trimmer(answer: Callable[..., Any]) -> str:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    from course_lib.agent.context import count_tokens, trim_history

    if not callable(answer):
        raise Wrong(f"`trim_to_budget` should be a function, but it is a {type(answer).__name__}.")
    cases = [
        (conversation(), 100_000, "a conversation that already fits"),
        (conversation(), 8_000, "an 8,000-token budget"),
        (conversation(), 3_000, "a 3,000-token budget"),
        (conversation((30, 30, 30, 30), parallel_at=3), 500, "a budget that splits a parallel tool call"),
        (conversation((900,)), 300, "a budget too small for any exchange"),
    ]
    for messages, budget, what in cases:
        before = copy.deepcopy(messages)
        kept = answer(messages, budget)
        if messages != before:
            raise Wrong("your function changed the conversation it was given: build a new list instead.")
        if not isinstance(kept, list):
            raise Wrong(f"`trim_to_budget` should return a list of messages, not {type(kept).__name__}.")
        if (
            not kept
            or not isinstance(kept[0], SystemMessage)
            or not any(isinstance(m, HumanMessage) for m in kept)
        ):
            raise Wrong(
                "keep the system prompt and the question: without them the model no longer knows its task."
            )
        size = count_tokens(kept)
        if size > budget:
            raise Wrong(
                f"with {what} your result has {size:,} tokens, over the budget: drop more old exchanges."
            )
        body = [m for m in kept if not isinstance(m, SystemMessage | HumanMessage)]
        if body and isinstance(body[0], ToolMessage):
            raise Wrong(
                f"with {what} your result starts with a ToolMessage whose AI tool call was dropped "
                "(an orphan the provider rejects): drop or keep an AI call and its results together."
            )
        calls = {c["id"] for m in body if isinstance(m, AIMessage) for c in m.tool_calls}
        answered = {m.tool_call_id for m in body if isinstance(m, ToolMessage)}
        if calls - answered:
            raise Wrong(
                f"with {what} you kept an AI tool call but dropped one of its results: keep them together."
            )
        expected = trim_history(messages, budget)
        if kept != expected:
            if body and body[-1] is not messages[-1] and body[-1] != messages[-1]:
                raise Wrong(
                    f"with {what} you kept the oldest exchanges: keep the newest ones, the model needs the latest evidence."
                )
            raise Wrong(
                f"with {what} you kept [{_describe(kept)}] ({size:,} tokens) but the newest whole exchanges that "
                f"fit are [{_describe(expected)}] ({count_tokens(expected):,} tokens)."
            )
    return "it keeps the task, the newest whole exchanges that fit, and never an orphan ToolMessage."


_SOLUTION_1 = '''
from langchain_core.messages import AIMessage

def trim_to_budget(messages, max_tokens):
    """System prompt and question, then the newest whole exchanges that fit in max_tokens."""
    head, body = messages[:2], messages[2:]
    exchanges = []  # each: an AIMessage followed by its ToolMessages
    for message in body:
        if isinstance(message, AIMessage):
            exchanges.append([message])
        else:
            exchanges[-1].append(message)
    kept, used = [], count_tokens(head)
    for exchange in reversed(exchanges):
        cost = count_tokens(exchange)
        if used + cost > max_tokens:
            break
        kept = exchange + kept
        used += cost
    return head + kept
'''

ex1 = Exercise(
    "ex1",
    target="trim_to_budget",
    checker=_check_trimmer,
    task="keep a conversation inside a token budget without splitting tool calls",
    hints=[
        "Keep messages[:2] (system prompt and question) always; only the exchanges after them can go.",
        "Group the rest into exchanges: an AIMessage starts one, its ToolMessages follow it.",
        "Walk the exchanges from the newest, adding whole ones while count_tokens(kept) stays within "
        "max_tokens; stop at the first that does not fit, then put them back in order.",
    ],
    solution=_SOLUTION_1,
)


# -- ex2: keep_newest_lines ----------------------------------------------------------------------------
def sample_log(lines: int = 2000) -> str:
    """A kubectl-logs-like text: one timestamped line per request, the crash at the very end."""
    body = "".join(
        f"2025-03-04T10:{n // 3600:02d}:{n // 60 % 60:02d}.{n % 60:02d}Z INFO GET /api/cart/{n} 200 12ms\n"
        for n in range(lines - 2)
    )
    return body + "Traceback (most recent call last):\nKeyError: 'PAYMENT_URL'\n"


_NUMBER = re.compile(r"\d[\d,]*")


def _check_cap(answer: Callable[..., Any]) -> str:
    if not callable(answer):
        raise Wrong(f"`keep_newest_lines` should be a function, but it is a {type(answer).__name__}.")
    short = sample_log(10)
    if answer(short, 500) != short:
        raise Wrong("a log that already fits must come back unchanged, without a marker.")
    log = sample_log(2000)
    lines = log.splitlines(keepends=True)
    for budget in (500, 2000):
        capped = answer(log, budget)
        if not isinstance(capped, str):
            raise Wrong(f"`keep_newest_lines` should return text, not {type(capped).__name__}.")
        if approx_tokens(capped) > budget:
            raise Wrong(
                f"with max_tokens={budget} your text has ~{approx_tokens(capped):,} tokens (len/4): over the budget."
            )
        out = capped.splitlines(keepends=True)
        if not out or "KeyError" not in out[-1]:
            raise Wrong(
                "you kept the oldest lines and lost the crash at the end: for logs, keep the newest lines."
            )
        marker, kept = out[0], out[1:]
        if marker in lines:
            raise Wrong(
                "start with a marker line that says how many lines were cut, so the model knows text is missing."
            )
        if not kept or kept != lines[len(lines) - len(kept) :]:
            raise Wrong("keep whole lines: your first kept line starts in the middle of a log line.")
        cut = len(lines) - len(kept)
        numbers = {int(n.replace(",", "")) for n in _NUMBER.findall(marker)}
        if cut not in numbers:
            raise Wrong(
                f"your marker line should say how many lines were cut ({cut:,} here): {marker.strip()!r}."
            )
        if approx_tokens(capped) < budget * 0.8:
            raise Wrong(
                f"with max_tokens={budget} you kept only ~{approx_tokens(capped):,} tokens: a token is about "
                "4 characters, so use the budget."
            )
    return "it keeps the newest whole lines within the budget and says how many it cut."


_SOLUTION_2 = '''
def keep_newest_lines(text, max_tokens):
    """The newest whole lines of text within max_tokens (len/4), after a line saying what was cut."""
    if approx_tokens(text) <= max_tokens:
        return text
    lines = text.splitlines(keepends=True)
    room = max_tokens * 4 - 80  # characters, leaving room for the marker line
    kept = []
    for line in reversed(lines):
        if len(line) > room:
            break
        kept.insert(0, line)
        room -= len(line)
    return f"[... {len(lines) - len(kept)} older lines cut ...]\\n" + "".join(kept)
'''

ex2 = Exercise(
    "ex2",
    target="keep_newest_lines",
    checker=_check_cap,
    task="cap a tool output by tokens, keeping the newest lines",
    hints=[
        "If approx_tokens(text) <= max_tokens, return text unchanged.",
        "Split with text.splitlines(keepends=True) and walk the lines from the end, adding whole lines.",
        "Budget in characters is max_tokens * 4 minus room for the marker; the marker line comes first "
        "and names the number of lines cut.",
    ],
    solution=_SOLUTION_2,
)
