"""The fake kubectl's logic as a pure function: argv + scenario -> (stdout, stderr, exit code).

No I/O and no real time here: the CLI wrapper (``kubectl_cli``) and the tools' in-process
runner both call ``run_kubectl``, so both print exactly the same thing. Flags are parsed the way
kubectl's pflag does (``-n shop``, ``-nshop``, ``--namespace=shop``, ``-owide``, flags after
positional arguments), read-only verbs are served from the scenario, and every mutating verb is
refused with exit code 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from course_lib.fakes.cluster.model import KubeObject, Scenario
from course_lib.fakes.cluster.render import (
    EVENT_COLUMNS,
    POD_COLUMNS,
    as_list,
    describe_pod,
    event_row,
    format_table,
    pod_row,
    to_json,
    to_yaml,
)

__all__ = [
    "CLIENT_VERSION",
    "MUTATING_VERBS",
    "READ_ONLY_VERBS",
    "SYSTEM_NAMESPACES",
    "Invocation",
    "KubectlOutput",
    "UsageError",
    "parse_invocation",
    "run_kubectl",
]

CLIENT_VERSION = "v1.32.4"
SERVER_VERSION = "v1.32.2"
KUSTOMIZE_VERSION = "v5.5.0"

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
READ_ONLY_VERBS = frozenset({"get", "describe", "logs", "version"})
MUTATING_VERBS = frozenset(
    {
        "annotate", "apply", "attach", "autoscale", "certificate", "cordon", "cp", "create", "debug",
        "delete", "drain", "edit", "exec", "expose", "label", "patch", "port-forward", "proxy",
        "replace", "rollout", "run", "scale", "set", "taint", "uncordon",
    }
)  # fmt: skip
OTHER_VERBS = frozenset({"api-resources", "api-versions", "auth", "cluster-info", "config", "events", "explain",
                         "top", "wait", "diff", "kustomize", "plugin", "completion", "alpha", "options"})  # fmt: skip

_POD_TYPES = {"pods", "pod", "po"}
_EVENT_TYPES = {"events", "event", "ev"}
_UNMODELLED_TYPES = {
    "nodes", "node", "no", "services", "service", "svc", "deployments", "deployment", "deploy",
    "replicasets", "replicaset", "rs", "jobs", "job", "cronjobs", "cj", "endpoints", "ep",
    "namespaces", "namespace", "ns", "configmaps", "configmap", "cm", "secrets", "secret",
    "persistentvolumeclaims", "pvc", "persistentvolumes", "pv", "statefulsets", "sts",
    "daemonsets", "ds", "ingresses", "ing", "serviceaccounts", "sa", "all",
}  # fmt: skip

# flag name -> takes a value? (short aliases map to the long name)
_GLOBAL_FLAGS = {
    "namespace": True, "kubeconfig": True, "context": True, "cluster": True, "user": True,
    "request-timeout": True, "server": True, "token": True, "v": True, "all-namespaces": False,
    "insecure-skip-tls-verify": False, "help": False,
}  # fmt: skip
_VERB_FLAGS: dict[str, dict[str, bool]] = {
    "get": {"output": True, "selector": True, "field-selector": True, "sort-by": True, "no-headers": False,
            "show-labels": False, "watch": False, "chunk-size": True, "show-kind": False},
    "describe": {"selector": True, "show-events": False, "chunk-size": True},
    "logs": {"container": True, "previous": False, "tail": True, "timestamps": False, "follow": False,
             "all-containers": False, "since": True, "limit-bytes": True, "prefix": False},
    "version": {"client": False, "output": True},
}  # fmt: skip
_SHORT = {"n": "namespace", "A": "all-namespaces", "s": "server", "v": "v", "h": "help", "o": "output",
          "l": "selector", "w": "watch", "c": "container", "p": "previous", "f": "follow"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class KubectlOutput:
    """What one kubectl invocation printed and how it exited."""

    stdout: str
    stderr: str
    exit_code: int


@dataclass(frozen=True, slots=True)
class Invocation:
    """A parsed command line: the verb, its positional arguments and its flags."""

    verb: str
    args: tuple[str, ...]
    flags: Mapping[str, str | bool] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        value = self.flags.get("namespace")
        return value if isinstance(value, str) and value else "default"

    @property
    def all_namespaces(self) -> bool:
        return bool(self.flags.get("all-namespaces"))

    def request(self) -> tuple[str, str, str]:
        """(verb, resource, name) of the API request this command makes, for server error texts."""
        if self.verb == "logs":
            return "get", "pods", self.args[0].removeprefix("pod/") if self.args else ""
        if self.verb in {"get", "describe"} and self.args:
            kind, _, name = self.args[0].partition("/")
            resource = "events" if kind in _EVENT_TYPES else "pods" if kind in _POD_TYPES else kind
            name = name or (self.args[1] if len(self.args) > 1 else "")
            return ("list" if not name else "get"), resource, name
        return "get", "", ""


class UsageError(Exception):
    """A command line kubectl rejects before contacting the server (exit code 1)."""


def _bool_value(name: str, text: str) -> bool:
    if text.lower() in {"true", "1", "t"}:
        return True
    if text.lower() in {"false", "0", "f"}:
        return False
    raise UsageError(
        f'invalid argument "{text}" for "--{name}" flag: strconv.ParseBool: parsing "{text}": invalid syntax'
    )


def parse_invocation(argv: Sequence[str]) -> Invocation:
    """Split argv into verb, positionals and flags the way kubectl (cobra + pflag) does."""
    tokens = list(argv)
    flags: dict[str, str | bool] = {}
    positionals: list[str] = []
    verb = ""
    i = 0
    only_positionals = False
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if only_positionals or tok == "-" or not tok.startswith("-"):
            if not verb:
                verb = tok
            else:
                positionals.append(tok)
            continue
        if tok == "--":
            only_positionals = True
            continue
        known = {**_GLOBAL_FLAGS, **_VERB_FLAGS.get(verb, {})}
        if tok.startswith("--"):
            name, eq, value = tok[2:].partition("=")
            if name not in known:
                raise UsageError(f"unknown flag: --{name}")
            if known[name]:
                if not eq:
                    if i >= len(tokens):
                        raise UsageError(f"flag needs an argument: --{name}")
                    value = tokens[i]
                    i += 1
                flags[name] = value
            else:
                flags[name] = _bool_value(name, value) if eq else True
            continue
        cluster = tok[1:]
        j = 0
        while j < len(cluster):
            ch = cluster[j]
            name = _SHORT.get(ch, "")
            if name not in known:
                raise UsageError(f"unknown shorthand flag: '{ch}' in {tok}")
            if not known[name]:
                flags[name] = True
                j += 1
                continue
            value = cluster[j + 1 :].removeprefix("=")
            if not value:
                if i >= len(tokens):
                    raise UsageError(f"flag needs an argument: '{ch}' in {tok}")
                value = tokens[i]
                i += 1
            flags[name] = value
            break
    return Invocation(verb=verb, args=tuple(positionals), flags=flags)


def _find_verb(argv: Sequence[str]) -> str:
    """The first word that is neither a global flag nor a global flag's value."""
    i = 0
    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok == "--":
            return argv[i] if i < len(argv) else ""
        if not tok.startswith("-") or tok == "-":
            return tok
        if tok.startswith("--"):
            name = tok[2:]
            if "=" not in name and _GLOBAL_FLAGS.get(name):
                i += 1
        elif len(tok) == 2 and _GLOBAL_FLAGS.get(_SHORT.get(tok[1], "")):
            i += 1
    return ""


