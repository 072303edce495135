"""Adaptive sampling keeps the gate's error rates under its optional stopping (simulation)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis.evidence import CaseTable, family_regressions
from harness.analysis.multiplicity import (
    combined_drop_test,
    combined_test,
    fisher_one_sided,
    hypergeometric_null,
    stratified_drop,
    stratified_null,
)
from harness.analysis.sequential import SequentialDesign, paired_rounds, still_open
from harness.analysis.stats import case_status
from harness.types import SampleResult

ALPHA = 0.05
DESIGN = SequentialDesign(min_samples=2, max_samples=10)


def _sample(index: int, passed: bool) -> SampleResult:
    return SampleResult(sample=index, output="ok" if passed else "no", scores=(), passed=passed)


def _adaptive_case(rng: np.random.Generator, case_id: str, p_base: float, p_cand: float,
                   design: SequentialDesign = DESIGN) -> tuple[CaseTable, int]:
    """Draw rounds until the stopping rule closes the case; the table and the rounds drawn."""
    base: list[SampleResult] = []
    cand: list[SampleResult] = []
    while still_open(base, cand, len(base), design):
        base.append(_sample(len(base), bool(rng.random() < p_base)))
        cand.append(_sample(len(cand), bool(rng.random() < p_cand)))
    b, c, k = sum(s.passed for s in base), sum(s.passed for s in cand), len(base)
    rounds = paired_rounds(base, cand, design.min_samples)
    return CaseTable(case_id, b, k, c, k, True, case_status(b, k, c, k, ALPHA)[0] == "regression",
                     rounds.strata), k


def _fixed_case(rng: np.random.Generator, case_id: str, p_base: float, p_cand: float, k: int) -> CaseTable:
    b, c = int(rng.binomial(k, p_base)), int(rng.binomial(k, p_cand))
    return CaseTable(case_id, b, k, c, k, True, case_status(b, k, c, k, ALPHA)[0] == "regression")


def _rates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Half settled-looking cases (pass probability near 0 or 1), half flaky ones."""
    settled = rng.choice([0.01, 0.03, 0.97, 0.99, 1.0, 0.0], n // 2)
    return np.concatenate([settled, rng.uniform(0.15, 0.85, n - n // 2)])


def _fails(tables: list[CaseTable]) -> bool:
    evidence = family_regressions(tables, ALPHA)
    return bool(evidence.cases) or evidence.combined_rejects


def test_stratified_test_and_combined_test_are_exact() -> None:
    assert stratified_drop([(0, 2, 0, 2), (3, 3, 3, 3)]) == 1.0          # nothing to test
    # one stratum: Fisher's exact test
    assert stratified_drop([(2, 2, 2, 2), (4, 5, 1, 5)]) == pytest.approx(fisher_one_sided(4, 5, 1, 5))
    # two strata: P(A1 + A2 >= 3), A1 ~ Hypergeom(4, 2, 2) on {0, 1, 2}, A2 ~ Hypergeom(6, 3, 3) on {0..3}
    a1, a2 = [1 / 6, 4 / 6, 1 / 6], [1 / 20, 9 / 20, 9 / 20, 1 / 20]
    tail = sum(p * q for i, p in enumerate(a1) for j, q in enumerate(a2) if i + j >= 3)
    assert stratified_drop([(1, 2, 1, 2), (2, 3, 1, 3)]) == pytest.approx(tail)
    null = stratified_null([(1, 2, 1, 2), (2, 3, 1, 3)])
    assert null is not None and null.observed == 3 and sum(null.pmf) == pytest.approx(1.0)
    table = (4, 5, 1, 5)
    null = hypergeometric_null(*table)
    assert null is not None and combined_test([null]) == pytest.approx(combined_drop_test([table]))


def test_stopping_rule_reads_pooled_outcomes_only() -> None:
    both = [_sample(0, True), _sample(1, True)]
    assert not still_open(both, both, 2, DESIGN)                      # settled at k
    assert still_open(both[:1], both[:1], 1, DESIGN)                  # before k
    mixed_a = [_sample(0, True), _sample(1, False)]
    mixed_b = [_sample(0, False), _sample(1, True)]
    # swapping which side passed in each round never changes the decision to go on
    assert still_open(mixed_a, mixed_b, 2, DESIGN) == still_open(mixed_b, mixed_a, 2, DESIGN) is True
    assert not still_open(mixed_a, mixed_b, 10, DESIGN)               # at the cap
    rounds = paired_rounds(mixed_a, mixed_b, 1)
    assert rounds.discordant == (1, 1) and rounds.strata == ((1, 1, 0, 1), (0, 1, 1, 1))


def test_adaptive_aa_false_fail_rate_stays_at_alpha() -> None:
    rng = np.random.default_rng(18)
    draws, failed, rounds = 400, 0, []
    for _ in range(draws):
        rates = _rates(rng, 40)
        drawn = [_adaptive_case(rng, f"c{i}", p, p) for i, p in enumerate(rates)]
        failed += _fails([t for t, _ in drawn])
        rounds += [k for _, k in drawn]
    assert failed / draws <= ALPHA, f"{failed} false FAILs in {draws} adaptive A/A draws"
    assert np.mean(rounds) < 0.75 * DESIGN.max_samples   # settled cases stopped early


def test_adaptive_power_on_planted_regressions_is_near_fixed_k() -> None:
    """5 of 30 critical cases drop from 0.95 to 0.05: adaptive power within 2 points of K = 10."""
    rng = np.random.default_rng(1318)
    draws = 300
    caught = {"adaptive": 0, "fixed": 0}
    for _ in range(draws):
        base = _rates(rng, 30)
        cand = base.copy()
        base[:5], cand[:5] = 0.95, 0.05
        caught["adaptive"] += _fails([_adaptive_case(rng, f"c{i}", b, c)[0]
                                      for i, (b, c) in enumerate(zip(base, cand))])
        caught["fixed"] += _fails([_fixed_case(rng, f"c{i}", b, c, 10) for i, (b, c) in enumerate(zip(base, cand))])
    assert caught["adaptive"] / draws >= 0.95
    assert caught["adaptive"] / draws >= caught["fixed"] / draws - 0.02, caught


@pytest.mark.parametrize("first", [1, 2, 3])
def test_a_stopped_case_p_value_is_valid_at_every_level(first: int) -> None:
    """Under "no change", P(p <= x) <= x for the stratified p-value of a case that went through the
    stopping rule (settled cases stop at round ``first``, the others run to K), for every x."""
    rng = np.random.default_rng(first)
    design = SequentialDesign(min_samples=first, max_samples=8)
    for p in (0.1, 0.5, 0.85):
        pvalues = np.array([_adaptive_case(rng, "c", p, p, design)[0].p_drop for _ in range(4000)])
        for level in (0.01, 0.05, 0.1, 0.25, 0.5):
            rate = float(np.mean(pvalues <= level))
            assert rate <= level + 3 * np.sqrt(level * (1 - level) / len(pvalues)), (p, level, rate)
