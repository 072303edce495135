"""The gate: a policy (YAML) applied to comparisons gives a verdict with reasons. Pure.

A policy lives under ``policy:`` in ``harness.yaml`` or in its own file (``--policy``).
Every threshold rule is a number (a ``fail`` rule) or ``{value: N, level: fail|warn}``;
``null`` switches a rule off. ``suites:`` overrides rules for single suites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.analysis.compare import SuiteComparison
from harness.errors import ConfigError
from harness.types import CaseStatus, Verdict
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

    def for_suite(self, suite_id: str) -> Rules:
        override = self.suites.get(suite_id)
        base = Rules(**{name: getattr(self, name) for name in Rules.model_fields})
        if override is None:
            return base
        return base.model_copy(update={k: getattr(override, k) for k in override.model_fields_set})


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Reason:
    level: Level
    suite_id: str
    rule: str
    message: str
    cases: tuple[str, ...] = ()

    def __str__(self) -> str:
        message = self.message if self.level == "fail" else _as_warning(self.message)
        return f"[{self.level}] {self.suite_id}: {message}"


def _as_warning(message: str) -> str:
    """A warn-level reason names its limit a warning threshold, so it does not read as a failure."""
    return message.replace("(allowed ", "(warning threshold ").replace("; allowed drop ", "; warning threshold ")


@dataclass(frozen=True)
class SuiteVerdict:
    suite_id: str
    verdict: Verdict
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class GateResult:
    verdict: Verdict
    reasons: tuple[Reason, ...]          # every fail reason, then every warn reason
    suites: tuple[SuiteVerdict, ...]     # one per comparison, in order

    @property
    def passed(self) -> bool:
        return self.verdict != "fail"


# ---------------------------------------------------------------- loading


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


# ---------------------------------------------------------------- evaluation


def evaluate(policy: Policy, comparisons: Sequence[SuiteComparison]) -> GateResult:
    """Apply the policy to every suite comparison; the worst suite verdict wins."""
    suites = tuple(_evaluate_suite(policy.for_suite(c.suite_id), c) for c in comparisons)
    reasons = [r for s in suites for r in s.reasons]
    ordered = tuple([r for r in reasons if r.level == "fail"] + [r for r in reasons if r.level == "warn"])
    return GateResult(verdict=_worst(s.verdict for s in suites), reasons=ordered, suites=suites)


def _worst(verdicts: Any) -> Verdict:
    found = set(verdicts)
    return "fail" if "fail" in found else ("warn" if "warn" in found else "pass")


def _evaluate_suite(rules: Rules, comp: SuiteComparison) -> SuiteVerdict:
    reasons = [r for rule in _RULES for r in rule(rules, comp)]
    return SuiteVerdict(comp.suite_id, _worst(r.level for r in reasons), tuple(reasons))


def _critical(rules: Rules, comp: SuiteComparison) -> list[Reason]:
    rule = rules.critical_regressions
    hits = [c.case_id for c in comp.regressions if set(c.tags) & set(rules.critical_tags)]
    if rule is None or len(hits) <= rule.value:
        return []
    return [Reason(rule.level, comp.suite_id, "critical_regressions",
                   f"{len(hits)} regression(s) on critical cases (allowed {rule.value:g}): {_ids(hits)}",
                   tuple(hits))]


def _regressions(rules: Rules, comp: SuiteComparison) -> list[Reason]:
    rule = rules.max_regressions
    hits = [c.case_id for c in comp.regressions]
    if rule is None or len(hits) <= rule.value:
        return []
    return [Reason(rule.level, comp.suite_id, "max_regressions",
                   f"{len(hits)} regression(s) (allowed {rule.value:g}): {_ids(hits)}", tuple(hits))]


def _pass_rate_drop(rules: Rules, comp: SuiteComparison) -> list[Reason]:
    """Judged on the lower CI bound: the largest drop the data do not rule out."""
    rule = rules.max_pass_rate_drop
    if rule is None or comp.stats.cases == 0:
        return []
    worst_drop = -comp.stats.ci95[0]
    if worst_drop <= rule.value + 1e-12:
        return []
    return [Reason(rule.level, comp.suite_id, "max_pass_rate_drop",
                   f"pass rate may have dropped by up to {worst_drop:.1%} (95% CI "
                   f"[{comp.stats.ci95[0]:+.1%}, {comp.stats.ci95[1]:+.1%}], estimate "
                   f"{comp.stats.pass_rate_delta:+.1%}); allowed drop {rule.value:.1%}")]


def _consistency(rules: Rules, comp: SuiteComparison) -> list[Reason]:
    rule, agreement = rules.min_consistency, comp.candidate_consistency.mean_agreement
    if rule is None or agreement is None or agreement >= rule.value - 1e-12:
        return []
    return [Reason(rule.level, comp.suite_id, "min_consistency",
                   f"candidate sample agreement {agreement:.1%} is below {rule.value:.1%}")]


def _flaky(rules: Rules, comp: SuiteComparison) -> list[Reason]:
    rule, share = rules.max_flaky_share, comp.stats.flaky_share
    if rule is None or share <= rule.value + 1e-12:
        return []
    hits = [c.case_id for c in comp.with_status(CaseStatus.FLAKY)]
    return [Reason(rule.level, comp.suite_id, "max_flaky_share",
                   f"{share:.1%} of cases are flaky (allowed {rule.value:.1%}): {_ids(hits)}", tuple(hits))]


def _errors(rules: Rules, comp: SuiteComparison) -> list[Reason]:
    hits = [c.case_id for c in comp.cases if c.has_errors] + list(comp.baseline_only)
    if rules.errors == "ignore" or not hits:
        return []
    return [Reason(rules.errors, comp.suite_id, "errors",
                   f"{len(hits)} case(s) with errors or missing results: {_ids(hits)}", tuple(hits))]


def _confounders(rules: Rules, comp: SuiteComparison) -> list[Reason]:
    if rules.confounders == "ignore":
        return []
    return [Reason(rules.confounders, comp.suite_id, "confounders", w) for w in comp.confounders]


def _ids(ids: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


_RULES = (_critical, _regressions, _pass_rate_drop, _consistency, _flaky, _errors, _confounders)
