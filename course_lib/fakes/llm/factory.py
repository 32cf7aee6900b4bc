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
from course_lib.mode import ENV_LLM, LiveModeError, Mode, current_mode

__all__ = [
    "DEFAULT_LIVE_MODEL",
    "ENV_BASE_URL",
    "ENV_KEY",
    "ENV_MODE",
    "ENV_MODEL",
    "LiveModeError",
    "make_chat_model",
]

ENV_MODE = ENV_LLM
ENV_KEY = "OPENAI_API_KEY"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_MODEL = "COURSE_LLM_MODEL"
DEFAULT_LIVE_MODEL = "gpt-4o-mini"


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
    info = current_mode(env)  # the one reading of COURSE_LLM, shared with the notebooks' banner
    if info.mode is Mode.FAKE:
        from course_lib.fakes.llm.policy_model import PolicyChatModel

        options: dict[str, Any] = dict(fake_options)
        if clock is not None:
            options["clock"] = clock
        return PolicyChatModel(fault_plan=fault_plan, timeout=timeout, **options)
    from langchain_openai import ChatOpenAI

    live: dict[str, Any] = {"model": info.model or DEFAULT_LIVE_MODEL, "api_key": env[ENV_KEY].strip()}
    if info.base_url:
        live["base_url"] = info.base_url
    if max_retries is not None:
        live["max_retries"] = max_retries
    if timeout is not None:
        live["timeout"] = timeout
    return ChatOpenAI(**live)
