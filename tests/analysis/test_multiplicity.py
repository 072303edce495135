"""Multiplicity control: adjusted p-values and the exact combined drop test (by simulation)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import false_discovery_control, fisher_exact, hypergeom

from harness.analysis.multiplicity import benjamini_hochberg, combined_drop_test, fisher_one_sided, holm


def _holm_by_definition(p: list[float]) -> list[float]:
    order = sorted(range(len(p)), key=lambda i: p[i])
    out = [0.0] * len(p)
    for rank, i in enumerate(order):
        out[i] = min(1.0, max((len(p) - r) * p[order[r]] for r in range(rank + 1)))
    return out


def test_adjusted_pvalues_match_references() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        p = list(rng.uniform(0, 0.2, size=int(rng.integers(1, 30))))
        assert holm(p) == pytest.approx(_holm_by_definition(p))
        assert benjamini_hochberg(p) == pytest.approx(list(false_discovery_control(p)))


def test_one_sided_fisher_matches_scipy() -> None:
    for k1, k2 in ((1, 1), (2, 3), (5, 5), (10, 7)):
        for b in range(k1 + 1):
            for c in range(k2 + 1):
                expected = fisher_exact([[b, k1 - b], [c, k2 - c]], alternative="greater")[1]
                assert fisher_one_sided(b, k1, c, k2) == pytest.approx(expected, rel=1e-9)


def test_combined_test_equals_brute_force_enumeration() -> None:
    """Small families: the convolution equals summing over every table of the conditional null."""
    rng = np.random.default_rng(11)
    for _ in range(30):
        k = int(rng.integers(2, 5))
        tables = [(int(rng.integers(0, k + 1)), k, int(rng.integers(0, k + 1)), k) for _ in range(3)]
        informative = [t for t in tables if 0 < t[0] + t[2] < 2 * k]
        p = combined_drop_test(tables)
        if not informative:
            assert p == 1.0
            continue
        def score(a: int, m: int, k: int = k) -> int:
            return math.floor(-math.log(fisher_one_sided(a, k, m - a, k)) * 100 + 1e-9)

        observed = sum(score(b, b + c) for b, _, c, _ in informative)
        supports = [[(a, hypergeom.pmf(a, 2 * k, b + c, k)) for a in range(k + 1)
                     if hypergeom.pmf(a, 2 * k, b + c, k) > 0] for b, _, c, _ in informative]
        brute = 0.0
        for combo in itertools.product(*supports):
            total = sum(score(a, b + c) for (a, _), (b, _, c, _) in zip(combo, informative))
            if total >= observed:
                brute += math.prod(prob for _, prob in combo)
        assert p == pytest.approx(brute, rel=1e-9, abs=1e-12)


def _draws(rng: np.random.Generator, k: int, planted: bool) -> list[tuple[int, int, int, int]]:
    rates = rng.uniform(0.15, 0.85, 30)
    base, cand = rates.copy(), rates.copy()
    if planted:
        base[:5], cand[:5] = 0.95, 0.05
    return [(int(b), k, int(c), k) for b, c in zip(rng.binomial(k, base), rng.binomial(k, cand))]


@pytest.mark.parametrize("k", [2, 5, 10])
def test_combined_test_keeps_its_level_on_flaky_cases(k: int) -> None:
    rng = np.random.default_rng(100 + k)
    draws = 400
    rejected = sum(combined_drop_test(_draws(rng, k, planted=False)) <= 0.05 for _ in range(draws))
    assert rejected / draws <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / draws)


def test_combined_test_finds_few_large_drops_among_flaky_cases() -> None:
    """5 of 30 cases drop from 0.95 to 0.05 at K = 5: Holm over single cases cannot see it."""
    rng = np.random.default_rng(7)
    draws = 300
    found = sum(combined_drop_test(_draws(rng, 5, planted=True)) <= 0.025 for _ in range(draws))
    holm_found = sum(min(holm([fisher_one_sided(*t) for t in _draws(rng, 5, True)])) <= 0.025
                     for _ in range(draws))
    assert found / draws >= 0.97
    assert holm_found == 0
