"""View models for a comparison report and a run report (pure; shared by dashboard and HTML file).

Input is the report models of ``harness.analysis.report`` (docs/report-format.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.analysis.report import (
    CaseReport,
    ComparisonReport,
    RunCase,
    RunReport,
    RunSuite,
    SuiteReport,
)
from harness.analysis.report import Side as ReportSide
from harness.analysis.report_judge import judge_line
from harness.dashboard.charts import BarChart, bar_chart
from harness.dashboard.diff import SideBySide, pair_outputs
from harness.types import CaseStatus


@dataclass(frozen=True)
class Row:
    """One line of a key/value table; ``numeric`` right-aligns it."""

    key: str
    text: str
    numeric: bool


@dataclass(frozen=True)
class Table:
    """Per-check scores: one row per check, one column per field."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Side:
    model: str
    prompt_version: str
    pass_rate: float | None
    run_id: str | None
    complete: bool


@dataclass(frozen=True)
class CaseView:
    id: str
    status: CaseStatus
    tags: tuple[str, ...]
    baseline_pass_rate: float | None
    candidate_pass_rate: float | None
    drift: float | None
    scores: Table
    details: tuple[Row, ...]
    baseline_errors: tuple[str, ...]
    candidate_errors: tuple[str, ...]
    pairs: tuple[SideBySide, ...]


@dataclass(frozen=True)
class SuiteView:
    id: str
    verdict: str
    baseline: Side
    candidate: Side
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    stats: tuple[Row, ...]
    more: tuple[Row, ...]
    status_counts: tuple[tuple[str, int], ...]
    cases: tuple[CaseView, ...]
    delta_chart: BarChart
    drift_chart: BarChart | None
    decision: str = ""                 # the pass-rate rule's answer in words
    judge: str | None = None  # judge agreement, position bias, verdicts decided by judge noise
    sampling: str = ""                 # --samples auto: samples drawn, cases stopped early
    case_total: int = 0                # every case of the suite (``cases`` may be one page of them)


@dataclass(frozen=True)
class ComparisonView:
    verdict: str
    reasons: tuple[str, ...]
    suites: tuple[SuiteView, ...]
    comparison_id: str | None = None
    created_at: str | None = None


def comparison_view(report: ComparisonReport, *, comparison_id: str | None = None,
                    created_at: str | None = None,
                    run_ids: Mapping[str, tuple[str | None, str | None]] | None = None,
                    status_counts: Mapping[str, Mapping[str, int]] | None = None) -> ComparisonView:
    """Shape a comparison report for the templates. With ``status_counts`` (suite id -> status -> cases,
    over every case) the report's suites hold one page of their cases: the counts come from
    ``status_counts``, the case table, outputs and per-case charts from the page."""
    suites = tuple(_suite_view(s, (run_ids or {}).get(s.id, (None, None)),
                               None if status_counts is None else status_counts.get(s.id, {}))
                   for s in report.suites)
    return ComparisonView(report.verdict, tuple(report.reasons), suites, comparison_id, created_at)


def _suite_view(suite: SuiteReport, run_ids: tuple[str | None, str | None],
                counts: Mapping[str, int] | None) -> SuiteView:
    stats = suite.stats.model_dump(mode="json")
    cases = sorted((_case_view(c) for c in suite.cases), key=_case_order)
    status_counts = _status_counts(Counter(c.status.value for c in cases) if counts is None else counts)
    case_total = sum(n for _, n in status_counts)
    on_page = ", cases on this page" if case_total > len(cases) else ""
    deltas = [(c.id, (c.candidate_pass_rate or 0.0) - (c.baseline_pass_rate or 0.0)) for c in cases]
    drifts = [(c.id, c.drift) for c in cases if c.drift is not None]
    scalars = _scalars(stats)
    more = {**{k: v for k, v in stats.items() if k not in scalars},
            **suite.model_dump(mode="json", include=set(_MORE), exclude={"judge"} if suite.judge is None else set())}
    return SuiteView(
        id=suite.id, verdict=suite.verdict or "",
        baseline=_side(suite.baseline, run_ids[0]), candidate=_side(suite.candidate, run_ids[1]),
        reasons=tuple(suite.reasons), warnings=tuple(suite.warnings),
        stats=flatten(scalars), more=flatten(more),
        status_counts=status_counts, cases=tuple(cases),
        delta_chart=bar_chart(f"Pass-rate change per case (candidate - baseline){on_page}", deltas),
        drift_chart=bar_chart(f"Drift per case{on_page}", drifts, symmetric=False, percent=False)
        if drifts else None, decision=suite.decision.summary() if suite.decision else "",
        judge=judge_line(suite.judge) if suite.judge else None,
        sampling=suite.sampling.text if suite.sampling else "", case_total=case_total)


_MORE = ("drift", "consistency", "unmatched", "judge")
_CASE_DETAILS = {"p_value", "p_drop", "p_holm", "q_bh", "sampled", "cluster", "drift_detail", "consistency",
                 "samples", "judge"}


