"""A batched decoding loop whose output for a row never depends on the other rows.

Why not ``model.generate``: we need per-row sampling generators (a sampled answer must be
reproducible from its own seed whatever it was batched with), per-row parameters
(max_new_tokens, temperature, stop strings) inside one batch, and rows that leave the
batch as soon as they finish, so the remaining rows run faster.

Exactness: prompts are left-padded with an explicit attention mask and position ids
computed from it, so a padded row sees the same positions as when run alone; weights and
logits stay float32 by default. Greedy picks use ``argmax`` (first index on ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from harness.generation.backends.rows import DecodeSetup, Finish, RowResult, RowSpec
from harness.generation.progress import tokens as progress_tokens


class _Row:
    """Mutable per-row state while a batch is decoding (private to this module)."""

    def __init__(self, spec: RowSpec, device: torch.device) -> None:
        self.spec = spec
        self.tokens: list[int] = []
        self.finish: Finish | None = None
        self.text: str | None = None
        self.generator: torch.Generator | None = None
        if not spec.greedy:
            self.generator = torch.Generator(device=device)
            self.generator.manual_seed(spec.seed)


def decode_batch(model: Any, rows: Sequence[RowSpec], setup: DecodeSetup) -> list[RowResult]:
    """Generate every row to completion; results are in the order of ``rows``."""
    device = next(model.parameters()).device
    states = [_Row(spec, device) for spec in rows]
    input_ids, mask = _left_pad([r.prompt_ids for r in rows], setup.pad_token_id, device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = _new_cache(model)
    active = [i for i, spec in enumerate(rows) if spec.max_new_tokens > 0]
    if not active:
        return [_result(state, setup) for state in states]
    with torch.inference_mode():
        logits = _forward(model, input_ids, mask, positions, cache)
        while active:
            progress_tokens(len(active))
            picks = _pick_tokens(logits, [states[i] for i in active])
            keep = [k for k, i in enumerate(active) if _advance(states[i], picks[k], setup)]
            if not keep:
                break
            if len(keep) < len(active):
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                mask, positions, picks = mask[index], positions[index], [picks[k] for k in keep]
                active = [active[k] for k in keep]
            mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=1)
            positions = positions[:, -1:] + 1
            step_ids = torch.tensor(picks, device=device).unsqueeze(1)
            logits = _forward(model, step_ids, mask, positions, cache)
    return [_result(state, setup) for state in states]


def _left_pad(prompts: Sequence[Sequence[int]], pad_id: int,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        if prompt:
            ids[row, width - len(prompt):] = torch.tensor(prompt, dtype=torch.long)
            mask[row, width - len(prompt):] = 1
    return ids.to(device), mask.to(device)


def _new_cache(model: Any) -> Any:
    from transformers import DynamicCache

    return DynamicCache(config=model.config)


def _forward(model: Any, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor,
             cache: Any) -> torch.Tensor:
    """One forward step; returns float32 logits of the last position, shape [rows, vocab]."""
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache,
                use_cache=True, logits_to_keep=1)
    return out.logits[:, -1, :].float()


def _pick_tokens(logits: torch.Tensor, states: Sequence[_Row]) -> list[int]:
    """Greedy rows take the argmax; sampled rows draw from their own generator."""
    picks = logits.argmax(dim=-1).tolist()
    for k, state in enumerate(states):
        if state.generator is not None:
            picks[k] = _sample(logits[k], state.spec, state.generator)
    return picks


def _sample(logits: torch.Tensor, spec: RowSpec, generator: torch.Generator) -> int:
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


def _advance(state: _Row, token: int, setup: DecodeSetup) -> bool:
    """Record ``token``; returns whether the row goes on."""
    if token in setup.eos_token_ids:
        state.finish = "eos"
        return False
    state.tokens.append(token)
    if state.spec.stop:
        text = setup.decode(state.tokens)
        cut = _first_stop(text, state.spec.stop)
        if cut is not None:
            state.finish, state.text = "stop", text[:cut]
            return False
    if len(state.tokens) >= state.spec.max_new_tokens:
        state.finish = "length"
        return False
    return True


def _first_stop(text: str, stops: Sequence[str]) -> int | None:
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None


def _result(state: _Row, setup: DecodeSetup) -> RowResult:
    text = state.text if state.text is not None else setup.decode(state.tokens)
    return RowResult(token_ids=tuple(state.tokens), text=text, finish=state.finish or "length")
