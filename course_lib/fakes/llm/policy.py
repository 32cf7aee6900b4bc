"""The deterministic "model": reads the conversation, picks the next kubectl tool, then diagnoses.

It behaves like a careful engineer with kubectl, and like a decent tool-calling model:
list the namespace's pods, describe the suspect, read the previous run's logs when the container
crashed, fetch events when describe had none, then name the root cause in plain words with the
evidence quoted. It decides from tool output only (never from a scenario's answer key), and
from the transcript only, so it is a pure function: the same conversation gets the same turn.

Faults in tool results are met the way a model meets them: a result starting with ``Error`` is
retried (up to ``max_attempts`` calls with the same arguments), then worked around; a message
telling it to stop calling tools makes it answer with what it has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from course_lib.fakes.llm.completion import Answer, CallTool, Decision
from course_lib.fakes.llm.kubectl_text import (
    ContainerState,
    EventLine,
    PodDescription,
    PodRow,
    error_line,
    parse_describe,
    parse_events,
    parse_pod_table,
)
from course_lib.fakes.llm.transcript import Transcript

__all__ = ["DiagnosisPolicy", "Policy", "diagnose", "question_namespace", "question_pod"]

_NAME = r"[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?"
_NAMESPACE_PATTERNS = (
    re.compile(rf"\bnamespace[:\s]+[\"'`]?({_NAME})", re.IGNORECASE),
    re.compile(rf"\bin (?:the )?[\"'`]?({_NAME})[\"'`]? namespace", re.IGNORECASE),
    re.compile(rf"(?:^|\s)(?:-n|--namespace)[ =]({_NAME})"),
)
_STOPWORDS = {
    "a",
    "an",
    "the",
    "my",
    "this",
    "that",
    "our",
    "your",
    "its",
    "in",
    "is",
    "of",
    "for",
    "every",
    "any",
    "healthy",
    "running",
    "failing",
    "ok",
    "okay",
    "stuck",
    "not",
    "keeps",
    "crashing",
    "pending",
    "still",
    "and",
}
_POD_PATTERNS = (
    re.compile(rf"\bpod (?:named|called) [\"'`]?({_NAME})", re.IGNORECASE),
    re.compile(rf"[\"'`]?({_NAME})[\"'`]? pod\b", re.IGNORECASE),
    re.compile(rf"\bpod [\"'`]?({_NAME})", re.IGNORECASE),
    re.compile(
        rf"\bthe [\"'`]?({_NAME})[\"'`]? (?:in|of) (?:the )?(?:namespace|{_NAME} namespace)", re.IGNORECASE
    ),
)
_SERVICE_GONE = re.compile(
    r"(?:no servers available for service|does not contain an instance for the service|no instance of service)"
    r"[:\s'\"]*([a-z0-9][-a-z0-9]*)",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(r"error|fail|503|500|not serving|timeout|slow|refus|broken", re.IGNORECASE)
_TRANSIENT = re.compile(
    r"timed? ?out|timeout|refused|unable to connect|try again|temporar|unavailable|internalerror"
    r"|\b50[0234]\b|tls handshake|too many requests|\b429\b|reset by peer|eof",
    re.IGNORECASE,
)
_STOP_PHRASES = ("do not make additional tool calls", "do not retry this tool", "tool call limit")
_FAILURE_PREFIXES = ("error", "tool call limit", "refusing", "failed")
NO_TOOLS_ANSWER = (
    "I cannot investigate without kubectl tools (list_pods, describe_pod, get_pod_logs, get_events): "
    "none are available to me, so I cannot tell why the pod is failing."
)


class Policy(Protocol):
    """Anything that turns a transcript into the model's next move."""

    def decide(self, transcript: Transcript) -> Decision: ...


def question_namespace(question: str) -> str:
    """The namespace the question names, or ``default``."""
    for pattern in _NAMESPACE_PATTERNS:
        match = pattern.search(question)
        if match and match[1].lower() not in _STOPWORDS:
            return match[1].lower()
    return "default"


def question_pod(question: str) -> str | None:
    """The pod (or name prefix) the question is about, if it names one."""
    for pattern in _POD_PATTERNS:
        for match in pattern.finditer(question):
            if match[1].lower() not in _STOPWORDS and match[1].lower() != "namespace":
                return match[1].lower()
    return None