def _not_found(scenario: Scenario, resource: str, name: str, namespace: str) -> str:
    """kubectl 1.32 checks the namespace after a NotFound and reports a missing namespace instead."""
    if namespace not in {*scenario.namespaces, *SYSTEM_NAMESPACES}:
        return f'namespaces "{namespace}" not found'
    return f'{resource} "{name}" not found'


def _err(text: str, code: int = 1) -> KubectlOutput:
    return KubectlOutput("", text if text.endswith("\n") else text + "\n", code)


def run_kubectl(argv: Sequence[str], scenario: Scenario, now: datetime | None = None) -> KubectlOutput:
    """Run one fake kubectl command against ``scenario`` (ages are computed at ``now``)."""
    now = now or scenario.now
    if not argv or argv[0] in {"-h", "--help", "help"}:
        return KubectlOutput(_HELP, "", 0)
    verb_guess = _find_verb(argv)
    if verb_guess in MUTATING_VERBS:
        return _err(
            f'error: refusing "{verb_guess}": this fake kubectl is read-only and never changes the cluster '
            f"(supported commands: {', '.join(sorted(READ_ONLY_VERBS))})"
        )
    try:
        inv = parse_invocation(argv)
    except UsageError as err:
        suffix = f"\nSee 'kubectl {verb_guess} --help' for usage." if verb_guess else ""
        return _err(f"error: {err}{suffix}")
    if inv.verb in OTHER_VERBS:
        return _err(
            f'error: "{inv.verb}" is not supported by the fake kubectl '
            f"(supported commands: {', '.join(sorted(READ_ONLY_VERBS))})"
        )
    if inv.verb not in READ_ONLY_VERBS:
        return _err(f'error: unknown command "{inv.verb}" for "kubectl"\nRun \'kubectl --help\' for usage.')
    if inv.flags.get("help"):
        return KubectlOutput(f"Usage: kubectl {inv.verb} [flags] [options]\n", "", 0)
    try:
        if inv.verb == "version":
            return _version(inv)
        if inv.verb == "get":
            return _get(inv, scenario, now)
        if inv.verb == "describe":
            return _describe(inv, scenario, now)
        return _logs(inv, scenario)
    except UsageError as err:
        return _err(f"error: {err}")


