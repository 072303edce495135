"""A judge against human labels (pure): accuracy, Cohen's kappa, confusion table, self-consistency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean


@dataclass(frozen=True)
class LabelVerdict:
    """One labelled output: the human's pass, the judge's aggregated pass (None: judge error)
    and the judge's agreement with itself over its J judgments (None with J = 1)."""

    human: bool
    judge: bool | None
    self_agreement: float | None = None


@dataclass(frozen=True)
class Confusion:
    """Counts of (human, judge) verdicts over the labels the judge could grade."""

    both_pass: int
    both_fail: int
    judge_pass_human_fail: int
    judge_fail_human_pass: int

    @property
    def total(self) -> int:
        return self.both_pass + self.both_fail + self.judge_pass_human_fail + self.judge_fail_human_pass


@dataclass(frozen=True)
class JudgeAgreement:
    labels: int                     # labelled outputs
    graded: int                     # labels the judge gave a usable verdict on
    judge_errors: int
    accuracy: float | None
    kappa: float | None             # Cohen's kappa; None when undefined (one class only on both sides)
    confusion: Confusion
    self_consistency: float | None  # mean agreement of a label's J judgments with their majority


def cohen_kappa(pairs: Sequence[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa of two binary raters; None when chance agreement is 1 (kappa undefined)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    a_yes = sum(a for a, _ in pairs) / n
    b_yes = sum(b for _, b in pairs) / n
    expected = a_yes * b_yes + (1 - a_yes) * (1 - b_yes)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def agreement(verdicts: Sequence[LabelVerdict]) -> JudgeAgreement:
    """Compare the judge's verdicts with the human labels (judge errors left out and counted)."""
    graded = [(v.human, v.judge) for v in verdicts if v.judge is not None]
    confusion = Confusion(
        both_pass=sum(h and j for h, j in graded), both_fail=sum(not h and not j for h, j in graded),
        judge_pass_human_fail=sum(j and not h for h, j in graded),
        judge_fail_human_pass=sum(h and not j for h, j in graded))
    selves = [v.self_agreement for v in verdicts if v.self_agreement is not None]
    return JudgeAgreement(labels=len(verdicts), graded=len(graded), judge_errors=len(verdicts) - len(graded),
                          accuracy=sum(h == j for h, j in graded) / len(graded) if graded else None,
                          kappa=cohen_kappa(graded),  # type: ignore[arg-type]
                          confusion=confusion, self_consistency=fmean(selves) if selves else None)
