"""A loopback Kubernetes API server that serves one scenario, so the REAL kubectl can read it.

It exists for the fidelity test: real kubectl talks to this server, the fake kubectl reads the
same scenario, and their outputs must be identical. It serves just enough of the API for
``get``, ``describe`` and ``logs`` of pods and ``get events``: discovery (``/version``, ``/api``,
``/apis``, ``/api/v1``), pods (JSON or the server-side Table kubectl asks for), pod logs, and
events filtered by ``fieldSelector``. Bound to 127.0.0.1 only; plain HTTP; read-only.

Ages depend on the clock of whoever prints them (kubectl uses its own). ``set_now`` moves the
scenario so that its "now" is a chosen moment; a test picks the current second.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from course_lib.fakes.cluster import Scenario, shifted
from course_lib.fakes.cluster.kubectl import (
    SERVER_VERSION,
    SYSTEM_NAMESPACES,
    _kubelet_logs,
    _ServerError,
    field_selector_filter,
)
from course_lib.fakes.cluster.render import EVENT_COLUMNS, POD_COLUMNS, event_row, pod_row

__all__ = ["LoopbackApiServer", "serve", "write_kubeconfig"]

_RESOURCES = [
    {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event", "verbs": ["get", "list"],
     "shortNames": ["ev"]},
    {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
     "verbs": ["get", "list"], "shortNames": ["ns"]},
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"],
     "shortNames": ["po"], "categories": ["all"]},
    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
]  # fmt: skip


def _status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason, "code": code}  # fmt: skip
    if details:
        body["details"] = details
    return body


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        self.server.requests.append(self.path)

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        scenario = self.server.scenario
        table = "as=Table" in self.headers.get("Accept", "")
        try:
            code, body, ctype = self._route(parts, query, scenario, table)
        except _ServerError as err:
            code, body, ctype = 400, _status(400, err.reason, err.message), "application/json"
        self._send(code, body, ctype)

    def _route(
        self, parts: list[str], query: dict[str, str], s: Scenario, table: bool
    ) -> tuple[int, Any, str]:
        j = "application/json"
        if parts == ["version"]:
            return 200, {"major": "1", "minor": SERVER_VERSION.split(".")[1], "gitVersion": SERVER_VERSION,
                         "platform": "linux/amd64"}, j  # fmt: skip
        if parts == ["api"]:
            host = f"127.0.0.1:{self.server.server_address[1]}"
            return (
                200,
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
                },
                j,
            )
        if parts == ["apis"]:
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}, j
        if parts == ["api", "v1"]:
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": _RESOURCES}, j
        if parts[:2] != ["api", "v1"]:
            return 404, _status(404, "NotFound", "the server could not find the requested resource"), j
        rest = parts[2:]
        if rest[:1] == ["namespaces"] and len(rest) == 2:
            if rest[1] not in {*s.namespaces, *SYSTEM_NAMESPACES}:
                details = {"name": rest[1], "kind": "namespaces"}
                return 404, _status(404, "NotFound", f'namespaces "{rest[1]}" not found', details), j
            return (
                200,
                {
                    "kind": "Namespace",
                    "apiVersion": "v1",
                    "metadata": {"name": rest[1]},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                },
                j,
            )
        ns: str | None = None
        if rest[:1] == ["namespaces"] and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        if rest[:1] == ["pods"]:
            if len(rest) == 1:
                return 200, self._list("pods", ns, query, table), j
            pod = s.pod(rest[1], ns or "default")
            if pod is None:
                details = {"name": rest[1], "kind": "pods"}
                return 404, _status(404, "NotFound", f'pods "{rest[1]}" not found', details), j
            if len(rest) == 3 and rest[2] == "log":
                error = s.container_logs(
                    ns or "default", rest[1], query.get("container") or pod["spec"]["containers"][0]["name"]
                ).error
                if error:  # e.g. the kubelet is unreachable: the API server answers 500 without a reason
                    return 500, _status(500, "", error.removeprefix("Error from server: ")), j
                return 200, self._log(pod, query), "text/plain"
            return 200, (self._table("pods", [pod]) if table else pod), j
        if rest[:1] == ["events"] and len(rest) == 1:
            return 200, self._list("events", ns, query, table), j
        return 404, _status(404, "NotFound", "the server could not find the requested resource"), j

    def _list(self, resource: str, ns: str | None, query: dict[str, str], table: bool) -> dict[str, Any]:
        s = self.server.scenario
        items = s.pods_in(ns) if resource == "pods" else s.events_in(ns)
        if query.get("fieldSelector"):
            terms = field_selector_filter(query["fieldSelector"], resource)
            items = [o for o in items if all((get(o) == value) == equal for get, equal, value in terms)]
        if query.get("labelSelector"):
            wanted = dict(t.split("=", 1) for t in query["labelSelector"].split(",") if "=" in t)
            items = [
                o
                for o in items
                if all((o["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
            ]
        if table:
            return self._table(resource, items)
        kind = "PodList" if resource == "pods" else "EventList"
        return {"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}

    def _table(self, resource: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        s = self.server.scenario
        columns = POD_COLUMNS if resource == "pods" else EVENT_COLUMNS
        row_fn = pod_row if resource == "pods" else event_row
        return {
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": "1"},
            "columnDefinitions": [
                {
                    "name": name,
                    "type": "string",
                    "format": "name" if name == "Name" else "",
                    "description": "",
                    "priority": prio,
                }
                for name, prio in columns
            ],
            "rows": [
                {
                    "cells": row_fn(o, s.now, wide=True),
                    "object": {
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": o["metadata"],
                    },
                }
                for o in items
            ],
        }

    def _log(self, pod: dict[str, Any], query: dict[str, str]) -> str:
        s = self.server.scenario
        name, ns = pod["metadata"]["name"], pod["metadata"]["namespace"]
        container = query.get("container") or pod["spec"]["containers"][0]["name"]
        if not pod["spec"].get("nodeName"):
            return ""
        statuses = (pod["status"].get("containerStatuses") or []) + (
            pod["status"].get("initContainerStatuses") or []
        )
        status = next((c for c in statuses if c["name"] == container), None)
        logs = s.container_logs(ns, name, container)
        text = _kubelet_logs(
            name, container, status, logs.current, logs.previous, query.get("previous") == "true"
        )
        lines = text.splitlines(keepends=True)
        if "tailLines" in query:
            tail = int(query["tailLines"])
            lines = lines[len(lines) - tail :] if tail else []
        return "".join(lines)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.base = scenario
        self.scenario = scenario
        self.requests: list[str] = []


class LoopbackApiServer:
    """A running server for one scenario; use ``serve(...)`` as a context manager."""

    def __init__(self, scenario: Scenario) -> None:
        self._server = _Server(scenario)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[str]:
        return list(self._server.requests)

    def set_now(self, now: datetime) -> Scenario:
        """Serve the scenario moved so that its 'now' is ``now`` (returns the moved scenario)."""
        self._server.scenario = shifted(self._server.base, now)
        return self._server.scenario

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serve(scenario: Scenario) -> Iterator[LoopbackApiServer]:
    server = LoopbackApiServer(scenario)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_kubeconfig(path: Path, server_url: str, namespace: str = "default") -> Path:
    """A kubeconfig pointing at the loopback server (no credentials needed)."""
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "fake",
                "clusters": [{"name": "fake", "cluster": {"server": server_url}}],
                "contexts": [
                    {"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": namespace}}
                ],
                "users": [{"name": "fake", "user": {}}],
            }
        ),
        encoding="utf-8",
    )
    return path
