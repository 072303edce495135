"""A stored run's cases one page at a time, with the counts over every case.

A run's cases are its ``run_cases`` rows (each case's pass rate over its scorable main samples) and
its ``results`` rows (each sample's output, verdict and scores). The run page lists the cases that
did not pass first (pass rate under ``PASS_CUTOFF``, or no scorable sample), then those that passed,
each group by case id. A page's case ids come from ``run_cases`` in that order (SQL ``LIMIT``/
``OFFSET``); then only those cases' samples are read from ``results``. The counts of failed and
passed cases are counted in SQL over all of the run's cases, so a page of a 100,000-case run reads
100 cases' samples, never the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from harness.analysis.report import RunReport
from harness.store import queries, schema
from harness.store.paging import clamp
from harness.store.rows import Page
from harness.store.run_report import build_run_report
from harness.types import PASS_CUTOFF

_RC = schema.run_cases


@dataclass(frozen=True)
class RunPage:
    """One page of a run's cases with the counts over all of them."""

    report: RunReport              # its one suite's ``cases``: only those on this page, in page order
    counts: dict[str, int]         # "fail" and "pass" -> cases, over every case of the run
    cases: Page[str]               # the ids of the page's cases


def case_page(conn: sa.Connection, run_id: str, number: int, size: int) -> RunPage | None:
    """Page ``number`` (1-based; clamped like every listing) of ``size`` cases (None: no such run)."""
    run = queries.get_run(conn, run_id)
    if run is None:
        return None
    mine = sa.and_(_RC.c.run_id == run_id, _RC.c.n > 0)  # a case with no main sample is in no report
    passed = sa.case((_RC.c.pass_rate >= PASS_CUTOFF, 1), else_=0)
    total, n_passed = conn.execute(sa.select(sa.func.count(), sa.func.sum(passed)).where(mine)).one()
    total, n_passed = int(total or 0), int(n_passed or 0)
    number, size = clamp(number, size, total)
    ids = list(conn.scalars(sa.select(_RC.c.case_id).where(mine).order_by(passed, by_id(conn, _RC.c.case_id))
                            .limit(size).offset((number - 1) * size)))
    results = queries.run_results(conn, run_id, ids) if ids else []
    tags = {case_id: list(found) for case_id, found in conn.execute(
        sa.select(_RC.c.case_id, _RC.c.tags).where(_RC.c.run_id == run_id, _RC.c.case_id.in_(ids)))} if ids else {}
    report = build_run_report(run, results, tags, order=ids)
    return RunPage(report, {"fail": total - n_passed, "pass": n_passed}, Page(tuple(ids), number, size, total))


def by_id(conn: sa.Connection, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` ordered by code point, as Python sorts ids (PostgreSQL's default collation may not)."""
    return column.collate("C") if conn.dialect.name == "postgresql" else column
