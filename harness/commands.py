"""Command implementations: load inputs, call the pipeline, write reports, pick the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import EXIT_INFRA, EXIT_OK, ConfigError, InfrastructureError, UsageError

ReportPaths = dict[str, Path | None]


def expand_suite_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders -> their *.yaml/*.yml files (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"suite not found: {path}")
    if not found:
        raise UsageError(f"no suite files in {', '.join(map(str, paths))}")
    return found


def load_suites(paths: list[Path]) -> list[Any]:
    from harness.suites import load_suite

    suites = [load_suite(p) for p in expand_suite_paths(paths)]
    seen: dict[str, str] = {}
    for suite in suites:
        if suite.id in seen:
            raise ConfigError(f"suite id '{suite.id}' is also used by {seen[suite.id]}", file=suite.path, field="id")
        seen[suite.id] = suite.path
    return suites


def run_command(suites: list[Path], *, model: str | None, samples: int | None, seed: int | None,
                use_cache: bool, allow_code: bool, executor: str | None, db: str | None, store: bool,
                outputs: ReportPaths) -> int:
    from harness.config import load_project_config, resolve_model
    from harness.pipeline import options_from_project, run_suites
    from harness.reporters.terminal import print_runs

    project = load_project_config()
    loaded = load_suites(suites)
    spec = resolve_model(model or project.default_model, project)
    options = options_from_project(project, samples=samples, seed=seed, use_cache=use_cache,
                                   allow_code=allow_code or None, executor=executor)
    history = _open_store(project, db, store)
    try:
        results = run_suites(loaded, spec, project, options, store=history)
    except InfrastructureError:
        raise
    print_runs(results)
    write_run_reports(results, outputs)
    return EXIT_OK if all(r.complete for r in results) else EXIT_INFRA


def _open_store(project: Any, db: str | None, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from harness.store import Store
    except ImportError:
        return None
    return Store(db or project.database)


def write_run_reports(results: list[Any], outputs: ReportPaths) -> None:
    from harness.reporters.files import write_json, write_text
    from harness.reporters.run_report import run_report

    report = run_report(results)
    if outputs.get("json"):
        write_json(outputs["json"], report)  # type: ignore[arg-type]
    if outputs.get("junit"):
        from harness.reporters.junit import run_junit

        write_text(outputs["junit"], run_junit(report))  # type: ignore[arg-type]
    if outputs.get("markdown"):
        from harness.reporters.markdown import run_markdown

        write_text(outputs["markdown"], run_markdown(report))  # type: ignore[arg-type]
    if outputs.get("html"):
        from harness.reporters.html import render_run_html

        write_text(outputs["html"], render_run_html(report))  # type: ignore[arg-type]
