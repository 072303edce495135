"""Builds the run report model (``harness run --json``) from run results: one side, per suite and case."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from harness.analysis.check_summary import summarize_checks
from harness.analysis.consistency import suite_pass_at_k
from harness.analysis.report import RunCase, RunCheck, RunParaphrase, RunReport, RunSuite
from harness.types import (
    CaseResult,
    RunResult,
    SampleResult,
    case_pass_rate,
    case_passed,
    is_errored,
)


def check_summary(samples: Sequence[SampleResult]) -> dict[str, RunCheck]:
    """The run report's ``scores``: :func:`summarize_checks` as report models."""
    return {name: RunCheck(type=c.type, pass_rate=c.pass_rate, mean=c.mean, threshold=c.threshold,
                           reason=c.reason, verdicts=list(c.verdicts))
            for name, c in summarize_checks(samples).items()}


def case_report(case: CaseResult) -> RunCase:
    """One case of a run report."""
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
