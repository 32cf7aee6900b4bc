"""The agent's kubectl tools: validated, read-only, timed out, capped, with typed results inside.

``all_tools()`` returns the LangChain tools (importing LangChain only when called). The rest
works without LangChain: ``KubectlTools`` (the five operations as plain methods),
``KubectlSettings``, the two runners and ``KubectlResult`` / ``KubectlError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from course_lib.tools.kubectl_tools import KubectlTools, KubectlTransientError, summarise_pod
from course_lib.tools.results import ErrorKind, KubectlError, KubectlResult, classify
from course_lib.tools.runners import InProcessRunner, KubectlRunner, SubprocessRunner
from course_lib.tools.settings import FAKE_KUBECTL, KubectlSettings
from course_lib.tools.truncation import approx_tokens, cap_output

if TYPE_CHECKING:
    from course_lib.tools.langchain_tools import TOOL_NAMES, all_tools

__all__ = [
    "FAKE_KUBECTL",
    "TOOL_NAMES",
    "ErrorKind",
    "InProcessRunner",
    "KubectlError",
    "KubectlResult",
    "KubectlRunner",
    "KubectlSettings",
    "KubectlTools",
    "KubectlTransientError",
    "SubprocessRunner",
    "all_tools",
    "approx_tokens",
    "cap_output",
    "classify",
    "summarise_pod",
]


def __getattr__(name: str) -> Any:
    if name in {"all_tools", "TOOL_NAMES"}:
        from course_lib.tools import langchain_tools

        return getattr(langchain_tools, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
