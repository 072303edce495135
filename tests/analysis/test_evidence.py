"""The gate's evidence rules keep their error rates (simulation over many draws)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analysis.clustered import paired_estimate
from harness.analysis.evidence import (
    CaseTable,
    Decision,
    decide_drop,
    discovered_regressions,
    family_regressions,
)
from harness.analysis.stats import case_status

ALPHA = 0.05


def _tables(rng: np.random.Generator, rates_base: np.ndarray, rates_cand: np.ndarray, k: int,
            sampled: bool = True) -> list[CaseTable]:
    base, cand = rng.binomial(k, rates_base), rng.binomial(k, rates_cand)
    return [CaseTable(f"c{i}", int(b), k, int(c), k, sampled,
                      case_status(int(b), k, int(c), k, ALPHA)[0] == "regression")
            for i, (b, c) in enumerate(zip(base, cand))]


def _fails(evidence) -> bool:
    return bool(evidence.cases) or evidence.combined_rejects


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_critical_family_false_fail_rate_stays_at_alpha(k: int) -> None:
    rng = np.random.default_rng(k)
    draws = 600
    failed = 0
    for _ in range(draws):
        rates = rng.uniform(0.15, 0.85, 40)
        failed += _fails(family_regressions(_tables(rng, rates, rates, k), ALPHA))
    assert failed / draws <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / draws)


def test_planted_critical_regression_is_caught() -> None:
    rng = np.random.default_rng(42)
    draws, caught = 300, 0
    for _ in range(draws):
        rates = rng.uniform(0.15, 0.85, 30)
        base, cand = rates.copy(), rates.copy()
        base[:5], cand[:5] = 0.95, 0.05
        caught += _fails(family_regressions(_tables(rng, base, cand, 5), ALPHA))
    assert caught / draws >= 0.95


def test_greedy_flips_count_directly() -> None:
    tables = [CaseTable("a", 1, 1, 0, 1, sampled=False, regression=True),
              CaseTable("b", 1, 1, 1, 1, sampled=False, regression=False)]
    evidence = family_regressions(tables, ALPHA)
    assert evidence.cases == ("a",) and evidence.combined_p is None


def test_fdr_warnings_stay_below_alpha_share_of_false_discoveries() -> None:
    """Half the cases truly regress; among flagged cases at most about alpha are false."""
    rng = np.random.default_rng(9)
    false_share = []
    for _ in range(300):
        rates = rng.uniform(0.3, 0.7, 60)
        cand = rates.copy()
        cand[:30] = 0.02
        flagged = discovered_regressions(_tables(rng, np.maximum(rates, 0.9 * (np.arange(60) < 30)), cand, 10),
                                         ALPHA).cases
        false_share.append(sum(int(c[1:]) >= 30 for c in flagged) / max(len(flagged), 1))
    assert float(np.mean(false_share)) <= ALPHA


def _drop_draw(rng: np.random.Generator, n: int, k: int, drop: float) -> tuple[list[float], list[int], list[float]]:
    rates = rng.uniform(0.2, 0.9, n)
    base, cand = rng.binomial(k, rates) / k, rng.binomial(k, np.clip(rates - drop, 0, 1)) / k
    pooled = (base + cand) / 2
    return list(cand - base), list(range(n)), list(pooled * (1 - pooled) * 2 / k)


@pytest.mark.parametrize(("n", "k"), [(20, 1), (120, 5), (400, 2)])
def test_pass_rate_rule_false_fail_rate_stays_below_alpha(n: int, k: int) -> None:
    rng = np.random.default_rng(n + k)
    draws = 500
    failed = sum(decide_drop(paired_estimate(*_drop_draw(rng, n, k, 0.0)), 0.0, ALPHA, k).decision
                 is Decision.failed for _ in range(draws))
    assert failed / draws <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / draws)


def test_small_suite_with_one_regression_is_inconclusive_and_says_what_would_decide() -> None:
    diffs = [-1.0] + [0.0] * 6
    decision = decide_drop(paired_estimate(diffs, list(range(7)), [0.0] * 7), 0.05, ALPHA, 1)
    assert decision.decision is Decision.inconclusive
    assert decision.requirement is not None and decision.requirement.cases > 7


def test_demonstrated_drop_fails_and_unchanged_suite_passes() -> None:
    dropped = decide_drop(paired_estimate([-1.0] * 6 + [0.0], list(range(7)), [0.0] * 7), 0.05, ALPHA, 1)
    assert dropped.decision is Decision.failed
    same = decide_drop(paired_estimate([0.0] * 7, list(range(7)), [0.0] * 7), 0.05, ALPHA, 1)
    assert same.decision is Decision.passed
