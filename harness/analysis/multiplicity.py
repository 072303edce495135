"""Family-wise and false-discovery control over many cases. Pure.

Under sampled generation every case is a small two-sample test, and a suite holds many of
them: testing each at ``alpha`` makes some "regression" appear by chance. This module gives

* ``holm`` and ``benjamini_hochberg``: adjusted p-values (FWER and FDR);
* ``fisher_one_sided``: the one-sided Fisher exact p-value for a drop (baseline passes more);
* ``combined_drop_test``: one exact test that *some* case of a family dropped, combining the
  cases' one-sided evidence (Fisher's ``sum -log p``) and calibrated exactly by convolving each
  case's conditional null distribution (hypergeometric given its pass-count margins). It keeps
  its level whatever the cases' pass probabilities, and has power when a few cases drop a lot
  among many flaky ones, where Holm over single cases has none (with K = 5 samples a single case
  can reach p = 1/252 at best);
* ``stratified_drop`` and ``stratified_null``: the same for adaptively sampled cases, whose exact
  conditional null is hypergeometric within each of two strata of rounds (the first ``k`` rounds,
  the rounds after), independently (``combined_test`` mixes both kinds of case).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

# Grid points per unit of -log p, and the largest grid the convolution may build.
_RESOLUTION = 100
_MAX_BINS = 400_000


class CaseNull(NamedTuple):
    """One case's exact conditional null: the statistic's distribution, its one-sided p-values
    (``pvalues[x] = P(X >= x)``) and the observed value."""

    pmf: tuple[float, ...]
    pvalues: tuple[float, ...]
    observed: int


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error control), in input order."""
    n = len(pvalues)
    order = sorted(range(n), key=lambda i: pvalues[i])
    adjusted = [1.0] * n
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (n - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg q-values (false-discovery-rate control), in input order."""
    n = len(pvalues)
    order = sorted(range(n), key=lambda i: pvalues[i], reverse=True)
    adjusted = [1.0] * n
    running = 1.0
    for rank, i in enumerate(order):
        running = min(running, n * pvalues[i] / (n - rank))
        adjusted[i] = min(1.0, running)
    return adjusted


@lru_cache(maxsize=8192)
def _drop_pvalues(n1: int, n2: int, m: int) -> tuple[float, ...]:
    """One-sided Fisher p-value P(A >= a) for a = 0..n1, A ~ Hypergeom(n1 + n2, m, n1)."""
    weights = [math.comb(n1, a) * math.comb(n2, m - a) if 0 <= m - a <= n2 else 0 for a in range(n1 + 1)]
    total = math.comb(n1 + n2, m)
    tails, acc = [0.0] * (n1 + 1), 0
    for a in range(n1, -1, -1):
        acc += weights[a]
        tails[a] = min(1.0, acc / total)
    return tuple(tails)


@lru_cache(maxsize=8192)
def _null_pmf(n1: int, n2: int, m: int) -> tuple[float, ...]:
    weights = [math.comb(n1, a) * math.comb(n2, m - a) if 0 <= m - a <= n2 else 0 for a in range(n1 + 1)]
    total = math.comb(n1 + n2, m)
    return tuple(w / total for w in weights)


def fisher_one_sided(base_passed: int, base_n: int, cand_passed: int, cand_n: int) -> float:
    """P-value of a drop: the chance, with the pass counts' margins fixed, that the baseline
    holds at least as many of the passes as observed (1.0 when a side has no samples)."""
    if base_n == 0 or cand_n == 0:
        return 1.0
    return _drop_pvalues(base_n, cand_n, base_passed + cand_passed)[base_passed]


def combined_drop_test(tables: Sequence[tuple[int, int, int, int]]) -> float:
    """Exact p-value that at least one case of the family dropped (fixed samples per case).

    ``tables`` holds ``(base_passed, base_n, cand_passed, cand_n)`` per case; each case's null is
    hypergeometric given its pass-count margins (``combined_test`` states the statistic).
    """
    return combined_test([null for null in (hypergeometric_null(*t) for t in tables) if null is not None])


def hypergeometric_null(base_passed: int, base_n: int, cand_passed: int, cand_n: int) -> CaseNull | None:
    """A fixed-K case's conditional null (None when its margins leave nothing to test)."""
    m = base_passed + cand_passed
    if base_n == 0 or cand_n == 0 or not 0 < m < base_n + cand_n:
        return None
    return CaseNull(_null_pmf(base_n, cand_n, m), _drop_pvalues(base_n, cand_n, m), base_passed)


Table = tuple[int, int, int, int]   # (base_passed, base_n, cand_passed, cand_n)


def stratified_drop(strata: Sequence[Table]) -> float:
    """One-sided p-value of a drop over strata of one case: ``P(sum_j A_j >= sum_j a_j)`` with
    ``A_j`` hypergeometric given stratum ``j``'s pass-count margins, independently (1.0 when no
    stratum has anything to test)."""
    null = stratified_null(strata)
    return null.pvalues[null.observed] if null is not None else 1.0


def stratified_null(strata: Sequence[Table]) -> CaseNull | None:
    """An adaptively sampled case's conditional null: the baseline's passes within each stratum
    (the first ``k`` rounds, the rounds after) are hypergeometric given that stratum's margins,
    and the strata are independent. Strata whose margins leave nothing to test are left out."""
    tested = tuple(t for t in strata if hypergeometric_null(*t) is not None)
    if not tested:
        return None
    pmf, pvalues = _stratified(tuple((t[1], t[3], t[0] + t[2]) for t in tested))
    return CaseNull(pmf, pvalues, sum(t[0] for t in tested))


@lru_cache(maxsize=8192)
def _stratified(margins: tuple[tuple[int, int, int], ...]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    pmf = np.ones(1)
    for n1, n2, m in margins:
        pmf = np.convolve(pmf, np.asarray(_null_pmf(n1, n2, m)))
    tails = np.minimum(1.0, np.cumsum(pmf[::-1])[::-1])
    return tuple(float(x) for x in pmf), tuple(float(x) for x in tails)


def combined_test(nulls: Sequence[CaseNull]) -> float:
    """Exact p-value of Fisher's combination over cases with known conditional nulls.

    The statistic is ``sum_i floor(-log p_i * r)`` with ``p_i`` each case's one-sided p-value;
    its null distribution is the convolution of the cases' null distributions, computed exactly
    on that integer grid (``r`` is 100 points per unit unless the family is so large that the
    grid would exceed its cap).
    """
    if not nulls:
        return 1.0
    scores = [tuple(-math.log(p) if p > 0 else 0.0 for p in null.pvalues) for null in nulls]
    top = sum(max(s) for s in scores)
    resolution = min(_RESOLUTION, _MAX_BINS / top) if top > 0 else _RESOLUTION
    observed = 0
    pmf = np.ones(1)
    for null, score in zip(nulls, scores):
        points = [math.floor(s * resolution + 1e-9) for s in score]
        observed += points[null.observed]
        step = np.zeros(len(pmf) + max(points))
        for a, prob in enumerate(null.pmf):
            if prob > 0:
                step[points[a]: points[a] + len(pmf)] += prob * pmf
        pmf = step
    return float(min(1.0, pmf[observed:].sum()))
