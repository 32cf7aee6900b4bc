"""Notebook 01's harness: put the naive agent through one forced fault and keep what it showed.

Each failure family is shown with a :class:`~course_lib.fakes.chaos.ChaosProfile` that forces one
fault. :func:`run_naive` runs the naive agent twice under exactly the same chaos (the fault plan
is a pure function of the seed): once by hand, so the lesson can show the raw exception, the
messages and a step trace; once through the course's runner (:func:`run_agent`), whose
:class:`AgentResult` is the record the summary table, the chart and the exercises read.

The runner takes a profile *name or file*, not a profile object, so a forced profile travels to
it as a temporary JSON file (the documented profile-file format); nothing else is changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from course_lib.agent.api import (
    NAIVE_RECURSION_GUARD,
    AgentResult,
    SdkDefaultRetries,
    build_naive_agent,
    naive_kubectl_runner,
    naive_tools,
    run_agent,
    virtual_sleep,
)
from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import ChaosProfile, FaultPlan
from course_lib.fakes.cluster import load_scenario
from course_lib.fakes.llm import PolicyChatModel
from course_lib.observability import get_event_logger
from course_lib.observability.callbacks import Step, StepLogger

__all__ = [
    "FAMILIES",
    "SCENARIO",
    "LoopProjection",
    "NaiveRun",
    "ScratchRun",
    "error_line",
    "project_loop",
    "render_summary",
    "run_naive",
    "run_naive_by_hand",
    "summary_row",
]

SCENARIO = "crashloop-app-error"
"""The lesson's scenario: the checkout pod crashes on start (a missing DATABASE_URL)."""

FAMILIES: Mapping[str, str] = {
    "rate_limit": "the provider refuses the call (HTTP 429, or a 5xx) more often than the SDK retries",
    "tool_failure": "a kubectl call hangs, crashes or is refused, and the error escapes the tool",
    "unparseable_output": "the model's turn is not a usable tool call (broken JSON, prose, unknown tool)",
    "endless_loop": "the model repeats itself and nothing but a step limit stops it",
    "context_overflow": "the conversation outgrows the context window (HTTP 400 context_length_exceeded)",
}
"""The five failure families of notebook 01, with the one-line symptom of each."""

NAIVE_MODEL_TIMEOUT_S = 600.0  # the openai SDK's default read timeout


def error_line(error: BaseException | None, width: int = 190) -> str:
    """``TypeName: first line of the message`` (never the repr, which may hold addresses)."""
    if error is None:
        return "no exception"
    text = str(error).strip().splitlines()
    line = f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
    return line if len(line) <= width else line[: width - 1] + "…"


@dataclass
class ScratchRun:
    """The naive agent run by hand: the exception it raised, the messages, the step trace."""

    error: BaseException | None
    messages: list[Any]
    steps: list[Step]
    clock: VirtualClock
    attempts: list[int]  # HTTP attempts of each logical model call (the SDK-default retries)

    def __repr__(self) -> str:  # the messages carry random ids: never show them
        return (
            f"ScratchRun({error_line(self.error)}, {len(self.steps)} steps, {self.clock.now():g} virtual s)"
        )

    def table(self, head: int | None = None) -> str:
        """The step trace as fixed-width text (the first ``head`` steps if given)."""
        return _table(self.steps, head=head)


def run_naive_by_hand(
    profile: ChaosProfile,
    *,
    seed: int = 0,
    scenario: str = SCENARIO,
    recursion_limit: int = NAIVE_RECURSION_GUARD,
    context_window: int = 128_000,
) -> ScratchRun:
    """Build the naive agent exactly as the runner does and run it once, keeping everything.

    ``graph.stream(stream_mode="values")`` keeps the conversation up to the moment an exception
    escapes, which ``invoke`` would lose. ``context_window`` is the fake model's window.
    """
    clock = VirtualClock()
    plan = FaultPlan(profile, seed)
    loaded = load_scenario(scenario)
    inner = PolicyChatModel(
        fault_plan=plan, clock=clock, timeout=NAIVE_MODEL_TIMEOUT_S, context_window=context_window
    )
    model = SdkDefaultRetries(inner=inner, clock=clock, seed=plan.seed)
    tools = naive_tools(naive_kubectl_runner(scenario=loaded, fault_plan=plan, clock=clock))
    agent = build_naive_agent(model, tools)
    logger = StepLogger(get_event_logger(clock=clock, propagate=False), agent="naive", clock=clock)
    config = {"callbacks": [logger], "recursion_limit": recursion_limit}
    messages: list[Any] = []
    error: BaseException | None = None
    with virtual_sleep(clock):
        try:
            inputs = {"messages": [{"role": "user", "content": loaded.question}]}
            for state in agent.stream(inputs, config=config, stream_mode="values"):
                messages = list(state["messages"])
        except Exception as exc:  # the lesson shows what escaped
            error = exc
    steps = [s for s in logger.steps if s.kind != "run"]
    return ScratchRun(error, messages, steps, clock, model.attempts)


