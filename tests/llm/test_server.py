"""The chaos server against the real openai client and ChatOpenAI: answers, faults, SDK retries."""

from __future__ import annotations

import json
import threading
import time

import openai
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRetryMiddleware
from langchain_openai import ChatOpenAI

from course_lib.clock import VirtualClock
from course_lib.fakes.chaos import FaultPlan, LLMFault
from course_lib.fakes.llm import errors
from course_lib.fakes.llm.server import CALL_ID_HEADER, ChaosServer
from course_lib.fakes.llm_server_cli import main as cli_main

from .conftest import QUESTION, TOOL_SCHEMAS, always
from .samples import SAMPLES, sample_tools

MESSAGES = [{"role": "user", "content": QUESTION}]


def client(server: ChaosServer, **options: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", **options)  # type: ignore[arg-type]


def ask(c: openai.OpenAI, **extra: object) -> object:
    return c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=TOOL_SCHEMAS, **extra)  # type: ignore[arg-type, call-overload]


def test_the_openai_client_gets_a_tool_call_and_usage(server_factory) -> None:
    server = server_factory()
    reply = ask(client(server))
    choice = reply.choices[0]  # type: ignore[attr-defined]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("list_pods", {"namespace": "shop"})
    assert reply.usage.prompt_tokens > 0 and reply.usage.total_tokens > reply.usage.prompt_tokens  # type: ignore[attr-defined]
    assert [m.id for m in client(server).models.list().data] == ["course-fake-1"]
    assert [(r.path, r.status) for r in server.requests] == [
        ("/v1/chat/completions", 200),
        ("/v1/models", 200),
    ]


def test_streaming_delivers_the_same_tool_call(server_factory) -> None:
    server = server_factory()
    chunks = list(ask(client(server), stream=True, stream_options={"include_usage": True}))  # type: ignore[call-overload]
    calls = [tc for ch in chunks if ch.choices for tc in ch.choices[0].delta.tool_calls or ()]
    assert calls[0].function.name == "list_pods"
    assert "".join(tc.function.arguments or "" for tc in calls) == '{"namespace":"shop"}'
    assert chunks[-1].usage is not None and server.requests[0].stream


def test_chat_openai_and_create_agent_diagnose_end_to_end_over_http(server_factory) -> None:
    server = server_factory()
    llm = ChatOpenAI(base_url=server.base_url, api_key="sk-test", model="gpt-4o-mini", max_retries=0)
    sample = SAMPLES["oom"]
    result = create_agent(llm, sample_tools(sample)).invoke(
        {"messages": [("user", sample.question)]}, config={"recursion_limit": 20}
    )
    answer = result["messages"][-1].content
    assert all(word in answer for word in sample.expected), answer
    assert result["messages"][-1].usage_metadata["input_tokens"] > 0
    assert len(server.requests) == 3  # list_pods, describe_pod, answer


def test_storm_returns_429s_that_carry_retry_after(server_factory) -> None:
    server = server_factory("storm", seed=1, retry_after_s=0.01, slow_s=0.0)
    c = client(server, max_retries=0)
    throttled: list[openai.RateLimitError] = []
    for _ in range(30):
        try:
            ask(c)
        except openai.RateLimitError as err:
            throttled.append(err)
        except (openai.APIError, json.JSONDecodeError):
            continue
    assert throttled, "storm throttles about a third of the requests"
    headers = throttled[0].response.headers
    assert headers["retry-after"] == "0.01" and headers["retry-after-ms"] == "10"
    assert throttled[0].code == "rate_limit_exceeded"


def test_the_sdk_retries_twice_by_default_and_counts_its_attempts(server_factory) -> None:
    server = server_factory(always(LLMFault.RATE_LIMIT), retry_after_s=0.01)
    with pytest.raises(openai.RateLimitError):
        ask(client(server))
    assert [r.retry_count for r in server.requests] == [0, 1, 2]


def test_retry_after_ms_wins_over_retry_after(server_factory) -> None:
    server = server_factory(always(LLMFault.RATE_LIMIT), retry_after_s=3, retry_after_ms=20)
    started = time.perf_counter()
    with pytest.raises(openai.RateLimitError):
        ask(client(server))
    assert len(server.requests) == 3 and time.perf_counter() - started < 1.5  # not 2 x 3 s


