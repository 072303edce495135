"""Pure statistics for comparisons: exact tests, estimators, bootstrap, power.

Everything here is implemented by hand (``math.comb``, log-space, numpy) so the
tests can check it against scipy without being tautological. No I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from harness.types import CaseStatus

# Relative tolerance when collecting "as or less likely" outcomes in exact tests
# (the same rule as R and scipy: ties within floating-point noise count as equal).
_REL_TOL = 1e-7


def _hypergeom_weights(n1: int, n2: int, m: int) -> list[int]:
    """Integer weights C(n1, a) * C(n2, m - a); dividing by C(n1 + n2, m) gives the pmf."""
    return [math.comb(n1, a) * math.comb(n2, m - a) if 0 <= m - a <= n2 else 0 for a in range(n1 + 1)]


@lru_cache(maxsize=4096)
def _fisher_pvalues(n1: int, n2: int, m: int) -> tuple[float, ...]:
    """Two-sided Fisher p-value for every a = 0..n1 at fixed margins (n1, n2, m).

    Exact integer arithmetic: ties between equally likely tables are exact, and the
    one division at the end is correctly rounded.
    """
    weights = _hypergeom_weights(n1, n2, m)
    total = math.comb(n1 + n2, m)
    ordered = sorted(w for w in weights if w)
    out = []
    for w in weights:
        if w == 0:
            out.append(1.0)
            continue
        as_likely = sum(x for x in ordered if x <= w)
        out.append(min(1.0, as_likely / total))
    return tuple(out)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact test p-value for the table [[a, b], [c, d]].

    Rows are the two versions (passes, failures); the p-value sums the probabilities of
    all tables with the same margins that are no more likely than the observed one.
    """
    if min(a, b, c, d) < 0:
        raise ValueError("table counts must be non-negative")
    n1, n2, m = a + b, c + d, a + c
    if n1 == 0 or n2 == 0:
        return 1.0
    return _fisher_pvalues(n1, n2, m)[a]


def binom_pmf(k: int, n: int, p: float) -> float:
    """Binomial probability P(X = k), X ~ Bin(n, p), computed in log space."""
    if k < 0 or k > n:
        return 0.0
    if p <= 0.0:
        return 1.0 if k == 0 else 0.0
    if p >= 1.0:
        return 1.0 if k == n else 0.0
    log = (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
           + k * math.log(p) + (n - k) * math.log1p(-p))
    return math.exp(log)


