"""Group-sequential looks at a whole suite comparison under ``--samples auto``. Pure.

Every round ``r`` from ``min_samples`` on is a look at the comparison. The per-case stopping
rule (``harness.analysis.sequential``) closes settled cases; the *final* look is the round at
which every case is closed by that rule alone (``max_samples`` at the latest), a round fixed by
the pooled round outcomes only. Every earlier look is an *interim* look:

* **efficacy**: the gate's fail-level rules are tested at the interim share of the suite's alpha
  (``SequentialDesign.share``, a Haybittle-Peto split); when one is demonstrated, every case stops
  and the comparison is gated at that level (FAIL);
* **futility** (non-binding): from round ``futility_from``, every case stops when each fail-level
  rule's conditional power (the chance, if its evidence keeps its current trend, that it fails at
  the final look) is below ``futility``; the comparison is gated at the interim level.

Whatever the comparison stops at, it is gated at the level of that look, so the levels over looks
sum to at most the suite's alpha and a false FAIL (or a false non-inferiority pass) has
probability at most alpha by the union bound (``docs/statistics.md``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from harness.analysis.evidence import (
    CaseTable,
    Decision,
    decide_drop,
    drop_rule_p,
    paired_change,
    regression_rule_p,
)
from harness.analysis.policy import Rules
from harness.analysis.sequential import SequentialDesign, paired_rounds
from harness.analysis.stats import case_status
from harness.types import CaseResult, CaseStatus, is_errored

StopReason = Literal["efficacy", "futility", "settled", "max"]
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Stop:
    """Where a comparison sampled in rounds stopped, why, and the share of alpha it is gated at."""

    round: int
    reason: StopReason     # efficacy / futility (interim looks), settled (every case) / max (final look)
    share: float           # the share of the suite's alpha the stopping look tests at

    @property
    def early(self) -> bool:
        """Stopped at an interim look (before every case was closed by the per-case rule)."""
        return self.reason in ("efficacy", "futility")


@dataclass(frozen=True)
class LookCase:
    """One compared case at a look."""

    table: CaseTable
    critical: bool


@dataclass(frozen=True)
class SuiteGate:
    """What a look needs of the gate: the suite's rules and its share of alpha."""

    rules: Rules
    alpha: float            # the suite's share of the comparison's alpha (all looks together)
    case_alpha: float       # the comparison's alpha, which case statuses use


def look_cases(base: Sequence[CaseResult], cand: Sequence[CaseResult], rules: Rules,
               case_alpha: float, first: int) -> list[LookCase]:
    """The compared cases (matched, scorable on both sides) as the gate's rules read them
    (``first``: the design's ``min_samples``, where the second stratum of rounds begins)."""
    new = {c.case_id: c for c in cand}
    out = []
    for old in base:
        other = new.get(old.case_id)
        if other is None:
            continue
        b = [s.passed for s in old.samples if not is_errored(s)]
        c = [s.passed for s in other.samples if not is_errored(s)]
        if not b or not c:
            continue
        status, _ = case_status(sum(b), len(b), sum(c), len(c), case_alpha)
        table = CaseTable(old.case_id, sum(b), len(b), sum(c), len(c), old.sampled or other.sampled,
                          status == CaseStatus.REGRESSION, paired_rounds(old.samples, other.samples, first).strata,
                          other.group or old.group or old.case_id)
        out.append(LookCase(table, bool(set(old.tags + other.tags) & set(rules.critical_tags))))
    return out


def rule_pvalues(rules: Rules, cases: Sequence[LookCase]) -> dict[str, float]:
    """Each fail-level rule's p-value: the smallest alpha at which the gate would fail it."""
    out: dict[str, float] = {}
    if rules.critical_regressions is not None and rules.critical_regressions.level == "fail":
        out["critical_regressions"] = regression_rule_p([c.table for c in cases if c.critical],
                                                        rules.critical_regressions.value)
    if rules.max_regressions is not None and rules.max_regressions.level == "fail":
        out["max_regressions"] = regression_rule_p([c.table for c in cases], rules.max_regressions.value)
    if rules.max_pass_rate_drop is not None and rules.max_pass_rate_drop.level == "fail" and cases:
        out["max_pass_rate_drop"] = drop_rule_p(paired_change([c.table for c in cases]),
                                                rules.max_pass_rate_drop.value)
    return out


def conditional_power(p: float, information: float, alpha: float) -> float:
    """The chance that a test with one-sided p-value ``p`` at information fraction ``information``
    rejects at level ``alpha`` at the end if its drift keeps its current estimate (Brownian motion:
    ``Phi((z / sqrt(t) - z_alpha) / sqrt(1 - t))``)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0 or information >= 1.0:
        return 0.0 if p >= 1.0 else float(p <= alpha)
    z = _NORMAL.inv_cdf(1 - p)
    return _NORMAL.cdf((z / math.sqrt(information) - _NORMAL.inv_cdf(1 - alpha)) / math.sqrt(1 - information))


def look(gate: SuiteGate, cases: Sequence[LookCase], design: SequentialDesign, round_: int,
         final: bool) -> Stop | None:
    """The look after round ``round_``: where the comparison stops, or None to draw another round."""
    share = design.share(final, round_)
    if final:
        return Stop(round_, "max" if round_ >= design.max_samples else "settled", share)
    if round_ < design.min_samples or share == 1.0:
        return None
    pvalues = rule_pvalues(gate.rules, cases)
    if any(p <= gate.alpha * share for p in pvalues.values()):
        return Stop(round_, "efficacy", share)
    if _futile(gate, cases, pvalues, design, round_):
        return Stop(round_, "futility", share)
    return None


def _capped_evidence(rules: Rules, cases: Sequence[LookCase]) -> bool:
    """A fail-level regression family holds more than ``allowed + 1`` sampled cases with the status
    regression (a complete flip so far, or a Fisher-significant drop): few rounds cap each case's
    p-value (1/12 at best after 3 with ``min_samples`` 2), so a weak combined p-value does not mean weak evidence."""
    families = [(rules.critical_regressions, [c for c in cases if c.critical]), (rules.max_regressions, cases)]
    return any(rule is not None and rule.level == "fail"
               and sum(c.table.sampled and c.table.regression for c in family) > rule.value + 1
               for rule, family in families)


def _futile(gate: SuiteGate, cases: Sequence[LookCase], pvalues: dict[str, float], design: SequentialDesign,
            round_: int) -> bool:
    if design.futility == 0 or round_ < max(design.futility_from, design.min_samples):
        return False
    final_level = gate.alpha * design.share(True)
    t = round_ / design.max_samples
    if any(conditional_power(p, t, final_level) >= design.futility for p in pvalues.values()):
        return False
    if _capped_evidence(gate.rules, cases):
        return False
    rule = gate.rules.max_pass_rate_drop
    if gate.rules.inconclusive == "fail" and rule is not None and cases:
        # an inconclusive pass-rate answer would fail the suite: stop only once it passes
        level = gate.alpha * design.share(False)
        decision = decide_drop(paired_change([c.table for c in cases]), rule.value, level, round_)
        return decision.decision is Decision.passed
    return True
