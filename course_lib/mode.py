"""FAKE or LIVE: which model the course talks to.

FAKE (the default) uses the course's scripted model and loopback server: no key, no network,
the same answers every run. LIVE is an explicit opt-in through the environment, never a prompt:
``COURSE_LLM=openai`` plus ``OPENAI_API_KEY`` (and optionally ``OPENAI_BASE_URL`` and
``COURSE_LLM_MODEL``) before JupyterLab starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["LiveModeError", "Mode", "ModeInfo", "current_mode"]

ENV_LLM = "COURSE_LLM"
LIVE_PROVIDERS = ("openai",)


class Mode(StrEnum):
    FAKE = "FAKE"
    LIVE = "LIVE"


class LiveModeError(ValueError):
    """LIVE mode was asked for but cannot work; the message names the missing setting."""


@dataclass(frozen=True, slots=True)
class ModeInfo:
    mode: Mode
    provider: str
    base_url: str | None = None
    model: str | None = None

    def banner(self) -> str:
        if self.mode is Mode.FAKE:
            return (
                "Mode: FAKE · scripted model, fake cluster and virtual clock: no API key, no network, "
                "same output every run.\n(LIVE is opt-in: set COURSE_LLM=openai and OPENAI_API_KEY "
                "before starting JupyterLab.)"
            )
        where = self.base_url or "the provider's default endpoint"
        return (
            f"Mode: LIVE · provider {self.provider}, model {self.model or 'default'} at {where}. "
            "Calls cost money and outputs will differ from the stored ones."
        )


def current_mode(env: Mapping[str, str] | None = None) -> ModeInfo:
    """Read the mode from the environment; raise LiveModeError if LIVE is half-configured."""
    env = os.environ if env is None else env
    provider = env.get(ENV_LLM, "").strip().lower()
    if provider in {"", "fake"}:
        return ModeInfo(Mode.FAKE, "fake")
    if provider not in LIVE_PROVIDERS:
        raise LiveModeError(
            f"{ENV_LLM} must be one of fake, {', '.join(LIVE_PROVIDERS)}, got {env.get(ENV_LLM)!r}"
        )
    if not (env.get("OPENAI_API_KEY") or "").strip():
        raise LiveModeError(
            f"{ENV_LLM}=openai needs an API key in the environment variable OPENAI_API_KEY (never in a "
            f"file or a notebook); unset {ENV_LLM} to use the built-in fake model instead"
        )
    return ModeInfo(Mode.LIVE, provider, env.get("OPENAI_BASE_URL"), env.get("COURSE_LLM_MODEL"))
