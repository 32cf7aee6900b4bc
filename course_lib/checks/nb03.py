"""Notebook 03's exercises: a robust ``kubectl logs`` tool, and triage of kubectl results.

``ex1`` replays a learner's ``get_logs(pod_name, namespace, run)`` against a fake ``run`` that
stands in for ``subprocess.run``: it records every call and answers with kubectl 1.32's texts, or
raises ``TimeoutExpired`` / ``FileNotFoundError`` exactly as the real one would, so a timeout
"fires" without waiting. ``ex2`` hands a learner's ``triage(result)`` typed ``KubectlResult`` s
and compares the verdicts with what each failure means.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from course_lib.checks.exercise import Exercise, Wrong
from course_lib.tools.results import ErrorKind, KubectlError, KubectlResult, classify
from course_lib.tools.truncation import approx_tokens

__all__ = ["MAX_TOKENS", "TRIAGE_CASES", "TRIAGE_LABELS", "FakeRun", "Outcome", "ex1", "ex2"]

MAX_TOKENS = 2000
SLACK_TOKENS = 100  # room for a header line the learner adds around the capped log
MAX_TIMEOUT_S = 120.0
POD = "checkout-6d8f7b9c5d-q7x2m"
NAMESPACE = "shop"

HEALTHY_LOG = (
    "2025-03-04 10:27:19,412 INFO  checkout 2.5.0 starting (env=production)\n"
    "2025-03-04 10:27:19,415 INFO  connected to postgres at db.shop.svc:5432\n"
    "2025-03-04 10:27:19,502 INFO  listening on :8080\n"
)
NOT_FOUND_IN_LOG = (
    "2025-03-04 10:27:19,412 INFO  checkout 2.5.0 starting (env=production)\n"
    "2025-03-04 10:27:19,414 WARN  config file /etc/checkout/flags.yaml not found, using defaults\n"
    "2025-03-04 10:27:19,502 INFO  listening on :8080\n"
)
CRASH_TAIL = (
    "2025-03-04 10:29:59,101 INFO  loading settings from environment\n"
    "Traceback (most recent call last):\n"
    '  File "/app/checkout/settings.py", line 31, in <module>\n'
    '    DATABASE_URL = os.environ["DATABASE_URL"]\n'
    '  File "<frozen os>", line 714, in __getitem__\n'
    "KeyError: 'DATABASE_URL'\n"
)
HUGE_LINES = 40_000

KLOG = (
    'E0304 10:30:00.123456   31337 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group '
    'list: Get \\"https://127.0.0.1:6443/api?timeout=32s\\": dial tcp 127.0.0.1:6443: connect: connection refused"\n'
)
STDERR = {
    "not_found": f'error: error from server (NotFound): pods "{{pod}}" not found in namespace "{NAMESPACE}"\n',
    "forbidden": (
        'Error from server (Forbidden): pods "{pod}" is forbidden: User "system:serviceaccount:diag:k8s-agent" '
        f'cannot get resource "pods/log" in API group "" in the namespace "{NAMESPACE}"\n'
    ),
    "refused": KLOG * 5
    + "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n",
}


def _huge_log() -> str:
    """40,000 DEBUG lines (~1.1 M tokens) with the crash that matters at the very end."""
    noise = "".join(
        f"2025-03-04T10:{(i // 1000) % 60:02d}:{(i // 20) % 60:02d}.{i % 1000:03d}Z DEBUG http.request "
        f"method=GET path=/metrics status=200 bytes={900 + i % 3100} trace_id={i * 2654435761 % 2**64:016x}\n"
        for i in range(HUGE_LINES)
    )
    return noise + CRASH_TAIL


# ---------------------------------------------------------------- a scripted subprocess.run


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one scripted kubectl invocation does: exit with output, time out, or not exist."""

    kind: str  # "exit", "timeout" or "missing"
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""


class _NoTimeout(BaseException):
    """Raised by the fake when it should hang but the caller gave no timeout.

    A BaseException, so a learner's ``except Exception`` cannot swallow it.
    """