def is_failure(result: str) -> bool:
    """True for a tool result that carries no data: an error, a refusal, a limit message."""
    head = result.strip().lower()
    return head.startswith(_FAILURE_PREFIXES) or "please fix your mistakes" in head


def _must_stop(transcript: Transcript) -> bool:
    return any(
        step.result and any(p in step.result.lower() for p in _STOP_PHRASES) for step in transcript.steps
    )


@dataclass(frozen=True, slots=True)
class _Knowledge:
    """What the tool results have established so far."""

    pods: list[PodRow] | None  # None: the pod list was not obtained
    description: PodDescription | None
    describe_text: str | None
    logs: str | None
    events: list[EventLine] | None


class DiagnosisPolicy:
    """Investigate one pod with the course's five kubectl tools, then diagnose it."""

    def __init__(self, max_attempts: int = 3, log_tail: int = 50) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts!r}")
        if log_tail < 1:
            raise ValueError(f"log_tail must be >= 1, got {log_tail!r}")
        self.max_attempts = max_attempts
        self.log_tail = log_tail

    def __repr__(self) -> str:
        return f"DiagnosisPolicy(max_attempts={self.max_attempts}, log_tail={self.log_tail})"

    # --- reading the transcript ---------------------------------------------------------------
    def _result(self, transcript: Transcript, name: str, args: Mapping[str, Any]) -> str | None:
        """The first usable result of this exact call, or None."""
        for result in transcript.results_for(name, **args):
            if not is_failure(result):
                return result
        return None

    def _exhausted(self, transcript: Transcript, name: str, args: Mapping[str, Any]) -> bool:
        """True once a call failed ``max_attempts`` times, or once with a permanent error (NotFound...)."""
        results = [
            step.result
            for step in transcript.steps
            if step.call.name == name and step.call.args is not None and dict(step.call.args) == dict(args)
        ]
        permanent = any(r is not None and is_failure(r) and not _TRANSIENT.search(r) for r in results)
        return permanent or len(results) >= self.max_attempts

    def _available(self, transcript: Transcript, name: str) -> bool:
        return transcript.tools is not None and name in transcript.tools

    # --- deciding -----------------------------------------------------------------------------
    def decide(self, transcript: Transcript) -> Decision:
        """The next tool call, or the final answer once the evidence is in (or cannot be had)."""
        namespace = question_namespace(transcript.question)
        hint = question_pod(transcript.question)
        if not transcript.tools and not transcript.steps:
            return Answer(NO_TOOLS_ANSWER)
        stop = _must_stop(transcript)
        plan: list[tuple[str, dict[str, Any]]] = [("list_pods", {"namespace": namespace})]
        pods_text = self._result(transcript, *plan[0])
        pods = parse_pod_table(pods_text) if pods_text is not None else None
        target = _pick_pod(pods, hint)
        if target is None and pods is not None:
            return Answer(_no_target_answer(pods, namespace, hint))
        describe_text = logs = events_text = job_events_text = None
        if target is not None:
            describe_args = {"pod_name": target, "namespace": namespace}
            plan.append(("describe_pod", describe_args))
            describe_text = self._result(transcript, "describe_pod", describe_args)
            description = parse_describe(describe_text) if describe_text is not None else None
            if description is None or (not description.events and _needs_events(description, pods, target)):
                events_args: dict[str, Any] = {"namespace": namespace, "pod_name": target}
                plan.append(("get_events", events_args))
                events_text = self._result(transcript, "get_events", events_args)
            if description is not None and (description.controlled_by or "").startswith("Job/"):
                plan.append(("get_events", {"namespace": namespace}))
                job_events_text = self._result(transcript, "get_events", {"namespace": namespace})
            wants_logs = description is not None and _complaint_about_healthy(
                description, transcript.question
            )
            for logs_args in _log_requests(description, target, namespace, self.log_tail, wants_logs):
                plan.append(("get_pod_logs", logs_args))
                logs = self._result(transcript, "get_pod_logs", logs_args)
                if logs is not None or not self._exhausted(transcript, "get_pod_logs", logs_args):
                    break  # the next alternative only once this one has been given up
        if not stop:
            for name, args in plan:
                if not self._available(transcript, name):
                    continue
                if self._result(transcript, name, args) is None and not self._exhausted(
                    transcript, name, args
                ):
                    return CallTool(name, args)
        knowledge = _Knowledge(
            pods=pods,
            description=parse_describe(describe_text) if describe_text is not None else None,
            describe_text=describe_text,
            logs=logs,
            events=(parse_events(events_text) if events_text is not None else [])
            + (parse_events(job_events_text) if job_events_text is not None else [])
            if events_text is not None or job_events_text is not None
            else None,
        )
        return Answer(diagnose(target or hint, namespace, knowledge))


