"""Baseline vs candidate, case by case: status, consistency, drift and suite statistics.

``compare_runs`` is pure apart from computing sentence embeddings (one batched call).
The dataclasses here are what reporters, the gate and the store read; their field
names are stable. ``harness.analysis.report_build`` turns them into the report models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from harness import collector
from harness.analysis import stats
from harness.analysis.check_summary import summarize_checks
from harness.analysis.confounders import Variable, confounder_warnings
from harness.analysis.consistency import (
    Consistency,
    ConsistencySummary,
    ParaphraseResult,
    measure_consistency,
    normalise_answer,
    summarize_consistency,
)
from harness.analysis.drift import Drift, DriftSummary, measure_drift, prefetch_drift_scores, summarize_drift
from harness.analysis.judge_noise import CaseJudge, SuiteJudge, judge_case, self_judge_warnings, summarize_judges
from harness.analysis.looks import Stop
from harness.analysis.multiplicity import fisher_one_sided, stratified_drop
from harness.analysis.sequential import PairedRounds, SequentialDesign, paired_rounds
from harness.analysis.suite_stats import (
    CheckDelta,
    Power,
    SuiteStats,
    adjusted_pvalues,
    compared_cases,
    suite_stats,
)
from harness.scoring.embeddings import DEFAULT_EMBEDDING_MODEL
from harness.scoring.pairwise import PairwiseResult
from harness.scoring.textpairs import SimilarityBatch, SimilarityFn, default_similarity
from harness.types import (
    PASS_CUTOFF,
    CaseResult,
    CaseStatus,
    RunResult,
    SampleResult,
    case_pass_rate,
    is_errored,
)

__all__ = ["CaseComparison", "CaseSide", "CheckDelta", "CheckScore", "Consistency", "ConsistencySummary",
           "Drift", "DriftSummary", "ParaphraseResult", "Power", "RunSide", "SuiteComparison", "SuiteStats",
           "compare_runs", "is_errored", "normalise_answer"]


# ---------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class CaseSide:
    """One version of one case. ``n``/``passed`` count scorable samples only."""

    n: int
    passed: int
    outputs: tuple[str, ...]
    errors: tuple[str, ...]
    consistency: Consistency
    paraphrases: tuple[ParaphraseResult, ...] = ()

    @property
    def pass_rate(self) -> float | None:
        """``passed / n``; None when no sample is scorable (``harness.types.case_pass_rate``)."""
        return case_pass_rate(self.passed, self.n)


@dataclass(frozen=True)
class CheckScore:
    """One check on one case: pass share and mean value per version."""

    check: str
    type: str
    baseline_pass_rate: float | None
    candidate_pass_rate: float | None
    baseline_value: float | None
    candidate_value: float | None
    baseline_reason: str = ""      # the first failing sample's reason (else the first sample's)
    candidate_reason: str = ""


@dataclass(frozen=True)
class CaseComparison:
    case_id: str
    status: CaseStatus
    p_value: float
    tags: tuple[str, ...]
    baseline: CaseSide
    candidate: CaseSide
    drift: Drift
    scores: tuple[CheckScore, ...] = ()
    sampled: bool = False              # temperature > 0 on either side: pass/fail can vary by chance
    cluster: str = ""                  # the case's group, else its id (cluster-robust statistics)
    p_drop: float = 1.0                # one-sided p-value of a drop (Fisher; sign test when adaptive)
    rounds: PairedRounds | None = None # adaptive sampling: the case's paired rounds
    stopped_early: bool = False        # adaptive sampling: settled before --max-samples
    p_holm: float | None = None        # Holm-adjusted p_value over the suite's compared cases
    q_bh: float | None = None          # Benjamini-Hochberg q-value of p_value over the same cases
    judge: CaseJudge | None = None         # judge checks: agreement, judge errors, judge-uncertain

    @property
    def baseline_pass_rate(self) -> float | None:
        return self.baseline.pass_rate

    @property
    def candidate_pass_rate(self) -> float | None:
        return self.candidate.pass_rate

    @property
    def rates(self) -> tuple[float, float]:
        """(baseline, candidate) pass rates of a compared (not errored) case."""
        return self.baseline.passed / self.baseline.n, self.candidate.passed / self.candidate.n

    @property
    def errored(self) -> bool:
        """A side has no scorable sample: the case is left out of suite statistics."""
        return self.baseline.n == 0 or self.candidate.n == 0

    @property
    def has_errors(self) -> bool:
        return bool(self.baseline.errors or self.candidate.errors)


@dataclass(frozen=True)
class RunSide:
    model: str
    prompt_version: str
    pass_rate: float
    samples: int
    run_id: str | None = None
    complete: bool = True
    model_fingerprint: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteComparison:
    suite_id: str
    variable: Variable
    alpha: float
    baseline: RunSide
    candidate: RunSide
    cases: tuple[CaseComparison, ...]
    stats: SuiteStats
    baseline_consistency: ConsistencySummary
    candidate_consistency: ConsistencySummary
    drift: DriftSummary
    warnings: tuple[str, ...] = ()         # everything worth knowing, confounders included
    confounders: tuple[str, ...] = ()      # differences besides the variable under test
    baseline_only: tuple[str, ...] = ()    # case ids missing from the candidate run
    candidate_only: tuple[str, ...] = ()   # case ids new in the candidate run
    judge: SuiteJudge | None = None        # judge noise over the suite (None without judge checks)
    design: SequentialDesign | None = None # --samples auto: the runs were sampled in rounds
    stop: Stop | None = None               # --samples auto: where the rounds stopped, why, the look's alpha share

    def with_status(self, status: CaseStatus) -> list[CaseComparison]:
        return [c for c in self.cases if c.status == status]

    @property
    def regressions(self) -> list[CaseComparison]:
        return self.with_status(CaseStatus.REGRESSION)


# ---------------------------------------------------------------- per-case pieces


def _sample_errors(samples: Sequence[SampleResult]) -> tuple[str, ...]:
    out = []
    for s in samples:
        if s.error is not None:
            out.append(f"sample {s.sample}: {s.error}")
        out += [f"sample {s.sample}: check {sc.check}: {sc.reason}" for sc in s.scores if sc.error]
    return tuple(out)


@dataclass(frozen=True)
class _Pending:
    """Pairs registered for one case side, resolved after the similarity batch ran."""

    valid: tuple[SampleResult, ...]
    passed: int
    consistency_pairs: list[tuple[str, str]]
    paraphrase_pairs: list[list[tuple[str, str]]]


def _pending_side(case: CaseResult, batch: SimilarityBatch) -> _Pending:
    valid = case.scorable
    outputs = [s.output for s in valid]
    k = len(outputs)
    pairs = batch.add([outputs[i] for i in range(k) for _ in range(i + 1, k)],
                      [outputs[j] for i in range(k) for j in range(i + 1, k)]) if k > 1 else []
    para_pairs = []
    for samples in case.paraphrases:
        para_out = [s.output for s in samples if not is_errored(s)]
        m = min(len(para_out), k)
        para_pairs.append(batch.add(para_out[:m], outputs[:m]))
    return _Pending(valid, sum(s.passed for s in valid), pairs, para_pairs)


def _paraphrases(case: CaseResult, pending: _Pending, batch: SimilarityBatch) -> tuple[ParaphraseResult, ...]:
    if not case.paraphrases:
        return ()
    main_rate = pending.passed / len(pending.valid) if pending.valid else None
    out = []
    for index, (samples, pairs) in enumerate(zip(case.paraphrases, pending.paraphrase_pairs)):
        valid = [s for s in samples if not is_errored(s)]
        agree = None
        if valid and main_rate is not None:
            agree = fmean(s.passed == (main_rate >= PASS_CUTOFF) for s in valid)
        out.append(ParaphraseResult(index=index, n=len(valid), passed=sum(s.passed for s in valid),
                                    pass_agreement=agree, similarity=batch.mean(pairs),
                                    outputs=tuple(s.output for s in samples)))
    return tuple(out)


def _side(case: CaseResult, pending: _Pending, batch: SimilarityBatch) -> CaseSide:
    return CaseSide(n=len(pending.valid), passed=pending.passed,
                    outputs=tuple(s.output for s in case.samples), errors=_sample_errors(case.samples),
                    consistency=measure_consistency(pending.valid, pending.consistency_pairs, batch),
                    paraphrases=_paraphrases(case, pending, batch))


def _check_scores(base: Sequence[SampleResult], cand: Sequence[SampleResult]) -> tuple[CheckScore, ...]:
    old, new = summarize_checks(base), summarize_checks(cand)
    out = []
    for name in list(old) + [n for n in new if n not in old]:
        o, n = old.get(name), new.get(name)
        out.append(CheckScore(
            check=name, type=(o or n).type,  # type: ignore[union-attr]
            baseline_pass_rate=o.pass_rate if o else None, candidate_pass_rate=n.pass_rate if n else None,
            baseline_value=o.mean if o else None, candidate_value=n.mean if n else None,
            baseline_reason=o.reason if o else "", candidate_reason=n.reason if n else ""))
    return tuple(out)


# ---------------------------------------------------------------- suite pieces


def _run_side(run: RunResult, cases: Sequence[CaseComparison], pick: Callable[[CaseComparison], float]) -> RunSide:
    compared = compared_cases(cases)
    return RunSide(model=run.info.model_spec, prompt_version=run.info.prompt_version,
                   pass_rate=fmean([pick(c) for c in compared]) if compared else 0.0,
                   samples=run.info.samples, run_id=run.run_id, complete=run.complete,
                   model_fingerprint=dict(run.info.model_fingerprint))


# ---------------------------------------------------------------- entry point


def compare_runs(baseline: RunResult, candidate: RunResult, *, alpha: float = 0.05,
                 bootstrap_seed: int = 0, variable: Variable = "model",
                 embedding_model: str | None = DEFAULT_EMBEDDING_MODEL,
                 similarity: SimilarityFn | None = None,
                 pairwise: dict[str, PairwiseResult] | None = None,
                 design: SequentialDesign | None = None, stop: Stop | None = None) -> SuiteComparison:
    """Compare two runs of one suite case by case (cases matched by id).

    ``embedding_model=None`` skips semantic similarity (drift then uses ROUGE-L);
    ``similarity`` replaces the embedding function; ``pairwise``: judge-pairwise verdicts per case id;
    ``design`` says the runs were sampled adaptively in rounds (cases are then tested on their
    paired rounds, ``harness.analysis.sequential``); ``stop`` says where the rounds stopped and at
    which share of alpha the gate tests (``harness.analysis.looks``).
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    fn = similarity or (default_similarity(embedding_model) if embedding_model else None)
    batch = SimilarityBatch(fn)
    new_by_id = {c.case_id: c for c in candidate.cases}
    matched = [(c, new_by_id[c.case_id]) for c in baseline.cases if c.case_id in new_by_id]
    with collector.paused():
        pending = [_register(old, new, batch) for old, new in matched]
    warnings = [w for w in (batch.compute(),) if w]   # embeddings: the collector runs as usual
    prefetch_drift_scores(batch.pairs)
    with collector.paused():
        cases = _cases(matched, pending, batch, alpha, pairwise or {}, design)
    old_ids = {c.case_id for c in baseline.cases}
    confounders = confounder_warnings(baseline.info, candidate.info, variable)
    judge = summarize_judges([c.judge for c in cases if c.judge is not None])
    warnings += _run_warnings(baseline, candidate) + confounders
    if judge is not None:
        warnings += self_judge_warnings(judge.judges, [baseline.info.model_spec, candidate.info.model_spec])
    return SuiteComparison(
        suite_id=baseline.info.suite_id, variable=variable, alpha=alpha,
        baseline=_run_side(baseline, cases, lambda c: c.rates[0]),
        candidate=_run_side(candidate, cases, lambda c: c.rates[1]),
        cases=cases, stats=suite_stats(cases, alpha, bootstrap_seed),
        baseline_consistency=summarize_consistency([c.baseline for c in cases]),
        candidate_consistency=summarize_consistency([c.candidate for c in cases]),
        drift=summarize_drift([(c.case_id, c.drift) for c in cases], "similarity" if batch.fn else "rouge-l"),
        warnings=tuple(warnings), confounders=tuple(confounders),
        baseline_only=tuple(c.case_id for c in baseline.cases if c.case_id not in new_by_id),
        candidate_only=tuple(c.case_id for c in candidate.cases if c.case_id not in old_ids), judge=judge,
        design=design, stop=stop)


