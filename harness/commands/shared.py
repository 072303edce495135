"""What the commands share: loading suites, opening the store, the gate policy, writing reports, exit codes."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from harness.errors import EXIT_GATE_FAILED, EXIT_INFRA, EXIT_OK, ConfigError, UsageError

if TYPE_CHECKING:
    from harness.analysis.gate import Policy
    from harness.analysis.report import ComparisonReport
    from harness.project.config import ProjectConfig
    from harness.project.suites import Suite
    from harness.store import Store

ReportPaths = Mapping[str, Path | None]
"""Output paths by format: ``json``, ``junit``, ``markdown``, ``html`` (None: not requested)."""

ReportT = TypeVar("ReportT", bound=BaseModel)


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


def load_suites(paths: list[Path]) -> list[Suite]:
    """Every suite under ``paths``; two suites with one id are a config error."""
    from harness.project.suites import load_suite

    suites = [load_suite(p) for p in expand_suite_paths(paths)]
    seen: dict[str, str] = {}
    for suite in suites:
        if suite.id in seen:
            raise ConfigError(f"suite id '{suite.id}' is also used by {seen[suite.id]}", file=suite.path, field="id")
        seen[suite.id] = suite.path
    return suites


@dataclass(frozen=True)
class CaseSelection:
    """``--filter`` (case id or tag globs; a case matching any is kept) and ``--limit N`` (first N per suite)."""

    patterns: tuple[str, ...] = ()
    limit: int | None = None

    def apply(self, suite: Suite) -> Suite:
        """The suite with only the selected cases (file order kept)."""
        if not self.patterns and self.limit is None:
            return suite
        cases = [c for c in suite.cases if not self.patterns or self._matches(c.id, c.tags)]
        return replace(suite, cases=tuple(cases[: self.limit]))

    def _matches(self, case_id: str, tags: Sequence[str]) -> bool:
        return any(fnmatchcase(name, p) for p in self.patterns for name in (case_id, *tags))


def select_cases(suites: list[Suite], selection: CaseSelection) -> list[Suite]:
    """Apply ``selection`` to every suite; selecting no case at all is a usage error."""
    selected = [selection.apply(s) for s in suites]
    if (selection.patterns or selection.limit is not None) and not any(s.cases for s in selected):
        raise UsageError(f"--filter {' '.join(selection.patterns)} selects no case "
                         f"in {', '.join(s.id for s in suites)}")
    return selected


def suite_paths_or_project(paths: list[Path] | None, project: ProjectConfig) -> list[Path]:
    """The suites given on the command line, else ``suites:`` from harness.yaml."""
    if paths:
        return paths
    if not project.suites:
        raise UsageError("give suite files or folders, or list them under `suites:` in harness.yaml")
    return [project.root / s for s in project.suites]


def open_store(project: ProjectConfig, db: str | None, enabled: bool) -> Store | None:
    """The history database (``--db`` or the project's), or None with ``--no-store``."""
    if not enabled:
        return None
    from harness.store import Store

    return Store(db or project.database)


def load_gate_policy(project: ProjectConfig, policy_file: Path | None) -> Policy:
    """--policy FILE, else `policy:` in harness.yaml, else the default policy."""
    from harness.analysis.gate import DEFAULT_POLICY, load_policy, parse_policy
    from harness.project.yamlfile import load_yaml

    if policy_file is not None:
        return load_policy(policy_file)
    if project.policy is not None and project.config_file is not None:
        doc = load_yaml(project.config_file)
        return parse_policy(doc.data["policy"], doc, ("policy",))
    return DEFAULT_POLICY


def start_renderer(suites: Sequence[Suite]) -> None:
    """Start the render worker in the background when some suite's prompt is not plain (see
    ``template_worker``), so that its start overlaps the loading that comes next."""
    from harness.project.template_worker import needs_worker, start_worker_soon

    if needs_worker([text for s in suites for text in (s.prompt.template, s.prompt.system) if text]):
        start_worker_soon()


def write_reports(report: ReportT, outputs: ReportPaths,
                  renderers: Mapping[str, Callable[[ReportT], str] | str]) -> None:
    """Write the report model's JSON and each requested rendering (format -> renderer) to its path.
    A renderer given as ``"module:function"`` is imported only when its format is asked for
    (the HTML one pulls in Jinja and the dashboard's views)."""
    from harness.reporters.files import write_bytes, write_text
    from harness.reporters.json_parts import json_parts

    json_path = outputs.get("json")
    if json_path:  # model_dump_json(indent=2) + "\n", encoded, in parts: never the whole document at once
        write_bytes(json_path, itertools.chain(json_parts(report), [b"\n"]))
    for fmt, render in renderers.items():
        path = outputs.get(fmt)
        if path:
            write_text(path, _renderer(render)(report))


def _renderer(render: Callable[[ReportT], str] | str) -> Callable[[ReportT], str]:
    if not isinstance(render, str):
        return render
    from importlib import import_module

    module, _, name = render.partition(":")
    return getattr(import_module(module), name)  # type: ignore[no-any-return]


def comparison_exit_code(report: ComparisonReport) -> int:
    """3 when a side could not complete (infrastructure errors; reports still written), else by the gate."""
    incomplete = [s.id for s in report.suites if not (s.baseline.complete and s.candidate.complete)]
    if incomplete:
        from harness.reporters.terminal import print_message

        print_message(f"infrastructure error: runs of {', '.join(incomplete)} could not complete; "
                      "what finished is cached and stored", style="red")
        return EXIT_INFRA
    return EXIT_GATE_FAILED if report.verdict == "fail" else EXIT_OK
