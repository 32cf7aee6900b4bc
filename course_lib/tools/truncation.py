"""Cap tool output by tokens before it reaches the model.

``kubectl logs`` can return millions of tokens (kubectl-ai issue #249: 2,002,605). We estimate
tokens as ceil(characters / 4), a deliberately simple rule that needs no tokenizer and is close
for English and log text, and cut whole lines. For logs and events the newest lines are at the
end, so we keep the tail; for describe and tables the head matters, so we keep the head. The
marker always says how many lines and (estimated) tokens were cut, so the model knows.
"""

from __future__ import annotations

import math
from typing import Literal

__all__ = ["approx_tokens", "cap_output"]


def approx_tokens(text: str) -> int:
    """Estimated tokens: ceil(len(text) / 4)."""
    return math.ceil(len(text) / 4)


def cap_output(text: str, max_tokens: int, keep: Literal["head", "tail"] = "tail") -> str:
    """``text`` if it fits in ``max_tokens``, else whole lines from one end plus a marker line."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    if approx_tokens(text) <= max_tokens:
        return text
    lines = text.splitlines(keepends=True)
    budget = max_tokens * 4 - 120  # room for the marker
    kept: list[str] = []
    used = 0
    for line in reversed(lines) if keep == "tail" else lines:
        if used + len(line) > budget:
            break
        kept.append(line)
        used += len(line)
    if keep == "tail":
        kept.reverse()
    if not kept and budget > 0:  # a single enormous line: keep part of it
        line = lines[-1] if keep == "tail" else lines[0]
        kept = [line[-budget:] if keep == "tail" else line[:budget]]
    cut_lines = len(lines) - len(kept)
    cut_tokens = approx_tokens(text) - approx_tokens("".join(kept))
    if keep == "tail":
        marker = (
            f"[... truncated: {cut_lines:,} older lines (~{cut_tokens:,} tokens) cut; "
            f"showing the newest {len(kept):,} lines ...]\n"
        )
        return marker + "".join(kept)
    body = "".join(kept)
    marker = f"[... truncated: {cut_lines:,} more lines (~{cut_tokens:,} tokens) cut ...]\n"
    return body + ("" if body.endswith("\n") or not body else "\n") + marker
