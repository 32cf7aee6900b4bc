"""The agent's five kubectl operations, as plain Python (LangChain wrapping lives elsewhere).

Each operation validates every argument first (a rejected value runs nothing), builds a fixed
read-only argv, runs it through a runner, and turns the typed result into text for the model:
kubectl's output capped by tokens, or a short message that says what failed and what to do
next. Transient failures are recognised but never retried here; with
``settings.raise_on_transient`` they raise ``KubectlTransientError`` so one retry layer can act.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from course_lib.fakes.cluster.render import pod_status_reason
from course_lib.safety.validation import (
    InvalidArgumentError,
    validate_container_name,
    validate_namespace,
    validate_pod_name,
    validate_previous,
    validate_tail,
)
from course_lib.tools.results import ErrorKind, KubectlError, KubectlResult
from course_lib.tools.runners import InProcessRunner, KubectlRunner, SubprocessRunner
from course_lib.tools.settings import KubectlSettings
from course_lib.tools.truncation import cap_output

__all__ = ["KubectlTools", "KubectlTransientError", "summarise_pod"]


class KubectlTransientError(RuntimeError):
    """A retryable kubectl failure, raised only when ``settings.raise_on_transient`` is set."""

    def __init__(self, message: str, result: KubectlResult) -> None:
        super().__init__(message)
        self.result = result


def _invalid(err: InvalidArgumentError) -> str:
    return f"Error: {err}. Nothing was run; call the tool again with a valid value."


def explain(error: KubectlError, *, pod: str | None, namespace: str, timeout_s: float) -> str:
    """A short message for the model: what failed, in kubectl's words where useful, and what to do."""
    kind, msg = error.kind, error.message
    if kind is ErrorKind.NOT_FOUND and pod:
        return f"Error: pod '{pod}' not found in namespace '{namespace}'. Use list_pods to see the pods that exist."
    if kind is ErrorKind.NOT_FOUND:
        return f"Error: not found: {msg}. Check the namespace with list_pods."
    if kind is ErrorKind.BAD_REQUEST:
        detail = msg.split("): ", 1)[-1].removeprefix("error: ")
        if "is waiting to start" in detail:
            hint = "The container has not started, so it has no logs yet; use describe_pod or get_events to see why."
        elif "previous terminated container" in detail:
            hint = "The container has not restarted, so there is no previous run; call get_pod_logs with previous=false."
        elif "is not valid for pod" in detail:
            hint = "Use describe_pod to see the pod's container names."
        else:
            hint = "Check the arguments."
        return f"Error: {detail}. {hint}"
    if kind is ErrorKind.FORBIDDEN:
        return (
            f"Error: permission denied (Forbidden): {msg.split('): ', 1)[-1].rstrip('.')}. Retrying will not help; "
            "use another tool or tell the user the agent lacks this permission."
        )
    if kind is ErrorKind.UNAUTHORIZED:
        return (
            "Error: kubectl is not authenticated to the cluster (Unauthorized): its credentials are missing "
            "or expired. Retrying will not help; tell the user."
        )
    if kind is ErrorKind.CONNECTION_REFUSED:
        return (
            "Error: cannot reach the Kubernetes API server (connection refused). This is often temporary; "
            "try again later, or report that the cluster is unreachable."
        )
    if kind is ErrorKind.TOO_MANY_REQUESTS:
        return "Error: the Kubernetes API server is rate limiting requests (TooManyRequests). Wait before retrying."
    if kind is ErrorKind.SERVER_ERROR:
        return f"Error: the Kubernetes API server failed: {msg}. This is usually temporary; try again once."
    if kind is ErrorKind.TIMEOUT:
        return (
            f"Error: kubectl did not answer within {timeout_s:g} s and was stopped. The cluster may be slow "
            "or unreachable; try once more, then report it."
        )
    if kind is ErrorKind.BINARY_MISSING:
        return f"Error: the kubectl executable is not available ({msg}). No tool can reach the cluster; tell the user."
    if kind is ErrorKind.CRASH:
        return f"Error: {msg}. This is a kubectl failure, not information about the cluster."
    if kind is ErrorKind.INVALID_OUTPUT:
        return f"Error: {msg}. The output may have been cut off; try again once."
    if kind is ErrorKind.USAGE:
        return f"Error: kubectl rejected the command: {msg}"
    return f"Error: kubectl failed: {msg}"


