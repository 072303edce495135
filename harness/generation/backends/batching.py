"""The automatic batch size (slots of the continuous-batching loop in ``decoding``).

It is bounded by a memory budget for the KV cache (which grows with rows x tokens) and, on
CPU, by where throughput stops improving.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

CPU_MAX_BATCH = 32    # measured: 2-core CPU throughput flattens past 16-32 rows (docs/models.md)
GPU_MAX_BATCH = 256
MEMORY_FRACTION = 0.25  # of free memory the KV cache of one batch may take


@dataclass(frozen=True)
class ModelShape:
    """What the memory estimate needs from a model config."""

    layers: int
    kv_heads: int
    head_dim: int
    dtype_bytes: int

    @property
    def kv_bytes_per_token(self) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * self.dtype_bytes


def prompt_order(prompts: Sequence[Sequence[int]]) -> list[int]:
    """Indexes sorted longest prompt first, then by token ids, so samples of one prompt are neighbours."""
    return sorted(range(len(prompts)), key=lambda i: (-len(prompts[i]), tuple(prompts[i]), i))


def auto_batch_size(shape: ModelShape, max_total_tokens: int, device: str,
                    free_bytes: int | None = None) -> int:
    """Rows per batch: the KV cache of a full batch fits a fraction of free memory."""
    cap = GPU_MAX_BATCH if device.startswith("cuda") else CPU_MAX_BATCH
    free = free_bytes if free_bytes is not None else free_memory_bytes(device)
    if free is None:
        return cap
    per_row = max(1, shape.kv_bytes_per_token * max(1, max_total_tokens))
    return max(1, min(cap, int(free * MEMORY_FRACTION) // per_row))


def free_memory_bytes(device: str) -> int | None:
    """Free accelerator memory, or available system memory for the CPU."""
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
