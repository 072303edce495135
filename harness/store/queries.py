"""Read queries for the dashboard and the reports. Each takes an open connection."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from harness.store import schema
from harness.store.rows import (
    CaseRunRow,
    CaseStatusRow,
    ComparisonRow,
    ComparisonSuiteRow,
    ResultRow,
    RunFilter,
    RunRow,
)

_R, _RC, _CS, _CC = schema.runs, schema.run_cases, schema.comparison_suites, schema.comparison_cases


def list_runs(conn: sa.Connection, flt: RunFilter) -> list[RunRow]:
    """Runs matching ``flt``, oldest first (the newest ``flt.limit``)."""
    query = sa.select(_R)
    query = filter_runs(query, flt)
    query = query.order_by(_R.c.started_at.desc(), _R.c.run_id.desc()).limit(flt.limit)
    return [RunRow(**row._mapping) for row in reversed(conn.execute(query).all())]


def filter_runs(query: sa.Select[Any], flt: RunFilter) -> sa.Select[Any]:
    if flt.suite_id:
        query = query.where(_R.c.suite_id == flt.suite_id)
    if flt.model:
        query = query.where(_R.c.model_spec == flt.model)
    if flt.prompt_version:
        query = query.where(_R.c.prompt_version == flt.prompt_version)
    if flt.status:
        query = query.where(_R.c.status == flt.status)
    if flt.since:
        query = query.where(_R.c.started_at >= flt.since)
    if flt.until:
        query = query.where(_R.c.started_at < day_after(flt.until))
    if flt.tag:
        tagged = sa.select(schema.case_tags.c.suite_id).where(schema.case_tags.c.tag == flt.tag)
        query = query.where(_R.c.suite_id.in_(tagged))
    return query


def day_after(prefix: str) -> str:
    """An upper bound that includes every timestamp starting with ``prefix``."""
    return prefix + "\uffff"


def get_run(conn: sa.Connection, run_id: str) -> RunRow | None:
    row = conn.execute(sa.select(_R).where(_R.c.run_id == run_id)).first()
    return RunRow(**row._mapping) if row else None


def run_results(conn: sa.Connection, run_id: str, case_ids: list[str] | None = None) -> list[ResultRow]:
    """Every (case, variant, sample) of a run (of its cases ``case_ids`` when given), in case order."""
    res = schema.results
    query = sa.select(res).where(res.c.run_id == run_id).order_by(
        res.c.case_id, res.c.variant, res.c.sample)
    if case_ids is not None:
        query = query.where(res.c.case_id.in_(case_ids))
    return [ResultRow(**row._mapping) for row in conn.execute(query)]


def run_case_counts(conn: sa.Connection, run_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Per run: (number of cases, number of inconsistent cases)."""
    if not run_ids:
        return {}
    inconsistent = sa.func.sum(sa.case((_RC.c.consistent.is_(False), 1), else_=0))
    query = (sa.select(_RC.c.run_id, sa.func.count(), inconsistent)
             .where(_RC.c.run_id.in_(run_ids)).group_by(_RC.c.run_id))
    return {run_id: (int(n), int(bad or 0)) for run_id, n, bad in conn.execute(query)}


def case_history(conn: sa.Connection, suite_id: str, case_id: str, *, newest_first: bool = False,
                 limit: int | None = None, offset: int = 0) -> list[CaseRunRow]:
    """The case in every run of its suite, oldest first (``newest_first``: the other way, for pages)."""
    query = (sa.select(_R.c.run_id, _R.c.started_at, _R.c.status.label("run_status"),
                       _R.c.model_spec, _R.c.prompt_version, _RC.c.case_id, _RC.c.tags,
                       _RC.c.n, _RC.c.n_passed, _RC.c.pass_rate, _RC.c.consistent)
             .join(_RC, _RC.c.run_id == _R.c.run_id)
             .where(_R.c.suite_id == suite_id, _RC.c.case_id == case_id))
    order = (_R.c.started_at.desc(), _R.c.run_id.desc()) if newest_first else (_R.c.started_at, _R.c.run_id)
    query = query.order_by(*order).limit(limit).offset(offset)
    return [CaseRunRow(**row._mapping) for row in conn.execute(query)]


def case_statuses(conn: sa.Connection, suite_id: str, case_id: str, start: str | None = None,
                  end: str | None = None) -> list[CaseStatusRow]:
    """The case's status in every comparison of its suite (created in [start, end] when given), oldest first."""
    comp = schema.comparisons
    query = (sa.select(_CC.c.comparison_id, comp.c.created_at, _CC.c.suite_id, _CC.c.case_id,
                       _CC.c.status, _CC.c.baseline_pass_rate, _CC.c.candidate_pass_rate,
                       _CC.c.drift)
             .join(comp, comp.c.comparison_id == _CC.c.comparison_id)
             .where(_CC.c.suite_id == suite_id, _CC.c.case_id == case_id)
             .order_by(comp.c.created_at))
    if start is not None:
        query = query.where(comp.c.created_at >= start)
    if end is not None:
        query = query.where(comp.c.created_at <= end)
    return [CaseStatusRow(**row._mapping) for row in conn.execute(query)]


