"""kubectl's printers, reproduced: table rows, ``describe pod``, JSON and YAML.

Row cells follow the API server's table printer for pods and events (``printPod``,
``printEvent``); the loopback API server returns the same cells as a server-side Table, and
real kubectl then prints them with the same tabwriter settings used here. ``describe`` follows
``describePod`` write by write, so tabwriter's alignment comes out identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from course_lib.fakes.cluster.model import KubeObject
from course_lib.fakes.cluster.tabwriter import TabWriter
from course_lib.fakes.cluster.timefmt import parse_rfc3339, rfc1123z, since

__all__ = [
    "EVENT_COLUMNS",
    "POD_COLUMNS",
    "describe_pod",
    "event_row",
    "format_table",
    "pod_row",
    "pod_status_reason",
    "to_json",
    "to_yaml",
]

# (header, priority): priority 1 columns appear only with -o wide.
POD_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Name", 0),
    ("Ready", 0),
    ("Status", 0),
    ("Restarts", 0),
    ("Age", 0),
    ("IP", 1),
    ("Node", 1),
    ("Nominated Node", 1),
    ("Readiness Gates", 1),
)
EVENT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Last Seen", 0),
    ("Type", 0),
    ("Reason", 0),
    ("Object", 0),
    ("Subobject", 1),
    ("Source", 1),
    ("Message", 0),
    ("First Seen", 1),
    ("Count", 1),
    ("Name", 1),
)


# ------------------------------------------------------------------ tables
def format_table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, no_headers: bool = False) -> str:
    """kubectl's human-readable printer: upper-case headers, tabwriter(minwidth 6, padding 3)."""
    tw = TabWriter(minwidth=6, padding=3)
    if not no_headers:
        tw.write("\t".join(h.upper() for h in headers) + "\n")
    for row in rows:
        tw.write("\t".join(row) + "\n")
    return tw.getvalue()