_HELP = (
    "kubectl (fake, read-only) controls nothing: it answers from a scenario.\n\n"
    "Supported commands:\n  get       pods | pod NAME | events  (-n, -A, -o wide|json|yaml|name, -l, --field-selector,"
    " --sort-by, --no-headers, --show-labels)\n  describe  pod [NAME]  (-n, -l, --show-events)\n"
    "  logs      POD  (-n, -c, -p/--previous, --tail, --timestamps)\n  version   (--client)\n"
)


def _version(inv: Invocation) -> KubectlOutput:
    out = f"Client Version: {CLIENT_VERSION}\nKustomize Version: {KUSTOMIZE_VERSION}\n"
    if not inv.flags.get("client"):
        out += f"Server Version: {SERVER_VERSION}\n"
    return KubectlOutput(out, "", 0)


# --------------------------------------------------------------------- get
def _label_selector(selector: str) -> list[tuple[str, str, str]]:
    terms = []
    for part in filter(None, (p.strip() for p in selector.split(","))):
        for op in ("!=", "==", "="):
            if op in part:
                key, _, value = part.partition(op)
                terms.append((key.strip(), "!=" if op == "!=" else "=", value.strip()))
                break
        else:
            terms.append((part.lstrip("!"), "!exists" if part.startswith("!") else "exists", ""))
    return terms


def _matches_labels(obj: KubeObject, terms: list[tuple[str, str, str]]) -> bool:
    labels = obj["metadata"].get("labels") or {}
    for key, op, value in terms:
        if (
            (op == "=" and labels.get(key) != value)
            or (op == "!=" and labels.get(key) == value)
            or (op == "exists" and key not in labels)
            or (op == "!exists" and key in labels)
        ):
            return False
    return True


_EVENT_FIELDS = {
    "involvedObject.kind": lambda e: e["involvedObject"].get("kind", ""),
    "involvedObject.namespace": lambda e: e["involvedObject"].get("namespace", ""),
    "involvedObject.name": lambda e: e["involvedObject"].get("name", ""),
    "involvedObject.uid": lambda e: e["involvedObject"].get("uid", ""),
    "involvedObject.apiVersion": lambda e: e["involvedObject"].get("apiVersion", ""),
    "involvedObject.resourceVersion": lambda e: e["involvedObject"].get("resourceVersion", ""),
    "involvedObject.fieldPath": lambda e: e["involvedObject"].get("fieldPath", ""),
    "reason": lambda e: e.get("reason", ""),
    "reportingComponent": lambda e: e.get("reportingComponent", ""),
    "source": lambda e: (e.get("source") or {}).get("component", ""),
    "type": lambda e: e.get("type", ""),
    "metadata.name": lambda e: e["metadata"]["name"],
    "metadata.namespace": lambda e: e["metadata"]["namespace"],
}
_POD_FIELDS = {
    "metadata.name": lambda p: p["metadata"]["name"],
    "metadata.namespace": lambda p: p["metadata"]["namespace"],
    "spec.nodeName": lambda p: p["spec"].get("nodeName", ""),
    "spec.restartPolicy": lambda p: p["spec"].get("restartPolicy", ""),
    "spec.schedulerName": lambda p: p["spec"].get("schedulerName", ""),
    "spec.serviceAccountName": lambda p: p["spec"].get("serviceAccountName", ""),
    "status.phase": lambda p: p["status"].get("phase", ""),
    "status.podIP": lambda p: p["status"].get("podIP", ""),
    "status.nominatedNodeName": lambda p: p["status"].get("nominatedNodeName", ""),
}


