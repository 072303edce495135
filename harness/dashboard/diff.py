"""Side-by-side differences between two outputs, as segments (escaping is the template's job)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

SegmentKind = Literal["same", "del", "ins"]
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_MAX_WORK = 4_000_000  # token pairs; beyond it diff by lines (difflib is quadratic)


@dataclass(frozen=True)
class Segment:
    text: str
    kind: SegmentKind


@dataclass(frozen=True)
class SideBySide:
    """One baseline output next to one candidate output, each split into marked segments."""

    baseline: tuple[Segment, ...]
    candidate: tuple[Segment, ...]
    identical: bool


def side_by_side(baseline: str, candidate: str) -> SideBySide:
    """Word-level differences: removed text marked on the left, added text on the right."""
    a, b = _tokens(baseline), _tokens(candidate)
    if len(a) * len(b) > _MAX_WORK:
        a, b = baseline.splitlines(keepends=True), candidate.splitlines(keepends=True)
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for k, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal" and _is_gap(a[i1:i2], k, len(opcodes)):
            op = "replace"  # a lone space between two changes reads better as part of them
        if op == "equal":
            left.append(Segment("".join(a[i1:i2]), "same"))
            right.append(Segment("".join(b[j1:j2]), "same"))
            continue
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), "del"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), "ins"))
    return SideBySide(tuple(_merge(left)), tuple(_merge(right)), baseline == candidate)


def pair_outputs(baseline: list[str], candidate: list[str]) -> list[SideBySide]:
    """Sample i of the baseline against sample i of the candidate (a missing one is empty)."""
    n = max(len(baseline), len(candidate))
    pad = [""] * n
    return [side_by_side((baseline + pad)[i], (candidate + pad)[i]) for i in range(n)]


def _is_gap(tokens: list[str], index: int, count: int) -> bool:
    return 0 < index < count - 1 and "".join(tokens).isspace()


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for seg in segments:
        if merged and merged[-1].kind == seg.kind:
            merged[-1] = Segment(merged[-1].text + seg.text, seg.kind)
        elif seg.text:
            merged.append(seg)
    return merged
