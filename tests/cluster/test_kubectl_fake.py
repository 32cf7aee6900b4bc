"""The fake kubectl's formats, errors and exit codes (in-process: run_kubectl)."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.fakes.cluster import load_scenario
from course_lib.fakes.cluster.kubectl import MUTATING_VERBS, UsageError, parse_invocation, run_kubectl
from course_lib.fakes.cluster.tabwriter import TabWriter
from course_lib.fakes.cluster.timefmt import human_duration

HEALTHY = load_scenario("healthy-shop")
CRASH = load_scenario("crashloop-app-error")
CRASH_POD = "checkout-6d8f7b9c5d-q7x2m"


def k(scenario, *argv: str):  # type: ignore[no-untyped-def]
    return run_kubectl(list(argv), scenario)


def test_get_pods_table_is_byte_exact() -> None:
    out = k(HEALTHY, "get", "pods", "-n", "shop")
    assert out.exit_code == 0 and out.stderr == ""
    assert out.stdout == (
        "NAME                        READY   STATUS    RESTARTS   AGE\n"
        "cart-5b7f9c8d4-m4p8z        1/1     Running   0          2d4h\n"
        "checkout-6d8f7b9c5d-q7x2m   1/1     Running   0          2d4h\n"
        "frontend-7c9d8b6f5-2kq9x    1/1     Running   0          2d4h\n"
    )


def test_restarts_show_last_restart_age() -> None:
    assert "CrashLoopBackOff   8 (2m39s ago)   18m" in k(CRASH, "get", "pods", "-n", "shop").stdout


def test_wide_and_all_namespaces_columns() -> None:
    wide = k(HEALTHY, "get", "pods", "-n", "shop", "-o", "wide").stdout.splitlines()[0].split()
    assert wide == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    everything = k(HEALTHY, "get", "pods", "-A").stdout.splitlines()
    assert everything[0].startswith("NAMESPACE   NAME")
    assert all(line.startswith("shop ") for line in everything[1:])


def test_pending_pod_has_no_node_in_wide_output() -> None:
    s = load_scenario("pending-insufficient-cpu")
    row = k(s, "get", "pods", "-n", "ml", "-o", "wide").stdout.splitlines()[1].split()
    assert row[2] == "Pending" and row[5:7] == ["<none>", "<none>"]


def test_json_and_yaml_outputs() -> None:
    single = k(CRASH, "get", "pod", CRASH_POD, "-n", "shop", "-o", "json")
    obj = json.loads(single.stdout)
    assert (
        obj["kind"] == "Pod"
        and obj["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1
    )
    assert single.stdout.startswith('{\n    "apiVersion": "v1",\n    "kind": "Pod",')  # sorted keys, 4 spaces
    listing = json.loads(k(CRASH, "get", "pods", "-n", "shop", "-o", "json").stdout)
    assert listing["kind"] == "List" and len(listing["items"]) == 1
    empty = k(CRASH, "get", "pods", "-n", "nope", "-o", "json")
    assert json.loads(empty.stdout)["items"] == [] and empty.stderr == ""
    as_yaml = k(CRASH, "get", "pod", CRASH_POD, "-n", "shop", "-o", "yaml").stdout
    assert yaml.safe_load(as_yaml) == obj
    assert 'creationTimestamp: "2025-03-04T10:12:00Z"' in as_yaml
    assert k(CRASH, "get", "pods", "-n", "shop", "-o", "name").stdout == f"pod/{CRASH_POD}\n"


def test_json_escapes_html_like_go() -> None:
    s = load_scenario("missing-configmap")
    out = k(s, "get", "pods", "-n", "payments", "-o", "json").stdout
    assert "<" not in out or "\\u003c" in out
    assert json.loads(out)["items"][0]["metadata"]["name"].startswith("payments-api")


def test_no_resources_goes_to_stderr_with_exit_zero() -> None:
    out = k(HEALTHY, "get", "pods", "-n", "nope")
    assert (out.stdout, out.stderr, out.exit_code) == ("", "No resources found in nope namespace.\n", 0)
    assert k(HEALTHY, "get", "pods").stderr == "No resources found in default namespace.\n"


def test_not_found_texts_and_exit_codes() -> None:
    out = k(HEALTHY, "get", "pod", "missing-pod", "-n", "shop")
    assert (out.stderr, out.exit_code) == ('Error from server (NotFound): pods "missing-pod" not found\n', 1)
    out = k(HEALTHY, "describe", "pod", "missing-pod", "-n", "shop")
    assert (out.stderr, out.exit_code) == ('Error from server (NotFound): pods "missing-pod" not found\n', 1)
    out = k(HEALTHY, "logs", "missing-pod")
    assert (
        out.stderr
        == 'error: error from server (NotFound): pods "missing-pod" not found in namespace "default"\n'
    )
    assert out.exit_code == 1


@pytest.mark.parametrize(
    ("scenario", "pod", "ns", "extra", "stderr"),
    [
        (
            "imagepull-bad-tag",
            "gateway-5f6b8d7c9-wq4rt",
            "web",
            [],
            'container "gateway" in pod "gateway-5f6b8d7c9-wq4rt" is waiting to start: image can\'t be pulled',
        ),
        (
            "imagepull-private-registry",
            "ledger-7b9f6c5d8-h2mzk",
            "payments",
            [],
            "is waiting to start: trying and failing to pull image",
        ),
        (
            "missing-configmap",
            "payments-api-8c6d7f9b5-z9rwx",
            "payments",
            [],
            "is waiting to start: CreateContainerConfigError",
        ),
        (
            "init-crashloop",
            "recommendations-6c9f7d8b4-vb5nt",
            "shop",
            ["-c", "recommendations"],
            "is waiting to start: PodInitializing",
        ),
        (
            "readiness-probe-failing",
            "inventory-7f8b6c9d5-t3kzs",
            "shop",
            ["--previous"],
            'previous terminated container "inventory" in pod "inventory-7f8b6c9d5-t3kzs" not found',
        ),
    ],
)
def test_logs_bad_request_errors(scenario: str, pod: str, ns: str, extra: list[str], stderr: str) -> None:
    out = k(load_scenario(scenario), "logs", pod, "-n", ns, *extra)
    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr.startswith("Error from server (BadRequest): ") and stderr in out.stderr


def test_logs_of_a_crashlooping_container_show_the_last_run() -> None:
    current = k(CRASH, "logs", CRASH_POD, "-n", "shop")
    previous = k(CRASH, "logs", CRASH_POD, "-n", "shop", "--previous")
    assert "KeyError: 'DATABASE_URL'" in current.stdout and current.stdout == previous.stdout
    assert k(CRASH, "logs", CRASH_POD, "-n", "shop", "--tail=1").stdout == "KeyError: 'DATABASE_URL'\n"
    assert k(CRASH, "logs", CRASH_POD, "-n", "shop", "--tail", "0").stdout == ""


def test_logs_of_unscheduled_pod_are_empty_with_exit_zero() -> None:
    out = k(load_scenario("pending-taint"), "logs", "etl-scheduler-5c7d9b8f6-n8vwd", "-n", "data")
    assert (out.stdout, out.stderr, out.exit_code) == ("", "", 0)


def test_logs_default_container_note_and_wrong_container() -> None:
    s = load_scenario("init-crashloop")
    out = k(s, "logs", "recommendations-6c9f7d8b4-vb5nt", "-n", "shop", "-c", "migrate")
    assert "password authentication failed" in out.stdout
    out = k(s, "logs", "recommendations-6c9f7d8b4-vb5nt", "-n", "shop")
    assert out.stderr.startswith(
        'Defaulted container "recommendations" out of: recommendations, migrate (init)\n'
    )
    out = k(s, "logs", "recommendations-6c9f7d8b4-vb5nt", "-n", "shop", "-c", "sidecar")
    assert out.stderr == "error: container sidecar is not valid for pod recommendations-6c9f7d8b4-vb5nt\n"


def test_logs_when_the_node_is_gone() -> None:
    out = k(load_scenario("node-not-ready"), "logs", "storefront-59c7b8d6f4-7mzqv", "-n", "web")
    assert out.exit_code == 1 and "connect: no route to host" in out.stderr


def test_describe_container_state_block_matches_kubectl() -> None:
    text = k(
        load_scenario("oomkilled"), "describe", "pod", "report-worker-84c5d9f7b-xv2lp", "-n", "data"
    ).stdout
    assert (
        "    State:          Waiting\n"
        "      Reason:       CrashLoopBackOff\n"
        "    Last State:     Terminated\n"
        "      Reason:       OOMKilled\n"
        "      Exit Code:    137\n"
        "      Started:      Tue, 04 Mar 2025 10:25:58 +0000\n"
        "      Finished:     Tue, 04 Mar 2025 10:26:29 +0000\n"
        "    Ready:          False\n"
        "    Restart Count:  6\n"
    ) in text
    assert "  Warning  BackOff    21s (x112 over 38m)  kubelet            Back-off restarting" in text
    assert text.startswith("Name:             report-worker-84c5d9f7b-xv2lp\nNamespace:        data\n")


def test_describe_without_events_aligns_events_with_the_block_above() -> None:
    text = k(load_scenario("healthy-shop"), "describe", "pod", "cart-5b7f9c8d4-m4p8z", "-n", "shop").stdout
    assert text.endswith("Events:                      <none>\n")


def test_describe_all_pods_in_namespace() -> None:
    s = load_scenario("job-backoff-limit")
    text = k(s, "describe", "pods", "-n", "batch").stdout
    assert text.count("Name:             nightly-export-") == 3
    assert text.count("\n\n\nName:") == 2  # describe joins objects with "\n\n" after each newline-ended text


def test_events_field_selector_and_sorting() -> None:
    s = load_scenario("pending-unbound-pvc")
    everything = k(s, "get", "events", "-n", "data", "--sort-by=.lastTimestamp").stdout.splitlines()
    assert everything[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "ProvisioningFailed" in everything[-1]  # newest last
    only_pod = k(
        s, "get", "events", "-n", "data", "--field-selector", "involvedObject.name=postgres-0"
    ).stdout
    assert "FailedScheduling" in only_pod and "ProvisioningFailed" not in only_pod
    warnings = k(
        s, "get", "events", "-n", "data", "--field-selector=type=Warning,reason!=FailedScheduling"
    ).stdout
    assert "ProvisioningFailed" in warnings and "FailedScheduling" not in warnings
    bad = k(s, "get", "events", "-n", "data", "--field-selector=colour=red")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error from server (BadRequest):")
    assert "persistentvolume-controller" in k(s, "get", "events", "-n", "data", "-o", "wide").stdout


@pytest.mark.parametrize("verb", sorted(MUTATING_VERBS))
def test_every_mutating_verb_is_refused(verb: str) -> None:
    out = k(HEALTHY, verb, "pod", "x", "-n", "shop")
    assert out.exit_code == 1 and out.stdout == ""
    assert f'refusing "{verb}"' in out.stderr and "read-only" in out.stderr


def test_mutating_verb_after_global_flags_is_refused() -> None:
    out = k(HEALTHY, "-n", "shop", "delete", "pod", "x")
    assert out.exit_code == 1 and "read-only" in out.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "pods", "-nshop"], ["get", "pods", "--namespace=shop"], ["get", "-n", "shop", "pods"],
        ["-n", "shop", "get", "pods"], ["get", "pods", "--namespace", "shop"], ["get", "po", "-n=shop"],
    ],
)  # fmt: skip
def test_flag_spellings(argv: list[str]) -> None:
    out = k(HEALTHY, *argv)
    assert out.exit_code == 0 and "cart-5b7f9c8d4-m4p8z" in out.stdout


@pytest.mark.parametrize(
    ("argv", "stderr"),
    [
        (["get", "pods", "--all"], "error: unknown flag: --all\nSee 'kubectl get --help' for usage.\n"),
        (
            ["get", "pods", "-z"],
            "error: unknown shorthand flag: 'z' in -z\nSee 'kubectl get --help' for usage.\n",
        ),
        (
            ["get", "pods", "-n"],
            "error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage.\n",
        ),
        (
            ["get", "pods", "-o", "xml"],
            'error: unable to match a printer suitable for the output format "xml"',
        ),
        (["frobnicate"], 'error: unknown command "frobnicate" for "kubectl"'),
        (["get", "widgets"], 'error: the server doesn\'t have a resource type "widgets"'),
        (["get", "pods", "x", "-A"], "error: a resource cannot be retrieved by name across all namespaces"),
        (["logs"], "POD or TYPE/NAME is a required argument for the logs command"),
        (["logs", "x", "--tail=abc"], 'error: invalid argument "abc" for "--tail" flag'),
        (["get", "pods", "-w"], "--watch is not supported"),
        (["describe"], "You must specify the type of resource to describe."),
    ],
)
def test_usage_errors(argv: list[str], stderr: str) -> None:
    out = k(HEALTHY, *argv)
    assert out.exit_code == 1 and out.stdout == ""
    assert stderr in out.stderr


def test_version() -> None:
    assert k(HEALTHY, "version", "--client").stdout == "Client Version: v1.32.4\nKustomize Version: v5.5.0\n"
    assert "Server Version" in k(HEALTHY, "version").stdout


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=6))
def test_any_command_line_gives_an_answer_never_an_exception(argv: list[str]) -> None:
    out = run_kubectl(argv, CRASH)
    assert out.exit_code in {0, 1}
    if out.exit_code == 1:
        assert out.stderr.strip() and out.stdout == ""


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["get", "pods", "-n", "shop", "-o", "wide", "--tail=3", "-A", "x", "-p", "--"]),
        max_size=8,
    )
)
def test_parser_raises_only_usage_errors(argv: list[str]) -> None:
    with contextlib.suppress(UsageError):
        parse_invocation(argv)


# ------------------------------------------------------------- time/tabwriter
@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-5, "<invalid>"), (-1, "0s"), (0, "0s"), (119, "119s"), (120, "2m"), (192, "3m12s"), (600, "10m"),
     (179 * 60, "179m"), (3 * 3600, "3h"), (5 * 3600 + 120, "5h2m"), (47 * 3600, "47h"), (52 * 3600, "2d4h"),
     (8 * 86400, "8d"), (3 * 365 * 86400, "3y"), (2 * 365 * 86400 + 5 * 86400, "2y5d"), (9 * 365 * 86400, "9y")],
)  # fmt: skip
def test_human_duration_matches_apimachinery(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text


@given(st.integers(min_value=0, max_value=20 * 365 * 86400))
def test_human_duration_is_short_and_never_negative(seconds: int) -> None:
    text = human_duration(timedelta(seconds=seconds))
    assert 2 <= len(text) <= 6 and text[0].isdigit()


def test_tabwriter_aligns_like_go() -> None:
    tw = TabWriter(minwidth=0, padding=2)
    tw.write("a:\tx\nlonger:\ty\nsingle line\nb:\tz\n")
    assert tw.getvalue() == "a:       x\nlonger:  y\nsingle line\nb:  z\n"
    tw = TabWriter(minwidth=6, padding=3)
    tw.write("A\tBB\tC\n1\t2\t3\n")
    assert tw.getvalue() == "A     BB    C\n1     2     3\n"


@given(st.lists(st.lists(st.text(alphabet="abc xyz", max_size=8), min_size=1, max_size=4), max_size=6))
def test_tabwriter_keeps_cell_text_and_line_count(rows: list[list[str]]) -> None:
    tw = TabWriter(padding=3)
    for row in rows:
        tw.write("\t".join(row) + "\n")
    out = tw.getvalue().split("\n")[:-1]
    assert len(out) == len(rows)
    for line, row in zip(out, rows, strict=True):
        assert line.startswith(row[0]) and line.endswith(row[-1])