class _Misuse(BaseException):
    """run() was called in a way that is wrong whatever happens next; carries the sentence."""


@dataclass
class FakeRun:
    """A stand-in for ``subprocess.run``: records each call and plays one scripted ``Outcome``.

    It honours the keyword arguments the way ``subprocess.run`` does: without ``capture_output``
    (or ``stdout=PIPE``) ``stdout`` is None, without ``text``/``encoding`` it is bytes, ``check``
    raises ``CalledProcessError`` on a non-zero exit, and ``--tail=N`` keeps the last N lines.
    """

    outcome: Outcome
    calls: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, args: Any, *rest: Any, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        self.calls.append((args, dict(kwargs)))
        if rest:
            raise _Misuse(
                "pass subprocess.run's options as keywords (capture_output=True, text=True, timeout=...), "
                "not as extra positional arguments."
            )
        if isinstance(args, str | bytes) or kwargs.get("shell"):
            raise _Misuse(
                "you built a command string (or shell=True): a pod name such as `x; rm -rf /` then becomes "
                "a second command, so pass argv as a list of strings and never use a shell."
            )
        argv = [str(a) for a in args]
        out = self.outcome
        if out.kind == "missing":
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), argv[0] if argv else "kubectl")
        if out.kind == "timeout":
            timeout = kwargs.get("timeout")
            if timeout is None:
                raise _NoTimeout
            raise subprocess.TimeoutExpired(argv, timeout, output=b"", stderr=b"")
        stdout = _tail(out.stdout, argv)
        stderr = out.stderr
        capture = bool(kwargs.get("capture_output"))
        merged = kwargs.get("stderr") == subprocess.STDOUT
        got_out: Any = (
            stdout + (stderr if merged else "")
            if capture or kwargs.get("stdout") == subprocess.PIPE
            else None
        )
        got_err: Any = stderr if capture or kwargs.get("stderr") == subprocess.PIPE else None
        if not any(kwargs.get(k) for k in ("text", "universal_newlines", "encoding", "errors")):
            got_out = None if got_out is None else got_out.encode()
            got_err = None if got_err is None else got_err.encode()
        if kwargs.get("check") and out.exit_code != 0:
            raise subprocess.CalledProcessError(out.exit_code, argv, got_out, got_err)
        return subprocess.CompletedProcess(argv, out.exit_code, got_out, got_err)


def _tail(text: str, argv: Sequence[str]) -> str:
    """What ``kubectl logs --tail=N`` prints: the last N lines (all of them without the flag)."""
    n: int | None = None
    for i, arg in enumerate(argv):
        value = (
            arg.split("=", 1)[1]
            if arg.startswith("--tail=")
            else argv[i + 1]
            if arg == "--tail" and i + 1 < len(argv)
            else None
        )
        if value is not None:
            try:
                n = int(value)
            except ValueError:
                return text
    if n is None or n < 0:
        return text
    lines = text.splitlines(keepends=True)
    return "".join(lines[-n:]) if n else ""


