"""The fake Kubernetes cluster: scenarios, kubectl's printers, and kubectl fault injection.

Light on purpose (no LangChain, PyYAML only when a file is read) because the fake kubectl
imports it on every start. The scenario file format is documented in README.md next to this file.
"""

from course_lib.fakes.cluster.loader import DEFAULT_SCENARIO, list_scenarios, load_scenario, shifted
from course_lib.fakes.cluster.model import (
    ContainerLogs,
    Diagnosis,
    KubeObject,
    Scenario,
    ScenarioError,
    UnknownScenarioError,
    grade,
)

__all__ = [
    "DEFAULT_SCENARIO",
    "ContainerLogs",
    "Diagnosis",
    "KubeObject",
    "Scenario",
    "ScenarioError",
    "UnknownScenarioError",
    "grade",
    "list_scenarios",
    "load_scenario",
    "shifted",
]
