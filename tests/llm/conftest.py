"""Helpers for the fake-LLM tests: single-fault plans and the course's tool schemas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from course_lib.fakes.chaos import ChaosProfile, FaultPlan, LLMFault
from course_lib.fakes.llm.server import ChaosServer, serve_llm

QUESTION = "Why is the checkout pod in namespace shop not running?"
TOOL_NAMES = ("list_pods", "get_pod_status", "describe_pod", "get_pod_logs", "get_events")
TOOL_SCHEMAS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {}}}}
    for name in TOOL_NAMES
]


def always(fault: LLMFault, **profile: float) -> FaultPlan:
    """A plan whose every model request meets ``fault``."""
    return FaultPlan(ChaosProfile(f"always-{fault}", "test", llm={fault: 1.0}, **profile), seed=0)


@pytest.fixture
def server_factory() -> Iterator[object]:
    """Start chaos servers on demand; all are stopped after the test."""
    stack: list[object] = []

    def start(plan: FaultPlan | str = "none", **options: object) -> ChaosServer:
        context = serve_llm(plan, **options)  # type: ignore[arg-type]
        server = context.__enter__()
        stack.append(context)
        return server

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)  # type: ignore[attr-defined]
