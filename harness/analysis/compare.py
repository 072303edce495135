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
from harness.analysis.drift import Drift, DriftSummary, measure_drift, summarize_drift
from harness.analysis.judge_noise import CaseJudge, SuiteJudge, judge_case, self_judge_warnings, summarize_judges
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
class CheckDelta:
    """Mean per-case change of one numeric check, with a paired bootstrap CI."""

    check: str
    cases: int
    baseline_mean: float
    candidate_mean: float
    delta: float
    ci95: tuple[float, float]


@dataclass(frozen=True)
class Power:
    """What this comparison could detect."""

    cases: int
    samples: int
    alpha: float
    power: float
    min_detectable_drop: float     # suite pass-rate drop detectable at ``power``
    min_case_drop: float | None    # smallest per-case drop the status rule can flag
    text: str


@dataclass(frozen=True)
class SuiteStats:
    cases: int                     # compared cases (matched, scorable on both sides)
    pass_rate_delta: float
    ci95: tuple[float, float]
    mcnemar_p: float
    discordant: tuple[int, int]    # (baseline-only passes, candidate-only passes)
    status_counts: dict[str, int]
    flaky_share: float
    check_deltas: tuple[CheckDelta, ...]
    power: Power


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
    consistency_pairs: list[tuple[str, str]]
    paraphrase_pairs: list[list[tuple[str, str]]]


def _pending_side(case: CaseResult, batch: SimilarityBatch) -> _Pending:
    valid = tuple(s for s in case.samples if not is_errored(s))
    outputs = [s.output for s in valid]
    left = [outputs[i] for i in range(len(outputs)) for _ in range(i + 1, len(outputs))]
    right = [outputs[j] for i in range(len(outputs)) for j in range(i + 1, len(outputs))]
    para_pairs = []
    for samples in case.paraphrases:
        para_out = [s.output for s in samples if not is_errored(s)]
        m = min(len(para_out), len(outputs))
        para_pairs.append(batch.add(para_out[:m], outputs[:m]))
    return _Pending(valid, batch.add(left, right), para_pairs)


