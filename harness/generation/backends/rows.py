"""What the backend hands the decoding loop and gets back, one row per request (no torch here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Finish = Literal["length", "eos", "stop"]


@dataclass(frozen=True)
class RowSpec:
    """One prompt to continue, with its own parameters and seed."""

    prompt_ids: tuple[int, ...]
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    stop: tuple[str, ...] = ()
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass(frozen=True)
class RowResult:
    """What one row produced: its new tokens and the text (cut at the first stop string)."""

    token_ids: tuple[int, ...]  # without the end-of-sequence token
    text: str
    finish: Finish
    seconds: float = 0.0  # from the row's prefill to its last token
    batch_rows: int = 0  # rows decoding together when the row joined the batch

    @property
    def new_tokens(self) -> int:
        """Tokens the model produced, the end-of-sequence token included."""
        return len(self.token_ids) + (self.finish == "eos")


@dataclass(frozen=True)
class DecodePlan:
    """How the loop schedules rows: slots decode at once; see ``decoding`` for the two switches."""

    slots: int
    continuous: bool = False  # a finished row's slot takes the next pending row at once
    share_prefill: bool = False  # identical prompts prefill once; a prefix common to all rows prefills once


@dataclass(frozen=True)
class DecodeSetup:
    """What the loop needs from the tokenizer and model config."""

    pad_token_id: int
    eos_token_ids: frozenset[int]
    decode: Callable[[Sequence[int]], str]
