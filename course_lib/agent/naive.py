"""The naive agent: what the outline builds, on the current API, with no protections.

``create_agent(model, tools)`` and nothing else: no middleware, the default recursion limit
(9,999 steps), the SDK's defaults (2 retries, a 600 s timeout), and tools that shell out to
kubectl the way the outline's first version does: no timeout, no argument validation (a pod
name such as ``--all-namespaces`` becomes a flag), no output cap, and a failing command raises
(``check=True``), which ``create_agent``'s tool node does not catch (stack-facts 2b). This is the
"before" of notebook 01 and the capstone; the seed errata list what each choice costs.

In process there is no openai SDK underneath the fake model, so :class:`SdkDefaultRetries`
reproduces what ``ChatOpenAI()`` does by default (openai 3.57, measured in stack-facts 4):
2 retries on 408/409/429/5xx, timeouts and connection errors; ``Retry-After`` honoured up to
120 s; otherwise ``min(0.5 * 2**n, 8) * (1 - 0.25 * random())``. Over HTTP the real
``ChatOpenAI()`` defaults are used instead.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, StructuredTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from course_lib.clock import Clock, RealClock
from course_lib.fakes.chaos import FaultPlan
from course_lib.fakes.cluster import Scenario
from course_lib.resilience import Retry
from course_lib.tools.settings import FAKE_KUBECTL

__all__ = [
    "NAIVE_RECURSION_GUARD",
    "SdkDefaultRetries",
    "build_naive_agent",
    "naive_kubectl_runner",
    "naive_tools",
    "openai_sdk_should_retry",
]

NAIVE_RECURSION_GUARD = 60
"""The harness's step guard for the naive agent (create_agent's own default is 9,999).

Not part of the agent: the evaluation sets it so a looping run ends in milliseconds and is
recorded as "would loop" instead of spending 9,999 steps first (errata 25).
"""

SDK_MAX_RETRIES = 2
SDK_TIMEOUT_S = 600.0
SDK_MAX_RETRY_AFTER = 120.0


def openai_sdk_should_retry(exc: BaseException) -> bool:
    """The openai SDK's rule (``_should_retry``): 408, 409, 429, 5xx, timeouts, connection errors."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)  # APITimeoutError is one too


@dataclass(frozen=True)
class SdkBackoff:
    """The SDK's wait without Retry-After: ``min(0.5 * 2**n, 8)`` minus up to 25 % jitter."""

    initial: float = 0.5
    cap: float = 8.0

    def delay(self, n: int, previous: float, rng: random.Random) -> float:
        return min(self.initial * 2.0**n, self.cap) * (1 - 0.25 * rng.random())