def _case_view(case: CaseReport) -> CaseView:
    return CaseView(
        id=case.id, status=case.status, tags=tuple(case.tags),
        baseline_pass_rate=case.baseline_pass_rate, candidate_pass_rate=case.candidate_pass_rate,
        drift=case.drift,
        scores=score_table({name: check.model_dump(mode="json") for name, check in case.scores.items()}),
        details=flatten(case.model_dump(mode="json", include=_CASE_DETAILS, exclude_none=True)),
        baseline_errors=tuple(case.errors.baseline), candidate_errors=tuple(case.errors.candidate),
        pairs=tuple(pair_outputs(list(case.baseline_outputs), list(case.candidate_outputs))))


def _case_order(case: CaseView) -> tuple[int, str]:
    return list(CaseStatus).index(case.status), case.id


def _status_counts(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """(status, cases) in the order of ``CaseStatus`` (what needs attention first), zeros left out."""
    return tuple((status.value, counts[status.value]) for status in CaseStatus if counts.get(status.value))


def _side(side: ReportSide, run_id: str | None) -> Side:
    return Side(side.model, side.prompt_version, side.pass_rate, run_id or side.run_id, side.complete)


@dataclass(frozen=True)
class RunCaseView:
    id: str
    pass_rate: float | None
    passed: bool
    tags: tuple[str, ...]
    outputs: tuple[str, ...]
    errors: tuple[str, ...]
    scores: Table


@dataclass(frozen=True)
class RunSuiteView:
    id: str
    model: str
    prompt_version: str
    pass_rate: float | None
    status: str
    run_id: str | None
    meta: tuple[tuple[str, str], ...]
    cases: tuple[RunCaseView, ...]
    chart: BarChart
    counts: tuple[tuple[str, int], ...] = ()  # ("fail", cases), ("pass", cases) over every case, zeros left out
    case_total: int = 0                       # every case of the suite (``cases`` may be one page of them)


@dataclass(frozen=True)
class RunView:
    suites: tuple[RunSuiteView, ...]


def run_view(report: RunReport, counts: Mapping[str, int] | None = None) -> RunView:
    """Shape a run report for the templates. With ``counts`` ("fail"/"pass" -> cases, over every case) the
    report's one suite holds one page of its cases: the counts come from ``counts``, the case table,
    outputs and the per-case chart from the page."""
    return RunView(tuple(_run_suite(s, counts) for s in report.suites))


def _run_suite(suite: RunSuite, counts: Mapping[str, int] | None) -> RunSuiteView:
    cases = tuple(sorted((_run_case(c) for c in suite.cases), key=lambda c: (c.passed, c.id)))
    if counts is None:
        counts = Counter("pass" if c.passed else "fail" for c in cases)
    case_total = sum(counts.values())
    on_page = ", cases on this page" if case_total > len(cases) else ""
    meta = (("started_at", suite.started_at), ("finished_at", suite.finished_at), ("samples", suite.samples))
    status = suite.status or ("complete" if suite.complete else "incomplete")
    return RunSuiteView(
        id=suite.id, model=suite.model, prompt_version=suite.prompt_version, pass_rate=suite.pass_rate,
        status=status, run_id=suite.run_id,
        meta=tuple((k, fmt(v)) for k, v in meta if v is not None), cases=cases,
        chart=bar_chart(f"Pass rate per case{on_page}", [(c.id, c.pass_rate or 0.0) for c in cases],
                        symmetric=False),
        counts=tuple((k, counts[k]) for k in ("fail", "pass") if counts.get(k)), case_total=case_total)


def _run_case(case: RunCase) -> RunCaseView:
    return RunCaseView(
        id=case.id, pass_rate=case.pass_rate, passed=case.passed, tags=tuple(case.tags),
        outputs=tuple(case.outputs), errors=tuple(case.errors),
        scores=score_table({name: check.model_dump(mode="json") for name, check in case.scores.items()}))


def flatten(values: Mapping[str, Any], prefix: str = "", depth: int = 2) -> tuple[Row, ...]:
    """Nested mappings as ``a · b`` rows (two levels deep); deeper values as text."""
    rows: list[Row] = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth > 0:
            rows.extend(flatten(value, f"{name} · ", depth - 1))
        else:
            rows.append(Row(name, fmt(value), _is_numeric(value)))
    return tuple(rows)


def score_table(scores: Mapping[str, Mapping[str, Any]]) -> Table:
    """Per-check scores (each check's fields as JSON) as a table: one column per field."""
    if not scores:
        return Table((), ())
    columns = tuple(dict.fromkeys(c for fields in scores.values() for c in fields))
    return Table(columns, tuple((name, tuple(fmt(fields[c]) if c in fields else "—" for c in columns))
                                for name, fields in scores.items()))


def _scalars(values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries that fit one table cell: numbers, strings, short number lists."""
    return {k: v for k, v in values.items()
            if not isinstance(v, Mapping) and not (isinstance(v, str) and len(v) > 80)}


def _is_numeric(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_numeric(v) for v in value)
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def fmt(value: Any) -> str:
    """A short, readable text for any JSON value (numbers to 3 decimals)."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
        return "[" + ", ".join(fmt(float(v)) for v in value) + "]"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {fmt(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, default=str)