def _pick_pod(pods: list[PodRow] | None, hint: str | None) -> str | None:
    """The pod to investigate: the one the question names (the unhealthiest match), else the sickest."""
    if pods is None:
        return hint
    candidates = pods
    if hint is not None:
        exact = [p for p in pods if p.name == hint]
        candidates = exact or [p for p in pods if p.name.startswith(hint + "-") or p.name.startswith(hint)]
        if not candidates:
            return _pick_pod(pods, None)  # the question's word was not a pod name after all
    sick = [p for p in candidates if not p.healthy]
    if sick:
        return max(sick, key=lambda p: (p.status not in {"Running", "Completed"}, p.restarts)).name
    if hint is not None:
        return candidates[0].name
    return None


def _no_target_answer(pods: list[PodRow], namespace: str, hint: str | None) -> str:
    if hint is not None and pods and not any(p.name.startswith(hint) for p in pods):
        names = ", ".join(p.name for p in pods)
        return (
            f"No problem found, and no pod is named like {hint!r} in namespace {namespace}: "
            f"all pods there ({names}) are Running and Ready with no restarts. Nothing to fix."
        )
    if not pods:
        return f"No pods are running in namespace {namespace}: there is nothing to diagnose."
    return (
        f"No problem found: all {len(pods)} pods in namespace {namespace} are Running and Ready "
        "with no restarts. The workload is healthy; nothing to fix."
    )


def _needs_events(description: PodDescription, pods: list[PodRow] | None, target: str) -> bool:
    """Events are worth fetching when describe shows a problem but no events explain it."""
    row = next((p for p in pods or () if p.name == target), None)
    unhealthy_row = row is not None and not row.healthy
    waiting = any(s.state == "Waiting" for s in description.states)
    return unhealthy_row or waiting or description.status == "Pending" or description.ready is False


def _running_fine(description: PodDescription) -> bool:
    current = [st for st in description.states if st.kind == "State" and not st.init]
    return bool(current) and all(st.state == "Running" for st in current) and description.ready is not False


def _failing(description: PodDescription) -> ContainerState | None:
    """The state block of the container that failed (init containers first), if one did."""
    if _running_fine(description) or description.reason == "Evicted":
        return None
    if any(st.reason == "OOMKilled" for st in description.states):
        return None  # its logs just stop mid-run: describe says it all
    for st in sorted(description.states, key=lambda st: not st.init):
        if (st.state == "Terminated" and (st.exit_code or 0) != 0) or st.reason in {
            "CrashLoopBackOff",
            "Error",
        }:
            return st
    return None


def _complaint_about_healthy(description: PodDescription, question: str) -> bool:
    probes = any("probe failed" in e.message for e in description.events)
    return probes or (_running_fine(description) and bool(_COMPLAINT.search(question)))


def _log_requests(
    description: PodDescription | None, pod: str, namespace: str, tail: int, wants_logs: bool
) -> list[dict[str, Any]]:
    """Which logs to read, best first: the failed run (--previous) of the failing container, else now."""
    if description is None:
        return []
    failing = _failing(description)
    if failing is None:
        return [{"pod_name": pod, "namespace": namespace, "tail": tail}] if wants_logs else []
    base: dict[str, Any] = {"pod_name": pod, "namespace": namespace}
    if failing.init:
        base["container"] = failing.container
    restarted = any(
        st.kind == "Last State" and st.state == "Terminated" and st.container == failing.container
        for st in description.states
    )
    current = {**base, "tail": tail}
    return [{**base, "previous": True, "tail": tail}, current] if restarted else [current]


# --- wording the diagnosis ------------------------------------------------------------------------
def _events(knowledge: _Knowledge) -> list[EventLine]:
    events = list(knowledge.description.events) if knowledge.description else []
    return events + list(knowledge.events or [])


def _event(knowledge: _Knowledge, *needles: str) -> EventLine | None:
    for event in _events(knowledge):
        if any(n.lower() in (event.reason + " " + event.message).lower() for n in needles):
            return event
    return None


