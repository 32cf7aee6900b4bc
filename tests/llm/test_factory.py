"""make_chat_model: FAKE by default and without a key; LIVE is one environment variable away."""

from __future__ import annotations

import pytest
from langchain_openai import ChatOpenAI

from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import FaultPlan
from course_lib.fakes.llm import LiveModeError, PolicyChatModel, make_chat_model


def test_fake_is_the_default_and_needs_no_key() -> None:
    clock = VirtualClock()
    model = make_chat_model(FaultPlan.named("flaky", 3), clock=clock, env={}, timeout=2.0)
    assert isinstance(model, PolicyChatModel)
    assert model.fault_plan == FaultPlan.named("flaky", 3) and model.clock is clock and model.timeout == 2.0


def test_live_mode_returns_chat_openai_configured_from_the_environment() -> None:
    env = {
        "COURSE_LLM": "openai",
        "OPENAI_API_KEY": "sk-from-env",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "COURSE_LLM_MODEL": "gpt-4.1-mini",
    }
    model = make_chat_model(env=env, max_retries=0, timeout=5)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_key is not None and model.openai_api_key.get_secret_value() == "sk-from-env"
    assert (model.model_name, model.openai_api_base, model.max_retries) == (
        "gpt-4.1-mini",
        "http://127.0.0.1:9/v1",
        0,
    )


def test_live_mode_without_a_key_names_the_missing_variable() -> None:
    with pytest.raises(LiveModeError, match="needs an API key in the environment variable OPENAI_API_KEY"):
        make_chat_model(env={"COURSE_LLM": "openai"})


def test_an_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="COURSE_LLM must be one of fake, openai, got 'anthropic'"):
        make_chat_model(env={"COURSE_LLM": "anthropic"})
