"""User-written Python scorers: ``@scorer("name")`` or the ``harness.scoring.checks`` entry points.

A scorer function takes ``(output: str, case: Case, **args)`` and returns a ``bool``,
a ``float`` (compared with ``min``), or a ``Score``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import field_validator

from harness.registry import Registry
from harness.scoring.checks.base import CheckConfig, ScoreItem, Scorer, check_type
from harness.types import Case, Score

ScorerFn = Callable[..., "bool | float | Score"]
# Python scorer functions (used by the `python` check type): entry-point group `harness.scorers`.
# Check types themselves register under `harness.checks` (see checks/base.py); docs/suites.md.
CUSTOM_SCORERS: Registry[ScorerFn] = Registry("python scorer", "harness.scorers")


def scorer(name: str) -> Callable[[ScorerFn], ScorerFn]:
    """Register a custom scorer function under ``name`` for ``{type: python, scorer: name}``."""
    return CUSTOM_SCORERS.decorator(name)


class PythonConfig(CheckConfig):
    scorer: str
    args: dict[str, Any] = {}
    min: float | None = None

    @field_validator("scorer")
    @classmethod
    def _registered(cls, name: str) -> str:
        """Unknown names fail when the suite loads, not after every output was generated."""
        if name not in CUSTOM_SCORERS:
            raise ValueError(CUSTOM_SCORERS.unknown_message(name))
        return name


@check_type("python")
class PythonScorer(Scorer):
    Config = PythonConfig

    def __init__(self, config: CheckConfig) -> None:
        super().__init__(config)
        self._fn = CUSTOM_SCORERS.get(config.scorer)  # type: ignore[attr-defined]

    def score_one(self, item: ScoreItem) -> Score:
        cfg: PythonConfig = self.config  # type: ignore[assignment]
        result = self._fn(item.output, item.case, **cfg.args)
        return self._to_score(result, item.case)

    def _to_score(self, result: Any, case: Case) -> Score:
        cfg: PythonConfig = self.config  # type: ignore[assignment]
        if isinstance(result, Score):
            return result
        if isinstance(result, bool):
            return self.make(result, f"{cfg.scorer} returned {result}")
        if isinstance(result, (int, float)):
            threshold = cfg.min if cfg.min is not None else 0.5
            ok = float(result) >= threshold
            return self.make(ok, f"{cfg.scorer} = {float(result):.3f} {'>=' if ok else '<'} {threshold}",
                             float(result), threshold)
        return self.make(False, f"{cfg.scorer} returned {type(result).__name__}, expected bool, float or Score",
                         error=True)
