"""The exercise framework behind ``exN.check()``, ``exN.hint()`` and ``exN.solution()``.

A checker is a function that receives the learner's answer (usually a function they wrote),
replays it against scripted situations (a virtual clock, scripted failures) and returns a
``Verdict``. A checker says *what* is wrong and *why* in one sentence, because "assertion failed"
teaches nothing. The framework adds the parts every exercise shares: finding the answer in the
notebook, telling an untouched starter from a wrong answer, and turning a crash inside the
learner's code into a verdict instead of a traceback.
"""

from __future__ import annotations

import html
import inspect
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Checker", "Exercise", "NotAttempted", "Status", "Verdict", "Wrong"]


class Status(StrEnum):
    NOT_ATTEMPTED = "not attempted"
    WRONG = "wrong"
    CORRECT = "correct"


_ICONS = {Status.NOT_ATTEMPTED: "[ ]", Status.WRONG: "[x]", Status.CORRECT: "[ok]"}
_TITLES = {
    Status.NOT_ATTEMPTED: "Not attempted yet",
    Status.WRONG: "Not quite",
    Status.CORRECT: "Correct",
}
_COLOURS = {Status.NOT_ATTEMPTED: "#6b7280", Status.WRONG: "#b91c1c", Status.CORRECT: "#15803d"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of a check: a status and one sentence for the learner."""

    exercise: str
    status: Status
    message: str

    @property
    def ok(self) -> bool:
        return self.status is Status.CORRECT

    def __str__(self) -> str:
        return f"{_ICONS[self.status]} {self.exercise} · {_TITLES[self.status]}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 10px">'
            f'<b style="color:{colour}">{_TITLES[self.status]}</b> '
            f"<span>({html.escape(self.exercise)})</span>: {html.escape(self.message)}</div>"
        )


class Wrong(Exception):
    """Raise inside a checker to report a wrong answer; the message is shown to the learner."""


class NotAttempted(Exception):
    """Raise inside a checker when the answer is still the untouched starter."""


Checker = Callable[[Any], str]
"""A checker returns the success message, or raises Wrong / NotAttempted."""

_MISSING: Any = object()


class Exercise:
    """One exercise: a name, the notebook variable it checks, a checker, hints and a solution.

    ``check()`` with no argument looks the answer up by ``target`` in the caller's globals,
    which is what a notebook cell needs; tests pass the answer explicitly.
    """

    def __init__(
        self,
        name: str,
        *,
        target: str,
        checker: Checker,
        hints: Sequence[str],
        solution: str,
        task: str = "",
    ) -> None:
        if not hints:
            raise ValueError(f"{name}: an exercise needs at least one hint")
        if not solution.strip():
            raise ValueError(f"{name}: an exercise needs a solution")
        self.name = name
        self.target = target
        self.task = task
        self._checker = checker
        self._hints = tuple(hints)
        self._solution = solution.strip("\n")
        self.attempts: list[Verdict] = []

    # -- checking -------------------------------------------------------------------------------
    def check(self, answer: Any = _MISSING) -> Verdict:
        """Check the learner's answer and return a verdict (shown as one line in the notebook)."""
        if answer is _MISSING:
            answer = _caller_global(self.target)
        verdict = self._judge(answer)
        self.attempts.append(verdict)
        return verdict

    def _judge(self, answer: Any) -> Verdict:
        if answer is _MISSING or answer is None or answer is Ellipsis:
            return self._verdict(
                Status.NOT_ATTEMPTED,
                f"define `{self.target}` in the cell above, run that cell, then run this one again.",
            )
        try:
            message = self._checker(answer)
        except NotAttempted as err:
            return self._verdict(Status.NOT_ATTEMPTED, str(err) or "the starter code is unchanged.")
        except NotImplementedError:
            return self._verdict(
                Status.NOT_ATTEMPTED,
                f"`{self.target}` still raises NotImplementedError: replace the `raise` with your code.",
            )
        except Wrong as err:
            return self._verdict(Status.WRONG, str(err))
        except Exception as err:  # the learner's code crashed: report it as a verdict, not a traceback
            return self._verdict(Status.WRONG, _describe_crash(err))
        return self._verdict(Status.CORRECT, message)

    def _verdict(self, status: Status, message: str) -> Verdict:
        return Verdict(self.name, status, message)

    # -- help -----------------------------------------------------------------------------------
    def hint(self, n: int | None = None) -> None:
        """Print the next hint (or hint ``n``); hints go from a nudge to nearly the answer."""
        shown = sum(1 for v in self.attempts if v.status is not Status.CORRECT)
        index = (n - 1) if n is not None else min(len(self._hints) - 1, max(0, shown - 1))
        if not 0 <= index < len(self._hints):
            raise ValueError(f"{self.name} has hints 1 to {len(self._hints)}; got {n}")
        more = f" (more: {self.name}.hint({index + 2}))" if index + 1 < len(self._hints) else ""
        print(f"Hint {index + 1}/{len(self._hints)}: {self._hints[index]}{more}")

    def solution(self) -> None:
        """Print a reference solution. Reading it after a real attempt teaches the most."""
        print(f"# One solution for {self.name}\n{self._solution}")

    @property
    def solution_code(self) -> str:
        return self._solution

    def __repr__(self) -> str:
        return f"<Exercise {self.name}: {self.task or 'run .check(), .hint() or .solution()'}>"


def _caller_global(name: str) -> Any:
    """Find ``name`` in the globals of the frame that called ``check()`` (the notebook)."""
    frame = inspect.currentframe()
    try:
        outer = frame.f_back.f_back if frame and frame.f_back else None
        return outer.f_globals.get(name, _MISSING) if outer else _MISSING
    finally:
        del frame


def _describe_crash(err: BaseException) -> str:
    """One sentence about an exception raised by the learner's code, with the line it came from."""
    frames = traceback.extract_tb(err.__traceback__)
    learner = [f for f in frames if "course_lib" not in f.filename]
    where = f" (at `{learner[-1].line}`)" if learner and learner[-1].line else ""
    return f"your code raised {type(err).__name__}: {err}{where}. Fix that first, then check again."