def field_selector_filter(selector: str, resource: str) -> list[tuple[Any, bool, str]]:
    """Parse a field selector into (getter, equal?, value); unsupported fields raise as the server does."""
    table = _EVENT_FIELDS if resource == "events" else _POD_FIELDS
    terms = []
    for part in filter(None, (p.strip() for p in selector.split(","))):
        if "!=" in part:
            key, _, value = part.partition("!=")
            equal = False
        elif "=" in part:
            key, _, value = part.partition("==") if "==" in part else part.partition("=")
            equal = True
        else:
            raise _ServerError("BadRequest", f"invalid selector: '{selector}'; can't understand '{part}'")
        if key not in table:
            kind = "/v1, Resource=events" if resource == "events" else "/v1, Resource=pods"
            raise _ServerError(
                "BadRequest",
                f'Unable to find "{kind}" that match label selector "", field selector "{selector}": '
                f'"{key}" is not a known field selector: only "{", ".join(sorted(table))}"',
            )
        terms.append((table[key], equal, value))
    return terms


class _ServerError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _jsonpath_value(obj: Any, path: str) -> Any:
    cur = obj
    for part in path.strip("{}").lstrip(".").split("."):
        if not part:
            continue
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def _select(inv: Invocation, scenario: Scenario, resource: str) -> list[KubeObject]:
    ns = None if inv.all_namespaces else inv.namespace
    items = scenario.pods_in(ns) if resource == "pods" else scenario.events_in(ns)
    if isinstance(inv.flags.get("selector"), str):
        terms = _label_selector(str(inv.flags["selector"]))
        items = [o for o in items if _matches_labels(o, terms)]
    if isinstance(inv.flags.get("field-selector"), str):
        fterms = field_selector_filter(str(inv.flags["field-selector"]), resource)
        items = [o for o in items if all((get(o) == value) == equal for get, equal, value in fterms)]
    return items


def _sort(items: list[KubeObject], sort_by: str) -> list[KubeObject]:
    path = sort_by.strip()
    if not path.startswith(("{", ".")):
        raise UsageError(
            f"couldn't parse sort-by field {sort_by!r}: a JSONPath expression such as .lastTimestamp"
        )
    keyed = [(_jsonpath_value(o, path), o) for o in items]
    present = [(k, o) for k, o in keyed if k is not None]
    missing = [o for k, o in keyed if k is None]
    present.sort(key=lambda pair: (isinstance(pair[0], str), pair[0]))
    return missing + [o for _, o in present]


def _no_resources(inv: Invocation) -> KubectlOutput:
    where = "" if inv.all_namespaces else f" in {inv.namespace} namespace"
    return KubectlOutput("", f"No resources found{where}.\n", 0)


