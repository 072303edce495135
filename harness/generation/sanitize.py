"""Text from outside (model outputs) made safe to store and show: lone surrogates become U+FFFD.

A JSON string may hold a lone UTF-16 surrogate (``"\\ud800"``) that no UTF-8 encoder accepts;
a server can return one. Each is replaced by U+FFFD (the visible replacement character) when
the output enters the harness, and the generation notes how many were replaced.
"""

from __future__ import annotations

import re
from dataclasses import replace

from harness.types import Generation

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (unchanged, same object, when there is none)."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def clean_generation(generation: Generation) -> Generation:
    """The generation with a UTF-8-safe output and error; ``meta['replaced_surrogates']`` counts them."""
    count = len(_SURROGATE.findall(generation.output))
    error = clean_text(generation.error) if generation.error else generation.error
    if not count and error is generation.error:
        return generation
    meta = {**generation.meta, "replaced_surrogates": count} if count else generation.meta
    return replace(generation, output=clean_text(generation.output), error=error, meta=meta)
