"""The promises the README makes about setup and CI, checked against the files that keep them."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_quick_start_is_exactly_two_commands():
    assert quick_start_commands() == ["make lab", "make test"]


def test_ci_runs_exactly_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert commands[-1] == quick_start_commands()[1]
    assert "set -euo pipefail" in script


def test_make_knows_both_targets():
    for target in ("lab", "test"):
        out = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr


def test_every_notebook_is_numbered_and_has_an_instructor_note():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    for nb in notebooks:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", nb.name), nb.name
        assert (ROOT / "instructor" / f"{nb.stem}.md").exists(), f"instructor/{nb.stem}.md is missing"
