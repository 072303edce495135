"""Check types. Importing this package registers the built-in ones."""

from harness.scoring.checks import code, custom, instructions, judge, overlap, similarity, structured, text  # noqa: F401
from harness.scoring.checks.base import CHECK_TYPES, CheckConfig, ScoreItem, Scorer, check_type
from harness.scoring.checks.custom import scorer

__all__ = ["CHECK_TYPES", "CheckConfig", "ScoreItem", "Scorer", "check_type", "scorer"]
