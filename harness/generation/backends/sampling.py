"""Per-row token choice and bookkeeping for the decoding loop.

Every sampled row owns a ``torch.Generator`` seeded from its request, created when the row
is set up and used for nothing else, so its draws never depend on which rows it is batched
with, when it joined the batch, or how many times the batch was re-planned.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from harness.generation.backends.rows import DecodeSetup, Finish, RowResult, RowSpec


class RowState:
    """Mutable per-row state while a row is decoding."""

    def __init__(self, spec: RowSpec, device: torch.device) -> None:
        self.spec = spec
        self.tokens: list[int] = []
        self.finish: Finish | None = None
        self.text: str | None = None
        self.started = 0.0
        self.batch_rows = 0
        self.generator: torch.Generator | None = None
        if not spec.greedy:
            self.generator = torch.Generator(device=device)
            self.generator.manual_seed(spec.seed)

    def joined(self, batch_rows: int) -> None:
        """Note when the row was prefilled and how many rows it then decoded with."""
        self.started, self.batch_rows = time.perf_counter(), batch_rows


def pick_tokens(logits: torch.Tensor, states: Sequence[RowState]) -> list[int]:
    """Greedy rows take the argmax; sampled rows draw from their own generator."""
    picks = logits.argmax(dim=-1).tolist()
    for k, state in enumerate(states):
        if state.generator is not None:
            picks[k] = sample(logits[k], state.spec, state.generator)
    return picks


def sample(logits: torch.Tensor, spec: RowSpec, generator: torch.Generator) -> int:
    """Temperature, then top-k, then top-p (nucleus) filtering, then one draw."""
    scores = logits / spec.temperature
    if 0 < spec.top_k < scores.numel():
        kth = torch.topk(scores, spec.top_k).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if spec.top_p < 1.0:
        ordered, order = torch.sort(scores, descending=True)
        probs = torch.softmax(ordered, dim=-1)
        drop = probs.cumsum(dim=-1) - probs >= spec.top_p  # mass before a token; the top one always stays
        scores = scores.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator).item())


def advance(state: RowState, token: int, setup: DecodeSetup) -> bool:
    """Record ``token``; returns whether the row goes on."""
    if token in setup.eos_token_ids:
        state.finish = "eos"
        return False
    state.tokens.append(token)
    if state.spec.stop:
        text = setup.decode(state.tokens)
        cut = first_stop(text, state.spec.stop)
        if cut is not None:
            state.finish, state.text = "stop", text[:cut]
            return False
    if len(state.tokens) >= state.spec.max_new_tokens:
        state.finish = "length"
        return False
    return True


def first_stop(text: str, stops: Sequence[str]) -> int | None:
    """Where the earliest stop string starts in ``text``, or None."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None


def result(state: RowState, setup: DecodeSetup) -> RowResult:
    """The finished row's tokens and text, with its timing."""
    text = state.text if state.text is not None else setup.decode(state.tokens)
    seconds = time.perf_counter() - state.started if state.started else 0.0
    return RowResult(token_ids=tuple(state.tokens), text=text, finish=state.finish or "length",
                     seconds=seconds, batch_rows=state.batch_rows)