def _get(inv: Invocation, scenario: Scenario, now: datetime) -> KubectlOutput:
    if not inv.args:
        return _err(
            'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of '
            "supported resources.\n\nerror: Required resource not specified.\n"
            'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).'
            "\nSee 'kubectl get -h' for help and examples"
        )
    if inv.flags.get("watch"):
        return _err("error: --watch is not supported by the fake kubectl: it would never return")
    kind, _, slash_name = inv.args[0].partition("/")
    names = [slash_name] if slash_name else list(inv.args[1:])
    if kind.lower() in _UNMODELLED_TYPES:
        return _err(f'error: the fake cluster only models pods and events, not "{kind}"')
    if kind not in _POD_TYPES and kind not in _EVENT_TYPES:
        return _err(f'error: the server doesn\'t have a resource type "{kind}"')
    resource = "pods" if kind in _POD_TYPES else "events"
    output = inv.flags.get("output", "")
    if not isinstance(output, str) or output not in {"", "wide", "json", "yaml", "name"}:
        return _err(
            f'error: unable to match a printer suitable for the output format "{output}", allowed formats are: '
            "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
            "jsonpath-file,name,template,templatefile,wide,yaml"
        )
    if names and inv.all_namespaces:
        return _err("error: a resource cannot be retrieved by name across all namespaces")
    try:
        items = _select(inv, scenario, resource)
    except _ServerError as err:
        return _err(f"Error from server ({err.reason}): {err.message}")
    errors: list[str] = []
    if names:
        by_name = {o["metadata"]["name"]: o for o in items}
        found = []
        for n in names:
            if n in by_name:
                found.append(by_name[n])
            else:
                errors.append(
                    f"Error from server (NotFound): {_not_found(scenario, resource, n, inv.namespace)}"
                )
        items = found
    if isinstance(inv.flags.get("sort-by"), str):
        items = _sort(items, str(inv.flags["sort-by"]))
    stderr = "".join(e + "\n" for e in errors)
    code = 1 if errors else 0
    if output in {"json", "yaml"}:
        if not items and names:
            return KubectlOutput("", stderr, code)
        obj = items[0] if len(names) == 1 and len(items) == 1 else as_list(items)
        return KubectlOutput(to_json(obj) if output == "json" else to_yaml(obj), stderr, code)
    if output == "name":
        prefix = "pod" if resource == "pods" else "event"
        return KubectlOutput("".join(f"{prefix}/{o['metadata']['name']}\n" for o in items), stderr, code)
    if not items:
        return KubectlOutput("", stderr, code) if names else _no_resources(inv)
    wide = output == "wide"
    columns = POD_COLUMNS if resource == "pods" else EVENT_COLUMNS
    headers = [name for name, prio in columns if wide or prio == 0]
    make_row = pod_row if resource == "pods" else event_row
    rows = [make_row(o, now, wide=wide) for o in items]
    if inv.all_namespaces:
        headers = ["Namespace", *headers]
        rows = [[o["metadata"]["namespace"], *row] for o, row in zip(items, rows, strict=True)]
    if inv.flags.get("show-labels"):
        headers.append("Labels")
        for o, row in zip(items, rows, strict=True):
            labels = o["metadata"].get("labels") or {}
            row.append(",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>")
    return KubectlOutput(
        format_table(headers, rows, no_headers=bool(inv.flags.get("no-headers"))), stderr, code
    )


# ---------------------------------------------------------------- describe
def pod_events(scenario: Scenario, pod: KubeObject) -> list[KubeObject]:
    """The events describe shows for a pod: same namespace, name and uid."""
    meta = pod["metadata"]
    return [
        e
        for e in scenario.events_in(meta["namespace"])
        if e["involvedObject"].get("name") == meta["name"] and e["involvedObject"].get("uid") == meta["uid"]
    ]


def _describe(inv: Invocation, scenario: Scenario, now: datetime) -> KubectlOutput:
    if not inv.args:
        return _err(
            'error: You must specify the type of resource to describe. Use "kubectl api-resources" for a complete '
            "list of supported resources."
        )
    kind, _, slash_name = inv.args[0].partition("/")
    names = [slash_name] if slash_name else list(inv.args[1:])
    if kind.lower() in _UNMODELLED_TYPES or kind in _EVENT_TYPES:
        return _err(f'error: the fake cluster can only describe pods, not "{kind}"')
    if kind not in _POD_TYPES:
        return _err(f'error: the server doesn\'t have a resource type "{kind}"')
    show_events = inv.flags.get("show-events", True) is not False
    if names:
        pods: list[KubeObject] = []
        errors: list[str] = []
        for n in names:
            pod = None if inv.all_namespaces else scenario.pod(n, inv.namespace)
            if pod is None:
                errors.append(
                    f"Error from server (NotFound): {_not_found(scenario, 'pods', n, inv.namespace)}"
                )
            else:
                pods.append(pod)
    else:
        pods, errors = _select(inv, scenario, "pods"), []
        if not pods:
            return _no_resources(inv)
    texts = [describe_pod(p, pod_events(scenario, p) if show_events else None, now) for p in pods]
    stdout = "\n\n".join(texts)
    return KubectlOutput(stdout, "".join(e + "\n" for e in errors), 1 if errors else 0)


