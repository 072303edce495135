"""Group-sequential looks at the whole comparison keep the gate's error rates (simulation).

Each draw simulates every case's first ``K`` rounds at once (numpy), then replays the looks:
the per-case settled rule, the interim looks (efficacy, futility) and the final look, exactly as
``harness.adaptive.run_pair_in_rounds`` calls ``harness.analysis.looks.look``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analysis.compare import compare_runs
from harness.analysis.evidence import (
    CaseTable,
    Decision,
    decide_drop,
    drop_rule_p,
    exceeds,
    family_regressions,
    paired_change,
    regression_rule_p,
)
from harness.analysis.gate import evaluate_suite
from harness.analysis.looks import LookCase, Stop, SuiteGate, conditional_power, look, look_cases, rule_pvalues
from harness.analysis.policy import Rules
from harness.analysis.sequential import SequentialDesign
from harness.analysis.stats import case_status
from harness.types import CaseResult, RunInfo, RunResult, SampleResult

ALPHA = 0.05
RULES = Rules()                      # the default policy: critical_regressions 0, max_pass_rate_drop 0.05
GATE = SuiteGate(RULES, ALPHA, ALPHA)
DESIGN = SequentialDesign(min_samples=2, max_samples=10)
CRITICAL = 30


def _tolerance(rate: float, draws: int) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / draws)


class Draw:
    """One comparison's first K rounds of every case, and the per-case rule's closing rounds."""

    def __init__(self, rng: np.random.Generator, p_base: np.ndarray, p_cand: np.ndarray,
                 design: SequentialDesign = DESIGN) -> None:
        k = design.max_samples
        base, cand = rng.random((len(p_base), k)) < p_base[:, None], rng.random((len(p_cand), k)) < p_cand[:, None]
        self.passed = np.cumsum(base, 1), np.cumsum(cand, 1)
        self.first = design.min_samples
        pooled = base.astype(int) + cand
        counted = np.arange(1, k + 1)
        agree = (np.cumsum(pooled == 2, 1) == counted) | (np.cumsum(pooled == 0, 1) == counted)
        settled_at = np.where(agree[:, design.min_samples - 1:], np.arange(design.min_samples, k + 1), k + 1)
        self.closes = np.minimum(settled_at.min(axis=1), k)
        self.critical = np.arange(len(p_base)) < CRITICAL

    def cases(self, round_: int) -> list[LookCase]:
        k = np.minimum(self.closes, round_)
        rows = np.arange(len(k))
        b, c = self.passed[0][rows, k - 1], self.passed[1][rows, k - 1]
        first = np.minimum(self.first, k)
        b1, c1 = self.passed[0][rows, first - 1], self.passed[1][rows, first - 1]
        out = []
        for i in rows:
            n, f = int(k[i]), int(first[i])
            regression = bool(self.critical[i]) and case_status(int(b[i]), n, int(c[i]), n, ALPHA)[0] == "regression"
            strata = ((int(b1[i]), f, int(c1[i]), f), (int(b[i] - b1[i]), n - f, int(c[i] - c1[i]), n - f))
            out.append(LookCase(CaseTable(f"c{i}", int(b[i]), n, int(c[i]), n, True, regression, strata, f"c{i}"),
                                bool(self.critical[i])))
        return out

    def run(self, design: SequentialDesign = DESIGN) -> tuple[bool, int, Stop]:
        """Rounds until a look stops: (FAIL, generations, stop)."""
        final = int(self.closes.max())
        for round_ in range(design.min_samples, final + 1):
            stop = look(GATE, self.cases(round_), design, round_, final=round_ == final)
            if stop is not None:
                break
        # an efficacy stop fails and a futility stop does not (the look tested its level first);
        # the final look gates at its own level
        fails = stop.reason == "efficacy" or (not stop.early and any(
            p <= ALPHA * stop.share for p in rule_pvalues(RULES, self.cases(stop.round)).values()))
        return fails, 2 * int(np.minimum(self.closes, stop.round).sum()), stop


def _fixed_fails_counts(b: np.ndarray, c: np.ndarray, k: int) -> bool:
    cases = [LookCase(CaseTable(f"c{i}", int(x), k, int(y), k, True,
                                i < CRITICAL and case_status(int(x), k, int(y), k, ALPHA)[0] == "regression"),
                      i < CRITICAL) for i, (x, y) in enumerate(zip(b, c))]
    return any(p <= ALPHA for p in rule_pvalues(RULES, cases).values())


def _flaky(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.15, 0.85, int(rng.integers(100, 121)))


def test_alpha_shares_sum_to_one_and_a_single_look_has_all_of_it() -> None:
    assert 8 * DESIGN.share(final=False) + DESIGN.share(final=True) == pytest.approx(1.0)
    assert DESIGN.share(final=False) == pytest.approx(0.2 / 8)
    assert SequentialDesign(5, 5).share(final=True) == 1.0
    # a final look before round K (every case settled) gets back what the interim looks left
    assert DESIGN.share(final=True, round_=2) == 1.0
    assert DESIGN.share(final=True, round_=5) == pytest.approx(1 - 3 * 0.2 / 8)
    assert SequentialDesign(2, 10, interim_share=0.0).share(final=False) == 1.0


def test_conditional_power_follows_the_trend() -> None:
    assert conditional_power(1.0, 0.3, 0.04) == 0.0 and conditional_power(0.0, 0.3, 0.04) == 1.0
    assert conditional_power(0.5, 0.3, 0.04) < 0.05 < conditional_power(0.2, 0.3, 0.04) < 0.9
    assert conditional_power(0.001, 0.3, 0.04) > 0.99


def test_rule_pvalues_are_the_levels_at_which_the_gate_fails() -> None:
    """A rule fails at alpha exactly when its p-value is at most alpha (the looks' efficacy test)."""
    rng = np.random.default_rng(5)
    for _ in range(60):
        n, k = int(rng.integers(3, 25)), int(rng.integers(1, 8))
        rates = rng.uniform(0, 1, n)
        b, c = rng.binomial(k, rates), rng.binomial(k, np.clip(rates - rng.uniform(0, 0.6), 0, 1))
        tables = [CaseTable(f"c{i}", int(x), k, int(y), k, bool(rng.random() < 0.8),
                            case_status(int(x), k, int(y), k, ALPHA)[0] == "regression",
                            cluster=f"g{i % 4}") for i, (x, y) in enumerate(zip(b, c))]
        allowed = int(rng.integers(0, 3))
        p_rule, p_drop = regression_rule_p(tables, allowed), drop_rule_p(paired_change(tables), 0.05)
        for alpha in (0.001, 0.01, 0.05, 0.2):
            assert (p_rule <= alpha) == exceeds(family_regressions(tables, alpha), allowed)
            failed = decide_drop(paired_change(tables), 0.05, alpha, k).decision is Decision.failed
            assert failed == (p_drop <= alpha) or abs(p_drop - alpha) < 1e-9


def test_aa_false_fail_stays_at_alpha_and_saves_three_quarters_of_the_generations() -> None:
    """Flaky regime: 100-120 cases (30 critical), pass probabilities uniform in 0.15-0.85."""
    rng = np.random.default_rng(18)
    draws, failed, used, fixed = 250, 0, 0, 0
    for _ in range(draws):
        rates = _flaky(rng)
        fails, generations, _ = Draw(rng, rates, rates).run()
        failed += fails
        used += generations
        fixed += 2 * DESIGN.max_samples * len(rates)
    assert failed / draws <= ALPHA + _tolerance(ALPHA, draws), f"{failed} false FAILs in {draws} A/A draws"
    assert fixed / used >= 3.0, f"generations: fixed K / auto = {fixed / used:.2f}"


@pytest.mark.parametrize(("dropped", "old", "new", "futility", "floor", "seed"), [
    (5, 0.95, 0.05, DESIGN.futility, 0.95, 1318),   # a strong regression, the default design
    (3, 0.9, 0.3, 0.0, 0.6, 2026),                  # a moderate one, --futility 0 (efficacy looks only)
])
def test_planted_critical_regression_power_is_within_two_points_of_fixed_k(
        dropped: int, old: float, new: float, futility: float, floor: float, seed: int) -> None:
    """``dropped`` of the 30 critical cases drop from ``old`` to ``new``: the adaptive gate fails
    within 2 points as often as fixed K = 10 on the same draws (fixed K reads each draw's K rounds)."""
    rng = np.random.default_rng(seed)
    design = SequentialDesign(min_samples=2, max_samples=10, futility=futility)
    draws = 200
    caught = {"auto": 0, "fixed": 0}
    for _ in range(draws):
        base = _flaky(rng)
        cand = base.copy()
        base[:dropped], cand[:dropped] = old, new
        draw = Draw(rng, base, cand, design)
        caught["auto"] += draw.run(design)[0]
        caught["fixed"] += _fixed_fails_of(draw)
    assert caught["fixed"] / draws >= floor and caught["auto"] / draws >= floor, caught
    assert caught["auto"] / draws >= caught["fixed"] / draws - 0.02, caught


def _fixed_fails_of(draw: Draw) -> bool:
    """The gate's fail-level rules at fixed K on a draw's K rounds."""
    return _fixed_fails_counts(draw.passed[0][:, -1], draw.passed[1][:, -1], draw.passed[0].shape[1])


def test_strong_regression_fails_early() -> None:
    """The candidate passes 30 points less on every case: FAIL at an early look, 3x fewer generations."""
    rng = np.random.default_rng(7)
    draws, failed, used, fixed = 60, 0, 0, 0
    for _ in range(draws):
        base = _flaky(rng)
        fails, generations, stop = Draw(rng, base, np.clip(base - 0.3, 0, 1)).run()
        failed += fails and stop.reason == "efficacy"
        used += generations
        fixed += 2 * DESIGN.max_samples * len(base)
    assert failed == draws
    assert fixed / used >= 3.0


def test_the_gate_at_the_stopping_look_agrees_with_the_look() -> None:
    """Runs built from a draw, compared and gated at the stop's share, fail exactly when the look said so."""
    rng = np.random.default_rng(3)
    for kind in ("aa", "strong", "aa", "strong"):
        base = rng.uniform(0.15, 0.85, 40)
        cand = base if kind == "aa" else np.clip(base - 0.4, 0, 1)
        draw = Draw(rng, base, cand)
        fails, _, stop = draw.run()
        runs = _runs(draw, stop.round)
        comp = compare_runs(*runs, embedding_model=None, design=DESIGN, stop=stop)
        tables = look_cases(runs[0].cases, runs[1].cases, RULES, ALPHA, DESIGN.min_samples)
        assert [c.table for c in tables if c.critical] == [c.table for c in draw.cases(stop.round) if c.critical]
        assert [(c.table.counts, c.table.strata) for c in tables] == [
            (c.table.counts, c.table.strata) for c in draw.cases(stop.round)]
        verdict = evaluate_suite(RULES, comp, ALPHA * stop.share)
        assert (verdict.verdict == "fail") == fails, (kind, stop, verdict.reasons)


def _runs(draw: Draw, round_: int) -> tuple[RunResult, RunResult]:
    """Per-sample results consistent with the draw's cumulative counts up to each case's rounds."""
    sides = []
    for side in (0, 1):
        cases = []
        for i, closes in enumerate(draw.closes):
            k = int(min(closes, round_))
            counts = np.concatenate([[0], draw.passed[side][i, :k]])
            samples = tuple(SampleResult(sample=j, output="ok" if counts[j + 1] > counts[j] else "no", scores=(),
                                         passed=bool(counts[j + 1] > counts[j])) for j in range(k))
            cases.append(CaseResult(case_id=f"c{i}", samples=samples, sampled=True,
                                    tags=("critical",) if draw.critical[i] else ()))
        info = RunInfo("sim", "", "", "v1", f"m{side}", {}, {"temperature": 0.8}, 0, 10, {}, {}, "")
        sides.append(RunResult(info=info, cases=tuple(cases)))
    return sides[0], sides[1]
