"""Cluster-robust uncertainty for a paired pass-rate difference, and what would decide it. Pure.

Following Miller, "Adding Error Bars to Evals" (2024): the suite's pass-rate change is the
mean of per-case differences ``d_i = candidate rate - baseline rate``. Cases that share a
``group`` (or paraphrases of one case) are not independent, so the standard error is the
cluster-robust one, ``SE^2 = G/(G-1) * sum_g (sum_{i in g} (d_i - mean))^2 / n^2`` over G
clusters, with a t distribution on G - 1 degrees of freedom. Its variance splits into a
between-case part (cases differ in how much they changed) and a within-case part (sampling
noise, shrinking with K), which gives how many cases, or samples, would decide a question.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean

from harness.analysis import student_t

PLANNING_POWER = 0.8


@dataclass(frozen=True)
class PairedEstimate:
    """Mean paired difference with its cluster-robust standard error."""

    mean: float
    se: float
    cases: int
    clusters: int
    design_effect: float       # cluster-robust variance / independent-cases variance (1 = none)
    between_var: float         # variance of true per-case differences (estimated, >= 0)
    within_var: float          # sampling variance of a case's difference at its K (mean over cases)

    @property
    def df(self) -> int:
        return max(self.clusters - 1, 1)

    def bounds(self, level: float) -> tuple[float, float]:
        """Two-sided ``level`` confidence interval."""
        if self.se == 0.0:
            return (self.mean, self.mean)
        if math.isinf(self.se):
            return (-1.0, 1.0)
        q = student_t.ppf(0.5 + level / 2, self.df)
        return (max(-1.0, self.mean - q * self.se), min(1.0, self.mean + q * self.se))

    def one_sided(self, alpha: float) -> tuple[float, float]:
        """(lower, upper) one-sided ``1 - alpha`` confidence bounds."""
        return self.bounds(1 - 2 * alpha)

    def p_value(self) -> float:
        """Two-sided p-value of ``mean == 0`` (t test on cluster-robust SE)."""
        if self.se == 0.0:
            return 1.0 if self.mean == 0 else 0.0
        if math.isinf(self.se):
            return 1.0
        return min(1.0, student_t.two_sided_p(self.mean / self.se, self.df))


def paired_estimate(diffs: Sequence[float], clusters: Sequence[Hashable],
                    within: Sequence[float]) -> PairedEstimate:
    """``diffs`` per case, its cluster label, and the sampling variance of that difference
    at the case's sample counts (``p(1-p) (1/K_base + 1/K_cand)``, p pooled over both sides)."""
    n = len(diffs)
    if n == 0:
        return PairedEstimate(0.0, math.inf, 0, 0, 1.0, 0.0, 0.0)
    mean = fmean(diffs)
    sums: dict[Hashable, float] = {}
    for d, g in zip(diffs, clusters):
        sums[g] = sums.get(g, 0.0) + (d - mean)
    groups = len(sums)
    iid_var = sum((d - mean) ** 2 for d in diffs) / (n * (n - 1)) if n > 1 else math.inf
    if groups < 2:
        se = 0.0 if all(d == 0 for d in diffs) else math.inf
        return PairedEstimate(mean, se, n, groups, 1.0, 0.0, fmean(within))
    var = groups / (groups - 1) * sum(s * s for s in sums.values()) / n**2
    deff = var / iid_var if iid_var > 0 else 1.0
    sample_var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    within_mean = fmean(within) if within else 0.0
    return PairedEstimate(mean, math.sqrt(var), n, groups, deff, max(0.0, sample_var - within_mean),
                          within_mean)


@dataclass(frozen=True)
class Requirement:
    """What would decide a question at the observed variance (planning at 80% power)."""

    cases: int | None          # cases needed at the current samples per case
    samples: int | None        # samples per case needed with the current number of cases
    text: str


def needed_to_decide(est: PairedEstimate, margin: float, alpha: float, samples: int,
                     at_least: int = 0) -> Requirement:
    """Cases (at K = ``samples``) or K (at the current cases) for the one-sided ``1 - alpha``
    bound to clear ``-margin``: Miller's formula ``n = deff (z_a + z_b)^2 (w^2 + s^2/K) / gap^2``
    with ``w^2`` the between-case and ``s^2`` the per-sample within-case variance. ``at_least``
    floors the cases (an undecided comparison needs more than it has)."""
    if est.clusters < 2:
        return Requirement(None, None, "at least two independent cases (clusters) are needed to "
                                       "estimate the uncertainty")
    gap = abs(est.mean + margin)
    if gap < 1e-12 or est.cases == 0:
        return Requirement(None, None, "the estimate sits on the allowed drop: no number of cases "
                                       "or samples would decide it")
    z = NormalDist().inv_cdf(1 - alpha) + NormalDist().inv_cdf(PLANNING_POWER)
    deff = max(est.design_effect, 1.0)
    k = max(samples, 1)
    per_sample = est.within_var * k        # the sampling variance with one sample per side
    between = est.between_var
    cases = max(at_least, math.ceil(deff * z * z * (between + per_sample / k) / gap**2))
    budget = est.cases * gap**2 / (deff * z * z) - between
    need_k = math.ceil(per_sample / budget) if budget > 0 and per_sample > 0 else None
    if budget > 0 and per_sample == 0:
        need_k = k
    text = f"about {cases} cases at K = {k}"
    if need_k is not None and need_k > k:
        text += f", or K = {need_k} samples per case with the current {est.cases} cases"
    elif need_k is None:
        text += (f"; more samples per case would not do it with {est.cases} cases "
                 "(the cases differ among themselves more than sampling noise)")
    return Requirement(cases, need_k, text)
