"""Chaos profiles and fault plans: which failure to inject, where, and when.

A *profile* is data: for each place a fault can strike (a kubectl invocation, a model request)
it gives the probability of each fault kind, plus time windows in which the provider is down.
A *fault plan* is a profile plus a seed. Every draw depends only on (seed, target, key), never
on what happened before, so the naive and the production agent meet exactly the same chaos for
the same seed: the 3rd model request gets the same fault whichever agent makes it.

Select a plan without touching code through the environment (this is how the out-of-process fake
``kubectl`` and the chaos server learn it):

* ``COURSE_CHAOS``: a profile name (``none``, ``flaky``, ``storm``, ``outage``, ``hostile``) or
  the path of a JSON/YAML profile file; ``COURSE_CHAOS_SEED``: an integer (default 0).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

__all__ = [
    "PROFILES",
    "ChaosProfile",
    "FaultPlan",
    "KubectlFault",
    "LLMFault",
    "Outage",
    "UnknownProfileError",
    "get_profile",
    "load_profile",
    "save_profile",
]

ENV_PROFILE = "COURSE_CHAOS"
ENV_SEED = "COURSE_CHAOS_SEED"


class KubectlFault(StrEnum):
    """What can go wrong with one kubectl invocation (see kubernetes-facts §2.3 for the texts)."""

    LATENCY = "latency"  # a real sleep before answering, so a caller's timeout= fires
    CONNECTION_REFUSED = "connection_refused"  # API server unreachable (exit 1)
    UNAUTHORIZED = "unauthorized"  # expired credentials (exit 1)
    FORBIDDEN = "forbidden"  # RBAC denies the verb (exit 1)
    SERVER_ERROR = "server_error"  # 500/503 from the API server (exit 1)
    TOO_MANY_REQUESTS = "too_many_requests"  # 429 after client-go's own retries (exit 1)
    HUGE_OUTPUT = "huge_output"  # logs of many megabytes
    GARBAGE_OUTPUT = "garbage_output"  # truncated/binary-looking output, exit 0
    CRASH = "crash"  # the binary dies (exit code 2, a Go panic on stderr)
    INJECTION = "injection"  # a prompt-injection line planted in tool output


class LLMFault(StrEnum):
    """What can go wrong with one model request (HTTP faults first, then model-side faults)."""

    RATE_LIMIT = "rate_limit"  # 429 with Retry-After / retry-after-ms
    SERVER_ERROR = "server_error"  # 500
    BAD_GATEWAY = "bad_gateway"  # 502
    UNAVAILABLE = "unavailable"  # 503
    REQUEST_TIMEOUT = "request_timeout"  # 408
    SLOW_RESPONSE = "slow_response"  # first byte late, so client timeouts fire
    CONNECTION_RESET = "connection_reset"  # socket closed mid-request
    INVALID_JSON = "invalid_json"  # 200 with a body that is not JSON
    CONTEXT_LENGTH = "context_length"  # 400 context_length_exceeded
    UNAUTHORIZED = "unauthorized"  # 401 invalid API key
    MALFORMED_TOOL_CALL = "malformed_tool_call"  # tool-call arguments that are not valid JSON
    UNKNOWN_TOOL = "unknown_tool"  # a call to a tool that does not exist
    WRONG_ARGUMENT_TYPES = "wrong_argument_types"  # valid JSON, wrong types
    TRUNCATED = "truncated"  # finish_reason="length"
    REPEAT_CALL = "repeat_call"  # the model repeats its previous tool call
    PLAIN_TEXT = "plain_text"  # prose where a tool call (or a ReAct Action:) was expected


class UnknownProfileError(ValueError):
    """Raised for a profile name that does not exist; the message lists the valid names."""


@dataclass(frozen=True, slots=True)
class Outage:
    """A stretch of (virtual) time, in seconds since the run started, when the provider is down."""

    start: float
    end: float
    status: int = 503

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"an outage needs 0 <= start < end, got {self.start}..{self.end}")

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True, slots=True)
class ChaosProfile:
    """Fault probabilities per target, and outage windows. Probabilities of a target sum to <= 1."""

    name: str
    description: str
    kubectl: Mapping[KubectlFault, float] = field(default_factory=dict)
    llm: Mapping[LLMFault, float] = field(default_factory=dict)
    outages: tuple[Outage, ...] = ()
    kubectl_latency_s: float = 3.0  # sleep for a LATENCY fault (real seconds in the fake kubectl)
    llm_slow_s: float = 5.0  # delay before the first byte for SLOW_RESPONSE
    retry_after_s: float = 2.0  # what a 429 asks the client to wait

    def __post_init__(self) -> None:
        for target, table in (("kubectl", self.kubectl), ("llm", self.llm)):
            for kind, p in table.items():
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"{self.name}: probability of {target} {kind} must be in [0, 1]")
            total = sum(table.values())
            if total > 1.0 + 1e-9:
                raise ValueError(f"{self.name}: {target} fault probabilities sum to {total:.3f} > 1")

    def to_dict(self) -> dict[str, object]:
        """The profile as plain data, in the file format ``load_profile`` reads."""
        return {
            "name": self.name,
            "description": self.description,
            "kubectl": {str(k): v for k, v in self.kubectl.items()},
            "llm": {str(k): v for k, v in self.llm.items()},
            "outages": [{"start": o.start, "end": o.end, "status": o.status} for o in self.outages],
            "kubectl_latency_s": self.kubectl_latency_s,
            "llm_slow_s": self.llm_slow_s,
            "retry_after_s": self.retry_after_s,
        }


PROFILES: dict[str, ChaosProfile] = {
    p.name: p
    for p in (
        ChaosProfile("none", "No faults: the control run."),
        ChaosProfile(
            "flaky",
            "An ordinary bad day: occasional 429s and 5xx, a slow kubectl now and then.",
            kubectl={KubectlFault.LATENCY: 0.05, KubectlFault.SERVER_ERROR: 0.05},
            llm={
                LLMFault.RATE_LIMIT: 0.15,
                LLMFault.SERVER_ERROR: 0.05,
                LLMFault.UNAVAILABLE: 0.05,
                LLMFault.MALFORMED_TOOL_CALL: 0.03,
            },
        ),
        ChaosProfile(
            "storm",
            "A provider under heavy load: most requests are throttled or fail, tools misbehave.",
            kubectl={
                KubectlFault.LATENCY: 0.10,
                KubectlFault.SERVER_ERROR: 0.10,
                KubectlFault.CONNECTION_REFUSED: 0.05,
                KubectlFault.GARBAGE_OUTPUT: 0.05,
            },
            llm={
                LLMFault.RATE_LIMIT: 0.35,
                LLMFault.SERVER_ERROR: 0.08,
                LLMFault.BAD_GATEWAY: 0.05,
                LLMFault.UNAVAILABLE: 0.07,
                LLMFault.REQUEST_TIMEOUT: 0.03,
                LLMFault.SLOW_RESPONSE: 0.05,
                LLMFault.CONNECTION_RESET: 0.03,
                LLMFault.INVALID_JSON: 0.02,
                LLMFault.MALFORMED_TOOL_CALL: 0.05,
                LLMFault.UNKNOWN_TOOL: 0.02,
                LLMFault.WRONG_ARGUMENT_TYPES: 0.02,
                LLMFault.TRUNCATED: 0.02,
            },
            retry_after_s=5.0,
        ),
        ChaosProfile(
            "outage",
            "The primary provider is down (503) for the first 10 minutes of virtual time.",
            outages=(Outage(0.0, 600.0, 503),),
        ),
        ChaosProfile(
            "hostile",
            "Tool output fights back: prompt injection in logs, huge outputs, a loop-prone model.",
            kubectl={KubectlFault.INJECTION: 0.5, KubectlFault.HUGE_OUTPUT: 0.2},
            llm={LLMFault.REPEAT_CALL: 0.15},
        ),
    )
}


def get_profile(name: str) -> ChaosProfile:
    """The named built-in profile, or UnknownProfileError listing the valid names."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(
            f"unknown chaos profile {name!r}; valid profiles: {', '.join(PROFILES)}"
        ) from None


