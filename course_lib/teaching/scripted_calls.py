"""A stand-in for one model call that fails on cue: the smallest thing a retry can be tested on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["scripted"]


def scripted(*replies: Any) -> Callable[[], Any]:
    """Return a function that, on each call, raises the next reply if it is an exception, else returns it.

    Calling it more times than there are replies raises ``RuntimeError`` (a retry loop that
    asks again after the script ended is a bug worth seeing, not a silent ``StopIteration``).
    """
    remaining = iter(replies)

    def call() -> Any:
        try:
            reply = next(remaining)
        except StopIteration:
            raise RuntimeError(f"scripted call asked again after its {len(replies)} replies") from None
        if isinstance(reply, BaseException):
            raise reply
        return reply

    return call
