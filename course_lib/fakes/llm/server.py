"""A loopback OpenAI-compatible chat server that fails like a real provider, on purpose.

``POST /v1/chat/completions`` (tool calls, ``stream=true`` as SSE) and ``GET /v1/models``, answered
by the diagnosis policy. A fault plan (profile + seed) picks each request's fault by its index:
429 with ``Retry-After`` and ``retry-after-ms``, 500/502/503, 408, a slow first byte, a reset
connection, a 200 whose body is not JSON, 400 ``context_length_exceeded``, 401, and the
model-side faults of ``faults``. Every request is logged, so a lesson can chart the attempts of
each logical call (send an ``X-Course-Call-Id`` header to label them).

Time. ``clock`` (default ``RealClock``) timestamps the log and places requests in the profile's
outage windows: request *i* arriving ``clock.now() - start`` seconds after start (or ``reset()``)
meets ``plan.llm_fault(i, at=...)``. With a ``VirtualClock`` the caller moves time (``advance`` or
``sleep``), so a 10-minute outage can be crossed instantly. A slow response, however, always
waits in real time: its whole point is to make a real client's timeout fire.

Speed. The handler buffers its writes (``wbufsize = -1``): unbuffered, headers and body leave
in separate packets and delayed ACK costs ~48 ms per request. Connections are kept alive.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from course_lib.clock import Clock, RealClock
from course_lib.fakes.chaos import ChaosProfile, FaultPlan, LLMFault
from course_lib.fakes.llm.completion import (
    Completion,
    chat_completion_json,
    completion_from_decision,
    completion_tokens,
)
from course_lib.fakes.llm.error_replies import (
    ErrorReply,
    bad_request_reply,
    context_length_reply,
    reply_for_fault,
    unauthorized_reply,
)
from course_lib.fakes.llm.faults import apply_model_fault
from course_lib.fakes.llm.policy import DiagnosisPolicy, Policy
from course_lib.fakes.llm.transcript import (
    MalformedConversationError,
    prompt_tokens_openai,
    transcript_from_openai,
)

__all__ = ["CALL_ID_HEADER", "ChaosServer", "RequestRecord", "serve_llm", "stream_chunks"]

CALL_ID_HEADER = "X-Course-Call-Id"
DEFAULT_MODEL = "course-fake-1"
DEFAULT_CONTEXT_WINDOW = 128_000
INVALID_JSON_BODY = '{"id": "chatcmpl-fake", "object": "chat.completion", "choices": [{"index": 0, "mess'


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the server received, and what it did with it."""

    index: int | None  # chat-completion request number (the fault-plan key); None for other paths
    at: float  # server-clock seconds since start/reset (virtual with a VirtualClock)
    real_at: float  # real seconds since start/reset
    method: str
    path: str
    status: int | None  # None: the connection was reset, no response was sent
    fault: str | None  # the fault that shaped the reply, if any
    delay: float  # real seconds waited before the first byte
    call_id: str | None  # the client's X-Course-Call-Id header
    retry_count: int | None  # the SDK's x-stainless-retry-count header (0 on a first attempt)
    stream: bool = False


class _Reset(Exception):
    """Raised inside the handler to drop the connection without a response."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # one write per response: avoids a delayed-ACK stall of ~48 ms
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's per-request stderr line; the request log replaces it."""

    def do_GET(self) -> None:
        owner = self.server.owner
        if self.path.rstrip("/") == "/v1/models":
            body = {
                "object": "list",
                "data": [{"id": owner.model, "object": "model", "created": 1767225600, "owned_by": "course"}],
            }
            status = 200
            self._send_json(200, json.dumps(body))
        else:
            status = 404
            self._send_reply(_not_found(self.path))
        owner.record_other("GET", self.path, status, self._call_id())

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_reply(_not_found(self.path))
            owner.record_other("POST", self.path, 404, self._call_id())
            return
        try:
            outcome = owner.answer(raw, dict(self.headers.items()))
        except _Reset:
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception as err:
            # A bug in the fake itself: tell the client, then let socketserver print the traceback.
            self.close_connection = True
            self._send_reply(
                ErrorReply(
                    500,
                    json.dumps(
                        {
                            "error": {
                                "message": f"fake server bug: {type(err).__name__}: {err}",
                                "type": "server_error",
                                "param": None,
                                "code": "course_fake_bug",
                            }
                        }
                    ),
                )
            )
            raise
        if outcome.reply is not None:
            self._send_reply(outcome.reply)
        elif outcome.stream_body is not None:
            self._send_body(200, outcome.stream_body, "text/event-stream; charset=utf-8")
        else:
            assert outcome.json_body is not None
            self._send_json(200, outcome.json_body)

    def _call_id(self) -> str | None:
        return self.headers.get(CALL_ID_HEADER)

    def _send_reply(self, reply: ErrorReply) -> None:
        self._send_body(reply.status, reply.body, reply.content_type, reply.headers)

    def _send_json(self, status: int, body: str) -> None:
        self._send_body(status, body, "application/json")

    def _send_body(
        self, status: int, body: str, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_course_fake")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _not_found(path: str) -> ErrorReply:
    message = f"Invalid URL (POST {path})" if path else "Invalid URL"
    return ErrorReply(
        404,
        json.dumps(
            {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
        ),
    )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: ChaosServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


@dataclass(frozen=True, slots=True)
class _Outcome:
    reply: ErrorReply | None = None
    json_body: str | None = None
    stream_body: str | None = None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lowered), None)