def _state(description: PodDescription, *reasons: str) -> ContainerState | None:
    return next((s for s in description.states if s.reason in reasons), None)


def _scheduling(event: EventLine) -> str:
    text = event.message
    resources = [r.rstrip(".") for r in re.findall(r"Insufficient ([\w./-]+)", text)]
    if resources:
        what = " and ".join(dict.fromkeys(resources))
        return (
            f"Pending (FailedScheduling): no node has enough free {what} for the pod's resource requests "
            f"(Insufficient {what}), so the scheduler cannot place it. Lower the requests or add capacity."
        )
    if "unbound" in text and "PersistentVolumeClaim" in text:
        return (
            "Pending (FailedScheduling): the pod's PersistentVolumeClaim is unbound, so it cannot be "
            "scheduled. Check the PVC and its StorageClass (provisioning failed or no matching volume)."
        )
    if "affinity" in text or "selector" in text:
        return (
            "Pending (FailedScheduling): no node matches the pod's node selector / node affinity, so "
            "the scheduler cannot place it. Fix the nodeSelector or label a node."
        )
    if "taint" in text:
        return (
            "Pending (FailedScheduling): every node has a taint the pod does not tolerate (untolerated "
            "taint). Add a toleration or schedule onto untainted nodes."
        )
    return "Pending (FailedScheduling): the scheduler cannot place the pod."


def diagnose(pod: str | None, namespace: str, knowledge: _Knowledge) -> str:
    """The final answer: the root cause in plain words, then the evidence it rests on."""
    subject = f"Pod {pod} in namespace {namespace}" if pod else f"The pod in namespace {namespace}"
    d = knowledge.description
    if d is None and knowledge.events is None:
        if knowledge.pods is None:
            return (
                f"I could not diagnose the problem: kubectl did not return the pod list for namespace "
                f"{namespace} (every attempt failed). Check cluster access and try again."
            )
        row = next((p for p in knowledge.pods if p.name == pod), None)
        status = f" Its status is {row.status} ({row.ready} ready, {row.restarts} restarts)." if row else ""
        return f"I could not finish the diagnosis: describing {pod} failed every time.{status}"
    d = d or PodDescription()
    evidence: list[str] = []
    headline = _headline(d, knowledge, evidence)
    quoted = " ".join(f"Evidence: {line}" for line in dict.fromkeys(evidence) if line)
    return f"{headline}\n{subject}. {quoted}".strip()


