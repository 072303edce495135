"""Statistics against reference values computed with scipy (the implementation does not use scipy)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.stats

from harness.analysis import stats


def _tables():
    for n1, n2 in [(1, 1), (3, 3), (5, 5), (5, 3), (10, 10), (20, 7)]:
        for a in range(n1 + 1):
            for c in range(n2 + 1):
                yield a, n1 - a, c, n2 - c


def test_fisher_exact_matches_scipy_on_every_small_table():
    checked = 0
    for a, b, c, d in _tables():
        expected = scipy.stats.fisher_exact([[a, b], [c, d]], alternative="two-sided")[1]
        assert stats.fisher_exact(a, b, c, d) == pytest.approx(expected, rel=1e-9, abs=1e-12), (a, b, c, d)
        checked += 1
    assert checked > 300


def test_fisher_exact_large_table_matches_scipy():
    expected = scipy.stats.fisher_exact([[45, 5], [30, 20]])[1]
    assert stats.fisher_exact(45, 5, 30, 20) == pytest.approx(expected, rel=1e-9)


def test_fisher_exact_known_values():
    assert stats.fisher_exact(5, 0, 0, 5) == pytest.approx(2 / 252)   # 5/5 vs 0/5
    assert stats.fisher_exact(3, 2, 2, 3) == pytest.approx(1.0)       # 3/5 vs 2/5
    assert stats.fisher_exact(0, 0, 3, 2) == 1.0                      # an empty row


@pytest.mark.parametrize("n", [1, 2, 7, 20, 51])
@pytest.mark.parametrize("p", [0.5, 0.3, 0.9])
def test_binom_test_matches_scipy(n, p):
    for k in range(n + 1):
        expected = scipy.stats.binomtest(k, n, p, alternative="two-sided").pvalue
        assert stats.binom_test(k, n, p) == pytest.approx(expected, rel=1e-9, abs=1e-14), (k, n, p)


def test_binom_pmf_matches_scipy():
    for n, p in [(10, 0.3), (50, 0.5), (7, 0.0), (7, 1.0)]:
        for k in range(n + 1):
            assert stats.binom_pmf(k, n, p) == pytest.approx(scipy.stats.binom.pmf(k, n, p), rel=1e-10, abs=1e-300)


def test_mcnemar_exact_is_binomial_on_discordant_pairs():
    for b, c in [(0, 0), (6, 0), (3, 1), (10, 12), (0, 7)]:
        expected = 1.0 if b + c == 0 else scipy.stats.binomtest(b, b + c, 0.5).pvalue
        assert stats.mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)
    assert stats.mcnemar_exact(6, 0) == pytest.approx(2 * 0.5 ** 6)


def _pass_at_k_by_enumeration(n, c, k, all_pass=False):
    draws = list(itertools.combinations([True] * c + [False] * (n - c), k))
    ok = [all(d) if all_pass else any(d) for d in draws]
    return sum(ok) / len(draws)


@pytest.mark.parametrize("n,c,k", [(5, 0, 1), (5, 2, 1), (5, 2, 2), (5, 2, 4), (6, 3, 3), (6, 6, 6), (4, 1, 4)])
def test_pass_at_k_and_pass_hat_k_match_enumeration(n, c, k):
    assert stats.pass_at_k(n, c, k) == pytest.approx(_pass_at_k_by_enumeration(n, c, k))
    assert stats.pass_hat_k(n, c, k) == pytest.approx(_pass_at_k_by_enumeration(n, c, k, all_pass=True))
    assert stats.pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k))


def test_pass_at_k_rejects_k_above_n():
    with pytest.raises(ValueError):
        stats.pass_at_k(3, 1, 4)


def test_bootstrap_is_seeded_and_covers_the_mean():
    values = np.random.default_rng(1).normal(0.1, 0.3, size=60)
    ci = stats.bootstrap_mean_ci(values, seed=7)
    assert ci == stats.bootstrap_mean_ci(values, seed=7)
    assert ci != stats.bootstrap_mean_ci(values, seed=8)
    assert ci[0] < values.mean() < ci[1]
    reference = scipy.stats.bootstrap((values,), np.mean, method="percentile", n_resamples=10_000,
                                      random_state=0).confidence_interval
    assert ci[0] == pytest.approx(reference.low, abs=0.02)
    assert ci[1] == pytest.approx(reference.high, abs=0.02)


def test_bootstrap_degenerate_inputs():
    assert stats.bootstrap_mean_ci([]) == (0.0, 0.0)
    assert stats.bootstrap_mean_ci([0.0, 0.0, 0.0]) == (0.0, 0.0)


def test_quantiles_match_numpy():
    values = [0.1, 0.5, 0.2, 0.9]
    assert stats.quantiles(values, [0.5, 0.9]) == pytest.approx(list(np.quantile(values, [0.5, 0.9])))
    assert stats.quantiles([], [0.5]) == []


@pytest.mark.parametrize("base,cand,status", [
    ((5, 5), (0, 5), "regression"),
    ((0, 5), (5, 5), "improvement"),
    ((3, 5), (2, 5), "flaky"),
    ((5, 5), (5, 5), "stable_pass"),
    ((0, 5), (0, 5), "stable_fail"),
    ((5, 5), (4, 5), "flaky"),
    ((5, 5), (1, 5), "regression"),   # p = 0.0476
    ((5, 5), (2, 5), "flaky"),        # p = 0.167
    ((1, 1), (0, 1), "regression"),   # K = 1: a flip
    ((0, 1), (1, 1), "improvement"),
    ((1, 1), (1, 1), "stable_pass"),
    ((0, 1), (0, 1), "stable_fail"),
    ((2, 2), (0, 2), "regression"),   # a complete flip counts even where Fisher cannot reach alpha
    ((3, 3), (1, 3), "flaky"),
    ((0, 0), (1, 1), "flaky"),        # nothing scorable on one side
])
def test_case_status_rule(base, cand, status):
    assert stats.case_status(base[0], base[1], cand[0], cand[1], 0.05)[0] == status


def test_case_status_respects_alpha():
    assert stats.case_status(5, 5, 1, 5, 0.05)[0] == "regression"
    assert stats.case_status(5, 5, 1, 5, 0.01)[0] == "flaky"


def test_min_detectable_drop_shrinks_with_cases_and_samples():
    few, many = stats.min_detectable_drop(20, 5, noise=0.1), stats.min_detectable_drop(500, 5, noise=0.1)
    assert many < few
    assert stats.min_detectable_drop(100, 20, noise=0.2) < stats.min_detectable_drop(100, 1, noise=0.2)
    # deterministic cases: the drop is concentrated flips only, d = z^2 / (N + z^2)
    z = 1.959963984540054 + 0.8416212335729143
    assert stats.min_detectable_drop(40, 1, noise=0.0) == pytest.approx(z * z / (40 + z * z))


def test_min_detectable_drop_has_the_stated_power_by_simulation():
    """At the returned drop, a normal test on per-case differences rejects about 80% of the time."""
    rng = np.random.default_rng(3)
    n, k, p = 200, 5, 0.7
    d = stats.min_detectable_drop(n, k, noise=p * (1 - p))
    rejections = 0
    for _ in range(2000):
        flipped = rng.random(n) < d
        base = rng.binomial(k, p, n) / k
        cand = np.where(flipped, base - 1.0, rng.binomial(k, p, n) / k)
        diff = cand - base
        rejections += diff.mean() + 1.96 * diff.std(ddof=1) / math.sqrt(n) < 0
    assert 0.7 < rejections / 2000 < 0.9


def test_min_case_drop():
    assert stats.min_case_drop(1) == 1.0
    assert stats.min_case_drop(5, 0.05) == pytest.approx(0.8)
    assert stats.min_case_drop(20, 0.05) < 0.5


def test_mcnemar_on_many_discordant_pairs_matches_the_integer_sum() -> None:
    """Past EXACT_MCNEMAR_MAX the tail is summed in floating point; it agrees with exact integers."""
    import math

    from harness.analysis.stats import EXACT_MCNEMAR_MAX, mcnemar_exact

    for b, c in [(600, 700), (4000, 4400), (5000, 5100), (100, 1200), (2500, 2501)]:
        n = b + c
        assert n > EXACT_MCNEMAR_MAX
        exact = min(1.0, 2 * sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n)
        assert math.isclose(mcnemar_exact(b, c), exact, rel_tol=1e-9)
