"""The kubectl operations as LangChain tools, with schemas and descriptions a model can use."""

from __future__ import annotations

from typing import Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field, ValidationError

from course_lib.safety.validation import MAX_TAIL_LINES
from course_lib.tools.kubectl_tools import KubectlTools
from course_lib.tools.runners import KubectlRunner
from course_lib.tools.settings import KubectlSettings

__all__ = ["TOOL_NAMES", "all_tools"]

TOOL_NAMES = ("list_pods", "get_pod_status", "describe_pod", "get_pod_logs", "get_events")

_NS = "Kubernetes namespace, e.g. 'shop' (lowercase letters, digits and '-')."
_POD = "Exact pod name as shown by list_pods, e.g. 'checkout-6d8f7b9c5d-q7x2m'."


class _Namespace(BaseModel):
    namespace: str = Field("default", description=_NS)


class _Pod(BaseModel):
    pod_name: str = Field(description=_POD)
    namespace: str = Field("default", description=_NS)


class _Logs(_Pod):
    container: str | None = Field(None, description="Container name; omit for the pod's main container.")
    previous: bool = Field(
        False, description="True for the previous (crashed) run's logs: use after restarts."
    )
    tail: int = Field(100, description=f"How many of the newest lines to return (1 to {MAX_TAIL_LINES}).")


class _Events(_Namespace):
    pod_name: str | None = Field(
        None, description="Only events about this pod; omit for the whole namespace."
    )


def _validation_message(err: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in err.errors())
    return f"Error: invalid tool arguments ({problems}). Nothing was run; fix the arguments and call again."


def all_tools(
    settings: KubectlSettings | None = None,
    *,
    runner: KubectlRunner | None = None,
    mode: Literal["subprocess", "in-process"] = "subprocess",
) -> list[BaseTool]:
    """The agent's five read-only kubectl tools, bound to one runner (the fake kubectl by default)."""
    ops = KubectlTools(settings, runner, mode)

    def make(func: object, name: str, schema: type[BaseModel], description: str) -> StructuredTool:
        return StructuredTool.from_function(
            func=func,  # type: ignore[arg-type]
            name=name,
            description=description,
            args_schema=schema,
            handle_validation_error=_validation_message,
        )

    return [
        make(
            ops.list_pods,
            "list_pods",
            _Namespace,
            "List the pods in a namespace with their READY count, STATUS, RESTARTS, AGE and NODE "
            "(kubectl get pods -o wide). Start here to find pod names and spot unhealthy pods.",
        ),
        make(
            ops.get_pod_status,
            "get_pod_status",
            _Pod,
            "Summarise one pod's status: phase, conditions, and for each container its current state "
            "(waiting/terminated reason and message), last terminated state with exit code, and restarts.",
        ),
        make(
            ops.describe_pod,
            "describe_pod",
            _Pod,
            "kubectl describe pod: full details of one pod, including container State / Last State "
            "(Reason, Exit Code), probes, resource limits, volumes, node, and the pod's recent events.",
        ),
        make(
            ops.get_pod_logs,
            "get_pod_logs",
            _Logs,
            "The newest log lines of a pod's container. Set previous=true to read the last crashed run "
            "(after restarts / CrashLoopBackOff). Containers that never started have no logs.",
        ),
        make(
            ops.get_events,
            "get_events",
            _Events,
            "Events in a namespace, oldest first (scheduling failures, image pulls, probe failures, "
            "kills, evictions); pass pod_name to see only that pod's events.",
        ),
    ]
