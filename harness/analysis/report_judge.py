"""Report models for model-graded checks: judge noise per case and suite, and judge calibration.

Part of the report contract (``harness.analysis.report``; docs/report-format.md, docs/judges.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PairwiseReport(_Model):
    """``judge-pairwise`` on one case: verdicts per (sample pair, judgment), each judged in both orders."""

    check: str
    judge: str
    pairs: int = Field(description="Sample pairs judged (baseline sample i with candidate sample i).")
    candidate_wins: int = Field(description="Judgments preferring the candidate in both orders.")
    baseline_wins: int = Field(description="Judgments preferring the baseline in both orders.")
    ties: int = Field(description="Judgments calling a tie in at least one order (and no opposite preference).")
    position_biased: int = Field(description="Judgments whose preference flipped with the order: counted as ties.")
    judge_errors: int = Field(description="Judgments with an unreadable answer in either order.")
    position_bias_rate: float | None = Field(description="position_biased / usable judgments.")
    p_value: float = Field(description="Two-sided sign test on the pairs' majority verdicts (ties left out).")


class CaseJudgeReport(_Model):
    """Judge noise on one case (present only for cases with a judge check)."""

    judges: list[str]
    judgments: int = Field(description="Usable judgments over both sides and every judge check.")
    agreement: float | None = Field(
        description="Mean share of a sample's judgments agreeing with their majority; null with judge_samples 1.")
    judge_errors: int = Field(description="Judge-check scores with no usable judgment (the sample is left out).")
    judge_uncertain: bool = Field(
        description="The change is within the judge's own disagreement: reported as flaky, not a regression.")
    pairwise: PairwiseReport | None = None


class SuiteJudgeReport(_Model):
    """Judge noise over a suite comparison (present only when the suite has judge checks)."""

    judges: list[str]
    cases: int = Field(description="Cases with a judge check.")
    judgments: int
    agreement: float | None = Field(description="Mean per-case judge agreement; null with judge_samples 1.")
    judge_errors: int
    judge_uncertain: int = Field(description="Verdicts judge noise decided: changes reported as flaky.")
    pairwise_judgments: int = Field(description="Usable pairwise judgments (each in both orders).")
    position_bias_rate: float | None = Field(description="Share of pairwise judgments that flipped with the order.")
    calibration: str | None = Field(description="The judge's latest stored agreement with human labels.")


class LabelVerdictReport(_Model):
    line: int = Field(description="Line in the labels file.")
    case_id: str
    human: bool
    judge: bool | None = Field(description="The judge's aggregated verdict; null for a judge error.")


class JudgeCalibrationReport(_Model):
    """``harness judge-calibrate --json``."""

    suite_id: str
    judge: str
    labels: int
    graded: int = Field(description="Labels the judge gave a usable verdict on.")
    judge_errors: int
    accuracy: float | None
    kappa: float | None = Field(description="Cohen's kappa of judge vs human pass; null when undefined.")
    confusion: dict[str, int] = Field(
        description="both_pass, both_fail, judge_pass_human_fail, judge_fail_human_pass.")
    self_consistency: float | None = Field(description="Mean agreement of a label's judgments with their majority.")
    position_bias: float | None = Field(description="Pairwise: share of order-dependent verdicts; null without pairs.")
    text: str
    verdicts: list[LabelVerdictReport] = Field(description="Per label, in file order.")


def judge_line(judge: SuiteJudgeReport) -> str:
    """One plain line for terminal, Markdown and HTML reports."""
    parts = [f"judge {', '.join(judge.judges)}: {judge.judgments} judgment(s) on {judge.cases} case(s)"]
    parts.append(f"agreement {judge.agreement:.0%}" if judge.agreement is not None
                 else "agreement not measured (judge_samples 1)")
    if judge.pairwise_judgments:
        parts.append(f"position bias {judge.position_bias_rate or 0:.0%}")
    parts.append(f"{judge.judge_uncertain} verdict(s) decided by judge noise (reported as flaky)")
    parts.append(f"{judge.judge_errors} judge error(s)")
    line = " · ".join(parts)
    return line + (f". {judge.calibration}" if judge.calibration else "")