def _headline(d: PodDescription, knowledge: _Knowledge, evidence: list[str]) -> str:
    """The root-cause sentence, most specific rule first; appends the supporting lines to evidence."""
    if d.reason == "Evicted" or (d.status == "Failed" and d.message and "low on resource" in d.message):
        resource = re.search(r"low on resource: ([\w-]+)", d.message or "")
        evidence.append(d.message or "")
        what = resource[1] if resource else "a resource"
        return f"Evicted: the kubelet evicted the pod because the node was low on {what} (node pressure)."
    oom = _state(d, "OOMKilled")
    if oom is not None:
        limit = f" of {d.memory_limit}" if d.memory_limit else ""
        evidence.append(f"Last State: Terminated, Reason: OOMKilled, Exit Code: {oom.exit_code or 137}")
        return (
            f"OOMKilled: the container exceeded its memory limit{limit} and was killed by the kernel "
            f"(exit code {oom.exit_code or 137}), so it keeps restarting (CrashLoopBackOff). "
            "Raise the memory limit or reduce the app's memory use."
        )
    pull = _state(d, "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
    pull_event = _event(knowledge, "Failed to pull image", "ErrImagePull", "ImagePullBackOff")
    if pull is not None or pull_event is not None:
        failed = _event(knowledge, "Failed to pull image")
        image = re.search(r'image "([^"]+)"', failed.message) if failed else None
        name = image[1] if image else (d.images[0] if d.images else "the image")
        why = "cannot be pulled"
        if failed is not None:
            evidence.append(failed.message)
            lowered = failed.message.lower()
            if "not found" in lowered or "manifest unknown" in lowered:
                why = "cannot be pulled: the image or tag does not exist (not found)"
            elif "denied" in lowered or "unauthorized" in lowered or "authorization" in lowered:
                why = "cannot be pulled: pull access denied (missing registry credentials or no such repository)"
        reason = pull.reason if pull is not None else "ImagePullBackOff"
        return f"{reason}: the image {name} {why}. Fix the image name/tag or the registry credentials."
    config = _state(d, "CreateContainerConfigError")
    config_event = _event(knowledge, "configmap", "secret", "couldn't find key")
    if config is not None and config_event is not None:
        evidence.append(config_event.message)
        missing = config_event.message.removeprefix("Error: ")
        kind = "Secret" if "secret" in missing.lower() else "ConfigMap"
        return (
            f"CreateContainerConfigError: the container references a {kind} that does not exist "
            f"({missing}). Create the missing {kind} (or key) or fix the reference."
        )
    mount = _event(knowledge, "FailedMount")
    if mount is not None:
        evidence.append(mount.message)
        return (
            "Stuck in ContainerCreating (FailedMount): a volume cannot be mounted. "
            f"{mount.message.split(':', 1)[-1].strip()}. Create the missing object or fix the volume."
        )
    scheduling = _event(knowledge, "FailedScheduling")
    if scheduling is not None:
        evidence.append(scheduling.message)
        return _scheduling(scheduling)
    not_ready = _event(knowledge, "NodeNotReady", "Node is not ready")
    if not_ready is not None:
        evidence.append(not_ready.message)
        node = f" {d.node}" if d.node and d.node != "<none>" else ""
        return f"Node NotReady: the node{node} running the pod is not ready, so its pods are not running."
    line = error_line(knowledge.logs) if knowledge.logs else None
    said = f" The application's log says: {line.rstrip('.')}." if line else ""
    if line:
        evidence.append(f"log: {line}")
    liveness = _event(knowledge, "Liveness probe failed")
    if liveness is not None:
        evidence.append(liveness.message)
        return (
            "Liveness probe failing: the kubelet kills and restarts the container because its liveness "
            f"probe fails ({d.liveness or 'see the probe settings'}).{said} "
            "Fix the probe path/port or the app's health endpoint."
        )
    readiness = _event(knowledge, "Readiness probe failed")
    if readiness is not None:
        evidence.append(readiness.message)
        return (
            "Readiness probe failing: the container runs but is not Ready, so the Service sends it no "
            f"traffic ({d.readiness or 'see the probe settings'}).{said} Fix what the readiness check depends on."
        )
    start_error = _state(d, "StartError", "ContainerCannotRun", "RunContainerError")
    if start_error is not None:
        evidence.append(start_error.message or "")
        return (
            f"{start_error.reason}: the container's command cannot start (exit code {start_error.exit_code}); "
            "the executable or entrypoint is wrong. Fix the command or the image."
        )
    failing = _failing(d)
    if failing is not None:
        code = next(
            (
                st.exit_code
                for st in d.states
                if st.container == failing.container and st.exit_code is not None
            ),
            None,
        )
        exit_text = f" with exit code {code}" if code is not None else ""
        if failing.init:
            return (
                f"Init container {failing.container} fails{exit_text}, so the pod is stuck in "
                f"Init:CrashLoopBackOff and the main container never starts.{said} Fix what the init step needs."
            )
        if failing.kind == "State" and failing.state == "Terminated":
            backoff = _event(knowledge, "BackoffLimitExceeded")
            job = ""
            if backoff is not None:
                evidence.append(backoff.message)
                job = " After repeated failures the Job reached its backoff limit (BackoffLimitExceeded) and failed."
            return f"The container failed{exit_text} (reason {failing.reason or 'Error'}).{said}{job} Fix the program."
        return (
            f"CrashLoopBackOff: the application crashes on start{exit_text} and Kubernetes keeps restarting it "
            f"with back-off.{said} Fix the application error (configuration or code)."
        )
    missing = _SERVICE_GONE.search(knowledge.logs or "")
    if missing is not None:
        service = missing[1]
        return (
            f"The pod is Running and Ready, but its calls to the {service} Service fail: the Service has no "
            f"endpoints (no instance of {service} is registered) although {service} pods are running. "
            f"The Service's selector does not match the {service} pods' labels; fix the selector or the labels."
        )
    if d.status == "Pending":
        return "Pending: the pod has not been scheduled or started, and no event explains why yet."
    if d.status == "Running" and d.ready is not False and not any(s.state == "Waiting" for s in d.states):
        return (
            f"No problem found: the pod is Running and Ready with {d.restarts} restarts. "
            "It is healthy; nothing to fix."
        )
    return f"I could not pin down the root cause. Pod status: {d.status or 'unknown'}."