def _terminated_date(status: Mapping[str, Any]) -> str:
    return ((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""


def _later(a: str, b: str) -> str:
    if not a:
        return b
    if not b:
        return a
    return b if parse_rfc3339(b) > parse_rfc3339(a) else a


def pod_status_reason(pod: KubeObject) -> tuple[str, int, str, int]:
    """(STATUS, restarts, last restart time, ready containers) as the pod printer computes them."""
    spec, status = pod.get("spec", {}), pod.get("status", {})
    reason = status.get("reason") or status.get("phase", "")
    restarts, last_restart, ready = 0, "", 0
    init_specs = spec.get("initContainers") or []
    initializing = False
    for i, c in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(c.get("restartCount", 0))
        last_restart = _later(last_restart, _terminated_date(c))
        state = c.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term is not None and term.get("exitCode") == 0:
            continue
        if term is not None:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode', 0)}"
        elif wait is not None and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized_true = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    if not initializing or initialized_true:
        restarts, last_restart, has_running = 0, "", False
        for c in reversed(status.get("containerStatuses") or []):
            restarts += int(c.get("restartCount", 0))
            last_restart = _later(last_restart, _terminated_date(c))
            state = c.get("state") or {}
            term, wait = state.get("terminated"), state.get("waiting")
            if wait is not None and wait.get("reason"):
                reason = wait["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = (
                    f"Signal:{term['signal']}"
                    if term.get("signal")
                    else f"ExitCode:{term.get('exitCode', 0)}"
                )
            elif c.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            has_ready = any(c.get("type") == "Ready" for c in status.get("conditions") or [])
            reason = "Running" if has_ready else "NotReady"
    deleting = bool(pod.get("metadata", {}).get("deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and status.get("phase") not in {"Failed", "Succeeded"}:
        reason = "Terminating"
    return reason, restarts, last_restart, ready


def pod_row(pod: KubeObject, now: datetime, *, wide: bool = False) -> list[str]:
    """The cells of one ``kubectl get pods`` row (printPod)."""
    reason, restarts, last_restart, ready = pod_status_reason(pod)
    total = len(pod["spec"].get("containers") or [])
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({since(last_restart, now)} ago)"
    cells = [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        reason,
        restarts_text,
        since(pod["metadata"].get("creationTimestamp"), now),
    ]
    if wide:
        status = pod.get("status", {})
        ips = status.get("podIPs") or []
        gates = pod["spec"].get("readinessGates") or []
        gate_text = "<none>"
        if gates:
            conds = {c["type"]: c["status"] for c in status.get("conditions") or []}
            gate_text = f"{sum(conds.get(g['conditionType']) == 'True' for g in gates)}/{len(gates)}"
        cells += [
            (ips[0].get("ip") if ips else "") or "<none>",
            pod["spec"].get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>",
            gate_text,
        ]
    return cells


def event_row(event: KubeObject, now: datetime, *, wide: bool = False) -> list[str]:
    """The cells of one ``kubectl get events`` row (printEvent)."""
    first = since(event.get("firstTimestamp"), now)
    last = since(event.get("lastTimestamp"), now) if event.get("lastTimestamp") else first
    obj = event.get("involvedObject", {})
    target = (
        f"{obj.get('kind', '').lower()}/{obj['name']}" if obj.get("name") else obj.get("kind", "").lower()
    )
    message = (event.get("message") or "").strip()
    if not wide:
        return [last, event.get("type", ""), event.get("reason", ""), target, message]
    src = event.get("source") or {}
    source = ", ".join(
        x for x in (src.get("component") or event.get("reportingComponent", ""), src.get("host", "")) if x
    )
    return [
        last,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        obj.get("fieldPath", ""),
        source,
        message,
        first,
        str(event.get("count") or 1),
        event["metadata"]["name"],
    ]


# ---------------------------------------------------------------- describe
class _PrefixWriter:
    """describe's PrefixWriter: two spaces per level, written into a tabwriter(0, 8, 2, ' ')."""

    def __init__(self) -> None:
        self.tw = TabWriter(minwidth=0, padding=2)

    def write(self, level: int, text: str) -> None:
        self.tw.write("  " * level + _escape_terminal(text))

    def write_line(self, text: str) -> None:
        self.tw.write(_escape_terminal(text) + "\n")


def _escape_terminal(text: str) -> str:
    """printers.WriteEscaped: control characters other than tab and newline are shown escaped."""
    if all(ch in "\t\n" or ch >= " " for ch in text) and "\x7f" not in text:
        return text
    return "".join(
        ch if ch in "\t\n" or (ch >= " " and ch != "\x7f") else f"^{chr(ord(ch) ^ 0x40)}" for ch in text
    )


def _labels_multiline(w: _PrefixWriter, title: str, labels: Mapping[str, str] | None) -> None:
    w.write(0, f"{title}:\t")
    if not labels:
        w.write_line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, "\t")
        w.write(0, f"{key}={labels[key]}\n")


def _annotations_multiline(w: _PrefixWriter, title: str, annotations: Mapping[str, str] | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != "kubectl.kubernetes.io/last-applied-configuration")
    if not keys:
        w.write_line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = (annotations or {})[key]
        line = f"{key}: {value}"
        w.write(0, (line[:140] + "...\n") if len(line) > 140 else line + "\n")


def _tolerations_multiline(w: _PrefixWriter, title: str, tolerations: Sequence[Mapping[str, Any]]) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, "\t")
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def _describe_state(w: _PrefixWriter, title: str, state: Mapping[str, Any]) -> None:
    if state.get("running") is not None:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state['running']['startedAt'])}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{title}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(2, f"{title}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
        if t.get("signal"):
            w.write(3, f"Signal:\t{t['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(t['startedAt']) if t.get('startedAt') else _ZERO_TIME}\n")
        w.write(3, f"Finished:\t{rfc1123z(t['finishedAt']) if t.get('finishedAt') else _ZERO_TIME}\n")
    else:
        w.write(2, f"{title}:\tWaiting\n")


_ZERO_TIME = "Mon, 01 Jan 0001 00:00:00 +0000"


def _probe_text(probe: Mapping[str, Any]) -> str:
    attrs = (
        f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 0)}s "
        f"period={probe.get('periodSeconds', 0)}s #success={probe.get('successThreshold', 0)} "
        f"#failure={probe.get('failureThreshold', 0)}"
    )
    if probe.get("exec") is not None:
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        h = probe["httpGet"]
        scheme = str(h.get("scheme", "")).lower()
        host = h.get("host", "")
        port = str(h.get("port", ""))
        hostport = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        path = h.get("path", "")
        url = (f"{scheme}://" if scheme else "//" if hostport else "") + hostport + path
        return f"http-get {url} {attrs}"
    if probe.get("tcpSocket") is not None:
        t = probe["tcpSocket"]
        return f"tcp-socket {t.get('host', '')}:{t.get('port', '')} {attrs}"
    if probe.get("grpc") is not None:
        return f"grpc <pod>:{probe['grpc'].get('port')} {probe['grpc'].get('service', '')} {attrs}"
    return f"unknown {attrs}"


_RESOURCE_ORDER = ("cpu", "memory", "storage", "ephemeral-storage")


def _sorted_resource_names(resources: Mapping[str, str]) -> list[str]:
    """kubectl's SortedResourceNames: well-known resources first, then by name."""
    return sorted(resources, key=lambda n: (0, _RESOURCE_ORDER.index(n)) if n in _RESOURCE_ORDER else (1, n))