def test_no_retry_when_the_server_asks_for_more_than_120_seconds(server_factory) -> None:
    server = server_factory(always(LLMFault.RATE_LIMIT), retry_after_s=200)
    with pytest.raises(openai.RateLimitError):
        ask(client(server))
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [(LLMFault.CONTEXT_LENGTH, openai.BadRequestError), (LLMFault.UNAUTHORIZED, openai.AuthenticationError)],
)
def test_400_and_401_are_not_retried(server_factory, fault: LLMFault, expected: type[Exception]) -> None:
    server = server_factory(always(fault))
    with pytest.raises(expected):
        ask(client(server))
    assert len(server.requests) == 1


def test_5xx_is_retried(server_factory) -> None:
    server = server_factory(always(LLMFault.UNAVAILABLE))
    with pytest.raises(openai.InternalServerError, match="503"):
        ask(client(server, max_retries=1))  # one no-header backoff: ~0.4 s
    assert [r.status for r in server.requests] == [503, 503]


def test_retry_amplification_sdk_retries_times_an_outer_loop(server_factory) -> None:
    server = server_factory(always(LLMFault.RATE_LIMIT), retry_after_s=0.001)
    c = client(server)  # SDK default: 2 retries
    for attempt in range(3):  # a naive outer retry loop around the call
        try:
            ask(c, extra_headers={CALL_ID_HEADER: f"outer-{attempt}"})
        except openai.RateLimitError:
            continue
    assert server.attempts_by_call() == {"outer-0": 3, "outer-1": 3, "outer-2": 3}
    assert len(server.requests) == 9


def test_retry_amplification_chat_openai_times_model_retry_middleware(server_factory) -> None:
    server = server_factory(always(LLMFault.RATE_LIMIT), retry_after_s=0.001)
    llm = ChatOpenAI(base_url=server.base_url, api_key="sk-test", model="gpt-4o-mini", max_retries=2)
    agent = create_agent(
        llm, sample_tools(SAMPLES["oom"]), middleware=[ModelRetryMiddleware(max_retries=1, initial_delay=0)]
    )
    result = agent.invoke({"messages": [("user", QUESTION)]})
    assert "failed after 2 attempts" in result["messages"][-1].content
    assert len(server.requests) == 6  # (1 + 2) x (1 + 1)


def test_same_seed_same_request_log(server_factory) -> None:
    logs = []
    for _ in range(2):
        server = server_factory("storm", seed=3, retry_after_s=0.0, slow_s=0.0)
        c = client(server, max_retries=0)
        for _ in range(25):
            try:
                ask(c)
            except (openai.APIError, json.JSONDecodeError):
                continue
        logs.append([(r.index, r.status, r.fault) for r in server.requests])
    assert logs[0] == logs[1] and len({status for _, status, _ in logs[0]}) > 2


def test_a_slow_first_byte_makes_the_client_time_out(server_factory) -> None:
    server = server_factory(always(LLMFault.SLOW_RESPONSE), slow_s=0.3)
    with pytest.raises(openai.APITimeoutError):
        ask(client(server, max_retries=0, timeout=0.1))
    assert server.requests[0].delay == 0.3


def test_a_reset_connection_is_an_api_connection_error(server_factory) -> None:
    server = server_factory(always(LLMFault.CONNECTION_RESET))
    with pytest.raises(openai.APIConnectionError):
        ask(client(server, max_retries=0))
    assert server.requests[0].status is None and server.requests[0].fault == "connection_reset"


def test_an_invalid_json_body_surfaces_as_the_sdk_does_and_matches_the_factory(server_factory) -> None:
    server = server_factory(always(LLMFault.INVALID_JSON))
    with pytest.raises(json.JSONDecodeError):
        ask(client(server, max_retries=0))
    assert isinstance(errors.invalid_json_error(), json.JSONDecodeError)


