"""Notebook 01's exercises: name the failure family from what a run showed.

``ex1`` gives seven things an on-call engineer saw (exceptions, traces, a result) and asks for
the family of each; two look like one family and belong to another. ``ex2`` asks for a function
that reads an ``AgentResult`` and says whether the run failed and how; the checker replays it on
real naive-agent runs under forced faults (another scenario than the lesson's), including a run
that met a fault and recovered, and a run that "succeeded" with prose instead of a diagnosis.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from course_lib.checks.exercise import Exercise, NotAttempted, Wrong

__all__ = ["EX1_CASES", "FAMILY_NAMES", "HIDDEN_SCENARIO", "ex1", "ex2", "hidden_runs"]

FAMILY_NAMES = ("rate_limit", "tool_failure", "unparseable_output", "endless_loop", "context_overflow")

# --------------------------------------------------------------------------- ex1: read the symptom
EX1_CASES: dict[str, str] = {
    "A": (
        "exception after 3 HTTP requests in 1.4 s:\n"
        "  OpenAIRateLimitError: Error code: 429 - You exceeded your current quota, please check "
        "your plan and billing details. (code: insufficient_quota)"
    ),
    "B": (
        "exception out of the tool node:\n"
        "  CalledProcessError: Command '['kubectl', 'get', 'pods', '-n', 'prod', '-o', 'wide']' "
        "returned non-zero exit status 1.\n"
        "  its stderr: Error from server (TooManyRequests): the server has received too many "
        "requests and has asked us to try again later (get pods)"
    ),
    "C": (
        "trace:\n"
        "  1  model                calls get_pod_status\n"
        "  2  tool get_pod_status  pod_name=web-1 namespace=prod -> 212 chars\n"
        "  3  model                calls get_pod_status\n"
        "  4  tool get_pod_status  pod_name=web-1 namespace=prod -> 212 chars\n"
        "     … the same two steps 10 more times, then\n"
        "  GraphRecursionError: Recursion limit of 25 reached without hitting a stop condition."
    ),
    "D": (
        "trace: tool get_pod_logs pod_name=api-7f9c namespace=prod tail=1000000 -> 1,627,652 chars, "
        "then:\n"
        "  OpenAIContextOverflowError: Error code: 400 - This model's maximum context length is "
        "128000 tokens. However, your messages resulted in 406913 tokens."
    ),
    "E": (
        "AgentResult: outcome=answered, success=True, correct=False, 2 model calls, 1 tool call;\n"
        "  output: 'Let me check the events for that pod next.'"
    ),
    "F": (
        "trace, read at 3,600 virtual seconds:\n"
        "  1     0 s  model              calls describe_pod\n"
        "  2     0 s  tool describe_pod  pod_name=web-1 namespace=prod   (still running: no output, "
        "no exception)"
    ),
    "G": (
        "the last message, after which the run ended with an empty answer and 0 tool calls:\n"
        "  AIMessage(content='', tool_calls=[], invalid_tool_calls=[{'name': 'describe_pod', "
        "'args': \"{'pod_name': 'web-1', 'namespace': 'prod'}\", 'error': 'Function describe_pod "
        "arguments ... are not valid JSON'}])"
    ),
}
"""What the on-call engineer saw, case by case (printed by the notebook)."""

_EX1_KEY: dict[str, tuple[str, str]] = {
    "A": (
        "rate_limit",
        "the model provider answered HTTP 429 (insufficient_quota is a 429 too, though waiting will "
        "not refill an empty account)",
    ),
    "B": (
        "tool_failure",
        "the 429 came from the Kubernetes API server through kubectl, and it escaped the tool as a "
        "CalledProcessError: the model provider was fine",
    ),
    "C": (
        "endless_loop",
        "the same call with the same arguments, over and over, until a step limit stopped it; "
        "GraphRecursionError is the guard firing, not the cause",
    ),
    "D": (
        "context_overflow",
        "HTTP 400 context_length_exceeded after a 1.6-million-character log: an HTTP error like a "
        "429, but a retry would send the same oversized prompt again",
    ),
    "E": (
        "unparseable_output",
        "the model wrote prose where a tool call was expected, and the agent took it for the final "
        "answer (success=True, correct=False)",
    ),
    "F": (
        "tool_failure",
        "a kubectl call with no timeout that never returned: no exception, only time passing",
    ),
    "G": (
        "unparseable_output",
        "the tool-call arguments were not valid JSON (Python-style quotes), so no tool ran and the "
        "run ended with nothing",
    ),
}

_EMPTY = (None, "", "?", "...", Ellipsis)


def _normalise(label: Any) -> Any:
    if isinstance(label, str):
        return label.strip().lower().replace("-", "_").replace(" ", "_")
    return label


def _valid(label: Any) -> str:
    return f"use one of {', '.join(FAMILY_NAMES)} (got {label!r})"


def _check_ex1(answer: Any) -> str:
    if not isinstance(answer, Mapping):
        raise Wrong(
            f"`my_families` should be a dict from case letter to family, not a {type(answer).__name__}."
        )
    given = {str(k).strip().upper(): v for k, v in answer.items()}
    answers = {k: _normalise(v) for k, v in given.items()}
    if all(v in _EMPTY for v in answers.values()):
        raise NotAttempted("give each case (A to G) a family name, then run this cell again.")
    missing = [k for k in _EX1_KEY if answers.get(k) in _EMPTY]
    if missing:
        raise Wrong(f"case {missing[0]} has no answer yet: every case belongs to one of the five families.")
    extra = sorted(set(answers) - set(_EX1_KEY))
    if extra:
        raise Wrong(f"there is no case {extra[0]}: the cases are A to G.")
    for key, value in answers.items():
        if value not in FAMILY_NAMES:
            raise Wrong(f"case {key}: {_valid(given[key])}.")
    wrong = [k for k, (family, _) in _EX1_KEY.items() if answers[k] != family]
    if wrong:
        key = wrong[0]
        family, why = _EX1_KEY[key]
        right = len(_EX1_KEY) - len(wrong)
        raise Wrong(f"{right} of 7 right; case {key} is {family}, not {answers[key]}: {why}.")
    return (
        "all seven right. B and D are the ones to remember: an HTTP-looking error is not always the "
        "provider's rate limit, and the family decides the fix."
    )


ex1 = Exercise(
    "ex1",
    target="my_families",
    checker=_check_ex1,
    task="name the failure family of seven symptoms",
    hints=[
        "Ask *who* failed first: the model provider (HTTP status from the LLM API), kubectl (an exception "
        "from the tool, or a tool step that never ends), or the model's own turn (broken JSON, prose, "
        "the same call again).",
        "A 429 from kubectl's API server is a tool failure; a 400 that says 'maximum context length' is "
        "a context overflow, however much it looks like other HTTP errors.",
        "Two cases are tool failures and two are unparseable output; the other three families have one "
        "case each.",
    ],
    solution="""
