"""The gate's rules: each reads one suite comparison and returns the reasons it raises. Pure.

Regression rules count what the evidence demonstrates (``harness.analysis.evidence``):
greedy flips directly, sampled cases only after multiplicity adjustment. The pass-rate rule
answers pass, fail or inconclusive from one-sided bounds of the cluster-robust paired change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from harness.analysis.compare import CaseComparison, SuiteComparison
from harness.analysis.evidence import (
    CaseTable,
    Decision,
    DropDecision,
    RegressionEvidence,
    decide_drop,
    exceeds,
    rule_evidence,
)
from harness.analysis.policy import Rules, Threshold
from harness.types import CaseStatus

ReasonLevel = Literal["fail", "inconclusive", "warn"]


@dataclass(frozen=True)
class Reason:
    level: ReasonLevel
    suite_id: str
    rule: str
    message: str
    cases: tuple[str, ...] = ()

    def __str__(self) -> str:
        message = _as_warning(self.message) if self.level == "warn" else self.message
        return f"[{self.level}] {self.suite_id}: {message}"


def _as_warning(message: str) -> str:
    """A warn-level reason names its limit a warning threshold, so it does not read as a failure."""
    return (message.replace("(allowed ", "(warning threshold ")
            .replace("by more than the allowed ", "by more than the warning threshold "))


Rule = Callable[[Rules, SuiteComparison, float, "DropDecision | None"], list[Reason]]


def case_table(case: CaseComparison) -> CaseTable:
    return CaseTable(case.case_id, case.baseline.passed, case.baseline.n, case.candidate.passed,
                     case.candidate.n, case.sampled, case.status == CaseStatus.REGRESSION,
                     case.rounds.strata if case.rounds is not None else None)


def _regression_reason(rule: Threshold, comp: SuiteComparison, name: str, what: str,
                       cases: Sequence[CaseComparison], alpha: float) -> list[Reason]:
    evidence = rule_evidence([case_table(c) for c in cases if not c.errored], rule.level, alpha)
    if not exceeds(evidence, rule.value):
        return []
    hits = list(evidence.cases)
    if len(hits) > rule.value:
        how = _how(evidence, rule)
        return [Reason(rule.level, comp.suite_id, name,
                       f"{len(hits)} regression(s) on {what} (allowed {rule.value:g}){how}: {_ids(hits)}",
                       tuple(hits))]
    suspects = [c.case_id for c in sorted(cases, key=lambda c: c.p_drop) if c.sampled and not c.errored][:5]
    return [Reason(rule.level, comp.suite_id, name,
                   f"{what} dropped beyond sampling noise (exact combined test p = "
                   f"{evidence.combined_p:.2g} over {evidence.family} sampled cases, level {alpha / 2:.3g});"
                   f" most affected: {_ids(suspects)}", tuple(suspects))]


def _how(evidence: RegressionEvidence, rule: Threshold) -> str:
    if not evidence.significant:
        return ""
    method = "Holm" if rule.level == "fail" else "Benjamini-Hochberg"
    return f" ({len(evidence.significant)} sampled, significant after {method} adjustment)"


def _critical(rules: Rules, comp: SuiteComparison, alpha: float, _: DropDecision | None) -> list[Reason]:
    rule = rules.critical_regressions
    if rule is None:
        return []
    critical = [c for c in comp.cases if set(c.tags) & set(rules.critical_tags)]
    return _regression_reason(rule, comp, "critical_regressions", "critical cases", critical, alpha)


def _regressions(rules: Rules, comp: SuiteComparison, alpha: float, _: DropDecision | None) -> list[Reason]:
    rule = rules.max_regressions
    if rule is None:
        return []
    return _regression_reason(rule, comp, "max_regressions", "cases", comp.cases, alpha)


def pass_rate_decision(rules: Rules, comp: SuiteComparison, alpha: float) -> DropDecision | None:
    """The three-way answer of ``max_pass_rate_drop`` (None when the rule is off or nothing compared)."""
    rule = rules.max_pass_rate_drop
    if rule is None or comp.stats.cases == 0:
        return None
    return decide_drop(comp.stats.estimate, rule.value, alpha, max(comp.stats.power.samples, 1))


def pass_rate_level(decision: DropDecision | None, rules: Rules) -> ReasonLevel | None:
    """The reason level the pass-rate rule raises: its own level on a demonstrated drop, the
    policy's ``inconclusive`` mode when the suite cannot tell, nothing when it passes."""
    rule = rules.max_pass_rate_drop
    if rule is None or decision is None or decision.decision is Decision.passed:
        return None
    if decision.decision is Decision.failed:
        return rule.level
    return "fail" if rules.inconclusive == "fail" else "inconclusive"


def _pass_rate_drop(rules: Rules, comp: SuiteComparison, alpha: float,
                    decision: DropDecision | None) -> list[Reason]:
    rule, level = rules.max_pass_rate_drop, pass_rate_level(decision, rules)
    if rule is None or decision is None or level is None:
        return []
    bounds = (f"estimate {comp.stats.pass_rate_delta:+.1%}, one-sided {1 - alpha:.1%} bounds "
              f"[{decision.lower:+.1%}, {decision.upper:+.1%}]")
    if decision.decision is Decision.failed:
        return [Reason(level, comp.suite_id, "max_pass_rate_drop",
                       f"pass rate dropped by more than the allowed {rule.value:.1%} ({bounds})")]
    need = f"; to decide: {decision.requirement.text}" if decision.requirement else ""
    return [Reason(level, comp.suite_id, "max_pass_rate_drop",
                   f"cannot tell whether the pass rate dropped by more than the allowed {rule.value:.1%} "
                   f"({bounds}){need}")]


def _consistency(rules: Rules, comp: SuiteComparison, _: float, __: DropDecision | None) -> list[Reason]:
    rule, agreement = rules.min_consistency, comp.candidate_consistency.mean_agreement
    if rule is None or agreement is None or agreement >= rule.value - 1e-12:
        return []
    return [Reason(rule.level, comp.suite_id, "min_consistency",
                   f"candidate sample agreement {agreement:.1%} is below {rule.value:.1%}")]


def _flaky(rules: Rules, comp: SuiteComparison, _: float, __: DropDecision | None) -> list[Reason]:
    rule, share = rules.max_flaky_share, comp.stats.flaky_share
    if rule is None or share <= rule.value + 1e-12:
        return []
    hits = [c.case_id for c in comp.with_status(CaseStatus.FLAKY)]
    return [Reason(rule.level, comp.suite_id, "max_flaky_share",
                   f"{share:.1%} of cases are flaky (allowed {rule.value:.1%}): {_ids(hits)}", tuple(hits))]


def _errors(rules: Rules, comp: SuiteComparison, _: float, __: DropDecision | None) -> list[Reason]:
    hits = [c.case_id for c in comp.cases if c.has_errors] + list(comp.baseline_only)
    if rules.errors == "ignore" or not hits:
        return []
    return [Reason(rules.errors, comp.suite_id, "errors",
                   f"{len(hits)} case(s) with errors or missing results: {_ids(hits)}", tuple(hits))]


def _confounders(rules: Rules, comp: SuiteComparison, _: float, __: DropDecision | None) -> list[Reason]:
    if rules.confounders == "ignore":
        return []
    return [Reason(rules.confounders, comp.suite_id, "confounders", w) for w in comp.confounders]


def _ids(ids: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


RULES: tuple[Rule, ...] = (_critical, _regressions, _pass_rate_drop, _consistency, _flaky, _errors,
                           _confounders)
