"""Suite-level statistics of a comparison: paired change with cluster-robust uncertainty,
McNemar, per-check deltas, adjusted per-case p-values and the power statement. Pure.

``docs/statistics.md`` states each definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import TYPE_CHECKING

from harness.analysis import evidence, stats
from harness.analysis.clustered import PairedEstimate
from harness.analysis.evidence import CaseTable
from harness.analysis.multiplicity import benjamini_hochberg, holm
from harness.types import PASS_CUTOFF, CaseStatus

if TYPE_CHECKING:
    from harness.analysis.compare import CaseComparison


@dataclass(frozen=True)
class CheckDelta:
    """Mean per-case change of one numeric check, with a paired bootstrap CI."""

    check: str
    cases: int
    baseline_mean: float
    candidate_mean: float
    delta: float
    ci95: tuple[float, float]


@dataclass(frozen=True)
class Power:
    """What this comparison could detect."""

    cases: int
    samples: int
    alpha: float
    power: float
    min_detectable_drop: float     # suite pass-rate drop detectable at ``power``
    min_case_drop: float | None    # smallest per-case drop the status rule can flag
    text: str


@dataclass(frozen=True)
class SuiteStats:
    cases: int                     # compared cases (matched, scorable on both sides)
    pass_rate_delta: float
    ci95: tuple[float, float]      # cluster-robust (t on clusters - 1 degrees of freedom)
    mcnemar_p: float
    discordant: tuple[int, int]    # (baseline-only passes, candidate-only passes)
    status_counts: dict[str, int]
    flaky_share: float
    check_deltas: tuple[CheckDelta, ...]
    power: Power
    estimate: PairedEstimate       # the paired change the gate's pass-rate rule decides on
    paired_p: float                # two-sided cluster-robust t test of "no change"

    @property
    def clusters(self) -> int:
        return self.estimate.clusters


def compared_cases(cases: Sequence[CaseComparison]) -> list[CaseComparison]:
    """Cases present on both sides with at least one scorable sample each."""
    return [c for c in cases if not c.errored]


def adjusted_pvalues(pvalues: Sequence[float | None]) -> list[tuple[float | None, float | None]]:
    """Holm and Benjamini-Hochberg adjustments of each case's ``p_value`` over the compared cases
    (None: a case not compared, whose adjustments are None too)."""
    raw = [p for p in pvalues if p is not None]
    adjusted = iter(zip(holm(raw), benjamini_hochberg(raw)))
    return [(None, None) if p is None else next(adjusted) for p in pvalues]


def paired_change(cases: Sequence[CaseComparison]) -> PairedEstimate:
    """The mean per-case pass-rate change with its cluster-robust standard error."""
    return evidence.paired_change([CaseTable(c.case_id, c.baseline.passed, c.baseline.n, c.candidate.passed,
                                             c.candidate.n, c.sampled, False, cluster=c.cluster)
                                   for c in cases])


def _check_deltas(cases: Sequence[CaseComparison], seed: int) -> tuple[CheckDelta, ...]:
    paired: dict[str, list[tuple[float, float]]] = {}
    for case in cases:
        for score in case.scores:
            if score.baseline_value is not None and score.candidate_value is not None:
                paired.setdefault(score.check, []).append((score.baseline_value, score.candidate_value))
    out = []
    for name, values in paired.items():
        diffs = [b - a for a, b in values]
        out.append(CheckDelta(check=name, cases=len(values), baseline_mean=fmean([a for a, _ in values]),
                              candidate_mean=fmean([b for _, b in values]), delta=fmean(diffs),
                              ci95=stats.bootstrap_mean_ci(diffs, seed=seed)))
    return tuple(out)


def _power(cases: Sequence[CaseComparison], alpha: float, estimate: PairedEstimate) -> Power:
    n = len(cases)
    k = min((min(c.baseline.n, c.candidate.n) for c in cases), default=0)
    pooled = [(c.baseline.passed + c.candidate.passed) / (c.baseline.n + c.candidate.n) for c in cases]
    noise = fmean([p * (1 - p) for p in pooled]) if pooled else 0.25
    effective = max(1, round(n / max(estimate.design_effect, 1.0))) if n else 0
    drop = stats.min_detectable_drop(effective, max(k, 1), alpha=0.05, power=0.8, noise=noise)
    case_drop = stats.min_case_drop(k, alpha) if k else None
    clusters = f" in {estimate.clusters} clusters" if estimate.clusters != n else ""
    text = (f"With {n} cases{clusters} and {k} sample(s) per case, a suite pass-rate drop of {drop:.1%} "
            "or more would be detected with 80% power (95% CI).")
    if case_drop is not None:
        text += (f" A single case is flagged as a regression only when its pass rate drops by "
                 f"{case_drop:.0%} or more (alpha {alpha:g}).")
    return Power(cases=n, samples=k, alpha=alpha, power=0.8, min_detectable_drop=drop,
                 min_case_drop=case_drop, text=text)


def suite_stats(cases: Sequence[CaseComparison], alpha: float, seed: int) -> SuiteStats:
    compared = compared_cases(cases)
    rates = [c.rates for c in compared]
    b = sum(old >= PASS_CUTOFF > new for old, new in rates)
    c_ = sum(new >= PASS_CUTOFF > old for old, new in rates)
    counts: dict[str, int] = {s.value: sum(c.status == s for c in cases) for s in CaseStatus}
    flaky = sum(c.status == CaseStatus.FLAKY for c in compared)
    estimate = paired_change(compared)
    return SuiteStats(cases=len(compared), pass_rate_delta=estimate.mean if compared else 0.0,
                      ci95=estimate.bounds(0.95) if compared else (0.0, 0.0),
                      mcnemar_p=stats.mcnemar_exact(b, c_), discordant=(b, c_), status_counts=counts,
                      flaky_share=flaky / len(compared) if compared else 0.0,
                      check_deltas=_check_deltas(compared, seed), power=_power(compared, alpha, estimate),
                      estimate=estimate, paired_p=estimate.p_value())