my_families = {
    "A": "rate_limit",          # the provider's 429, even if it is a quota
    "B": "tool_failure",        # kubectl's API server said 429, the tool raised
    "C": "endless_loop",        # the same call again and again; the recursion limit only stopped it
    "D": "context_overflow",    # 400 context_length_exceeded after a huge log
    "E": "unparseable_output",  # prose where a tool call was expected, taken as the answer
    "F": "tool_failure",        # a kubectl call with no timeout, still running
    "G": "unparseable_output",  # tool-call arguments that are not JSON
}
""",
)


# --------------------------------------------------------------------------- ex2: read the record
HIDDEN_SCENARIO = "liveness-probe-failing"
"""ex2 replays runs of another scenario than the lesson's, so a function cannot fit the lesson's numbers."""


@dataclass(frozen=True, slots=True)
class _Hidden:
    """A forced fault, and the family its run belongs to (None: the run did its job)."""

    name: str
    description: str
    expected: str | None
    kubectl: Mapping[str, float]
    llm: Mapping[str, float]
    seed: int = 0
    guard: int = 60
    latency_s: float = 3.0
    retry_after_s: float = 2.0


_HIDDEN: tuple[_Hidden, ...] = (
    _Hidden("healthy", "the run with no fault (it answered correctly)", None, {}, {}),
    _Hidden(
        "unknown-tool",
        "the run that called an unknown tool once, was told so, and then answered correctly",
        None,
        {},
        {"unknown_tool": 0.3},
        seed=3,
    ),
    _Hidden(
        "always-429", "the run whose every model request got HTTP 429", "rate_limit", {}, {"rate_limit": 1.0}
    ),
    _Hidden(
        "throttled",
        "the run that lost two tool calls' work to a third 429 in a row",
        "rate_limit",
        {},
        {"rate_limit": 0.5},
        seed=4,
        retry_after_s=5.0,
    ),
    _Hidden(
        "kubectl-crash", "the run whose kubectl crashed (exit 2)", "tool_failure", {"crash": 0.3}, {}, seed=1
    ),
    _Hidden(
        "forbidden",
        "the run whose kubectl call was Forbidden by RBAC",
        "tool_failure",
        {"forbidden": 0.3},
        {},
    ),
    _Hidden(
        "slow-kubectl",
        "the run that waited 900 s on one kubectl call (right answer, 120 s deadline blown)",
        "tool_failure",
        {"latency": 0.3},
        {},
        seed=6,
        latency_s=900.0,
    ),
    _Hidden(
        "malformed-json",
        "the run whose first tool call was broken JSON and that ended with no answer (outcome=error)",
        "unparseable_output",
        {},
        {"malformed_tool_call": 0.3},
    ),
    _Hidden(
        "prose",
        "the run that 'answered' with prose instead of a tool call (success=True, correct=False)",
        "unparseable_output",
        {},
        {"plain_text": 0.3},
        seed=3,
    ),
    _Hidden(
        "repeat-call",
        "the run stopped by the harness's step guard (outcome=would_loop)",
        "endless_loop",
        {},
        {"repeat_call": 1.0},
        guard=25,
    ),
    _Hidden(
        "huge-logs",
        "the run that crashed with OpenAIContextOverflowError after a huge log",
        "context_overflow",
        {"huge_output": 1.0},
        {},
    ),
    _Hidden(
        "context-400",
        "the run whose first request already exceeded the context window",
        "context_overflow",
        {},
        {"context_length": 1.0},
    ),
)


@functools.cache
def hidden_runs() -> tuple[tuple[str, str, str | None, Any], ...]:
    """(name, description, expected family, AgentResult) of every hidden run, computed once."""
    from course_lib.fakes.chaos import ChaosProfile, KubectlFault, LLMFault
    from course_lib.teaching.failure_demos import record

    runs = []
    for case in _HIDDEN:
        profile = ChaosProfile(
            f"ex2-{case.name}",
            case.description,
            kubectl={KubectlFault(k): p for k, p in case.kubectl.items()},
            llm={LLMFault(k): p for k, p in case.llm.items()},
            kubectl_latency_s=case.latency_s,
            retry_after_s=case.retry_after_s,
        )
        result = record(profile, seed=case.seed, scenario=HIDDEN_SCENARIO, recursion_guard=case.guard)
        runs.append((case.name, case.description, case.expected, result))
    return tuple(runs)


def _starter_probe(answer: Callable[[Any], Any], result: Any) -> Any:
    try:
        return answer(result)
    except NotImplementedError:
        raise NotAttempted("`failure_family` still raises NotImplementedError: write its body.") from None


def _check_ex2(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(
            f"`failure_family` should be a function of one AgentResult, not a {type(answer).__name__}."
        )
    runs = hidden_runs()
    verdicts = [(name, why, expected, _starter_probe(answer, result)) for name, why, expected, result in runs]
    for _name, why, _expected, got in verdicts:
        got_n = _normalise(got)
        if got_n is not None and got_n not in FAMILY_NAMES:
            raise Wrong(f"for {why} you returned {got!r}: return None or one of {', '.join(FAMILY_NAMES)}.")
    wrong = [(why, expected, got) for _, why, expected, got in verdicts if _normalise(got) != expected]
    if not wrong:
        return (
            f"all {len(runs)} runs named right, including the one that recovered (not a failure) and the "
            "two that 'succeeded' (prose, and a correct answer 15 minutes late)."
        )
    why, expected, got = wrong[0]
    right = len(runs) - len(wrong)
    if expected is None:
        raise Wrong(
            f"{right} of {len(runs)} right; {why} did its job: return None for it, not {got!r} "
            "(judge what the run did, not whether a fault was injected)."
        )
    if got is None:
        raise Wrong(
            f"{right} of {len(runs)} right; {why} failed ({expected}), but you returned None: "
            "success=True alone does not mean the run worked."
        )
    raise Wrong(f"{right} of {len(runs)} right; {why} is {expected}, not {got!r}.")


ex2 = Exercise(
    "ex2",
    target="failure_family",
    checker=_check_ex2,
    task="did this run fail, and how? (from its AgentResult)",
    hints=[
        "Start from `result.outcome` (answered, error, crashed, would_loop) and `result.unhandled_exception` "
        "(the type name that escaped, e.g. 'OpenAIRateLimitError'); `result.errors` holds the messages.",
        "Two runs say success=True and still failed: check `result.correct` (the harness graded the answer) "
        "and `result.deadline_exceeded` (a naive run can only blow its deadline waiting on a tool with no timeout).",
        "Order: would_loop -> endless_loop; 'ContextOverflow' in the exception -> context_overflow; "
        "'RateLimit' -> rate_limit; CalledProcessError or TimeoutExpired -> tool_failure; answered but wrong, "
        "or outcome 'error' -> unparseable_output; correct but late -> tool_failure; otherwise None.",
    ],
    solution='''
def failure_family(result):
    """None if the run did its job, else the failure family it shows."""
    escaped = result.unhandled_exception or ""
    if result.outcome == "would_loop":
        return "endless_loop"
    if "ContextOverflow" in escaped or "context length" in " ".join(result.errors):
        return "context_overflow"
    if "RateLimit" in escaped or escaped in ("OpenAIAPIError", "APIStatusError"):
        return "rate_limit"
    if escaped in ("CalledProcessError", "TimeoutExpired", "FileNotFoundError"):
        return "tool_failure"
    if result.outcome == "error" or (result.outcome == "answered" and not result.correct):
        return "unparseable_output"
    if result.deadline_exceeded:
        return "tool_failure"  # in the naive agent only a kubectl call without a timeout blocks this long
    return None
''',
)
