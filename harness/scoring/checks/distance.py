"""Edit distance: the ``levenshtein`` check (promptfoo's assert of the same name)."""

from __future__ import annotations

from pydantic import Field

from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type, short
from harness.types import Score


class LevenshteinConfig(CheckConfig):
    value: str | None = None  # the expected text; defaults to the case's `reference`
    max: int = Field(default=5, ge=0)  # the largest edit distance that passes (promptfoo's threshold)


def levenshtein(a: str, b: str) -> int:
    """Insertions, deletions and substitutions (each costs 1) turning ``a`` into ``b``."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@check_type("levenshtein")
class Levenshtein(Scorer):
    Config = LevenshteinConfig
    uses_reference = True

    def score_one(self, item: ScoreItem) -> Score:
        cfg: LevenshteinConfig = self.config  # type: ignore[assignment]
        want = self.expected(item)
        if want is None:
            return self.make(False, "no value or reference to compare with", error=True)
        distance = levenshtein(item.output, want)
        ok = distance <= cfg.max
        reason = f"edit distance {distance} {'<=' if ok else '>'} {cfg.max} from {short(want)!r}"
        return self.make(ok, reason, float(distance), float(cfg.max))
