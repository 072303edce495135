"""``harness run``: suites on one model -> terminal tables, reports, history; exit 3 when incomplete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.commands.shared import (
    CaseSelection,
    ReportPaths,
    load_suites,
    open_store,
    select_cases,
    start_renderer,
    suite_paths_or_project,
    write_reports,
)
from harness.errors import EXIT_INFRA, EXIT_OK
from harness.types import RunResult

if TYPE_CHECKING:
    from harness.analysis.report import RunReport


@dataclass(frozen=True)
class RunOptionsCli:
    """What ``harness run`` can set; ``None`` means the project's setting."""

    model: str | None = None
    samples: int | None = None
    params: dict[str, Any] = field(default_factory=dict)   # --param KEY=VALUE overrides
    seed: int | None = None
    use_cache: bool = True
    allow_code: bool = False
    executor: str | None = None
    db: str | None = None
    store: bool = True
    selection: CaseSelection = field(default_factory=CaseSelection)
    full: bool = False


def run_command(suites: list[Path] | None, options: RunOptionsCli, outputs: ReportPaths) -> int:
    """Run the suites (default: harness.yaml's ``suites:``), print them, write the reports;
    3 when a run could not complete."""
    from harness.project.config import load_project_config, resolve_model

    project = load_project_config()
    loaded = select_cases(load_suites(suite_paths_or_project(suites, project)), options.selection)
    start_renderer(loaded)
    from harness.pipeline import options_from_project, run_suites
    from harness.reporters.terminal import print_runs, print_stored

    spec = resolve_model(options.model or project.default_model, project)
    run_options = options_from_project(project, samples=options.samples, params=options.params,
                                       seed=options.seed,
                                       use_cache=options.use_cache, allow_code=options.allow_code or None,
                                       executor=options.executor)
    results = run_suites(loaded, spec, project, run_options, store=open_store(project, options.db, options.store))
    print_runs(results, full=options.full)
    print_stored(None, [r.run_id for r in results])
    write_run_reports(results, outputs)
    return EXIT_OK if all(r.complete for r in results) else EXIT_INFRA


def write_run_reports(results: Sequence[RunResult], outputs: ReportPaths) -> None:
    """--json, --junit, --markdown, --html of a run."""
    from harness.reporters.run_report import run_report

    report: RunReport = run_report(results)
    write_reports(report, outputs, {"junit": "harness.reporters.junit:run_junit",
                                    "markdown": "harness.reporters.markdown:run_markdown",
                                    "html": "harness.reporters.html:render_run_html"})
