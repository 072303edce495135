"""Cluster-robust paired estimate and the cases/samples that would decide (by simulation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analysis.clustered import needed_to_decide, paired_estimate


def _clustered_draw(rng: np.random.Generator, groups: int, per_group: int, k: int,
                    shift_sd: float) -> tuple[list[float], list[int], list[float]]:
    """A/A-like data where cases of one group move together (a shared per-group effect on the
    candidate's pass rate, mean zero): per-case differences are correlated within groups."""
    diffs, clusters, within = [], [], []
    for g in range(groups):
        shift = rng.normal(0, shift_sd)
        for _ in range(per_group):
            p = rng.uniform(0.2, 0.8)
            q = float(np.clip(p + shift, 0.01, 0.99))
            b, c = rng.binomial(k, p) / k, rng.binomial(k, q) / k
            diffs.append(c - b)
            clusters.append(g)
            pooled = (b + c) / 2
            within.append(pooled * (1 - pooled) * 2 / k)
    return diffs, clusters, within


def test_cluster_robust_interval_covers_and_naive_one_does_not() -> None:
    rng = np.random.default_rng(1)
    draws, robust, naive = 1500, 0, 0
    for _ in range(draws):
        diffs, clusters, within = _clustered_draw(rng, groups=15, per_group=8, k=3, shift_sd=0.25)
        truth = 0.0
        lo, hi = paired_estimate(diffs, clusters, within).bounds(0.95)
        robust += lo <= truth <= hi
        lo, hi = paired_estimate(diffs, list(range(len(diffs))), within).bounds(0.95)
        naive += lo <= truth <= hi
    se = math.sqrt(0.05 * 0.95 / draws)
    assert robust / draws >= 0.95 - 3 * se
    assert naive / draws < 0.90


def test_effective_clusters_and_design_effect() -> None:
    est = paired_estimate([0.2, 0.2, -0.2, -0.2], ["a", "a", "b", "b"], [0.0] * 4)
    assert est.clusters == 2 and est.cases == 4
    assert est.design_effect > 1.5
    alone = paired_estimate([0.2, -0.2, 0.2, -0.2], ["a", "a", "b", "b"], [0.0] * 4)
    assert alone.design_effect < 0.5


def test_all_unchanged_cases_give_a_zero_width_interval() -> None:
    est = paired_estimate([0.0] * 5, list(range(5)), [0.0] * 5)
    assert est.bounds(0.95) == (0.0, 0.0) and est.p_value() == 1.0


@pytest.mark.parametrize(("between_sd", "k"), [(0.05, 3), (0.15, 5)])
def test_cases_needed_decide_about_as_often_as_planned(between_sd: float, k: int) -> None:
    """Plan from a pilot with Miller's formula, then rerun with that many cases: the one-sided
    bound clears the margin in roughly the planned 80% of reruns."""
    rng = np.random.default_rng(int(between_sd * 100) + k)
    margin, true_drop, alpha = 0.10, -0.02, 0.05

    def draw(n: int) -> tuple[list[float], list[int], list[float]]:
        diffs, within = [], []
        for _ in range(n):
            p = rng.uniform(0.3, 0.7)
            q = float(np.clip(p + true_drop + rng.normal(0, between_sd), 0.01, 0.99))
            b, c = rng.binomial(k, p) / k, rng.binomial(k, q) / k
            diffs.append(c - b)
            pooled = (b + c) / 2
            within.append(pooled * (1 - pooled) * 2 / k)
        return diffs, list(range(n)), within

    pilot = paired_estimate(*draw(1000))
    planned = needed_to_decide(pilot, margin, alpha, k).cases
    assert planned is not None and 5 < planned < 1000

    def decided_share(n: int, reruns: int = 300) -> float:
        return sum(paired_estimate(*draw(n)).one_sided(alpha)[0] >= -margin for _ in range(reruns)) / reruns

    assert decided_share(planned) >= 0.65
    assert decided_share(max(2, planned // 4)) <= 0.75   # the plan is not wildly generous either


def test_more_samples_cannot_help_when_cases_differ_among_themselves() -> None:
    est = paired_estimate([-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], list(range(7)), [0.0] * 7)
    need = needed_to_decide(est, 0.05, 0.05, 1)
    assert need.cases is not None and need.cases > 7
    assert need.samples is None and "would not do it" in need.text
