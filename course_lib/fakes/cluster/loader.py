"""Read scenario files (the compact YAML format of README.md) into API-shaped objects.

A scenario file says only what matters for the failure (states, reasons, messages, logs) and
how long ago things happened. The loader fills in what a real API server and kubelet would add:
uids, container and image ids, default tolerations, the service-account token volume, QoS
class, conditions, requests defaulted from limits. Generated values are derived from the
scenario and object names, so every load gives identical objects.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from course_lib.fakes.cluster.model import (
    ContainerLogs,
    Diagnosis,
    KubeObject,
    Scenario,
    ScenarioError,
    UnknownScenarioError,
    keyword_groups,
)
from course_lib.fakes.cluster.timefmt import RelativeTimeError, parse_ago, parse_rfc3339

__all__ = ["DEFAULT_SCENARIO", "list_scenarios", "load_scenario", "scenario_from_mapping"]

DEFAULT_SCENARIO = "healthy-shop"
_SUFFIXES = (".yaml", ".yml")
_NODE_PREFIX = "172.18.0."


def _scenario_dir() -> Path:
    return Path(str(resources.files("course_lib.fakes") / "scenarios"))


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(p.stem for p in _scenario_dir().iterdir() if p.suffix in _SUFFIXES)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path (anything with a / or .yaml)."""
    text = str(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or "/" in text or text.endswith(_SUFFIXES)
    if looks_like_path:
        path = Path(text)
        if not path.is_file():
            raise ScenarioError(f"scenario file not found: {path}")
    else:
        path = _scenario_dir() / f"{text}.yaml"
        if not path.is_file():
            raise UnknownScenarioError(
                f"unknown scenario {text!r}; valid scenarios: {', '.join(list_scenarios())} "
                "(or give the path of a scenario file)"
            )
    import yaml  # imported here so that importing the package stays cheap

    try:
        raw = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{path}: a scenario file holds a mapping")
    return scenario_from_mapping(raw, source=str(path))


def _req(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw or raw[key] in (None, ""):
        raise ScenarioError(f"{where}: missing required field {key!r}")
    return raw[key]


def _digest(*parts: str, length: int = 64) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:length]


def _uid(*parts: str) -> str:
    return str(uuid.UUID(_digest(*parts, length=32), version=4))


class _Builder:
    """Expands one scenario's compact pods and events; holds what they share (now, nodes, names)."""

    def __init__(self, raw: Mapping[str, Any], source: str) -> None:
        self.source = source or "<scenario>"
        self.name = str(_req(raw, "name", self.source))
        self.where = f"{self.source} ({self.name})"
        self.namespace = str(_req(raw, "namespace", self.where))
        try:
            self.now = parse_rfc3339(str(raw.get("now", "2025-03-04T10:30:00Z")))
        except ValueError:
            raise ScenarioError(f"{self.where}: 'now' must be an RFC 3339 timestamp") from None
        nodes = raw.get("nodes") or {}
        if not isinstance(nodes, Mapping):
            raise ScenarioError(f"{self.where}: 'nodes' must map node names to {{ip: ...}}")
        self.node_ips = {
            str(n): str((v or {}).get("ip", f"{_NODE_PREFIX}{i + 2}"))
            for i, (n, v) in enumerate(nodes.items())
        }
        self.pod_uids: dict[tuple[str, str], str] = {}
        self.current_pod = ("", "")

    def template(self, text: str) -> str:
        """Fill ${pod_ref} (pod_namespace(uid)) in state messages of the pod being built."""
        ns, pod = self.current_pod
        uid = self.pod_uids.get((ns, pod), "")
        return Template(text).safe_substitute(
            {"pod_ref": f"{pod}_{ns}({uid})", "pod": pod, "namespace": ns, "uid": uid}
        )

    def ago(self, value: object, where: str) -> str:
        try:
            return parse_ago(value, self.now)
        except RelativeTimeError as err:
            raise ScenarioError(f"{where}: {err}") from None

    # ---------------------------------------------------------------- pods
    def pod(self, raw: Mapping[str, Any]) -> tuple[KubeObject, dict[tuple[str, str, str], ContainerLogs]]:
        name = str(_req(raw, "name", self.where))
        where = f"{self.where} pod {name}"
        ns = str(raw.get("namespace", self.namespace))
        uid = str(raw.get("uid") or _uid(self.name, ns, name))
        self.pod_uids[(ns, name)] = uid
        self.current_pod = (ns, name)
        created = self.ago(_req(raw, "created", where), where)
        node = raw.get("node")
        meta: KubeObject = {
            "creationTimestamp": created,
            "name": name,
            "namespace": ns,
            "resourceVersion": str(int(_digest(self.name, name, length=6), 16) % 900000 + 1000),
            "uid": uid,
        }
        if raw.get("generate_name", True) and raw.get("owner"):
            meta["generateName"] = name.rsplit("-", 1)[0] + "-"
        if raw.get("labels"):
            meta["labels"] = {str(k): str(v) for k, v in raw["labels"].items()}
        if raw.get("annotations"):
            meta["annotations"] = {str(k): str(v) for k, v in raw["annotations"].items()}
        if raw.get("owner"):
            kind, _, owner_name = str(raw["owner"]).partition("/")
            meta["ownerReferences"] = [
                {
                    "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": kind,
                    "name": owner_name,
                    "uid": _uid(self.name, ns, kind, owner_name),
                }
            ]
        if raw.get("deleted"):
            meta["deletionTimestamp"] = self.ago(raw["deleted"], where)
            meta["deletionGracePeriodSeconds"] = int(raw.get("grace_period", 30))
        token_volume = f"kube-api-access-{_digest(self.name, name, 'token', length=5)}"
        logs: dict[tuple[str, str, str], ContainerLogs] = {}
        init_specs, init_statuses = self._containers(
            raw.get("init_containers") or [], ns, name, token_volume, logs
        )
        specs, statuses = self._containers(_req(raw, "containers", where), ns, name, token_volume, logs)
        spec: KubeObject = {
            "containers": specs,
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": int(raw.get("priority", 0)),
            "restartPolicy": str(raw.get("restart_policy", "Always")),
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": str(raw.get("service_account", "default")),
            "serviceAccountName": str(raw.get("service_account", "default")),
            "terminationGracePeriodSeconds": int(raw.get("grace_period", 30)),
            "tolerations": list(raw.get("tolerations") or [])
            + [
                {"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300}
                for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
            ],
            "volumes": [*(raw.get("volumes") or []), _token_volume(token_volume)],
        }
        if init_specs:
            spec["initContainers"] = init_specs
        if node:
            spec["nodeName"] = str(node)
        if raw.get("node_selector"):
            spec["nodeSelector"] = {str(k): str(v) for k, v in raw["node_selector"].items()}
        if raw.get("affinity"):
            spec["affinity"] = raw["affinity"]
        status = self._pod_status(raw, where, node, init_statuses, statuses, created)
        status["qosClass"] = _qos_class(specs)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}
        return pod, logs

    def _pod_status(
        self,
        raw: Mapping[str, Any],
        where: str,
        node: object,
        init_statuses: list[KubeObject],
        statuses: list[KubeObject],
        created: str,
    ) -> KubeObject:
        phase = str(raw.get("phase", "Running" if node else "Pending"))
        status: KubeObject = {"phase": phase}
        if raw.get("reason"):
            status["reason"] = str(raw["reason"])
        if raw.get("message"):
            status["message"] = str(raw["message"])
        status["conditions"] = self._conditions(raw, where, node, init_statuses, statuses, created)
        if node:
            host_ip = self.node_ips.get(str(node))
            if host_ip is None:
                raise ScenarioError(f"{where}: node {node!r} is not listed under 'nodes'")
            status["hostIP"] = host_ip
            status["hostIPs"] = [{"ip": host_ip}]
            if raw.get("pod_ip"):
                status["podIP"] = str(raw["pod_ip"])
                status["podIPs"] = [{"ip": str(raw["pod_ip"])}]
            status["startTime"] = self.ago(raw.get("started", raw["created"]), where)
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        if statuses and node:
            status["containerStatuses"] = statuses
        return status

    def _conditions(
        self,
        raw: Mapping[str, Any],
        where: str,
        node: object,
        init_statuses: list[KubeObject],
        statuses: list[KubeObject],
        created: str,
    ) -> list[KubeObject]:
        explicit = raw.get("conditions")
        if explicit is not None:
            if not isinstance(explicit, list):
                raise ScenarioError(f"{where}: 'conditions' must be a list of {{type, status, ...}}")
            out = []
            for c in explicit:
                cond: KubeObject = {
                    "lastProbeTime": None,
                    "lastTransitionTime": self.ago(c.get("since", raw["created"]), where),
                    "status": str(c["status"]),
                    "type": str(c["type"]),
                }
                for key in ("reason", "message"):
                    if c.get(key):
                        cond[key] = str(c[key])
                out.append(cond)
            return out
        if not node:
            return [
                {
                    "lastProbeTime": None,
                    "lastTransitionTime": created,
                    "message": str(raw.get("unschedulable_message", "")),
                    "reason": "Unschedulable",
                    "status": "False",
                    "type": "PodScheduled",
                }
            ]
        incomplete = [
            s["name"] for s in init_statuses if s["state"].get("terminated", {}).get("exitCode") != 0
        ]
        unready = [s["name"] for s in statuses if not s["ready"]]
        initialized = not incomplete
        ready = initialized and bool(statuses) and not unready
        since = self.ago(raw.get("ready_since", raw["created"]), where)

        def cond(kind: str, ok: bool, reason: str = "", names: list[str] | None = None) -> KubeObject:
            c: KubeObject = {
                "lastProbeTime": None,
                "lastTransitionTime": since,
                "status": "True" if ok else "False",
            }
            if not ok and reason:
                what = "incomplete" if reason == "ContainersNotInitialized" else "unready"
                c["message"] = f"containers with {what} status: [{' '.join(names or [])}]"
                c["reason"] = reason
            c["type"] = kind
            return c

        missing = unready if initialized else [s["name"] for s in statuses]
        return [
            cond("PodReadyToStartContainers", True),
            cond("Initialized", initialized, "ContainersNotInitialized", incomplete),
            cond("Ready", ready, "ContainersNotReady", missing),
            cond("ContainersReady", ready, "ContainersNotReady", missing),
            cond("PodScheduled", True),
        ]

    def _containers(
        self,
        raw_list: Any,
        ns: str,
        pod: str,
        token_volume: str,
        logs: dict[tuple[str, str, str], ContainerLogs],
    ) -> tuple[list[KubeObject], list[KubeObject]]:
        if not isinstance(raw_list, list) or not all(isinstance(c, Mapping) for c in raw_list):
            raise ScenarioError(f"{self.where} pod {pod}: containers must be a list of mappings")
        specs: list[KubeObject] = []
        statuses: list[KubeObject] = []
        for raw in raw_list:
            name = str(_req(raw, "name", f"{self.where} pod {pod}"))
            where = f"{self.where} pod {pod} container {name}"
            image = str(_req(raw, "image", where))
            spec: KubeObject = {
                "image": image,
                "imagePullPolicy": "Always"
                if image.endswith(":latest") or ":" not in image
                else "IfNotPresent",
                "name": name,
                "resources": _resources(raw.get("resources")),
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "volumeMounts": [
                    *(raw.get("volume_mounts") or []),
                    {
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        "name": token_volume,
                        "readOnly": True,
                    },
                ],
            }
            for key, api_key in (("command", "command"), ("args", "args"), ("env_from", "envFrom")):
                if raw.get(key):
                    spec[api_key] = list(raw[key])
            if raw.get("env"):
                env = raw["env"]
                spec["env"] = (
                    [{"name": str(k), "value": str(v)} for k, v in env.items()]
                    if isinstance(env, Mapping)
                    else list(env)
                )
            if raw.get("ports"):
                spec["ports"] = [
                    {"containerPort": int(p), "protocol": "TCP"} if not isinstance(p, Mapping) else dict(p)
                    for p in raw["ports"]
                ]
            for key, api_key in (
                ("liveness", "livenessProbe"),
                ("readiness", "readinessProbe"),
                ("startup", "startupProbe"),
            ):
                if raw.get(key):
                    spec[api_key] = _probe(raw[key])
            specs.append(spec)
            statuses.append(self._container_status(raw, where, ns, pod, name, image))
            logs[(ns, pod, name)] = ContainerLogs(
                current=raw.get("logs"), previous=raw.get("previous_logs"), error=raw.get("logs_error")
            )
        return specs, statuses

    def _state(self, raw: Any, where: str, container_id: str) -> KubeObject:
        if not isinstance(raw, Mapping) or len(raw) != 1:
            raise ScenarioError(
                f"{where}: a state is one of {{running: ...}}, {{waiting: ...}}, {{terminated: ...}}"
            )
        kind, body = next(iter(raw.items()))
        body = body or {}
        if kind == "running":
            return {"running": {"startedAt": self.ago(_req(body, "started", where), where)}}
        if kind == "waiting":
            w = {k: self.template(str(body[k])) for k in ("message", "reason") if body.get(k)}
            return {"waiting": w}
        if kind == "terminated":
            t: KubeObject = {
                "exitCode": int(_req(body, "exit_code", where)) if body.get("exit_code") != 0 else 0,
                "finishedAt": self.ago(_req(body, "finished", where), where),
                "startedAt": self.ago(_req(body, "started", where), where),
            }
            if container_id:
                t["containerID"] = container_id
            for key in ("reason", "message"):
                if body.get(key):
                    t[key] = str(body[key])
            if body.get("signal"):
                t["signal"] = int(body["signal"])
            return {"terminated": t}
        raise ScenarioError(f"{where}: unknown container state {kind!r}")

    def _container_status(
        self, raw: Mapping[str, Any], where: str, ns: str, pod: str, name: str, image: str
    ) -> KubeObject:
        restarts = int(raw.get("restarts", 0))
        state_raw = raw.get("state") or {"waiting": {"reason": "ContainerCreating"}}
        current_id = f"containerd://{_digest(self.name, ns, pod, name, str(restarts))}"
        previous_id = f"containerd://{_digest(self.name, ns, pod, name, str(restarts - 1))}"
        kind = next(iter(state_raw)) if isinstance(state_raw, Mapping) and state_raw else ""
        state = self._state(state_raw, where, current_id if kind == "terminated" else "")
        last_state: KubeObject = {}
        if raw.get("last_state"):
            last_state = self._state(raw["last_state"], where, previous_id)
        ran = kind in {"running", "terminated"} or bool(last_state)
        status: KubeObject = {
            "image": _normalise_image(image) if ran else image,
            "imageID": f"{_image_repo(image)}@sha256:{_digest('image', image)}" if ran else "",
            "lastState": last_state,
            "name": name,
            "ready": bool(raw.get("ready", kind == "running")),
            "restartCount": restarts,
            "started": bool(raw.get("started", kind == "running")),
            "state": state,
        }
        if kind in {"running", "terminated"}:
            status["containerID"] = current_id
        elif last_state:
            status["containerID"] = previous_id
        return dict(sorted(status.items()))

    # -------------------------------------------------------------- events
    def event(self, raw: Mapping[str, Any], index: int) -> KubeObject:
        where = f"{self.where} event #{index + 1}"
        ns = str(raw.get("namespace", self.namespace))
        if raw.get("object"):
            kind, _, obj_name = str(raw["object"]).partition("/")
        else:
            kind, obj_name = "Pod", str(_req(raw, "pod", where))
        uid = (
            self.pod_uids.get((ns, obj_name), _uid(self.name, ns, kind, obj_name))
            if kind == "Pod"
            else _uid(self.name, kind, obj_name)
        )
        first = self.ago(_req(raw, "first", where), where)
        last = self.ago(raw.get("last", raw["first"]), where)
        if parse_rfc3339(last) < parse_rfc3339(first):
            raise ScenarioError(f"{where}: 'last' is earlier than 'first'")
        node = str(raw.get("host", ""))
        values = {
            "pod": obj_name,
            "namespace": ns,
            "uid": uid,
            "pod_ref": f"{obj_name}_{ns}({uid})",
            "node": node,
        }
        message = Template(str(_req(raw, "message", where))).safe_substitute(values)
        involved: KubeObject = {"kind": kind, "name": obj_name, "uid": uid}
        if kind != "Node":
            involved.update({"apiVersion": "v1", "namespace": ns})
        if raw.get("field_path"):
            involved["fieldPath"] = str(raw["field_path"])
        source: KubeObject = {"component": str(raw.get("from", "kubelet"))}
        if node:
            source["host"] = node
        event_name = f"{obj_name}.{_digest(self.name, str(index), obj_name, length=16)}"
        return {
            "apiVersion": "v1",
            "count": int(raw.get("count", 1)),
            "eventTime": None,
            "firstTimestamp": first,
            "involvedObject": involved,
            "kind": "Event",
            "lastTimestamp": last,
            "message": message,
            "metadata": {
                "creationTimestamp": first,
                "name": event_name,
                "namespace": ns if kind != "Node" else "default",
                "resourceVersion": str(20000 + index),
                "uid": _uid(self.name, "event", str(index)),
            },
            "reason": str(_req(raw, "reason", where)),
            "reportingComponent": source["component"],
            "reportingInstance": node,
            "source": source,
            "type": str(raw.get("type", "Normal")),
        }


def _token_volume(name: str) -> KubeObject:
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                "path": "namespace",
                            }
                        ]
                    }
                },
            ],
        },
    }


