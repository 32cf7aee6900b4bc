"""Fake LLMs that fail like real providers: scripted model, policy model, chaos server.

Names are imported lazily, so ``import course_lib.fakes.llm.server`` (and the ``serve-llm``
command) does not pay for LangChain. Import from here in notebooks::

    from course_lib.fakes.llm import PolicyChatModel, ScriptedChatModel, serve_llm, rate_limit_error
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "ScriptedChatModel": "scripted",
    "ScriptExhaustedError": "scripted",
    "PolicyChatModel": "policy_model",
    "ModelCall": "base",
    "DiagnosisPolicy": "policy",
    "Policy": "policy",
    "Transcript": "transcript",
    "ChaosServer": "server",
    "RequestRecord": "server",
    "serve_llm": "server",
    "CALL_ID_HEADER": "server",
    "make_chat_model": "factory",
    "LiveModeError": "factory",
    "rate_limit_error": "errors",
    "server_error": "errors",
    "request_timeout_error": "errors",
    "timeout_error": "errors",
    "connection_error": "errors",
    "context_length_error": "errors",
    "authentication_error": "errors",
    "invalid_json_error": "errors",
    "status_error": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
