"""Model-side faults: the provider answers 200, but the assistant turn itself is wrong.

These are the failures no HTTP retry fixes: arguments that are not JSON, a tool that does not
exist, arguments of the wrong type, an answer cut off at the token limit, the same call again,
prose where a tool call was expected. Each is a pure function of the faultless completion and
the transcript, so the in-process model and the server bend a turn in exactly the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from course_lib.fakes.chaos import LLMFault
from course_lib.fakes.llm.completion import Completion, RawToolCall
from course_lib.fakes.llm.transcript import Transcript

__all__ = ["HTTP_FAULTS", "MODEL_FAULTS", "apply_model_fault", "is_model_fault"]

HTTP_FAULTS: frozenset[LLMFault] = frozenset(
    {
        LLMFault.RATE_LIMIT,
        LLMFault.SERVER_ERROR,
        LLMFault.BAD_GATEWAY,
        LLMFault.UNAVAILABLE,
        LLMFault.REQUEST_TIMEOUT,
        LLMFault.SLOW_RESPONSE,
        LLMFault.CONNECTION_RESET,
        LLMFault.INVALID_JSON,
        LLMFault.CONTEXT_LENGTH,
        LLMFault.UNAUTHORIZED,
    }
)
MODEL_FAULTS: frozenset[LLMFault] = frozenset(LLMFault) - HTTP_FAULTS

# Names a confused model plausibly invents for the course's tools (none of them exists).
INVENTED_TOOL_NAMES: Mapping[str, str] = {
    "list_pods": "kubectl_get_pods",
    "get_pod_status": "pod_status",
    "describe_pod": "kubectl_describe",
    "get_pod_logs": "kubectl_logs",
    "get_events": "kubectl_get_events",
}
PLAIN_TEXT_REPLY = (
    "I should look at the pod more closely before drawing a conclusion. "
    "Let me check its status and recent events next."
)


def is_model_fault(fault: LLMFault | None) -> bool:
    """True for faults that shape the assistant turn rather than the HTTP exchange."""
    return fault is not None and fault in MODEL_FAULTS


def _malformed(arguments: str) -> str:
    # The classic: generation stopped before the closing brace, or quoted Python-style.
    return arguments[:-1] if arguments.endswith("}") and len(arguments) > 2 else "{'namespace': default"


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "sometimes"
    if isinstance(value, int):
        return "a hundred"
    if isinstance(value, str):
        return [value]
    return {"value": value}


def _wrong_types(arguments: str) -> str:
    args = json.loads(arguments)
    bent = {key: _wrong_type(value) for key, value in args.items()} if args else {"namespace": 7}
    return json.dumps(bent, separators=(",", ":"))


def _invented_name(name: str, transcript: Transcript) -> str:
    invented = INVENTED_TOOL_NAMES.get(name, f"kubectl_{name}")
    while transcript.tools is not None and invented in transcript.tools:
        invented = f"{invented}_v2"
    return invented


def _truncated(completion: Completion) -> Completion:
    if completion.tool_calls:
        calls = tuple(
            replace(call, arguments=call.arguments[: len(call.arguments) // 2])
            for call in completion.tool_calls
        )
        return replace(completion, tool_calls=calls, finish_reason="length")
    words = completion.content.split(" ")
    return replace(completion, content=" ".join(words[: max(1, len(words) // 3)]), finish_reason="length")


def _repeat(completion: Completion, transcript: Transcript) -> Completion | None:
    if not transcript.steps or not completion.tool_calls:
        return None
    previous = transcript.steps[-1].call
    arguments = "{}" if previous.args is None else json.dumps(dict(previous.args), separators=(",", ":"))
    own_id = completion.tool_calls[0].id
    return replace(completion, tool_calls=(RawToolCall(own_id, previous.name, arguments),))


def _map_calls(completion: Completion, change: Callable[[RawToolCall], RawToolCall]) -> Completion:
    return replace(completion, tool_calls=tuple(change(call) for call in completion.tool_calls))


def apply_model_fault(completion: Completion, fault: LLMFault | None, transcript: Transcript) -> Completion:
    """``completion`` bent by ``fault``, with ``fault`` recorded; unchanged if it does not apply.

    Tool-call faults only strike a turn that calls a tool (a final answer has no arguments to
    break); TRUNCATED strikes either kind of turn.
    """
    if not is_model_fault(fault):
        return completion
    bent: Completion | None = None
    if fault is LLMFault.TRUNCATED:
        bent = _truncated(completion)
    elif not completion.tool_calls:
        bent = None
    elif fault is LLMFault.MALFORMED_TOOL_CALL:
        bent = _map_calls(completion, lambda c: replace(c, arguments=_malformed(c.arguments)))
    elif fault is LLMFault.UNKNOWN_TOOL:
        bent = _map_calls(completion, lambda c: replace(c, name=_invented_name(c.name, transcript)))
    elif fault is LLMFault.WRONG_ARGUMENT_TYPES:
        bent = _map_calls(completion, lambda c: replace(c, arguments=_wrong_types(c.arguments)))
    elif fault is LLMFault.REPEAT_CALL:
        bent = _repeat(completion, transcript)
    elif fault is LLMFault.PLAIN_TEXT:
        bent = Completion(content=PLAIN_TEXT_REPLY, finish_reason="stop")
    if bent is None:
        return completion
    return replace(bent, fault=str(fault))