class SdkDefaultRetries(BaseChatModel):
    """Wraps a non-retrying model with the openai SDK's default retry behaviour, on a clock.

    Each call of this model is one logical call; ``attempts`` records how many requests each took.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel
    max_retries: int = SDK_MAX_RETRIES
    clock: Clock = Field(default_factory=RealClock, exclude=True)
    seed: int = 0
    _attempts: list[int] = PrivateAttr(default_factory=list)
    _rng: random.Random = PrivateAttr(default_factory=random.Random)

    def model_post_init(self, context: Any, /) -> None:
        self._rng = random.Random(f"sdk-retries|{self.seed}")

    @property
    def _llm_type(self) -> str:
        return f"sdk-defaults({getattr(self.inner, '_llm_type', 'model')})"

    @property
    def attempts(self) -> list[int]:
        """HTTP attempts of each logical call so far."""
        return list(self._attempts)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        schemas = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=schemas, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._attempts.append(0)

        def attempt() -> ChatResult:
            self._attempts[-1] += 1
            return self.inner._generate(messages, stop, None, **kwargs)

        policy = Retry(
            on=openai_sdk_should_retry,
            attempts=self.max_retries + 1,
            deadline=None,
            backoff=SdkBackoff(),
            max_retry_after=SDK_MAX_RETRY_AFTER,
            clock=self.clock,
            rng=self._rng,
            name="openai-sdk-defaults",
        )
        return policy.call(attempt)


# --------------------------------------------------------------------------- tools
KubectlRun = Callable[[list[str]], str]


def naive_kubectl_runner(
    *,
    scenario: str | Scenario,
    fault_plan: FaultPlan | None = None,
    clock: Clock | None = None,
    mode: Literal["in-process", "subprocess"] = "in-process",
) -> KubectlRun:
    """``run(args) -> stdout`` as the outline writes it: no timeout, and ``check=True`` raises.

    ``subprocess`` runs the fake kubectl executable; ``in-process`` runs its logic directly and
    lets the whole of a LATENCY fault pass on the clock (nothing stops a slow kubectl here).
    """
    plan = fault_plan or FaultPlan.named("none")
    if mode == "subprocess":
        name = scenario if isinstance(scenario, str) else scenario.name
        env = {**os.environ, "COURSE_SCENARIO": name, **plan.to_env()}
        counter = itertools.count()

        def run_subprocess(args: list[str]) -> str:
            call_env = {**env, "COURSE_KUBECTL_CALL": str(next(counter))}
            done = subprocess.run(
                [*FAKE_KUBECTL, *args], capture_output=True, text=True, check=True, env=call_env
            )
            return done.stdout

        return run_subprocess
    if mode != "in-process":
        raise ValueError(f"mode must be 'in-process' or 'subprocess', got {mode!r}")
    from course_lib.fakes.cluster import load_scenario
    from course_lib.fakes.cluster.faults import simulate

    loaded = load_scenario(scenario) if isinstance(scenario, str) else scenario
    the_clock = clock or RealClock()
    calls = itertools.count()

    def run_in_process(args: list[str]) -> str:
        effect = simulate(list(args), loaded, plan, next(calls))
        if effect.delay_s > 0:
            advance = getattr(the_clock, "advance", None)
            advance(effect.delay_s) if callable(advance) else the_clock.sleep(effect.delay_s)
        out = effect.output
        if out.exit_code != 0:
            raise subprocess.CalledProcessError(out.exit_code, ["kubectl", *args], out.stdout, out.stderr)
        return out.stdout

    return run_in_process


class _Namespace(BaseModel):
    namespace: str = "default"


class _Pod(BaseModel):
    pod_name: str
    namespace: str = "default"


class _Logs(_Pod):
    container: str | None = None
    previous: bool = False
    tail: int = 100


class _Events(_Namespace):
    pod_name: str | None = None


def naive_tools(run: KubectlRun) -> list[BaseTool]:
    """The five tools with the production tools' names, written the outline's way.

    Plain type hints only (any string is accepted as a pod name), output returned whole, and
    whatever ``run`` raises propagates. The schemas are declared once (building them per run
    with ``@tool`` costs ~20 ms, which an evaluation of thousands of runs notices).
    """

    def list_pods(namespace: str = "default") -> str:
        return run(["get", "pods", "-n", namespace, "-o", "wide"])

    def get_pod_status(pod_name: str, namespace: str = "default") -> str:
        return run(["get", "pod", pod_name, "-n", namespace, "-o", "wide"])

    def describe_pod(pod_name: str, namespace: str = "default") -> str:
        return run(["describe", "pod", pod_name, "-n", namespace])

    def get_pod_logs(
        pod_name: str,
        namespace: str = "default",
        container: str | None = None,
        previous: bool = False,
        tail: int = 100,
    ) -> str:
        args = ["logs", pod_name, "-n", namespace, f"--tail={tail}"]
        if container:
            args += ["-c", container]
        if previous:
            args.append("--previous")
        return run(args)

    def get_events(namespace: str = "default", pod_name: str | None = None) -> str:
        args = ["get", "events", "-n", namespace]
        if pod_name:
            args.append(f"--field-selector=involvedObject.name={pod_name}")
        return run(args)

    specs = (
        (list_pods, _Namespace, "List the pods in a namespace."),
        (get_pod_status, _Pod, "Get the status of a pod."),
        (describe_pod, _Pod, "Describe a pod."),
        (get_pod_logs, _Logs, "Get the logs of a pod."),
        (get_events, _Events, "Get the events in a namespace."),
    )
    return [
        StructuredTool.from_function(func=fn, name=fn.__name__, description=doc, args_schema=schema)
        for fn, schema, doc in specs
    ]


def build_naive_agent(model: BaseChatModel, tools: Sequence[BaseTool]) -> Any:
    """``create_agent(model, tools)``: the whole of the naive agent."""
    return create_agent(model, list(tools))