def _describe_resources(w: _PrefixWriter, resources: Mapping[str, Any] | None, level: int) -> None:
    if not resources:
        return
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in _sorted_resource_names(values):
            w.write(level + 1, f"{name}:\t{values[name]}\n")


def _describe_containers(
    w: _PrefixWriter,
    label: str,
    containers: Sequence[Mapping[str, Any]],
    statuses: Sequence[Mapping[str, Any]],
) -> None:
    by_name = {s["name"]: s for s in statuses}
    w.write(0, f"{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        status = by_name.get(c["name"])
        w.write(1, f"{c['name']}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        ports = ", ".join(f"{p['containerPort']}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or [])
        host_ports = ", ".join(
            f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or []
        )
        w.write(2, f"Ports:\t{ports}\n" if "," in ports else f"Port:\t{ports or '<none>'}\n")
        w.write(
            2,
            f"Host Ports:\t{host_ports}\n"
            if "," in host_ports
            else f"Host Port:\t{host_ports or '<none>'}\n",
        )
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for part in str(item).split("\n"):
                        w.write(3, f"{part}\n")
        if status is not None:
            _describe_state(w, "State", status.get("state") or {})
            if (status.get("lastState") or {}).get("terminated") is not None:
                _describe_state(w, "Last State", status["lastState"])
            w.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{status.get('restartCount', 0)}\n")
        _describe_resources(w, c.get("resources"), 2)
        for title, key in (
            ("Liveness", "livenessProbe"),
            ("Readiness", "readinessProbe"),
            ("Startup", "startupProbe"),
        ):
            if c.get(key):
                w.write(2, f"{title}:\t{_probe_text(c[key])}\n")
        if c.get("envFrom"):
            w.write(2, "Environment Variables from:\n")
            for e in c["envFrom"]:
                kind, ref = (
                    ("ConfigMap", e["configMapRef"])
                    if e.get("configMapRef")
                    else ("Secret", e.get("secretRef", {}))
                )
                optional = "true" if ref.get("optional") else "false"
                if e.get("prefix"):
                    w.write(
                        3,
                        f"{ref.get('name', '')}\t{kind} with prefix '{e['prefix']}'\tOptional: {optional}\n",
                    )
                else:
                    w.write(3, f"{ref.get('name', '')}\t{kind}\tOptional: {optional}\n")
        env = c.get("env") or []
        w.write(2, f"Environment:{'' if env else chr(9) + '<none>'}\n")
        for e in env:
            source = e.get("valueFrom")
            if source is None:
                for i, part in enumerate(str(e.get("value", "")).split("\n")):
                    w.write(3, f"{e['name']}:\t{part}\n" if i == 0 else f"\t{part}\n")
            elif source.get("secretKeyRef") is not None:
                ref = source["secretKeyRef"]
                optional = "true" if ref.get("optional") else "false"
                w.write(
                    3,
                    f"{e['name']}:\t<set to the key '{ref['key']}' in secret '{ref['name']}'>\tOptional: {optional}\n",
                )
            elif source.get("configMapKeyRef") is not None:
                ref = source["configMapKeyRef"]
                optional = "true" if ref.get("optional") else "false"
                w.write(
                    3,
                    f"{e['name']}:\t<set to the key '{ref['key']}' of config map '{ref['name']}'>\tOptional: {optional}\n",
                )
            elif source.get("fieldRef") is not None:
                ref = source["fieldRef"]
                w.write(3, f"{e['name']}:\t ({ref.get('apiVersion', 'v1')}:{ref['fieldPath']})\n")
        mounts = sorted(c.get("volumeMounts") or [], key=lambda m: m["mountPath"])
        w.write(2, f"Mounts:{'' if mounts else chr(9) + '<none>'}\n")
        for m in mounts:
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(json.dumps(m["subPath"]))
                flags[-1] = f"path={flags[-1]}"
            w.write(3, f"{m['mountPath']} from {m['name']} ({','.join(flags)})\n")


def _describe_volumes(w: _PrefixWriter, volumes: Sequence[Mapping[str, Any]]) -> None:
    if not volumes:
        w.write(0, "Volumes:\t<none>\n")
        return
    w.write(0, "Volumes:\n")
    for v in volumes:
        w.write(1, f"{v['name']}:\n")
        if v.get("projected") is not None:
            w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
            for src in v["projected"].get("sources") or []:
                if src.get("secret") is not None:
                    opt = "true" if src["secret"].get("optional") else "false"
                    w.write(2, f"SecretName:\t{src['secret'].get('name', '')}\n    Optional:\t{opt}\n")
                elif src.get("downwardAPI") is not None:
                    w.write(2, "DownwardAPI:\ttrue\n")
                elif src.get("configMap") is not None:
                    opt = "true" if src["configMap"].get("optional") else "false"
                    w.write(
                        2,
                        f"ConfigMapName:\t{src['configMap'].get('name', '')}\n    ConfigMapOptional:\t<nil>\n"
                        if "optional" not in src["configMap"]
                        else f"ConfigMapName:\t{src['configMap'].get('name', '')}\n    Optional:\t{opt}\n",
                    )
                elif src.get("serviceAccountToken") is not None:
                    w.write(
                        2, f"TokenExpirationSeconds:\t{src['serviceAccountToken'].get('expirationSeconds')}\n"
                    )
        elif v.get("configMap") is not None:
            opt = "true" if v["configMap"].get("optional") else "false"
            w.write(
                2,
                "Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                f"    Name:\t{v['configMap'].get('name', '')}\n    Optional:\t{opt}\n",
            )
        elif v.get("secret") is not None:
            opt = "true" if v["secret"].get("optional") else "false"
            w.write(
                2,
                "Type:\tSecret (a volume populated by a Secret)\n"
                f"    SecretName:\t{v['secret'].get('secretName', '')}\n    Optional:\t{opt}\n",
            )
        elif v.get("persistentVolumeClaim") is not None:
            ro = "true" if v["persistentVolumeClaim"].get("readOnly") else "false"
            w.write(
                2,
                "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
                f"    ClaimName:\t{v['persistentVolumeClaim'].get('claimName', '')}\n    ReadOnly:\t{ro}\n",
            )
        elif v.get("emptyDir") is not None:
            limit = v["emptyDir"].get("sizeLimit") or "<unset>"
            w.write(
                2,
                "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                f"    Medium:\t{v['emptyDir'].get('medium', '')}\n    SizeLimit:\t{limit}\n",
            )
        elif v.get("hostPath") is not None:
            w.write(
                2,
                "Type:\tHostPath (bare host directory volume)\n"
                f"    Path:\t{v['hostPath'].get('path', '')}\n    HostPathType:\t{v['hostPath'].get('type') or '<none>'}\n",
            )
        else:
            w.write(1, "<unknown>\n")


def _event_sort_key(event: Mapping[str, Any]) -> datetime:
    stamp = event.get("lastTimestamp") or event.get("firstTimestamp") or "0001-01-01T00:00:00Z"
    return parse_rfc3339(stamp)


def _describe_events(w: _PrefixWriter, events: Sequence[Mapping[str, Any]], now: datetime) -> None:
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.tw.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_sort_key):
        first = since(e.get("firstTimestamp"), now)
        count = int(e.get("count") or 0)
        interval = f"{since(e.get('lastTimestamp'), now)} (x{count} over {first})" if count > 1 else first
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent", "")
        w.write(
            1,
            f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t{(e.get('message') or '').strip()}\n",
        )


