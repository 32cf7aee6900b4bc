"""Map to production: Retry and FallbackChain beside LangChain 1.x agent middleware.

ModelRetryMiddleware, ToolRetryMiddleware and ModelFallbackMiddleware run inside a real
``create_agent`` graph with a scripted fake chat model (no network). With our ``is_retryable``
as their ``retry_on`` they make the same decisions as our Retry. The difference worth teaching:
their default ``retry_on`` retries *any* exception that is not a ``ModelError``, bugs included.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelFallbackMiddleware, ModelRetryMiddleware, ToolRetryMiddleware
from langchain_core.exceptions import ModelAuthenticationError, ModelRateLimitError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

from course_lib.clock import VirtualClock
from course_lib.resilience import FallbackChain, Retry, classify, is_retryable

CONFIG = {"recursion_limit": 12}


class ScriptedChatModel(BaseChatModel):
    """Plays a script: an Exception item is raised, a str/AIMessage returned (a fresh copy each time)."""

    script: list[Any]
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        item = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if isinstance(item, BaseException):
            raise item
        message = AIMessage(content=item) if isinstance(item, str) else item.model_copy(deep=True)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        return self


def run_agent(model, middleware, tools=()):
    agent = create_agent(model, tools=list(tools), middleware=middleware)
    state = agent.invoke({"messages": [HumanMessage("why is api-7d9 crashing?")]}, config=CONFIG)
    return state["messages"][-1]


def ours_on_model(model, **policy):
    return Retry(on=classify, attempts=3, clock=VirtualClock(), **policy).call(
        model.invoke, [HumanMessage("why is api-7d9 crashing?")]
    )


def test_model_retry_middleware_and_ours_recover_alike():
    script = [ModelRateLimitError("429"), ModelRateLimitError("429"), "Diagnosis: OOMKilled"]
    theirs = ScriptedChatModel(script=script)
    answer = run_agent(theirs, [ModelRetryMiddleware(max_retries=2, initial_delay=0, retry_on=is_retryable)])
    ours = ScriptedChatModel(script=script)
    assert answer.content == ours_on_model(ours).content == "Diagnosis: OOMKilled"
    assert theirs.calls == ours.calls == 3


def test_neither_retries_a_non_retryable_model_error():
    theirs = ScriptedChatModel(script=[ModelAuthenticationError("401"), "never"])
    with pytest.raises(ModelAuthenticationError):
        run_agent(theirs, [ModelRetryMiddleware(max_retries=2, initial_delay=0)])
    ours = ScriptedChatModel(script=[ModelAuthenticationError("401"), "never"])
    with pytest.raises(ModelAuthenticationError):
        ours_on_model(ours)
    assert theirs.calls == ours.calls == 1


def test_where_we_differ_the_default_retry_on_retries_bugs():
    """ModelRetryMiddleware's default retry_on returns True for any non-ModelError exception: a
    TypeError from our own code is retried, then (on_failure='continue') turned into an answer."""
    bug = TypeError("'NoneType' object is not subscriptable")
    theirs = ScriptedChatModel(script=[bug])
    answer = run_agent(theirs, [ModelRetryMiddleware(max_retries=2, initial_delay=0)])
    assert theirs.calls == 3
    assert "failed after 3 attempts with TypeError" in answer.content  # a bug, disguised as a reply
    fixed = ScriptedChatModel(script=[bug])
    with pytest.raises(TypeError):
        run_agent(fixed, [ModelRetryMiddleware(max_retries=2, initial_delay=0, retry_on=is_retryable)])
    assert fixed.calls == 1
    ours = ScriptedChatModel(script=[bug])
    with pytest.raises(TypeError):
        ours_on_model(ours)
    assert ours.calls == 1


def test_tool_retry_middleware_and_ours_make_the_same_attempts():
    def make_tool():
        calls = []

        @tool
        def kubectl_logs(pod: str) -> str:
            """Fetch the logs of a pod."""
            calls.append(pod)
            if len(calls) <= 2:
                raise TimeoutError("kubectl timed out")
            return "OOMKilled at 12:03"

        return kubectl_logs, calls

    kubectl_logs, their_calls = make_tool()
    model = ScriptedChatModel(
        script=[
            AIMessage(
                content="", tool_calls=[{"name": "kubectl_logs", "args": {"pod": "api-7d9"}, "id": "c1"}]
            ),
            "Diagnosis: OOMKilled",
        ]
    )
    answer = run_agent(
        model, [ToolRetryMiddleware(max_retries=2, initial_delay=0, retry_on=is_retryable)], [kubectl_logs]
    )
    assert answer.content == "Diagnosis: OOMKilled"
    assert len(their_calls) == 3

    our_tool, our_calls = make_tool()
    result = Retry(on=classify, attempts=3, clock=VirtualClock()).call(our_tool.invoke, {"pod": "api-7d9"})
    assert result == "OOMKilled at 12:03"
    assert len(our_calls) == 3


def test_model_fallback_middleware_and_our_chain_pick_the_same_model():
    primary_script = [ModelRateLimitError("primary rate limited")]
    theirs_primary = ScriptedChatModel(script=primary_script)
    theirs_fallback = ScriptedChatModel(script=["answer from the fallback model"])
    answer = run_agent(theirs_primary, [ModelFallbackMiddleware(theirs_fallback)])
    assert answer.content == "answer from the fallback model"

    primary = ScriptedChatModel(script=primary_script)
    fallback = ScriptedChatModel(script=["answer from the fallback model"])
    chain = FallbackChain(("primary", primary.invoke), ("fallback", fallback.invoke), clock=VirtualClock())
    result = chain.run([HumanMessage("why?")])
    assert result.value.content == answer.content
    assert result.source == "fallback"
    assert result.steps[0].kind == "rate_limited"  # and we can say why we moved on


def test_both_reraise_the_last_error_when_every_model_fails():
    theirs = ScriptedChatModel(script=[RuntimeError("primary down")])
    with pytest.raises(RuntimeError, match="fallback down"):
        run_agent(
            theirs, [ModelFallbackMiddleware(ScriptedChatModel(script=[RuntimeError("fallback down")]))]
        )
    chain = FallbackChain(
        ScriptedChatModel(script=[RuntimeError("primary down")]).invoke,
        ScriptedChatModel(script=[RuntimeError("fallback down")]).invoke,
        clock=VirtualClock(),
    )
    with pytest.raises(RuntimeError, match="fallback down"):
        chain([HumanMessage("why?")])
