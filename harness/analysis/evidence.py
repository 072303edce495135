"""What a comparison demonstrates, rule by rule, with error rates under control. Pure.

The gate's rules ask three questions of a suite comparison:

* **Did critical cases regress?** Cases decoded greedily (temperature 0) are deterministic: a
  flip is a real change of behaviour on that input and counts directly. Sampled cases can pass or
  fail by chance, so they form one family tested at the rule's ``alpha``, split in two halves:
  Holm over the cases' one-sided Fisher p-values (which names cases) and the exact combined drop
  test (which has power when a few cases drop a lot among many flaky ones). The chance that the
  rule fails a comparison in which nothing changed is at most ``alpha``.
* **How many cases regressed?** Sampled cases count when significant after adjustment: Holm
  (family-wise) for a fail-level rule, Benjamini-Hochberg (false discovery rate) for a warn-level
  one; deterministic regressions count directly.
* **Did the pass rate drop by more than allowed?** A three-way answer from the one-sided
  ``1 - alpha`` bounds of the cluster-robust paired estimate: ``fail`` when even the upper bound is
  below ``-allowed`` (a drop beyond the allowed one is demonstrated), ``pass`` when the lower bound
  is at or above ``-allowed`` (non-inferiority shown), ``inconclusive`` otherwise, with the cases or
  samples that would decide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from harness.analysis.clustered import PairedEstimate, Requirement, needed_to_decide
from harness.analysis.multiplicity import benjamini_hochberg, combined_drop_test, fisher_one_sided, holm


@dataclass(frozen=True)
class CaseTable:
    """One compared case as the gate sees it."""

    case_id: str
    base_passed: int
    base_n: int
    cand_passed: int
    cand_n: int
    sampled: bool          # decoded with temperature > 0 on either side
    regression: bool       # its descriptive status is "regression"

    @property
    def counts(self) -> tuple[int, int, int, int]:
        return (self.base_passed, self.base_n, self.cand_passed, self.cand_n)


@dataclass(frozen=True)
class RegressionEvidence:
    """Regressions a family of cases demonstrates."""

    deterministic: tuple[str, ...]     # greedy flips: count directly
    significant: tuple[str, ...]       # sampled cases significant after adjustment
    combined_p: float | None           # exact combined drop test over the sampled family
    family: int                        # sampled cases in the family
    alpha: float

    @property
    def cases(self) -> tuple[str, ...]:
        return self.deterministic + self.significant

    @property
    def combined_rejects(self) -> bool:
        return self.combined_p is not None and self.combined_p <= self.alpha / 2


def family_regressions(tables: Sequence[CaseTable], alpha: float) -> RegressionEvidence:
    """Family-wise: Holm at ``alpha / 2`` on sampled cases, plus the combined test at ``alpha / 2``."""
    deterministic = tuple(t.case_id for t in tables if not t.sampled and t.regression)
    sampled = [t for t in tables if t.sampled]
    adjusted = holm([fisher_one_sided(*t.counts) for t in sampled])
    significant = tuple(t.case_id for t, p in zip(sampled, adjusted) if p <= alpha / 2 and t.regression)
    combined = combined_drop_test([t.counts for t in sampled]) if sampled else None
    return RegressionEvidence(deterministic, significant, combined, len(sampled), alpha)


def discovered_regressions(tables: Sequence[CaseTable], alpha: float) -> RegressionEvidence:
    """False-discovery-rate control (Benjamini-Hochberg) over sampled cases, for warnings."""
    deterministic = tuple(t.case_id for t in tables if not t.sampled and t.regression)
    sampled = [t for t in tables if t.sampled]
    adjusted = benjamini_hochberg([fisher_one_sided(*t.counts) for t in sampled])
    significant = tuple(t.case_id for t, q in zip(sampled, adjusted) if q <= alpha and t.regression)
    return RegressionEvidence(deterministic, significant, None, len(sampled), alpha)


def rule_evidence(tables: Sequence[CaseTable], level: str, alpha: float) -> RegressionEvidence:
    """Family-wise evidence for a fail-level rule, false-discovery-rate evidence for a warn-level one."""
    return family_regressions(tables, alpha) if level == "fail" else discovered_regressions(tables, alpha)


def exceeds(evidence: RegressionEvidence, allowed: float) -> bool:
    """More demonstrated regressions than allowed; with none allowed, the combined test counts too."""
    return len(evidence.cases) > allowed or (allowed == 0 and evidence.combined_rejects)


class Decision(str, Enum):
    """The three answers a suite's pass-rate rule can give."""

    passed = "pass"
    failed = "fail"
    inconclusive = "inconclusive"


@dataclass(frozen=True)
class DropDecision:
    decision: Decision
    lower: float           # one-sided 1 - alpha lower bound of the pass-rate change
    upper: float           # one-sided 1 - alpha upper bound
    allowed: float
    alpha: float
    requirement: Requirement | None   # what would decide it (inconclusive only)


def decide_drop(estimate: PairedEstimate, allowed: float, alpha: float, samples: int) -> DropDecision:
    """Fail when a drop beyond ``allowed`` is demonstrated, pass when non-inferiority is shown."""
    lower, upper = estimate.one_sided(alpha)
    tolerance = 1e-12
    if upper < -allowed - tolerance:
        return DropDecision(Decision.failed, lower, upper, allowed, alpha, None)
    if lower >= -allowed - tolerance:
        return DropDecision(Decision.passed, lower, upper, allowed, alpha, None)
    return DropDecision(Decision.inconclusive, lower, upper, allowed, alpha,
                        needed_to_decide(estimate, allowed, alpha, samples, at_least=estimate.cases + 1))
