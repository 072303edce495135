"""Builds the comparison report model (``harness.analysis.report``) from comparisons and the gate.

Floats are rounded to six decimals so that golden files are stable across platforms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from harness.analysis.compare import (
    CaseComparison,
    CheckScore,
    Consistency,
    ConsistencySummary,
    Drift,
    DriftSummary,
    ParaphraseResult,
    RunSide,
    SuiteComparison,
    SuiteStats,
)
from harness.analysis.evidence import DropDecision
from harness.analysis.gate import GateResult, SuiteVerdict
from harness.analysis.report import (
    CaseCheck,
    CaseConsistencyPair,
    CaseConsistencyReport,
    CaseReport,
    CheckDeltaReport,
    ComparisonReport,
    ConsistencySummaryReport,
    DecisionReport,
    Discordant,
    DriftDetail,
    DriftSummaryReport,
    Errors,
    MostDrifted,
    ParaphrasePair,
    ParaphraseReport,
    PerSide,
    PowerReport,
    SampleCount,
    SamplingReport,
    Side,
    SuiteConsistency,
    SuiteReport,
    SuiteStatsReport,
    Unmatched,
)
from harness.analysis.report_judge_build import case_judge_report, suite_judge_report
from harness.types import CaseStatus

DIGITS = 6
M = TypeVar("M", bound=BaseModel)


_FIELDS_SET: dict[type[BaseModel], set[str]] = {}
_set = object.__setattr__


def _new(model: type[M], **values: Any) -> M:
    """``model`` from values this module made (already of the field types): no validation pass.

    Every field is given, in declaration order (checked on a class's first use; the count on every use),
    so the instance is what ``model_construct`` would make, without its per-field alias and default lookups
    (100,000 cases make over a million of these). The report models are frozen: pydantic never adds to the
    fields set of a frozen instance (``model_copy`` copies it first), so the instances of a class share one.
    """
    fields_set = _FIELDS_SET.get(model)
    if fields_set is None:
        if list(values) != list(model.model_fields):
            raise TypeError(f"{model.__name__}: give every field in declaration order, got {list(values)}")
        fields_set = _FIELDS_SET[model] = set(values)
    elif len(values) != len(fields_set):
        raise TypeError(f"{model.__name__}: give every field in declaration order, got {list(values)}")
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", fields_set)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def build_report(comparisons: Sequence[SuiteComparison], gate: GateResult) -> ComparisonReport:
    """The whole report: overall verdict, the reasons that decided it, one object per suite."""
    suites = [suite_report(comparison, gate.suites[i] if i < len(gate.suites) else None)
              for i, comparison in enumerate(comparisons)]
    return ComparisonReport(verdict=gate.verdict, reasons=[str(r) for r in gate.reasons], suites=suites)


def suite_report(comp: SuiteComparison, verdict: SuiteVerdict | None) -> SuiteReport:
    """One suite of the report, with its gate verdict when there is one."""
    return SuiteReport(
        id=comp.suite_id, verdict=verdict.verdict if verdict else None,
        reasons=[str(r) for r in verdict.reasons] if verdict else [],
        decision=_decision(verdict.decision) if verdict and verdict.decision else None,
        sampling=sampling_report(comp), variable=comp.variable, alpha=comp.alpha,
        baseline=_run_side(comp.baseline), candidate=_run_side(comp.candidate), stats=_stats(comp.stats),
        consistency=SuiteConsistency(baseline=_consistency_summary(comp.baseline_consistency),
                                     candidate=_consistency_summary(comp.candidate_consistency),
                                     flaky_share=_r(comp.stats.flaky_share)),
        drift=_drift_summary(comp.drift), warnings=list(comp.warnings), confounders=list(comp.confounders),
        unmatched=Unmatched(baseline_only=list(comp.baseline_only), candidate_only=list(comp.candidate_only)),
        cases=[_case(c) for c in comp.cases], judge=suite_judge_report(comp.judge))


_WHY = {"efficacy": "efficacy: a fail-level rule is demonstrated at this look's level",
        "futility": "futility: no fail-level rule could plausibly fail by --max-samples (this early stop "
                    "shows no FAIL, not non-inferiority at the whole alpha)",
        "settled": "every case settled", "max": "--max-samples reached"}


def sampling_report(comp: SuiteComparison, listed: int = 20) -> SamplingReport | None:
    """--samples auto: samples drawn against fixed K, where and why the rounds stopped, and the cases
    stopped early with their rounds."""
    design = comp.design
    if design is None:
        return None
    rounds = {c.case_id: c.rounds.rounds for c in comp.cases if c.rounds is not None}
    early = [c for c in comp.cases if c.stopped_early]
    settled = [c for c in early if (c.baseline.passed, c.candidate.passed) in ((0, 0), (c.baseline.n, c.candidate.n))]
    drawn = sum(rounds.values()) * 2
    fixed = len(rounds) * design.max_samples * 2
    stop = comp.stop
    names = ", ".join(f"{c.case_id} ({rounds[c.case_id]})" for c in early[:listed])
    more = f" and {len(early) - listed} more" if len(early) > listed else ""
    text = (f"Adaptive sampling ({design.min_samples} to {design.max_samples} rounds per case): "
            + (f"stopped at round {stop.round} ({_WHY[stop.reason]}; gated at {stop.share:.1%} of the suite's "
               "alpha); " if stop is not None else "")
            + f"{len(settled)} of {len(rounds)} case(s) settled early; {drawn} of {fixed} generations "
            f"({drawn / fixed:.0%})" if fixed else "Adaptive sampling: no case sampled")
    text += f". Stopped early (rounds): {names}{more}" if early else ""
    return SamplingReport(min_samples=design.min_samples, max_samples=design.max_samples,
                          rounds=max(rounds.values(), default=0), cases=len(rounds), stopped_early=len(early),
                          settled=len(settled), stop_round=stop.round if stop else max(rounds.values(), default=0),
                          stop_reason=stop.reason if stop else "", alpha_share=_r(stop.share) if stop else 1.0,
                          generations=drawn, fixed_generations=fixed, text=text)


def _decision(d: DropDecision) -> DecisionReport:
    need = d.requirement
    return DecisionReport(result=d.decision.value, allowed_drop=d.allowed, alpha=_r(d.alpha), lower=_r(d.lower),
                          upper=_r(d.upper), cases_needed=need.cases if need else None,
                          samples_needed=need.samples if need else None, text=need.text if need else "")


def _r(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if value.is_integer() else round(value, DIGITS)  # a whole number rounds to itself (fast)


def _ks(values: dict[int, float]) -> dict[str, float | None]:
    return {str(k): _r(v) for k, v in values.items()}


def _ci(ci: Sequence[float | None]) -> list[float | None]:
    return [_r(ci[0]), _r(ci[1])]


def _run_side(side: RunSide) -> Side:
    return Side(model=side.model, prompt_version=side.prompt_version, pass_rate=round(side.pass_rate, DIGITS),
                samples=side.samples, run_id=side.run_id, complete=side.complete,
                model_fingerprint=dict(side.model_fingerprint))


def _stats(s: SuiteStats) -> SuiteStatsReport:
    p = s.power
    return SuiteStatsReport(
        pass_rate_delta=_r(s.pass_rate_delta), ci95=_ci(s.ci95), paired_p=_r(s.paired_p), clusters=s.clusters,
        mcnemar_p=_r(s.mcnemar_p), cases=s.cases,
        discordant=Discordant(baseline_only_pass=s.discordant[0], candidate_only_pass=s.discordant[1]),
        status_counts={CaseStatus(k): n for k, n in s.status_counts.items()}, flaky_share=_r(s.flaky_share),
        check_deltas={d.check: CheckDeltaReport(cases=d.cases, baseline_mean=_r(d.baseline_mean),
                                                candidate_mean=_r(d.candidate_mean), delta=_r(d.delta),
                                                ci95=_ci(d.ci95)) for d in s.check_deltas},
        power=PowerReport(cases=p.cases, samples=p.samples, alpha=p.alpha, power=p.power,
                          min_detectable_drop=_r(p.min_detectable_drop), min_case_drop=_r(p.min_case_drop),
                          text=p.text))


def _consistency_summary(c: ConsistencySummary) -> ConsistencySummaryReport:
    return ConsistencySummaryReport(
        mean_agreement=_r(c.mean_agreement), mean_pairwise_similarity=_r(c.mean_pairwise_similarity),
        pass_at_k=_ks(c.pass_at_k), pass_hat_k=_ks(c.pass_hat_k),
        paraphrase_pass_agreement=_r(c.paraphrase_pass_agreement), paraphrase_similarity=_r(c.paraphrase_similarity))


def _drift_summary(d: DriftSummary) -> DriftSummaryReport:
    return DriftSummaryReport(
        basis=d.basis, mean=_r(d.mean), quantiles={k: _r(v) for k, v in d.quantiles.items()},
        most_drifted=[MostDrifted(id=cid, drift=_r(v)) for cid, v in d.most_drifted],
        refusal_increases=list(d.refusal_increases), refusal_decreases=list(d.refusal_decreases),
        json_validity_losses=list(d.json_validity_losses), json_validity_gains=list(d.json_validity_gains))


def _case(c: CaseComparison) -> CaseReport:
    # One report entry per case (100,000 in a large suite): built without re-validating values this
    # module made itself (tests/analysis check that each equals its validated form).
    base, cand = c.baseline, c.candidate
    return _new(CaseReport, 
        id=c.case_id, status=c.status, baseline_pass_rate=_r(c.baseline_pass_rate),
        candidate_pass_rate=_r(c.candidate_pass_rate), drift=_r(c.drift.value),
        scores={s.check: _check(s) for s in c.scores},
        baseline_outputs=list(base.outputs), candidate_outputs=list(cand.outputs), tags=list(c.tags),
        p_value=_r(c.p_value), p_drop=_r(c.p_drop), p_holm=_r(c.p_holm), q_bh=_r(c.q_bh), sampled=c.sampled,
        cluster=c.cluster or c.case_id,
        samples=_new(PerSide, baseline=_new(SampleCount, n=base.n, passed=base.passed),
                        candidate=_new(SampleCount, n=cand.n, passed=cand.passed),
                        rounds=c.rounds.rounds if c.rounds else None,
                        stopped_early=c.stopped_early if c.rounds else None,
                        discordant_rounds=list(c.rounds.discordant) if c.rounds else None),
        errors=_new(Errors, baseline=list(base.errors), candidate=list(cand.errors)), drift_detail=_drift(c.drift),
        consistency=_new(CaseConsistencyPair, baseline=_consistency(base.consistency),
                                        candidate=_consistency(cand.consistency)),
        paraphrases=_new(ParaphrasePair, baseline=[_paraphrase(p) for p in base.paraphrases],
                                   candidate=[_paraphrase(p) for p in cand.paraphrases]),
        judge=case_judge_report(c.judge))


def _check(s: CheckScore) -> CaseCheck:
    return _new(CaseCheck, type=s.type, baseline_pass_rate=_r(s.baseline_pass_rate),
                     candidate_pass_rate=_r(s.candidate_pass_rate), baseline_value=_r(s.baseline_value),
                     candidate_value=_r(s.candidate_value), baseline_reason=s.baseline_reason,
                     candidate_reason=s.candidate_reason)


def _drift(d: Drift) -> DriftDetail:
    return _new(DriftDetail, similarity=_r(d.similarity), rouge_l=_r(d.rouge_l), length_delta=_r(d.length_delta),
                       length_ratio=_r(d.length_ratio), json_valid_baseline=_r(d.json_valid_baseline),
                       json_valid_candidate=_r(d.json_valid_candidate), refusal_baseline=_r(d.refusal_baseline),
                       refusal_candidate=_r(d.refusal_candidate))


def _consistency(c: Consistency) -> CaseConsistencyReport:
    return _new(CaseConsistencyReport, agreement=_r(c.agreement), distinct_answers=c.distinct_answers,
                                 mean_pairwise_similarity=_r(c.mean_pairwise_similarity),
                                 pass_at_k=_ks(c.pass_at_k), pass_hat_k=_ks(c.pass_hat_k))


def _paraphrase(p: ParaphraseResult) -> ParaphraseReport:
    return _new(ParaphraseReport, index=p.index, n=p.n, passed=p.passed, pass_rate=_r(p.pass_rate),
                            pass_agreement=_r(p.pass_agreement), similarity=_r(p.similarity),
                            outputs=list(p.outputs))
