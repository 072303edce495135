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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from harness.analysis import student_t
from harness.analysis.clustered import PairedEstimate, Requirement, needed_to_decide, paired_estimate
from harness.analysis.multiplicity import (
    CaseNull,
    benjamini_hochberg,
    combined_test,
    fisher_one_sided,
    holm,
    hypergeometric_null,
    stratified_drop,
    stratified_null,
)


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
    strata: tuple[tuple[int, int, int, int], ...] | None = None   # adaptive sampling: the two strata of rounds
    cluster: str = ""      # the case's group (cluster-robust pass-rate change); "" = its own

    @property
    def counts(self) -> tuple[int, int, int, int]:
        return (self.base_passed, self.base_n, self.cand_passed, self.cand_n)

    @property
    def p_drop(self) -> float:
        """One-sided p-value of a drop: the exact test over the two strata of rounds when sampled
        adaptively, else Fisher's exact test."""
        if self.strata is not None:
            return stratified_drop(self.strata)
        return fisher_one_sided(*self.counts)

    @property
    def null(self) -> CaseNull | None:
        """The exact conditional null the combined test convolves."""
        if self.strata is not None:
            return stratified_null(self.strata)
        return hypergeometric_null(*self.counts)


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


def paired_change(tables: Sequence[CaseTable]) -> PairedEstimate:
    """The mean per-case pass-rate change with its cluster-robust standard error (compared cases:
    at least one scorable sample per side); a sampled case adds its sampling variance
    ``p(1-p) (1/n_b + 1/n_c)``, ``p`` pooled over both sides."""
    diffs, clusters, within = [], [], []
    for t in tables:
        diffs.append(t.cand_passed / t.cand_n - t.base_passed / t.base_n)
        clusters.append(t.cluster or t.case_id)
        pooled = (t.base_passed + t.cand_passed) / (t.base_n + t.cand_n)
        within.append(pooled * (1 - pooled) * (1 / t.base_n + 1 / t.cand_n) if t.sampled else 0.0)
    return paired_estimate(diffs, clusters, within)


def family_regressions(tables: Sequence[CaseTable], alpha: float) -> RegressionEvidence:
    """Family-wise: Holm at ``alpha / 2`` on sampled cases, plus the combined test at ``alpha / 2``."""
    deterministic = tuple(t.case_id for t in tables if not t.sampled and t.regression)
    sampled = [t for t in tables if t.sampled]
    adjusted = holm([t.p_drop for t in sampled])
    significant = tuple(t.case_id for t, p in zip(sampled, adjusted) if p <= alpha / 2 and t.regression)
    combined = combined_test([n for n in (t.null for t in sampled) if n is not None]) if sampled else None
    return RegressionEvidence(deterministic, significant, combined, len(sampled), alpha)


def discovered_regressions(tables: Sequence[CaseTable], alpha: float) -> RegressionEvidence:
    """False-discovery-rate control (Benjamini-Hochberg) over sampled cases, for warnings."""
    deterministic = tuple(t.case_id for t in tables if not t.sampled and t.regression)
    sampled = [t for t in tables if t.sampled]
    adjusted = benjamini_hochberg([t.p_drop for t in sampled])
    significant = tuple(t.case_id for t, q in zip(sampled, adjusted) if q <= alpha and t.regression)
    return RegressionEvidence(deterministic, significant, None, len(sampled), alpha)


def rule_evidence(tables: Sequence[CaseTable], level: str, alpha: float) -> RegressionEvidence:
    """Family-wise evidence for a fail-level rule, false-discovery-rate evidence for a warn-level one."""
    return family_regressions(tables, alpha) if level == "fail" else discovered_regressions(tables, alpha)


def exceeds(evidence: RegressionEvidence, allowed: float) -> bool:
    """More demonstrated regressions than allowed; with none allowed, the combined test counts too."""
    return len(evidence.cases) > allowed or (allowed == 0 and evidence.combined_rejects)


def regression_rule_p(tables: Sequence[CaseTable], allowed: float) -> float:
    """The smallest ``alpha`` at which a fail-level regression rule fails (``exceeds`` after
    ``family_regressions``): 0 when the greedy flips alone exceed ``allowed``."""
    deterministic = sum(not t.sampled and t.regression for t in tables)
    need = math.floor(allowed) + 1 - deterministic
    if need <= 0:
        return 0.0
    sampled = [t for t in tables if t.sampled]
    adjusted = sorted(p for t, p in zip(sampled, holm([t.p_drop for t in sampled])) if t.regression)
    p = adjusted[need - 1] if len(adjusted) >= need else 1.0
    if allowed == 0 and sampled:
        p = min(p, combined_test([n for n in (t.null for t in sampled) if n is not None]))
    return min(1.0, 2 * p)


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


def drop_rule_p(estimate: PairedEstimate, allowed: float) -> float:
    """The smallest ``alpha`` at which ``decide_drop`` fails: the one-sided p-value of "the change
    is at least ``-allowed``" (t on the clusters' degrees of freedom)."""
    if math.isinf(estimate.se) or estimate.cases == 0:
        return 1.0
    gap = -allowed - estimate.mean
    if estimate.se == 0.0:
        return 0.0 if gap > 1e-12 else 1.0
    return float(student_t.sf(gap / estimate.se, estimate.df))


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
