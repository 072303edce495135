"""The gate: a policy applied to comparisons gives a verdict with reasons. Pure.

The policy (``harness.analysis.policy``) says which rules apply and at which level; the rules
(``harness.analysis.gate_rules``) say what a comparison demonstrates, at which error rate
(``harness.analysis.evidence``, ``docs/statistics.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.analysis.compare import SuiteComparison
from harness.analysis.evidence import DropDecision
from harness.analysis.gate_rules import RULES, Reason, ReasonLevel, pass_rate_decision
from harness.analysis.policy import (  # re-exported: the gate's public vocabulary
    DEFAULT_POLICY,
    Policy,
    Rules,
    Threshold,
    load_policy,
    parse_policy,
    policy_from_doc,
)
from harness.types import Verdict

__all__ = ["DEFAULT_POLICY", "GateResult", "Policy", "Reason", "Rules", "SuiteVerdict", "Threshold",
           "evaluate", "load_policy", "parse_policy", "policy_from_doc", "worst"]


@dataclass(frozen=True)
class SuiteVerdict:
    suite_id: str
    verdict: Verdict
    reasons: tuple[Reason, ...]
    alpha: float = 0.05                        # the suite's share of the gate's alpha
    decision: DropDecision | None = None       # the pass-rate rule's three-way answer


@dataclass(frozen=True)
class GateResult:
    verdict: Verdict
    reasons: tuple[Reason, ...]          # fail reasons, then inconclusive, then warn
    suites: tuple[SuiteVerdict, ...]     # one per comparison, in order

    @property
    def passed(self) -> bool:
        return self.verdict != "fail"


# ---------------------------------------------------------------- evaluation

_SEVERITY: tuple[ReasonLevel, ...] = ("fail", "inconclusive", "warn")


def evaluate(policy: Policy, comparisons: Sequence[SuiteComparison]) -> GateResult:
    """Apply the policy to every suite comparison; the worst suite verdict wins.

    The comparison's alpha is split evenly over its suites (Bonferroni), so the chance that
    noise alone fails the whole comparison stays at alpha however many suites it holds. A suite
    sampled in rounds is gated at the share of its alpha that the look it stopped at spends
    (``harness.analysis.looks``).
    """
    share = len(comparisons) or 1
    suites = tuple(evaluate_suite(policy.for_suite(c.suite_id), c, c.alpha / share * (c.stop.share if c.stop else 1))
                   for c in comparisons)
    reasons = [r for s in suites for r in s.reasons]
    ordered = tuple(r for level in _SEVERITY for r in reasons if r.level == level)
    return GateResult(verdict=worst(s.verdict for s in suites), reasons=ordered, suites=suites)


def worst(levels: Iterable[str]) -> Verdict:
    """fail > inconclusive > warn > pass."""
    found = set(levels)
    for level in _SEVERITY:
        if level in found:
            return level
    return "pass"


def evaluate_suite(rules: Rules, comp: SuiteComparison, alpha: float) -> SuiteVerdict:
    """One suite's verdict: every rule's reasons at the suite's ``alpha``."""
    decision = pass_rate_decision(rules, comp, alpha)
    reasons = [r for rule in RULES for r in rule(rules, comp, alpha, decision)]
    return SuiteVerdict(comp.suite_id, worst(r.level for r in reasons), tuple(reasons), alpha, decision)
