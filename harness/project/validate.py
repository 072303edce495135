"""``harness validate``: check every suite and prompt without any model (the pre-commit step).

Schema, template syntax and variables, referenced files, check types and their settings,
the field mapping of ``cases_from`` files. Data files are read with the standard library
(JSON Lines, JSON, CSV) or pyarrow (Parquet), not through ``datasets``, so that a project of
fifty suites validates in well under two seconds.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from harness.errors import ConfigError, HarnessError
from harness.project.csvrows import read_csv_rows
from harness.project.hub import PlaceholderRow
from harness.project.paths import CONFIG_NAME, DATA_FORMATS, ProjectFiles
from harness.project.prompts import prompt_from_doc, render_many
from harness.project.suites import Suite, load_suite
from harness.project.yamlfile import YamlDoc, load_yaml_text
from harness.scoring.checks import CHECK_TYPES
from harness.scoring.checks.custom import CUSTOM_SCORERS

Severity = Literal["error", "warning"]
YAML_SUFFIXES = (".yaml", ".yml")


RENDER_BATCH = 2000


@dataclass(frozen=True)
class Problem:
    """One finding, located as precisely as the file allows."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}: {self.severity}: {field}{self.message}"

    @classmethod
    def from_error(cls, exc: HarnessError, file: str) -> Problem:
        if isinstance(exc, ConfigError):
            return cls(exc.file or file, exc.bare_message, exc.line, exc.field)
        return cls(file, str(exc))


@dataclass(frozen=True)
class ValidationReport:
    """The files checked and what was found; ``ok`` when there is no error (warnings allowed)."""

    files: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2

    def format(self) -> str:
        """Text for the terminal: one line a problem, then a summary line."""
        lines = [str(p) for p in self.problems]
        n_err, n_warn = len(self.errors), len(self.problems) - len(self.errors)
        lines.append(f"{len(self.files)} file(s) checked: {n_err} error(s), {n_warn} warning(s)")
        return "\n".join(lines)


def validate_project(root: Path, paths: Sequence[str | Path] | None = None,
                     suites_dir: str = "suites", prompts_dir: str = "prompts") -> ValidationReport:
    """Validate the suites and prompts under ``paths`` (default: all of suites/ and prompts/)."""
    root = root.resolve()
    files = _PeekFiles(root)
    targets = _targets(root, paths, [suites_dir, prompts_dir])
    problems: list[Problem] = []
    used_prompts: set[str] = set()
    suite_ids: dict[str, str] = {}
    checked: list[str] = []
    kinds = {rel: _kind(files, rel, suites_dir, prompts_dir) for rel in targets}
    for rel, kind in kinds.items():
        checked.append(rel)
        if kind == "config":
            problems += _validate_config(root, rel)
        elif kind == "prompt":
            problems += _validate_prompt(files, rel)
        else:
            found, suite = _validate_suite(files, rel)
            problems += found + files.hub_notes
            files.hub_notes.clear()
            used_prompts.add((suite.prompt_path or "") if suite is not None else _prompt_of(files, rel))
            if suite is not None and suite.id in suite_ids:
                problems.append(Problem(rel, f"suite id '{suite.id}' is also used by {suite_ids[suite.id]}",
                                        None, "id"))
            elif suite is not None:
                suite_ids[suite.id] = rel
    if paths is None:
        problems += [Problem(rel, "prompt is not used by any suite", severity="warning")
                     for rel, kind in kinds.items() if kind == "prompt" and rel not in used_prompts]
    return ValidationReport(tuple(checked), tuple(_dedupe(problems)))


def _targets(root: Path, paths: Sequence[str | Path] | None, default_dirs: list[str]) -> list[str]:
    chosen = [root / d for d in default_dirs] if paths is None else [Path(p) for p in paths]
    if paths is None and (root / CONFIG_NAME).is_file():
        chosen.append(root / CONFIG_NAME)
    out: list[str] = []
    for path in chosen:
        path = path if path.is_absolute() else Path.cwd() / path
        if path.is_dir():
            out += [_rel(root, p) for p in sorted(path.rglob("*"))
                    if p.is_file() and p.suffix in YAML_SUFFIXES and ".harness" not in p.parts]
        elif path.exists():
            out.append(_rel(root, path))
        elif paths is not None:
            out.append(_rel(root, path))  # reported as not found
    return list(dict.fromkeys(out))


def _rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _kind(files: ProjectFiles, rel: str, suites_dir: str, prompts_dir: str) -> str:
    """'config', 'prompt' or 'suite': by folder, else by the keys of the mapping."""
    parts = PurePosixPath(rel).parts
    if rel == CONFIG_NAME:
        return "config"
    if parts and parts[0] == prompts_dir:
        return "prompt"
    if parts and parts[0] == suites_dir:
        return "suite"
    try:
        data = load_yaml_text(files.read_text(rel), rel).data
    except (HarnessError, OSError):
        return "suite"
    is_prompt = isinstance(data, dict) and "version" in data and "cases" not in data
    return "prompt" if is_prompt else "suite"


def _validate_prompt(files: ProjectFiles, rel: str) -> list[Problem]:
    try:
        prompt_from_doc(load_yaml_text(files.read_text(rel), rel))
    except FileNotFoundError:
        return [Problem(rel, "file not found")]
    except HarnessError as exc:
        return [Problem.from_error(exc, rel)]
    return []


def _validate_suite(files: ProjectFiles, rel: str) -> tuple[list[Problem], Suite | None]:
    try:
        suite = load_suite(files.root / rel, files)
    except FileNotFoundError:
        return [Problem(rel, "file not found")], None
    except HarnessError as exc:
        return [Problem.from_error(exc, rel)], None
    if _uses_hub_rows(files, rel):   # placeholder rows have no real values to render
        return _suite_warnings(suite), suite
    return _render_problems(suite) + _suite_warnings(suite), suite


