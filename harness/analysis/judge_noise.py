"""Judge noise, measured and kept apart from the model change (pure; no I/O).

Per case: how often a judge check's J judgments agree, how many judge errors there were,
and whether a regression/improvement survives the judge's own disagreement. The rule
(docs/statistics.md, "Judge noise"): re-score the case adversarially, counting every sample
whose judgments were not unanimous with the minority verdict that works against the change
(baseline samples as fails and candidate samples as passes for a regression, the reverse
for an improvement). If the case is no longer a regression (improvement) under the same
status rule, the change is within the judge's disagreement: the case is ``flaky`` with
``judge_uncertain`` set, never a regression.

Pairwise judging (``judge-pairwise``): each sample pair's J verdicts (each already judged in
both orders) are reduced to a majority; the case is a regression when the pairs the baseline
won outnumber the candidate's with a two-sided sign test p <= alpha, and judge-uncertain when
turning the non-unanimous pairs into ties removes that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from harness.analysis import stats
from harness.scoring.pairwise import PairwiseResult
from harness.types import CaseStatus, SampleResult, Score

CHANGES = (CaseStatus.REGRESSION, CaseStatus.IMPROVEMENT)


@dataclass(frozen=True)
class PairwiseSummary:
    """One case's pairwise verdicts, counted per (pair, judgment)."""

    check: str
    judge: str
    pairs: int
    candidate_wins: int
    baseline_wins: int
    ties: int
    position_biased: int
    judge_errors: int
    p_value: float

    @property
    def position_bias_rate(self) -> float | None:
        usable = self.candidate_wins + self.baseline_wins + self.ties + self.position_biased
        return self.position_biased / usable if usable else None


@dataclass(frozen=True)
class CaseJudge:
    """Judge noise on one case."""

    judges: tuple[str, ...]
    judgments: int                 # usable judgments over both sides and all judge checks
    agreement: float | None        # mean share of a sample's judgments that agree with their majority
    judge_errors: int              # judge-check scores with no usable judgment (samples left out)
    judge_uncertain: bool          # a change that the judge's disagreement could account for
    pairwise: PairwiseSummary | None = None


def judge_scores(sample: SampleResult) -> list[Score]:
    return [s for s in sample.scores if s.judge is not None]


def sample_agreement(score: Score) -> float | None:
    """Share of the judgments that agree with the majority (1.0 when unanimous); None with < 2."""
    if len(score.judgments) < 2:
        return None
    passes = sum(score.judgments)
    return max(passes, len(score.judgments) - passes) / len(score.judgments)


def _split(score: Score) -> bool:
    return 0 < sum(score.judgments) < len(score.judgments)


def _bound_pass(sample: SampleResult, optimistic: bool) -> bool:
    """The sample's pass when every split judge check takes the verdict in one direction
    (a sample with a case threshold is bounded the same way: a split check may decide it)."""
    if optimistic:
        return sample.passed or all(s.passed or _split(s) for s in sample.scores)
    return sample.passed and not any(_split(s) for s in sample.scores)


def survives_judge_noise(base: Sequence[SampleResult], cand: Sequence[SampleResult], status: CaseStatus,
                         alpha: float) -> bool:
    """Whether a regression/improvement stays one when split judgments go against it."""
    regression = status == CaseStatus.REGRESSION
    base_passed = sum(_bound_pass(s, optimistic=not regression) for s in base)
    cand_passed = sum(_bound_pass(s, optimistic=regression) for s in cand)
    rescored, _ = stats.case_status(base_passed, len(base), cand_passed, len(cand), alpha)
    return rescored == status


def pairwise_status(result: PairwiseResult, alpha: float) -> tuple[CaseStatus | None, bool, float]:
    """(change or None, judge-uncertain, sign-test p) from the pairs' majority verdicts."""
    wins = losses = firm_wins = firm_losses = 0
    for verdicts in result.pairs:
        usable = [v for v in verdicts if v != "judge-error"]
        if not usable:
            continue
        w, l_ = usable.count("candidate"), usable.count("baseline")
        unanimous = len(set(usable)) == 1
        if 2 * w > len(usable):
            wins, firm_wins = wins + 1, firm_wins + unanimous
        elif 2 * l_ > len(usable):
            losses, firm_losses = losses + 1, firm_losses + unanimous
    p = stats.binom_test(losses, wins + losses) if wins + losses else 1.0
    if p > alpha or wins == losses:
        return None, False, p
    change = CaseStatus.REGRESSION if losses > wins else CaseStatus.IMPROVEMENT
    firm_p = stats.binom_test(firm_losses, firm_wins + firm_losses) if firm_wins + firm_losses else 1.0
    firm_same = firm_p <= alpha and (firm_losses > firm_wins) == (change == CaseStatus.REGRESSION)
    return change, not firm_same, p


