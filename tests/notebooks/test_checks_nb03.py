"""Notebook 03's checkers, on the reference solutions, the untouched starters and realistic wrong answers."""

from __future__ import annotations

import subprocess

import pytest

from course_lib.checks.nb03 import TRIAGE_CASES, FakeRun, Outcome, ex1, ex2
from course_lib.safety.validation import InvalidArgumentError, validate_namespace, validate_pod_name
from course_lib.tools import ErrorKind, cap_output, classify

KUBECTL = ["kubectl"]
TIMEOUT_S = 10
MAX_TOKENS = 2000


def solution(exercise, name):
    namespace: dict = {}
    exec(exercise.solution_code, namespace)
    return namespace[name]


def one_sentence(message: str) -> bool:
    return message.count(". ") <= 1


# ------------------------------------------------------------------ shared pieces of the wrong answers


def explain(error, pod, ns):
    """Good messages, so each wrong answer below differs from a right one in one way only."""
    if error.kind is ErrorKind.NOT_FOUND:
        return f"Error: pod '{pod}' not found in namespace '{ns}'. Use list_pods to see the pods that exist."
    if error.kind is ErrorKind.FORBIDDEN:
        return "Error: permission denied (Forbidden). Retrying will not help; tell the user."
    return f"Error: kubectl failed ({error.kind}): {error.message}"


def validated(pod_name, namespace):
    try:
        return validate_pod_name(pod_name), validate_namespace(namespace), None
    except InvalidArgumentError as err:
        return None, None, f"Error: {err}. Nothing was run."


def careful_run(run, argv):
    """run() with every protection; returns (proc, message)."""
    try:
        return run(argv, capture_output=True, text=True, timeout=TIMEOUT_S), None
    except FileNotFoundError:
        return None, "Error: kubectl is not installed. Retrying will not help."
    except subprocess.TimeoutExpired:
        return None, f"Error: kubectl timed out after {TIMEOUT_S} s; try once more."


# ------------------------------------------------------------------ exercise 1: right and untouched


def starter(pod_name, namespace, run=subprocess.run):
    raise NotImplementedError


def test_reference_logs_tool_is_correct():
    verdict = ex1.check(solution(ex1, "get_logs"))
    assert verdict.ok, verdict.message


def test_untouched_logs_starter_is_not_attempted():
    assert ex1.check(starter).status == "not attempted"


def test_logs_tool_with_a_small_tail_and_no_cut_is_correct():
    """--tail=40 keeps the output under the cap at the source: nothing cut by the tool, no note needed."""

    def small_tail(pod_name, namespace, run=subprocess.run):
        pod, ns, bad = validated(pod_name, namespace)
        if bad:
            return bad
        proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns, "--tail=40"])
        if message:
            return message
        error = classify(proc.returncode, proc.stderr)
        return explain(error, pod, ns) if error else cap_output(proc.stdout, MAX_TOKENS, keep="tail")

    verdict = ex1.check(small_tail)
    assert verdict.ok, verdict.message


# ------------------------------------------------------------------ exercise 1: realistic wrong answers


def outline_naive(pod_name, namespace, run=subprocess.run):
    result = run([*KUBECTL, "logs", pod_name, "-n", namespace])
    return result.stdout


def no_timeout(pod_name, namespace, run=subprocess.run):
    return run([*KUBECTL, "logs", pod_name, "-n", namespace], capture_output=True, text=True).stdout


def request_timeout_only(pod_name, namespace, run=subprocess.run):
    argv = [*KUBECTL, "logs", pod_name, "-n", namespace, "--request-timeout=5s"]
    return run(argv, capture_output=True, text=True).stdout


def shell_string(pod_name, namespace, run=subprocess.run):
    cmd = f"kubectl logs {pod_name} -n {namespace}"
    return run(cmd, shell=True, capture_output=True, text=True, timeout=TIMEOUT_S).stdout


def bytes_output(pod_name, namespace, run=subprocess.run):
    return run([*KUBECTL, "logs", pod_name, "-n", namespace], capture_output=True, timeout=TIMEOUT_S).stdout


