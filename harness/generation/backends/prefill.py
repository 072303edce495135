"""Prefilling rows as they join the batch, computing shared work once.

With sharing off, a group of rows is left-padded and run through the model together (the
plain path). With sharing on:

- identical prompts in a group are prefilled once and the KV rows repeated;
- a prompt whose later samples are still waiting keeps a one-row copy of its KV and logits
  (the memo), so a duplicate that joins later costs no forward pass at all;
- the longest token prefix common to every prompt of the decoding call (system prompt,
  chat-template header, shared few-shot examples) is run once, and each group's cache starts
  from copies of its KV: a row's columns are then [prefix][padding][rest of prompt], with the
  padding masked out and positions counted from the row's own tokens, so each row computes
  the same function as its plain prefill. The prefix needs a cache whose rows can be moved
  (:func:`harness.generation.backends.kvcache.can_move_rows`); so does the memo.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch

from harness.generation.backends.kvcache import Batch, cache_of, copy_rows, merge, new_cache, select, trim
from harness.generation.backends.rows import RowSpec

MIN_SHARED_PREFIX = 4  # tokens; a shorter common prefix is not worth the extra forward pass

Prompt = tuple[int, ...]


def shared_prefix(prompts: Sequence[Prompt]) -> Prompt:
    """The longest prefix common to all prompts that leaves every prompt at least one token."""
    if not prompts:
        return ()
    first, shortest = min(prompts), min(len(p) for p in prompts)
    last = max(prompts)  # the common prefix of the min and max (lexicographic) is that of all
    size = 0
    while size < shortest - 1 and first[size] == last[size]:
        size += 1
    return first[:size] if size >= MIN_SHARED_PREFIX else ()


def forward(model: Any, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor,
            cache: Any) -> torch.Tensor:
    """One forward step; returns float32 logits of the last position, shape [rows, vocab]."""
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache,
                use_cache=True, logits_to_keep=1)
    return out.logits[:, -1, :].float()


def left_pad(prompts: Sequence[Sequence[int]], pad_id: int,
             device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask of the prompts, left-padded to the longest."""
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        if prompt:
            ids[row, width - len(prompt):] = torch.tensor(prompt, dtype=torch.long)
            mask[row, width - len(prompt):] = 1
    return ids.to(device), mask.to(device)


class Prefiller:
    """Turns groups of joining rows into batches ready to pick their first token."""

    def __init__(self, model: Any, specs: Sequence[RowSpec], pad_id: int, *, share: bool, movable: bool) -> None:
        self.model, self.specs, self.pad_id = model, specs, pad_id
        self.device = next(model.parameters()).device
        self.share, self.keep_copies = share, share and movable
        self.prefix: Prompt = shared_prefix([s.prompt_ids for s in specs]) if self.keep_copies else ()
        self._prefix_kv: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        self.waiting = Counter(s.prompt_ids for s in specs)
        self.memo: dict[Prompt, Batch] = {}
        self.forwards = 0  # prefill forward passes run (for tests and benchmarks)

    def __call__(self, group: list[int]) -> Batch:
        """Prefill the rows ``group`` (indexes into ``specs``); the batch rows are in that order."""
        if not self.share:
            return self._prefill(group)
        prompts = [self.specs[i].prompt_ids for i in group]
        self.waiting.subtract(prompts)
        unique = list(dict.fromkeys(prompts))
        fresh = [group[prompts.index(p)] for p in unique if p not in self.memo]
        parts = ([self._prefill(fresh)] if fresh else []) + [self.memo[p] for p in unique if p in self.memo]
        combined = merge(parts) if self.keep_copies else parts[0]
        where = {self.specs[row].prompt_ids: k for k, row in enumerate(combined.rows)}
        if self.keep_copies:
            self._remember(combined, where)
        index = [where[p] for p in prompts]
        batch = copy_rows(combined, index) if self.keep_copies else select(combined, index)  # memo stays intact
        batch.rows = list(group)
        return batch

    def _remember(self, combined: Batch, where: dict[Prompt, int]) -> None:
        """Keep one-row copies for prompts with samples still waiting; forget the others."""
        for prompt, k in where.items():
            if self.waiting[prompt] > 0 and prompt not in self.memo:
                self.memo[prompt] = trim(copy_rows(combined, [k]))
        for prompt in [p for p in self.memo if self.waiting[p] <= 0]:
            del self.memo[prompt]

    def _prefill(self, rows: list[int]) -> Batch:
        """Run the rows' prompts (after the shared prefix) through the model, left-padded."""
        head = len(self.prefix)
        ids, mask = left_pad([self.specs[i].prompt_ids[head:] for i in rows], self.pad_id, self.device)
        positions = head + (mask.cumsum(-1) - 1).clamp(min=0)
        cache = self._prefix_cache(len(rows)) if head else new_cache(self.model)
        if head:
            mask = torch.cat([mask.new_ones((len(rows), head)), mask], dim=1)
        logits = forward(self.model, ids, mask, positions, cache)
        self.forwards += 1
        return Batch(cache, mask, positions[:, -1:], logits, list(rows))

    def _prefix_cache(self, rows: int) -> Any:
        """A cache whose ``rows`` rows all start with the shared prefix's KV (computed on first use)."""
        if self._prefix_kv is None:
            ids = torch.tensor([self.prefix], device=self.device)
            cache = new_cache(self.model)
            forward(self.model, ids, torch.ones_like(ids), torch.arange(len(self.prefix), device=self.device)[None],
                    cache)
            self.forwards += 1
            self._prefix_kv = [(layer.keys, layer.values) for layer in cache.layers]
        return cache_of([(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in self._prefix_kv])
