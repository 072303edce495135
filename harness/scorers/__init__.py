"""Check types. Importing this package registers the built-in ones."""

from harness.scorers import code, custom, instructions, overlap, similarity, structured, text  # noqa: F401
from harness.scorers.base import CHECK_TYPES, CheckConfig, ScoreItem, Scorer, check_type
from harness.scorers.custom import scorer

__all__ = ["CHECK_TYPES", "CheckConfig", "ScoreItem", "Scorer", "check_type", "scorer"]
