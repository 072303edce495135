"""View models of the dashboard pages that read the store: overview, trends, case history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from harness.dashboard.charts import LineChart, Sparkline, line_chart, series_colors, sparkline
from harness.dashboard.timeline import Timeline, build_timeline
from harness.store import ComparisonRow, ComparisonSuiteRow, RunFilter, RunRow, Store
from harness.store.rows import CaseStatusRow

SeriesBy = Literal["model", "prompt"]
SPARK_RUNS = 20


@dataclass(frozen=True)
class SuiteLine:
    suite_id: str
    verdict: str | None
    comparison_id: str | None
    latest_run: RunRow
    runs: int
    models: tuple[str, ...]
    prompt_versions: tuple[str, ...]
    spark: Sparkline


@dataclass(frozen=True)
class Overview:
    lines: tuple[SuiteLine, ...]
    comparisons: tuple[ComparisonRow, ...]
    choices: dict[str, list[str]]
    flt: RunFilter


def overview(store: Store, flt: RunFilter) -> Overview:
    """One line per suite with its latest verdict and a pass-rate sparkline."""
    by_suite: dict[str, list[RunRow]] = defaultdict(list)
    for run in store.runs(flt):
        by_suite[run.suite_id].append(run)
    latest = _latest_comparisons(store, flt)
    lines = tuple(_suite_line(suite, runs, latest.get(suite))
                  for suite, runs in sorted(by_suite.items()))
    shown = {line.suite_id for line in lines}
    comps = tuple(c for c in store.comparisons(limit=50) if shown & set(c.suite_ids))
    return Overview(lines, comps, store.filter_values(), flt)


def _suite_line(suite: str, runs: list[RunRow], comp: ComparisonSuiteRow | None) -> SuiteLine:
    done = [(r.started_at, r.pass_rate) for r in runs
            if r.status == "complete" and r.pass_rate is not None][-SPARK_RUNS:]
    return SuiteLine(suite, comp.verdict if comp else None, comp.comparison_id if comp else None,
                     runs[-1], len(runs), tuple(sorted({r.model_spec for r in runs})),
                     tuple(sorted({r.prompt_version for r in runs})),
                     sparkline([(t, float(v)) for t, v in done]))


def _latest_comparisons(store: Store, flt: RunFilter) -> dict[str, ComparisonSuiteRow]:
    latest: dict[str, ComparisonSuiteRow] = {}
    for row in store.comparison_suites(flt.suite_id):  # oldest first: the last one wins
        if _comparison_matches(row, flt):
            latest[row.suite_id] = row
    return latest


def _comparison_matches(row: ComparisonSuiteRow, flt: RunFilter) -> bool:
    if flt.model and flt.model not in (row.baseline_model, row.candidate_model):
        return False
    versions = (row.baseline_prompt_version, row.candidate_prompt_version)
    if flt.prompt_version and flt.prompt_version not in versions:
        return False
    if flt.since and row.created_at < flt.since:
        return False
    return not (flt.until and row.created_at[:len(flt.until)] > flt.until)


@dataclass(frozen=True)
class SuiteTrends:
    suite_id: str
    pass_rate: LineChart
    flaky_share: LineChart
    drift: LineChart


def trends(store: Store, flt: RunFilter, by: SeriesBy) -> tuple[SuiteTrends, ...]:
    """Per suite: pass rate, flaky share and drift over time, one series per model or prompt."""
    runs = [r for r in store.runs(flt) if r.status == "complete"]
    counts = store.case_counts([r.run_id for r in runs])
    by_suite: dict[str, list[RunRow]] = defaultdict(list)
    for run in runs:
        by_suite[run.suite_id].append(run)
    colors = series_colors([r.model_spec if by == "model" else r.prompt_version for r in runs]
                           + [_drift_key(row, by) for row in store.comparison_suites()])
    return tuple(_suite_trends(store, suite, suite_runs, counts, by, flt, colors)
                 for suite, suite_runs in sorted(by_suite.items()))


def _drift_key(row: ComparisonSuiteRow, by: SeriesBy) -> str:
    return (row.candidate_model if by == "model" else row.candidate_prompt_version) or "?"


def version_changes(runs: list[RunRow]) -> list[tuple[str, str]]:
    """(time, label) of each run whose suite content differs from the run before it (oldest first)."""
    changes, previous, version = [], None, 1
    for run in sorted(runs, key=lambda r: r.started_at):
        if previous is not None and run.suite_hash != previous:
            version += 1
            changes.append((run.started_at, f"suite v{version} ({run.suite_hash.split(':')[-1][:7]})"))
        previous = run.suite_hash
    return changes


def _suite_trends(store: Store, suite: str, runs: list[RunRow],
                  counts: dict[str, tuple[int, int]], by: SeriesBy,
                  flt: RunFilter, colors: dict[str, str]) -> SuiteTrends:
    passing: dict[str, list[tuple[str, float]]] = defaultdict(list)
    flaky: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for run in runs:
        key = run.model_spec if by == "model" else run.prompt_version
        if run.pass_rate is not None:
            passing[key].append((run.started_at, run.pass_rate))
        n, bad = counts.get(run.run_id, (0, 0))
        if n:
            flaky[key].append((run.started_at, bad / n))
    drift: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for row in store.comparison_suites(suite):
        key = _drift_key(row, by)
        if row.mean_drift is not None and _comparison_matches(row, flt):
            drift[key].append((row.created_at, row.mean_drift))
    changes = version_changes(runs)
    return SuiteTrends(suite, line_chart("Pass rate", passing, colors=colors, changes=changes),
                       line_chart("Flaky share (cases whose samples disagree)", flaky, colors=colors,
                                  changes=changes),
                       line_chart("Mean drift against the baseline", drift, percent=False,
                                  y_max=0.1, colors=colors))


@dataclass(frozen=True)
class CasePage:
    suite_id: str
    case_id: str
    timeline: Timeline
    statuses: tuple[CaseStatusRow, ...]


def case_page(store: Store, suite_id: str, case_id: str) -> CasePage:
    """The case across runs (outcomes, flips, flaky periods) and comparisons (statuses)."""
    return CasePage(suite_id, case_id, build_timeline(store.case_history(suite_id, case_id)),
                    tuple(store.case_statuses(suite_id, case_id)))