def _resources(raw: Any) -> KubeObject:
    """Requests default to limits, as the API server does on admission."""
    if not raw:
        return {}
    limits = {str(k): str(v) for k, v in (raw.get("limits") or {}).items()}
    requests = {str(k): str(v) for k, v in (raw.get("requests") or {}).items()}
    for key, value in limits.items():
        requests.setdefault(key, value)
    out: KubeObject = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def _qos_class(containers: list[KubeObject]) -> str:
    resources_ = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources_):
        return "BestEffort"
    for r in resources_:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        if any(limits.get(k) is None or limits.get(k) != requests.get(k) for k in ("cpu", "memory")):
            return "Burstable"
    return "Guaranteed"


def _probe(raw: Mapping[str, Any]) -> KubeObject:
    """A probe with the API server's defaults (period 10 s, timeout 1 s, thresholds 1 and 3)."""
    probe: KubeObject = {
        "failureThreshold": int(raw.get("failure_threshold", 3)),
        "periodSeconds": int(raw.get("period", 10)),
        "successThreshold": 1,
        "timeoutSeconds": int(raw.get("timeout", 1)),
    }
    if raw.get("delay"):
        probe["initialDelaySeconds"] = int(raw["delay"])
    if "http_get" in raw:
        h = raw["http_get"]
        probe["httpGet"] = {
            "path": str(h.get("path", "/")),
            "port": h["port"],
            "scheme": str(h.get("scheme", "HTTP")),
        }
    elif "exec" in raw:
        probe["exec"] = {"command": [str(c) for c in raw["exec"]]}
    elif "tcp" in raw:
        probe["tcpSocket"] = {"port": raw["tcp"]}
    return probe


