"""A batched decoding loop whose output for a row never depends on the other rows.

Why not ``model.generate``: we need per-row sampling generators (a sampled answer must be
reproducible from its own seed whatever it was batched with), per-row parameters
(max_new_tokens, temperature, stop strings) inside one batch, rows that leave the batch as
soon as they finish, and (continuous batching) rows that join it as soon as a slot frees.

Rows are taken in the order given, at most ``plan.slots`` at a time. Without continuous
batching a new group of rows starts only when the batch has drained (finished rows still
leave early, so the rest run faster). With it, each step first admits pending rows into the
free slots: they are prefilled on their own (see ``prefill``), left-padded or left-padding the
running cache to a common width, and concatenated along the batch; leading columns no row
uses any more are dropped as rows leave. Continuous batching needs a cache whose rows can be
moved (``kvcache.can_move_rows``) and is skipped for other models.

Exactness: prompts are left-padded with an explicit attention mask and position ids
computed from it, so a padded row sees the same positions as when run alone; weights and
logits stay float32 by default. Greedy picks use ``argmax`` (first index on ties).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from harness.generation.backends.kvcache import Batch, can_move_rows, merge, select, trim
from harness.generation.backends.prefill import Prefiller, forward
from harness.generation.backends.rows import DecodePlan, DecodeSetup, RowResult, RowSpec
from harness.generation.backends.sampling import RowState, advance, pick_tokens, result
from harness.generation.progress import tokens as progress_tokens


def decode_batch(model: Any, rows: Sequence[RowSpec], setup: DecodeSetup,
                 plan: DecodePlan | None = None) -> list[RowResult]:
    """Generate every row to completion; results are in the order of ``rows``.

    Without a plan, all rows form one batch with neither prefill sharing nor continuous batching.
    """
    plan = plan or DecodePlan(slots=max(1, len(rows)))
    out: dict[int, RowResult] = dict(decode_stream(model, rows, setup, plan))
    return [out[k] for k in range(len(rows))]


def decode_stream(model: Any, rows: Sequence[RowSpec], setup: DecodeSetup,
                  plan: DecodePlan) -> Iterator[tuple[int, RowResult]]:
    """Yield ``(row index, result)`` as rows finish."""
    device = next(model.parameters()).device
    movable = (plan.continuous or plan.share_prefill) and can_move_rows(model)
    continuous = plan.continuous and movable
    states = [RowState(spec, device) for spec in rows]
    prefill = Prefiller(model, rows, setup.pad_token_id, share=plan.share_prefill, movable=movable)
    pending = deque(range(len(rows)))
    batch: Batch | None = None
    with torch.inference_mode():
        while pending or batch is not None:
            free = plan.slots - (len(batch) if batch is not None else 0)
            if pending and free > 0 and (batch is None or continuous):
                group = _take(pending, free, rows)
                yield from ((i, result(states[i], setup)) for i in group if rows[i].max_new_tokens <= 0)
                group = [i for i in group if rows[i].max_new_tokens > 0]
                if group:
                    batch = _admit(batch, prefill(group), states)
            if batch is None:
                continue
            batch, finished = _step(model, batch, states, setup, continuous)
            yield from ((i, result(states[i], setup)) for i in finished)


def _take(pending: deque[int], free: int, rows: Sequence[RowSpec]) -> list[int]:
    """The next rows to admit: up to ``free`` rows that decode, plus any zero-token rows met on the way."""
    group: list[int] = []
    while pending and sum(rows[i].max_new_tokens > 0 for i in group) < free:
        group.append(pending.popleft())
    return group


def _admit(batch: Batch | None, joining: Batch, states: list[RowState]) -> Batch:
    """Append freshly prefilled rows to the running batch."""
    merged = joining if batch is None else merge([batch, joining])
    for row in joining.rows:
        states[row].joined(len(merged))
    return merged


def _step(model: Any, batch: Batch, states: list[RowState], setup: DecodeSetup,
          compact: bool) -> tuple[Batch | None, list[int]]:
    """Pick each row's next token, drop finished rows, run the rest one step; returns the finished rows."""
    progress_tokens(len(batch))
    picks = pick_tokens(batch.logits, [states[i] for i in batch.rows])
    keep = [k for k, i in enumerate(batch.rows) if advance(states[i], picks[k], setup)]
    kept = set(keep)
    finished = [i for k, i in enumerate(batch.rows) if k not in kept]
    if not keep:
        return None, finished
    if finished:
        batch = select(batch, keep)
        batch = trim(batch) if compact else batch
        picks = [picks[k] for k in keep]
    mask = torch.cat([batch.mask, batch.mask.new_ones((len(batch), 1))], dim=1)
    positions = batch.last_pos + 1
    step_ids = torch.tensor(picks, device=mask.device).unsqueeze(1)
    logits = forward(model, step_ids, mask, positions, batch.cache)
    return Batch(batch.cache, mask, positions, logits, batch.rows), finished
