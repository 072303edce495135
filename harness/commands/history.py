"""``harness history`` (recent runs and comparisons) and ``harness report ID`` (a stored one, re-rendered)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from harness.commands.shared import ReportPaths
from harness.errors import UsageError
from harness.store import RunFilter, Store


@dataclass(frozen=True)
class HistoryFilter:
    """What ``harness history`` can filter on; ``None`` means any."""

    suite: str | None = None
    model: str | None = None
    verdict: str | None = None
    limit: int = 20


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the history: a run or a comparison."""

    kind: Literal["run", "comparison"]
    id: str
    time: str
    suites: list[str]
    models: list[str]
    verdict: str | None      # comparisons: pass/warn/fail/inconclusive; runs: None
    status: str | None       # runs: complete/incomplete; comparisons: None
    pass_rate: float | None  # runs only


def history_entries(store: Store, flt: HistoryFilter) -> list[HistoryEntry]:
    """Runs and comparisons matching ``flt``, newest first, at most ``flt.limit``."""
    entries = _comparison_entries(store, flt)
    if flt.verdict is None:
        entries += _run_entries(store, flt)
    entries.sort(key=lambda e: e.time, reverse=True)
    return entries[: flt.limit]


def _run_entries(store: Store, flt: HistoryFilter) -> list[HistoryEntry]:
    runs = store.runs(RunFilter(suite_id=flt.suite, model=flt.model, limit=flt.limit))
    return [HistoryEntry("run", r.run_id, r.started_at, [r.suite_id], [r.model_spec], None, r.status,
                         r.pass_rate) for r in runs]


def _comparison_entries(store: Store, flt: HistoryFilter) -> list[HistoryEntry]:
    by_id: dict[str, list] = {}
    for row in store.comparison_suites(flt.suite, limit=max(1000, flt.limit * 20)):
        by_id.setdefault(row.comparison_id, []).append(row)
    entries = []
    for comparison in store.comparisons(limit=max(100, flt.limit * 5)):
        rows = by_id.get(comparison.comparison_id, [])
        models = sorted({m for r in rows for m in (r.baseline_model, r.candidate_model) if m})
        if flt.suite is not None and not rows:
            continue
        if flt.model is not None and flt.model not in models:
            continue
        if flt.verdict is not None and comparison.verdict != flt.verdict:
            continue
        entries.append(HistoryEntry("comparison", comparison.comparison_id, comparison.created_at,
                                    list(comparison.suite_ids), models, comparison.verdict, None, None))
    return entries


def history_lines(entries: list[HistoryEntry], as_json: bool) -> list[str]:
    """The lines ``harness history`` prints: one per entry, or one JSON document."""
    if as_json:
        return [json.dumps([asdict(e) for e in entries], indent=2)]
    if not entries:
        return ["no runs or comparisons in the history database yet"]
    lines = []
    for e in entries:
        outcome = (e.verdict or "").upper() if e.kind == "comparison" else (
            f"{e.status}" + ("" if e.pass_rate is None else f" {e.pass_rate:.1%}"))
        lines.append(f"{e.time[:19].replace('T', ' ')}  {e.kind:<10}  {e.id[:12]}  {outcome:<16}  "
                     f"{', '.join(e.suites)}  [{', '.join(e.models)}]")
    return lines


def history_command(db: str | None, flt: HistoryFilter, as_json: bool) -> list[str]:
    """``harness history``: the lines to print."""
    from harness.project.config import load_project_config

    with Store(db or load_project_config().database) as store:
        return history_lines(history_entries(store, flt), as_json)


def report_command(ref: str | None, outputs: ReportPaths, db: str | None) -> list[str]:
    """Render a stored run or comparison (default: the latest comparison) to each requested file."""
    from harness.project.config import load_project_config

    if not any(outputs.values()):
        raise UsageError("give at least one of --html, --markdown, --json")
    with Store(db or load_project_config().database) as store:
        if ref is None:
            ref = store.latest_comparison_id()
            if ref is None:
                raise UsageError("the history database has no comparison yet; give a run id")
        kind, full_id = store.resolve(ref)
        _write_stored(store, kind, full_id, outputs)
    return [f"wrote {path}" for path in outputs.values() if path]


def _write_stored(store: Store, kind: str, full_id: str, outputs: ReportPaths) -> None:
    from harness.commands.shared import write_reports
    from harness.reporters.html import render_stored_html

    html = outputs.get("html")
    rest = {k: v for k, v in outputs.items() if k != "html"}
    if kind == "run":
        from harness.reporters.markdown import run_markdown

        write_reports(store.run_report(full_id), rest, {"markdown": run_markdown})
    else:
        from harness.reporters.check import check_markdown
        from harness.reporters.markdown import comparison_markdown

        report = store.comparison_report(full_id)
        if report is None:
            raise UsageError(f"no comparison {full_id!r} in the history database")
        render = check_markdown if report.check is not None else comparison_markdown
        write_reports(report, rest, {"markdown": render})
    if html:
        from harness.reporters.files import write_text

        write_text(Path(html), render_stored_html(store, full_id))