def comparison_suite_select() -> sa.Select[Any]:
    """``comparison_suites`` rows (without their stats) joined with their comparison's time."""
    comp = schema.comparisons
    columns = [c for c in _CS.columns if c.name != "stats"]
    return sa.select(comp.c.created_at, *columns).join(comp, comp.c.comparison_id == _CS.c.comparison_id)


def list_comparison_suites(conn: sa.Connection, suite_id: str | None = None, limit: int | None = None,
                           comparison_ids: list[str] | None = None) -> list[ComparisonSuiteRow]:
    """Per-suite comparison results, oldest first (the newest ``limit``; all when None), of one suite
    and/or of the given comparisons."""
    comp = schema.comparisons
    query = comparison_suite_select()
    if suite_id:
        query = query.where(_CS.c.suite_id == suite_id)
    if comparison_ids is not None:
        query = query.where(_CS.c.comparison_id.in_(comparison_ids))
    query = query.order_by(comp.c.created_at.desc(), _CS.c.comparison_id.desc(), _CS.c.suite_id).limit(limit)
    return [ComparisonSuiteRow(**row._mapping) for row in reversed(conn.execute(query).all())]


def list_comparisons(conn: sa.Connection, limit: int | None = 100, offset: int = 0,
                     suite_ids: list[str] | None = None) -> list[ComparisonRow]:
    """Comparisons, newest first (``comparison_id`` breaks ties, so pages never overlap); with
    ``suite_ids``, those touching one of the suites."""
    comp = schema.comparisons
    query = sa.select(comp.c.comparison_id, comp.c.created_at, comp.c.verdict, comp.c.reasons)
    if suite_ids is not None:
        query = query.where(comp.c.comparison_id.in_(touching(suite_ids)))
    query = query.order_by(comp.c.created_at.desc(), comp.c.comparison_id.desc()).limit(limit).offset(offset)
    rows = conn.execute(query).all()
    suites = _suites_of(conn, [r.comparison_id for r in rows])
    return [ComparisonRow(r.comparison_id, r.created_at, r.verdict, r.reasons,
                          tuple(suites[r.comparison_id])) for r in rows]


def touching(suite_ids: list[str]) -> sa.Select[Any]:
    """Ids of the comparisons with one of ``suite_ids``."""
    return sa.select(_CS.c.comparison_id).where(_CS.c.suite_id.in_(suite_ids))


def _suites_of(conn: sa.Connection, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if ids:
        query = sa.select(_CS.c.comparison_id, _CS.c.suite_id).where(
            _CS.c.comparison_id.in_(ids)).order_by(_CS.c.suite_id)
        for comparison_id, suite_id in conn.execute(query):
            out[comparison_id].append(suite_id)
    return out


def comparison_report(conn: sa.Connection, comparison_id: str) -> dict[str, Any] | None:
    """The full JSON report of a comparison as it was saved."""
    comp = schema.comparisons
    return conn.scalar(sa.select(comp.c.report).where(comp.c.comparison_id == comparison_id))


def get_comparison(conn: sa.Connection, comparison_id: str) -> ComparisonRow | None:
    comp = schema.comparisons
    row = conn.execute(sa.select(comp.c.comparison_id, comp.c.created_at, comp.c.verdict,
                                 comp.c.reasons)
                       .where(comp.c.comparison_id == comparison_id)).first()
    if row is None:
        return None
    suites = _suites_of(conn, [comparison_id])[comparison_id]
    return ComparisonRow(row.comparison_id, row.created_at, row.verdict, row.reasons,
                         tuple(suites))


def ids_with_prefix(conn: sa.Connection, table: sa.Table, column: str, prefix: str) -> list[str]:
    """Ids in ``table.column`` starting with ``prefix`` (at most 2: enough to tell ambiguity)."""
    col = table.c[column]
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(conn.scalars(sa.select(col).where(col.like(escaped + "%", escape="\\")).limit(2)))


def distinct_values(conn: sa.Connection) -> dict[str, list[str]]:
    """Filter choices: suite ids, models, prompt versions and tags seen in the store."""
    def values(column: sa.ColumnElement[Any]) -> list[str]:
        return sorted(v for v in conn.scalars(sa.select(column).distinct()) if v is not None)
    return {"suites": values(_R.c.suite_id), "models": values(_R.c.model_spec),
            "prompt_versions": values(_R.c.prompt_version),
            "tags": values(schema.case_tags.c.tag)}
