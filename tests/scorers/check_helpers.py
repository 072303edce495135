"""Build a check from its YAML mapping and score outputs with it, as the pipeline does."""

from __future__ import annotations

from typing import Any

from harness.scoring.checks import CHECK_TYPES, ScoreItem
from harness.types import Case, Score


def make_case(reference: str | None = None, case_id: str = "c1", **vars: Any) -> Case:
    return Case(id=case_id, vars=dict(vars), reference=reference)


def run_check(raw: dict[str, Any], outputs: list[str], reference: str | None = None) -> list[Score]:
    """Validate ``raw`` like a suite check and score each output against one case."""
    config = CHECK_TYPES.get(raw["type"]).Config.model_validate(raw)
    scorer = CHECK_TYPES.get(raw["type"])(config)
    case = make_case(reference)
    return scorer.score([ScoreItem(o, case) for o in outputs])


def verdicts(raw: dict[str, Any], outputs: list[str], reference: str | None = None) -> list[bool]:
    return [s.passed for s in run_check(raw, outputs, reference)]
