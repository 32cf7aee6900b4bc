"""A scenario: one small cluster frozen at one moment, plus the answer key.

Pods and events are stored as the Kubernetes API would return them (``v1.Pod``/``v1.Event``
dicts, camelCase keys), so the fake kubectl renders them the way kubectl renders API objects and
the loopback API server can serve them unchanged. Logs live beside the objects, keyed by pod and
container, because the API has no object for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "ContainerLogs",
    "Diagnosis",
    "KubeObject",
    "Scenario",
    "ScenarioError",
    "UnknownScenarioError",
    "grade",
]

KubeObject = dict[str, Any]


class ScenarioError(ValueError):
    """A scenario file that cannot be loaded; the message names the file and the field."""


class UnknownScenarioError(ScenarioError, LookupError):
    """A scenario name that does not exist; the message lists the valid names."""


@dataclass(frozen=True, slots=True)
class ContainerLogs:
    """What the kubelet holds for one container: this run's output and the previous run's."""

    current: str | None = None  # None: the container never produced a log file
    previous: str | None = None
    error: str | None = None  # a fixed server-side error for any logs request (e.g. node gone)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The answer key: the root cause in words, and keyword groups that a good answer mentions.

    ``keywords`` is a list of groups; an answer passes when, for every group, at least one of
    the group's alternatives appears in it (case-insensitive).
    """

    root_cause: str
    keywords: tuple[tuple[str, ...], ...]

    def matches(self, answer: str) -> bool:
        text = _normalise(answer)
        return all(any(_normalise(alt) in text for alt in group) for group in self.keywords)

    def missing(self, answer: str) -> list[tuple[str, ...]]:
        """The keyword groups the answer does not cover (for feedback in exercises)."""
        text = _normalise(answer)
        return [g for g in self.keywords if not any(_normalise(alt) in text for alt in g)]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold())


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded scenario. ``pods`` and ``events`` are API objects; treat them as read-only."""

    name: str
    title: str
    description: str
    namespace: str
    question: str
    now: datetime
    pods: tuple[KubeObject, ...]
    events: tuple[KubeObject, ...]
    logs: Mapping[tuple[str, str, str], ContainerLogs]  # (namespace, pod, container) -> logs
    diagnosis: Diagnosis
    healthy: bool = False
    source: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def root_cause(self) -> str:
        return self.diagnosis.root_cause

    @property
    def keywords(self) -> tuple[tuple[str, ...], ...]:
        return self.diagnosis.keywords

    @property
    def namespaces(self) -> list[str]:
        return sorted({p["metadata"]["namespace"] for p in self.pods} | {self.namespace})

    def pods_in(self, namespace: str | None) -> list[KubeObject]:
        """Pods of one namespace (all namespaces for None), in name order as the API lists them."""
        pods = [p for p in self.pods if namespace is None or p["metadata"]["namespace"] == namespace]
        return sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))

    def pod(self, name: str, namespace: str) -> KubeObject | None:
        for p in self.pods:
            if p["metadata"]["name"] == name and p["metadata"]["namespace"] == namespace:
                return p
        return None

    def events_in(self, namespace: str | None) -> list[KubeObject]:
        events = [e for e in self.events if namespace is None or e["metadata"]["namespace"] == namespace]
        return sorted(events, key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]))

    def container_logs(self, namespace: str, pod: str, container: str) -> ContainerLogs:
        return self.logs.get((namespace, pod, container), ContainerLogs())

    def grade(self, answer_text: str) -> bool:
        """True when the answer names the root cause (every keyword group is covered)."""
        return self.diagnosis.matches(answer_text)


def grade(scenario: Scenario, text: str) -> bool:
    """Module-level form of ``Scenario.grade``."""
    return scenario.grade(text)


def keyword_groups(raw: object, where: str) -> tuple[tuple[str, ...], ...]:
    """Validate the ``keywords`` field: a list whose items are strings or lists of strings."""
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise ScenarioError(f"{where}: diagnosis.keywords must be a non-empty list")
    groups: list[tuple[str, ...]] = []
    for item in raw:
        group = (item,) if isinstance(item, str) else tuple(item) if isinstance(item, Sequence) else ()
        if not group or not all(isinstance(k, str) and k.strip() for k in group):
            raise ScenarioError(f"{where}: each keyword group must be a string or a list of strings")
        groups.append(group)
    return tuple(groups)
