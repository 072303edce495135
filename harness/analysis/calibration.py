"""Calibration from A/A comparisons: how often noise alone fails the gate, and flags cases.

Given comparisons of a model against itself (one or several repeats), each case's
pass probability ``p`` is estimated from all its samples. The gate's false-FAIL rate is
observed over the repeats and simulated from those ``p``'s (``harness.analysis.gate_noise``).
Per case, under the null (both sides draw from Bin(K, p)) the chance that the descriptive
status rule flags a regression is computed exactly by summing over the rule's rejection
region; the suite's per-case false-alarm rate is ``1 - prod(1 - P_i)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from harness.analysis.compare import SuiteComparison
from harness.analysis.gate import evaluate
from harness.analysis.gate_noise import DRAWS, NoisyCase, false_fail_rate, gate_samples_needed
from harness.analysis.policy import DEFAULT_POLICY, Policy
from harness.analysis.stats import binom_pmf, case_status
from harness.types import CaseStatus

MAX_SAMPLES = 50


@lru_cache(maxsize=256)
def regression_region(samples: int, alpha: float) -> tuple[tuple[int, int], ...]:
    """All (baseline passes, candidate passes) with K samples each that the rule calls a regression."""
    return tuple((x, y) for x in range(samples + 1) for y in range(x)
                 if case_status(x, samples, y, samples, alpha)[0] == "regression")


def false_regression_probability(p: float, samples: int, alpha: float) -> float:
    """P(the status rule flags a regression) when both versions pass with probability ``p``."""
    pmf = [binom_pmf(i, samples, p) for i in range(samples + 1)]
    return sum(pmf[x] * pmf[y] for x, y in regression_region(samples, alpha))


def suite_false_alarm_rate(ps: Sequence[float], samples: int, alpha: float) -> float:
    """P(at least one case of the suite is flagged as a regression by noise alone)."""
    none = 1.0
    for p in ps:
        none *= 1.0 - false_regression_probability(p, samples, alpha)
    return 1.0 - none


def samples_needed(ps: Sequence[float], alpha: float, target: float,
                   max_samples: int = MAX_SAMPLES) -> int | None:
    """Smallest K whose suite false-alarm rate is at most ``target`` (None if no K up to max)."""
    for k in range(1, max_samples + 1):
        if suite_false_alarm_rate(ps, k, alpha) <= target:
            return k
    return None


@dataclass(frozen=True)
class CaseNoise:
    case_id: str
    p: float                         # pooled pass rate over every sample of every repeat
    false_regression: float          # P(flagged as a regression) at the current K and alpha


@dataclass(frozen=True)
class Calibration:
    suite_id: str
    samples: int
    alpha: float
    repeats: int
    observed_regressions: int            # over all repeats
    observed_improvements: int
    observed_false_alarm_rate: float     # share of repeats with at least one regression
    expected_regressions: float          # per comparison, from the estimated p's
    false_alarm_rate: float              # P(at least one regression) per comparison
    target: float
    samples_needed: int | None
    cases: tuple[CaseNoise, ...]
    text: str
    gate_fails_observed: int = 0             # A/A comparisons the gate FAILed
    gate_false_fail_observed: float = 0.0    # their share of the repeats
    gate_false_fail_estimated: float = 0.0   # simulated from the estimated p's at this K
    gate_samples_needed: int | None = None   # smallest K whose estimated false-FAIL meets the target
    gate_draws: int = 0


def calibrate(comparisons: Sequence[SuiteComparison], *, target: float = 0.05,
              max_samples: int = MAX_SAMPLES, policy: Policy = DEFAULT_POLICY) -> tuple[Calibration, ...]:
    """One calibration per suite from A/A comparisons (grouped by suite id, in order): the gate's
    false-FAIL rate under ``policy`` (observed and simulated) and the per-case regression rates."""
    groups: dict[str, list[SuiteComparison]] = {}
    for comp in comparisons:
        groups.setdefault(comp.suite_id, []).append(comp)
    return tuple(_with_gate(_calibrate_suite(suite_id, comps, target, max_samples), comps, policy)
                 for suite_id, comps in groups.items())


def _with_gate(cal: Calibration, comps: Sequence[SuiteComparison], policy: Policy) -> Calibration:
    rules = policy.for_suite(cal.suite_id)
    fails = sum(evaluate(policy, [c]).verdict == "fail" for c in comps)
    rates = {c.case_id: c.p for c in cal.cases}
    noisy = [NoisyCase(c.case_id, rates[c.case_id], c.sampled, bool(set(c.tags) & set(rules.critical_tags)),
                       c.cluster or c.case_id) for c in comps[0].cases if c.case_id in rates]
    estimated = false_fail_rate(noisy, cal.samples, cal.alpha, rules)
    needed = gate_samples_needed(noisy, cal.alpha, rules, cal.target)
    text = (f"{cal.suite_id}: noise alone fails the gate in {estimated:.1%} of A/A comparisons at K = "
            f"{cal.samples} (simulated, {DRAWS} draws from the estimated pass rates; observed: {fails} of "
            f"{len(comps)}). ")
    if needed is None:
        text += f"No K up to 20 brings it to the target of {cal.target:.1%} under this policy. "
    elif estimated <= cal.target:
        text += f"That meets the target of {cal.target:.1%} (K = {needed} would suffice). "
    else:
        text += f"K = {needed} would bring it to {cal.target:.1%} or less. "
    text += "Per case (descriptive statuses, no multiplicity control): " + cal.text.split(": ", 1)[1]
    return replace(cal, gate_fails_observed=fails, gate_false_fail_observed=fails / len(comps),
                   gate_false_fail_estimated=estimated, gate_samples_needed=needed, gate_draws=DRAWS, text=text)


def _pooled_rates(comps: Sequence[SuiteComparison]) -> dict[str, float]:
    passed: dict[str, int] = {}
    total: dict[str, int] = {}
    for comp in comps:
        for case in comp.cases:
            for side in (case.baseline, case.candidate):
                passed[case.case_id] = passed.get(case.case_id, 0) + side.passed
                total[case.case_id] = total.get(case.case_id, 0) + side.n
    return {cid: passed[cid] / n for cid, n in total.items() if n}


def _samples(comps: Sequence[SuiteComparison]) -> int:
    declared = [min(c.baseline.samples, c.candidate.samples) for c in comps]
    return max(1, min(declared)) if declared else 1


def _calibrate_suite(suite_id: str, comps: Sequence[SuiteComparison], target: float,
                     max_samples: int) -> Calibration:
    k, alpha = _samples(comps), comps[0].alpha
    rates = _pooled_rates(comps)
    cases = tuple(CaseNoise(cid, p, false_regression_probability(p, k, alpha)) for cid, p in rates.items())
    regressions = [len(c.regressions) for c in comps]
    rate = suite_false_alarm_rate(list(rates.values()), k, alpha)
    needed = samples_needed(list(rates.values()), alpha, target, max_samples)
    expected = sum(c.false_regression for c in cases)
    return Calibration(
        suite_id=suite_id, samples=k, alpha=alpha, repeats=len(comps),
        observed_regressions=sum(regressions),
        observed_improvements=sum(len(c.with_status(CaseStatus.IMPROVEMENT)) for c in comps),
        observed_false_alarm_rate=sum(r > 0 for r in regressions) / len(comps),
        expected_regressions=expected, false_alarm_rate=rate, target=target, samples_needed=needed,
        cases=cases, text=_text(suite_id, k, alpha, rate, expected, target, needed, max_samples))


def _text(suite_id: str, k: int, alpha: float, rate: float, expected: float, target: float,
          needed: int | None, max_samples: int) -> str:
    text = (f"{suite_id}: with {k} sample(s) per case and alpha {alpha:g}, noise alone flags at least one "
            f"regression in {rate:.1%} of comparisons ({expected:.2f} expected false regressions).")
    if needed is None:
        return text + (f" No K up to {max_samples} brings this to {target:.1%} at this alpha; "
                       "lower alpha or stabilise the flaky cases.")
    if rate <= target:
        return text + f" That meets the target of {target:.1%} (K = {needed} would suffice)."
    return text + f" K = {needed} would bring it to {target:.1%} or less."
