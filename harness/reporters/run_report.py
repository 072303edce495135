"""Builds the run report model (``harness run --json``) from run results: one side, per suite and case."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from harness.analysis.consistency import suite_pass_at_k
from harness.analysis.report import RunCase, RunCheck, RunParaphrase, RunReport, RunSuite
from harness.types import CaseResult, RunResult, SampleResult, Score, case_pass_rate, case_passed, is_errored


def check_summary(samples: Sequence[SampleResult]) -> dict[str, RunCheck]:
    """The one per-check summary: pass rate over scorable samples, mean value, first failing reason."""
    grouped: dict[str, list[Score]] = defaultdict(list)
    for sample in samples:
        if is_errored(sample):
            continue
        for score in sample.scores:
            grouped[score.check].append(score)
    summary = {}
    for name, scores in grouped.items():
        values = [s.value for s in scores if s.value is not None]
        shown = next((s for s in scores if not s.passed), scores[0])
        summary[name] = RunCheck(type=scores[0].type, pass_rate=sum(s.passed for s in scores) / len(scores),
                                 mean=sum(values) / len(values) if values else None,
                                 threshold=scores[0].threshold, reason=shown.reason,
                                 verdicts=sorted({s.verdict for s in scores if s.verdict}))
    return summary


def case_report(case: CaseResult) -> RunCase:
    paraphrases = []
    for samples in case.paraphrases:
        if samples:
            ok = [s for s in samples if not is_errored(s)]
            paraphrases.append(RunParaphrase(outputs=[s.output for s in samples],
                                             pass_rate=case_pass_rate(sum(s.passed for s in ok), len(ok))))
    return RunCase(id=case.case_id, pass_rate=case.pass_rate, passed=case_passed(case.pass_rate),
                   n_samples=case.n, n_passed=case.n_passed, tags=list(case.tags), reference=case.reference,
                   outputs=case.outputs, errors=case.errors, scores=check_summary(case.samples),
                   paraphrases=paraphrases)


def check_pass_rates(result: RunResult) -> dict[str, float]:
    """Per check name: share of scorable samples that passed."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in result.cases:
        for sample in case.scorable:
            for score in sample.scores:
                totals[score.check][0] += score.passed
                totals[score.check][1] += 1
    return {name: p / n for name, (p, n) in totals.items() if n}


def run_suite_report(result: RunResult) -> RunSuite:
    info = result.info
    pass_at_k = None
    if info.samples > 1:
        sides = [(len(c.scorable), c.n_passed) for c in result.cases]
        pass_at_k = {str(k): v for k, v in suite_pass_at_k(sides).items()}
    return RunSuite(id=info.suite_id, model=info.model_spec, prompt_version=info.prompt_version,
                    pass_rate=result.pass_rate, complete=result.complete, run_id=result.run_id,
                    samples=info.samples, suite_hash=info.suite_hash, prompt_hash=info.prompt_hash,
                    model_fingerprint=info.model_fingerprint, params=info.params,
                    check_pass_rates=check_pass_rates(result), pass_at_k=pass_at_k,
                    cases=[case_report(c) for c in result.cases])


def run_report(results: Sequence[RunResult]) -> RunReport:
    return RunReport(suites=[run_suite_report(r) for r in results])
