"""Options every check accepts around its own test: ``extract`` and ``negate``.

``extract`` replaces the output by a part found with a regular expression before the check
looks at it (lm-evaluation-harness's ``regex`` + ``take_first`` filter); ``negate`` inverts
the verdict (promptfoo's ``not-`` prefix). Both are applied by :func:`score_with_options`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from harness.types import Score


def valid_regex(value: str) -> str:
    """``value`` when it compiles; a ValueError naming the problem otherwise (for pydantic validators)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


RegexPattern = Annotated[str, AfterValidator(valid_regex)]  # a str field that must compile as a regular expression


class ExtractSpec(BaseModel):
    """Which part of the output a check sees.

    All non-overlapping matches of ``regex`` are found; ``match`` picks one (0: the first,
    -1: the last). Of that match, ``group`` is taken when given, else the first non-empty
    capture group (the only group, even when empty), else the whole match; the result is stripped.
    With no match the check sees
    ``fallback``, or fails with "nothing extracted" when there is none.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    regex: RegexPattern
    match: int = 0
    group: int | None = None
    fallback: str | None = None

    def apply(self, text: str) -> str | None:
        """The extracted text, or None when nothing matched and there is no fallback."""
        matches = list(re.finditer(self.regex, text))
        try:
            found = matches[self.match]
        except IndexError:
            return self.fallback
        if self.group is not None:
            part = found.group(self.group) or ""
        elif len(found.groups()) <= 1:
            part = found.group(len(found.groups())) or ""
        else:
            part = next((g for g in found.groups() if g), self.fallback or "")
        return part.strip()


def score_with_options(config, items: Sequence, run: Callable[[Sequence], list[Score]]) -> list[Score]:
    """Score ``items`` with ``run`` after extraction, then apply ``negate``."""
    spec: ExtractSpec | None = getattr(config, "extract", None)
    if spec is None:
        scores = run(items)
    else:
        extracted = [spec.apply(item.output) for item in items]
        keep = [i for i, text in enumerate(extracted) if text is not None]
        inner = run([replace(items[i], output=extracted[i]) for i in keep]) if keep else []
        by_index = dict(zip(keep, inner))
        scores = [by_index.get(i) or _nothing_extracted(config, spec) for i in range(len(items))]
    if getattr(config, "negate", False):
        scores = [_negated(s) for s in scores]
    return scores


def _nothing_extracted(config, spec: ExtractSpec) -> Score:
    return Score(check=config.display_name, type=config.type, passed=False, weight=config.weight,
                 reason=f"nothing extracted: no match for /{spec.regex}/")


def _negated(score: Score) -> Score:
    if score.error:
        return score
    return replace(score, passed=not score.passed, reason=f"not: {score.reason}")