def _image_repo(image: str) -> str:
    name = image.split("@")[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    first = name.split("/")[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    return name


def _normalise_image(image: str) -> str:
    repo = _image_repo(image)
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    return f"{repo}:{tag}"


def scenario_from_mapping(raw: Mapping[str, Any], source: str = "") -> Scenario:
    """Build a Scenario from the parsed contents of a scenario file."""
    b = _Builder(raw, source)
    where = b.where
    for key in ("title", "question", "diagnosis", "pods"):
        _req(raw, key, where)
    diag = raw["diagnosis"]
    if not isinstance(diag, Mapping):
        raise ScenarioError(f"{where}: 'diagnosis' must be a mapping with root_cause and keywords")
    diagnosis = Diagnosis(
        root_cause=str(_req(diag, "root_cause", where + " diagnosis")).strip(),
        keywords=keyword_groups(diag.get("keywords"), where),
    )
    if not isinstance(raw["pods"], list):
        raise ScenarioError(f"{where}: 'pods' must be a list")
    pods: list[KubeObject] = []
    logs: dict[tuple[str, str, str], ContainerLogs] = {}
    seen: set[tuple[str, str]] = set()
    for raw_pod in raw["pods"]:
        if not isinstance(raw_pod, Mapping):
            raise ScenarioError(f"{where}: each pod must be a mapping")
        pod, pod_logs = b.pod(raw_pod)
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if key in seen:
            raise ScenarioError(f"{where}: duplicate pod {key[1]!r} in namespace {key[0]!r}")
        seen.add(key)
        pods.append(pod)
        logs.update(pod_logs)
    raw_events = raw.get("events") or []
    if not isinstance(raw_events, list):
        raise ScenarioError(f"{where}: 'events' must be a list")
    events = [b.event(e, i) for i, e in enumerate(raw_events)]
    tags = raw.get("tags") or []
    return Scenario(
        name=b.name,
        title=str(raw["title"]).strip(),
        description=str(raw.get("description", "")).strip(),
        namespace=b.namespace,
        question=str(raw["question"]).strip(),
        now=b.now,
        pods=tuple(pods),
        events=tuple(events),
        logs=logs,
        diagnosis=diagnosis,
        healthy=bool(raw.get("healthy", False)),
        source=source,
        tags=tuple(str(t) for t in tags),
    )


def shifted(scenario: Scenario, now: datetime) -> Scenario:
    """The same scenario with every timestamp moved so that its 'now' becomes ``now``."""
    from dataclasses import replace

    from course_lib.fakes.cluster.timefmt import rfc3339

    delta = now.replace(microsecond=0) - scenario.now

    def move(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: move(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, str) and (key.endswith(("Timestamp", "Time", "At"))) and value:
            return rfc3339(parse_rfc3339(value) + delta)
        return value

    return replace(
        scenario,
        now=scenario.now + delta,
        pods=tuple(move(p) for p in scenario.pods),
        events=tuple(move(e) for e in scenario.events),
    )