def describe_pod(pod: KubeObject, events: Sequence[KubeObject] | None, now: datetime) -> str:
    """``kubectl describe pod``; ``events`` None means events were not fetched (--show-events=false)."""
    meta, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
    w = _PrefixWriter()
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta['namespace']}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("nodeName"):
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    else:
        w.write(0, "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if meta.get("deletionTimestamp") and status.get("phase") not in {"Failed", "Succeeded"}:
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 30)}s\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    ips = status.get("podIPs") or []
    if not ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip['ip']}\n")
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    if owner:
        w.write(0, f"Controlled By:\t{owner['kind']}/{owner['name']}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        _describe_containers(
            w, "Init Containers", spec["initContainers"], status.get("initContainerStatuses") or []
        )
    _describe_containers(w, "Containers", spec.get("containers") or [], status.get("containerStatuses") or [])
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status["conditions"]:
            w.write(1, f"{c['type']} \t{c['status']} \n")
    _describe_volumes(w, spec.get("volumes") or [])
    w.write(0, f"QoS Class:\t{status.get('qosClass', '')}\n")
    _labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations_multiline(w, "Tolerations", spec.get("tolerations") or [])
    if events is not None:
        _describe_events(w, events, now)
    return w.tw.getvalue()


# -------------------------------------------------------------- json / yaml
def to_json(obj: Any) -> str:
    """kubectl -o json: sorted keys, 4-space indent, Go's HTML-safe escaping, trailing newline."""
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def to_yaml(obj: Any) -> str:
    """kubectl -o yaml: sorted keys, block style, lists not indented, double-quoted when needed."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        if "\n" in value:
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
        plain_tag = dumper.resolve(yaml.ScalarNode, value, (True, False))
        if value == "" or plain_tag != "tag:yaml.org,2002:str":
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
        return dumper.represent_scalar("tag:yaml.org,2002:str", value)

    _Dumper.add_representer(str, represent_str)
    return yaml.dump(
        obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1 << 30
    )


def as_list(items: Sequence[KubeObject]) -> KubeObject:
    """The List wrapper kubectl prints for -o json/yaml of several objects."""
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}
