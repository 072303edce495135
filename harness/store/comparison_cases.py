"""A stored comparison's report, whole or one page of cases at a time.

Since migration 6 each case's part of the report is in its ``comparison_cases`` row and
``comparisons.report`` holds the rest; comparisons stored before have every case in
``comparisons.report``. Both read the same here. A page of cases comes in the order the comparison
page shows them: status (regressions first, as ``CaseStatus`` is declared), then suite (in the
report's order), then case id; with the counts per status over every case.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from harness.analysis.report import ComparisonReport
from harness.errors import UsageError
from harness.store import queries, schema
from harness.store.paging import clamp
from harness.store.rows import Page
from harness.types import CaseStatus

_CC = schema.comparison_cases
STATUS_ORDER = tuple(status.value for status in CaseStatus)


@dataclass(frozen=True)
class ComparisonPage:
    """One page of a comparison's cases with everything computed over all of them."""

    report: ComparisonReport                # each suite's ``cases``: only those on this page, in page order
    status_counts: dict[str, dict[str, int]]  # suite id -> status -> cases, over every case
    cases: Page[tuple[str, str]]            # (suite id, case id) of the page's cases


def whole_report(conn: sa.Connection, comparison_id: str) -> dict[str, Any] | None:
    """The comparison's JSON report as it was saved, every case in place (None when there is none)."""
    head = queries.comparison_report(conn, comparison_id)
    if head is None:
        return None
    stored = [s for s in _suites(head) if "cases" not in s]
    if stored:
        rows = conn.execute(sa.select(_CC.c.suite_id, _CC.c.ordinal, _CC.c.report)
                            .where(_CC.c.comparison_id == comparison_id, _CC.c.report.is_not(None))).all()
        by_suite: dict[str, list[tuple[int, Any]]] = defaultdict(list)
        for suite_id, ordinal, case in rows:
            by_suite[suite_id].append((ordinal, case))
        for suite in stored:
            suite["cases"] = [case for _, case in sorted(by_suite[suite["id"]], key=lambda item: item[0])]
    return head


def case_page(conn: sa.Connection, comparison_id: str, number: int, size: int) -> ComparisonPage | None:
    """Page ``number`` (1-based; clamped like every listing) of ``size`` cases (None: no such comparison)."""
    head = queries.comparison_report(conn, comparison_id)
    if head is None:
        return None
    suites = _suites(head)
    if all("cases" in s for s in suites):   # stored before migration 6: the cases are in the report
        counts, keys, cases = _inline_page(suites, number, size)
    else:
        counts, keys, cases = _stored_page(conn, comparison_id, [s.get("id") for s in suites], number, size)
    for suite in suites:
        suite["cases"] = cases.get(suite.get("id"), [])
    total = sum(n for per_status in counts.values() for n in per_status.values())
    number, size = clamp(number, size, total)
    return ComparisonPage(validated(comparison_id, head), dict(counts), Page(tuple(keys), number, size, total))


def validated(comparison_id: str, data: dict[str, Any]) -> ComparisonReport:
    """The stored JSON as the report model; a clear error when this version cannot read it."""
    try:
        return ComparisonReport.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"comparison {comparison_id} was stored in a report format this version "
                         f"cannot read: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


_Counts = dict[str, dict[str, int]]
_Keys = list[tuple[str, str]]
_Cases = dict[str, list[Any]]


def _suites(head: dict[str, Any]) -> list[dict[str, Any]]:
    suites = head.get("suites")
    return [s for s in suites if isinstance(s, dict)] if isinstance(suites, list) else []


def _rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def _inline_page(suites: list[dict[str, Any]], number: int, size: int) -> tuple[_Counts, _Keys, _Cases]:
    """Counts, keys and cases of the page, from a report that holds its cases (sorted here)."""
    counts: _Counts = defaultdict(dict)
    entries = []
    for index, suite in enumerate(suites):
        for case in suite["cases"]:
            status = str(case.get("status"))
            counts[suite["id"]][status] = counts[suite["id"]].get(status, 0) + 1
            entries.append((_rank(status), index, str(case.get("id")), suite["id"], case))
    number, size = clamp(number, size, len(entries))
    entries.sort(key=lambda e: e[:3])
    cases: _Cases = defaultdict(list)
    keys = []
    for _, _, case_id, suite_id, case in entries[(number - 1) * size:number * size]:
        keys.append((suite_id, case_id))
        cases[suite_id].append(case)
    return counts, keys, cases


def _stored_page(conn: sa.Connection, comparison_id: str, suite_ids: list[Any], number: int,
                 size: int) -> tuple[_Counts, _Keys, _Cases]:
    """Counts and the page's keys in SQL (from ``ix_comparison_cases_status``), then the page's cases."""
    mine = _CC.c.comparison_id == comparison_id
    counts: _Counts = defaultdict(dict)
    for suite_id, status, n in conn.execute(sa.select(_CC.c.suite_id, _CC.c.status, sa.func.count())
                                            .where(mine).group_by(_CC.c.suite_id, _CC.c.status)):
        counts[suite_id][status] = int(n)
    total = sum(n for per_status in counts.values() for n in per_status.values())
    if not total:
        return counts, [], {}
    number, size = clamp(number, size, total)
    status_rank = sa.case({s: i for i, s in enumerate(STATUS_ORDER)}, value=_CC.c.status, else_=len(STATUS_ORDER))
    order = {s: i for i, s in enumerate(suite_ids) if isinstance(s, str)}
    suite_rank = sa.case(order, value=_CC.c.suite_id, else_=len(order)) if order else sa.literal(0)
    keys = [(s, c) for s, c in conn.execute(
        sa.select(_CC.c.suite_id, _CC.c.case_id).where(mine).order_by(status_rank, suite_rank, _CC.c.case_id)
        .limit(size).offset((number - 1) * size))]
    wanted: dict[str, list[str]] = defaultdict(list)
    for suite_id, case_id in keys:
        wanted[suite_id].append(case_id)
    found = {}
    for suite_id, case_ids in wanted.items():
        query = sa.select(_CC.c.case_id, _CC.c.report).where(mine, _CC.c.suite_id == suite_id,
                                                             _CC.c.case_id.in_(case_ids))
        found.update({(suite_id, case_id): case for case_id, case in conn.execute(query)})
    cases: _Cases = defaultdict(list)
    for key in keys:
        cases[key[0]].append(found[key])
    return counts, keys, cases
