"""String checks: equals, contains, regex, lengths."""

from __future__ import annotations

import re
import string

from pydantic import field_validator

from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type, short
from harness.scoring.checks.extract import RegexPattern
from harness.types import Score


class ValueConfig(CheckConfig):
    value: str


class ValuesConfig(CheckConfig):
    value: str | list[str]

    @property
    def values(self) -> list[str]:
        return [self.value] if isinstance(self.value, str) else list(self.value)


class EqualsConfig(CheckConfig):
    """``value`` (default: the case's reference) and lm-eval's exact-match normalisation."""

    value: str | None = None
    ignore_case: bool = False
    ignore_punctuation: bool = False
    regexes_to_ignore: list[str] = []
    strip: bool = True  # strip surrounding whitespace from both sides (lm-eval's exact_match does not)

    @field_validator("regexes_to_ignore")
    @classmethod
    def _all_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value

    def normalize(self, text: str) -> str:
        """As lm-eval's exact_match: drop each regex's matches, then fold case, then drop
        punctuation (``string.punctuation``); finally strip surrounding whitespace (``strip``)."""
        for pattern in self.regexes_to_ignore:
            text = re.sub(pattern, "", text)
        if self.ignore_case:
            text = text.lower()
        if self.ignore_punctuation:
            text = text.translate(_NO_PUNCTUATION)
        return text.strip() if self.strip else text


_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)


@check_type("equals")
class Equals(Scorer):
    Config = EqualsConfig
    uses_reference = True

    def score_one(self, item: ScoreItem) -> Score:
        cfg: EqualsConfig = self.config  # type: ignore[assignment]
        want = self.expected(item)
        if want is None:
            return self.make(False, "no value or reference to compare with", error=True)
        got = cfg.normalize(item.output)
        ok = got == cfg.normalize(want)
        return self.make(ok, "output equals expected" if ok else f"expected {want!r}, got {short(got)!r}")


def _contains(scorer: Scorer, item: ScoreItem, fold: bool, negate: bool = False) -> Score:
    values = scorer.config.values  # type: ignore[attr-defined]
    text = item.output.casefold() if fold else item.output
    found = [v for v in values if (v.casefold() if fold else v) in text]
    if negate:
        ok = not found
        return scorer.make(ok, "none of the forbidden strings found" if ok else f"found {found[0]!r}")
    ok = len(found) > 0
    return scorer.make(ok, f"found {found[0]!r}" if ok else f"none of {values!r} in {short(item.output)!r}")


@check_type("contains")
class Contains(Scorer):
    """Passes when the output contains the value (or any of a list)."""

    Config = ValuesConfig

    def score_one(self, item: ScoreItem) -> Score:
        return _contains(self, item, fold=False)


@check_type("icontains")
class IContains(Scorer):
    Config = ValuesConfig

    def score_one(self, item: ScoreItem) -> Score:
        return _contains(self, item, fold=True)


@check_type("not-contains")
class NotContains(Scorer):
    Config = ValuesConfig

    def score_one(self, item: ScoreItem) -> Score:
        return _contains(self, item, fold=False, negate=True)


class RegexConfig(CheckConfig):
    value: RegexPattern
    flags: str = ""

    @field_validator("flags")
    @classmethod
    def _known_flags(cls, value: str) -> str:
        bad = set(value) - set("imsx")
        if bad:
            raise ValueError(f"unknown regex flags {''.join(sorted(bad))!r}; use i, m, s, x")
        return value


@check_type("regex")
class Regex(Scorer):
    Config = RegexConfig

    def score_one(self, item: ScoreItem) -> Score:
        cfg: RegexConfig = self.config  # type: ignore[assignment]
        flags = 0
        for f in cfg.flags:
            flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}[f]
        match = re.search(cfg.value, item.output, flags)
        if match:
            return self.make(True, f"matched {short(match.group(0))!r}")
        return self.make(False, f"no match for /{cfg.value}/ in {short(item.output)!r}")


@check_type("starts-with")
class StartsWith(Scorer):
    Config = ValueConfig

    def score_one(self, item: ScoreItem) -> Score:
        want = self.config.value  # type: ignore[attr-defined]
        ok = item.output.lstrip().startswith(want)
        return self.make(ok, f"starts with {want!r}" if ok else f"starts with {short(item.output, 30)!r}")


class LengthConfig(CheckConfig):
    value: int
    unit: str = "chars"

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        if value not in ("chars", "words"):
            raise ValueError("unit must be 'chars' or 'words'")
        return value


def _length(text: str, unit: str) -> int:
    return len(text.split()) if unit == "words" else len(text)


@check_type("max-length")
class MaxLength(Scorer):
    Config = LengthConfig

    def score_one(self, item: ScoreItem) -> Score:
        cfg: LengthConfig = self.config  # type: ignore[assignment]
        n = _length(item.output, cfg.unit)
        ok = n <= cfg.value
        return self.make(ok, f"{n} {cfg.unit} {'<=' if ok else '>'} {cfg.value}", float(n), float(cfg.value))


@check_type("min-length")
class MinLength(Scorer):
    Config = LengthConfig

    def score_one(self, item: ScoreItem) -> Score:
        cfg: LengthConfig = self.config  # type: ignore[assignment]
        n = _length(item.output, cfg.unit)
        ok = n >= cfg.value
        return self.make(ok, f"{n} {cfg.unit} {'>=' if ok else '<'} {cfg.value}", float(n), float(cfg.value))