def _ts(value: Any) -> str:
    return str(value) if value else "-"


def _describe_state(state: dict[str, Any]) -> str:
    if state.get("running") is not None:
        return f"Running since {_ts(state['running'].get('startedAt'))}"
    if state.get("waiting") is not None:
        w = state["waiting"]
        text = f"Waiting, reason {w.get('reason', '?')}"
        return text + (f": {w['message']}" if w.get("message") else "")
    if state.get("terminated") is not None:
        t = state["terminated"]
        text = f"Terminated, reason {t.get('reason', '?')}, exit code {t.get('exitCode', '?')}"
        if t.get("signal"):
            text += f", signal {t['signal']}"
        text += f", finished {_ts(t.get('finishedAt'))}"
        return text + (f"; message: {t['message']}" if t.get("message") else "")
    return "Waiting (no state reported)"


def summarise_pod(pod: dict[str, Any]) -> str:
    """A compact, model-friendly status of a pod from its API object (``kubectl get pod -o json``)."""
    meta, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
    shown, restarts, _, ready = pod_status_reason(pod)
    total = len(spec.get("containers") or [])
    lines = [
        f"Pod {meta['namespace']}/{meta['name']}",
        f"  Status: {shown} (phase {status.get('phase', '?')}), {ready}/{total} containers ready, {restarts} restarts",
        f"  Node: {spec.get('nodeName') or '<none> (not scheduled)'}   Pod IP: {status.get('podIP') or '<none>'}"
        f"   Created: {_ts(meta.get('creationTimestamp'))}",
    ]
    if meta.get("deletionTimestamp"):
        lines.append(f"  Being deleted since {meta['deletionTimestamp']}")
    if status.get("reason") or status.get("message"):
        lines.append(f"  Pod reason: {status.get('reason', '-')}: {status.get('message', '')}".rstrip(": "))
    conds = []
    for c in status.get("conditions") or []:
        text = f"{c.get('type')}={c.get('status')}"
        if c.get("status") != "True" and (c.get("reason") or c.get("message")):
            text += f" ({c.get('reason', '')}: {c.get('message', '')})".replace(" (: ", " (")
        conds.append(text)
    if conds:
        lines.append("  Conditions: " + "; ".join(conds))
    for title, key, skey in (
        ("Init containers", "initContainers", "initContainerStatuses"),
        ("Containers", "containers", "containerStatuses"),
    ):
        specs = spec.get(key) or []
        if not specs:
            continue
        statuses = {s["name"]: s for s in status.get(skey) or []}
        lines.append(f"{title}:")
        for c in specs:
            s = statuses.get(c["name"])
            lines.append(f"  {c['name']} (image {c.get('image', '?')})")
            if s is None:
                lines.append("    no status yet (the pod has not been scheduled or started)")
                continue
            lines.append(f"    state: {_describe_state(s.get('state') or {})}")
            last = s.get("lastState") or {}
            if last:
                lines.append(f"    last state: {_describe_state(last)}")
            lines.append(
                f"    ready: {str(bool(s.get('ready'))).lower()}, restarts: {s.get('restartCount', 0)}"
            )
    return "\n".join(lines) + "\n"


