"""A stored run as the run report model of ``harness run`` (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from harness.analysis.report import RunCase, RunReport, RunSuite
from harness.reporters.run_report import check_summary
from harness.store.rows import ResultRow, RunRow
from harness.types import SampleResult, Score, case_pass_rate, case_passed, is_errored


def build_run_report(run: RunRow, results: list[ResultRow], tags: dict[str, list[str]],
                     order: Sequence[str] | None = None) -> RunReport:
    """One stored run (or the cases of it that ``results`` hold) as a :class:`RunReport` with one suite;
    its cases in the order of ``results``, or of ``order`` (case ids) when given.

    The numbers are defined as in ``harness run``: errored samples are left out of pass rates,
    a case ``passed`` at ``PASS_CUTOFF``, ``scores`` is the shared per-check summary.
    """
    by_case: dict[str, list[SampleResult]] = defaultdict(list)
    for row in results:
        if row.variant == "main":
            by_case[row.case_id].append(sample_of(row))
    ids = list(by_case) if order is None else [case_id for case_id in order if case_id in by_case]
    cases = [_case(case_id, by_case[case_id], tags.get(case_id, [])) for case_id in ids]
    suite = RunSuite(id=run.suite_id, model=run.model_spec, prompt_version=run.prompt_version,
                     pass_rate=run.pass_rate, run_id=run.run_id, status=run.status,
                     complete=run.status == "complete", started_at=run.started_at,
                     finished_at=run.finished_at, samples=run.samples, cases=cases)
    return RunReport(suites=[suite])


def sample_of(row: ResultRow) -> SampleResult:
    """A stored result row as the sample it was recorded from."""
    return SampleResult(sample=row.sample, output=row.output, passed=row.passed, error=row.error,
                        scores=tuple(Score(**{**score, "judgments": tuple(score.get("judgments", ()))})
                                     for score in row.scores), variant=row.variant)


def _case(case_id: str, samples: list[SampleResult], tags: list[str]) -> RunCase:
    samples = sorted(samples, key=lambda s: s.sample)
    scorable = [s for s in samples if not is_errored(s)]
    n_passed = sum(s.passed for s in scorable)
    pass_rate = case_pass_rate(n_passed, len(scorable))
    return RunCase(id=case_id, pass_rate=pass_rate, passed=case_passed(pass_rate), n_samples=len(samples),
                   n_passed=n_passed, tags=tags, outputs=[s.output for s in samples],
                   errors=[s.error for s in samples if s.error], scores=check_summary(samples))
