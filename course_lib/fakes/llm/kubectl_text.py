"""Read kubectl's human output (``get pods``, ``describe pod``, ``get events``, logs) into facts.

The diagnosis policy sees only what a real model would: tool output text. These parsers are
tolerant on purpose: a column they cannot read is skipped, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ContainerState",
    "EventLine",
    "PodDescription",
    "PodRow",
    "error_line",
    "parse_describe",
    "parse_events",
    "parse_pod_table",
]

_COLUMNS = re.compile(r"\s{2,}")
_CONTAINER = re.compile(r"^  ([a-z0-9][-a-z0-9.]*):\s*$")
_STATE = re.compile(r"^(\s*)(State|Last State):\s+(\S+)")
_MEMORY = re.compile(r"^\s+memory:\s+(\S+)")
_FIELD = re.compile(r"^(\s*)([A-Z][A-Za-z ]*?):\s*(.*)$")
_ERRORISH = re.compile(
    r"error|exception|fatal|panic|fail|refused|denied|not found|undefined|invalid|cannot|can't|unable|killed|missing",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PodRow:
    """One row of ``kubectl get pods``."""

    name: str
    ready: str
    status: str
    restarts: int

    @property
    def healthy(self) -> bool:
        ready, _, total = self.ready.partition("/")
        return self.status in {"Running", "Completed"} and ready == total and self.restarts == 0


@dataclass(frozen=True, slots=True)
class EventLine:
    """One event: from the Events section of ``describe`` or from ``get events``."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class ContainerState:
    """A container's ``State`` or ``Last State`` block."""

    kind: str  # "State" or "Last State"
    state: str  # Waiting / Running / Terminated
    container: str = ""
    init: bool = False  # an init container's state
    reason: str | None = None
    exit_code: int | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class PodDescription:
    """The facts of ``kubectl describe pod`` that a diagnosis needs."""

    status: str | None = None
    reason: str | None = None  # pod-level reason (e.g. Evicted)
    message: str | None = None  # pod-level message
    node: str | None = None
    states: tuple[ContainerState, ...] = ()
    memory_limit: str | None = None
    images: tuple[str, ...] = ()
    events: tuple[EventLine, ...] = ()
    ready: bool | None = None
    liveness: str | None = None
    readiness: str | None = None
    restarts: int = 0
    controlled_by: str | None = None  # e.g. "Job/nightly-export-28969830"


def parse_pod_table(text: str) -> list[PodRow]:
    """Rows of ``kubectl get pods`` (empty for "No resources found ...")."""
    lines = [line for line in text.splitlines() if line.strip()]
    header_at = next((i for i, line in enumerate(lines) if line.startswith("NAME")), None)
    if header_at is None:
        return []
    header = _COLUMNS.split(lines[header_at].strip())
    rows: list[PodRow] = []
    for line in lines[header_at + 1 :]:
        cells = dict(zip(header, _COLUMNS.split(line.strip()), strict=False))
        if "NAME" not in cells or "STATUS" not in cells:
            continue
        restarts = re.match(r"\d+", cells.get("RESTARTS", "0"))
        rows.append(
            PodRow(
                cells["NAME"], cells.get("READY", "?/?"), cells["STATUS"], int(restarts[0]) if restarts else 0
            )
        )
    return rows


def _event_rows(lines: list[str]) -> list[EventLine]:
    if not lines:
        return []
    header = _COLUMNS.split(lines[0].strip())
    events: list[EventLine] = []
    for line in lines[1:]:
        if set(line.strip()) <= {"-", " "}:
            continue  # the ----  ------ underline of describe's Events table
        cells = _COLUMNS.split(line.strip(), maxsplit=len(header) - 1)
        row = dict(zip(header, cells, strict=False))
        if "REASON" in row or "Reason" in row:
            events.append(
                EventLine(
                    type=row.get("TYPE", row.get("Type", "")),
                    reason=row.get("REASON", row.get("Reason", "")),
                    message=row.get("MESSAGE", row.get("Message", "")),
                )
            )
    return events


def parse_events(text: str) -> list[EventLine]:
    """Rows of ``kubectl get events`` (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE)."""
    lines = [line for line in text.splitlines() if line.strip()]
    header_at = next((i for i, line in enumerate(lines) if "REASON" in line and "MESSAGE" in line), None)
    return [] if header_at is None else _event_rows(lines[header_at:])


def parse_describe(text: str) -> PodDescription:
    """Facts from ``kubectl describe pod`` output."""
    lines = text.splitlines()
    top: dict[str, str] = {}
    states: list[ContainerState] = []
    current: dict[str, object] | None = None
    current_indent = 0
    memory_limit = liveness = readiness = None
    images: list[str] = []
    ready: bool | None = None
    restarts = 0
    in_limits = False
    init, container = False, ""
    events: list[EventLine] = []
    for position, line in enumerate(lines):
        if line.startswith("Events:"):
            rest = [row for row in lines[position + 1 :] if row.strip()]
            events = _event_rows(rest) if rest and "Reason" in rest[0] else []
            break
        if line.startswith(("Init Containers:", "Containers:")):
            init, container = line.startswith("Init"), ""
            continue
        named = _CONTAINER.match(line)
        if named:
            container = named[1]
            continue
        state = _STATE.match(line)
        if state:
            if current is not None:
                states.append(ContainerState(**current))  # type: ignore[arg-type]
            current = {"kind": state[2], "state": state[3], "container": container, "init": init}
            current_indent = len(state[1])
            continue
        limit = _MEMORY.match(line)
        if in_limits and limit:
            memory_limit, in_limits = limit[1], False
            continue
        match = _FIELD.match(line)
        if not match:
            continue
        indent, key, value = len(match[1]), match[2].strip(), match[3].strip()
        if current is not None and indent > current_indent and key in {"Reason", "Exit Code", "Message"}:
            if key == "Exit Code" and value.lstrip("-").isdigit():
                current["exit_code"] = int(value)
            elif key != "Exit Code":
                current[key.lower()] = value
            continue
        if current is not None and indent <= current_indent:
            states.append(ContainerState(**current))  # type: ignore[arg-type]
            current = None
        if indent == 0 and key not in top:
            top[key] = value
        if key == "Limits":
            in_limits = True
        elif in_limits:
            in_limits = False  # the Limits block ended without a memory line
        if key == "Image" and value:
            images.append(value)
        elif key == "Liveness":
            liveness = value
        elif key == "Readiness":
            readiness = value
        elif key == "Ready" and indent > 0 and value in {"True", "False"} and ready is not False:
            ready = value == "True"
        elif key == "Restart Count" and value.isdigit():
            restarts = max(restarts, int(value))
    if current is not None:
        states.append(ContainerState(**current))  # type: ignore[arg-type]
    return PodDescription(
        status=top.get("Status"),
        reason=top.get("Reason"),
        message=top.get("Message"),
        node=top.get("Node"),
        states=tuple(states),
        memory_limit=memory_limit,
        images=tuple(images),
        events=tuple(events),
        ready=ready,
        liveness=liveness,
        readiness=readiness,
        restarts=restarts,
        controlled_by=top.get("Controlled By"),
    )


def error_line(logs: str) -> str | None:
    """The most telling line of a log: the last one that looks like an error, else the last line."""
    lines = [line.strip() for line in logs.splitlines() if line.strip()]
    if not lines:
        return None
    for line in reversed(lines):
        if _ERRORISH.search(line):
            return line
    return lines[-1]