def _table(steps: Sequence[Step], width: int = 72, head: int | None = None) -> str:
    """A compact trace: one line per model or tool step, virtual start and duration, what it did.

    Never the run ids (random uuids): a trace table must read the same on every run.
    """
    if not steps:
        return "(no steps)"
    lines = [f"{'#':>3}  {'at (s)':>7}  {'took':>6}  {'step':<18}  what"]
    shown = steps if head is None else steps[:head]
    for number, step in enumerate(shown, 1):
        name = "model" if step.kind == "model" else f"tool {step.name}"
        took = "" if step.duration is None else f"{step.duration:g}"
        what = _what(step)
        what = what if len(what) <= width else what[: width - 1] + "…"
        lines.append(f"{number:>3}  {step.started_at:>7g}  {took:>6}  {name[:18]:<18}  {what}")
    if len(shown) < len(steps):
        lines.append(f"     … {len(steps) - len(shown)} more steps")
    return "\n".join(lines)


def _what(step: Step) -> str:
    """What one step did, in a few words: the call it asked for, or the arguments and output size."""
    d = step.detail
    if step.status == "error":
        return f"{step.error_type}: {step.error}"
    if step.kind == "model":
        calls = d.get("tool_calls") or []
        if calls:
            what = f"calls {', '.join(calls)}"
        elif d.get("finish_reason") == "tool_calls":
            what = "a tool call that did not parse"
        else:
            what = f"answers in {d.get('output_chars', 0)} chars"
        return f"{what} ({d.get('input_tokens', 0):,} tokens in)"
    args = d.get("args") or {}
    shown = " ".join(f"{k}={v}" for k, v in args.items()) if isinstance(args, Mapping) else str(args)
    return f"{shown} -> {d.get('output_chars', 0):,} chars"


@dataclass
class NaiveRun:
    """One forced fault met by the naive agent: the runner's record plus what the learner sees."""

    family: str
    fault: str
    result: AgentResult
    scratch: ScratchRun = field(repr=False)

    @property
    def error(self) -> BaseException | None:
        return self.scratch.error

    def report(self) -> str:
        """Four lines: what escaped, how the run ended, what it cost, how the answer starts."""
        r = self.result
        retries = r.http_attempts - r.llm_calls
        if r.outcome == "crashed":
            first = "(none: the exception ended the run)"
        elif r.outcome == "would_loop":
            first = "(none: the step guard ended the run)"
        else:
            lines = (r.output or "").strip().splitlines()
            first = lines[0] if lines else "(empty)"
            first = first if len(first) <= 110 else first[:109] + "…"
        return "\n".join(
            [
                f"exception : {error_line(self.error)}",
                f"outcome   : {r.outcome} (success={r.success}, correct diagnosis={r.correct})",
                f"cost      : {r.llm_calls} model calls ({r.http_attempts} HTTP requests, {retries} retries), "
                f"{r.tool_calls} tool calls, {r.duration_s:g} virtual s, {r.tokens:,} tokens",
                f"output    : {first}",
            ]
        )


def record(
    profile: ChaosProfile | str,
    *,
    seed: int = 0,
    scenario: str = SCENARIO,
    recursion_guard: int = NAIVE_RECURSION_GUARD,
) -> AgentResult:
    """The runner's :class:`AgentResult` for the naive agent under ``profile`` (object or name)."""
    return run_agent("naive", scenario, profile, seed, recursion_guard=recursion_guard)


