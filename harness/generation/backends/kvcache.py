"""Rows of KV cache moved between batches: selected, copied, left-padded, merged and trimmed.

A :class:`Batch` is the decoding loop's state for the rows decoding together. Selecting rows
(dropping finished ones, repeating a shared prefill) works on any transformers cache.
Merging, copying and trimming edit the cache tensors directly, so they need a cache whose
layers are all plain ``DynamicLayer`` (full attention, keys and values shaped
[rows, kv_heads, width, head_dim]); :func:`can_move_rows` says whether a model's cache is one
(a sliding-window or linear-attention layer is not).

A padded column has zero keys and values and a 0 in the attention mask, so no row attends to
it; positions come from each row's own token count, never from column indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class Batch:
    """Rows decoding together: KV cache, attention mask, latest positions and next-token logits."""

    cache: Any
    mask: torch.Tensor  # [rows, width]: 1 where the column holds one of the row's tokens
    last_pos: torch.Tensor  # [rows, 1]: the position of each row's latest token
    logits: torch.Tensor  # [rows, vocab], float32: what each row picks its next token from
    rows: list[int]  # which row (of the decoding call) each batch row is

    def __len__(self) -> int:
        return len(self.rows)


def new_cache(model: Any) -> Any:
    """An empty cache of the model's own layer types."""
    from transformers import DynamicCache

    return DynamicCache(config=model.config)


def can_move_rows(model: Any) -> bool:
    """Whether every layer of the model's cache is a plain ``DynamicLayer``."""
    from transformers.cache_utils import DynamicLayer

    return all(type(layer) is DynamicLayer for layer in new_cache(model).layers)


def select(batch: Batch, index: list[int]) -> Batch:
    """Keep (or repeat) the batch rows at ``index``, in that order; the cache is edited in place."""
    idx = torch.tensor(index, device=batch.mask.device)
    batch.cache.batch_select_indices(idx)
    return Batch(batch.cache, batch.mask[idx], batch.last_pos[idx], batch.logits[idx],
                 [batch.rows[k] for k in index])


def copy_rows(batch: Batch, index: list[int]) -> Batch:
    """A new batch holding copies of the rows at ``index``; ``batch`` is left as it is."""
    idx = torch.tensor(index, device=batch.mask.device)
    pairs = [(layer.keys[idx], layer.values[idx]) for layer in batch.cache.layers]
    return Batch(cache_of(pairs), batch.mask[idx], batch.last_pos[idx], batch.logits[idx],
                 [batch.rows[k] for k in index])


def merge(parts: list[Batch]) -> Batch:
    """One batch of all the parts' rows, in order; narrower parts are left-padded to the widest.

    The parts are not changed (their tensors are copied into the result).
    """
    if len(parts) == 1:
        return parts[0]
    width = max(part.mask.shape[1] for part in parts)
    layers = zip(*(part.cache.layers for part in parts))
    pairs = [(torch.cat([_pad(layer.keys, width) for layer in group]),
              torch.cat([_pad(layer.values, width) for layer in group])) for group in layers]
    return Batch(cache_of(pairs), torch.cat([_pad(part.mask, width) for part in parts]),
                 torch.cat([part.last_pos for part in parts]), torch.cat([part.logits for part in parts]),
                 [row for part in parts for row in part.rows])


def trim(batch: Batch) -> Batch:
    """Drop leading columns that no row uses any more (after the rows that needed them left)."""
    unused = int((batch.mask.sum(dim=0) == 0).cumprod(dim=0).sum())
    if unused == 0:
        return batch
    for layer in batch.cache.layers:
        layer.keys, layer.values = layer.keys[..., unused:, :], layer.values[..., unused:, :]
    batch.mask = batch.mask[:, unused:]
    return batch


def cache_of(pairs: list[tuple[torch.Tensor, torch.Tensor]]) -> Any:
    """A cache of plain ``DynamicLayer`` layers holding these (keys, values) tensors as they are."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    cache = DynamicCache()
    for keys, values in pairs:
        layer = DynamicLayer()
        layer.lazy_initialization(keys, values)
        layer.keys, layer.values = keys, values
        cache.layers.append(layer)
    return cache


def _pad(tensor: torch.Tensor, width: int) -> torch.Tensor:
    """Left-pad with zeros along the column dimension (-2 for keys/values, -1 for a mask) to ``width``."""
    dim = -1 if tensor.dim() == 2 else -2
    missing = width - tensor.shape[dim]
    if missing == 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)
