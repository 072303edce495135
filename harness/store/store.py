"""The history store: runs, per-sample results and comparisons in any SQLAlchemy database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Literal

import sqlalchemy as sa
from typing_extensions import Self

from harness.analysis.report import ComparisonReport, RunReport
from harness.errors import InfrastructureError, UsageError
from harness.store import comparison_cases, paging, queries, run_pages, schema, writes
from harness.store.comparison_cases import ComparisonPage
from harness.store.engine import DEFAULT_URL, READ_ONLY, make_engine
from harness.store.jsonsafe import clean_json
from harness.store.migrations import migrate
from harness.store.rows import (
    CaseRunRow,
    CaseStatusRow,
    ComparisonRow,
    ComparisonSuiteRow,
    Page,
    ResultRow,
    RunFilter,
    RunRow,
    SuiteSummary,
)
from harness.store.run_pages import RunPage
from harness.store.run_report import build_run_report
from harness.types import CaseResult, RunInfo, RunResult

RefKind = Literal["run", "comparison"]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Store:
    """History database. Create one per process (engines must not cross a fork)."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        self.url = url
        self._engine = make_engine(url)
        with self._errors("migrating"):
            migrate(self._engine)

    def close(self) -> None:
        """Release pooled connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sa.exc.OperationalError as exc:
            safe_url = sa.engine.make_url(self.url).render_as_string(hide_password=True)
            raise InfrastructureError(f"history database {safe_url}: {doing} failed: "
                                      f"{exc.orig}") from exc

    @contextmanager
    def _write(self, doing: str) -> Iterator[sa.Connection]:
        with self._errors(doing), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._errors("reading"), self._engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            yield conn

    # -- writes ------------------------------------------------------------------------------

    def start_run(self, info: RunInfo, *, kind: str = "run") -> str:
        """Record a new run (status ``incomplete``) and return its id (uuid4 hex)."""
        run_id = uuid.uuid4().hex
        with self._write("starting a run") as conn:
            conn.execute(schema.runs.insert().values(writes.run_row(run_id, info, kind)))
        return run_id

    def add_case_results(self, run_id: str, cases: Sequence[CaseResult]) -> None:
        """Store cases of a run; a (run, case, variant, sample) stored again replaces the old row."""
        with self._write("storing results") as conn:
            suite_id = conn.scalar(sa.select(schema.runs.c.suite_id)
                                   .where(schema.runs.c.run_id == run_id))
            if suite_id is None:
                raise UsageError(f"no run {run_id!r} in the history database")
            writes.upsert(conn, schema.run_cases, [writes.case_rows(run_id, c) for c in cases])
            writes.upsert(conn, schema.results,
                          [row for c in cases for row in writes.result_rows(run_id, c)])
            writes.upsert(conn, schema.case_tags,
                          [row for c in cases for row in writes.tag_rows(suite_id, c)])

    def finish_run(self, run_id: str, *, complete: bool, pass_rate: float | None) -> None:
        """Close a run. ``complete=False`` keeps it ``incomplete``: never shown as passed."""
        values = {"status": "complete" if complete else "incomplete", "finished_at": _now(),
                  "pass_rate": clean_json(pass_rate)}
        with self._write("finishing a run") as conn:
            done = conn.execute(schema.runs.update().where(schema.runs.c.run_id == run_id)
                                .values(**values))
            if done.rowcount == 0:
                raise UsageError(f"no run {run_id!r} in the history database")

    def save_run(self, result: RunResult, *, kind: str = "run") -> str:
        """Store a whole finished :class:`RunResult` at once; return its run id."""
        run_id = self.start_run(result.info, kind=kind)
        self.add_case_results(run_id, result.cases)
        self.finish_run(run_id, complete=result.complete,
                        pass_rate=result.pass_rate if result.cases else None)
        return run_id

    def save_judge_calibration(self, values: dict[str, object]) -> str:
        """Store one ``harness judge-calibrate`` result (columns of ``judge_calibrations``); return its id."""
        calibration_id = uuid.uuid4().hex
        with self._write("saving a judge calibration") as conn:
            conn.execute(schema.judge_calibrations.insert().values(
                calibration_id=calibration_id, created_at=_now(), **values))
        return calibration_id

    def judge_calibrations(self, judge: str) -> list[dict[str, object]]:
        """Stored calibrations of one judge (by label), newest first."""
        table = schema.judge_calibrations
        with self._read() as conn:
            rows = conn.execute(sa.select(table).where(table.c.judge == judge)
                                .order_by(table.c.created_at.desc())).mappings().all()
        return [dict(r) for r in rows]

    def save_comparison(self, report: ComparisonReport, *, baseline_run_ids: Mapping[str, str | None],
                        candidate_run_ids: Mapping[str, str | None]) -> str:
        """Store a comparison report (docs/report-format.md); return its id (uuid4 hex)."""
        comparison_id = uuid.uuid4().hex
        head, case_rows = writes.comparison_rows(comparison_id, _now(), report)
        suite_rows = [writes.comparison_suite_row(comparison_id, s, baseline_run_ids.get(s.id),
                                                  candidate_run_ids.get(s.id))
                      for s in report.suites]
        with self._write("storing a comparison") as conn:
            conn.execute(schema.comparisons.insert().values(head))
            writes.upsert(conn, schema.comparison_suites, suite_rows)
            writes.upsert(conn, schema.comparison_cases, case_rows)
        return comparison_id

    # -- reads -------------------------------------------------------------------------------

    def runs(self, flt: RunFilter | None = None) -> list[RunRow]:
        """Runs matching ``flt`` (all when None), oldest first."""
        with self._read() as conn:
            return queries.list_runs(conn, flt or RunFilter())

    def run(self, run_id: str) -> RunRow | None:
        with self._read() as conn:
            return queries.get_run(conn, run_id)

    def results(self, run_id: str) -> list[ResultRow]:
        """Every stored (case, variant, sample) of a run."""
        with self._read() as conn:
            return queries.run_results(conn, run_id)

    def case_counts(self, run_ids: list[str]) -> dict[str, tuple[int, int]]:
        """Per run id: (cases, inconsistent cases) — the flaky share is their ratio."""
        with self._read() as conn:
            return queries.run_case_counts(conn, run_ids)

    def case_history(self, suite_id: str, case_id: str) -> list[CaseRunRow]:
        with self._read() as conn:
            return queries.case_history(conn, suite_id, case_id)

    def case_statuses(self, suite_id: str, case_id: str) -> list[CaseStatusRow]:
        with self._read() as conn:
            return queries.case_statuses(conn, suite_id, case_id)

    def comparison_suites(self, suite_id: str | None = None, limit: int | None = None, *,
                          comparison_ids: list[str] | None = None) -> list[ComparisonSuiteRow]:
        """Per-suite rows of comparisons (of one suite, of some comparisons), oldest first; the newest
        ``limit`` (None: all)."""
        with self._read() as conn:
            return queries.list_comparison_suites(conn, suite_id, limit, comparison_ids)

    def comparisons(self, limit: int = 100) -> list[ComparisonRow]:
        """Comparisons, newest first."""
        with self._read() as conn:
            return queries.list_comparisons(conn, limit)

    # -- pages and aggregates (the dashboard) ------------------------------------------------

    def run_page(self, flt: RunFilter, page: int = 1, size: int = 50) -> Page[RunRow]:
        """Page ``page`` (1-based, clamped to the pages there are) of the runs matching ``flt``, newest first."""
        with self._read() as conn:
            return paging.run_page(conn, flt, page, size)

    def comparison_page(self, page: int = 1, size: int = 50,
                        suite_ids: list[str] | None = None) -> Page[ComparisonRow]:
        """Page ``page`` of the comparisons (touching one of ``suite_ids`` when given), newest first."""
        with self._read() as conn:
            return paging.comparison_page(conn, page, size, suite_ids)

    def suite_summaries(self, flt: RunFilter, recent: int = 20) -> list[SuiteSummary]:
        """Per suite with matching runs: count, latest run, models, prompt versions, recent pass rates."""
        with self._read() as conn:
            return paging.suite_summaries(conn, flt, recent)

    def case_history_page(self, suite_id: str, case_id: str, page: int = 1, size: int = 200) -> Page[CaseRunRow]:
        """Page ``page`` of the case's runs, newest first."""
        with self._read() as conn:
            return paging.case_history_page(conn, suite_id, case_id, page, size)

    def case_statuses_between(self, suite_id: str, case_id: str, start: str | None,
                              end: str | None) -> list[CaseStatusRow]:
        with self._read() as conn:
            return paging.case_statuses_between(conn, suite_id, case_id, start, end)

    def latest_comparison_suite(self, suite_id: str, flt: RunFilter) -> ComparisonSuiteRow | None:
        with self._read() as conn:
            return paging.latest_comparison_suite(conn, suite_id, flt)

    def comparison_suites_between(self, suite_id: str, flt: RunFilter, start: str | None,
                                  end: str | None) -> list[ComparisonSuiteRow]:
        with self._read() as conn:
            return paging.comparison_suites_between(conn, suite_id, flt, start, end)

    def comparison(self, comparison_id: str) -> ComparisonRow | None:
        with self._read() as conn:
            return queries.get_comparison(conn, comparison_id)

    def comparison_report(self, comparison_id: str) -> ComparisonReport | None:
        """The report saved with the comparison, validated into the model (None when there is none)."""
        with self._read() as conn:
            stored = comparison_cases.whole_report(conn, comparison_id)
        return None if stored is None else comparison_cases.validated(comparison_id, stored)

    def comparison_case_page(self, comparison_id: str, page: int = 1, size: int = 100) -> ComparisonPage | None:
        """The report with one page of its cases (regressions first) and the counts over all of them."""
        with self._read() as conn:
            return comparison_cases.case_page(conn, comparison_id, page, size)

    def latest_comparison_id(self) -> str | None:
        latest = self.comparisons(limit=1)
        return latest[0].comparison_id if latest else None

    def filter_values(self) -> dict[str, list[str]]:
        """Suite ids, models, prompt versions and tags present (for filter menus)."""
        with self._read() as conn:
            return queries.distinct_values(conn)

    def run_report(self, run_id: str) -> RunReport:
        """A stored run as the report model of ``harness run`` (one suite)."""
        run = self.run(run_id)
        if run is None:
            raise UsageError(f"no run {run_id!r} in the history database")
        return build_run_report(run, self.results(run_id), self._tags(run_id))

    def run_case_page(self, run_id: str, page: int = 1, size: int = 100) -> RunPage | None:
        """The run with one page of its cases (failed first) and the counts over all of them (None: no such
        run)."""
        with self._read() as conn:
            return run_pages.case_page(conn, run_id, page, size)

    def _tags(self, run_id: str) -> dict[str, list[str]]:
        with self._read() as conn:
            rows = conn.execute(sa.select(schema.run_cases.c.case_id, schema.run_cases.c.tags)
                                .where(schema.run_cases.c.run_id == run_id))
            return {case_id: list(tags) for case_id, tags in rows}

    def resolve(self, ref: str) -> tuple[RefKind, str]:
        """Find a run or comparison by id or unique id prefix."""
        with self._read() as conn:
            found: list[tuple[RefKind, str]] = [
                *(("run", i) for i in queries.ids_with_prefix(conn, schema.runs, "run_id", ref)),
                *(("comparison", i) for i in queries.ids_with_prefix(
                    conn, schema.comparisons, "comparison_id", ref))]
        exact = [f for f in found if f[1] == ref]
        if exact or len(found) == 1:
            return (exact or found)[0]
        if not found:
            raise UsageError(f"no run or comparison {ref!r} in the history database")
        raise UsageError(f"{ref!r} is ambiguous: give more characters of the id")
