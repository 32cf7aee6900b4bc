"""The agents' public API in one import, for the notebooks (01, 06, 07, 08, 09).

``from course_lib.agent.api import run_agent, build_production_agent, evaluate, ...``. Importing
it loads LangChain. ``course_lib.agent`` itself stays a plain package (its ``__init__`` is shared).
"""

from __future__ import annotations

from course_lib.agent.accounting import RunStats
from course_lib.agent.degraded import DEGRADED_PREFIX, degraded_answer, evidence_lines, is_degraded_text
from course_lib.agent.evaluation import (
    SUMMARY_FIELDS,
    Cell,
    evaluate,
    plan_cells,
    render_table,
    report,
    summarise,
)
from course_lib.agent.kept import KeptConfig, build_kept_agent, virtual_sleep
from course_lib.agent.naive import (
    NAIVE_RECURSION_GUARD,
    SdkDefaultRetries,
    build_naive_agent,
    naive_kubectl_runner,
    naive_tools,
)
from course_lib.agent.production import (
    SYSTEM_PROMPT,
    GarbledToolOutputError,
    MalformedResponseError,
    ProductionAgent,
    ProductionConfig,
    ResilientModelMiddleware,
    ResilientToolMiddleware,
    build_production_agent,
    final_text,
    make_breaker,
    model_retry_verdict,
)
from course_lib.agent.result import AgentResult, Outcome
from course_lib.agent.runner import AGENTS, TRANSPORTS, UnknownAgentError, backup_plan, run_agent

__all__ = [
    "AGENTS",
    "DEGRADED_PREFIX",
    "NAIVE_RECURSION_GUARD",
    "SUMMARY_FIELDS",
    "SYSTEM_PROMPT",
    "TRANSPORTS",
    "AgentResult",
    "Cell",
    "GarbledToolOutputError",
    "KeptConfig",
    "MalformedResponseError",
    "Outcome",
    "ProductionAgent",
    "ProductionConfig",
    "ResilientModelMiddleware",
    "ResilientToolMiddleware",
    "RunStats",
    "SdkDefaultRetries",
    "UnknownAgentError",
    "backup_plan",
    "build_kept_agent",
    "build_naive_agent",
    "build_production_agent",
    "degraded_answer",
    "evaluate",
    "evidence_lines",
    "final_text",
    "is_degraded_text",
    "make_breaker",
    "model_retry_verdict",
    "naive_kubectl_runner",
    "naive_tools",
    "plan_cells",
    "render_table",
    "report",
    "run_agent",
    "summarise",
    "virtual_sleep",
]
