"""pyproject.toml and environment.yml must list the same packages with the same ranges.

Conda users and pip users should get the same course; a package added to one file and forgotten
in the other is caught here, with the exact line to add.
"""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "prometheus_client": "prometheus-client"}
CONDA_ONLY = {"python", "pip", "make", "kubernetes-client"}


def pyproject_requirements() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = project["dependencies"] + [r for reqs in project["optional-dependencies"].values() for r in reqs]
    reqs = [Requirement(t) for t in texts]
    return {canonicalize_name(r.name): r.specifier for r in reqs}


def environment_requirements() -> dict[str, SpecifierSet]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found: dict[str, SpecifierSet] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):  # the pip: section
            for text in item["pip"]:
                if not text.startswith("-e"):
                    req = Requirement(text)
                    found[canonicalize_name(req.name)] = req.specifier
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", item.strip())
        assert match, f"cannot parse environment.yml entry {item!r}"
        name, spec = match.groups()
        if name in CONDA_ONLY:
            continue
        found[canonicalize_name(CONDA_TO_PYPI.get(name, name))] = SpecifierSet(spec.replace(" ", ""))
    return found


def test_same_packages_and_ranges():
    pip_side, conda_side = pyproject_requirements(), environment_requirements()
    missing = sorted(set(pip_side) - set(conda_side))
    extra = sorted(set(conda_side) - set(pip_side))
    assert not missing, f"add to environment.yml: {[f'{n} {pip_side[n]}' for n in missing]}"
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"
    differ = {n: (str(pip_side[n]), str(conda_side[n])) for n in pip_side if pip_side[n] != conda_side[n]}
    assert not differ, f"ranges differ (pyproject, environment.yml): {differ}"


def test_environment_gives_conda_users_a_real_kubectl_and_the_course():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    assert "kubernetes-client" in env["dependencies"]
    pip_section = next(i for i in env["dependencies"] if isinstance(i, dict))["pip"]
    assert "-e ." in pip_section


def test_constraints_pin_every_declared_package():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    for name, spec in pyproject_requirements().items():
        assert name in pins, f"constraints.txt has no pin for {name}: run `make lock`"
        assert spec.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {spec}: run `make lock`"
        )