def run_naive(
    family: str,
    profile: ChaosProfile,
    *,
    seed: int = 0,
    scenario: str = SCENARIO,
    recursion_guard: int = NAIVE_RECURSION_GUARD,
) -> NaiveRun:
    """Run the naive agent under ``profile`` by hand and through the runner (same chaos, same seed)."""
    if family not in FAMILIES and family != "healthy":
        raise ValueError(f"unknown failure family {family!r}; valid: healthy, {', '.join(FAMILIES)}")
    scratch = run_naive_by_hand(profile, seed=seed, scenario=scenario, recursion_limit=recursion_guard)
    result = record(profile, seed=seed, scenario=scenario, recursion_guard=recursion_guard)
    faults = [str(k) for k in (*profile.kubectl, *profile.llm)] or ["none"]
    return NaiveRun(family, "+".join(faults), result, scratch)


# --------------------------------------------------------------------------- the summary
def summary_row(run: NaiveRun, symptom: str) -> dict[str, Any]:
    """One row of the notebook's summary table, from the runner's record."""
    r = run.result
    shown = r.unhandled_exception or str(r.outcome)
    if r.unhandled_exception is None and r.deadline_exceeded:
        shown = f"{r.outcome}, past deadline"
    elif r.unhandled_exception is None and r.outcome == "answered" and not r.correct:
        shown = "answered, wrong"
    elif r.outcome == "error":
        shown = "error, no answer"
    return {
        "family": run.family,
        "fault": run.fault,
        "symptom": symptom,
        "ended as": shown,
        "calls": r.llm_calls,
        "HTTP": r.http_attempts,
        "tools": r.tool_calls,
        "virtual s": round(r.duration_s, 1),
        "tokens": r.tokens,
    }


def render_summary(rows: Sequence[Mapping[str, Any]]) -> str:
    """A fixed-width text table of :func:`summary_row` rows (numbers right-aligned)."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[c], int | float) for row in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


# --------------------------------------------------------------------------- the loop's cost
@dataclass(frozen=True, slots=True)
class LoopProjection:
    """Where a loop that repeats one call would end without a small guard, and what it would bill."""

    model_calls: int  # including the one that fails, if the context overflows
    tool_calls: int
    tokens: int  # billed: every model call that succeeded
    ends_with: str  # "context overflow" or "recursion limit"
    last_prompt_tokens: int

    def minutes_at(self, seconds_per_call: float) -> float:
        """Wall-clock minutes if every model call took ``seconds_per_call`` (tools free)."""
        return self.model_calls * seconds_per_call / 60.0


def project_loop(
    steps: Sequence[Step],
    *,
    context_window: int = 128_000,
    recursion_limit: int = 9_999,
) -> LoopProjection:
    """Extrapolate a guarded loop to the default limit, from its model steps' token counts.

    Each turn of a loop that repeats one call adds the same messages, so the prompt grows by a
    constant number of tokens per model call. The run ends at whichever comes first: a prompt
    larger than ``context_window`` (HTTP 400), or ``recursion_limit`` graph steps (one model and
    one tool step per turn).
    """
    models = [s for s in steps if s.kind == "model" and s.status == "ok"]
    if len(models) < 3:
        raise ValueError(f"need at least 3 successful model steps to see the growth, got {len(models)}")
    prompts = [int(s.detail["input_tokens"]) for s in models]
    outputs = [int(s.detail["output_tokens"]) for s in models]
    growth = prompts[-1] - prompts[-2]
    if growth <= 0 or prompts[-2] - prompts[-3] != growth:
        raise ValueError(f"the prompt does not grow by a constant step: {prompts[-3:]}")
    max_calls = (recursion_limit + 1) // 2  # model, tool, model, tool, ... ends on a model step
    tokens = 0
    prompt = prompts[0]
    for n in range(1, max_calls + 1):
        prompt = prompts[n - 1] if n <= len(prompts) else prompts[-1] + growth * (n - len(prompts))
        if prompt > context_window:
            return LoopProjection(n, n - 1, tokens, "context overflow", prompt)
        tokens += prompt + (outputs[n - 1] if n <= len(outputs) else outputs[-1])
    return LoopProjection(max_calls, max_calls - 1, tokens, "recursion limit", prompt)