def _register(old: CaseResult, new: CaseResult, batch: SimilarityBatch) -> tuple[_Pending, _Pending, list]:
    base, cand = _pending_side(old, batch), _pending_side(new, batch)
    m = min(len(base.valid), len(cand.valid))
    drift_pairs = batch.add([s.output for s in base.valid[:m]], [s.output for s in cand.valid[:m]])
    return base, cand, drift_pairs


def _cases(matched: Sequence[tuple[CaseResult, CaseResult]], pending: Sequence[tuple[_Pending, _Pending, list]],
           batch: SimilarityBatch, alpha: float, pairwise: dict[str, PairwiseResult],
           design: SequentialDesign | None) -> tuple[CaseComparison, ...]:
    """Every matched case, its p-value adjusted (Holm, BH) over the compared ones (scorable on both sides)."""
    tests = [stats.case_status(b.passed, len(b.valid), c.passed, len(c.valid), alpha) for b, c, _ in pending]
    adjusted = adjusted_pvalues([p if b.valid and c.valid else None for (_, p), (b, c, _) in zip(tests, pending)])
    return tuple(_case(old, new, p, batch, alpha, pairwise.get(old.case_id), design, test, adjust)
                 for (old, new), p, test, adjust in zip(matched, pending, tests, adjusted))


