"""Builds the judge-noise parts of the report models (``harness.analysis.report_judge``)."""

from __future__ import annotations

from harness.analysis.judge_noise import CaseJudge, SuiteJudge
from harness.analysis.report_judge import CaseJudgeReport, PairwiseReport, SuiteJudgeReport


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def case_judge_report(judge: CaseJudge | None) -> CaseJudgeReport | None:
    """The report model of one case's judge noise."""
    if judge is None:
        return None
    pw = judge.pairwise
    pairwise = None if pw is None else PairwiseReport(
        check=pw.check, judge=pw.judge, pairs=pw.pairs, candidate_wins=pw.candidate_wins,
        baseline_wins=pw.baseline_wins, ties=pw.ties, position_biased=pw.position_biased,
        judge_errors=pw.judge_errors, position_bias_rate=_r(pw.position_bias_rate), p_value=_r(pw.p_value) or 0.0)
    return CaseJudgeReport(judges=list(judge.judges), judgments=judge.judgments, agreement=_r(judge.agreement),
                           judge_errors=judge.judge_errors, judge_uncertain=judge.judge_uncertain, pairwise=pairwise)


def suite_judge_report(judge: SuiteJudge | None) -> SuiteJudgeReport | None:
    """The report model of a suite's judge noise."""
    if judge is None:
        return None
    return SuiteJudgeReport(judges=list(judge.judges), cases=judge.cases, judgments=judge.judgments,
                            agreement=_r(judge.agreement), judge_errors=judge.judge_errors,
                            judge_uncertain=judge.judge_uncertain, pairwise_judgments=judge.pairwise_judgments,
                            position_bias_rate=_r(judge.position_bias_rate), calibration=judge.calibration)