class KubectlTools:
    """The five read-only operations. Returns text for a model; ``run`` gives typed results."""

    def __init__(
        self,
        settings: KubectlSettings | None = None,
        runner: KubectlRunner | None = None,
        mode: Literal["subprocess", "in-process"] = "subprocess",
    ) -> None:
        if runner is not None:
            self.runner = runner
        elif mode == "in-process":
            self.runner = InProcessRunner(settings)
        elif mode == "subprocess":
            self.runner = SubprocessRunner(settings)
        else:
            raise ValueError(f"mode must be 'subprocess' or 'in-process', got {mode!r}")
        self.settings = self.runner.settings
        self.results: list[KubectlResult] = []

    def run(self, args: Sequence[str]) -> KubectlResult:
        """Run one read-only kubectl command and remember its typed result (see ``results``)."""
        result = self.runner.run(args)
        self.results.append(result)
        return result

    def _finish(self, result: KubectlResult, *, pod: str | None, namespace: str) -> str | None:
        """The message for a failed result (raising if configured), or None when it succeeded."""
        if result.error is None:
            return None
        text = explain(result.error, pod=pod, namespace=namespace, timeout_s=self.settings.timeout_s)
        if result.error.retryable and self.settings.raise_on_transient:
            raise KubectlTransientError(text, result)
        return text

    def _cap(self, text: str, keep: Literal["head", "tail"]) -> str:
        return cap_output(text, self.settings.max_output_tokens, keep)

    def list_pods(self, namespace: str = "default") -> str:
        try:
            ns = validate_namespace(namespace)
        except InvalidArgumentError as err:
            return _invalid(err)
        result = self.run(["get", "pods", "-n", ns, "-o", "wide"])
        if (failure := self._finish(result, pod=None, namespace=ns)) is not None:
            return failure
        if not result.stdout.strip():
            return (
                f"{result.stderr.strip() or f'No resources found in {ns} namespace.'} Check the namespace "
                "name (namespaces that do not exist also give this answer)."
            )
        return self._cap(result.stdout, "head")

    def get_pod_status(self, pod_name: str, namespace: str = "default") -> str:
        try:
            pod, ns = validate_pod_name(pod_name), validate_namespace(namespace)
        except InvalidArgumentError as err:
            return _invalid(err)
        result = self.run(["get", "pod", pod, "-n", ns, "-o", "json"])
        if (failure := self._finish(result, pod=pod, namespace=ns)) is not None:
            return failure
        try:
            obj = json.loads(result.stdout)
            text = summarise_pod(obj)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            bad = KubectlResult(
                result.argv,
                result.exit_code,
                result.stdout,
                result.stderr,
                result.duration_s,
                KubectlError(
                    ErrorKind.INVALID_OUTPUT,
                    f"kubectl returned output that is not a valid pod object ({err})",
                ),
                result.call_index,
            )
            self.results[-1] = bad
            return self._finish(bad, pod=pod, namespace=ns) or ""
        return self._cap(text, "head")

    def describe_pod(self, pod_name: str, namespace: str = "default") -> str:
        try:
            pod, ns = validate_pod_name(pod_name), validate_namespace(namespace)
        except InvalidArgumentError as err:
            return _invalid(err)
        result = self.run(["describe", "pod", pod, "-n", ns])
        if (failure := self._finish(result, pod=pod, namespace=ns)) is not None:
            return failure
        return self._cap(result.stdout, "head")

    def get_pod_logs(
        self,
        pod_name: str,
        namespace: str = "default",
        container: str | None = None,
        previous: bool = False,
        tail: int = 100,
    ) -> str:
        try:
            pod, ns = validate_pod_name(pod_name), validate_namespace(namespace)
            cont = None if container is None else validate_container_name(container)
            prev, lines = validate_previous(previous), validate_tail(tail)
        except InvalidArgumentError as err:
            return _invalid(err)
        args = ["logs", pod, "-n", ns, f"--tail={lines}"]
        if cont is not None:
            args += ["-c", cont]
        if prev:
            args.append("--previous")
        result = self.run(args)
        if (failure := self._finish(result, pod=pod, namespace=ns)) is not None:
            return failure
        note = "".join(
            f"({line.strip()})\n" for line in result.stderr.splitlines() if line.startswith("Defaulted")
        )
        if not result.stdout.strip():
            which = "previous run of the container" if prev else "container"
            return note + f"(no log output: the {which} wrote nothing to stdout/stderr, or has not run yet)"
        return note + self._cap(result.stdout, "tail")

    def get_events(self, namespace: str = "default", pod_name: str | None = None) -> str:
        try:
            ns = validate_namespace(namespace)
            pod = None if pod_name is None else validate_pod_name(pod_name)
        except InvalidArgumentError as err:
            return _invalid(err)
        args = ["get", "events", "-n", ns, "--sort-by=.lastTimestamp"]
        if pod is not None:
            args.append(f"--field-selector=involvedObject.name={pod}")
        result = self.run(args)
        if (failure := self._finish(result, pod=None, namespace=ns)) is not None:
            return failure
        if not result.stdout.strip():
            target = f" for pod '{pod}'" if pod else ""
            return (
                f"No events found in namespace '{ns}'{target}. Events expire after about an hour, so this "
                "does not prove that nothing happened."
            )
        return self._cap(result.stdout, "tail")
