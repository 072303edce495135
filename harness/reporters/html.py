"""Self-contained static HTML reports (one file, no scripts, no external resources).

The pages are the dashboard's comparison and run pages, rendered from the same templates
with the stylesheet inlined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.analysis.report import ComparisonReport, RunReport
from harness.dashboard.report_view import comparison_view, run_view
from harness.dashboard.templating import render_static
from harness.errors import UsageError

if TYPE_CHECKING:
    from harness.store import Store


def render_comparison_html(report: ComparisonReport) -> str:
    """A comparison report (docs/report-format.md) as one HTML file."""
    return render_static("comparison.html", view=comparison_view(report))


def render_run_html(run_report: RunReport) -> str:
    """A run report (docs/report-format.md) as one HTML file."""
    return render_static("run.html", view=run_view(run_report))


def render_stored_html(store: Store, ref: str | None) -> str:
    """`harness report --html F [RUN|COMPARISON]`: the latest comparison when ``ref`` is None;
    otherwise a run or comparison id (or unique prefix)."""
    if ref is None:
        ref = store.latest_comparison_id()
        if ref is None:
            raise UsageError("the history database has no comparison yet; give a run id")
    kind, full_id = store.resolve(ref)
    if kind == "run":
        return render_run_html(store.run_report(full_id))
    return _stored_comparison_html(store, full_id)


def _stored_comparison_html(store: Store, comparison_id: str) -> str:
    report = store.comparison_report(comparison_id)
    row = store.comparison(comparison_id)
    if report is None or row is None:
        raise UsageError(f"no comparison {comparison_id!r} in the history database")
    view = comparison_view(report, comparison_id=comparison_id, created_at=row.created_at,
                           run_ids=_run_ids(store, comparison_id))
    return render_static("comparison.html", view=view)


def _run_ids(store: Store, comparison_id: str) -> dict[str, tuple[str | None, str | None]]:
    return {r.suite_id: (r.baseline_run_id, r.candidate_run_id)
            for r in store.comparison_suites(comparison_ids=[comparison_id])}
