"""pytest plugin: collect suite cases as pytest items (``pytest --harness suites/``).

Each case of each suite under a ``--harness`` path becomes one item,
``suites/capitals.yaml::france``. The first item of a suite to run generates (through the
cache) and scores every selected case of that suite at once; the other items read the
result. A failing item shows its failing checks, the output and the reference.

This module is loaded by every pytest run in an environment where harness is installed,
so it imports nothing heavy until ``--harness`` is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.project.suites import Suite
    from harness.types import CaseResult

SUITE_SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness")
    group.addoption("--harness", action="append", default=[], metavar="PATH",
                    help="collect harness suites under PATH as test items")
    group.addoption("--harness-model", default=None, metavar="SPEC",
                    help="model spec for --harness (default: the project's default model)")
    group.addoption("--harness-samples", default=None, type=int, metavar="K",
                    help="generations per case for --harness (default: from harness.yaml)")


def _harness_paths(config: pytest.Config) -> list[Path]:
    return [Path(p).resolve() for p in config.getoption("harness", default=[]) or []]


def pytest_configure(config: pytest.Config) -> None:
    """Add the --harness paths to what pytest collects, unless an argument already covers them."""
    paths = _harness_paths(config)
    if not paths:
        return
    config.addinivalue_line("markers", "harness: a harness suite case")
    given = [Path(str(a).split("::")[0]).resolve() for a in config.args]
    for path in paths:
        if not any(path == g or g in path.parents for g in given):
            config.args.append(str(path))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SuiteFile | None:
    paths = _harness_paths(parent.config)
    if not paths or file_path.suffix not in SUITE_SUFFIXES:
        return None
    resolved = file_path.resolve()
    if not any(resolved == p or p in resolved.parents for p in paths):
        return None
    if not _looks_like_suite(resolved):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


def _looks_like_suite(path: Path) -> bool:
    """A mapping with `cases` or `cases_from` (prompts and harness.yaml are not suites)."""
    from harness.errors import HarnessError
    from harness.project.yamlfile import load_yaml

    try:
        data = load_yaml(path).data
    except HarnessError:
        return True  # let collection report the error
    return isinstance(data, dict) and ("cases" in data or "cases_from" in data)


class SuiteFile(pytest.File):
    """One suite file: collects its cases and runs the selected ones once, lazily."""

    _suite: Suite | None = None
    _results: dict[str, CaseResult] | None = None
    _error: BaseException | None = None

    def collect(self) -> Iterator[CaseItem]:
        from harness.project.suites import load_suite

        self._suite = load_suite(self.path)
        for case in self._suite.cases:
            item = CaseItem.from_parent(self, name=case.id, case_id=case.id)
            item.add_marker("harness")
            for tag in case.tags:
                item.extra_keyword_matches.add(tag)
            yield item

    def repr_failure(  # type: ignore[override]
            self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from harness.errors import HarnessError

        if isinstance(excinfo.value, HarnessError):
            return f"harness: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def results(self) -> dict[str, CaseResult]:
        """Run every selected case of this suite (first call only) and return results by case id."""
        if self._error is not None:  # the run failed once: every item of the suite reports it
            raise self._error
        if self._results is None:
            assert self._suite is not None, "collect() runs before any item"
            selected = {i.case_id for i in self.session.items if isinstance(i, CaseItem) and i.parent is self}
            try:
                self._results = _run(self._suite, selected, self.config, self.path)
            except Exception as exc:
                self._error = exc
                raise
        return self._results


def _run(suite: Suite, case_ids: set[str], config: pytest.Config, path: Path) -> dict[str, CaseResult]:
    from harness.pipeline import options_from_project, run_suite
    from harness.project.config import load_project_config, resolve_model

    project = load_project_config(path)
    spec = resolve_model(config.getoption("harness_model") or project.default_model, project)
    options = options_from_project(project, samples=config.getoption("harness_samples"), progress=False)
    result = run_suite(suite, spec, project, options, case_ids=case_ids)
    return {c.case_id: c for c in result.cases}


class CaseFailed(AssertionError):
    """A harness case did not pass; carries the result for the failure report."""

    def __init__(self, case: CaseResult) -> None:
        super().__init__(f"case '{case.case_id}' failed")
        self.case = case


class CaseItem(pytest.Item):
    """One suite case."""

    def __init__(self, *, case_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_id = case_id

    def runtest(self) -> None:
        from harness.reporters.run_report import case_report

        assert isinstance(self.parent, SuiteFile)
        case = self.parent.results()[self.case_id]
        if not case_report(case).passed:
            raise CaseFailed(case)

    def repr_failure(  # type: ignore[override]
            self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from harness.errors import HarnessError

        if isinstance(excinfo.value, CaseFailed):
            return failure_text(excinfo.value.case)
        if isinstance(excinfo.value, HarnessError):
            return f"harness: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        suite = self.parent._suite if isinstance(self.parent, SuiteFile) else None
        line = suite.case(self.case_id).line if suite is not None else None
        return self.path, (line - 1) if line else None, f"{self.path.name}::{self.case_id}"


def failure_text(case: CaseResult) -> str:
    """Failing checks, output and reference of each failing sample."""
    lines = [f"case '{case.case_id}': {case.n_passed} of {case.n} sample(s) passed"]
    for sample in case.samples:
        if sample.passed:
            continue
        lines.append(f"--- sample {sample.sample} ({sample.variant}) ---")
        if sample.error:
            lines.append(f"error: {sample.error}")
        for score in sample.scores:
            if not score.passed:
                value = "" if score.value is None else f" (value {score.value:.3g}"
                value += "" if not value or score.threshold is None else f", threshold {score.threshold:.3g}"
                value += ")" if value else ""
                lines.append(f"FAILED check {score.check} [{score.type}]{value}: {score.reason}")
        lines.append("output:")
        lines.append(_indent(sample.output))
    lines.append("reference:")
    lines.append(_indent(case.reference if case.reference is not None else "(none)"))
    return "\n".join(lines)


def _indent(text: str, limit: int = 2000) -> str:
    body = text if len(text) <= limit else text[:limit] + " …"
    return "\n".join("    " + line for line in (body.splitlines() or [""]))