def forgets_namespace(pod_name, namespace, run=subprocess.run):
    return run([*KUBECTL, "logs", pod_name], capture_output=True, text=True, timeout=TIMEOUT_S).stdout


def ignores_run(pod_name, namespace, run=subprocess.run):
    return "2025-03-04 10:27:19,502 INFO  listening on :8080\n"


def unvalidated(pod_name, namespace, run=subprocess.run):
    proc, message = careful_run(run, [*KUBECTL, "logs", pod_name, "-n", namespace])
    if message:
        return message
    error = classify(proc.returncode, proc.stderr)
    return explain(error, pod_name, namespace) if error else cap_output(proc.stdout, MAX_TOKENS)


def blocklist(pod_name, namespace, run=subprocess.run):
    if pod_name.startswith("-") or namespace.startswith("-"):
        return "Error: invalid name: it must not start with '-'."
    return unvalidated(pod_name, namespace, run)


def refuses_silently(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return "Error"
    return run([*KUBECTL, "logs", pod, "-n", ns], capture_output=True, text=True, timeout=TIMEOUT_S).stdout


def ignores_exit_code(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
    return message or cap_output(proc.stdout, MAX_TOKENS)


def raw_stderr(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
    if message:
        return message
    return proc.stderr if proc.returncode else cap_output(proc.stdout, MAX_TOKENS)


def just_error(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
    if message:
        return message
    return "Error" if proc.returncode else cap_output(proc.stdout, MAX_TOKENS)


def no_next_step(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
    if message:
        return message
    if proc.returncode:
        return f"Error: pod {pod} was not found."
    return cap_output(proc.stdout, MAX_TOKENS)


def forbidden_says_retry(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
    if message:
        return message
    error = classify(proc.returncode, proc.stderr)
    if error and error.kind is ErrorKind.FORBIDDEN:
        return "Error: access forbidden; please try again."
    return explain(error, pod, ns) if error else cap_output(proc.stdout, MAX_TOKENS)


def raw_stderr_for_unknown_kinds(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
    if message:
        return message
    error = classify(proc.returncode, proc.stderr)
    if error and error.kind in (ErrorKind.NOT_FOUND, ErrorKind.FORBIDDEN):
        return explain(error, pod, ns)
    return f"Error: {proc.stderr}" if error else cap_output(proc.stdout, MAX_TOKENS)


def _good_until_run(pod_name, namespace):
    pod, ns, bad = validated(pod_name, namespace)
    return pod, ns, bad


def timeout_escapes(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = _good_until_run(pod_name, namespace)
    if bad:
        return bad
    proc = run([*KUBECTL, "logs", pod, "-n", ns], capture_output=True, text=True, timeout=TIMEOUT_S)
    error = classify(proc.returncode, proc.stderr)
    return explain(error, pod, ns) if error else cap_output(proc.stdout, MAX_TOKENS)


def retries_on_timeout(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = _good_until_run(pod_name, namespace)
    if bad:
        return bad
    for _ in range(3):
        proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
        if proc is not None:
            error = classify(proc.returncode, proc.stderr)
            return explain(error, pod, ns) if error else cap_output(proc.stdout, MAX_TOKENS)
    return message


def missing_binary_escapes(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = _good_until_run(pod_name, namespace)
    if bad:
        return bad
    try:
        proc = run([*KUBECTL, "logs", pod, "-n", ns], capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "Error: kubectl timed out; try once more."
    error = classify(proc.returncode, proc.stderr)
    return explain(error, pod, ns) if error else cap_output(proc.stdout, MAX_TOKENS)


def check_true(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = _good_until_run(pod_name, namespace)
    if bad:
        return bad
    try:
        proc = run(
            [*KUBECTL, "logs", pod, "-n", ns], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return "Error: kubectl could not run."
    return cap_output(proc.stdout, MAX_TOKENS)


def matches_not_found_text(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns])
    if message:
        return message
    if "not found" in proc.stdout + proc.stderr:
        return f"Error: pod '{pod}' not found in namespace '{ns}'. Use list_pods to find the right name."
    if "forbidden" in proc.stderr:
        return "Error: permission denied. Retrying will not help."
    if proc.returncode:
        return "Error: cannot reach the cluster (connection refused); try again later."
    return cap_output(proc.stdout, MAX_TOKENS)


def good_messages(run, pod, ns, extra=()):
    proc, message = careful_run(run, [*KUBECTL, "logs", pod, "-n", ns, *extra])
    if message:
        return None, message
    error = classify(proc.returncode, proc.stderr)
    return (None, explain(error, pod, ns)) if error else (proc.stdout, None)


def uncapped(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    out, message = good_messages(run, pod, ns)
    return message or out


def tail_lines_only(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    out, message = good_messages(run, pod, ns, ["--tail=100"])
    return message or out


def keeps_head(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    out, message = good_messages(run, pod, ns)
    return message or cap_output(out, MAX_TOKENS, keep="head")


def cuts_silently(pod_name, namespace, run=subprocess.run):
    pod, ns, bad = validated(pod_name, namespace)
    if bad:
        return bad
    out, message = good_messages(run, pod, ns)
    return message or out[-MAX_TOKENS * 4 :]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (outline_naive, "stdout None"),
        (no_timeout, "without timeout="),
        (request_timeout_only, "--request-timeout is per HTTP request"),
        (shell_string, "never use a shell"),
        (bytes_output, "pass text=True"),
        (forgets_namespace, "your command has no -n"),
        (ignores_run, "never called `run`"),
        (unvalidated, "ran kubectl with the pod name '--all-namespaces'"),
        (blocklist, "pod name 'web; rm -rf /'"),
        (refuses_silently, "say that the value is invalid"),
        (ignores_exit_code, "returned an empty string"),
        (raw_stderr, "what to do next"),
        (just_error, "does not name the pod"),
        (no_next_step, "what to do next"),
        (forbidden_says_retry, "retrying will not help"),
        (raw_stderr_for_unknown_kinds, "memcache.go"),
        (timeout_escapes, "TimeoutExpired escaped"),
        (retries_on_timeout, "ran kubectl 3 times"),
        (missing_binary_escapes, "FileNotFoundError escaped"),
        (check_true, "CalledProcessError"),
        (matches_not_found_text, "not from words in the output"),
        (uncapped, "cap it at MAX_TOKENS"),
        (tail_lines_only, "--tail alone counts lines"),
        (keeps_head, "kept the oldest lines"),
        (cuts_silently, "without saying so"),
        (42, "should be a function"),
    ],
)
def test_wrong_logs_tools_get_a_specific_sentence(answer, expected):
    verdict = ex1.check(answer)
    assert verdict.status == "wrong", verdict
    assert expected in verdict.message, verdict.message
    assert one_sentence(verdict.message), verdict.message


# ------------------------------------------------------------------ the fake subprocess.run itself


def test_fake_run_behaves_like_subprocess_run():
    run = FakeRun(Outcome("exit", 1, "out\n", "err\n"))
    assert run(["kubectl", "logs", "x"]).stdout is None
    assert run(["kubectl", "logs", "x"], capture_output=True).stdout == b"out\n"
    proc = run(["kubectl", "logs", "x"], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "out\n", "err\n")
    with pytest.raises(subprocess.CalledProcessError):
        run(["kubectl"], capture_output=True, text=True, check=True)
    assert len(run.calls) == 4


def test_fake_run_honours_tail_and_raises_like_the_real_one():
    run = FakeRun(Outcome("exit", 0, "a\nb\nc\n"))
    assert run(["kubectl", "logs", "x", "--tail=2"], capture_output=True, text=True).stdout == "b\nc\n"
    assert run(["kubectl", "logs", "x", "--tail", "1"], capture_output=True, text=True).stdout == "c\n"
    with pytest.raises(subprocess.TimeoutExpired):
        FakeRun(Outcome("timeout"))(["kubectl"], timeout=1)
    with pytest.raises(FileNotFoundError):
        FakeRun(Outcome("missing"))(["kubectl"], timeout=1)


# ------------------------------------------------------------------ exercise 2: triage


def triage_starter(result):
    raise NotImplementedError


def test_reference_triage_is_correct():
    verdict = ex2.check(solution(ex2, "triage"))
    assert verdict.ok, verdict.message


def test_untouched_triage_starter_is_not_attempted():
    assert ex2.check(triage_starter).status == "not attempted"


def test_triage_through_resilience_classify_is_correct_when_it_checks_the_tool_kind():
    from course_lib.resilience import ErrorKind as Kind
    from course_lib.resilience import classify as classify_any

    def triage(result):
        if result.ok:
            return "ok"
        verdict = classify_any(result)
        if verdict.retryable:
            return "retry"
        if (
            verdict.kind in (Kind.NOT_FOUND, Kind.BAD_REQUEST)
            and result.error.kind is not ErrorKind.BINARY_MISSING
        ):
            return "fix"
        return "stop"

    verdict = ex2.check(triage)
    assert verdict.ok, verdict.message


def retry_everything(result):
    return "ok" if result.ok else "retry"


def by_exit_code(result):
    return "ok" if result.exit_code == 0 else "retry" if result.exit_code is None else "stop"


def string_matcher(result):
    text = result.stderr + result.stdout
    if "not found" in text:
        return "fix"
    if "refused" in text or "timeout" in text:
        return "retry"
    return "ok" if result.exit_code == 0 else "stop"


def forbidden_is_retryable(result):
    if result.ok:
        return "ok"
    if result.error.retryable or result.error.kind is ErrorKind.FORBIDDEN:
        return "retry"
    return (
        "fix"
        if result.error.kind in (ErrorKind.NOT_FOUND, ErrorKind.BAD_REQUEST, ErrorKind.USAGE)
        else "stop"
    )


def resilience_kinds_only(result):
    from course_lib.resilience import ErrorKind as Kind
    from course_lib.resilience import classify as classify_any

    verdict = classify_any(result)
    if verdict.kind is Kind.OK:
        return "ok"
    if verdict.retryable:
        return "retry"
    return "fix" if verdict.kind in (Kind.NOT_FOUND, Kind.BAD_REQUEST) else "stop"


def capitalised_labels(result):
    return "Retry" if not result.ok else "OK"


def returns_bool(result):
    return result.ok


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (retry_everything, "NotFound error (kubectl 1.32 logs) should be 'fix', not 'retry'"),
        (by_exit_code, "should be 'fix', not 'stop'"),
        (string_matcher, "TooManyRequests (429) error should be 'retry', not 'stop'"),
        (forbidden_is_retryable, "Forbidden error should be 'stop', not 'retry'"),
        (resilience_kinds_only, "missing kubectl binary should be 'stop', not 'fix'"),
        (capitalised_labels, "NotFound error (kubectl 1.32 logs) should be 'fix', not 'retry'"),
        (returns_bool, "return one of 'ok', 'retry', 'fix', 'stop'"),
        ("retry", "should be a function"),
    ],
)
def test_wrong_triage_gets_a_specific_sentence(answer, expected):
    verdict = ex2.check(answer)
    assert verdict.status == "wrong", verdict
    assert expected in verdict.message, verdict.message
    assert one_sentence(verdict.message), verdict.message


def test_triage_cases_cover_every_label_and_are_classified_as_described():
    assert {case.expected for case in TRIAGE_CASES} == {"ok", "retry", "fix", "stop"}
    for case in TRIAGE_CASES:
        assert (case.result.error is None) == (case.expected == "ok"), case.what
        if case.result.error is not None:
            assert case.result.error.retryable == (case.expected == "retry"), case.what


def test_a_header_line_around_the_capped_log_is_allowed():
    reference = solution(ex1, "get_logs")

    def with_header(pod_name, namespace, run=subprocess.run):
        answer = reference(pod_name, namespace, run)
        return answer if answer.startswith("Error") else f"Logs of pod {pod_name} (newest last):\n{answer}"

    verdict = ex1.check(with_header)
    assert verdict.ok, verdict.message