@pytest.mark.parametrize(
    ("fault", "factory"),
    [
        (
            LLMFault.RATE_LIMIT,
            lambda: errors.rate_limit_error(retry_after=2, retry_after_ms=2000, flavour="sdk"),
        ),
        (LLMFault.UNAUTHORIZED, lambda: errors.authentication_error(flavour="sdk")),
        (LLMFault.SERVER_ERROR, lambda: errors.server_error(500, flavour="sdk")),
        (LLMFault.REQUEST_TIMEOUT, errors.request_timeout_error),
    ],
)
def test_in_process_errors_match_what_the_sdk_raises_over_http(
    server_factory, fault: LLMFault, factory
) -> None:
    server = server_factory(always(fault), retry_after_s=2)
    with pytest.raises(openai.APIStatusError) as caught:
        ask(client(server, max_retries=0))
    made = factory()
    over_http = caught.value
    assert type(made) is type(over_http) and made.status_code == over_http.status_code
    assert (made.message, made.code, made.body) == (over_http.message, over_http.code, over_http.body)
    for header in ("retry-after", "retry-after-ms"):
        assert made.response.headers.get(header) == over_http.response.headers.get(header)


def test_an_outage_follows_the_injected_virtual_clock(server_factory) -> None:
    clock = VirtualClock()
    server = server_factory("outage", clock=clock)
    c = client(server, max_retries=0)
    with pytest.raises(openai.InternalServerError):
        ask(c)
    clock.advance(600)
    ask(c)
    assert [(r.at, r.status, r.fault) for r in server.requests] == [
        (0.0, 503, "unavailable"),
        (600.0, 200, None),
    ]


def test_a_real_context_overflow_is_a_400(server_factory) -> None:
    server = server_factory(context_window=20)
    with pytest.raises(openai.BadRequestError, match="maximum context length is 20 tokens") as caught:
        ask(client(server, max_retries=0))
    assert caught.value.code == "context_length_exceeded" and server.requests[0].fault is None


def test_api_key_unknown_path_and_bad_bodies(server_factory) -> None:
    server = server_factory(api_key="sk-right")
    with pytest.raises(openai.AuthenticationError):
        ask(client(server, max_retries=0))
    good = openai.OpenAI(base_url=server.base_url, api_key="sk-right", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        good.embeddings.create(model="x", input="y")
    with pytest.raises(openai.BadRequestError, match="'messages' must be a non-empty array"):
        good.chat.completions.create(model="m", messages=[])
    with pytest.raises(openai.BadRequestError, match="messages\\[0\\] must be an object with a 'role'"):
        good.chat.completions.create(model="m", messages=[{"content": "no role"}])  # type: ignore[list-item]


def test_reset_clears_the_log_and_restarts_numbering(server_factory) -> None:
    server = server_factory()
    ask(client(server))
    server.reset()
    ask(client(server))
    assert [r.index for r in server.requests] == [0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retry_after_s": -1}, "retry_after_s must be >= 0"),
        ({"slow_s": float("nan")}, "slow_s must be >= 0"),
        ({"context_window": 0}, "context_window must be a positive"),
        ({"port": 70000}, "port must be in 0..65535"),
    ],
)
def test_bad_server_settings_are_rejected(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChaosServer(FaultPlan.named("none"), **options)


def test_base_url_needs_a_running_server() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = ChaosServer().base_url


def test_cli_prints_the_base_url_first_and_serves(capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    stop = threading.Event()
    worker = threading.Thread(
        target=cli_main,
        args=(["--port", "0", "--chaos", "storm", "--seed", "1"],),
        kwargs={"stop": stop, "out": lines.append},
    )
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while not lines and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lines[0].startswith("http://127.0.0.1:") and lines[0].endswith("/v1")
        models = openai.OpenAI(base_url=lines[0], api_key="x", max_retries=0).models.list()
        assert models.data[0].id == "course-fake-1"
    finally:
        stop.set()
        worker.join(timeout=5)
    assert "chaos=storm seed=1" in lines[1]


def test_cli_rejects_an_unknown_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--chaos", "typhoon"]) == 2
    assert "unknown chaos profile 'typhoon'; valid profiles: none, flaky" in capsys.readouterr().err
