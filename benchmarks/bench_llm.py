"""Fake LLM throughput: the chaos server under the real openai client, and the in-process models.

Targets (issue 4): the server sustains >= 500 chat completions/s from the openai client over
loopback on 2 cores; the in-process model answers in < 1 ms median. Peers, measured in the same
run: the same server with the stdlib's unbuffered handler (``wbufsize = 0``, the ~48 ms
delayed-ACK trap), and LangChain's own ``FakeMessagesListChatModel``.

Run: ``.venv/bin/python benchmarks/bench_llm.py [--requests N] [--clients C]``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable

import openai
from langchain_core.language_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from course_lib.fakes.llm import PolicyChatModel, ScriptedChatModel
from course_lib.fakes.llm import server as server_module
from course_lib.fakes.llm.server import serve_llm

QUESTION = "Why is the checkout pod in namespace shop not running?"
TOOLS = [
    {"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}
    for n in ("list_pods", "get_pod_status", "describe_pod", "get_pod_logs", "get_events")
]


def server_rate(requests: int, clients: int) -> tuple[float, float]:
    """(completions per second, median latency ms) with ``clients`` threads sharing the load."""
    with serve_llm("none") as server:
        latencies: list[float] = []
        lock = threading.Lock()

        def worker(count: int) -> None:
            client = openai.OpenAI(base_url=server.base_url, api_key="bench", max_retries=0)
            mine: list[float] = []
            for _ in range(count):
                started = time.perf_counter()
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": QUESTION}], tools=TOOLS
                )
                mine.append(time.perf_counter() - started)
            with lock:
                latencies.extend(mine)

        worker(20)  # warm up: imports, connection pool
        latencies.clear()
        threads = [threading.Thread(target=worker, args=(requests // clients,)) for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


def unbuffered_rate(requests: int) -> tuple[float, float]:
    """The same server with the stdlib default (unbuffered) handler, single client."""
    handler = server_module._Handler
    original = handler.wbufsize
    handler.wbufsize = 0
    try:
        return server_rate(requests, 1)
    finally:
        handler.wbufsize = original


def median_ms(call: Callable[[], object], runs: int) -> float:
    for _ in range(50):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()

    rate, latency = server_rate(args.requests, args.clients)
    single_rate, single_latency = server_rate(args.requests // 2, 1)
    slow_rate, slow_latency = unbuffered_rate(40)
    print("chaos server, openai client, loopback")
    print(
        f"  {args.clients} clients: {rate:8.0f} completions/s   median {latency:6.2f} ms   (target >= 500/s)"
    )
    print(f"  1 client : {single_rate:8.0f} completions/s   median {single_latency:6.2f} ms")
    print(
        f"  unbuffered stdlib handler (wbufsize=0), 1 client: {slow_rate:6.0f}/s, median {slow_latency:.1f} ms"
    )
    print(f"  buffered / unbuffered: {single_rate / slow_rate:.1f}x")

    bound = PolicyChatModel().bind_tools(TOOLS)
    policy_ms = median_ms(lambda: bound.invoke(QUESTION), 2000)
    scripted = ScriptedChatModel(script=["Diagnosis: OOMKilled"])
    scripted_ms = median_ms(lambda: scripted.invoke(QUESTION), 2000)
    peer = FakeMessagesListChatModel(responses=[AIMessage("Diagnosis: OOMKilled")])
    peer_ms = median_ms(lambda: peer.invoke(QUESTION), 2000)
    print("in-process models, median per invoke")
    print(f"  PolicyChatModel (tools bound): {policy_ms:.3f} ms   (target < 1 ms)")
    print(f"  ScriptedChatModel            : {scripted_ms:.3f} ms")
    print(
        f"  LangChain FakeMessagesListChatModel (peer): {peer_ms:.3f} ms   ratio scripted/peer {scripted_ms / peer_ms:.2f}"
    )


if __name__ == "__main__":
    main()