# -------------------------------------------------------------------- logs
def _logs(inv: Invocation, scenario: Scenario) -> KubectlOutput:
    if not inv.args:
        return _err(
            "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
            "POD or TYPE/NAME is a required argument for the logs command\n"
            "See 'kubectl logs -h' for help and examples"
        )
    target = inv.args[0]
    kind, slash, name = target.partition("/")
    if slash and kind not in _POD_TYPES:
        return _err(f'error: the fake cluster only serves logs of pods, not "{kind}"')
    name = name if slash else target
    container = inv.flags.get("container") if isinstance(inv.flags.get("container"), str) else None
    if len(inv.args) > 1:
        if container:
            return _err("error: only one of -c or an inline [CONTAINER] arg is allowed")
        container = inv.args[1]
    if inv.flags.get("follow"):
        return _err("error: --follow is not supported by the fake kubectl: it would never return")
    tail = -1
    if isinstance(inv.flags.get("tail"), str):
        text = str(inv.flags["tail"])
        try:
            tail = int(text)
        except ValueError:
            return _err(
                f'error: invalid argument "{text}" for "--tail" flag: strconv.ParseInt: parsing "{text}": '
                "invalid syntax"
            )
    pod = scenario.pod(name, inv.namespace)
    if pod is None:
        missing = _not_found(scenario, "pods", name, inv.namespace)
        return _err(f'error: error from server (NotFound): {missing} in namespace "{inv.namespace}"')
    specs = pod["spec"].get("containers") or []
    init_specs = pod["spec"].get("initContainers") or []
    all_names = [c["name"] for c in specs] + [c["name"] for c in init_specs]
    stderr = ""
    if container is None:
        default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
        container = default if default in all_names else specs[0]["name"]
        if len(all_names) > 1:
            listed = ", ".join([c["name"] for c in specs] + [f"{c['name']} (init)" for c in init_specs])
            stderr = f'Defaulted container "{container}" out of: {listed}\n'
    if container not in all_names:
        return _err(f"error: container {container} is not valid for pod {name}")
    if not pod["spec"].get("nodeName"):
        return KubectlOutput("", stderr, 0)  # the API server has no kubelet to ask: empty, exit 0
    statuses = (pod["status"].get("containerStatuses") or []) + (
        pod["status"].get("initContainerStatuses") or []
    )
    status = next((s for s in statuses if s["name"] == container), None)
    logs = scenario.container_logs(pod["metadata"]["namespace"], name, container)
    if logs.error:
        return KubectlOutput("", stderr + logs.error.rstrip("\n") + "\n", 1)
    try:
        text = _kubelet_logs(
            name, container, status, logs.current, logs.previous, bool(inv.flags.get("previous"))
        )
    except _ServerError as err:
        return KubectlOutput("", stderr + f"Error from server ({err.reason}): {err.message}\n", 1)
    lines = text.splitlines(keepends=True)
    if tail >= 0:
        lines = lines[len(lines) - tail :] if tail else []
    if inv.flags.get("timestamps"):
        lines = [f"{scenario.now.strftime('%Y-%m-%dT%H:%M:%S.000000000Z')} {line}" for line in lines]
    return KubectlOutput("".join(lines), stderr, 0)


def _kubelet_logs(
    pod: str,
    container: str,
    status: Mapping[str, Any] | None,
    current: str | None,
    previous: str | None,
    want_prev: bool,
) -> str:
    """kubelet's validateContainerLogStatus: which run's log to return, or which error."""
    state = (status or {}).get("state") or {}
    last = ((status or {}).get("lastState") or {}).get("terminated")
    running, terminated, waiting = state.get("running"), state.get("terminated"), state.get("waiting")
    if want_prev:
        if not last or not last.get("containerID"):
            raise _ServerError(
                "BadRequest", f'previous terminated container "{container}" in pod "{pod}" not found'
            )
        return previous or ""
    if running is not None:
        return current or ""
    if terminated is not None:
        if terminated.get("containerID"):
            return current or ""
        if last and last.get("containerID"):
            return previous or ""
        raise _ServerError("BadRequest", f'container "{container}" in pod "{pod}" is terminated')
    if last is not None:
        if not last.get("containerID"):
            raise _ServerError("BadRequest", f'container "{container}" in pod "{pod}" is terminated')
        return previous or ""
    if waiting is not None:
        reason = waiting.get("reason", "")
        detail = {
            "ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image",
        }.get(reason, reason)
        raise _ServerError(
            "BadRequest", f'container "{container}" in pod "{pod}" is waiting to start: {detail}'
        )
    raise _ServerError(
        "BadRequest", f'container "{container}" in pod "{pod}" is waiting to start - no logs yet'
    )