def summarize_pairwise(result: PairwiseResult, p_value: float) -> PairwiseSummary:
    return PairwiseSummary(check=result.check, judge=result.judge, pairs=len(result.pairs),
                           candidate_wins=result.wins, baseline_wins=result.losses, ties=result.count("tie"),
                           position_biased=result.count("position-bias"),
                           judge_errors=result.count("judge-error"), p_value=p_value)


def judge_case(all_base: Sequence[SampleResult], all_cand: Sequence[SampleResult],
               valid: tuple[Sequence[SampleResult], Sequence[SampleResult]], status: CaseStatus, alpha: float,
               pairwise: PairwiseResult | None = None) -> tuple[CaseStatus, CaseJudge | None]:
    """The case's status after judge noise, and its judge summary (None without judge checks)."""
    scores = [sc for s in list(all_base) + list(all_cand) for sc in judge_scores(s)]
    if not scores and pairwise is None:
        return status, None
    uncertain = False
    if status in CHANGES and scores and not survives_judge_noise(valid[0], valid[1], status, alpha):
        status, uncertain = CaseStatus.FLAKY, True
    summary = None
    if pairwise is not None:
        change, pair_uncertain, p = pairwise_status(pairwise, alpha)
        summary = summarize_pairwise(pairwise, p)
        if status not in CHANGES and change is not None:
            if pair_uncertain:
                status, uncertain = CaseStatus.FLAKY, True
            else:
                status = change
    agreements = [a for a in (sample_agreement(sc) for sc in scores) if a is not None]
    judges = tuple(dict.fromkeys([sc.judge for sc in scores if sc.judge] + ([pairwise.judge] if pairwise else [])))
    return status, CaseJudge(judges=judges, judgments=sum(len(sc.judgments) for sc in scores),
                             agreement=fmean(agreements) if agreements else None,
                             judge_errors=sum(sc.judge_error for sc in scores),
                             judge_uncertain=uncertain, pairwise=summary)


@dataclass(frozen=True)
class SuiteJudge:
    """Judge noise over a suite comparison: what reports show next to the verdict."""

    judges: tuple[str, ...]
    cases: int                         # cases with a judge check
    judgments: int
    agreement: float | None            # mean per-case judge agreement (None: judge_samples 1)
    judge_errors: int
    judge_uncertain: int               # changes that judge noise decided (reported as flaky)
    pairwise_judgments: int = 0
    position_biased: int = 0
    calibration: str | None = None     # "judge agrees with human labels on 84% (κ 0.62, 120 labels)"

    @property
    def position_bias_rate(self) -> float | None:
        return self.position_biased / self.pairwise_judgments if self.pairwise_judgments else None


def summarize_judges(judged: Sequence[CaseJudge]) -> SuiteJudge | None:
    """The suite's judge summary; None when no case has a judge check."""
    if not judged:
        return None
    agreements = [j.agreement for j in judged if j.agreement is not None]
    pairwise = [j.pairwise for j in judged if j.pairwise is not None]
    usable = sum(p.candidate_wins + p.baseline_wins + p.ties + p.position_biased for p in pairwise)
    return SuiteJudge(judges=tuple(dict.fromkeys(name for j in judged for name in j.judges)), cases=len(judged),
                      judgments=sum(j.judgments for j in judged),
                      agreement=fmean(agreements) if agreements else None,
                      judge_errors=sum(j.judge_errors for j in judged),
                      judge_uncertain=sum(j.judge_uncertain for j in judged),
                      pairwise_judgments=usable, position_biased=sum(p.position_biased for p in pairwise))


def self_judge_warnings(judges: Sequence[str], models: Sequence[str]) -> list[str]:
    """A warning for each judge that is (by fingerprint or name) a model under test."""
    return [f"judge {name} is the model under test: it grades its own answers (use another judge)"
            for name in judges if name in models]
