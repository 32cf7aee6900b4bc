"""A fix found while writing notebook 03: the Forbidden message ran the API server's text and the advice together."""

from __future__ import annotations

from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import ChaosProfile, FaultPlan, KubectlFault
from course_lib.tools import KubectlSettings, KubectlTools
from course_lib.tools.kubectl_tools import explain
from course_lib.tools.results import ErrorKind, KubectlError


def test_forbidden_message_ends_the_server_text_before_the_advice() -> None:
    plan = FaultPlan(ChaosProfile("only-forbidden", "test", kubectl={KubectlFault.FORBIDDEN: 1.0}))
    tools = KubectlTools(
        KubectlSettings(scenario="crashloop-app-error", fault_plan=plan, clock=VirtualClock()),
        mode="in-process",
    )
    text = tools.get_pod_logs("checkout-6d8f7b9c5d-q7x2m", "shop")
    assert 'in the namespace "shop". Retrying will not help; ' in text, text


def test_forbidden_message_does_not_double_a_final_period() -> None:
    error = KubectlError(ErrorKind.FORBIDDEN, "Error from server (Forbidden): nope.", "Forbidden")
    text = explain(error, pod="web-0", namespace="shop", timeout_s=10)
    assert text.startswith("Error: permission denied (Forbidden): nope. Retrying will not help; "), text
