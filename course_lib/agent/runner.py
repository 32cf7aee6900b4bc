"""One run of one agent on one scenario under one chaos profile and seed: ``run_agent``.

The runner builds everything a run needs from (kind, scenario, profile, seed): the clock, the
fault plan, the models (in process, or the real ``ChatOpenAI`` against the loopback chaos server),
the tools, the agent. It never raises: an exception that escapes the agent is recorded as an
unhandled exception, because that is one of the things the evaluation measures.

Both transports meet the same chaos for the same seed (request *i* gets fault *i*). Over HTTP,
the openai SDK sleeps in real time, so the server's ``Retry-After`` is sent as
``retry-after-ms: 20`` and a slow response waits 50 ms: virtual durations over HTTP are therefore
shorter than in process and not comparable with them; counts and correctness are.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langgraph.errors import GraphRecursionError

from course_lib.agent.accounting import RunStats
from course_lib.agent.degraded import is_degraded_text
from course_lib.agent.kept import KEPT_FAILURE_PREFIX, build_kept_agent, virtual_sleep
from course_lib.agent.naive import (
    NAIVE_RECURSION_GUARD,
    SdkDefaultRetries,
    build_naive_agent,
    naive_kubectl_runner,
    naive_tools,
)
from course_lib.agent.production import ProductionConfig, build_production_agent, final_text
from course_lib.agent.result import AgentResult, Outcome
from course_lib.clock import Clock, VirtualClock
from course_lib.fakes.chaos import PROFILES, ChaosProfile, FaultPlan, UnknownProfileError, resolve_profile
from course_lib.fakes.cluster import Scenario, UnknownScenarioError, list_scenarios, load_scenario
from course_lib.mode import LiveModeError, Mode, current_mode
from course_lib.observability import AgentMetrics, EventLogger, IdGenerator, get_event_logger
from course_lib.tools import KubectlSettings, all_tools

__all__ = [
    "AGENTS",
    "HTTP_RETRY_AFTER_MS",
    "HTTP_SLOW_S",
    "TRANSPORTS",
    "UnknownAgentError",
    "backup_plan",
    "check_agent",
    "check_profile",
    "check_scenario",
    "require_live_mode",
    "run_agent",
]

AGENTS = ("naive", "production", "kept")
TRANSPORTS = ("in-process", "http", "live")
Transport = Literal["in-process", "http", "live"]
"""in-process: the fake model in this process; http: the real ChatOpenAI against the loopback chaos
server; live: the real ChatOpenAI against the provider that COURSE_LLM=openai and OPENAI_API_KEY
(optionally OPENAI_BASE_URL, COURSE_LLM_MODEL) name. Live runs get no injected model faults (the
provider brings its own) and no backup model; kubectl faults still apply."""
HTTP_RETRY_AFTER_MS = 20.0
HTTP_SLOW_S = 0.05
MODEL_LIMIT_PREFIX = "Model call limits exceeded"


class UnknownAgentError(ValueError):
    """An agent name that does not exist; the message lists the valid ones."""


def check_agent(kind: str) -> str:
    if kind not in AGENTS:
        raise UnknownAgentError(f"unknown agent {kind!r}; valid agents: {', '.join(AGENTS)}")
    return kind


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise UnknownProfileError(f"unknown chaos profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    return profile


@functools.lru_cache(maxsize=64)
def _scenario(name: str) -> Scenario:
    """Scenarios are immutable data: parse each file once per process."""
    return load_scenario(name)


def check_scenario(scenario: str) -> str:
    load_scenario(scenario)  # UnknownScenarioError lists the valid names
    return scenario


def backup_plan(plan: FaultPlan) -> FaultPlan:
    """The backup provider's chaos: the profile's model-side faults only (its own draws).

    A chaos profile describes the *primary* provider ("a provider under heavy load", "the primary
    provider is down"): its HTTP faults and outages belong to that provider. The backup is
    another provider, so it keeps only what any model does (malformed tool calls, unknown tools,
    truncation, repeats), drawn with its own seed.
    """
    from course_lib.fakes.llm.faults import MODEL_FAULTS

    profile = plan.profile
    llm = {fault: p for fault, p in profile.llm.items() if fault in MODEL_FAULTS}
    return FaultPlan(
        replace(profile, name=f"{profile.name}-backup", llm=llm, outages=()), plan.seed + 100_003
    )


class _Usage(BaseCallbackHandler):
    """Counts model starts, tool starts and billed tokens as LangChain reports them."""

    def __init__(self) -> None:
        self.model_starts = 0
        self.tool_starts = 0
        self.tokens = 0

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.model_starts += 1

    def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
        self.tool_starts += 1

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
                if usage:
                    self.tokens += int(usage.get("total_tokens", 0))


@dataclass
class _Models:
    primary: Any
    backup: Any | None
    counters: list[Any]  # objects with call_count (in process) or ChaosServer (http)
    naive_wrapper: SdkDefaultRetries | None = None


@contextmanager
def _models(
    kind: str, plan: FaultPlan, clock: Clock, transport: Transport, config: ProductionConfig, backup: bool
) -> Iterator[_Models]:
    from course_lib.fakes.llm import PolicyChatModel

    wants_backup = backup and kind != "naive"
    if transport == "in-process":
        timeout = 600.0 if kind == "naive" else config.model_attempt_timeout_s
        primary = PolicyChatModel(fault_plan=plan, clock=clock, timeout=timeout)
        backup_model = (
            PolicyChatModel(
                fault_plan=backup_plan(plan), clock=clock, timeout=timeout, model="course-fake-backup"
            )
            if wants_backup
            else None
        )
        counters = [m for m in (primary, backup_model) if m is not None]
        if kind == "naive":
            wrapper = SdkDefaultRetries(inner=primary, clock=clock, seed=plan.seed)
            yield _Models(wrapper, None, counters, wrapper)
        else:
            yield _Models(primary, backup_model, counters)
        return
    if transport == "live":
        from course_lib.fakes.llm import make_chat_model

        # the naive agent keeps the SDK's defaults; the others retry in their own single layer
        retries, timeout = (None, None) if kind == "naive" else (0, config.model_attempt_timeout_s)
        yield _Models(make_chat_model(clock=clock, max_retries=retries, timeout=timeout), None, [])
        return
    from langchain_openai import ChatOpenAI

    from course_lib.fakes.llm import serve_llm

    options = {"clock": clock, "retry_after_ms": HTTP_RETRY_AFTER_MS, "slow_s": HTTP_SLOW_S}
    with ExitStack() as stack:
        server = stack.enter_context(serve_llm(plan, **options))
        servers = [server]
        if kind == "naive":  # the SDK's defaults: 2 retries, 600 s timeout
            primary = ChatOpenAI(base_url=server.base_url, api_key="course-key", model="course-fake-1")
            yield _Models(primary, None, servers)
            return
        common = {"api_key": "course-key", "max_retries": 0, "timeout": config.model_attempt_timeout_s}
        primary = ChatOpenAI(base_url=server.base_url, model="course-fake-1", **common)
        backup_model = None
        if wants_backup:
            second = stack.enter_context(serve_llm(backup_plan(plan), **options))
            servers.append(second)
            backup_model = ChatOpenAI(base_url=second.base_url, model="course-fake-backup", **common)
        yield _Models(primary, backup_model, servers)


def _http_counts(models: _Models) -> tuple[int, int]:
    """(HTTP attempts, most attempts of one logical call) from the model side."""
    if models.naive_wrapper is not None:
        attempts = models.naive_wrapper.attempts
        return sum(attempts), max(attempts, default=0)
    total = 0
    most = 0
    for counter in models.counters:
        if hasattr(counter, "call_count"):
            total += counter.call_count
        else:  # a ChaosServer: the SDK numbers its retries in x-stainless-retry-count
            records = [r for r in counter.requests if r.index is not None]
            total += len(records)
            most = max([most, *((r.retry_count or 0) + 1 for r in records)])
    return total, most


def _trace_id(kind: str, scenario: str, profile: str, seed: int) -> str:
    seed_bits = random.Random(f"trace|{kind}|{scenario}|{profile}|{seed}").getrandbits(64)
    return IdGenerator(seed=seed_bits).trace_id()


def _outcome(text: str, stats: RunStats) -> tuple[Outcome, str | None]:
    """How a run that returned normally ended, and an error note if it was not an answer."""
    if stats.degraded_reason is not None or is_degraded_text(text):
        return Outcome.DEGRADED, None
    if text.startswith(KEPT_FAILURE_PREFIX):
        return Outcome.ERROR, text.splitlines()[0][:300]
    if text.startswith(MODEL_LIMIT_PREFIX):
        return Outcome.ERROR, text[:300]
    if not text.strip():
        return Outcome.ERROR, "the final model turn was empty or unusable (no answer)"
    return Outcome.ANSWERED, None


def require_live_mode() -> None:
    """Raise LiveModeError unless a live provider is configured (a missing key is named)."""
    if current_mode().mode is not Mode.LIVE:
        raise LiveModeError(
            "transport 'live' needs COURSE_LLM=openai and OPENAI_API_KEY in the environment "
            "(optionally OPENAI_BASE_URL and COURSE_LLM_MODEL)"
        )


def run_agent(
    kind: str,
    scenario: str,
    profile: str | ChaosProfile = "none",
    seed: int = 0,
    *,
    clock: Clock | None = None,
    transport: Transport = "in-process",
    question: str | None = None,
    config: ProductionConfig | None = None,
    backup: bool = True,
    events: EventLogger | None = None,
    metrics: AgentMetrics | None = None,
    recursion_guard: int = NAIVE_RECURSION_GUARD,
) -> AgentResult:
    """Run one agent once and return its :class:`AgentResult`; never raises for agent failures.

    Bad arguments (an unknown agent, scenario, profile or transport) raise ValueError subclasses
    listing the valid names: they are the caller's mistake, not the agent's. ``profile`` is a
    built-in name, a profile file's path, or a ``ChaosProfile`` object. ``backup=False``
    leaves the production and kept agents without a backup model (the degraded answer is then
    the only fallback). ``recursion_guard`` is the harness's step limit (see NAIVE_RECURSION_GUARD).
    """
    check_agent(kind)
    loaded = _scenario(scenario)
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}; valid transports: {', '.join(TRANSPORTS)}")
    if transport == "live":
        require_live_mode()
    plan = FaultPlan(profile if isinstance(profile, ChaosProfile) else resolve_profile(profile), seed)
    clock = clock or VirtualClock()
    config = config or ProductionConfig()
    question = question or loaded.question
    trace_id = _trace_id(kind, loaded.name, plan.profile.name, seed)
    if events is None:
        events = get_event_logger(clock=clock, trace_id=trace_id, propagate=False, agent=kind)
    else:
        events = events.bind(trace_id=trace_id, agent=kind)
    stats = RunStats()
    usage = _Usage()
    callbacks: list[Any] = [usage]
    started = clock.now()
    events.run_start(
        agent=kind, question=question, scenario=loaded.name, profile=plan.profile.name, seed=seed
    )
    unhandled: BaseException | None = None
    text = ""
    with _models(kind, plan, clock, transport, config, backup) as models:
        try:
            if kind == "naive":
                from course_lib.observability import StepLogger

                callbacks.append(StepLogger(events, agent=kind, log_runs=False))
                runner = naive_kubectl_runner(scenario=loaded, fault_plan=plan, clock=clock)
                graph = build_naive_agent(models.primary, naive_tools(runner))
            else:
                settings = KubectlSettings(
                    scenario=loaded.name,
                    fault_plan=plan,
                    clock=clock,
                    timeout_s=config.tool_timeout_s,
                    raise_on_transient=True,
                )
                tools = all_tools(settings, mode="in-process")
                if kind == "production":
                    rng = random.Random(f"production|{seed}")
                    agent = build_production_agent(
                        models.primary,
                        tools,
                        clock=clock,
                        backup_model=models.backup,
                        config=config,
                        stats=stats,
                        events=events,
                        metrics=metrics,
                        rng=rng,
                    )
                    graph = agent.graph
                else:
                    from course_lib.observability import StepLogger

                    callbacks.append(StepLogger(events, agent=kind, log_runs=False))
                    graph, _ = build_kept_agent(
                        models.primary, tools, backup_model=models.backup, stats=stats
                    )
            invoke_config = {"callbacks": callbacks, "recursion_limit": recursion_guard}
            with virtual_sleep(clock):
                state = graph.invoke(
                    {"messages": [{"role": "user", "content": question}]}, config=invoke_config
                )
            text = final_text(state["messages"])
        except GraphRecursionError as exc:
            outcome: Outcome = Outcome.WOULD_LOOP
            stats.error(
                f"would loop: stopped by the harness's {recursion_guard}-step guard ({exc})".splitlines()[0]
            )
        except Exception as exc:  # the agent let it escape: that is the measurement
            unhandled = exc
            outcome = Outcome.CRASHED
            stats.error(f"unhandled {type(exc).__name__}: {exc}".splitlines()[0][:300])
        else:
            outcome, note = _outcome(text, stats)
            if note:
                stats.error(note)
        http_attempts, most_from_models = _http_counts(models)
    duration = clock.now() - started
    if kind == "naive":
        llm_calls = (
            len(models.naive_wrapper.attempts) if models.naive_wrapper is not None else usage.model_starts
        )
        most = most_from_models
        tool_calls = usage.tool_starts
    else:
        llm_calls = stats.llm_calls
        most = stats.max_attempts_per_call or most_from_models
        tool_calls = stats.tool_calls or usage.tool_starts
    degraded = outcome is Outcome.DEGRADED
    correct = bool(text) and outcome in (Outcome.ANSWERED, Outcome.DEGRADED) and loaded.grade(text)
    result = AgentResult(
        agent=kind,
        scenario=loaded.name,
        profile=plan.profile.name,
        seed=seed,
        success=outcome is Outcome.ANSWERED,
        output=text if text else "; ".join(stats.errors[-1:]),
        diagnosis=text if outcome is Outcome.ANSWERED else None,
        degraded=degraded,
        outcome=outcome,
        correct=correct,
        attempts=http_attempts + (stats.tool_attempts or usage.tool_starts),
        steps=llm_calls + tool_calls,
        llm_calls=llm_calls,
        http_attempts=http_attempts,
        max_attempts_per_call=most,
        tool_calls=tool_calls,
        duration_s=duration,
        deadline_s=config.deadline_s,
        tokens=usage.tokens,
        errors=list(stats.errors),
        trace_id=trace_id,
        unhandled_exception=type(unhandled).__name__ if unhandled is not None else None,
        fallback_calls=stats.fallback_calls,
        breaker_transitions=list(stats.transitions),
        transport=transport,
        question=question,
    )
    events.run_end(
        agent=kind,
        outcome="success" if result.success else str(outcome),
        duration_s=round(duration, 6),
        error=unhandled,
        correct=correct,
        llm_calls=llm_calls,
        http_attempts=http_attempts,
        tool_calls=tool_calls,
    )
    if metrics is not None:
        metrics.record_run(kind, str(outcome), duration)
    return result


__all__ += ["UnknownProfileError", "UnknownScenarioError", "list_scenarios"]