def _sse(chunks: list[dict[str, Any]]) -> str:
    return "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"


def stream_chunks(
    completion: Completion, *, completion_id: str, model: str, created: int, usage: dict[str, int] | None
) -> list[dict[str, Any]]:
    """``chat.completion.chunk`` objects for ``completion``: role, text pieces, tool calls, finish."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
    words = completion.content.split(" ") if completion.content else []
    chunks += [chunk({"content": word if i == 0 else " " + word}) for i, word in enumerate(words)]
    for position, call in enumerate(completion.tool_calls):
        head = {
            "index": position,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [head]}))
        chunks.append(chunk({"tool_calls": [{"index": position, "function": {"arguments": call.arguments}}]}))
    chunks.append(chunk({}, completion.finish_reason))
    if usage is not None:
        chunks.append({**chunk({}), "choices": [], "usage": usage})
    return chunks


class ChaosServer:
    """The chaos server; use it as a context manager (or ``start()`` / ``stop()``)."""

    def __init__(
        self,
        plan: FaultPlan | None = None,
        *,
        policy: Policy | None = None,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        retry_after_s: float | None = None,
        retry_after_ms: float | None = None,
        slow_s: float | None = None,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
        api_key: str | None = None,
        model: str = DEFAULT_MODEL,
    ) -> None:
        for name, value in (
            ("retry_after_s", retry_after_s),
            ("retry_after_ms", retry_after_ms),
            ("slow_s", slow_s),
        ):
            if value is not None and not value >= 0:
                raise ValueError(f"{name} must be >= 0 seconds, got {value!r}")
        if context_window < 1:
            raise ValueError(f"context_window must be a positive number of tokens, got {context_window!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535 (0 picks a free port), got {port!r}")
        self.plan = plan or FaultPlan.named("none")
        self.policy: Policy = policy or DiagnosisPolicy()
        self.clock: Clock = clock or RealClock()
        self._real = RealClock()
        self.host, self._port = host, port
        self.retry_after_s = self.plan.profile.retry_after_s if retry_after_s is None else retry_after_s
        self.retry_after_ms = retry_after_ms  # None: the same wait as retry_after_s
        self.slow_s = self.plan.profile.llm_slow_s if slow_s is None else slow_s
        self.context_window = context_window
        self.api_key = api_key
        self.model = model
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._next = 0
        self._start = self.clock.now()
        self._real_start = self._real.now()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> ChaosServer:
        if self._httpd is not None:
            raise RuntimeError("the chaos server is already running")
        self._httpd = _HTTPServer((self.host, self._port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="chaos-llm-server",
            daemon=True,
        )
        self._thread.start()
        self.reset()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> ChaosServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the chaos server is not running; call start() or use it in a with-block")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` to ``openai.OpenAI`` or ``ChatOpenAI``."""
        return f"http://{self.host}:{self.port}/v1"

    # --- the log ---------------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, in arrival order."""
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        """Forget the log, restart request numbering and put time zero at ``clock.now()``."""
        with self._lock:
            self._log.clear()
            self._next = 0
            self._start = self.clock.now()
            self._real_start = self._real.now()

    def attempts_by_call(self) -> dict[str | None, int]:
        """Chat-completion attempts per logical call id (None: requests without the header)."""
        counts: dict[str | None, int] = {}
        for record in self.requests:
            if record.index is not None:
                counts[record.call_id] = counts.get(record.call_id, 0) + 1
        return counts

    def _append(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def record_other(self, method: str, path: str, status: int, call_id: str | None) -> None:
        with self._lock:
            at, real_at = self.clock.now() - self._start, self._real.now() - self._real_start
        self._append(RequestRecord(None, at, real_at, method, path, status, None, 0.0, call_id, None))

    # --- answering -------------------------------------------------------------------------
    def answer(self, raw: bytes, headers: Mapping[str, str]) -> _Outcome:
        """Decide the reply to one chat-completion request (raises ``_Reset`` to drop it)."""
        with self._lock:
            index = self._next
            self._next += 1
            at, real_at = self.clock.now() - self._start, self._real.now() - self._real_start
        retry_text = _header(headers, "x-stainless-retry-count")
        base = {
            "index": index,
            "at": at,
            "real_at": real_at,
            "method": "POST",
            "path": "/v1/chat/completions",
            "call_id": _header(headers, CALL_ID_HEADER),
            "retry_count": int(retry_text) if retry_text and retry_text.isdigit() else None,
        }
        fault = self.plan.llm_fault(index, at=at)
        delay = 0.0
        stream = False
        try:
            outcome, applied, stream = self._answer(raw, headers, fault, index)
        except _Reset:
            self._append(RequestRecord(**base, status=None, fault=str(fault), delay=0.0))
            raise
        if applied == LLMFault.SLOW_RESPONSE:
            delay = self.slow_s
        status = outcome.reply.status if outcome.reply is not None else 200
        # Logged before the wait, so a client that gives up early still finds its attempt here.
        self._append(RequestRecord(**base, status=status, fault=applied, delay=delay, stream=stream))
        if delay:
            self._real.sleep(delay)
        return outcome

    def _answer(
        self, raw: bytes, headers: Mapping[str, str], fault: LLMFault | None, index: int
    ) -> tuple[_Outcome, str | None, bool]:
        """(outcome, the fault actually applied, streamed?) for one request."""
        if self.api_key is not None and _header(headers, "authorization") != f"Bearer {self.api_key}":
            return _Outcome(reply=unauthorized_reply()), None, False
        try:
            request = json.loads(raw or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            return (
                _Outcome(reply=bad_request_reply(f"We could not parse the JSON body of your request: {err}")),
                None,
                False,
            )
        if not isinstance(request, dict):
            return _Outcome(reply=bad_request_reply("The request body must be a JSON object.")), None, False
        stream = bool(request.get("stream"))
        messages, tools = request.get("messages"), request.get("tools")
        try:
            transcript = transcript_from_openai(messages, tools)
            prompt_tokens = prompt_tokens_openai(messages, tools)
        except MalformedConversationError as err:
            return _Outcome(reply=bad_request_reply(str(err), "messages")), None, stream
        if fault is LLMFault.CONNECTION_RESET:
            raise _Reset
        model = str(request.get("model") or self.model)
        reply = reply_for_fault(
            fault,
            retry_after_s=self.retry_after_s,
            retry_after_ms=self.retry_after_ms,
            prompt_tokens=prompt_tokens,
            context_window=self.context_window,
            model=model,
        )
        if reply is not None:
            return _Outcome(reply=reply), str(fault), stream
        if prompt_tokens > self.context_window:  # a real overflow, not a drawn fault
            return _Outcome(reply=context_length_reply(prompt_tokens, self.context_window)), None, stream
        if fault is LLMFault.INVALID_JSON:
            return _Outcome(json_body=INVALID_JSON_BODY), str(fault), False
        completion = completion_from_decision(
            self.policy.decide(transcript), f"call_{index:05d}_{len(messages):03d}"
        )
        completion = apply_model_fault(completion, fault, transcript)
        applied = completion.fault or (str(fault) if fault is LLMFault.SLOW_RESPONSE else None)
        completion_id, created = f"chatcmpl-course{index:06d}", int(self.clock.wall_time().timestamp())
        if stream:
            generated = completion_tokens(completion)
            options = request.get("stream_options") or {}
            usage = (
                {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": generated,
                    "total_tokens": prompt_tokens + generated,
                }
                if isinstance(options, dict) and options.get("include_usage")
                else None
            )
            chunks = stream_chunks(
                completion, completion_id=completion_id, model=model, created=created, usage=usage
            )
            return _Outcome(stream_body=_sse(chunks)), applied, True
        body = chat_completion_json(
            completion, completion_id=completion_id, model=model, created=created, prompt_tokens=prompt_tokens
        )
        return _Outcome(json_body=json.dumps(body)), applied, False


def _plan(chaos: str | ChaosProfile | FaultPlan, seed: int) -> FaultPlan:
    if isinstance(chaos, FaultPlan):
        return chaos
    if isinstance(chaos, ChaosProfile):
        return FaultPlan(chaos, seed)
    return FaultPlan.named(chaos, seed)


@contextmanager
def serve_llm(
    chaos: str | ChaosProfile | FaultPlan = "none", seed: int = 0, **options: Any
) -> Iterator[ChaosServer]:
    """Run a ``ChaosServer`` in a background thread for the ``with`` block.

    ``chaos`` is a profile name, a profile, or a ready ``FaultPlan`` (then ``seed`` is ignored);
    ``options`` go to ``ChaosServer`` (clock, retry_after_s, slow_s, context_window, api_key, ...).
    """
    server = ChaosServer(_plan(chaos, seed), **options)
    with server:
        yield server
