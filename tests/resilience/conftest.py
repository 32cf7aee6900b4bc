"""Fixtures for the resilience tests: a virtual clock, seeded randomness, scripted failures,
and real openai exceptions built from fake ``httpx2`` responses (no network anywhere)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import pytest

from course_lib.clock import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)


class Script:
    """A callable that plays a script: an Exception item is raised, anything else returned.

    ``clock``/``cost`` make each call take virtual time. Counts calls; repeats the last item.
    """

    def __init__(self, items: Iterable[Any], *, clock: VirtualClock | None = None, cost: float = 0.0) -> None:
        self.items = list(items)
        self.calls = 0
        self.clock = clock
        self.cost = cost
        self.__name__ = "script"
        self.__qualname__ = "script"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        item = self.items[min(self.calls, len(self.items) - 1)]
        self.calls += 1
        if self.clock is not None and self.cost:
            self.clock.advance(self.cost)
        if isinstance(item, BaseException):
            raise item
        return item


class AsyncScript(Script):
    async def __call__(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return Script.__call__(self, *args, **kwargs)


@pytest.fixture
def script():
    return Script


@pytest.fixture
def async_script():
    return AsyncScript


def status_error(status: int, headers: dict[str, str] | None = None, code: str | None = None) -> Exception:
    """A real openai ``APIStatusError`` subclass for ``status``, as the SDK would raise it."""
    import httpx2
    import openai

    request = httpx2.Request("POST", "https://api.example.test/v1/chat/completions")
    body = {"message": f"status {status}", "type": "error", "code": code}
    response = httpx2.Response(status, headers=headers or {}, request=request, json={"error": body})
    classes = {
        400: openai.BadRequestError,
        401: openai.AuthenticationError,
        403: openai.PermissionDeniedError,
        404: openai.NotFoundError,
        409: openai.ConflictError,
        422: openai.UnprocessableEntityError,
        429: openai.RateLimitError,
    }
    cls = classes.get(status, openai.InternalServerError if status >= 500 else openai.APIStatusError)
    return cls(f"Error code: {status}", response=response, body=body)


@pytest.fixture
def make_status_error():
    return status_error
