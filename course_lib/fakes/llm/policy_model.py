"""The in-process stand-in for ``ChatOpenAI``: the diagnosis policy, plus the provider's chaos.

Request *i* of the model meets ``fault_plan.llm_fault(i, at=...)`` (``at`` = clock seconds since
creation or ``reset()``), exactly as request *i* to the chaos server does. HTTP-level faults are
raised as the exceptions ``ChatOpenAI`` raises (see ``errors``); the model has no retry layer of
its own, like ``ChatOpenAI(max_retries=0)``: retrying is the lesson's job. Model-side faults
bend the returned AIMessage. A slow response sleeps on the injected clock (free with a
``VirtualClock``) and raises ``APITimeoutError`` when it would outlast ``timeout``.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import Field, field_validator

from course_lib.fakes.chaos import FaultPlan, LLMFault
from course_lib.fakes.llm.base import RecordingChatModel, Reply
from course_lib.fakes.llm.completion import completion_from_decision
from course_lib.fakes.llm.errors import Flavour, context_length_error, error_for_fault, timeout_error
from course_lib.fakes.llm.faults import apply_model_fault
from course_lib.fakes.llm.messages import ai_message, transcript_from_messages
from course_lib.fakes.llm.policy import DiagnosisPolicy, Policy

__all__ = ["PolicyChatModel"]


class PolicyChatModel(RecordingChatModel):
    """A tool-calling chat model driven by a policy (default: ``DiagnosisPolicy``) and a fault plan."""

    policy: Any = Field(default_factory=DiagnosisPolicy)
    fault_plan: FaultPlan | None = None
    timeout: float | None = None  # seconds; a SLOW_RESPONSE longer than this raises APITimeoutError
    context_window: int = 128_000
    flavour: Flavour = "langchain"

    @field_validator("policy")
    @classmethod
    def _check_policy(cls, policy: Any) -> Policy:
        if not callable(getattr(policy, "decide", None)):
            raise TypeError(f"policy must have a decide(transcript) method, got {type(policy).__name__}")
        return policy  # type: ignore[no-any-return]

    @field_validator("timeout")
    @classmethod
    def _check_timeout(cls, timeout: float | None) -> float | None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds (or None for no timeout), got {timeout!r}")
        return timeout

    @field_validator("context_window")
    @classmethod
    def _check_window(cls, window: int) -> int:
        if window < 1:
            raise ValueError(f"context_window must be a positive number of tokens, got {window!r}")
        return window

    @property
    def _llm_type(self) -> str:
        return "policy-fake"

    def _reply(
        self,
        index: int,
        at: float,
        messages: list[BaseMessage],
        tools: list[dict[str, Any]] | None,
        input_tokens: int,
    ) -> Reply:
        plan = self.fault_plan
        fault = plan.llm_fault(index, at=at) if plan is not None else None
        if fault is LLMFault.SLOW_RESPONSE and plan is not None:
            delay = plan.profile.llm_slow_s
            if self.timeout is not None and delay > self.timeout:
                self.clock.sleep(self.timeout)
                return Reply(error=timeout_error(flavour=self.flavour), fault=str(fault))
            self.clock.sleep(delay)
        error = error_for_fault(
            fault,
            retry_after_s=plan.profile.retry_after_s if plan is not None else 0.0,
            prompt_tokens=input_tokens,
            context_window=self.context_window,
            flavour=self.flavour,
        )
        if error is not None:
            return Reply(error=error, fault=str(fault))
        if input_tokens > self.context_window:  # a real overflow, not a drawn fault
            return Reply(error=context_length_error(input_tokens, self.context_window, flavour=self.flavour))
        transcript = transcript_from_messages(messages, tools)
        completion = completion_from_decision(
            self.policy.decide(transcript), f"call_{index:05d}_{len(messages):03d}"
        )
        completion = apply_model_fault(completion, fault, transcript)
        message = ai_message(completion, input_tokens=input_tokens, model_name=self.model_name)
        applied = completion.fault or (str(fault) if fault is LLMFault.SLOW_RESPONSE else None)
        return Reply(message=message, fault=applied)
