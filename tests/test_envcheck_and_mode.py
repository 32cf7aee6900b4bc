"""Bad environments get a clear message naming the fix; the mode is read from the environment."""

from importlib import metadata

import pytest

from course_lib import envcheck
from course_lib.__main__ import main as cli_main
from course_lib.mode import LiveModeError, Mode, current_mode


def test_old_python_fails_with_the_command_that_fixes_it():
    check = envcheck.check_python((3, 10, 4))
    assert check.status == "FAIL"
    assert "3.10.4" in check.detail and "3.11" in check.detail
    assert "make PYTHON=python3.11 lab" in check.fix


def test_current_python_passes():
    assert envcheck.check_python().status == "OK"


def test_missing_package_names_the_pip_command():
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    check = envcheck.check_requirement("langchain>=1.5,<2", version_of=not_installed)
    assert check.status == "FAIL" and "missing" in check.detail
    assert "pip install -c constraints.txt 'langchain<2,>=1.5'" in check.fix
    assert "fix:" in check.line()


def test_version_outside_the_range_fails():
    check = envcheck.check_requirement("langchain>=1.5,<2", version_of=lambda _: "0.3.27")
    assert check.status == "FAIL" and "0.3.27 is outside" in check.detail


def test_installed_environment_passes_every_required_check(capsys):
    assert envcheck.report(["dev"]) is True
    out = capsys.readouterr().out
    assert "[FAIL]" not in out and "[OK]   langchain " in out


def test_doctor_command_exit_code():
    assert cli_main(["doctor", "--quiet"]) == 0


def test_python_without_the_course_gets_a_clear_message(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(envcheck.metadata, "version", missing)
    line = envcheck.check_course_package().line()
    assert "[FAIL] course_lib" in line and "make lab" in line


def test_unknown_command_exits_2_and_lists_commands(capsys):
    assert cli_main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err and "doctor" in err


def test_help_lists_commands(capsys):
    assert cli_main([]) == 0
    assert "serve-llm" in capsys.readouterr().out


def test_fake_is_the_default_mode():
    info = current_mode({})
    assert info.mode is Mode.FAKE and "no API key" in info.banner()


def test_live_mode_needs_a_key_from_the_environment():
    with pytest.raises(LiveModeError, match="OPENAI_API_KEY"):
        current_mode({"COURSE_LLM": "openai"})
    info = current_mode({"COURSE_LLM": "openai", "OPENAI_API_KEY": "k", "COURSE_LLM_MODEL": "m"})
    assert info.mode is Mode.LIVE and "model m" in info.banner()


def test_unknown_provider_is_refused():
    with pytest.raises(LiveModeError, match="must be one of fake, openai"):
        current_mode({"COURSE_LLM": "anthropic-ish"})


def test_notebook_setup_stops_with_the_fix_when_a_package_is_missing(monkeypatch):
    from course_lib import notebook

    def fake_checks(extras=()):
        return [envcheck.Check("FAIL", "langchain", "missing (needs <2,>=1.5)", "pip install ...")]

    monkeypatch.setattr(envcheck, "run_checks", fake_checks)
    with pytest.raises(notebook.EnvironmentNotReady) as caught:
        notebook.setup(show_banner=False)
    message = str(caught.value)
    assert "[FAIL] langchain" in message and "make lab" in message and "restart the kernel" in message


def test_notebook_setup_passes_in_the_course_environment(capsys):
    import matplotlib

    from course_lib import notebook

    with matplotlib.rc_context():  # setup() styles charts; keep that out of the other tests
        info = notebook.setup()
    assert info.mode is Mode.FAKE and "Mode: FAKE" in capsys.readouterr().out
