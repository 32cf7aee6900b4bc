"""LIVE mode end to end, without a network: an OpenAI-compatible endpoint named only by env vars.

The loopback chaos server stands in for a real provider here; the agent reaches it exactly as it
would reach one (COURSE_LLM=openai, OPENAI_API_KEY, OPENAI_BASE_URL), through the real ChatOpenAI.
"""

import pytest

from course_lib.agent.api import run_agent
from course_lib.fakes.llm import serve_llm
from course_lib.mode import LiveModeError


def test_live_transport_reaches_the_provider_named_by_the_environment(monkeypatch):
    with serve_llm("none", seed=0) as provider:
        monkeypatch.setenv("COURSE_LLM", "openai")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
        monkeypatch.setenv("OPENAI_BASE_URL", provider.base_url)
        monkeypatch.setenv("COURSE_LLM_MODEL", "course-fake-1")
        result = run_agent("production", "oomkilled", "none", 0, transport="live")
        requests = len(provider.requests)
    assert result.success and result.correct, result.output
    assert requests == result.llm_calls >= 2  # every model call went to that endpoint


def test_live_transport_without_live_mode_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("COURSE_LLM", raising=False)
    with pytest.raises(LiveModeError, match="transport 'live' needs COURSE_LLM=openai"):
        run_agent("production", "oomkilled", transport="live")
    monkeypatch.setenv("COURSE_LLM", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LiveModeError, match="OPENAI_API_KEY"):
        run_agent("production", "oomkilled", transport="live")


@pytest.mark.parametrize("command", ["diagnose", "evaluate"])
def test_cli_live_without_a_key_exits_2_with_the_fix(monkeypatch, capsys, command):
    from course_lib.__main__ import main

    monkeypatch.setenv("COURSE_LLM", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    args = [command, "--transport", "live"] + (["--scenario", "oomkilled"] if command == "diagnose" else [])
    assert main(args) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