def _case(old: CaseResult, new: CaseResult, pending: tuple[_Pending, _Pending, list],
          batch: SimilarityBatch, alpha: float, pairwise: PairwiseResult | None,
          design: SequentialDesign | None, test: tuple[CaseStatus, float],
          adjusted: tuple[float | None, float | None]) -> CaseComparison:
    """One case compared; ``test`` is its (status, p-value), ``adjusted`` its (Holm, BH) p-values."""
    base_p, cand_p, drift_pairs = pending
    base, cand = _side(old, base_p, batch), _side(new, cand_p, batch)
    status, p = test
    status, judge = judge_case(old.samples, new.samples, (base_p.valid, cand_p.valid), status, alpha, pairwise)
    rounds = paired_rounds(old.samples, new.samples, design.min_samples) if design is not None else None
    p_drop = (stratified_drop(rounds.strata) if rounds is not None
              else fisher_one_sided(base.passed, base.n, cand.passed, cand.n))
    return CaseComparison(
        case_id=old.case_id, status=status, p_value=p, tags=tuple(dict.fromkeys(old.tags + new.tags)),
        baseline=base, candidate=cand,
        drift=measure_drift([s.output for s in base_p.valid], [s.output for s in cand_p.valid], drift_pairs, batch),
        scores=_check_scores(base_p.valid, cand_p.valid), sampled=old.sampled or new.sampled,
        cluster=new.group or old.group or old.case_id, p_drop=p_drop, p_holm=adjusted[0], q_bh=adjusted[1],
        judge=judge, rounds=rounds,
        stopped_early=(rounds is not None and design is not None and (old.sampled or new.sampled)
                       and rounds.rounds < design.max_samples))


def _run_warnings(baseline: RunResult, candidate: RunResult) -> list[str]:
    warnings = []
    if baseline.info.suite_id != candidate.info.suite_id:
        warnings.append(f"comparing different suites ({baseline.info.suite_id} vs {candidate.info.suite_id})")
    for name, run in (("baseline", baseline), ("candidate", candidate)):
        if not run.complete:
            warnings.append(f"the {name} run did not complete; missing cases are not compared")
        if run.info.model_fingerprint.get("served"):
            warnings.append(f"the {name} model ({run.info.model_spec}) is served: "
                            + str(run.info.model_fingerprint.get("warning")
                                  or "a served model can change behind the same name"))
    old_ids, new_ids = {c.case_id for c in baseline.cases}, {c.case_id for c in candidate.cases}
    if old_ids - new_ids:
        warnings.append(f"{len(old_ids - new_ids)} case(s) missing from the candidate run: "
                        + ", ".join(sorted(old_ids - new_ids)[:10]))
    if new_ids - old_ids:
        warnings.append(f"{len(new_ids - old_ids)} case(s) only in the candidate run (not compared): "
                        + ", ".join(sorted(new_ids - old_ids)[:10]))
    return warnings