def load_profile(path: str | Path) -> ChaosProfile:
    """Read a profile from a JSON or YAML file with the fields of ``ChaosProfile``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".yaml", ".yml"}:
        import yaml  # only profile files need PyYAML

        raw = yaml.safe_load(text)
    else:
        raw = json.loads(text)
    if not isinstance(raw, dict) or "name" not in raw:
        raise ValueError(f"{path}: a profile file holds a mapping with at least a 'name'")
    try:
        return ChaosProfile(
            name=str(raw["name"]),
            description=str(raw.get("description", "")),
            kubectl={KubectlFault(k): float(v) for k, v in (raw.get("kubectl") or {}).items()},
            llm={LLMFault(k): float(v) for k, v in (raw.get("llm") or {}).items()},
            outages=tuple(Outage(**o) for o in raw.get("outages") or ()),
            **{k: float(raw[k]) for k in ("kubectl_latency_s", "llm_slow_s", "retry_after_s") if k in raw},
        )
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: invalid profile: {err}") from None


def save_profile(profile: ChaosProfile, path: str | Path) -> Path:
    """Write ``profile`` as JSON, so a child process (fake kubectl, server) can load it by path."""
    path = Path(path)
    path.write_text(json.dumps(profile.to_dict(), indent=2), encoding="utf-8")
    return path


def resolve_profile(name_or_path: str) -> ChaosProfile:
    """A built-in profile by name, or a profile file by path."""
    if name_or_path in PROFILES:
        return PROFILES[name_or_path]
    if Path(name_or_path).suffix in {".json", ".yaml", ".yml"}:
        return load_profile(name_or_path)
    return get_profile(name_or_path)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """A profile plus a seed: a deterministic answer to "which fault, if any, strikes here?"."""

    profile: ChaosProfile
    seed: int = 0

    @classmethod
    def named(cls, profile: str, seed: int = 0) -> FaultPlan:
        return cls(resolve_profile(profile), seed)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FaultPlan:
        env = os.environ if env is None else env
        seed_text = env.get(ENV_SEED, "0")
        try:
            seed = int(seed_text)
        except ValueError:
            raise ValueError(f"{ENV_SEED} must be an integer, got {seed_text!r}") from None
        return cls(resolve_profile(env.get(ENV_PROFILE, "none") or "none"), seed)

    def to_env(self) -> dict[str, str]:
        """Environment variables that make a child process (fake kubectl, server) use this plan."""
        return {ENV_PROFILE: self.profile.name, ENV_SEED: str(self.seed)}

    def _draw(self, target: str, key: object, table: Mapping[str, float]) -> str | None:
        if not table:
            return None
        u = random.Random(f"{self.seed}|{target}|{key}").random()
        cumulative = 0.0
        for kind in sorted(table):  # a fixed order, independent of how the table was written
            cumulative += table[kind]
            if u < cumulative:
                return kind
        return None

    def kubectl_fault(self, key: object) -> KubectlFault | None:
        """The fault for the kubectl invocation identified by ``key`` (e.g. its index in a run)."""
        kind = self._draw("kubectl", key, self.profile.kubectl)
        return None if kind is None else KubectlFault(kind)

    def llm_fault(self, key: object, at: float | None = None) -> LLMFault | None:
        """The fault for model request ``key``; during an outage at time ``at``, UNAVAILABLE."""
        if at is not None and any(o.covers(at) for o in self.profile.outages):
            return LLMFault.UNAVAILABLE
        kind = self._draw("llm", key, self.profile.llm)
        return None if kind is None else LLMFault(kind)

    def rng(self, purpose: str) -> random.Random:
        """A seeded generator for anything else this plan randomises (jitter of a fault, ...)."""
        return random.Random(f"{self.seed}|{purpose}")
