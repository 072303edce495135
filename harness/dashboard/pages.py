"""View models of the dashboard pages that read the store: overview, trends, case history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlencode

from harness.dashboard.charts import LineChart, Sparkline, line_chart, series_colors, sparkline
from harness.dashboard.timeline import Timeline, build_timeline
from harness.store import ComparisonRow, ComparisonSuiteRow, Page, RunFilter, RunRow, Store, SuiteSummary
from harness.store.rows import CaseRunRow, CaseStatusRow

SeriesBy = Literal["model", "prompt"]
SPARK_RUNS = 20           # complete runs in an overview sparkline
RECENT_COMPARISONS = 20   # comparisons under the overview (all of them: /comparisons, paged)
TREND_RUNS = 500          # complete runs per page of /trends
CASE_RUNS = 200           # runs per page of /case


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
    comparisons: Page[ComparisonRow]
    choices: dict[str, list[str]]
    flt: RunFilter

    @property
    def query(self) -> str:
        """The filter as a query string (for links to other pages with the same filter)."""
        f = self.flt
        given = {"suite": f.suite_id, "tag": f.tag, "model": f.model, "prompt": f.prompt_version,
                 "since": f.since, "until": f.until}
        return urlencode({k: v for k, v in given.items() if v})


def overview(store: Store, flt: RunFilter) -> Overview:
    """One line per suite with its latest verdict and a pass-rate sparkline (aggregated in SQL over
    every matching run), and the newest comparisons of the suites shown."""
    lines = tuple(_suite_line(s, store.latest_comparison_suite(s.suite_id, flt)) for s in store.suite_summaries(
        flt, SPARK_RUNS))
    comps = store.comparison_page(1, RECENT_COMPARISONS, [line.suite_id for line in lines])
    return Overview(lines, comps, store.filter_values(), flt)


def _suite_line(summary: SuiteSummary, comp: ComparisonSuiteRow | None) -> SuiteLine:
    return SuiteLine(summary.suite_id, comp.verdict if comp else None, comp.comparison_id if comp else None,
                     summary.latest_run, summary.runs, summary.models, summary.prompt_versions,
                     sparkline(list(summary.recent)))


@dataclass(frozen=True)
class SuiteTrends:
    suite_id: str
    pass_rate: LineChart
    flaky_share: LineChart
    drift: LineChart


@dataclass(frozen=True)
class Trends:
    """The trend charts of one page of complete runs (newest first), and that page."""

    suites: tuple[SuiteTrends, ...]
    runs: Page[RunRow]


def trends(store: Store, flt: RunFilter, by: SeriesBy, page: int = 1, size: int = TREND_RUNS) -> Trends:
    """Per suite: pass rate, flaky share and drift over time, one series per model or prompt, for one
    page of complete runs (the newest ``size`` on page 1) and the comparisons made in its time span."""
    runs_page = store.run_page(replace(flt, status="complete"), page, size)
    runs = sorted(runs_page.items, key=lambda r: (r.started_at, r.run_id))
    counts = store.case_counts([r.run_id for r in runs])
    by_suite: dict[str, list[RunRow]] = defaultdict(list)
    for run in runs:
        by_suite[run.suite_id].append(run)
    start = runs[0].started_at if runs and runs_page.has_next else None   # older pages hold older comparisons
    end = runs[-1].started_at if runs and runs_page.has_previous else None
    drift_rows = {suite: store.comparison_suites_between(suite, flt, start, end) for suite in by_suite}
    colors = series_colors([r.model_spec if by == "model" else r.prompt_version for r in runs]
                           + [_drift_key(row, by) for rows in drift_rows.values() for row in rows])
    return Trends(tuple(_suite_trends(suite, suite_runs, counts, by, drift_rows[suite], colors)
                        for suite, suite_runs in sorted(by_suite.items())), runs_page)


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


def _suite_trends(suite: str, runs: list[RunRow], counts: dict[str, tuple[int, int]], by: SeriesBy,
                  drift_rows: list[ComparisonSuiteRow], colors: dict[str, str]) -> SuiteTrends:
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
    for row in drift_rows:
        if row.mean_drift is not None:
            drift[_drift_key(row, by)].append((row.created_at, row.mean_drift))
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
    runs: Page[CaseRunRow]


def case_page(store: Store, suite_id: str, case_id: str, page: int = 1, size: int = CASE_RUNS) -> CasePage:
    """One page of the case across runs (outcomes, flips, flaky periods; the newest ``size`` runs on
    page 1) and its status in the comparisons made in that page's time span."""
    runs = store.case_history_page(suite_id, case_id, page, size)
    rows = list(reversed(runs.items))  # oldest first
    start = rows[0].started_at if rows and runs.has_next else None
    end = rows[-1].started_at if rows and runs.has_previous else None
    statuses = store.case_statuses_between(suite_id, case_id, start, end)
    return CasePage(suite_id, case_id, build_timeline(rows), tuple(statuses), runs)
