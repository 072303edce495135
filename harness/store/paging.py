"""Paged and aggregated reads for the dashboard: LIMIT/OFFSET pages in a total order, counts and
per-suite summaries computed in SQL, so a page costs the same with ten runs or ten thousand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from harness.store import queries, schema
from harness.store.rows import (
    CaseRunRow,
    CaseStatusRow,
    ComparisonRow,
    ComparisonSuiteRow,
    Page,
    RunFilter,
    RunRow,
    SuiteSummary,
)

_R, _CS = schema.runs, schema.comparison_suites
MAX_PAGE_SIZE = 500


def clamp(number: int, size: int, total: int) -> tuple[int, int]:
    """A valid (page number, size): the size within 1..MAX_PAGE_SIZE, the number within 1..pages."""
    size = min(max(1, size), MAX_PAGE_SIZE)
    pages = max(1, -(-total // size))
    return min(max(1, number), pages), size


def run_page(conn: sa.Connection, flt: RunFilter, number: int, size: int) -> Page[RunRow]:
    """Page ``number`` (1-based) of the runs matching ``flt``, newest first (ties: higher run id first)."""
    total = int(conn.scalar(queries.filter_runs(sa.select(sa.func.count()).select_from(_R), flt)) or 0)
    number, size = clamp(number, size, total)
    query = (queries.filter_runs(sa.select(_R), flt).order_by(_R.c.started_at.desc(), _R.c.run_id.desc())
             .limit(size).offset((number - 1) * size))
    return Page(tuple(RunRow(**row._mapping) for row in conn.execute(query)), number, size, total)


def comparison_page(conn: sa.Connection, number: int, size: int,
                    suite_ids: list[str] | None = None) -> Page[ComparisonRow]:
    """Page ``number`` of the comparisons (touching one of ``suite_ids`` when given), newest first."""
    comp = schema.comparisons
    count = sa.select(sa.func.count()).select_from(comp)
    if suite_ids is not None:
        count = count.where(comp.c.comparison_id.in_(queries.touching(suite_ids)))
    total = int(conn.scalar(count) or 0)
    number, size = clamp(number, size, total)
    rows = queries.list_comparisons(conn, limit=size, offset=(number - 1) * size, suite_ids=suite_ids)
    return Page(tuple(rows), number, size, total)


def suite_summaries(conn: sa.Connection, flt: RunFilter, recent: int) -> list[SuiteSummary]:
    """Per suite with runs matching ``flt``: run count, latest run, models, prompt versions, and the
    pass rates of its ``recent`` newest complete runs."""
    counts = dict(conn.execute(queries.filter_runs(
        sa.select(_R.c.suite_id, sa.func.count()).group_by(_R.c.suite_id), flt)).all())
    models = _distinct_by_suite(conn, _R.c.model_spec, flt)
    versions = _distinct_by_suite(conn, _R.c.prompt_version, flt)
    out = []
    for suite in sorted(counts):
        own = replace(flt, suite_id=suite)
        newest = queries.filter_runs(sa.select(_R), own).order_by(_R.c.started_at.desc(), _R.c.run_id.desc())
        latest = conn.execute(newest.limit(1)).first()
        if latest is None:  # deleted between the two reads
            continue
        done = (queries.filter_runs(sa.select(_R.c.started_at, _R.c.pass_rate), own)
                .where(_R.c.status == "complete", _R.c.pass_rate.is_not(None))
                .order_by(_R.c.started_at.desc(), _R.c.run_id.desc()).limit(recent))
        points = tuple((t, float(v)) for t, v in reversed(conn.execute(done).all()))
        out.append(SuiteSummary(suite, int(counts[suite]), RunRow(**latest._mapping), tuple(models.get(suite, ())),
                                tuple(versions.get(suite, ())), points))
    return out


def _distinct_by_suite(conn: sa.Connection, column: sa.ColumnElement[Any], flt: RunFilter) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    query = queries.filter_runs(sa.select(_R.c.suite_id, column).distinct(), flt).order_by(_R.c.suite_id, column)
    for suite, value in conn.execute(query):
        out.setdefault(suite, []).append(value)
    return out


def latest_comparison_suite(conn: sa.Connection, suite_id: str, flt: RunFilter) -> ComparisonSuiteRow | None:
    """The newest comparison of ``suite_id`` that matches ``flt`` (model or prompt version on either
    side, creation date within since/until)."""
    query = _matching(queries.comparison_suite_select().where(_CS.c.suite_id == suite_id), flt)
    comp = schema.comparisons
    row = conn.execute(query.order_by(comp.c.created_at.desc(), comp.c.comparison_id.desc()).limit(1)).first()
    return ComparisonSuiteRow(**row._mapping) if row else None


def comparison_suites_between(conn: sa.Connection, suite_id: str, flt: RunFilter, start: str | None,
                              end: str | None) -> list[ComparisonSuiteRow]:
    """Comparisons of ``suite_id`` matching ``flt`` created in [start, end] (open where None), oldest first."""
    comp = schema.comparisons
    query = _matching(queries.comparison_suite_select().where(_CS.c.suite_id == suite_id), flt)
    if start is not None:
        query = query.where(comp.c.created_at >= start)
    if end is not None:
        query = query.where(comp.c.created_at <= end)
    query = query.order_by(comp.c.created_at, comp.c.comparison_id)
    return [ComparisonSuiteRow(**row._mapping) for row in conn.execute(query)]


def _matching(query: sa.Select[Any], flt: RunFilter) -> sa.Select[Any]:
    comp = schema.comparisons
    if flt.model:
        query = query.where(sa.or_(_CS.c.baseline_model == flt.model, _CS.c.candidate_model == flt.model))
    if flt.prompt_version:
        query = query.where(sa.or_(_CS.c.baseline_prompt_version == flt.prompt_version,
                                   _CS.c.candidate_prompt_version == flt.prompt_version))
    if flt.since:
        query = query.where(comp.c.created_at >= flt.since)
    if flt.until:
        query = query.where(comp.c.created_at < queries.day_after(flt.until))
    return query


def case_history_page(conn: sa.Connection, suite_id: str, case_id: str, number: int, size: int) -> Page[CaseRunRow]:
    """Page ``number`` of the case's runs, newest first."""
    rc = schema.run_cases
    count = (sa.select(sa.func.count()).select_from(rc.join(_R, rc.c.run_id == _R.c.run_id))
             .where(_R.c.suite_id == suite_id, rc.c.case_id == case_id))
    total = int(conn.scalar(count) or 0)
    number, size = clamp(number, size, total)
    rows = queries.case_history(conn, suite_id, case_id, newest_first=True, limit=size, offset=(number - 1) * size)
    return Page(tuple(rows), number, size, total)


def case_statuses_between(conn: sa.Connection, suite_id: str, case_id: str, start: str | None,
                          end: str | None) -> list[CaseStatusRow]:
    """The case's status in the comparisons created in [start, end] (open where None), oldest first."""
    return queries.case_statuses(conn, suite_id, case_id, start, end)
