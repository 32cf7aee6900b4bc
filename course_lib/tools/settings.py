"""How the kubectl tools reach a cluster: binary, kubeconfig, timeout, output cap, fake setup."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from course_lib.clock import Clock, RealClock
from course_lib.fakes.chaos import FaultPlan

__all__ = ["FAKE_KUBECTL", "KubectlSettings"]

FAKE_KUBECTL: tuple[str, ...] = (sys.executable, "-m", "course_lib", "kubectl")


@dataclass(frozen=True)
class KubectlSettings:
    """Everything the runners need. The defaults run the course's fake kubectl on the healthy control.

    ``binary`` is the command prefix (``("kubectl",)`` for a real cluster). ``scenario`` and
    ``fault_plan`` configure only the fake (passed through the environment to a subprocess).
    ``timeout_s`` is a total deadline per invocation, enforced by ``subprocess``'s ``timeout=``
    (kubectl's own ``--request-timeout`` is per request and retried underneath, so not enough).
    ``raise_on_transient``: tools raise ``KubectlTransientError`` for retryable failures (so a
    retry layer such as ToolRetryMiddleware can act) instead of returning the error text.
    """

    binary: tuple[str, ...] = FAKE_KUBECTL
    kubeconfig: str | None = None
    context: str | None = None
    timeout_s: float = 10.0
    max_output_tokens: int = 2000
    scenario: str | None = None
    fault_plan: FaultPlan | None = None
    clock: Clock = field(default_factory=RealClock)
    log_path: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    raise_on_transient: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.binary, str):
            raise TypeError("binary must be a tuple of strings, e.g. ('kubectl',), not a string")
        if not self.binary:
            raise ValueError("binary must name at least the executable")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.max_output_tokens < 50:
            raise ValueError(f"max_output_tokens must be >= 50, got {self.max_output_tokens}")

    def global_flags(self) -> list[str]:
        flags = []
        if self.kubeconfig:
            flags.append(f"--kubeconfig={self.kubeconfig}")
        if self.context:
            flags.append(f"--context={self.context}")
        return flags
