"""Score-token probabilities from an OpenAI-compatible response's ``logprobs`` (when the server gives them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

TOP_LOGPROBS = 20


def request_logprobs(body: dict[str, Any], mode: str) -> None:
    """Ask for the first token's top alternatives (chat: ``logprobs``/``top_logprobs``; completion: ``logprobs``)."""
    if mode == "chat":
        body.update(logprobs=True, top_logprobs=TOP_LOGPROBS)
    else:
        body["logprobs"] = TOP_LOGPROBS


def score_probs(mode: str, choice: dict[str, Any], tokens: Sequence[str]) -> dict[str, float] | None:
    """``{token: probability}`` of the candidate tokens at the first answer position; None without logprobs."""
    first = _first_alternatives(mode, choice.get("logprobs"))
    if first is None:
        return None
    out = {token: 0.0 for token in tokens}
    for text, logprob in first:
        key = text.strip()
        if key in out and isinstance(logprob, (int, float)):
            out[key] += math.exp(logprob)
    return out


def _first_alternatives(mode: str, logprobs: Any) -> list[tuple[str, float]] | None:
    if not isinstance(logprobs, dict):
        return None
    if mode == "chat":
        content = logprobs.get("content") or []
        if not content or not isinstance(content[0], dict):
            return None
        return [(alt.get("token", ""), alt.get("logprob")) for alt in content[0].get("top_logprobs") or []]
    tops = logprobs.get("top_logprobs") or []
    return list(tops[0].items()) if tops and isinstance(tops[0], dict) else None
