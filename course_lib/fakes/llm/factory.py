"""The one place that decides FAKE or LIVE: every notebook gets its model from ``make_chat_model``.

FAKE (the default) needs no key and no network: the in-process ``PolicyChatModel``. LIVE is one
environment variable away: ``COURSE_LLM=openai`` returns a real ``ChatOpenAI`` that reads its key
from ``OPENAI_API_KEY`` only (never from a file or a prompt), optionally ``OPENAI_BASE_URL`` (any
OpenAI-compatible endpoint, including this course's chaos server) and ``COURSE_LLM_MODEL``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel

from course_lib.clock import Clock
from course_lib.fakes.chaos import FaultPlan

__all__ = [
    "DEFAULT_LIVE_MODEL",
    "ENV_BASE_URL",
    "ENV_KEY",
    "ENV_MODE",
    "ENV_MODEL",
    "LiveModeError",
    "make_chat_model",
]

ENV_MODE = "COURSE_LLM"
ENV_KEY = "OPENAI_API_KEY"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_MODEL = "COURSE_LLM_MODEL"
DEFAULT_LIVE_MODEL = "gpt-4o-mini"
MODES = ("fake", "openai")


class LiveModeError(RuntimeError):
    """LIVE mode was requested but cannot start (the message names the missing variable)."""


def llm_mode(env: Mapping[str, str] | None = None) -> str:
    """``fake`` or ``openai``, from ``COURSE_LLM`` (unset or empty means ``fake``)."""
    env = os.environ if env is None else env
    mode = (env.get(ENV_MODE) or "fake").strip().lower()
    if mode not in MODES:
        raise ValueError(f"{ENV_MODE} must be one of {', '.join(MODES)}, got {env.get(ENV_MODE)!r}")
    return mode


def make_chat_model(
    fault_plan: FaultPlan | None = None,
    *,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    max_retries: int | None = None,
    timeout: float | None = None,
    **fake_options: Any,
) -> BaseChatModel:
    """The course's chat model: FAKE by default, a real ``ChatOpenAI`` with ``COURSE_LLM=openai``.

    ``fault_plan``, ``clock`` and ``fake_options`` (policy, context_window, ...) shape the fake only:
    a real provider brings its own failures. ``max_retries`` and ``timeout`` go to ``ChatOpenAI``
    (None keeps the SDK defaults: 2 retries, 600 s); the fake uses ``timeout`` for slow responses.
    """
    env = os.environ if env is None else env
    if llm_mode(env) == "fake":
        from course_lib.fakes.llm.policy_model import PolicyChatModel

        options: dict[str, Any] = dict(fake_options)
        if clock is not None:
            options["clock"] = clock
        return PolicyChatModel(fault_plan=fault_plan, timeout=timeout, **options)
    key = (env.get(ENV_KEY) or "").strip()
    if not key:
        raise LiveModeError(
            f"{ENV_MODE}=openai needs an API key in the environment variable {ENV_KEY} "
            f"(unset {ENV_MODE} to use the built-in fake model instead)"
        )
    from langchain_openai import ChatOpenAI

    live: dict[str, Any] = {"model": env.get(ENV_MODEL) or DEFAULT_LIVE_MODEL, "api_key": key}
    if env.get(ENV_BASE_URL):
        live["base_url"] = env[ENV_BASE_URL]
    if max_retries is not None:
        live["max_retries"] = max_retries
    if timeout is not None:
        live["timeout"] = timeout
    return ChatOpenAI(**live)