def _paraphrases(case: CaseResult, pending: _Pending, batch: SimilarityBatch) -> tuple[ParaphraseResult, ...]:
    main_rate = sum(s.passed for s in pending.valid) / len(pending.valid) if pending.valid else None
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
    return CaseSide(n=len(pending.valid), passed=sum(s.passed for s in pending.valid),
                    outputs=tuple(case.outputs), errors=_sample_errors(case.samples),
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


def _compared(cases: Sequence[CaseComparison]) -> list[CaseComparison]:
    return [c for c in cases if not c.errored]


def _check_deltas(cases: Sequence[CaseComparison], seed: int) -> tuple[CheckDelta, ...]:
    paired: dict[str, list[tuple[float, float]]] = {}
    for case in cases:
        for score in case.scores:
            if score.baseline_value is not None and score.candidate_value is not None:
                paired.setdefault(score.check, []).append((score.baseline_value, score.candidate_value))
    out = []
    for name, values in paired.items():
        diffs = [b - a for a, b in values]
        out.append(CheckDelta(check=name, cases=len(values), baseline_mean=fmean(a for a, _ in values),
                              candidate_mean=fmean(b for _, b in values), delta=fmean(diffs),
                              ci95=stats.bootstrap_mean_ci(diffs, seed=seed)))
    return tuple(out)


def _power(cases: Sequence[CaseComparison], alpha: float) -> Power:
    n = len(cases)
    k = min((min(c.baseline.n, c.candidate.n) for c in cases), default=0)
    pooled = [(c.baseline.passed + c.candidate.passed) / (c.baseline.n + c.candidate.n) for c in cases]
    noise = fmean(p * (1 - p) for p in pooled) if pooled else 0.25
    drop = stats.min_detectable_drop(n, max(k, 1), alpha=0.05, power=0.8, noise=noise)
    case_drop = stats.min_case_drop(k, alpha) if k else None
    text = (f"With {n} cases and {k} sample(s) per case, a suite pass-rate drop of {drop:.1%} or more "
            "would be detected with 80% power (95% CI).")
    if case_drop is not None:
        text += (f" A single case is flagged as a regression only when its pass rate drops by "
                 f"{case_drop:.0%} or more (alpha {alpha:g}).")
    return Power(cases=n, samples=k, alpha=alpha, power=0.8, min_detectable_drop=drop,
                 min_case_drop=case_drop, text=text)


def _suite_stats(cases: Sequence[CaseComparison], alpha: float, seed: int) -> SuiteStats:
    compared = _compared(cases)
    rates = [c.rates for c in compared]
    diffs = [new - old for old, new in rates]
    b = sum(old >= PASS_CUTOFF > new for old, new in rates)
    c_ = sum(new >= PASS_CUTOFF > old for old, new in rates)
    counts: dict[str, int] = {s.value: sum(c.status == s for c in cases) for s in CaseStatus}
    flaky = sum(c.status == CaseStatus.FLAKY for c in compared)
    return SuiteStats(cases=len(compared), pass_rate_delta=fmean(diffs) if diffs else 0.0,
                      ci95=stats.bootstrap_mean_ci(diffs, seed=seed), mcnemar_p=stats.mcnemar_exact(b, c_),
                      discordant=(b, c_), status_counts=counts,
                      flaky_share=flaky / len(compared) if compared else 0.0,
                      check_deltas=_check_deltas(compared, seed), power=_power(compared, alpha))


def _run_side(run: RunResult, cases: Sequence[CaseComparison], pick: Callable[[CaseComparison], float]) -> RunSide:
    compared = _compared(cases)
    return RunSide(model=run.info.model_spec, prompt_version=run.info.prompt_version,
                   pass_rate=fmean(pick(c) for c in compared) if compared else 0.0,
                   samples=run.info.samples, run_id=run.run_id, complete=run.complete,
                   model_fingerprint=dict(run.info.model_fingerprint))


# ---------------------------------------------------------------- entry point


def compare_runs(baseline: RunResult, candidate: RunResult, *, alpha: float = 0.05,
                 bootstrap_seed: int = 0, variable: Variable = "model",
                 embedding_model: str | None = DEFAULT_EMBEDDING_MODEL,
                 similarity: SimilarityFn | None = None,
                 pairwise: dict[str, PairwiseResult] | None = None) -> SuiteComparison:
    """Compare two runs of one suite case by case (cases matched by id).

    ``embedding_model=None`` skips semantic similarity (drift then uses ROUGE-L);
    ``similarity`` replaces the embedding function; ``pairwise``: judge-pairwise verdicts per case id.
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    fn = similarity or (default_similarity(embedding_model) if embedding_model else None)
    batch = SimilarityBatch(fn)
    new_by_id = {c.case_id: c for c in candidate.cases}
    matched = [(c, new_by_id[c.case_id]) for c in baseline.cases if c.case_id in new_by_id]
    pending = [_register(old, new, batch) for old, new in matched]
    warnings = [w for w in (batch.compute(),) if w]
    pairwise = pairwise or {}
    cases = tuple(_case(old, new, p, batch, alpha, pairwise.get(old.case_id))
                  for (old, new), p in zip(matched, pending))
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
        cases=cases, stats=_suite_stats(cases, alpha, bootstrap_seed),
        baseline_consistency=summarize_consistency([c.baseline for c in cases]),
        candidate_consistency=summarize_consistency([c.candidate for c in cases]),
        drift=summarize_drift([(c.case_id, c.drift) for c in cases], "similarity" if batch.fn else "rouge-l"),
        warnings=tuple(warnings), confounders=tuple(confounders),
        baseline_only=tuple(c.case_id for c in baseline.cases if c.case_id not in new_by_id),
        candidate_only=tuple(c.case_id for c in candidate.cases if c.case_id not in old_ids), judge=judge)


def _register(old: CaseResult, new: CaseResult, batch: SimilarityBatch) -> tuple[_Pending, _Pending, list]:
    base, cand = _pending_side(old, batch), _pending_side(new, batch)
    m = min(len(base.valid), len(cand.valid))
    drift_pairs = batch.add([s.output for s in base.valid[:m]], [s.output for s in cand.valid[:m]])
    return base, cand, drift_pairs


def _case(old: CaseResult, new: CaseResult, pending: tuple[_Pending, _Pending, list],
          batch: SimilarityBatch, alpha: float, pairwise: PairwiseResult | None = None) -> CaseComparison:
    base_p, cand_p, drift_pairs = pending
    base, cand = _side(old, base_p, batch), _side(new, cand_p, batch)
    status, p = stats.case_status(base.passed, base.n, cand.passed, cand.n, alpha)
    status, judge = judge_case(old.samples, new.samples, (base_p.valid, cand_p.valid), status, alpha, pairwise)
    return CaseComparison(
        case_id=old.case_id, status=status, p_value=p, tags=tuple(dict.fromkeys(old.tags + new.tags)),
        baseline=base, candidate=cand,
        drift=measure_drift([s.output for s in base_p.valid], [s.output for s in cand_p.valid], drift_pairs, batch),
        scores=_check_scores(base_p.valid, cand_p.valid), judge=judge)


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
