"""View models for a comparison report and a run report (pure; shared by dashboard and HTML file).

Input is the JSON of DESIGN.md; fields the view does not know are ignored, missing ones shown
as blanks, so reports from older or newer harness versions still render.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.dashboard.charts import BarChart, bar_chart
from harness.dashboard.diff import SideBySide, pair_outputs

STATUS_ORDER = ("regression", "improvement", "flaky", "stable_fail", "stable_pass")


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
    status: str
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


@dataclass(frozen=True)
class ComparisonView:
    verdict: str
    reasons: tuple[str, ...]
    suites: tuple[SuiteView, ...]
    comparison_id: str | None = None
    created_at: str | None = None


def comparison_view(report: Mapping[str, Any], *, comparison_id: str | None = None,
                    created_at: str | None = None,
                    run_ids: Mapping[str, tuple[str | None, str | None]] | None = None
                    ) -> ComparisonView:
    """Shape a comparison report for the templates."""
    suites = tuple(_suite_view(s, (run_ids or {}).get(str(s.get("id")), (None, None)))
                   for s in report.get("suites", []))
    return ComparisonView(str(report.get("verdict", "")),
                          tuple(fmt(r) for r in report.get("reasons", [])), suites,
                          comparison_id, created_at)


def _suite_view(suite: Mapping[str, Any], run_ids: tuple[str | None, str | None]) -> SuiteView:
    stats = suite.get("stats") or {}
    cases = sorted((_case_view(c) for c in suite.get("cases", [])), key=_case_order)
    deltas = [(c.id, (c.candidate_pass_rate or 0.0) - (c.baseline_pass_rate or 0.0))
              for c in cases]
    drifts = [(c.id, c.drift) for c in cases if c.drift is not None]
    return SuiteView(
        id=str(suite.get("id", "")), verdict=str(suite.get("verdict", "")),
        baseline=_side(suite.get("baseline") or {}, run_ids[0]),
        candidate=_side(suite.get("candidate") or {}, run_ids[1]),
        reasons=tuple(fmt(r) for r in suite.get("reasons", [])),
        warnings=tuple(fmt(w) for w in suite.get("warnings", [])),
        stats=flatten(_scalars(stats)),
        more=flatten({**{k: v for k, v in stats.items() if k not in _scalars(stats)},
                      **{k: suite[k] for k in _MORE if isinstance(suite.get(k), Mapping)}}),
        status_counts=_status_counts(cases), cases=tuple(cases),
        delta_chart=bar_chart("Pass-rate change per case (candidate - baseline)", deltas),
        drift_chart=bar_chart("Drift per case", drifts, symmetric=False, percent=False)
        if drifts else None)


_MORE = ("drift", "consistency", "unmatched")
_CASE_DETAILS = ("p_value", "drift_detail", "consistency", "samples")


def _case_view(case: Mapping[str, Any]) -> CaseView:
    errors = case.get("errors")
    errors = errors if isinstance(errors, Mapping) else {}
    return CaseView(
        id=str(case.get("id", "")), status=str(case.get("status", "")),
        tags=tuple(str(t) for t in case.get("tags", [])),
        baseline_pass_rate=_num(case.get("baseline_pass_rate")),
        candidate_pass_rate=_num(case.get("candidate_pass_rate")), drift=_num(case.get("drift")),
        scores=score_table(case.get("scores")),
        details=flatten({k: case[k] for k in _CASE_DETAILS if case.get(k) is not None}),
        baseline_errors=tuple(fmt(e) for e in errors.get("baseline", [])),
        candidate_errors=tuple(fmt(e) for e in errors.get("candidate", [])),
        pairs=tuple(pair_outputs([str(o) for o in case.get("baseline_outputs", [])],
                                 [str(o) for o in case.get("candidate_outputs", [])])))


def _case_order(case: CaseView) -> tuple[int, str]:
    rank = STATUS_ORDER.index(case.status) if case.status in STATUS_ORDER else len(STATUS_ORDER)
    return rank, case.id


def _status_counts(cases: list[CaseView]) -> tuple[tuple[str, int], ...]:
    counts = Counter(c.status for c in cases)
    known = [(s, counts[s]) for s in STATUS_ORDER if counts[s]]
    return tuple(known + [(s, n) for s, n in counts.items() if s not in STATUS_ORDER])


def _side(side: Mapping[str, Any], run_id: str | None) -> Side:
    return Side(str(side.get("model", "")), str(side.get("prompt_version", "")),
                _num(side.get("pass_rate")), run_id or side.get("run_id"),
                side.get("complete", True) is not False)


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


@dataclass(frozen=True)
class RunView:
    suites: tuple[RunSuiteView, ...]


_RUN_META = ("started_at", "finished_at", "samples")


def run_view(report: Mapping[str, Any]) -> RunView:
    """Shape a run report (``{"suites": [{"id", "model", "pass_rate", "cases"}]}``)."""
    return RunView(tuple(_run_suite(s) for s in report.get("suites", [])))


def _run_suite(suite: Mapping[str, Any]) -> RunSuiteView:
    cases = tuple(sorted((_run_case(c) for c in suite.get("cases", [])),
                         key=lambda c: (c.passed, c.id)))
    return RunSuiteView(
        id=str(suite.get("id", "")), model=str(suite.get("model", "")),
        prompt_version=str(suite.get("prompt_version", "")),
        pass_rate=_num(suite.get("pass_rate")), status=_run_status(suite),
        run_id=suite.get("run_id"),
        meta=tuple((k, fmt(suite[k])) for k in _RUN_META if suite.get(k) is not None),
        cases=cases,
        chart=bar_chart("Pass rate per case", [(c.id, c.pass_rate or 0.0) for c in cases],
                        symmetric=False))


def _run_case(case: Mapping[str, Any]) -> RunCaseView:
    return RunCaseView(
        id=str(case.get("id", "")), pass_rate=_num(case.get("pass_rate")),
        passed=bool(case.get("passed")), tags=tuple(str(t) for t in case.get("tags", [])),
        outputs=tuple(str(o) for o in case.get("outputs", [])),
        errors=tuple(str(e) for e in case.get("errors", [])),
        scores=score_table(case.get("scores")))


def _run_status(suite: Mapping[str, Any]) -> str:
    if suite.get("status"):
        return str(suite["status"])
    return "incomplete" if suite.get("complete") is False else "complete"


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


def score_table(scores: Any) -> Table:
    """Per-check scores as a table: the union of the checks' fields as columns."""
    if not isinstance(scores, Mapping) or not scores:
        return Table((), ())
    if not all(isinstance(v, Mapping) for v in scores.values()):
        return Table(("value",), tuple((str(k), (fmt(v),)) for k, v in scores.items()))
    columns = tuple(dict.fromkeys(str(c) for v in scores.values() for c in v))
    return Table(columns, tuple((str(k), tuple(fmt(v.get(c)) for c in columns))
                                for k, v in scores.items()))


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


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None
