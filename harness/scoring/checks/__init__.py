"""Check types. Importing this package registers the built-in ones."""

from harness.scoring.checks import (  # noqa: F401
    code,
    custom,
    distance,
    instructions,
    judge,
    overlap,
    similarity,
    structured,
    text,
)
from harness.scoring.checks.base import CHECK_TYPES, CheckConfig, ScoreItem, Scorer, check_type
from harness.scoring.checks.custom import scorer

__all__ = ["CHECK_TYPES", "CheckConfig", "ScoreItem", "Scorer", "check_type", "scorer"]