def binom_test(k: int, n: int, p: float = 0.5) -> float:
    """Two-sided exact binomial test: P of outcomes no more likely than k under Bin(n, p)."""
    if not 0 <= k <= n:
        raise ValueError("need 0 <= k <= n")
    if n == 0:
        return 1.0
    probs = [binom_pmf(i, n, p) for i in range(n + 1)]
    observed = probs[k]
    return min(1.0, sum(q for q in probs if q <= observed * (1 + _REL_TOL)))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar test: two-sided binomial test (p = 1/2) of b discordant pairs one way vs c the other.

    min(1, 2 * sum_{i <= min(b, c)} C(n, i) / 2^n): with integers up to ``EXACT_MCNEMAR_MAX`` discordant
    pairs, beyond that in floating point (relative error about 1e-12; big-integer sums grow as n^2).
    """
    n = b + c
    if n == 0 or b == c:
        return 1.0
    if n <= EXACT_MCNEMAR_MAX:
        tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
        return min(1.0, 2 * tail / 2**n)
    return min(1.0, 2 * _binomial_half_lower_tail(min(b, c), n))


EXACT_MCNEMAR_MAX = 1000


def _binomial_half_lower_tail(m: int, n: int) -> float:
    """P(Bin(n, 1/2) <= m) for m < n / 2, summed from the largest term down until terms vanish."""
    term = math.exp(math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m + 1) - n * math.log(2))
    total, i = 0.0, m
    while i >= 0 and term > total * 1e-17:
        total += term
        term *= i / (n - i + 1)   # C(n, i - 1) / C(n, i)
        i -= 1
    return total


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: P(at least one of k samples drawn from n passes) = 1 - C(n-c,k)/C(n,k)."""
    _check_nck(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k: P(all of k samples drawn from n pass) = C(c,k)/C(n,k)."""
    _check_nck(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def _check_nck(n: int, c: int, k: int) -> None:
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")


def bootstrap_mean_ci(values: Sequence[float], *, seed: int = 0, resamples: int = 10_000,
                      level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``values`` (paired data: pass the differences).

    Reproducible: a ``numpy.random.Generator`` seeded with ``seed``. Empty input gives (0, 0).
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (0.0, 0.0)
    if np.all(data == data[0]):
        return (float(data[0]), float(data[0]))
    rng = np.random.Generator(np.random.PCG64(seed))
    means = np.empty(resamples)
    chunk = max(1, 2_000_000 // data.size)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, data.size, size=(stop - start, data.size))
        means[start:stop] = data[idx].mean(axis=1)
    tail = (1 - level) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return (float(lo), float(hi))


def quantiles(values: Sequence[float], qs: Sequence[float]) -> list[float]:
    """Linear-interpolation quantiles (numpy's default); empty input gives an empty list."""
    if len(values) == 0:
        return []
    return [float(x) for x in np.quantile(np.asarray(values, dtype=float), list(qs))]


def min_detectable_drop(cases: int, samples: int, *, alpha: float = 0.05, power: float = 0.8,
                        noise: float = 0.25) -> float:
    """Smallest suite pass-rate drop detectable with the given power (normal approximation).

    Model: the drop ``d`` is concentrated on a fraction ``d`` of the cases, which go from
    passing to failing (between-case variance ``d(1-d)``), on top of per-sample noise:
    each case's pass rate over ``samples`` draws has variance ``noise / samples`` per
    version, where ``noise`` is the mean of ``p(1-p)`` over cases (0.25 is the worst case).
    The drop is detectable when ``d >= z * sqrt(Var(d_i) / cases)`` with
    ``z = z(1-alpha/2) + z(power)``; solving the quadratic gives the smallest such ``d``.
    """
    if cases <= 0 or samples <= 0:
        return 1.0
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    z2 = z * z
    a = cases + z2
    sample_var = 2 * noise / samples
    d = (z2 + math.sqrt(z2 * z2 + 4 * a * z2 * sample_var)) / (2 * a)
    return min(1.0, d)


def min_case_drop(samples: int, alpha: float = 0.05) -> float | None:
    """Smallest per-case pass-rate drop the status rule can flag at ``samples`` per version.

    Searches K/K -> c/K for the largest c that is still flagged (Fisher p <= alpha, or a
    complete flip K/K -> 0/K, which always counts). Returns (K - c) / K.
    """
    if samples <= 0:
        return None
    for c in range(samples - 1, -1, -1):
        if c == 0 or fisher_exact(samples, 0, c, samples - c) <= alpha:
            return (samples - c) / samples
    return None


def case_status(base_passed: int, base_n: int, cand_passed: int, cand_n: int,
                alpha: float = 0.05) -> tuple[CaseStatus, float]:
    """The status of one case from its pass counts, and the Fisher p-value.

    1. ``regression``/``improvement`` when the pass rates differ and either the two-sided
       Fisher exact test gives p <= alpha or the case flipped completely (all samples
       passed on one side, none on the other; with one sample a flip is always a change).
    2. otherwise ``stable_pass`` when both rates are 1, ``stable_fail`` when both are 0,
    3. otherwise ``flaky`` (a rate strictly between 0 and 1, difference within noise).
    A side without scorable samples cannot be judged: ``flaky`` with p = 1.
    """
    if base_n == 0 or cand_n == 0:
        return CaseStatus.FLAKY, 1.0
    p = fisher_exact(base_passed, base_n - base_passed, cand_passed, cand_n - cand_passed)
    base_rate, cand_rate = base_passed / base_n, cand_passed / cand_n
    complete_flip = {base_rate, cand_rate} == {0.0, 1.0}
    if base_rate != cand_rate and (p <= alpha or complete_flip):
        return (CaseStatus.REGRESSION if cand_rate < base_rate else CaseStatus.IMPROVEMENT), p
    if base_rate == 1.0 and cand_rate == 1.0:
        return CaseStatus.STABLE_PASS, p
    if base_rate == 0.0 and cand_rate == 0.0:
        return CaseStatus.STABLE_FAIL, p
    return CaseStatus.FLAKY, p
