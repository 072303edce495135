"""The gate policy: rules read from YAML (``policy:`` in ``harness.yaml`` or ``--policy FILE``).

Every threshold rule is a number (a ``fail`` rule) or ``{value: N, level: fail|warn}``;
``null`` switches a rule off. ``suites:`` overrides rules for single suites. ``inconclusive``
says what a suite that cannot tell does: ``warn`` (the default; exit 0) or ``fail``.
``promote_on_inconclusive`` (whole policy only) lets ``harness gate --promote`` move an alias on an
``inconclusive`` verdict (default: no).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.errors import ConfigError
from harness.project.yamlfile import YamlDoc, load_yaml

Level = Literal["fail", "warn"]
ErrorMode = Literal["fail", "warn", "ignore"]
THRESHOLD_RULES = ("critical_regressions", "max_regressions", "max_pass_rate_drop",
                   "min_consistency", "max_flaky_share")


class Threshold(BaseModel):
    """One numeric rule and what breaking it does."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float = Field(ge=0)
    level: Level = "fail"


class Rules(BaseModel):
    """The rules of a policy (also the shape of a per-suite override)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    critical_regressions: Threshold | None = Threshold(value=0)
    max_regressions: Threshold | None = Threshold(value=0, level="warn")
    max_pass_rate_drop: Threshold | None = Threshold(value=0.05)
    min_consistency: Threshold | None = None
    max_flaky_share: Threshold | None = None
    errors: ErrorMode = "warn"
    confounders: ErrorMode = "warn"
    inconclusive: Level = "warn"
    critical_tags: tuple[str, ...] = ("critical",)

    @field_validator(*THRESHOLD_RULES, mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        """``max_regressions: 3`` means ``{value: 3, level: fail}``."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"value": value}
        return value


class Policy(Rules):
    """A whole policy: rules plus per-suite overrides (only the fields an override sets apply)."""

    suites: dict[str, Rules] = Field(default_factory=dict)
    promote_on_inconclusive: bool = False   # `harness gate --promote`: may an inconclusive verdict move the alias

    def for_suite(self, suite_id: str) -> Rules:
        override = self.suites.get(suite_id)
        base = Rules(**{name: getattr(self, name) for name in Rules.model_fields})
        if override is None:
            return base
        return base.model_copy(update={k: getattr(override, k) for k in override.model_fields_set})


DEFAULT_POLICY = Policy()


def parse_policy(data: Any, doc: YamlDoc | None = None, prefix: tuple[Any, ...] = ()) -> Policy:
    """Validate policy data; with ``doc`` errors name the file, line and field."""
    if data is None:
        return DEFAULT_POLICY
    try:
        return Policy.model_validate(data)
    except pydantic.ValidationError as exc:
        if doc is None:
            first = exc.errors()[0]
            raise ConfigError(first["msg"], field=".".join(str(p) for p in prefix + tuple(first["loc"]))) from None
        raise doc.validation_error(exc, prefix) from None


def policy_from_doc(doc: YamlDoc) -> Policy:
    """A policy file: the rules at the top level, or under a single ``policy:`` key."""
    data = doc.data
    if isinstance(data, dict) and set(data) == {"policy"}:
        return parse_policy(data["policy"], doc, ("policy",))
    if data is not None and not isinstance(data, dict):
        raise doc.error("a policy must be a mapping of rules")
    return parse_policy(data, doc)


def load_policy(path: Path | str) -> Policy:
    """Read a ``--policy`` file."""
    return policy_from_doc(load_yaml(path))
