"""Telling sync from async callables, for the decorators that wrap both (Retry, CircuitBreaker)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["is_async"]


def is_async(fn: Callable[..., Any]) -> bool:
    """An ``async def`` function, a partial of one, or an object whose ``__call__`` is one."""
    call = inspect.getattr_static(type(fn), "__call__", None)  # an instance with an async __call__
    return inspect.iscoroutinefunction(fn) or (call is not None and inspect.iscoroutinefunction(call))