def _namespace_of(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg in ("-n", "--namespace") and i + 1 < len(argv):
            return argv[i + 1]
        for prefix in ("--namespace=", "-n="):
            if arg.startswith(prefix):
                return arg[len(prefix) :]
        if arg.startswith("-n") and len(arg) > 2 and not arg.startswith("--"):
            return arg[2:]
    return None


# ---------------------------------------------------------------- exercise 1: a robust logs tool

# Each idea is a list of alternatives; a message "has" the idea when it contains one of them.
NOT_FOUND_WORDS = (
    "not found",
    "does not exist",
    "doesn't exist",
    "no such pod",
    "no pod",
    "missing",
    "not exist",
)
NEXT_STEP_WORDS = (
    "list_pods", "list pods", "list the pods", "get pods", "existing pods", "pods that exist", "check the name",
    "check the pod name", "correct name", "right name", "exact name", "valid name", "spelling", "another name",
    "other name", "look up", "lookup",
)  # fmt: skip
PERMISSION_WORDS = (
    "forbidden",
    "permission",
    "not allowed",
    "denied",
    "rbac",
    "not authorized",
    "unauthorized",
)
NO_RETRY_WORDS = (
    "not retry", "don't retry", "no retry", "never retry", "retrying will not", "retrying won't",
    "retrying cannot", "retrying can't", "retry will not", "retry won't", "retry cannot", "will not help",
    "won't help", "cannot help", "can't help", "not help", "no point", "not try again", "don't try again",
    "pointless", "fail again", "not going to change",
)  # fmt: skip
UNREACHABLE_WORDS = ("reach", "refused", "connect", "down", "not responding", "unavailable", "no answer")
TIMEOUT_WORDS = (
    "timed out", "timeout", "time out", "did not finish", "didn't finish", "did not answer", "didn't answer",
    "did not respond", "didn't respond", "too long", "too slow", "no answer", "within",
)  # fmt: skip
MISSING_WORDS = (
    "not installed", "not found", "missing", "not available", "unavailable", "cannot run", "can't run",
    "could not run", "couldn't run", "no such file", "cannot be found", "could not find", "couldn't find",
    "not on path", "not in path", "cannot find", "can't find", "not present",
)  # fmt: skip
INVALID_WORDS = (
    "invalid", "not valid", "not a valid", "refus", "reject", "not allowed", "illegal", "bad pod", "bad name",
    "must", "dns", "flag",
)  # fmt: skip
CUT_WORDS = (
    "truncat",
    "cut",
    "omit",
    "older lines",
    "earlier lines",
    "skipped",
    "removed",
    "dropped",
    "...",
    "…",
)

HOSTILE = (
    ("--all-namespaces", NAMESPACE, "pod name '--all-namespaces'"),
    ("-oyaml", NAMESPACE, "pod name '-oyaml'"),
    ("web; rm -rf /", NAMESPACE, "pod name 'web; rm -rf /'"),
    ("Checkout-1", NAMESPACE, "pod name 'Checkout-1' (upper case)"),
    (POD, "-A", "namespace '-A'"),
)


def _has(text: str, words: Sequence[str]) -> bool:
    low = text.lower()
    return any(w in low for w in words)


def _call(
    answer: Callable[..., Any], pod: str, namespace: str, outcome: Outcome, case: str
) -> tuple[Any, FakeRun]:
    """Run the learner's tool once against a scripted outcome; turn escapes into one sentence."""
    run = FakeRun(outcome)
    try:
        result = answer(pod, namespace, run)
    except (Wrong, NotImplementedError):
        raise
    except _Misuse as err:
        raise Wrong(str(err)) from None
    except _NoTimeout:
        raise Wrong(
            f"{case}, kubectl hung and your tool waited forever: pass timeout= to run(...) "
            "(a hung API server never answers; HolmesGPT issue #2365)."
        ) from None
    except subprocess.TimeoutExpired:
        raise Wrong(
            f"{case}, TimeoutExpired escaped from your tool: catch it and return a message saying "
            "kubectl timed out (and that one more try may help)."
        ) from None
    except FileNotFoundError:
        raise Wrong(
            f"{case}, FileNotFoundError escaped from your tool: catch it and tell the model that kubectl "
            "is not installed (no retry will fix that)."
        ) from None
    except subprocess.CalledProcessError as err:
        raise Wrong(
            f"{case}, check=True made run() raise CalledProcessError (exit {err.returncode}) and it escaped: "
            "drop check=True and read returncode, or catch it and return a message."
        ) from None
    except Exception as err:
        raise Wrong(
            f"{case}, your tool raised {type(err).__name__}: {err}; a tool must return a message the model "
            "can read, never raise."
        ) from None
    if len(run.calls) > 1:
        raise Wrong(
            f"{case}, your tool ran kubectl {len(run.calls)} times for one tool call: leave retries to one "
            "layer above the tool (kubectl already retries underneath), and say in the message whether a retry may help."
        )
    return result, run


def _check_type(result: Any, case: str) -> str:
    if result is None:
        raise Wrong(
            f"{case}, your tool returned None: subprocess.run without capture_output=True leaves stdout None "
            "(the output went to the screen, not to the model)."
        )
    if isinstance(result, bytes):
        raise Wrong(f"{case}, your tool returned bytes: pass text=True so stdout and stderr are str.")
    if not isinstance(result, str):
        raise Wrong(
            f"{case}, your tool returned a {type(result).__name__}: return a str, the text the model reads."
        )
    return result


def _first_checks(answer: Callable[..., Any]) -> None:
    """A healthy pod: how run() is called, and that the logs come back whole."""
    case = "For a healthy pod"
    result, run = _call(answer, POD, NAMESPACE, Outcome("exit", 0, HEALTHY_LOG), case)
    if not run.calls:
        raise Wrong(
            "your tool never called `run`: call run([...], ...) (the parameter, not subprocess.run "
            "directly) so the checker can replay failures."
        )
    argv, kwargs = run.calls[0]
    argv = [str(a) for a in argv]
    text = _check_type(result, case)
    timeout = kwargs.get("timeout")
    if timeout is None:
        if any(a.startswith("--request-timeout") for a in argv):
            raise Wrong(
                "--request-timeout is per HTTP request and kubectl retries underneath (3 s was measured "
                "as 18 s): pass timeout= to run(...) as well, the only total limit."
            )
        raise Wrong(
            "you called run(...) without timeout=: a slow or hung API server blocks the agent for as long "
            "as kubectl waits, possibly forever; pass timeout=TIMEOUT_S."
        )
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT_S:
        raise Wrong(
            f"timeout={timeout!r} is no protection for an agent: use a number of seconds between 0 and "
            f"{MAX_TIMEOUT_S:g} (TIMEOUT_S = 10 is a good start)."
        )
    if "logs" not in argv or POD not in argv[argv.index("logs") :]:
        raise Wrong(
            f"run() got {argv[-6:]!r}: the command should be `kubectl logs {POD} -n {NAMESPACE} ...`."
        )
    namespace = _namespace_of(argv)
    if namespace is None:
        raise Wrong(
            f"your command has no -n: kubectl then reads its default namespace, not {NAMESPACE!r}; "
            "pass -n with the namespace argument."
        )
    if namespace != NAMESPACE:
        raise Wrong(
            f"you asked kubectl for namespace {namespace!r}, not {NAMESPACE!r}: pass -n with the namespace argument."
        )
    if "-f" in argv or "--follow" in argv:
        raise Wrong("-f/--follow streams the log forever and never returns: drop it.")
    if HEALTHY_LOG.strip().splitlines()[-1] not in text:
        raise Wrong(f"{case}, your tool did not return its logs (it returned {text[:60]!r}).")


def _hostile_checks(answer: Callable[..., Any]) -> None:
    for pod, namespace, what in HOSTILE:
        case = f"For the {what}"
        result, run = _call(answer, pod, namespace, Outcome("exit", 0, HEALTHY_LOG), case)
        if run.calls:
            raise Wrong(
                f"your tool ran kubectl with the {what}: validate pod name and namespace with "
                "validate_pod_name / validate_namespace (DNS-1123) before building argv, and run nothing "
                "when they fail."
            )
        text = _check_type(result, case)
        if not _has(text, INVALID_WORDS):
            raise Wrong(
                f"{case}, you ran nothing (good) but returned {text[:50]!r}: say that the value is invalid "
                "and why, e.g. return the validator's message."
            )


def _message_checks(answer: Callable[..., Any]) -> None:
    # NotFound: name the pod, say it does not exist, say what to do next.
    case = "For a pod that does not exist"
    missing = "checkout-6d8f7b9c5d-q7x2n"
    stderr = STDERR["not_found"].format(pod=missing)
    text = _check_type(_call(answer, missing, NAMESPACE, Outcome("exit", 1, "", stderr), case)[0], case)
    if not text.strip():
        raise Wrong(
            f"{case}, your tool returned an empty string, which the model reads as 'no logs': check "
            "returncode (1 here) and return an error message."
        )
    if missing not in text:
        raise Wrong(
            f"{case}, your message ({text[:50]!r}) does not name the pod: say which pod was not found."
        )
    if not _has(text, NOT_FOUND_WORDS):
        raise Wrong(f"{case}, your message ({text[:50]!r}) does not say that the pod was not found.")
    if not _has(text, NEXT_STEP_WORDS):
        raise Wrong(
            f"{case}, your message does not tell the model what to do next: suggest listing the pods "
            "(list_pods) to find the right name."
        )

    # Forbidden: say it is a permission problem, and that retrying cannot help.
    case = "For a Forbidden error"
    stderr = STDERR["forbidden"].format(pod=POD)
    text = _check_type(_call(answer, POD, NAMESPACE, Outcome("exit", 1, "", stderr), case)[0], case)
    if not text.strip():
        raise Wrong(
            f"{case}, your tool returned an empty string: check returncode and return an error message."
        )
    if not _has(text, PERMISSION_WORDS):
        raise Wrong(f"{case}, your message ({text[:50]!r}) does not say that permission was denied.")
    if not _has(text, NO_RETRY_WORDS):
        raise Wrong(
            f"{case}, your message does not say that retrying will not help: RBAC does not change between "
            "attempts, and a model that is not told so tries again."
        )

    # Connection refused: no klog noise, say the API server cannot be reached.
    case = "When the API server refuses connections"
    text = _check_type(
        _call(answer, POD, NAMESPACE, Outcome("exit", 1, "", STDERR["refused"]), case)[0], case
    )
    if "memcache.go" in text:
        raise Wrong(
            f"{case}, you passed kubectl's raw stderr to the model: five lines of client-go logging "
            "(memcache.go) before the one line that matters; summarise it."
        )
    if not text.strip() or not _has(text, UNREACHABLE_WORDS):
        raise Wrong(f"{case}, your message ({text[:50]!r}) does not say that the cluster cannot be reached.")

    # Timeout: the fake raises TimeoutExpired (only if a timeout was given).
    case = "When kubectl hangs"
    text = _check_type(_call(answer, POD, NAMESPACE, Outcome("timeout"), case)[0], case)
    if not _has(text, TIMEOUT_WORDS):
        raise Wrong(f"{case}, your message ({text[:50]!r}) does not say that kubectl timed out.")

    # Missing binary: FileNotFoundError from run().
    case = "When kubectl is not installed"
    text = _check_type(_call(answer, POD, NAMESPACE, Outcome("missing"), case)[0], case)
    if "kubectl" not in text.lower() or not _has(text, MISSING_WORDS):
        raise Wrong(
            f"{case}, your message ({text[:50]!r}) does not say that the kubectl executable is missing."
        )


def _content_checks(answer: Callable[..., Any]) -> None:
    # A healthy log that happens to contain "not found".
    case = "For a healthy pod whose log says 'not found'"
    text = _check_type(_call(answer, POD, NAMESPACE, Outcome("exit", 0, NOT_FOUND_IN_LOG), case)[0], case)
    if NOT_FOUND_IN_LOG.strip().splitlines()[-1] not in text:
        raise Wrong(
            f"{case}, your tool did not return the logs: decide from returncode (0 here) and kubectl's "
            "'Error from server (NotFound)' frame (course_lib.tools.classify), not from words in the output."
        )

    # 40,000 lines, the crash at the end.
    case = "For a 40,000-line log"
    huge = _huge_log()
    text, run = _call(answer, POD, NAMESPACE, Outcome("exit", 0, huge), case)
    text = _check_type(text, case)
    argv = [str(a) for a in run.calls[0][0]] if run.calls else []
    delivered = _tail(huge, argv)
    tokens = approx_tokens(text)
    if tokens > MAX_TOKENS + SLACK_TOKENS:
        raise Wrong(
            f"{case}, your tool returned about {tokens:,} tokens: cap it at MAX_TOKENS ({MAX_TOKENS:,}) with "
            "cap_output(..., keep='tail'); --tail alone counts lines, not tokens."
        )
    newest = CRASH_TAIL.strip().splitlines()[-5:]
    if not all(line in text for line in newest):
        oldest = delivered.splitlines()[0] if delivered else ""
        if oldest and oldest in text:
            raise Wrong(
                f"{case}, you kept the oldest lines and cut the newest, where the crash is: for logs keep "
                "the tail (cap_output(..., keep='tail'))."
            )
        raise Wrong(f"{case}, the newest lines (the crash at the end) are missing from what you returned.")
    if delivered.strip() not in text and not _has(text.replace(CRASH_TAIL, ""), CUT_WORDS):
        raise Wrong(
            f"{case}, you cut lines without saying so: add a note such as '[... truncated: N older lines cut]' "
            "so the model knows it sees only the end."
        )


def _check_logs_tool(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(f"`get_logs` should be a function, but it is a {type(answer).__name__}.")
    _first_checks(answer)
    _hostile_checks(answer)
    _message_checks(answer)
    _content_checks(answer)
    return (
        "it validates names before running anything, bounds kubectl with timeout=, turns NotFound, "
        "Forbidden, connection refused, timeouts and a missing binary into messages the model can act on, "
        "and caps a huge log to its newest lines with a note."
    )


_SOLUTION_1 = '''
import subprocess

from course_lib.safety.validation import InvalidArgumentError, validate_namespace, validate_pod_name
from course_lib.tools import FAKE_KUBECTL, ErrorKind, cap_output, classify

KUBECTL = list(FAKE_KUBECTL)  # in production: ["kubectl"]
TIMEOUT_S = 10  # total seconds for one kubectl call
MAX_TOKENS = 2000  # the cap on what the model receives


def get_logs(pod_name, namespace, run=subprocess.run):
    """Return the pod's newest log lines, or an error message the model can act on."""
    try:
        pod, ns = validate_pod_name(pod_name), validate_namespace(namespace)
    except InvalidArgumentError as err:
        return f"Error: {err}. Nothing was run; call again with a valid name."
    try:
        proc = run(
            [*KUBECTL, "logs", pod, "-n", ns, "--tail=500"], capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except FileNotFoundError:
        return (
            "Error: the kubectl executable is not installed, so no tool can reach the cluster. "
            "Retrying will not help; tell the user."
        )
    except subprocess.TimeoutExpired:
        return (
            f"Error: kubectl did not finish within {TIMEOUT_S} s and was stopped. "
            "The cluster may be slow; try once more, then report it."
        )
    error = classify(proc.returncode, proc.stderr)
    if error is None:
        return cap_output(proc.stdout, MAX_TOKENS, keep="tail")
    if error.kind is ErrorKind.NOT_FOUND:
        return f"Error: pod '{pod}' not found in namespace '{ns}'. Use list_pods to see the pods that exist."
    if error.kind is ErrorKind.FORBIDDEN:
        return (
            f"Error: permission denied (Forbidden) reading the logs of '{pod}'. "
            "Retrying will not help; tell the user the agent lacks this permission."
        )
    return f"Error: kubectl failed ({error.kind}): {error.message}"
'''

ex1 = Exercise(
    "ex1",
    target="get_logs",
    checker=_check_logs_tool,
    task="a kubectl logs tool that validates, times out, explains failures and caps output",
    hints=[
        "Validate first (validate_pod_name, validate_namespace) and return the error text without calling "
        "run; then call run([*KUBECTL, 'logs', pod, '-n', ns], capture_output=True, text=True, timeout=TIMEOUT_S).",
        "Catch FileNotFoundError and subprocess.TimeoutExpired around run(...); for a finished process, "
        "classify(proc.returncode, proc.stderr) gives None on success or a KubectlError with a .kind.",
        "Write one message per kind that names the pod and says what to do next (NotFound: list_pods; "
        "Forbidden: retrying will not help); on success return cap_output(proc.stdout, MAX_TOKENS, keep='tail').",
    ],
    solution=_SOLUTION_1,
)


# ---------------------------------------------------------------- exercise 2: triage

TRIAGE_LABELS = ("ok", "retry", "fix", "stop")


@dataclass(frozen=True, slots=True)
class TriageCase:
    """One kubectl result and the verdict it deserves, with the reason in a few words."""

    what: str
    expected: str
    why: str
    result: KubectlResult


def _result(args: Sequence[str], exit_code: int | None, stdout: str = "", stderr: str = "",
            error: KubectlError | None = None) -> KubectlResult:  # fmt: skip
    argv = ("kubectl", *args)
    if error is None and exit_code is not None:
        error = classify(exit_code, stderr)
    return KubectlResult(argv, exit_code, stdout, stderr, 0.0, error)


_LOGS = ("logs", POD, "-n", NAMESPACE)
_GET = ("get", "pods", "-n", NAMESPACE)

TRIAGE_CASES: tuple[TriageCase, ...] = (
    TriageCase("a successful `kubectl logs`", "ok", "it worked", _result(_LOGS, 0, HEALTHY_LOG)),
    TriageCase(
        "a NotFound error (kubectl 1.32 logs)", "fix",
        "the pod name is wrong; the same call fails again, a corrected name (from list_pods) can succeed",
        _result(_LOGS, 1, stderr=STDERR["not_found"].format(pod="checkout-6d8f7b9c5d-q7x2n")),
    ),
    TriageCase(
        "a Forbidden error", "stop",
        "RBAC permissions do not change between attempts, and no other pod name gets past them",
        _result(_LOGS, 1, stderr=STDERR["forbidden"].format(pod=POD)),
    ),
    TriageCase(
        "a refused connection", "retry",
        "nothing answered at the API server's address; it may be restarting, so a later attempt can succeed",
        _result(_GET, 1, stderr=STDERR["refused"]),
    ),
    TriageCase(
        "a TooManyRequests (429) error", "retry",
        "the server asked to be called again later, after a wait",
        _result(_GET, 1, stderr="Error from server (TooManyRequests): the server has received too many requests "
                "and has asked us to try again later (get pods)\n"),
    ),
    TriageCase(
        "an InternalError (500)", "retry", "a server-side failure such as an etcd timeout is usually transient",
        _result(_GET, 1, stderr='Error from server (InternalError): an error on the server ("etcdserver: request '
                'timed out") has prevented the request from succeeding (get pods)\n'),
    ),
    TriageCase(
        "a TLS handshake timeout", "retry", "a timeout says the server was slow, not that the request was wrong",
        _result(_GET, 1, stderr="Unable to connect to the server: net/http: TLS handshake timeout\n"),
    ),
    TriageCase(
        "a call stopped by the tool's timeout", "retry", "a slow cluster may answer the next time (within a deadline)",
        _result(_LOGS, None, error=KubectlError(ErrorKind.TIMEOUT, "kubectl did not finish within 10 s and was stopped")),
    ),
    TriageCase(
        "a missing kubectl binary", "stop", "no retry and no other argument makes the executable appear",
        _result(_LOGS, None, error=KubectlError(ErrorKind.BINARY_MISSING,
                "cannot run 'kubectl': No such file or directory")),
    ),
    TriageCase(
        "an Unauthorized error", "stop", "expired credentials are sent again unchanged on every retry",
        _result(_GET, 1, stderr="error: You must be logged in to the server (the server has asked for the client "
                "to provide credentials)\n"),
    ),
    TriageCase(
        "a kubectl crash (Go panic, exit 2)", "stop", "the same command most likely crashes the same way again",
        _result(_GET, 2, stderr="panic: runtime error: invalid memory address or nil pointer dereference\n\n"
                "goroutine 1 [running]:\n"),
    ),
    TriageCase(
        "an unknown flag", "fix", "kubectl rejected the command line itself; only a different call can work",
        _result(("logs", POD, "--bogus"), 1, stderr="error: unknown flag: --bogus\nSee 'kubectl logs --help' for usage.\n"),
    ),
    TriageCase(
        "a wrong container name", "fix", "the call names a container the pod does not have",
        _result(("logs", POD, "-c", "sidecar"), 1, stderr=f"error: container sidecar is not valid for pod {POD}\n"),
    ),
    TriageCase(
        "a successful `kubectl logs` whose text mentions an error", "ok",
        "kubectl exited 0; words inside the log are the application's, not kubectl's",
        _result(_LOGS, 0, "2025-03-04 10:27:19 WARN upstream said: Error from server (NotFound): item not found\n"),
    ),
    TriageCase(
        "a NotFound error (kubectl 1.28 text)", "fix", "the same missing pod, in an older kubectl's words",
        _result(_LOGS, 1, stderr='Error from server (NotFound): pods "checkout-6d8f7b9c5d-q7x2n" not found\n'),
    ),
    TriageCase(
        "a server-side Timeout (504)", "retry", "the server ran out of time, which says nothing against the request",
        _result(_GET, 1, stderr="Error from server (Timeout): the server was unable to return a response in the "
                "time allotted, but may still be processing the request (get pods)\n"),
    ),
    TriageCase(
        "a ServiceUnavailable (503)", "retry", "the API server is temporarily overloaded or restarting",
        _result(_GET, 1, stderr="Error from server (ServiceUnavailable): the server is currently unable to handle "
                "the request (get pods)\n"),
    ),
)  # fmt: skip


def _check_triage(answer: Any) -> str:
    if not callable(answer):
        raise Wrong(f"`triage` should be a function, but it is a {type(answer).__name__}.")
    for case in TRIAGE_CASES:
        try:
            got = answer(case.result)
        except NotImplementedError:
            raise
        except Exception as err:
            raise Wrong(f"for {case.what} your function raised {type(err).__name__}: {err}.") from None
        label = got.strip().lower() if isinstance(got, str) else got
        if label not in TRIAGE_LABELS:
            raise Wrong(
                f"for {case.what} you returned {got!r}: return one of {', '.join(map(repr, TRIAGE_LABELS))}."
            )
        if label != case.expected:
            raise Wrong(f"{case.what} should be {case.expected!r}, not {label!r}: {case.why}.")
    return (
        f"all {len(TRIAGE_CASES)} results triaged: transient failures are retried, wrong calls are fixed, "
        "and nothing is retried that cannot succeed."
    )


_SOLUTION_2 = """
from course_lib.tools import ErrorKind

WRONG_CALL = {ErrorKind.NOT_FOUND, ErrorKind.BAD_REQUEST, ErrorKind.USAGE}


def triage(result):
    \"\"\"'ok', 'retry', 'fix' or 'stop' for one KubectlResult.\"\"\"
    if result.error is None:
        return "ok"
    if result.error.retryable:  # transient: the same call may succeed later
        return "retry"
    if result.error.kind in WRONG_CALL:  # the call was wrong: change it
        return "fix"
    return "stop"  # permissions, credentials, no kubectl, a crash: report it
"""

ex2 = Exercise(
    "ex2",
    target="triage",
    checker=_check_triage,
    task="decide retry / fix / stop for kubectl results",
    hints=[
        "Do not read stderr yourself: result.error is None on success, else a KubectlError with .kind "
        "(an ErrorKind) and .retryable.",
        "retryable covers connection refused, 429, 5xx and timeouts; NotFound, BadRequest and Usage mean the "
        "call itself was wrong.",
        "Everything else (Forbidden, Unauthorized, BinaryMissing, Crash) is 'stop': neither a retry nor "
        "other arguments can help.",
    ],
    solution=_SOLUTION_2,
)
