"""How often noise alone fails the gate: the false-FAIL rate of a whole comparison. Pure.

``harness calibrate`` estimates each case's pass probability from A/A runs; this module draws
A/A comparisons from those probabilities (sampled cases: both sides ``Bin(K, p)``; greedy cases:
both sides identical) and applies the gate's fail-level rules exactly as ``harness compare``
does (``harness.analysis.evidence`` and ``gate_rules.pass_rate_level``). The share of draws that
FAIL is the model-estimated false-FAIL rate; the smallest K whose rate meets a target is the K
to run with. Errors and confounders cannot occur in a simulated A/A and are not simulated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.analysis.clustered import paired_estimate
from harness.analysis.evidence import CaseTable, decide_drop, exceeds, rule_evidence
from harness.analysis.gate_rules import pass_rate_level
from harness.analysis.policy import Rules
from harness.analysis.stats import case_status
from harness.types import CaseStatus

DRAWS = 400


@dataclass(frozen=True)
class NoisyCase:
    """One case as calibration sees it."""

    case_id: str
    p: float            # pass probability (pooled over every A/A sample)
    sampled: bool       # temperature > 0: both sides draw independently
    critical: bool
    cluster: str


def _tables(cases: Sequence[NoisyCase], samples: int, alpha: float,
            rng: np.random.Generator) -> list[tuple[NoisyCase, CaseTable]]:
    out = []
    for case in cases:
        base = int(rng.binomial(samples, case.p))
        cand = int(rng.binomial(samples, case.p)) if case.sampled else base
        status = case_status(base, samples, cand, samples, alpha)[0]
        out.append((case, CaseTable(case.case_id, base, samples, cand, samples, case.sampled,
                                    status == CaseStatus.REGRESSION)))
    return out


def _fails(drawn: list[tuple[NoisyCase, CaseTable]], rules: Rules, alpha: float, samples: int) -> bool:
    critical, every = rules.critical_regressions, rules.max_regressions
    if critical is not None and critical.level == "fail":
        tables = [t for c, t in drawn if c.critical]
        if exceeds(rule_evidence(tables, "fail", alpha), critical.value):
            return True
    if (every is not None and every.level == "fail"
            and exceeds(rule_evidence([t for _, t in drawn], "fail", alpha), every.value)):
        return True
    if rules.max_pass_rate_drop is None:
        return False
    diffs = [(t.cand_passed - t.base_passed) / samples for _, t in drawn]
    pooled = [(t.base_passed + t.cand_passed) / (2 * samples) for _, t in drawn]
    within = [q * (1 - q) * 2 / samples if c.sampled else 0.0 for (c, _), q in zip(drawn, pooled)]
    estimate = paired_estimate(diffs, [c.cluster for c, _ in drawn], within)
    decision = decide_drop(estimate, rules.max_pass_rate_drop.value, alpha, samples)
    return pass_rate_level(decision, rules) == "fail"


def false_fail_rate(cases: Sequence[NoisyCase], samples: int, alpha: float, rules: Rules,
                    draws: int = DRAWS, seed: int = 0) -> float:
    """Share of simulated A/A comparisons of one suite that the gate FAILs."""
    if not cases:
        return 0.0
    rng = np.random.default_rng(seed)
    return sum(_fails(_tables(cases, samples, alpha, rng), rules, alpha, samples) for _ in range(draws)) / draws


def gate_samples_needed(cases: Sequence[NoisyCase], alpha: float, rules: Rules, target: float,
                        max_samples: int = 20, draws: int = DRAWS // 2, seed: int = 0) -> int | None:
    """Smallest K whose simulated false-FAIL rate is at most ``target`` (None if none up to max)."""
    for k in range(1, max_samples + 1):
        if false_fail_rate(cases, k, alpha, rules, draws, seed) <= target:
            return k
    return None