def _uses_hub_rows(files: ProjectFiles, rel: str) -> bool:
    notes = getattr(files, "hub_notes", [])
    target = (files.root / rel).resolve()
    return any((files.root / note.file).resolve() == target for note in notes)


def _render_problems(suite: Suite) -> list[Problem]:
    """Render every case and paraphrase under the render budget; each failure names its case."""
    jobs = [({**case.vars, **variant}, case.id, case.line)
            for case in suite.cases for variant in ({}, *case.paraphrases)]
    found: list[Problem] = []
    for start in range(0, len(jobs), RENDER_BATCH):
        batch = jobs[start:start + RENDER_BATCH]
        try:
            render_many(suite.prompt, [(v, c) for v, c, _ in batch])
        except HarnessError:  # find each failing job of the batch, one by one
            for variables, case_id, line in batch:
                try:
                    render_many(suite.prompt, [(variables, case_id)])
                except HarnessError as exc:
                    found.append(Problem(suite.path, _bare(exc), line, "template"))
    return _dedupe(found)


def _bare(exc: HarnessError) -> str:
    return exc.bare_message if isinstance(exc, ConfigError) else str(exc)


def _prompt_of(files: ProjectFiles, rel: str) -> str:
    """The prompt file a suite names, even when the suite does not load."""
    from harness.commands.changes import suite_deps

    try:
        return suite_deps(files, rel).prompt or ""
    except HarnessError:
        return ""


def _suite_warnings(suite: Suite) -> list[Problem]:
    """Settings that load but cannot work: a check with nothing to compare, an unknown scorer."""
    found: list[Problem] = []
    for case in suite.cases:
        for check in case.checks:
            if (CHECK_TYPES.get(check.type).uses_reference
                    and getattr(check, "value", None) is None and case.reference is None):
                found.append(Problem(suite.path, f"case '{case.id}': check '{check.display_name}' compares"
                                     " with the reference, but the case has no `reference`",
                                     case.line, "reference"))
            scorer = getattr(check, "scorer", None)
            if check.type == "python" and isinstance(scorer, str) and scorer not in CUSTOM_SCORERS:
                found.append(Problem(suite.path, f"case '{case.id}': python scorer '{scorer}' is not"
                                     " registered by an installed entry point; make sure your code"
                                     " registers it before the run", case.line, "checks",
                                     severity="warning"))
    if "code-tests" in suite.check_types and not suite.allow_code:
        found.append(Problem(suite.path, "has code-tests checks, which run only with --allow-code"
                             " or `allow_code: true`", None, "allow_code", severity="warning"))
    return found


def _validate_config(root: Path, rel: str) -> list[Problem]:
    try:
        from harness.project.config import load_project_config
    except ImportError:  # the config module is optional for validation
        return []
    try:
        load_project_config(root / rel)
    except HarnessError as exc:
        return [Problem.from_error(exc, rel)]
    return []


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """A broken prompt is reported once, not again by every suite that uses it."""
    return list(dict.fromkeys(problems))


@dataclass
class _PeekFiles(ProjectFiles):
    """ProjectFiles that reads data files with the standard library instead of ``datasets``,
    and hub datasets not at all (one placeholder row with every column; noted as a warning)."""

    hub_notes: list[Problem] = field(default_factory=list)

    def read_hub_rows(self, path: str, subset: str | None, split: str | None, doc: YamlDoc,
                      loc: tuple[Any, ...], limit: int | None) -> list[dict[str, Any]]:
        self.hub_notes.append(Problem(doc.path, f"rows of {path} are not checked (read at run time from"
                                      " the local datasets cache)", doc.line_of(loc), "cases_from",
                                      severity="warning"))
        return [PlaceholderRow()]

    def read_rows(self, ref: str, fmt: str | None, doc: YamlDoc, loc: tuple[Any, ...],
                  limit: int | None) -> list[dict[str, Any]]:
        rel = self.resolve(ref, doc, loc)
        local = self._local_path(rel, doc, loc, ref)
        try:
            rows = quick_rows(local, fmt)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise doc.error(f"cannot read cases from '{ref}': {exc}", loc) from None
        if rows is None:  # a format only `datasets` reads
            return super().read_rows(ref, fmt, doc, loc, limit)
        return rows[:limit] if limit is not None else rows


def quick_rows(path: Path, fmt: str | None) -> list[dict[str, Any]] | None:
    """Rows of a JSONL/JSON/CSV/Parquet file without ``datasets``; None for other formats.

    As ``datasets`` does, every row gets every column (missing values are None).
    """
    if path.is_dir():
        return None
    kind = fmt or DATA_FORMATS.get(path.suffix.lower())
    if kind in ("json", "jsonl"):
        rows = _json_rows(path)
    elif kind == "csv":
        return list(read_csv_rows(path, path.name))  # every row has every column, and its line
    elif kind == "parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    else:
        return None
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return [{c: row.get(c) for c in columns} for row in rows]


def _json_rows(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    if text.lstrip().startswith("["):
        data = json.loads(text)
    else:
        data = [json.loads(line) for line in io.StringIO(text) if line.strip()]
    if not all(isinstance(row, dict) for row in data):
        raise ValueError("every row must be a JSON object")
    return data


def validate_command(paths: Sequence[Path], start: Path | None = None) -> int:
    """``harness validate [PATHS]``: print every problem and a summary; 0 when no error, else 2."""
    from harness.project.paths import find_project_root

    report = validate_project(find_project_root(start), list(paths) or None)
    print(report.format())
    return report.exit_code
