"""The scorer protocol, check configs and the check-type registry.

A check type is a class with a pydantic ``Config`` (extra fields forbidden) and a
batch ``score`` method. Register new types with ``@check_type("name")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from harness.registry import Registry
from harness.scoring.checks.extract import ExtractSpec
from harness.types import Case, Score


class CheckConfig(BaseModel):
    """Fields every check accepts. Numbers are accepted where text is expected
    (``value: 42`` in YAML, a numeric CSV column through ``from:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True, defer_build=True)
    type: str
    name: str | None = None
    weight: float = 1.0
    extract: ExtractSpec | None = None  # look only at a part of the output (see extract.py)
    negate: bool = False  # pass when the check would fail

    @property
    def display_name(self) -> str:
        return self.name or self.type


@dataclass(frozen=True)
class ScoreItem:
    """One output to score, with the case it answers."""

    output: str
    case: Case
    prompt: str = ""  # the prompt text the model answered (judge checks show it to the judge)


class Scorer:
    """Base class for check types: validated config in, one Score per item out."""

    Config: ClassVar[type[CheckConfig]] = CheckConfig
    type_name: ClassVar[str] = ""
    uses_reference: ClassVar[bool] = False  # compares with `value` or, when absent, the case's `reference`
    concurrent_groups: ClassVar[bool] = False  # batches of different configs may run side by side
    compare_only: ClassVar[bool] = False  # scored by `compare` on (baseline, candidate) pairs, not per output

    def __init__(self, config: CheckConfig) -> None:
        self.config = config

    def expected(self, item: ScoreItem) -> str | None:
        """What a reference-using check compares with: its ``value``, else the case's ``reference``."""
        value = getattr(self.config, "value", None)
        return value if value is not None else item.case.reference

    def score(self, items: Sequence[ScoreItem]) -> list[Score]:
        return [self._safe_score_one(item) for item in items]

    def _safe_score_one(self, item: ScoreItem) -> Score:
        try:
            return self.score_one(item)
        except Exception as exc:  # a crash on one output is an error on that score only
            return self.make(False, f"scorer error: {type(exc).__name__}: {exc}", error=True)

    def score_one(self, item: ScoreItem) -> Score:  # pragma: no cover - overridden
        raise NotImplementedError

    def make(self, passed: bool, reason: str, value: float | None = None,
             threshold: float | None = None, **extra: Any) -> Score:
        return Score(check=self.config.display_name, type=self.config.type, passed=passed,
                     value=value, threshold=threshold, reason=reason,
                     weight=self.config.weight, **extra)


CHECK_TYPES: Registry[type[Scorer]] = Registry("check type", "harness.checks")


def check_type(name: str):
    """Class decorator: register a Scorer subclass under a check-type name."""

    def wrap(cls: type[Scorer]) -> type[Scorer]:
        cls.type_name = name
        CHECK_TYPES.register(name, cls)
        return cls

    return wrap


def short(text: str, limit: int = 60) -> str:
    """One-line preview of a text for reasons."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
