"""PolicyChatModel: the policy behind a LangChain model, meeting the fault plan's chaos in process."""

from __future__ import annotations

import openai
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRetryMiddleware
from langchain_core.exceptions import ContextOverflowError
from pydantic import ValidationError

from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import ChaosProfile, FaultPlan, LLMFault
from course_lib.fakes.llm import PolicyChatModel

from .conftest import always
from .samples import SAMPLES, sample_tools

OOM = SAMPLES["oom"]


def run(model: PolicyChatModel, sample_name: str = "oom", **config: object) -> dict:
    sample = SAMPLES[sample_name]
    agent = create_agent(model, sample_tools(sample), **config)  # type: ignore[arg-type]
    return agent.invoke({"messages": [("user", sample.question)]}, config={"recursion_limit": 40})


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_without_faults_every_sample_is_diagnosed(name: str) -> None:
    answer = run(PolicyChatModel(), name)["messages"][-1].content
    assert all(word.lower() in answer.lower() for word in SAMPLES[name].expected), answer


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (LLMFault.RATE_LIMIT, openai.RateLimitError),
        (LLMFault.UNAVAILABLE, openai.InternalServerError),
        (LLMFault.CONTEXT_LENGTH, ContextOverflowError),
        (LLMFault.UNAUTHORIZED, openai.AuthenticationError),
        (LLMFault.CONNECTION_RESET, openai.APIConnectionError),
    ],
)
def test_http_faults_raise_the_chat_openai_exceptions(fault: LLMFault, expected: type[Exception]) -> None:
    model = PolicyChatModel(fault_plan=always(fault))
    with pytest.raises(expected):
        run(model)
    assert model.calls[0].fault == str(fault) and model.calls[0].error is not None


def test_a_slow_response_costs_virtual_time_and_times_out_past_the_timeout() -> None:
    clock = VirtualClock()
    patient = PolicyChatModel(fault_plan=always(LLMFault.SLOW_RESPONSE, llm_slow_s=5.0), clock=clock)
    patient.invoke("hello")
    assert clock.now() == 5.0 and patient.calls[0].fault == "slow_response"
    hasty = PolicyChatModel(
        fault_plan=always(LLMFault.SLOW_RESPONSE, llm_slow_s=5.0), clock=clock, timeout=1.0
    )
    with pytest.raises(openai.APITimeoutError):
        hasty.invoke("hello")
    assert clock.now() == 6.0


def test_an_outage_ends_when_virtual_time_passes_it() -> None:
    clock = VirtualClock()
    model = PolicyChatModel(fault_plan=FaultPlan.named("outage"), clock=clock)
    with pytest.raises(openai.InternalServerError, match="503"):
        model.invoke("hello")
    clock.advance(600)
    assert model.invoke("hello").content  # the provider is back
    assert [c.error for c in model.calls] == ["OpenAIAPIError", None]


def test_a_real_overflow_raises_context_length_exceeded() -> None:
    model = PolicyChatModel(context_window=50)
    with pytest.raises(ContextOverflowError, match="maximum context length is 50 tokens"):
        model.invoke("x" * 400)


def test_model_retry_middleware_recovers_from_throttling_and_the_answer_is_right() -> None:
    plan = FaultPlan(ChaosProfile("half-429", "test", llm={LLMFault.RATE_LIMIT: 0.5}), seed=3)
    model = PolicyChatModel(fault_plan=plan)
    retry = ModelRetryMiddleware(max_retries=10, initial_delay=0, jitter=False)
    result = run(model, middleware=[retry])
    assert "OOMKilled" in result["messages"][-1].content
    assert [c.fault for c in model.calls] == [
        None if (f := plan.llm_fault(i)) is None else str(f) for i in range(model.call_count)
    ]
    throttled = [c for c in model.calls if c.fault == "rate_limit"]
    assert throttled and all(c.error == "OpenAIRateLimitError" for c in throttled)
    assert model.call_count == len(throttled) + 3  # list, describe, answer


def test_same_seed_same_fault_sequence_whichever_model_runs() -> None:
    plan = FaultPlan.named("storm", seed=7)
    first = PolicyChatModel(fault_plan=plan, clock=VirtualClock())
    second = PolicyChatModel(fault_plan=plan, clock=VirtualClock())
    for model in (first, second):
        for _ in range(15):
            try:
                model.invoke("Why is the checkout pod in namespace shop not running?")
            except Exception:
                continue
    outcomes = [(c.fault, c.error) for c in first.calls]
    assert outcomes == [(c.fault, c.error) for c in second.calls]
    assert any(error for _, error in outcomes) and any(error is None for _, error in outcomes)


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValidationError, match="timeout must be > 0"):
        PolicyChatModel(timeout=0)
    with pytest.raises(ValidationError, match="context_window must be a positive"):
        PolicyChatModel(context_window=0)
    with pytest.raises(TypeError, match="policy must have a decide"):
        PolicyChatModel(policy=object())
