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
  can reach p = 1/252 at best).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

# Grid points per unit of -log p, and the largest grid the convolution may build.
_RESOLUTION = 100
_MAX_BINS = 400_000


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
    """Exact p-value that at least one case of the family dropped.

    ``tables`` holds ``(base_passed, base_n, cand_passed, cand_n)`` per case. The statistic is
    ``sum_i floor(-log p_i * r)`` with ``p_i`` the one-sided Fisher p-value; its null
    distribution, given each case's margins, is the convolution of the cases' hypergeometric
    distributions, computed exactly on that integer grid (``r`` is 100 points per unit unless
    the family is so large that the grid would exceed its cap).
    """
    cases = [(b, bn, c, cn) for b, bn, c, cn in tables if bn > 0 and cn > 0 and 0 < b + c < bn + cn]
    if not cases:
        return 1.0
    scores = [_score_table(bn, cn, b + c) for b, bn, c, cn in cases]
    top = sum(max(s) for s in scores)
    resolution = min(_RESOLUTION, _MAX_BINS / top) if top > 0 else _RESOLUTION
    observed = 0
    pmf = np.ones(1)
    for (b, bn, c, cn), score in zip(cases, scores):
        points = [math.floor(s * resolution + 1e-9) for s in score]
        observed += points[b]
        step = np.zeros(len(pmf) + max(points))
        for a, prob in enumerate(_null_pmf(bn, cn, b + c)):
            if prob > 0:
                step[points[a]: points[a] + len(pmf)] += prob * pmf
        pmf = step
    return float(min(1.0, pmf[observed:].sum()))


def _score_table(n1: int, n2: int, m: int) -> tuple[float, ...]:
    return tuple(-math.log(p) if p > 0 else 0.0 for p in _drop_pvalues(n1, n2, m))
